//! Foundations of Python Network Programming, Third Edition
//! <https://github.com/brandon-rhodes/fopnp/blob/m/py3/chapter06/test_tls.py>
//! Attempt a TLS connection and, if successful, report its properties
//!
//! Chapter 6's tool for seeing what a TLS connection really is: run it as a server (`-s`)
//! or a client, and it reports the peer's certificate, the protocol version, the cipher
//! and its key size, each as `title.ljust(36, '.')`, wrapped at 70 columns. Its context
//! is the book's: the client requires a certificate signed by a trusted CA but does not
//! check the name (`check_hostname = False`), it only reports whether the name matches;
//! the server asks for a client certificate and accepts a client without one
//! (`CERT_OPTIONAL`).
//!
//! Run it in two terminals, with a CA and a certificate for `localhost` (`cargo xtask
//! certs DIR` makes both):
//!
//! ```text
//! $ test_tls -s DIR/localhost.pem 127.0.0.1 1060
//! $ test_tls -a DIR/ca.crt localhost 1060
//! ```
//!
//! Where Python's `ssl` has something rustls has not, the port computes it from what it
//! loaded: `Certificates loaded of type ...` counts the certificates read from `-a` (or
//! the system's store), `x509_ca` those whose basicConstraints say CA, and `crl` is
//! always 0 (the port loads no CRLs); compression is always `none` (rustls has none).
//! Names are OpenSSL's, as Python prints them (`TLS_AES_256_GCM_SHA384`, not rustls's
//! `TLS13_AES_256_GCM_SHA384`).
//!
//! # The recorded session
//!
//! `output.txt`, as `cargo xtask run` shows it, kept true by `cargo xtask transcripts --check`:
#![doc = concat!("```text\n", include_str!("../output.txt"), "```")]

use std::io::{self, Write};
use std::net::{IpAddr, TcpStream};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use fopnp::{Context as _, Error, PyAddr, PyStr};
use tlskit::load::Roots;
use tlskit::rustls::pki_types::{CertificateDer, ServerName};
use tlskit::rustls::server::WebPkiClientVerifier;
use tlskit::rustls::{
    ClientConfig, ClientConnection, ServerConfig, ServerConnection, StreamOwned,
    SupportedProtocolVersion,
};
use x509_parser::prelude::{FromDer, GeneralName, X509Certificate};

/// Protect a socket with TLS
#[derive(clap::Parser, Debug)]
#[command(name = "test_tls", version)]
pub struct Args {
    /// hostname or IP address
    pub host: String,
    /// TCP port number
    pub port: u16,
    /// authority: path to CA certificate PEM file
    #[arg(short = 'a', value_name = "cafile")]
    pub a: Option<PathBuf>,
    /// path to PEM file with client certificate
    #[arg(short = 'c', value_name = "certfile", conflicts_with = "s")]
    pub c: Option<PathBuf>,
    /// list of ciphers, formatted per OpenSSL: ALL, DEFAULT, or names such as
    /// ECDHE-ECDSA-AES256-GCM-SHA384 (these govern TLS 1.2; TLS 1.3's stay unless the
    /// list names one, such as TLS_AES_128_GCM_SHA256)
    #[arg(short = 'C', value_name = "ciphers", default_value = "ALL")]
    pub ciphers: String,
    /// protocol version (default: "SSLv23"); rustls has TLSv1_2 and TLSv1_3 (not in
    /// Python), and SSLv23 or TLS lets the two sides pick the newest
    #[arg(short = 'p', value_name = "PROTOCOL", default_value = "SSLv23")]
    pub p: String,
    /// run as server: path to certificate PEM file
    #[arg(short = 's', value_name = "certfile")]
    pub s: Option<PathBuf>,
    /// debug mode: do not hide "ctypes" exceptions (accepted, and does nothing: it
    /// only ever changed a code path that Python 3.5 made unnecessary)
    #[arg(short = 'd')]
    pub d: bool,
    /// verbose: print out remote certificate
    #[arg(short = 'v')]
    pub v: bool,
}

/// What Python's `SSLContext` holds here: a client or a server configuration, and the
/// certificates it loaded to trust, for `cert_store_stats()`.
pub struct Context {
    pub client: Option<Arc<ClientConfig>>,
    pub server: Option<Arc<ServerConfig>>,
    pub loaded: Vec<CertificateDer<'static>>,
}

