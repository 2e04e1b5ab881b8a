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

/// A client configuration that trusts no certificate: for a client that speaks plain
/// http but still wants a TLS configuration (reqwest's, without a default provider).
pub fn no_roots_context() -> Result<rustls::ClientConfig, String> {
    rustls::ClientConfig::builder_with_provider(shared(provider()))
        .with_protocol_versions(VERSIONS)
        .map(|b| {
            b.with_root_certificates(rustls::RootCertStore::empty())
                .with_no_client_auth()
        })
        .map_err(|e| format!("cannot configure TLS: {e}"))
}

/// `ssl.create_default_context(cafile=...)` for a client: the server's chain must lead to
/// a CA in `cafile`, or, without one, in the system's store (which honours `SSL_CERT_FILE`,
/// as Python's does), and its certificate must name the host; both protocol versions.
pub fn create_default_context(
    cafile: Option<&std::path::Path>,
) -> Result<rustls::ClientConfig, String> {
    let roots = match cafile {
        Some(cafile) => load::verify_locations(cafile)?,
        None => load::default_certs()?,
    };
    rustls::ClientConfig::builder_with_provider(shared(provider()))
        .with_protocol_versions(VERSIONS)
        .map(|b| b.with_root_certificates(roots.store).with_no_client_auth())
        .map_err(|e| format!("cannot configure TLS: {e}"))
}

/// `context.wrap_socket(sock, server_hostname=host)` for a client: the connection made
/// and its handshake completed before it returns, as Python's; a failure is one line,
/// `TLS with HOST failed: ...` in [`describe`]'s words.
pub fn wrap_socket(
    sock: TcpStream,
    host: &str,
    config: Arc<rustls::ClientConfig>,
) -> Result<rustls::StreamOwned<rustls::ClientConnection, TcpStream>, String> {
    let name = rustls::pki_types::ServerName::try_from(host.to_string())
        .map_err(|e| format!("bad host name {host:?}: {e}"))?;
    let conn = rustls::ClientConnection::new(config, name)
        .map_err(|e| format!("cannot start TLS: {e}"))?;
    let mut tls = rustls::StreamOwned::new(conn, sock);
    handshake(&mut tls.conn, &mut tls.sock)
        .map_err(|e| format!("TLS with {host} failed: {}", describe(&e)))?;
    Ok(tls)
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

/// Whose certificate a refusal is about: the peer's, in a handshake, or this side's own,
/// refused as it is loaded (`-s FILE`, `-c FILE`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Whose {
    Peer,
    Own,
}

/// A rustls error as a sentence, not as the Debug text rustls's own message carries
/// (`invalid peer certificate: Other(OtherError(UnsupportedCertVersion))`, said even of
/// a server's own certificate). Certificate errors say what is wrong with whose
/// certificate; the rest keep rustls's words (`received fatal alert: BadCertificate`).
pub fn sentence(error: &rustls::Error, whose: Whose) -> String {
    use rustls::CertificateError as E;
    let rustls::Error::InvalidCertificate(refused) = error else {
        return error.to_string();
    };
    let subject = match whose {
        Whose::Peer => "the peer's certificate",
        Whose::Own => "the certificate",
    };
    let what = match refused {
        // webpki's error sits behind `Other`, with no variant of rustls's own.
        E::Other(other)
            if matches!(
                other.0.downcast_ref::<webpki::Error>(),
                Some(webpki::Error::UnsupportedCertVersion)
            ) =>
        {
            "is an X.509 v1 certificate, which rustls refuses (it takes v3, with a \
             subjectAltName): `cargo xtask certs` makes a pair that works"
                .to_string()
        }
        E::UnknownIssuer => "is not signed by a CA this side trusts (unknown issuer)".into(),
        E::Expired | E::ExpiredContext { .. } => "has expired".into(),
        E::NotValidYet | E::NotValidYetContext { .. } => "is not valid yet".into(),
        E::NotValidForName | E::NotValidForNameContext { .. } => {
            "is not for the host name that was dialled".into()
        }
        E::BadSignature => "has a signature that does not verify".into(),
        E::Revoked => "has been revoked".into(),
        E::BadEncoding => "is not well-formed DER".into(),
        other => format!("was refused ({other})"),
    };
    format!("{subject} {what}")
}

/// A failed TLS read, write or handshake as one line: the rustls error behind it when
/// there is one, as [`sentence`] words it (`the peer's certificate is not signed by a CA
/// this side trusts (unknown issuer)`, `received fatal alert: BadCertificate`), otherwise
/// the I/O error, with an end of stream during the handshake said in words.
pub fn describe(error: &io::Error) -> String {
    if let Some(tls) = error
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
    {
        return sentence(tls, Whose::Peer);
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
        assert_eq!(
            describe(&error),
            "the peer's certificate is not signed by a CA this side trusts (unknown issuer)"
        );
        let expired = rustls::Error::InvalidCertificate(rustls::CertificateError::Expired);
        assert_eq!(
            sentence(&expired, Whose::Own),
            "the certificate has expired"
        );
        assert!(!is_ragged_eof(&error));
        let eof = io::Error::new(io::ErrorKind::UnexpectedEof, "peer closed");
        assert!(is_ragged_eof(&eof));
        assert!(describe(&eof).contains("middle of the TLS handshake"));
    }
}
