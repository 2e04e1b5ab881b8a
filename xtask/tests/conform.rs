//! `cargo xtask conform` as a reader uses it: every workspace implementation passes its
//! family; deliberately wrong implementations (the fixtures in `tests/fixtures`) fail the
//! right cases; a command that cannot serve gets an error naming it.

use std::process::Command;
use std::time::Duration;

use testkit::Process;

const XTASK: &str = env!("CARGO_BIN_EXE_xtask");
const MUTANTS: &str = env!("CARGO_BIN_EXE_conform-mutants");
const LIMIT: Duration = Duration::from_secs(300);

/// `cargo xtask conform ARGS...`, with a short patience for the cases that must fail by
/// waiting in vain.
fn conform(args: &[&str]) -> (Option<i32>, String, String) {
    let mut command = Command::new(XTASK);
    command.arg("conform").args(args).args(["--timeout", "3"]);
    let (status, stdout, stderr) = Process::spawn(command).unwrap().finish(LIMIT).unwrap();
    (status.code(), stdout, stderr)
}

/// The report's verdict for a case: `pass`, `FAIL` or `skipped`.
fn verdict<'a>(report: &'a str, case: &str) -> &'a str {
    report
        .lines()
        .find(|l| l.split_whitespace().nth(1) == Some(case))
        .and_then(|l| l.split_whitespace().next())
        .unwrap_or_else(|| panic!("no case {case} in {report}"))
}

#[test]
fn every_workspace_implementation_passes_its_family() {
    for family in ["3-1", "3-2", "zen"] {
        let dir = tempfile::tempdir().unwrap();
        let json = dir.path().join("report.json");
        let (code, stdout, stderr) = conform(&[family, "--json", json.to_str().unwrap()]);
        assert_eq!(code, Some(0), "{family}: {stdout}\n{stderr}");
        let report: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
        assert_eq!(report["family"], family);
        assert_eq!(report["failed"], 0);
        let passed = report["passed"].as_u64().unwrap();
        assert!(passed >= 8, "{family}: {passed} passed");
        assert!(
            stdout.ends_with(&format!(
                "{passed} passed, 0 failed, {} skipped\n",
                report["skipped"]
            )),
            "{stdout}"
        );
    }
}

#[test]
fn an_uppercase_server_that_forgets_z_fails_where_z_is() {
    let server = format!("{MUTANTS} a-to-y {{port}}");
    let (code, stdout, _) = conform(&["3-2", "--server", &server]);
    assert_eq!(code, Some(1), "{stdout}");
    assert_eq!(verdict(&stdout, "half-close-at-once"), "pass");
    for case in ["the-books-message", "all-byte-values", "one-mib-every-byte"] {
        assert_eq!(verdict(&stdout, case), "FAIL", "{case}: {stdout}");
    }
    // The report shows the bytes, Python-style, and marks the first difference: b'z'.
    assert!(stdout.contains("first difference at byte 122"), "{stdout}");
}

#[test]
fn an_uppercase_server_that_never_closes_fails() {
    let server = format!("{MUTANTS} no-close {{port}}");
    let (code, stdout, _) = conform(&["3-2", "--server", &server, "--case", "half-close-at-once"]);
    assert_eq!(code, Some(1), "{stdout}");
    assert_eq!(verdict(&stdout, "half-close-at-once"), "FAIL");
    assert!(
        stdout.contains("no end of file from the server"),
        "{stdout}"
    );
    assert!(
        stdout.ends_with("0 passed, 1 failed, 0 skipped\n"),
        "{stdout}"
    );
}

#[test]
fn a_zen_server_that_answers_ugly_without_its_dot_fails() {
    let server = format!("{MUTANTS} ugly {{port}}");
    let (code, stdout, _) = conform(&["zen", "--server", &server, "--case", "unknown-question"]);
    assert_eq!(code, Some(0), "a case without Beautiful passes: {stdout}");
    let (code, stdout, _) = conform(&[
        "zen",
        "--server",
        &server,
        "--case",
        "three-questions-every-order",
    ]);
    assert_eq!(code, Some(1), "{stdout}");
    assert!(stdout.contains("(got b'Ugly')"), "{stdout}");
}

#[test]
fn a_client_that_prints_str_instead_of_bytes_fails() {
    let client = format!("{MUTANTS} str-client {{host}} {{bytecount}} {{port}}");
    let (code, stdout, _) = conform(&["3-2", "--client", &client, "--case", "sixteen-bytes"]);
    assert_eq!(code, Some(1), "{stdout}");
    assert_eq!(verdict(&stdout, "sixteen-bytes"), "FAIL");
    // Its bytes on the wire were right: what failed is what it printed.
    assert!(
        !stdout.contains("did not send the book's stream"),
        "{stdout}"
    );
}

#[test]
fn a_command_that_exits_or_never_listens_is_named() {
    let (code, stdout, stderr) = conform(&["3-1", "--server", "false"]);
    assert_eq!(code, Some(1));
    assert!(
        stdout.contains("the server command `false` exited"),
        "{stdout}{stderr}"
    );
    let (code, stdout, _) = conform(&["3-1", "--server", "sleep 60"]);
    // Three seconds' patience, then the verdict.
    assert_eq!(code, Some(1));
    assert!(
        stdout.contains("the server command `sleep 60` did not listen on 127.0.0.1:"),
        "{stdout}"
    );
    let (code, _, stderr) = conform(&["3-1", "--server", "'unbalanced"]);
    assert_eq!(code, Some(1));
    assert!(stderr.contains("unbalanced quotes"), "{stderr}");
    let (code, _, stderr) = conform(&["3-2", "--case", "no-such-case"]);
    assert_eq!(code, Some(2), "{stderr}");
}