impl Context {
    /// `cert_store_stats()`, sorted: the certificates loaded, and how many of them are
    /// CAs (basicConstraints `CA:TRUE`); no CRLs are ever loaded.
    pub fn cert_store_stats(&self) -> [(&'static str, usize); 3] {
        let ca = self
            .loaded
            .iter()
            .filter(|der| {
                X509Certificate::from_der(der).is_ok_and(|(_, cert)| {
                    cert.basic_constraints()
                        .ok()
                        .flatten()
                        .is_some_and(|bc| bc.value.ca)
                })
            })
            .count();
        [("crl", 0), ("x509", self.loaded.len()), ("x509_ca", ca)]
    }
}

/// A TLS socket, either side.
pub enum SslSock {
    Client(StreamOwned<ClientConnection, TcpStream>),
    Server(StreamOwned<ServerConnection, TcpStream>),
}

impl SslSock {
    /// `getpeercert(binary_form=True)`: the peer's own certificate, if it sent one.
    pub fn peer_certificate(&self) -> Option<&CertificateDer<'static>> {
        match self {
            SslSock::Client(s) => s.conn.peer_certificates(),
            SslSock::Server(s) => s.conn.peer_certificates(),
        }
        .and_then(|chain| chain.first())
    }

    fn negotiated(&self) -> (Option<String>, Option<&'static tlskit::names::Suite>) {
        let (version, suite) = match self {
            SslSock::Client(s) => (s.conn.protocol_version(), s.conn.negotiated_cipher_suite()),
            SslSock::Server(s) => (s.conn.protocol_version(), s.conn.negotiated_cipher_suite()),
        };
        (
            version.map(tlskit::names::version_name),
            suite.and_then(tlskit::names::suite_of),
        )
    }

    /// Closes with close_notify (Departure: Python's script just exits, and its socket
    /// closes without one).
    pub fn close(&mut self) -> io::Result<()> {
        match self {
            SslSock::Client(s) => tlskit::close(&mut s.conn, &mut s.sock),
            SslSock::Server(s) => tlskit::close(&mut s.conn, &mut s.sock),
        }
    }
}

/// The listing's `open_tls(context, address, server=False)`.
pub fn open_tls(
    context: &Context,
    address: (&str, u16),
    server: bool,
    out: &mut dyn Write,
) -> Result<SslSock, Error> {
    let (host, port) = address;
    let shown = format!("({}, {port})", PyStr(host));
    let failed =
        |e: io::Error| Error::msg(format!("TLS handshake failed: {}", tlskit::describe(&e)));
    if server {
        let listener = fopnp::net::listen(host, port, 1)?;
        say(out, "Interface where we are listening", &[shown])?;
        let (raw_client_sock, address) =
            listener.accept().context(|| "cannot accept a connection")?;
        say(
            out,
            "Client has connected from address",
            &[PyAddr(address).to_string()],
        )?;
        let config = context
            .server
            .clone()
            .ok_or_else(|| Error::msg("no server context"))?;
        let conn = ServerConnection::new(config).map_err(Error::new)?;
        let mut ssl_sock = StreamOwned::new(conn, raw_client_sock);
        tlskit::handshake(&mut ssl_sock.conn, &mut ssl_sock.sock).map_err(failed)?;
        Ok(SslSock::Server(ssl_sock))
    } else {
        say(out, "Address we want to talk to", &[shown])?;
        let raw_sock = fopnp::net::connect(host, port)?;
        let config = context
            .client
            .clone()
            .ok_or_else(|| Error::msg("no client context"))?;
        // The book wraps without server_hostname: no SNI (see `context`), and the name
        // that rustls insists on is only reported, by describe().
        let name = ServerName::try_from(host.to_string())
            .unwrap_or_else(|_| ServerName::try_from("invalid.name").expect("a valid name"));
        let conn = ClientConnection::new(config, name).map_err(Error::new)?;
        let mut ssl_sock = StreamOwned::new(conn, raw_sock);
        tlskit::handshake(&mut ssl_sock.conn, &mut ssl_sock.sock).map_err(failed)?;
        Ok(SslSock::Client(ssl_sock))
    }
}

