//! Foundations of Python Network Programming, Third Edition
//! Variant of <https://github.com/brandon-rhodes/fopnp/blob/m/py3/chapter03/tcp_deadlock.py>
//! TCP client and server that avoid the deadlock with nonblocking sockets and poll()
//!
//! Listing 3-2's protocol and command line, one thread on each side: sockets are set
//! nonblocking, and poll() (level-triggered, like the `select.poll()` servers of Chapter
//! 7) says which can be read or written without waiting:
//!
//! ```text
//! $ tcp_nonblocking server ""
//! $ tcp_nonblocking client localhost 1073741824
//! ```
//!
//! # The recorded session
//!
//! `output.txt`, as `cargo xtask run` shows it, kept true by `cargo xtask transcripts --check`:
#![doc = concat!("```text\n", include_str!("../output.txt"), "```")]

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::time::Instant;

use rustix::event::{PollFd, PollFlags};

use fopnp::cli::Buffers;
use fopnp::net::{AcceptFailures, AfterFailure, poll};
use fopnp::progress::{TwoWayProgress, connection_accepted, connection_closed, connection_failed};
use fopnp::{Context, Error, PyAddr};
use tcp_deadlock::{Pattern, round_up, upper};

/// How much the client writes per send() and reads per recv().
pub const CHUNK: usize = 256 * 1024;
/// How much the server reads at a time from one client; also the most it holds for a
/// client that is not reading (its output buffer's bound). Measured with `cargo xtask
/// bench`: 64 KiB reads reached only 0.65–0.8× of the loopback ceiling; 256 KiB, the
/// ceiling's own size, matches it.
pub const SERVER_RECV: usize = 256 * 1024;
/// A concurrent server wants a deeper accept queue than the book's `listen(1)`.
pub const BACKLOG: i32 = 1024;

/// Readiness that means "a read (or write) will not block": the data or space is there,
/// or the peer is gone and the call will return at once with EOF or an error.
const READABLE: PollFlags = PollFlags::IN.union(PollFlags::HUP).union(PollFlags::ERR);
const WRITABLE: PollFlags = PollFlags::OUT.union(PollFlags::HUP).union(PollFlags::ERR);

/// Listens at `(host, port)` and serves every client at once from one poll() loop.
pub fn server(host: &str, port: u16, buffers: Buffers, out: &mut impl Write) -> Result<(), Error> {
    let sock = fopnp::net::listen_with(host, port, BACKLOG, buffers)?;
    writeln!(out, "Listening at {}", PyAddr(sock.local_addr()?))?;
    fopnp::net::print_pinned_buffers(out, &sock, buffers)?;
    serve(&sock, out)
}

/// One client's state between poll() calls.
struct Connection {
    sock: TcpStream,
    peer: SocketAddr,
    /// Uppercased bytes the socket has not taken yet (at most `SERVER_RECV`).
    pending: Vec<u8>,
    /// How much of `pending` has been sent.
    pending_sent: usize,
    /// Whether the client has half-closed: no more to read.
    eof: bool,
    processed: u64,
}

impl Connection {
    /// What to wait for: input only while the output buffer is empty, so that a client
    /// that never reads cannot grow the server's memory; output while bytes await sending.
    fn interest(&self) -> PollFlags {
        if self.pending_sent < self.pending.len() {
            PollFlags::OUT
        } else if !self.eof {
            PollFlags::IN
        } else {
            PollFlags::empty()
        }
    }

    /// Sends what the socket takes from `data`; keeps the rest in `pending`.
    fn send(&mut self, data: &[u8]) -> io::Result<()> {
        let mut done = 0;
        while done < data.len() {
            match self.sock.write(&data[done..]) {
                Ok(n) => done += n,
                // The socket takes no more for now: keep the rest for later.
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => break,
                // Interrupted by a signal: retried, as Python retries send() (PEP 475).
                Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
                Err(error) => return Err(error),
            }
        }
        if done < data.len() {
            self.pending.extend_from_slice(&data[done..]);
        }
        Ok(())
    }

    /// Handles readiness; returns whether the conversation is over.
    fn on_ready(&mut self, ready: PollFlags, scratch: &mut [u8]) -> io::Result<bool> {
        if self.pending_sent < self.pending.len() && ready.intersects(WRITABLE) {
            match self.sock.write(&self.pending[self.pending_sent..]) {
                Ok(n) => self.pending_sent += n,
                // No room after all, or a signal (Python would retry it, PEP 475): the
                // loop polls again either way.
                Err(error)
                    if matches!(
                        error.kind(),
                        io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted
                    ) => {}
                Err(error) => return Err(error),
            }
            if self.pending_sent == self.pending.len() {
                // Drained: give the memory back, so idle clients cost nothing.
                self.pending = Vec::new();
                self.pending_sent = 0;
            }
        } else if !self.eof && ready.intersects(READABLE) {
            match self.sock.read(scratch) {
                // The other side is done writing.
                Ok(0) => self.eof = true,
                Ok(len) => {
                    // ASCII letters uppercased, every other byte passed through.
                    upper(&mut scratch[..len]);
                    self.processed += len as u64;
                    self.send(&scratch[..len])?; // send it back uppercase, or keep it
                }
                // Nothing there yet after all: not EOF, just "would block".
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => {}
                // A signal: the loop polls and reads again (Python retries, PEP 475).
                Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
                Err(error) => return Err(error),
            }
        }
        Ok(self.eof && self.pending.is_empty())
    }
}

