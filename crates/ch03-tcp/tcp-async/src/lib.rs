//! Foundations of Python Network Programming, Third Edition
//! Variant of <https://github.com/brandon-rhodes/fopnp/blob/m/py3/chapter03/tcp_deadlock.py>
//! TCP client and server that avoid the deadlock with async tasks, the way a Rust
//! programmer reaches for first
//!
//! Listing 3-2's protocol and command line on tokio's single-threaded runtime. The client
//! splits its socket into a reading half and a writing half and drives both at once in
//! one task (`tokio::try_join!`): whenever a send would block, the runtime reads instead,
//! so the replies never pile up and the deadlock of page 53 cannot happen. It is page 53's
//! way out (a), nonblocking sockets and `poll()`, with the bookkeeping done by the
//! runtime. The server spawns a task per connection, each reading and echoing at most
//! `SERVER_RECV` bytes at a time, so a client that never reads costs it one buffer.
//!
//! ```text
//! $ tcp_async server ""
//! $ tcp_async client localhost 1073741824
//! ```
//!
//! # The recorded session
//!
//! `output.txt`, as `cargo xtask run` shows it, kept true by `cargo xtask transcripts --check`:
#![doc = concat!("```text\n", include_str!("../output.txt"), "```")]

use std::io::{self, Write};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};

use fopnp::cli::Buffers;
use fopnp::net::{AcceptFailures, AfterFailure};
use fopnp::progress::{TwoWayProgress, connection_accepted, connection_closed, connection_failed};
use fopnp::{Context, Error, Log, PyAddr, logln};
use tcp_deadlock::{Pattern, round_up, upper};

/// How much the client writes per send() and reads per recv().
pub const CHUNK: usize = 256 * 1024;
/// How much the server reads at a time from one client, and so the most it holds for a
/// client that does not read its replies.
pub const SERVER_RECV: usize = 256 * 1024;
/// A concurrent server wants a deeper accept queue than the book's `listen(1)`.
pub const BACKLOG: i32 = 1024;

/// A current-thread runtime: one thread, as the book's event loops have.
fn runtime() -> Result<tokio::runtime::Runtime, Error> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context(|| "cannot start the runtime")
}

/// Listens at `(host, port)` and serves every client at once, a task each.
pub fn server(host: &str, port: u16, buffers: Buffers, log: Log) -> Result<(), Error> {
    let sock = fopnp::net::listen_with(host, port, BACKLOG, buffers)?;
    logln!(log, "Listening at {}", PyAddr(sock.local_addr()?))?;
    fopnp::net::print_pinned_buffers(&mut **log.lock(), &sock, buffers)?;
    serve(sock, log)
}

/// The accept loop over an already listening socket, on its own runtime. Returns only
/// when the listening socket itself fails, or the log cannot be written.
pub fn serve(sock: std::net::TcpListener, log: Log) -> Result<(), Error> {
    runtime()?.block_on(async move {
        sock.set_nonblocking(true)?;
        let sock = TcpListener::from_std(sock)?;
        let mut failures = AcceptFailures::new("  ");
        loop {
            let (sc, sockname) = match sock.accept().await {
                Ok(accepted) => accepted,
                // Departure from Listing 3-2's server, which dies when accept() fails:
                // this one reports it and keeps serving; while out of file descriptors it
                // waits a moment before accepting again, and the open connections' tasks
                // run meanwhile.
                Err(error) => {
                    let after = failures.failed(error, &mut **log.lock())?;
                    if let AfterFailure::Pause(pause) = after {
                        tokio::time::sleep(pause).await;
                    }
                    continue;
                }
            };
            failures.working(&mut **log.lock())?;
            connection_accepted(&mut **log.lock(), SERVER_RECV, sockname)?;
            let log = log.clone();
            tokio::spawn(async move {
                let mut n = 0;
                let result = process(sc, &mut n).await;
                let mut out = log.lock();
                // A failing connection ends only itself.
                let _ = match result {
                    Ok(()) => connection_closed(&mut **out, sockname, n),
                    Err(error) => connection_failed(&mut **out, sockname, n, &error),
                };
                let _ = out.flush();
            });
        }
    })
}

