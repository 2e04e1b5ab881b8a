//! A stand-in for httpbin (0.10.4, as the book's Chapter 9 runs it under gunicorn), on
//! loopback, for the HTTP chapters' clients and their tests: the endpoints the chapter's
//! session and its prose need, with httpbin's habits copied where a client can see them:
//!
//! - reason phrases in upper case (`404 NOT FOUND`, `418 I'M A TEAPOT`), through hyper's
//!   `ReasonPhrase`, and Title-Case header names on the wire, as gunicorn sends them;
//! - JSON with sorted keys, a 2-space indent and a final newline, and the request's
//!   header names in Title-Case, as Werkzeug rebuilds them;
//! - relative redirects, unquoted ETags, the 406 for `*/*` on `/image`.
//!
//! [`answer`] is the application, a plain function of the request (so most of it is
//! tested without a socket); [`HttpBin`] serves it on a port, counting connections, and
//! with `close` shuts every connection after its answer, as gunicorn's sync worker does.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::io::Write;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use base64::Engine;
use bytes::Bytes;
use http_body_util::{BodyExt, Full, StreamBody, combinators::BoxBody};
use hyper::body::{Frame, Incoming};
use hyper::header::{HeaderName, HeaderValue};
use hyper::{Request, Response};
use serde_json::{Value, json};

/// A request as the application sees it.
#[derive(Clone, Debug, Default)]
pub struct Asked {
    pub method: String,
    /// The path and query, as sent: `/get?a=1`.
    pub target: String,
    /// The headers in the order they came, names as hyper gives them (lower case).
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// The client's address (`origin`).
    pub peer: String,
}

/// What the application answers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Answer {
    pub status: u16,
    pub reason: String,
    /// In the order they go out (Content-Length is hyper's, for a whole body).
    pub headers: Vec<(String, String)>,
    pub body: Body,
}

/// A whole body, or one sent in chunks (`Transfer-Encoding: chunked`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Body {
    Whole(Vec<u8>),
    Chunks(Vec<Vec<u8>>),
}

impl Asked {
    /// A header's value, its name in any case.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or_default()
    }

    fn query(&self) -> Vec<(String, String)> {
        let query = self
            .target
            .split_once('?')
            .map(|(_, q)| q)
            .unwrap_or_default();
        form_pairs(query.as_bytes())
    }

    /// `url`: `http://` + Host + the target, as httpbin builds it.
    fn url(&self) -> String {
        format!(
            "http://{}{}",
            self.header("Host").unwrap_or("127.0.0.1"),
            self.target
        )
    }

    /// `headers`: the request's, Title-Case, one value per name.
    fn headers_json(&self) -> Value {
        let mut map = BTreeMap::new();
        for (name, value) in &self.headers {
            map.insert(title_case(name), Value::String(value.clone()));
        }
        json!(map)
    }

    /// `args`: the query, a list where a name repeats.
    fn args_json(&self) -> Value {
        multi_json(&self.query())
    }

    /// What `/get` answers.
    fn get_json(&self) -> Value {
        json!({
            "args": self.args_json(),
            "headers": self.headers_json(),
            "origin": self.peer,
            "url": self.url(),
        })
    }
}

/// `a=1&b=2&a=3` decoded (`+` is a space).
fn form_pairs(text: &[u8]) -> Vec<(String, String)> {
    let text = String::from_utf8_lossy(text);
    text.split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (unquote(k), unquote(v))
        })
        .collect()
}

