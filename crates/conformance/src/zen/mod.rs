//! Chapter 7's Zen protocol (family `zen`): its cases, independent of any implementation.
//!
//! A question ends with `?`, an answer with `.`. The server cases connect to a server at
//! a port and check what comes back, and say what each connection should have made the
//! server log; [`check_log`] holds a server's log to that, in the server's own
//! [`LogStyle`] (the book's servers word their lines differently). The client cases run a
//! client against a scripted server and check its bytes on the wire and what it prints.

use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::thread;
use std::time::{Duration, Instant};

pub use catalog::{Concurrency, LogStyle};
use fopnp::PyBytes;

use crate::table::{Running, ServerSpec, Table};
pub use crate::{ClientRun, RunClient, Verdict, assert_all_pass};

mod client;
mod log;
mod server;

use server::*;

pub use client::*;
pub use log::*;

/// The three questions and answers, as the book gives them.
pub const APHORISMS: [(&[u8], &[u8]); 3] = [
    (b"Beautiful is better than?", b"Ugly."),
    (b"Explicit is better than?", b"Implicit."),
    (b"Simple is better than?", b"Complex."),
];

/// The answer to anything else.
pub const UNKNOWN: &[u8] = b"Error: unknown aphorism.";

/// What `client.py -e` sends: the first question without its `?`.
pub const CUT_QUESTION: &[u8] = b"Beautiful is better than";

/// What a client with no `?` sends: a workspace server must close it long before the end
/// (the book's servers take any length, and grow without end).
const FLOOD: usize = 1 << 20;

/// The right answer to a whole message, for a server that answers the message once it
/// ends with `?`.
pub fn answer(question: &[u8]) -> &'static [u8] {
    APHORISMS
        .iter()
        .find(|(q, _)| *q == question)
        .map_or(UNKNOWN, |(_, a)| a)
}

/// What a case needs to know of the server under test.
#[derive(Clone, Copy, Debug)]
pub struct Target {
    pub port: u16,
    pub concurrency: Concurrency,
    /// Whether two questions in one piece get two answers (`srv_legacy2`'s asynchat
    /// splits at every `?`) or one (every other server answers the whole message).
    pub splits_questions: bool,
}

/// What one connection of a case should have made the server log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// The connection was accepted.
    Accepted,
    /// The client closed between questions.
    ClosedNormally,
    /// The client closed in the middle of a question, after sending these bytes of it.
    ClosedMidQuestion(Vec<u8>),
    /// The connection failed; the error says this (a word or two of it).
    Error(&'static str),
}

/// A connection a case made, by the client's port, and what the server should log of it.
#[derive(Clone, Debug)]
pub struct Connection {
    pub client_port: u16,
    pub events: Vec<Event>,
}

impl Connection {
    fn normal(sock: &TcpStream) -> Self {
        Self {
            client_port: local_port(sock),
            events: vec![Event::Accepted, Event::ClosedNormally],
        }
    }
}

/// A case that talks to a server: what it does, and what it needs of the server.
pub struct ServerCase {
    pub id: &'static str,
    pub title: &'static str,
    pub run: fn(&Target) -> Result<Vec<Connection>, String>,
    /// How many clients the server must serve at once for the case to apply: 1 for
    /// any server, 2 where a pool serves in turns, more where the case is about that many.
    pub needs_at_once: usize,
}

