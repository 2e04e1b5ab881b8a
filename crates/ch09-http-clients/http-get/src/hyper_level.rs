//! http.client's level on hyper: one connection (`client::conn::http1::handshake`, as
//! `HTTPConnection`), a request at a time on it, and its answer's body read before the
//! next goes out. hyper frames the body (a length, chunks, or the close) and keeps the
//! reason phrase from the wire as `ReasonPhrase`.

use std::io::Write;

use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper::body::Incoming;
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use tokio::runtime::Runtime;
use url::Url;

use crate::policy::Transport;
use crate::{Head, Options, USER_AGENT, one_line};

/// The hyper level's transport: a runtime of one thread, and the connection it keeps.
pub struct Hyper {
    options: Options,
    /// The headers it sends after Host, on every request.
    own: &'static [(&'static str, &'static str)],
    runtime: Runtime,
    connection: Option<(String, SendRequest<Empty<Bytes>>)>,
    answer: Option<Incoming>,
}

/// What the hyper level sends besides Host: a client that decodes.
pub const OWN_HEADERS: &[(&str, &str)] = &[
    ("User-Agent", USER_AGENT),
    ("Accept-Encoding", "gzip, deflate"),
    ("Accept", "*/*"),
];

impl Hyper {
    pub fn new(options: Options) -> Result<Self, String> {
        Self::sending(options, OWN_HEADERS)
    }

    /// A transport that sends `own` after Host (http.client sends only
    /// `Accept-Encoding: identity`).
    pub fn sending(
        options: Options,
        own: &'static [(&'static str, &'static str)],
    ) -> Result<Self, String> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| format!("cannot start a runtime: {e}"))?;
        Ok(Self {
            options,
            own,
            runtime,
            connection: None,
            answer: None,
        })
    }
}

/// A connection to `authority`, its driver spawned on the runtime.
async fn connect(authority: &str, options: Options) -> Result<SendRequest<Empty<Bytes>>, String> {
    let stream = tokio::time::timeout(options.timeout, tokio::net::TcpStream::connect(authority))
        .await
        .map_err(|_| format!("timed out connecting to {authority}"))?
        .map_err(|e| format!("cannot connect to {authority}: {e}"))?;
    let _ = stream.set_nodelay(true);
    // Header names as given (`Host`, `Accept-Encoding`), as Python's clients write them.
    let (sender, connection) = hyper::client::conn::http1::Builder::new()
        .title_case_headers(true)
        .handshake(TokioIo::new(stream))
        .await
        .map_err(|e| one_line(&e))?;
    tokio::spawn(async move {
        // Its errors reach the request or the body that was waiting on it.
        let _ = connection.await;
    });
    Ok(sender)
}

