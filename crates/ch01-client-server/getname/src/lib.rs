//! Chapter 1, `getname.py`: a host name turned into an address, the step beneath every
//! search script.
//!
//! ```python
//! if __name__ == '__main__':
//!     hostname = 'maps.google.com'
//!     addr = socket.gethostbyname(hostname)
//!     print('The IP address of {} is {}'.format(hostname, addr))
//! ```

use std::io::Write;
use std::net::{IpAddr, Ipv4Addr};

use fopnp::Error;

/// The name the book looks up.
pub const HOSTNAME: &str = "maps.google.com";

/// `socket.gethostbyname(hostname)`: the first IPv4 address that the system's resolver
/// (the hosts file, then DNS) gives, since gethostbyname knows IPv4 only.
///
/// `resolve` (a departure, `--resolve NAME=ADDR`) answers first, as a line of a hosts
/// file would, so that the listing runs without the machine's resolver.
pub fn gethostbyname(hostname: &str, resolve: &[(String, Ipv4Addr)]) -> Result<Ipv4Addr, Error> {
    if let Some((_, addr)) = resolve
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(hostname))
    {
        return Ok(*addr);
    }
    let hints = dns_lookup::AddrInfoHints {
        address: libc::AF_INET,
        // One answer per address.
        socktype: libc::SOCK_STREAM,
        ..Default::default()
    };
    let found = dns_lookup::getaddrinfo(Some(hostname), None, Some(hints))
        .map_err(|e| Error::msg(format!("cannot resolve {hostname}: {}", lookup_error(&e))))?;
    for info in found {
        let info = info.map_err(|e| Error::msg(format!("cannot resolve {hostname}: {e}")))?;
        if let IpAddr::V4(addr) = info.sockaddr.ip() {
            return Ok(addr);
        }
    }
    Err(Error::msg(format!("{hostname} has no IPv4 address")))
}

/// A getaddrinfo error as Python's `socket.gaierror` words it (`Name or service not
/// known`).
pub fn lookup_error(error: &dns_lookup::LookupError) -> String {
    fopnp::net::gai_strerror(error.error_num())
}

/// `--resolve NAME=ADDR`.
pub fn parse_resolve(text: &str) -> Result<(String, Ipv4Addr), String> {
    let (name, addr) = text
        .split_once('=')
        .ok_or_else(|| format!("{text:?} is not NAME=ADDR"))?;
    let addr = addr
        .parse()
        .map_err(|_| format!("{addr:?} is not an IPv4 address"))?;
    Ok((name.to_string(), addr))
}

/// The script: looks the name up and prints its address.
pub fn main(resolve: &[(String, Ipv4Addr)], out: &mut dyn Write) -> Result<(), Error> {
    let hostname = HOSTNAME;
    let addr = gethostbyname(hostname, resolve)?;
    writeln!(out, "The IP address of {hostname} is {addr}")?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_resolve_entry_answers_before_the_resolver_and_numbers_need_none() {
        let entry = parse_resolve("maps.google.com=127.0.0.1").unwrap();
        let got = gethostbyname("MAPS.google.com", &[entry]).unwrap();
        assert_eq!(got, Ipv4Addr::LOCALHOST);
        // A numeric address is never looked up.
        assert_eq!(
            gethostbyname("127.0.0.2", &[]).unwrap(),
            Ipv4Addr::new(127, 0, 0, 2)
        );
        assert!(parse_resolve("maps.google.com").is_err());
        assert!(parse_resolve("a=::1").unwrap_err().contains("IPv4"));
    }
}
