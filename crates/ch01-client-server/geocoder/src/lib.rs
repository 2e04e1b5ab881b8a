//! The top of Chapter 1's stack: a geocoding library, in the role that pygeocoder plays
//! for the book's `search1.py` (Google's geocoder) and geopy for the repository's today
//! (OpenStreetMap's Nominatim). No Rust crate speaks Google's API (georust's `geocoding`
//! has OpenCage, OpenStreetMap and GeoAdmin), so this small typed client is written here,
//! over the level below it, [`requests`] (`requests.get` on reqwest, as `search2` uses it).
//!
//! ```no_run
//! let results = geocoder::Geocoder::new(Default::default())
//!     .geocode("207 N. Defiance St, Archbold, OH")?;
//! println!("{}", fopnp::PyPair(results[0].coordinates.0, results[0].coordinates.1));
//! # Ok::<(), geocoder::GeocoderError>(())
//! ```

use std::fmt;

use fopnp::cli::Redirect;
use fopnp::{Key, PyObject};

pub mod requests;

/// What the geocoders fail with, each in one line: pygeocoder's `GeocoderError` (`Error
/// REQUEST_DENIED`), geopy's `GeocoderServiceError` family, or the request's own failure.
#[derive(Debug)]
pub enum GeocoderError {
    /// The request never got an answer (a refused connection, a reset, a bad certificate).
    Request(requests::Error),
    /// Google answered with a status other than `OK` (`ZERO_RESULTS`, `REQUEST_DENIED`).
    Status { status: String, query: String },
    /// Nominatim answered with an HTTP status other than 200 (geopy: 403 is
    /// `GeocoderInsufficientPrivileges`, anything else `GeocoderServiceError`).
    Http(u16),
    /// The answer was not the JSON the service sends.
    Parse(String),
}

impl fmt::Display for GeocoderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GeocoderError::Request(error) => write!(f, "{error}"),
            GeocoderError::Status { status, query } => {
                write!(f, "Error {status} (query: {query})")
            }
            GeocoderError::Http(403) => {
                f.write_str("insufficient privileges: non-successful status code 403")
            }
            GeocoderError::Http(code) => write!(f, "non-successful status code {code}"),
            GeocoderError::Parse(why) => write!(f, "cannot parse the answer: {why}"),
        }
    }
}

impl std::error::Error for GeocoderError {}

impl From<requests::Error> for GeocoderError {
    fn from(error: requests::Error) -> Self {
        GeocoderError::Request(error)
    }
}

/// One of Google's results: `Geocoder.geocode(address)[0]`.
#[derive(Clone, Debug, PartialEq)]
pub struct GeocoderResult {
    /// `(lat, lng)`, as pygeocoder's `.coordinates`.
    pub coordinates: (f64, f64),
    pub formatted_address: String,
}

/// pygeocoder's `Geocoder`: Google's geocoder over https, at `maps.google.com`.
pub struct Geocoder {
    redirect: Redirect,
}

/// Where pygeocoder sends its requests.
pub const GOOGLE: &str = "https://maps.google.com/maps/api/geocode/json";

impl Geocoder {
    pub fn new(redirect: Redirect) -> Self {
        Self { redirect }
    }

    /// `Geocoder.geocode(address)`: the results, or Google's status as an error.
    pub fn geocode(&self, address: &str) -> Result<Vec<GeocoderResult>, GeocoderError> {
        // pygeocoder's parameters, empty ones included, in its order.
        let params = [
            ("address", address),
            ("sensor", "false"),
            ("bounds", ""),
            ("region", ""),
            ("language", ""),
            ("components", ""),
        ];
        let headers = [(
            "User-Agent",
            "geocoder (Foundations of Python Network Programming, Rust)",
        )];
        let response = requests::get(GOOGLE, &params, &headers, &self.redirect)?;
        let query = response.url.clone();
        let answer = response.json().map_err(GeocoderError::Parse)?;
        let status = answer
            .path("answer", &[Key::Name("status")])
            .map_err(GeocoderError::Parse)?
            .to_string();
        if status != "OK" {
            return Err(GeocoderError::Status { status, query });
        }
        let results = match answer.get("results") {
            Some(PyObject::List(results)) => results,
            _ => return Err(GeocoderError::Parse("no list of results".into())),
        };
        results.iter().map(google_result).collect()
    }
}

fn google_result(result: &PyObject) -> Result<GeocoderResult, GeocoderError> {
    let location = [Key::Name("geometry"), Key::Name("location")];
    let number = |name: &str| {
        let keys = [location[0], location[1], Key::Name(name)];
        match result.path("result", &keys).map_err(GeocoderError::Parse)? {
            PyObject::Float(x) => Ok(*x),
            PyObject::Int(n) => Ok(*n as f64),
            other => Err(GeocoderError::Parse(format!(
                "{name} is a {}, not a number",
                other.type_name()
            ))),
        }
    };
    let formatted_address = result
        .get("formatted_address")
        .map(|a| a.to_string())
        .unwrap_or_default();
    Ok(GeocoderResult {
        coordinates: (number("lat")?, number("lng")?),
        formatted_address,
    })
}

