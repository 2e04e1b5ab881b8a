//! `search2` as a reader runs it, against the stand-in: requests' query string, the
//! location dict, requests' leniency (a stray byte, a 500) and one line per failure.

use geocoding_standin::testing::{Ran, ca_file, run};
use geocoding_standin::{Mode, StandIn};

const BIN: &str = env!("CARGO_BIN_EXE_search2");

fn search2(mode: Mode) -> (Ran, StandIn) {
    let stand_in = StandIn::start(mode).unwrap();
    let ran = run(BIN, &[], &stand_in, None);
    (ran, stand_in)
}

#[test]
fn it_asks_as_requests_asks_and_prints_the_location_dict() {
    let (ran, stand_in) = search2(Mode::Ok);
    assert_eq!(
        (ran.code, ran.stdout.as_str()),
        (Some(0), "{'lat': 41.521954, 'lng': -84.306691}\n")
    );
    let request = &stand_in.requests()[0];
    assert_eq!(
        request.line(),
        "GET /maps/api/geocode/json?address=207+N.+Defiance+St%2C+Archbold%2C+OH&sensor=false HTTP/1.1"
    );
    // The URL's host, though the connection went to the stand-in.
    assert_eq!(
        request.header("Host").as_deref(),
        Some("maps.googleapis.com")
    );
    // Departure 28: reqwest's headers, not requests' (`User-Agent: python-requests/...`,
    // `Accept-Encoding: gzip, deflate`, `Accept: */*`, `Connection: keep-alive`).
    assert_eq!(
        request.headers(),
        [
            "accept: */*",
            "accept-encoding: gzip,deflate",
            "host: maps.googleapis.com"
        ]
    );
    // requests decodes with replacement: a Latin-1 byte does not stop it.
    let (ran, _) = search2(Mode::Latin1);
    assert_eq!(ran.code, Some(0), "{}", ran.stderr);
}

#[test]
fn each_failure_is_one_line_and_status_1() {
    for (mode, says) in [
        (
            Mode::Zero,
            "search2: answer['results'][0]: IndexError: list index out of range",
        ),
        (
            Mode::Denied,
            "search2: answer['results'][0]: IndexError: list index out of range",
        ),
        (Mode::Empty, "search2: the answer is not JSON: "),
        (Mode::Malformed, "search2: the answer is not JSON: "),
        // requests raises nothing for a 500: the HTML page fails as JSON.
        (Mode::ServerError, "search2: the answer is not JSON: "),
        (
            Mode::Close,
            "search2: error sending request for url (http://maps.googleapis.com/",
        ),
    ] {
        let (ran, _) = search2(mode);
        assert_eq!(ran.code, Some(1), "{mode:?}: {}", ran.stderr);
        assert_eq!(ran.stdout, "", "{mode:?}");
        assert!(ran.stderr.starts_with(says), "{mode:?}: {}", ran.stderr);
        assert_eq!(ran.stderr.lines().count(), 1, "{mode:?}: {}", ran.stderr);
    }
}

#[test]
fn nominatim_sends_its_user_agent_and_prints_the_strings() {
    let stand_in = StandIn::start(Mode::Ok).unwrap();
    let ca = ca_file(&stand_in);
    let ran = run(BIN, &["--nominatim"], &stand_in, Some(ca.path()));
    assert_eq!(
        (ran.code, ran.stdout.as_str()),
        (Some(0), "41.5219540 -84.3066910\n"),
        "{}",
        ran.stderr
    );
    let request = &stand_in.requests()[0];
    assert_eq!(request.sni.as_deref(), Some("nominatim.openstreetmap.org"));
    assert_eq!(
        request.line(),
        "GET /search?q=207+N.+Defiance+St%2C+Archbold%2C+OH&format=json HTTP/1.1"
    );
    assert_eq!(
        request.header("User-Agent").as_deref(),
        Some("Foundations of Python Network Programming example search2.py")
    );
    // Without the stand-in's CA: the system's store does not hold it.
    let ran = run(BIN, &["--nominatim", "--ca", "/dev/null"], &stand_in, None);
    assert_eq!(ran.code, Some(1));
    assert_eq!(ran.stderr.lines().count(), 1, "{}", ran.stderr);
}
