//! The `zen_client` binary as a reader runs it: the Zen client cases against scripted
//! servers (the bytes it sends, what it prints), and its errors.

use std::process::Command;

use conformance::runner::{Output, client_cases};
use conformance::zen::{ClientRun, assert_all_pass};
use testkit::{Process, STEP};

const BIN: &str = env!("CARGO_BIN_EXE_zen_client");

fn run(port: u16, _bytecount: u64, args: &[&str]) -> ClientRun {
    let mut command = Command::new(BIN);
    command
        .arg("127.0.0.1")
        .args(args)
        .args(["-p", &port.to_string()]);
    let (status, stdout, stderr) = Process::spawn(command).unwrap().finish(STEP).unwrap();
    ClientRun {
        success: status.success(),
        stdout,
        stderr,
        ..ClientRun::default()
    }
}

#[test]
fn passes_every_client_case() {
    let results = client_cases(catalog::Family::Zen, Output::Book, &run, &|_| true);
    assert_all_pass("zen_client", &results);
}

#[test]
fn refused_connection_is_one_line_and_status_1() {
    let port = testkit::process::free_port().unwrap();
    let result = run(port, 0, &[]);
    assert!(!result.success);
    assert_eq!(
        result.stderr,
        format!(
            "zen_client: cannot connect to 127.0.0.1 port {port}: Connection refused (os error 111)\n"
        )
    );
}

#[test]
fn malformed_command_lines_are_usage_errors() {
    for args in [&[][..], &["localhost", "-p", "http"], &["localhost", "-x"]] {
        let mut command = Command::new(BIN);
        command.args(args);
        let (status, stdout, stderr) = Process::spawn(command).unwrap().finish(STEP).unwrap();
        assert_eq!(status.code(), Some(2), "{args:?}");
        assert_eq!(stdout, "");
        assert!(stderr.starts_with("error: "), "{stderr}");
    }
}