/// geopy's `Location`: where Nominatim puts the address.
#[derive(Clone, Debug, PartialEq)]
pub struct Location {
    pub latitude: f64,
    pub longitude: f64,
    pub address: String,
}

/// geopy's `Nominatim(user_agent=...)`: OpenStreetMap's geocoder over https.
pub struct Nominatim {
    user_agent: String,
    redirect: Redirect,
}

/// Where geopy's Nominatim sends its requests.
pub const NOMINATIM: &str = "https://nominatim.openstreetmap.org/search";

impl Nominatim {
    pub fn new(user_agent: &str, redirect: Redirect) -> Self {
        Self {
            user_agent: user_agent.to_string(),
            redirect,
        }
    }

    /// `.geocode(address)`: the first place, or None when there is none (geopy returns
    /// None, and the repository's search1.py then dies on `None.latitude`).
    pub fn geocode(&self, address: &str) -> Result<Option<Location>, GeocoderError> {
        let params = [("q", address), ("format", "json"), ("limit", "1")];
        let headers = [("User-Agent", self.user_agent.as_str())];
        let response = requests::get(NOMINATIM, &params, &headers, &self.redirect)?;
        if response.status != 200 {
            return Err(GeocoderError::Http(response.status));
        }
        let places = response.json().map_err(GeocoderError::Parse)?;
        let Some(place) = places.index(0) else {
            return Ok(None);
        };
        // Nominatim's coordinates are strings ("41.5219540"); geopy makes them floats.
        let number = |name: &str| -> Result<f64, GeocoderError> {
            let text = place
                .path("place", &[Key::Name(name)])
                .map_err(GeocoderError::Parse)?
                .to_string();
            text.parse()
                .map_err(|_| GeocoderError::Parse(format!("{name} {text:?} is not a number")))
        };
        Ok(Some(Location {
            latitude: number("lat")?,
            longitude: number("lon")?,
            address: place
                .get("display_name")
                .map(|a| a.to_string())
                .unwrap_or_default(),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geocoding_standin::{Mode, StandIn};

    fn trusting(stand_in: &StandIn) -> (Redirect, tempfile::NamedTempFile) {
        let ca = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(ca.path(), stand_in.ca_pem()).unwrap();
        let redirect = Redirect {
            connect: Some(stand_in.addr()),
            ca: Some(ca.path().to_path_buf()),
        };
        (redirect, ca)
    }

    #[test]
    fn google_results_come_back_typed_and_its_status_as_an_error() {
        let stand_in = StandIn::start(Mode::Ok).unwrap();
        let (redirect, _ca) = trusting(&stand_in);
        let results = Geocoder::new(redirect.clone())
            .geocode("207 N. Defiance St, Archbold, OH")
            .unwrap();
        assert_eq!(results[0].coordinates, (41.521954, -84.306691));
        assert_eq!(
            results[0].formatted_address,
            "207 North Defiance Street, Archbold, OH 43502, USA"
        );
        let request = &stand_in.requests()[0];
        assert!(request.tls);
        assert_eq!(request.sni.as_deref(), Some("maps.google.com"));
        assert_eq!(
            request.line(),
            "GET /maps/api/geocode/json?address=207+N.+Defiance+St%2C+Archbold%2C+OH\
             &sensor=false&bounds=&region=&language=&components= HTTP/1.1"
        );

        let denied = StandIn::start(Mode::Denied).unwrap();
        let (redirect, _ca) = trusting(&denied);
        let error = Geocoder::new(redirect).geocode("x").unwrap_err();
        assert!(
            error
                .to_string()
                .starts_with("Error REQUEST_DENIED (query: https://maps.google.com/"),
            "{error}"
        );
    }

    #[test]
    fn nominatim_gives_a_place_none_or_the_status_code() {
        let stand_in = StandIn::start(Mode::Ok).unwrap();
        let (redirect, _ca) = trusting(&stand_in);
        let place = Nominatim::new("test", redirect)
            .geocode("207 N. Defiance St")
            .unwrap();
        let place = place.unwrap();
        assert_eq!((place.latitude, place.longitude), (41.521954, -84.306691));
        for (mode, expected) in [
            (Mode::Zero, "None"),
            (Mode::Denied, "403"),
            (Mode::ServerError, "500"),
        ] {
            let stand_in = StandIn::start(mode).unwrap();
            let (redirect, _ca) = trusting(&stand_in);
            let got = match Nominatim::new("test", redirect).geocode("x") {
                Ok(None) => "None".to_string(),
                Ok(Some(_)) => "a place".to_string(),
                Err(e) => e.to_string(),
            };
            assert!(got.contains(expected), "{mode:?}: {got}");
        }
    }
}
