//! `cargo xtask transcripts [--check]`: every listing's recorded session, `output.txt`
//! beside its crate, as rust-lang/book keeps them: line 1 is the session's first command as
//! `cargo xtask run` shows it, then what the terminal shows, client and server both. The
//! tool re-runs each session, normalises what varies from run to run, and rewrites the
//! files (or, with `--check`, fails with a diff); it also copies them into the sessions
//! that the READMEs show (the front door, each chapter's, docs/), and writes their tables
//! from the catalog, so that none can drift from what the code prints.

use std::collections::HashMap;

use std::process::{Command, ExitCode};
use std::thread;

use catalog::{Listing, Recorded};
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
    for l in catalog::listings().filter(|l| l.krate == krate) {
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

/// A document's sessions: which file each block between markers copies.
const README_MARKER: &str = "<!-- transcript: ";
/// A chapter README's table of listings, generated from the catalog.
const LISTINGS_MARKER: &str =
    "<!-- listings: generated from the catalog by cargo xtask transcripts -->";
/// The front door's table of chapters, generated from the catalog.
const CHAPTERS_MARKER: &str =
    "<!-- chapters: generated from the catalog by cargo xtask transcripts -->";

/// Every document the tool fills and checks, from the root: the front door, each
/// chapter's README, and the pages under docs/.
fn documents() -> Vec<String> {
    let mut docs = vec!["README.md".to_string()];
    docs.extend(catalog::CHAPTERS.iter().map(|c| c.readme()));
    let mut pages: Vec<String> = std::fs::read_dir(workspace_root().join("docs"))
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".md"))
        .map(|name| format!("docs/{name}"))
        .collect();
    pages.sort();
    docs.extend(pages);
    docs
}

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
        return Err(format!(
            "{} failed ({status}): {}",
            shown(run),
            stderr.trim_end()
        ));
    }
    Ok(format!("{}{stdout}", shown_first.unwrap_or_default()))
}

/// A session as a reader would type it: `cargo xtask run 3-1`, `page53 half-close`.
fn shown(run: Run) -> String {
    match run {
        Run::Xtask(listing) => format!("`cargo xtask run {}`", listing.id),
        Run::Program(_, bin, args) => format!("`{bin} {}`", args.join(" ")),
    }
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
                        outln!(
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
                    let listing = match run {
                        Run::Xtask(l) => Some(l),
                        Run::Program(..) => None,
                    };
                    text.push_str(&normalise(&shown, listing));
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

/// A document (`doc`, from the root) with each transcript block filled from its file and
/// its generated table rewritten from the catalog.
fn document_with(doc: &str, files: &HashMap<String, String>) -> Result<String, String> {
    let path = workspace_root().join(doc);
    let text = std::fs::read_to_string(&path).map_err(|e| format!("cannot read {doc}: {e}"))?;
    let chapter = catalog::CHAPTERS.iter().find(|c| doc == c.readme());
    if chapter.is_some() && !text.lines().any(|l| l == LISTINGS_MARKER) {
        return Err(format!(
            "{doc} has no table of listings: add the line `{LISTINGS_MARKER}` and run `cargo xtask transcripts`"
        ));
    }
    let mut out = String::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        out.push_str(line);
        out.push('\n');
        let table = match (line, chapter) {
            (LISTINGS_MARKER, Some(chapter)) => {
                Some((crate::listings::markdown(chapter), "<!-- end listings -->"))
            }
            (LISTINGS_MARKER, None) => {
                return Err(format!(
                    "{doc} asks for a table of listings, which only a chapter's README has"
                ));
            }
            (CHAPTERS_MARKER, _) => Some((
                crate::listings::chapters_markdown(),
                "<!-- end chapters -->",
            )),
            _ => None,
        };
        if let Some((table, end)) = table {
            if !lines.by_ref().any(|old| old == end) {
                return Err(format!("{doc}: `{line}` has no `{end}` after it"));
            }
            out.push_str(&table);
            out.push_str(end);
            out.push('\n');
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
            .ok_or_else(|| format!("{doc} copies {file}, which is not a recorded session"))?;
        // Skip the old block, up to the end marker.
        if !lines.by_ref().any(|old| old == "<!-- end transcript -->") {
            return Err(format!(
                "{doc}: the copy of {file} has no `<!-- end transcript -->`"
            ));
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
            errln!("cargo xtask transcripts: {error}");
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
                errln!(
                    "cargo xtask transcripts: cannot write {}: {error}",
                    path.display()
                );
                return ExitCode::FAILURE;
            }
        }
        files.insert(relative.clone(), text.clone());
    }
    let documents = documents();
    for doc in &documents {
        let text = match document_with(doc, &files) {
            Ok(text) => text,
            Err(error) => {
                errln!("cargo xtask transcripts: {error}");
                return ExitCode::FAILURE;
            }
        };
        let path = workspace_root().join(doc);
        let old = std::fs::read_to_string(&path).unwrap_or_default();
        if old != text {
            stale.push((doc.clone(), diff(&old, &text)));
            if !check && let Err(error) = std::fs::write(&path, &text) {
                errln!("cargo xtask transcripts: cannot write {doc}: {error}");
                return ExitCode::FAILURE;
            }
        }
    }
    if stale.is_empty() {
        outln!(
            "cargo xtask transcripts: {} recorded sessions and {} documents (the README, each \
             chapter's, docs/) match what the code prints",
            recorded.len(),
            documents.len()
        );
        return ExitCode::SUCCESS;
    }
    for (file, diff) in &stale {
        if check {
            errln!("{file} is not what the code prints now; {diff}");
        } else {
            outln!("recorded {file}");
        }
    }
    if check {
        errln!(
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
    fn a_failed_session_is_named_as_a_reader_types_it() {
        let listing = catalog::by_id("3-1").unwrap();
        assert_eq!(shown(Run::Xtask(listing)), "`cargo xtask run 3-1`");
        assert_eq!(
            shown(Run::Program("page53", "page53", &["half-close"])),
            "`page53 half-close`"
        );
    }

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
