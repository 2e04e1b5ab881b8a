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

use catalog::Listing;
pub use catalog::{Concurrency, LogStyle};
use fopnp::PyBytes;

pub use crate::{ClientRun, RunClient, Verdict, assert_all_pass};

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

impl Target {
    /// The case's view of a listing of the catalog listening on `port`.
    pub fn of(listing: &Listing, port: u16) -> Self {
        Self {
            port,
            concurrency: listing.concurrency,
            splits_questions: listing.splits_questions,
        }
    }
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
    /// Why a server with this concurrency cannot run it, if it cannot.
    pub needs_several: bool,
}

pub const SERVER_CASES: &[ServerCase] = &[
    ServerCase {
        id: "three-questions-every-order",
        title: "the three questions, in each of the six orders, one connection each",
        run: every_order,
        needs_several: false,
    },
    ServerCase {
        id: "unknown-question",
        title: "a question the server does not know: Error: unknown aphorism.",
        run: unknown_question,
        needs_several: false,
    },
    ServerCase {
        id: "one-byte-writes",
        title: "a question written one byte per segment",
        run: one_byte_writes,
        needs_several: false,
    },
    ServerCase {
        id: "two-pieces-with-a-pause",
        title: "a question in two pieces, 200 ms apart",
        run: two_pieces,
        needs_several: false,
    },
    ServerCase {
        id: "two-questions-in-one-piece",
        title: "two questions in one write: one unknown aphorism, or Complex.Ugly. from a server that splits at ?",
        run: two_questions_at_once,
        needs_several: false,
    },
    ServerCase {
        id: "cause-an-error",
        title: "client.py -e: the first question without its ?, then close",
        run: cause_an_error,
        needs_several: false,
    },
    ServerCase {
        id: "connect-and-close",
        title: "a client that connects and closes at once",
        run: connect_and_close,
        needs_several: false,
    },
    ServerCase {
        id: "half-close-after-last-question",
        title: "a client that half-closes after its last question and waits for the server to close",
        run: half_close,
        needs_several: false,
    },
    ServerCase {
        id: "reset-mid-question",
        title: "a client that resets mid-question; the next client is served",
        run: reset_mid_question,
        needs_several: false,
    },
    ServerCase {
        id: "megabyte-without-question-mark",
        title: "a megabyte with no ?: the server closes it and goes on serving",
        run: megabyte_without_question_mark,
        needs_several: false,
    },
    ServerCase {
        id: "never-reads-answers",
        title: "a client that sends question after question and never reads an answer: the server stops taking them (or closes) long before 64 MiB",
        run: never_reads_answers,
        needs_several: false,
    },
    ServerCase {
        id: "silent-client",
        title: "a client that never sends: others are served meanwhile (one-at-a-time servers: once it goes)",
        run: silent_client,
        needs_several: false,
    },
    ServerCase {
        id: "hundred-clients",
        title: "100 clients connected at once, each mid-conversation (as many at a time as the server serves)",
        run: hundred_clients,
        needs_several: true,
    },
];

/// Every server case's ID, for checking that a skip names a real case.
pub fn server_case_ids() -> Vec<&'static str> {
    SERVER_CASES.iter().map(|c| c.id).collect()
}

fn connect(port: u16) -> Result<TcpStream, String> {
    let sock = TcpStream::connect(("127.0.0.1", port)).map_err(|e| format!("connect: {e}"))?;
    sock.set_read_timeout(Some(crate::patience()))
        .map_err(|e| e.to_string())?;
    sock.set_write_timeout(Some(crate::patience()))
        .map_err(|e| e.to_string())?;
    Ok(sock)
}

fn local_port(sock: &TcpStream) -> u16 {
    sock.local_addr().map(|a| a.port()).unwrap_or(0)
}

/// Reads until the bytes so far end with `.` (an answer), or the server closes.
fn read_answer(sock: &mut TcpStream) -> Result<Vec<u8>, String> {
    let mut answer = Vec::new();
    let mut buf = [0; 4096];
    while !answer.ends_with(b".") {
        match sock.read(&mut buf) {
            Ok(0) => {
                return Err(format!(
                    "the server closed after {} of an answer",
                    PyBytes(&answer)
                ));
            }
            Ok(n) => answer.extend_from_slice(&buf[..n]),
            Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
            Err(error) if error.kind() == io::ErrorKind::WouldBlock => {
                return Err(format!(
                    "no answer within {:?} (got {})",
                    crate::patience(),
                    PyBytes(&answer)
                ));
            }
            Err(error) => return Err(format!("reading the answer: {error}")),
        }
    }
    Ok(answer)
}