fn unquote(text: &str) -> String {
    let bytes = text.replace('+', " ").into_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%'
            && let (Some(h), Some(l)) = (
                bytes.get(i + 1).copied().and_then(hex),
                bytes.get(i + 2).copied().and_then(hex),
            )
        {
            out.push((h * 16 + l) as u8);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn multi_json(pairs: &[(String, String)]) -> Value {
    let mut map: BTreeMap<String, Value> = BTreeMap::new();
    for (k, v) in pairs {
        match map.get_mut(k) {
            None => {
                map.insert(k.clone(), Value::String(v.clone()));
            }
            Some(Value::Array(list)) => list.push(Value::String(v.clone())),
            Some(first) => {
                let was = first.take();
                *first = json!([was, v]);
            }
        }
    }
    json!(map)
}

/// `user-agent` → `User-Agent`, as Werkzeug writes a header's name.
pub fn title_case(name: &str) -> String {
    name.split('-')
        .map(|word| {
            let mut chars = word.chars();
            match chars.next() {
                Some(first) => {
                    first.to_ascii_uppercase().to_string() + &chars.as_str().to_ascii_lowercase()
                }
                None => String::new(),
            }
        })
        .collect::<Vec<_>>()
        .join("-")
}

/// httpbin's reason phrase for a status: the standard one in upper case, `UNKNOWN` for
/// a code it has none for.
pub fn reason(status: u16) -> String {
    hyper::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .map(|r| r.to_ascii_uppercase())
        .unwrap_or_else(|| "UNKNOWN".into())
}

/// An answer with httpbin's JSON body.
fn json_answer(status: u16, value: &Value) -> Answer {
    let mut body = serde_json::to_vec_pretty(value).unwrap_or_default();
    body.push(b'\n');
    Answer {
        status,
        reason: reason(status),
        headers: vec![("Content-Type".into(), "application/json".into())],
        body: Body::Whole(body),
    }
}

fn empty(status: u16) -> Answer {
    Answer {
        status,
        reason: reason(status),
        headers: vec![("Content-Type".into(), "text/html; charset=utf-8".into())],
        body: Body::Whole(Vec::new()),
    }
}

fn html(status: u16, body: &str) -> Answer {
    Answer {
        body: Body::Whole(body.as_bytes().to_vec()),
        ..empty(status)
    }
}

/// A fixed text/plain page.
fn plain(body: &str) -> Answer {
    Answer {
        headers: vec![("Content-Type".into(), "text/plain".into())],
        ..html(200, body)
    }
}

fn redirect(status: u16, location: &str) -> Answer {
    let mut answer = empty(status);
    answer.headers.push(("Location".into(), location.into()));
    answer
}

/// Werkzeug's 404 page.
pub const NOT_FOUND: &str = "<!doctype html>\n<html lang=en>\n<title>404 Not Found</title>\n\
<h1>Not Found</h1>\n<p>The requested URL was not found on the server. If you entered the \
URL manually please check your spelling and try again.</p>\n";

/// Werkzeug's 405 page.
pub const METHOD_NOT_ALLOWED: &str = "<!doctype html>\n<html lang=en>\n<title>405 Method Not \
Allowed</title>\n<h1>Method Not Allowed</h1>\n<p>The method is not allowed for the requested \
URL.</p>\n";

/// httpbin's teapot, for `/status/418`.
// A `\` at a line's end would eat the next line's leading spaces, and with them the
// space before `_,`: the art is written line by line instead.
pub const TEAPOT: &str = concat!(
    "\n",
    "    -=[ teapot ]=-\n",
    "\n",
    "       _...._\n",
    "     .'  _ _ `.\n",
    "    | .\"` ^ `\". _,\n",
    "    \\_;`\"---\"`|//\n",
    "      |       ;/\n",
    "      \\_     _/\n",
    "        `\"\"\"`\n",
);

/// httpbin's `/robots.txt`.
pub const ROBOTS_TXT: &str = "User-agent: *\nDisallow: /deny\n";

/// httpbin's `/deny`, the page `/robots.txt` forbids.
pub const ANGRY_ASCII: &str = concat!(
    "\n",
    "          .-''''''-.\n",
    "        .' _      _ '.\n",
    "       /   O      O   \\\n",
    "      :                :\n",
    "      |                |\n",
    "      :       __       :\n",
    "       \\  .-\"`  `\"-.  /\n",
    "        '.          .'\n",
    "          '-......-'\n",
    "     YOU SHOULDN'T BE HERE\n",
);

/// The images `/image` picks from by Accept: small fixed bytes of each type.
pub const IMAGES: &[(&str, &[u8])] = &[
    ("image/webp", b"RIFF\x1a\x00\x00\x00WEBPVP8L\x0d\x00\x00\x00/\x00\x00\x00\x10\x07\x10\x11\x11\x88\x88\xfe\x07\x00"),
    ("image/svg+xml", b"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"1\" height=\"1\"/>\n"),
    ("image/jpeg", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"),
    ("image/png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82"),
];

/// The application: httpbin's answer to one request.
pub fn answer(asked: &Asked) -> Answer {
    let path = asked.path().to_string();
    let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let method = asked.method.as_str();
    let number = |i: usize| parts.get(i).and_then(|n| n.parse::<u32>().ok());
    match (method, parts.as_slice()) {
        ("GET" | "HEAD", ["get"]) => json_answer(200, &asked.get_json()),
        ("GET" | "HEAD", ["headers"]) => {
            json_answer(200, &json!({"headers": asked.headers_json()}))
        }
        ("GET" | "HEAD", ["ip"]) => json_answer(200, &json!({"origin": asked.peer})),
        ("GET" | "HEAD", ["user-agent"]) => {
            json_answer(200, &json!({"user-agent": asked.header("User-Agent")}))
        }
        (_, ["status", code]) => match code.parse::<u16>() {
            Ok(code) if (100..1000).contains(&code) => status(code),
            _ => Answer {
                headers: vec![("Content-Type".into(), "text/plain; charset=utf-8".into())],
                ..html(400, "Invalid status code")
            },
        },
        ("GET" | "HEAD", ["redirect", _]) => match number(1) {
            Some(1) => redirect(302, "/get"),
            Some(n) if n > 1 => redirect(302, &format!("/relative-redirect/{}", n - 1)),
            _ => html(404, NOT_FOUND),
        },
        ("GET" | "HEAD", ["relative-redirect", _]) => match number(1) {
            Some(1) => redirect(302, "/get"),
            Some(n) if n > 1 => redirect(302, &format!("/relative-redirect/{}", n - 1)),
            _ => html(404, NOT_FOUND),
        },
        ("GET" | "HEAD", ["absolute-redirect", _]) => {
            let host = asked.header("Host").unwrap_or("127.0.0.1");
            match number(1) {
                Some(1) => redirect(302, &format!("http://{host}/get")),
                Some(n) if n > 1 => {
                    redirect(302, &format!("http://{host}/absolute-redirect/{}", n - 1))
                }
                _ => html(404, NOT_FOUND),
            }
        }
        ("GET" | "HEAD", ["basic-auth", user, password]) => {
            basic_auth(asked, user, password, false)
        }
        ("GET" | "HEAD", ["hidden-basic-auth", user, password]) => {
            basic_auth(asked, user, password, true)
        }
        ("GET" | "HEAD", ["cookies"]) => json_answer(200, &json!({"cookies": cookies(asked)})),
        ("GET" | "HEAD", ["cookies", "set"]) => {
            let mut answer = redirect(302, "/cookies");
            for (name, value) in asked.query() {
                answer
                    .headers
                    .push(("Set-Cookie".into(), format!("{name}={value}; Path=/")));
            }
            answer
        }
        ("GET" | "HEAD", ["cookies", "delete"]) => {
            let mut answer = redirect(302, "/cookies");
            for (name, _) in asked.query() {
                answer.headers.push((
                    "Set-Cookie".into(),
                    format!("{name}=; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Path=/"),
                ));
            }
            answer
        }
        ("GET" | "HEAD", ["cache"]) => {
            if asked.header("If-Modified-Since").is_some()
                || asked.header("If-None-Match").is_some()
            {
                return not_modified();
            }
            let mut answer = json_answer(200, &asked.get_json());
            let now = chrono::Utc::now()
                .format("%a, %d %b %Y %H:%M:%S GMT")
                .to_string();
            answer.headers.push(("Last-Modified".into(), now));
            // A random 32-hex ETag, unquoted, as httpbin's.
            answer
                .headers
                .push(("ETag".into(), format!("{:032x}", fastrand::u128(..))));
            answer
        }
        ("GET" | "HEAD", ["cache", _]) => match number(1) {
            Some(n) => {
                let mut answer = json_answer(200, &asked.get_json());
                answer
                    .headers
                    .push(("Cache-Control".into(), format!("public, max-age={n}")));
                answer
            }
            None => html(404, NOT_FOUND),
        },
        ("GET" | "HEAD", ["etag", etag]) => etag_answer(asked, etag),
        ("GET" | "HEAD", ["response-headers"]) => {
            let pairs = asked.query();
            let mut body = BTreeMap::new();
            body.insert("Content-Type".to_string(), json!("application/json"));
            for (k, v) in &pairs {
                body.insert(k.clone(), json!(v));
            }
            let mut answer = json_answer(200, &json!(body));
            answer.headers.extend(pairs);
            answer
        }
        ("GET" | "HEAD", ["gzip"]) => compressed(asked, "gzip"),
        ("GET" | "HEAD", ["deflate"]) => compressed(asked, "deflate"),
        ("GET" | "HEAD", ["stream", _]) => match number(1) {
            Some(n) => stream(asked, n.min(100)),
            None => html(404, NOT_FOUND),
        },
        ("GET" | "HEAD", ["image"]) => image(asked),
        ("GET" | "HEAD", ["robots.txt"]) => plain(ROBOTS_TXT),
        ("GET" | "HEAD", ["deny"]) => plain(ANGRY_ASCII),
        // For the clients' conformance cases: a redirect to itself, and a body that is
        // not UTF-8 (Latin-1 `Straße`).
        ("GET" | "HEAD", ["redirect-loop"]) => redirect(302, "/redirect-loop"),
        // httpbin's redirect-to, any method; only to a path on this server, so that no
        // client is ever sent off the machine.
        (_, ["redirect-to"]) => {
            let query = asked.query();
            let find = |key: &str| query.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone());
            let code = find("status_code")
                .and_then(|c| c.parse::<u16>().ok())
                .unwrap_or(302);
            match find("url") {
                Some(url)
                    if url.starts_with('/')
                        && !url.starts_with("//")
                        && (300..400).contains(&code) =>
                {
                    redirect(code, &url)
                }
                _ => html(
                    400,
                    "redirect-to takes a url that is a path here, and a 3xx status_code",
                ),
            }
        }
        ("GET" | "HEAD", ["latin1"]) => Answer {
            status: 200,
            reason: reason(200),
            headers: vec![(
                "Content-Type".into(),
                "text/plain; charset=iso-8859-1".into(),
            )],
            body: Body::Whole(b"Stra\xdfe\n".to_vec()),
        },
        (_, ["anything", ..]) => json_answer(200, &echo(asked, true)),
        ("POST", ["post"]) | ("PUT", ["put"]) | ("PATCH", ["patch"]) | ("DELETE", ["delete"]) => {
            json_answer(200, &echo(asked, false))
        }
        (_, ["post" | "put" | "patch" | "delete"]) => {
            let allowed = match parts[0] {
                // Werkzeug lists a set, in whatever order the process hashes it to.
                "post" => "OPTIONS, POST",
                "put" => "OPTIONS, PUT",
                "patch" => "OPTIONS, PATCH",
                _ => "OPTIONS, DELETE",
            };
            let mut answer = html(405, METHOD_NOT_ALLOWED);
            answer.headers.push(("Allow".into(), allowed.into()));
            answer
        }
        _ => html(404, NOT_FOUND),
    }
}

/// `/status/CODE`: an empty answer, or what httpbin makes of some codes. Those it makes
/// itself carry no Content-Type; 402's joke is not served here.
fn status(code: u16) -> Answer {
    let bare = |extra: Option<(&str, &str)>| Answer {
        headers: extra
            .into_iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect(),
        ..empty(code)
    };
    match code {
        301 | 302 | 303 | 305 | 307 => bare(Some(("Location", "/redirect/1"))),
        304 => not_modified(),
        401 => bare(Some(("WWW-Authenticate", "Basic realm=\"Fake Realm\""))),
        406 => not_acceptable(),
        407 => bare(None),
        418 => Answer {
            body: Body::Whole(TEAPOT.as_bytes().to_vec()),
            ..bare(Some(("x-more-info", "http://tools.ietf.org/html/rfc2324")))
        },
        _ => empty(code),
    }
}

fn basic_auth(asked: &Asked, user: &str, password: &str, hidden: bool) -> Answer {
    let given = asked
        .header("Authorization")
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|b| {
            base64::engine::general_purpose::STANDARD
                .decode(b.trim())
                .ok()
        })
        .map(|b| String::from_utf8_lossy(&b).into_owned());
    if given.as_deref() == Some(&format!("{user}:{password}")) {
        return json_answer(200, &json!({"authenticated": true, "user": user}));
    }
    if hidden {
        // An empty 404, not Werkzeug's page.
        return empty(404);
    }
    status(401)
}

fn cookies(asked: &Asked) -> Value {
    let mut map = BTreeMap::new();
    for header in asked
        .headers
        .iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case("cookie"))
    {
        for pair in header.1.split(';') {
            if let Some((k, v)) = pair.trim().split_once('=') {
                map.insert(k.to_string(), json!(v));
            }
        }
    }
    json!(map)
}

