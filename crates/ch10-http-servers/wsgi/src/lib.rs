//! What plays WSGI's part, and gunicorn's, for Chapter 10's apps.
//!
//! A WSGI app is a callable that a server calls once per request; here an app is a
//! [`tower::Service`] from an `http::Request` to an `http::Response` (a plain function
//! made one by [`tower::service_fn`], an axum `Router`, or a struct of its own), and
//! [`serve`] is the server: hyper's HTTP/1.1, one task per connection, on loopback.
//!
//! The framing is a named choice ([`Framing`]): hyper's own (keep-alive, Content-Length
//! or chunked), or gunicorn's sync worker (`Connection: close` after every answer). In
//! both, a HEAD answer's body is never sent (hyper drops it), and an HTTP/1.1 request
//! without Host, or any with two, gets 400 before any app sees it (RFC 9112 §3.2; the
//! book's apps answer them 200 or 404).

pub mod environ;

use std::convert::Infallible;
use std::io::Write;
use std::net::{IpAddr, SocketAddr};
use std::process::ExitCode;

use axum::body::Body;
use hyper::{Request, Response, StatusCode, Version};
use hyper_util::rt::TokioIo;
use tower::{Service, ServiceExt};

/// How a server frames its answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Framing {
    /// hyper's: connections kept alive, a length or chunks.
    KeepAlive,
    /// gunicorn's sync worker: one answer per connection, then the close.
    Close,
}

/// The command line every Chapter 10 server takes.
#[derive(clap::Args, Clone, Debug)]
pub struct Where {
    /// the address to listen on (the book's servers listen on every interface; these on
    /// loopback unless told)
    #[arg(default_value = "127.0.0.1")]
    pub host: IpAddr,
    /// port (0: the system chooses)
    #[arg(short = 'p', long, default_value_t = 8000)]
    pub port: u16,
    /// close every connection after its answer, as gunicorn's sync worker does
    #[arg(long)]
    pub close: bool,
}

impl Where {
    pub fn framing(&self) -> Framing {
        if self.close {
            Framing::Close
        } else {
            Framing::KeepAlive
        }
    }
}

/// `time.ctime()`: 24 bytes, local time, the day of the month padded with a space
/// (`Tue Dec  1 23:09:51 2026`).
pub fn ctime() -> String {
    chrono::Local::now()
        .format("%a %b %e %H:%M:%S %Y")
        .to_string()
}

/// A response with a status, a Content-Type and a body (no other header: hyper adds
/// Content-Length and Date).
pub fn text(status: StatusCode, content_type: &str, body: impl Into<String>) -> Response<Body> {
    let mut response = Response::new(Body::from(body.into()));
    *response.status_mut() = status;
    if let Ok(value) = content_type.parse() {
        response
            .headers_mut()
            .insert(hyper::header::CONTENT_TYPE, value);
    }
    response
}

/// The 400 for an HTTP/1.1 request without Host, or any request with two, before the
/// app (RFC 9112 §3.2: "A server MUST respond with a 400 (Bad Request) status code to
/// any HTTP/1.1 request message that lacks a Host header field and to any request
/// message that contains more than one Host header field line").
fn bad_host(request: &Request<Body>) -> Option<Response<Body>> {
    let hosts = request
        .headers()
        .get_all(hyper::header::HOST)
        .iter()
        .count();
    let lacks =
        request.version() == Version::HTTP_11 && hosts == 0 && request.uri().authority().is_none();
    let why = if lacks {
        "an HTTP/1.1 request needs a Host header"
    } else if hosts > 1 {
        "a request has one Host header, not two"
    } else {
        return None;
    };
    Some(text(
        StatusCode::BAD_REQUEST,
        "text/plain; charset=utf-8",
        format!("400 Bad Request: {why}"),
    ))
}

/// What a server here serves: a service from a request to a response that never fails
/// (an app answers every request, if only with an error status), cloned for each
/// connection and run on any thread.
pub trait App:
    Service<Request<Body>, Response = Response<Body>, Error = Infallible, Future: Send + 'static>
    + Clone
    + Send
    + 'static
{
}

impl<S> App for S where
    S: Service<
            Request<Body>,
            Response = Response<Body>,
            Error = Infallible,
            Future: Send + 'static,
        > + Clone
        + Send
        + 'static
{
}

/// An app made of an async function, as `tower::service_fn` makes it a service.
pub fn from_fn<F, Fut>(f: F) -> impl App
where
    F: Fn(Request<Body>) -> Fut + Clone + Send + 'static,
    Fut: std::future::Future<Output = Response<Body>> + Send + 'static,
{
    tower::service_fn(move |request| {
        let f = f.clone();
        async move { Ok::<_, Infallible>(f(request).await) }
    })
}

/// The two ends of the connection a request came on, in its extensions (WSGI's
/// `REMOTE_ADDR`, `SERVER_PORT`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ends {
    pub remote: SocketAddr,
    pub local: SocketAddr,
}

