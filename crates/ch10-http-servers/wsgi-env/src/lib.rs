//! Chapter 10, `wsgi_env.py`: an app written against the bare WSGI interface that answers
//! every request with the environment the server built for it, as `pprint.pformat`
//! shows a dict (sorted keys, one per line, Python's reprs).
//!
//! ```python
//! def app(environ, start_response):
//!     headers = {'Content-Type': 'text/plain; charset=utf-8'}
//!     start_response('200 OK', list(headers.items()))
//!     yield 'Here is the WSGI environment:\r\n\r\n'.encode('utf-8')
//!     yield pformat(environ).encode('utf-8')
//!
//! if __name__ == '__main__':
//!     httpd = make_server('', 8000, app)
//!     host, port = httpd.socket.getsockname()
//!     print('Serving on', host, 'port', port)
//!     httpd.serve_forever()
//! ```
//!
//! The environ and `pformat` are the server's and Python's, so they live in the `wsgi`
//! crate ([`wsgi::environ`]); the `__main__` block is `src/bin/wsgi_env.rs`. The environ
//! holds the request's variables but not the server's own OS environment, which wsgiref
//! copies into it and the book's app shows to every client (departure 47).

use axum::body::Body;
use hyper::{Request, Response, StatusCode};
use wsgi::environ::{environ_of, pformat};

/// `app(environ, start_response)`: 200, the dump, no trailing newline.
pub async fn app(request: Request<Body>) -> Response<Body> {
    let environ = environ_of(request).await;
    let headers = "text/plain; charset=utf-8";
    let body = format!("Here is the WSGI environment:\r\n\r\n{}", pformat(&environ));
    wsgi::text(StatusCode::OK, headers, body)
}

/// The app as the server calls it (`make_server('', 8000, app)`).
pub fn service() -> impl wsgi::App {
    wsgi::from_fn(app)
}