fn not_modified() -> Answer {
    Answer {
        status: 304,
        reason: reason(304),
        headers: Vec::new(),
        body: Body::Whole(Vec::new()),
    }
}

fn etag_answer(asked: &Asked, etag: &str) -> Answer {
    let matches = |list: &str| {
        list.split(',')
            .map(|t| t.trim().trim_start_matches("W/").trim_matches('"'))
            .any(|t| t == etag || t == "*")
    };
    if let Some(list) = asked.header("If-None-Match")
        && matches(list)
    {
        let mut answer = not_modified();
        answer.headers.push(("ETag".into(), etag.into()));
        return answer;
    }
    if let Some(list) = asked.header("If-Match")
        && !matches(list)
    {
        return empty(412);
    }
    let mut answer = json_answer(200, &asked.get_json());
    answer.headers.push(("ETag".into(), etag.into()));
    answer
}

/// `/gzip` and `/deflate` (zlib-wrapped), compressed whatever Accept-Encoding says.
fn compressed(asked: &Asked, how: &str) -> Answer {
    let key = if how == "gzip" { "gzipped" } else { "deflated" };
    let plain = json_answer(
        200,
        &json!({key: true, "headers": asked.headers_json(), "method": asked.method, "origin": asked.peer}),
    );
    let Body::Whole(bytes) = &plain.body else {
        return plain;
    };
    let packed = if how == "gzip" {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        let _ = encoder.write_all(bytes);
        encoder.finish().unwrap_or_default()
    } else {
        let mut encoder =
            flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        let _ = encoder.write_all(bytes);
        encoder.finish().unwrap_or_default()
    };
    let mut answer = plain;
    answer.headers.push(("Content-Encoding".into(), how.into()));
    answer.body = Body::Whole(packed);
    answer
}