/// The fields of `getpeercert()` that the report reads and `-v` prints.
pub struct PeerCert {
    /// `subject`: each attribute as OpenSSL's long name and its value.
    pub subject: Vec<(String, String)>,
    pub issuer: Vec<(String, String)>,
    /// `subjectAltName`: `('DNS', name)` and `('IP Address', address)`.
    pub subject_alt_name: Vec<(&'static str, String)>,
    pub not_before: String,
    pub not_after: String,
    pub serial_number: String,
    pub version: u32,
}

/// Python's `getpeercert()` of a certificate: `None` if it cannot be parsed.
pub fn getpeercert(der: &[u8]) -> Option<PeerCert> {
    let (_, cert) = X509Certificate::from_der(der).ok()?;
    let name = |name: &x509_parser::x509::X509Name<'_>| -> Vec<(String, String)> {
        name.iter_attributes()
            .map(|a| {
                let key = long_name(&a.attr_type().to_id_string());
                (key, a.as_str().unwrap_or("?").to_string())
            })
            .collect()
    };
    let mut subject_alt_name = Vec::new();
    if let Ok(Some(san)) = cert.subject_alternative_name() {
        for general in &san.value.general_names {
            match general {
                GeneralName::DNSName(dns) => subject_alt_name.push(("DNS", dns.to_string())),
                GeneralName::IPAddress(bytes) => {
                    let ip = match bytes.len() {
                        4 => <[u8; 4]>::try_from(*bytes).ok().map(IpAddr::from),
                        16 => <[u8; 16]>::try_from(*bytes).ok().map(IpAddr::from),
                        _ => None,
                    };
                    if let Some(ip) = ip {
                        subject_alt_name.push(("IP Address", ip.to_string()));
                    }
                }
                _ => {}
            }
        }
    }
    let serial = cert.raw_serial();
    let first = serial
        .iter()
        .position(|b| *b != 0)
        .unwrap_or(serial.len().saturating_sub(1));
    Some(PeerCert {
        subject: name(cert.subject()),
        issuer: name(cert.issuer()),
        subject_alt_name,
        not_before: asn1_time(cert.validity().not_before.timestamp()),
        not_after: asn1_time(cert.validity().not_after.timestamp()),
        serial_number: serial[first..].iter().map(|b| format!("{b:02X}")).collect(),
        version: cert.version().0 + 1,
    })
}

/// OpenSSL's long name of an attribute, as `getpeercert()` gives it.
fn long_name(oid: &str) -> String {
    match oid {
        "2.5.4.3" => "commonName",
        "2.5.4.6" => "countryName",
        "2.5.4.7" => "localityName",
        "2.5.4.8" => "stateOrProvinceName",
        "2.5.4.10" => "organizationName",
        "2.5.4.11" => "organizationalUnitName",
        "1.2.840.113549.1.9.1" => "emailAddress",
        other => other,
    }
    .to_string()
}

/// A time as OpenSSL prints one: `Jul 22 16:00:15 2119 GMT`.
fn asn1_time(timestamp: i64) -> String {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let (days, seconds) = (timestamp.div_euclid(86_400), timestamp.rem_euclid(86_400));
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{} {day:>2} {:02}:{:02}:{:02} {year} GMT",
        MONTHS[(month - 1) as usize],
        seconds / 3600,
        seconds / 60 % 60,
        seconds % 60
    )
}

/// The listing's `describe(ssl_sock, hostname, server=False, debug=False)`.
pub fn describe(
    context: &Context,
    ssl_sock: &SslSock,
    hostname: &str,
    server: bool,
    out: &mut dyn Write,
) -> Result<Option<PeerCert>, Error> {
    let cert = ssl_sock.peer_certificate().and_then(|der| getpeercert(der));
    match &cert {
        None => say(out, "Peer certificate", &["none".into()])?,
        Some(cert) => {
            say(out, "Peer certificate", &["provided".into()])?;
            let mut names: Vec<String> = cert
                .subject
                .iter()
                .filter(|(key, _)| key == "commonName")
                .map(|(_, name)| name.clone())
                .collect();
            names.extend(
                cert.subject_alt_name
                    .iter()
                    .filter(|(key, _)| *key == "DNS")
                    .map(|(_, name)| name.clone()),
            );
            let shown = if names.is_empty() {
                vec!["none".into()]
            } else {
                names.clone()
            };
            say(out, "Name(s) on peer certificate", &shown)?;
            if !server && !names.is_empty() {
                let message = match match_hostname(cert, hostname) {
                    Ok(()) => "Yes".to_string(),
                    // str() of Python's CertificateError is the repr of its args tuple.
                    Err(e) => format!("({},)", PyStr(&e)),
                };
                say(out, "Whether name(s) match the hostname", &[message])?;
            }
            for (category, count) in context.cert_store_stats() {
                say(
                    out,
                    &format!("Certificates loaded of type {category}"),
                    &[count.to_string()],
                )?;
            }
        }
    }
    let (protocol_version, suite) = ssl_sock.negotiated();
    if let Some(protocol_version) = protocol_version {
        say(out, "Protocol version negotiated", &[protocol_version])?;
    }
    let (cipher, version, bits) = suite.map_or(("?", "?", 0), |s| (s.openssl, s.version, s.bits));
    say(out, "Cipher chosen for this connection", &[cipher.into()])?;
    say(out, "Cipher defined in TLS version", &[version.into()])?;
    say(out, "Cipher key has this many bits", &[bits.to_string()])?;
    // rustls has no compression, as OpenSSL 3 has none by default.
    say(out, "Compression algorithm in use", &["none".into()])?;
    Ok(cert)
}

