//! Chapter 2's datagrams (families `udp-local` and `udp-remote`): their cases,
//! independent of any implementation. A server answers each datagram with `Your data was
//! N bytes long`; a server case resends up to 40 times, every 50 ms, so that a server
//! that drops at random (the book's `udp_remote`) still passes. The client cases play the
//! server, a stranger, or nobody at all.

use std::net::{SocketAddr, UdpSocket};
use std::thread;
use std::time::{Duration, Instant};

use fopnp::{PyAddr, PyText};

use testkit::with_deadline;

use crate::table::{CASE_LIMIT, Running, ServerSpec, Table, wait_log};
use crate::{ClientRun, RunClient, Verdict};

/// How many times a server case sends its datagram before it gives up on an answer.
pub const TRIES: usize = 40;
/// How long a server case waits for an answer before it sends again: loopback answers
/// in microseconds, and an answer that comes late is the same bytes as the next one.
const WAIT: Duration = Duration::from_millis(50);

/// The answer to a datagram of `n` bytes.
pub fn answer(n: usize) -> String {
    format!("Your data was {n} bytes long")
}

/// A case that talks to a server.
pub struct ServerCase {
    pub id: &'static str,
    pub title: &'static str,
}

pub const SERVER_CASES: &[ServerCase] = &[
    ServerCase {
        id: "empty-datagram",
        title: "a datagram of 0 bytes",
    },
    ServerCase {
        id: "one-byte",
        title: "a datagram of 1 byte",
    },
    ServerCase {
        id: "thirty-eight-bytes",
        title: "38 bytes, as long as `The time is ...`",
    },
    ServerCase {
        id: "largest-datagram",
        title: "65,507 bytes, the most an IPv4 datagram carries",
    },
    ServerCase {
        id: "two-clients-at-once",
        title: "two clients at once, each answered at its own address",
    },
    ServerCase {
        id: "not-ascii-then-ascii",
        title: "b'H\\xc3\\xa9' (the book's server dies decoding it), then an ordinary datagram",
    },
];

fn socket() -> Result<UdpSocket, String> {
    let sock = UdpSocket::bind(("127.0.0.1", 0)).map_err(|e| format!("bind: {e}"))?;
    sock.set_read_timeout(Some(WAIT))
        .map_err(|e| e.to_string())?;
    Ok(sock)
}

/// Sends `payload` to the server until an answer comes (at most [`TRIES`] times); checks
/// it, and returns the client's address. A late answer to an earlier datagram of `stale`
/// bytes (its resend was answered too) is passed over.
fn ask(
    sock: &UdpSocket,
    server: SocketAddr,
    payload: &[u8],
    stale: Option<usize>,
) -> Result<SocketAddr, String> {
    let mut buf = vec![0; 65535];
    let expected = answer(payload.len());
    let late = stale.map(answer);
    for _ in 0..TRIES {
        sock.send_to(payload, server)
            .map_err(|e| format!("send: {e}"))?;
        match sock.recv_from(&mut buf) {
            Ok((n, _)) if late.as_ref().is_some_and(|l| &buf[..n] == l.as_bytes()) => continue,
            Ok((n, from)) if from == server => {
                if &buf[..n] != expected.as_bytes() {
                    return Err(format!(
                        "answered {} to {} bytes, not {expected:?}",
                        PyText(&buf[..n]),
                        payload.len()
                    ));
                }
                return sock.local_addr().map_err(|e| e.to_string());
            }
            Ok((_, from)) => return Err(format!("an answer from {from}, not {server}")),
            Err(_) => continue,
        }
    }
    Err(format!(
        "no answer to {TRIES} datagrams of {} bytes",
        payload.len()
    ))
}

/// A datagram a server case sent, and what the server should log for it.
pub struct Sent {
    pub from: SocketAddr,
    pub payload: Vec<u8>,
}

