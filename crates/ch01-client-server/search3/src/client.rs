//! The part of Python's `http.client` that `search3.py` uses: `HTTPConnection(host)` and
//! `HTTPSConnection(host)`, `request('GET', path, None, headers)`, and
//! `getresponse().read()`. The request is written byte for byte as http.client writes
//! it: the request line, `Host` (without the port when it is the scheme's), then
//! `Accept-Encoding: identity`, then the caller's headers in their order. The reply's body
//! is read as http.client reads it: by its Content-Length, by its chunks, or to the close.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use fopnp::{Context, Error};

/// A stream that may be TLS.
trait Stream: Read + Write + Send {}
impl<T: Read + Write + Send> Stream for T {}

/// `http.client.HTTPConnection` or `HTTPSConnection`: one connection to one host.
pub struct HTTPConnection {
    host: String,
    port: u16,
    tls: Option<Arc<tlskit::rustls::ClientConfig>>,
    /// Where to connect instead of `host` (a departure, for the stand-in).
    connect: Option<SocketAddr>,
    stream: Option<Box<dyn Stream>>,
}

/// `getresponse()`: the status line and headers read, the body not yet.
pub struct HTTPResponse {
    pub status: u16,
    pub reason: String,
    pub headers: Vec<(String, String)>,
    reader: BufReader<Box<dyn Stream>>,
}

impl HTTPConnection {
    /// `HTTPConnection(host)`, port 80; nothing is sent until [`HTTPConnection::request`].
    pub fn new(host: &str, connect: Option<SocketAddr>) -> Self {
        Self {
            host: host.to_string(),
            port: 80,
            tls: None,
            connect,
            stream: None,
        }
    }

    /// `HTTPSConnection(host)`, port 443, with `ssl.create_default_context()`: the
    /// certificate must lead to a CA in `cafile` (or the system's store) and name `host`;
    /// ALPN offers `http/1.1`, as http.client's does.
    pub fn https(
        host: &str,
        connect: Option<SocketAddr>,
        cafile: Option<&Path>,
    ) -> Result<Self, Error> {
        let mut config = tlskit::create_default_context(cafile).map_err(Error::msg)?;
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Self {
            host: host.to_string(),
            port: 443,
            tls: Some(Arc::new(config)),
            connect,
            stream: None,
        })
    }

    /// The request's head, as http.client writes it.
    pub fn head(&self, method: &str, path: &str, headers: &[(&str, &str)]) -> String {
        let default_port = if self.tls.is_some() { 443 } else { 80 };
        let host = if self.port == default_port {
            self.host.clone()
        } else {
            format!("{}:{}", self.host, self.port)
        };
        let mut head =
            format!("{method} {path} HTTP/1.1\r\nHost: {host}\r\nAccept-Encoding: identity\r\n");
        for (name, value) in headers {
            head += &format!("{name}: {value}\r\n");
        }
        head + "\r\n"
    }

    /// `request(method, path, None, headers)`: connects, then sends the request.
    pub fn request(
        &mut self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
    ) -> Result<(), Error> {
        let head = self.head(method, path, headers);
        let sock = fopnp::net::connect_or(&self.host, self.port, self.connect)?;
        let mut stream: Box<dyn Stream> = match &self.tls {
            None => Box::new(sock),
            Some(config) => {
                let tls =
                    tlskit::wrap_socket(sock, &self.host, config.clone()).map_err(Error::msg)?;
                Box::new(tls)
            }
        };
        stream
            .write_all(head.as_bytes())
            .context(|| format!("cannot send the request to {}", self.host))?;
        self.stream = Some(stream);
        Ok(())
    }

    /// `getresponse()`: reads the status line and the headers.
    pub fn getresponse(&mut self) -> Result<HTTPResponse, Error> {
        let stream = self
            .stream
            .take()
            .ok_or_else(|| Error::msg("getresponse() before request()"))?;
        let mut reader = BufReader::new(stream);
        let mut head = Vec::new();
        loop {
            let before = head.len();
            let n = read_line(&mut reader, &mut head)
                .context(|| format!("cannot read the reply from {}", self.host))?;
            if n == 0 {
                // http.client: RemoteDisconnected, when not even a status line came.
                return Err(Error::msg(if head.is_empty() {
                    "Remote end closed connection without response".to_string()
                } else {
                    "the connection closed in the middle of the reply's headers".to_string()
                }));
            }
            if &head[before..] == b"\r\n" || &head[before..] == b"\n" {
                break;
            }
        }
        let mut headers = [httparse::EMPTY_HEADER; 64];
        let mut parsed = httparse::Response::new(&mut headers);
        parsed
            .parse(&head)
            .map_err(|e| Error::msg(format!("the reply is not HTTP: {e}")))?;
        Ok(HTTPResponse {
            status: parsed.code.unwrap_or_default(),
            reason: parsed.reason.unwrap_or_default().to_string(),
            headers: parsed
                .headers
                .iter()
                .map(|h| {
                    (
                        h.name.to_string(),
                        String::from_utf8_lossy(h.value).into_owned(),
                    )
                })
                .collect(),
            reader,
        })
    }
}

