//! What the two hand-written levels do between exchanges, written once: which redirect
//! to follow and with which method, the cookies to send back, and the decoding of a
//! gzip or deflate body. reqwest and ureq have their own.

use std::io::{self, Write};

use url::Url;

use crate::{Client, Head, MAX_REDIRECTS};

/// One exchange on a connection that a level keeps: the request's head out and the
/// answer's head back, then its body.
pub trait Transport {
    /// Sends `method` for `url` with `headers` (besides the level's own) and reads the
    /// answer's head.
    fn send(&mut self, method: &str, url: &Url, headers: &[(&str, String)])
    -> Result<Head, String>;
    /// Reads the body of the answer just received (none after HEAD, 204 or 304) into
    /// `sink`, raw.
    fn body(&mut self, sink: &mut dyn Write) -> Result<(), String>;
}

/// Where a redirect leads and with which method: POST becomes GET on 301, 302 and 303
/// (as browsers, requests and urllib do; RFC 9110 §15.4 allows it), every method but
/// HEAD becomes GET on 303, and 307 and 308 keep the method. `None`: not a redirect to
/// follow (no Location, or a status that is not one of the five).
pub fn next_hop(
    method: &str,
    status: u16,
    location: Option<&str>,
    url: &Url,
) -> Option<(String, Url)> {
    let method = match status {
        301 | 302 if method == "POST" => "GET",
        303 if method != "HEAD" => "GET",
        301 | 302 | 303 | 307 | 308 => method,
        _ => return None,
    };
    let next = url.join(location?).ok()?;
    Some((method.to_string(), next))
}

/// The cookies a server set, sent back to it: name and value by host, a later
/// `Set-Cookie` replacing an earlier one and `Max-Age=0` (or an `Expires` in the past, as
/// httpbin's `/cookies/delete` sends both) removing it. Paths, domains and other
/// attributes are not kept: enough for one server's redirects, not a browser's jar.
#[derive(Debug, Default)]
pub struct Jar {
    cookies: Vec<(String, String, String)>,
}

impl Jar {
    /// Takes in the answer's `Set-Cookie` headers, from `host`.
    pub fn store(&mut self, host: &str, head: &Head) {
        for (name, value) in &head.headers {
            if !name.eq_ignore_ascii_case("set-cookie") {
                continue;
            }
            let mut parts = value.split(';');
            let Some((key, val)) = parts.next().and_then(|p| p.split_once('=')) else {
                continue;
            };
            let (key, val) = (key.trim().to_string(), val.trim().to_string());
            let gone = parts.any(|attribute| {
                let attribute = attribute.trim().to_ascii_lowercase();
                attribute == "max-age=0" || attribute.starts_with("expires=thu, 01 jan 1970")
            });
            self.cookies.retain(|(h, k, _)| !(h == host && *k == key));
            if !gone {
                self.cookies.push((host.to_string(), key, val));
            }
        }
    }

    /// The `Cookie` header for `host`, if it has any.
    pub fn header(&self, host: &str) -> Option<String> {
        let pairs: Vec<String> = self
            .cookies
            .iter()
            .filter(|(h, _, _)| h == host)
            .map(|(_, k, v)| format!("{k}={v}"))
            .collect();
        (!pairs.is_empty()).then(|| pairs.join("; "))
    }
}

/// A sink that decodes what it is given by the answer's `Content-Encoding`: gzip, or
/// deflate, which httpbin (as most servers) wraps in zlib.
pub enum Decoder<'a> {
    Plain(&'a mut dyn Write),
    Gzip(flate2::write::GzDecoder<&'a mut dyn Write>),
    Zlib(flate2::write::ZlibDecoder<&'a mut dyn Write>),
}

/// The decoder for `head`'s body, writing into `sink`.
pub fn decoding<'a>(head: &Head, sink: &'a mut dyn Write) -> Result<Decoder<'a>, String> {
    match head.header("content-encoding").map(str::trim) {
        None | Some("identity") => Ok(Decoder::Plain(sink)),
        Some(coding) if coding.eq_ignore_ascii_case("gzip") => {
            Ok(Decoder::Gzip(flate2::write::GzDecoder::new(sink)))
        }
        Some(coding) if coding.eq_ignore_ascii_case("deflate") => {
            Ok(Decoder::Zlib(flate2::write::ZlibDecoder::new(sink)))
        }
        Some(other) => Err(format!(
            "the body is in an encoding not supported here: {other}"
        )),
    }
}

impl Write for Decoder<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Decoder::Plain(w) => w.write(buf),
            Decoder::Gzip(w) => w.write(buf),
            Decoder::Zlib(w) => w.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Decoder::Plain(w) => w.flush(),
            Decoder::Gzip(w) => w.flush(),
            Decoder::Zlib(w) => w.flush(),
        }
    }
}

impl Decoder<'_> {
    /// The end of the body: a compressed stream must be whole (gzip's trailer checked).
    pub fn finish(self) -> io::Result<()> {
        match self {
            Decoder::Plain(w) => w.flush(),
            Decoder::Gzip(w) => w.finish().map(drop),
            Decoder::Zlib(w) => w.finish().map(drop),
        }
    }
}

/// A [`Transport`] made a [`Client`]: redirects followed, cookies kept, bodies decoded.
pub struct Following<T> {
    transport: T,
    jar: Jar,
}

impl<T: Transport> Following<T> {
    pub fn new(transport: T) -> Self {
        Self {
            transport,
            jar: Jar::default(),
        }
    }
}

impl<T: Transport> Client for Following<T> {
    fn fetch(&mut self, method: &str, url: &str, body: &mut dyn Write) -> Result<Head, String> {
        let mut url = Url::parse(url).map_err(|e| format!("{url}: {e}"))?;
        let mut method = method.to_string();
        for _ in 0..=MAX_REDIRECTS {
            // Plain http only: a redirect to https stops here too.
            if url.scheme() != "http" {
                return Err(format!("{url}: only http is spoken at this level"));
            }
            let host = url.host_str().unwrap_or_default().to_string();
            let mut headers = Vec::new();
            if let Some(cookie) = self.jar.header(&host) {
                headers.push(("Cookie", cookie));
            }
            let head = self.transport.send(&method, &url, &headers)?;
            self.jar.store(&host, &head);
            match next_hop(&method, head.status, head.header("location"), &url) {
                Some((next_method, next_url)) => {
                    // The redirect's own body is read and dropped, so that the connection
                    // can carry the next request.
                    self.transport.body(&mut io::sink())?;
                    method = next_method;
                    url = next_url;
                }
                None => {
                    let mut sink = decoding(&head, body)?;
                    self.transport.body(&mut sink)?;
                    sink.finish()
                        .map_err(|e| format!("cannot decode the body: {e}"))?;
                    return Ok(head);
                }
            }
        }
        Err(format!(
            "more than {MAX_REDIRECTS} redirects, the last to {url}"
        ))
    }
}
