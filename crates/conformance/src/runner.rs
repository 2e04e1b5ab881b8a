//! The one runner: it takes a family's cases and drives them against an implementation,
//! reached in-process (a server thread, a client function) or as an external command
//! ([`crate::external`]). The adapters in `tests/` and `cargo xtask conform` both call
//! [`server_cases`] and [`client_cases`]; they differ only in how they reach the
//! implementation.

use std::time::Duration;

use catalog::{Concurrency, Family, LogStyle};
use testkit::{STEP, ServerThread, Transcript, with_deadline, within};

use crate::external::{Ended, ExternalServer, Template};
use crate::{
    ClientRun, RunClient, Skip, Verdict, framing, sixteen, tls, transcripts, udp, uppercase, zen,
};

/// How long one case may take before it counts as a hang.
pub const CASE_LIMIT: Duration = Duration::from_secs(150);

/// What the runner must know of a server under test. A foreign server is held to the
/// wire only (`log: None`); the workspace's own are held to their log lines too.
#[derive(Clone, Copy, Debug)]
pub struct ServerSpec {
    pub family: Family,
    /// How it words its log, if its log is checked.
    pub log: Option<LogStyle>,
    pub concurrency: Concurrency,
    pub splits_questions: bool,
    /// Cases it cannot run, with why.
    pub skips: &'static [Skip],
}

impl ServerSpec {
    /// A server known only by its family: held to the wire, as many clients as connect.
    pub fn foreign(family: Family) -> Self {
        Self {
            family,
            log: None,
            concurrency: Concurrency::EventLoop,
            splits_questions: false,
            skips: &[],
        }
    }

    /// A listing of the catalog, its log checked.
    pub fn of(listing: &catalog::Listing) -> Self {
        Self {
            family: listing.family,
            log: Some(listing.log),
            concurrency: listing.concurrency,
            splits_questions: listing.splits_questions,
            skips: &[],
        }
    }
}

/// A running server under test, however it runs.
pub trait Running {
    fn port(&self) -> u16;
    /// Everything it has logged so far.
    fn log(&self) -> String;
    /// After each case: a server that the case killed is started again, and the note
    /// says so (`Err`: it could not be).
    fn after_case(&mut self, _failed: bool) -> Result<Option<String>, String> {
        Ok(None)
    }
    /// For a server of one connection: its exit after the case, and a fresh one for the
    /// next.
    fn end_case(&mut self, _limit: Duration) -> Result<Ended, String> {
        Err("this server is not run one connection at a time".into())
    }
}

impl Running for ServerThread {
    fn port(&self) -> u16 {
        self.port
    }

    fn log(&self) -> String {
        self.log.text()
    }
}

impl Running for ExternalServer {
    fn port(&self) -> u16 {
        ExternalServer::port(self)
    }

    fn log(&self) -> String {
        ExternalServer::log(self)
    }

    fn after_case(&mut self, failed: bool) -> Result<Option<String>, String> {
        self.restart_if_dead(failed)
    }

    fn end_case(&mut self, limit: Duration) -> Result<Ended, String> {
        ExternalServer::end_case(self, limit)
    }
}

/// One case's outcome, and what happened to the server meanwhile.
#[derive(Clone, Debug)]
pub struct Outcome {
    pub id: &'static str,
    pub verdict: Verdict,
    pub note: Option<String>,
}

/// The server cases of a family, in order.
pub fn server_case_ids(family: Family) -> Vec<&'static str> {
    match family {
        Family::Sixteen => sixteen::server_case_ids(),
        Family::Uppercase => uppercase::SERVER_CASES
            .iter()
            .map(|c| c.id)
            .chain([uppercase::BIG_STREAM.id, uppercase::CONCURRENT.id])
            .collect(),
        Family::Zen => zen::server_case_ids(),
        Family::UdpLocal | Family::UdpRemote => udp::SERVER_CASES.iter().map(|c| c.id).collect(),
        Family::Blocks | Family::Streamer => framing::server_cases(family == Family::Blocks)
            .iter()
            .map(|c| c.id)
            .collect(),
        Family::Tls => crate::tls::SERVER_CASES.iter().map(|c| c.id).collect(),
        Family::None => Vec::new(),
    }
}

