//! A demonstration's steps and verdict: the book's claims about sockets, run on real
//! sockets, print every call and what the kernel answered, then whether the claim holds
//! here (page 53's claims, Chapter 2's).

use std::fmt::Debug;
use std::io::{self, Write};
use std::time::Duration;

/// No step of a demonstration may wait longer than this: a socket that would block for
/// good fails with a timeout instead.
pub const STEP_LIMIT: Duration = Duration::from_secs(5);

/// How a demonstration ends.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// The book's claim holds here; says what was seen.
    Holds(String),
    /// This system behaves otherwise; says how.
    Differs(String),
}

impl Verdict {
    /// The verdict a demonstration printed as its last line (the inverse of `Display`),
    /// for one that runs itself again elsewhere (in a network namespace).
    pub fn parse(line: &str) -> Option<Self> {
        if let Some(why) = line.strip_prefix("verdict: holds — ") {
            return Some(Self::Holds(why.to_string()));
        }
        line.strip_prefix("verdict: differs on this system — ")
            .map(|why| Self::Differs(why.to_string()))
    }

    pub fn holds(&self) -> bool {
        matches!(self, Self::Holds(_))
    }
}

impl std::fmt::Display for Verdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Holds(why) => write!(f, "verdict: holds — {why}"),
            Self::Differs(why) => write!(f, "verdict: differs on this system — {why}"),
        }
    }
}

/// What a call returned, as a reader wants to see it: `Ok(9)`, `0 bytes (EOF)`, or the
/// error's kind and text.
pub fn answer<T: Debug>(result: &io::Result<T>) -> String {
    match result {
        Ok(value) => format!("Ok({value:?})"),
        Err(error) => format!("error {:?} ({error})", error.kind()),
    }
}

/// What a read returned: `9 bytes b'late data'`, `0 bytes (EOF)`, or the error.
pub fn read_answer(result: &io::Result<usize>, buf: &[u8]) -> String {
    match result {
        Ok(0) => "0 bytes (EOF)".into(),
        Ok(n) => format!("{n} bytes {}", crate::PyBytes(&buf[..*n])),
        Err(_) => answer(result),
    }
}

/// Prints one step: `  who: call → answer`.
pub fn step(out: &mut dyn Write, who: &str, call: &str, answer: &str) -> io::Result<()> {
    writeln!(out, "  {who}: {call} → {answer}")
}

/// Prints the claim being tested, and where the book makes it.
pub fn claim(out: &mut dyn Write, source: &str, text: &str) -> io::Result<()> {
    writeln!(out, "claim ({source}): {text}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_printed_verdict_reads_back() {
        for verdict in [
            Verdict::Holds("it did".into()),
            Verdict::Differs("it did not".into()),
        ] {
            assert_eq!(Verdict::parse(&verdict.to_string()), Some(verdict));
        }
        assert_eq!(Verdict::parse("claim (page 53): ..."), None);
    }
}
