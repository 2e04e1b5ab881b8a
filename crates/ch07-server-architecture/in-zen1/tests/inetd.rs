//! `in_zen1` under a real super-server, `systemd-socket-activate --inetd -a` (one process
//! per connection, the connection on standard input): the Zen conformance cases, held to
//! the log file; and the error a reader gets when starting it from a terminal.

use std::path::Path;
use std::process::Command;

use conformance::zen::{HEAVY_CASES, assert_all_pass, run_server_cases_where};
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
    if !testkit::inetd::installed_or_skip() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("zen.log");
    let (_inetd, port) = Process::server_on_free_port(
        |port| {
            let mut command = testkit::inetd::command(true, port, Path::new(BIN));
            command.arg("--log").arg(&log);
            command
        },
        STEP,
    )
    .unwrap();
    let known = catalog::by_crate(env!("CARGO_PKG_NAME")).unwrap();
    let read = || std::fs::read_to_string(&log).unwrap_or_default();
    let results = run_server_cases_where(
        &conformance::zen::Target::of(known, port),
        Some((known.log, &read)),
        &[],
        pick,
    );
    assert_all_pass("in_zen1", &results);
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
