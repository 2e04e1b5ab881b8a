//! `requests.get(url, params=..., headers=...)`, the level of Chapter 1's `search2.py`,
//! on reqwest's blocking client: the query encoded as requests encodes it (`+` for a
//! space), the status never raised as an error (a 500 is an answer like any other), the
//! body decoded with replacement where it is not UTF-8, as `response.text` is.
//!
//! What differs on the wire, and cannot be helped at this level: reqwest sends header
//! names in lower case, in its own order, with no `Connection: keep-alive`, and asks
//! for no compression.

use std::fmt;

use fopnp::PyObject;
use fopnp::cli::Redirect;
use tlskit::rustls;

/// A request that got no answer, in one line: what was asked and every cause below it
/// (`error sending request for url (...): client error (Connect): tcp connect error:
/// Connection refused (os error 111)`).
#[derive(Debug)]
pub struct Error(String);

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Error {}

impl Error {
    fn from_chain(error: &(dyn std::error::Error + 'static)) -> Self {
        // rustls's own words are its Debug names (`invalid peer certificate:
        // UnknownIssuer`); tlskit says them as sentences.
        Error(fopnp::error::one_line_with(error, |cause| {
            rustls_in(cause).map(|tls| tlskit::sentence(tls, tlskit::Whose::Peer))
        }))
    }
}

/// The rustls error inside `error`, through the I/O errors that wrap it (hyper-rustls
/// wraps it twice, and an I/O error's `source()` skips the error it wraps).
fn rustls_in<'a>(error: &'a (dyn std::error::Error + 'static)) -> Option<&'a rustls::Error> {
    let mut at = error;
    loop {
        if let Some(tls) = at.downcast_ref::<rustls::Error>() {
            return Some(tls);
        }
        let inner: &(dyn std::error::Error + 'static) =
            at.downcast_ref::<std::io::Error>()?.get_ref()?;
        at = inner;
    }
}

/// What came back: `response.status_code`, `response.url`, `response.content`.
#[derive(Clone, Debug)]
pub struct Response {
    pub status: u16,
    pub url: String,
    pub content: Vec<u8>,
}

impl Response {
    /// `response.text`: the body as text, a byte that is not UTF-8 replaced by U+FFFD.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.content).into_owned()
    }

    /// `response.json()`: the body as Python's `json` reads it, or why it is not JSON.
    pub fn json(&self) -> Result<PyObject, String> {
        serde_json::from_str(&self.text()).map_err(|e| format!("the answer is not JSON: {e}"))
    }
}

/// `requests.get(url, params=params, headers=headers)`, connecting where `redirect` says
/// (the URL's host name still in the Host header and the TLS hello) and, for https,
/// trusting its CA file or else the system's store.
pub fn get(
    url: &str,
    params: &[(&str, &str)],
    headers: &[(&str, &str)],
    redirect: &Redirect,
) -> Result<Response, Error> {
    let parsed = reqwest::Url::parse(url).map_err(|e| Error(format!("bad URL {url:?}: {e}")))?;
    let tls = if parsed.scheme() == "https" {
        tlskit::create_default_context(redirect.ca.as_deref()).map_err(Error)?
    } else {
        // Plain http uses no certificate; the client still wants a configuration.
        tlskit::no_roots_context().map_err(Error)?
    };
    let mut builder = reqwest::blocking::Client::builder().use_preconfigured_tls(tls);
    if let (Some(addr), Some(host)) = (redirect.connect, parsed.host_str()) {
        builder = builder.resolve(host, addr);
    }
    let client = builder.build().map_err(|e| Error::from_chain(&e))?;
    let mut request = client.get(parsed).query(params);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().map_err(|e| Error::from_chain(&e))?;
    let status = response.status().as_u16();
    let url = response.url().to_string();
    let content = response
        .bytes()
        .map_err(|e| Error::from_chain(&e))?
        .to_vec();
    Ok(Response {
        status,
        url,
        content,
    })
}
