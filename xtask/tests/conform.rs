//! `cargo xtask conform` as a reader uses it: every workspace implementation passes its
//! family; deliberately wrong implementations (the fixtures in `tests/fixtures`) fail the
//! right cases; a command that cannot serve gets an error naming it.

mod common;

use std::process::Command;

use common::{read_json, xtask};

const MUTANTS: &str = env!("CARGO_BIN_EXE_conform-mutants");

/// `cargo xtask conform ARGS...`, with a short patience for the cases that must fail by
/// waiting in vain.
fn conform(args: &[&str]) -> (Option<i32>, String, String) {
    conform_with(args, &["--timeout", "1.5"])
}

/// `cargo xtask conform ARGS... MORE...`.
fn conform_with(args: &[&str], more: &[&str]) -> (Option<i32>, String, String) {
    xtask(&[&["conform"], args, more].concat())
}

/// The report's verdict for a case: `pass`, `FAIL` or `skipped`.
fn verdict<'a>(report: &'a str, case: &str) -> &'a str {
    report
        .lines()
        .find(|l| l.split_whitespace().nth(1) == Some(case))
        .and_then(|l| l.split_whitespace().next())
        .unwrap_or_else(|| panic!("no case {case} in {report}"))
}

/// Runs each job on its own thread, at once: the conform runs mostly wait (on sockets, on
/// time-outs), so they need not wait for each other.
fn all_at_once<T, F>(jobs: impl IntoIterator<Item = F>) -> Vec<T>
where
    T: Send + 'static,
    F: FnOnce() -> T + Send + 'static,
{
    let threads: Vec<_> = jobs.into_iter().map(std::thread::spawn).collect();
    threads.into_iter().map(|t| t.join().unwrap()).collect()
}

