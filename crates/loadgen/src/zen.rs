//! Chapter 7's load: many clients in a closed loop, each doing what `zen_client` does
//! (connect, ask the three questions one at a time, each answer checked, close) and
//! starting again, on tokio's multi-thread runtime so that 1,000 or 10,000 clients are one
//! process with a few threads; and the minimal no-logging server that measures the load
//! generator's own ceiling.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use conformance::zen::{APHORISMS, answer};
use hdrhistogram::Histogram;
use serde::Serialize;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// A question not answered within this long is an error, not latency; and when a step
/// ends, a conversation under way has this long to finish, or it counts as unfinished.
pub const ANSWER_TIMEOUT: Duration = Duration::from_secs(10);

/// What went wrong, by kind.
#[derive(Clone, Copy, Debug, Default, Serialize)]
pub struct Errors {
    /// An answer that was not the right one.
    pub wrong_answer: u64,
    /// The connection was reset or closed mid-conversation.
    pub reset: u64,
    /// The connection was refused.
    pub refused: u64,
    /// No answer (or no connection) within 10 s.
    pub timeout: u64,
    /// Under way when the step ended, and still not finished when the answer time-out
    /// after it ran out (a connection waiting in the listen queue, a question unanswered).
    pub unfinished: u64,
    /// Anything else.
    pub other: u64,
}

impl Errors {
    fn add(&mut self, other: &Errors) {
        self.wrong_answer += other.wrong_answer;
        self.reset += other.reset;
        self.refused += other.refused;
        self.timeout += other.timeout;
        self.unfinished += other.unfinished;
        self.other += other.other;
    }

    fn count(&mut self, error: &io::Error) {
        match error.kind() {
            io::ErrorKind::ConnectionRefused => self.refused += 1,
            io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::BrokenPipe
            | io::ErrorKind::UnexpectedEof => self.reset += 1,
            io::ErrorKind::TimedOut => self.timeout += 1,
            _ => self.other += 1,
        }
    }
}

/// One load run's figures.
#[derive(Clone, Debug, Serialize)]
pub struct LoadReport {
    pub clients: usize,
    pub seconds: f64,
    /// Answers received (and right) before the time was up.
    pub answers: u64,
    /// Conversations (three answers and a close) finished before the time was up.
    pub conversations: u64,
    pub answers_per_s: f64,
    pub conversations_per_s: f64,
    /// Latency of one question, from its send to its answer, in milliseconds.
    pub latency_p50_ms: f64,
    pub latency_p99_ms: f64,
    pub latency_max_ms: f64,
    pub errors: Errors,
}

/// One client's tally.
struct Tally {
    answers: u64,
    conversations: u64,
    latency: Histogram<u64>,
    errors: Errors,
}

/// Why a step of a conversation did not finish.
enum Failed {
    Io(io::Error),
    /// The answer time-out after the step's end came first.
    Unfinished,
}

/// Runs `step` with the answer time-out, or until `hard` (the step's end plus the answer
/// time-out), whichever comes first.
async fn bounded<T>(
    hard: Instant,
    timeout: Duration,
    step: impl std::future::Future<Output = io::Result<T>>,
) -> Result<T, Failed> {
    let limit = (Instant::now() + timeout).min(hard);
    match tokio::time::timeout_at(limit.into(), step).await {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(error)) => Err(Failed::Io(error)),
        Err(_) if limit == hard => Err(Failed::Unfinished),
        Err(_) => Err(Failed::Io(io::ErrorKind::TimedOut.into())),
    }
}

fn histogram() -> Histogram<u64> {
    // Microseconds, from 1 µs to 100 s, three significant figures.
    Histogram::new_with_bounds(1, 100_000_000, 3).expect("valid histogram bounds")
}

/// Sends a question and reads until the bytes so far end with `.`.
async fn ask(sock: &mut TcpStream, question: &[u8], buf: &mut Vec<u8>) -> io::Result<()> {
    sock.write_all(question).await?;
    buf.clear();
    let mut piece = [0; 256];
    while !buf.ends_with(b".") {
        let n = sock.read(&mut piece).await?;
        if n == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        buf.extend_from_slice(&piece[..n]);
    }
    Ok(())
}

