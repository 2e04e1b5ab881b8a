//! Name resolution, connecting and listening the way the book's listings do, and what a
//! server does when `accept()` fails.

use std::io::{self, Write};
use std::net::{SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant};

use socket2::{Domain, Protocol, SockRef, Socket, Type};

use crate::cli::Buffers;
use crate::{Context, Error};

/// The book passes `host` straight to `bind()`/`connect()`, where Python gives two
/// strings a meaning that Rust's resolver does not know: the empty string is every IPv4
/// interface, `0.0.0.0`, and `'<broadcast>'` is the limited broadcast address,
/// `255.255.255.255` (Chapter 2).
pub fn interface(host: &str) -> &str {
    match host {
        "" => "0.0.0.0",
        "<broadcast>" => "255.255.255.255",
        host => host,
    }
}

/// `socket.socket(AF_INET, SOCK_DGRAM)` bound to `(host, port)`, as Chapter 2's servers
/// bind (no `SO_REUSEADDR`: a second server on the port is refused, as in Python).
pub fn udp_bind(host: &str, port: u16) -> Result<std::net::UdpSocket, Error> {
    let addr = resolve(host, port)?[0];
    std::net::UdpSocket::bind(addr)
        .context(|| format!("cannot bind to {} port {port}", interface(host)))
}

/// A UDP socket for a client of `(host, port)`, not connected: bound to `0.0.0.0` and a
/// port the system chooses, as Python's first `sendto()` binds it; and the address.
pub fn udp_client(host: &str, port: u16) -> Result<(std::net::UdpSocket, SocketAddr), Error> {
    let addr = resolve(host, port)?[0];
    let sock = std::net::UdpSocket::bind(("0.0.0.0", 0)).context(|| "cannot bind a UDP socket")?;
    Ok((sock, addr))
}

/// Resolves `host` and `port`, IPv4 addresses first: the book's sockets are `AF_INET`, so
/// `localhost` means 127.0.0.1. An IPv6 address given as the host still works.
pub fn resolve(host: &str, port: u16) -> Result<Vec<SocketAddr>, Error> {
    let host = interface(host);
    let mut addrs: Vec<SocketAddr> = (host, port)
        .to_socket_addrs()
        .context(|| format!("cannot resolve host {host:?}"))?
        .collect();
    addrs.sort_by_key(|addr| !addr.is_ipv4());
    if addrs.is_empty() {
        return Err(Error::msg(format!("host {host:?} has no address")));
    }
    Ok(addrs)
}

/// `sock.connect((host, port))`: tries each address of `host` in turn.
pub fn connect(host: &str, port: u16) -> Result<TcpStream, Error> {
    socket(host, port, Buffers::default())?.connect()
}

/// A getaddrinfo() error code in the C library's words, as Python's `socket.gaierror`
/// prints them (`Name or service not known`).
pub fn gai_strerror(code: i32) -> String {
    // SAFETY: gai_strerror returns a pointer to a static, NUL-terminated string (or
    // null, which is checked), whatever the code.
    let text = unsafe { libc::gai_strerror(code) };
    if text.is_null() {
        return format!("getaddrinfo error {code}");
    }
    // SAFETY: not null, and NUL-terminated, as above.
    unsafe { std::ffi::CStr::from_ptr(text) }
        .to_string_lossy()
        .into_owned()
}

/// `sock.connect((host, port))`, or to `instead` where a [`crate::cli::Redirect`] says so
/// (then `host` is not looked up). The error names both.
pub fn connect_or(host: &str, port: u16, instead: Option<SocketAddr>) -> Result<TcpStream, Error> {
    match instead {
        None => connect(host, port),
        Some(addr) => TcpStream::connect(addr)
            .context(|| format!("cannot connect to {host} port {port} (at {addr})")),
    }
}

/// `socket.socket(AF_INET, SOCK_STREAM)` for a client of `(host, port)`, made before it
/// connects as the book's clients do, with its buffer sizes set as `--sndbuf`/`--rcvbuf`
/// ask (so that the window offered in the handshake already reflects them).
pub fn socket(host: &str, port: u16, buffers: Buffers) -> Result<ClientSocket, Error> {
    let addrs = resolve(host, port)?;
    let sock = new_socket(addrs[0], buffers)
        .context(|| format!("cannot create a socket for {} port {port}", interface(host)))?;
    Ok(ClientSocket {
        sock,
        addrs,
        buffers,
        host: interface(host).to_string(),
        port,
    })
}

/// A client's socket, not yet connected: see [`socket`].
#[derive(Debug)]
pub struct ClientSocket {
    sock: Socket,
    addrs: Vec<SocketAddr>,
    buffers: Buffers,
    host: String,
    port: u16,
}

