//! `cargo xtask` as a reader uses it. Every session asks for a port the system chooses
//! (`--port 0`) instead of the book's 1060, so these tests run in parallel safely. The
//! slow runs (gibibytes, the benches) are in `slow.rs`.

mod common;

use common::*;
use testkit::mask_ports;

#[test]
fn run_3_1_shows_the_books_session() {
    let bin = bin("3-1");
    let (code, stdout, stderr) = run(&["3-1"]);
    assert_eq!(code, Some(0), "stderr: {stderr}");
    assert_server_gone(&stdout);
    assert_eq!(
        mask_ports(&without_port_choice(&stdout)),
        format!(
            "$ {bin} server 127.0.0.1 > server.log &\n\
             $ {bin} client localhost\n\
             Client has been assigned socket name ('127.0.0.1', PORT)\n\
             The server said b'Farewell, client'\n{SIXTEEN_SERVER_LOG}"
        )
    );
}

#[test]
fn run_uses_another_port_when_its_port_is_busy_and_says_so() {
    // Hold a port and ask for it, as when another program holds the book's 1060.
    let holder = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let held = holder.local_addr().unwrap().port().to_string();
    let bin = bin("3-1");
    let (code, stdout, stderr) = xtask(&["run", "--port", &held, bin]);
    assert_eq!(code, Some(0), "stderr: {stderr}");
    let note = stdout.lines().next().unwrap();
    assert!(
        note.starts_with(&format!("# port {held} is busy here")),
        "{stdout}"
    );
    let port = note
        .rsplit("on port ")
        .next()
        .unwrap()
        .split(' ')
        .next()
        .unwrap();
    assert!(stdout.contains(&format!("$ {bin} server 127.0.0.1 -p 0 > server.log &\n")));
    assert!(stdout.contains(&format!("$ {bin} client localhost -p {port}\n")));
    assert!(stdout.contains(&format!("Listening at ('127.0.0.1', {port})\n")));
    assert!(
        mask_ports(&stdout).ends_with(SIXTEEN_SERVER_LOG),
        "{stdout}"
    );
}

#[test]
fn a_failing_client_passes_its_status_on_and_the_server_is_stopped() {
    let (code, stdout, stderr) = run_built(&["3-1", "--bogus"]);
    assert_eq!(code, Some(2), "the client's usage error: {stdout} {stderr}");
    assert!(
        stdout.contains("$ cat server.log\nListening at"),
        "{stdout}"
    );
    assert_server_gone(&stdout);
}

/// An unknown name gets one line with the nearest IDs (it printed the whole table); a
/// name of several rows gets a line per row; a client with no session names the row.
#[test]
fn an_unknown_listing_gets_one_line_and_the_nearest_ids_and_exits_2() {
    for (name, said) in [
        (
            "3-3",
            "cargo xtask run: unknown listing \"3-3\"; did you mean 3-1, 3-2? (`cargo xtask \
             list` shows every ID)",
        ),
        (
            "tcp_sixten",
            "cargo xtask run: unknown listing \"tcp_sixten\"; did you mean 3-1? (`cargo xtask \
             list` shows every ID)",
        ),
        (
            "9-9x",
            "cargo xtask run: unknown listing \"9-9x\"; `cargo xtask list` shows every ID",
        ),
        (
            "zen_client",
            "cargo xtask run: \"zen_client\" (client.py, zen_client host [-e] [-p port]) has no \
             session of its own; `cargo xtask run srv_single` shows it",
        ),
    ] {
        let (code, stdout, stderr) = xtask(&["run", name]);
        assert_eq!(code, Some(2), "{name}: {stderr}");
        assert!(stdout.is_empty(), "{name}: {stdout}");
        assert_eq!(stderr.trim_end(), said);
    }
    let (code, _, stderr) = xtask(&["run", "page53"]);
    assert_eq!(code, Some(2));
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 6, "{stderr}");
    assert!(
        lines[1].starts_with("  cargo xtask run half-close "),
        "{stderr}"
    );
}