/// Waits (with a deadline) until `done` holds for the server's log.
fn wait_log(server: &dyn Running, done: impl Fn(&str) -> bool) {
    testkit::wait_until(crate::patience(), || done(&server.log()));
}

/// Runs the family's server cases (or only `only`) against a running server; stops early
/// if a case kills it and it cannot be started again.
pub fn server_cases(
    spec: &ServerSpec,
    server: &mut dyn Running,
    only: Option<&str>,
) -> Vec<Outcome> {
    server_cases_where(spec, server, |id| only.is_none_or(|only| only == id))
}

/// [`server_cases`] for the cases that `pick` picks.
pub fn server_cases_where(
    spec: &ServerSpec,
    server: &mut dyn Running,
    pick: impl Fn(&str) -> bool,
) -> Vec<Outcome> {
    let mut outcomes = Vec::new();
    // Connections so far whose closes the log must show (3-1, 3-2).
    let mut served = 0;
    for id in server_case_ids(spec.family) {
        if !pick(id) {
            continue;
        }
        if let Some(why) = crate::skip_reason(spec.skips, id) {
            let verdict = Verdict::Skipped(why.into());
            outcomes.push(Outcome {
                id,
                verdict,
                note: None,
            });
            continue;
        }
        let verdict = match spec.family {
            Family::Sixteen => sixteen_case(spec, &*server, id, &mut served),
            Family::Uppercase => uppercase_case(spec, &*server, id, &mut served),
            Family::Zen => zen_case(spec, &*server, id),
            Family::UdpLocal | Family::UdpRemote => udp_case(spec, &*server, id),
            Family::Blocks | Family::Streamer => one_shot_case(spec, server, id),
            // Each TLS case needs certificates and a peer: see `tls_server_cases`.
            Family::Tls => Verdict::Fail("the tls table runs through tls_server_cases".into()),
            Family::None => Verdict::Fail("no table".into()),
        };
        if matches!(spec.family, Family::Blocks | Family::Streamer) {
            // Each case had a server of its own; end_case started the next one.
            outcomes.push(Outcome {
                id,
                verdict,
                note: None,
            });
            continue;
        }
        let failed = matches!(verdict, Verdict::Fail(_));
        let (note, dead) = match server.after_case(failed) {
            Ok(note) => (note, false),
            Err(error) => (
                Some(format!(
                    "the server died and could not be restarted: {error}"
                )),
                true,
            ),
        };
        outcomes.push(Outcome { id, verdict, note });
        if dead {
            break;
        }
    }
    outcomes
}

fn sixteen_case(spec: &ServerSpec, server: &dyn Running, id: &str, served: &mut usize) -> Verdict {
    let port = server.port();
    let Some(case) = sixteen::SERVER_CASES.iter().find(|c| c.id == id) else {
        return Verdict::Fail("no such case".into());
    };
    let run = case.run;
    Verdict::of(
        with_deadline(CASE_LIMIT, move || run(port)).and_then(|connections| {
            if spec.log.is_none() {
                return Ok(());
            }
            *served += connections.len();
            wait_log(server, |log| sixteen::log_complete(log, *served));
            sixteen::check_log(&server.log(), &connections)
        }),
    )
}

fn uppercase_case(
    spec: &ServerSpec,
    server: &dyn Running,
    id: &'static str,
    served: &mut usize,
) -> Verdict {
    let port = server.port();
    let concurrent = |case: uppercase::ConcurrentCase| {
        with_deadline(CASE_LIMIT, move || {
            let ports = uppercase::run_concurrent_case(port, &case)?;
            Ok(ports.into_iter().map(|p| (p, case.bytecount)).collect())
        })
    };
    let result: Result<Vec<(u16, u64)>, String> = if id == uppercase::CONCURRENT.id {
        concurrent(uppercase::CONCURRENT)
    } else if id == uppercase::BIG_STREAM.id {
        concurrent(uppercase::ConcurrentCase {
            id,
            title: uppercase::BIG_STREAM.title,
            clients: 1,
            bytecount: uppercase::BIG_STREAM.bytecount,
        })
    } else {
        with_deadline(CASE_LIMIT, move || {
            let case = uppercase::SERVER_CASES
                .iter()
                .find(|c| c.id == id)
                .ok_or("no such case")?;
            let bytes = (case.payload)().len() as u64;
            Ok(vec![(uppercase::run_server_case(port, case)?, bytes)])
        })
    };
    let style = match spec.log {
        Some(LogStyle::Deadlock) => uppercase::LogStyle::Book,
        Some(LogStyle::Variant) => uppercase::LogStyle::Variant(VARIANT_CHUNK),
        _ => return Verdict::of(result.map(drop)),
    };
    Verdict::of(result.and_then(|connections| {
        *served += connections.len();
        wait_log(server, |log| uppercase::log_complete(log, style, *served));
        uppercase::check_log(&server.log(), style, &connections)
    }))
}