/// One line, `\n` and all (at most 64 KiB: http.client's limit is the same). A TLS
/// close without close_notify is an end like any other, as Python's `suppress_ragged_eofs`
/// has it.
fn read_line(reader: &mut impl BufRead, into: &mut Vec<u8>) -> io::Result<usize> {
    let n = match reader.take(65536).read_until(b'\n', into) {
        Err(e) if tlskit::is_ragged_eof(&e) => return Ok(0),
        other => other?,
    };
    if n == 65536 && !into.ends_with(b"\n") {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "a header line longer than 64 KiB",
        ));
    }
    Ok(n)
}

impl HTTPResponse {
    /// A header's value, its name in any case.
    pub fn getheader(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// `read()`: the whole body.
    pub fn read(mut self) -> Result<Vec<u8>, Error> {
        let mut body = Vec::new();
        let chunked = self
            .getheader("Transfer-Encoding")
            .is_some_and(|v| v.to_ascii_lowercase().contains("chunked"));
        let length = self
            .getheader("Content-Length")
            .map(str::trim)
            .map(str::parse::<u64>);
        let failed = |e: io::Error| Error::msg(format!("cannot read the reply's body: {e}"));
        if chunked {
            loop {
                let mut line = Vec::new();
                read_line(&mut self.reader, &mut line).map_err(failed)?;
                let text = String::from_utf8_lossy(&line);
                let size = text.split(';').next().unwrap_or_default().trim();
                let size = u64::from_str_radix(size, 16)
                    .map_err(|_| Error::msg(format!("a bad chunk size {size:?}")))?;
                if size == 0 {
                    break;
                }
                let got = (&mut self.reader)
                    .take(size)
                    .read_to_end(&mut body)
                    .map_err(failed)?;
                if (got as u64) < size {
                    return Err(Error::msg("the connection closed in the middle of a chunk"));
                }
                read_line(&mut self.reader, &mut Vec::new()).map_err(failed)?;
            }
        } else if let Some(length) = length {
            let length = length.map_err(|_| Error::msg("a bad Content-Length"))?;
            let got = (&mut self.reader)
                .take(length)
                .read_to_end(&mut body)
                .map_err(failed)?;
            if (got as u64) < length {
                // http.client: IncompleteRead.
                return Err(Error::msg(format!(
                    "IncompleteRead({got} bytes read, {} more expected)",
                    length - got as u64
                )));
            }
        } else {
            match self.reader.read_to_end(&mut body) {
                Ok(_) => {}
                // A close without TLS's close_notify ends a body that has no length, as
                // Python's ssl (suppress_ragged_eofs) lets it.
                Err(e) if tlskit::is_ragged_eof(&e) => {}
                Err(e) => return Err(failed(e)),
            }
        }
        Ok(body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_head_is_http_clients_byte_for_byte() {
        let connection = HTTPConnection::new("maps.google.com", None);
        assert_eq!(
            connection.head("GET", "/x?a=1", &[]),
            "GET /x?a=1 HTTP/1.1\r\nHost: maps.google.com\r\nAccept-Encoding: identity\r\n\r\n"
        );
        let head = connection.head("GET", "/", &[("User-Agent", "ua")]);
        assert!(head.ends_with("Accept-Encoding: identity\r\nUser-Agent: ua\r\n\r\n"));
    }
}
