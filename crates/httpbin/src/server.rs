//! [`HttpBin`]: the endpoints served on a port by hyper, counting connections, logging each
//! request with its connection's number, and with `close` shutting every connection after
//! its answer, as gunicorn's sync worker does.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use bytes::Bytes;
use http_body_util::{BodyExt, Full, StreamBody, combinators::BoxBody};
use hyper::body::{Frame, Incoming};
use hyper::header::{HeaderName, HeaderValue};
use hyper::{Request, Response};

use crate::misbehave::{misbehave, misbehaving};
use crate::{Answer, Asked, Body, answer};

/// A running stand-in on 127.0.0.1; dropping it stops it.
pub struct HttpBin {
    port: u16,
    connections: Arc<AtomicUsize>,
    requests: Arc<Mutex<Vec<String>>>,
    stop: Arc<AtomicBool>,
}

impl HttpBin {
    /// On 127.0.0.1 at a port the system chooses, keeping connections alive.
    pub fn start() -> Result<Self, String> {
        Self::bind(SocketAddr::from(([127, 0, 0, 1], 0)), false, |_| {}, |_| {})
    }

    /// On `addr`; `close`: one answer per connection, as gunicorn's sync worker;
    /// `listening` is told the port before any request is read, `log` each request's
    /// connection, line and status, and its cookies (`#2 GET /cookies 200 Cookie: a=1`).
    pub fn bind(
        addr: SocketAddr,
        close: bool,
        listening: impl FnOnce(u16),
        log: impl Fn(&str) + Send + Sync + 'static,
    ) -> Result<Self, String> {
        let listener = std::net::TcpListener::bind(addr)
            .map_err(|e| format!("cannot listen at {addr}: {e}"))?;
        listener.set_nonblocking(true).map_err(|e| e.to_string())?;
        let port = listener.local_addr().map_err(|e| e.to_string())?.port();
        listening(port);
        let connections = Arc::new(AtomicUsize::new(0));
        let requests = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| format!("cannot start the server's runtime: {e}"))?;
        let log: Arc<dyn Fn(&str) + Send + Sync> = Arc::new(log);
        let (counted, kept, stopping) = (connections.clone(), requests.clone(), stop.clone());
        std::thread::spawn(move || {
            runtime.block_on(async move {
                let Ok(listener) = tokio::net::TcpListener::from_std(listener) else {
                    return;
                };
                while !stopping.load(Ordering::SeqCst) {
                    let Ok((stream, peer)) = listener.accept().await else {
                        continue;
                    };
                    if stopping.load(Ordering::SeqCst) {
                        break;
                    }
                    let number = counted.fetch_add(1, Ordering::SeqCst) + 1;
                    let (kept, log) = (kept.clone(), log.clone());
                    tokio::spawn(async move {
                        // A connection that opens with a request for /misbehave/KIND gets
                        // the broken answer, written by hand: hyper would refuse to.
                        if let Some(kind) = misbehaving(&stream).await {
                            let line =
                                format!("#{number} GET /misbehave/{} (misbehaving)", kind.name());
                            log(&line);
                            kept.lock()
                                .unwrap_or_else(PoisonError::into_inner)
                                .push(line);
                            let _ = misbehave(stream, kind).await;
                            return;
                        }
                        let service = hyper::service::service_fn(move |request| {
                            let (kept, log) = (kept.clone(), log.clone());
                            async move {
                                Ok::<_, Infallible>(
                                    serve(request, peer, number, &kept, &*log).await,
                                )
                            }
                        });
                        let io = hyper_util::rt::TokioIo::new(stream);
                        let _ = hyper::server::conn::http1::Builder::new()
                            .keep_alive(!close)
                            .title_case_headers(true)
                            .serve_connection(io, service)
                            .await;
                    });
                }
            });
        });
        Ok(Self {
            port,
            connections,
            requests,
            stop,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// `http://127.0.0.1:PORT` and `path`.
    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// How many connections it has accepted.
    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }

    /// Every request so far, as logged (`#1 GET /get 200`).
    pub fn requests(&self) -> Vec<String> {
        self.requests
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

impl Drop for HttpBin {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = std::net::TcpStream::connect(("127.0.0.1", self.port));
    }
}

type Out = Response<BoxBody<Bytes, Infallible>>;

async fn serve(
    request: Request<Incoming>,
    peer: SocketAddr,
    connection: usize,
    kept: &Mutex<Vec<String>>,
    log: &(dyn Fn(&str) + Send + Sync),
) -> Out {
    let (parts, body) = request.into_parts();
    let body = body
        .collect()
        .await
        .map(|b| b.to_bytes().to_vec())
        .unwrap_or_default();
    let asked = Asked {
        method: parts.method.to_string(),
        target: parts
            .uri
            .path_and_query()
            .map(|p| p.to_string())
            .unwrap_or_else(|| "/".into()),
        headers: parts
            .headers
            .iter()
            .map(|(n, v)| {
                (
                    n.to_string(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect(),
        body,
        peer: peer.ip().to_string(),
    };
    let answer = answer(&asked);
    // The connection's number and the cookies sent: what a client's conformance cases
    // are judged by (a connection reused, a cookie kept across a redirect).
    let mut line = format!(
        "#{connection} {} {} {}",
        asked.method, asked.target, answer.status
    );
    if let Some(cookie) = asked.header("Cookie") {
        line.push_str(&format!(" Cookie: {cookie}"));
    }
    log(&line);
    kept.lock()
        .unwrap_or_else(PoisonError::into_inner)
        .push(line);
    to_response(answer)
}

/// The answer as hyper's response: its reason phrase, its headers in order, then
/// httpbin's two CORS headers.
fn to_response(answer: Answer) -> Out {
    let body: BoxBody<Bytes, Infallible> = match answer.body {
        Body::Whole(bytes) => Full::new(Bytes::from(bytes)).boxed(),
        Body::Chunks(chunks) => {
            let frames = chunks
                .into_iter()
                .map(|c| Ok::<_, Infallible>(Frame::data(Bytes::from(c))));
            StreamBody::new(futures_util::stream::iter(frames)).boxed()
        }
    };
    let mut response = Response::new(body);
    *response.status_mut() =
        hyper::StatusCode::from_u16(answer.status).unwrap_or(hyper::StatusCode::OK);
    if let Ok(phrase) = hyper::ext::ReasonPhrase::try_from(answer.reason.into_bytes()) {
        response.extensions_mut().insert(phrase);
    }
    let headers = response.headers_mut();
    let cors = [
        ("Access-Control-Allow-Origin".to_string(), "*".to_string()),
        (
            "Access-Control-Allow-Credentials".to_string(),
            "true".to_string(),
        ),
    ];
    for (name, value) in answer.headers.into_iter().chain(cors) {
        if let (Ok(name), Ok(value)) = (HeaderName::try_from(name), HeaderValue::try_from(value)) {
            headers.append(name, value);
        }
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn it_serves_httpbins_phrases_and_title_case_on_the_wire_and_counts_connections() {
        use std::io::{Read, Write};
        let bin = HttpBin::start().unwrap();
        let mut stream = std::net::TcpStream::connect(("127.0.0.1", bin.port())).unwrap();
        stream
            .set_read_timeout(Some(std::time::Duration::from_secs(10)))
            .unwrap();
        stream
            .write_all(b"GET /status/404 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .unwrap();
        let mut reply = String::new();
        stream.read_to_string(&mut reply).unwrap();
        assert!(reply.starts_with("HTTP/1.1 404 NOT FOUND\r\n"), "{reply}");
        assert!(
            reply.contains("\r\nAccess-Control-Allow-Origin: *\r\n"),
            "{reply}"
        );
        assert_eq!(bin.connections(), 1);
        // A second connection, with a cookie: the log names each request's connection.
        let mut stream = std::net::TcpStream::connect(("127.0.0.1", bin.port())).unwrap();
        stream
            .set_read_timeout(Some(std::time::Duration::from_secs(10)))
            .unwrap();
        stream
            .write_all(
                b"GET /cookies HTTP/1.1\r\nHost: x\r\nCookie: a=1\r\nConnection: close\r\n\r\n",
            )
            .unwrap();
        stream.read_to_string(&mut reply).unwrap();
        assert_eq!(bin.connections(), 2);
        assert_eq!(
            bin.requests(),
            ["#1 GET /status/404 404", "#2 GET /cookies 200 Cookie: a=1"]
        );
    }
}