#[test]
#[ignore = "slow: every workspace implementation of every family, as processes (tests/ runs the same tables in-process)"]
fn every_workspace_implementation_passes_its_family() {
    let families = ["3-1", "3-2", "zen"];
    let dir = tempfile::tempdir().unwrap();
    let jobs = families.iter().map(|family| {
        let json = dir.path().join(format!("{family}.json"));
        let family = family.to_string();
        move || {
            // The default patience: nothing here should wait in vain, and a client of a
            // busy machine whose SYN met a full listen queue of 5 retries after 1 s and
            // then 3 s (`hundred-clients` against `srv_legacy1`).
            let result = conform_with(&[&family, "--json", json.to_str().unwrap()], &[]);
            (family, result)
        }
    });
    for (family, (code, stdout, stderr)) in all_at_once(jobs) {
        let json = dir.path().join(format!("{family}.json"));
        assert_eq!(code, Some(0), "{family}: {stdout}\n{stderr}");
        let report = read_json(&json);
        assert_eq!(report["family"], family.as_str());
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

/// The deliberately wrong implementations, each run at once on its own thread.
#[test]
fn mutants_fail_the_right_cases_and_bad_commands_are_named() {
    // Each run's arguments, with the mutants' commands quoted as a reader would quote them.
    let runs: Vec<Vec<String>> = [
        "3-2 --server '{M} a-to-y {port}' \
         --case half-close-at-once,the-books-message,all-byte-values,one-mib-every-byte",
        "3-2 --server '{M} no-close {port}' --case half-close-at-once",
        "zen --server '{M} ugly {port}' --case unknown-question",
        "zen --server '{M} ugly {port}' --case three-questions-every-order",
        "3-2 --client '{M} str-client {host} {bytecount} {port}' --case sixteen-bytes",
        "3-1 --server false",
        "3-1 --server 'sleep 60'",
        "3-1 --server \"'unbalanced\"",
        "udp-local --server '{M} udp-echo {port}'",
        "udp-remote --client '{M} udp-once {host} {port}' \
         --case the-reply,retry-schedule,gives-up",
        "zen --server '{M} ugly {port}' --case unknown-question,no-such-case",
    ]
    .iter()
    .map(|run| shlex::split(&run.replace("{M}", MUTANTS)).unwrap())
    .collect();
    let results = all_at_once(runs.into_iter().map(|args| {
        move || {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            conform(&args)
        }
    }));

    // An uppercase server that forgets z fails where z is, and the report shows the bytes,
    // Python-style, marking the first difference: b'z'.
    let (code, stdout, _) = &results[0];
    assert_eq!(*code, Some(1), "{stdout}");
    assert_eq!(verdict(stdout, "half-close-at-once"), "pass");
    for case in ["the-books-message", "all-byte-values", "one-mib-every-byte"] {
        assert_eq!(verdict(stdout, case), "FAIL", "{case}: {stdout}");
    }
    assert!(stdout.contains("first difference at byte 122"), "{stdout}");

    // An uppercase server that never closes.
    let (code, stdout, _) = &results[1];
    assert_eq!(*code, Some(1), "{stdout}");
    assert_eq!(verdict(stdout, "half-close-at-once"), "FAIL");
    assert!(
        stdout.contains("no end of file from the server"),
        "{stdout}"
    );
    assert!(
        stdout.ends_with("0 passed, 1 failed, 0 skipped\n"),
        "{stdout}"
    );

    // A Zen server that answers Ugly without its dot: fine where Beautiful is not asked.
    let (code, stdout, _) = &results[2];
    assert_eq!(*code, Some(0), "a case without Beautiful passes: {stdout}");
    let (code, stdout, _) = &results[3];
    assert_eq!(*code, Some(1), "{stdout}");
    assert!(stdout.contains("(got b'Ugly')"), "{stdout}");

    // A client that prints str instead of bytes: right on the wire, wrong on the page.
    let (code, stdout, _) = &results[4];
    assert_eq!(*code, Some(1), "{stdout}");
    assert_eq!(verdict(stdout, "sixteen-bytes"), "FAIL");
    assert!(
        !stdout.contains("did not send the book's stream"),
        "{stdout}"
    );

    // Commands that cannot serve are named.
    let (code, stdout, stderr) = &results[5];
    assert_eq!(*code, Some(1));
    assert!(
        stdout.contains("the server command `false` exited"),
        "{stdout}{stderr}"
    );
    let (code, stdout, _) = &results[6];
    assert_eq!(*code, Some(1));
    assert!(
        stdout.contains("the server command `sleep 60` did not listen on 127.0.0.1:"),
        "{stdout}"
    );
    let (code, _, stderr) = &results[7];
    assert_eq!(*code, Some(1));
    assert!(stderr.contains("unbalanced quotes"), "{stderr}");
    // A --case that names no case is a usage error, even beside one that does.
    let (code, _, stderr) = &results[10];
    assert_eq!(*code, Some(2), "{stderr}");
    assert!(
        stderr.contains("no case \"no-such-case\" in family zen"),
        "{stderr}"
    );

    // A UDP server that echoes instead of answering with the length fails every case.
    let (code, stdout, _) = &results[8];
    assert_eq!(*code, Some(1), "{stdout}");
    assert!(
        stdout.ends_with("0 passed, 6 failed, 0 skipped\n"),
        "{stdout}"
    );
    assert!(stdout.contains("answered 'x' to 1 bytes"), "{stdout}");
    // A client without the back-off: the reply is right, the schedule and give-up are not.
    let (code, stdout, _) = &results[9];
    assert_eq!(*code, Some(1), "{stdout}");
    assert_eq!(verdict(stdout, "the-reply"), "pass");
    assert_eq!(verdict(stdout, "retry-schedule"), "FAIL");
    assert_eq!(verdict(stdout, "gives-up"), "FAIL");
}

/// A TLS server written for this test (not the book's): Python's ssl module, which ends
/// the stream without close_notify, as the book's safe_tls.py does.
const NO_CLOSE_NOTIFY: &str = "python3 -c \"import socket, ssl, sys; \
    c = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH); c.load_cert_chain(sys.argv[1]); \
    s = socket.create_server(('127.0.0.1', int(sys.argv[2]))); k, _ = s.accept(); \
    t = c.wrap_socket(k, server_side=True); t.sendall(b'Simple is better than complex.'); \
    t.close()\" {certfile} {port}";

#[test]
fn tls_every_port_passes_and_a_server_without_close_notify_fails_that_case() {
    let python_ssl = Command::new("python3")
        .args(["-c", "import ssl"])
        .output()
        .is_ok_and(|o| o.status.success());
    let (code, stdout, stderr) = conform_with(&["tls"], &[]);
    assert_eq!(code, Some(0), "{stdout}\n{stderr}");
    for implementation in [
        "server safe_tls",
        "client safe_tls",
        "server test_tls",
        "client test_tls",
    ] {
        assert!(stdout.contains(implementation), "{stdout}");
    }
    assert_eq!(verdict(&stdout, "wrong-name"), "pass");
    if !python_ssl {
        eprintln!("skipped the mutant: needs python3 with its ssl module");
        return;
    }
    let (code, stdout, stderr) = conform(&[
        "tls",
        "--server",
        NO_CLOSE_NOTIFY,
        "--case",
        "tls13,payload-whole,close-notify-sent",
    ]);
    assert_eq!(code, Some(1), "{stdout}\n{stderr}");
    assert_eq!(verdict(&stdout, "tls13"), "pass", "{stdout}");
    assert_eq!(verdict(&stdout, "payload-whole"), "pass", "{stdout}");
    assert_eq!(verdict(&stdout, "close-notify-sent"), "FAIL", "{stdout}");
    assert!(
        stdout.ends_with("2 passed, 1 failed, 0 skipped\n"),
        "{stdout}"
    );
}

/// `conform http-client`: the four levels of http_get against the httpbin stand-in, as
/// processes, judged by what the stand-in saw; a client that prints without fetching
/// fails every case that looks at the wire.
#[test]
#[ignore = "slow: builds httpbin and http_get, runs the http-client table five times"]
fn http_client_levels_pass_but_ureq_and_a_client_that_never_fetches_fails() {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("http.json");
    let (_, stdout, stderr) = conform_with(&["http-client", "--json", json.to_str().unwrap()], &[]);
    let report = read_json(&json);
    assert_eq!(report["family"], "http-client", "{stdout}\n{stderr}");
    let implementations = report["implementations"].as_array().unwrap();
    assert_eq!(implementations.len(), 4);
    for implementation in implementations {
        let name = implementation["name"].as_str().unwrap();
        let failed: Vec<&str> = implementation["cases"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["verdict"] == "fail")
            .map(|c| c["id"].as_str().unwrap())
            .collect();
        let expected: &[&str] = if name.ends_with("ureq") {
            &[
                "redirect-307-keeps-post",
                "redirect-308-keeps-post",
                "deflate-decoded",
            ]
        } else {
            &[]
        };
        assert_eq!(failed, expected, "{name}: {}", implementation["cases"]);
    }
    let (code, stdout, _) = conform_with(&["http-client", "--client", "echo {url}"], &[]);
    assert_ne!(code, Some(0));
    for case in [
        "redirect-followed",
        "cookie-kept-across-redirect",
        "truncated-body-is-an-error",
    ] {
        assert_eq!(verdict(&stdout, case), "FAIL", "{stdout}");
    }
}

/// `conform http-server`: the four Chapter 10 servers, as processes, pass every case of
/// RFC 9110 and 9112's table, and the whole table (a 1 MiB header, a 100 KiB target, a
/// Content-Length past any integer among them) leaves each under 32 MiB at its peak.
#[test]
#[ignore = "slow: builds Chapter 10's servers and runs the http-server table four times"]
fn http_server_ports_pass_every_case_with_bounded_memory() {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("http-server.json");
    let (code, stdout, stderr) =
        conform_with(&["http-server", "--json", json.to_str().unwrap()], &[]);
    assert_eq!(code, Some(0), "{stdout}\n{stderr}");
    let report = read_json(&json);
    let implementations = report["implementations"].as_array().unwrap();
    assert_eq!(implementations.len(), 4, "{stdout}");
    for implementation in implementations {
        let name = &implementation["name"];
        assert!(
            implementation["cases"]
                .as_array()
                .unwrap()
                .iter()
                .all(|c| c["verdict"] == "pass"),
            "{name}: {stdout}"
        );
        let peak = implementation["peak_bytes"].as_u64().unwrap();
        assert!(peak > 0 && peak < 32 * 1024 * 1024, "{name}: {peak} bytes");
    }
    assert!(
        stdout.contains("  peak memory after its cases: "),
        "{stdout}"
    );
}

/// A role the table has no cases for is a usage error in one line, status 2: not a run of
/// nothing that reports `0 passed, 0 failed` and exits 0.
#[test]
fn a_role_the_table_has_no_cases_for_is_refused() {
    for (args, said) in [
        (
            ["conform", "http-server", "--client", "anything"],
            "the http-server table checks servers only (it is the client); use --server",
        ),
        (
            ["conform", "dns", "--server", "true"],
            "the dns table checks clients only (its server is the stand-in dns_standin); use --client",
        ),
    ] {
        let (code, stdout, stderr) = xtask(&args);
        assert_eq!(code, Some(2), "{args:?}: {stdout} {stderr}");
        assert_eq!(stderr, format!("cargo xtask conform: {said}\n"), "{args:?}");
        assert!(stdout.is_empty(), "{stdout}");
    }
}