/// `ssl.match_hostname(cert, hostname)` as Python 3.10 and 3.11 have it (3.12 removed it,
/// and the book's client dies there with `AttributeError`): the SAN's DNS names, or its
/// IP addresses for a host given as an address; the common name only if the SAN has
/// neither. `Err`: Python's message.
pub fn match_hostname(cert: &PeerCert, hostname: &str) -> Result<(), String> {
    let host_ip: Option<IpAddr> = hostname.parse().ok();
    let mut dnsnames = Vec::new();
    for (key, value) in &cert.subject_alt_name {
        if *key == "DNS" {
            if host_ip.is_none() && dnsname_match(value, hostname) {
                return Ok(());
            }
            dnsnames.push(value.clone());
        } else if *key == "IP Address" {
            if host_ip.is_some() && value.parse::<IpAddr>().ok() == host_ip {
                return Ok(());
            }
            dnsnames.push(value.clone());
        }
    }
    if dnsnames.is_empty() {
        for (key, value) in &cert.subject {
            if key == "commonName" {
                if dnsname_match(value, hostname) {
                    return Ok(());
                }
                dnsnames.push(value.clone());
            }
        }
    }
    let repr = |s: &str| PyStr(s).to_string();
    Err(match dnsnames.len() {
        0 => "no appropriate commonName or subjectAltName fields were found".into(),
        1 => format!(
            "hostname {} doesn't match {}",
            repr(hostname),
            repr(&dnsnames[0])
        ),
        _ => format!(
            "hostname {} doesn't match either of {}",
            repr(hostname),
            dnsnames
                .iter()
                .map(|n| repr(n))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    })
}

/// Python's `_dnsname_match`: case does not matter, and a `*` may stand for the whole
/// leftmost label.
fn dnsname_match(pattern: &str, hostname: &str) -> bool {
    let (pattern, hostname) = (pattern.to_ascii_lowercase(), hostname.to_ascii_lowercase());
    match pattern.strip_prefix("*.") {
        Some(rest) => hostname
            .split_once('.')
            .is_some_and(|(label, tail)| !label.is_empty() && tail == rest),
        None => pattern == hostname,
    }
}

/// The versions a `-p` name allows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Protocol {
    /// `SSLv23`, `TLS`, `TLS_CLIENT`, `TLS_SERVER`: the newest both sides have.
    Any,
    Tls12,
    /// Departure: Python has no `PROTOCOL_TLSv1_3` (it exits 2); the port accepts it.
    Tls13,
    /// `TLSv1`, `TLSv1_1`: Python has them; rustls has not.
    Unsupported,
}

impl Protocol {
    pub fn versions(self) -> &'static [&'static SupportedProtocolVersion] {
        match self {
            Protocol::Tls12 => tlskit::TLS12_ONLY,
            Protocol::Tls13 => tlskit::TLS13_ONLY,
            _ => tlskit::VERSIONS,
        }
    }
}

/// The names `lookup('PROTOCOL_', ...)` knows, sorted as `dir(ssl)` lists them.
pub const PROTOCOLS: [(&str, Protocol); 8] = [
    ("PROTOCOL_SSLv23", Protocol::Any),
    ("PROTOCOL_TLS", Protocol::Any),
    ("PROTOCOL_TLS_CLIENT", Protocol::Any),
    ("PROTOCOL_TLS_SERVER", Protocol::Any),
    ("PROTOCOL_TLSv1", Protocol::Unsupported),
    ("PROTOCOL_TLSv1_1", Protocol::Unsupported),
    ("PROTOCOL_TLSv1_2", Protocol::Tls12),
    ("PROTOCOL_TLSv1_3", Protocol::Tls13),
];