/// One client: conversations started until `deadline`; the one under way then has until
/// the answer time-out after it to finish, or counts as unfinished.
async fn client(address: SocketAddr, index: usize, deadline: Instant, timeout: Duration) -> Tally {
    let mut tally = Tally {
        answers: 0,
        conversations: 0,
        latency: histogram(),
        errors: Errors::default(),
    };
    let hard = deadline + timeout;
    let mut buf = Vec::with_capacity(64);
    let mut round = index;
    while Instant::now() < deadline {
        round += 1;
        let mut sock = match bounded(hard, timeout, TcpStream::connect(address)).await {
            Ok(sock) => sock,
            Err(Failed::Unfinished) => {
                tally.errors.unfinished += 1;
                break;
            }
            Err(Failed::Io(error)) => {
                tally.errors.count(&error);
                // A refused connection fails at once: do not spin.
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
        };
        let _ = sock.set_nodelay(true);
        let mut answered = 0;
        for i in 0..3 {
            let (question, expected) = APHORISMS[(round + i) % 3];
            let asked = Instant::now();
            match bounded(hard, timeout, ask(&mut sock, question, &mut buf)).await {
                Ok(()) => {}
                Err(Failed::Unfinished) => {
                    tally.errors.unfinished += 1;
                    break;
                }
                Err(Failed::Io(error)) => {
                    tally.errors.count(&error);
                    break;
                }
            }
            if buf != expected {
                tally.errors.wrong_answer += 1;
                break;
            }
            let done = Instant::now();
            if done <= deadline {
                tally.answers += 1;
                answered += 1;
                let micros = (done - asked).as_micros().max(1) as u64;
                let _ = tally.latency.record(micros);
            }
        }
        drop(sock); // close, as zen_client does
        if answered == 3 {
            tally.conversations += 1;
        }
    }
    tally
}

/// Runs `clients` concurrent clients against the server at `port` for `seconds`, then
/// waits up to `timeout` (the answer time-out) for the conversations under way.
pub fn load(
    port: u16,
    clients: usize,
    seconds: f64,
    timeout: Duration,
) -> Result<LoadReport, String> {
    raise_descriptor_limit();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let address: SocketAddr = ([127, 0, 0, 1], port).into();
    runtime.block_on(async move {
        let started = Instant::now();
        let deadline = started + Duration::from_secs_f64(seconds);
        let tasks: Vec<_> = (0..clients)
            .map(|i| tokio::spawn(client(address, i, deadline, timeout)))
            .collect();
        let mut latency = histogram();
        let (mut answers, mut conversations, mut errors) = (0, 0, Errors::default());
        for task in tasks {
            let tally = task.await.map_err(|e| e.to_string())?;
            answers += tally.answers;
            conversations += tally.conversations;
            errors.add(&tally.errors);
            latency.add(&tally.latency).map_err(|e| e.to_string())?;
        }
        let ms = |micros: u64| micros as f64 / 1000.0;
        let (p50, p99, max) = if latency.is_empty() {
            (0.0, 0.0, 0.0)
        } else {
            (
                ms(latency.value_at_quantile(0.5)),
                ms(latency.value_at_quantile(0.99)),
                ms(latency.max()),
            )
        };
        Ok(LoadReport {
            clients,
            seconds,
            answers,
            conversations,
            answers_per_s: answers as f64 / seconds,
            conversations_per_s: conversations as f64 / seconds,
            latency_p50_ms: p50,
            latency_p99_ms: p99,
            latency_max_ms: max,
            errors,
        })
    })
}

/// Raises this process's soft limit on open files to its hard limit: 10,000 clients need
/// 10,000 descriptors.
fn raise_descriptor_limit() {
    let _ = testkit::process::set_descriptor_limit(None, None);
}

/// How many threads the minimal server serves with.
const MINIMAL_THREADS: usize = 32;

/// The minimal Zen server the load generator's ceiling is measured against: a pool of
/// threads, each blocking in `accept()` on the one listener and then in its client's
/// reads (the cheapest way to serve a few clients at a time on loopback: no readiness
/// registrations, no task spawned per connection), no logging at all, the answer looked
/// up in the oracle's table.
pub fn minimal_server(port: u16, delay: f64) -> Result<(), String> {
    use std::io::{Read, Write};
    raise_descriptor_limit();
    let listener = std::net::TcpListener::bind(("127.0.0.1", port))
        .map_err(|e| format!("cannot listen: {e}"))?;
    let listener = Arc::new(listener);
    let delay = Duration::from_secs_f64(delay);
    let workers: Vec<_> = (0..MINIMAL_THREADS)
        .map(|_| {
            let listener = Arc::clone(&listener);
            std::thread::Builder::new()
                .stack_size(64 * 1024)
                .spawn(move || {
                    let mut buf = [0; 4096];
                    loop {
                        let Ok((mut sock, _)) = listener.accept() else {
                            // Out of descriptors, or the like: a moment's pause.
                            std::thread::sleep(Duration::from_millis(10));
                            continue;
                        };
                        let _ = sock.set_nodelay(true);
                        let mut message = Vec::new();
                        loop {
                            let n = match sock.read(&mut buf) {
                                Ok(0) | Err(_) => break,
                                Ok(n) => n,
                            };
                            message.extend_from_slice(&buf[..n]);
                            if message.ends_with(b"?") {
                                if !delay.is_zero() {
                                    std::thread::sleep(delay);
                                }
                                if sock.write_all(answer(&message)).is_err() {
                                    break;
                                }
                                message.clear();
                            } else if message.len() > 4096 {
                                break;
                            }
                        }
                    }
                })
        })
        .collect::<Result<_, _>>()
        .map_err(|e| format!("cannot start a thread: {e}"))?;
    for worker in workers {
        let _ = worker.join();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};
    use std::net::TcpListener;

    /// A Zen server for the tests: a thread per connection; `stall(n)` says whether the
    /// n-th connection (from 0) is held without an answer, and every answer waits `delay`.
    fn server(stall: fn(usize) -> bool, delay: Duration) -> u16 {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        std::thread::spawn(move || {
            for (n, sock) in listener.incoming().enumerate() {
                let Ok(mut sock) = sock else { continue };
                std::thread::spawn(move || {
                    let mut message = Vec::new();
                    let mut buf = [0; 256];
                    while let Ok(read) = sock.read(&mut buf) {
                        if read == 0 {
                            break;
                        }
                        message.extend_from_slice(&buf[..read]);
                        if message.ends_with(b"?") && !stall(n) {
                            std::thread::sleep(delay);
                            let _ = sock.write_all(answer(&message));
                            message.clear();
                        }
                    }
                });
            }
        });
        port
    }

    /// The one connection that gets no answer is an error, not a conversation the run
    /// forgot: before, a step shorter than the time-out cut it off uncounted.
    #[test]
    fn a_connection_stalled_past_the_time_out_is_counted() {
        let port = server(|n| n == 0, Duration::ZERO);
        let report = load(port, 4, 0.3, Duration::from_millis(400)).unwrap();
        assert_eq!(
            report.errors.timeout + report.errors.unfinished,
            1,
            "{report:?}"
        );
        assert!(report.conversations > 0, "{report:?}");
    }

    /// A conversation under way when the step ends, that cannot finish within the time-out
    /// after it, counts as unfinished: here every client's. Each answer takes 0.3 s; the
    /// step ends at 0.3 s, so the second question (asked at 0.3, answered at 0.6) is within
    /// its time-out of 0.45 s, and the third (asked at 0.6, due at 0.9) is cut off at the
    /// step's end plus the time-out, 0.75 s: 150 ms of margin each way.
    #[test]
    fn conversations_still_under_way_after_the_time_out_are_unfinished() {
        let port = server(|_| false, Duration::from_millis(300));
        let report = load(port, 3, 0.3, Duration::from_millis(450)).unwrap();
        assert_eq!(report.errors.unfinished, 3, "{report:?}");
        assert_eq!(report.conversations, 0, "{report:?}");
    }
}
