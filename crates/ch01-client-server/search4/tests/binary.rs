//! `search4` as a reader runs it, against the stand-in: the book's bytes both ways, and
//! the script's "no HTTP at all" behaviour (every answer printed, exit status 0).

use std::process::Command;

use geocoding_standin::testing::{Ran, ca_file, into_closed_pipe, run};
use geocoding_standin::{GOOGLE_OK, Mode, StandIn};

const BIN: &str = env!("CARGO_BIN_EXE_search4");

fn search4(mode: Mode, args: &[&str]) -> (Ran, StandIn) {
    let stand_in = StandIn::start(mode).unwrap();
    let ran = run(BIN, args, &stand_in, None);
    (ran, stand_in)
}

#[test]
fn it_sends_the_books_request_and_prints_the_readmes_reply_byte_for_byte() {
    let (ran, stand_in) = search4(Mode::Ok, &[]);
    assert_eq!(ran.code, Some(0), "{}", ran.stderr);
    let mut expected = GOOGLE_OK.to_vec();
    expected.push(b'\n');
    assert_eq!(
        ran.stdout.as_bytes(),
        expected,
        "the README's block: the reply and print's \\n"
    );
    let request = &stand_in.requests()[0];
    assert_eq!(
        request.head,
        b"GET /maps/api/geocode/json?address=207+N.+Defiance+St%2C+Archbold%2C+OH&sensor=false HTTP/1.1\r\n\
          Host: maps.google.com:80\r\n\
          User-Agent: search4.py (Foundations of Python Network Programming)\r\n\
          Connection: close\r\n\r\n"
    );
    assert!(!request.tls);
}

#[test]
fn every_answer_is_printed_as_it_came_and_a_close_prints_a_blank_line() {
    let (ran, _) = search4(Mode::ServerError, &[]);
    assert_eq!(ran.code, Some(0));
    assert!(
        ran.stdout
            .starts_with("HTTP/1.1 500 Internal Server Error\r\n")
    );
    let (ran, _) = search4(Mode::Close, &[]);
    assert_eq!((ran.code, ran.stdout.as_str()), (Some(0), "\n"));
}

#[test]
fn a_reply_that_is_not_utf8_is_one_line_with_its_position() {
    let (ran, _) = search4(Mode::Latin1, &[]);
    assert_eq!(ran.code, Some(1));
    assert_eq!(ran.stdout, "");
    let at = GOOGLE_OK
        .windows(14)
        .position(|w| w == b"Defiance Stree")
        .unwrap()
        + 13;
    assert_eq!(
        ran.stderr,
        format!("search4: the reply is not UTF-8: byte 0xdf in position {at}\n")
    );
}

#[test]
fn a_refused_connection_names_the_host_and_the_address() {
    let stand_in = StandIn::start(Mode::Ok).unwrap();
    let free = testkit::process::free_port().unwrap();
    let ran = geocoding_standin::testing::finish({
        let mut c = Command::new(BIN);
        c.args(["--connect", &format!("127.0.0.1:{free}")]);
        c
    });
    drop(stand_in);
    assert_eq!(ran.code, Some(1));
    assert!(
        ran.stderr.starts_with(&format!(
            "search4: cannot connect to maps.google.com port 80 (at 127.0.0.1:{free}): Connection refused"
        )),
        "{}",
        ran.stderr
    );
}

#[test]
fn nominatim_goes_over_tls_without_sni_and_checks_the_certificate() {
    let stand_in = StandIn::start(Mode::Ok).unwrap();
    let ca = ca_file(&stand_in);
    let ran = run(BIN, &["--nominatim"], &stand_in, Some(ca.path()));
    assert_eq!(ran.code, Some(0), "{}", ran.stderr);
    assert!(ran.stdout.starts_with("HTTP/1.1 200 OK\r\n"));
    assert!(
        ran.stdout
            .ends_with(&format!("{}\n", geocoding_standin::NOMINATIM_OK))
    );
    let request = &stand_in.requests()[0];
    assert!(request.tls);
    assert_eq!(
        request.sni, None,
        "wrap_socket() sent no server name, nor does the port"
    );
    assert_eq!(
        request.line(),
        "GET /search?q=207+N.+Defiance+St%2C+Archbold%2C+OH&format=json HTTP/1.1"
    );

    // Departure: the repository's script checked no certificate; the port does.
    let other = StandIn::start(Mode::Ok).unwrap();
    let ran = run(
        BIN,
        &["--nominatim"],
        &stand_in,
        Some(ca_file(&other).path()),
    );
    assert_eq!(ran.code, Some(1));
    assert!(
        ran.stderr
            .contains("TLS with nominatim.openstreetmap.org failed"),
        "{}",
        ran.stderr
    );
    assert_eq!(ran.stderr.lines().count(), 1);
}

#[test]
fn a_closed_stdout_is_one_line_and_status_1() {
    let stand_in = StandIn::start(Mode::Ok).unwrap();
    let mut command = Command::new(BIN);
    command.args(["--connect", &stand_in.addr().to_string()]);
    let (code, stderr) = into_closed_pipe(command);
    assert_eq!(code, Some(1));
    assert_eq!(
        stderr,
        "search4: cannot write to standard output: Broken pipe (os error 32)\n"
    );
}
