//! Foundations of Python Network Programming, Third Edition
//! <https://github.com/brandon-rhodes/fopnp/blob/m/py3/chapter05/blocks.py>
//! Sending data over a stream but delimited as length-prefixed blocks.
//!
//! Listing 5-2. The chapter's second answer to "where does a message end?": say how long
//! it is first. Each block goes out as a 4-byte big-endian length (`struct.Struct('!I')`)
//! and then the bytes; an empty block marks the end. Unlike [Listing
//! 5-1](../streamer/index.html), the connection could carry any number of messages both
//! ways.
//!
//! ```text
//! $ blocks
//! $ blocks -c
//! ```
//!
//! Framing is where network code is attacked, so the port departs from the listing in
//! three places, each marked where it happens:
//!
//! - [`put_block`] writes each whole block (`write_all`). The book's calls `send()` twice
//!   and ignores the counts; a blocking `send()` interrupted by a signal returns short,
//!   and the block would be cut.
//! - [`get_block`] refuses a length above `--max-block` (8 MiB by default, as tokio's
//!   `LengthDelimitedCodec`) before reading or allocating anything for it. The book's
//!   asks `recv()` for whatever the header says, up to 4 GiB.
//! - [`recvall`] reads in bounded pieces, so memory follows the bytes received, not the
//!   bytes promised.
//!
//! # The recorded session
//!
//! `output.txt`, as `cargo xtask run` shows it, kept true by `cargo xtask transcripts --check`:
#![doc = concat!("```text\n", include_str!("../output.txt"), "```")]

use std::fmt;
use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpListener};

use fopnp::{Context, Error, PyAddr, PyBytes};

/// `header_struct = struct.Struct('!I')`: a 4-byte big-endian length, for messages up to
/// 2**32 - 1 bytes.
pub const HEADER_SIZE: usize = 4;

/// The longest block the server accepts unless `--max-block` says otherwise: 8 MiB,
/// `tokio_util::codec::LengthDelimitedCodec`'s default.
pub const MAX_BLOCK: u32 = 8 * 1024 * 1024;

/// How much [`recvall`] asks `recv()` for at a time, at most.
const PIECE: usize = 64 * 1024;

/// Why a block could not be read.
#[derive(Debug)]
pub enum BlockError {
    /// The book's `EOFError`: the socket closed with this many bytes of the current read
    /// (the header, or the block) still missing.
    Eof { left: u64 },
    /// The header promised more than the server accepts.
    TooLong { length: u32, max: u32 },
    /// The connection failed.
    Io(io::Error),
}

impl fmt::Display for BlockError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Eof { left } => write!(f, "socket closed with {left} bytes left in this block"),
            Self::TooLong { length, max } => write!(
                f,
                "a header promises a block of {length} bytes, more than --max-block {max}: refused"
            ),
            Self::Io(error) => write!(f, "{error}"),
        }
    }
}

impl std::error::Error for BlockError {}

/// The listing's `recvall(sock, length)`: exactly `length` bytes, or the book's `EOFError`.
///
/// Departure: it asks `recv()` for at most 64 KiB at a time and grows the block as bytes
/// arrive. The book's asks for everything still missing, so a header saying `ffffffff`
/// makes Python allocate a 4 GiB buffer before a byte has come.
pub fn recvall(sock: &mut impl Read, length: u64) -> Result<Vec<u8>, BlockError> {
    let mut blocks = Vec::new();
    let mut piece = vec![0; PIECE.min(length as usize)];
    let mut left = length;
    while left > 0 {
        let want = piece.len().min(left as usize);
        let n = match sock.read(&mut piece[..want]) {
            Ok(0) => return Err(BlockError::Eof { left }),
            Ok(n) => n,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
            Err(error) => return Err(BlockError::Io(error)),
        };
        left -= n as u64;
        blocks.extend_from_slice(&piece[..n]);
    }
    Ok(blocks)
}

/// The listing's `get_block(sock)`: a header, then that many bytes.
///
/// Departure: a length above `max` is refused at once, while the peer may still hold the
/// connection open; the book's would wait for (and allocate) all of it.
pub fn get_block(sock: &mut impl Read, max: u32) -> Result<Vec<u8>, BlockError> {
    let data = recvall(sock, HEADER_SIZE as u64)?;
    let block_length = u32::from_be_bytes([data[0], data[1], data[2], data[3]]);
    if block_length > max {
        return Err(BlockError::TooLong {
            length: block_length,
            max,
        });
    }
    recvall(sock, u64::from(block_length))
}

