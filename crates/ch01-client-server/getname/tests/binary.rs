//! `getname` as a reader runs it. Every case here is answered without the machine's
//! resolver: by `--resolve` (the departure), or by a numeric address.

use std::process::Command;

use geocoding_standin::testing::{finish, into_closed_pipe};

const BIN: &str = env!("CARGO_BIN_EXE_getname");

fn getname(args: &[&str]) -> geocoding_standin::testing::Ran {
    let mut command = Command::new(BIN);
    command.args(args);
    finish(command)
}

#[test]
fn it_prints_the_books_line_for_the_address_it_was_given() {
    let ran = getname(&["--resolve", "maps.google.com=127.0.0.1"]);
    assert_eq!(ran.code, Some(0), "{}", ran.stderr);
    assert_eq!(
        ran.stdout,
        "The IP address of maps.google.com is 127.0.0.1\n"
    );
}

#[test]
fn a_bad_resolve_entry_is_a_usage_error() {
    let ran = getname(&["--resolve", "maps.google.com=::1"]);
    assert_eq!(ran.code, Some(2));
    assert!(
        ran.stderr.contains("is not an IPv4 address"),
        "{}",
        ran.stderr
    );
}

#[test]
fn a_closed_stdout_is_one_line_and_status_1() {
    let mut command = Command::new(BIN);
    command.args(["--resolve", "maps.google.com=127.0.0.1"]);
    let (code, stderr) = into_closed_pipe(command);
    assert_eq!(code, Some(1));
    assert_eq!(
        stderr,
        "getname: cannot write to standard output: Broken pipe (os error 32)\n"
    );
}
