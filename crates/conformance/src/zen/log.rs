//! The Zen servers' log lines: what each connection should make each server log, and
//! the checks of a log against them.

use super::*;

/// What a log line must be.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Line {
    Exactly(String),
    /// Starts with the first, and contains one of the others.
    ErrorWith(String, Vec<&'static str>),
    /// A line that starts with this, if there is one at all.
    Optional(String),
}

impl Line {
    fn matches(&self, line: &str) -> bool {
        match self {
            Self::Exactly(expected) => line == expected,
            Self::ErrorWith(prefix, words) => {
                line.starts_with(prefix.as_str()) && words.iter().any(|w| line.contains(w))
            }
            Self::Optional(prefix) => line.starts_with(prefix.as_str()),
        }
    }
}

impl std::fmt::Display for Line {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Exactly(line) => write!(f, "{line:?}"),
            Self::ErrorWith(prefix, words) => write!(f, "{prefix:?}... with one of {words:?}"),
            Self::Optional(prefix) => write!(f, "perhaps {prefix:?}..."),
        }
    }
}

/// How each server words its log lines (the catalog's [`LogStyle`]): the book's servers
/// differ.
///
/// - `zen_utils`: `Accepted connection from`, `Client socket to ... has closed`,
///   `Client ... error: received b'...' then socket closed`;
/// - socketserver (`srv_legacy1`): `zen_utils`' lines without `Accepted`;
/// - one loop (`srv_async`, `srv_asyncio2`): `closed socket normally`, `sent b'...' but
///   then closed`;
/// - callbacks (`srv_asyncio1`): `closed socket`, `sent b'...' but then closed`;
/// - asyncore (`srv_legacy2`): nothing per connection but errors of its own making.
pub trait Lines {
    /// The lines a connection from `client` (`('127.0.0.1', 41794)`) should log.
    fn lines(self, client: &str, events: &[Event]) -> Vec<Line>;
}

impl Lines for LogStyle {
    fn lines(self, client: &str, events: &[Event]) -> Vec<Line> {
        let mut lines = Vec::new();
        for event in events {
            let line = match (self, event) {
                (Self::ZenUtils | Self::Loop | Self::Callbacks, Event::Accepted) => {
                    Line::Exactly(format!("Accepted connection from {client}"))
                }
                (Self::ZenUtils | Self::Socketserver, Event::ClosedNormally) => {
                    Line::Exactly(format!("Client socket to {client} has closed"))
                }
                (Self::ZenUtils | Self::Socketserver, Event::ClosedMidQuestion(bytes)) => {
                    Line::Exactly(format!(
                        "Client {client} error: received {} then socket closed",
                        PyBytes(bytes)
                    ))
                }
                (Self::Loop, Event::ClosedNormally) => {
                    Line::Exactly(format!("Client {client} closed socket normally"))
                }
                (Self::Callbacks, Event::ClosedNormally) => {
                    Line::Exactly(format!("Client {client} closed socket"))
                }
                (Self::Loop | Self::Callbacks, Event::ClosedMidQuestion(bytes)) => Line::Exactly(
                    format!("Client {client} sent {} but then closed", PyBytes(bytes)),
                ),
                // asyncore closes a reset connection without a word.
                (Self::Asyncore, Event::Error("reset")) => continue,
                // Whatever ended the connection, in whatever words (or none, for
                // asyncore): a line that names the client.
                (Self::Asyncore, Event::Error("any")) => {
                    Line::Optional(format!("Client {client} "))
                }
                (_, Event::Error("any")) => Line::ErrorWith(format!("Client {client} "), vec![""]),
                (_, Event::Error(word)) => {
                    // A reset mid-question may also be seen as the end of a cut question,
                    // if the server read the bytes and the end of file before the reset.
                    let mut words = vec![*word];
                    if *word == "reset" {
                        words.extend(["then socket closed", "but then closed"]);
                        // The book's poll() loop reports a reset that came before it read
                        // the half question as a normal close: it only sees the hang-up.
                        if matches!(self, Self::Loop | Self::Callbacks) {
                            words.push("closed socket");
                        }
                    }
                    let prefix = match (self, *word == "reset") {
                        (Self::Loop | Self::Callbacks, true) => format!("Client {client} "),
                        _ => format!("Client {client} error: "),
                    };
                    Line::ErrorWith(prefix, words)
                }
                _ => continue,
            };
            lines.push(line);
        }
        lines
    }
}

