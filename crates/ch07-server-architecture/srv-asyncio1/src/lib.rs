//! Foundations of Python Network Programming, Third Edition
//! <https://github.com/brandon-rhodes/fopnp/blob/m/py3/chapter07/srv_asyncio1.py>
//! Asynchronous I/O inside "asyncio" callback methods.
//!
//! The server is a *protocol*: an object whose methods the event loop calls when a
//! connection is made, when data arrives, and when the connection is lost. It never reads
//! or waits; it is told. asyncio's pieces map onto this crate like this:
//!
//! | asyncio | here |
//! | --- | --- |
//! | `asyncio.Protocol` and its three callbacks | the [`Protocol`] trait |
//! | the transport handed to `connection_made` | [`Transport`], handed to every callback (Rust will not let the protocol keep a reference to something the loop owns) |
//! | `loop.create_server(ZenServer, host, port)` (backlog 100) | [`EventLoop::create_server`] |
//! | `loop.run_forever()` | [`EventLoop::run_forever`]: one thread, one wait over every socket |
//! | `selectors.DefaultSelector` (epoll on Linux) | [`Poller`]: epoll on Linux; `--poller poll` (hidden) waits in `poll()` instead, as `srv_async` does |
//!
//! The wait is the C10K lesson in one switch. `poll()` hands the kernel the whole list of
//! sockets at every wait, so each wait costs in proportion to the connections, ready or
//! not; epoll keeps the list in the kernel and returns only what is ready. asyncio waits in
//! epoll on Linux, so this port does too; `srv_async`, whose listing calls
//! `select.poll()` by name, keeps `poll()`.
//!
//! In Rust one would reach for tokio (or mio, the layer beneath it) instead of writing
//! the loop: mio gives the readiness events this loop gets from epoll; tokio adds the
//! loop itself, and its `AsyncRead`/`AsyncWrite` traits replace callbacks with `async fn`s,
//! as `srv_asyncio2` shows. The loop here is small enough to read in one sitting.
//!
//! ```text
//! $ srv_asyncio1 localhost
//! $ zen_client localhost
//! ```
//!
//! # The recorded session
//!
//! `output.txt`, as `cargo xtask run` shows it, kept true by `cargo xtask transcripts --check`:
#![doc = concat!("```text\n", include_str!("../output.txt"), "```")]

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::time::Instant;

use rustix::event::{PollFd, PollFlags};

use fopnp::net::{AcceptFailures, AfterFailure};
use fopnp::{Error, Log, PyAddr, PyBytes, logln};
use zen_utils::{Address, ConversationError};

/// `asyncio.Protocol`: what the event loop calls for one connection.
pub trait Protocol {
    /// A connection was accepted.
    fn connection_made(&mut self, transport: &mut Transport);
    /// Some bytes arrived.
    fn data_received(&mut self, data: &[u8], transport: &mut Transport);
    /// The connection is gone: `exc` is `None` at a clean end of file, the error otherwise.
    fn connection_lost(&mut self, exc: Option<&dyn std::fmt::Display>);
}

/// How much the loop reads at a time (asyncio's selector transports read 256 KiB).
const MAX_SIZE: usize = 256 * 1024;

/// asyncio's transport for one connection: where a protocol writes, and asks who its
/// peer is.
pub struct Transport {
    sock: TcpStream,
    peername: SocketAddr,
    /// Bytes written but not yet taken by the socket.
    buffer: Vec<u8>,
    /// Set by [`Transport::abort`]: the loop closes the connection with this error.
    aborted: Option<String>,
    /// The peer has closed its side: close once the buffer is sent.
    eof: bool,
}

impl Transport {
    /// `transport.write(data)`: sends at once what the socket takes and buffers the rest,
    /// which the loop sends when the socket can take more.
    pub fn write(&mut self, data: &[u8]) {
        let mut sent = 0;
        if self.buffer.is_empty() {
            while sent < data.len() {
                match self.sock.write(&data[sent..]) {
                    Ok(n) => sent += n,
                    // A signal: try again (Python retries such calls, PEP 475).
                    Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
                    // No room: buffer the rest. A real failure shows at the next write.
                    Err(_) => break,
                }
            }
        }
        self.buffer.extend_from_slice(&data[sent..]);
    }

    /// `transport.get_extra_info('peername')`.
    pub fn peername(&self) -> SocketAddr {
        self.peername
    }

    /// `transport.abort()`, with the error the protocol's `connection_lost` will see.
    pub fn abort(&mut self, error: impl std::fmt::Display) {
        self.aborted = Some(error.to_string());
    }

