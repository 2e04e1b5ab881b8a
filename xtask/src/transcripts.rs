//! `cargo xtask transcripts [--check]`: every listing's recorded session, `output.txt`
//! beside its crate, as rust-lang/book keeps them: line 1 is the session's first command as
//! `cargo xtask run` shows it, then what the terminal shows, client and server both. The
//! tool re-runs each session, normalises what varies from run to run, and rewrites the
//! files (or, with `--check`, fails with a diff); it also copies them into the README's
//! sessions, so that neither can drift from what the code prints.

use std::collections::HashMap;

use std::process::{Command, ExitCode};
use std::thread;

use conformance::zen::APHORISMS;
use fopnp::PyBytes;

use catalog::{LISTINGS, Listing, Recorded};

use crate::build::{Profile, build, workspace_root};

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

/// Makes a session's text the same from run to run: progress lines rendered as a
/// terminal shows them; the ports the system chose replaced by the book's 1060 for the
/// server and fixed example values for clients; the size of the first `recv()` and the
/// order of the Zen questions as in the book's sessions; and udp-flood's timings and
/// slow-reader counts, and close-vs-shutdown's wake-up time, marked `[varies]`.
pub fn normalise(text: &str) -> String {
    let rendered = fopnp::progress::render(text).join("\n");
    // `# port N is busy here; ...` is about the machine (another session took the port
    // that was free a moment before), not about the listing.
    let mut lines: Vec<String> = rendered
        .lines()
        .filter(|l| !(l.starts_with("# port ") && l.contains(" is busy here; ")))
        .map(str::to_string)
        .collect();

    // The server's port: the one the client commands connect to (or a super-server's).
    let server_port = lines.iter().find_map(|l| {
        let l = l.strip_prefix("$ ")?;
        if let Some(at) = l.find(" -l 127.0.0.1:") {
            return l[at + 14..].split_whitespace().next()?.parse::<u16>().ok();
        }
        // Chapter 6's client: `BIN -a certs/ca.crt localhost PORT`.
        if let Some((head, last)) = l.rsplit_once(' ')
            && l.contains(" -a ")
            && head.ends_with(" localhost")
        {
            return last.parse::<u16>().ok();
        }
        let zen_client = catalog::client_of(catalog::Family::Zen).and_then(Listing::bin);
        let client = l.contains(" client ") || l.contains(" -c ");
        if client || zen_client.is_some_and(|c| l.starts_with(&format!("{c} "))) {
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
            // Chapter 6: the port is the last word, after the host.
            let words: Vec<&str> = line.split(' ').collect();
            if let [.., host, port, ">", "server.log", "&"] | [.., host, port] = words[..]
                && ["localhost", "127.0.0.1"].contains(&host)
                && let Ok(port) = port.parse::<u16>()
                && let Some(stand_in) = ports.get(&port)
            {
                *line = line.replacen(
                    &format!(" {host} {port}"),
                    &format!(" {host} {stand_in}"),
                    1,
                );
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
    // udp_local: the time the client sent.
    for line in &mut lines {
        if let Some(at) = line.find("'The time is ") {
            let start = at + "'The time is ".len();
            if let Some(len) = line[start..].find('\'') {
                line.replace_range(start..start + len, "[varies]");
            }
        }
    }

    // streamer: how the kernel cut the stream into pieces varies (96, 31 + 65, ...): one
    // line stands for them all.
    let piece = |l: &str| {
        l.strip_prefix("Received ")
            .and_then(|l| l.strip_suffix(" bytes"))
            .is_some_and(|n| n.parse::<u64>().is_ok())
    };
    lines.dedup_by(|b, a| piece(a) && piece(b));
    for line in lines.iter_mut().filter(|l| piece(l)) {
        *line = "Received [varies] bytes".into();
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

    use super::*;

    #[test]
    fn ports_orders_and_first_pieces_are_made_stable() {
        // Names from the catalog: a server, the Zen client, Listing 3-2.
        let bin = |id| catalog::by_id(id).and_then(Listing::bin).unwrap();
        let (server, client, book) = (bin("srv_threaded"), bin("zen_client"), bin("3-2"));
        let session = format!(
            "# port 40011 is busy here; the server listens on port 40499 instead\n\
$ {server} localhost -p 0 > server.log &\n\
$ {client} localhost -p 40499\n\
b'Beautiful is better than?' b'Ugly.'\n\
b'Simple is better than?' b'Complex.'\n\
b'Explicit is better than?' b'Implicit.'\n\
$ cat server.log\n\
Listening at ('localhost', 0)\n\
Accepted connection from ('127.0.0.1', 56468)\n\
Client socket to ('127.0.0.1', 56468) has closed\n\
Accepted connection from ('127.0.0.1', 56474)\n"
        );
        let text = normalise(&session);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], format!("$ {server} localhost > server.log &"));
        assert_eq!(lines[1], format!("$ {client} localhost"));
        assert_eq!(lines[2], "b'Simple is better than?' b'Complex.'");
        assert_eq!(lines[4], "b'Beautiful is better than?' b'Ugly.'");
        assert_eq!(lines[6], "Listening at ('localhost', 1060)");
        assert_eq!(lines[7], "Accepted connection from ('127.0.0.1', 41794)");
        assert_eq!(lines[8], "Client socket to ('127.0.0.1', 41794) has closed");
        assert_eq!(lines[9], "Accepted connection from ('127.0.0.1', 41808)");
        let deadlock = format!(
            "$ {book} client localhost 32 -p 4321\n  The first data received says b'CAPITALIZE THIS!'\n\r  16 bytes received \r  32 bytes received \n"
        );
        let text = normalise(&deadlock);
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
