//! Chapter 9's session at the Python prompt, `examples.doctest`, in Rust: each section
//! of it a function that runs the same requests against an httpbin at `base` (the book's
//! is `http://localhost:8000`) and prints what the session shows, the Python's prompt
//! lines first (`>>> r = requests.get(...)`) and then what the Rust counterpart gives.
//!
//! | the book's | here |
//! | --- | --- |
//! | `requests` (`requests.get`, a `Session`) | reqwest's blocking client ([`requests_section`]) |
//! | `urllib.request.urlopen` | ureq ([`urllib_section`]) |
//! | `http.client.HTTPConnection` | hyper's one connection ([`http_get::hyper_level::HttpConnection`]) |
//!
//! Where the Rust client's answer differs from the Python's (no User-Agent from reqwest,
//! its error texts, no `r.history`), the session shows the Rust one; the chapter's
//! README lists each difference. [`prose`] holds the chapter's other features, one
//! runnable example each.

use std::io::{self, Write};
use std::sync::{Arc, Mutex, PoisonError};

use fopnp::PyStr;
use http_get::Options;

pub mod prose;

/// The line between the doctest's sections.
pub const RULE: &str = "------------------------------------------------------------------------";

/// `>>> ` and a line of the book's Python, `base` in place of `http://localhost:8000`.
fn prompt(out: &mut dyn Write, base: &str, line: &str) -> io::Result<()> {
    writeln!(out, ">>> {}", line.replace("{base}", base))
}

/// A result line, as the session prints it.
fn said(out: &mut dyn Write, text: impl std::fmt::Display) -> io::Result<()> {
    writeln!(out, "{text}")
}

/// What a section can fail with: the exchange, or writing the session out.
#[derive(Debug)]
pub enum Error {
    Http(String),
    Out(io::Error),
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Error::Http(text) => f.write_str(text),
            Error::Out(e) => write!(f, "cannot write the session: {e}"),
        }
    }
}

impl std::error::Error for Error {}

impl From<io::Error> for Error {
    fn from(e: io::Error) -> Self {
        Error::Out(e)
    }
}

fn http(e: impl std::error::Error) -> Error {
    Error::Http(http_get::one_line(&e))
}

/// Each redirect's status, as a client followed it (requests' `r.history`).
pub type History = Arc<Mutex<Vec<u16>>>;

/// A section of the session: it runs against `base` and prints into `out`.
pub type Section = fn(&str, &mut dyn Write) -> Result<(), Error>;

/// The reqwest client of requests' role: a `Session` with a jar and the usual policy,
/// and a record of each redirect's status (requests' `r.history`; reqwest keeps none).
pub fn requests_client(follow: bool) -> Result<(reqwest::blocking::Client, History), Error> {
    let history = Arc::new(Mutex::new(Vec::new()));
    let seen = history.clone();
    let policy = if follow {
        reqwest::redirect::Policy::custom(move |attempt| {
            if attempt.previous().len() > http_get::MAX_REDIRECTS {
                return attempt.error("too many redirects");
            }
            seen.lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(attempt.status().as_u16());
            attempt.follow()
        })
    } else {
        // `allow_redirects=False`.
        reqwest::redirect::Policy::none()
    };
    let client = http_get::reqwest_level::builder(Options::default())
        .map_err(Error::Http)?
        .redirect(policy)
        .build()
        .map_err(http)?;
    Ok((client, history))
}

/// `requests.get(url)` on `client`.
fn get(
    client: &reqwest::blocking::Client,
    url: String,
) -> Result<reqwest::blocking::Response, Error> {
    client.get(url).send().map_err(http)
}

/// `<Response [200]>`.
fn response(status: u16) -> String {
    format!("<Response [{status}]>")
}

/// The body as text, as `r.text` (replacing what is not UTF-8).
fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The doctest's first section: the headers each client sends by itself, as httpbin's
/// `/headers` echoes them.
///
/// ```text
/// >>> r = requests.get('http://localhost:8000/headers')
/// >>> print(r.text)
/// >>> r = urlopen('http://localhost:8000/headers')
/// >>> print(r.read().decode('ascii'))
/// ```
pub fn headers_section(base: &str, out: &mut dyn Write) -> Result<(), Error> {
    let (client, _) = requests_client(true)?;
    prompt(out, base, "import requests")?;
    writeln!(out)?;
    prompt(out, base, "r = requests.get('{base}/headers')")?;
    let r = get(&client, format!("{base}/headers"))?;
    prompt(out, base, "print(r.text)")?;
    // httpbin's JSON ends in a newline, and print() adds one: Python shows a blank line.
    write!(out, "{}\n\n", r.text().map_err(http)?)?;
    prompt(out, base, "from urllib.request import urlopen")?;
    prompt(out, base, "import urllib.error")?;
    writeln!(out)?;
    prompt(out, base, "r = urlopen('{base}/headers')")?;
    let agent = urllib_agent(true);
    let mut r = agent.get(format!("{base}/headers")).call().map_err(http)?;
    prompt(out, base, "print(r.read().decode('ascii'))")?;
    let body = r.body_mut().read_to_vec().map_err(http)?;
    write!(out, "{}\n\n", text(&body))?;
    Ok(())
}