/// `/stream/N`: N JSON lines, one chunk each.
fn stream(asked: &Asked, n: u32) -> Answer {
    // Each line as httpbin's `json.dumps(response) + "\n"`: Python's separators, and
    // the keys in the order its dict was filled.
    let chunks = (0..n)
        .map(|id| {
            format!(
                "{{\"url\": {}, \"args\": {}, \"headers\": {}, \"origin\": {}, \"id\": {id}}}\n",
                dumps(&json!(asked.url())),
                dumps(&asked.args_json()),
                dumps(&asked.headers_json()),
                dumps(&json!(asked.peer)),
            )
            .into_bytes()
        })
        .collect();
    Answer {
        status: 200,
        reason: reason(200),
        headers: vec![("Content-Type".into(), "application/json".into())],
        body: Body::Chunks(chunks),
    }
}

/// `json.dumps(value)` with Python's default separators (`, ` and `: `) on one line.
fn dumps(value: &Value) -> String {
    match value {
        Value::Object(map) => {
            let items: Vec<String> = map
                .iter()
                .map(|(k, v)| format!("{}: {}", dumps(&json!(k)), dumps(v)))
                .collect();
            format!("{{{}}}", items.join(", "))
        }
        Value::Array(list) => {
            let items: Vec<String> = list.iter().map(dumps).collect();
            format!("[{}]", items.join(", "))
        }
        other => other.to_string(),
    }
}

