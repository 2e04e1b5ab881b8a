//! Foundations of Python Network Programming, Third Edition
//! <https://github.com/brandon-rhodes/fopnp/blob/m/py3/chapter03/tcp_deadlock.py>
//! TCP client and server that leave too much data waiting
//!
//! Run it in two terminals; a large enough bytecount deadlocks, as page 53 explains:
//!
//! ```text
//! $ tcp_deadlock server ""
//! $ tcp_deadlock client localhost 1073741824
//! ```
//!
//! # The recorded session
//!
//! `output.txt`, as `cargo xtask run` shows it, kept true by `cargo xtask transcripts --check`:
#![doc = concat!("```text\n", include_str!("../output.txt"), "```")]

use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};

use fopnp::cli::Buffers;
use fopnp::net::{AcceptFailures, AfterFailure};
use fopnp::progress::progress;
use fopnp::{Context, Error, PyAddr, PyBytes};

/// How much the server reads at a time: `sc.recv(1024)`.
pub const SERVER_RECV: usize = 1024;
/// How much the client reads at a time: `sock.recv(42)`.
pub const CLIENT_RECV: usize = 42;

/// `server(host, port, bytecount)`: listens and serves clients one at a time, forever.
/// (`buffers` is not in the book: see [`Buffers`].)
pub fn server(host: &str, port: u16, buffers: Buffers, out: &mut impl Write) -> Result<(), Error> {
    // socket(AF_INET, SOCK_STREAM); setsockopt(SO_REUSEADDR); bind; listen(1)
    let sock = fopnp::net::listen_with(host, port, 1, buffers)?;
    writeln!(out, "Listening at {}", PyAddr(sock.local_addr()?))?;
    fopnp::net::print_pinned_buffers(out, &sock, buffers)?;
    serve(&sock, out)
}

/// The server's `while True:` loop over an already listening socket. Returns only when
/// the listening socket itself fails (closed or shut down).
pub fn serve(sock: &TcpListener, out: &mut impl Write) -> Result<(), Error> {
    let mut failures = AcceptFailures::new("  ");
    loop {
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
            "Processing up to {SERVER_RECV} bytes at a time from {}",
            PyAddr(sockname)
        )?;
        // Departure from the book: a connection that fails (reset mid-stream, a client
        // killed) is reported in one line, and the server goes on to the next client.
        if let Err(error) = process(sc, out) {
            writeln!(out)?;
            writeln!(
                out,
                "  Connection from {} failed: {error}",
                PyAddr(sockname)
            )?;
        }
    }
}

/// The server's inner `while True:` for one client: echo it back uppercase until EOF.
fn process(mut sc: TcpStream, out: &mut impl Write) -> Result<(), Error> {
    let mut n: u64 = 0;
    let mut data = [0; SERVER_RECV];
    loop {
        let len = match sc.read(&mut data) {
            // The other side is done writing.
            Ok(0) => break,
            Ok(len) => len,
            // Interrupted by a signal: Python retries recv() silently (PEP 475), as here.
            Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
            Err(error) => return Err(error).context(|| "cannot receive"),
        };
        let output = &mut data[..len];
        upper(output);
        sc.write_all(output).context(|| "cannot send")?; // send it back uppercase
        n += len as u64;
        progress(out, n, "bytes processed so far")?;
    }
    writeln!(out)?;
    drop(sc); // sc.close()
    writeln!(out, "  Socket closed")?;
    Ok(())
}

/// `data.decode('ascii').upper().encode('ascii')`, the server's uppercase.
///
/// Departure from the py3 listing, which decodes as ASCII and crashes on any other byte:
/// ASCII letters are uppercased and every other byte passes through unchanged, as
/// Python's `bytes.upper()` (and the book's Python 2 version) does.
pub fn upper(data: &mut [u8]) {
    data.make_ascii_uppercase();
}

/// `message = b'capitalize this!'`: the 16-byte message the client repeats.
pub const MESSAGE: &[u8; 16] = b"capitalize this!";

/// `bytecount = (bytecount + 15) // 16 * 16`, round up to a multiple of 16. Python's
/// integers never overflow; a u64 does for the last 15 values, which round down instead.
pub fn round_up(bytecount: u64) -> u64 {
    match bytecount.checked_next_multiple_of(16) {
        Some(rounded) => rounded,
        None => bytecount / 16 * 16,
    }
}

