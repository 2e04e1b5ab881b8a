//! The application chapters' sessions ([`Runs::Steps`], [`Runs::Tour`]): the book runs
//! these clients against services on the internet, so the session starts a stand-in on
//! loopback first, in the background, then runs each step's command in turn in a scratch
//! directory (where the stand-in writes its CA and a listing writes its files), and ends
//! with the stand-in's log. A tour runs every such row of a chapter in turn; a stand-in
//! serves every row that names it and is stopped, its log shown, after the last, so that
//! the next stand-in gets the book's port and each log follows its own steps.

use std::path::Path;
use std::process::{ExitCode, Stdio};
use std::time::Duration;

use catalog::{Listing, Runs, StandIn, Transport};

use super::{Args, SERVER_STEP, Started, Templated, exit_code, flush, show_log, start_server_of};

/// How long one step may take: a client of a stand-in answers in well under a second,
/// and one that does not has met a stand-in that never answers.
const STEP_LIMIT: Duration = Duration::from_secs(60);

/// Runs the steps of `rows`, in order.
pub fn steps(rows: &[&'static Listing], dir: &Path, options: &Args) -> Result<ExitCode, String> {
    let scratch = tempfile::tempdir().map_err(|e| format!("no scratch directory: {e}"))?;
    let mut started: Vec<(&'static StandIn, Started)> = Vec::new();
    let mut failed: Option<Option<i32>> = None;
    let stand_in_of = |row: &Listing| match row.runs {
        Runs::Steps { stand_in } => stand_in,
        _ => None,
    };
    for (at, row) in rows.iter().enumerate() {
        let Runs::Steps { stand_in } = row.runs else {
            continue;
        };
        let port = match stand_in {
            None => 0,
            Some(stand_in) => match started.iter().find(|(s, _)| std::ptr::eq(*s, stand_in)) {
                Some((_, running)) => running.port,
                None => {
                    let running = start(stand_in, dir, scratch.path(), options)?;
                    let port = running.port;
                    started.push((stand_in, running));
                    port
                }
            },
        };
        for template in row.steps {
            if let Some(file) = template.strip_prefix("cat ") {
                let text = std::fs::read_to_string(scratch.path().join(file))
                    .map_err(|e| format!("cannot read {file}: {e}"))?;
                show_log(file, &text);
                continue;
            }
            let line = Templated {
                template,
                dir,
                bin: row.bin().unwrap_or_default(),
                client: row.steps_client.map(|(_, bin)| bin).unwrap_or_default(),
                server_args: &[],
                args: &[],
            };
            outln!("$ {}", line.shown(port));
            flush();
            let mut command = line.command(port);
            command.current_dir(scratch.path());
            let mut step = testkit::Spawn::new(command)
                .stdin(Stdio::null())
                .tee()
                .inherit_stderr()
                .start()
                .map_err(|e| format!("cannot start {}: {e}", line.bin))?;
            let Some(status) = step.wait_exit(STEP_LIMIT) else {
                step.kill();
                return Err(format!("{} did not finish within {STEP_LIMIT:?}", line.bin));
            };
            step.stdout.wait_closed(SERVER_STEP);
            // An answer without a final newline (wsgi_env's dump) ends its line, as a
            // shell that starts its prompt on a new line shows it.
            let text = step.stdout.text();
            if !text.is_empty() && !text.ends_with('\n') {
                outln!();
            }
            if !status.success() && failed.is_none() {
                failed = Some(status.code());
            }
        }
        // A stand-in no later row needs is stopped now, and its log shown.
        let later = &rows[at + 1..];
        started.retain_mut(|(stand_in, running)| {
            let needed = later
                .iter()
                .any(|r| stand_in_of(r).is_some_and(|s| std::ptr::eq(s, *stand_in)));
            if !needed {
                stop(stand_in, running);
            }
            needed
        });
    }
    for (stand_in, mut running) in started {
        stop(stand_in, &mut running);
    }
    flush();
    Ok(match failed {
        None => ExitCode::SUCCESS,
        Some(code) => exit_code(code),
    })
}

/// Stops a stand-in and shows its log.
fn stop(stand_in: &StandIn, running: &mut Started) {
    running.server.kill();
    running.server.stdout.wait_closed(SERVER_STEP);
    show_log(stand_in.log, &running.server.stdout.text());
}

/// Starts a stand-in in the scratch directory and shows its line.
fn start(
    stand_in: &StandIn,
    dir: &Path,
    scratch: &Path,
    options: &Args,
) -> Result<Started, String> {
    let line = Templated {
        template: stand_in.command,
        dir,
        bin: stand_in.bin,
        client: "",
        server_args: &[],
        args: &[],
    };
    let udp = stand_in.transport == Transport::Udp;
    let running = start_server_of(options.port, true, udp, |port| {
        let mut command = line.command(port);
        command.current_dir(scratch);
        command
    })?;
    outln!("$ {} > {} &", line.shown(running.asked), stand_in.log);
    Ok(running)
}

/// What a tour's rows and the shown lines of their sessions have in common: every
/// template a session of `listing` shows, with the binaries its `{bin}` and `{client}`
/// name, and the tail of its line (` > standin.log &` for a stand-in, nothing for a step).
pub fn templates(listing: &Listing) -> Vec<(&'static str, &'static str, &'static str, String)> {
    let mut out: Vec<(&'static str, &'static str, &'static str, String)> = Vec::new();
    for row in listing.tour() {
        if let Runs::Steps {
            stand_in: Some(stand_in),
        } = row.runs
            && !out.iter().any(|(_, bin, _, _)| *bin == stand_in.bin)
        {
            out.push((
                stand_in.command,
                stand_in.bin,
                "",
                format!(" > {} &", stand_in.log),
            ));
        }
        let bin = row.bin().unwrap_or_default();
        let client = row.steps_client.map(|(_, c)| c).unwrap_or_default();
        out.extend(row.steps.iter().map(|t| (*t, bin, client, String::new())));
    }
    out
}