fn zen_case(spec: &ServerSpec, server: &dyn Running, id: &str) -> Verdict {
    let target = zen::Target {
        port: server.port(),
        concurrency: spec.concurrency,
        splits_questions: spec.splits_questions,
    };
    let read = || server.log();
    let log = spec.log.map(|style| (style, &read as &dyn Fn() -> String));
    match zen::SERVER_CASES.iter().find(|c| c.id == id) {
        Some(case) => zen::run_server_case(case, &target, log),
        None => Verdict::Fail("no such case".into()),
    }
}

/// A datagram case: the answers, and for the workspace's own servers, the log.
fn udp_case(spec: &ServerSpec, server: &dyn Running, id: &'static str) -> Verdict {
    let port = server.port();
    Verdict::of(
        with_deadline(CASE_LIMIT, move || udp::run_server_case(id, port)).and_then(|sent| {
            if spec.log.is_none() {
                return Ok(());
            }
            wait_log(server, |log| udp::check_log(log, &sent).is_ok());
            udp::check_log(&server.log(), &sent)
        }),
    )
}

/// A case of a server of one connection: the case's client, then the server's exit and
/// what it printed; the case holds its connection open until then if it says so.
fn one_shot_case(spec: &ServerSpec, server: &mut dyn Running, id: &str) -> Verdict {
    let blocks = spec.family == Family::Blocks;
    let Some(case) = framing::server_cases(blocks).iter().find(|c| c.id == id) else {
        return Verdict::Fail("no such case".into());
    };
    let port = server.port();
    let send = case.send;
    let held = match with_deadline(CASE_LIMIT, move || send(port)) {
        Ok(held) => held,
        Err(error) => {
            // The case's client failed: still end this server, so the next case has its own.
            let _ = server.end_case(crate::patience());
            return Verdict::Fail(error);
        }
    };
    let ended = server.end_case(crate::patience());
    drop(held);
    Verdict::of(ended.and_then(|ended| framing::judge(case, &ended, spec.log.is_some())))
}

/// What the workspace's Listing 3-2 variants read and write at a time, which their lines
/// name.
pub const VARIANT_CHUNK: usize = 256 * 1024;

/// How a client's output is held to the book's lines.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Output {
    /// The book's lines, exactly.
    Book,
    /// A workspace 3-2 variant's lines, with its chunk size.
    Variant(usize),
}

impl Output {
    /// How a listing of the catalog prints.
    pub fn of(listing: &catalog::Listing) -> Self {
        match listing.log {
            LogStyle::Variant => Output::Variant(VARIANT_CHUNK),
            _ => Output::Book,
        }
    }
}

/// Runs the family's client cases that `pick` picks with `run`, which runs the client
/// under test against a port.
pub fn client_cases(
    family: Family,
    output: Output,
    run: RunClient<'_>,
    pick: &dyn Fn(&str) -> bool,
) -> Vec<(&'static str, Verdict)> {
    match family {
        Family::Sixteen => (sixteen::CLIENT_CASES.iter())
            .filter(|c| pick(c.id))
            .map(|c| (c.id, Verdict::of((c.run)(run))))
            .collect(),
        Family::Zen => (zen::CLIENT_CASES.iter())
            .filter(|c| pick(c.id))
            .map(|c| (c.id, Verdict::of((c.run)(run))))
            .collect(),
        Family::Blocks | Family::Streamer => {
            framing::run_client_cases(family == Family::Blocks, run, pick)
        }
        Family::UdpLocal | Family::UdpRemote => {
            udp::run_client_cases(family == Family::UdpRemote, run, pick)
        }
        Family::Uppercase => uppercase::STREAM_SIZES
            .iter()
            .filter(|c| pick(c.id))
            .map(|case| {
                let check = |out: &[u8], bytecount: u64| match output {
                    Output::Book => transcripts::check_deadlock_client(out, bytecount).map(drop),
                    Output::Variant(chunk) => {
                        transcripts::check_variant_client(out, bytecount, chunk)
                    }
                };
                (
                    case.id,
                    Verdict::of(uppercase::run_client_case(run, case, &check)),
                )
            })
            .collect(),
        // Run through `tls_client_cases`, which needs a peer.
        Family::Tls | Family::None => Vec::new(),
    }
}

