//! Chapter 10's `timeapp_raw.py`: the time service written against WSGI itself. The
//! app is a plain function from a request to a response, as a WSGI callable is one from
//! an environ to a status, headers and a body; [`app`] makes it a service for the
//! server.

use std::convert::Infallible;

use axum::body::Body;
use hyper::{Method, Request, Response, StatusCode};

/// `app(environ, start_response)`.
pub fn time_app(request: &Request<Body>) -> Response<Body> {
    // `environ.get('HTTP_HOST', '127.0.0.1')`, cut at its first ':'.
    let host = wsgi::host_of(request).unwrap_or_else(|| "127.0.0.1".into());
    // PATH_INFO: the path without the query (the book's split at '?' never finds one).
    let path = request.uri().path();
    let kind = "text/plain; charset=utf-8";
    // Departure: HEAD is answered as GET (hyper leaves out the body); the book answers
    // it 501, as every method but GET.
    if request.method() != Method::GET && request.method() != Method::HEAD {
        yielded(StatusCode::NOT_IMPLEMENTED, kind, "501 Not Implemented")
    } else if host != "127.0.0.1" || path != "/" {
        yielded(StatusCode::NOT_FOUND, kind, "404 Not Found")
    } else {
        yielded(StatusCode::OK, kind, wsgi::ctime())
    }
}

/// A body the app yields rather than returns whole: no length is known, so HTTP/1.1
/// gets it chunked and HTTP/1.0 until the close, as gunicorn sends the book's.
fn yielded(status: StatusCode, kind: &str, body: impl Into<String>) -> Response<Body> {
    let body: String = body.into();
    let chunk = futures_util::stream::once(async move { Ok::<_, Infallible>(body) });
    let mut response = wsgi::text(status, kind, "");
    *response.body_mut() = Body::from_stream(chunk);
    response
}

/// The app as the server calls it.
pub fn app() -> impl wsgi::App {
    wsgi::from_fn(|request: Request<Body>| async move { time_app(&request) })
}
