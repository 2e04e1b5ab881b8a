//! Foundations of Python Network Programming, Third Edition
//! <https://github.com/brandon-rhodes/fopnp/blob/m/py3/chapter07/srv_async.py>
//! Asynchronous I/O driven directly by the poll() system call.
//!
//! Listing 7-6: one thread serves every client from one `poll()` loop. Sockets are
//! nonblocking; dictionaries keyed by socket hold each client's address, the bytes
//! received so far and the bytes still to send; a socket is polled for input until its
//! question is complete, then for output until its answer is sent, then for input again.
//! Python's `select.poll()` object is [`Poll`] here, over rustix's `poll()`
//! (level-triggered, as Python's is).
//!
//! One loop serves everyone, so anything slow inside it stalls everyone: with `--delay`,
//! the sleep in `get_answer` blocks the whole server, as the book's would.
//!
//! ```text
//! $ srv_async localhost
//! $ zen_client localhost
//! ```
//!
//! # The recorded session
//!
//! `output.txt`, as `cargo xtask run` shows it, kept true by `cargo xtask transcripts --check`:
#![doc = concat!("```text\n", include_str!("../output.txt"), "```")]

use std::collections::{BTreeMap, HashMap};
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::rc::Rc;
use std::time::{Duration, Instant};

use rustix::event::{PollFd, PollFlags};

use fopnp::net::{AcceptFailures, AfterFailure};
use fopnp::{Error, Log, PyAddr, PyBytes, logln};
use zen_utils::Address;

/// A socket in the server's dictionaries: the listener, or a client's connection.
#[derive(Debug)]
pub enum Sock {
    Listener(TcpListener),
    Client(TcpStream),
}

impl AsFd for Sock {
    fn as_fd(&self) -> BorrowedFd<'_> {
        match self {
            Self::Listener(listener) => listener.as_fd(),
            Self::Client(stream) => stream.as_fd(),
        }
    }
}

/// Python's `select.poll()` object: sockets registered with the events wanted, and
/// `poll()` returning `(fd, event)` pairs. A registered socket is held open until it is
/// unregistered, so a descriptor in the poll set always names the socket registered.
#[derive(Default)]
pub struct Poll {
    registered: BTreeMap<RawFd, (Rc<Sock>, PollFlags)>,
}

impl Poll {
    pub fn new() -> Self {
        Self::default()
    }

    /// `poll_object.register(sock, events)`.
    pub fn register(&mut self, sock: &Rc<Sock>, events: PollFlags) {
        self.registered
            .insert(sock.as_fd().as_raw_fd(), (Rc::clone(sock), events));
    }

    /// `poll_object.modify(sock, events)`.
    pub fn modify(&mut self, fd: RawFd, events: PollFlags) {
        if let Some((_, wanted)) = self.registered.get_mut(&fd) {
            *wanted = events;
        }
    }

    /// `poll_object.unregister(fd)`.
    pub fn unregister(&mut self, fd: RawFd) {
        self.registered.remove(&fd);
    }

    /// `poll_object.poll(timeout)`: waits until some registered socket is ready (or
    /// `timeout` passes) and returns the ready ones with their events.
    pub fn poll(&mut self, timeout: Option<Duration>) -> io::Result<Vec<(RawFd, PollFlags)>> {
        let mut fds: Vec<PollFd<'_>> = self
            .registered
            .values()
            .map(|(sock, events)| PollFd::new(&**sock, *events))
            .collect();
        // Retried after a signal, as Python's is (PEP 475).
        fopnp::net::poll(&mut fds, timeout)?;
        Ok(fds
            .iter()
            .zip(self.registered.keys())
            .filter(|(fd, _)| !fd.revents().is_empty())
            .map(|(fd, raw)| (*raw, fd.revents()))
            .collect())
    }
}

/// How many pending connections one wakeup of the listener accepts at most: the backlog
/// of `zen_utils::create_srv_socket`, so that a full listen queue empties in one round
/// while the clients already connected still get their turn.
pub const ACCEPT_BATCH: usize = 64;

