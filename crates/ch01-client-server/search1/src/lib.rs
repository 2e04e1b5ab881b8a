//! Chapter 1, `search1.py`: the geocoding query at the top of the stack, a library call.
//! The book's script (2014) asks Google's geocoder through pygeocoder:
//!
//! ```python
//! from pygeocoder import Geocoder
//!
//! if __name__ == '__main__':
//!     address = '207 N. Defiance St, Archbold, OH'
//!     print(Geocoder.geocode(address)[0].coordinates)
//! ```
//!
//! The repository's script today asks Nominatim through geopy ([`nominatim`], `--nominatim`):
//! `print(location.latitude, location.longitude)`.

use std::io::Write;

use fopnp::cli::Redirect;
use fopnp::{Error, PyFloat, PyPair};
use geocoder::{Geocoder, Nominatim};

/// The address every search script asks for.
pub const ADDRESS: &str = "207 N. Defiance St, Archbold, OH";

/// The book's `search1.py`: `print(Geocoder.geocode(address)[0].coordinates)`.
pub fn google(redirect: &Redirect, out: &mut dyn Write) -> Result<(), Error> {
    let address = ADDRESS;
    let results = Geocoder::new(redirect.clone())
        .geocode(address)
        .map_err(Error::new)?;
    // pygeocoder answers ZERO_RESULTS with its error, so [0] is there whenever it is OK.
    let first = results
        .first()
        .ok_or_else(|| Error::msg("the answer is OK but has no result"))?;
    let (lat, lng) = first.coordinates;
    writeln!(out, "{}", PyPair(lat, lng))?;
    Ok(())
}

/// The User-Agent the repository's `search1.py` gives Nominatim.
pub const USER_AGENT: &str = "Foundations of Python Network Programming example search1.py";

/// The repository's `search1.py` (geopy and Nominatim):
/// `print(location.latitude, location.longitude)`.
pub fn nominatim(redirect: &Redirect, out: &mut dyn Write) -> Result<(), Error> {
    let address = ADDRESS;
    let location = Nominatim::new(USER_AGENT, redirect.clone())
        .geocode(address)
        .map_err(Error::new)?;
    // Departure: geopy returns None for no place, and the script dies with
    // `AttributeError: 'NoneType' object has no attribute 'latitude'`; here it is one line.
    let location = location.ok_or_else(|| Error::msg(format!("no place found for {address:?}")))?;
    writeln!(
        out,
        "{} {}",
        PyFloat(location.latitude),
        PyFloat(location.longitude)
    )?;
    Ok(())
}