/// The listing's `put_block(sock, message)`: the header, then the block.
///
/// Departure: `write_all`, where the book calls `send()` twice and ignores what each
/// returns. A blocking `send()` that a signal interrupts returns the bytes sent so far
/// (3.9 MB of a 64 MiB block when this was measured), and the rest of the block would be
/// lost; `write_all` sends the rest. A block over 4 GiB cannot be framed and is an error.
pub fn put_block(sock: &mut impl Write, message: &[u8]) -> io::Result<()> {
    let block_length = u32::try_from(message.len()).map_err(|_| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            "a block longer than 2**32 - 1 bytes cannot be framed",
        )
    })?;
    sock.write_all(&block_length.to_be_bytes())?;
    sock.write_all(message)
}

/// The listing's `server(address)`: serves one connection, printing each block, and
/// returns at the empty block.
pub fn server((host, port): (&str, u16), max: u32, out: &mut impl Write) -> Result<(), Error> {
    serve(fopnp::net::listen(host, port, 1)?, max, out)
}

/// The rest of [`server`], after `bind()` and `listen()`: for running it on a listener of
/// one's own (the interoperability tests do).
pub fn serve(sock: TcpListener, max: u32, out: &mut impl Write) -> Result<(), Error> {
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
    loop {
        let block = get_block(&mut sc, max)
            .context(|| format!("connection from {} failed", PyAddr(sockname)))?;
        if block.is_empty() {
            return Ok(());
        }
        writeln!(out, "Block says: {}", PyBytes(&block))?;
    }
}

/// The three blocks the client sends, then the empty block that ends them.
pub const BLOCKS: [&[u8]; 4] = [
    b"Beautiful is better than ugly.",
    b"Explicit is better than implicit.",
    b"Simple is better than complex.",
    b"",
];

/// The listing's `client(address)`: sends the blocks and closes, reading nothing.
pub fn client((host, port): (&str, u16)) -> Result<(), Error> {
    let mut sock = fopnp::net::connect(host, port)?;
    sock.shutdown(Shutdown::Read)
        .context(|| "cannot shut down the receiving side")?;
    for block in BLOCKS {
        put_block(&mut sock, block).context(|| format!("cannot send to {host} port {port}"))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reader that returns its bytes in pieces of at most `piece`, then end of file.
    struct Pieces<'a> {
        data: &'a [u8],
        piece: usize,
    }

    impl Read for Pieces<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = self.piece.min(buf.len()).min(self.data.len());
            buf[..n].copy_from_slice(&self.data[..n]);
            self.data = &self.data[n..];
            Ok(n)
        }
    }

    fn wire() -> Vec<u8> {
        let mut wire = Vec::new();
        for block in BLOCKS {
            put_block(&mut wire, block).unwrap();
        }
        wire
    }

    #[test]
    fn the_books_blocks_are_109_bytes_and_read_back_in_any_pieces() {
        let wire = wire();
        assert_eq!(wire.len(), 109);
        assert_eq!(&wire[..4], b"\0\0\0\x1e");
        for piece in [1, 2, 3, 5, 109] {
            let mut sock = Pieces { data: &wire, piece };
            for block in BLOCKS {
                assert_eq!(get_block(&mut sock, MAX_BLOCK).unwrap(), block);
            }
        }
    }

    #[test]
    fn end_of_file_says_how_many_bytes_of_the_current_read_were_missing() {
        let left = |data: &[u8]| match get_block(&mut Pieces { data, piece: 7 }, MAX_BLOCK) {
            Err(BlockError::Eof { left }) => left,
            other => panic!("{other:?}"),
        };
        assert_eq!(left(b""), 4);
        assert_eq!(left(b"\0\0"), 2);
        assert_eq!(left(b"\0\0\0\x64"), 100);
        assert_eq!(left(b"\0\0\0\x64abcd"), 96);
        let error = get_block(
            &mut Pieces {
                data: b"\0\0\0\x64abcd",
                piece: 3,
            },
            MAX_BLOCK,
        )
        .unwrap_err();
        assert_eq!(
            error.to_string(),
            "socket closed with 96 bytes left in this block"
        );
    }

    #[test]
    fn a_length_above_the_limit_is_refused_before_reading_it() {
        let mut sock = Pieces {
            data: b"\xff\xff\xff\xffx",
            piece: 64,
        };
        match get_block(&mut sock, MAX_BLOCK) {
            Err(BlockError::TooLong { length, max }) => {
                assert_eq!((length, max), (u32::MAX, MAX_BLOCK));
            }
            other => panic!("{other:?}"),
        }
        // Nothing past the header was read.
        assert_eq!(sock.data, b"x");
        // At the limit itself a block is read.
        let mut at_limit = vec![0, 0, 0, 3, b'a', b'b', b'c'];
        at_limit.push(0);
        assert_eq!(
            get_block(
                &mut Pieces {
                    data: &at_limit,
                    piece: 64
                },
                3
            )
            .unwrap(),
            b"abc"
        );
    }
}
