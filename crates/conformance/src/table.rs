//! What every table shares, and the shape of one: a protocol module (`sixteen`,
//! `uppercase`, `udp`, `framing`, `tls`, `zen`) exports a [`Table`] value, and
//! [`crate::registry`] lists them. The runner reaches a family's cases only through its
//! table, so that no code outside the registry matches on a protocol.

use std::time::Duration;

use catalog::{Concurrency, Family, LogStyle, Transport};
use testkit::ServerThread;

use crate::external::{Ended, ExternalServer};
use crate::{RunClient, Skip, Verdict};

/// One protocol's conformance table: its cases, and how each is run and judged.
pub struct Table {
    /// The catalog's family it judges.
    pub family: Family,
    /// The name `cargo xtask conform` takes.
    pub name: &'static str,
    /// How its servers are ready: a TCP server once it listens, a UDP one once bound.
    pub transport: Transport,
    /// Its server cases' IDs, in order.
    pub server_case_ids: fn() -> Vec<&'static str>,
    /// Runs one server case against a running server and judges it (the wire, and the
    /// log where the spec says how it is worded). `served` counts the connections so far
    /// whose closes a log must show.
    pub server_case: ServerCase,
    /// Each case has a server of its own (a server of one connection): after a case the
    /// runner neither checks nor restarts it, since the case ended it.
    pub fresh_server_per_case: bool,
    /// Runs its client cases that `pick` picks with `run`, the book's server scripted on
    /// the other end.
    pub client_cases: ClientCases,
    /// How `cargo xtask conform` runs the workspace's own client of this protocol as a
    /// command: `{exe}` is the binary, the rest the external driver's placeholders.
    pub client_command: &'static str,
    /// Its cases make certificates and a peer of their own, and run through
    /// [`crate::runner::tls_server_cases`] and [`crate::runner::tls_client_cases`].
    pub certificates: bool,
    /// Its client cases' other side is a stand-in, a tool's process that `cargo xtask
    /// conform` starts (the conformance crate links no DNS): the runner it gives the
    /// cases already points the client at it, whatever port they pass.
    pub stand_in: Option<&'static catalog::StandIn>,
    /// How a client case's arguments become its command's placeholders, given the
    /// stand-in's `IP:PORT` (`{nameserver}`, `{name}` and `{type}` for DNS; `{url}` and
    /// `{method}` for HTTP).
    pub placeholders: Placeholders,
}

/// [`Table::placeholders`].
pub type Placeholders = fn(&str, &[&str]) -> Vec<(&'static str, String)>;

/// The placeholders of a table without a stand-in: none beyond the driver's own.
pub fn no_placeholders(_: &str, _: &[&str]) -> Vec<(&'static str, String)> {
    Vec::new()
}

/// [`Table::server_case`].
pub type ServerCase = fn(&ServerSpec, &mut dyn Running, &'static str, &mut usize) -> Verdict;

/// [`Table::client_cases`].
pub type ClientCases =
    fn(Output, RunClient<'_>, &dyn Fn(&str) -> bool) -> Vec<(&'static str, Verdict)>;

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

    /// A server of the catalog, its log checked (`None`: the listing is not a server of
    /// a table).
    pub fn of(listing: &catalog::Listing) -> Option<Self> {
        Some(Self {
            family: listing.family?,
            log: listing.log,
            concurrency: listing.concurrency?,
            splits_questions: listing.splits_questions,
            skips: listing.skips.server,
        })
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

/// Waits (with a deadline) until `done` holds for the server's log.
pub fn wait_log(server: &dyn Running, done: impl Fn(&str) -> bool) {
    testkit::wait_until(crate::patience(), || done(&server.log()));
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
            Some(LogStyle::Variant) => Output::Variant(VARIANT_CHUNK),
            _ => Output::Book,
        }
    }
}

/// A table's client cases that are each one function of the client under test, run in
/// order (those that `pick` picks).
pub fn each_client_case(
    cases: impl Iterator<Item = (&'static str, ClientCaseFn)>,
    run: RunClient<'_>,
    pick: &dyn Fn(&str) -> bool,
) -> Vec<(&'static str, Verdict)> {
    cases
        .filter(|(id, _)| pick(id))
        .map(|(id, case)| (id, Verdict::of(case(run))))
        .collect()
}

/// One client case: it runs the client under test and judges it.
pub type ClientCaseFn = fn(RunClient<'_>) -> Result<(), String>;

/// The server case of a table whose cases run through a driver of their own (TLS's): a
/// case named here fails with that reason.
pub fn not_here(_: &ServerSpec, _: &mut dyn Running, _: &'static str, _: &mut usize) -> Verdict {
    Verdict::Fail("this table's cases run through their own driver".into())
}