/// `serve(listener)`: the poll() loop over the listener and every client. Returns only
/// when the listening socket fails or the log cannot be written.
///
/// On each wakeup of the listener it accepts up to [`ACCEPT_BATCH`] pending connections,
/// where the book's accepts one.
pub fn serve(listener: TcpListener, log: &Log) -> Result<(), Error> {
    // Not in the book: the listener is nonblocking too, so that a connection reset
    // between poll() and accept() cannot block the one loop in accept().
    listener.set_nonblocking(true)?;
    let listener = Rc::new(Sock::Listener(listener));
    let listener_fd = listener.as_fd().as_raw_fd();
    let mut sockets: HashMap<RawFd, Rc<Sock>> =
        HashMap::from([(listener_fd, Rc::clone(&listener))]);
    let mut addresses: HashMap<RawFd, SocketAddr> = HashMap::new();
    let mut bytes_received: HashMap<RawFd, Vec<u8>> = HashMap::new();
    let mut bytes_to_send: HashMap<RawFd, Vec<u8>> = HashMap::new();

    let mut poll_object = Poll::new();
    poll_object.register(&listener, PollFlags::IN);

    let mut failures = AcceptFailures::default();
    // While out of file descriptors the listener is left out of the poll set until then.
    let mut paused_until: Option<Instant> = None;

    // for fd, event in all_events_forever(poll_object):
    loop {
        let timeout = paused_until.map(|until| until.saturating_duration_since(Instant::now()));
        if paused_until.is_some_and(|until| Instant::now() >= until) {
            paused_until = None;
            poll_object.modify(listener_fd, PollFlags::IN);
        }
        for (fd, event) in poll_object.poll(timeout)? {
            // A socket closed earlier in this round is gone from every dictionary.
            let Some(sock) = sockets.get(&fd).cloned() else {
                continue;
            };
            let mut dicts = Dicts {
                sockets: &mut sockets,
                addresses: &mut addresses,
                bytes_received: &mut bytes_received,
                bytes_to_send: &mut bytes_to_send,
                poll_object: &mut poll_object,
                log,
            };

            // Socket closed: remove it from our data structures.
            if event.intersects(PollFlags::HUP | PollFlags::ERR | PollFlags::NVAL) {
                if fd == listener_fd {
                    return Err(Error::msg("the listening socket was shut down"));
                }
                dicts.closed(fd)?;
            }
            // New socket: add it to our data structures.
            else if let Sock::Listener(listening) = &*sock {
                // Departure from the book, which accepts one connection per wakeup: under
                // a thousand clients, those not yet accepted wait in the listen queue
                // behind those being served, the queue (64) overflows, and the kernel
                // drops their SYNs. This accepts what is pending, up to ACCEPT_BATCH.
                for _ in 0..ACCEPT_BATCH {
                    let (sock, address) = match listening.accept() {
                        Ok(accepted) => accepted,
                        // Nothing more pending (or gone between poll() and accept()).
                        Err(error) if error.kind() == io::ErrorKind::WouldBlock => {
                            failures.working(&mut **log.lock())?;
                            break;
                        }
                        // Departure from the book: Python's server dies when accept()
                        // fails; this one reports it and keeps serving, leaving the
                        // listener out of the poll set for a moment while out of file
                        // descriptors.
                        Err(error) => {
                            let after = failures.failed(error, &mut **log.lock())?;
                            if let AfterFailure::Pause(pause) = after {
                                paused_until = Some(Instant::now() + pause);
                                dicts.poll_object.modify(listener_fd, PollFlags::empty());
                            }
                            break;
                        }
                    };
                    failures.working(&mut **log.lock())?;
                    logln!(log, "Accepted connection from {}", PyAddr(address))?;
                    if let Err(error) = sock.set_nonblocking(true) {
                        logln!(log, "Client {} error: {error}", PyAddr(address))?;
                        continue;
                    }
                    let sock = Rc::new(Sock::Client(sock));
                    let fd = sock.as_fd().as_raw_fd();
                    dicts.sockets.insert(fd, Rc::clone(&sock));
                    dicts.addresses.insert(fd, address);
                    dicts.poll_object.register(&sock, PollFlags::IN);
                }
            }
            // Incoming data: keep receiving until we see the suffix.
            else if let (Sock::Client(stream), true) = (&*sock, event.contains(PollFlags::IN)) {
                let mut more_data = [0; 4096];
                let n = match (&*stream).read(&mut more_data) {
                    Ok(n) => n,
                    // Not there after all, or a signal: poll again.
                    Err(error)
                        if matches!(
                            error.kind(),
                            io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted
                        ) =>
                    {
                        continue;
                    }
                    // Departure from the book, whose server dies on a reset: that client
                    // alone is dropped, with a line in the log.
                    Err(error) => {
                        dicts.failed(fd, &error)?;
                        continue;
                    }
                };
                if n == 0 {
                    // End of file. Departure from the book, which closes the socket here
                    // and leaves the clean-up to the POLLNVAL of the next poll(): by then
                    // accept() may have reused the descriptor for a new client, whose
                    // connection that clean-up would then drop. This cleans up at once.
                    dicts.closed(fd)?;
                    continue;
                }
                let mut data = dicts.bytes_received.remove(&fd).unwrap_or_default();
                data.extend_from_slice(&more_data[..n]);
                if zen_utils::too_long(&data) {
                    // Not in the book, whose dictionary grows for ever: a question may
                    // take up to MAX_MESSAGE bytes.
                    let error = zen_utils::ConversationError::TooLong(data.len());
                    dicts.failed(fd, &error)?;
                } else if data.ends_with(b"?") {
                    dicts
                        .bytes_to_send
                        .insert(fd, zen_utils::get_answer(&data).to_vec());
                    dicts.poll_object.modify(fd, PollFlags::OUT);
                } else {
                    dicts.bytes_received.insert(fd, data);
                }
            }
            // Socket ready to send: keep sending until all bytes are delivered.
            else if let (Sock::Client(stream), true) = (&*sock, event.contains(PollFlags::OUT)) {
                let data = dicts.bytes_to_send.remove(&fd).unwrap_or_default();
                let n = match (&*stream).write(&data) {
                    Ok(n) => n,
                    // No room after all, or a signal: poll again.
                    Err(error)
                        if matches!(
                            error.kind(),
                            io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted
                        ) =>
                    {
                        0
                    }
                    // Departure from the book, whose server dies on a broken pipe.
                    Err(error) => {
                        dicts.failed(fd, &error)?;
                        continue;
                    }
                };
                if n < data.len() {
                    dicts.bytes_to_send.insert(fd, data[n..].to_vec());
                } else {
                    dicts.poll_object.modify(fd, PollFlags::IN);
                }
            }
        }
    }
}

