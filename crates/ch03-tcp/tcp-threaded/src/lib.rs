//! Foundations of Python Network Programming, Third Edition
//! Variant of <https://github.com/brandon-rhodes/fopnp/blob/m/py3/chapter03/tcp_deadlock.py>
//! TCP client and server that avoid the deadlock with threads, as page 53 suggests
//!
//! Listing 3-2's protocol and command line, but the client sends from one thread while
//! its main thread receives, and the server gives each client a thread of its own:
//!
//! ```text
//! $ tcp_threaded server ""
//! $ tcp_threaded client localhost 1073741824
//! ```
//!
//! # The recorded session
//!
//! `output.txt`, as `cargo xtask run` shows it, kept true by `cargo xtask transcripts --check`:
#![doc = concat!("```text\n", include_str!("../output.txt"), "```")]

use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread;

use fopnp::cli::Buffers;
use fopnp::net::{AcceptFailures, AfterFailure};
use fopnp::progress::{TwoWayProgress, connection_accepted, connection_closed, connection_failed};
use fopnp::{Context, Error, Log, PyAddr, logln};
use tcp_deadlock::{Pattern, round_up, upper};

/// How much the client writes per send() and reads per recv().
pub const CHUNK: usize = 256 * 1024;
/// How much the server reads at a time from each client. Measured with `cargo xtask
/// bench`: 64 KiB reads reached only 0.65–0.8× of the loopback ceiling; 256 KiB, the
/// ceiling's own size, matches it.
pub const SERVER_RECV: usize = 256 * 1024;
/// A concurrent server wants a deeper accept queue than the book's `listen(1)`.
pub const BACKLOG: i32 = 1024;
/// Stack for each connection's thread: it holds no large buffer (those are on the heap).
const CONNECTION_STACK: usize = 128 * 1024;

/// Listens at `(host, port)` and serves every client at once, a thread each.
pub fn server(host: &str, port: u16, buffers: Buffers, log: Log) -> Result<(), Error> {
    let sock = fopnp::net::listen_with(host, port, BACKLOG, buffers)?;
    logln!(log, "Listening at {}", PyAddr(sock.local_addr()?))?;
    fopnp::net::print_pinned_buffers(&mut **log.lock(), &sock, buffers)?;
    serve(&sock, log)
}

/// The accept loop over an already listening socket. Returns only when the listening
/// socket itself fails (closed or shut down), or the log cannot be written.
pub fn serve(sock: &TcpListener, log: Log) -> Result<(), Error> {
    // The connection threads share the log; each writes whole lines.
    let mut failures = AcceptFailures::new("  ");
    loop {
        // The log is not locked while accept() waits, so connections can log meanwhile.
        let (sc, sockname) = match sock.accept() {
            Ok(accepted) => accepted,
            // Departure from Listing 3-2's server, which dies when accept() fails: this
            // one reports it and keeps serving (pausing while out of file descriptors).
            Err(error) => {
                if let AfterFailure::Pause(pause) = failures.failed(error, &mut **log.lock())? {
                    thread::sleep(pause);
                }
                continue;
            }
        };
        failures.working(&mut **log.lock())?;
        connection_accepted(&mut **log.lock(), SERVER_RECV, sockname)?;
        let their_log = log.clone();
        let spawned = thread::Builder::new()
            .stack_size(CONNECTION_STACK)
            .spawn(move || {
                let mut n = 0;
                let result = process(sc, &mut n);
                let mut out = their_log.lock();
                // A failing connection ends only itself.
                let _ = match result {
                    Ok(()) => connection_closed(&mut **out, sockname, n),
                    Err(error) => connection_failed(&mut **out, sockname, n, &error),
                };
                let _ = out.flush();
            });
        if let Err(error) = spawned {
            connection_failed(&mut **log.lock(), sockname, 0, &error)?;
        }
    }
}

/// One client's conversation, on its own thread: echo it back uppercase until EOF,
/// counting the bytes processed in `n`.
fn process(mut sc: TcpStream, n: &mut u64) -> io::Result<()> {
    let mut data = vec![0; SERVER_RECV];
    loop {
        let len = match sc.read(&mut data) {
            // The other side is done writing.
            Ok(0) => return Ok(()),
            Ok(len) => len,
            // Interrupted by a signal: retried, as Python retries recv() (PEP 475).
            Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
            Err(error) => return Err(error),
        };
        // ASCII letters uppercased, every other byte passed through (bytes.upper()).
        upper(&mut data[..len]);
        sc.write_all(&data[..len])?; // send it back uppercase
        *n += len as u64;
    }
}

/// Sends `bytecount` bytes (rounded up to a multiple of 16) from one thread while this
/// one reads back everything the server sends.
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
    connect: impl FnOnce() -> Result<TcpStream, Error>,
    bytecount: u64,
    out: &mut impl Write,
    on_data: &mut dyn FnMut(&[u8]),
) -> Result<(), Error> {
    let bytecount = round_up(bytecount); // round up to a multiple of 16
    writeln!(
        out,
        "Sending {bytecount} bytes of data, in chunks of {CHUNK} bytes"
    )?;
    let mut sock = connect()?;

    // This is what avoids the deadlock: a second thread does all the sending, so this one
    // is free to read the replies as they come and the buffers never fill up.
    let sent = Arc::new(AtomicU64::new(0));
    let sender = {
        let sock = sock.try_clone().context(|| "cannot share the socket")?;
        let sent = Arc::clone(&sent);
        thread::spawn(move || send_all(sock, bytecount, &sent))
    };

    writeln!(
        out,
        "Receiving all the data the server sends back, while sending"
    )?;

    let mut received: u64 = 0;
    let mut progress = TwoWayProgress::default();
    let mut data = vec![0; CHUNK];
    let received_all = loop {
        match sock.read(&mut data) {
            // The other side is done writing.
            Ok(0) => break Ok(()),
            Ok(len) => {
                on_data(&data[..len]);
                received += len as u64;
                // The sender counts a write once it returns, so a reply can arrive first;
                // every byte received was sent, so that is the least that has been.
                let sent = sent.load(Ordering::Relaxed).max(received);
                progress.update(out, sent, received)?;
            }
            // Interrupted by a signal: retried, as Python retries recv() (PEP 475).
            Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
            Err(error) => break Err(error).context(|| "cannot receive"),
        }
    };
    // If the server stopped early, the sender may still be blocked: wake it.
    if received_all.is_err() || !sender.is_finished() {
        let _ = sock.shutdown(Shutdown::Both);
    }
    let sent_all = sender
        .join()
        .map_err(|_| Error::msg("the sending thread panicked"))?;
    received_all?;
    sent_all.context(|| "cannot send")?;

    progress.finish(out, sent.load(Ordering::Relaxed), received)?;
    drop(sock); // sock.close()
    Ok(())
}

/// The sending thread: the `capitalize this!` stream in large writes, then half-close.
fn send_all(mut sock: TcpStream, bytecount: u64, sent: &AtomicU64) -> io::Result<()> {
    let pattern = Pattern::new(CHUNK);
    let mut total: u64 = 0;
    while total < bytecount {
        match sock.write(pattern.at(total, bytecount - total)) {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(n) => {
                total += n as u64;
                sent.store(total, Ordering::Relaxed);
            }
            // Interrupted by a signal: retried, as Python retries send() (PEP 475).
            Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
            Err(error) => return Err(error),
        }
    }
    sock.shutdown(Shutdown::Write) // after the last byte: the server reads EOF
}
