//! `cargo xtask conform FAMILY`: the conformance tables pointed at any implementation,
//! the book's Python or a reader's own, or (with neither `--server` nor `--client`) at
//! every implementation in the workspace, as a report.
//!
//! The cases are the very data the tests use (the `conformance` crate); xtask links no
//! listing: the workspace's own implementations run here as processes too.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::mpsc;
use std::time::Duration;

use conformance::external::{ExternalServer, Template, run_client};
use conformance::{ClientRun, Verdict, sixteen, uppercase, zen};
use serde::Serialize;

use catalog::{Concurrency, Listing, LogStyle, Runs};

use crate::build::{Profile, build};

mod workspace;

use workspace::*;

pub const LONG_ABOUT: &str = "\
Run a family's conformance cases against any implementation

FAMILY is 3-1 (Listing 3-1's sixteen-octet exchange), 3-2 (Listing 3-2's streaming
uppercase with half-close) or zen (Chapter 7). With neither --server nor --client, the
family's table runs against every implementation in the workspace, as a report.

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

The tool picks a free port, starts the server with PYTHONUNBUFFERED=1, and waits until
the port is listening by watching the kernel's table of sockets (/proc/net/tcp), never
by connecting; a server that a case kills is started again, and the report says so. A
foreign implementation is held to the wire (bytes, closes); log lines are compared only
for the workspace's own servers. Every case has a deadline: a hang is a failed case.

Exit status: 0 nothing failed; 1 some case failed, or the command could not be started;
2 a usage error.";

/// How long one case may take before it counts as a hang.
const CASE_LIMIT: Duration = Duration::from_secs(150);
/// How long a client command may run.
const CLIENT_LIMIT: Duration = Duration::from_secs(120);

/// The families of cases.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Family {
    /// Listing 3-1: the sixteen-octet exchange
    #[value(name = "3-1")]
    Sixteen,
    /// Listing 3-2: streaming uppercase with half-close
    #[value(name = "3-2")]
    Uppercase,
    /// Chapter 7: the Zen-of-Python service
    Zen,
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
}

#[derive(Debug, Serialize)]
struct Report {
    family: &'static str,
    implementations: Vec<Implementation>,
    passed: usize,
    failed: usize,
    skipped: usize,
}

fn family_name(family: Family) -> &'static str {
    family.catalog().name()
}

impl Family {
    /// The catalog's name for it.
    fn catalog(self) -> catalog::Family {
        match self {
            Family::Sixteen => catalog::Family::Sixteen,
            Family::Uppercase => catalog::Family::Uppercase,
            Family::Zen => catalog::Family::Zen,
        }
    }
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

/// Runs `f` on a thread, at most `limit`: a case that hangs is a failed case.
fn with_deadline<T: Send + 'static>(
    limit: Duration,
    f: impl FnOnce() -> Result<T, String> + Send + 'static,
) -> Result<T, String> {
    let (done, result) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = done.send(f());
    });
    result
        .recv_timeout(limit)
        .unwrap_or_else(|_| Err(format!("the case did not finish within {limit:?}")))
}

/// How a workspace server's log is checked (none for a foreign one).
#[derive(Clone, Copy, Debug)]
enum LogCheck {
    None,
    Sixteen,
    Uppercase(uppercase::LogStyle),
    Zen(LogStyle),
}

/// A server under test: its command, how it logs, and what the zen cases need to know.
struct ServerUnderTest {
    name: String,
    template: Template,
    log: LogCheck,
    /// Where an inetd server logs, instead of its standard output.
    log_file: Option<PathBuf>,
    concurrency: Concurrency,
    splits_questions: bool,
    skips: &'static [conformance::Skip],
}

fn read_log(server: &ExternalServer, file: &Option<PathBuf>) -> String {
    match file {
        Some(path) => std::fs::read_to_string(path).unwrap_or_default(),
        None => server.log(),
    }
}

/// Waits (with a deadline) until `done` holds for the server's log.
fn wait_log(server: &ExternalServer, file: &Option<PathBuf>, done: impl Fn(&str) -> bool) {
    testkit::wait_until(Duration::from_secs(20), || done(&read_log(server, file)));
}