/// The listing's `lookup(prefix, name)`: `Err` is the message, filled, for stderr.
pub fn lookup(prefix: &str, name: &str) -> Result<(String, Protocol), String> {
    let name = if name.starts_with(prefix) {
        name.to_string()
    } else {
        format!("{prefix}{name}")
    };
    match PROTOCOLS.iter().find(|(n, _)| *n == name) {
        Some((_, protocol)) => Ok((name, *protocol)),
        None => {
            let matching: Vec<&str> = PROTOCOLS.iter().map(|(n, _)| *n).collect();
            Err(fill(&format!(
                "Error: {} is not one of the available names:\n {}",
                PyStr(&name),
                matching.join(" ")
            )))
        }
    }
}

/// The listing's `say(title, *words)`.
pub fn say(out: &mut dyn Write, title: &str, words: &[String]) -> io::Result<()> {
    let mut line = format!("{title:.<36}");
    line.push(' ');
    line.push_str(&words.join(" "));
    writeln!(out, "{}", fill(&line))
}

/// The listing's `fill(text)`: `textwrap.fill(text, subsequent_indent='    ',
/// break_long_words=False, break_on_hyphens=False)` at textwrap's width of 70.
pub fn fill(text: &str) -> String {
    const WIDTH: usize = 70;
    const INDENT: &str = "    ";
    // Every whitespace character becomes a space, then the text is cut into runs of
    // spaces and runs of the rest, as textwrap's chunks.
    let text: String = text
        .chars()
        .map(|c| if c.is_whitespace() { ' ' } else { c })
        .collect();
    let mut chunks: Vec<&str> = Vec::new();
    let mut start = 0;
    for (i, c) in text.char_indices().skip(1) {
        let previous = text[..i].ends_with(' ');
        if (c == ' ') != previous {
            chunks.push(&text[start..i]);
            start = i;
        }
    }
    if start < text.len() {
        chunks.push(&text[start..]);
    }
    chunks.reverse();
    let mut lines: Vec<String> = Vec::new();
    while !chunks.is_empty() {
        let indent = if lines.is_empty() { "" } else { INDENT };
        let width = WIDTH - indent.len();
        if !lines.is_empty() && chunks.last().is_some_and(|c| c.trim().is_empty()) {
            chunks.pop();
        }
        let mut line: Vec<&str> = Vec::new();
        let mut len = 0;
        while let Some(chunk) = chunks.last() {
            let n = chunk.chars().count();
            if len + n > width {
                break;
            }
            line.push(chunk);
            len += n;
            chunks.pop();
        }
        // A word longer than the width is not broken: it takes a line of its own.
        if line.is_empty()
            && let Some(chunk) = chunks.pop()
        {
            line.push(chunk);
        }
        if line.last().is_some_and(|c| c.trim().is_empty()) {
            line.pop();
        }
        if !line.is_empty() {
            lines.push(format!("{indent}{}", line.concat()));
        }
    }
    lines.join("\n")
}

/// `pprint(cert)` of `-v`: the dict that `getpeercert()` returns (`None` without one),
/// one key to a line as pprint lays out a dict too wide for 80 columns. (pprint's further
/// breaks inside one long value are not reproduced.)
pub fn pprint(cert: Option<&PeerCert>) -> String {
    let Some(cert) = cert else {
        return "None".into();
    };
    let repr = |s: &str| PyStr(s).to_string();
    let name = |attrs: &[(String, String)]| {
        let rdns: Vec<String> = attrs
            .iter()
            .map(|(k, v)| format!("(({}, {}),)", repr(k), repr(v)))
            .collect();
        tuple(&rdns)
    };
    let san: Vec<String> = cert
        .subject_alt_name
        .iter()
        .map(|(k, v)| format!("({}, {})", repr(k), repr(v)))
        .collect();
    let mut entries = vec![
        format!("'issuer': {}", name(&cert.issuer)),
        format!("'notAfter': {}", repr(&cert.not_after)),
        format!("'notBefore': {}", repr(&cert.not_before)),
        format!("'serialNumber': {}", repr(&cert.serial_number)),
        format!("'subject': {}", name(&cert.subject)),
    ];
    if !san.is_empty() {
        entries.push(format!("'subjectAltName': {}", tuple(&san)));
    }
    entries.push(format!("'version': {}", cert.version));
    let one_line = format!("{{{}}}", entries.join(", "));
    if one_line.len() <= 80 {
        one_line
    } else {
        format!("{{{}}}", entries.join(",\n "))
    }
}

