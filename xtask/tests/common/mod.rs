//! What the tests of `cargo xtask` share: running it as a reader does, and reading what
//! it printed.
#![allow(dead_code)]

use std::process::Command;
use std::time::Duration;

use testkit::{Process, kernel, mask_ports};

pub const XTASK: &str = env!("CARGO_BIN_EXE_xtask");
/// Includes building the listing, which may compile it the first time.
pub const LIMIT: Duration = Duration::from_secs(300);

pub fn xtask(args: &[&str]) -> (Option<i32>, String, String) {
    let mut command = Command::new(XTASK);
    command.args(args);
    let (status, stdout, stderr) = Process::spawn(command).unwrap().finish(LIMIT).unwrap();
    (status.code(), stdout, stderr)
}

/// `cargo xtask LINE`, the line split as a shell splits words.
pub fn xtask_line(line: &str) -> (Option<i32>, String, String) {
    let words = shlex::split(line).unwrap();
    xtask(&words.iter().map(String::as_str).collect::<Vec<_>>())
}

/// The JSON a task wrote to `path`, parsed strictly.
pub fn read_json(path: &std::path::Path) -> serde_json::Value {
    let text = std::fs::read_to_string(path).unwrap();
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// `cargo xtask run --port 0 ARGS...`.
pub fn run(args: &[&str]) -> (Option<i32>, String, String) {
    let mut all = vec!["run", "--port", "0"];
    all.extend_from_slice(args);
    xtask(&all)
}

/// `cargo xtask run --built --port 0 ARGS...`, after one `cargo build` of every runnable
/// listing for all the tests of this binary: their sessions then do not queue for cargo's
/// lock one by one. (`run_3_1_shows_the_books_session` runs the build as a reader does.)
pub fn run_built(args: &[&str]) -> (Option<i32>, String, String) {
    build_every_listing();
    let mut all = vec!["run", "--built", "--port", "0"];
    all.extend_from_slice(args);
    xtask(&all)
}

/// One `cargo build` of every runnable listing's binaries and its stand-ins', for all the
/// tests of this binary.
pub fn build_every_listing() {
    static BUILT: std::sync::OnceLock<()> = std::sync::OnceLock::new();
    BUILT.get_or_init(|| {
        let mut command = testkit::cargo();
        command.args(["build", "--quiet", "--bins"]);
        for l in catalog::listings().filter(|l| !l.bins.is_empty()) {
            for package in l.packages() {
                command.args(["--package", package]);
            }
        }
        let status = command
            .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
            .status()
            .unwrap();
        assert!(status.success(), "cargo build failed");
    });
}

/// The port the session's server listened on, from its `-p N` on the client's line.
pub fn session_port(stdout: &str) -> u16 {
    let line = stdout
        .lines()
        .find(|l| l.starts_with("$ ") && l.contains(" client ") && l.contains(" -p "))
        .unwrap_or_else(|| panic!("no client line with a port in {stdout}"));
    line.rsplit(" -p ").next().unwrap().parse().unwrap()
}

/// The session's server is gone: nothing listens on its port any more.
pub fn assert_server_gone(stdout: &str) {
    let port = session_port(stdout);
    assert_ne!(
        kernel::listening_anywhere(port),
        Some(true),
        "something still listens on the session's port {port}"
    );
}

pub const SIXTEEN_SERVER_LOG: &str = "$ cat server.log\n\
    Listening at ('127.0.0.1', PORT)\n\
    Waiting to accept a new connection\n\
    We have accepted a connection from ('127.0.0.1', PORT)\n  \
    Socket name: ('127.0.0.1', PORT)\n  \
    Socket peer: ('127.0.0.1', PORT)\n  \
    Incoming sixteen-octet message: b'Hi there, server'\n  \
    Reply sent, socket closed\n\
    Waiting to accept a new connection\n";

/// Drops the `-p N` options and any busy-port note.
pub fn without_port_choice(transcript: &str) -> String {
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

pub fn count_between(text: &str, before: &str, after: &str) -> u64 {
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
pub fn variant_session(id: &str, bytecount: Option<u64>) {
    let bin = bin(id);
    let given = bytecount.map(|n| n.to_string());
    let mut args = vec![id];
    args.extend(given.as_deref());
    let (code, stdout, stderr) = run_built(&args);
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

/// A minimal well-formedness check of XML: every element closed, in order.
pub fn well_formed(xml: &str) -> Result<(), String> {
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

/// A listing's binary, from the catalog.
pub fn bin(id: &str) -> &'static str {
    catalog::by_id(id).and_then(catalog::Listing::bin).unwrap()
}

/// The catalog's Zen servers that `cargo xtask run 7` runs, and their client.
pub fn zen_servers() -> (Vec<&'static catalog::Listing>, &'static str) {
    let servers = catalog::Family::Zen
        .members()
        .filter(|l| l.runnable())
        .collect();
    let client = catalog::client_of(catalog::Family::Zen).and_then(catalog::Listing::bin);
    (servers, client.unwrap())
}

/// The Listing 3-2 variants' binaries (the book's own is `bin("3-2")`).
pub fn variants() -> Vec<&'static str> {
    ["3-2-threaded", "3-2-nonblocking", "3-2-async"]
        .into_iter()
        .map(bin)
        .collect()
}

/// `cargo xtask ARGS...` with its standard output a pipe whose reading end is already
/// closed, as under `| head -1` once head has gone: its exit code and stderr.
pub fn xtask_into_closed_pipe(args: &[&str]) -> (Option<i32>, String) {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let mut command = Command::new(XTASK);
    command.args(args);
    let process = testkit::Spawn::new(command)
        .stdout(writer.into())
        .start()
        .unwrap();
    let (status, _, stderr) = process.finish(LIMIT).unwrap();
    (status.code(), stderr)
}

/// What every task says when its standard output is closed: one line, exit 1, no panic.
/// A heavy task's progress lines on stderr (`throughput round 1 of 1`) and cargo's own
/// are not errors, and are let through where `progress` says so.
pub fn assert_one_line_for_a_closed_pipe(args: &[&str], progress: bool) {
    let (code, stderr) = xtask_into_closed_pipe(args);
    assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    let line = "cargo xtask: cannot write to standard output: Broken pipe (os error 32)";
    let said: Vec<&str> = stderr
        .lines()
        .filter(|l| l.contains("standard output"))
        .collect();
    assert_eq!(said, [line], "{args:?}: {stderr}");
    if !progress {
        assert_eq!(stderr.trim_end(), line, "{args:?}");
    }
    assert_eq!(code, Some(1), "{args:?}: {stderr}");
}
