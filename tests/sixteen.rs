//! Wire conformance for Listing 3-1: the table of cases (`conformance::sixteen`, shared
//! with `cargo xtask conform 3-1`) against `tcp_sixteen`'s server and client, in-process.
//! The server's log is held to each connection too.

use std::time::{Duration, Instant};

use conformance::sixteen::{CLIENT_CASES, SERVER_CASES, check_log, log_complete, run_client_cases};
use conformance::{ClientRun, Verdict, assert_all_pass};
use testkit::{STEP, ServerThread, Transcript, within};

fn sixteen_server() -> ServerThread {
    ServerThread::start(|listener, mut log: Transcript| {
        let _ = tcp_sixteen::serve(&listener, &mut log);
    })
}

#[test]
fn the_server_passes_every_case_and_logs_each_connection() {
    let server = sixteen_server();
    let mut results = Vec::new();
    let mut served = 0;
    for case in SERVER_CASES {
        let port = server.port;
        let run = case.run;
        let verdict = match within(STEP, move || run(port)) {
            Err(error) => Verdict::Fail(error),
            Ok(connections) => {
                served += connections.len();
                let started = Instant::now();
                while !log_complete(&server.log.text(), served) && started.elapsed() < STEP {
                    std::thread::sleep(Duration::from_millis(5));
                }
                match check_log(&server.log.text(), &connections) {
                    Ok(()) => Verdict::Pass,
                    Err(error) => Verdict::Fail(error),
                }
            }
        };
        results.push((case.id, verdict));
    }
    assert_all_pass("tcp_sixteen server", &results);
}

#[test]
fn the_client_passes_every_case() {
    let run = |port: u16, _: u64, _: &[&str]| {
        let mut out = Transcript::default();
        match within(STEP, move || {
            let result = tcp_sixteen::client("127.0.0.1", port, &mut out);
            (result, out)
        }) {
            (Ok(()), out) => ClientRun {
                success: true,
                stdout: out.text(),
                stderr: String::new(),
            },
            (Err(error), out) => ClientRun {
                success: false,
                stdout: out.text(),
                stderr: error.to_string(),
            },
        }
    };
    let results = run_client_cases(&run, None);
    assert_eq!(results.len(), CLIENT_CASES.len());
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