/// The poll() loop over an already listening socket and every connection. Returns only
/// when the listening socket itself fails (closed or shut down).
pub fn serve(sock: &TcpListener, out: &mut impl Write) -> Result<(), Error> {
    sock.set_nonblocking(true)
        .context(|| "cannot make the listening socket nonblocking")?;
    let mut connections: Vec<Connection> = Vec::new();
    let mut scratch = vec![0; SERVER_RECV];
    let mut failures = AcceptFailures::new("  ");
    // While out of file descriptors, the listener stays readable (the connection waits in
    // the backlog), so polling it would wake this loop at once, over and over: it is left
    // out of the poll set until this moment, and the open connections run at full speed.
    let mut paused_until: Option<Instant> = None;
    loop {
        let listening = paused_until.is_none_or(|until| Instant::now() >= until);
        let timeout = paused_until.map(|until| until.saturating_duration_since(Instant::now()));
        // Wait until the listener or some connection is ready.
        let ready: Vec<PollFlags> = {
            let mut fds = Vec::with_capacity(connections.len() + 1);
            let listener_interest = if listening {
                PollFlags::IN
            } else {
                PollFlags::empty()
            };
            fds.push(PollFd::new(sock, listener_interest));
            fds.extend(
                connections
                    .iter()
                    .map(|c| PollFd::new(&c.sock, c.interest())),
            );
            poll(&mut fds, timeout).context(|| "poll() failed")?; // retried after a signal
            fds.iter().map(PollFd::revents).collect()
        };

        // Serve the connections that are ready; drop those that are done or failed.
        let mut index = 0;
        connections.retain_mut(|conn| {
            index += 1;
            let flags = ready[index];
            if flags.is_empty() {
                return true;
            }
            let _ = match conn.on_ready(flags, &mut scratch) {
                Ok(false) => return true,
                Ok(true) => connection_closed(out, conn.peer, conn.processed),
                // A connection that fails ends only itself.
                Err(error) => connection_failed(out, conn.peer, conn.processed, &error),
            };
            false
        });

        // Accept every connection that is waiting (after a pause, try once more: the
        // listener was not polled).
        let paused_over = paused_until.is_some_and(|until| Instant::now() >= until);
        if !ready[0].is_empty() || paused_over {
            paused_until = None;
            loop {
                let (sc, sockname) = match sock.accept() {
                    Ok(accepted) => accepted,
                    // Nothing (more) waiting: not an error on a nonblocking socket (and a
                    // sign that descriptors are there again).
                    Err(error) if error.kind() == io::ErrorKind::WouldBlock => {
                        failures.working(out)?;
                        break;
                    }
                    // Departure from the book's servers, which die when accept() fails:
                    // this one reports it and keeps serving, pausing (see above) while out
                    // of file descriptors.
                    Err(error) => {
                        if let AfterFailure::Pause(pause) = failures.failed(error, out)? {
                            paused_until = Some(Instant::now() + pause);
                        }
                        break;
                    }
                };
                failures.working(out)?;
                if let Err(error) = sc.set_nonblocking(true) {
                    connection_failed(out, sockname, 0, &error)?;
                    continue;
                }
                connection_accepted(out, SERVER_RECV, sockname)?;
                connections.push(Connection {
                    sock: sc,
                    peer: sockname,
                    pending: Vec::new(),
                    pending_sent: 0,
                    eof: false,
                    processed: 0,
                });
            }
        }
    }
}

/// Sends `bytecount` bytes (rounded up to a multiple of 16) while reading back everything
/// the server sends, from one thread, never blocking in either.
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
    sock.set_nonblocking(true)
        .context(|| "cannot make the socket nonblocking")?;

    writeln!(
        out,
        "Receiving all the data the server sends back, while sending"
    )?;

    let pattern = Pattern::new(CHUNK);
    let mut data = vec![0; CHUNK];
    let (mut sent, mut received): (u64, u64) = (0, 0);
    let mut progress = TwoWayProgress::default();
    if bytecount == 0 {
        sock.shutdown(Shutdown::Write)
            .context(|| "cannot shut down sending")?;
    }
    loop {
        // This is what avoids the deadlock: wait for *either* direction, so replies are
        // read as soon as they come, even while there is more to send.
        let want = if sent < bytecount {
            PollFlags::IN | PollFlags::OUT
        } else {
            PollFlags::IN
        };
        let mut fds = [PollFd::new(&sock, want)];
        poll(&mut fds, None).context(|| "poll() failed")?; // retried after a signal
        let ready = fds[0].revents();

        if sent < bytecount && ready.intersects(WRITABLE) {
            match sock.write(pattern.at(sent, bytecount - sent)) {
                Ok(n) => sent += n as u64,
                // No room after all: poll again.
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => {}
                // A signal: the loop sends again (Python retries, PEP 475).
                Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
                Err(error) => return Err(error).context(|| "cannot send"),
            }
            if sent == bytecount {
                // After the last byte: the server reads EOF.
                sock.shutdown(Shutdown::Write)
                    .context(|| "cannot shut down sending")?;
            }
        }
        if ready.intersects(READABLE) {
            match sock.read(&mut data) {
                // The other side is done writing.
                Ok(0) => break,
                Ok(len) => {
                    on_data(&data[..len]);
                    received += len as u64;
                }
                // Nothing there yet: not EOF, just "would block".
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => {}
                // A signal: the loop reads again (Python retries, PEP 475).
                Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
                Err(error) => return Err(error).context(|| "cannot receive"),
            }
        }
        progress.update(out, sent, received)?;
    }
    if sent < bytecount {
        return Err(Error::msg(format!(
            "the server closed the connection after {sent} of {bytecount} bytes were sent"
        )));
    }

    progress.finish(out, sent, received)?;
    drop(sock); // sock.close()
    Ok(())
}
