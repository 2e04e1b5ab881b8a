//! What Chapter 6's two listings, `safe_tls` and `test_tls`, get from Python's `ssl`
//! module without writing it, here written once on rustls:
//!
//! - [`load`]: `load_verify_locations()`, `load_default_certs()` and `load_cert_chain()`;
//! - [`verify`]: `check_hostname = False` with `CERT_REQUIRED`, which rustls has no
//!   switch for;
//! - [`names`]: OpenSSL's names for protocol versions and cipher suites;
//! - [`describe`]: a failed handshake as one line, as an `ssl.SSLError` prints.
//!
//! Every configuration is built on the `ring` provider ([`provider`]).

pub mod load;
pub mod names;
pub mod verify;

use std::io::{self, Read};
use std::net::{Shutdown, TcpStream};
use std::sync::Arc;
use std::time::Duration;

use rustls::ConnectionCommon;
use rustls::crypto::CryptoProvider;

pub use rustls;

/// The cryptography every configuration here uses: rustls's `ring` provider, with all of
/// its cipher suites.
pub fn provider() -> CryptoProvider {
    rustls::crypto::ring::default_provider()
}

/// Both protocol versions rustls has, newest first (it has no TLS 1.0 or 1.1).
pub static VERSIONS: &[&rustls::SupportedProtocolVersion] =
    &[&rustls::version::TLS13, &rustls::version::TLS12];
/// TLS 1.2 alone.
pub static TLS12_ONLY: &[&rustls::SupportedProtocolVersion] = &[&rustls::version::TLS12];
/// TLS 1.3 alone.
pub static TLS13_ONLY: &[&rustls::SupportedProtocolVersion] = &[&rustls::version::TLS13];

/// A provider as an `Arc`, as the configuration builders take it.
pub fn shared(provider: CryptoProvider) -> Arc<CryptoProvider> {
    Arc::new(provider)
}

/// How long a closing side waits, after its close_notify, for the peer to close its own.
pub const LINGER: Duration = Duration::from_secs(2);

/// Completes a handshake, as Python's `wrap_socket()` does before it returns, and sends
/// what it left to send (TLS 1.3's session tickets).
pub fn handshake<T>(conn: &mut ConnectionCommon<T>, sock: &mut TcpStream) -> io::Result<()> {
    while conn.is_handshaking() {
        conn.complete_io(sock)?;
    }
    while conn.wants_write() {
        conn.write_tls(sock)?;
    }
    Ok(())
}

/// Ends a TLS stream as it should end, which Python's `close()` does not: close_notify,
/// then the end of our side of the TCP stream, then a read until the peer closes too (at
/// most [`LINGER`]), so that closing never turns into a reset that could overtake what
/// was sent.
pub fn close<T>(conn: &mut ConnectionCommon<T>, sock: &mut TcpStream) -> io::Result<()> {
    conn.send_close_notify();
    while conn.wants_write() {
        conn.write_tls(sock)?;
    }
    let _ = sock.shutdown(Shutdown::Write);
    let _ = sock.set_read_timeout(Some(LINGER));
    let mut sink = [0; 4096];
    while matches!(sock.read(&mut sink), Ok(n) if n > 0) {}
    Ok(())
}

/// A failed TLS read, write or handshake as one line: the rustls error behind it when
/// there is one (`invalid peer certificate: UnknownIssuer`, `received fatal alert:
/// BadCertificate`), otherwise the I/O error, with an end of stream during the handshake
/// said in words.
pub fn describe(error: &io::Error) -> String {
    if let Some(tls) = error
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
    {
        return tls.to_string();
    }
    match error.kind() {
        io::ErrorKind::UnexpectedEof => {
            "the peer closed the connection in the middle of the TLS handshake".into()
        }
        _ => error.to_string(),
    }
}

/// Whether a read failed only because the peer closed without TLS's close_notify: the
/// data that came before it arrived whole, but a truncation could not be told from a
/// close.
pub fn is_ragged_eof(error: &io::Error) -> bool {
    error.kind() == io::ErrorKind::UnexpectedEof
        && error
            .get_ref()
            .is_none_or(|inner| inner.downcast_ref::<rustls::Error>().is_none())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rustls_error_speaks_for_itself() {
        let error = io::Error::new(
            io::ErrorKind::InvalidData,
            rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer),
        );
        assert_eq!(describe(&error), "invalid peer certificate: UnknownIssuer");
        assert!(!is_ragged_eof(&error));
        let eof = io::Error::new(io::ErrorKind::UnexpectedEof, "peer closed");
        assert!(is_ragged_eof(&eof));
        assert!(describe(&eof).contains("middle of the TLS handshake"));
    }
}
