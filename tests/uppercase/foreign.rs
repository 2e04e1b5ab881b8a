//! Foreign peers: the variant clients against `socat ... EXEC:"tr a-z A-Z"`, an uppercase
//! server that shares no code with this workspace, and every server against `nc -N`.
//! Where socat or nc is not installed (`apt-get install socat netcat-openbsd`), the test
//! says so and skips.

use std::io::Seek;
use std::process::{Command, Stdio};

use super::*;

/// Whether `tool` can be run; if not, prints the skip and its reason.
fn available(tool: &str, test: &str) -> bool {
    let found = Command::new(tool)
        .arg("-h")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok();
    if !found {
        eprintln!(
            "skipped: {test}: {tool} is not installed (apt-get install socat netcat-openbsd)"
        );
    }
    found
}

/// The gibibyte of the "done when", through socat's uppercase server.
const THROUGH_SOCAT: u64 = 1 << 30;

#[test]
fn variant_clients_move_a_gibibyte_through_socat_tr() {
    if !available("socat", "variant clients through socat") {
        return;
    }
    let mut report = Report::default();
    for client in CLIENTS.iter().filter(|c| c.reads_while_sending) {
        let mut command = Command::new("socat");
        command.args([
            "-d",
            "-d",
            "TCP-LISTEN:0,bind=127.0.0.1,reuseaddr,fork",
            "EXEC:tr a-z A-Z",
        ]);
        let socat = testkit::Proc::spawn(command);
        // socat says which port it bound: "... N listening on AF=2 127.0.0.1:40357".
        let (log, ready) = socat
            .stderr
            .wait_until(STEP, |log| log.contains("listening on"));
        assert!(ready, "socat did not start: {log}");
        let port: u16 = log
            .split("127.0.0.1:")
            .nth(1)
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|port| port.parse().ok())
            .unwrap_or_else(|| panic!("no port in {log:?}"));
        let result = completed(run_client(client, port, THROUGH_SOCAT));
        report.check(client.name, "1 GiB through socat tr a-z A-Z", result);
    }
    report.finish();
}

#[test]
fn every_server_answers_nc_exactly() {
    if !available("nc", "servers against nc -N") {
        return;
    }
    let payload: Vec<u8> = (0..=255u8).cycle().take(1 << 20).collect();
    let expected = payload.to_ascii_uppercase();
    let mut input = tempfile::tempfile().unwrap();
    input.write_all(&payload).unwrap();
    let mut report = Report::default();
    for server in SERVERS {
        let running = ServerThread::start(server.serve);
        input.rewind().unwrap();
        let mut command = Command::new("nc");
        // -N: shut down the socket's sending side after the end of the input (half-close).
        command.args(["-N", "127.0.0.1", &running.port.to_string()]);
        let nc = testkit::Proc::spawn_with_input(command, input.try_clone().unwrap().into());
        let stdout = nc.stdout.clone();
        let (status, _, stderr) = nc.finish(STEP);
        let reply = stdout.bytes();
        let result = if !status.success() {
            Err(format!("nc failed: {stderr}"))
        } else if reply != expected {
            Err(format!(
                "{} bytes back, not the {} expected uppercase bytes",
                reply.len(),
                expected.len()
            ))
        } else {
            Ok(())
        };
        report.check(
            server.name,
            "1 MiB of every byte value through nc -N",
            result,
        );
    }
    report.finish();
}