pub const SERVER_CASES: &[ServerCase] = &[
    ServerCase {
        id: "three-questions-every-order",
        title: "the three questions, in each of the six orders, one connection each",
        run: every_order,
        needs_at_once: 1,
    },
    ServerCase {
        id: "unknown-question",
        title: "a question the server does not know: Error: unknown aphorism.",
        run: unknown_question,
        needs_at_once: 1,
    },
    ServerCase {
        id: "one-byte-writes",
        title: "a question written one byte per segment",
        run: one_byte_writes,
        needs_at_once: 1,
    },
    ServerCase {
        id: "two-pieces-with-a-pause",
        title: "a question in two pieces, 200 ms apart",
        run: two_pieces,
        needs_at_once: 1,
    },
    ServerCase {
        id: "two-questions-in-one-piece",
        title: "two questions in one write: one unknown aphorism, or Complex.Ugly. from a server that splits at ?",
        run: two_questions_at_once,
        needs_at_once: 1,
    },
    ServerCase {
        id: "cause-an-error",
        title: "client.py -e: the first question without its ?, then close",
        run: cause_an_error,
        needs_at_once: 1,
    },
    ServerCase {
        id: "connect-and-close",
        title: "a client that connects and closes at once",
        run: connect_and_close,
        needs_at_once: 1,
    },
    ServerCase {
        id: "half-close-after-last-question",
        title: "a client that half-closes after its last question and waits for the server to close",
        run: half_close,
        needs_at_once: 1,
    },
    ServerCase {
        id: "reset-mid-question",
        title: "a client that resets mid-question; the next client is served",
        run: reset_mid_question,
        needs_at_once: 1,
    },
    ServerCase {
        id: "megabyte-without-question-mark",
        title: "a megabyte with no ?: the server closes it and goes on serving",
        run: megabyte_without_question_mark,
        needs_at_once: 1,
    },
    ServerCase {
        id: "never-reads-answers",
        title: "a client that sends question after question and never reads an answer: the server stops taking them (or closes) long before 64 MiB",
        run: never_reads_answers,
        needs_at_once: 1,
    },
    ServerCase {
        id: "silent-client",
        title: "a client that never sends: others are served meanwhile (one-at-a-time servers: once it goes)",
        run: silent_client,
        needs_at_once: 1,
    },
    ServerCase {
        id: "hundred-clients",
        title: "100 clients connected at once, each mid-conversation (as many at a time as the server serves)",
        run: hundred_clients,
        needs_at_once: 2,
    },
    ServerCase {
        id: "immediate-reconnects",
        title: "two clients, 300 conversations each, each reconnecting the moment its last closed",
        run: immediate_reconnects,
        needs_at_once: 1,
    },
    ServerCase {
        id: "slow-writers",
        title: "50 clients writing two questions each a byte every 50 ms, while an ordinary client must get its three answers within 2 s",
        run: slow_writers,
        needs_at_once: SLOW_WRITERS + 1,
    },
];

/// Every server case's ID, for checking that a skip names a real case.
pub fn server_case_ids() -> Vec<&'static str> {
    SERVER_CASES.iter().map(|c| c.id).collect()
}

/// The cases that take seconds of the clients' own (600 conversations; 50 slow writers),
/// which the quick suite leaves to its slow tests.
pub const HEAVY_CASES: [&str; 2] = ["immediate-reconnects", "slow-writers"];

/// Runs one server case against `target`. Where `log` is given (the workspace's own
/// servers), the case's connections are also held to the server's log lines in `style`;
/// `log` returns the log so far. A case needing more clients at once than the server
/// serves is skipped.
pub fn run_server_case(
    case: &ServerCase,
    target: &Target,
    log: Option<(LogStyle, &dyn Fn() -> String)>,
) -> Verdict {
    let at_once = target.concurrency.at_once();
    if at_once < case.needs_at_once {
        return Verdict::Skipped(match target.concurrency {
            Concurrency::One => "serves one client at a time, by design".to_string(),
            _ => format!(
                "serves {at_once} clients at a time, by design; the case needs {} at once",
                case.needs_at_once
            ),
        });
    }
    // Only what the server logs from now on is this case's: under churn, a client port of
    // an earlier case comes round again.
    let before = log.map_or(0, |(_, log)| log().len());
    let connections = match (case.run)(target) {
        Err(error) => return Verdict::Fail(error),
        Ok(connections) => connections,
    };
    let Some((style, log)) = log else {
        return Verdict::Pass;
    };
    let this_case = || log().get(before..).unwrap_or_default().to_string();
    // Wait (with a deadline) until the server has logged the case.
    testkit::wait_until(crate::patience(), || {
        log_complete(&this_case(), style, &connections)
    });
    Verdict::of(check_log(&this_case(), style, &connections))
}

// The table: how the runner reaches this protocol's cases (see `crate::table`).

/// Chapter 7's table.
pub const TABLE: Table = Table {
    family: catalog::Family::Zen,
    name: "zen",
    transport: catalog::Transport::Tcp,
    server_case_ids,
    server_case: table_server_case,
    fresh_server_per_case: false,
    client_cases: |_, run, pick| {
        let cases = CLIENT_CASES.iter().map(|c| (c.id, c.run));
        crate::table::each_client_case(cases, run, pick)
    },
    client_command: "{exe} {host} {args} -p {port}",
    certificates: false,
    stand_in: None,
    placeholders: crate::table::no_placeholders,
};