/// `--trace` where there is no connection to trace is refused, not ignored.
#[test]
fn a_flag_that_does_not_apply_is_refused_in_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let svg = dir.path().join("t.svg");
    let (code, stdout, stderr) = xtask(&["run", "--trace", svg.to_str().unwrap(), "srv_single"]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stdout.is_empty(), "{stdout}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("--trace draws one connection's socket queues"),
        "{stderr}"
    );
    assert!(!svg.exists());
}

#[test]
fn list_names_every_listing_with_book_crate_and_summary() {
    let (code, stdout, _) = xtask(&["list"]);
    assert_eq!(code, Some(0));
    let line = stdout
        .lines()
        .find(|l| l.starts_with("3-1 "))
        .expect("3-1 listed");
    let krate = catalog::by_id("3-1").unwrap().krate;
    for part in ["Listing 3-1", krate, "16 octets"] {
        assert!(line.contains(part), "{line}");
    }
}

/// A count of 0, a time that is not a finite number, or an output file in no directory,
/// is a usage error before anything is built or run.
#[test]
fn flags_out_of_range_are_usage_errors() {
    for (line, said) in [
        ("bench --clients 1,0", "must be at least 1"),
        ("bench --rounds 0", "must be at least 1"),
        ("deadlock --sizes 0", "must be at least 1"),
        ("bench zen --seconds nan", "must be a finite number above 0"),
        (
            "bench zen --open --rates 0",
            "must be a finite number above 0",
        ),
        (
            "conform 3-1 --timeout inf",
            "must be a finite number above 0",
        ),
        (
            "run --trace /no/such/dir/x.svg 3-2",
            "no directory /no/such/dir",
        ),
        (
            "bench zen --svg /no/such/dir/z.svg",
            "no directory /no/such/dir",
        ),
    ] {
        let (code, stdout, stderr) = xtask_line(line);
        assert_eq!(code, Some(2), "{line}: {stdout}{stderr}");
        assert!(stderr.contains(said), "{line}: {stderr}");
    }
}

/// --server-args reaches a Chapter 3 server (tcp_sixteen refuses an unknown option); a
/// program that runs alone has no server for it, and `run 7` takes no client arguments.
#[test]
fn server_args_reach_the_server_or_are_refused() {
    let (code, _, stderr) = run_built(&["--server-args", "--bogus", "3-1"]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("unexpected argument '--bogus'"), "{stderr}");
    let (code, _, stderr) = xtask_line("run --server-args x udp-flood");
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("no server for --server-args"), "{stderr}");
    let (code, _, stderr) = xtask_line("run 7 extra");
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("takes no client arguments"), "{stderr}");
}

#[test]
fn help_documents_the_exit_status() {
    let (code, stdout, _) = xtask(&["run", "--help"]);
    assert_eq!(code, Some(0));
    assert!(stdout.contains("Exit status: 0"), "{stdout}");
    assert!(stdout.contains("3 the transfer stalled"), "{stdout}");
}

#[test]
fn run_3_2_32_shows_the_normal_session() {
    let (code, stdout, stderr) = run_built(&["3-2", "32"]);
    assert_eq!(code, Some(0), "stderr: {stderr}");
    let transcript = mask_ports(&without_port_choice(&stdout));
    let (client, server) = transcript.split_once("$ cat server.log\n").unwrap();
    let client = client
        .strip_prefix(&format!(
            "$ {0} server 127.0.0.1 > server.log &\n$ {0} client localhost 32\n",
            bin("3-2")
        ))
        .unwrap_or_else(|| panic!("{transcript}"));
    conformance::transcripts::check_deadlock_client(client.as_bytes(), 32).unwrap();
    let connection = server
        .strip_prefix("Listening at ('127.0.0.1', PORT)\n")
        .unwrap_or_else(|| panic!("{server}"));
    conformance::transcripts::check_deadlock_server_connection(
        connection,
        "('127.0.0.1', PORT)",
        32,
    )
    .unwrap();
}

/// The nonblocking variant with 64 MiB, seven times what the buffers hold: the gibibyte is
/// the same default, and a test need not move it three times.
#[test]
fn run_3_2_nonblocking_streams_past_the_buffers() {
    variant_session("3-2-nonblocking", Some(64 << 20));
}

