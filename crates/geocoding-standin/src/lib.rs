//! A stand-in for the two geocoding services that Chapter 1's search scripts ask, on
//! loopback, so that no test and no `cargo xtask run 1` reaches the internet:
//!
//! - Google's geocoder as the book asked it in 2014 (`GET /maps/api/geocode/json`), over
//!   plain HTTP on the same port as TLS: the "ok" answer is the reply that the chapter's
//!   README prints under `python3 search4.py`, byte for byte ([`GOOGLE_OK`]: no
//!   `Content-Length`, `Connection: close`, the body ended by closing);
//! - OpenStreetMap's Nominatim (`GET /search`), as the repository's scripts ask it today,
//!   over TLS, with a CA and a certificate made at start-up for the three names
//!   (`maps.google.com`, `maps.googleapis.com`, `nominatim.openstreetmap.org`), and with or
//!   without SNI (the repository's `search4.py` sends none).
//!
//! One port serves both: a connection whose first byte is a TLS handshake record (0x16)
//! is TLS, any other is plain HTTP. Each connection gets one reply, chosen by its path and
//! the stand-in's [`Mode`], and is closed. Every request's head is kept, raw, so that a
//! test can compare what each client sent ([`StandIn::requests`]).

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread;
use std::time::Duration;

use tlskit::rustls::pki_types::pem::PemObject;
use tlskit::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tlskit::rustls::{ServerConfig, ServerConnection, StreamOwned};

/// The reply Google's geocoder gave the book's `search4.py` in October 2014, as the
/// chapter's README prints it: a status line and 11 header lines ending in CRLF, then a
/// JSON body ending in `}\n` (2,440 bytes; `search4` prints it and one more `\n`).
pub const GOOGLE_OK: &[u8] = include_bytes!("../fixtures/google-ok.http");

/// The names the stand-in's certificate carries: the services' hosts, and loopback's.
pub const NAMES: [&str; 5] = [
    "maps.google.com",
    "maps.googleapis.com",
    "nominatim.openstreetmap.org",
    "localhost",
    "127.0.0.1",
];

/// How the stand-in answers every request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Mode {
    /// The services' answer for the book's address.
    Ok,
    /// No result: Google's `ZERO_RESULTS`, Nominatim's `[]`.
    Zero,
    /// Refused: Google's `REQUEST_DENIED` (a 200, as for a request without a key),
    /// Nominatim's 403 page.
    Denied,
    /// A 200 with an empty body.
    Empty,
    /// A 200 whose body is HTML, not JSON.
    Malformed,
    /// A 500 with an HTML page.
    #[value(name = "500")]
    ServerError,
    /// The answer, with a UTF-8 `ß` in a name.
    Utf8,
    /// The answer, with a Latin-1 `ß` (byte 0xdf): not UTF-8.
    Latin1,
    /// Read the request, then close without a reply.
    Close,
    /// Read the request, then reset the connection.
    Reset,
    /// Read the request, and never answer (until the client goes, or a minute).
    Silent,
}

/// One request as it arrived.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    /// Whether it came over TLS.
    pub tls: bool,
    /// The name the client sent in its TLS hello (None: plain HTTP, or no SNI).
    pub sni: Option<String>,
    /// The request's head, up to and with its blank line, raw.
    pub head: Vec<u8>,
}

impl Request {
    /// The request line: `GET /search?... HTTP/1.1`.
    pub fn line(&self) -> String {
        let text = String::from_utf8_lossy(&self.head);
        text.lines().next().unwrap_or_default().to_string()
    }

    /// Its header lines, `Name: value`, as sent.
    pub fn headers(&self) -> Vec<String> {
        let text = String::from_utf8_lossy(&self.head);
        text.split("\r\n")
            .skip(1)
            .filter(|l| !l.is_empty())
            .map(String::from)
            .collect()
    }

    /// A header's value, its name in any case.
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers().into_iter().find_map(|line| {
            let (n, value) = line.split_once(':')?;
            n.eq_ignore_ascii_case(name)
                .then(|| value.trim().to_string())
        })
    }

    /// One line for the stand-in's log: `GET /search?... HTTP/1.1 (https, SNI
    /// nominatim.openstreetmap.org, Host nominatim.openstreetmap.org)`.
    pub fn summary(&self) -> String {
        let how = match (&self.tls, &self.sni) {
            (false, _) => "http".to_string(),
            (true, Some(name)) => format!("https, SNI {name}"),
            (true, None) => "https, no SNI".to_string(),
        };
        let host = self.header("Host").unwrap_or_else(|| "none".into());
        format!("{} ({how}, Host {host})", self.line())
    }
}