fn table_server_case(
    spec: &ServerSpec,
    server: &mut dyn Running,
    id: &'static str,
    _: &mut usize,
) -> Verdict {
    let server: &dyn Running = server;
    let target = Target {
        port: server.port(),
        concurrency: spec.concurrency,
        splits_questions: spec.splits_questions,
    };
    let read = || server.log();
    let log = spec.log.map(|style| (style, &read as &dyn Fn() -> String));
    match SERVER_CASES.iter().find(|c| c.id == id) {
        Some(case) => run_server_case(case, &target, log),
        None => Verdict::Fail("no such case".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn styles_word_the_books_lines() {
        let client = "('127.0.0.1', 41808)";
        let cut = [
            Event::Accepted,
            Event::ClosedMidQuestion(CUT_QUESTION.to_vec()),
        ];
        assert_eq!(
            LogStyle::ZenUtils.lines(client, &cut),
            [
                Line::Exactly("Accepted connection from ('127.0.0.1', 41808)".into()),
                Line::Exactly(
                    "Client ('127.0.0.1', 41808) error: received b'Beautiful is better than' then socket closed"
                        .into()
                ),
            ]
        );
        assert_eq!(
            LogStyle::Loop.lines(client, &cut)[1],
            Line::Exactly(
                "Client ('127.0.0.1', 41808) sent b'Beautiful is better than' but then closed"
                    .into()
            )
        );
        assert!(LogStyle::Asyncore.lines(client, &cut).is_empty());
        assert_eq!(LogStyle::Socketserver.lines(client, &cut).len(), 1);
    }

    #[test]
    fn a_log_is_held_to_each_connections_lines() {
        let log = "Listening at ('localhost', 1060)\n\
                   Accepted connection from ('127.0.0.1', 5)\n\
                   Accepted connection from ('127.0.0.1', 6)\n\
                   Client socket to ('127.0.0.1', 5) has closed\n\
                   Client ('127.0.0.1', 6) error: Connection reset by peer (os error 104)\n";
        let connections = [
            Connection {
                client_port: 5,
                events: vec![Event::Accepted, Event::ClosedNormally],
            },
            Connection {
                client_port: 6,
                events: vec![Event::Accepted, Event::Error("reset")],
            },
        ];
        check_log(log, LogStyle::ZenUtils, &connections).unwrap();
        assert!(log_complete(log, LogStyle::ZenUtils, &connections));
        assert!(check_log(log, LogStyle::Loop, &connections).is_err());
        let missing = log.replace("Client socket to ('127.0.0.1', 5) has closed\n", "");
        assert!(check_log(&missing, LogStyle::ZenUtils, &connections).is_err());
        assert!(!log_complete(&missing, LogStyle::ZenUtils, &connections));
    }

    #[test]
    fn a_session_log_may_interleave_but_not_lose_a_line() {
        let log = "Listening at ('localhost', 1060)\n\
                   Accepted connection from ('127.0.0.1', 41794)\n\
                   Accepted connection from ('127.0.0.1', 41808)\n\
                   Client socket to ('127.0.0.1', 41794) has closed\n\
                   Client ('127.0.0.1', 41808) error: received b'Beautiful is better than' then socket closed\n";
        let first = Some("Listening at ('localhost', PORT)");
        check_session_log(log, LogStyle::ZenUtils, first, None).unwrap();
        assert!(check_session_log(log, LogStyle::Loop, first, None).is_err());
        let short: String = log.lines().take(4).map(|l| format!("{l}\n")).collect();
        assert!(check_session_log(&short, LogStyle::ZenUtils, first, None).is_err());
        assert_eq!(session_lines(LogStyle::ZenUtils), 4);
        assert_eq!(session_lines(LogStyle::Asyncore), 0);
    }

    #[test]
    fn client_output_is_the_three_pairs_once_each() {
        let good = "b'Simple is better than?' b'Complex.'\n\
                    b'Explicit is better than?' b'Implicit.'\n\
                    b'Beautiful is better than?' b'Ugly.'\n";
        check_client_output(good).unwrap();
        assert!(check_client_output(&good.replace("Ugly.", "Ugly")).is_err());
        assert!(check_client_output(&good.replace("b'Complex.'", "Complex.")).is_err());
        let twice = good.replace(
            "Explicit is better than?' b'Implicit.",
            "Simple is better than?' b'Complex.",
        );
        assert!(check_client_output(&twice).is_err());
    }
}
