//! `cargo xtask transcripts [--check]`: every listing's recorded session, `output.txt`
//! beside its crate, as rust-lang/book keeps them: line 1 is the session's first command as
//! `cargo xtask run` shows it, then what the terminal shows, client and server both. The
//! tool re-runs each session, normalises what varies from run to run, and rewrites the
//! files (or, with `--check`, fails with a diff); it also copies them into the README's
//! sessions, so that neither can drift from what the code prints.

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::{Command, ExitCode};
use std::thread;

use conformance::zen::APHORISMS;
use fopnp::PyBytes;

use crate::build::{Profile, build, workspace_root};

/// One recorded session: `cargo xtask run ID ARGS...`, or a program run directly.
#[derive(Clone, Copy, Debug)]
enum Run {
    Xtask(&'static str, &'static [&'static str]),
    /// `BIN ARGS...` after building `package`.
    Program(&'static str, &'static str, &'static [&'static str]),
}

/// Each listing crate and the sessions its `output.txt` records, with sizes that keep
/// the files short (not a gibibyte; `--idle 1` for in_zen2 instead of the book's 8 s).
const TRANSCRIPTS: &[(&str, &[Run])] = &[
    ("tcp-sixteen", &[Run::Xtask("3-1", &[])]),
    ("tcp-deadlock", &[Run::Xtask("3-2", &["32"])]),
    ("tcp-threaded", &[Run::Xtask("3-2-threaded", &["1048576"])]),
    (
        "tcp-nonblocking",
        &[Run::Xtask("3-2-nonblocking", &["1048576"])],
    ),
    ("tcp-async", &[Run::Xtask("3-2-async", &["1048576"])]),
    (
        "page53",
        &[
            Run::Xtask("half-close", &[]),
            Run::Xtask("shut-rd", &[]),
            Run::Xtask("close-vs-shutdown", &[]),
            Run::Xtask("eof-vs-wouldblock", &[]),
            Run::Xtask("udp-flood", &["--datagrams", "20000"]),
        ],
    ),
    (
        "zen-utils",
        &[Run::Program("srv-single", "srv_single", &["--help"])],
    ),
    ("zen-client", &[Run::Xtask("srv_single", &[])]),
    ("srv-single", &[Run::Xtask("srv_single", &[])]),
    ("srv-threaded", &[Run::Xtask("srv_threaded", &[])]),
    ("srv-legacy1", &[Run::Xtask("srv_legacy1", &[])]),
    ("srv-async", &[Run::Xtask("srv_async", &[])]),
    ("srv-asyncio1", &[Run::Xtask("srv_asyncio1", &[])]),
    ("srv-asyncio2", &[Run::Xtask("srv_asyncio2", &[])]),
    ("srv-legacy2", &[Run::Xtask("srv_legacy2", &[])]),
    ("in-zen1", &[Run::Xtask("in_zen1", &[])]),
    ("in-zen2", &[Run::Xtask("in_zen2", &["--idle", "1"])]),
];

/// The README's sessions: which file each block between markers copies.
const README_MARKER: &str = "<!-- transcript: ";

/// Runs one session and returns what the terminal showed.
fn record(run: Run) -> Result<String, String> {
    let (command, shown_first) = match run {
        Run::Xtask(id, args) => {
            let exe = std::env::current_exe().map_err(|e| e.to_string())?;
            let mut command = Command::new(exe);
            command.args(["run", "--port", "0"]);
            // xtask's own options come before the ID.
            let (own, client): (Vec<&str>, Vec<&str>) = match args {
                ["--idle", seconds] => (vec!["--idle", seconds], vec![]),
                _ => (vec![], args.to_vec()),
            };
            command.args(own).arg(id).args(client);
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

/// Makes a session's text the same from run to run: progress lines rendered as a
/// terminal shows them; the ports the system chose replaced by the book's 1060 for the
/// server and fixed example values for clients; the size of the first `recv()` and the
/// order of the Zen questions as in the book's sessions; and udp-flood's timings and
/// slow-reader counts, and close-vs-shutdown's wake-up time, marked `[varies]`.
pub fn normalise(text: &str) -> String {
    let rendered = fopnp::progress::render(text).join("\n");
    let mut lines: Vec<String> = rendered.lines().map(str::to_string).collect();

    // The server's port: the one the client commands connect to (or a super-server's).
    let server_port = lines.iter().find_map(|l| {
        let l = l.strip_prefix("$ ")?;
        if let Some(at) = l.find(" -l 127.0.0.1:") {
            return l[at + 14..].split_whitespace().next()?.parse::<u16>().ok();
        }
        if l.contains(" client ") || l.starts_with("zen_client ") {
            return l.rsplit(" -p ").next()?.parse::<u16>().ok();
        }
        None
    });
    let mut ports: HashMap<u16, u16> = HashMap::new();
    if let Some(port) = server_port {
        ports.insert(port, 1060);
    }
    ports.insert(0, 1060); // `('localhost', 0)`: the address as given to a server run with -p 0
    let mut next = 41794u16;
    for line in &mut lines {
        // Command lines: no -p (the book's default port), the super-server on 1060.
        if line.starts_with("$ ") {
            if let Some(at) = line.find(" -p ") {
                let end = line[at + 4..].find(' ').map_or(line.len(), |e| at + 4 + e);
                line.replace_range(at..end, "");
            }
            if let Some(port) = server_port.filter(|_| line.contains(" -l 127.0.0.1:")) {
                *line = line.replacen(&format!("127.0.0.1:{port}"), "127.0.0.1:1060", 1);
            }
        }
        *line = replace_ports(line, &mut ports, &mut next);
    }

    // Listing 3-2: the first recv() returns 16 to 42 bytes as timing has it; the book's
    // session shows 32 (or all of a shorter reply).
    let received: usize = lines
        .iter()
        .rev()
        .find_map(|l| {
            l.strip_prefix("  ")?
                .strip_suffix(" bytes received")?
                .parse()
                .ok()
        })
        .unwrap_or(0);
    for line in &mut lines {
        if line.starts_with("  The first data received says b'CAPITALIZE") {
            let first = conformance::stream::stream(conformance::stream::REPLY, received.min(32));
            *line = format!("  The first data received says {}", PyBytes(&first));
        }
    }

    // Chapter 7: the client asks its questions in random order; the book's session
    // shows Simple, Explicit, Beautiful.
    let book_order = [2, 1, 0];
    let is_pair = |l: &str| {
        APHORISMS
            .iter()
            .any(|(q, a)| l == format!("{} {}", PyBytes(q), PyBytes(a)))
    };
    let mut i = 0;
    while i + 3 <= lines.len() {
        if lines[i..i + 3].iter().all(|l| is_pair(l)) {
            for (k, &index) in book_order.iter().enumerate() {
                let (q, a) = APHORISMS[index];
                lines[i + k] = format!("{} {}", PyBytes(q), PyBytes(a));
            }
            i += 3;
        } else {
            i += 1;
        }
    }

    // udp-flood: the slow reader's luck and the longest blocked send() vary.
    let mut in_slow_round = false;
    for line in &mut lines {
        if line.starts_with("round 2:") {
            in_slow_round = true;
        } else if line.starts_with("the same over TCP") {
            in_slow_round = false;
        }
        if in_slow_round && (line.starts_with("  receiver: ") || line.starts_with("  lost: ")) {
            *line = vary_numbers(line);
        }
        if line.contains(" blocked ") && line.contains(" ms") {
            *line = vary_before(line, " ms");
        }
        // close-vs-shutdown: how soon the blocked reader woke.
        if line.contains(" ms after the shutdown") {
            *line = vary_before(line, " ms after the shutdown");
        }
        if line.starts_with("verdict: holds — UDP dropped ") {
            *line = vary_before(&vary_before(line, " for a slow one"), " ms)");
        }
    }
    let mut out = lines.join("\n");
    out.push('\n');
    out
}

/// Replaces the port of every Python address tuple in `line` (`('127.0.0.1', 41234`) by
/// its stable stand-in: the one it already has, or the next of the example values.
fn replace_ports(line: &str, ports: &mut HashMap<u16, u16>, next: &mut u16) -> String {
    testkit::replace_ports(line, |port| {
        let stand_in = *ports.entry(port).or_insert_with(|| {
            let value = *next;
            *next += 14;
            value
        });
        stand_in.to_string()
    })
}

/// Every number in `line` as `[varies]`.
fn vary_numbers(line: &str) -> String {
    let mut out = String::new();
    let mut in_number = false;
    for c in line.chars() {
        if c.is_ascii_digit() || (in_number && c == '.') {
            if !in_number {
                out.push_str("[varies]");
                in_number = true;
            }
        } else {
            in_number = false;
            out.push(c);
        }
    }
    out
}

/// The number just before `marker` in `line` as `[varies]`.
fn vary_before(line: &str, marker: &str) -> String {
    let Some(at) = line.find(marker) else {
        return line.to_string();
    };
    let start = line[..at]
        .rfind(|c: char| !c.is_ascii_digit() && c != '.')
        .map_or(0, |i| i + 1);
    if start == at {
        return line.to_string();
    }
    format!("{}[varies]{}", &line[..start], &line[at..])
}

fn output_path(krate: &str) -> PathBuf {
    workspace_root()
        .join("crates")
        .join(krate)
        .join("output.txt")
}

/// Re-runs every session (at once: each on its own port) and returns each file's new text.
fn record_all() -> Result<Vec<(&'static str, String)>, String> {
    // Build everything first, once, so the sessions do not wait on each other's builds.
    let mut packages: Vec<&str> = TRANSCRIPTS.iter().map(|(k, _)| *k).collect();
    packages.retain(|k| *k != "zen-utils");
    build(&packages, Profile::Debug)?;
    let jobs: Vec<_> = TRANSCRIPTS
        .iter()
        .map(|&(krate, runs)| {
            thread::spawn(move || -> Result<(&'static str, String), String> {
                let mut text = String::new();
                for (i, run) in runs.iter().enumerate() {
                    if i > 0 {
                        text.push('\n');
                    }
                    let shown = record(*run)?;
                    let shown = if krate == "zen-client" {
                        client_half(&shown)
                    } else {
                        shown
                    };
                    text.push_str(&normalise(&shown));
                }
                Ok((krate, text))
            })
        })
        .collect();
    jobs.into_iter()
        .map(|job| job.join().map_err(|_| "a session panicked".to_string())?)
        .collect()
}

/// The client's part of a Chapter 7 session: the `zen_client` commands and their lines.
fn client_half(session: &str) -> String {
    let mut out = String::new();
    let mut keep = false;
    for line in session.lines() {
        if line.starts_with("$ ") {
            keep = line.starts_with("$ zen_client ");
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

pub fn transcripts(check: bool) -> ExitCode {
    let recorded = match record_all() {
        Ok(recorded) => recorded,
        Err(error) => {
            eprintln!("cargo xtask transcripts: {error}");
            return ExitCode::FAILURE;
        }
    };
    let mut files = HashMap::new();
    let mut stale = Vec::new();
    for (krate, text) in &recorded {
        let path = output_path(krate);
        let relative = format!("crates/{krate}/output.txt");
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
        files.insert(relative, text.clone());
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
    fn ports_orders_and_first_pieces_are_made_stable() {
        let session = "$ srv_threaded localhost -p 0 > server.log &\n\
$ zen_client localhost -p 40499\n\
b'Beautiful is better than?' b'Ugly.'\n\
b'Simple is better than?' b'Complex.'\n\
b'Explicit is better than?' b'Implicit.'\n\
$ cat server.log\n\
Listening at ('localhost', 0)\n\
Accepted connection from ('127.0.0.1', 56468)\n\
Client socket to ('127.0.0.1', 56468) has closed\n\
Accepted connection from ('127.0.0.1', 56474)\n";
        let text = normalise(session);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "$ srv_threaded localhost > server.log &");
        assert_eq!(lines[1], "$ zen_client localhost");
        assert_eq!(lines[2], "b'Simple is better than?' b'Complex.'");
        assert_eq!(lines[4], "b'Beautiful is better than?' b'Ugly.'");
        assert_eq!(lines[6], "Listening at ('localhost', 1060)");
        assert_eq!(lines[7], "Accepted connection from ('127.0.0.1', 41794)");
        assert_eq!(lines[8], "Client socket to ('127.0.0.1', 41794) has closed");
        assert_eq!(lines[9], "Accepted connection from ('127.0.0.1', 41808)");
        let deadlock = "$ tcp_deadlock client localhost 32 -p 4321\n  The first data received says b'CAPITALIZE THIS!'\n\r  16 bytes received \r  32 bytes received \n";
        let text = normalise(deadlock);
        assert!(
            text.contains("says b'CAPITALIZE THIS!CAPITALIZE THIS!'\n"),
            "{text}"
        );
        assert!(text.ends_with("  32 bytes received\n"), "{text}");
        assert_eq!(
            vary_before("blocked 256 ms: x", " ms"),
            "blocked [varies] ms: x"
        );
        assert_eq!(
            normalise("  reader thread: woke → 0 bytes (EOF), 2.5 ms after the shutdown\n"),
            "  reader thread: woke → 0 bytes (EOF), [varies] ms after the shutdown\n"
        );
        assert_eq!(
            vary_numbers("  lost: 19397 (97.0%); counted 19397"),
            "  lost: [varies] ([varies]%); counted [varies]"
        );
    }
}
