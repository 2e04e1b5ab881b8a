//! Foreign peers: the variant clients against `socat ... EXEC:"tr a-z A-Z"`, an uppercase
//! server that shares no code with this workspace, and every server against OpenBSD's
//! `nc -N`. Where socat or a netcat with `-N` is not installed (`apt-get install socat
//! netcat-openbsd`), the test says so and skips.

use std::io::Seek;
use std::io::Write;
use std::process::{Command, Stdio};

use conformance::Verdict;
use testkit::{Process, STEP, Spawn};

use super::*;

/// Whether `tool` runs and its help mentions `needs` (an option it must have); if not,
/// prints the skip and its reason.
fn available(tool: &str, needs: &str, test: &str) -> bool {
    let help = Command::new(tool)
        .arg("-h")
        .stdin(Stdio::null())
        .output()
        .map(|out| {
            String::from_utf8_lossy(&out.stdout).into_owned()
                + &String::from_utf8_lossy(&out.stderr)
        });
    match help {
        Err(_) => {
            eprintln!(
                "skipped: {test}: {tool} is not installed (apt-get install socat netcat-openbsd)"
            );
            false
        }
        Ok(help) if !help.contains(needs) => {
            eprintln!(
                "skipped: {test}: this {tool} has no {needs} option (netcat-traditional has \
                 none; apt-get install netcat-openbsd)"
            );
            false
        }
        Ok(_) => true,
    }
}

/// 64 MiB, seven times what the default socket buffers hold, through socat's uppercase
/// server (`cargo xtask run` moves a gibibyte; a test need not).
const THROUGH_SOCAT: u64 = 64 << 20;

#[test]
fn variant_clients_stream_through_socat_tr() {
    if !available("socat", "-d", "variant clients through socat") {
        return;
    }
    let mut results = Vec::new();
    for client in CLIENTS.iter().filter(|c| c.reads_while_sending) {
        let mut command = Command::new("socat");
        command.args([
            "TCP-LISTEN:0,bind=127.0.0.1,reuseaddr,fork",
            "EXEC:tr a-z A-Z",
        ]);
        // socat prints nothing: its port comes from its listening socket.
        let (_socat, port) = Process::server(command, STEP).unwrap();
        let result = pairs::complete(client, port, THROUGH_SOCAT);
        let who = format!("{} / 64 MiB through socat tr a-z A-Z", client.name);
        results.push((who, Verdict::of(result)));
    }
    assert_verdicts(results);
}

#[test]
fn every_server_answers_nc_exactly() {
    if !available("nc", "-N", "servers against nc -N") {
        return;
    }
    let payload: Vec<u8> = (0..=255u8).cycle().take(1 << 20).collect();
    let expected = payload.to_ascii_uppercase();
    let mut input = tempfile::tempfile().unwrap();
    input.write_all(&payload).unwrap();
    let mut results = Vec::new();
    for server in SERVERS {
        let running = ServerThread::start(server.serve);
        input.rewind().unwrap();
        let mut command = Command::new("nc");
        // -N: shut down the socket's sending side after the end of the input (half-close).
        command.args(["-N", "127.0.0.1", &running.port.to_string()]);
        let nc = Spawn::new(command)
            .stdin(input.try_clone().unwrap().into())
            .start()
            .unwrap();
        let stdout = nc.stdout.clone();
        let result = match nc.finish(STEP) {
            Err(hang) => Err(hang),
            Ok((status, _, stderr)) if !status.success() => Err(format!("nc failed: {stderr}")),
            Ok(_) if stdout.bytes() != expected => Err(format!(
                "{} bytes back, not the {} expected uppercase bytes",
                stdout.len(),
                expected.len()
            )),
            Ok(_) => Ok(()),
        };
        let who = format!("{} / 1 MiB of every byte value through nc -N", server.name);
        results.push((who, Verdict::of(result)));
    }
    assert_verdicts(results);
}