impl ClientSocket {
    /// `sock.connect((host, port))`: tries each address of the host in turn.
    pub fn connect(self) -> Result<TcpStream, Error> {
        let Self {
            mut sock,
            addrs,
            buffers,
            host,
            port,
        } = self;
        let mut last = None;
        for (i, addr) in addrs.iter().enumerate() {
            if i > 0 {
                // A failed connect() leaves a socket unusable: a new one for each address.
                match new_socket(*addr, buffers) {
                    Ok(fresh) => sock = fresh,
                    Err(error) => {
                        last = Some(error);
                        continue;
                    }
                }
            }
            match sock.connect(&(*addr).into()) {
                Ok(()) => return Ok(sock.into()),
                Err(error) => last = Some(error),
            }
        }
        let error = last.unwrap_or_else(|| io::Error::other("no address to try"));
        Err(error).context(|| format!("cannot connect to {host} port {port}"))
    }

    /// The socket, for reading its options before it connects.
    pub fn as_socket(&self) -> &Socket {
        &self.sock
    }
}

fn new_socket(addr: SocketAddr, buffers: Buffers) -> io::Result<Socket> {
    let sock = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
    set_buffers(&sock, buffers)?;
    Ok(sock)
}

/// The book's server preamble: a TCP socket with `SO_REUSEADDR` set, bound to
/// `(host, port)`, listening with the given backlog (`sock.listen(1)` in Chapter 3).
pub fn listen(host: &str, port: u16, backlog: i32) -> Result<TcpListener, Error> {
    listen_with(host, port, backlog, Buffers::default())
}

/// [`listen`] with the buffer sizes set on the listening socket before `listen()`, so
/// that every accepted socket inherits them.
pub fn listen_with(
    host: &str,
    port: u16,
    backlog: i32,
    buffers: Buffers,
) -> Result<TcpListener, Error> {
    let addr = resolve(host, port)?[0];
    let attempt = || -> io::Result<TcpListener> {
        let sock = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
        sock.set_reuse_address(true)?;
        set_buffers(&sock, buffers)?;
        sock.bind(&addr.into())?;
        sock.listen(backlog)?;
        Ok(sock.into())
    };
    attempt().context(|| format!("cannot listen at {} port {port}", interface(host)))
}

fn set_buffers(sock: &Socket, buffers: Buffers) -> io::Result<()> {
    if let Some(bytes) = buffers.sndbuf {
        sock.set_send_buffer_size(bytes)?;
    }
    if let Some(bytes) = buffers.rcvbuf {
        sock.set_recv_buffer_size(bytes)?;
    }
    Ok(())
}

/// The buffer sizes the kernel granted a socket, `(send, receive)`, as `getsockopt`
/// returns them (Linux caps a request at `wmem_max`/`rmem_max`, then doubles it).
pub fn buffer_sizes<'a>(sock: impl Into<SockRef<'a>>) -> io::Result<(usize, usize)> {
    let sock = sock.into();
    Ok((sock.send_buffer_size()?, sock.recv_buffer_size()?))
}

/// The line `--sndbuf` and `--rcvbuf` add to a session, printed only when either was
/// given (the book's output otherwise): right after `Listening at` for a server, first
/// for a client. `Socket buffers: send 8192 bytes, receive 8192 bytes`.
pub fn print_pinned_buffers<'a>(
    out: &mut dyn Write,
    sock: impl Into<SockRef<'a>>,
    buffers: Buffers,
) -> io::Result<()> {
    if !buffers.pinned() {
        return Ok(());
    }
    let (send, receive) = buffer_sizes(sock)?;
    writeln!(
        out,
        "Socket buffers: send {send} bytes, receive {receive} bytes"
    )?;
    out.flush()
}

/// `select.poll().poll(timeout)`: waits until one of `fds` is ready, or `timeout` passes
/// (`None`: for ever); returns how many are ready, 0 when the time ran out. A signal that
/// interrupts the wait does not end it: Python retries the call (PEP 475), and so does
/// this.
pub fn poll(fds: &mut [rustix::event::PollFd<'_>], timeout: Option<Duration>) -> io::Result<usize> {
    // A timeout too long for a timespec is as good as none.
    let timeout = timeout.and_then(|t| rustix::event::Timespec::try_from(t).ok());
    loop {
        match rustix::event::poll(fds, timeout.as_ref()) {
            Ok(ready) => return Ok(ready),
            Err(rustix::io::Errno::INTR) => continue,
            Err(errno) => return Err(errno.into()),
        }
    }
}

/// How long a server waits before calling `accept()` again after running out of file
/// descriptors (or memory): the connection waits in the backlog meanwhile.
pub const ACCEPT_PAUSE: Duration = Duration::from_millis(100);

/// What became of a failed `accept()`, for servers that outlive one. The book's servers
/// die on any exception from `accept()`; the ports report the failure and go on (each
/// call site says so). Running out of descriptors is the case that needs care: the
/// waiting connection stays in the backlog, so the listener stays readable and an
/// immediate retry fails again. The server should then wait [`ACCEPT_PAUSE`] before its
/// next `accept()` (a `poll()` server takes the listener out of its poll set meanwhile,
/// so its open connections run at full speed) and log the condition once when it starts
/// and once when it ends, not at every retry.
#[derive(Debug)]
pub struct AcceptFailures {
    /// Printed before each line (Chapter 3's servers indent their log).
    indent: &'static str,
    /// Since when, and how many times, accept() has failed for want of descriptors.
    paused: Option<(Instant, u64)>,
}

/// What to do after [`AcceptFailures::failed`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AfterFailure {
    /// Go on accepting: one incoming connection failed (reset before it was accepted...).
    Continue,
    /// Out of descriptors or memory: do not call `accept()` again for this long.
    Pause(Duration),
}