/// One client's conversation, as its own task: echo it back uppercase until EOF, counting
/// the bytes processed in `n`.
async fn process(mut sc: TcpStream, n: &mut u64) -> io::Result<()> {
    let mut data = vec![0; SERVER_RECV];
    loop {
        let len = sc.read(&mut data).await?;
        if len == 0 {
            // The other side is done writing: close, which the client reads as EOF.
            return sc.shutdown().await;
        }
        upper(&mut data[..len]); // ASCII letters uppercased, every other byte passed through
        sc.write_all(&data[..len]).await?; // waits while the client does not read
        *n += len as u64;
    }
}

/// Sends `bytecount` bytes (rounded up to a multiple of 16) while reading back everything
/// the server sends, from one task that drives both halves of the socket at once.
pub fn client(
    host: &str,
    port: u16,
    bytecount: u64,
    buffers: Buffers,
    out: &mut impl Write,
) -> Result<(), Error> {
    let sock = fopnp::net::socket(host, port, buffers)?;
    fopnp::net::print_pinned_buffers(out, sock.as_socket(), buffers)?;
    client_on(|| sock.connect(), bytecount, out, &mut |_| {})
}

/// [`client`] with its connect step passed in, so that tests can keep a handle on the
/// socket and see each piece of data received (`on_data`).
pub fn client_on(
    connect: impl FnOnce() -> Result<std::net::TcpStream, Error>,
    bytecount: u64,
    out: &mut impl Write,
    on_data: &mut dyn FnMut(&[u8]),
) -> Result<(), Error> {
    let bytecount = round_up(bytecount); // round up to a multiple of 16
    writeln!(
        out,
        "Sending {bytecount} bytes of data, in chunks of {CHUNK} bytes"
    )?;
    let sock = connect()?;
    writeln!(
        out,
        "Receiving all the data the server sends back, while sending"
    )?;
    runtime()?.block_on(async move {
        sock.set_nonblocking(true)?;
        let (reader, writer) = TcpStream::from_std(sock)?.into_split();
        let mut progress = TwoWayProgress::default();
        let sent = std::cell::Cell::new(0);
        // This is what avoids the deadlock: both halves at once, so replies are read as
        // soon as they come, even while there is more to send.
        let (_, received) = tokio::try_join!(
            send_all(writer, bytecount, &sent),
            receive_all(reader, &sent, &mut progress, out, on_data),
        )?;
        progress.finish(out, sent.get(), received)?;
        Ok(())
    })
}

/// The sending half: the `capitalize this!` stream in large writes, then half-close.
async fn send_all(
    mut writer: OwnedWriteHalf,
    bytecount: u64,
    sent: &std::cell::Cell<u64>,
) -> Result<(), Error> {
    let pattern = Pattern::new(CHUNK);
    while sent.get() < bytecount {
        let n = writer
            .write(pattern.at(sent.get(), bytecount - sent.get()))
            .await
            .context(|| "cannot send")?;
        sent.set(sent.get() + n as u64);
    }
    // After the last byte: the server reads EOF.
    writer
        .shutdown()
        .await
        .context(|| "cannot shut down sending")
}

/// The receiving half: everything the server sends, until it closes.
async fn receive_all(
    mut reader: OwnedReadHalf,
    sent: &std::cell::Cell<u64>,
    progress: &mut TwoWayProgress,
    out: &mut impl Write,
    on_data: &mut dyn FnMut(&[u8]),
) -> Result<u64, Error> {
    let mut data = vec![0; CHUNK];
    let mut received = 0;
    loop {
        let len = reader.read(&mut data).await.context(|| "cannot receive")?;
        if len == 0 {
            // The other side is done writing.
            return Ok(received);
        }
        on_data(&data[..len]);
        received += len as u64;
        progress.update(out, sent.get().max(received), received)?;
    }
}
