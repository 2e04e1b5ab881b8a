//! `search3` as a reader runs it, against the stand-in: http.client's request bytes, the
//! location dict, and one line for each way the service can fail.

use geocoding_standin::testing::{Ran, ca_file, run};
use geocoding_standin::{Mode, StandIn};

const BIN: &str = env!("CARGO_BIN_EXE_search3");

fn search3(mode: Mode) -> (Ran, StandIn) {
    let stand_in = StandIn::start(mode).unwrap();
    let ran = run(BIN, &[], &stand_in, None);
    (ran, stand_in)
}

#[test]
fn it_sends_http_clients_bytes_and_prints_the_location_dict() {
    let (ran, stand_in) = search3(Mode::Ok);
    assert_eq!(
        (ran.code, ran.stdout.as_str()),
        (Some(0), "{'lat': 41.521954, 'lng': -84.306691}\n")
    );
    assert_eq!(
        stand_in.requests()[0].head,
        b"GET /maps/api/geocode/json?address=207+N.+Defiance+St%2C+Archbold%2C+OH&sensor=false HTTP/1.1\r\n\
          Host: maps.google.com\r\nAccept-Encoding: identity\r\n\r\n",
        "no User-Agent: http.client sends none"
    );
    let (ran, _) = search3(Mode::Utf8);
    assert_eq!(ran.code, Some(0));
}

#[test]
fn each_failure_is_one_line_and_status_1() {
    for (mode, says) in [
        (
            Mode::Zero,
            "search3: reply['results'][0]: IndexError: list index out of range",
        ),
        (
            Mode::Denied,
            "search3: reply['results'][0]: IndexError: list index out of range",
        ),
        (
            Mode::Empty,
            "search3: the reply is not JSON: EOF while parsing a value at line 1 column 0",
        ),
        (
            Mode::Malformed,
            "search3: the reply is not JSON: expected value at line 1 column 1",
        ),
        (
            Mode::ServerError,
            "search3: the reply is not JSON: expected value at line 1 column 1",
        ),
        (
            Mode::Close,
            "search3: Remote end closed connection without response",
        ),
        (
            Mode::Latin1,
            "search3: the reply is not UTF-8: byte 0xdf in position ",
        ),
        (
            Mode::Reset,
            "search3: cannot read the reply from maps.google.com: Connection reset by peer",
        ),
    ] {
        let (ran, _) = search3(mode);
        assert_eq!(ran.code, Some(1), "{mode:?}: {}", ran.stderr);
        assert_eq!(ran.stdout, "", "{mode:?}");
        assert!(ran.stderr.starts_with(says), "{mode:?}: {}", ran.stderr);
        assert_eq!(ran.stderr.lines().count(), 1, "{mode:?}: {}", ran.stderr);
    }
}

#[test]
fn nominatim_goes_over_https_with_its_user_agent_and_prints_the_strings() {
    let stand_in = StandIn::start(Mode::Ok).unwrap();
    let ca = ca_file(&stand_in);
    // SSL_CERT_FILE is honoured, as Python's ssl honours it.
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
        request.head,
        b"GET /search?q=207+N.+Defiance+St%2C+Archbold%2C+OH&format=json HTTP/1.1\r\n\
          Host: nominatim.openstreetmap.org\r\nAccept-Encoding: identity\r\n\
          User-Agent: Foundations of Python Network Programming example search3.py\r\n\r\n"
    );
    // --ca instead, and a CA that did not sign the stand-in's certificate.
    let other = StandIn::start(Mode::Ok).unwrap();
    let wrong = ca_file(&other);
    let ran = run(
        BIN,
        &["--nominatim", "--ca", &wrong.path().display().to_string()],
        &stand_in,
        None,
    );
    assert_eq!(ran.code, Some(1));
    assert!(
        ran.stderr
            .starts_with("search3: TLS with nominatim.openstreetmap.org failed: "),
        "{}",
        ran.stderr
    );
    let closing = StandIn::start(Mode::Close).unwrap();
    let ca = ca_file(&closing);
    let ran = run(BIN, &["--nominatim"], &closing, Some(ca.path()));
    assert_eq!(
        ran.stderr,
        "search3: Remote end closed connection without response\n"
    );
    let denied = StandIn::start(Mode::Denied).unwrap();
    let ca = ca_file(&denied);
    let ran = run(BIN, &["--nominatim"], &denied, Some(ca.path()));
    assert_eq!(ran.code, Some(1));
    assert_eq!(
        ran.stderr,
        "search3: the reply is not JSON: expected value at line 1 column 1\n"
    );
}
