//! Chapter 1, `search4.py`: the geocoding query on a bare TCP socket. The script writes
//! the HTTP request itself, reads until the server closes, and prints the whole reply,
//! headers and all, decoded as UTF-8 (with print's `\n` after it).
//!
//! ```python
//! def geocode(address):
//!     sock = socket.socket()
//!     sock.connect(('maps.google.com', 80))
//!     request = request_text.format(quote_plus(address))
//!     sock.sendall(request.encode('ascii'))
//!     raw_reply = b''
//!     while True:
//!         more = sock.recv(4096)
//!         if not more:
//!             break
//!         raw_reply += more
//!     print(raw_reply.decode('utf-8'))
//! ```

use std::io::{Read, Write};
use std::sync::Arc;

use fopnp::cli::Redirect;
use fopnp::{Context, Error, quote_plus};

/// The address every search script asks for.
pub const ADDRESS: &str = "207 N. Defiance St, Archbold, OH";

/// The book's request, `{}` standing for the quoted address.
pub const REQUEST_TEXT: &str = "\
GET /maps/api/geocode/json?address={}&sensor=false HTTP/1.1\r\n\
Host: maps.google.com:80\r\n\
User-Agent: search4.py (Foundations of Python Network Programming)\r\n\
Connection: close\r\n\
\r\n";

/// The repository's request today, to Nominatim.
pub const NOMINATIM_REQUEST_TEXT: &str = "\
GET /search?q={}&format=json HTTP/1.1\r\n\
Host: nominatim.openstreetmap.org\r\n\
User-Agent: Foundations of Python Network Programming example search4.py\r\n\
Connection: close\r\n\
\r\n";

/// The book's `geocode(address)`.
pub fn geocode(address: &str, redirect: &Redirect, out: &mut dyn Write) -> Result<(), Error> {
    let mut sock = fopnp::net::connect_or("maps.google.com", 80, redirect.connect)?;
    let request = REQUEST_TEXT.replace("{}", &quote_plus(address));
    sock.write_all(request.as_bytes())
        .context(|| "cannot send the request")?;
    let raw_reply = recv_all(&mut sock)?;
    print_reply(&raw_reply, out)
}

/// The repository's `geocode(address)` today: the same steps on port 443, in TLS.
///
/// Departure: the repository's script wraps the socket with `ssl.wrap_socket()`, which
/// checks no certificate (and is gone from Python 3.12, where the script dies); here the
/// certificate must lead to a trusted CA (`--ca`, or the system's store) and name the
/// host. As `wrap_socket()` did, no server name is sent (no SNI).
pub fn geocode_nominatim(
    address: &str,
    redirect: &Redirect,
    out: &mut dyn Write,
) -> Result<(), Error> {
    let host = "nominatim.openstreetmap.org";
    let unencrypted_sock = fopnp::net::connect_or(host, 443, redirect.connect)?;
    let mut config = tlskit::create_default_context(redirect.ca.as_deref()).map_err(Error::msg)?;
    config.enable_sni = false;
    let mut sock =
        tlskit::wrap_socket(unencrypted_sock, host, Arc::new(config)).map_err(Error::msg)?;
    let request = NOMINATIM_REQUEST_TEXT.replace("{}", &quote_plus(address));
    sock.write_all(request.as_bytes())
        .context(|| "cannot send the request")?;
    let raw_reply = recv_all(&mut sock)?;
    print_reply(&raw_reply, out)
}

/// `recv(4096)` until the server closes (a TLS close without close_notify counts as the
/// end, as Python's `suppress_ragged_eofs` has it).
fn recv_all(sock: &mut impl Read) -> Result<Vec<u8>, Error> {
    let mut raw_reply = Vec::new();
    let mut more = [0u8; 4096];
    loop {
        match sock.read(&mut more) {
            Ok(0) => break,
            Ok(n) => raw_reply.extend_from_slice(&more[..n]),
            Err(e) if tlskit::is_ragged_eof(&e) => break,
            Err(e) => {
                return Err(Error::msg(format!(
                    "cannot read the reply: {}",
                    tlskit::describe(&e)
                )));
            }
        }
    }
    Ok(raw_reply)
}

/// `print(raw_reply.decode('utf-8'))`: strict UTF-8, its position counted from the
/// reply's first byte, headers included (Python's `UnicodeDecodeError` says the same).
fn print_reply(raw_reply: &[u8], out: &mut dyn Write) -> Result<(), Error> {
    let text = fopnp::decode_utf8(raw_reply)
        .map_err(|at| Error::msg(format!("the reply is not UTF-8: {at}")))?;
    writeln!(out, "{text}")?;
    Ok(())
}