impl AcceptFailures {
    /// For a server whose log lines start with `indent`.
    pub fn new(indent: &'static str) -> Self {
        Self {
            indent,
            paused: None,
        }
    }

    /// Deals with an `accept()` error. The listening socket itself being finished (closed
    /// or shut down) is returned as an error: the server's loop ends. Otherwise one line is
    /// logged (only the first of a run of out-of-descriptor failures) and the caller is
    /// told whether to pause.
    pub fn failed(&mut self, error: io::Error, out: &mut dyn Write) -> Result<AfterFailure, Error> {
        if listener_gone(&error) {
            return Err(error).context(|| "the listening socket failed");
        }
        if !out_of_descriptors(&error) {
            writeln!(out, "{}Could not accept a connection: {error}", self.indent)?;
            out.flush()?;
            return Ok(AfterFailure::Continue);
        }
        match &mut self.paused {
            Some((_, failures)) => *failures += 1,
            None => {
                writeln!(
                    out,
                    "{}Could not accept a connection: {error}; pausing accept() until it succeeds (retried every {} ms)",
                    self.indent,
                    ACCEPT_PAUSE.as_millis()
                )?;
                out.flush()?;
                self.paused = Some((Instant::now(), 1));
            }
        }
        Ok(AfterFailure::Pause(ACCEPT_PAUSE))
    }

    /// Call after every `accept()` that succeeds, or that finds nothing waiting on a
    /// nonblocking listener: descriptors are there again, so a pause ends, in one line.
    /// (Linux checks for a free descriptor before it looks for a connection: at its limit,
    /// a server's `accept()` fails even when nobody is waiting.)
    pub fn working(&mut self, out: &mut dyn Write) -> io::Result<()> {
        if let Some((since, failures)) = self.paused.take() {
            writeln!(
                out,
                "{}Accepting connections again, after {failures} failed accept() calls in {:.1} s",
                self.indent,
                since.elapsed().as_secs_f64()
            )?;
            out.flush()?;
        }
        Ok(())
    }

    /// Whether a pause is under way.
    pub fn paused(&self) -> bool {
        self.paused.is_some()
    }
}

impl Default for AcceptFailures {
    fn default() -> Self {
        Self::new("")
    }
}

/// Whether an `accept()` error means the listening socket itself is finished (closed or
/// shut down, as tests do to stop an in-process server), not one incoming connection.
#[cfg(unix)]
fn listener_gone(error: &io::Error) -> bool {
    use rustix::io::Errno;
    matches!(
        Errno::from_io_error(error),
        Some(Errno::INVAL | Errno::BADF | Errno::NOTSOCK)
    )
}

#[cfg(not(unix))]
fn listener_gone(error: &io::Error) -> bool {
    error.kind() == io::ErrorKind::InvalidInput
}

/// Whether an `accept()` error comes from running out of file descriptors or memory.
#[cfg(unix)]
fn out_of_descriptors(error: &io::Error) -> bool {
    use rustix::io::Errno;
    matches!(
        Errno::from_io_error(error),
        Some(Errno::MFILE | Errno::NFILE | Errno::NOBUFS | Errno::NOMEM)
    )
}

#[cfg(not(unix))]
fn out_of_descriptors(error: &io::Error) -> bool {
    error.kind() == io::ErrorKind::OutOfMemory
}

#[cfg(test)]
mod tests {
    #[test]
    fn pythons_two_special_hosts_resolve() {
        assert_eq!(interface(""), "0.0.0.0");
        assert_eq!(interface("<broadcast>"), "255.255.255.255");
        assert_eq!(interface("localhost"), "localhost");
        let addr = resolve("<broadcast>", 1060).unwrap()[0];
        assert_eq!(addr, SocketAddr::from(([255, 255, 255, 255], 1060)));
    }

    use super::*;

