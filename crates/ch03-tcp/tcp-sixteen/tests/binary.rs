//! The `tcp_sixteen` binary as a reader runs it: a server process, client processes, and
//! every kind of bad input. Output is held to the book's session, ports aside.

use std::io::Write;
use std::net::TcpStream;
use std::process::Command;
use std::time::Duration;

use assert_cmd::Command as AssertCommand;
use predicates::prelude::*;
use testkit::{Process, STEP, mask_ports};

const BIN: &str = env!("CARGO_BIN_EXE_tcp_sixteen");

fn server(host: &str) -> (Process, u16) {
    let mut command = Command::new(BIN);
    command.args(["server", host, "-p", "0"]);
    Process::server(command, STEP).unwrap()
}

fn client(host: &str, port: u16) -> AssertCommand {
    let mut command = AssertCommand::new(BIN);
    command
        .args(["client", host, "-p", &port.to_string()])
        .timeout(STEP);
    command
}

/// Waits until the server has printed `n` "Waiting to accept" lines, the sign that it is
/// done with every earlier connection.
fn server_log_after(server: &Process, connections: usize) -> String {
    let (text, ready) = server.stdout.wait_until(STEP, |text| {
        text.matches("Waiting to accept a new connection\n").count() > connections
    });
    assert!(ready, "server did not go back to accepting: {text:?}");
    text
}

#[test]
fn session_matches_the_book() {
    let (server, port) = server("");
    let output = client("localhost", port)
        .assert()
        .success()
        .get_output()
        .clone();
    let client_out = String::from_utf8(output.stdout).unwrap();
    assert_eq!(
        mask_ports(&client_out),
        "Client has been assigned socket name ('127.0.0.1', PORT)\n\
         The server said b'Farewell, client'\n"
    );
    assert!(output.stderr.is_empty());

    let log = server_log_after(&server, 1);
    assert_eq!(
        mask_ports(&log),
        "Listening at ('0.0.0.0', PORT)\n\
         Waiting to accept a new connection\n\
         We have accepted a connection from ('127.0.0.1', PORT)\n  \
         Socket name: ('127.0.0.1', PORT)\n  \
         Socket peer: ('127.0.0.1', PORT)\n  \
         Incoming sixteen-octet message: b'Hi there, server'\n  \
         Reply sent, socket closed\n\
         Waiting to accept a new connection\n"
    );
    // The ports agree: the server's peer is the client's socket name, the server's socket
    // name is the port it listens on.
    let client_port = client_out
        .split("', ")
        .nth(1)
        .unwrap()
        .split(')')
        .next()
        .unwrap();
    assert!(log.contains(&format!("Socket peer: ('127.0.0.1', {client_port})")));
    assert!(log.contains(&format!("Socket name: ('127.0.0.1', {port})")));
}

#[test]
fn a_short_message_is_reported_and_the_server_keeps_serving() {
    let (server, port) = server("127.0.0.1");
    let mut short = TcpStream::connect(("127.0.0.1", port)).unwrap();
    short.write_all(b"Hi th").unwrap();
    drop(short);
    let log = server_log_after(&server, 1);
    assert!(
        log.contains(
            "failed: was expecting 16 bytes but only received 5 bytes before the socket closed\n"
        ),
        "{log}"
    );
    client("127.0.0.1", port)
        .assert()
        .success()
        .stdout(predicate::str::ends_with(
            "The server said b'Farewell, client'\n",
        ));
    let log = server_log_after(&server, 2);
    assert_eq!(log.matches("Reply sent, socket closed").count(), 1, "{log}");
}

#[test]
fn ipv6_host_works() {
    if std::net::TcpListener::bind("[::1]:0").is_err() {
        eprintln!("skipped: no IPv6 loopback on this machine");
        return;
    }
    let (server, port) = server("::1");
    client("::1", port)
        .assert()
        .success()
        .stdout(predicate::str::starts_with(
            "Client has been assigned socket name ('::1', ",
        ))
        .stdout(predicate::str::contains(", 0, 0)\n"));
    let log = server_log_after(&server, 1);
    assert!(
        log.starts_with(&format!("Listening at ('::1', {port}, 0, 0)\n")),
        "{log}"
    );
}

#[test]
fn refused_connection_is_one_line_and_status_1() {
    // A port that was just free: bind, note it, release it.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    client("127.0.0.1", port)
        .assert()
        .code(1)
        .stdout("")
        .stderr(format!(
            "tcp_sixteen: cannot connect to 127.0.0.1 port {port}: Connection refused (os error 111)\n"
        ));
}

#[test]
fn unresolvable_host_is_one_line_and_status_1() {
    client("no-such-host.invalid", 1060)
        .assert()
        .code(1)
        .stderr(predicate::str::starts_with(
            "tcp_sixteen: cannot resolve host \"no-such-host.invalid\": ",
        ))
        .stderr(predicate::str::ends_with("\n").and(predicate::str::contains("panicked").not()))
        .stderr(predicate::function(|s: &str| s.lines().count() == 1));
}

#[test]
fn busy_port_is_one_line_and_status_1() {
    let (_server, port) = server("127.0.0.1");
    AssertCommand::new(BIN)
        .args(["server", "127.0.0.1", "-p", &port.to_string()])
        .timeout(STEP)
        .assert()
        .code(1)
        .stderr(format!(
            "tcp_sixteen: cannot listen at 127.0.0.1 port {port}: Address already in use (os error 98)\n"
        ));
}

#[test]
fn a_server_that_closes_early_fails_the_client_with_the_books_message() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let peer = std::thread::spawn(move || {
        let (mut sc, _) = listener.accept().unwrap();
        testkit::within(STEP, move || {
            let _ = tcp_sixteen::recvall(&mut sc, 16);
            sc.write_all(b"Farewell").unwrap();
        });
    });
    client("127.0.0.1", port).assert().code(1).stderr(
        "tcp_sixteen: cannot read the server's reply: was expecting 16 bytes but only received 8 bytes before the socket closed\n",
    );
    peer.join().unwrap();
}

#[test]
fn malformed_command_lines_are_usage_errors() {
    for args in [
        &[][..],
        &["client"],
        &["player", "localhost"],
        &["client", "localhost", "-p", "65536"],
        &["client", "localhost", "-p", "ten"],
    ] {
        AssertCommand::new(BIN)
            .args(args)
            .timeout(STEP)
            .assert()
            .code(2)
            .stdout("")
            .stderr(predicate::str::starts_with("error: "))
            .stderr(predicate::str::contains("tcp_sixteen").or(predicate::str::contains("--help")));
    }
}

#[test]
fn help_describes_each_argument_as_the_book_does() {
    AssertCommand::new(BIN)
        .arg("--help")
        .timeout(Duration::from_secs(10))
        .assert()
        .success()
        .stdout(predicate::str::contains("Send and receive over TCP"))
        .stdout(predicate::str::contains("which role to play"))
        .stdout(predicate::str::contains(
            "interface the server listens at; host the client sends to",
        ))
        .stdout(predicate::str::contains("TCP port (default 1060"));
}