    /// What to wait for. Departure from asyncio, which keeps reading while a transport's
    /// buffer grows (it only tells the protocol, which may ignore it, as this one does):
    /// a connection with unsent bytes is not read from until they are sent, so a client
    /// that never reads costs the server one answer's worth of memory, not unbounded.
    fn interest(&self) -> PollFlags {
        if !self.buffer.is_empty() {
            PollFlags::OUT
        } else if !self.eof {
            PollFlags::IN
        } else {
            PollFlags::empty()
        }
    }

    /// Sends what it can of the buffer.
    fn flush(&mut self) -> io::Result<()> {
        match self.sock.write(&self.buffer) {
            Ok(n) => {
                self.buffer.drain(..n);
                Ok(())
            }
            // No room after all, or a signal: the loop polls again.
            Err(error)
                if matches!(
                    error.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted
                ) =>
            {
                Ok(())
            }
            Err(error) => Err(error),
        }
    }
}

/// One connection: its transport and its protocol.
struct Connection<P> {
    transport: Transport,
    protocol: P,
}

/// What `loop.create_server()` returned: the listening socket and the protocol factory.
struct Server<P> {
    listener: TcpListener,
    factory: Box<dyn Fn() -> P>,
}

/// The system call the loop waits in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Poller {
    /// `poll()`: the whole list of sockets goes to the kernel at every wait, so each wait
    /// costs in proportion to the connections, ready or not (`srv_async`'s way).
    Poll,
    /// epoll: the kernel keeps the list and returns only what is ready, as asyncio's
    /// `selectors.DefaultSelector` does on Linux. Linux only.
    Epoll,
}

impl Default for Poller {
    /// asyncio's choice where the system has it: epoll on Linux, `poll()` elsewhere.
    fn default() -> Self {
        if cfg!(any(target_os = "linux", target_os = "android")) {
            Poller::Epoll
        } else {
            Poller::Poll
        }
    }
}

/// `srv_asyncio1`'s options beyond the book's command line.
#[derive(Clone, Copy, Debug, Default, clap::Args)]
pub struct Options {
    /// the system call the event loop waits in: epoll (asyncio's on Linux, the default
    /// there) or poll (to measure the difference)
    #[arg(long, value_enum, hide = true, default_value_t = Poller::default())]
    pub poller: Poller,
}

/// asyncio's event loop, cut down to what a TCP server needs.
pub struct EventLoop<P> {
    server: Option<Server<P>>,
    log: Log,
    poller: Poller,
}

/// The token of the listening socket; a connection's token is its slot.
const LISTENER: usize = usize::MAX;

impl<P: Protocol> EventLoop<P> {
    /// `asyncio.get_event_loop()`. `log` receives the loop's own lines (a failed accept).
    pub fn new(log: &Log) -> Self {
        Self::with_poller(log, Poller::default())
    }

    /// [`EventLoop::new`], waiting in `poller`.
    pub fn with_poller(log: &Log, poller: Poller) -> Self {
        Self {
            server: None,
            log: log.clone(),
            poller,
        }
    }

    /// `loop.create_server(protocol_factory, host, port)`: listens (with `SO_REUSEADDR`
    /// and asyncio's backlog of 100) and makes a protocol for each connection.
    pub fn create_server(
        &mut self,
        factory: impl Fn() -> P + 'static,
        host: &str,
        port: u16,
    ) -> Result<(), Error> {
        let listener = fopnp::net::listen(host, port, 100)?;
        self.serve_on(factory, listener)
    }

    /// [`EventLoop::create_server`] over a socket that already listens.
    pub fn serve_on(
        &mut self,
        factory: impl Fn() -> P + 'static,
        listener: TcpListener,
    ) -> Result<(), Error> {
        listener.set_nonblocking(true)?;
        self.server = Some(Server {
            listener,
            factory: Box::new(factory),
        });
        Ok(())
    }