/// Asks `question` and checks the answer is `expected`.
fn ask(sock: &mut TcpStream, question: &[u8], expected: &[u8]) -> Result<(), String> {
    sock.write_all(question)
        .map_err(|e| format!("sending {}: {e}", PyBytes(question)))?;
    let got = read_answer(sock)?;
    if got != expected {
        return Err(format!(
            "asked {}, expected {}, got {}",
            PyBytes(question),
            PyBytes(expected),
            PyBytes(&got)
        ));
    }
    Ok(())
}

/// Waits for the server to close the connection (read returns 0), at most [`crate::patience()`].
fn expect_eof(sock: &mut TcpStream) -> Result<(), String> {
    let mut buf = [0; 64];
    match sock.read(&mut buf) {
        Ok(0) => Ok(()),
        Ok(n) => Err(format!("unexpected bytes {}", PyBytes(&buf[..n]))),
        // A reset also ends the connection: the server closed with unread data.
        Err(error) if error.kind() == io::ErrorKind::ConnectionReset => Ok(()),
        Err(error) => Err(format!("the server did not close: {error}")),
    }
}

/// One client's whole conversation: the three questions in `order`, then close.
fn conversation(port: u16, order: [usize; 3]) -> Result<Connection, String> {
    let mut sock = connect(port)?;
    for i in order {
        let (question, answer) = APHORISMS[i];
        ask(&mut sock, question, answer)?;
    }
    Ok(Connection::normal(&sock))
}

fn every_order(target: &Target) -> Result<Vec<Connection>, String> {
    const ORDERS: [[usize; 3]; 6] = [
        [0, 1, 2],
        [0, 2, 1],
        [1, 0, 2],
        [1, 2, 0],
        [2, 0, 1],
        [2, 1, 0],
    ];
    ORDERS
        .iter()
        .map(|&order| conversation(target.port, order))
        .collect()
}

fn unknown_question(target: &Target) -> Result<Vec<Connection>, String> {
    let mut sock = connect(target.port)?;
    ask(&mut sock, b"What is better than?", UNKNOWN)?;
    ask(&mut sock, b"Simple is better than?", b"Complex.")?;
    Ok(vec![Connection::normal(&sock)])
}

fn one_byte_writes(target: &Target) -> Result<Vec<Connection>, String> {
    let mut sock = connect(target.port)?;
    sock.set_nodelay(true).map_err(|e| e.to_string())?;
    for byte in APHORISMS[1].0 {
        sock.write_all(&[*byte]).map_err(|e| e.to_string())?;
        thread::sleep(Duration::from_millis(1));
    }
    let got = read_answer(&mut sock)?;
    if got != APHORISMS[1].1 {
        return Err(format!("expected b'Implicit.', got {}", PyBytes(&got)));
    }
    Ok(vec![Connection::normal(&sock)])
}

fn two_pieces(target: &Target) -> Result<Vec<Connection>, String> {
    let mut sock = connect(target.port)?;
    sock.set_nodelay(true).map_err(|e| e.to_string())?;
    sock.write_all(b"Simple is bet")
        .map_err(|e| e.to_string())?;
    thread::sleep(Duration::from_millis(200));
    sock.write_all(b"ter than?").map_err(|e| e.to_string())?;
    let got = read_answer(&mut sock)?;
    if got != b"Complex." {
        return Err(format!("expected b'Complex.', got {}", PyBytes(&got)));
    }
    Ok(vec![Connection::normal(&sock)])
}

fn two_questions_at_once(target: &Target) -> Result<Vec<Connection>, String> {
    let mut sock = connect(target.port)?;
    let both = b"Simple is better than?Beautiful is better than?";
    let expected: &[u8] = if target.splits_questions {
        b"Complex.Ugly."
    } else {
        UNKNOWN
    };
    sock.write_all(both).map_err(|e| e.to_string())?;
    let mut got = read_answer(&mut sock)?;
    if target.splits_questions && got == b"Complex." {
        got.extend_from_slice(&read_answer(&mut sock)?);
    }
    if got != expected {
        return Err(format!(
            "expected {}, got {}",
            PyBytes(expected),
            PyBytes(&got)
        ));
    }
    Ok(vec![Connection::normal(&sock)])
}

