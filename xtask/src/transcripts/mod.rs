//! `cargo xtask transcripts [--check]`: every listing's recorded session, `output.txt`
//! beside its crate, as rust-lang/book keeps them: line 1 is the session's first command as
//! `cargo xtask run` shows it, then what the terminal shows, client and server both. The
//! tool re-runs each session, normalises what varies from run to run, and rewrites the
//! files (or, with `--check`, fails with a diff); it also copies them into the README's
//! sessions, so that neither can drift from what the code prints.

use std::collections::HashMap;

use std::process::{Command, ExitCode};
use std::thread;

use catalog::{LISTINGS, Listing, Recorded};
use normalise::normalise;

use crate::build::{Profile, build, workspace_root};

mod normalise;

/// One recorded session: `cargo xtask run ID` with its catalog session, or a program run
/// directly.
#[derive(Clone, Copy, Debug)]
enum Run {
    Xtask(&'static Listing),
    /// `BIN ARGS...` after building `package`.
    Program(&'static str, &'static str, &'static [&'static str]),
}

/// The sessions a crate's `output.txt` records, from the catalog, and whether only the
/// client's half of them is kept (a client recorded beside a server).
fn sessions(krate: &str) -> (Vec<Run>, Option<&'static str>) {
    let mut runs = Vec::new();
    let mut client_only = None;
    for l in LISTINGS.iter().filter(|l| l.krate == krate) {
        match l.recorded {
            Recorded::Run => runs.push(Run::Xtask(l)),
            Recorded::RunOf(id) => {
                runs.extend(catalog::by_id(id).map(Run::Xtask));
                client_only = l.bin();
            }
            Recorded::Program(bin, args) => {
                if let Some(owner) = catalog::by_bin(bin) {
                    runs.push(Run::Program(owner.krate, bin, args));
                }
            }
            Recorded::Nothing => {}
        }
    }
    (runs, client_only)
}

/// The README's sessions: which file each block between markers copies.
const README_MARKER: &str = "<!-- transcript: ";
/// The README's table of listings, generated from the catalog.
const LISTINGS_MARKER: &str =
    "<!-- listings: generated from the catalog by cargo xtask transcripts -->";

/// Runs one session and returns what the terminal showed.
fn record(run: Run) -> Result<String, String> {
    let (command, shown_first) = match run {
        Run::Xtask(listing) => {
            let exe = std::env::current_exe().map_err(|e| e.to_string())?;
            let mut command = Command::new(exe);
            command.args(["run", "--built", "--port", "0"]);
            // xtask's own options come before the ID.
            if !listing.session.server.is_empty() {
                command.args(["--server-args", &listing.session.server.join(" ")]);
            }
            command.arg(listing.id).args(listing.session.client);
            (command, None)
        }
        Run::Program(package, bin, args) => {
            let dir = build(&[package], Profile::Debug)?;
            let mut command = Command::new(dir.join(bin));
            command.args(args);
            (command, Some(format!("$ {bin} {}\n", args.join(" "))))
        }
    };
    let output = testkit::Process::spawn(command)
        .map_err(|e| e.to_string())?
        .finish(std::time::Duration::from_secs(120))?;
    let (status, stdout, stderr) = output;
    if !status.success() && shown_first.is_none() {
        return Err(format!("{run:?} failed ({status}): {stderr}"));
    }
    Ok(format!("{}{stdout}", shown_first.unwrap_or_default()))
}

/// A crate's recorded session, from the workspace's root.
fn output_file(listing: &Listing) -> String {
    format!("{}/output.txt", listing.dir())
}