/// A Python tuple's repr.
fn tuple(items: &[String]) -> String {
    match items {
        [one] => format!("({one},)"),
        _ => format!("({})", items.join(", ")),
    }
}

/// The listing's `__main__`: the context from the options, then the connection and its
/// report. Exit status: 0 reported; 1 a runtime failure (one line on stderr); 2 a
/// protocol or cipher list that cannot be used.
pub fn main(args: &Args) -> ExitCode {
    let address = (args.host.as_str(), args.port);
    let protocol = match lookup("PROTOCOL_", &args.p) {
        Ok((_, Protocol::Unsupported)) => {
            eprintln!(
                "test_tls: rustls has no {}: it speaks only TLS 1.2 and 1.3 (-p TLSv1_2, \
                 -p TLSv1_3, or -p SSLv23 for the newest)",
                args.p
            );
            return ExitCode::from(2);
        }
        Ok((_, protocol)) => protocol,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
    };
    let context = match context(args, protocol) {
        Ok(context) => context,
        Err(Refused::Usage(message)) => {
            eprintln!("test_tls: {message}");
            return ExitCode::from(2);
        }
        Err(Refused::Runtime(error)) => return fopnp::exit_status("test_tls", Err(error)),
    };
    let result = (|| {
        let mut out = fopnp::log::stdout();
        writeln!(out)?;
        let mut ssl_sock = open_tls(&context, address, args.s.is_some(), &mut out)?;
        let cert = describe(&context, &ssl_sock, &args.host, args.s.is_some(), &mut out)?;
        writeln!(out)?;
        if args.v {
            writeln!(out, "{}", pprint(cert.as_ref()))?;
        }
        out.flush()?;
        ssl_sock.close().map_err(|e| {
            Error::msg(format!(
                "closing the TLS connection failed: {}",
                tlskit::describe(&e)
            ))
        })
    })();
    fopnp::exit_status("test_tls", result)
}

/// Why no context could be built.
pub enum Refused {
    /// A cipher list that picks nothing: exit status 2.
    Usage(String),
    Runtime(Error),
}

