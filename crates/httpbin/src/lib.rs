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
//!
//! The modules: [`habits`], httpbin's (and Werkzeug's) ways of writing an answer: its
//! reason phrases, its JSON, its fixed pages; [`routes`], the endpoints; [`server`], the
//! stand-in on a port; [`misbehave`], the broken answers a client must survive.

use std::collections::BTreeMap;

use serde_json::{Value, json};

pub mod habits;
pub mod misbehave;
pub mod routes;
pub mod server;

pub use habits::{
    ANGRY_ASCII, IMAGES, METHOD_NOT_ALLOWED, NOT_FOUND, ROBOTS_TXT, TEAPOT, reason, title_case,
};
pub use misbehave::Misbehaviour;
pub use routes::answer;
pub use server::HttpBin;

use habits::{form_pairs, multi_json};

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
