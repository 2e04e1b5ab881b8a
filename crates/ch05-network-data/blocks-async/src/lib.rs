//! Listing 5-2 the codec way (not in the book): `blocks` on tokio, with the framing done
//! by `tokio_util::codec::LengthDelimitedCodec`. The wire and the printed lines are the
//! book's, so this client and server interoperate with `blocks` in every pairing.
//!
//! ```text
//! $ blocks_async
//! $ blocks_async -c
//! ```
//!
//! Set beside [`blocks`], the hand-written port of the listing:
//!
//! | | `blocks` (the book's shape) | `blocks_async` (the codec way) |
//! |---|---|---|
//! | the header | `recvall(sock, 4)`, `u32::from_be_bytes` | `length_field_length(4)`, big-endian by default |
//! | the block | `recvall(sock, length)`, 64 KiB at a time | the codec waits until the buffer holds it |
//! | a block too long | refused after the header (`--max-block`) | `max_frame_length`: the same limit, the same line |
//! | memory | grows as bytes arrive | the codec reserves room for the whole block when the header arrives: address space, touched only as bytes arrive |
//! | end of file mid-block | `recvall` counts what is missing | the codec only says "bytes remaining on stream"; the count is read off the buffer |
//! | sending | `put_block`: `write_all` twice | `Encoder::encode` prepends the length, one `write_all` |
//! | concurrency | one blocking thread | one task; the same code serves many connections unchanged |
//!
//! The codec keeps each header in the frame (`num_skip(0)`, `length_adjustment(4)`), so
//! that whatever it holds when the stream ends says how many bytes were missing, as the
//! book's `EOFError` does. [`FramedRead`](tokio_util::codec::FramedRead) runs the same
//! read-and-decode loop as [`serve`]; the loop is written out here so that the buffer can
//! be read.
//!
//! # The recorded session
//!
//! `output.txt`, as `cargo xtask run` shows it, kept true by `cargo xtask transcripts --check`:
#![doc = concat!("```text\n", include_str!("../output.txt"), "```")]

use std::future::Future;
use std::io::{self, Write};

use blocks::{BLOCKS, BlockError, HEADER_SIZE};
use bytes::{Bytes, BytesMut};
use fopnp::{Context, Error, PyAddr, PyBytes};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::codec::{Decoder, Encoder, LengthDelimitedCodec};

/// Runs a future on tokio's one-thread runtime, as `main` does.
pub fn block_on<T>(future: impl Future<Output = Result<T, Error>>) -> Result<T, Error> {
    tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()
        .context(|| "cannot start the tokio runtime")?
        .block_on(future)
}

/// The codec for reading: a 4-byte big-endian length, kept in the frame, and at most
/// `max` bytes after it (the codec holds the length field itself to the limit, before
/// the adjustment for the header).
pub fn decoder(max: u32) -> LengthDelimitedCodec {
    LengthDelimitedCodec::builder()
        .length_field_length(HEADER_SIZE)
        .num_skip(0)
        .length_adjustment(HEADER_SIZE as isize)
        .max_frame_length(max as usize)
        .new_codec()
}

/// What the buffer holds when the codec fails or the stream ends: a block too long (the
/// header is still there), or the bytes of the current read that never came.
fn failure(buffer: &[u8], max: u32, error: Option<io::Error>) -> BlockError {
    let have = buffer.len();
    if have < HEADER_SIZE {
        return match error {
            Some(error) => BlockError::Io(error),
            None => BlockError::Eof {
                left: (HEADER_SIZE - have) as u64,
            },
        };
    }
    let length = u32::from_be_bytes([buffer[0], buffer[1], buffer[2], buffer[3]]);
    match error {
        _ if length > max => BlockError::TooLong { length, max },
        Some(error) => BlockError::Io(error),
        None => BlockError::Eof {
            left: u64::from(length) - (have - HEADER_SIZE) as u64,
        },
    }
}

