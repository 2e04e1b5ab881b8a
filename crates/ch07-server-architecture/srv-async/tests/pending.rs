//! One wakeup of the listener accepts every pending connection (up to `ACCEPT_BATCH`),
//! where the book's loop accepts one and goes back to `poll()`. Fifty clients connect, ask
//! and close while the server is stopped (SIGSTOP: the kernel completes their handshakes
//! and queues their questions and ends of file); once it runs again, it accepts all fifty
//! before it serves anyone, so its log opens with fifty `Accepted` lines. One accept per
//! wakeup mixes the first clients' closes in among the accepts.

use std::io::Write;
use std::net::TcpStream;

use rustix::process::{Pid, Signal, kill_process};
use testkit::STEP;

const BIN: &str = env!("CARGO_BIN_EXE_srv_async");
const CLIENTS: usize = 50;

#[test]
fn one_wakeup_accepts_every_pending_connection() {
    const { assert!(CLIENTS <= srv_async::ACCEPT_BATCH) };
    let (server, port) = conformance::zen_binaries::server(BIN, &[]);
    let pid = Pid::from_raw(server.id() as i32).unwrap();
    kill_process(pid, Signal::STOP).unwrap();
    for _ in 0..CLIENTS {
        let mut sock = TcpStream::connect(("127.0.0.1", port)).unwrap();
        sock.write_all(b"Beautiful is better than?").unwrap();
    }
    kill_process(pid, Signal::CONT).unwrap();
    // Each connection ends with one line: its close, or the error of writing to a client
    // that has gone.
    let (log, done) = server
        .stdout
        .wait_until(STEP, |log| log.lines().count() > 2 * CLIENTS);
    assert!(done, "{log}");
    let first: Vec<&str> = log.lines().skip(1).take(CLIENTS).collect();
    assert!(
        first
            .iter()
            .all(|l| l.starts_with("Accepted connection from ")),
        "the first {CLIENTS} lines after Listening at are not all accepts: {log}"
    );
}
