//! Chapter 10's `timeapp_webob.py`: the time service with request and response
//! objects, WebOb's there. Here the app is a value with a `tower::Service`
//! implementation: it is handed an `http::Request` and returns an `http::Response`,
//! as a WebOb app builds `webob.Request(environ)` and calls its `webob.Response`.

use std::convert::Infallible;
use std::future::{Ready, ready};
use std::task::{Context, Poll};

use axum::body::Body;
use hyper::{Method, Request, Response, StatusCode};

/// The app.
#[derive(Clone, Copy, Debug, Default)]
pub struct TimeApp;

/// Departure: plain text labelled `text/plain` (WebOb's default, which the book keeps,
/// is `text/html; charset=UTF-8`).
pub const CONTENT_TYPE: &str = "text/plain; charset=UTF-8";

impl TimeApp {
    /// `app(environ, start_response)`.
    pub fn respond(&self, request: &Request<Body>) -> Response<Body> {
        // `request.domain`: Host without its port, or SERVER_NAME without one.
        let domain = wsgi::host_of(request).unwrap_or_else(|| "localhost".into());
        // Departure: HEAD as GET (the book answers 501).
        if request.method() != Method::GET && request.method() != Method::HEAD {
            wsgi::text(
                StatusCode::NOT_IMPLEMENTED,
                CONTENT_TYPE,
                "501 Not Implemented",
            )
        } else if domain != "127.0.0.1" || request.uri().path() != "/" {
            wsgi::text(StatusCode::NOT_FOUND, CONTENT_TYPE, "404 Not Found")
        } else {
            wsgi::text(StatusCode::OK, CONTENT_TYPE, wsgi::ctime())
        }
    }
}

impl tower::Service<Request<Body>> for TimeApp {
    type Response = Response<Body>;
    type Error = Infallible;
    type Future = Ready<Result<Response<Body>, Infallible>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<Body>) -> Self::Future {
        ready(Ok(self.respond(&request)))
    }
}

/// The app as the server calls it.
pub fn app() -> TimeApp {
    TimeApp
}