#[test]
fn every_page_53_demonstration_runs_and_ends_with_its_verdict() {
    // All at once; udp-flood with 2,000 datagrams, still far more than a late reader's
    // buffer holds (its recorded session sends 20,000).
    let runs: Vec<_> = [
        ("half-close", "verdict: holds — "),
        ("shut-rd", "verdict: differs on this system — "),
        ("close-vs-shutdown", "verdict: holds — "),
        ("eof-vs-wouldblock", "verdict: holds — "),
        ("udp-flood", "verdict: holds — "),
    ]
    .map(|(id, verdict)| {
        std::thread::spawn(move || {
            let mut args = vec![id];
            if id == "udp-flood" {
                args.extend(["--datagrams", "2000"]);
            }
            (id, verdict, run_built(&args))
        })
    })
    .into_iter()
    .collect();
    for handle in runs {
        let (id, verdict, (code, stdout, stderr)) = handle.join().unwrap();
        assert_eq!(code, Some(0), "{id}: {stderr}");
        let mut lines = stdout.lines();
        let first = lines.next().unwrap_or_default();
        assert!(
            first.starts_with(&format!("$ {} {id}", bin(id))),
            "{stdout}"
        );
        let claim = lines.next().unwrap_or_default();
        assert!(claim.starts_with("claim (page 53): "), "{stdout}");
        let last = stdout.lines().last().unwrap();
        assert!(last.starts_with(verdict), "{id}: {last}");
    }
}

/// `cargo xtask run 7`, the book's `test.sh`: every Chapter 7 server in turn with both
/// clients, ending with one line per server saying its session was the book's.
#[test]
fn run_7_runs_every_chapter_7_server_and_says_each_was_right() {
    let (code, stdout, stderr) = run_built(&["7"]);
    assert_eq!(code, Some(0), "{stdout}\n{stderr}");
    let summary: Vec<&str> = stdout
        .rsplit("===========\n")
        .next()
        .unwrap()
        .lines()
        .collect();
    let (servers, client) = zen_servers();
    assert_eq!(summary.len(), servers.len(), "{stdout}");
    for (line, listing) in summary.iter().zip(&servers) {
        let server = listing.id;
        let verdict = line
            .strip_prefix(server)
            .unwrap_or_else(|| panic!("{line}"))
            .trim();
        let skipped_inetd = listing.needs.super_server && verdict.starts_with("skipped: ");
        assert!(verdict.starts_with("right") || skipped_inetd, "{line}");
        assert!(
            stdout.contains(&format!("=========== {server} ===========\n")),
            "{stdout}"
        );
    }
    // The two clients of each session, as test.sh runs them.
    let cut = format!("$ {client} localhost -e -p ");
    assert_eq!(stdout.matches(&cut).count(), servers.len());
}

#[test]
fn chapter_6_sessions_make_certificates_and_show_both_sides() {
    let (code, stdout, stderr) = run_built(&["6-safe"]);
    assert_eq!(code, Some(0), "{stdout}\n{stderr}");
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines[0], "$ cargo xtask certs certs");
    assert!(
        lines[1].starts_with("$ safe_tls -s certs/localhost.pem 127.0.0.1 "),
        "{stdout}"
    );
    assert!(
        lines.contains(&"b'Simple is better than complex.'"),
        "{stdout}"
    );
    assert!(
        stdout.contains("\nConnection from host '127.0.0.1' and port "),
        "{stdout}"
    );
    // The server's close_notify: the client has nothing to warn about.
    assert!(!stderr.contains("close_notify"), "{stderr}");
    let (code, stdout, stderr) = run_built(&["6-test", "-p", "TLSv1_2"]);
    assert_eq!(code, Some(0), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("\nProtocol version negotiated......... TLSv1.2\n"),
        "{stdout}"
    );
    assert!(
        stdout.contains("Cipher chosen for this connection... ECDHE-ECDSA-AES256-GCM-SHA384"),
        "{stdout}"
    );
    assert!(
        stdout.contains("Certificates loaded of type x509_ca. 1"),
        "{stdout}"
    );
}