/// Runs the family's server cases against one server.
fn server_cases(family: Family, under: &ServerUnderTest, only: Option<&str>) -> Implementation {
    let mut cases = Vec::new();
    let mut implementation = Implementation {
        name: under.name.clone(),
        role: "server",
        command: under.template.text().to_string(),
        cases: Vec::new(),
    };
    let mut server = match ExternalServer::start(&under.template) {
        Ok(server) => server,
        Err(error) => {
            implementation.cases.push(CaseReport {
                id: "start",
                verdict: "fail",
                detail: Some(error),
                note: None,
            });
            return implementation;
        }
    };
    let ids: Vec<&'static str> = match family {
        Family::Sixteen => sixteen::server_case_ids(),
        Family::Uppercase => uppercase::SERVER_CASES
            .iter()
            .map(|c| c.id)
            .chain([uppercase::BIG_STREAM.id, uppercase::CONCURRENT.id])
            .collect(),
        Family::Zen => zen::server_case_ids(),
    };
    let mut served_16 = 0;
    let mut closes_32 = 0;
    for id in ids {
        if only.is_some_and(|only| only != id) {
            continue;
        }
        if let Some(why) = conformance::skip_reason(under.skips, id) {
            cases.push(report_case(id, Verdict::Skipped(why.into()), None));
            continue;
        }
        let port = server.port();
        let verdict = match family {
            Family::Sixteen => {
                let case = sixteen::SERVER_CASES.iter().find(|c| c.id == id);
                let run = case.map(|c| c.run);
                match with_deadline(CASE_LIMIT, move || run.ok_or("no such case")?(port)) {
                    Err(error) => Verdict::Fail(error),
                    Ok(connections) => match under.log {
                        LogCheck::Sixteen => {
                            served_16 += connections.len();
                            wait_log(&server, &under.log_file, |log| {
                                sixteen::log_complete(log, served_16)
                            });
                            match sixteen::check_log(&server.log(), &connections) {
                                Ok(()) => Verdict::Pass,
                                Err(error) => Verdict::Fail(error),
                            }
                        }
                        _ => Verdict::Pass,
                    },
                }
            }
            Family::Uppercase => {
                let result = if id == uppercase::CONCURRENT.id {
                    let case = uppercase::CONCURRENT;
                    with_deadline(CASE_LIMIT, move || {
                        let ports = uppercase::run_concurrent_case(port, &case)?;
                        Ok(ports.into_iter().map(|p| (p, case.bytecount)).collect())
                    })
                } else if id == uppercase::BIG_STREAM.id {
                    let case = uppercase::ConcurrentCase {
                        id,
                        title: uppercase::BIG_STREAM.title,
                        clients: 1,
                        bytecount: uppercase::BIG_STREAM.bytecount,
                    };
                    with_deadline(CASE_LIMIT, move || {
                        let ports = uppercase::run_concurrent_case(port, &case)?;
                        Ok(ports.into_iter().map(|p| (p, case.bytecount)).collect())
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
                match (result, under.log) {
                    (Err(error), _) => Verdict::Fail(error),
                    (Ok(connections), LogCheck::Uppercase(style)) => {
                        closes_32 += connections.len();
                        wait_log(&server, &under.log_file, |log| {
                            uppercase::log_complete(log, style, closes_32)
                        });
                        match uppercase::check_log(&server.log(), style, &connections) {
                            Ok(()) => Verdict::Pass,
                            Err(error) => Verdict::Fail(error),
                        }
                    }
                    (Ok(_), _) => Verdict::Pass,
                }
            }
            Family::Zen => {
                let target = zen::Target {
                    port,
                    concurrency: under.concurrency,
                    splits_questions: under.splits_questions,
                };
                let file = under.log_file.clone();
                let results = match under.log {
                    LogCheck::Zen(style) => {
                        let read = || read_log(&server, &file);
                        zen::run_server_cases(&target, Some((style, &read)), &[], Some(id))
                    }
                    _ => zen::run_server_cases(&target, None, &[], Some(id)),
                };
                results
                    .into_iter()
                    .next()
                    .map_or(Verdict::Fail("no such case".into()), |(_, v)| v)
            }
        };
        let failed = matches!(verdict, Verdict::Fail(_));
        let note = match server.restart_if_dead(failed) {
            Ok(note) => note,
            Err(error) => Some(format!(
                "the server died and could not be restarted: {error}"
            )),
        };
        let dead = note.as_deref().is_some_and(|n| n.contains("could not"));
        cases.push(report_case(id, verdict, note));
        if dead {
            break;
        }
    }
    implementation.cases = cases;
    implementation
}

/// How a client's output is held to the book's lines.
#[derive(Clone, Copy, Debug)]
enum Output {
    /// Listing 3-2's client, exactly.
    Book,
    /// A workspace variant's lines, with its chunk size.
    Variant(usize),
}

/// A client under test: its name, its command, and how its output is checked.
type ClientUnderTest = (String, Template, Output);

/// Runs the family's client cases against one client command.
fn client_cases(
    family: Family,
    name: &str,
    template: &Template,
    output: Output,
    only: Option<&str>,
) -> Implementation {
    let run = |port: u16, bytecount: u64, args: &[&str]| -> ClientRun {
        run_client(template, port, bytecount, args, CLIENT_LIMIT)
    };
    let results: Vec<(&'static str, Verdict)> = match family {
        Family::Sixteen => sixteen::run_client_cases(&run, only),
        Family::Zen => zen::run_client_cases(&run, only),
        Family::Uppercase => uppercase::STREAM_SIZES
            .iter()
            .filter(|c| only.is_none_or(|id| id == c.id))
            .map(|case| {
                let check = |out: &[u8], bytecount: u64| match output {
                    Output::Book => {
                        conformance::transcripts::check_deadlock_client(out, bytecount).map(drop)
                    }
                    Output::Variant(chunk) => {
                        conformance::transcripts::check_variant_client(out, bytecount, chunk)
                    }
                };
                let verdict = match uppercase::run_client_case(&run, case, &check) {
                    Ok(()) => Verdict::Pass,
                    Err(error) => Verdict::Fail(error),
                };
                (case.id, verdict)
            })
            .collect(),
    };
    Implementation {
        name: name.to_string(),
        role: "client",
        command: template.text().to_string(),
        cases: results
            .into_iter()
            .map(|(id, verdict)| report_case(id, verdict, None))
            .collect(),
    }
}

fn print_report(report: &Report) {
    for implementation in &report.implementations {
        println!(
            "{} {}: {}",
            implementation.role, implementation.name, implementation.command
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
                (Some(why), "skipped") => println!("  {shown:<7}  {:<width$}  ({why})", case.id),
                (Some(why), _) => {
                    println!("  {shown:<7}  {}", case.id);
                    for line in why.lines() {
                        println!("             {line}");
                    }
                }
                (None, _) => println!("  {shown:<7}  {}", case.id),
            }
            if let Some(note) = &case.note {
                println!("             note: {note}");
            }
        }
    }
    println!(
        "{} passed, {} failed, {} skipped",
        report.passed, report.failed, report.skipped
    );
}

/// `cargo xtask conform`.
#[derive(clap::Args)]
pub struct Args {
    /// which table: 3-1, 3-2 or zen
    family: Family,
    /// the server to check, as a command line with {host} and {port}
    #[arg(long, value_name = "CMD", conflicts_with = "client")]
    server: Option<String>,
    /// the client to check, as a command line with {host}, {port}, {bytecount}, {args}
    #[arg(long, value_name = "CMD")]
    client: Option<String>,
    /// run only this case (its kebab-case ID, as the report shows it)
    #[arg(long, value_name = "NAME")]
    case: Option<String>,
    /// also write the report as JSON to FILE
    #[arg(long, value_name = "FILE")]
    json: Option<PathBuf>,
    /// how long a case waits for an answer, an end of file or the server to listen
    #[arg(long, value_name = "SECONDS", default_value_t = 20.0)]
    timeout: f64,
}

pub fn main(args: Args) -> ExitCode {
    conformance::set_patience(Duration::from_secs_f64(args.timeout.clamp(0.1, 3600.0)));
    let (family, server, client, case, json) = (
        args.family,
        args.server.as_deref(),
        args.client.as_deref(),
        args.case.as_deref(),
        args.json.as_deref(),
    );
    let scratch = std::env::temp_dir().join(format!("xtask-conform-{}", std::process::id()));
    let result = (|| -> Result<Vec<Implementation>, String> {
        std::fs::create_dir_all(&scratch).map_err(|e| e.to_string())?;
        let mut implementations = Vec::new();
        match (server, client) {
            (Some(command), _) => {
                let under = ServerUnderTest {
                    name: "under test".into(),
                    template: Template::parse(command)?,
                    log: LogCheck::None,
                    log_file: None,
                    concurrency: Concurrency::EventLoop,
                    splits_questions: false,
                    skips: &[],
                };
                implementations.push(server_cases(family, &under, case));
            }
            (None, Some(command)) => {
                let template = Template::parse(command)?;
                implementations.push(client_cases(
                    family,
                    "under test",
                    &template,
                    Output::Book,
                    case,
                ));
            }
            (None, None) => {
                let (servers, clients) = workspace(family, &scratch)?;
                for under in &servers {
                    implementations.push(server_cases(family, under, case));
                }
                for (name, template, output) in &clients {
                    implementations.push(client_cases(family, name, template, *output, case));
                }
            }
        }
        Ok(implementations)
    })();
    let _ = std::fs::remove_dir_all(&scratch);
    let implementations = match result {
        Ok(implementations) => implementations,
        Err(error) => {
            eprintln!("cargo xtask conform: {error}");
            return ExitCode::FAILURE;
        }
    };
    if let Some(id) = case
        && implementations.iter().all(|i| i.cases.is_empty())
    {
        eprintln!(
            "cargo xtask conform: no case {id:?} in family {}",
            family_name(family)
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
        family: family_name(family),
        passed: count("pass"),
        failed: count("fail"),
        skipped: count("skipped"),
        implementations,
    };
    print_report(&report);
    if let Some(path) = json
        && let Err(error) = crate::report::write_json(path, &report)
    {
        eprintln!("cargo xtask conform: {error}");
        return ExitCode::FAILURE;
    }
    if report.failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