/// Runs one server case against the server at `port`; returns what it sent, for the log.
pub fn run_server_case(id: &str, port: u16) -> Result<Vec<Sent>, String> {
    let server = SocketAddr::from(([127, 0, 0, 1], port));
    let one = |payload: Vec<u8>| -> Result<Vec<Sent>, String> {
        let sock = socket()?;
        let from = ask(&sock, server, &payload, None)?;
        Ok(vec![Sent { from, payload }])
    };
    match id {
        "empty-datagram" => one(Vec::new()),
        "one-byte" => one(b"x".to_vec()),
        "thirty-eight-bytes" => one(b"The time is 2026-11-29 07:24:48.124265".to_vec()),
        "largest-datagram" => one(vec![b'#'; 65507]),
        "two-clients-at-once" => {
            let clients: Vec<_> = [b"first client".to_vec(), b"second client!".to_vec()]
                .into_iter()
                .map(|payload| {
                    thread::spawn(move || -> Result<Sent, String> {
                        let sock = socket()?;
                        let from = ask(&sock, server, &payload, None)?;
                        Ok(Sent { from, payload })
                    })
                })
                .collect();
            clients
                .into_iter()
                .map(|c| {
                    c.join()
                        .map_err(|_| "a client thread panicked".to_string())?
                })
                .collect()
        }
        "not-ascii-then-ascii" => {
            let sock = socket()?;
            let strange = "Hé".as_bytes().to_vec();
            // The book's server dies decoding it, and answers neither.
            ask(&sock, server, &strange, None)?;
            let from = ask(&sock, server, b"and then this", Some(strange.len()))?;
            Ok(vec![
                Sent {
                    from,
                    payload: strange,
                },
                Sent {
                    from,
                    payload: b"and then this".to_vec(),
                },
            ])
        }
        _ => Err("no such case".into()),
    }
}

/// Checks a workspace server's log for what the case sent: `The client at (...) says
/// ...`, with the text as Python prints it (bytes that are not ASCII as a bytes repr).
pub fn check_log(log: &str, sent: &[Sent]) -> Result<(), String> {
    for s in sent {
        let line = format!(
            "The client at {} says {}",
            PyAddr(s.from),
            PyText(&s.payload)
        );
        if !log.lines().any(|l| l == line) {
            let shown: String = line.chars().take(120).collect();
            return Err(format!("no log line {shown:?}"));
        }
    }
    Ok(())
}

/// A case that checks a client.
pub struct ClientCase {
    pub id: &'static str,
    pub title: &'static str,
    /// Only for the connected client (`udp_remote`).
    pub remote_only: bool,
}

pub const CLIENT_CASES: &[ClientCase] = &[
    ClientCase {
        id: "the-reply",
        title: "the server's reply printed as the book prints it",
        remote_only: false,
    },
    ClientCase {
        id: "forged-reply",
        title: "a reply from a stranger: the unconnected client takes it; the connected one never sees it",
        remote_only: false,
    },
    ClientCase {
        id: "retry-schedule",
        title: "no reply: sends again after 0.1, 0.2, 0.4 and 0.8 s",
        remote_only: true,
    },
    ClientCase {
        id: "gives-up",
        title: "no reply: gives up 1.6 s after its fifth send, with one line and a failure",
        remote_only: true,
    },
    ClientCase {
        id: "refused-without-server",
        title: "nothing bound to the port: refused at once (the ICMP error a connected socket hears)",
        remote_only: true,
    },
];

/// Plays the server on a port of its own: records each datagram's arrival, and answers as
/// `reply` says (which datagram, by number from 0, and from a stranger or not).
struct Scripted {
    port: u16,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    recorder: thread::JoinHandle<Vec<(Instant, Vec<u8>)>>,
}

impl Scripted {
    /// What it recorded, once the client is done.
    fn seen(self) -> Result<Vec<(Instant, Vec<u8>)>, String> {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        self.recorder
            .join()
            .map_err(|_| "the scripted server panicked".to_string())
    }
}