fn cause_an_error(target: &Target) -> Result<Vec<Connection>, String> {
    let sock = connect(target.port)?;
    (&sock).write_all(CUT_QUESTION).map_err(|e| e.to_string())?;
    let first = Connection {
        client_port: local_port(&sock),
        events: vec![
            Event::Accepted,
            Event::ClosedMidQuestion(CUT_QUESTION.to_vec()),
        ],
    };
    drop(sock);
    // The server goes on serving.
    let next = conversation(target.port, [2, 1, 0])?;
    Ok(vec![first, next])
}

fn connect_and_close(target: &Target) -> Result<Vec<Connection>, String> {
    let sock = connect(target.port)?;
    let first = Connection::normal(&sock);
    drop(sock);
    let next = conversation(target.port, [0, 1, 2])?;
    Ok(vec![first, next])
}

fn half_close(target: &Target) -> Result<Vec<Connection>, String> {
    let mut sock = connect(target.port)?;
    ask(&mut sock, APHORISMS[0].0, APHORISMS[0].1)?;
    sock.write_all(APHORISMS[2].0).map_err(|e| e.to_string())?;
    sock.shutdown(Shutdown::Write).map_err(|e| e.to_string())?;
    let got = read_answer(&mut sock)?;
    if got != APHORISMS[2].1 {
        return Err(format!(
            "after the half-close, expected b'Complex.', got {}",
            PyBytes(&got)
        ));
    }
    // The server reads the end of file and closes its side too.
    expect_eof(&mut sock)?;
    Ok(vec![Connection::normal(&sock)])
}

fn reset_mid_question(target: &Target) -> Result<Vec<Connection>, String> {
    let mut sock = connect(target.port)?;
    // A first answer proves the server is in the conversation (an inetd has accepted and
    // started it); then half a question, and the reset.
    ask(&mut sock, APHORISMS[0].0, APHORISMS[0].1)?;
    (&sock)
        .write_all(b"Explicit is")
        .map_err(|e| e.to_string())?;
    let port = local_port(&sock);
    // SO_LINGER with a zero timeout: close() sends a reset instead of a FIN.
    socket2::SockRef::from(&sock)
        .set_linger(Some(Duration::ZERO))
        .map_err(|e| e.to_string())?;
    drop(sock);
    let next = conversation(target.port, [1, 0, 2])?;
    let first = Connection {
        client_port: port,
        // Some servers see the reset as a reset, others as the end of a cut question
        // (asyncore closes quietly): the log check accepts either.
        events: vec![Event::Accepted, Event::Error("reset")],
    };
    Ok(vec![first, next])
}

fn megabyte_without_question_mark(target: &Target) -> Result<Vec<Connection>, String> {
    let mut sock = connect(target.port)?;
    let flood = vec![b'x'; FLOOD];
    // The server may close (even reset) before taking it all: that is the point.
    let _ = sock.write_all(&flood);
    let mut rest = Vec::new();
    let closed = match sock.read_to_end(&mut rest) {
        Ok(_) => true,
        Err(error) => matches!(
            error.kind(),
            io::ErrorKind::ConnectionReset | io::ErrorKind::BrokenPipe
        ),
    };
    if !closed {
        return Err("the server kept a connection that sent a megabyte with no ?".into());
    }
    if !rest.is_empty() {
        return Err(format!("unexpected answer {}", PyBytes(&rest)));
    }
    let first = Connection {
        client_port: local_port(&sock),
        events: vec![Event::Accepted, Event::Error("no complete question")],
    };
    let next = conversation(target.port, [2, 0, 1])?;
    Ok(vec![first, next])
}

