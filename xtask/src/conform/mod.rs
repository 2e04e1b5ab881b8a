//! `cargo xtask conform FAMILY`: the conformance tables pointed at any implementation,
//! the book's Python or a reader's own, or (with neither `--server` nor `--client`) at
//! every implementation in the workspace, as a report.
//!
//! The cases are the very data the tests use (the `conformance` crate); xtask links no
//! listing: the workspace's own implementations run here as processes too.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use catalog::Family;
use conformance::Verdict;
use conformance::external::{ExternalServer, Launch, Template, run_client};
use conformance::registry;
use conformance::runner::{self, Output, ServerSpec};
use conformance::table::Table;
use serde::Serialize;

mod stand_in;
mod tls;
mod workspace;

pub const LONG_ABOUT: &str = "\
Run a family's conformance cases against any implementation

FAMILY is udp-local or udp-remote (Chapter 2's datagrams), 3-1 (Listing 3-1's
sixteen-octet exchange), dns (Chapter 4's DNS answers), 3-2 (Listing 3-2's streaming
uppercase with half-close), streamer or blocks (Chapter 5's two ways to end a message),
tls (Chapter 6's safe_tls and test_tls), zen (Chapter 7), http-client (Chapter 9's
clients against a local httpbin) or http-server (Chapter 10: RFC 9110 and 9112's MUST
rules, as raw bytes). With neither --server nor --client, the family's table runs
against every implementation in the workspace, as a report.

Chapter 5's servers serve one connection and exit: each case gets a fresh server, and
its exit status is part of the verdict (the workspace's own servers are also held to
their lines and their one-line errors).

--server CMD runs the cases that talk to a server (the tool is the client) against a
server started from CMD; --client CMD runs the cases that check a client (the tool
plays the book's server, scripted) against a client started from CMD, and compares the
client's output with the book's lines. CMD is one string, split as a shell splits words
(quotes respected; no shell is run), in which {host} (always 127.0.0.1), {port},
{bytecount} (3-2: each case's byte count) and {args} (zen: -e, or nothing) are replaced
wherever they appear, inside a word too. For example:

  --server \"python3 tcp_deadlock.py server {host} -p {port}\"
  --server \"socat TCP-LISTEN:{port},bind={host},reuseaddr,fork EXEC:'tr a-z A-Z'\"
  --client \"python3 tcp_deadlock.py client {host} {bytecount} -p {port}\"
  --client \"python3 client.py {host} {args} -p {port}\"
  --server \"python3 blocks.py {host} -p {port}\"
  --server \"python3 safe_tls.py -a {cafile} -s {certfile} {host} {port}\"
  --client \"python3 test_tls.py -a {cafile} {host} {port}\" --kind report

For dns, the other side is the stand-in zone (dns_standin, started on a free port), and
each case asks one question: {nameserver} (127.0.0.1:PORT), {name} and {type} are
filled in, and the client must print the answer's records one per line as dnspython
prints an rrset (in any order), nothing for a name without such records, and fail for
a name that does not exist:

  --client \"python3 query.py {nameserver} {name} {type}\"

where query.py points a dnspython Resolver(configure=False) at its first argument and
prints resolve(name, type, raise_on_no_answer=False).rrset when it is not None.

For http-client, the other side is the stand-in httpbin (started on a free port): each
case fills in {url} and {method} (GET, HEAD or POST), and the client must fetch the URL
with the method, print the body on stdout byte for byte and exit 0 (a 404 is a body),
or print one line on stderr and exit non-zero. Redirects, cookies and reuse are judged
from the requests the stand-in saw, not from what the client prints:

  --client \"target/debug/http_get --level ureq -X {method} {url}\"

For http-server, each case sends exact bytes on a new connection and judges the status
or the close that comes back (a 200 for a request the RFC says to reject fails):

  --server \"gunicorn -b {host}:{port} --chdir py3/chapter10 timeapp_raw:app\"

For tls, the tool makes a CA and certificates for each run (cargo xtask certs makes the
same pair) and fills in {cafile} (the CA) and {certfile} (a certificate and key for
localhost and 127.0.0.1); each server case gets a fresh server, and the other side of
each case is the workspace's tls_peer. --kind report holds a command to test_tls's
shape: it sends no line, and its client does not refuse a wrong name.

The tool picks a free port, starts the server with PYTHONUNBUFFERED=1, and waits until
the command (or a process it started) listens on the port, asking its own sockets
(pidfd_getfd) or the kernel's table (/proc/net/tcp), never by connecting (a UDP server:
until its socket is bound, in /proc/net/udp); a server that a case kills is started
again, and the report says so. A foreign implementation is held to the wire (bytes,
closes); log lines are compared only for the workspace's own servers. Every case has a
deadline: a hang is a failed case.

Exit status: 0 nothing failed; 1 some case failed, or the command could not be started;
2 a usage error.";

/// How long a client command may run.
const CLIENT_LIMIT: Duration = Duration::from_secs(120);

/// `FAMILY`: one of the registry's tables, by name.
fn family(name: &str) -> Result<&'static Table, String> {
    registry::by_name(name).ok_or_else(|| {
        let names: Vec<&str> = registry::TABLES.iter().map(|t| t.name).collect();
        format!("no table {name:?}; the tables are {}", names.join(", "))
    })
}

/// One case's line in the report.
#[derive(Clone, Debug, Serialize)]
struct CaseReport {
    id: &'static str,
    /// `pass`, `fail` or `skipped`.
    verdict: &'static str,
    /// Why it failed, or why it was skipped.
    detail: Option<String>,
    /// What happened to the server meanwhile (it died and was restarted).
    note: Option<String>,
}

/// One implementation's cases.
#[derive(Clone, Debug, Serialize)]
struct Implementation {
    name: String,
    /// `server` or `client`.
    role: &'static str,
    command: String,
    cases: Vec<CaseReport>,
    /// A server's peak resident memory once its cases have run (its process tree's).
    peak_bytes: Option<u64>,
}

#[derive(Debug, Serialize)]
struct Report {
    family: &'static str,
    implementations: Vec<Implementation>,
    passed: usize,
    failed: usize,
    skipped: usize,
}

fn report_case(id: &'static str, verdict: Verdict, note: Option<String>) -> CaseReport {
    let (verdict, detail) = match verdict {
        Verdict::Pass => ("pass", None),
        Verdict::Fail(why) => ("fail", Some(why)),
        Verdict::Skipped(why) => ("skipped", Some(why)),
    };
    CaseReport {
        id,
        verdict,
        detail,
        note,
    }
}

/// A server under test: its name, its command, how it starts and what the runner knows.
pub struct ServerUnderTest {
    name: String,
    template: Template,
    launch: Launch,
    spec: ServerSpec,
}

/// A client under test: its name, its command, and how its output is checked.
pub type ClientUnderTest = (String, Template, Output);

/// Starts the server, then runs the family's server cases against it.
fn server_cases(under: &ServerUnderTest, only: &[String]) -> Implementation {
    let (cases, peak_bytes) = match ExternalServer::launch(&under.template, under.launch.clone()) {
        Ok(mut server) => {
            let cases = runner::server_cases_where(&under.spec, &mut server, |id| picked(only, id))
                .into_iter()
                .map(|o| report_case(o.id, o.verdict, o.note))
                .collect();
            (cases, server.peak_memory())
        }
        Err(error) => (vec![report_case("start", Verdict::Fail(error), None)], None),
    };
    Implementation {
        name: under.name.clone(),
        role: "server",
        command: under.template.text().to_string(),
        cases,
        peak_bytes,
    }
}

/// Whether `--case` picks case `id` (no `--case`: every case).
fn picked(only: &[String], id: &str) -> bool {
    only.is_empty() || only.iter().any(|o| o == id)
}

/// Runs the family's client cases against one client command.
fn client_cases(family: Family, client: &ClientUnderTest, only: &[String]) -> Implementation {
    let (name, template, output) = client;
    let run = |port: u16, bytecount: u64, args: &[&str]| {
        run_client(template, port, bytecount, args, CLIENT_LIMIT)
    };
    let results = runner::client_cases(family, *output, &run, &|id| picked(only, id));
    Implementation {
        name: name.clone(),
        role: "client",
        command: template.text().to_string(),
        cases: results
            .into_iter()
            .map(|(id, verdict)| report_case(id, verdict, None))
            .collect(),
        peak_bytes: None,
    }
}

fn print_report(report: &Report) {
    for implementation in &report.implementations {
        outln!(
            "{} {}: {}",
            implementation.role,
            implementation.name,
            implementation.command
        );
        let width = implementation
            .cases
            .iter()
            .map(|c| c.id.len())
            .max()
            .unwrap_or(0);
        for case in &implementation.cases {
            let shown = match case.verdict {
                "fail" => "FAIL",
                other => other,
            };
            match (&case.detail, case.verdict) {
                (Some(why), "skipped") => outln!("  {shown:<7}  {:<width$}  ({why})", case.id),
                (Some(why), _) => {
                    outln!("  {shown:<7}  {}", case.id);
                    for line in why.lines() {
                        outln!("             {line}");
                    }
                }
                (None, _) => outln!("  {shown:<7}  {}", case.id),
            }
            if let Some(note) = &case.note {
                outln!("             note: {note}");
            }
        }
        if let Some(peak) = implementation.peak_bytes {
            outln!(
                "  peak memory after its cases: {}",
                crate::report::size(peak)
            );
        }
    }
    outln!(
        "{} passed, {} failed, {} skipped",
        report.passed,
        report.failed,
        report.skipped
    );
}

/// `cargo xtask conform`.
#[derive(clap::Args)]
pub struct Args {
    /// which table: udp-local, udp-remote, 3-1, dns, 3-2, streamer, blocks, tls, zen,
    /// http-client or http-server
    #[arg(value_parser = family)]
    family: &'static Table,
    /// the server to check, as a command line with {host} and {port}
    #[arg(long, value_name = "CMD", conflicts_with = "client")]
    server: Option<String>,
    /// the client to check, as a command line with {host}, {port}, {bytecount}, {args}
    /// (dns: {nameserver}, {name}, {type}; http-client: {url}, {method})
    #[arg(long, value_name = "CMD")]
    client: Option<String>,
    /// run only these cases (their kebab-case IDs, as the report shows them,
    /// comma-separated)
    #[arg(long, value_name = "NAME,...", value_delimiter = ',')]
    case: Vec<String>,
    /// also write the report as JSON to FILE
    #[arg(long, value_name = "FILE", value_parser = crate::report::output_file)]
    json: Option<PathBuf>,
    /// how long a case waits for an answer, an end of file or the server to listen
    #[arg(long, value_name = "SECONDS", default_value_t = 20.0, value_parser = fopnp::cli::positive)]
    timeout: f64,
    /// tls only: which of the book's programs the command is, safe (safe_tls: a line is
    /// sent and printed, names are checked) or report (test_tls)
    #[arg(long, value_name = "KIND", default_value = "safe", value_parser = tls::kind)]
    kind: conformance::tls::Kind,
}

/// A role the table has no cases for: a usage error, said in one line.
fn role_refused(table: &Table, server: bool, client: bool) -> Option<String> {
    if server && let Some(zone) = table.stand_in {
        return Some(format!(
            "the {} table checks clients only (its server is the stand-in {}); use --client",
            table.name, zone.bin
        ));
    }
    if client && table.client_command.is_empty() {
        return Some(format!(
            "the {} table checks servers only (it is the client); use --server",
            table.name
        ));
    }
    None
}

pub fn main(args: Args) -> ExitCode {
    conformance::set_patience(Duration::from_secs_f64(args.timeout.clamp(0.1, 3600.0)));
    if let Some(refused) = role_refused(args.family, args.server.is_some(), args.client.is_some()) {
        errln!("cargo xtask conform: {refused}");
        return ExitCode::from(2);
    }
    let (table, server, client, case, json) = (
        args.family,
        args.server.as_deref(),
        args.client.as_deref(),
        &args.case,
        args.json.as_deref(),
    );
    let scratch = std::env::temp_dir().join(format!("xtask-conform-{}", std::process::id()));
    let result = (|| -> Result<Vec<Implementation>, String> {
        std::fs::create_dir_all(&scratch).map_err(|e| e.to_string())?;
        let mut implementations = Vec::new();
        if table.certificates {
            return tls::run(table, server, client, args.kind, case);
        }
        if let Some(zone) = table.stand_in {
            return stand_in::run(table, zone, client, case);
        }
        let family = table.family;
        match (server, client) {
            (Some(command), _) => {
                let under = ServerUnderTest {
                    name: "under test".into(),
                    template: Template::parse(command)?,
                    launch: workspace::launch(table),
                    spec: ServerSpec::foreign(family),
                };
                implementations.push(server_cases(&under, case));
            }
            (None, Some(command)) => {
                let client = ("under test".into(), Template::parse(command)?, Output::Book);
                implementations.push(client_cases(family, &client, case));
            }
            (None, None) => {
                let (servers, clients) = workspace::workspace(table, &scratch)?;
                for under in &servers {
                    implementations.push(server_cases(under, case));
                }
                for client in &clients {
                    implementations.push(client_cases(family, client, case));
                }
            }
        }
        Ok(implementations)
    })();
    let _ = std::fs::remove_dir_all(&scratch);
    let implementations = match result {
        Ok(implementations) => implementations,
        Err(error) => {
            errln!("cargo xtask conform: {error}");
            return ExitCode::FAILURE;
        }
    };
    // A --case that named no case of this run is a usage error, even beside others.
    let ran = |id: &String| {
        implementations
            .iter()
            .flat_map(|i| &i.cases)
            .any(|c| c.id == id)
    };
    if let Some(id) = case.iter().find(|id| !ran(id)) {
        errln!(
            "cargo xtask conform: no case {id:?} in family {}",
            table.name
        );
        return ExitCode::from(2);
    }
    let count = |verdict: &str| {
        implementations
            .iter()
            .flat_map(|i| &i.cases)
            .filter(|c| c.verdict == verdict)
            .count()
    };
    let report = Report {
        family: table.name,
        passed: count("pass"),
        failed: count("fail"),
        skipped: count("skipped"),
        implementations,
    };
    print_report(&report);
    if let Some(path) = json
        && let Err(error) = crate::report::write_json(path, &report)
    {
        errln!("cargo xtask conform: {error}");
        return ExitCode::FAILURE;
    }
    if report.failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The help names every table the registry holds, twice: a new table is a line there
    /// and one here.
    #[test]
    fn the_help_names_every_table() {
        use clap::CommandFactory;
        let mut command = crate::Args::command();
        let help = command
            .find_subcommand_mut("conform")
            .expect("conform is a subcommand")
            .render_long_help()
            .to_string();
        for table in registry::TABLES {
            let name = table.name;
            let listed = help
                .split(|c: char| c.is_whitespace() || c == ',' || c == '(' || c == ')')
                .filter(|word| *word == name)
                .count();
            assert!(
                listed >= 2,
                "{name} is not in conform --help twice:\n{help}"
            );
        }
    }
}
