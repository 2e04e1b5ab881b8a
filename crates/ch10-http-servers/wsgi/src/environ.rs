//! WSGI's environ (PEP 3333) as wsgiref builds it for a request, and `pprint.pformat` of
//! it: what Chapter 10's `wsgi_env.py` shows every client.
//!
//! Its strings are "native strings" that carry bytes: each byte of the request is one
//! code point, as Latin-1 decodes it. So `PATH_INFO` is the path percent-decoded and then
//! read as Latin-1 (`/a%20b` is `'/a b'`, `/caf%C3%A9` is `'cafÃ©'`), a header's UTF-8
//! bytes show as `'Ã¼'`, and `QUERY_STRING` is left as it was sent.
//!
//! The environ here is the request's (the CGI variables and its headers) and the server's
//! facts, but not the server's own OS environment, which wsgiref copies into every
//! environ and the book's app so shows to every client: a departure.

use axum::body::Body;
use fopnp::{PyStr, pprint};
use hyper::Request;

/// A value of the environ, as Python would repr it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    Str(String),
    Bool(bool),
    /// Shown as given: `(1, 0)`, or an object's repr.
    Repr(String),
}

impl std::fmt::Display for Value {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Value::Str(s) => write!(f, "{}", PyStr(s)),
            Value::Bool(true) => f.write_str("True"),
            Value::Bool(false) => f.write_str("False"),
            Value::Repr(r) => f.write_str(r),
        }
    }
}

/// The server's name for itself, `SERVER_SOFTWARE`.
pub const SOFTWARE: &str = concat!("fopnp-wsgi/", env!("CARGO_PKG_VERSION"));

/// Bytes as a WSGI native string: each byte the code point of the same number
/// (`bytes.decode('iso-8859-1')`).
pub fn latin1(bytes: &[u8]) -> String {
    bytes.iter().map(|&b| char::from(b)).collect()
}

/// `PATH_INFO`: the path percent-decoded, then read as Latin-1, as wsgiref's
/// `urllib.parse.unquote(path, 'iso-8859-1')`.
pub fn path_info(path: &str) -> String {
    let decoded: Vec<u8> = percent_encoding::percent_decode_str(path).collect();
    latin1(&decoded)
}

/// The environ of `request` (with `body_len` bytes of body), sorted by key.
pub fn environ(request: &Request<Body>, body_len: usize) -> Vec<(String, Value)> {
    let ends = request.extensions().get::<crate::Ends>().copied();
    let s = |v: &str| Value::Str(v.to_string());
    let header =
        |name: hyper::header::HeaderName| request.headers().get(name).map(|v| latin1(v.as_bytes()));
    let mut env: Vec<(String, Value)> = vec![
        (
            "CONTENT_LENGTH".into(),
            s(&header(hyper::header::CONTENT_LENGTH).unwrap_or_default()),
        ),
        (
            "CONTENT_TYPE".into(),
            s(&header(hyper::header::CONTENT_TYPE).unwrap_or_else(|| "text/plain".into())),
        ),
        ("GATEWAY_INTERFACE".into(), s("CGI/1.1")),
        ("PATH_INFO".into(), s(&path_info(request.uri().path()))),
        (
            "QUERY_STRING".into(),
            s(request.uri().query().unwrap_or_default()),
        ),
        (
            "REMOTE_ADDR".into(),
            s(&ends.map(|e| e.remote.ip().to_string()).unwrap_or_default()),
        ),
        ("REMOTE_HOST".into(), s("")),
        ("REQUEST_METHOD".into(), s(request.method().as_str())),
        ("SCRIPT_NAME".into(), s("")),
        ("SERVER_NAME".into(), s("localhost")),
        (
            "SERVER_PORT".into(),
            s(&ends.map(|e| e.local.port().to_string()).unwrap_or_default()),
        ),
        (
            "SERVER_PROTOCOL".into(),
            s(&format!("{:?}", request.version())),
        ),
        ("SERVER_SOFTWARE".into(), s(SOFTWARE)),
        (
            "wsgi.errors".into(),
            Value::Repr("<the server's stderr>".into()),
        ),
        (
            "wsgi.input".into(),
            Value::Repr(format!("<the request's body, {body_len} bytes>")),
        ),
        ("wsgi.multiprocess".into(), Value::Bool(false)),
        ("wsgi.multithread".into(), Value::Bool(true)),
        ("wsgi.run_once".into(), Value::Bool(false)),
        ("wsgi.url_scheme".into(), s("http")),
        ("wsgi.version".into(), Value::Repr("(1, 0)".into())),
    ];
    for (name, value) in request.headers() {
        if name == hyper::header::CONTENT_LENGTH || name == hyper::header::CONTENT_TYPE {
            continue;
        }
        let key = format!(
            "HTTP_{}",
            name.as_str().to_ascii_uppercase().replace('-', "_")
        );
        let value = latin1(value.as_bytes());
        // A header sent twice: its values joined, as wsgiref joins them.
        match env.iter_mut().find(|(k, _)| *k == key) {
            Some((_, Value::Str(first))) => *first = format!("{first},{value}"),
            _ => env.push((key, Value::Str(value))),
        }
    }
    // Python sorts str keys by code point: upper case before `wsgi.`.
    env.sort_by(|a, b| a.0.cmp(&b.0));
    env
}

/// `pprint.pformat(environ)`: `{'KEY': value,` and then one ` 'KEY': value,` a line,
/// or one line where the whole fits in 80 columns. A string too long for its line is
/// split after its spaces into literals that follow one another, as pprint splits it.
pub fn pformat(env: &[(String, Value)]) -> String {
    let one_line = format!(
        "{{{}}}",
        env.iter()
            .map(|(k, v)| format!("{}: {v}", PyStr(k)))
            .collect::<Vec<_>>()
            .join(", ")
    );
    if one_line.chars().count() <= pprint::WIDTH {
        return one_line;
    }
    let items: Vec<String> = env
        .iter()
        .map(|(k, v)| {
            let key = PyStr(k).to_string();
            // The value starts after ` 'KEY': `, and a `,` or the `}` follows it.
            let indent = 1 + key.chars().count() + 2;
            let value = match v {
                Value::Str(text) => pprint::pformat_str(text, indent, 1),
                other => other.to_string(),
            };
            format!("{key}: {value}")
        })
        .collect();
    format!("{{{}}}", items.join(",\n "))
}

/// The request's environ, its body read (at most 1 MiB) only to say how long it was.
pub async fn environ_of(request: Request<Body>) -> Vec<(String, Value)> {
    let (parts, body) = request.into_parts();
    let length = axum::body::to_bytes(body, 1024 * 1024)
        .await
        .map(|b| b.len())
        .unwrap_or(0);
    environ(&Request::from_parts(parts, Body::empty()), length)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What wsgiref (Python 3.11) put in the environ for the same bytes.
    #[test]
    fn paths_and_headers_are_latin1_native_strings_as_wsgiref_makes_them() {
        assert_eq!(path_info("/a%20b/%2F/caf%C3%A9/"), "/a b///cafÃ©/");
        assert_eq!(path_info("/100%"), "/100%");
        assert_eq!(latin1("ü".as_bytes()), "Ã¼");
        assert_eq!(latin1(b"\xfc"), "ü");
    }
}
