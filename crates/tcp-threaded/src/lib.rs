//! Foundations of Python Network Programming, Third Edition
//! Variant of https://github.com/brandon-rhodes/fopnp/blob/m/py3/chapter03/tcp_deadlock.py
//! TCP client and server that avoid the deadlock with threads, as page 53 suggests
//!
//! Listing 3-2's protocol and command line, but the client sends from one thread while
//! its main thread receives, and the server gives each client a thread of its own:
//!
//! ```text
//! $ tcp_threaded server ""
//! $ tcp_threaded client localhost 1073741824
//! ```

use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread;

use fopnp::progress::TwoWayProgress;
use fopnp::stream::{self, Pattern, round_up, upper};
use fopnp::{Context, Error, PyAddr};

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
pub fn server(host: &str, port: u16, mut out: impl Write + Send + 'static) -> Result<(), Error> {
    let sock = fopnp::net::listen(host, port, BACKLOG)?;
    writeln!(out, "Listening at {}", PyAddr(sock.local_addr()?))?;
    serve(&sock, out)
}

/// The accept loop over an already listening socket. Returns only when the listening
/// socket itself fails (closed or shut down).
pub fn serve(sock: &TcpListener, out: impl Write + Send + 'static) -> Result<(), Error> {
    // The connection threads share the log; each writes whole lines under the lock.
    let out = Arc::new(Mutex::new(out));
    loop {
        // Not fopnp::net::accept(sock, &mut *lock(&out)): that would hold the log's lock
        // while waiting for a client, and no connection could log its close meanwhile.
        let (sc, sockname) = match sock.accept() {
            Ok(accepted) => accepted,
            Err(error) => {
                fopnp::net::accept_failed(error, &mut *lock(&out))?;
                continue;
            }
        };
        stream::log_accepted(&mut *lock(&out), SERVER_RECV, sockname)?;
        let log = Arc::clone(&out);
        let spawned = thread::Builder::new()
            .stack_size(CONNECTION_STACK)
            .spawn(move || {
                let mut n = 0;
                let result = process(sc, &mut n);
                let mut out = lock(&log);
                // A failing connection ends only itself.
                let _ = match result {
                    Ok(()) => stream::log_closed(&mut *out, sockname, n),
                    Err(error) => stream::log_failed(&mut *out, sockname, n, &error),
                };
            });
        if let Err(error) = spawned {
            stream::log_failed(&mut *lock(&out), sockname, 0, &error)?;
        }
    }
}

/// The shared log, even if a thread panicked while holding it.
fn lock<W>(out: &Mutex<W>) -> MutexGuard<'_, W> {
    out.lock().unwrap_or_else(PoisonError::into_inner)
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
pub fn client(host: &str, port: u16, bytecount: u64, out: &mut impl Write) -> Result<(), Error> {
    client_on(
        || fopnp::net::connect(host, port),
        bytecount,
        out,
        &mut |_| {},
    )
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
            Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
            Err(error) => return Err(error),
        }
    }
    sock.shutdown(Shutdown::Write) // after the last byte: the server reads EOF
}
