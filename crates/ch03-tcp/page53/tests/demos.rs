//! What each demonstration observed, asserted; tolerant only where kernels or timing
//! vary (how many datagrams survive a flood).

use std::io::ErrorKind::{BrokenPipe, ConnectionReset, WouldBlock};

use assert_cmd::Command;
use predicates::prelude::*;
use testkit::{STEP, within};

#[test]
fn half_close_the_reply_still_arrives() {
    let seen = within(STEP, || page53::half_close::run(&mut Vec::new()).unwrap());
    assert_eq!(seen.server_received, b"a request");
    assert!(seen.server_saw_eof);
    assert_eq!(seen.client_received, b"THE REPLY");
    assert!(seen.client_saw_eof);
    assert_eq!(seen.send_after_shutdown, Some(BrokenPipe));
    assert!(seen.verdict.holds(), "{}", seen.verdict);
}

#[test]
fn shut_rd_still_delivers_on_linux_and_shutdown_both_resets() {
    let seen = within(STEP, || page53::shut_rd::run(&mut Vec::new()).unwrap());
    assert_eq!(seen.read_after_shutdown, Ok(0));
    assert_eq!(seen.peer_sends, [Ok(9), Ok(4)], "the peer sees no error");
    assert_eq!(
        seen.delivered_later, b"late datamore",
        "later data is still readable"
    );
    assert!(seen.both_peer_eof);
    let (succeeded, kind) = seen
        .both_peer_send_error
        .expect("a send fails after shutdown(Both)");
    assert!(matches!(kind, BrokenPipe | ConnectionReset), "{kind:?}");
    assert!(
        succeeded <= 1,
        "on Linux the second write to a reset peer fails; {succeeded} succeeded"
    );
    assert!(!seen.verdict.holds(), "{}", seen.verdict);
    assert!(
        seen.verdict
            .to_string()
            .starts_with("verdict: differs on this system — ")
    );
}

#[test]
fn close_vs_shutdown_one_handle_versus_every_holder() {
    let seen = within(STEP, || {
        page53::close_vs_shutdown::run(&mut Vec::new()).unwrap()
    });
    assert_eq!(
        seen.peer_read_after_drop,
        Err(WouldBlock),
        "no EOF after one handle's drop"
    );
    assert!(seen.other_handle_works);
    let (woke_with, _) = seen.blocked_reader.expect("the reader thread finished");
    assert_eq!(woke_with, Ok(0));
    assert_eq!(seen.peer_read_after_shutdown, Ok(0));
    assert_eq!(seen.other_send, Err(BrokenPipe));
    assert_eq!(seen.other_recv, Ok(0));
    assert!(seen.verdict.holds(), "{}", seen.verdict);
}

#[test]
fn eof_is_zero_bytes_and_nothing_yet_is_wouldblock() {
    let seen = within(STEP, || {
        page53::eof_vs_wouldblock::run(&mut Vec::new()).unwrap()
    });
    assert_eq!(seen.idle, Err(WouldBlock));
    assert_eq!(seen.with_data, Ok(4));
    assert_eq!(seen.after_fin, [Ok(0), Ok(0)]);
    assert_eq!(
        seen.timed_out,
        Err(WouldBlock),
        "Rust reports a read timeout as WouldBlock"
    );
    assert_eq!(seen.blocking_after_fin, [Ok(0), Ok(0), Ok(0)]);
    assert_eq!(seen.after_reset, [Err(ConnectionReset), Ok(0)]);
    assert!(seen.verdict.holds(), "{}", seen.verdict);
}

#[test]
fn udp_drops_silently_and_tcp_makes_the_sender_wait() {
    let datagrams = 20_000;
    let seen = within(STEP, move || {
        page53::udp_flood::run(&mut Vec::new(), datagrams).unwrap()
    });
    for round in [seen.late_reader, seen.slow_reader] {
        assert_eq!(round.sent, datagrams);
        assert_eq!(round.send_errors, 0, "the UDP sender sees no error");
        assert!(round.received > 0 && round.lost() > 0, "{round:?}");
    }
    // The kernel's own count of drops covers at least the datagrams this run lost.
    if let Some(drops) = seen.late_reader.rcvbuf_errors {
        assert!(drops >= seen.late_reader.lost(), "{:?}", seen.late_reader);
    }
    assert_eq!(seen.tcp.sent, datagrams);
    assert_eq!(seen.tcp.received, datagrams, "TCP loses nothing");
    assert!(
        seen.tcp_longest_send.as_millis() >= 50,
        "the TCP sender never waited: {:?}",
        seen.tcp_longest_send
    );
    assert!(seen.verdict.holds(), "{}", seen.verdict);
}

#[test]
fn each_subcommand_ends_with_its_verdict() {
    for (claim, verdict) in [
        ("half-close", "verdict: holds — "),
        ("shut-rd", "verdict: differs on this system — "),
        ("close-vs-shutdown", "verdict: holds — "),
        ("eof-vs-wouldblock", "verdict: holds — "),
        ("udp-flood", "verdict: holds — "),
    ] {
        let mut command = Command::new(env!("CARGO_BIN_EXE_page53"));
        command.arg(claim).timeout(STEP);
        if claim == "udp-flood" {
            command.args(["--datagrams", "20000"]);
        }
        let output = command
            .assert()
            .success()
            .stderr("")
            .get_output()
            .stdout
            .clone();
        let text = String::from_utf8(output).unwrap();
        assert!(text.starts_with("claim (page 53): "), "{text}");
        let last = text.lines().last().unwrap();
        assert!(last.starts_with(verdict), "{claim}: {last}");
    }
    Command::new(env!("CARGO_BIN_EXE_page53"))
        .arg("no-such-claim")
        .timeout(STEP)
        .assert()
        .code(2)
        .stderr(predicate::str::starts_with("error: "));
}
