//! Listing 3-2's pairs: every client with every server, in-process, every byte checked
//! both ways. A client that reads while it sends completes at any size; the book's client,
//! which sends everything before it reads, stalls on a big stream, as page 53 says. A
//! client whose transcript stops growing is declared stalled, and unblocked by shutting
//! its socket down. The tests of `tests/uppercase` hand these functions their adapters.

use std::net::{Shutdown, TcpStream};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::thread;
use std::time::{Duration, Instant};

use testkit::{STEP, Transcript, within};

use crate::stream::{REPLY, is_stream, round_up};
use crate::uppercase::{BIG_STREAM, CASE_LIMIT, CONCURRENT, STREAM_SIZES};
use crate::{Skip, Verdict, skip_reason};

/// Runs a whole client over an already connected socket for a bytecount, printing to the
/// transcript and handing every piece received to the callback.
pub type RunClient =
    fn(TcpStream, u64, &mut Transcript, &mut dyn FnMut(&[u8])) -> Result<(), fopnp::Error>;

/// A client implementation of the uppercase protocol.
pub struct Client {
    pub name: &'static str,
    pub run: RunClient,
    /// Whether it reads while it sends (and so cannot deadlock).
    pub reads_while_sending: bool,
    /// Checks its transcript for a completed run of `bytecount` (rounded) bytes.
    pub check_transcript: fn(&[u8], u64) -> Result<(), String>,
    /// Its binary, as the catalog knows it: the cases it cannot run are the row's.
    pub bin: &'static str,
}

impl Client {
    /// The cases it cannot run, with why, from its row of the catalog.
    pub fn skips(&self) -> &'static [Skip] {
        catalog::by_bin(self.bin).map_or(&[], |l| l.skips.client)
    }
}

/// The server a client is paired with: its name, its port and the cases it cannot run.
#[derive(Clone, Copy)]
pub struct Server<'a> {
    pub name: &'a str,
    pub port: u16,
    pub skips: &'a [Skip],
}

/// Each pair's verdict on a case, named `client with server / case`.
pub type Results = Vec<(String, Verdict)>;

/// A running client whose transcript has not grown for this long has stalled (every
/// client prints progress at least ten times a second while it moves data).
const QUIET: Duration = Duration::from_millis(1500);

/// How a client run ended.
enum Outcome {
    /// It returned; `Ok` when its result, the reply bytes and its transcript were right.
    Completed(Result<(), String>),
    /// Its transcript stopped growing while it was still running; it has been unblocked
    /// and joined.
    Stalled(String),
}

/// Runs `client` against the server at `port` for `bytecount` bytes, watching its
/// progress: a client that stops printing for [`QUIET`] is declared stalled.
fn run_client(client: &'static Client, port: u16, bytecount: u64) -> Outcome {
    let connected =
        TcpStream::connect(("127.0.0.1", port)).and_then(|sock| Ok((sock.try_clone()?, sock)));
    let (handle, sock) = match connected {
        Ok(pair) => pair,
        Err(error) => return Outcome::Completed(Err(format!("connect: {error}"))),
    };
    let out = Transcript::default();
    let mut their_out = out.clone();
    // The worker says when it is done, so that a quick case is judged at once.
    let (done, finished) = mpsc::channel();
    let worker = thread::spawn(move || {
        // The reply so far, and where it first differed from the uppercase stream.
        let (mut received, mut first_wrong) = (0, None);
        let result = (client.run)(sock, bytecount, &mut their_out, &mut |data| {
            if first_wrong.is_none() && !is_stream(REPLY, received, data) {
                first_wrong = Some(received);
            }
            received += data.len() as u64;
        });
        let _ = done.send(());
        (result, received, first_wrong)
    });
    let started = Instant::now();
    let (mut seen, mut last_growth) = (0, Instant::now());
    loop {
        if finished.recv_timeout(Duration::from_millis(20)) != Err(RecvTimeoutError::Timeout) {
            let Ok((result, received, first_wrong)) = worker.join() else {
                return Outcome::Completed(Err("the client thread panicked".into()));
            };
            let rounded = round_up(bytecount);
            let verdict = result
                .map_err(|e| format!("client failed: {e}"))
                .and_then(|()| match first_wrong {
                    Some(at) => Err(format!(
                        "reply differs from the uppercase stream at byte {at}"
                    )),
                    None if received != rounded => {
                        Err(format!("received {received} bytes, expected {rounded}"))
                    }
                    None => (client.check_transcript)(&out.bytes(), rounded),
                });
            return Outcome::Completed(verdict);
        }
        let len = out.bytes().len();
        if len != seen {
            (seen, last_growth) = (len, Instant::now());
        }
        if last_growth.elapsed() >= QUIET || started.elapsed() >= CASE_LIMIT {
            // Unblock the client: shutting the socket down makes its send() fail at once.
            let _ = handle.shutdown(Shutdown::Both);
            let joined = within(STEP, move || worker.join().is_ok());
            let text = out.text();
            let mut from = text.len().saturating_sub(60);
            while !text.is_char_boundary(from) {
                from += 1;
            }
            let tail = &text[from..];
            let how = format!("stalled after {:?}: ...{tail:?}", started.elapsed());
            return Outcome::Stalled(match joined {
                true => how,
                false => format!("{how}, and its thread panicked once unblocked"),
            });
        }
    }
}