/// The context the listing builds from its options: `SSLContext(protocol)`,
/// `set_ciphers(-C)`, `check_hostname = False`, `CERT_OPTIONAL` for a server and
/// `CERT_REQUIRED` for a client, `-a` or the system's store, and `-s` or `-c` as its own
/// certificate.
pub fn context(args: &Args, protocol: Protocol) -> Result<Context, Refused> {
    let runtime = |message: String| Refused::Runtime(Error::msg(message));
    let mut provider = tlskit::provider();
    provider.cipher_suites =
        tlskit::names::select(&args.ciphers, &provider.cipher_suites).map_err(Refused::Usage)?;
    let usable = provider.cipher_suites.iter().any(|s| {
        protocol
            .versions()
            .iter()
            .any(|v| v.version == s.version().version)
    });
    if !usable {
        return Err(Refused::Usage(format!(
            "no cipher can be selected: {:?} leaves none for -p {}",
            args.ciphers, args.p
        )));
    }
    let provider = tlskit::shared(provider);
    let Roots { store, loaded } = match &args.a {
        Some(cafile) => tlskit::load::verify_locations(cafile),
        None => tlskit::load::default_certs(),
    }
    .map_err(runtime)?;
    if let Some(certfile) = &args.s {
        let (chain, key) = tlskit::load::cert_chain(certfile).map_err(runtime)?;
        // CERT_OPTIONAL: a client without a certificate is let in; one with a
        // certificate that no trusted CA signed is refused.
        let verifier =
            WebPkiClientVerifier::builder_with_provider(Arc::new(store), provider.clone())
                .allow_unauthenticated()
                .build()
                .map_err(|e| runtime(format!("cannot build the client verifier: {e}")))?;
        let config = ServerConfig::builder_with_provider(provider)
            .with_protocol_versions(protocol.versions())
            .map_err(|e| runtime(e.to_string()))?
            .with_client_cert_verifier(verifier)
            .with_single_cert(chain, key)
            .map_err(|e| {
                let why = tlskit::sentence(&e, tlskit::Whose::Own);
                runtime(format!("cannot use {}: {why}", certfile.display()))
            })?;
        return Ok(Context {
            client: None,
            server: Some(Arc::new(config)),
            loaded,
        });
    }
    let verifier = tlskit::verify::ChainOnly::new(store, provider.clone()).map_err(runtime)?;
    let builder = ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(protocol.versions())
        .map_err(|e| runtime(e.to_string()))?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier));
    let mut config = match &args.c {
        Some(certfile) => {
            let (chain, key) = tlskit::load::cert_chain(certfile).map_err(runtime)?;
            builder.with_client_auth_cert(chain, key).map_err(|e| {
                let why = tlskit::sentence(&e, tlskit::Whose::Own);
                runtime(format!("cannot use {}: {why}", certfile.display()))
            })?
        }
        None => builder.with_no_client_auth(),
    };
    // wrap_socket() without server_hostname: no name is sent to the server.
    config.enable_sni = false;
    Ok(Context {
        client: Some(Arc::new(config)),
        server: None,
        loaded,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn say_pads_with_dots_and_fill_wraps_at_70_columns() {
        let mut out = Vec::new();
        say(&mut out, "Protocol version negotiated", &["TLSv1.3".into()]).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "Protocol version negotiated......... TLSv1.3\n"
        );
        let mut out = Vec::new();
        let message = format!("({},)", PyStr("hostname 'vm' doesn't match 'localhost'"));
        say(&mut out, "Whether name(s) match the hostname", &[message]).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "Whether name(s) match the hostname.. (\"hostname 'vm' doesn't match\n    'localhost'\",)\n"
        );
    }

    #[test]
    fn an_unknown_protocol_lists_the_names_as_python_does() {
        let message = lookup("PROTOCOL_", "SSLv3").unwrap_err();
        assert_eq!(
            message,
            "Error: 'PROTOCOL_SSLv3' is not one of the available names:\n    \
             PROTOCOL_SSLv23 PROTOCOL_TLS PROTOCOL_TLS_CLIENT\n    \
             PROTOCOL_TLS_SERVER PROTOCOL_TLSv1 PROTOCOL_TLSv1_1\n    \
             PROTOCOL_TLSv1_2 PROTOCOL_TLSv1_3"
        );
        assert_eq!(lookup("PROTOCOL_", "TLSv1_2").unwrap().1, Protocol::Tls12);
        assert_eq!(
            lookup("PROTOCOL_", "PROTOCOL_TLS").unwrap().1,
            Protocol::Any
        );
        assert_eq!(
            lookup("PROTOCOL_", "TLSv1").unwrap().1,
            Protocol::Unsupported
        );
    }

    #[test]
    fn names_are_matched_as_python_3_10_matches_them() {
        let cert = PeerCert {
            subject: vec![("commonName".into(), "localhost".into())],
            issuer: vec![],
            subject_alt_name: vec![
                ("DNS", "localhost".into()),
                ("IP Address", "127.0.0.1".into()),
            ],
            not_before: String::new(),
            not_after: String::new(),
            serial_number: "02".into(),
            version: 3,
        };
        assert_eq!(match_hostname(&cert, "LOCALHOST"), Ok(()));
        assert_eq!(match_hostname(&cert, "127.0.0.1"), Ok(()));
        assert_eq!(
            match_hostname(&cert, "vm").unwrap_err(),
            "hostname 'vm' doesn't match either of 'localhost', '127.0.0.1'"
        );
        let cn_only = PeerCert {
            subject_alt_name: vec![],
            ..cert
        };
        assert_eq!(
            match_hostname(&cn_only, "vm").unwrap_err(),
            "hostname 'vm' doesn't match 'localhost'"
        );
        assert!(dnsname_match("*.example.com", "www.example.com"));
        assert!(!dnsname_match("*.example.com", "example.com"));
    }

    #[test]
    fn times_are_printed_as_openssl_prints_them() {
        assert_eq!(asn1_time(0), "Jan  1 00:00:00 1970 GMT");
        // The book's certificates: notAfter.
        assert_eq!(asn1_time(4_719_484_815), "Jul 22 16:00:15 2119 GMT");
    }
}
