//! What every binary's tests check of its command line, written once: the program's
//! name as it signs its errors, a run to its end, and argparse's usage errors.

use std::path::Path;
use std::process::Command;

use testkit::{Process, STEP};

/// The program's name, as it signs its one-line errors (`tcp_sixteen: ...`).
pub fn name(bin: &str) -> String {
    Path::new(bin)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Runs `bin ARGS...` to its end (at most [`STEP`]): its status code, stdout and stderr.
pub fn run(bin: &str, args: &[&str]) -> (Option<i32>, String, String) {
    let mut command = Command::new(bin);
    command.args(args);
    let (status, stdout, stderr) = Process::spawn(command).unwrap().finish(STEP).unwrap();
    (status.code(), stdout, stderr)
}

/// Each of these command lines is a usage error: exit status 2, nothing on stdout, and
/// clap's `error: ...` on stderr, as argparse gives.
pub fn usage_errors(bin: &str, bad: &[&[&str]]) {
    for args in bad {
        let (code, stdout, stderr) = run(bin, args);
        assert_eq!(code, Some(2), "{args:?}: {stderr}");
        assert_eq!(stdout, "");
        assert!(stderr.starts_with("error: "), "{stderr}");
    }
}
