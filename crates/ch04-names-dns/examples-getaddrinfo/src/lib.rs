//! Chapter 4's interactive session with `getaddrinfo()`: the calls that need no name
//! server (a passive address for a server, a numeric host, a service name from
//! `/etc/services`), each a Rust doc test that makes the same call through the
//! `dns-lookup` crate and checks it against what Python 3.10 and 3.13 print.
//! `cargo test -p examples-getaddrinfo` runs them. The calls that ask DNS for the
//! book's real hosts (`gatech.edu`, `iana.org`) are `www_ping`'s and `dns_basic`'s
//! business, against the stand-in zone.
//!
//! # Where a server binds: `AI_PASSIVE` and no host
//!
//! ```python
//! >>> getaddrinfo(None, 'smtp', 0, socket.SOCK_STREAM, 0, socket.AI_PASSIVE)
//! [(<AddressFamily.AF_INET: 2>, <SocketKind.SOCK_STREAM: 1>, 6, '', ('0.0.0.0', 25)), (<AddressFamily.AF_INET6: 10>, <SocketKind.SOCK_STREAM: 1>, 6, '', ('::', 25, 0, 0))]
//! >>> getaddrinfo(None, 53, 0, socket.SOCK_DGRAM, 0, socket.AI_PASSIVE)
//! [(<AddressFamily.AF_INET: 2>, <SocketKind.SOCK_DGRAM: 2>, 17, '', ('0.0.0.0', 53)), (<AddressFamily.AF_INET6: 10>, <SocketKind.SOCK_DGRAM: 2>, 17, '', ('::', 53, 0, 0))]
//! ```
//!
//! ```
//! use examples_getaddrinfo::{getaddrinfo, python_list};
//!
//! let smtp = getaddrinfo(None, "smtp", 0, libc::SOCK_STREAM, 0, libc::AI_PASSIVE).unwrap();
//! assert_eq!(
//!     python_list(&smtp),
//!     "[(<AddressFamily.AF_INET: 2>, <SocketKind.SOCK_STREAM: 1>, 6, '', ('0.0.0.0', 25)), \
//!      (<AddressFamily.AF_INET6: 10>, <SocketKind.SOCK_STREAM: 1>, 6, '', ('::', 25, 0, 0))]"
//! );
//! let dns = getaddrinfo(None, "53", 0, libc::SOCK_DGRAM, 0, libc::AI_PASSIVE).unwrap();
//! assert_eq!(
//!     python_list(&dns),
//!     "[(<AddressFamily.AF_INET: 2>, <SocketKind.SOCK_DGRAM: 2>, 17, '', ('0.0.0.0', 53)), \
//!      (<AddressFamily.AF_INET6: 10>, <SocketKind.SOCK_DGRAM: 2>, 17, '', ('::', 53, 0, 0))]"
//! );
//! ```
//!
//! # A numeric host, and one that must be numeric
//!
//! ```python
//! >>> getaddrinfo('127.0.0.1', 'smtp', 0, socket.SOCK_STREAM, 0)
//! [(<AddressFamily.AF_INET: 2>, <SocketKind.SOCK_STREAM: 1>, 6, '', ('127.0.0.1', 25))]
//! >>> getaddrinfo('::1', 'www', 0, socket.SOCK_STREAM, 0, socket.AI_NUMERICHOST)
//! [(<AddressFamily.AF_INET6: 10>, <SocketKind.SOCK_STREAM: 1>, 6, '', ('::1', 80, 0, 0))]
//! >>> getaddrinfo('cern.ch', 'www', 0, socket.SOCK_STREAM, 0, socket.AI_NUMERICHOST)
//! socket.gaierror: [Errno -2] Name or service not known
//! ```
//!
//! `AI_NUMERICHOST` refuses a name without asking anyone, so the last call is safe
//! here: no query leaves the machine.
//!
//! ```
//! use examples_getaddrinfo::{getaddrinfo, python_list};
//!
//! let local = getaddrinfo(Some("127.0.0.1"), "smtp", 0, libc::SOCK_STREAM, 0, 0).unwrap();
//! assert_eq!(
//!     python_list(&local),
//!     "[(<AddressFamily.AF_INET: 2>, <SocketKind.SOCK_STREAM: 1>, 6, '', ('127.0.0.1', 25))]"
//! );
//! let six = getaddrinfo(Some("::1"), "www", 0, libc::SOCK_STREAM, 0, libc::AI_NUMERICHOST);
//! assert_eq!(
//!     python_list(&six.unwrap()),
//!     "[(<AddressFamily.AF_INET6: 10>, <SocketKind.SOCK_STREAM: 1>, 6, '', ('::1', 80, 0, 0))]"
//! );
//! let name = getaddrinfo(Some("cern.ch"), "www", 0, libc::SOCK_STREAM, 0, libc::AI_NUMERICHOST);
//! assert_eq!(name.unwrap_err(), "[Errno -2] Name or service not known");
//! ```
//!
//! # Services and protocols by name
//!
//! ```python
//! >>> socket.getservbyname('www'), socket.getservbyport(80), socket.getprotobyname('UDP')
//! (80, 'http', 17)
//! ```
//!
//! (The book printed `'www'` for port 80; today's `/etc/services` calls it `http`, with
//! `www` as an alias.)
//!
//! ```
//! use examples_getaddrinfo::{getprotobyname, getservbyname, getservbyport};
//!
//! assert_eq!(getservbyname("www", "tcp"), Some(80));
//! assert_eq!(getservbyport(80, "tcp").as_deref(), Some("http"));
//! assert_eq!(getprotobyname("UDP"), Some(17));
//! ```