fn never_reads_answers(target: &Target) -> Result<Vec<Connection>, String> {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU64, Ordering};
    const LIMIT: u64 = 64 << 20;
    let sock = connect(target.port)?;
    let client_port = local_port(&sock);
    let written = Arc::new(AtomicU64::new(0));
    let (mut writer, count) = (
        sock.try_clone().map_err(|e| e.to_string())?,
        Arc::clone(&written),
    );
    let questions: Vec<u8> = APHORISMS[2].0.repeat(64 * 1024 / APHORISMS[2].0.len());
    let pump = thread::spawn(move || {
        while count.load(Ordering::Relaxed) < LIMIT {
            match writer.write(&questions) {
                Ok(n) => count.fetch_add(n as u64, Ordering::Relaxed),
                Err(_) => return,
            };
        }
    });
    // Watch the writes until they stop for 300 ms (blocked: the server stopped reading;
    // or failed: it closed), or pass the limit.
    let (mut seen, mut since, started) = (0, Instant::now(), Instant::now());
    let outcome = loop {
        let now = written.load(Ordering::Relaxed);
        if now >= LIMIT {
            break Err(format!(
                "the server took {} MiB of questions from a client that read no answer: it \
                 keeps its answers (or the questions) without bound",
                LIMIT >> 20
            ));
        }
        if pump.is_finished() || (now == seen && since.elapsed() >= Duration::from_millis(300)) {
            break Ok(());
        }
        if now != seen {
            (seen, since) = (now, Instant::now());
        }
        if started.elapsed() > crate::patience() {
            break Err("the writes neither stopped nor passed the limit".into());
        }
        thread::sleep(Duration::from_millis(5));
    };
    let _ = sock.shutdown(Shutdown::Both);
    let _ = pump.join();
    outcome?;
    // The server goes on serving others.
    let next = conversation(target.port, [0, 1, 2])?;
    Ok(vec![
        Connection {
            client_port,
            // It may have been closed for a question too long, or answered until its
            // socket filled: either way it is gone now, in whatever words.
            events: vec![Event::Accepted, Event::Error("any")],
        },
        next,
    ])
}

fn silent_client(target: &Target) -> Result<Vec<Connection>, String> {
    let silent = connect(target.port)?;
    let silent_port = local_port(&silent);
    let port = target.port;
    let other = thread::spawn(move || conversation(port, [0, 2, 1]));
    if target.concurrency == Concurrency::One {
        // One at a time, by design: the other waits while the silent one is connected...
        let waited = Instant::now();
        while waited.elapsed() < Duration::from_millis(300) {
            if other.is_finished() {
                return Err("a one-at-a-time server answered while another client held it".into());
            }
            thread::sleep(Duration::from_millis(10));
        }
        // ...and is served once it goes.
        drop(silent);
        let other = other.join().map_err(|_| "client thread panicked")??;
        Ok(vec![
            Connection {
                client_port: silent_port,
                events: vec![Event::Accepted, Event::ClosedNormally],
            },
            other,
        ])
    } else {
        let other = other
            .join()
            .map_err(|_| "client thread panicked")?
            .map_err(|e| {
                format!(
                    "another client got no answer while a silent one was connected, as with a \
                 server that serves one client at a time: {e}"
                )
            })?;
        drop(silent);
        Ok(vec![
            Connection {
                client_port: silent_port,
                events: vec![Event::Accepted, Event::ClosedNormally],
            },
            other,
        ])
    }
}

fn hundred_clients(target: &Target) -> Result<Vec<Connection>, String> {
    const CLIENTS: usize = 100;
    let at_once = match target.concurrency {
        Concurrency::One => return Err("serves one client at a time".into()),
        Concurrency::Pool(n) => n,
        _ => CLIENTS,
    };
    let mut connections = Vec::new();
    let mut started = 0;
    while started < CLIENTS {
        let batch = at_once.min(CLIENTS - started);
        // The clients connect one after another, each asking its first question (so the
        // server has accepted it) before the next connects; then all of them finish their
        // conversations at once. A burst of connects would overflow a listen queue of 5
        // (srv_legacy1's, socketserver's) and leave the kernel to retry a dropped SYN
        // after 1, 3, 7 s: this case is about many conversations at once, not that queue.
        let mut open = Vec::new();
        for i in started..started + batch {
            let order = [i % 3, (i + 1) % 3, (i + 2) % 3];
            let mut sock = connect(target.port)?;
            let (question, answer) = APHORISMS[order[0]];
            ask(&mut sock, question, answer)?;
            open.push((sock, order));
        }
        let runs: Vec<_> = open
            .into_iter()
            .map(|(mut sock, order)| {
                thread::spawn(move || {
                    for &i in &order[1..] {
                        let (question, answer) = APHORISMS[i];
                        ask(&mut sock, question, answer)?;
                    }
                    Ok::<_, String>(Connection::normal(&sock))
                })
            })
            .collect();
        for run in runs {
            connections.push(run.join().map_err(|_| "client thread panicked")??);
        }
        started += batch;
    }
    Ok(connections)
}

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