/// Runs the TLS table's server cases (or those `pick` picks) against `template`, whose
/// `{cafile}` and `{certfile}` are the run's certificates: a fresh server for each case,
/// and the peer as its client.
pub fn tls_server_cases(
    template: &Template,
    kind: tls::Kind,
    peer: &dyn tls::Peer,
    pick: &dyn Fn(&str) -> bool,
) -> Vec<(&'static str, Verdict)> {
    tls_table(tls::SERVER_CASES, kind, peer, pick, |certs, id| {
        tls::server_case(template, kind, peer, certs, id)
    })
}

/// Runs the TLS table's client cases (or those `pick` picks) with `run`, the peer serving
/// each.
pub fn tls_client_cases(
    run: tls::RunTlsClient<'_>,
    kind: tls::Kind,
    peer: &dyn tls::Peer,
    pick: &dyn Fn(&str) -> bool,
) -> Vec<(&'static str, Verdict)> {
    tls_table(tls::CLIENT_CASES, kind, peer, pick, |certs, id| {
        tls::client_case(run, kind, peer, certs, id)
    })
}

/// The run's certificates, then each picked case on a thread of its own (each has its
/// own server, on its own port), reported in the table's order.
fn tls_table(
    cases: &'static [tls::Case],
    kind: tls::Kind,
    peer: &dyn tls::Peer,
    pick: &dyn Fn(&str) -> bool,
    judge: impl Fn(&tls::Certs, &str) -> Result<(), String> + Sync,
) -> Vec<(&'static str, Verdict)> {
    let certs = match tls::Certs::make(peer) {
        Ok(certs) => certs,
        Err(error) => {
            let verdict = Verdict::Fail(format!("no certificates: {error}"));
            return cases.iter().map(|c| (c.id, verdict.clone())).collect();
        }
    };
    let judge = |case: &tls::Case| {
        tls::skip(case, kind).unwrap_or_else(|| Verdict::of(judge(&certs, case.id)))
    };
    std::thread::scope(|scope| {
        let running: Vec<_> = cases
            .iter()
            .filter(|c| pick(c.id))
            .map(|case| (case.id, scope.spawn(|| judge(case))))
            .collect();
        running
            .into_iter()
            .map(|(id, thread)| {
                let verdict = thread
                    .join()
                    .unwrap_or_else(|_| Verdict::Fail("the case panicked".into()));
                (id, verdict)
            })
            .collect()
    })
}

/// Runs an in-process client to its end (at most [`STEP`]), printing into a transcript:
/// how an adapter hands a client function to [`client_cases`].
pub fn in_process<E: std::fmt::Display>(
    client: impl FnOnce(&mut Transcript) -> Result<(), E> + Send + 'static,
) -> ClientRun {
    let (result, out) = within(STEP, move || {
        let mut out = Transcript::default();
        let result = client(&mut out).map_err(|e| e.to_string());
        (result, out)
    });
    ClientRun {
        success: result.is_ok(),
        stdout: out.text(),
        stderr: result.err().unwrap_or_default(),
    }
}

/// Panics with every failed case, for a test; prints passes and skips and the notes.
pub fn assert_passed(who: &str, outcomes: &[Outcome]) {
    for o in outcomes.iter().filter(|o| o.note.is_some()) {
        eprintln!(
            "note: {who} / {}: {}",
            o.id,
            o.note.as_deref().unwrap_or_default()
        );
    }
    let results: Vec<_> = outcomes.iter().map(|o| (o.id, o.verdict.clone())).collect();
    crate::assert_all_pass(who, &results);
}
