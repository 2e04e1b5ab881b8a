//! The chapter's features that its text explains and its session does not run, one
//! example each against an httpbin at `base`, on reqwest (requests' role) unless the
//! feature needs a client that does less. Each returns what the chapter says the reader
//! will see; the crate's tests hold them to the stand-in's answers.

use reqwest::blocking::Client;

use crate::{Error, http, requests_client};

fn client() -> Result<Client, Error> {
    Ok(requests_client(true)?.0)
}

fn header(r: &reqwest::blocking::Response, name: &str) -> Option<String> {
    r.headers()
        .get(name)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
}

/// What a conditional GET shows: the first answer's status and validator, then the
/// status and body length of the same request sent with the validator.
#[derive(Debug, PartialEq, Eq)]
pub struct Revalidated {
    pub first: u16,
    pub validator: Option<String>,
    pub again: u16,
    pub again_body: usize,
}

/// A GET of `path`, then the same with `condition` set from the first answer's
/// `validator` header (as `quote` writes it).
fn revalidate(
    base: &str,
    path: &str,
    validator: &str,
    condition: &str,
    quote: fn(&str) -> String,
) -> Result<Revalidated, Error> {
    let c = client()?;
    let r = c.get(format!("{base}{path}")).send().map_err(http)?;
    let (first, validator) = (r.status().as_u16(), header(&r, validator));
    let r = c
        .get(format!("{base}{path}"))
        .header(condition, quote(validator.as_deref().unwrap_or_default()))
        .send()
        .map_err(http)?;
    let again = r.status().as_u16();
    let again_body = r.bytes().map_err(http)?.len();
    Ok(Revalidated {
        first,
        validator,
        again,
        again_body,
    })
}

/// ETag and If-None-Match: `/etag/abc` answers `ETag: abc`, and the same request with
/// `If-None-Match: "abc"` answers 304 with no body ("use your copy").
pub fn etag(base: &str) -> Result<Revalidated, Error> {
    revalidate(base, "/etag/abc", "ETag", "If-None-Match", |tag| {
        format!("\"{tag}\"")
    })
}

/// Last-Modified and If-Modified-Since, on `/cache`.
pub fn last_modified(base: &str) -> Result<Revalidated, Error> {
    revalidate(
        base,
        "/cache",
        "Last-Modified",
        "If-Modified-Since",
        str::to_string,
    )
}

/// `Cache-Control` on `/cache/60`: how long a cache may keep the answer.
pub fn cache_control(base: &str) -> Result<Option<String>, Error> {
    let r = client()?
        .get(format!("{base}/cache/60"))
        .send()
        .map_err(http)?;
    Ok(header(&r, "Cache-Control"))
}

/// Content negotiation on `/image`: the status and Content-Type for an `Accept` header.
pub fn negotiate(base: &str, accept: &str) -> Result<(u16, Option<String>), Error> {
    let r = client()?
        .get(format!("{base}/image"))
        .header("Accept", accept)
        .send()
        .map_err(http)?;
    Ok((r.status().as_u16(), header(&r, "Content-Type")))
}

/// A compressed body: what reqwest gives once it has decoded it, and its first two bytes
/// as they came (reqwest with its decoders off).
pub fn compressed(base: &str, path: &str) -> Result<(String, Vec<u8>), Error> {
    let decoded = client()?
        .get(format!("{base}{path}"))
        .send()
        .map_err(http)?
        .text()
        .map_err(http)?;
    let raw = http_get::reqwest_level::builder(http_get::Options::default())
        .map_err(Error::Http)?
        .no_gzip()
        .no_deflate()
        .build()
        .map_err(http)?;
    let bytes = raw
        .get(format!("{base}{path}"))
        .send()
        .map_err(http)?
        .bytes()
        .map_err(http)?;
    Ok((decoded, bytes.iter().take(2).copied().collect()))
}

/// Keep-alive: `n` requests on one client (one pooled connection, the server counts).
pub fn keep_alive(base: &str, n: usize) -> Result<(), Error> {
    let c = client()?;
    for _ in 0..n {
        c.get(format!("{base}/get"))
            .send()
            .map_err(http)?
            .bytes()
            .map_err(http)?;
    }
    Ok(())
}

/// What a chunked answer shows: its Content-Length (none), its Transfer-Encoding, and
/// the lines its body decodes to.
pub type Chunked = (Option<String>, Option<String>, Vec<String>);

/// A chunked body, `/stream/3`.
pub fn chunked(base: &str) -> Result<Chunked, Error> {
    // The socket level shows the framing as it came; reqwest hides Transfer-Encoding.
    let mut client = http_get::client(http_get::Level::Socket, http_get::Options::default())
        .map_err(Error::Http)?;
    let mut body = Vec::new();
    let head = client
        .fetch("GET", &format!("{base}/stream/3"), &mut body)
        .map_err(Error::Http)?;
    let lines = String::from_utf8_lossy(&body)
        .lines()
        .map(str::to_string)
        .collect();
    Ok((
        head.header("Content-Length").map(str::to_string),
        head.header("Transfer-Encoding").map(str::to_string),
        lines,
    ))
}

/// HEAD: the headers GET would have (a Content-Length among them), and no body.
pub fn head(base: &str) -> Result<(Option<String>, usize), Error> {
    let r = client()?.head(format!("{base}/get")).send().map_err(http)?;
    let length = header(&r, "Content-Length");
    Ok((length, r.bytes().map_err(http)?.len()))
}

/// Where a request with `method` through a `status` redirect (httpbin's redirect-to)
/// ends: the method `/anything` saw.
pub fn redirected_method(base: &str, method: &str, status: u16) -> Result<String, Error> {
    let method = reqwest::Method::from_bytes(method.as_bytes())
        .map_err(|_| Error::Http(format!("not a method: {method}")))?;
    let r = client()?
        .request(
            method,
            format!("{base}/redirect-to?url=/anything&status_code={status}"),
        )
        .send()
        .map_err(http)?;
    let body = r.text().map_err(http)?;
    let seen = body
        .split("\"method\": \"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_default();
    Ok(seen.to_string())
}

/// A chain of `n` redirects: the final status, or the client's error.
pub fn redirect_chain(base: &str, n: usize) -> Result<Result<u16, String>, Error> {
    match client()?.get(format!("{base}/redirect/{n}")).send() {
        Ok(r) => Ok(Ok(r.status().as_u16())),
        Err(e) => Ok(Err(http_get::one_line(&e))),
    }
}