/// requests' status codes and redirects, followed and not.
pub fn requests_section(base: &str, out: &mut dyn Write) -> Result<(), Error> {
    let (client, history) = requests_client(true)?;
    for code in [200, 301, 303, 307] {
        prompt(
            out,
            base,
            &format!("r = requests.get('{{base}}/status/{code}')"),
        )?;
        history
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
        let r = get(&client, format!("{base}/status/{code}"))?;
        prompt(out, base, "r.raise_for_status()")?;
        let status = r.status().as_u16();
        let url = r.url().to_string();
        r.error_for_status().map_err(http)?;
        if code == 200 {
            prompt(out, base, "r.status_code")?;
            said(out, status)?;
        } else {
            prompt(out, base, "(r.status_code, r.url)")?;
            said(out, format!("({status}, {})", PyStr(&url)))?;
        }
        if code == 301 {
            prompt(out, base, "r.history")?;
            let hops: Vec<String> = history
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .iter()
                .map(|s| response(*s))
                .collect();
            said(out, format!("[{}]", hops.join(", ")))?;
        }
        writeln!(out)?;
    }
    for code in [400, 500] {
        prompt(
            out,
            base,
            &format!("r = requests.get('{{base}}/status/{code}')"),
        )?;
        let r = get(&client, format!("{base}/status/{code}"))?;
        let status = r.status().as_u16();
        prompt(out, base, "r.raise_for_status()")?;
        // raise_for_status() raises; error_for_status() returns the error, which the
        // session shows as Python shows the exception's last line.
        match r.error_for_status() {
            Ok(_) => return Err(Error::Http(format!("{code} was not an error"))),
            Err(e) => {
                said(out, "Traceback (most recent call last):")?;
                said(out, "...")?;
                said(out, format!("reqwest::Error: {}", http_get::one_line(&e)))?;
            }
        }
        prompt(out, base, "r.status_code")?;
        said(out, status)?;
        writeln!(out)?;
    }
    said(out, "But:")?;
    writeln!(out)?;
    let (client, _) = requests_client(false)?;
    for code in [301, 303, 307] {
        prompt(
            out,
            base,
            &format!("r = requests.get('{{base}}/status/{code}', allow_redirects=False)"),
        )?;
        let r = get(&client, format!("{base}/status/{code}"))?;
        prompt(out, base, "r.raise_for_status()")?;
        let status = r.status().as_u16();
        let url = r.url().to_string();
        let location = r
            .headers()
            .get("Location")
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
            .unwrap_or_default();
        r.error_for_status().map_err(http)?;
        if code == 301 {
            prompt(out, base, "(r.status_code, r.url, r.headers['Location'])")?;
            said(
                out,
                format!("({status}, {}, {})", PyStr(&url), PyStr(&location)),
            )?;
        } else {
            prompt(out, base, "(r.status_code, r.url)")?;
            said(out, format!("({status}, {})", PyStr(&url)))?;
        }
        writeln!(out)?;
    }
    // The book's two sites on the internet (google.com, twitter.com) become a redirect to
    // an absolute URL on the same server.
    said(
        out,
        "# for requests.get('http://google.com/'), a redirect to an absolute URL:",
    )?;
    prompt(out, base, "r = requests.get('{base}/absolute-redirect/1')")?;
    let (client, _) = requests_client(true)?;
    let r = get(&client, format!("{base}/absolute-redirect/1"))?;
    prompt(out, base, "r.url")?;
    said(out, PyStr(r.url().as_str()))?;
    writeln!(out)?;
    Ok(())
}

/// ureq in urllib's role: a status of 400 or more is an error only where `errors` asks
/// (urlopen raises HTTPError; to read its headers, the session asks for the answer).
pub fn urllib_agent(errors: bool) -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(errors)
        .build()
        .new_agent()
}

