//! `in_zen2` under a real super-server, `systemd-socket-activate --inetd` (wait mode: the
//! listening socket on standard input): the Zen conformance cases, held to the log file;
//! the idle time-out with the book's message; and the error from a terminal.

use std::path::Path;
use std::process::Command;

use conformance::zen::HEAVY_CASES;
use testkit::{Process, STEP};

const BIN: &str = env!("CARGO_BIN_EXE_in_zen2");

fn start(log: &Path, idle: &str) -> (Process, u16) {
    Process::server_on_free_port(
        |port| {
            let mut command = testkit::inetd::command(false, port, Path::new(BIN));
            command.args(["--idle", idle, "--log"]).arg(log);
            command
        },
        STEP,
    )
    .unwrap()
}

#[test]
fn answers_every_case_under_systemd_socket_activate() {
    cases(|id| !HEAVY_CASES.contains(&id));
}

#[test]
#[ignore = "slow: 600 conversations, and 50 slow writers, through the super-server"]
fn answers_the_heavy_cases_under_systemd_socket_activate() {
    cases(|id| HEAVY_CASES.contains(&id));
}

/// The table's cases that `pick` picks, held to the log file.
fn cases(pick: impl Fn(&str) -> bool) {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("zen.log");
    conformance::zen_binaries::under_super_server(BIN, false, &["--idle", "120"], &log, pick);
}

#[test]
fn after_the_idle_time_it_says_so_and_exits() {
    if !testkit::inetd::installed_or_skip() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("zen.log");
    let (mut inetd, port) = start(&log, "0.5");
    let mut sock = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    sock.set_read_timeout(Some(STEP)).unwrap();
    std::io::Write::write_all(&mut sock, b"Simple is better than?").unwrap();
    let mut answer = [0; 8];
    std::io::Read::read_exact(&mut sock, &mut answer).unwrap();
    assert_eq!(&answer, b"Complex.");
    drop(sock);
    // The super-server ran in_zen2 in its own process: it exits after the idle time.
    let status = inetd.wait_exit(STEP).expect("in_zen2 exits once idle");
    assert!(status.success(), "{status}");
    let text = std::fs::read_to_string(&log).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{text}");
    assert!(lines[0].starts_with("Accepted connection from ('127.0.0.1', "));
    assert!(lines[1].starts_with("Client socket to ('127.0.0.1', "));
    assert_eq!(
        lines[2],
        "Waited 0.5 seconds with no further connections; shutting down"
    );
}

#[test]
fn from_a_terminal_it_says_it_needs_a_super_server() {
    let (status, stdout, stderr) = Process::spawn(Command::new(BIN))
        .unwrap()
        .finish(STEP)
        .unwrap();
    assert_eq!(status.code(), Some(1));
    assert_eq!(stdout, "");
    assert!(
        stderr.starts_with("in_zen2: standard input is not a listening socket: "),
        "{stderr}"
    );
}