/// Checks a server's log against what the connections should have made it log: for each
/// connection, the lines that name its address are exactly the expected ones, in order.
pub fn check_log(log: &str, style: LogStyle, connections: &[Connection]) -> Result<(), String> {
    for c in connections {
        let client = format!("('127.0.0.1', {})", c.client_port);
        let mentioned = format!("{client} ");
        let got: Vec<&str> = log
            .lines()
            .filter(|l| l.contains(&mentioned) || l.ends_with(&client))
            .collect();
        let mut expected = style.lines(&client, &c.events);
        // An optional last line that is not there is not missing.
        if got.len() + 1 == expected.len() && matches!(expected.last(), Some(Line::Optional(_))) {
            expected.pop();
        }
        let same =
            got.len() == expected.len() && got.iter().zip(&expected).all(|(g, e)| e.matches(g));
        if !same {
            let expected: Vec<String> = expected.iter().map(Line::to_string).collect();
            return Err(format!(
                "log lines for {client}: expected [{}], got {got:?}",
                expected.join(", ")
            ));
        }
    }
    Ok(())
}

/// The events of the book's `test.sh` session: a client that asks its three questions,
/// then `client -e`, which sends half a question and closes.
pub fn session_events() -> [Vec<Event>; 2] {
    [
        vec![Event::Accepted, Event::ClosedNormally],
        vec![
            Event::Accepted,
            Event::ClosedMidQuestion(CUT_QUESTION.to_vec()),
        ],
    ]
}

/// How many lines a server logs for the session of [`session_events`], besides its
/// `Listening at` line.
pub fn session_lines(style: LogStyle) -> usize {
    session_events()
        .iter()
        .map(|events| style.lines("", events).len())
        .sum()
}

/// Checks a server's whole log of the `test.sh` session: its first line is `first` (the
/// `Listening at` line, if the server prints one), its last is `last` (if given), and in
/// between, with every port masked as `PORT`, exactly the lines of the two connections
/// (in either interleaving: a concurrent server may log the second client's arrival
/// before the first one's departure).
pub fn check_session_log(
    log: &str,
    style: LogStyle,
    first: Option<&str>,
    last: Option<&str>,
) -> Result<(), String> {
    let masked = testkit::mask_ports(log);
    let mut lines: Vec<&str> = masked.lines().collect();
    if let Some(first) = first {
        if lines.first() != Some(&first) {
            return Err(format!("the log does not begin with {first:?}: {log:?}"));
        }
        lines.remove(0);
    }
    if let Some(last) = last {
        if lines.last() != Some(&last) {
            return Err(format!("the log does not end with {last:?}: {log:?}"));
        }
        lines.pop();
    }
    let client = "('127.0.0.1', PORT)";
    let mut expected: Vec<Line> = session_events()
        .iter()
        .flat_map(|events| style.lines(client, events))
        .collect();
    for line in &lines {
        match expected.iter().position(|e| e.matches(line)) {
            Some(at) => {
                expected.remove(at);
            }
            None => return Err(format!("unexpected log line {line:?} in {log:?}")),
        }
    }
    if let Some(missing) = expected.first() {
        return Err(format!("no log line {missing} in {log:?}"));
    }
    Ok(())
}

/// Whether the log already holds every line the connections should produce (for waiting
/// until a server has finished logging a case).
pub fn log_complete(log: &str, style: LogStyle, connections: &[Connection]) -> bool {
    connections.iter().all(|c| {
        let client = format!("('127.0.0.1', {})", c.client_port);
        let mentioned = format!("{client} ");
        let count = log
            .lines()
            .filter(|l| l.contains(&mentioned) || l.ends_with(&client))
            .count();
        let required = style
            .lines(&client, &c.events)
            .iter()
            .filter(|l| !matches!(l, Line::Optional(_)))
            .count();
        count >= required
    })
}