    /// `loop.run_forever()`: waits on the listener and every connection at once, and
    /// calls the protocols as things happen. Returns only when the listener fails or the
    /// log cannot be written.
    pub fn run_forever(&mut self) -> Result<(), Error> {
        let server = self
            .server
            .take()
            .ok_or_else(|| Error::msg("run_forever() before create_server()"))?;
        let mut waiter = Waiter::new(self.poller, &server.listener)?;
        // The connections, each in a slot that is its token; free slots are reused.
        let mut slots: Vec<Option<Connection<P>>> = Vec::new();
        let mut free: Vec<usize> = Vec::new();
        let mut failures = AcceptFailures::default();
        let mut paused_until: Option<Instant> = None;
        let mut scratch = vec![0; MAX_SIZE];
        loop {
            let listening = paused_until.is_none_or(|until| Instant::now() >= until);
            let timeout = paused_until.map(|until| until.saturating_duration_since(Instant::now()));
            // Retried after a signal, as Python's is (PEP 475).
            let ready = waiter.wait(&server.listener, listening, &slots, timeout)?;

            // Connections first: data received, buffers sent, connections lost.
            let mut listener_ready = false;
            for (token, flags) in ready {
                if token == LISTENER {
                    listener_ready = true;
                    continue;
                }
                let Some(c) = slots.get_mut(token).and_then(Option::as_mut) else {
                    continue;
                };
                let before = c.transport.interest();
                if step(c, flags, &mut scratch) {
                    let now = c.transport.interest();
                    if now != before {
                        waiter.change(&c.transport.sock, token, now)?;
                    }
                } else if let Some(gone) = slots[token].take() {
                    waiter.remove(&gone.transport.sock);
                    free.push(token);
                }
            }

            // Then new connections.
            let paused_over = paused_until.is_some_and(|until| Instant::now() >= until);
            if listener_ready || paused_over {
                paused_until = None;
                loop {
                    let (sock, peername) = match server.listener.accept() {
                        Ok(accepted) => accepted,
                        Err(error) if error.kind() == io::ErrorKind::WouldBlock => {
                            failures.working(&mut **self.log.lock())?;
                            break;
                        }
                        // asyncio logs a failed accept() and goes on; so does this loop
                        // (pausing while out of file descriptors).
                        Err(error) => {
                            let after = failures.failed(error, &mut **self.log.lock())?;
                            if let AfterFailure::Pause(pause) = after {
                                paused_until = Some(Instant::now() + pause);
                            }
                            break;
                        }
                    };
                    failures.working(&mut **self.log.lock())?;
                    if sock.set_nonblocking(true).is_err() {
                        continue;
                    }
                    let mut transport = Transport {
                        sock,
                        peername,
                        buffer: Vec::new(),
                        aborted: None,
                        eof: false,
                    };
                    let mut protocol = (server.factory)();
                    protocol.connection_made(&mut transport);
                    let token = free.pop().unwrap_or(slots.len());
                    if let Err(error) = waiter.add(&transport.sock, token, transport.interest()) {
                        protocol.connection_lost(Some(&error));
                        free.push(token);
                        continue;
                    }
                    let connection = Connection {
                        transport,
                        protocol,
                    };
                    if token == slots.len() {
                        slots.push(Some(connection));
                    } else {
                        slots[token] = Some(connection);
                    }
                }
            }
        }
    }
}

/// Where the loop waits: `poll()` over a list it builds at every wait, or an epoll
/// instance that keeps the list and is told of each change.
enum Waiter {
    Poll,
    #[cfg(any(target_os = "linux", target_os = "android"))]
    Epoll {
        epoll: std::os::fd::OwnedFd,
        events: Vec<rustix::event::epoll::Event>,
        /// Whether the listener is registered for reading (not while accepting pauses).
        listening: bool,
    },
}

impl Waiter {
    fn new(poller: Poller, listener: &TcpListener) -> io::Result<Self> {
        match poller {
            Poller::Poll => Ok(Waiter::Poll),
            #[cfg(any(target_os = "linux", target_os = "android"))]
            Poller::Epoll => {
                use rustix::event::epoll;
                let fd = epoll::create(epoll::CreateFlags::CLOEXEC)?;
                epoll::add(
                    &fd,
                    listener,
                    epoll::EventData::new_u64(LISTENER as u64),
                    epoll::EventFlags::IN,
                )?;
                Ok(Waiter::Epoll {
                    epoll: fd,
                    events: Vec::with_capacity(1024),
                    listening: true,
                })
            }
            #[cfg(not(any(target_os = "linux", target_os = "android")))]
            Poller::Epoll => {
                let _ = listener;
                Err(io::Error::new(
                    io::ErrorKind::Unsupported,
                    "epoll is Linux only",
                ))
            }
        }
    }

