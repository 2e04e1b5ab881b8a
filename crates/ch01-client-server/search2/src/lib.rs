//! Chapter 1, `search2.py`: the geocoding query one level down, with requests (here
//! [`geocoder::requests`], on reqwest): the URL, its parameters and the JSON are the
//! script's to handle.
//!
//! ```python
//! def geocode(address):
//!     parameters = {'address': address, 'sensor': 'false'}
//!     base = 'http://maps.googleapis.com/maps/api/geocode/json'
//!     response = requests.get(base, params=parameters)
//!     answer = response.json()
//!     print(answer['results'][0]['geometry']['location'])
//! ```

use std::io::Write;

use fopnp::cli::Redirect;
use fopnp::{Error, Key};
use geocoder::requests;

/// The address every search script asks for.
pub const ADDRESS: &str = "207 N. Defiance St, Archbold, OH";

/// The book's `geocode(address)`: prints the first result's location as a dict.
pub fn geocode(address: &str, redirect: &Redirect, out: &mut dyn Write) -> Result<(), Error> {
    let parameters = [("address", address), ("sensor", "false")];
    let base = "http://maps.googleapis.com/maps/api/geocode/json";
    let response = requests::get(base, &parameters, &[], redirect).map_err(Error::new)?;
    let answer = response.json().map_err(Error::msg)?;
    let location = [
        Key::Name("results"),
        Key::Index(0),
        Key::Name("geometry"),
        Key::Name("location"),
    ];
    writeln!(
        out,
        "{}",
        answer.path("answer", &location).map_err(Error::msg)?
    )?;
    Ok(())
}

/// The repository's `geocode(address)` today: Nominatim over https, with a User-Agent,
/// printing the first place's `lat` and `lon` as the strings they are.
pub fn geocode_nominatim(
    address: &str,
    redirect: &Redirect,
    out: &mut dyn Write,
) -> Result<(), Error> {
    let base = "https://nominatim.openstreetmap.org/search";
    let parameters = [("q", address), ("format", "json")];
    let user_agent = "Foundations of Python Network Programming example search2.py";
    let headers = [("User-Agent", user_agent)];
    let response = requests::get(base, &parameters, &headers, redirect).map_err(Error::new)?;
    let reply = response.json().map_err(Error::msg)?;
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
