//! `cargo xtask` as a reader uses it. Every session asks for a port the system chooses
//! (`--port 0`) instead of the book's 1060, so these tests run in parallel safely.

use std::process::Command;
use std::time::Duration;

use testkit::{Process, kernel, mask_ports};

const XTASK: &str = env!("CARGO_BIN_EXE_xtask");
/// Includes building the listing, which may compile it the first time.
const LIMIT: Duration = Duration::from_secs(300);

fn xtask(args: &[&str]) -> (Option<i32>, String, String) {
    let mut command = Command::new(XTASK);
    command.args(args);
    let (status, stdout, stderr) = Process::spawn(command).unwrap().finish(LIMIT).unwrap();
    (status.code(), stdout, stderr)
}

/// `cargo xtask run --port 0 ARGS...`.
fn run(args: &[&str]) -> (Option<i32>, String, String) {
    let mut all = vec!["run", "--port", "0"];
    all.extend_from_slice(args);
    xtask(&all)
}

/// The port the session's server listened on, from its `-p N` on the client's line.
fn session_port(stdout: &str) -> u16 {
    let line = stdout
        .lines()
        .find(|l| l.starts_with("$ ") && l.contains(" client ") && l.contains(" -p "))
        .unwrap_or_else(|| panic!("no client line with a port in {stdout}"));
    line.rsplit(" -p ").next().unwrap().parse().unwrap()
}

/// The session's server is gone: nothing listens on its port any more.
fn assert_server_gone(stdout: &str) {
    let port = session_port(stdout);
    assert_ne!(
        kernel::listening_anywhere(port),
        Some(true),
        "something still listens on the session's port {port}"
    );
}

const SIXTEEN_SERVER_LOG: &str = "$ cat server.log\n\
    Listening at ('127.0.0.1', PORT)\n\
    Waiting to accept a new connection\n\
    We have accepted a connection from ('127.0.0.1', PORT)\n  \
    Socket name: ('127.0.0.1', PORT)\n  \
    Socket peer: ('127.0.0.1', PORT)\n  \
    Incoming sixteen-octet message: b'Hi there, server'\n  \
    Reply sent, socket closed\n\
    Waiting to accept a new connection\n";

/// Drops the `-p N` options and any busy-port note.
fn without_port_choice(transcript: &str) -> String {
    transcript
        .lines()
        .filter(|line| !line.starts_with("# port "))
        .map(|line| {
            let mut line = line.to_string();
            if let (true, Some(at)) = (line.starts_with("$ "), line.find(" -p ")) {
                let end = line[at + 4..].find(' ').map_or(line.len(), |e| at + 4 + e);
                line.replace_range(at..end, "");
            }
            line + "\n"
        })
        .collect()
}

