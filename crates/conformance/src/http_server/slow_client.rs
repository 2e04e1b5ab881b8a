//! RFC 9112 §9.5's slow client, apart from the table's [`CASES`](super::CASES) because it
//! takes half a minute.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use super::statuses;
use crate::Verdict;

/// RFC 9112 §9.5's slow client: how long a server may let a request's head take. The
/// RFC gives no figure; the ports give 30 s, and this case allows 10 s more.
pub const SLOW_CLIENT_LIMIT: Duration = Duration::from_secs(40);

/// The slow-client case (`rfc9112-9.5-slow-client`), apart from [`CASES`](super::CASES) because it
/// takes half a minute: a request's head sent one byte a second and never finished. It
/// passes when the server closes the connection (or answers with a 4xx, as 408) within
/// [`SLOW_CLIENT_LIMIT`]; it fails on a 2xx, or while the connection is still open at
/// the limit. The duration is how long the server waited.
pub fn slow_client(port: u16) -> (Verdict, Duration) {
    slow_client_within(port, Duration::from_secs(1), SLOW_CLIENT_LIMIT)
}

/// [`slow_client`] with its pace and limit chosen (a test of the judge uses short ones).
pub fn slow_client_within(port: u16, every: Duration, limit: Duration) -> (Verdict, Duration) {
    let started = Instant::now();
    let mut stream = match TcpStream::connect(("127.0.0.1", port)) {
        Ok(s) => s,
        Err(e) => {
            return (
                Verdict::Fail(format!("cannot connect: {e}")),
                Duration::ZERO,
            );
        }
    };
    let _ = stream.set_read_timeout(Some(every));
    let mut answer = Vec::new();
    let mut buf = [0u8; 4096];
    // The head's first line and Host at once, then a header value that never ends.
    let mut next = format!("GET / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nX-Slow: ").into_bytes();
    let closed = loop {
        if started.elapsed() >= limit {
            let open = format!(
                "the connection was still open after {} s of a head sent a byte a second",
                started.elapsed().as_secs()
            );
            return (Verdict::Fail(open), started.elapsed());
        }
        // A write refused is the server's close (or reset).
        if stream.write_all(&next).is_err() {
            break true;
        }
        next = b"a".to_vec();
        match stream.read(&mut buf) {
            Ok(0) => break true,
            Ok(n) => answer.extend_from_slice(&buf[..n]),
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) => {}
            // A reset is a close.
            Err(_) => break true,
        }
        if status_of(&answer).is_some() {
            break false;
        }
    };
    let waited = started.elapsed();
    let verdict = match status_of(&answer) {
        Some(status) if status < 400 => {
            Verdict::Fail(format!("a {status} for a request never finished"))
        }
        _ if closed || !answer.is_empty() => Verdict::Pass,
        _ => Verdict::Fail("neither an answer nor a close".into()),
    };
    (verdict, waited)
}

/// The status of an answer's first line, once it has come.
fn status_of(answer: &[u8]) -> Option<u16> {
    statuses(answer).first().copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A server on a thread that reads its one connection and then does `then` with it.
    fn one_connection(then: fn(TcpStream)) -> u16 {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        std::thread::spawn(move || {
            let (stream, _) = listener.accept().unwrap();
            then(stream);
        });
        port
    }

    #[test]
    fn a_slow_client_passes_on_a_close_or_a_408_and_fails_on_a_200_or_patience() {
        let pace = Duration::from_millis(20);
        let limit = Duration::from_secs(3);
        // Closes once it has read 50 bytes.
        let closes = one_connection(|mut s| {
            let mut buf = [0u8; 64];
            let mut n = 0;
            while n < 50 {
                n += s.read(&mut buf).unwrap_or(50);
            }
        });
        let (verdict, waited) = slow_client_within(closes, pace, limit);
        assert_eq!(verdict, Verdict::Pass);
        assert!(waited < limit);
        let times_out = one_connection(|mut s| {
            std::thread::sleep(Duration::from_millis(200));
            let _ = s.write_all(b"HTTP/1.1 408 Request Timeout\r\nConnection: close\r\n\r\n");
            std::thread::sleep(Duration::from_secs(5));
        });
        assert_eq!(slow_client_within(times_out, pace, limit).0, Verdict::Pass);
        let says_ok = one_connection(|mut s| {
            let _ = s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
            std::thread::sleep(Duration::from_secs(5));
        });
        assert!(matches!(
            slow_client_within(says_ok, pace, limit).0,
            Verdict::Fail(_)
        ));
        // Reads for ever and never closes: the limit fails it.
        let patient = one_connection(|mut s| {
            let mut buf = [0u8; 64];
            while s.read(&mut buf).is_ok_and(|n| n > 0) {}
        });
        let short = Duration::from_millis(500);
        let (verdict, waited) = slow_client_within(patient, pace, short);
        assert!(
            matches!(verdict, Verdict::Fail(ref e) if e.contains("still open")),
            "{verdict:?}"
        );
        assert!(waited >= short);
    }
}