/// Serves `app` on `listener` for ever: a task per connection, each request handed to a
/// clone of the app.
pub async fn serve<S: App>(listener: tokio::net::TcpListener, app: S, framing: Framing) {
    loop {
        let (stream, remote) = match listener.accept().await {
            Ok(accepted) => accepted,
            // A failed accept (out of descriptors, a connection reset while queued) ends
            // no other connection and not the server.
            Err(_) => {
                tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                continue;
            }
        };
        let app = app.clone();
        let ends = Ends {
            remote,
            local: stream.local_addr().unwrap_or(remote),
        };
        tokio::spawn(async move {
            let service =
                hyper::service::service_fn(move |request: Request<hyper::body::Incoming>| {
                    let app = app.clone();
                    async move {
                        let mut request = request.map(Body::new);
                        request.extensions_mut().insert(ends);
                        if let Some(refused) = bad_host(&request) {
                            return Ok::<_, Infallible>(refused);
                        }
                        app.oneshot(request).await
                    }
                });
            let _ = hyper::server::conn::http1::Builder::new()
                .keep_alive(framing == Framing::KeepAlive)
                // A client that shuts down its side once it has sent its request (`nc
                // -N`) still gets the answer: hyper would drop it at the end of file.
                .half_close(true)
                // A client that sends its request's head a byte at a time is bounded.
                .header_read_timeout(std::time::Duration::from_secs(30))
                .timer(hyper_util::rt::TokioTimer::new())
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

/// A Chapter 10 server's `main`: binds where `at` says, prints `Listening at ('HOST',
/// PORT)`, and serves `app` until it is stopped.
pub fn main<S: App>(name: &str, at: &Where, app: S) -> ExitCode {
    main_saying(name, at, app, |host, port| {
        format!("Listening at ('{host}', {port})")
    })
}

/// [`main`], with its own first line (`say(host, port)`).
pub fn main_saying<S: App>(
    name: &str,
    at: &Where,
    app: S,
    say: impl Fn(IpAddr, u16) -> String,
) -> ExitCode {
    let addr = SocketAddr::new(at.host, at.port);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            let _ = writeln!(std::io::stderr(), "{name}: cannot start a runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let framing = at.framing();
    runtime.block_on(async move {
        let listener = match tokio::net::TcpListener::bind(addr).await {
            Ok(listener) => listener,
            Err(e) => {
                let _ = writeln!(std::io::stderr(), "{name}: cannot listen at {addr}: {e}");
                return ExitCode::FAILURE;
            }
        };
        let port = listener.local_addr().map(|a| a.port()).unwrap_or(at.port);
        if fopnp::log::Log::stdout()
            .line(format_args!("{}", say(at.host, port)))
            .is_err()
        {
            return ExitCode::FAILURE;
        }
        serve(listener, app, framing).await;
        ExitCode::SUCCESS
    })
}

/// The host part of a Host header, as the book's apps take it: up to the first `:`
/// (so an IPv6 literal is never `127.0.0.1`, as in the book).
pub fn host_of(request: &Request<Body>) -> Option<String> {
    let host = request
        .headers()
        .get(hyper::header::HOST)
        .and_then(|h| h.to_str().ok())
        .map(str::to_string)
        .or_else(|| request.uri().authority().map(|a| a.as_str().to_string()))?;
    Some(host.split(':').next().unwrap_or_default().to_string())
}

/// The client's address behind a reverse proxy, as the chapter advises running an app
/// (the proxy in front, the app server on loopback behind it).
///
/// A proxy such as nginx (`proxy_set_header X-Forwarded-For
/// $proxy_add_x_forwarded_for`) appends the address it was reached from to any
/// `X-Forwarded-For` the client sent, so only the entries that trusted proxies added
/// can be believed: the header is read from the right, past every address in
/// `trusted`, and the first other address is the client. A request that did not come
/// from a trusted proxy is answered by its own peer, whatever its header says (a client
/// can send `X-Forwarded-For: 6.6.6.6` itself). `None` where the request has no
/// [`Ends`] (it was not served by [`serve`]).
pub fn client_address(request: &Request<Body>, trusted: &[IpAddr]) -> Option<IpAddr> {
    let peer = request.extensions().get::<Ends>()?.remote.ip();
    if !trusted.contains(&peer) {
        return Some(peer);
    }
    let mut client = peer;
    let hops = request
        .headers()
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .collect::<Vec<_>>();
    for hop in hops.iter().rev() {
        // An entry that is not an address ends what can be believed.
        let Ok(address) = hop.trim().parse::<IpAddr>() else {
            break;
        };
        client = address;
        if !trusted.contains(&address) {
            break;
        }
    }
    Some(client)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn from(peer: &str, forwarded: &[&str]) -> Request<Body> {
        let mut request = Request::new(Body::empty());
        for value in forwarded {
            request
                .headers_mut()
                .append("x-forwarded-for", value.parse().unwrap());
        }
        request.extensions_mut().insert(Ends {
            remote: format!("{peer}:40000").parse().unwrap(),
            local: "127.0.0.1:8000".parse().unwrap(),
        });
        request
    }

    #[test]
    fn x_forwarded_for_is_believed_only_from_a_trusted_proxy() {
        let proxy: IpAddr = "127.0.0.1".parse().unwrap();
        let at = |peer, forwarded| client_address(&from(peer, forwarded), &[proxy]);
        let ip = |text: &str| Some(text.parse::<IpAddr>().unwrap());
        // Through the proxy: the address it appended.
        assert_eq!(at("127.0.0.1", &["127.0.0.2"]), ip("127.0.0.2"));
        // A client's own header, through the proxy: the proxy's entry, not the forgery.
        assert_eq!(at("127.0.0.1", &["6.6.6.6, 127.0.0.2"]), ip("127.0.0.2"));
        assert_eq!(at("127.0.0.1", &["6.6.6.6", "127.0.0.2"]), ip("127.0.0.2"));
        // Straight to the app, with a forged header: its own peer.
        assert_eq!(at("127.0.0.2", &["6.6.6.6"]), ip("127.0.0.2"));
        // The proxy with no header, or one that is not an address.
        assert_eq!(at("127.0.0.1", &[]), ip("127.0.0.1"));
        assert_eq!(at("127.0.0.1", &["unknown"]), ip("127.0.0.1"));
        assert_eq!(client_address(&Request::new(Body::empty()), &[proxy]), None);
    }
}