/// A running stand-in; dropping it stops it.
pub struct StandIn {
    port: u16,
    ca_pem: String,
    requests: Arc<Mutex<Vec<Request>>>,
    stop: Arc<AtomicBool>,
}

/// How long a client may take to send its request.
const READ_LIMIT: Duration = Duration::from_secs(5);
/// The longest request head the stand-in reads.
const HEAD_LIMIT: usize = 64 * 1024;

impl StandIn {
    /// A stand-in on 127.0.0.1 at a port the system chooses, answering as `mode` says.
    pub fn start(mode: Mode) -> Result<Self, String> {
        Self::bind(
            SocketAddr::from(([127, 0, 0, 1], 0)),
            mode,
            None,
            |_| {},
            |_| {},
        )
    }

    /// A stand-in on `addr`; its CA is written to `ca_file` first, if given (so that a
    /// client started once the port listens finds it); `listening` is told its port
    /// before any request is read, and `log` of each request as it arrives.
    pub fn bind(
        addr: SocketAddr,
        mode: Mode,
        ca_file: Option<&Path>,
        listening: impl FnOnce(u16),
        log: impl Fn(&Request) + Send + Sync + 'static,
    ) -> Result<Self, String> {
        let ca = tls_peer::certs::Ca::new("fopnp Chapter 1 stand-in CA")?;
        let leaf = ca.leaf(&NAMES, false)?;
        if let Some(path) = ca_file {
            std::fs::write(path, &ca.pem)
                .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        }
        let config = Arc::new(server_config(&leaf)?);
        let listener =
            TcpListener::bind(addr).map_err(|e| format!("cannot listen at {addr}: {e}"))?;
        let port = listener.local_addr().map_err(|e| e.to_string())?.port();
        listening(port);
        let requests = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let log = Arc::new(log);
        let (kept, stopping) = (requests.clone(), stop.clone());
        thread::spawn(move || {
            for stream in listener.incoming() {
                if stopping.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                let (config, kept, log) = (config.clone(), kept.clone(), log.clone());
                thread::spawn(move || {
                    // A client that goes mid-request is nothing the stand-in reports.
                    let _ = connection(stream, mode, &config, &kept, &*log);
                });
            }
        });
        Ok(Self {
            port,
            ca_pem: ca.pem,
            requests,
            stop,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The address to give a client's `--connect`.
    pub fn addr(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.port))
    }

    /// The CA that signed its certificate, as PEM: what a client must trust.
    pub fn ca_pem(&self) -> &str {
        &self.ca_pem
    }

    /// Every request so far, in the order they arrived.
    pub fn requests(&self) -> Vec<Request> {
        self.requests
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

impl Drop for StandIn {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wakes the accepting thread, which then sees the flag.
        let _ = TcpStream::connect(self.addr());
    }
}

fn server_config(leaf_pem: &str) -> Result<ServerConfig, String> {
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(leaf_pem.as_bytes())
        .collect::<Result<_, _>>()
        .map_err(|e| format!("cannot read the stand-in's certificate: {e}"))?;
    let key = PrivateKeyDer::from_pem_slice(leaf_pem.as_bytes())
        .map_err(|e| format!("cannot read the stand-in's key: {e}"))?;
    ServerConfig::builder_with_provider(tlskit::shared(tlskit::provider()))
        .with_protocol_versions(tlskit::VERSIONS)
        .and_then(|b| b.with_no_client_auth().with_single_cert(chain, key))
        .map_err(|e| format!("cannot configure TLS: {e}"))
}

/// Serves one connection: TLS or plain by its first byte, then one request and its reply.
fn connection(
    stream: TcpStream,
    mode: Mode,
    config: &Arc<ServerConfig>,
    kept: &Mutex<Vec<Request>>,
    log: &dyn Fn(&Request),
) -> io::Result<()> {
    stream.set_read_timeout(Some(READ_LIMIT))?;
    let mut first = [0u8; 1];
    if stream.peek(&mut first)? == 0 {
        return Ok(());
    }
    let record = |request: Request| {
        log(&request);
        kept.lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(request);
    };
    if first[0] == 0x16 {
        let conn = ServerConnection::new(config.clone()).map_err(io::Error::other)?;
        let mut tls = StreamOwned::new(conn, stream);
        let head = read_head(&mut tls)?;
        let sni = tls.conn.server_name().map(String::from);
        let reply = reply(&head, mode);
        record(Request {
            tls: true,
            sni,
            head,
        });
        match reply {
            Some(bytes) => {
                tls.write_all(&bytes)?;
                tls.conn.send_close_notify();
                tls.flush()?;
                Ok(())
            }
            None => after_reading(tls.sock, mode),
        }
    } else {
        let mut stream = stream;
        let head = read_head(&mut stream)?;
        let reply = reply(&head, mode);
        record(Request {
            tls: false,
            sni: None,
            head,
        });
        match reply {
            Some(bytes) => {
                stream.write_all(&bytes)?;
                stream.shutdown(Shutdown::Write)
            }
            None => after_reading(stream, mode),
        }
    }
}

/// The modes with no reply: close, reset, or wait for the client to go.
fn after_reading(stream: TcpStream, mode: Mode) -> io::Result<()> {
    match mode {
        Mode::Reset => socket2::SockRef::from(&stream).set_linger(Some(Duration::ZERO)),
        Mode::Silent => {
            stream.set_read_timeout(Some(Duration::from_secs(60)))?;
            let mut sink = [0u8; 4096];
            while (&stream).read(&mut sink)? > 0 {}
            Ok(())
        }
        _ => Ok(()),
    }
}

/// Reads a request's head, up to its blank line (or the end, or [`HEAD_LIMIT`]).
fn read_head(stream: &mut impl Read) -> io::Result<Vec<u8>> {
    let mut head = Vec::new();
    let mut buf = [0u8; 4096];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < HEAD_LIMIT {
        let n = stream.read(&mut buf)?;
        if n == 0 {
            break;
        }
        head.extend_from_slice(&buf[..n]);
    }
    Ok(head)
}

/// The reply to a request, by its path and the mode (None: the mode sends none).
pub fn reply(head: &[u8], mode: Mode) -> Option<Vec<u8>> {
    let line = String::from_utf8_lossy(head);
    let path = line.split(' ').nth(1).unwrap_or_default();
    if matches!(mode, Mode::Close | Mode::Reset | Mode::Silent) {
        return None;
    }
    Some(if path.starts_with("/maps/api/geocode/json") {
        google(mode)
    } else if path.starts_with("/search") {
        nominatim(mode)
    } else {
        page("404 Not Found", "<html><body>404 Not Found</body></html>\n")
    })
}

/// Google's answers: its 2014 head (no Content-Length) and a body ended by closing.
fn google(mode: Mode) -> Vec<u8> {
    let split = GOOGLE_OK
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|i| i + 4)
        .unwrap_or(GOOGLE_OK.len());
    let (head, body) = GOOGLE_OK.split_at(split);
    let with = |body: &[u8]| [head, body].concat();
    let street = b"\"long_name\" : \"North Defiance Street\"";
    let renamed = |new: &[u8]| {
        let at = body
            .windows(street.len())
            .position(|w| w == street)
            .unwrap_or(0);
        let mut body = body.to_vec();
        body.splice(at..at + street.len(), new.iter().copied());
        with(&body)
    };
    match mode {
        Mode::Zero => with(b"{\n   \"results\" : [],\n   \"status\" : \"ZERO_RESULTS\"\n}\n"),
        Mode::Denied => with(
            b"{\n   \"error_message\" : \"You must use an API key to authenticate each request \
              to Google Maps Platform APIs.\",\n   \"results\" : [],\n   \"status\" : \
              \"REQUEST_DENIED\"\n}\n",
        ),
        Mode::Empty => with(b""),
        Mode::Malformed => with(b"<html>not json</html>\n"),
        Mode::ServerError => page(
            "500 Internal Server Error",
            "<html><body>500 Internal Server Error</body></html>\n",
        ),
        Mode::Utf8 => renamed("\"long_name\" : \"North Defiance Stra\u{df}e\"".as_bytes()),
        Mode::Latin1 => renamed(b"\"long_name\" : \"North Defiance Stra\xdfe\""),
        _ => GOOGLE_OK.to_vec(),
    }
}

/// What Nominatim answers for the book's address (its values made up here): a JSON array
/// of places whose `lat` and `lon` are strings, and whose licence holds a `©`.
pub const NOMINATIM_OK: &str = "[{\"place_id\":297010561,\"licence\":\"Data \u{a9} \
OpenStreetMap contributors, ODbL 1.0. http://osm.org/copyright\",\"osm_type\":\"way\",\
\"osm_id\":470296112,\"lat\":\"41.5219540\",\"lon\":\"-84.3066910\",\"class\":\"building\",\
\"type\":\"yes\",\"place_rank\":30,\"importance\":0.00001,\"addresstype\":\"building\",\
\"name\":\"\",\"display_name\":\"207, North Defiance Street, Archbold, Fulton County, Ohio, \
43502, United States\",\"boundingbox\":[\"41.5218540\",\"41.5220540\",\"-84.3067910\",\
\"-84.3065910\"]}]";

/// Nominatim's answers, with a Content-Length, as the service sends them.
fn nominatim(mode: Mode) -> Vec<u8> {
    let json = |body: &[u8]| {
        let mut reply = format!(
            "HTTP/1.1 200 OK\r\nServer: nginx\r\nContent-Type: application/json; charset=utf-8\r\n\
             Content-Length: {}\r\nConnection: close\r\nAccess-Control-Allow-Origin: *\r\n\r\n",
            body.len()
        )
        .into_bytes();
        reply.extend_from_slice(body);
        reply
    };
    let street = "North Defiance Street";
    match mode {
        Mode::Zero => json(b"[]"),
        Mode::Denied => page(
            "403 Forbidden",
            "<html><body><h1>Access blocked</h1><p>You have been blocked because you \
             have violated the usage policy of OSM's Nominatim geocoding service.</p>\
             </body></html>\n",
        ),
        Mode::Empty => json(b""),
        Mode::Malformed => json(b"<html>not json</html>\n"),
        Mode::ServerError => page(
            "500 Internal Server Error",
            "<html><body>500 Internal Server Error</body></html>\n",
        ),
        Mode::Utf8 => json(
            NOMINATIM_OK
                .replace(street, "North Defiance Stra\u{df}e")
                .as_bytes(),
        ),
        Mode::Latin1 => {
            let at = NOMINATIM_OK.find(street).unwrap_or(0);
            let mut body = NOMINATIM_OK.as_bytes().to_vec();
            body.splice(
                at..at + street.len(),
                b"North Defiance Stra\xdfe".iter().copied(),
            );
            json(&body)
        }
        _ => json(NOMINATIM_OK.as_bytes()),
    }
}

/// An HTML page with a status other than 200.
fn page(status: &str, body: &str) -> Vec<u8> {
    format!(
        "HTTP/1.1 {status}\r\nContent-Type: text/html; charset=UTF-8\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_google_answer_is_the_readmes_reply_byte_for_byte() {
        assert_eq!(GOOGLE_OK.len(), 2440);
        let text = std::str::from_utf8(GOOGLE_OK).unwrap();
        let (head, body) = text.split_once("\r\n\r\n").unwrap();
        assert_eq!(
            head.split("\r\n").count(),
            12,
            "a status line and 11 headers"
        );
        assert!(!head.to_ascii_lowercase().contains("content-length"));
        assert!(head.contains("Date: Tue, 21 Oct 2014 22:50:21 GMT"));
        assert!(body.starts_with("{\n   \"results\" : [") && body.ends_with("}\n"));
        assert!(!body.contains('\r'));
    }

    #[test]
    fn each_mode_answers_each_service_as_it_says() {
        let google = b"GET /maps/api/geocode/json?address=x HTTP/1.1\r\n\r\n";
        let osm = b"GET /search?q=x&format=json HTTP/1.1\r\n\r\n";
        assert_eq!(reply(google, Mode::Ok).unwrap(), GOOGLE_OK);
        let zero = String::from_utf8(reply(google, Mode::Zero).unwrap()).unwrap();
        assert!(zero.ends_with("\"status\" : \"ZERO_RESULTS\"\n}\n"));
        let latin1 = reply(google, Mode::Latin1).unwrap();
        assert!(std::str::from_utf8(&latin1).is_err());
        assert!(latin1.windows(5).any(|w| w == b"Stra\xdf"));
        let denied = String::from_utf8(reply(osm, Mode::Denied).unwrap()).unwrap();
        assert!(denied.starts_with("HTTP/1.1 403 Forbidden\r\n"));
        let ok = String::from_utf8(reply(osm, Mode::Ok).unwrap()).unwrap();
        let length = format!("Content-Length: {}\r\n", NOMINATIM_OK.len());
        assert!(ok.contains(&length) && ok.ends_with(NOMINATIM_OK));
        assert_eq!(reply(osm, Mode::Close), None);
        let other = String::from_utf8(reply(b"GET / HTTP/1.1\r\n\r\n", Mode::Ok).unwrap());
        assert!(other.unwrap().starts_with("HTTP/1.1 404 "));
    }

    #[test]
    fn a_request_is_kept_raw_and_summed_up_in_one_line() {
        let stand_in = StandIn::start(Mode::Ok).unwrap();
        let mut client = TcpStream::connect(stand_in.addr()).unwrap();
        client
            .write_all(b"GET /search?q=a HTTP/1.1\r\nHost: nominatim.openstreetmap.org\r\n\r\n")
            .unwrap();
        let mut answer = Vec::new();
        client.read_to_end(&mut answer).unwrap();
        assert!(answer.ends_with(NOMINATIM_OK.as_bytes()));
        let requests = stand_in.requests();
        assert_eq!(requests.len(), 1);
        assert_eq!(requests[0].headers(), ["Host: nominatim.openstreetmap.org"]);
        assert_eq!(
            requests[0].summary(),
            "GET /search?q=a HTTP/1.1 (http, Host nominatim.openstreetmap.org)"
        );
    }
}

/// What the search scripts' tests share: a client run to its end against a stand-in.
pub mod testing {
    use std::process::{Command, Stdio};
    use std::time::Duration;