/// Runs every server case (or only `only`) against `target`, in order. Where `log` is
/// given (the workspace's own servers), each case's connections are also held to the
/// server's log lines in `style`; `log` returns the log so far. `skips` names the cases
/// this server cannot run, with why.
pub fn run_server_cases(
    target: &Target,
    log: Option<(LogStyle, &dyn Fn() -> String)>,
    skips: &[crate::Skip],
    only: Option<&str>,
) -> Vec<(&'static str, Verdict)> {
    let mut results = Vec::new();
    for case in SERVER_CASES {
        if only.is_some_and(|id| id != case.id) {
            continue;
        }
        if let Some(why) = crate::skip_reason(skips, case.id) {
            results.push((case.id, Verdict::Skipped(why.into())));
            continue;
        }
        if case.needs_several && target.concurrency == Concurrency::One {
            results.push((
                case.id,
                Verdict::Skipped("serves one client at a time, by design".into()),
            ));
            continue;
        }
        let verdict = match (case.run)(target) {
            Err(error) => Verdict::Fail(error),
            Ok(connections) => match log {
                None => Verdict::Pass,
                Some((style, log)) => {
                    // Wait (with a deadline) until the server has logged the case.
                    testkit::wait_until(crate::patience(), || {
                        log_complete(&log(), style, &connections)
                    });
                    match check_log(&log(), style, &connections) {
                        Ok(()) => Verdict::Pass,
                        Err(error) => Verdict::Fail(error),
                    }
                }
            },
        };
        results.push((case.id, verdict));
    }
    results
}

/// Runs every client case (or only `only`) with `run`, which runs the client under test
/// against a port with extra arguments.
pub fn run_client_cases(run: RunClient<'_>, only: Option<&str>) -> Vec<(&'static str, Verdict)> {
    CLIENT_CASES
        .iter()
        .filter(|case| only.is_none_or(|id| id == case.id))
        .map(|case| {
            let verdict = match (case.run)(run) {
                Ok(()) => Verdict::Pass,
                Err(error) => Verdict::Fail(error),
            };
            (case.id, verdict)
        })
        .collect()
}

/// A case that runs a client against a scripted server.
pub struct ClientCase {
    pub id: &'static str,
    pub title: &'static str,
    /// The client's extra arguments (`-e`).
    pub args: &'static [&'static str],
    pub run: fn(RunClient<'_>) -> Result<(), String>,
}

pub const CLIENT_CASES: &[ClientCase] = &[
    ClientCase {
        id: "client-asks-three-questions",
        title: "the client asks each question once, one at a time, prints each with its answer, and closes",
        args: &[],
        run: client_asks_three,
    },
    ClientCase {
        id: "client-answers-in-pieces",
        title: "answers that arrive one byte at a time are read to their '.'",
        args: &[],
        run: client_answers_in_pieces,
    },
    ClientCase {
        id: "client-cause-an-error",
        title: "client -e sends the first question without its ? and closes, printing nothing",
        args: &["-e"],
        run: client_cause_an_error,
    },
    ClientCase {
        id: "client-server-closes-early",
        title: "a server that closes after the first question: the client fails (exit status not 0)",
        args: &[],
        run: client_server_closes_early,
    },
];

/// What a scripted server saw: each question the client sent (the bytes read up to each
/// `?`), and whether the client closed.
type Script = thread::JoinHandle<Result<(Vec<Vec<u8>>, bool), String>>;