/// `/image`: by Accept, or 406 (requests' default `*/*` among them).
fn image(asked: &Asked) -> Answer {
    let accept = asked
        .header("Accept")
        .unwrap_or_default()
        .to_ascii_lowercase();
    let wants = |kind: &str| {
        accept
            .split(',')
            .any(|a| a.split(';').next().unwrap_or_default().trim() == kind)
    };
    let pick = if wants("image/webp") {
        Some(IMAGES[0])
    } else if wants("image/svg+xml") {
        Some(IMAGES[1])
    } else if wants("image/jpeg") {
        Some(IMAGES[2])
    } else if wants("image/png") || wants("image/*") {
        Some(IMAGES[3])
    } else {
        None
    };
    match pick {
        Some((kind, bytes)) => Answer {
            status: 200,
            reason: reason(200),
            headers: vec![("Content-Type".into(), kind.into())],
            body: Body::Whole(bytes.to_vec()),
        },
        None => not_acceptable(),
    }
}

/// The 406 of `/image` and `/status/406`: not httpbin's pretty JSON but `json.dumps` of a
/// dict, in its order, with no newline.
fn not_acceptable() -> Answer {
    Answer {
        status: 406,
        reason: reason(406),
        headers: vec![("Content-Type".into(), "application/json".into())],
        body: Body::Whole(
            b"{\"message\": \"Client did not request a supported media type.\", \"accept\": \
[\"image/webp\", \"image/svg+xml\", \"image/jpeg\", \"image/png\", \"image/*\"]}"
                .to_vec(),
        ),
    }
}

/// `/anything`, `/post`...: the request echoed.
fn echo(asked: &Asked, with_method: bool) -> Value {
    let kind = asked.header("Content-Type").unwrap_or_default();
    let text = String::from_utf8_lossy(&asked.body).into_owned();
    let form = if kind.starts_with("application/x-www-form-urlencoded") {
        multi_json(&form_pairs(&asked.body))
    } else {
        json!({})
    };
    let data = if form.as_object().is_some_and(|f| !f.is_empty()) {
        String::new()
    } else {
        text.clone()
    };
    let parsed = serde_json::from_str::<Value>(&text).ok();
    let mut value = json!({
        "args": asked.args_json(),
        "data": data,
        "files": {},
        "form": form,
        "headers": asked.headers_json(),
        "json": parsed,
        "origin": asked.peer,
        "url": asked.url(),
    });
    if with_method && let Some(map) = value.as_object_mut() {
        map.insert("method".into(), json!(asked.method));
    }
    value
}

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