/// The server's dictionaries, borrowed together for the clean-up of one socket.
struct Dicts<'a> {
    sockets: &'a mut HashMap<RawFd, Rc<Sock>>,
    addresses: &'a mut HashMap<RawFd, SocketAddr>,
    bytes_received: &'a mut HashMap<RawFd, Vec<u8>>,
    bytes_to_send: &'a mut HashMap<RawFd, Vec<u8>>,
    poll_object: &'a mut Poll,
    log: &'a Log,
}

impl Dicts<'_> {
    /// The book's "Socket closed" arm: says how the client left, forgets it, closes it.
    fn closed(&mut self, fd: RawFd) -> io::Result<()> {
        let address = self.addresses.get(&fd).copied();
        let rb = self.bytes_received.remove(&fd).unwrap_or_default();
        let sb = self.bytes_to_send.remove(&fd).unwrap_or_default();
        if let Some(address) = address {
            let address = PyAddr(address);
            if !rb.is_empty() {
                logln!(
                    self.log,
                    "Client {address} sent {} but then closed",
                    PyBytes(&rb)
                )?;
            } else if !sb.is_empty() {
                logln!(
                    self.log,
                    "Client {address} closed before we sent {}",
                    PyBytes(&sb)
                )?;
            } else {
                logln!(self.log, "Client {address} closed socket normally")?;
            }
        }
        self.forget(fd);
        Ok(())
    }

    /// A client whose socket failed: one line, and it is forgotten and closed.
    fn failed(&mut self, fd: RawFd, error: &dyn std::fmt::Display) -> io::Result<()> {
        if let Some(address) = self.addresses.get(&fd) {
            logln!(self.log, "Client {} error: {error}", PyAddr(*address))?;
        }
        self.forget(fd);
        Ok(())
    }

    /// `poll_object.unregister(fd)`, `del sockets[fd]`: the socket closes when the last
    /// reference goes, here.
    fn forget(&mut self, fd: RawFd) {
        self.addresses.remove(&fd);
        self.bytes_received.remove(&fd);
        self.bytes_to_send.remove(&fd);
        self.poll_object.unregister(fd);
        self.sockets.remove(&fd);
    }
}

/// The listing's `if __name__ == '__main__':` block, after `parse_command_line`.
pub fn main(address: &Address, log: &Log) -> Result<(), Error> {
    let listener = zen_utils::create_srv_socket(address, log)?;
    serve(listener, log)
}
