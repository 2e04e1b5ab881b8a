//! Foundations of Python Network Programming, Third Edition
//! https://github.com/brandon-rhodes/fopnp/blob/m/py3/chapter03/tcp_sixteen.py
//! Simple TCP client and server that send and receive 16 octets
//!
//! Run it in two terminals, as the book does:
//!
//! ```text
//! $ tcp_sixteen server ""
//! $ tcp_sixteen client localhost
//! ```

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};

use fopnp::{Context, Error, PyAddr, PyBytes};

pub use fopnp::recvall;

/// What the client sends: sixteen octets.
pub const GREETING: &[u8; 16] = b"Hi there, server";
/// What the server answers: sixteen octets.
pub const FAREWELL: &[u8; 16] = b"Farewell, client";

/// Listens at `(interface, port)` and serves clients one at a time, forever.
pub fn server(interface: &str, port: u16, out: &mut impl Write) -> Result<(), Error> {
    // socket(AF_INET, SOCK_STREAM); setsockopt(SO_REUSEADDR); bind; listen(1)
    let sock = fopnp::net::listen(interface, port, 1)?;
    writeln!(out, "Listening at {}", PyAddr(sock.local_addr()?))?;
    serve(&sock, out)
}

/// The server's `while True:` loop over an already listening socket. Returns only when
/// the listening socket itself fails (closed or shut down).
pub fn serve(sock: &TcpListener, out: &mut impl Write) -> Result<(), Error> {
    loop {
        writeln!(out, "Waiting to accept a new connection")?;
        let Some((sc, sockname)) = fopnp::net::accept(sock, out)? else {
            continue;
        };
        writeln!(
            out,
            "We have accepted a connection from {}",
            PyAddr(sockname)
        )?;
        // Departure from the book: Python's server dies when a client sends fewer than 16
        // bytes or resets; this one reports the failed connection and goes on serving.
        if let Err(error) = converse(sc, out) {
            writeln!(
                out,
                "  Connection from {} failed: {error}",
                PyAddr(sockname)
            )?;
        }
    }
}

/// The body of the server's loop for one accepted socket `sc`.
fn converse(mut sc: TcpStream, out: &mut impl Write) -> Result<(), Error> {
    writeln!(out, "  Socket name: {}", PyAddr(sc.local_addr()?))?;
    writeln!(out, "  Socket peer: {}", PyAddr(sc.peer_addr()?))?;
    let message = recvall(&mut sc, 16)?;
    writeln!(
        out,
        "  Incoming sixteen-octet message: {}",
        PyBytes(&message)
    )?;
    sc.write_all(FAREWELL)?;
    close(sc);
    writeln!(out, "  Reply sent, socket closed")?;
    Ok(())
}

/// Connects to `(host, port)`, sends sixteen octets and reads sixteen back.
pub fn client(host: &str, port: u16, out: &mut impl Write) -> Result<(), Error> {
    let mut sock = fopnp::net::connect(host, port)?;
    writeln!(
        out,
        "Client has been assigned socket name {}",
        PyAddr(sock.local_addr()?)
    )?;
    sock.write_all(GREETING)
        .context(|| "cannot send the greeting")?;
    let reply = recvall(&mut sock, 16).context(|| "cannot read the server's reply")?;
    writeln!(out, "The server said {}", PyBytes(&reply))?;
    close(sock);
    Ok(())
}

/// `sc.close()`. Dropping the stream closes it; a peer that sent more than the sixteen
/// octets read would then get a reset instead of the reply, so first drain what is
/// already queued (without waiting for more).
fn close(mut sock: TcpStream) {
    let _ = sock.shutdown(Shutdown::Write);
    if sock.set_nonblocking(true).is_ok() {
        let mut scratch = [0; 1024];
        while matches!(sock.read(&mut scratch), Ok(n) if n > 0) {}
    }
}
