//! Foundations of Python Network Programming, Third Edition
//! <https://github.com/brandon-rhodes/fopnp/blob/m/py3/chapter05/streamer.py>
//! Client that sends data then closes the socket, not expecting a reply.
//!
//! Listing 5-1. The first of the chapter's two answers to "where does a message end?":
//! here, at the end of the stream. The client shuts down its reading side, sends three
//! lines and closes; the server shuts down its sending side at once, reads until `recv()`
//! returns zero bytes, and only then knows it has the whole message. This is page 53's
//! half-close, used on purpose: one message per connection, and no reply possible.
//!
//! Run it in two terminals, as the book does:
//!
//! ```text
//! $ streamer
//! $ streamer -c
//! ```
//!
//! The server serves one connection and exits 0. How the kernel cuts the 96 bytes into
//! pieces varies from run to run (96, or 31 + 65, or 31 + 34 + 31), so the `Received N
//! bytes` lines vary too.
//!
//! # The recorded session
//!
//! `output.txt`, as `cargo xtask run` shows it, kept true by `cargo xtask transcripts --check`:
#![doc = concat!("```text\n", include_str!("../output.txt"), "```")]

use std::io::{Read, Write};
use std::net::Shutdown;

use fopnp::{Context, Error, PyAddr, PyBytes};

/// What the client sends: three lines of the Zen of Python, 96 bytes.
pub const LINES: [&[u8]; 3] = [
    b"Beautiful is better than ugly.\n",
    b"Explicit is better than implicit.\n",
    b"Simple is better than complex.\n",
];

/// The listing's `server(address)`: serves one connection, then returns.
pub fn server((host, port): (&str, u16), out: &mut impl Write) -> Result<(), Error> {
    let sock = fopnp::net::listen(host, port, 1)?;
    writeln!(
        out,
        "Run this script in another window with \"-c\" to connect"
    )?;
    let local = sock
        .local_addr()
        .context(|| "cannot read the socket's name")?;
    writeln!(out, "Listening at {}", PyAddr(local))?;
    let (mut sc, sockname) = sock.accept().context(|| "cannot accept a connection")?;
    writeln!(out, "Accepted connection from {}", PyAddr(sockname))?;
    // A client that resets at once may be gone already: that is this connection's failure.
    sc.shutdown(Shutdown::Write)
        .context(|| format!("connection from {} failed", PyAddr(sockname)))?;
    let mut message = Vec::new();
    let mut more = vec![0; 8192]; // arbitrary value of 8k
    loop {
        let n = sc
            .read(&mut more)
            .context(|| format!("connection from {} failed", PyAddr(sockname)))?;
        if n == 0 {
            // The socket has closed when recv() returns zero bytes.
            writeln!(out, "Received zero bytes - end of file")?;
            break;
        }
        writeln!(out, "Received {n} bytes")?;
        message.extend_from_slice(&more[..n]);
    }
    writeln!(out, "Message:\n")?;
    match std::str::from_utf8(&message) {
        Ok(text) if text.is_ascii() => writeln!(out, "{text}")?,
        // Departure: Python's `message.decode('ascii')` dies here with
        // UnicodeDecodeError; the port prints the message as a Python bytes repr instead.
        _ => writeln!(out, "{}", PyBytes(&message))?,
    }
    Ok(())
}

/// The listing's `client(address)`: sends the three lines and closes, reading nothing.
pub fn client((host, port): (&str, u16)) -> Result<(), Error> {
    let mut sock = fopnp::net::connect(host, port)?;
    sock.shutdown(Shutdown::Read)
        .context(|| "cannot shut down the receiving side")?;
    for line in LINES {
        sock.write_all(line)
            .context(|| format!("cannot send to {host} port {port}"))?;
    }
    Ok(())
}
