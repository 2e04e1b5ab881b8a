//! The lifetime of every socket in the one loop: a client that reconnects the instant its
//! previous connection closed is served every time, and every connection's close is
//! logged once. (The book's server leaves a closed socket in its poll set until the next
//! `poll()` says POLLNVAL; by then `accept()` may have reused the descriptor, and the
//! clean-up meant for the old socket drops the new client.)

use std::io::{Read, Write};
use std::net::TcpStream;
use std::thread;

use testkit::STEP;

const BIN: &str = env!("CARGO_BIN_EXE_srv_async");
const ROUNDS: usize = 300;

#[test]
fn a_client_that_reconnects_at_once_is_served_every_time() {
    let (server, port) = conformance::zen_binaries::server(BIN, &[]);
    let clients: Vec<_> = (0..2)
        .map(|_| {
            thread::spawn(move || {
                for _ in 0..ROUNDS {
                    let mut sock = TcpStream::connect(("127.0.0.1", port)).unwrap();
                    sock.set_read_timeout(Some(STEP)).unwrap();
                    sock.write_all(b"Beautiful is better than?").unwrap();
                    let mut answer = [0; 5];
                    sock.read_exact(&mut answer).unwrap();
                    assert_eq!(&answer, b"Ugly.");
                    // Closed here, and the next connection follows at once.
                }
            })
        })
        .collect();
    for client in clients {
        client.join().unwrap();
    }
    let (log, all) = server.stdout.wait_until(STEP, |log| {
        log.matches("closed socket normally").count() == 2 * ROUNDS
    });
    assert!(
        all,
        "{} closes logged",
        log.matches("closed socket normally").count()
    );
    assert_eq!(log.matches("Accepted connection from").count(), 2 * ROUNDS);
}
