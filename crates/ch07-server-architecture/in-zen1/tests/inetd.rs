//! `in_zen1` under a real super-server, `systemd-socket-activate --inetd -a` (one process
//! per connection, the connection on standard input): the Zen conformance cases, held to
//! the log file; and the error a reader gets when starting it from a terminal.

use std::process::Command;

use conformance::zen::HEAVY_CASES;
use testkit::{Process, STEP};

const BIN: &str = env!("CARGO_BIN_EXE_in_zen1");

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
    conformance::zen_binaries::under_super_server(BIN, true, &[], &log, pick);
}

#[test]
fn from_a_terminal_it_says_it_needs_a_super_server() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("zen.log");
    let mut command = Command::new(BIN);
    command.arg("--log").arg(&log);
    let (status, stdout, stderr) = Process::spawn(command).unwrap().finish(STEP).unwrap();
    assert_eq!(status.code(), Some(1));
    assert_eq!(stdout, "");
    assert!(
        stderr.starts_with("in_zen1: standard input is not a connected socket: "),
        "{stderr}"
    );
    assert!(
        stderr.contains("systemd-socket-activate --inetd -a"),
        "{stderr}"
    );
    assert!(!log.exists(), "nothing was logged");
}