/// `get_block`: the next block, decoded by the codec from what `sock` sends.
pub async fn get_block(
    sock: &mut TcpStream,
    codec: &mut LengthDelimitedCodec,
    buffer: &mut BytesMut,
    max: u32,
) -> Result<Bytes, BlockError> {
    loop {
        match codec.decode(buffer) {
            Ok(Some(frame)) => return Ok(frame.freeze().slice(HEADER_SIZE..)),
            Ok(None) => {}
            Err(error) => return Err(failure(buffer, max, Some(error))),
        }
        match sock.read_buf(buffer).await {
            Ok(0) => return Err(failure(buffer, max, None)),
            Ok(_) => {}
            Err(error) => return Err(BlockError::Io(error)),
        }
    }
}

/// `put_block`: the codec prepends the length; one write sends both.
pub async fn put_block(sock: &mut TcpStream, message: &[u8]) -> io::Result<()> {
    let mut wire = BytesMut::new();
    LengthDelimitedCodec::new().encode(Bytes::copy_from_slice(message), &mut wire)?;
    sock.write_all(&wire).await
}

/// The listing's `server(address)` on tokio: serves one connection and returns at the
/// empty block.
pub async fn server(
    (host, port): (&str, u16),
    max: u32,
    out: &mut impl Write,
) -> Result<(), Error> {
    let listener = fopnp::net::listen(host, port, 1)?;
    listener
        .set_nonblocking(true)
        .context(|| "cannot make the listener nonblocking")?;
    let listener =
        TcpListener::from_std(listener).context(|| "cannot hand the listener to tokio")?;
    serve(listener, max, out).await
}

/// The rest of [`server`], after `bind()` and `listen()`.
pub async fn serve(sock: TcpListener, max: u32, out: &mut impl Write) -> Result<(), Error> {
    writeln!(
        out,
        "Run this script in another window with \"-c\" to connect"
    )?;
    let local = sock
        .local_addr()
        .context(|| "cannot read the socket's name")?;
    writeln!(out, "Listening at {}", PyAddr(local))?;
    let (mut sc, sockname) = sock
        .accept()
        .await
        .context(|| "cannot accept a connection")?;
    writeln!(out, "Accepted connection from {}", PyAddr(sockname))?;
    let failed = || format!("connection from {} failed", PyAddr(sockname));
    sc.shutdown().await.context(failed)?;
    let mut codec = decoder(max);
    let mut buffer = BytesMut::with_capacity(64 * 1024);
    loop {
        let block = get_block(&mut sc, &mut codec, &mut buffer, max)
            .await
            .context(failed)?;
        if block.is_empty() {
            return Ok(());
        }
        writeln!(out, "Block says: {}", PyBytes(&block))?;
    }
}

/// The listing's `client(address)` on tokio: sends the blocks and closes.
pub async fn client((host, port): (&str, u16)) -> Result<(), Error> {
    let sock = fopnp::net::connect(host, port)?;
    sock.shutdown(std::net::Shutdown::Read)
        .context(|| "cannot shut down the receiving side")?;
    sock.set_nonblocking(true)
        .context(|| "cannot make the socket nonblocking")?;
    let mut sock = TcpStream::from_std(sock).context(|| "cannot hand the socket to tokio")?;
    for block in BLOCKS {
        put_block(&mut sock, block)
            .await
            .context(|| format!("cannot send to {host} port {port}"))?;
    }
    sock.shutdown()
        .await
        .context(|| format!("cannot close the connection to {host} port {port}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_codec_keeps_the_header_so_the_missing_bytes_can_be_counted() {
        let mut codec = decoder(8);
        let mut buffer = BytesMut::from(&b"\0\0\0\x03abc\0\0\0\x05ab"[..]);
        let frame = codec.decode(&mut buffer).unwrap().unwrap();
        assert_eq!(&frame[..], b"\0\0\0\x03abc");
        assert!(codec.decode(&mut buffer).unwrap().is_none());
        match failure(&buffer, 8, None) {
            BlockError::Eof { left } => assert_eq!(left, 3),
            other => panic!("{other:?}"),
        }
        let mut too_long = BytesMut::from(&b"\0\0\0\x09"[..]);
        let error = decoder(8).decode(&mut too_long).unwrap_err();
        assert!(matches!(
            failure(&too_long, 8, Some(error)),
            BlockError::TooLong { length: 9, max: 8 }
        ));
        assert!(matches!(
            failure(b"\0\0", 8, None),
            BlockError::Eof { left: 2 }
        ));
    }
}