    /// Waits until something is ready (at most `timeout`); returns each ready token with
    /// what it is ready for.
    fn wait<P: Protocol>(
        &mut self,
        listener: &TcpListener,
        listening: bool,
        slots: &[Option<Connection<P>>],
        timeout: Option<std::time::Duration>,
    ) -> io::Result<Vec<(usize, PollFlags)>> {
        match self {
            Waiter::Poll => {
                let mut tokens = Vec::with_capacity(slots.len() + 1);
                let mut fds = Vec::with_capacity(slots.len() + 1);
                let wanted = if listening {
                    PollFlags::IN
                } else {
                    PollFlags::empty()
                };
                tokens.push(LISTENER);
                fds.push(PollFd::new(listener, wanted));
                for (token, c) in slots.iter().enumerate() {
                    if let Some(c) = c {
                        tokens.push(token);
                        fds.push(PollFd::new(&c.transport.sock, c.transport.interest()));
                    }
                }
                fopnp::net::poll(&mut fds, timeout)?;
                Ok(tokens
                    .into_iter()
                    .zip(fds.iter().map(PollFd::revents))
                    .filter(|(_, ready)| !ready.is_empty())
                    .collect())
            }
            #[cfg(any(target_os = "linux", target_os = "android"))]
            Waiter::Epoll {
                epoll: fd,
                events,
                listening: registered,
            } => {
                use rustix::event::epoll;
                if *registered != listening {
                    let flags = if listening {
                        epoll::EventFlags::IN
                    } else {
                        epoll::EventFlags::empty()
                    };
                    epoll::modify(
                        &*fd,
                        listener,
                        epoll::EventData::new_u64(LISTENER as u64),
                        flags,
                    )?;
                    *registered = listening;
                }
                let timeout = timeout
                    .map(rustix::event::Timespec::try_from)
                    .transpose()
                    .map_err(|_| io::Error::other("a timeout too long"))?;
                events.clear();
                loop {
                    match epoll::wait(
                        &*fd,
                        rustix::buffer::spare_capacity(&mut *events),
                        timeout.as_ref(),
                    ) {
                        Ok(_) => break,
                        Err(rustix::io::Errno::INTR) => continue,
                        Err(error) => return Err(error.into()),
                    }
                }
                Ok(events
                    .iter()
                    .map(|e| (e.data.u64() as usize, poll_flags(e.flags)))
                    .collect())
            }
        }
    }

    /// Registers a new connection.
    fn add(&mut self, sock: &TcpStream, token: usize, interest: PollFlags) -> io::Result<()> {
        self.register(sock, token, interest, true)
    }

    /// Tells the kernel that a connection now waits for something else.
    fn change(&mut self, sock: &TcpStream, token: usize, interest: PollFlags) -> io::Result<()> {
        self.register(sock, token, interest, false)
    }

    /// `epoll_ctl()` with `EPOLL_CTL_ADD` (`new`) or `EPOLL_CTL_MOD`; nothing for `poll()`,
    /// whose list is made afresh at every wait.
    fn register(
        &mut self,
        sock: &TcpStream,
        token: usize,
        interest: PollFlags,
        new: bool,
    ) -> io::Result<()> {
        match self {
            Waiter::Poll => Ok(()),
            #[cfg(any(target_os = "linux", target_os = "android"))]
            Waiter::Epoll { epoll: fd, .. } => {
                use rustix::event::epoll;
                let (data, flags) = (
                    epoll::EventData::new_u64(token as u64),
                    epoll_flags(interest),
                );
                if new {
                    epoll::add(&*fd, sock, data, flags)?;
                } else {
                    epoll::modify(&*fd, sock, data, flags)?;
                }
                Ok(())
            }
        }
    }

    /// Forgets a connection that is closing.
    fn remove(&mut self, sock: &TcpStream) {
        match self {
            Waiter::Poll => {}
            #[cfg(any(target_os = "linux", target_os = "android"))]
            Waiter::Epoll { epoll: fd, .. } => {
                // Closing the socket would unregister it too; said here for the reader.
                let _ = rustix::event::epoll::delete(&*fd, sock);
            }
        }
    }
}

#[cfg(any(target_os = "linux", target_os = "android"))]
fn epoll_flags(interest: PollFlags) -> rustix::event::epoll::EventFlags {
    use rustix::event::epoll::EventFlags;
    let mut flags = EventFlags::empty();
    flags.set(EventFlags::IN, interest.contains(PollFlags::IN));
    flags.set(EventFlags::OUT, interest.contains(PollFlags::OUT));
    flags
}

#[cfg(any(target_os = "linux", target_os = "android"))]
fn poll_flags(ready: rustix::event::epoll::EventFlags) -> PollFlags {
    use rustix::event::epoll::EventFlags;
    let mut flags = PollFlags::empty();
    flags.set(PollFlags::IN, ready.contains(EventFlags::IN));
    flags.set(PollFlags::OUT, ready.contains(EventFlags::OUT));
    flags.set(PollFlags::ERR, ready.contains(EventFlags::ERR));
    flags.set(PollFlags::HUP, ready.contains(EventFlags::HUP));
    flags
}

