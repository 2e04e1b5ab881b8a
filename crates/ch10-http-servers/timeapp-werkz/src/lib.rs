//! Chapter 10's `timeapp_werkz.py`: the time service on a framework's request object,
//! Werkzeug's there and axum's here. The handler takes what it needs as extractors (the
//! method, the path, the headers), and Werkzeug's upper-case reason phrases go out as
//! Werkzeug sends them (`404 NOT FOUND`).

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::Response;

/// `@Request.application def app(request)`.
pub async fn time(method: Method, uri: Uri, headers: HeaderMap) -> Response {
    // `request.host`: the Host header, or SERVER_NAME without one (never 127.0.0.1
    // here: a request without Host gets 404, as Werkzeug gives it).
    let host = headers
        .get(axum::http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .or_else(|| uri.authority().map(|a| a.as_str()))
        .unwrap_or("localhost");
    let host = host.split(':').next().unwrap_or_default();
    let kind = "text/plain; charset=utf-8";
    // Departure: HEAD as GET (the book answers 501).
    if method != Method::GET && method != Method::HEAD {
        phrased(
            wsgi::text(StatusCode::NOT_IMPLEMENTED, kind, "501 Not Implemented"),
            b"NOT IMPLEMENTED",
        )
    } else if host != "127.0.0.1" || uri.path() != "/" {
        phrased(
            wsgi::text(StatusCode::NOT_FOUND, kind, "404 Not Found"),
            b"NOT FOUND",
        )
    } else {
        wsgi::text(StatusCode::OK, kind, wsgi::ctime())
    }
}

/// Werkzeug's reason phrase on the wire.
fn phrased(mut response: Response<Body>, reason: &'static [u8]) -> Response<Body> {
    response
        .extensions_mut()
        .insert(hyper::ext::ReasonPhrase::from_static(reason));
    response
}

/// The app: every path and method to the one handler.
pub fn app() -> Router {
    Router::new().fallback(time)
}