use std::ffi::{CStr, CString};
use std::fmt;
use std::net::SocketAddr;

use fopnp::PyAddr;

/// One answer of `getaddrinfo()`: family, type, protocol, canonical name, address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Info {
    pub family: i32,
    pub socktype: i32,
    pub protocol: i32,
    pub canonname: String,
    pub sockaddr: SocketAddr,
}

/// `socket.getaddrinfo(host, port, family, type, proto, flags)`, or the error as
/// Python's `gaierror` prints it (`[Errno -2] Name or service not known`).
pub fn getaddrinfo(
    host: Option<&str>,
    service: &str,
    family: i32,
    socktype: i32,
    protocol: i32,
    flags: i32,
) -> Result<Vec<Info>, String> {
    let hints = dns_lookup::AddrInfoHints {
        flags,
        address: family,
        socktype,
        protocol,
    };
    let gaierror = |code: i32| format!("[Errno {code}] {}", fopnp::net::gai_strerror(code));
    let found = dns_lookup::getaddrinfo(host, Some(service), Some(hints))
        .map_err(|e| gaierror(e.error_num()))?;
    found
        .map(|info| {
            let info = info.map_err(|e| e.to_string())?;
            Ok(Info {
                family: info.address,
                socktype: info.socktype,
                protocol: info.protocol,
                canonname: info.canonname.unwrap_or_default(),
                sockaddr: info.sockaddr,
            })
        })
        .collect()
}

/// Python's repr of one answer: `(<AddressFamily.AF_INET: 2>, <SocketKind.SOCK_STREAM:
/// 1>, 6, '', ('127.0.0.1', 25))`.
impl fmt::Display for Info {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let family = match self.family {
            libc::AF_INET => "AF_INET",
            libc::AF_INET6 => "AF_INET6",
            _ => "AF_UNSPEC",
        };
        let kind = match self.socktype {
            libc::SOCK_STREAM => "SOCK_STREAM",
            libc::SOCK_DGRAM => "SOCK_DGRAM",
            _ => "SOCK_RAW",
        };
        write!(
            f,
            "(<AddressFamily.{family}: {}>, <SocketKind.{kind}: {}>, {}, {}, {})",
            self.family,
            self.socktype,
            self.protocol,
            fopnp::PyStr(&self.canonname),
            PyAddr(self.sockaddr)
        )
    }
}

/// Python's repr of the list `getaddrinfo()` returns.
pub fn python_list(infos: &[Info]) -> String {
    let items: Vec<String> = infos.iter().map(Info::to_string).collect();
    format!("[{}]", items.join(", "))
}

/// `socket.getservbyname(name, proto)`: the port of a service in `/etc/services`.
pub fn getservbyname(name: &str, proto: &str) -> Option<u16> {
    let (name, proto) = (CString::new(name).ok()?, CString::new(proto).ok()?);
    // SAFETY: both are NUL-terminated; the result, if not null, points to a static
    // entry read at once (getservbyname is not thread-safe, and nothing else here calls
    // it at the same time within one doc test).
    let entry = unsafe { libc::getservbyname(name.as_ptr(), proto.as_ptr()) };
    if entry.is_null() {
        return None;
    }
    // SAFETY: not null, as checked; s_port is in network order.
    Some(u16::from_be(unsafe { (*entry).s_port } as u16))
}

/// `socket.getservbyport(port, proto)`: a port's service name.
pub fn getservbyport(port: u16, proto: &str) -> Option<String> {
    let proto = CString::new(proto).ok()?;
    // SAFETY: as for getservbyname; the port goes in network order.
    let entry = unsafe { libc::getservbyport(i32::from(port.to_be()), proto.as_ptr()) };
    if entry.is_null() {
        return None;
    }
    // SAFETY: not null; s_name is a NUL-terminated string of the entry.
    Some(
        unsafe { CStr::from_ptr((*entry).s_name) }
            .to_string_lossy()
            .into_owned(),
    )
}

/// `socket.getprotobyname(name)`: a protocol's number in `/etc/protocols`.
pub fn getprotobyname(name: &str) -> Option<i32> {
    let name = CString::new(name).ok()?;
    // SAFETY: as for getservbyname.
    let entry = unsafe { libc::getprotobyname(name.as_ptr()) };
    if entry.is_null() {
        return None;
    }
    // SAFETY: not null.
    Some(unsafe { (*entry).p_proto })
}