impl Transport for Hyper {
    fn send(
        &mut self,
        method: &str,
        url: &Url,
        headers: &[(&str, String)],
    ) -> Result<Head, String> {
        let host = url.host_str().ok_or_else(|| format!("{url}: no host"))?;
        let port = url.port_or_known_default().unwrap_or(80);
        let authority = match url.port() {
            Some(p) => format!("{host}:{p}"),
            None => host.to_string(),
        };
        let dial = format!("{host}:{port}");
        let target = match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_string(),
        };
        let mut request = hyper::Request::builder()
            .method(method)
            .uri(target)
            .header("Host", &authority);
        for (name, value) in self.own {
            request = request.header(*name, *value);
        }
        for (name, value) in headers {
            request = request.header(*name, value);
        }
        if matches!(method, "POST" | "PUT" | "PATCH") {
            request = request.header("Content-Length", "0");
        }
        if !self.options.keep_alive {
            request = request.header("Connection", "close");
        }
        let request = request
            .body(Empty::<Bytes>::new())
            .map_err(|e| format!("cannot make the request: {e}"))?;
        let kept = self
            .connection
            .take()
            .filter(|(a, s)| *a == dial && !s.is_closed());
        let options = self.options;
        let (sender, response) = self.runtime.block_on(async move {
            let mut sender = match kept {
                Some((_, sender)) => sender,
                None => connect(&dial, options).await?,
            };
            let sent = tokio::time::timeout(options.timeout, async {
                sender.ready().await?;
                sender.send_request(request).await
            });
            let response = sent
                .await
                .map_err(|_| "timed out waiting for the answer".to_string())?
                .map_err(|e| one_line(&e))?;
            Ok::<_, String>(((dial, sender), response))
        })?;
        let (parts, body) = response.into_parts();
        let reason = parts
            .extensions
            .get::<hyper::ext::ReasonPhrase>()
            .map(|r| String::from_utf8_lossy(r.as_bytes()).into_owned())
            .or_else(|| parts.status.canonical_reason().map(str::to_string));
        let head = Head {
            status: parts.status.as_u16(),
            version: crate::version_number(parts.version),
            reason,
            headers: crate::header_pairs(&parts.headers),
        };
        if self.options.keep_alive {
            self.connection = Some(sender);
        }
        self.answer = Some(body);
        Ok(head)
    }

    fn body(&mut self, sink: &mut dyn Write) -> Result<(), String> {
        let Some(mut body) = self.answer.take() else {
            return Err("no answer to read".into());
        };
        let timeout = self.options.timeout;
        self.runtime.block_on(async {
            loop {
                let frame = tokio::time::timeout(timeout, body.frame())
                    .await
                    .map_err(|_| "timed out waiting for the body".to_string())?;
                match frame {
                    None => return Ok(()),
                    Some(Err(e)) => return Err(format!("cannot read the body: {}", one_line(&e))),
                    Some(Ok(frame)) => {
                        if let Ok(data) = frame.into_data() {
                            sink.write_all(&data)
                                .map_err(|e| format!("cannot write the body: {e}"))?;
                        }
                    }
                }
            }
        })
    }
}

/// `http.client.HTTPConnection` on hyper: one connection to one host, a request at a
/// time. `getresponse()` reads the answer's body as well, so that the connection is free
/// for the next request whether the server keeps it or closes it (http.client raises
/// `ResponseNotReady` on a kept connection whose body is unread).
pub struct HttpConnection {
    host: String,
    hyper: Hyper,
    asked: Option<(String, Url)>,
}

/// What `getresponse()` returns.
#[derive(Clone, Debug)]
pub struct HttpResponse {
    pub status: u16,
    pub reason: String,
    /// 11 for HTTP/1.1, 10 for HTTP/1.0, as `r.version`.
    pub version: u8,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl HttpResponse {
    /// `r.will_close`: the server said it closes the connection.
    pub fn will_close(&self) -> bool {
        self.headers
            .iter()
            .any(|(n, v)| n.eq_ignore_ascii_case("connection") && v.eq_ignore_ascii_case("close"))
    }
}

impl HttpConnection {
    /// `HTTPConnection('localhost:8000')`: nothing is connected until the first request.
    pub fn new(host: &str) -> Result<Self, String> {
        let options = Options::default();
        Ok(Self {
            host: host.to_string(),
            hyper: Hyper::sending(options, &[("Accept-Encoding", "identity")])?,
            asked: None,
        })
    }

    /// `h.request('GET', '/ip')`.
    pub fn request(&mut self, method: &str, path: &str) -> Result<(), String> {
        let url = Url::parse(&format!("http://{}{path}", self.host))
            .map_err(|e| format!("{}{path}: {e}", self.host))?;
        self.asked = Some((method.to_string(), url));
        Ok(())
    }

    /// `h.getresponse()`.
    pub fn getresponse(&mut self) -> Result<HttpResponse, String> {
        let (method, url) = self
            .asked
            .take()
            .ok_or("ResponseNotReady: no request was sent")?;
        let head = self.hyper.send(&method, &url, &[])?;
        let mut body = Vec::new();
        self.hyper.body(&mut body)?;
        Ok(HttpResponse {
            status: head.status,
            reason: head.reason.unwrap_or_default(),
            version: head.version,
            headers: head.headers,
            body,
        })
    }
}
