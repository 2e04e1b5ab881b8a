//! Chapter 4, `www_ping.py`: the way the book recommends to turn a name into a socket.
//! Ask `getaddrinfo()` for the service with the flags that suit a client, then connect
//! to the first address it gives.
//!
//! ```python
//! def connect_to(hostname_or_ip):
//!     try:
//!         infolist = socket.getaddrinfo(
//!             hostname_or_ip, 'www', 0, socket.SOCK_STREAM, 0,
//!             socket.AI_ADDRCONFIG | socket.AI_V4MAPPED | socket.AI_CANONNAME,
//!             )
//!     except socket.gaierror as e:
//!         print('Name service failure:', e.args[1])
//!         sys.exit(1)
//!
//!     info = infolist[0]  # per standard recommendation, try the first one
//!     socket_args = info[0:3]
//!     address = info[4]
//!     s = socket.socket(*socket_args)
//!     try:
//!         s.connect(address)
//!     except socket.error as e:
//!         print('Network failure:', e.args[1])
//!     else:
//!         print('Success: host', info[3], 'is listening on port 80')
//! ```

use std::io::Write;

use fopnp::Error;
use socket2::{Domain, Protocol, Socket, Type};

/// How the script ended: its exit status is 1 for a name that could not be resolved,
/// and 0 otherwise (a refused connection too, as the book's).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Success,
    NetworkFailure,
    NameServiceFailure,
}

/// The book's `connect_to(hostname_or_ip)`, to `port` (the book's is always 80, the
/// `www` service; `-p` is a departure).
pub fn connect_to(
    hostname_or_ip: &str,
    port: Option<u16>,
    out: &mut dyn Write,
) -> Result<Outcome, Error> {
    let host = idna2003(hostname_or_ip).map_err(|why| {
        Error::msg(format!(
            "cannot encode {hostname_or_ip:?} with the 'idna' codec: {why}"
        ))
    })?;
    let hints = dns_lookup::AddrInfoHints {
        flags: libc::AI_ADDRCONFIG | libc::AI_V4MAPPED | libc::AI_CANONNAME,
        address: 0,
        socktype: libc::SOCK_STREAM,
        protocol: 0,
    };
    let service = port.map_or_else(|| "www".to_string(), |p| p.to_string());
    let first = dns_lookup::getaddrinfo(Some(&host), Some(&service), Some(hints))
        .map_err(|e| e.error_num())
        .and_then(|mut infolist| match infolist.next() {
            Some(Ok(info)) => Ok(info),
            Some(Err(e)) => Err(e.raw_os_error().unwrap_or(libc::EAI_FAIL)),
            None => Err(libc::EAI_NONAME),
        });
    let info = match first {
        Ok(info) => info,
        Err(code) => {
            writeln!(
                out,
                "Name service failure: {}",
                fopnp::net::gai_strerror(code)
            )?;
            return Ok(Outcome::NameServiceFailure);
        }
    };
    let s = Socket::new(
        Domain::from(info.address),
        Type::from(info.socktype),
        Some(Protocol::from(info.protocol)),
    )
    .map_err(|e| Error::msg(format!("cannot make a socket: {e}")))?;
    match s.connect(&info.sockaddr.into()) {
        Err(e) => {
            writeln!(out, "Network failure: {}", strerror(&e))?;
            Ok(Outcome::NetworkFailure)
        }
        Ok(()) => {
            let canonname = info.canonname.unwrap_or_default();
            let port = info.sockaddr.port();
            writeln!(out, "Success: host {canonname} is listening on port {port}")?;
            Ok(Outcome::Success)
        }
    }
}

/// An OS error's text alone, as Python's `e.args[1]`: `Connection refused`, without
/// Rust's ` (os error 111)`.
fn strerror(error: &std::io::Error) -> String {
    let text = error.to_string();
    match text.rfind(" (os error ") {
        Some(at) => text[..at].to_string(),
        None => text,
    }
}

/// Python's `idna` codec (IDNA 2003), as `socket.getaddrinfo()` applies it to a name
/// before glibc sees it: ASCII labels go as typed (their case kept); the others are
/// mapped and put in punycode (`bücher` becomes `xn--bcher-kva`, `straße` becomes
/// `strasse`, as IDNA 2003 maps `ß`). An empty label (but a final one) or one over 63
/// octets is refused, where glibc would only say the name is unknown.
///
/// The mapping is UTS 46's (the `idna` crate's) with IDNA 2003's differences applied
/// first: `ß` is `ss`, final sigma is sigma, and the zero-width joiners go.
pub fn idna2003(name: &str) -> Result<String, &'static str> {
    if name.is_empty() {
        return Ok(String::new());
    }
    let (body, dot) = match name.strip_suffix('.') {
        Some(body) => (body, "."),
        None => (name, ""),
    };
    let mut labels = Vec::new();
    for label in body.split(['.', '\u{3002}', '\u{ff0e}', '\u{ff61}']) {
        let label = if label.is_ascii() {
            label.to_string()
        } else {
            let mapped: String = label
                .chars()
                .flat_map(|c| match c {
                    'ß' => vec!['s', 's'],
                    'ς' => vec!['σ'],
                    '\u{200c}' | '\u{200d}' => vec![],
                    c => vec![c],
                })
                .collect();
            idna::domain_to_ascii(&mapped).map_err(|_| "label not allowed")?
        };
        if label.is_empty() {
            return Err("label empty");
        }
        if label.len() > 63 {
            return Err("label too long");
        }
        labels.push(label);
    }
    Ok(format!("{}{dot}", labels.join(".")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn idna_2003_keeps_ascii_case_and_maps_sharp_s_to_ss() {
        assert_eq!(idna2003("WWW.Example.COM").unwrap(), "WWW.Example.COM");
        assert_eq!(
            idna2003("bücher.example.com").unwrap(),
            "xn--bcher-kva.example.com"
        );
        assert_eq!(
            idna2003("BÜCHER.example.com").unwrap(),
            "xn--bcher-kva.example.com"
        );
        assert_eq!(
            idna2003("straße.example.com").unwrap(),
            "strasse.example.com"
        );
        assert_eq!(idna2003("www.example.com.").unwrap(), "www.example.com.");
        assert_eq!(idna2003("127.1").unwrap(), "127.1");
        assert_eq!(idna2003("").unwrap(), "");
        assert_eq!(idna2003("bad..name"), Err("label empty"));
        assert_eq!(
            idna2003(&format!("{}.com", "a".repeat(64))),
            Err("label too long")
        );
        assert!(idna2003(&format!("{}.com", "a".repeat(63))).is_ok());
    }

    #[test]
    fn an_os_error_is_its_text_alone() {
        let refused = std::io::Error::from_raw_os_error(libc::ECONNREFUSED);
        assert_eq!(strerror(&refused), "Connection refused");
    }
}
