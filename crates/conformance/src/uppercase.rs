//! Listing 3-2's protocol (family `3-2`), streaming uppercase with half-close: its cases,
//! independent of any implementation. The client sends `capitalize this!` repeated to
//! `round_up(bytecount)` bytes, half-closes, and reads the uppercase until the server
//! closes; the server answers the uppercase of every byte (ASCII letters only) in order
//! and closes after the client's EOF.

use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::thread;
use std::time::Duration;

use testkit::with_deadline;

use crate::stream::{MESSAGE, REPLY, is_stream, round_up, stream, upper};
use crate::table::{Output, Running, ServerSpec, Table, VARIANT_CHUNK, wait_log};
use crate::{RunClient, Verdict};

/// A bytecount for which a client must put exactly `round_up(N)` bytes of `capitalize
/// this!` repeated on the wire, half-close, and still receive the whole answer; and for
/// which every client × server pair must complete with exact bytes both ways.
#[derive(Clone, Copy, Debug)]
pub struct StreamCase {
    pub id: &'static str,
    pub title: &'static str,
    pub bytecount: u64,
}

pub const STREAM_SIZES: &[StreamCase] = &[
    StreamCase {
        id: "zero-bytes",
        title: "0 bytes: the client half-closes at once",
        bytecount: 0,
    },
    StreamCase {
        id: "one-byte",
        title: "1 byte, rounded up to 16",
        bytecount: 1,
    },
    StreamCase {
        id: "sixteen-bytes",
        title: "16 bytes, the book's default",
        bytecount: 16,
    },
    StreamCase {
        id: "seventeen-bytes",
        title: "17 bytes, rounded up to 32",
        bytecount: 17,
    },
    StreamCase {
        id: "one-mib",
        title: "1 MiB",
        bytecount: 1 << 20,
    },
    StreamCase {
        id: "four-mib",
        title: "4 MiB, the most the book's pair always survives",
        bytecount: 4 << 20,
    },
];

/// Past every default socket buffer: a client that reads while it sends completes; one
/// that sends everything before reading (the book's) stalls, against every server (on
/// Linux's loopback, always from about 12 MB up).
pub const BIG_STREAM: StreamCase = StreamCase {
    id: "sixty-four-mib",
    title: "64 MiB: completes if the client reads while sending, deadlocks if not",
    bytecount: 64 << 20,
};

/// How a scripted client delivers its payload to a server.
#[derive(Clone, Copy, Debug)]
pub enum Delivery {
    /// Everything in as few writes as the socket allows, then half-close.
    Whole,
    /// One byte per segment (TCP_NODELAY), then half-close.
    OneBytePerSegment,
    /// Pieces of the given size, each answered before the next is sent, then half-close:
    /// the server answers as it reads and closes only after the client's EOF.
    PingPong(usize),
}

/// What a scripted client sends to a server, which must answer with exactly the uppercase
/// (ASCII letters only) of every byte, in order, and then close.
pub struct ServerCase {
    pub id: &'static str,
    pub title: &'static str,
    pub payload: fn() -> Vec<u8>,
    pub delivery: Delivery,
}

pub const SERVER_CASES: &[ServerCase] = &[
    ServerCase {
        id: "half-close-at-once",
        title: "no bytes, then EOF: the server closes too",
        payload: Vec::new,
        delivery: Delivery::Whole,
    },
    ServerCase {
        id: "the-books-message",
        title: "capitalize this!",
        payload: || b"capitalize this!".to_vec(),
        delivery: Delivery::Whole,
    },
    ServerCase {
        id: "all-byte-values",
        title: "all 256 byte values: only ASCII letters change",
        payload: || (0..=255).collect(),
        delivery: Delivery::Whole,
    },
    ServerCase {
        id: "one-byte-per-segment",
        title: "one byte per segment",
        payload: || b"capitalize this! and this, too.".to_vec(),
        delivery: Delivery::OneBytePerSegment,
    },
    ServerCase {
        id: "answers-before-eof",
        title: "answers each piece before the client's EOF, and stays open until it",
        payload: || b"capitalize this!".repeat(8),
        delivery: Delivery::PingPong(16),
    },
    ServerCase {
        id: "one-mib-every-byte",
        title: "1 MiB of every byte value",
        payload: || (0..=255u8).cycle().take(1 << 20).collect(),
        delivery: Delivery::Whole,
    },
];