fn scripted(reply: fn(usize) -> Option<bool>, listen_for: Duration) -> Result<Scripted, String> {
    let sock = UdpSocket::bind(("127.0.0.1", 0)).map_err(|e| e.to_string())?;
    let port = sock.local_addr().map_err(|e| e.to_string())?.port();
    sock.set_read_timeout(Some(Duration::from_millis(50)))
        .map_err(|e| e.to_string())?;
    let stranger = UdpSocket::bind(("127.0.0.1", 0)).map_err(|e| e.to_string())?;
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let stopped = std::sync::Arc::clone(&stop);
    let recorder = thread::spawn(move || {
        let mut seen = Vec::new();
        let mut buf = vec![0; 65535];
        let until = Instant::now() + listen_for;
        while Instant::now() < until && !stopped.load(std::sync::atomic::Ordering::Relaxed) {
            let Ok((n, from)) = sock.recv_from(&mut buf) else {
                continue;
            };
            seen.push((Instant::now(), buf[..n].to_vec()));
            match reply(seen.len() - 1) {
                Some(true) => {
                    let _ = stranger.send_to(b"FAKE", from);
                }
                Some(false) => {
                    let _ = sock.send_to(answer(n).as_bytes(), from);
                }
                None => {}
            }
        }
        seen
    });
    Ok(Scripted {
        port,
        stop,
        recorder,
    })
}

/// Runs the client cases that `pick` picks; `remote` for the connected client.
pub fn run_client_cases(
    remote: bool,
    run: RunClient<'_>,
    pick: &dyn Fn(&str) -> bool,
) -> Vec<(&'static str, Verdict)> {
    let mut results = Vec::new();
    // The retry schedule and the give-up are two verdicts on one run against silence.
    let mut silence: Option<Result<Silence, String>> = None;
    for case in CLIENT_CASES {
        if !pick(case.id) || (case.remote_only && !remote) {
            continue;
        }
        let result = match case.id {
            "retry-schedule" | "gives-up" => silence
                .get_or_insert_with(|| against_silence(run))
                .clone()
                .and_then(|s| judge_silence(case.id, &s)),
            id => client_case(id, remote, run),
        };
        results.push((case.id, Verdict::of(result)));
    }
    results
}

fn last_line(run: &ClientRun) -> &str {
    run.stdout.lines().last().unwrap_or_default()
}

fn client_case(id: &str, remote: bool, run: RunClient<'_>) -> Result<(), String> {
    let listen = Duration::from_secs(5);
    match id {
        "the-reply" => {
            // The connected client's first datagram is answered; so is the other's.
            let script = scripted(|_| Some(false), listen)?;
            let done = run(script.port, 0, &[]);
            let seen = script.seen()?;
            let n = seen
                .first()
                .map(|(_, d)| d.len())
                .ok_or("the client sent nothing")?;
            let expected = format!("{}", PyText(answer(n).as_bytes()));
            if !done.success || !last_line(&done).ends_with(&format!(" {expected}")) {
                return Err(format!(
                    "printed {:?} ({}), expected a last line ending with {expected}",
                    done.stdout,
                    if done.success { "success" } else { "failure" }
                ));
            }
            Ok(())
        }
        "forged-reply" => {
            // A stranger answers first; the real answer follows the second datagram.
            let script = scripted(|i| Some(i == 0), listen)?;
            let done = run(script.port, 0, &[]);
            script.seen()?;
            let took_fake = last_line(&done).ends_with(" 'FAKE'");
            match (remote, took_fake) {
                (false, true) if done.success => Ok(()),
                (false, _) => Err(format!(
                    "the unconnected client should take the stranger's datagram: printed {:?}",
                    done.stdout
                )),
                (true, false) if done.success => Ok(()),
                (true, _) => Err(format!(
                    "the connected client should never see the stranger's datagram: printed {:?}",
                    done.stdout
                )),
            }
        }
        "refused-without-server" => {
            let port = testkit::process::free_port().map_err(|e| e.to_string())?;
            let started = Instant::now();
            let done = run(port, 0, &[]);
            let took = started.elapsed();
            if done.success || !done.stderr.to_lowercase().contains("refused") {
                return Err(format!("expected a refusal, got {:?}", done.stderr));
            }
            if took > Duration::from_secs(1) {
                return Err(format!(
                    "refused only after {took:.2?}: it backed off instead"
                ));
            }
            Ok(())
        }
        _ => Err("no such case".into()),
    }
}

