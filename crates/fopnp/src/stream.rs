//! Listing 3-2's protocol, shared by `tcp_deadlock` and its threaded and nonblocking
//! variants: the client streams `capitalize this!` over and over, half-closes, and reads
//! back the uppercase.

use std::io::{self, Write};
use std::net::SocketAddr;

use crate::PyAddr;

/// The 16-byte message the client repeats over and over.
pub const MESSAGE: &[u8; 16] = b"capitalize this!";

/// `bytecount = (bytecount + 15) // 16 * 16`, round up to a multiple of 16. Python's
/// integers never overflow; a u64 does for the last 15 values, which round down instead.
pub fn round_up(bytecount: u64) -> u64 {
    match bytecount.checked_next_multiple_of(16) {
        Some(rounded) => rounded,
        None => bytecount / 16 * 16,
    }
}

/// The uppercase the server applies: ASCII letters only, every other byte passed through,
/// as Python's `bytes.upper()` does.
pub fn upper(data: &mut [u8]) {
    data.make_ascii_uppercase();
}

/// The client's stream, laid out so that any part of it is one slice: `MESSAGE` repeated
/// to `chunk + 16` bytes, from which `at(offset, len)` returns the `len` bytes that start
/// at `offset` in the endless stream.
#[derive(Clone, Debug)]
pub struct Pattern {
    bytes: Vec<u8>,
    chunk: usize,
}

impl Pattern {
    /// A pattern that serves slices of up to `chunk` bytes of `MESSAGE` repeated.
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

    /// Whether `data` is exactly the stream's bytes from `offset` on.
    pub fn matches(&self, mut offset: u64, mut data: &[u8]) -> bool {
        while !data.is_empty() {
            let expected = self.at(offset, data.len() as u64);
            if !data.starts_with(expected) {
                return false;
            }
            data = &data[expected.len()..];
            offset += expected.len() as u64;
        }
        true
    }
}

/// The concurrent servers' log: one line when a connection is accepted...
pub fn log_accepted(out: &mut impl Write, recv_size: usize, peer: SocketAddr) -> io::Result<()> {
    writeln!(
        out,
        "Processing up to {recv_size} bytes at a time from {}",
        PyAddr(peer)
    )
}

/// ...and one when it closes (their lines interleave, so each names the peer).
pub fn log_closed(out: &mut impl Write, peer: SocketAddr, processed: u64) -> io::Result<()> {
    writeln!(
        out,
        "  Socket closed: {}, {processed} bytes processed",
        PyAddr(peer)
    )
}

/// A connection that failed ends only itself, in one line.
pub fn log_failed(
    out: &mut impl Write,
    peer: SocketAddr,
    processed: u64,
    error: &dyn std::fmt::Display,
) -> io::Result<()> {
    writeln!(
        out,
        "  Connection from {} failed after {processed} bytes: {error}",
        PyAddr(peer)
    )
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
        assert!(pattern.matches(14, b"s!capitalize this!capitalize this!capitalize"));
        assert!(!pattern.matches(0, b"CAPITALIZE"));
        assert!(Pattern::of(b"CAPITALIZE THIS!", 4).matches(9, b"E THIS!CAPITALIZE THIS!C"));
    }
}
