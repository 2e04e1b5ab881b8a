//! requests' level on reqwest's blocking client: a `Session`'s connection pool and
//! cookie jar, redirects followed (at most 10, each hop with a `Referer`), gzip and
//! deflate decoded.

use std::io::Write;

use crate::{Client, Head, MAX_REDIRECTS, Options, one_line};

pub struct Reqwest {
    client: reqwest::blocking::Client,
}

/// reqwest's blocking client as this chapter builds it, for plain http: a cookie jar, at
/// most 10 redirects, timeouts; the caller may change any of it before `build()`.
pub fn builder(options: Options) -> Result<reqwest::blocking::ClientBuilder, String> {
    // http only: reqwest is built without a default TLS provider and wants a
    // configuration all the same; this one trusts nothing.
    let tls = tlskit::no_roots_context()?;
    let mut builder = reqwest::blocking::Client::builder()
        .use_preconfigured_tls(tls)
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::limited(MAX_REDIRECTS))
        .connect_timeout(options.timeout)
        // The blocking client has no timeout per read: this one bounds the whole
        // exchange, the body included.
        .timeout(options.timeout);
    if !options.keep_alive {
        builder = builder.pool_max_idle_per_host(0);
    }
    Ok(builder)
}

impl Reqwest {
    pub fn new(options: Options) -> Result<Self, String> {
        let client = builder(options)?.build().map_err(|e| one_line(&e))?;
        Ok(Self { client })
    }
}

impl Client for Reqwest {
    fn fetch(&mut self, method: &str, url: &str, body: &mut dyn Write) -> Result<Head, String> {
        let method = reqwest::Method::from_bytes(method.as_bytes())
            .map_err(|_| format!("not a method: {method:?}"))?;
        let mut response = self
            .client
            .request(method, url)
            .send()
            .map_err(|e| one_line(&e))?;
        let head = Head {
            status: response.status().as_u16(),
            version: crate::version_number(response.version()),
            reason: response
                .extensions()
                .get::<hyper::ext::ReasonPhrase>()
                .map(|r| String::from_utf8_lossy(r.as_bytes()).into_owned())
                .or_else(|| response.status().canonical_reason().map(str::to_string)),
            headers: crate::header_pairs(response.headers()),
        };
        response.copy_to(body).map_err(|e| one_line(&e))?;
        Ok(head)
    }
}