/// A client's run against a server that never answers: when its datagrams arrived, how
/// it ended, and when.
#[derive(Clone)]
struct Silence {
    times: Vec<Instant>,
    done: ClientRun,
    ended: Instant,
}

fn against_silence(run: RunClient<'_>) -> Result<Silence, String> {
    let script = scripted(|_| None, Duration::from_secs(5))?;
    let done = run(script.port, 0, &[]);
    let ended = Instant::now();
    let times = script.seen()?.into_iter().map(|(t, _)| t).collect();
    Ok(Silence { times, done, ended })
}

fn judge_silence(id: &str, s: &Silence) -> Result<(), String> {
    if id == "retry-schedule" {
        return check_schedule(&s.times);
    }
    let first = *s.times.first().ok_or("the client sent nothing")?;
    let gave_up = s.ended.duration_since(first);
    let nominal = Duration::from_secs_f64(3.1);
    if s.done.success || s.done.stderr.trim().lines().count() != 1 {
        return Err(format!(
            "expected one line and a failure, got {} and {:?}",
            if s.done.success { "success" } else { "failure" },
            s.done.stderr
        ));
    }
    if gave_up < nominal.mul_f64(0.95) || gave_up > nominal + tolerance(nominal) {
        return Err(format!(
            "gave up {gave_up:.2?} after its first send, not 3.1 s"
        ));
    }
    Ok(())
}

/// Within 95 % of the nominal wait, and no later than the nominal wait plus the larger of
/// 20 % and 50 ms.
fn tolerance(nominal: Duration) -> Duration {
    nominal.mul_f64(0.2).max(Duration::from_millis(50))
}

/// Holds the times the client's datagrams arrived to the schedule 0.1, 0.2, 0.4, 0.8 s.
pub fn check_schedule(times: &[Instant]) -> Result<(), String> {
    let nominal = [0.1, 0.2, 0.4, 0.8];
    if times.len() != 5 {
        return Err(format!("{} datagrams, not 5", times.len()));
    }
    for (i, pair) in times.windows(2).enumerate() {
        let waited = pair[1].duration_since(pair[0]);
        let expected = Duration::from_secs_f64(nominal[i]);
        if waited < expected.mul_f64(0.95) || waited > expected + tolerance(expected) {
            return Err(format!("wait {} was {waited:.3?}, not {expected:?}", i + 1));
        }
    }
    Ok(())
}

// The table: how the runner reaches this protocol's cases (see `crate::table`).

/// Listing 2-1's table.
pub const LOCAL: Table = Table {
    family: catalog::Family::UdpLocal,
    name: "udp-local",
    transport: catalog::Transport::Udp,
    server_case_ids,
    server_case,
    fresh_server_per_case: false,
    client_cases: |_, run, pick| run_client_cases(false, run, pick),
    client_command: "{exe} client -p {port}",
    certificates: false,
    stand_in: None,
    placeholders: crate::table::no_placeholders,
};

/// Listing 2-2's table: the same server cases, and a client that backs off.
pub const REMOTE: Table = Table {
    family: catalog::Family::UdpRemote,
    name: "udp-remote",
    client_cases: |_, run, pick| run_client_cases(true, run, pick),
    client_command: "{exe} client {host} -p {port}",
    ..LOCAL
};

fn server_case_ids() -> Vec<&'static str> {
    SERVER_CASES.iter().map(|c| c.id).collect()
}

/// A datagram case: the answers, and for the workspace's own servers, the log.
fn server_case(
    spec: &ServerSpec,
    server: &mut dyn Running,
    id: &'static str,
    _: &mut usize,
) -> Verdict {
    let server: &dyn Running = server;
    let port = server.port();
    Verdict::of(
        with_deadline(CASE_LIMIT, move || run_server_case(id, port)).and_then(|sent| {
            if spec.log.is_none() {
                return Ok(());
            }
            wait_log(server, |log| check_log(log, &sent).is_ok());
            check_log(&server.log(), &sent)
        }),
    )
}