/// A scripted server for one client: answers each question as the oracle says
/// (`dribble`: one byte at a time), or closes after `close_after` questions. Returns what
/// the client sent, piece by piece as the server read each question, and whether the
/// client closed.
fn scripted_server(dribble: bool, close_after: Option<usize>) -> (u16, Script) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a scripted server");
    let port = listener.local_addr().map(|a| a.port()).unwrap_or(0);
    let server = thread::spawn(move || {
        let (mut sock, _) = listener.accept().map_err(|e| e.to_string())?;
        sock.set_read_timeout(Some(crate::patience()))
            .map_err(|e| e.to_string())?;
        sock.set_nodelay(true).map_err(|e| e.to_string())?;
        let mut questions = Vec::new();
        let mut message = Vec::new();
        let mut buf = [0; 4096];
        loop {
            let n = match sock.read(&mut buf) {
                Ok(n) => n,
                Err(error) => return Err(format!("the client went silent: {error}")),
            };
            if n == 0 {
                if !message.is_empty() {
                    questions.push(message);
                }
                return Ok((questions, true));
            }
            message.extend_from_slice(&buf[..n]);
            if message.ends_with(b"?") {
                let question = std::mem::take(&mut message);
                let reply = answer(&question);
                questions.push(question);
                if close_after == Some(questions.len()) {
                    return Ok((questions, false));
                }
                if dribble {
                    for byte in reply {
                        sock.write_all(&[*byte]).map_err(|e| e.to_string())?;
                        thread::sleep(Duration::from_millis(1));
                    }
                } else {
                    sock.write_all(reply).map_err(|e| e.to_string())?;
                }
            }
        }
    });
    (port, server)
}

/// Checks a client's printed lines: each question once, each with its right answer.
pub fn check_client_output(stdout: &str) -> Result<(), String> {
    let lines: Vec<&str> = stdout.lines().collect();
    if lines.len() != 3 {
        return Err(format!("expected 3 lines, got {stdout:?}"));
    }
    let mut seen = Vec::new();
    for line in lines {
        let pair = APHORISMS
            .iter()
            .find(|(q, a)| line == format!("{} {}", PyBytes(q), PyBytes(a)));
        match pair {
            Some((q, _)) if !seen.contains(q) => seen.push(*q),
            Some(_) => return Err(format!("a question printed twice: {line:?}")),
            None => {
                return Err(format!(
                    "not a question and its answer as Python prints them: {line:?}"
                ));
            }
        }
    }
    Ok(())
}

fn client_asks_three(run: RunClient<'_>) -> Result<(), String> {
    client_against_script(run, false)
}

fn client_answers_in_pieces(run: RunClient<'_>) -> Result<(), String> {
    client_against_script(run, true)
}

fn client_against_script(run: RunClient<'_>, dribble: bool) -> Result<(), String> {
    let (port, server) = scripted_server(dribble, None);
    let result = run(port, 0, &[]);
    let (questions, closed) = server.join().map_err(|_| "server thread panicked")??;
    if !result.success {
        return Err(format!("the client failed: {}", result.stderr.trim()));
    }
    let mut sorted = questions.clone();
    sorted.sort();
    let mut expected: Vec<Vec<u8>> = APHORISMS.iter().map(|(q, _)| q.to_vec()).collect();
    expected.sort();
    if sorted != expected {
        let shown: Vec<String> = questions.iter().map(|q| PyBytes(q).to_string()).collect();
        return Err(format!(
            "the client sent {shown:?}: not the three questions, one at a time, each once"
        ));
    }
    if !closed {
        return Err("the client did not close its connection".into());
    }
    check_client_output(&result.stdout)
}

fn client_cause_an_error(run: RunClient<'_>) -> Result<(), String> {
    let (port, server) = scripted_server(false, None);
    let result = run(port, 0, &["-e"]);
    let (questions, closed) = server.join().map_err(|_| "server thread panicked")??;
    if !result.success {
        return Err(format!("client -e failed: {}", result.stderr.trim()));
    }
    if questions != [CUT_QUESTION.to_vec()] || !closed {
        let shown: Vec<String> = questions.iter().map(|q| PyBytes(q).to_string()).collect();
        return Err(format!(
            "client -e sent {shown:?} (closed: {closed}); expected b'Beautiful is better than' then its end of file"
        ));
    }
    if !result.stdout.is_empty() {
        return Err(format!("client -e printed {:?}", result.stdout));
    }
    Ok(())
}

fn client_server_closes_early(run: RunClient<'_>) -> Result<(), String> {
    let (port, server) = scripted_server(false, Some(1));
    let result = run(port, 0, &[]);
    server.join().map_err(|_| "server thread panicked")??;
    if result.success {
        return Err("the client succeeded although the server closed early".into());
    }
    Ok(())
}

/// Every client case's ID.
pub fn client_case_ids() -> Vec<&'static str> {
    CLIENT_CASES.iter().map(|c| c.id).collect()
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
