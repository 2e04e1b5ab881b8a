//! Chapter 7's sessions, as the book's `test.sh` runs them: a Zen server (or a
//! super-server running one), `zen_client localhost`, `zen_client localhost -e`, then the
//! server's log, held to the book's lines.

use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

use catalog::{Family, Listing, Runs};
use conformance::zen::{Lines, check_client_output, check_session_log, session_lines};
use testkit::Spawn;

use super::pair::blocked_in;
use super::{
    Args, SERVER_STEP, STALL, STALLED, Started, Templated, Watched, exit_code, flush, show_log,
    start_server, watch,
};

/// How a Chapter 7 session went: the exit status to pass on, and whether it was the
/// book's session (the client's lines, and the server's log lines).
struct ZenOutcome {
    exit: ExitCode,
    verdict: Result<(), String>,
}

/// The client of the Zen servers' sessions, and the packages to build with `listings`.
fn client_and_packages(
    listings: &[&'static Listing],
) -> Result<(&'static str, Vec<&'static str>), String> {
    let client = catalog::client_of(Family::Zen).ok_or("the catalog has no Zen client")?;
    let mut packages: Vec<&str> = listings.iter().map(|l| l.krate).collect();
    packages.push(client.krate);
    Ok((client.bin().unwrap_or_default(), packages))
}

/// One Zen server's session, and what was not the book's in it.
pub fn one(listing: &'static Listing, options: &Args) -> Result<ExitCode, String> {
    let (client, packages) = client_and_packages(&[listing])?;
    let dir = options.built(&packages)?;
    let outcome = zen_session(listing, &dir, client, options.port, &options.server_args())?;
    if let Err(why) = &outcome.verdict {
        outln!("# not the book's session: {why}");
    }
    Ok(outcome.exit)
}

/// `cargo xtask run 7`: every server of the family in turn, as the book's `test.sh`
/// runs them, and a verdict for each.
pub fn each(family: Family, options: &Args) -> Result<ExitCode, String> {
    let servers: Vec<&'static Listing> = family
        .members()
        .filter(|l| matches!(l.runs, Runs::ZenServer | Runs::SuperServer { .. }))
        .collect();
    let (client, packages) = client_and_packages(&servers)?;
    let dir = options.built(&packages)?;
    let mut verdicts = Vec::new();
    for listing in servers {
        outln!("=========== {} ===========", listing.id);
        flush();
        // Each server with its recorded session's arguments (in_zen2: a short wait).
        let server_args: Vec<String> = listing
            .session
            .server
            .iter()
            .map(|a| a.to_string())
            .collect();
        let verdict = match zen_session(listing, &dir, client, options.port, &server_args) {
            Ok(outcome) => match outcome.verdict {
                Ok(()) => "right: the book's answers and log lines".to_string(),
                Err(why) => format!("WRONG: {why}"),
            },
            Err(why) if why.contains("not installed") => format!("skipped: {why}"),
            Err(why) => format!("WRONG: {why}"),
        };
        verdicts.push((listing.id, verdict));
    }
    outln!("===========");
    let width = verdicts.iter().map(|(id, _)| id.len()).max().unwrap_or(0);
    for (id, verdict) in &verdicts {
        outln!("{id:<width$}  {verdict}");
    }
    let wrong = verdicts.iter().any(|(_, v)| v.starts_with("WRONG"));
    Ok(if wrong {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// A Chapter 7 server's session: the server (under a super-server, for the inetd pair),
/// `zen_client localhost`, `zen_client localhost -e`, then the server's log.
fn zen_session(
    listing: &Listing,
    dir: &Path,
    client: &str,
    port: u16,
    server_args: &[String],
) -> Result<ZenOutcome, String> {
    let inetd = match listing.runs {
        Runs::SuperServer { accept } => Some(accept),
        _ => None,
    };
    // in_zen2's wait for another connection: the book's 8 seconds, or `--idle S`.
    let idle: f64 = server_args
        .iter()
        .position(|a| a == "--idle")
        .and_then(|at| server_args.get(at + 1)?.parse().ok())
        .unwrap_or(8.0);
    // The inetd servers log to a file, zen.log, in a scratch directory of their own.
    let scratch = std::env::temp_dir().join(format!("xtask-{}-{}", listing.id, std::process::id()));
    if inetd.is_some() {
        if !testkit::inetd::installed() {
            return Err(format!(
                "{}; the inetd servers need a super-server",
                testkit::inetd::MISSING
            ));
        }
        std::fs::create_dir_all(&scratch)
            .map_err(|e| format!("cannot create {}: {e}", scratch.display()))?;
    }
    let server_line = Templated::of(listing, true, dir, client, server_args, &[])?;
    let command = |port: u16| {
        let mut command = server_line.command(port);
        if inetd.is_some() {
            command.current_dir(&scratch);
        }
        command
    };
    let asked = match (inetd, port) {
        // A super-server cannot be told to choose a port: choose one for it.
        (Some(_), 0) => testkit::process::free_port().map_err(|e| e.to_string())?,
        (_, port) => port,
    };
    let Started {
        mut server,
        port,
        asked,
    } = start_server(asked, inetd.is_none(), command)?;
    match inetd {
        Some(_) => outln!("$ {} &", server_line.shown(asked)),
        None => outln!("$ {} > server.log &", server_line.shown(asked)),
    }
    let mut outputs = Vec::new();
    let style = listing
        .log
        .ok_or_else(|| format!("the catalog gives {} no log style", listing.id))?;
    let (first, last, file) = match inetd {
        None => (
            listing
                .listening
                .then_some("Listening at ('localhost', PORT)"),
            None,
            "server.log",
        ),
        Some(false) => (
            None,
            Some(format!(
                "Waited {idle} seconds with no further connections; shutting down"
            )),
            "zen.log",
        ),
        Some(true) => (None, None, "zen.log"),
    };
    let server_stdout = server.stdout.clone();
    let read_log = || match inetd {
        Some(_) => std::fs::read_to_string(scratch.join("zen.log")).unwrap_or_default(),
        None => server_stdout.text(),
    };
    // The lines each client makes the server log, so that the next client starts only
    // once the server has logged the last one (the log then reads the same every run).
    let per_client =
        conformance::zen::session_events().map(|events| style.lines("", &events).len());
    let mut expected_lines = usize::from(first.is_some());
    for extra in [Vec::new(), vec!["-e".to_string()]] {
        let client_line = Templated::of(listing, false, dir, client, &[], &extra)?;
        outln!("$ {}", client_line.shown(port));
        flush();
        let mut running = Spawn::new(client_line.command(port))
            .tee()
            .inherit_stderr()
            .start()
            .map_err(|e| e.to_string())?;
        let status = match watch(&mut running, &mut server) {
            Watched::Exited(status) => status,
            Watched::Stalled => {
                let report = format!(
                    "{client} (pid {}) stalled: for {} seconds it printed nothing; it was \
                     blocked in {}, the server in {}",
                    running.id(),
                    STALL.as_secs(),
                    blocked_in(running.id()),
                    blocked_in(server.id())
                );
                server.kill();
                running.kill();
                outln!("{report}");
                return Ok(ZenOutcome {
                    exit: ExitCode::from(STALLED),
                    verdict: Err(format!("{client} stalled")),
                });
            }
        };
        running.stdout.wait_closed(SERVER_STEP);
        outputs.push((status, running.stdout.text()));
        expected_lines += per_client[outputs.len() - 1];
        testkit::wait_until(SERVER_STEP, || read_log().lines().count() >= expected_lines);
    }

    let lines = session_lines(style) + usize::from(first.is_some());
    // Let the server finish logging the two clients (in_zen2: until it exits, idle).
    let settled = match inetd {
        Some(false) => {
            outln!("$ wait");
            flush();
            server
                .wait_exit(Duration::from_secs_f64(idle) + SERVER_STEP)
                .is_some()
        }
        _ => testkit::wait_until(SERVER_STEP, || read_log().lines().count() >= lines),
    };
    let log = read_log();
    server.kill();
    show_log(file, &log);
    if inetd.is_some() {
        let _ = std::fs::remove_dir_all(&scratch);
    }
    flush();

    let (first_status, first_out) = &outputs[0];
    let (second_status, second_out) = &outputs[1];
    let verdict = if *first_status != Some(0) {
        Err(format!("{client} exited with {first_status:?}"))
    } else if *second_status != Some(0) {
        Err(format!("{client} -e exited with {second_status:?}"))
    } else if !second_out.is_empty() {
        Err(format!("{client} -e printed {second_out:?}"))
    } else if !settled {
        Err(format!(
            "the server did not finish its log within {SERVER_STEP:?}"
        ))
    } else {
        check_client_output(first_out)
            .and_then(|()| check_session_log(&log, style, first, last.as_deref()))
    };
    Ok(ZenOutcome {
        exit: exit_code(*first_status),
        verdict,
    })
}