/// The broken answers of `/misbehave/KIND`, for the clients' conformance cases: what a
/// client must report as an error (or survive), not take as a good answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Misbehaviour {
    /// `Content-Length: 100`, then 10 bytes, then the close.
    Truncated,
    /// `Content-Length: 100`, 10 bytes, then a reset.
    Reset,
    /// `Content-Length: 10`, one byte every 100 ms.
    Trickle,
    /// A 1 MiB header.
    HugeHeader,
    /// A status line that is not one (`HTTP/1.1 2OO OK`).
    BadStatus,
    /// `Content-Length: 10737418240` (10 GiB), then 1 KiB, then the close: a client
    /// must not make room for it all first.
    TenGib,
}

impl Misbehaviour {
    pub const ALL: [Misbehaviour; 6] = [
        Misbehaviour::Truncated,
        Misbehaviour::Reset,
        Misbehaviour::Trickle,
        Misbehaviour::HugeHeader,
        Misbehaviour::BadStatus,
        Misbehaviour::TenGib,
    ];

    /// Its name in the path: `/misbehave/truncated`.
    pub fn name(self) -> &'static str {
        match self {
            Misbehaviour::Truncated => "truncated",
            Misbehaviour::Reset => "reset",
            Misbehaviour::Trickle => "trickle",
            Misbehaviour::HugeHeader => "huge-header",
            Misbehaviour::BadStatus => "bad-status",
            Misbehaviour::TenGib => "ten-gib",
        }
    }
}

/// Whether a connection's first request asks for a misbehaviour: its request line, peeked
/// (not read), within 5 s.
async fn misbehaving(stream: &tokio::net::TcpStream) -> Option<Misbehaviour> {
    let mut buf = [0u8; 256];
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        let n = tokio::time::timeout_at(deadline, stream.peek(&mut buf))
            .await
            .ok()?
            .ok()?;
        let line = &buf[..n];
        if n == 0 || !b"GET /misbehave/".starts_with(&line[..n.min(15)]) {
            return None;
        }
        // The name runs from after `/misbehave/` to the space before the version.
        if n > 15
            && let Some(len) = line[15..].iter().position(|&b| b == b' ' || b == b'\r')
        {
            let name = std::str::from_utf8(&line[15..15 + len]).ok()?;
            return Misbehaviour::ALL.into_iter().find(|m| m.name() == name);
        }
        if n == buf.len() {
            return None;
        }
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
}

