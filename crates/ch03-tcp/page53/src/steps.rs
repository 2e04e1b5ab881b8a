//! Printing what each step did and what the kernel answered.

use std::io::{self, Write};
use std::net::{TcpListener, TcpStream};

pub use fopnp::demo::{STEP_LIMIT, Verdict, answer, read_answer, step};
use fopnp::{Context, Error};

/// A connected pair on loopback: `(client, server)`, each with read and write timeouts so
/// no step can hang.
pub fn tcp_pair() -> Result<(TcpStream, TcpStream), Error> {
    let listener = TcpListener::bind("127.0.0.1:0").context(|| "cannot listen on loopback")?;
    let addr = listener.local_addr()?;
    let client = TcpStream::connect(addr).context(|| "cannot connect on loopback")?;
    let (server, _) = listener.accept().context(|| "cannot accept on loopback")?;
    for sock in [&client, &server] {
        sock.set_read_timeout(Some(STEP_LIMIT))?;
        sock.set_write_timeout(Some(STEP_LIMIT))?;
    }
    Ok((client, server))
}

/// Prints the claim being tested.
pub fn claim(out: &mut dyn Write, text: &str) -> io::Result<()> {
    fopnp::demo::claim(out, "page 53", text)
}

/// Reads until EOF (or an error), printing each read; returns the bytes and whether EOF
/// (a read of 0 bytes) was seen.
pub fn read_to_eof(
    out: &mut dyn Write,
    who: &str,
    sock: &mut TcpStream,
) -> io::Result<(Vec<u8>, bool)> {
    use std::io::Read;
    let mut received = Vec::new();
    let mut buf = [0; 64];
    loop {
        let result = sock.read(&mut buf);
        step(out, who, "recv(64)", &read_answer(&result, &buf))?;
        match result {
            Ok(0) => return Ok((received, true)),
            Ok(n) => received.extend_from_slice(&buf[..n]),
            Err(_) => return Ok((received, false)),
        }
    }
}
