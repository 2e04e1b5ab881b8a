//! The `tcp_deadlock` binary as a reader runs it: exact transcripts for the book's byte
//! counts, a server that survives failing clients, and usage errors.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Command;
use std::time::Duration;

use assert_cmd::Command as AssertCommand;
use conformance::transcripts::{check_deadlock_client, check_deadlock_server_connection};
use predicates::prelude::*;
use testkit::{Process, STEP};

const BIN: &str = env!("CARGO_BIN_EXE_tcp_deadlock");

fn server() -> (Process, u16) {
    let mut command = Command::new(BIN);
    command.args(["server", "127.0.0.1", "-p", "0"]);
    Process::server(command, STEP).unwrap()
}

fn client(port: u16, bytecount: &str) -> Vec<u8> {
    let output = AssertCommand::new(BIN)
        .args(["client", "localhost", bytecount, "-p", &port.to_string()])
        .timeout(STEP)
        .assert()
        .success()
        .stderr("")
        .get_output()
        .clone();
    output.stdout
}

/// The server's log once it has closed `connections` sockets.
fn server_log_after(server: &Process, connections: usize) -> String {
    let (text, ready) = server.stdout.wait_until(STEP, |t| {
        t.matches("\n  Socket closed\n").count() + t.matches(" failed: ").count() >= connections
    });
    assert!(
        ready,
        "server did not finish {connections} connections: {text:?}"
    );
    text
}

/// Splits a server log into its `Listening` line and one chunk per connection.
fn connections(log: &str) -> Vec<String> {
    log.split_inclusive("  Socket closed\n")
        .map(|chunk| chunk.trim_start_matches(|c| c != 'P').to_string())
        .filter(|chunk| chunk.starts_with("Processing"))
        .collect()
}

#[test]
fn transcripts_are_the_books_for_0_16_17_and_32_bytes() {
    let (server, port) = server();
    for (arg, rounded) in [("0", 0), ("16", 16), ("17", 32), ("32", 32)] {
        let out = client(port, arg);
        check_deadlock_client(&out, rounded).unwrap_or_else(|e| panic!("bytecount {arg}: {e}"));
    }
    let log = server_log_after(&server, 4);
    assert!(log.starts_with(&format!("Listening at ('127.0.0.1', {port})\n")));
    let chunks = connections(&log);
    assert_eq!(chunks.len(), 4, "{log:?}");
    for (chunk, bytecount) in chunks.iter().zip([0, 16, 32, 32]) {
        let peer = chunk
            .split(" from ")
            .nth(1)
            .unwrap()
            .lines()
            .next()
            .unwrap();
        check_deadlock_server_connection(chunk, peer, bytecount).unwrap();
    }
}

#[test]
fn server_log_for_a_0_then_a_32_byte_client_is_the_books() {
    let (server, port) = server();
    client(port, "0");
    client(port, "32");
    let log = server_log_after(&server, 2);
    // The book's server prints an empty progress line for a 0-byte client, then Socket closed.
    let masked = testkit::mask_ports(&log);
    assert!(
        masked.starts_with(
            "Listening at ('127.0.0.1', PORT)\n\
             Processing up to 1024 bytes at a time from ('127.0.0.1', PORT)\n\n  Socket closed\n\
             Processing up to 1024 bytes at a time from ('127.0.0.1', PORT)\n\r  "
        ),
        "{masked:?}"
    );
    assert!(
        masked.ends_with("\r  32 bytes processed so far \n  Socket closed\n"),
        "{masked:?}"
    );
}

#[test]
fn server_reports_a_reset_mid_stream_and_serves_the_next_client() {
    let (server, port) = server();
    {
        let sock = TcpStream::connect(("127.0.0.1", port)).unwrap();
        (&sock).write_all(&[b'x'; 100_000]).unwrap();
        // Close with SO_LINGER 0: the kernel sends a reset instead of a FIN.
        socket2::SockRef::from(&sock)
            .set_linger(Some(Duration::ZERO))
            .unwrap();
    }
    let log = server_log_after(&server, 1);
    assert!(log.contains(" failed: "), "{log:?}");
    let out = client(port, "32");
    check_deadlock_client(&out, 32).unwrap();
}