    use super::StandIn;

    /// How a client run ended: its exit code (None: a signal), stdout and stderr.
    #[derive(Debug)]
    pub struct Ran {
        pub code: Option<i32>,
        pub stdout: String,
        pub stderr: String,
    }

    /// How long a client may take against the stand-in.
    pub const LIMIT: Duration = Duration::from_secs(30);

    /// Runs `bin ARGS --connect STAND-IN` with `SSL_CERT_FILE` naming `ca` (if given),
    /// the environment otherwise as the test's; killed at [`LIMIT`].
    pub fn run(bin: &str, args: &[&str], stand_in: &StandIn, ca: Option<&std::path::Path>) -> Ran {
        let mut command = Command::new(bin);
        command
            .args(args)
            .arg("--connect")
            .arg(stand_in.addr().to_string())
            .env_remove("SSL_CERT_FILE")
            .env_remove("SSL_CERT_DIR");
        if let Some(ca) = ca {
            command.env("SSL_CERT_FILE", ca);
        }
        finish(command)
    }

    /// Runs a command to its end: what it printed and how it exited.
    pub fn finish(command: Command) -> Ran {
        let (status, stdout, stderr) = testkit::Process::spawn(command)
            .and_then(|p| p.finish(LIMIT).map_err(std::io::Error::other))
            .unwrap_or_else(|e| panic!("the client did not run to its end: {e}"));
        Ran {
            code: status.code(),
            stdout,
            stderr,
        }
    }

