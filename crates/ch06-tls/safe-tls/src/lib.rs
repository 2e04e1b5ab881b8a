//! Foundations of Python Network Programming, Third Edition
//! <https://github.com/brandon-rhodes/fopnp/blob/m/py3/chapter06/safe_tls.py>
//! Simple TLS client and server using safe configuration defaults
//!
//! Chapter 6's first listing: `ssl.create_default_context()` on both sides, which is what
//! the chapter recommends: the client insists on a certificate that a trusted CA signed
//! for the very name it dialled, and on TLS 1.2 or newer. The server sends one line of the
//! Zen of Python and closes; the client prints what it receives until the end of the
//! stream. Here the contexts are rustls configurations, on the `ring` provider.
//!
//! Run it in two terminals, with a CA and a certificate for `localhost` (`cargo xtask
//! certs DIR` makes both):
//!
//! ```text
//! $ safe_tls -s DIR/localhost.pem 127.0.0.1 1060
//! $ safe_tls -a DIR/ca.crt localhost 1060
//! ```
//!
//! The server serves one connection and exits 0. Unlike the book's, it ends the stream
//! with TLS's close_notify, so the client can tell a complete message from a cut one; a
//! client that reads the end of the stream without it says so on stderr (Python's hides
//! it).
//!
//! # The recorded session
//!
//! `output.txt`, as `cargo xtask run` shows it, kept true by `cargo xtask transcripts --check`:
#![doc = concat!("```text\n", include_str!("../output.txt"), "```")]

use std::io::{self, Read, Write};
use std::path::Path;
use std::sync::Arc;

use fopnp::{Context, Error, PyBytes, PyStr};
use tlskit::rustls::pki_types::ServerName;
use tlskit::rustls::{ClientConfig, ClientConnection, ServerConfig, ServerConnection, StreamOwned};

/// What the server sends.
pub const MESSAGE: &[u8] = b"Simple is better than complex.";

/// The listing's `client(host, port, cafile=None)`: prints each piece the server sends
/// until the end of the stream.
pub fn client(host: &str, port: u16, cafile: Option<&Path>) -> Result<(), Error> {
    // purpose = ssl.Purpose.SERVER_AUTH
    // context = ssl.create_default_context(purpose, cafile=cafile)
    let roots = match cafile {
        Some(cafile) => tlskit::load::verify_locations(cafile),
        None => tlskit::load::default_certs(),
    }
    .map_err(Error::msg)?;
    let context = ClientConfig::builder_with_provider(tlskit::shared(tlskit::provider()))
        .with_protocol_versions(tlskit::VERSIONS)
        .map_err(Error::new)?
        .with_root_certificates(roots.store)
        .with_no_client_auth();

    let raw_sock = fopnp::net::connect(host, port)?;
    let mut out = io::stdout().lock();
    writeln!(out, "Connected to host {} and port {port}", PyStr(host))?;
    out.flush()?;
    let server_hostname = ServerName::try_from(host.to_string()).map_err(|e| {
        Error::msg(format!(
            "{host:?} cannot be checked against a certificate: {e}"
        ))
    })?;
    let connection =
        ClientConnection::new(Arc::new(context), server_hostname).map_err(Error::new)?;
    let mut ssl_sock = StreamOwned::new(connection, raw_sock);
    // wrap_socket() shakes hands at once, so a refused certificate fails here.
    tlskit::handshake(&mut ssl_sock.conn, &mut ssl_sock.sock)
        .map_err(|e| Error::msg(format!("TLS handshake failed: {}", tlskit::describe(&e))))?;

    let mut data = [0; 1024];
    loop {
        match ssl_sock.read(&mut data) {
            // The server's close_notify: the message is whole.
            Ok(0) => break,
            Ok(n) => {
                writeln!(out, "{}", PyBytes(&data[..n]))?;
                out.flush()?;
            }
            Err(e) if tlskit::is_ragged_eof(&e) => {
                // Departure: Python's client treats an end of stream without close_notify
                // as a clean end (suppress_ragged_eofs); the port says it could be a cut.
                eprintln!(
                    "safe_tls: warning: the server closed the connection without TLS \
                     close_notify, so the data may have been truncated"
                );
                break;
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => {
                return Err(Error::msg(format!(
                    "reading from the server failed: {}",
                    tlskit::describe(&e)
                )));
            }
        }
    }
    Ok(())
}

/// The listing's `server(host, port, certfile, cafile=None)`: one connection, one
/// message, then close_notify.
pub fn server(host: &str, port: u16, certfile: &Path, cafile: Option<&Path>) -> Result<(), Error> {
    // purpose = ssl.Purpose.CLIENT_AUTH
    // context = ssl.create_default_context(purpose, cafile=cafile)
    // A context for CLIENT_AUTH never asks the client for a certificate
    // (verify_mode = CERT_NONE): the CA file is loaded, so a bad one fails here as in
    // Python, and is not used.
    if let Some(cafile) = cafile {
        tlskit::load::verify_locations(cafile).map_err(Error::msg)?;
    }
    // context.load_cert_chain(certfile)
    let (chain, key) = tlskit::load::cert_chain(certfile).map_err(Error::msg)?;
    let context = ServerConfig::builder_with_provider(tlskit::shared(tlskit::provider()))
        .with_protocol_versions(tlskit::VERSIONS)
        .map_err(Error::new)?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|e| {
            let why = tlskit::sentence(&e, tlskit::Whose::Own);
            Error::msg(format!("cannot use {}: {why}", certfile.display()))
        })?;

    let listener = fopnp::net::listen(host, port, 1)?;
    let mut out = io::stdout().lock();
    writeln!(
        out,
        "Listening at interface {} and port {port}",
        PyStr(host)
    )?;
    out.flush()?;
    let (raw_sock, address) = listener.accept().context(|| "cannot accept a connection")?;
    writeln!(
        out,
        "Connection from host {} and port {}",
        PyStr(&address.ip().to_string()),
        address.port()
    )?;
    out.flush()?;
    let connection = ServerConnection::new(Arc::new(context)).map_err(Error::new)?;
    let mut ssl_sock = StreamOwned::new(connection, raw_sock);
    let failed = |e: io::Error| {
        Error::msg(format!(
            "TLS with {address} failed: {}",
            tlskit::describe(&e)
        ))
    };
    tlskit::handshake(&mut ssl_sock.conn, &mut ssl_sock.sock).map_err(failed)?;

    ssl_sock.write_all(MESSAGE).map_err(failed)?;
    // Departure: the book's server closes without TLS's close_notify, so its client
    // cannot tell this end of the message from a cut; the port sends it.
    tlskit::close(&mut ssl_sock.conn, &mut ssl_sock.sock).map_err(failed)
}