    #[test]
    fn empty_host_is_every_ipv4_interface() {
        assert_eq!(interface(""), "0.0.0.0");
        assert_eq!(resolve("", 7).unwrap()[0], "0.0.0.0:7".parse().unwrap());
    }

    #[test]
    fn localhost_prefers_ipv4() {
        assert!(resolve("localhost", 1060).unwrap()[0].is_ipv4());
    }

    #[test]
    fn unresolvable_host_names_the_host() {
        let error = resolve("no-such-host.invalid", 1060).unwrap_err();
        assert!(
            error
                .to_string()
                .starts_with("cannot resolve host \"no-such-host.invalid\": "),
            "{error}"
        );
    }

    #[test]
    fn busy_port_and_refused_connection_say_what_failed() {
        let first = listen("127.0.0.1", 0, 1).unwrap();
        let port = first.local_addr().unwrap().port();
        // SO_REUSEADDR does not let two sockets listen on one port.
        let error = listen("127.0.0.1", port, 1).unwrap_err();
        assert_eq!(error.io_kind(), Some(io::ErrorKind::AddrInUse), "{error}");
        assert!(
            error
                .to_string()
                .starts_with(&format!("cannot listen at 127.0.0.1 port {port}: "))
        );
        drop(first);
        let error = connect("127.0.0.1", port).unwrap_err();
        assert_eq!(
            error.io_kind(),
            Some(io::ErrorKind::ConnectionRefused),
            "{error}"
        );
        assert!(
            error
                .to_string()
                .starts_with(&format!("cannot connect to 127.0.0.1 port {port}: "))
        );
    }

    #[test]
    fn ipv6_host_works() {
        let Ok(listener) = listen("::1", 0, 1) else {
            eprintln!("skipped: this machine has no IPv6 loopback");
            return;
        };
        let port = listener.local_addr().unwrap().port();
        let sock = connect("::1", port).unwrap();
        assert!(sock.peer_addr().unwrap().is_ipv6());
    }

    #[cfg(unix)]
    #[test]
    fn out_of_descriptors_is_logged_once_then_once_more_when_it_ends() {
        let emfile = || io::Error::from(rustix::io::Errno::MFILE);
        let mut failures = AcceptFailures::new("  ");
        let mut log = Vec::new();
        for _ in 0..5 {
            let after = failures.failed(emfile(), &mut log).unwrap();
            assert_eq!(after, AfterFailure::Pause(ACCEPT_PAUSE));
        }
        assert!(failures.paused());
        failures.working(&mut log).unwrap();
        failures.working(&mut log).unwrap();
        let text = String::from_utf8(log).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2, "{text}");
        assert!(lines[0].starts_with("  Could not accept a connection: "));
        assert!(lines[0].contains("pausing accept()"), "{text}");
        assert!(
            lines[1].starts_with("  Accepting connections again, after 5 failed accept() calls")
        );
    }

    #[cfg(unix)]
    #[test]
    fn other_failures_are_logged_each_time_and_a_closed_listener_ends_the_loop() {
        let mut failures = AcceptFailures::default();
        let mut log = Vec::new();
        let reset = io::Error::from(io::ErrorKind::ConnectionAborted);
        assert_eq!(
            failures.failed(reset, &mut log).unwrap(),
            AfterFailure::Continue
        );
        let gone = io::Error::from(rustix::io::Errno::INVAL);
        assert!(failures.failed(gone, &mut log).is_err());
        assert_eq!(String::from_utf8(log).unwrap().lines().count(), 1);
    }

    #[test]
    fn pinned_buffers_are_granted_doubled() {
        let buffers = Buffers {
            sndbuf: Some(16384),
            rcvbuf: Some(16384),
        };
        let listener = listen_with("127.0.0.1", 0, 1, buffers).unwrap();
        let (send, receive) = buffer_sizes(&listener).unwrap();
        // Linux doubles the request to leave room for its bookkeeping.
        if cfg!(target_os = "linux") {
            assert_eq!((send, receive), (32768, 32768));
        }
        let port = listener.local_addr().unwrap().port();
        let client = socket("127.0.0.1", port, buffers).unwrap();
        assert_eq!(buffer_sizes(client.as_socket()).unwrap(), (send, receive));
        let client = client.connect().unwrap();
        let (accepted, _) = listener.accept().unwrap();
        assert_eq!(buffer_sizes(&client).unwrap(), (send, receive));
        // Accepted sockets inherit the listener's sizes.
        assert_eq!(buffer_sizes(&accepted).unwrap(), (send, receive));
        let mut line = Vec::new();
        print_pinned_buffers(&mut line, &client, buffers).unwrap();
        assert_eq!(
            String::from_utf8(line).unwrap(),
            format!("Socket buffers: send {send} bytes, receive {receive} bytes\n")
        );
    }
}
