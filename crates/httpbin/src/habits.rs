//! httpbin's habits, where a client can see them: reason phrases in upper case, JSON with
//! sorted keys and a 2-space indent (or on one line, as `json.dumps`), header names in
//! Title-Case as Werkzeug rebuilds them, a query decoded as Werkzeug decodes it, and the
//! fixed pages httpbin and Werkzeug serve.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::{Answer, Body};

/// `a=1&b=2&a=3` decoded (`+` is a space).
pub(crate) fn form_pairs(text: &[u8]) -> Vec<(String, String)> {
    form_urlencoded::parse(text)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

pub(crate) fn multi_json(pairs: &[(String, String)]) -> Value {
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
pub(crate) fn json_answer(status: u16, value: &Value) -> Answer {
    let mut body = serde_json::to_vec_pretty(value).unwrap_or_default();
    body.push(b'\n');
    Answer {
        status,
        reason: reason(status),
        headers: vec![("Content-Type".into(), "application/json".into())],
        body: Body::Whole(body),
    }
}

pub(crate) fn empty(status: u16) -> Answer {
    Answer {
        status,
        reason: reason(status),
        headers: vec![("Content-Type".into(), "text/html; charset=utf-8".into())],
        body: Body::Whole(Vec::new()),
    }
}

pub(crate) fn html(status: u16, body: &str) -> Answer {
    Answer {
        body: Body::Whole(body.as_bytes().to_vec()),
        ..empty(status)
    }
}

/// A fixed text/plain page.
pub(crate) fn plain(body: &str) -> Answer {
    Answer {
        headers: vec![("Content-Type".into(), "text/plain".into())],
        ..html(200, body)
    }
}

pub(crate) fn redirect(status: u16, location: &str) -> Answer {
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

/// `json.dumps(value)` with Python's default separators (`, ` and `: `) on one line.
pub(crate) fn dumps(value: &Value) -> String {
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

/// The 406 of `/image` and `/status/406`: not httpbin's pretty JSON but `json.dumps` of a
/// dict, in its order, with no newline.
pub(crate) fn not_acceptable() -> Answer {
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