/// Re-runs every session (at once: each on its own port) and returns each file's new text.
fn record_all() -> Result<Vec<(String, String)>, String> {
    let crates = catalog::recorded_crates();
    // Build everything first, once, so the sessions do not wait on each other's builds.
    let packages: Vec<&str> = crates
        .iter()
        .filter(|l| !l.bins.is_empty())
        .flat_map(|l| l.packages())
        .collect();
    build(&packages, Profile::Debug)?;
    let jobs: Vec<_> = crates
        .into_iter()
        .map(|listing| {
            thread::spawn(move || -> Result<(String, String), String> {
                let (runs, client_only) = sessions(listing.krate);
                let old = std::fs::read_to_string(workspace_root().join(output_file(listing)))
                    .unwrap_or_default();
                let mut text = String::new();
                for (i, run) in runs.into_iter().enumerate() {
                    if i > 0 {
                        text.push('\n');
                    }
                    // A session that needs a network namespace where none is permitted:
                    // the recorded one stands, and the run says it was skipped.
                    if let (Run::Xtask(l), Err(why)) = (run, namespaces(&run)) {
                        println!(
                            "skipped: the session of {} needs a network namespace: {why}",
                            l.id
                        );
                        text.push_str(&recorded_segment(&old, l));
                        continue;
                    }
                    let shown = record(run)?;
                    let shown = match client_only {
                        Some(client) => client_half(&shown, client),
                        None => shown,
                    };
                    text.push_str(&normalise(&shown));
                }
                Ok((output_file(listing), text))
            })
        })
        .collect();
    jobs.into_iter()
        .map(|job| job.join().map_err(|_| "a session panicked".to_string())?)
        .collect()
}

/// Whether `run` can be recorded here: one that needs a network namespace needs
/// `unshare -n` to work.
fn namespaces(run: &Run) -> Result<(), String> {
    match run {
        Run::Xtask(l) if l.needs.namespace => {
            let probe = Command::new("unshare").args(["-n", "true"]).output();
            match probe {
                Ok(out) if out.status.success() => Ok(()),
                Ok(out) => Err(String::from_utf8_lossy(&out.stderr).trim().to_string()),
                Err(error) => Err(format!("cannot run unshare: {error}")),
            }
        }
        _ => Ok(()),
    }
}

