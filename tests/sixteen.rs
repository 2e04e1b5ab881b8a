//! Wire conformance for Listing 3-1: the table of cases (`conformance::sixteen`, shared
//! with `cargo xtask conform 3-1`) against `tcp_sixteen`'s server and client, in-process.
//! The server's log is held to each connection too.

use conformance::runner::{self, Output, ServerSpec, in_process};
use conformance::{assert_all_pass, sixteen};
use testkit::{STEP, ServerThread, Transcript, within};

fn listing() -> &'static catalog::Listing {
    catalog::by_bin("tcp_sixteen").unwrap()
}

#[test]
fn the_server_passes_every_case_and_logs_each_connection() {
    let mut server = ServerThread::start(|listener, mut log: Transcript| {
        let _ = tcp_sixteen::serve(&listener, &mut log);
    });
    let outcomes = runner::server_cases(&ServerSpec::of(listing()).unwrap(), &mut server, None);
    assert_eq!(outcomes.len(), sixteen::SERVER_CASES.len());
    runner::assert_passed("tcp_sixteen server", &outcomes);
}

#[test]
fn the_client_passes_every_case() {
    let run = |port: u16, _: u64, _: &[&str]| {
        in_process(move |out| tcp_sixteen::client("127.0.0.1", port, out))
    };
    let results = runner::client_cases(listing().family.unwrap(), Output::Book, &run, &|_| true);
    assert_eq!(results.len(), sixteen::CLIENT_CASES.len());
    assert_all_pass("tcp_sixteen client", &results);
}

#[test]
fn the_client_names_what_failed_when_the_server_closes_early() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = std::thread::spawn(move || {
        use std::io::{Read, Write};
        let (mut sc, _) = listener.accept().unwrap();
        let mut greeting = [0; 16];
        sc.read_exact(&mut greeting).unwrap();
        sc.write_all(b"Fare").unwrap();
    });
    let error = within(STEP, move || {
        tcp_sixteen::client("127.0.0.1", port, &mut Vec::new()).unwrap_err()
    });
    server.join().unwrap();
    assert_eq!(
        error.to_string(),
        "cannot read the server's reply: was expecting 16 bytes but only received 4 bytes before the socket closed"
    );
}