/// `client(host, port, bytecount)`: sends `bytecount` bytes (rounded up to a multiple of
/// 16), sixteen at a time, then reads back whatever the server sends. (`buffers` is not in
/// the book: see [`Buffers`].)
pub fn client(
    host: &str,
    port: u16,
    bytecount: u64,
    buffers: Buffers,
    out: &mut impl Write,
) -> Result<(), Error> {
    let sock = fopnp::net::socket(host, port, buffers)?; // socket(AF_INET, SOCK_STREAM)
    fopnp::net::print_pinned_buffers(out, sock.as_socket(), buffers)?;
    client_on(|| sock.connect(), bytecount, out, &mut |_| {})
}

/// [`client`] from its `sock.connect((host, port))` step on, with that step passed in, so
/// that tests can keep a handle on the socket and see each piece of data received
/// (`on_data`).
pub fn client_on(
    connect: impl FnOnce() -> Result<TcpStream, Error>,
    bytecount: u64,
    out: &mut impl Write,
    on_data: &mut dyn FnMut(&[u8]),
) -> Result<(), Error> {
    let bytecount = round_up(bytecount); // round up to a multiple of 16
    let message = MESSAGE; // 16-byte message to repeat over and over
    writeln!(
        out,
        "Sending {bytecount} bytes of data, in chunks of 16 bytes"
    )?;
    let mut sock = connect()?;

    let mut sent: u64 = 0;
    while sent < bytecount {
        sock.write_all(message).context(|| "cannot send")?; // sock.sendall(message)
        sent += message.len() as u64;
        progress(out, sent, "bytes sent")?;
    }

    writeln!(out)?;
    sock.shutdown(Shutdown::Write)
        .context(|| "cannot shut down sending")?;

    writeln!(out, "Receiving all the data the server sends back")?;

    let mut received: u64 = 0;
    let mut data = [0; CLIENT_RECV];
    loop {
        let len = match sock.read(&mut data) {
            Ok(len) => len,
            // Interrupted by a signal: Python retries recv() silently (PEP 475), as here.
            Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
            Err(error) => return Err(error).context(|| "cannot receive"),
        };
        if received == 0 {
            writeln!(
                out,
                "  The first data received says {}",
                PyBytes(&data[..len])
            )?;
        }
        if len == 0 {
            break;
        }
        on_data(&data[..len]);
        received += len as u64;
        progress(out, received, "bytes received")?;
    }

    writeln!(out)?;
    drop(sock); // sock.close()
    Ok(())
}

/// Not in the book: the client's stream (`MESSAGE` repeated) laid out so that any part of
/// it is one slice, for page 53's variants, which send it in large writes instead of
/// sixteen bytes at a time. `at(offset, len)` returns up to `chunk` bytes of the endless
/// stream starting at `offset`.
#[derive(Clone, Debug)]
pub struct Pattern {
    bytes: Vec<u8>,
    chunk: usize,
}

impl Pattern {
    /// Slices of up to `chunk` bytes of `MESSAGE` repeated.
    pub fn new(chunk: usize) -> Self {
        Self::of(MESSAGE, chunk)
    }

    /// The same for any 16-byte unit (the expected reply is `of(b"CAPITALIZE THIS!")`).
    pub fn of(unit: &[u8; 16], chunk: usize) -> Self {
        let bytes = unit.iter().copied().cycle().take(chunk + 16).collect();
        Self { bytes, chunk }
    }

    /// The bytes of the stream from `offset`, at most `chunk` and at most `len` of them.
    pub fn at(&self, offset: u64, len: u64) -> &[u8] {
        let start = (offset % 16) as usize;
        let len = len.min(self.chunk as u64) as usize;
        &self.bytes[start..start + len]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_up_to_sixteen() {
        assert_eq!(
            [0, 1, 15, 16, 17, 32].map(round_up),
            [0, 16, 16, 16, 32, 32]
        );
        assert_eq!(round_up(u64::MAX), u64::MAX - 15);
    }

    #[test]
    fn upper_is_pythons_bytes_upper() {
        let mut all: Vec<u8> = (0..=255).collect();
        upper(&mut all);
        for (byte, shown) in (0..=255u8).zip(all) {
            let expected = if byte.is_ascii_lowercase() {
                byte - 32
            } else {
                byte
            };
            assert_eq!(shown, expected, "byte {byte:#04x}");
        }
    }

    #[test]
    fn pattern_slices_anywhere_in_the_stream() {
        let pattern = Pattern::new(40);
        assert_eq!(pattern.at(0, 16), b"capitalize this!");
        assert_eq!(pattern.at(3, 5), b"itali");
        assert_eq!(pattern.at(14, 1000).len(), 40);
        assert_eq!(Pattern::of(b"CAPITALIZE THIS!", 4).at(9, 10), b"E TH");
    }
}