/// Many clients at once against a server that serves them concurrently.
#[derive(Clone, Copy, Debug)]
pub struct ConcurrentCase {
    pub id: &'static str,
    pub title: &'static str,
    pub clients: usize,
    pub bytecount: u64,
}

pub const CONCURRENT: ConcurrentCase = ConcurrentCase {
    id: "hundred-clients",
    title: "100 clients × 1 MiB at once",
    clients: 100,
    bytecount: 1 << 20,
};

/// Every case ID of the family, for checking that a skip names a real case.
pub fn all_case_ids() -> Vec<&'static str> {
    STREAM_SIZES
        .iter()
        .map(|case| case.id)
        .chain([BIG_STREAM.id, CONCURRENT.id])
        .chain(SERVER_CASES.iter().map(|case| case.id))
        .collect()
}

// The table: how the runner reaches this protocol's cases (see `crate::table`). A
// case's deadline is the runner's, `table::CASE_LIMIT`; this module's own [`CASE_LIMIT`]
// bounds one read.

/// Listing 3-2's table.
pub const TABLE: Table = Table {
    family: catalog::Family::Uppercase,
    name: "3-2",
    transport: catalog::Transport::Tcp,
    server_case_ids,
    server_case,
    fresh_server_per_case: false,
    client_cases,
    client_command: "{exe} client {host} {bytecount} -p {port}",
    certificates: false,
    stand_in: None,
    placeholders: crate::table::no_placeholders,
};

fn server_case_ids() -> Vec<&'static str> {
    SERVER_CASES
        .iter()
        .map(|c| c.id)
        .chain([BIG_STREAM.id, CONCURRENT.id])
        .collect()
}

fn client_cases(
    output: Output,
    run: RunClient<'_>,
    pick: &dyn Fn(&str) -> bool,
) -> Vec<(&'static str, Verdict)> {
    STREAM_SIZES
        .iter()
        .filter(|c| pick(c.id))
        .map(|case| {
            let check = |out: &[u8], bytecount: u64| match output {
                Output::Book => crate::transcripts::check_deadlock_client(out, bytecount).map(drop),
                Output::Variant(chunk) => {
                    crate::transcripts::check_variant_client(out, bytecount, chunk)
                }
            };
            (case.id, Verdict::of(run_client_case(run, case, &check)))
        })
        .collect()
}