/// urlopen on the same redirects and errors.
pub fn urllib_section(base: &str, out: &mut dyn Write) -> Result<(), Error> {
    let agent = urllib_agent(true);
    prompt(out, base, "from urllib.request import urlopen")?;
    prompt(out, base, "import urllib.error")?;
    writeln!(out)?;
    for code in [200, 301, 303, 307] {
        prompt(out, base, &format!("r = urlopen('{{base}}/status/{code}')"))?;
        let r = agent
            .get(format!("{base}/status/{code}"))
            .call()
            .map_err(http)?;
        let status = r.status().as_u16();
        if code == 200 {
            prompt(out, base, "r.status")?;
            said(out, status)?;
        } else {
            // ureq's final URI, after the redirects (urllib's `r.url`).
            let url = ureq::ResponseExt::get_uri(&r).to_string();
            prompt(out, base, "(r.status, r.url)")?;
            said(out, format!("({status}, {})", PyStr(&url)))?;
        }
        writeln!(out)?;
    }
    for code in [400, 500] {
        prompt(out, base, &format!("urlopen('{{base}}/status/{code}')"))?;
        match agent.get(format!("{base}/status/{code}")).call() {
            Ok(_) => return Err(Error::Http(format!("{code} was not an error"))),
            Err(e) => {
                said(out, "Traceback (most recent call last):")?;
                said(out, "...")?;
                said(out, format!("ureq::Error: {}", http_get::one_line(&e)))?;
            }
        }
        writeln!(out)?;
    }
    prompt(out, base, "try:")?;
    said(out, format!("...     urlopen('{base}/status/500')"))?;
    said(out, "... except urllib.error.HTTPError as e:")?;
    said(
        out,
        "...     print(e.status, repr(e.headers['Content-Type']))",
    )?;
    // ureq's StatusCode error carries no headers: the answer itself does.
    let r = urllib_agent(false)
        .get(format!("{base}/status/500"))
        .call()
        .map_err(http)?;
    let kind = r
        .headers()
        .get("Content-Type")
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
        .unwrap_or_default();
    said(out, format!("{} {}", r.status().as_u16(), PyStr(&kind)))?;
    writeln!(out)?;
    Ok(())
}

/// Basic auth, then cookies kept by a Session.
pub fn session_section(base: &str, out: &mut dyn Write) -> Result<(), Error> {
    let path = "/basic-auth/brandon/atigdngnatwwal";
    prompt(out, base, &format!("requests.get('{{base}}{path}')"))?;
    let (client, _) = requests_client(true)?;
    let r = get(&client, format!("{base}{path}"))?;
    said(out, response(r.status().as_u16()))?;
    writeln!(out)?;
    prompt(out, base, "s = requests.Session()")?;
    prompt(out, base, "s.auth = 'brandon', 'atigdngnatwwal'")?;
    prompt(out, base, &format!("s.get('{{base}}{path}')"))?;
    // reqwest has no credentials per session: each request carries them.
    let r = client
        .get(format!("{base}{path}"))
        .basic_auth("brandon", Some("atigdngnatwwal"))
        .send()
        .map_err(http)?;
    said(out, response(r.status().as_u16()))?;
    writeln!(out)?;
    prompt(out, base, "s = requests.Session()")?;
    let (s, _) = requests_client(true)?;
    prompt(out, base, "s.get('{base}/cookies/set?'")?;
    said(
        out,
        "...       'session-id=d41d8cd98f00b204e9800998ecf8427e')",
    )?;
    let r = get(
        &s,
        format!("{base}/cookies/set?session-id=d41d8cd98f00b204e9800998ecf8427e"),
    )?;
    said(out, response(r.status().as_u16()))?;
    prompt(out, base, "s.get('{base}/cookies')")?;
    let r = get(&s, format!("{base}/cookies"))?;
    said(out, response(r.status().as_u16()))?;
    writeln!(out)?;
    Ok(())
}

/// http.client: two requests on one HTTPConnection.
pub fn http_client_section(base: &str, out: &mut dyn Write) -> Result<(), Error> {
    let host = base.strip_prefix("http://").unwrap_or(base);
    prompt(out, base, "import http.client")?;
    prompt(
        out,
        base,
        &format!("h = http.client.HTTPConnection('{host}')"),
    )?;
    let mut h = http_get::hyper_level::HttpConnection::new(host).map_err(Error::Http)?;
    writeln!(out)?;
    for path in ["/ip", "/user-agent"] {
        prompt(out, base, &format!("h.request('GET', '{path}')"))?;
        h.request("GET", path).map_err(Error::Http)?;
        prompt(out, base, "r = h.getresponse()")?;
        let r = h.getresponse().map_err(Error::Http)?;
        prompt(out, base, "r.status")?;
        said(out, r.status)?;
        if path == "/ip" {
            writeln!(out)?;
        }
    }
    Ok(())
}

/// The whole session, its sections between the doctest's rules.
pub fn session(base: &str, out: &mut dyn Write) -> Result<(), Error> {
    let sections: [Section; 5] = [
        headers_section,
        requests_section,
        urllib_section,
        session_section,
        http_client_section,
    ];
    for (i, section) in sections.iter().enumerate() {
        if i > 0 {
            writeln!(out, "{RULE}")?;
            writeln!(out)?;
        }
        section(base, out)?;
    }
    Ok(())
}
