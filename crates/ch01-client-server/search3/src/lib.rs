//! Chapter 1, `search3.py`: the geocoding query at the level of `http.client`: the
//! script builds the path itself (`quote_plus`), reads the raw body, decodes it and parses
//! the JSON ([`client`] is the part of http.client it uses).
//!
//! ```python
//! base = '/maps/api/geocode/json'
//!
//! def geocode(address):
//!     path = '{}?address={}&sensor=false'.format(base, quote_plus(address))
//!     connection = http.client.HTTPConnection('maps.google.com')
//!     connection.request('GET', path)
//!     rawreply = connection.getresponse().read()
//!     reply = json.loads(rawreply.decode('utf-8'))
//!     print(reply['results'][0]['geometry']['location'])
//! ```

pub mod client;

use std::io::Write;

use fopnp::cli::Redirect;
use fopnp::{Error, Key, PyObject, quote_plus};

pub use client::HTTPConnection;

/// The address every search script asks for.
pub const ADDRESS: &str = "207 N. Defiance St, Archbold, OH";

/// The path of Google's geocoder.
pub const BASE: &str = "/maps/api/geocode/json";

/// The book's `geocode(address)`.
pub fn geocode(address: &str, redirect: &Redirect, out: &mut dyn Write) -> Result<(), Error> {
    let path = format!("{BASE}?address={}&sensor=false", quote_plus(address));
    let mut connection = HTTPConnection::new("maps.google.com", redirect.connect);
    connection.request("GET", &path, &[])?;
    let rawreply = connection.getresponse()?.read()?;
    let reply = json_loads(&rawreply)?;
    let location = [
        Key::Name("results"),
        Key::Index(0),
        Key::Name("geometry"),
        Key::Name("location"),
    ];
    writeln!(
        out,
        "{}",
        reply.path("reply", &location).map_err(Error::msg)?
    )?;
    Ok(())
}

/// The repository's `geocode(address)` today: Nominatim over https, with a User-Agent
/// (given as bytes, which http.client takes), printing `lat` and `lon` as they came.
pub fn geocode_nominatim(
    address: &str,
    redirect: &Redirect,
    out: &mut dyn Write,
) -> Result<(), Error> {
    let path = format!("/search?q={}&format=json", quote_plus(address));
    let user_agent = "Foundations of Python Network Programming example search3.py";
    let headers = [("User-Agent", user_agent)];
    let mut connection = HTTPConnection::https(
        "nominatim.openstreetmap.org",
        redirect.connect,
        redirect.ca.as_deref(),
    )?;
    connection.request("GET", &path, &headers)?;
    let rawreply = connection.getresponse()?.read()?;
    let reply = json_loads(&rawreply)?;
    let lat = reply.path("reply", &[Key::Index(0), Key::Name("lat")]);
    let lon = reply.path("reply", &[Key::Index(0), Key::Name("lon")]);
    writeln!(
        out,
        "{} {}",
        lat.map_err(Error::msg)?,
        lon.map_err(Error::msg)?
    )?;
    Ok(())
}

/// `json.loads(rawreply.decode('utf-8'))`: strict UTF-8 (a Latin-1 byte is an error, as
/// Python's `UnicodeDecodeError`, with its position), then JSON.
pub fn json_loads(rawreply: &[u8]) -> Result<PyObject, Error> {
    let text = fopnp::decode_utf8(rawreply)
        .map_err(|at| Error::msg(format!("the reply is not UTF-8: {at}")))?;
    serde_json::from_str(text).map_err(|e| Error::msg(format!("the reply is not JSON: {e}")))
}
