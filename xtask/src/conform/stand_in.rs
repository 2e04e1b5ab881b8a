//! `cargo xtask conform dns` and `http-client`: tables whose cases check clients against
//! a stand-in, a tool's process (`dns_standin`, `httpbin`; xtask links neither DNS nor
//! HTTP). The stand-in starts first, on a port the system chooses; each case then runs
//! the client command with the table's placeholders filled in (`{nameserver}`, `{name}`
//! and `{type}`; `{url}` and `{method}`), its stdout kept byte for byte and its peak
//! memory sampled. Where the stand-in has a marker request, it is sent after each case
//! and the stand-in's log read up to it: what it saw during the case.

use std::io::Write;
use std::time::Duration;

use catalog::Transport;
use conformance::external::{Template, run_command_measured};
use conformance::runner::Output;
use conformance::table::Table;

use super::{CLIENT_LIMIT, Implementation, picked, report_case};
use crate::build::{Profile, build};

/// How long the stand-in may take to bind its port.
const READY: Duration = Duration::from_secs(10);

/// The table's client cases against `--client`, or (without it) the family's members.
pub fn run(
    table: &'static Table,
    stand_in: &'static catalog::StandIn,
    client: Option<&str>,
    only: &[String],
) -> Result<Vec<Implementation>, String> {
    let members: Vec<_> = match client {
        Some(_) => Vec::new(),
        None => table.family.members().collect(),
    };
    let mut packages = vec![stand_in.package];
    packages.extend(members.iter().map(|l| l.krate));
    let dir = build(&packages, Profile::Debug)?;
    // The stand-in's own template, as cargo xtask run starts it, on a port the system
    // chooses.
    let line = crate::run::Templated {
        template: stand_in.command,
        dir: &dir,
        bin: stand_in.bin,
        client: "",
        server_args: &[],
        args: &[],
    };
    let command = line.command(0);
    let mut server = testkit::Spawn::new(command)
        .start()
        .map_err(|e| format!("cannot start {}: {e}", stand_in.bin))?;
    let port = server.bound_port(READY, stand_in.transport == Transport::Udp)?;
    // The kernel shows the port before the stand-in has said so: wait for its first
    // line, or the first case's log would begin with it.
    if stand_in.marker.is_some() && !server.stdout.wait_until(READY, |log| log.contains('\n')).1 {
        return Err(format!("{} never said it was listening", stand_in.bin));
    }
    let address = format!("127.0.0.1:{port}");
    let mut under_test: Vec<(String, String)> = Vec::new();
    match client {
        Some(command) => under_test.push(("under test".into(), command.to_string())),
        None => {
            for l in members {
                let Some(bin) = l.bin() else { continue };
                let exe = format!("'{}'", dir.join(bin).display());
                let command = table.client_command.replace("{exe}", &exe);
                // A client of several levels (http_get's) is one implementation each.
                if l.flavours.is_empty() {
                    under_test.push((bin.to_string(), command.clone()));
                }
                for flavour in l.flavours {
                    under_test.push((format!("{bin} {flavour}"), format!("{command} {flavour}")));
                }
            }
        }
    }
    // The markers sent so far, numbered across every implementation's cases.
    let marks = std::cell::Cell::new(0usize);
    let mut implementations = Vec::new();
    for (name, text) in under_test {
        let template = Template::parse(&text)?;
        let run = |_port: u16, _bytecount: u64, args: &[&str]| {
            let more = (table.placeholders)(&address, args);
            let before = server.stdout.text().len();
            let mut ran = run_command_measured(
                template.command_with(port, 0, &[], &more),
                &template,
                CLIENT_LIMIT,
            );
            if let Some(marker) = stand_in.marker {
                let n = marks.get() + 1;
                marks.set(n);
                match seen_until_marked(&server, port, marker, n, before) {
                    Ok(seen) => ran.seen = seen,
                    Err(e) => ran.stderr = format!("{}\n(and the stand-in: {e})", ran.stderr),
                }
            }
            ran
        };
        let cases = (table.client_cases)(Output::Book, &run, &|id| picked(only, id));
        implementations.push(Implementation {
            name,
            role: "client",
            command: template.text().to_string(),
            cases: cases
                .into_iter()
                .map(|(id, verdict)| report_case(id, verdict, None))
                .collect(),
            peak_bytes: None,
        });
    }
    server.kill();
    Ok(implementations)
}

/// Sends the stand-in its marker request number `n` and waits (with a deadline) until
/// its log shows it; returns the lines it logged from byte `from` up to the marker: what
/// it saw during the case that just ended.
fn seen_until_marked(
    server: &testkit::Process,
    port: u16,
    marker: &str,
    n: usize,
    from: usize,
) -> Result<Vec<String>, String> {
    let request = marker.replace("{n}", &n.to_string());
    // The target the log names: the request line's second word.
    let target = request
        .split(' ')
        .nth(1)
        .ok_or("the stand-in's marker has no target")?
        .to_string();
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port))
        .map_err(|e| format!("cannot send the marker: {e}"))?;
    stream
        .write_all(request.as_bytes())
        .map_err(|e| format!("cannot send the marker: {e}"))?;
    let mark = format!(" {target} ");
    let (log, marked) = server.stdout.wait_until(READY, |log| {
        log.get(from..).is_some_and(|new| new.contains(&mark))
    });
    if !marked {
        return Err(format!("its log never showed the marker {target}"));
    }
    let new = log.get(from..).unwrap_or_default();
    Ok(new
        .lines()
        .take_while(|line| !line.contains(&mark))
        .map(str::to_string)
        .collect())
}
