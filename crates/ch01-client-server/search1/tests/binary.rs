//! `search1` as a reader runs it, against the stand-in: the coordinates tuple, and the
//! library's errors in one line each.

use geocoding_standin::testing::{Ran, ca_file, run};
use geocoding_standin::{Mode, StandIn};

const BIN: &str = env!("CARGO_BIN_EXE_search1");

fn search1(mode: Mode, args: &[&str]) -> (Ran, StandIn) {
    let stand_in = StandIn::start(mode).unwrap();
    let ca = ca_file(&stand_in);
    let ran = run(BIN, args, &stand_in, Some(ca.path()));
    (ran, stand_in)
}

#[test]
fn google_prints_the_tuple_of_the_books_2014_session() {
    let (ran, stand_in) = search1(Mode::Ok, &[]);
    assert_eq!(
        (ran.code, ran.stdout.as_str()),
        (Some(0), "(41.521954, -84.306691)\n"),
        "{}",
        ran.stderr
    );
    let request = &stand_in.requests()[0];
    assert!(request.tls);
    assert_eq!(request.sni.as_deref(), Some("maps.google.com"));
    assert_eq!(request.header("Host").as_deref(), Some("maps.google.com"));
}

#[test]
fn googles_refusals_are_the_librarys_error_in_one_line() {
    for (mode, status) in [
        (Mode::Zero, "ZERO_RESULTS"),
        (Mode::Denied, "REQUEST_DENIED"),
    ] {
        let (ran, _) = search1(mode, &[]);
        assert_eq!(ran.code, Some(1));
        let says = format!(
            "search1: Error {status} (query: https://maps.google.com/maps/api/geocode/json?address="
        );
        assert!(ran.stderr.starts_with(&says), "{}", ran.stderr);
        assert_eq!(ran.stderr.lines().count(), 1);
    }
}

#[test]
fn nominatim_prints_floats_and_each_failure_in_one_line() {
    let (ran, _) = search1(Mode::Ok, &["--nominatim"]);
    assert_eq!(
        (ran.code, ran.stdout.as_str()),
        (Some(0), "41.521954 -84.306691\n"),
        "{}",
        ran.stderr
    );
    for (mode, says) in [
        (
            Mode::Zero,
            "search1: no place found for \"207 N. Defiance St, Archbold, OH\"",
        ),
        (
            Mode::Denied,
            "search1: insufficient privileges: non-successful status code 403",
        ),
        (Mode::ServerError, "search1: non-successful status code 500"),
        (
            Mode::Empty,
            "search1: cannot parse the answer: the answer is not JSON: ",
        ),
        (
            Mode::Close,
            "search1: error sending request for url (https://nominatim.openstreetmap.org/",
        ),
    ] {
        let (ran, _) = search1(mode, &["--nominatim"]);
        assert_eq!(ran.code, Some(1), "{mode:?}");
        assert!(ran.stderr.starts_with(says), "{mode:?}: {}", ran.stderr);
        assert_eq!(ran.stderr.lines().count(), 1, "{mode:?}: {}", ran.stderr);
    }
}

#[test]
fn an_untrusted_certificate_is_refused_in_one_line() {
    let stand_in = StandIn::start(Mode::Ok).unwrap();
    let ran = run(BIN, &["--ca", "/dev/null"], &stand_in, None);
    assert_eq!(ran.code, Some(1));
    assert!(ran.stderr.contains("/dev/null"), "{}", ran.stderr);
    let other = StandIn::start(Mode::Ok).unwrap();
    let ran = run(BIN, &[], &stand_in, Some(ca_file(&other).path()));
    assert_eq!(ran.code, Some(1));
    assert!(
        ran.stderr.contains("the peer's certificate"),
        "{}",
        ran.stderr
    );
    assert!(!ran.stderr.contains("BadSignature"), "{}", ran.stderr);
}
