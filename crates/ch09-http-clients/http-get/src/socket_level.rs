//! The lowest level: a `TcpStream`, the request written by hand, the answer's head parsed
//! by httparse and its body framed by hand (a length, chunks, or the close), as a socket
//! program would. One connection is kept for the next request while the server allows.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::TcpStream;

use url::Url;

use crate::policy::Transport;
use crate::{Head, Options, USER_AGENT};

/// The most a response's head may take (status line and headers).
pub const MAX_HEAD: usize = 64 * 1024;

/// The most headers a response may have.
const MAX_HEADERS: usize = 100;

/// How the body of the answer just read is framed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Framing {
    None,
    Length(u64),
    Chunked,
    UntilClose,
}

struct Connection {
    /// `host:port`, the connection's other end.
    authority: String,
    reader: BufReader<TcpStream>,
}

/// The socket level's transport.
pub struct Socket {
    options: Options,
    connection: Option<Connection>,
    framing: Framing,
    /// Whether the connection may carry another request after this answer.
    reusable: bool,
}

impl Socket {
    pub fn new(options: Options) -> Self {
        Self {
            options,
            connection: None,
            framing: Framing::None,
            reusable: false,
        }
    }

    fn connect(&self, url: &Url) -> Result<Connection, String> {
        let host = url.host_str().ok_or_else(|| format!("{url}: no host"))?;
        let port = url.port_or_known_default().unwrap_or(80);
        let addrs = url
            .socket_addrs(|| Some(80))
            .map_err(|e| format!("cannot resolve {host}: {e}"))?;
        let mut last = None;
        for addr in addrs {
            match TcpStream::connect_timeout(&addr, self.options.timeout) {
                Ok(stream) => {
                    stream
                        .set_read_timeout(Some(self.options.timeout))
                        .and_then(|()| stream.set_write_timeout(Some(self.options.timeout)))
                        .map_err(|e| e.to_string())?;
                    return Ok(Connection {
                        authority: format!("{host}:{port}"),
                        reader: BufReader::new(stream),
                    });
                }
                Err(e) => last = Some(format!("cannot connect to {addr}: {e}")),
            }
        }
        Err(last.unwrap_or_else(|| format!("{host} has no address")))
    }

    /// The request's bytes: Host first, as Python's clients send it.
    fn request(&self, method: &str, url: &Url, headers: &[(&str, String)]) -> Vec<u8> {
        let mut target = url.path().to_string();
        if let Some(query) = url.query() {
            target = format!("{target}?{query}");
        }
        let host = match (url.host_str(), url.port()) {
            (Some(h), Some(p)) => format!("{h}:{p}"),
            (Some(h), None) => h.to_string(),
            _ => String::new(),
        };
        let mut text = format!(
            "{method} {target} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: {USER_AGENT}\r\nAccept-Encoding: gzip, deflate\r\nAccept: */*\r\n"
        );
        for (name, value) in headers {
            text.push_str(&format!("{name}: {value}\r\n"));
        }
        if matches!(method, "POST" | "PUT" | "PATCH") {
            text.push_str("Content-Length: 0\r\n");
        }
        if !self.options.keep_alive {
            text.push_str("Connection: close\r\n");
        }
        text.push_str("\r\n");
        text.into_bytes()
    }

    /// Writes the request and reads the answer's head on `connection`; `Ok(None)`: the
    /// connection was closed before a byte of the answer (a kept connection the server
    /// has since closed).
    fn exchange(connection: &mut Connection, request: &[u8]) -> Result<Option<Head>, String> {
        if let Err(e) = connection.reader.get_mut().write_all(request) {
            return match e.kind() {
                io::ErrorKind::BrokenPipe | io::ErrorKind::ConnectionReset => Ok(None),
                _ => Err(format!("cannot send the request: {e}")),
            };
        }
        let mut head = Vec::new();
        loop {
            let before = head.len();
            let limit = (MAX_HEAD - head.len()) as u64 + 1;
            match (&mut connection.reader)
                .take(limit)
                .read_until(b'\n', &mut head)
            {
                Ok(0) if head.is_empty() => return Ok(None),
                Ok(0) => {
                    return Err("the connection closed in the middle of the answer's head".into());
                }
                Ok(_) => {}
                Err(e) if head.is_empty() && e.kind() == io::ErrorKind::ConnectionReset => {
                    return Ok(None);
                }
                Err(e) => return Err(read_error("the answer's head", &e)),
            }
            if head.len() > MAX_HEAD {
                return Err(format!("the answer's head is longer than {MAX_HEAD} bytes"));
            }
            let line = &head[before..];
            if line == b"\r\n" || line == b"\n" {
                if before == 0 {
                    // A blank line before the status line (RFC 9112 §2.2 lets a client skip it).
                    head.clear();
                    continue;
                }
                break;
            }
        }
        parse_head(&head).map(Some)
    }

    fn framing(method: &str, head: &Head) -> Result<Framing, String> {
        if method == "HEAD" || head.status == 204 || head.status == 304 || head.status < 200 {
            return Ok(Framing::None);
        }
        if let Some(coding) = head.header("transfer-encoding") {
            return if coding.trim().eq_ignore_ascii_case("chunked") {
                Ok(Framing::Chunked)
            } else {
                Err(format!("a transfer coding not supported here: {coding}"))
            };
        }
        let lengths: Vec<&str> = head
            .headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case("content-length"))
            .map(|(_, v)| v.trim())
            .collect();
        match lengths.as_slice() {
            [] => Ok(Framing::UntilClose),
            [first, rest @ ..] if rest.iter().all(|v| v == first) => first
                .parse::<u64>()
                .map(Framing::Length)
                .map_err(|_| format!("a Content-Length that is not a number: {first:?}")),
            _ => Err(format!(
                "Content-Length given twice, differently: {lengths:?}"
            )),
        }
    }
}