#[test]
fn run_3_1_shows_the_books_session() {
    let (code, stdout, stderr) = run(&["3-1"]);
    assert_eq!(code, Some(0), "stderr: {stderr}");
    assert_server_gone(&stdout);
    assert_eq!(
        mask_ports(&without_port_choice(&stdout)),
        format!(
            "$ tcp_sixteen server 127.0.0.1 > server.log &\n\
             $ tcp_sixteen client localhost\n\
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
    let (code, stdout, stderr) = xtask(&["run", "--port", &held, "tcp_sixteen"]);
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
    assert!(stdout.contains("$ tcp_sixteen server 127.0.0.1 -p 0 > server.log &\n"));
    assert!(stdout.contains(&format!("$ tcp_sixteen client localhost -p {port}\n")));
    assert!(stdout.contains(&format!("Listening at ('127.0.0.1', {port})\n")));
    assert!(
        mask_ports(&stdout).ends_with(SIXTEEN_SERVER_LOG),
        "{stdout}"
    );
}

#[test]
fn a_failing_client_passes_its_status_on_and_the_server_is_stopped() {
    let (code, stdout, stderr) = run(&["3-1", "--bogus"]);
    assert_eq!(code, Some(2), "the client's usage error: {stdout} {stderr}");
    assert!(
        stdout.contains("$ cat server.log\nListening at"),
        "{stdout}"
    );
    assert_server_gone(&stdout);
}

#[test]
fn unknown_listing_lists_the_valid_ones_and_exits_2() {
    let (code, stdout, stderr) = xtask(&["run", "9-9"]);
    assert_eq!(code, Some(2));
    assert!(stdout.is_empty());
    assert!(stderr.contains("unknown listing \"9-9\""), "{stderr}");
    assert!(stderr.contains("3-1 "), "{stderr}");
}

#[test]
fn list_names_every_listing_with_book_crate_and_summary() {
    let (code, stdout, _) = xtask(&["list"]);
    assert_eq!(code, Some(0));
    let line = stdout
        .lines()
        .find(|l| l.starts_with("3-1 "))
        .expect("3-1 listed");
    for part in ["Listing 3-1", "tcp-sixteen", "16 octets"] {
        assert!(line.contains(part), "{line}");
    }
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
    let (code, stdout, stderr) = run(&["3-2", "32"]);
    assert_eq!(code, Some(0), "stderr: {stderr}");
    let transcript = mask_ports(&without_port_choice(&stdout));
    let (client, server) = transcript.split_once("$ cat server.log\n").unwrap();
    let client = client
        .strip_prefix(
            "$ tcp_deadlock server 127.0.0.1 > server.log &\n$ tcp_deadlock client localhost 32\n",
        )
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

#[test]
fn run_3_2_with_a_gibibyte_stops_the_deadlock_explains_it_and_leaves_nothing_behind() {
    let dir = tempfile::tempdir().unwrap();
    let svg = dir.path().join("trace.svg");
    let started = std::time::Instant::now();
    let (code, stdout, stderr) = run(&["--trace", svg.to_str().unwrap(), "3-2", "1073741824"]);
    assert_eq!(code, Some(3), "stderr: {stderr}");
    // Ends by itself, seconds after the stall (plus any build time).
    assert!(started.elapsed() < Duration::from_secs(120));
    let report = stdout
        .split("The transfer stalled")
        .nth(1)
        .unwrap_or_else(|| panic!("{stdout}"));
    let sent = count_between(report, "  client: ", " of 1073741824 bytes sent");
    let processed = count_between(report, "  server: ", " bytes processed");
    // On Linux's loopback the stall comes after megabytes: never below 4 MiB with the
    // default buffers, far below 1 GiB.
    assert!(sent > 4 << 20 && sent < 64 << 20, "sent {sent}");
    assert!(processed > 0 && processed < sent, "processed {processed}");
    assert!(
        report.contains("blocked in sendto() of 16 bytes"),
        "{report}"
    );
    assert!(report.contains("This is the deadlock of page 53"));
    assert!(report.contains("3-2-threaded") && report.contains("3-2-nonblocking"));
    // The server log stops where the stall froze it, with no failure caused by stopping.
    assert!(!stdout.contains(" failed: "), "{stdout}");
    // Both processes are gone.
    for who in ["client (pid ", "server (pid "] {
        let pid = report.split(who).nth(1).unwrap().split(')').next().unwrap();
        assert!(
            !std::path::Path::new(&format!("/proc/{pid}")).exists(),
            "{who}{pid}) is still there"
        );
    }
    // The trace (`--trace`) sampled the four queues through the stall and ends with the
    // deadlock's picture: all four hold data.
    assert!(stdout.contains("client's send buffer"), "{stdout}");
    let samples: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(svg.with_extension("json")).unwrap())
            .unwrap();
    let samples = samples["samples"].as_array().unwrap();
    assert!(samples.len() >= 3, "{} samples", samples.len());
    let last = samples.last().unwrap();
    for queue in [
        "client_send",
        "server_receive",
        "server_send",
        "client_receive",
    ] {
        assert!(samples.iter().all(|s| s[queue].is_u64()), "{queue}");
        assert!(
            last[queue].as_u64() > Some(0),
            "{queue} empty at the end: {last}"
        );
    }
    let drawn = std::fs::read_to_string(&svg).unwrap();
    assert!(drawn.starts_with("<svg"), "{}", &drawn[..100]);
    well_formed(&drawn).unwrap();
    for label in ["send buffer", "receive buffer", "seconds into the session"] {
        assert!(drawn.contains(label), "{label}");
    }
}

fn count_between(text: &str, before: &str, after: &str) -> u64 {
    let line = text
        .lines()
        .find(|l| l.starts_with(before) && l.contains(after))
        .unwrap();
    line[before.len()..line.find(after).unwrap()]
        .parse()
        .unwrap()
}

/// The variants run a gibibyte by default and complete, showing both transcripts.
/// A variant's session: `bytecount` given, or the default gibibyte.
fn variant_session(id: &str, bin: &str, bytecount: Option<u64>) {
    let given = bytecount.map(|n| n.to_string());
    let mut args = vec![id];
    args.extend(given.as_deref());
    let (code, stdout, stderr) = run(&args);
    assert_eq!(code, Some(0), "stderr: {stderr}");
    assert_server_gone(&stdout);
    let bytecount = bytecount.unwrap_or(1 << 30);
    let transcript = mask_ports(&without_port_choice(&stdout));
    let (client, server) = transcript.split_once("$ cat server.log\n").unwrap();
    let client = client
        .strip_prefix(&format!(
            "$ {bin} server 127.0.0.1 > server.log &\n$ {bin} client localhost {bytecount}\n"
        ))
        .unwrap_or_else(|| panic!("{}", &transcript[..300]));
    conformance::transcripts::check_variant_client(client.as_bytes(), bytecount, 256 * 1024)
        .unwrap();
    assert_eq!(
        server,
        format!(
            "Listening at ('127.0.0.1', PORT)\n\
             Processing up to 262144 bytes at a time from ('127.0.0.1', PORT)\n  \
             Socket closed: ('127.0.0.1', PORT), {bytecount} bytes processed\n"
        )
    );
}

/// The default bytecount of the variants' sessions is the gibibyte of page 53.
#[test]
fn run_3_2_threaded_moves_a_gibibyte() {
    variant_session("3-2-threaded", "tcp_threaded", None);
}

#[test]
fn run_3_2_async_moves_a_gibibyte() {
    variant_session("3-2-async", "tcp_async", None);
}

/// The nonblocking variant with 64 MiB, seven times what the buffers hold: the gibibyte is
/// the same default, and a test need not move it three times.
#[test]
fn run_3_2_nonblocking_streams_past_the_buffers() {
    variant_session("3-2-nonblocking", "tcp_nonblocking", Some(64 << 20));
}

#[test]
fn every_page_53_demonstration_runs_and_ends_with_its_verdict() {
    for (id, verdict) in [
        ("half-close", "verdict: holds — "),
        ("shut-rd", "verdict: differs on this system — "),
        ("close-vs-shutdown", "verdict: holds — "),
        ("eof-vs-wouldblock", "verdict: holds — "),
        ("udp-flood", "verdict: holds — "),
    ] {
        let (code, stdout, stderr) = run(&[id]);
        assert_eq!(code, Some(0), "{id}: {stderr}");
        assert!(
            stdout.starts_with(&format!("$ page53 {id}\nclaim (page 53): ")),
            "{stdout}"
        );
        let last = stdout.lines().last().unwrap();
        assert!(last.starts_with(verdict), "{id}: {last}");
    }
}

/// `cargo xtask bench --quick`'s code path on tiny sizes (dev build), so the benchmark
/// cannot rot: every row is there, with figures, the goals are indicative, and the JSON
/// parses (strictly) and says the same.
#[test]
fn bench_runs_on_tiny_sizes_and_writes_its_json() {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("bench.json");
    let (code, stdout, stderr) = xtask(&[
        "bench",
        "--quick",
        "--debug",
        "--bytes",
        "1048576",
        "--clients",
        "1,3",
        "--client-bytes",
        "65536",
        "--deadlock-bytes",
        "4096",
        "--echo-bytes",
        "1048576",
        "--json",
        json.to_str().unwrap(),
    ]);
    assert_eq!(code, Some(0), "stderr: {stderr}");
    let rows = [
        "ceiling: raw echo, threads, 256 KiB",
        "tcp_threaded → tcp_threaded",
        "tcp_threaded → tcp_nonblocking",
        "tcp_threaded → tcp_async",
        "tcp_nonblocking → tcp_threaded",
        "tcp_nonblocking → tcp_nonblocking",
        "tcp_nonblocking → tcp_async",
        "tcp_async → tcp_threaded",
        "tcp_async → tcp_nonblocking",
        "tcp_async → tcp_async",
        "tcp_deadlock → tcp_deadlock",
    ];
    for row in rows {
        let line = stdout
            .lines()
            .find(|l| l.starts_with(row))
            .unwrap_or_else(|| panic!("no {row} in {stdout}"));
        let mbps: f64 = line[row.len()..]
            .split_whitespace()
            .next()
            .unwrap()
            .parse()
            .unwrap();
        // Rounded to whole MB/s on the terminal: the book's 16-byte sends of a tiny
        // stream may show 0 there; the JSON below holds the exact figures.
        assert!(mbps >= 0.0, "{line}");
    }
    for server in ["tcp_threaded", "tcp_nonblocking", "tcp_async"] {
        for clients in ["1 clients", "3 clients"] {
            assert!(
                stdout.contains(&format!("{clients} against {server}")),
                "{stdout}"
            );
        }
    }
    assert!(stdout.contains("\ngoals (indicative"), "{stdout}");
    assert!(!stdout.contains(" met: ") && !stdout.contains(" missed: "));

    let written = std::fs::read_to_string(&json).unwrap();
    let report: serde_json::Value = serde_json::from_str(&written).expect("valid JSON");
    assert_eq!(report["quick"], true);
    assert_eq!(report["build"], "debug");
    let ceiling = report["ceiling"]["mb_per_s"].as_f64().unwrap();
    assert!(ceiling > 0.0);
    let pairs = report["pairs"].as_array().unwrap();
    assert_eq!(pairs.len(), 9);
    for pair in pairs {
        let ratio = pair["ratio_to_ceiling"].as_f64().unwrap();
        let mbps = pair["mb_per_s"].as_f64().unwrap();
        assert!(mbps > 0.0, "{pair}");
        assert!((ratio - mbps / ceiling).abs() < 1e-9, "{pair}");
        assert!(pair["server_peak_bytes"].as_u64().unwrap() > 0, "{pair}");
    }
    assert_eq!(report["listing_3_2"]["name"], "tcp_deadlock → tcp_deadlock");
    assert!(report["listing_3_2"]["mb_per_s"].as_f64().unwrap() > 0.0);
    let concurrency = report["concurrency"].as_array().unwrap();
    assert_eq!(concurrency.len(), 6);
    assert!(
        concurrency
            .iter()
            .all(|c| c["seconds"].as_f64().unwrap() > 0.0)
    );
    let descriptors = report["out_of_descriptors"].as_array().unwrap();
    assert_eq!(descriptors.len(), 3);
    assert!(descriptors.iter().all(|d| d["slowdown"].as_f64().is_some()));
    let goals = report["goals"].as_array().unwrap();
    assert!(!goals.is_empty());
    assert!(
        goals.iter().all(|g| g["verdict"] == "indicative"),
        "{goals:?}"
    );
}

/// `cargo xtask run 7`, the book's `test.sh`: every Chapter 7 server in turn with both
/// clients, ending with one line per server saying its session was the book's.
#[test]
fn run_7_runs_every_chapter_7_server_and_says_each_was_right() {
    let (code, stdout, stderr) = xtask(&["run", "--port", "0", "--idle", "0.5", "7"]);
    assert_eq!(code, Some(0), "{stdout}\n{stderr}");
    let summary: Vec<&str> = stdout
        .rsplit("===========\n")
        .next()
        .unwrap()
        .lines()
        .collect();
    let servers = [
        "srv_single",
        "srv_threaded",
        "srv_legacy1",
        "srv_async",
        "srv_asyncio1",
        "srv_asyncio2",
        "srv_legacy2",
        "in_zen1",
        "in_zen2",
    ];
    assert_eq!(summary.len(), servers.len(), "{stdout}");
    for (line, server) in summary.iter().zip(servers) {
        let verdict = line
            .strip_prefix(server)
            .unwrap_or_else(|| panic!("{line}"))
            .trim();
        let skipped_inetd = server.starts_with("in_zen") && verdict.starts_with("skipped: ");
        assert!(verdict.starts_with("right") || skipped_inetd, "{line}");
        assert!(
            stdout.contains(&format!("=========== {server} ===========\n")),
            "{stdout}"
        );
    }
    // The two clients of each session, as test.sh runs them.
    assert_eq!(stdout.matches("$ zen_client localhost -e -p ").count(), 9);
}

/// `cargo xtask deadlock` on two small sizes: the threshold grows with the buffers, and
/// each is within the bounds its model states.
#[test]
fn the_deadlock_threshold_grows_with_the_buffers_as_the_model_says() {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("deadlock.json");
    let (code, stdout, stderr) = xtask(&[
        "deadlock",
        "--debug",
        "--quick",
        "--sizes",
        "4096,16384",
        "--json",
        json.to_str().unwrap(),
    ]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stdout.contains("measured ÷"), "{stdout}");
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let (low, high) = (
        report["model_bounds"][0].as_f64().unwrap(),
        report["model_bounds"][1].as_f64().unwrap(),
    );
    let rows = report["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 2);
    let mut previous = 0;
    for row in rows {
        let measured = row["measured_bytes"].as_u64().unwrap();
        let completes = row["completes_at_bytes"].as_u64().unwrap();
        assert!(completes < measured, "{row}");
        assert!(measured > previous, "thresholds do not grow: {rows:?}");
        previous = measured;
        let granted = &row["granted"];
        let requested = row["requested_bytes"].as_u64().unwrap();
        for side in [
            "client_send",
            "client_receive",
            "server_send",
            "server_receive",
        ] {
            // Linux grants twice what was asked.
            assert_eq!(granted[side].as_u64(), Some(2 * requested), "{row}");
        }
        let ratio = row["ratio"].as_f64().unwrap();
        assert!((low..=high).contains(&ratio), "{row}");
    }
    // It is not large data that deadlocks: with 8 KiB buffers, tens of kilobytes do.
    assert!(rows[0]["measured_bytes"].as_u64().unwrap() < 64 * 1024);
}

/// A minimal well-formedness check of XML: every element closed, in order.
fn well_formed(xml: &str) -> Result<(), String> {
    let mut open: Vec<String> = Vec::new();
    let mut rest = xml;
    while let Some(at) = rest.find('<') {
        let end = rest[at..].find('>').ok_or("an unclosed tag")? + at;
        let tag = &rest[at + 1..end];
        rest = &rest[end + 1..];
        if tag.starts_with('?') || tag.starts_with('!') || tag.ends_with('/') {
            continue;
        }
        if let Some(name) = tag.strip_prefix('/') {
            match open.pop() {
                Some(opened) if opened == name.trim() => {}
                other => return Err(format!("</{name}> closes {other:?}")),
            }
        } else {
            let name = tag.split_whitespace().next().ok_or("an empty tag")?;
            open.push(name.to_string());
        }
    }
    if open.is_empty() {
        Ok(())
    } else {
        Err(format!("unclosed: {open:?}"))
    }
}

/// `cargo xtask bench zen --quick`'s code path on tiny settings (dev build): a record for
/// every server × clients × delay, with figures; indicative goals; strict JSON; an SVG.
#[test]
fn bench_zen_runs_on_tiny_settings_and_writes_json_and_a_chart() {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("zen.json");
    let svg = dir.path().join("zen.svg");
    let (code, stdout, stderr) = xtask(&[
        "bench",
        "zen",
        "--quick",
        "--debug",
        "--clients",
        "2",
        "--seconds",
        "0.1",
        "--json",
        json.to_str().unwrap(),
        "--svg",
        svg.to_str().unwrap(),
    ]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stdout.contains("get_answer sleeps 1 ms"), "{stdout}");
    assert!(stdout.contains("\ngoals (indicative"), "{stdout}");
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).expect("valid JSON");
    let records = report["records"].as_array().unwrap();
    let servers = [
        "minimal server (ceiling)",
        "srv_single",
        "srv_threaded",
        "srv_legacy1",
        "srv_async",
        "srv_asyncio1",
        "srv_asyncio2",
        "srv_asyncio2 --await-delay",
        "srv_legacy2",
        "in_zen1 (inetd, -a)",
        "in_zen2 (inetd, wait)",
    ];
    for server in servers {
        for delay in [0.0, 0.001] {
            let record = records
                .iter()
                .find(|r| r["server"] == server && r["delay_s"].as_f64() == Some(delay))
                .unwrap_or_else(|| panic!("no record for {server} at {delay}"));
            assert_eq!(record["clients"], 2);
            if record["skipped"].is_null() {
                assert!(record["answers"].as_u64().unwrap() > 0, "{record}");
                assert_eq!(record["errors_wrong_answer"], 0, "{record}");
                let p50 = record["latency_p50_ms"].as_f64().unwrap();
                let max = record["latency_max_ms"].as_f64().unwrap();
                assert!(p50 > 0.0 && p50 <= max, "{record}");
            } else {
                assert!(server.starts_with("in_zen"), "{record}");
            }
        }
    }
    let goals = report["goals"].as_array().unwrap();
    assert!(goals.iter().all(|g| g["verdict"] == "indicative"));
    let drawn = std::fs::read_to_string(&svg).unwrap();
    well_formed(&drawn).unwrap();
    assert!(drawn.contains("answers per second") && drawn.contains("srv_async"));
}