/// As a reader runs it, with no directory: the files go under the workspace's target
/// directory, which git ignores, and not into the working directory.
#[test]
fn certs_without_a_directory_writes_under_target() {
    // The target directory as cargo reports it: `target/`, or wherever
    // CARGO_TARGET_DIR (or cargo's configuration) puts it.
    let mut metadata = testkit::cargo();
    metadata
        .args(["metadata", "--no-deps", "--format-version", "1"])
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."));
    let metadata = metadata.output().unwrap();
    assert!(metadata.status.success(), "cargo metadata failed");
    let metadata: serde_json::Value = serde_json::from_slice(&metadata.stdout).unwrap();
    let target = std::path::PathBuf::from(metadata["target_directory"].as_str().unwrap());
    let (code, stdout, stderr) = xtask(&["certs"]);
    assert_eq!(code, Some(0), "{stderr}");
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{stdout}");
    for (line, file) in lines.iter().zip(["ca.crt", "localhost.pem"]) {
        let path = std::path::Path::new(line);
        assert_eq!(path, target.join("certs").join(file), "{line}");
        assert!(path.is_file(), "{line}");
    }
}

#[test]
fn certs_writes_a_ca_and_a_private_localhost_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("made");
    let (code, stdout, stderr) = xtask(&["certs", target.to_str().unwrap()]);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(stdout.lines().count(), 2, "{stdout}");
    let ca = std::fs::read_to_string(target.join("ca.crt")).unwrap();
    assert!(ca.starts_with("-----BEGIN CERTIFICATE-----"), "{ca}");
    let leaf = std::fs::read_to_string(target.join("localhost.pem")).unwrap();
    // Spelt in two pieces, so that the tidy test's search for a committed key finds
    // nothing in this file.
    assert!(
        leaf.contains(concat!("-----BEGIN PRIVATE", " KEY-----")),
        "{leaf}"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(target.join("localhost.pem"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o077, 0, "the key is readable by others: {mode:o}");
    }
}

/// `cargo xtask run 3-1 | head -1` panicked in `println!`; every quick task now says one
/// line and exits 1 (the heavy ones are in the slow tests).
#[test]
fn every_quick_task_into_a_closed_pipe_says_one_line_and_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    let certs = dir.path().join("c");
    for args in [
        &["list"][..],
        &["run", "--port", "0", "3-1"],
        &["run", "--port", "0", "half-close"],
        &["run", "--port", "0", "5-2"],
        &["certs", certs.to_str().unwrap()],
        &["conform", "3-1"],
    ] {
        assert_one_line_for_a_closed_pipe(args, false);
    }
}

/// A tour stops each stand-in after the last step that needs it, and shows its log there:
/// each of Chapter 10's servers is gone before the next starts (so each can have the
/// book's 1060), and its log follows its own steps.
#[test]
fn a_tour_stops_each_server_before_the_next_and_shows_its_log_there() {
    let (code, stdout, stderr) = run_built(&["10"]);
    assert_eq!(code, Some(0), "{stdout}\n{stderr}");
    let commands: Vec<&str> = stdout
        .lines()
        .filter(|l| l.starts_with("$ "))
        .map(|l| l.split(' ').nth(1).unwrap_or_default())
        .collect();
    assert_eq!(
        commands,
        [
            "wsgi_env",
            "http_get",
            "cat",
            "timeapp_raw",
            "timeapp_test",
            "cat",
            "timeapp_werkz",
            "timeapp_test",
            "cat",
            "timeapp_webob",
            "timeapp_test",
            "cat"
        ],
        "{stdout}"
    );
    assert!(!stdout.contains(" is busy here"), "{stdout}");
    // Chapter 1's one stand-in serves the whole tour, and its log comes last.
    let (code, stdout, stderr) = run_built(&["1"]);
    assert_eq!(code, Some(0), "{stdout}\n{stderr}");
    let cats = stdout.lines().filter(|l| l.starts_with("$ cat ")).count();
    assert!(
        stdout
            .trim_end()
            .lines()
            .rev()
            .any(|l| l == "$ cat standin.log")
    );
    assert_eq!(stdout.matches("> standin.log &").count(), 1, "{stdout}");
    assert!(cats >= 1, "{stdout}");
}
