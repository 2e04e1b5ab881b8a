//! Chapter 9's HTTP client at four levels, one fetch at a time: what `requests`,
//! `urllib` and `http.client` are to the book, and a socket beneath them.
//!
//! | level | plays | redirects, cookies, decoding |
//! | --- | --- | --- |
//! | [`Level::Reqwest`] | requests (a `Session`) | reqwest's own: 10 redirects, its jar, gzip and deflate |
//! | [`Level::Ureq`] | urllib's `urlopen` | ureq's own: 10 redirects, its jar, gzip |
//! | [`Level::Hyper`] | http.client's `HTTPConnection` | this crate's [`policy`], over hyper's one connection |
//! | [`Level::Socket`] | a `socket` and the bytes by hand | this crate's [`policy`], over a `TcpStream` and httparse |
//!
//! Every level follows redirects, keeps cookies and decodes gzip and deflate, so that
//! one conformance table and one bench judge them all; the two hand-written levels share
//! [`policy`], which says which method each redirect keeps. A body is written to a sink as
//! it arrives, never gathered whole: a `Content-Length` of 10 GiB costs no memory.

use std::io::Write;
use std::time::Duration;

pub mod hyper_level;
pub mod policy;
pub mod reqwest_level;
pub mod socket_level;
pub mod ureq_level;

/// A header map's names and values, in its order (a value that is not UTF-8 replaced).
pub fn header_pairs(headers: &hyper::HeaderMap) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|(n, v)| {
            (
                n.to_string(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect()
}

/// `r.version`'s number for an `http` crate version (11 for HTTP/1.1).
pub fn version_number(version: hyper::Version) -> u8 {
    match version {
        hyper::Version::HTTP_09 => 9,
        hyper::Version::HTTP_10 => 10,
        hyper::Version::HTTP_2 => 20,
        hyper::Version::HTTP_3 => 30,
        _ => 11,
    }
}

/// The most redirects any level follows, as reqwest and ureq do (requests allows 30).
pub const MAX_REDIRECTS: usize = 10;

/// The User-Agent of the two hand-written levels (reqwest sends none by default, ureq
/// its own).
pub const USER_AGENT: &str = concat!("fopnp-http-get/", env!("CARGO_PKG_VERSION"));

/// Which client does the work.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    Reqwest,
    Ureq,
    Hyper,
    Socket,
}

impl Level {
    pub const ALL: [Level; 4] = [Level::Reqwest, Level::Ureq, Level::Hyper, Level::Socket];

    pub fn name(self) -> &'static str {
        match self {
            Level::Reqwest => "reqwest",
            Level::Ureq => "ureq",
            Level::Hyper => "hyper",
            Level::Socket => "socket",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|l| l.name() == name)
    }
}

/// How a client behaves.
#[derive(Clone, Copy, Debug)]
pub struct Options {
    /// Keep a connection for the next request (`false`: a new one each time, and
    /// `Connection: close` where the level writes its own headers).
    pub keep_alive: bool,
    /// How long a connection, or a wait for the next bytes, may take.
    pub timeout: Duration,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            keep_alive: true,
            timeout: Duration::from_secs(30),
        }
    }
}

/// A response's status line and headers, as they came.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Head {
    pub status: u16,
    /// The reason phrase from the wire (`BAD REQUEST`), where the level keeps it.
    pub reason: Option<String>,
    /// The version the answer came in: 11 for HTTP/1.1, 10 for HTTP/1.0 (as
    /// http.client's `r.version`).
    pub version: u8,
    /// Names as the level gives them, in the order they came where it keeps that.
    pub headers: Vec<(String, String)>,
}

impl Head {
    /// A header's first value, its name in any case.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A client at one level: it keeps its connections (and its cookies) between fetches.
pub trait Client {
    /// `method` on `url`, following redirects; the final body goes to `body` as it
    /// arrives, decoded. A status of 400 or more is an answer, not an error; an error is a
    /// broken or refused exchange, in one line.
    fn fetch(&mut self, method: &str, url: &str, body: &mut dyn Write) -> Result<Head, String>;
}

/// A client of `level`.
pub fn client(level: Level, options: Options) -> Result<Box<dyn Client>, String> {
    Ok(match level {
        Level::Reqwest => Box::new(reqwest_level::Reqwest::new(options)?),
        Level::Ureq => Box::new(ureq_level::Ureq::new(options)),
        Level::Hyper => Box::new(policy::Following::new(hyper_level::Hyper::new(options)?)),
        Level::Socket => Box::new(policy::Following::new(socket_level::Socket::new(options))),
    })
}

/// An error and its causes in one line: fopnp's, which every level's errors go through.
pub use fopnp::one_line;

pub mod timing {
    //! N fetches of one URL on one client, each timed: what `cargo xtask bench
    //! http-client` runs, in the client's own process.

    use std::time::Instant;

    use crate::Client;

    /// What N fetches took, printed as one line that the bench reads.
    #[derive(Clone, Debug, PartialEq)]
    pub struct Report {
        pub requests: usize,
        pub seconds: f64,
        /// Each fetch's time, in microseconds, sorted.
        pub micros: Vec<u64>,
    }

    impl Report {
        /// The `q` quantile (0.5, 0.99) of the fetch times, in microseconds.
        pub fn quantile(&self, q: f64) -> u64 {
            if self.micros.is_empty() {
                return 0;
            }
            let at = ((self.micros.len() as f64 * q).ceil() as usize).clamp(1, self.micros.len());
            self.micros[at - 1]
        }
    }

    impl std::fmt::Display for Report {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            write!(
                f,
                "requests={} seconds={:.6} p50_us={} p99_us={}",
                self.requests,
                self.seconds,
                self.quantile(0.5),
                self.quantile(0.99)
            )
        }
    }

    /// Fetches `url` `n` times on `client`; the first failure ends the run.
    pub fn repeat(
        client: &mut dyn Client,
        method: &str,
        url: &str,
        n: usize,
    ) -> Result<Report, String> {
        let mut micros = Vec::with_capacity(n);
        let start = Instant::now();
        for i in 0..n {
            let one = Instant::now();
            let head = client
                .fetch(method, url, &mut std::io::sink())
                .map_err(|e| format!("request {} of {n}: {e}", i + 1))?;
            if head.status >= 400 {
                return Err(format!("request {} of {n}: status {}", i + 1, head.status));
            }
            micros.push(one.elapsed().as_micros() as u64);
        }
        let seconds = start.elapsed().as_secs_f64();
        micros.sort_unstable();
        Ok(Report {
            requests: n,
            seconds,
            micros,
        })
    }
}
