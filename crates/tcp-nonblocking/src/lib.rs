//! Foundations of Python Network Programming, Third Edition
//! Variant of https://github.com/brandon-rhodes/fopnp/blob/m/py3/chapter03/tcp_deadlock.py
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

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};

use rustix::event::{PollFd, PollFlags, poll};

use fopnp::progress::TwoWayProgress;
use fopnp::stream::{self, Pattern, round_up, upper};
use fopnp::{Context, Error, PyAddr};

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

/// Waits in poll() until one of `fds` is ready; a signal's interruption just waits again.
fn wait(fds: &mut [PollFd<'_>]) -> io::Result<()> {
    loop {
        match poll(fds, None) {
            Ok(_) => return Ok(()),
            Err(rustix::io::Errno::INTR) => continue,
            Err(errno) => return Err(errno.into()),
        }
    }
}

/// Listens at `(host, port)` and serves every client at once from one poll() loop.
pub fn server(host: &str, port: u16, out: &mut impl Write) -> Result<(), Error> {
    let sock = fopnp::net::listen(host, port, BACKLOG)?;
    writeln!(out, "Listening at {}", PyAddr(sock.local_addr()?))?;
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
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => break,
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
    loop {
        // Wait until the listener or some connection is ready.
        let ready: Vec<PollFlags> = {
            let mut fds = Vec::with_capacity(connections.len() + 1);
            fds.push(PollFd::new(sock, PollFlags::IN));
            fds.extend(
                connections
                    .iter()
                    .map(|c| PollFd::new(&c.sock, c.interest())),
            );
            wait(&mut fds).context(|| "poll() failed")?;
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
            let result = match conn.on_ready(flags, &mut scratch) {
                Ok(false) => return true,
                Ok(true) => stream::log_closed(out, conn.peer, conn.processed),
                // A connection that fails ends only itself.
                Err(error) => stream::log_failed(out, conn.peer, conn.processed, &error),
            };
            let _ = result;
            false
        });

        // Accept every connection that is waiting.
        if !ready[0].is_empty() {
            loop {
                let (sc, sockname) = match sock.accept() {
                    Ok(accepted) => accepted,
                    Err(error) if error.kind() == io::ErrorKind::WouldBlock => break,
                    Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
                    Err(error) => {
                        fopnp::net::accept_failed(error, out)?;
                        break;
                    }
                };
                if let Err(error) = sc.set_nonblocking(true) {
                    stream::log_failed(out, sockname, 0, &error)?;
                    continue;
                }
                stream::log_accepted(out, SERVER_RECV, sockname)?;
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
        wait(&mut fds).context(|| "poll() failed")?;
        let ready = fds[0].revents();

        if sent < bytecount && ready.intersects(WRITABLE) {
            match sock.write(pattern.at(sent, bytecount - sent)) {
                Ok(n) => sent += n as u64,
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => {}
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
