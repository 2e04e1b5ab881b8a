//! Name resolution, connecting and listening the way the book's listings do.

use std::io::{self, Write};
use std::net::{SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::thread;
use std::time::Duration;

use socket2::{Domain, Protocol, Socket, Type};

use crate::{Context, Error};

/// The book passes `host` straight to `bind()`/`connect()`, where the empty string means
/// every IPv4 interface, `0.0.0.0`.
pub fn interface(host: &str) -> &str {
    if host.is_empty() { "0.0.0.0" } else { host }
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
    let mut last = None;
    for addr in resolve(host, port)? {
        match TcpStream::connect(addr) {
            Ok(sock) => return Ok(sock),
            Err(error) => last = Some(error),
        }
    }
    let error = last.unwrap_or_else(|| io::Error::other("no address to try"));
    Err(error).context(|| format!("cannot connect to {} port {port}", interface(host)))
}

/// The book's server preamble: a TCP socket with `SO_REUSEADDR` set, bound to
/// `(host, port)`, listening with the given backlog (`sock.listen(1)` in Chapter 3).
pub fn listen(host: &str, port: u16, backlog: i32) -> Result<TcpListener, Error> {
    let addr = resolve(host, port)?[0];
    let attempt = || -> io::Result<TcpListener> {
        let sock = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
        sock.set_reuse_address(true)?;
        sock.bind(&addr.into())?;
        sock.listen(backlog)?;
        Ok(sock.into())
    };
    attempt().context(|| format!("cannot listen at {} port {port}", interface(host)))
}

/// `sock.accept()` for the book's blocking servers, which must outlive a failed accept:
/// returns the connection, or `None` once a failed accept has been dealt with by
/// [`accept_failed`], or an error when the listening socket itself is finished.
pub fn accept(
    sock: &TcpListener,
    out: &mut impl Write,
) -> Result<Option<(TcpStream, SocketAddr)>, Error> {
    match sock.accept() {
        Ok(accepted) => Ok(Some(accepted)),
        Err(error) => accept_failed(error, out).map(|()| None),
    }
}

/// Deals with an `accept()` error: when the listening socket is finished (closed or shut
/// down) it is returned as an error; otherwise one incoming connection failed, which is
/// reported in one line and survived (pausing briefly when out of descriptors, since the
/// connection waits in the backlog and accepting again at once would fail again).
pub fn accept_failed(error: io::Error, out: &mut impl Write) -> Result<(), Error> {
    if listener_gone(&error) {
        return Err(error).context(|| "the listening socket failed");
    }
    writeln!(out, "  Could not accept a connection: {error}")?;
    if accept_needs_pause(&error) {
        thread::sleep(Duration::from_millis(100));
    }
    Ok(())
}

/// Whether an `accept()` error means the listening socket itself is finished (closed or
/// shut down), rather than one incoming connection having failed.
fn listener_gone(error: &io::Error) -> bool {
    matches!(
        error.raw_os_error(),
        Some(code) if code == 22 /* EINVAL */ || code == 9 /* EBADF */ || code == 88 /* ENOTSOCK */
    )
}

/// Whether an `accept()` error comes from running out of descriptors or memory: the
/// connection waits in the backlog, so pause briefly instead of failing at once again.
fn accept_needs_pause(error: &io::Error) -> bool {
    matches!(
        error.raw_os_error(),
        Some(code) if code == 24 /* EMFILE */ || code == 23 /* ENFILE */ || code == 105 /* ENOBUFS */ || code == 12 /* ENOMEM */
    )
}

#[cfg(test)]
mod tests {
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
}