fn completed(outcome: Outcome) -> Result<(), String> {
    match outcome {
        Outcome::Completed(result) => result,
        Outcome::Stalled(how) => Err(format!("expected to complete, but {how}")),
    }
}

/// Runs `client` against any server at `port` for `bytecount` bytes: `Ok` once it has
/// completed with exact bytes both ways and the lines it must print.
pub fn complete(client: &'static Client, port: u16, bytecount: u64) -> Result<(), String> {
    completed(run_client(client, port, bytecount))
}

/// Runs `judge` for each client on `case`, unless the client or the server skips it.
fn each_client(
    clients: &'static [Client],
    server: Server,
    case: &'static str,
    judge: impl Fn(&'static Client) -> Result<(), String>,
) -> Results {
    clients
        .iter()
        .map(|client| {
            let who = format!("{} with {} / {case}", client.name, server.name);
            let skip = skip_reason(client.skips(), case).or(skip_reason(server.skips, case));
            let verdict = match skip {
                Some(why) => Verdict::Skipped(why.into()),
                None => Verdict::of(judge(client)),
            };
            (who, verdict)
        })
        .collect()
}

/// Every client completes against the server at every size of the table, with exact bytes
/// both ways.
pub fn every_size(clients: &'static [Client], server: Server) -> Results {
    STREAM_SIZES
        .iter()
        .flat_map(|case| {
            each_client(clients, server, case.id, |client| {
                completed(run_client(client, server.port, case.bytecount))
            })
        })
        .collect()
}

/// At 64 MiB a client that reads while it sends completes; the book's client stalls, and
/// after the stall the server still serves the next client.
pub fn big_stream(clients: &'static [Client], server: Server) -> Results {
    each_client(clients, server, BIG_STREAM.id, |client| {
        match (
            client.reads_while_sending,
            run_client(client, server.port, BIG_STREAM.bytecount),
        ) {
            (true, outcome) => completed(outcome),
            (false, Outcome::Stalled(_)) => completed(run_client(client, server.port, 16))
                .map_err(|e| format!("after the stall the server failed: {e}")),
            (false, Outcome::Completed(result)) => Err(format!(
                "expected the deadlock of page 53, but the client completed ({result:?})"
            )),
        }
    })
}

/// A hundred copies of each client at once against the server, every byte exact.
pub fn concurrent(clients: &'static [Client], server: Server) -> Results {
    let (count, bytecount, port) = (CONCURRENT.clients, CONCURRENT.bytecount, server.port);
    each_client(clients, server, CONCURRENT.id, |client| {
        let runs: Vec<_> = (0..count)
            .map(|_| thread::spawn(move || completed(run_client(client, port, bytecount))))
            .collect();
        let failures: Vec<String> = runs
            .into_iter()
            .filter_map(|run| {
                run.join()
                    .unwrap_or(Err("a client run panicked".into()))
                    .err()
            })
            .collect();
        match failures.first() {
            None => Ok(()),
            Some(first) => Err(format!(
                "{} of {count} failed; first: {first}",
                failures.len()
            )),
        }
    })
}

#[cfg(test)]
mod tests {
    use std::io::{Read, Write};
    use std::net::TcpListener;

    use super::*;
    use crate::stream::{MESSAGE, stream, upper};

    /// A client that sends the whole stream, half-closes, then reads to the end.
    fn client(
        mut sock: TcpStream,
        bytecount: u64,
        out: &mut Transcript,
        on_data: &mut dyn FnMut(&[u8]),
    ) -> Result<(), fopnp::Error> {
        sock.write_all(&stream(MESSAGE, round_up(bytecount) as usize))?;
        sock.shutdown(Shutdown::Write)?;
        let mut buf = [0; 4096];
        while let n @ 1.. = sock.read(&mut buf)? {
            on_data(&buf[..n]);
        }
        Ok(writeln!(out, "done")?)
    }

    static CLIENT: Client = Client {
        name: "test client",
        run: client,
        reads_while_sending: false,
        check_transcript: |out, _| match out {
            b"done\n" => Ok(()),
            _ => Err("not done".into()),
        },
        bin: "not-in-the-catalog",
    };

    /// What a test server makes of each piece it reads.
    type Answer = fn(&[u8]) -> Vec<u8>;

    /// A server of one connection that answers what `answer` makes of each piece it
    /// reads, or (`None`) reads nothing and holds the connection.
    fn server(answer: Option<Answer>) -> u16 {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        thread::spawn(move || {
            let (mut sock, _) = listener.accept().unwrap();
            let mut buf = [0; 4096];
            let Some(answer) = answer else {
                return thread::sleep(QUIET * 2);
            };
            while let Ok(n @ 1..) = sock.read(&mut buf) {
                let _ = sock.write_all(&answer(&buf[..n]));
            }
        });
        port
    }

    #[test]
    fn a_pair_passes_only_with_the_uppercase_and_a_stall_is_told() {
        assert_eq!(complete(&CLIENT, server(Some(upper)), 100), Ok(()));
        let echoed = complete(&CLIENT, server(Some(<[u8]>::to_vec)), 100);
        assert!(
            echoed
                .unwrap_err()
                .contains("differs from the uppercase stream at byte 0")
        );
        let silent = complete(&CLIENT, server(None), 16);
        assert!(
            silent
                .unwrap_err()
                .starts_with("expected to complete, but stalled")
        );
    }
}