/// One connection's turn: calls its protocol as its socket says; returns whether the
/// connection goes on.
fn step<P: Protocol>(c: &mut Connection<P>, ready: PollFlags, scratch: &mut [u8]) -> bool {
    if ready.is_empty() {
        return true;
    }
    let t = &mut c.transport;
    if !t.buffer.is_empty() {
        if let Err(error) = t.flush() {
            c.protocol.connection_lost(Some(&error));
            return false;
        }
    } else if !t.eof {
        match t.sock.read(scratch) {
            // End of file: asyncio's protocol gets eof_received(), whose default answer
            // closes the transport once its buffer is sent.
            Ok(0) => t.eof = true,
            Ok(n) => c.protocol.data_received(&scratch[..n], t),
            // Not there after all, or a signal: poll again.
            Err(error)
                if matches!(
                    error.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted
                ) => {}
            Err(error) => {
                c.protocol.connection_lost(Some(&error));
                return false;
            }
        }
    }
    let t = &mut c.transport;
    if let Some(error) = t.aborted.take() {
        c.protocol.connection_lost(Some(&error));
        return false;
    }
    if t.eof && t.buffer.is_empty() {
        c.protocol.connection_lost(None);
        return false;
    }
    true
}

/// `class ZenServer(asyncio.Protocol)`.
pub struct ZenServer {
    address: Option<SocketAddr>,
    data: Vec<u8>,
    log: Log,
}

impl ZenServer {
    /// The protocol factory's product, logging to `log`.
    pub fn new(log: &Log) -> Self {
        Self {
            address: None,
            data: Vec::new(),
            log: log.clone(),
        }
    }

    fn address(&self) -> String {
        self.address
            .map_or_else(|| "(unknown)".into(), |a| PyAddr(a).to_string())
    }
}

impl Protocol for ZenServer {
    fn connection_made(&mut self, transport: &mut Transport) {
        self.address = Some(transport.peername());
        self.data.clear();
        let _ = logln!(self.log, "Accepted connection from {}", self.address());
    }

    fn data_received(&mut self, data: &[u8], transport: &mut Transport) {
        self.data.extend_from_slice(data);
        if zen_utils::too_long(&self.data) {
            // Not in the book, whose self.data grows for ever: a question may take up to
            // MAX_MESSAGE bytes.
            transport.abort(ConversationError::TooLong(self.data.len()));
            self.data.clear();
        } else if self.data.ends_with(b"?") {
            let answer = zen_utils::get_answer(&self.data);
            transport.write(answer);
            self.data.clear();
        }
    }

    fn connection_lost(&mut self, exc: Option<&dyn std::fmt::Display>) {
        let _ = match exc {
            Some(exc) => logln!(self.log, "Client {} error: {exc}", self.address()),
            None if !self.data.is_empty() => logln!(
                self.log,
                "Client {} sent {} but then closed",
                self.address(),
                PyBytes(&self.data)
            ),
            None => logln!(self.log, "Client {} closed socket", self.address()),
        };
    }
}

/// Serves on a socket that already listens, logging to `log`.
pub fn serve(listener: TcpListener, log: &Log) -> Result<(), Error> {
    serve_with(listener, Options::default(), log)
}

/// [`serve`], waiting in the options' poller.
pub fn serve_with(listener: TcpListener, options: Options, log: &Log) -> Result<(), Error> {
    let mut event_loop = EventLoop::with_poller(log, options.poller);
    let factory_log = log.clone();
    event_loop.serve_on(move || ZenServer::new(&factory_log), listener)?;
    event_loop.run_forever()
}

/// The listing's `if __name__ == '__main__':` block, after `parse_command_line`.
pub fn main(address: &Address, options: Options, log: &Log) -> Result<(), Error> {
    // loop = asyncio.get_event_loop(): epoll on Linux, as asyncio's DefaultSelector.
    let mut event_loop = EventLoop::with_poller(log, options.poller);
    let factory_log = log.clone();
    // coro = loop.create_server(ZenServer, *address); loop.run_until_complete(coro)
    event_loop.create_server(
        move || ZenServer::new(&factory_log),
        &address.host,
        address.port,
    )?;
    logln!(log, "Listening at {address}")?;
    event_loop.run_forever() // loop.run_forever()
}