    /// Runs `command` with its stdout a pipe whose reader has gone: exit code and stderr.
    /// A client still running at [`LIMIT`] is killed, and the test fails.
    pub fn into_closed_pipe(mut command: Command) -> (Option<i32>, String) {
        use std::io::Read;
        let (reader, writer) = std::io::pipe().expect("a pipe");
        drop(reader);
        command.stdout(Stdio::from(writer)).stderr(Stdio::piped());
        let mut child = command.spawn().expect("the client starts");
        // The pipe's writing end went to the child; only it holds one now.
        drop(command);
        let end = std::time::Instant::now() + LIMIT;
        let status = loop {
            if let Some(status) = child.try_wait().expect("the client can be waited for") {
                break status;
            }
            if std::time::Instant::now() >= end {
                let _ = child.kill();
                let _ = child.wait();
                panic!("the client did not end within {LIMIT:?} with its stdout closed");
            }
            std::thread::sleep(Duration::from_millis(5));
        };
        let mut stderr = String::new();
        if let Some(mut pipe) = child.stderr.take() {
            let _ = pipe.read_to_string(&mut stderr);
        }
        (status.code(), stderr)
    }

    /// The stand-in's CA in a file of its own (removed when dropped).
    pub fn ca_file(stand_in: &StandIn) -> tempfile::NamedTempFile {
        let file = tempfile::NamedTempFile::new().expect("a temporary file");
        std::fs::write(file.path(), stand_in.ca_pem()).expect("the CA written");
        file
    }
}
