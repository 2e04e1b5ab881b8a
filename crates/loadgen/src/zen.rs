//! Chapter 7's load: many clients in a closed loop, each doing what `zen_client` does
//! (connect, ask the three questions one at a time, each answer checked, close) and
//! starting again, on tokio's multi-thread runtime so that 1,000 or 10,000 clients are one
//! process with a few threads; and the minimal no-logging server that measures the load
//! generator's own ceiling.

use std::io;
use std::net::{IpAddr, SocketAddr};
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
    /// One answer that was not the right one.
    pub(crate) fn wrong_answer() -> Self {
        Errors {
            wrong_answer: 1,
            ..Errors::default()
        }
    }

    pub(crate) fn add(&mut self, other: &Errors) {
        self.wrong_answer += other.wrong_answer;
        self.reset += other.reset;
        self.refused += other.refused;
        self.timeout += other.timeout;
        self.unfinished += other.unfinished;
        self.other += other.other;
    }

    pub(crate) fn count(&mut self, error: &io::Error) {
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
pub(crate) enum Failed {
    Io(io::Error),
    /// The answer time-out after the step's end came first.
    Unfinished,
}

impl From<Failed> for Errors {
    /// One step that did not finish, counted by why.
    fn from(failed: Failed) -> Self {
        let mut errors = Errors::default();
        match failed {
            Failed::Io(error) => errors.count(&error),
            Failed::Unfinished => errors.unfinished += 1,
        }
        errors
    }
}

/// Runs `step` with the answer time-out, or until `hard` (the step's end plus the answer
/// time-out), whichever comes first.
pub(crate) async fn bounded<T>(
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

pub(crate) fn histogram() -> Histogram<u64> {
    // Microseconds, from 1 µs to 100 s, three significant figures.
    Histogram::new_with_bounds(1, 100_000_000, 3).expect("valid histogram bounds")
}

/// Sends a question and reads until the bytes so far end with `.`.
pub(crate) async fn ask(
    sock: &mut TcpStream,
    question: &[u8],
    buf: &mut Vec<u8>,
) -> io::Result<()> {
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

/// The source address of client `index` when sources are spread: one of 62,500
/// addresses of 127.0.0.0/8 (the whole block is loopback), so that no one address runs
/// out of ephemeral ports (28,232 here) under 10,000 clients that reconnect for every
/// conversation, with each closed connection in TIME_WAIT for a minute.
pub(crate) fn source(index: usize) -> IpAddr {
    let n = index % 62_500;
    IpAddr::from([127, 1, (n / 250) as u8, (n % 250 + 1) as u8])
}

/// Connects from `source` (any loopback address if `None`).
pub(crate) async fn connect_from(
    source: Option<IpAddr>,
    address: SocketAddr,
) -> io::Result<TcpStream> {
    let sock = tokio::net::TcpSocket::new_v4()?;
    if let Some(ip) = source {
        bind_address_only(&sock)?;
        sock.bind(SocketAddr::new(ip, 0))?;
    }
    sock.connect(address).await
}

/// `IP_BIND_ADDRESS_NO_PORT`: `bind()` fixes the address only, and `connect()` picks the
/// port, as it does for an unbound socket, reusing a port whose old connection waits in
/// TIME_WAIT (`tcp_tw_reuse`, on for loopback). A port chosen at `bind()` time could not
/// be, and 10,000 clients would soon search a range full of TIME_WAIT sockets at every
/// connection (without it, one client fell from 19,000 to 1,600 answers a second).
fn bind_address_only(sock: &tokio::net::TcpSocket) -> io::Result<()> {
    #[cfg(target_os = "linux")]
    {
        use std::os::fd::AsRawFd;
        let one: libc::c_int = 1;
        // SAFETY: the descriptor is the socket's own and open; the option is a c_int,
        // passed with its size, and read by the kernel only during the call.
        let done = unsafe {
            libc::setsockopt(
                sock.as_raw_fd(),
                libc::IPPROTO_IP,
                libc::IP_BIND_ADDRESS_NO_PORT,
                (&one as *const libc::c_int).cast(),
                std::mem::size_of::<libc::c_int>() as libc::socklen_t,
            )
        };
        if done != 0 {
            return Err(io::Error::last_os_error());
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = sock;
    Ok(())
}

/// How a closed-loop run starts its clients and counts.
#[derive(Clone, Copy, Debug)]
pub struct Shape {
    /// The clients start one after the other over this long (a bounded pace, not a
    /// storm), and only what they do after it counts.
    pub ramp: Duration,
    /// Each client connects from an address of its own in 127.0.0.0/8.
    pub spread: bool,
}

/// One client: from `start` (its place in the ramp), conversations started until
/// `deadline`, counted from `counted`; the one under way at the deadline has until the
/// answer time-out after it to finish, or counts as unfinished.
async fn client(
    address: SocketAddr,
    index: usize,
    source: Option<IpAddr>,
    (start, counted, deadline): (Instant, Instant, Instant),
    timeout: Duration,
) -> Tally {
    tokio::time::sleep_until(start.into()).await;
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
        let mut sock = match bounded(hard, timeout, connect_from(source, address)).await {
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
                answered += 1;
                // Only what happens after the ramp counts: the answers that arrive in
                // the counted seconds, and the latency of the questions asked in them.
                if done >= counted {
                    tally.answers += 1;
                }
                if asked >= counted {
                    let micros = (done - asked).as_micros().max(1) as u64;
                    let _ = tally.latency.record(micros);
                }
            }
        }
        drop(sock); // close, as zen_client does
        if answered == 3 && Instant::now() >= counted {
            tally.conversations += 1;
        }
    }
    tally
}

/// Runs `clients` concurrent clients against the server at `port` for `seconds`, then
/// waits up to `timeout` (the answer time-out) for the conversations under way.
#[cfg(test)]
pub(crate) fn load(
    port: u16,
    clients: usize,
    seconds: f64,
    timeout: Duration,
) -> Result<LoadReport, String> {
    let shape = Shape {
        ramp: Duration::ZERO,
        spread: false,
    };
    load_shaped(port, clients, seconds, timeout, shape)
}

/// `load`, with the clients started over `shape.ramp` (the `seconds` counted come
/// after it) and their sources spread if `shape.spread` says so.
pub fn load_shaped(
    port: u16,
    clients: usize,
    seconds: f64,
    timeout: Duration,
    shape: Shape,
) -> Result<LoadReport, String> {
    let runtime = load_runtime()?;
    let address: SocketAddr = ([127, 0, 0, 1], port).into();
    runtime.block_on(async move {
        let started = Instant::now();
        let counted = started + shape.ramp;
        let deadline = counted + Duration::from_secs_f64(seconds);
        let tasks: Vec<_> = (0..clients)
            .map(|i| {
                let start = started + shape.ramp.mul_f64(i as f64 / clients.max(1) as f64);
                let source = shape.spread.then(|| source(i));
                tokio::spawn(client(
                    address,
                    i,
                    source,
                    (start, counted, deadline),
                    timeout,
                ))
            })
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
pub(crate) fn raise_descriptor_limit() {
    let _ = testkit::process::set_descriptor_limit(None, None);
}

/// The runtime a load runs on, all threads, in a process that may hold 10,000 sockets.
pub(crate) fn load_runtime() -> Result<tokio::runtime::Runtime, String> {
    raise_descriptor_limit();
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())
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

/// A Zen server for the tests, a thread per connection: before each answer on the n-th
/// connection (from 0), from `peer`, `before(n, peer)` runs and says whether to answer.
#[cfg(test)]
pub(crate) fn test_server(before: impl Fn(usize, IpAddr) -> bool + Send + Sync + 'static) -> u16 {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let before = Arc::new(before);
    std::thread::spawn(move || {
        for (n, sock) in listener.incoming().enumerate() {
            let Ok(mut sock) = sock else { continue };
            let before = Arc::clone(&before);
            std::thread::spawn(move || {
                let peer = sock.peer_addr().unwrap().ip();
                let mut message = Vec::new();
                let mut buf = [0; 256];
                while let Ok(read) = sock.read(&mut buf) {
                    if read == 0 {
                        break;
                    }
                    message.extend_from_slice(&buf[..read]);
                    if message.ends_with(b"?") && before(n, peer) {
                        let _ = sock.write_all(answer(&message));
                        message.clear();
                    }
                }
            });
        }
    });
    port
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A Zen server for the tests: a thread per connection; `stall(n)` says whether the
    /// n-th connection (from 0) is held without an answer, and every answer waits `delay`.
    fn server(stall: fn(usize) -> bool, delay: Duration) -> u16 {
        test_server(move |n, _| {
            std::thread::sleep(delay);
            !stall(n)
        })
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

    /// Spread sources: each client connects from its own address of 127.0.0.0/8; with a
    /// ramp, the clients start one after the other and the run still counts its seconds.
    #[test]
    fn spread_clients_connect_from_addresses_of_their_own() {
        let (seen, peers) = std::sync::mpsc::channel();
        let seen = std::sync::Mutex::new(seen);
        let port = test_server(move |_, peer| {
            let _ = seen.lock().unwrap().send(peer);
            true
        });
        let shape = Shape {
            ramp: Duration::from_millis(200),
            spread: true,
        };
        let report = load_shaped(port, 4, 0.2, Duration::from_secs(5), shape).unwrap();
        assert!(report.conversations > 0, "{report:?}");
        let mut sources: Vec<IpAddr> = peers.try_iter().collect();
        sources.sort();
        sources.dedup();
        assert_eq!(sources, (0..4).map(source).collect::<Vec<_>>());
    }
}
