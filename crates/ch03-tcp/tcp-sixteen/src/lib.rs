//! Foundations of Python Network Programming, Third Edition
//! <https://github.com/brandon-rhodes/fopnp/blob/m/py3/chapter03/tcp_sixteen.py>
//! Simple TCP client and server that send and receive 16 octets
//!
//! Run it in two terminals, as the book does:
//!
//! ```text
//! $ tcp_sixteen server ""
//! $ tcp_sixteen client localhost
//! ```
//!
//! # The recorded session
//!
//! `output.txt`, as `cargo xtask run` shows it, kept true by `cargo xtask transcripts --check`:
#![doc = concat!("```text\n", include_str!("../output.txt"), "```")]

use std::fmt;
use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};

use fopnp::net::{AcceptFailures, AfterFailure};
use fopnp::{Context, Error, PyAddr, PyBytes};

/// Why [`recvall`] could not return `length` bytes.
#[derive(Debug)]
pub enum RecvallError {
    /// The peer closed its sending side before `expected` bytes had arrived: the book's
    /// `EOFError`.
    Closed { expected: usize, received: usize },
    /// The socket failed (a reset, a timeout...).
    Io(io::Error),
}

impl fmt::Display for RecvallError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            // The book's EOFError text, word for word.
            Self::Closed { expected, received } => write!(
                f,
                "was expecting {expected} bytes but only received {received} bytes before the socket closed"
            ),
            Self::Io(error) => write!(f, "{error}"),
        }
    }
}

impl std::error::Error for RecvallError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Closed { .. } => None,
            Self::Io(error) => Some(error),
        }
    }
}

impl From<RecvallError> for Error {
    fn from(error: RecvallError) -> Self {
        Error::new(error)
    }
}

/// `recvall(sock, length)`: loops over `recv()` until it has exactly `length` bytes;
/// fails with [`RecvallError::Closed`] if the peer closes first.
pub fn recvall(sock: &mut impl Read, length: usize) -> Result<Vec<u8>, RecvallError> {
    let mut data = vec![0; length];
    let mut received = 0;
    while received < length {
        match sock.read(&mut data[received..]) {
            // The other side is done writing, too early.
            Ok(0) => {
                return Err(RecvallError::Closed {
                    expected: length,
                    received,
                });
            }
            Ok(more) => received += more,
            // Interrupted by a signal before anything arrived: Python retries such a
            // recv() without a word (PEP 475), and so does this arm.
            Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
            Err(error) => return Err(RecvallError::Io(error)),
        }
    }
    Ok(data)
}

/// `server(interface, port)`: listens and serves clients one at a time, forever.
pub fn server(interface: &str, port: u16, out: &mut impl Write) -> Result<(), Error> {
    // socket(AF_INET, SOCK_STREAM); setsockopt(SO_REUSEADDR); bind; listen(1)
    let sock = fopnp::net::listen(interface, port, 1)?;
    writeln!(out, "Listening at {}", PyAddr(sock.local_addr()?))?;
    serve(&sock, out)
}

/// The server's `while True:` loop over an already listening socket. Returns only when
/// the listening socket itself fails (closed or shut down).
pub fn serve(sock: &TcpListener, out: &mut impl Write) -> Result<(), Error> {
    let mut failures = AcceptFailures::new("  ");
    loop {
        writeln!(out, "Waiting to accept a new connection")?;
        let (sc, sockname) = match sock.accept() {
            Ok(accepted) => accepted,
            // Departure from the book: Python's server dies when accept() fails; this one
            // reports it and keeps serving (pausing while out of file descriptors).
            Err(error) => {
                if let AfterFailure::Pause(pause) = failures.failed(error, out)? {
                    std::thread::sleep(pause);
                }
                continue;
            }
        };
        failures.working(out)?;
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
    sc.write_all(b"Farewell, client")?; // sc.sendall(...)
    close(sc);
    writeln!(out, "  Reply sent, socket closed")?;
    Ok(())
}

/// `client(host, port)`: connects, sends sixteen octets and reads sixteen back.
pub fn client(host: &str, port: u16, out: &mut impl Write) -> Result<(), Error> {
    let mut sock = fopnp::net::connect(host, port)?;
    writeln!(
        out,
        "Client has been assigned socket name {}",
        PyAddr(sock.local_addr()?)
    )?;
    sock.write_all(b"Hi there, server") // sock.sendall(...)
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::net::{Shutdown, TcpListener, TcpStream};
    use std::thread;
    use std::time::Duration;

    /// A connected pair on loopback; the reading side gets a deadline so a bug fails the
    /// test instead of hanging it.
    fn pair() -> (TcpStream, TcpStream) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let writer = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (reader, _) = listener.accept().unwrap();
        reader
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        (reader, writer)
    }

    #[test]
    fn collects_a_message_dribbled_one_byte_at_a_time() {
        let (mut reader, mut writer) = pair();
        writer.set_nodelay(true).unwrap();
        let dribbler = thread::spawn(move || {
            for byte in b"Hi there, server" {
                writer.write_all(&[*byte]).unwrap();
                thread::sleep(Duration::from_millis(2));
            }
            writer
        });
        assert_eq!(recvall(&mut reader, 16).unwrap(), b"Hi there, server");
        drop(dribbler.join().unwrap());
    }

    #[test]
    fn a_peer_closing_early_is_the_books_error() {
        let (mut reader, mut writer) = pair();
        writer.write_all(b"Hi th").unwrap();
        writer.shutdown(Shutdown::Write).unwrap();
        let error = recvall(&mut reader, 16).unwrap_err();
        assert!(matches!(
            error,
            RecvallError::Closed {
                expected: 16,
                received: 5
            }
        ));
        assert_eq!(
            error.to_string(),
            "was expecting 16 bytes but only received 5 bytes before the socket closed"
        );
    }

    #[test]
    fn zero_bytes_needs_no_read() {
        let mut empty: &[u8] = &[];
        assert_eq!(recvall(&mut empty, 0).unwrap(), b"");
    }
}