fn read_error(what: &str, e: &io::Error) -> String {
    match e.kind() {
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => {
            format!("timed out waiting for {what}")
        }
        _ => format!("cannot read {what}: {e}"),
    }
}

/// The status line and headers, through httparse.
fn parse_head(bytes: &[u8]) -> Result<Head, String> {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut response = httparse::Response::new(&mut headers);
    match response.parse(bytes) {
        Ok(httparse::Status::Complete(_)) => {}
        Ok(httparse::Status::Partial) => return Err("the answer's head is incomplete".into()),
        Err(e) => return Err(format!("the answer is not HTTP: {e}")),
    }
    Ok(Head {
        status: response.code.unwrap_or_default(),
        version: 10 + response.version.unwrap_or(1),
        reason: response.reason.map(str::to_string),
        headers: response
            .headers
            .iter()
            .map(|h| {
                (
                    h.name.to_string(),
                    String::from_utf8_lossy(h.value).into_owned(),
                )
            })
            .collect(),
    })
}

impl Transport for Socket {
    fn send(
        &mut self,
        method: &str,
        url: &Url,
        headers: &[(&str, String)],
    ) -> Result<Head, String> {
        let request = self.request(method, url, headers);
        let authority = format!(
            "{}:{}",
            url.host_str().unwrap_or_default(),
            url.port_or_known_default().unwrap_or(80)
        );
        let kept = self.connection.take().filter(|c| c.authority == authority);
        let head = match kept {
            Some(mut connection) => match Self::exchange(&mut connection, &request)? {
                Some(head) => {
                    self.connection = Some(connection);
                    head
                }
                // The server closed the kept connection meanwhile: once more, afresh.
                None => self.fresh(url, &request)?,
            },
            None => self.fresh(url, &request)?,
        };
        self.framing = Self::framing(method, &head)?;
        let close = head
            .header("connection")
            .is_some_and(|v| v.split(',').any(|t| t.trim().eq_ignore_ascii_case("close")));
        self.reusable = self.options.keep_alive && !close && self.framing != Framing::UntilClose;
        Ok(head)
    }

    fn body(&mut self, sink: &mut dyn Write) -> Result<(), String> {
        let Some(mut connection) = self.connection.take() else {
            return Err("no answer to read".into());
        };
        let reader = &mut connection.reader;
        let copied = match self.framing {
            Framing::None => Ok(()),
            Framing::Length(n) => copy_exactly(reader, n, sink),
            Framing::Chunked => copy_chunks(reader, sink),
            Framing::UntilClose => io::copy(reader, sink)
                .map(drop)
                .map_err(|e| read_error("the body", &e)),
        };
        self.framing = Framing::None;
        copied?;
        if self.reusable {
            self.connection = Some(connection);
        }
        Ok(())
    }
}

impl Socket {
    fn fresh(&mut self, url: &Url, request: &[u8]) -> Result<Head, String> {
        let mut connection = self.connect(url)?;
        match Self::exchange(&mut connection, request)? {
            Some(head) => {
                self.connection = Some(connection);
                Ok(head)
            }
            None => Err("the server closed the connection without an answer".into()),
        }
    }
}

/// `n` bytes of body, in pieces, into `sink`: a shorter body is an error.
fn copy_exactly(reader: &mut impl Read, n: u64, sink: &mut dyn Write) -> Result<(), String> {
    let copied = io::copy(&mut reader.take(n), sink).map_err(|e| read_error("the body", &e))?;
    if copied < n {
        return Err(format!(
            "the connection closed after {copied} of the {n} bytes its Content-Length promised"
        ));
    }
    Ok(())
}

/// A chunked body (RFC 9112 §7.1), its chunk extensions and trailers skipped.
fn copy_chunks(reader: &mut BufReader<TcpStream>, sink: &mut dyn Write) -> Result<(), String> {
    loop {
        let line = read_line(reader, "a chunk's size")?;
        let size = line.split(';').next().unwrap_or_default().trim();
        let size = u64::from_str_radix(size, 16)
            .map_err(|_| format!("a chunk size that is not hexadecimal: {size:?}"))?;
        if size == 0 {
            // Trailers, up to the blank line.
            while !read_line(reader, "the trailers")?.is_empty() {}
            return Ok(());
        }
        copy_exactly(reader, size, sink)?;
        if !read_line(reader, "a chunk's end")?.is_empty() {
            return Err("a chunk longer than its size".into());
        }
    }
}

/// One line of at most 4 KiB, without its line ending.
fn read_line(reader: &mut BufReader<TcpStream>, what: &str) -> Result<String, String> {
    let mut line = Vec::new();
    let n = reader
        .take(4096)
        .read_until(b'\n', &mut line)
        .map_err(|e| read_error(what, &e))?;
    if n == 0 || !line.ends_with(b"\n") {
        return Err(format!(
            "the connection closed (or the line ran on) in {what}"
        ));
    }
    Ok(String::from_utf8_lossy(&line)
        .trim_end_matches(['\r', '\n'])
        .to_string())
}
