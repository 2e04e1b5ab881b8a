//! Printing what each step did and what the kernel answered.

use std::fmt::Debug;
use std::io::{self, Write};
use std::net::{TcpListener, TcpStream};
use std::time::Duration;

use fopnp::{Context, Error};

/// No step of a demonstration may wait longer than this: a socket that would block for
/// good fails with a timeout instead.
pub const STEP_LIMIT: Duration = Duration::from_secs(5);

/// How a demonstration ends.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// The book's claim holds here; says what was seen.
    Holds(String),
    /// This system behaves otherwise; says how.
    Differs(String),
}

impl Verdict {
    pub fn holds(&self) -> bool {
        matches!(self, Self::Holds(_))
    }
}

impl std::fmt::Display for Verdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Holds(why) => write!(f, "verdict: holds — {why}"),
            Self::Differs(why) => write!(f, "verdict: differs on this system — {why}"),
        }
    }
}

/// What a call returned, as a reader wants to see it: `Ok(9)`, `0 bytes (EOF)`, or the
/// error's kind and text.
pub fn answer<T: Debug>(result: &io::Result<T>) -> String {
    match result {
        Ok(value) => format!("Ok({value:?})"),
        Err(error) => format!("error {:?} ({error})", error.kind()),
    }
}

/// What a read returned: `9 bytes b'late data'`, `0 bytes (EOF)`, or the error.
pub fn read_answer(result: &io::Result<usize>, buf: &[u8]) -> String {
    match result {
        Ok(0) => "0 bytes (EOF)".into(),
        Ok(n) => format!("{n} bytes {}", fopnp::PyBytes(&buf[..*n])),
        Err(_) => answer(result),
    }
}

/// Prints one step: `  who: call → answer`.
pub fn step(out: &mut dyn Write, who: &str, call: &str, answer: &str) -> io::Result<()> {
    writeln!(out, "  {who}: {call} → {answer}")
}

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
    writeln!(out, "claim (page 53): {text}")
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