/// Reads the request's head, then answers it as `kind` misbehaves.
async fn misbehave(mut stream: tokio::net::TcpStream, kind: Misbehaviour) -> std::io::Result<()> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 64 * 1024 {
        let n = stream.read(&mut buf).await?;
        if n == 0 {
            break;
        }
        head.extend_from_slice(&buf[..n]);
    }
    let ten = b"0123456789";
    match kind {
        Misbehaviour::Truncated | Misbehaviour::Reset => {
            stream
                .write_all(
                    b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 100\r\n\r\n",
                )
                .await?;
            stream.write_all(ten).await?;
            stream.flush().await?;
            if kind == Misbehaviour::Reset {
                let std = stream.into_std()?;
                socket2::SockRef::from(&std).set_linger(Some(std::time::Duration::ZERO))?;
                return Ok(());
            }
        }
        Misbehaviour::Trickle => {
            stream
                .write_all(
                    b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 10\r\n\r\n",
                )
                .await?;
            for byte in ten {
                stream.write_all(&[*byte]).await?;
                stream.flush().await?;
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
        }
        Misbehaviour::HugeHeader => {
            let value = "x".repeat(1024 * 1024);
            let reply = format!("HTTP/1.1 200 OK\r\nX-Huge: {value}\r\nContent-Length: 0\r\n\r\n");
            stream.write_all(reply.as_bytes()).await?;
        }
        Misbehaviour::BadStatus => {
            stream
                .write_all(b"HTTP/1.1 2OO OK\r\nContent-Length: 0\r\n\r\n")
                .await?;
        }
        Misbehaviour::TenGib => {
            stream
                .write_all(b"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: 10737418240\r\n\r\n")
                .await?;
            stream.write_all(&[0u8; 1024]).await?;
        }
    }
    stream.shutdown().await
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

    fn get(target: &str, headers: &[(&str, &str)]) -> Answer {
        answer(&Asked {
            method: "GET".into(),
            target: target.into(),
            headers: headers
                .iter()
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .collect(),
            body: Vec::new(),
            peer: "127.0.0.1".into(),
        })
    }

    fn text(answer: &Answer) -> String {
        match &answer.body {
            Body::Whole(bytes) => String::from_utf8_lossy(bytes).into_owned(),
            Body::Chunks(chunks) => chunks.iter().map(|c| String::from_utf8_lossy(c)).collect(),
        }
    }

    fn header<'a>(answer: &'a Answer, name: &str) -> Option<&'a str> {
        answer
            .headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    #[test]
    fn get_echoes_args_and_title_case_headers_as_httpbins_json() {
        let got = get(
            "/get?a=1&b=x+y&a=2",
            &[("host", "localhost:8000"), ("user-agent", "ua")],
        );
        assert_eq!((got.status, got.reason.as_str()), (200, "OK"));
        assert_eq!(
            text(&got),
            "{\n  \"args\": {\n    \"a\": [\n      \"1\",\n      \"2\"\n    ],\n    \"b\": \"x y\"\n  },\n  \"headers\": {\n    \"Host\": \"localhost:8000\",\n    \"User-Agent\": \"ua\"\n  },\n  \"origin\": \"127.0.0.1\",\n  \"url\": \"http://localhost:8000/get?a=1&b=x+y&a=2\"\n}\n"
        );
    }

    #[test]
    fn statuses_carry_httpbins_phrases_and_extras() {
        assert_eq!(get("/status/404", &[]).reason, "NOT FOUND");
        let teapot = get("/status/418", &[]);
        assert_eq!(teapot.reason, "I'M A TEAPOT");
        // Each line as httpbin draws it, the space before `_,` among them.
        assert_eq!(text(&teapot).lines().nth(5), Some("    | .\"` ^ `\". _,"));
        assert_eq!(text(&teapot).len(), 135, "httpbin's Content-Length");
        assert_eq!(text(&get("/deny", &[])).len(), 239);
        assert_eq!(
            text(&get("/robots.txt", &[])),
            "User-agent: *\nDisallow: /deny\n"
        );
        assert_eq!(get("/status/999", &[]).reason, "UNKNOWN");
        assert_eq!(
            header(&get("/status/302", &[]), "Location"),
            Some("/redirect/1")
        );
        assert_eq!(header(&get("/status/308", &[]), "Location"), None);
        assert_eq!(get("/nowhere", &[]).status, 404);
    }

    #[test]
    fn redirects_are_relative_and_count_down_to_get() {
        assert_eq!(
            header(&get("/redirect/3", &[]), "Location"),
            Some("/relative-redirect/2")
        );
        assert_eq!(
            header(&get("/relative-redirect/1", &[]), "Location"),
            Some("/get")
        );
        let absolute = get("/absolute-redirect/2", &[("host", "localhost:8000")]);
        assert_eq!(
            header(&absolute, "Location"),
            Some("http://localhost:8000/absolute-redirect/1")
        );
        let to = get("/redirect-to?url=%2Fanything&status_code=307", &[]);
        assert_eq!(
            (to.status, header(&to, "Location")),
            (307, Some("/anything"))
        );
        assert_eq!(get("/redirect-to?url=/get", &[]).status, 302);
        // Never off the machine: only a path here.
        assert_eq!(get("/redirect-to?url=http://example.com/", &[]).status, 400);
        assert_eq!(get("/redirect-to?url=//example.com/", &[]).status, 400);
        assert_eq!(
            get("/redirect-to?url=/get&status_code=200", &[]).status,
            400
        );
    }

    #[test]
    fn auth_cookies_and_validators_behave_as_httpbins() {
        let auth = [("authorization", "Basic dXNlcjpwYXNzd29yZA==")];
        assert_eq!(get("/basic-auth/user/password", &auth).status, 200);
        assert_eq!(get("/basic-auth/user/other", &auth).status, 401);
        assert_eq!(get("/hidden-basic-auth/user/other", &auth).status, 404);
        let set = get("/cookies/set?session=abc", &[]);
        assert_eq!(
            (set.status, header(&set, "Set-Cookie")),
            (302, Some("session=abc; Path=/"))
        );
        let back = get("/cookies", &[("cookie", "session=abc; b=2")]);
        assert!(
            text(&back).contains("\"session\": \"abc\""),
            "{}",
            text(&back)
        );
        assert_eq!(get("/cache", &[("if-none-match", "x")]).status, 304);
        let fresh = get("/cache", &[]);
        assert_eq!(header(&fresh, "ETag").map(str::len), Some(32));
        assert_eq!(
            get("/etag/abc", &[("if-none-match", "\"abc\"")]).status,
            304
        );
        assert_eq!(
            get("/etag/abc", &[("if-none-match", "\"xyz\"")]).status,
            200
        );
        assert_eq!(get("/etag/abc", &[("if-match", "\"xyz\"")]).status, 412);
        assert_eq!(
            header(&get("/cache/60", &[]), "Cache-Control"),
            Some("public, max-age=60")
        );
    }

    #[test]
    fn encodings_streams_images_and_methods() {
        let deflate = get("/deflate", &[]);
        let Body::Whole(bytes) = &deflate.body else {
            panic!("a whole body")
        };
        assert_eq!(&bytes[..2], b"\x78\x9c", "zlib-wrapped");
        let gzip = get("/gzip", &[]);
        let Body::Whole(bytes) = &gzip.body else {
            panic!("a whole body")
        };
        let mut plain = String::new();
        std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&bytes[..]), &mut plain)
            .unwrap();
        assert!(plain.contains("\"gzipped\": true"));
        let Body::Chunks(lines) = get("/stream/3", &[]).body else {
            panic!("chunks")
        };
        assert_eq!(lines.len(), 3);
        // httpbin's json.dumps: Python's separators, url first and id last.
        let last = String::from_utf8(lines[2].clone()).unwrap();
        assert!(
            last.starts_with(
                "{\"url\": \"http://127.0.0.1/stream/3\", \"args\": {}, \"headers\": {"
            ) && last.ends_with(", \"origin\": \"127.0.0.1\", \"id\": 2}\n"),
            "{last}"
        );
        assert_eq!(get("/image", &[("accept", "*/*")]).status, 406);
        assert_eq!(
            header(&get("/image", &[("accept", "image/png")]), "Content-Type"),
            Some("image/png")
        );
        let not_allowed = get("/post", &[]);
        assert_eq!(
            (not_allowed.status, not_allowed.reason.as_str()),
            (405, "METHOD NOT ALLOWED")
        );
        let posted = answer(&Asked {
            method: "POST".into(),
            target: "/post".into(),
            headers: vec![(
                "content-type".into(),
                "application/x-www-form-urlencoded".into(),
            )],
            body: b"a=1&b=two".to_vec(),
            peer: "127.0.0.1".into(),
        });
        assert!(
            text(&posted).contains("\"form\": {\n    \"a\": \"1\",\n    \"b\": \"two\"\n  }"),
            "{}",
            text(&posted)
        );
    }

    /// One request on a fresh connection, and everything that came back before the
    /// close (or the reset, or 10 s).
    fn raw(bin: &HttpBin, path: &str) -> (Vec<u8>, Option<std::io::ErrorKind>) {
        use std::io::{Read, Write};
        let mut stream = std::net::TcpStream::connect(("127.0.0.1", bin.port())).unwrap();
        stream
            .set_read_timeout(Some(std::time::Duration::from_secs(10)))
            .unwrap();
        write!(
            stream,
            "GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        let mut got = Vec::new();
        let mut buf = [0u8; 65536];
        loop {
            match stream.read(&mut buf) {
                Ok(0) => return (got, None),
                Ok(n) => got.extend_from_slice(&buf[..n]),
                Err(e) => return (got, Some(e.kind())),
            }
        }
    }

    #[test]
    fn each_misbehaviour_is_the_broken_answer_it_names() {
        let bin = HttpBin::start().unwrap();
        let (got, _) = raw(&bin, "/misbehave/truncated");
        assert!(
            got.ends_with(b"Content-Length: 100\r\n\r\n0123456789"),
            "{:?}",
            String::from_utf8_lossy(&got)
        );
        let (_, error) = raw(&bin, "/misbehave/reset");
        assert_eq!(error, Some(std::io::ErrorKind::ConnectionReset));
        let started = std::time::Instant::now();
        let (got, _) = raw(&bin, "/misbehave/trickle");
        assert!(got.ends_with(b"\r\n\r\n0123456789"));
        assert!(
            started.elapsed() >= std::time::Duration::from_millis(900),
            "one byte every 100 ms"
        );
        let (got, _) = raw(&bin, "/misbehave/huge-header");
        assert!(got.len() > 1024 * 1024);
        let (got, _) = raw(&bin, "/misbehave/bad-status");
        assert!(got.starts_with(b"HTTP/1.1 2OO OK\r\n"));
        let (got, _) = raw(&bin, "/misbehave/ten-gib");
        let length: &[u8] = b"Content-Length: 10737418240\r\n\r\n";
        assert!(got.windows(length.len()).any(|w| w == length));
        assert!(got.len() < 2048, "1 KiB of the 10 GiB, then the close");
        // Anything else under /misbehave/ is hyper's, and a 404.
        let (got, _) = raw(&bin, "/misbehave/nothing");
        assert!(got.starts_with(b"HTTP/1.1 404 NOT FOUND\r\n"));
        assert_eq!(
            header(&get("/redirect-loop", &[]), "Location"),
            Some("/redirect-loop")
        );
        assert!(
            std::str::from_utf8(&match get("/latin1", &[]).body {
                Body::Whole(b) => b,
                Body::Chunks(_) => Vec::new(),
            })
            .is_err()
        );
    }

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