/// The part of a crate's recorded sessions that `listing`'s session made: from its
/// `$ BIN SUBCOMMAND` line to the blank line before the next session.
fn recorded_segment(old: &str, listing: &Listing) -> String {
    let start = match listing.runs {
        catalog::Runs::Alone { subcommand } => {
            format!("$ {} {subcommand}", listing.bin().unwrap_or_default())
        }
        _ => format!("$ {}", listing.bin().unwrap_or_default()),
    };
    let mut out = String::new();
    let mut lines = old
        .lines()
        .skip_while(|l| !l.starts_with(&start))
        .peekable();
    while let Some(line) = lines.next() {
        let next_session = lines
            .peek()
            .is_some_and(|n| n.starts_with("$ ") && !n.starts_with(&start));
        if line.is_empty() && next_session {
            break;
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// The client's part of a Chapter 7 session: the client's commands and their lines.
fn client_half(session: &str, client: &str) -> String {
    let mut out = String::new();
    let mut keep = false;
    for line in session.lines() {
        if line.starts_with("$ ") {
            keep = line.starts_with(&format!("$ {client} "));
        }
        if keep {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

/// The README with each transcript block filled from its file.
fn readme_with(files: &HashMap<String, String>) -> Result<String, String> {
    let path = workspace_root().join("README.md");
    let text = std::fs::read_to_string(&path).map_err(|e| e.to_string())?;
    let mut out = String::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        out.push_str(line);
        out.push('\n');
        if line == LISTINGS_MARKER {
            for old in lines.by_ref() {
                if old == "<!-- end listings -->" {
                    break;
                }
            }
            out.push_str(&crate::listings::markdown());
            out.push_str("<!-- end listings -->\n");
            continue;
        }
        let Some(file) = line
            .strip_prefix(README_MARKER)
            .and_then(|l| l.strip_suffix(" -->"))
        else {
            continue;
        };
        let content = files
            .get(file)
            .ok_or_else(|| format!("README.md copies {file}, which is not a recorded session"))?;
        // Skip the old block, up to the end marker.
        for old in lines.by_ref() {
            if old == "<!-- end transcript -->" {
                break;
            }
        }
        out.push_str("```console\n");
        out.push_str(content);
        out.push_str("```\n<!-- end transcript -->\n");
    }
    Ok(out)
}

/// A short diff: two lines of context, then the first differing lines of each side.
fn diff(expected: &str, actual: &str) -> String {
    let (e, a): (Vec<&str>, Vec<&str>) = (expected.lines().collect(), actual.lines().collect());
    let at = e.iter().zip(&a).take_while(|(x, y)| x == y).count();
    let mut out = format!("first difference at line {}:\n", at + 1);
    for line in &e[at.saturating_sub(2)..at] {
        out += &format!("    {line}\n");
    }
    for line in e.iter().skip(at).take(3) {
        out += &format!("  - {line}\n");
    }
    for line in a.iter().skip(at).take(3) {
        out += &format!("  + {line}\n");
    }
    out
}

/// `cargo xtask transcripts`.
#[derive(clap::Args)]
pub struct Args {
    /// only compare: fail, with a diff and the command that fixes it, if any recorded
    /// session, README copy or the README's table of listings differs from what the code
    /// and the catalog say now
    #[arg(long)]
    check: bool,
}

pub fn main(Args { check }: Args) -> ExitCode {
    let recorded = match record_all() {
        Ok(recorded) => recorded,
        Err(error) => {
            eprintln!("cargo xtask transcripts: {error}");
            return ExitCode::FAILURE;
        }
    };
    let mut files = HashMap::new();
    let mut stale = Vec::new();
    for (relative, text) in &recorded {
        let path = workspace_root().join(relative);
        let old = std::fs::read_to_string(&path).unwrap_or_default();
        if old != *text {
            stale.push((relative.clone(), diff(&old, text)));
            if !check && let Err(error) = std::fs::write(&path, text) {
                eprintln!(
                    "cargo xtask transcripts: cannot write {}: {error}",
                    path.display()
                );
                return ExitCode::FAILURE;
            }
        }
        files.insert(relative.clone(), text.clone());
    }
    let readme_path = workspace_root().join("README.md");
    match readme_with(&files) {
        Ok(readme) => {
            let old = std::fs::read_to_string(&readme_path).unwrap_or_default();
            if old != readme {
                stale.push(("README.md".into(), diff(&old, &readme)));
                if !check && let Err(error) = std::fs::write(&readme_path, &readme) {
                    eprintln!("cargo xtask transcripts: cannot write README.md: {error}");
                    return ExitCode::FAILURE;
                }
            }
        }
        Err(error) => {
            eprintln!("cargo xtask transcripts: {error}");
            return ExitCode::FAILURE;
        }
    }
    if stale.is_empty() {
        println!(
            "cargo xtask transcripts: {} recorded sessions and the README match what the code prints",
            recorded.len()
        );
        return ExitCode::SUCCESS;
    }
    for (file, diff) in &stale {
        if check {
            eprintln!("{file} is not what the code prints now; {diff}");
        } else {
            println!("recorded {file}");
        }
    }
    if check {
        eprintln!(
            "the recorded sessions differ from what the code prints: if the new output is right, \
             run `cargo xtask transcripts` to record it, and commit the files"
        );
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_skipped_sessions_recorded_text_is_kept_whole() {
        let old = "$ udp_claims size-limits\nclaim: a\n\n$ udp_claims dont-fragment\nclaim: b\n  step\nverdict: holds\n\n$ udp_claims broadcast-needs-permission\nclaim: c\n";
        let listing = catalog::by_id("dont-fragment").unwrap();
        assert_eq!(
            recorded_segment(old, listing),
            "$ udp_claims dont-fragment\nclaim: b\n  step\nverdict: holds\n"
        );
        assert!(listing.needs.namespace);
    }
}
