//! `recvall`: read exactly `length` bytes, as Listing 3-1 defines it.

use std::fmt;
use std::io::{self, Read};

/// Why `recvall` could not return `length` bytes.
#[derive(Debug)]
pub enum RecvallError {
    /// The peer closed its sending side before `expected` bytes had arrived.
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

/// Reads exactly `length` bytes from `sock`, looping over `read` as the book's loop over
/// `recv()` does; fails with [`RecvallError::Closed`] if the peer closes first.
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
            Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
            Err(error) => return Err(RecvallError::Io(error)),
        }
    }
    Ok(data)
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
