//! Chapter 10's `_test.py`: "Check that a server works." Six requests against a time app
//! on `port`, each printed as `(status, Content-Type, text)` and its status checked: the
//! method before the host, the host before the path, and the query ignored.

use std::io::Write;
use std::net::SocketAddr;

use fopnp::PyStr;

/// `display(r)`: `(200, 'text/plain; charset=utf-8', 'Tue Dec  1 23:09:37 2026')`.
fn display(out: &mut dyn Write, r: reqwest::blocking::Response) -> Result<u16, String> {
    let status = r.status().as_u16();
    let kind = r
        .headers()
        .get("Content-Type")
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
        // `r.headers['Content-Type']` with none is a KeyError.
        .ok_or("KeyError: 'content-type'")?;
    let text = r.text().map_err(|e| http_get::one_line(&e))?;
    writeln!(out, "({status}, {}, {})", PyStr(&kind), PyStr(&text)).map_err(|e| e.to_string())?;
    Ok(status)
}

/// The six requests, in the book's order.
pub const STEPS: [(&str, &str, &str, u16); 6] = [
    // Wrong method
    ("POST", "localhost", "/", 501),
    // Wrong hostname
    ("GET", "localhost", "/", 404),
    // Wrong path
    ("GET", "127.0.0.1", "/foo", 404),
    ("GET", "127.0.0.1", "/foo/", 404),
    // Right path
    ("GET", "127.0.0.1", "/", 200),
    ("GET", "127.0.0.1", "/?abc=123", 200),
];

/// Runs the six against 127.0.0.1:`port` (`localhost` is that address too, without
/// asking the system's resolver), printing each; the first wrong status is an error.
pub fn check(port: u16, out: &mut dyn Write) -> Result<(), String> {
    let client = http_get::reqwest_level::builder(http_get::Options::default())?
        .resolve("localhost", SocketAddr::from(([127, 0, 0, 1], port)))
        .build()
        .map_err(|e| http_get::one_line(&e))?;
    for (method, host, path, expected) in STEPS {
        let url = format!("http://{host}:{port}{path}");
        let method = reqwest::Method::from_bytes(method.as_bytes()).map_err(|e| e.to_string())?;
        let r = client
            .request(method, &url)
            .send()
            .map_err(|e| http_get::one_line(&e))?;
        let status = display(out, r)?;
        if status != expected {
            return Err(format!(
                "AssertionError: {url} answered {status}, not {expected}"
            ));
        }
    }
    Ok(())
}