fn server_case(
    spec: &ServerSpec,
    server: &mut dyn Running,
    id: &'static str,
    served: &mut usize,
) -> Verdict {
    let server: &dyn Running = server;
    let port = server.port();
    let concurrent = |case: ConcurrentCase| {
        with_deadline(crate::table::CASE_LIMIT, move || {
            let ports = run_concurrent_case(port, &case)?;
            Ok(ports.into_iter().map(|p| (p, case.bytecount)).collect())
        })
    };
    let result: Result<Vec<(u16, u64)>, String> = if id == CONCURRENT.id {
        concurrent(CONCURRENT)
    } else if id == BIG_STREAM.id {
        concurrent(ConcurrentCase {
            id,
            title: BIG_STREAM.title,
            clients: 1,
            bytecount: BIG_STREAM.bytecount,
        })
    } else {
        with_deadline(crate::table::CASE_LIMIT, move || {
            let case = SERVER_CASES
                .iter()
                .find(|c| c.id == id)
                .ok_or("no such case")?;
            let bytes = (case.payload)().len() as u64;
            Ok(vec![(run_server_case(port, case)?, bytes)])
        })
    };
    let style = match spec.log {
        Some(catalog::LogStyle::Deadlock) => LogStyle::Book,
        Some(catalog::LogStyle::Variant) => LogStyle::Variant(VARIANT_CHUNK),
        _ => return Verdict::of(result.map(drop)),
    };
    Verdict::of(result.and_then(|connections| {
        *served += connections.len();
        wait_log(server, |log| log_complete(log, style, *served));
        check_log(&server.log(), style, &connections)
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_kebab_case() {
        let ids = all_case_ids();
        for id in &ids {
            assert!(
                id.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'),
                "{id}"
            );
            assert_eq!(ids.iter().filter(|other| *other == id).count(), 1, "{id}");
        }
    }
}

/// How long any one case may take before it counts as a hang.
pub const CASE_LIMIT: Duration = Duration::from_secs(120);

/// Reads from `sock` until EOF, keeping everything; a reset after some data counts as the
/// end (a server that closes with unread bytes resets).
fn read_to_eof(sock: &mut TcpStream, into: &mut Vec<u8>) -> Result<(), String> {
    let mut buf = vec![0; 64 * 1024];
    loop {
        match sock.read(&mut buf) {
            Ok(0) => return Ok(()),
            Ok(n) => into.extend_from_slice(&buf[..n]),
            Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
            Err(error) if error.kind() == io::ErrorKind::WouldBlock => {
                return Err(format!(
                    "no end of file from the server within {:?} (after {} bytes)",
                    crate::patience(),
                    into.len()
                ));
            }
            Err(error) => return Err(format!("reading the reply: {error}")),
        }
    }
}

/// Runs one server case against the server at `port` as a scripted client: sends the
/// payload as the case says, half-closes, and checks the reply is exactly the uppercase of
/// every byte, then the server's close. Returns the client's port, for the log check.
pub fn run_server_case(port: u16, case: &ServerCase) -> Result<u16, String> {
    let payload = (case.payload)();
    let expected = upper(&payload);
    let mut sock = TcpStream::connect(("127.0.0.1", port)).map_err(|e| format!("connect: {e}"))?;
    sock.set_read_timeout(Some(crate::patience()))
        .map_err(|e| e.to_string())?;
    let client_port = sock.local_addr().map(|a| a.port()).unwrap_or(0);
    let mut reply = Vec::new();
    match case.delivery {
        Delivery::Whole | Delivery::OneBytePerSegment => {
            let mut writer = sock.try_clone().map_err(|e| e.to_string())?;
            let one_by_one = matches!(case.delivery, Delivery::OneBytePerSegment);
            let sender = thread::spawn(move || -> io::Result<()> {
                if one_by_one {
                    writer.set_nodelay(true)?;
                    for byte in &payload {
                        writer.write_all(std::slice::from_ref(byte))?;
                    }
                } else {
                    writer.write_all(&payload)?;
                }
                writer.shutdown(Shutdown::Write)
            });
            read_to_eof(&mut sock, &mut reply)?;
            sender
                .join()
                .map_err(|_| "the sending thread panicked".to_string())?
                .map_err(|e| format!("sending: {e}"))?;
        }
        Delivery::PingPong(size) => {
            for piece in payload.chunks(size) {
                sock.write_all(piece).map_err(|e| format!("sending: {e}"))?;
                let mut answer = vec![0; piece.len()];
                sock.read_exact(&mut answer).map_err(|e| match e.kind() {
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => format!(
                        "no answer to a {}-byte piece within {:?}: the server waits for the client's end of file before it answers",
                        piece.len(),
                        crate::patience()
                    ),
                    _ => format!(
                        "no answer to a {}-byte piece before the client's end of file: {e}",
                        piece.len()
                    ),
                })?;
                reply.extend_from_slice(&answer);
            }
            sock.shutdown(Shutdown::Write).map_err(|e| e.to_string())?;
            let mut rest = Vec::new();
            read_to_eof(&mut sock, &mut rest)?;
            reply.extend_from_slice(&rest);
        }
    }
    if reply != expected {
        return Err(format!(
            "the reply is not the uppercase of what was sent: {}",
            crate::diff_bytes(&expected, &reply)
        ));
    }
    Ok(client_port)
}

/// Many clients at once, each sending `case.bytecount` bytes of the book's stream while
/// reading the reply, all checked. Returns their ports.
pub fn run_concurrent_case(port: u16, case: &ConcurrentCase) -> Result<Vec<u16>, String> {
    let runs: Vec<_> = (0..case.clients)
        .map(|_| {
            let bytecount = case.bytecount;
            thread::spawn(move || -> Result<u16, String> {
                let mut sock =
                    TcpStream::connect(("127.0.0.1", port)).map_err(|e| format!("connect: {e}"))?;
                sock.set_read_timeout(Some(crate::patience()))
                    .map_err(|e| e.to_string())?;
                let client_port = sock.local_addr().map(|a| a.port()).unwrap_or(0);
                let mut writer = sock.try_clone().map_err(|e| e.to_string())?;
                let sender = thread::spawn(move || -> io::Result<()> {
                    let data = stream(MESSAGE, bytecount as usize);
                    writer.write_all(&data)?;
                    writer.shutdown(Shutdown::Write)
                });
                let mut reply = Vec::new();
                read_to_eof(&mut sock, &mut reply)?;
                sender
                    .join()
                    .map_err(|_| "the sending thread panicked".to_string())?
                    .map_err(|e| format!("sending: {e}"))?;
                if reply.len() as u64 != bytecount || !is_stream(REPLY, 0, &reply) {
                    return Err(format!(
                        "{} bytes back, not the {bytecount} of the uppercase stream",
                        reply.len()
                    ));
                }
                Ok(client_port)
            })
        })
        .collect();
    let mut ports = Vec::new();
    let mut failures = Vec::new();
    for run in runs {
        match run.join() {
            Ok(Ok(port)) => ports.push(port),
            Ok(Err(error)) => failures.push(error),
            Err(_) => failures.push("a client thread panicked".into()),
        }
    }
    match failures.first() {
        None => Ok(ports),
        Some(first) => Err(format!(
            "{} of {} clients failed; first: {first}",
            failures.len(),
            case.clients
        )),
    }
}

/// How a workspace server words its log: Listing 3-2's (one client at a time, progress,
/// `  Socket closed`) or the variants' (a line per connection and per close, naming the
/// peer).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogStyle {
    Book,
    /// With the size the server reads at a time.
    Variant(usize),
}

/// Checks a workspace server's log for the connections (client port, bytes sent) a run
/// of cases made.
pub fn check_log(log: &str, style: LogStyle, connections: &[(u16, u64)]) -> Result<(), String> {
    let recv = match style {
        LogStyle::Book => 1024,
        LogStyle::Variant(recv) => recv,
    };
    for (port, bytes) in connections {
        let client = format!("('127.0.0.1', {port})");
        let opened = format!("Processing up to {recv} bytes at a time from {client}\n");
        if !log.contains(&opened) {
            return Err(format!("no log line {opened:?}"));
        }
        if let LogStyle::Variant(_) = style {
            let closed = format!("  Socket closed: {client}, {bytes} bytes processed\n");
            if !log.contains(&closed) {
                return Err(format!("no log line {closed:?}"));
            }
        }
    }
    if style == LogStyle::Book {
        let closes = log.matches("  Socket closed\n").count();
        if closes < connections.len() {
            return Err(format!(
                "{} connections, but {closes} `Socket closed` lines",
                connections.len()
            ));
        }
    }
    Ok(())
}

/// Whether a workspace server has logged the close of every connection so far.
pub fn log_complete(log: &str, style: LogStyle, connections: usize) -> bool {
    let closes = match style {
        LogStyle::Book => log.matches("  Socket closed\n").count(),
        LogStyle::Variant(_) => log.matches("  Socket closed: ").count(),
    };
    closes >= connections
}

/// The book's server, as this crate scripts it, for checking a client: uppercases what it
/// reads as it reads it (1024 bytes at a time), until the client's end of file, then
/// closes. Returns everything the client sent, and whether it half-closed.
pub fn reference_server() -> (u16, crate::Recording) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a reference server");
    let port = listener.local_addr().map(|a| a.port()).unwrap_or(0);
    let server = thread::spawn(move || {
        let (mut sc, _) = listener.accept().map_err(|e| e.to_string())?;
        sc.set_read_timeout(Some(CASE_LIMIT))
            .map_err(|e| e.to_string())?;
        let mut recorded = Vec::new();
        let mut data = [0; 1024];
        loop {
            let n = match sc.read(&mut data) {
                Ok(n) => n,
                Err(error) => return Err(format!("no end of file from the client: {error}")),
            };
            if n == 0 {
                return Ok((recorded, true));
            }
            recorded.extend_from_slice(&data[..n]);
            sc.write_all(&upper(&data[..n]))
                .map_err(|e| format!("the client stopped reading: {e}"))?;
        }
    });
    (port, server)
}

/// Runs a client case: the client under test sends `case.bytecount` against the
/// reference server, which checks the wire (the book's stream, rounded up, then a
/// half-close); then `check_output` holds its stdout to what it must print.
pub fn run_client_case(
    run: crate::RunClient<'_>,
    case: &StreamCase,
    check_output: crate::CheckOutput<'_>,
) -> Result<(), String> {
    let (port, server) = reference_server();
    let result = run(port, case.bytecount, &[]);
    let (recorded, half_closed) = server
        .join()
        .map_err(|_| "the reference server panicked".to_string())??;
    if !result.success {
        return Err(format!("the client failed: {}", result.stderr.trim()));
    }
    let rounded = round_up(case.bytecount);
    let expected = stream(MESSAGE, rounded as usize);
    if recorded != expected {
        return Err(format!(
            "the client did not send the book's stream: {}",
            crate::diff_bytes(&expected, &recorded)
        ));
    }
    if !half_closed {
        return Err("the client did not half-close".into());
    }
    check_output(result.stdout.as_bytes(), rounded)
}
