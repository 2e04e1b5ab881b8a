//! The architecture's lesson, pinned: four threads serve four clients at once, so four
//! idle clients hold the server and a fifth waits until one of them goes.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::thread;
use std::time::{Duration, Instant};

use testkit::STEP;

const BIN: &str = env!("CARGO_BIN_EXE_srv_threaded");

#[test]
fn four_idle_clients_hold_it_and_a_fifth_waits_its_turn() {
    let (server, port) = conformance::zen_binaries::server(BIN, &[]);
    let idle: Vec<TcpStream> = (0..4)
        .map(|_| TcpStream::connect(("127.0.0.1", port)).unwrap())
        .collect();
    let (log, all_taken) = server
        .stdout
        .wait_until(STEP, |log| log.matches("Accepted connection").count() == 4);
    assert!(all_taken, "{log}");
    let fifth = thread::spawn(move || {
        let mut sock = TcpStream::connect(("127.0.0.1", port)).unwrap();
        sock.set_read_timeout(Some(STEP)).unwrap();
        sock.write_all(b"Simple is better than?").unwrap();
        let mut answer = [0; 8];
        sock.read_exact(&mut answer).unwrap();
        answer
    });
    // Connected (the kernel queues it), but no thread is free to answer.
    let waited = Instant::now();
    while waited.elapsed() < Duration::from_millis(300) {
        assert!(
            !fifth.is_finished(),
            "a fifth client was served while four held the threads"
        );
        thread::sleep(Duration::from_millis(10));
    }
    drop(idle);
    assert_eq!(&fifth.join().unwrap(), b"Complex.");
}