#[test]
fn server_passes_non_ascii_bytes_through_unchanged() {
    let (_server, port) = server();
    testkit::within(STEP, move || {
        let mut sock = TcpStream::connect(("127.0.0.1", port)).unwrap();
        let all: Vec<u8> = (0..=255).collect();
        sock.write_all(&all).unwrap();
        sock.shutdown(std::net::Shutdown::Write).unwrap();
        let mut reply = Vec::new();
        sock.read_to_end(&mut reply).unwrap();
        assert_eq!(reply, all.to_ascii_uppercase());
    });
}

#[test]
fn client_against_no_server_is_one_line_and_status_1() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    AssertCommand::new(BIN)
        .args(["client", "127.0.0.1", "-p", &port.to_string()])
        .timeout(STEP)
        .assert()
        .code(1)
        .stdout("Sending 16 bytes of data, in chunks of 16 bytes\n")
        .stderr(format!(
            "tcp_deadlock: cannot connect to 127.0.0.1 port {port}: Connection refused (os error 111)\n"
        ));
}

#[test]
fn malformed_command_lines_are_usage_errors() {
    for args in [
        &["client", "localhost", "-5"][..],
        &["client", "localhost", "lots"],
        &["client", "localhost", "18446744073709551616"],
        &["server"],
        &["sender", "localhost"],
        &["client", "localhost", "16", "-p", "99999"],
    ] {
        AssertCommand::new(BIN)
            .args(args)
            .timeout(STEP)
            .assert()
            .code(2)
            .stdout("")
            .stderr(predicate::str::starts_with("error: "));
    }
}

#[test]
fn help_describes_the_bytecount() {
    AssertCommand::new(BIN)
        .arg("--help")
        .timeout(STEP)
        .assert()
        .success()
        .stdout(predicate::str::contains("Get deadlocked over TCP"))
        .stdout(predicate::str::contains(
            "number of bytes for client to send (default 16",
        ));
}

/// Page 53's deadlock is not about large data but about full buffers: with both sides'
/// buffers pinned small (`--sndbuf 4096 --rcvbuf 4096`, granted 8 KiB each), the book's
/// pair stalls after a few tens of kilobytes, at a bytecount the default buffers carry
/// through.
#[test]
fn with_small_pinned_buffers_it_deadlocks_far_sooner() {
    let small = ["--sndbuf", "4096", "--rcvbuf", "4096"];
    let mut command = Command::new(BIN);
    command.args(["server", "127.0.0.1", "-p", "0"]).args(small);
    let (pinned_server, port) = Process::server(command, STEP).unwrap();
    let mut command = Command::new(BIN);
    command
        .args(["client", "127.0.0.1", "4194304", "-p", &port.to_string()])
        .args(small);
    let mut pinned = Process::spawn(command).unwrap();
    // Stalled: both asleep in send(), with no progress printed for 300 ms.
    let started = std::time::Instant::now();
    loop {
        assert!(pinned.running(), "the pinned pair completed 4 MiB");
        let asleep = |pid| {
            let calls = testkit::kernel::blocked_in(pid);
            !calls.is_empty() && calls.iter().all(|c| c.starts_with("sendto()"))
        };
        if pinned.stdout.quiet_for() >= Duration::from_millis(300)
            && asleep(pinned.id())
            && asleep(pinned_server.id())
        {
            break;
        }
        assert!(started.elapsed() < STEP, "no stall within {STEP:?}");
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = pinned.stdout.text();
    assert!(
        out.starts_with("Socket buffers: send 8192 bytes, receive 8192 bytes\n"),
        "{out:.200}"
    );
    let sent = out
        .rsplit(" bytes sent")
        .nth(1)
        .and_then(|before| before.rsplit("\r  ").next())
        .and_then(|n| n.parse::<u64>().ok())
        .unwrap();
    assert!(sent < 256 * 1024, "stalled only after {sent} bytes");
    drop(pinned);
    drop(pinned_server);
    // The same bytecount with the default buffers completes.
    let (_server, port) = server();
    let out = client(port, "4194304");
    check_deadlock_client(&out, 4194304).unwrap();
}
