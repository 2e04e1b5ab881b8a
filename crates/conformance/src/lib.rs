//! The conformance tables, written once as data: what the book's listings put on the wire
//! and print, for every family of listings (`3-1`, `3-2`, `zen`). The workspace's tests run
//! them against every implementation through small adapters (in `tests/` and each
//! listing's crate); `cargo xtask conform` runs them against any program, through the
//! driver of external processes in [`external`]. This crate links no listing: it is the
//! book's side of the comparison, so that an implementation is never checked against its
//! own code.
//!
//! Every case has a stable kebab-case ID (`all-byte-values`, `half-close-at-once`).

pub mod binaries;
pub mod dns;
pub mod external;
pub mod framing;
pub mod framing_binaries;
pub mod http_client;
pub mod http_server;
pub mod pairs;
pub mod registry;
pub mod runner;
pub mod sixteen;
pub mod stream;
pub mod table;
pub mod tls;
pub mod transcripts;
pub mod udp;
pub mod udp_binaries;
pub mod uppercase;
pub mod variants;
pub mod zen;
pub mod zen_binaries;

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use fopnp::PyBytes;

/// How long a case waits, in milliseconds (see [`patience`]).
static PATIENCE_MS: AtomicU64 = AtomicU64::new(20_000);

/// How long a case waits for an answer, an end of file, or a server to listen before it
/// fails: 20 seconds, unless [`set_patience`] said otherwise (`cargo xtask conform
/// --timeout`).
pub fn patience() -> Duration {
    Duration::from_millis(PATIENCE_MS.load(Ordering::Relaxed))
}

/// Sets [`patience`] for the rest of the process.
pub fn set_patience(limit: Duration) {
    PATIENCE_MS.store(limit.as_millis() as u64, Ordering::Relaxed);
}

/// A case an implementation cannot run, and why: adapters list these explicitly.
pub type Skip = (&'static str, &'static str);

/// The reason `skips` gives for case `id`, if it skips it.
pub fn skip_reason(skips: &[Skip], id: &str) -> Option<&'static str> {
    skips
        .iter()
        .find(|(case, _)| *case == id)
        .map(|(_, why)| *why)
}

/// How one case went.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    Pass,
    Fail(String),
    Skipped(String),
}

impl Verdict {
    /// A pass, or a failure with its reason.
    pub fn of(result: Result<(), String>) -> Self {
        result.map_or_else(Verdict::Fail, |()| Verdict::Pass)
    }
}

/// How a client run ended.
#[derive(Clone, Debug, Default)]
pub struct ClientRun {
    pub success: bool,
    pub stdout: String,
    pub stderr: String,
    /// What it printed, byte for byte (`stdout` is that decoded, a byte that is not UTF-8
    /// replaced); empty where the runner does not keep it.
    pub raw_stdout: Vec<u8>,
    /// What the table's stand-in logged while the client ran, a line each (empty where
    /// the table has no stand-in that logs its requests).
    pub seen: Vec<String>,
    /// The client's peak resident memory, where it was measured.
    pub peak_bytes: Option<u64>,
}

/// Runs the client under test against a port, with the case's byte count (0 where the
/// family has none) and its extra arguments (`-e`).
pub type RunClient<'a> = &'a dyn Fn(u16, u64, &[&str]) -> ClientRun;

/// What a scripted server (the book's, as this crate plays it) recorded of one client:
/// the bytes it sent, and whether it closed its side.
pub type Recording = std::thread::JoinHandle<Result<(Vec<u8>, bool), String>>;

/// Holds a client's standard output to what it must print, for a byte count.
pub type CheckOutput<'a> = &'a dyn Fn(&[u8], u64) -> Result<(), String>;

/// Panics with every failed case, for a test; prints passes and skips.
pub fn assert_all_pass(who: &str, results: &[(&'static str, Verdict)]) {
    assert_verdicts(
        results
            .iter()
            .map(|(id, v)| (format!("{who} / {id}"), v.clone())),
    );
}

/// Panics with every failed case, each named as given (`who / case`); prints passes and
/// skips.
pub fn assert_verdicts(results: impl IntoIterator<Item = (String, Verdict)>) {
    let mut failures = Vec::new();
    for (case, verdict) in results {
        match verdict {
            Verdict::Pass => eprintln!("ok: {case}"),
            Verdict::Skipped(why) => eprintln!("skipped: {case}: {why}"),
            Verdict::Fail(error) => failures.push(format!("{case}: {error}")),
        }
    }
    assert!(
        failures.is_empty(),
        "failed cases:\n{}",
        failures.join("\n")
    );
}

/// Two byte strings set side by side at their first difference, as Python prints bytes,
/// with the difference marked: for a failed case's report.
pub fn diff_bytes(expected: &[u8], actual: &[u8]) -> String {
    let at = expected
        .iter()
        .zip(actual)
        .take_while(|(a, b)| a == b)
        .count();
    if at == expected.len() && at == actual.len() {
        return format!("the same {} bytes", expected.len());
    }
    let from = at.saturating_sub(16);
    let window = |bytes: &[u8]| {
        let end = bytes.len().min(at + 16);
        let shown = PyBytes(&bytes[from.min(end)..end]).to_string();
        let more = if end < bytes.len() { "..." } else { "" };
        let less = if from > 0 { "..." } else { "" };
        format!("{less}{shown}{more}")
    };
    // The mark goes under the first byte that differs, in the expected line.
    let lead = if from > 0 { 3 } else { 0 };
    let before = PyBytes(&expected[from..at]).to_string();
    let column = lead + before.len() - 1;
    format!(
        "first difference at byte {at} ({} bytes expected, {} received):\n  expected {}\n  actual   {}\n           {}^",
        expected.len(),
        actual.len(),
        window(expected),
        window(actual),
        " ".repeat(column)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_difference_is_shown_and_marked() {
        let text = diff_bytes(b"CAPITALIZE THIS!", b"CAPITALIZe THIS!");
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[0],
            "first difference at byte 9 (16 bytes expected, 16 received):"
        );
        assert_eq!(lines[1], "  expected b'CAPITALIZE THIS!'");
        assert_eq!(lines[2], "  actual   b'CAPITALIZe THIS!'");
        let mark = lines[3].find('^').unwrap();
        assert_eq!(&lines[1][mark..=mark], "E");
        let long: Vec<u8> = b"x".repeat(40);
        let mut other = long.clone();
        other[30] = b'y';
        let text = diff_bytes(&long, &other);
        let lines: Vec<&str> = text.lines().collect();
        let mark = lines[3].find('^').unwrap();
        assert_eq!(&lines[2][mark..=mark], "y", "{text}");
        assert!(diff_bytes(b"abc", b"abc").starts_with("the same"));
        assert!(diff_bytes(b"abc", b"ab").contains("3 bytes expected, 2 received"));
    }
}
