//! Wire conformance for Listing 3-1: the exact bytes each side puts on the wire, against
//! scripted peers, including peers that deliver one byte per segment.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::thread;
use std::time::Duration;

use testkit::{STEP, ServerThread, Transcript, within};

fn sixteen_server() -> ServerThread {
    ServerThread::start(|listener, mut log| {
        let _ = tcp_sixteen::serve(&listener, &mut log);
    })
}

/// Reads until EOF; the deadline turns a missing EOF into a failure.
fn read_to_eof(sock: &mut TcpStream) -> Vec<u8> {
    sock.set_read_timeout(Some(STEP)).unwrap();
    let mut all = Vec::new();
    sock.read_to_end(&mut all).expect("EOF before the deadline");
    all
}

/// Writes one byte per segment.
fn dribble(sock: &mut TcpStream, bytes: &[u8]) {
    sock.set_nodelay(true).unwrap();
    for byte in bytes {
        sock.write_all(&[*byte]).unwrap();
        thread::sleep(Duration::from_millis(1));
    }
}

/// Runs `tcp_sixteen::client` on a thread against a listener of the test's; returns the
/// accepted socket and the client's thread (its transcript, or its error).
fn client_against_script() -> (TcpStream, thread::JoinHandle<Result<String, fopnp::Error>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let client = thread::spawn(move || {
        let mut out = Transcript::default();
        tcp_sixteen::client("127.0.0.1", port, &mut out).map(|()| out.text())
    });
    let (sc, _) = listener.accept().unwrap();
    (sc, client)
}

#[test]
fn client_sends_exactly_the_greeting_then_reads_the_reply() {
    within(STEP, || {
        let (mut sc, client) = client_against_script();
        // The client sends its sixteen octets before it reads anything...
        let greeting = tcp_sixteen::recvall(&mut sc, 16).unwrap();
        assert_eq!(greeting, b"Hi there, server");
        sc.write_all(b"Farewell, client").unwrap();
        // ...and nothing else, ever: the next thing is its EOF.
        assert_eq!(read_to_eof(&mut sc), b"");
        let out = client.join().unwrap().unwrap();
        assert!(out.ends_with("The server said b'Farewell, client'\n"));
    });
}

#[test]
fn server_sends_exactly_the_farewell_then_eof() {
    let server = sixteen_server();
    let port = server.port;
    within(STEP, move || {
        let mut sock = TcpStream::connect(("127.0.0.1", port)).unwrap();
        sock.write_all(b"Hi there, server").unwrap();
        assert_eq!(read_to_eof(&mut sock), b"Farewell, client");
    });
}

#[test]
fn server_copes_with_one_byte_fragments() {
    let server = sixteen_server();
    let port = server.port;
    within(STEP, move || {
        let mut sock = TcpStream::connect(("127.0.0.1", port)).unwrap();
        dribble(&mut sock, b"Hi there, server");
        assert_eq!(read_to_eof(&mut sock), b"Farewell, client");
    });
    assert!(
        server
            .log
            .text()
            .contains("  Incoming sixteen-octet message: b'Hi there, server'\n")
    );
}

#[test]
fn client_copes_with_one_byte_fragments() {
    within(STEP, || {
        let (mut sc, client) = client_against_script();
        tcp_sixteen::recvall(&mut sc, 16).unwrap();
        dribble(&mut sc, b"Farewell, client");
        sc.shutdown(Shutdown::Write).unwrap();
        let out = client.join().unwrap().unwrap();
        assert!(out.ends_with("The server said b'Farewell, client'\n"));
    });
}

#[test]
fn server_survives_a_short_message_and_a_reset() {
    let server = sixteen_server();
    let port = server.port;
    within(STEP, move || {
        // Five bytes, then close.
        let mut short = TcpStream::connect(("127.0.0.1", port)).unwrap();
        short.write_all(b"Hi th").unwrap();
        drop(short);
        // A reset: close with unread data queued... from the server's side this arrives
        // as a connection reset once the server reads.
        let reset = TcpStream::connect(("127.0.0.1", port)).unwrap();
        socket2::SockRef::from(&reset)
            .set_linger(Some(Duration::ZERO))
            .unwrap();
        drop(reset);
        // The server still answers the next client.
        let mut sock = TcpStream::connect(("127.0.0.1", port)).unwrap();
        sock.write_all(b"Hi there, server").unwrap();
        assert_eq!(read_to_eof(&mut sock), b"Farewell, client");
    });
    let log = server.log.text();
    assert!(
        log.contains(
            "failed: was expecting 16 bytes but only received 5 bytes before the socket closed\n"
        ),
        "{log}"
    );
    assert_eq!(
        log.matches("  Reply sent, socket closed\n").count(),
        1,
        "{log}"
    );
    // The reset connection was accepted and failed in one line of its own: reset while
    // the server read, or already gone when it asked for the peer's address.
    assert_eq!(log.matches("We have accepted a connection").count(), 3);
    let failures: Vec<&str> = log.lines().filter(|l| l.contains(" failed: ")).collect();
    assert_eq!(failures.len(), 2, "{log}");
    assert!(
        failures[1].ends_with("failed: Connection reset by peer (os error 104)")
            || failures[1].ends_with("failed: Transport endpoint is not connected (os error 107)"),
        "{log}"
    );
}

#[test]
fn client_reports_a_server_that_closes_early() {
    within(STEP, || {
        let (mut sc, client) = client_against_script();
        tcp_sixteen::recvall(&mut sc, 16).unwrap();
        sc.write_all(b"Fare").unwrap();
        drop(sc);
        let error = client.join().unwrap().unwrap_err();
        assert_eq!(
            error.to_string(),
            "cannot read the server's reply: was expecting 16 bytes but only received 4 bytes before the socket closed"
        );
    });
}
