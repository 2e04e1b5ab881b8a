//! `cargo xtask bench http`: Chapter 10's servers in an open loop (`loadgen http-open`),
//! as `bench zen --open` measures Chapter 7's: GETs of `/` started at a fixed rate, each
//! timed from its scheduled start, on 50 kept connections and on a new connection each.
//! For each server and each kind of connection the rate steps up until the server
//! falls behind; the report gives p50, p99 and p99.9 per rate, the knee (the highest
//! rate whose p99 stays under 10 ms, with every request answered 200), the server's CPU
//! per request at the knee and its peak memory; then its memory with 10, 100 and 1,000
//! connections kept open at once.
//!
//! The servers are the three ports, as processes, and, given the book's code (`--book
//! DIR`: it is not in this repository), the book's `timeapp_raw.py` under gunicorn's
//! sync worker, under its gthread worker and under wsgiref. A server's CPU and memory
//! are its whole process tree's (gunicorn's master and worker).

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use testkit::Process;
use testkit::table::{Align, Table};

use crate::bench_zen::draw;
use crate::build::{Profile, build_announced};
use crate::report::{Goals, decimals, goal_lines, size, write_json};

/// The p99 under which a rate counts as served.
const KNEE_MS: f64 = 10.0;

/// How long a server may take to listen.
const READY: Duration = Duration::from_secs(30);

/// The connections kept open while the rate steps up.
const KEPT: usize = 50;

/// The offered rates, in requests per second.
const FULL_RATES: [f64; 12] = [
    250.0, 500.0, 1000.0, 2000.0, 4000.0, 6000.0, 8000.0, 12000.0, 16000.0, 24000.0, 32000.0,
    48000.0,
];
const QUICK_RATES: [f64; 3] = [1000.0, 4000.0, 16000.0];

/// The connection counts of the memory run, at a fixed rate.
const CONNECTIONS: [usize; 3] = [10, 100, 1000];
const MEMORY_RATE: f64 = 1000.0;

/// How `wsgiref` serves the book's app, as the chapter runs it.
const WSGIREF: &str = "import sys; sys.path.insert(0, sys.argv[1]); \
from wsgiref.simple_server import make_server; import timeapp_raw; \
make_server('127.0.0.1', int(sys.argv[2]), timeapp_raw.app).serve_forever()";

#[derive(clap::Args)]
pub struct Args {
    /// a reduced run (three rates, half a second each): under a minute once built; its
    /// goals are indicative
    #[arg(long)]
    quick: bool,
    /// the book's code (a clone of brandon-rhodes/fopnp, or its py3/chapter10), for the
    /// Python peers: timeapp_raw.py under gunicorn (sync and gthread) and wsgiref; they
    /// are left out, saying why, without it
    #[arg(long, value_name = "DIR")]
    book: Option<PathBuf>,
    /// the Python with gunicorn installed (default python3)
    #[arg(long, value_name = "PATH", default_value = "python3")]
    python: String,
    /// also write the figures as JSON to FILE
    #[arg(long, value_name = "FILE", value_parser = crate::report::output_file)]
    json: Option<PathBuf>,
    /// draw p99 latency against the offered rate into FILE (SVG)
    #[arg(long, value_name = "FILE", value_parser = crate::report::output_file)]
    svg: Option<PathBuf>,
    /// build and run the dev profile instead of release (for testing this command)
    #[arg(long, hide = true)]
    debug: bool,
}

/// How a server is started.
#[derive(Clone, Debug)]
enum Start {
    /// A port's binary, `BIN -p 0`.
    Port(&'static str),
    /// The book's app under gunicorn, `--threads N` with the gthread worker.
    Gunicorn {
        threads: Option<usize>,
    },
    Wsgiref,
}

#[derive(Clone, Debug)]
struct Server {
    name: String,
    start: Start,
}

/// `loadgen http-open`'s JSON, as far as the bench reads it.
#[derive(Deserialize)]
struct Load {
    scheduled: u64,
    completed: u64,
    achieved_per_s: f64,
    latency_p50_ms: f64,
    latency_p99_ms: f64,
    latency_p999_ms: f64,
    latency_max_ms: f64,
    reconnects: u64,
    errors: crate::bench_zen::LoadErrors,
}

/// One server, one kind of connection, one offered rate.
#[derive(Clone, Debug, Serialize)]
struct Record {
    /// The server and the kind of connection (the chart's line).
    server: String,
    mode: &'static str,
    rate: f64,
    achieved_per_s: f64,
    scheduled: u64,
    completed: u64,
    latency_p50_ms: Option<f64>,
    latency_p99_ms: Option<f64>,
    latency_p999_ms: Option<f64>,
    latency_max_ms: Option<f64>,
    errors: u64,
    reconnects: u64,
    /// The server's CPU (its process tree's) per request answered, in microseconds.
    cpu_us_per_request: Option<f64>,
}

impl Record {
    fn served(&self) -> bool {
        self.latency_p99_ms.is_some_and(|p99| p99 < KNEE_MS)
            && self.errors == 0
            && self.completed == self.scheduled
    }
}

/// A server's knee on one kind of connection.
#[derive(Clone, Debug, Serialize)]
struct Knee {
    server: String,
    mode: &'static str,
    /// The highest rate served, and the next one tried, which was not.
    below: Option<f64>,
    above: Option<f64>,
    p50_ms: Option<f64>,
    p99_ms: Option<f64>,
    p999_ms: Option<f64>,
    cpu_us_per_request: Option<f64>,
    /// The server's peak resident memory over the whole climb.
    peak_bytes: Option<u64>,
}

/// A server's peak memory with this many connections kept open.
#[derive(Clone, Debug, Serialize)]
struct Memory {
    server: String,
    connections: usize,
    peak_bytes: Option<u64>,
    completed: u64,
    scheduled: u64,
}

#[derive(Serialize)]
struct Report {
    build: &'static str,
    quick: bool,
    seconds_per_step: f64,
    knee_ms: f64,
    kept_connections: usize,
    records: Vec<Record>,
    knees: Vec<Knee>,
    memory: Vec<Memory>,
    left_out: Vec<String>,
    goals: Vec<crate::report::Goal>,
}

/// The servers: the three ports, then the Python peers where `book` and `python` allow.
fn servers(book: Option<&Path>, python: &str, left_out: &mut Vec<String>) -> Vec<Server> {
    let mut servers: Vec<Server> = ["timeapp_raw", "timeapp_werkz", "timeapp_webob"]
        .into_iter()
        .map(|bin| Server {
            name: bin.to_string(),
            start: Start::Port(bin),
        })
        .collect();
    let Some(_) = book else {
        left_out.push(
            "the book's timeapp_raw.py under gunicorn and wsgiref: no --book DIR given (the \
             book's code is not in this repository; clone brandon-rhodes/fopnp and pass it)"
                .into(),
        );
        return servers;
    };
    let runs = Command::new(python)
        .args(["-c", "import wsgiref.simple_server"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !runs {
        left_out.push(format!(
            "the book's timeapp_raw.py under gunicorn and wsgiref: cannot run {python} (--python PATH)"
        ));
        return servers;
    }
    servers.push(Server {
        name: "wsgiref (book)".into(),
        start: Start::Wsgiref,
    });
    let gunicorn = Command::new(python)
        .args(["-c", "import gunicorn"])
        .output()
        .is_ok_and(|o| o.status.success());
    if gunicorn {
        servers.push(Server {
            name: "gunicorn sync (book)".into(),
            start: Start::Gunicorn { threads: None },
        });
        servers.push(Server {
            name: "gunicorn gthread x4 (book)".into(),
            start: Start::Gunicorn { threads: Some(4) },
        });
    } else {
        left_out.push(format!(
            "the book's app under gunicorn: {python} cannot import gunicorn (pip install gunicorn, or --python PATH)"
        ));
    }
    servers
}

/// The folder that holds `timeapp_raw.py`: DIR itself, or its `py3/chapter10`.
fn chapter_dir(book: &Path) -> Result<PathBuf, String> {
    for dir in [book.to_path_buf(), book.join("py3").join("chapter10")] {
        if dir.join("timeapp_raw.py").is_file() {
            return Ok(dir);
        }
    }
    Err(format!(
        "no timeapp_raw.py in {} or its py3/chapter10",
        book.display()
    ))
}

/// Starts `server` and waits until it listens.
fn start(
    server: &Server,
    dir: &Path,
    book: Option<&Path>,
    python: &str,
    home: &Path,
) -> Result<(Process, u16), String> {
    let started = match &server.start {
        Start::Port(bin) => {
            let mut command = Command::new(dir.join(bin));
            command.args(["-p", "0"]);
            Process::server(command, READY)
        }
        Start::Gunicorn { threads } => {
            let chapter = chapter_dir(book.ok_or("no --book")?)?;
            let no_control = Command::new(python)
                .args(["-m", "gunicorn", "--help"])
                .output()
                .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains("--no-control-socket"));
            Process::server_on_free_port(
                |port| {
                    let mut command = Command::new(python);
                    command.env("HOME", home).args(["-m", "gunicorn"]);
                    if no_control {
                        command.arg("--no-control-socket");
                    }
                    if let Some(threads) = threads {
                        command.args(["-k", "gthread", "--threads", &threads.to_string()]);
                    }
                    command
                        .args(["-b", &format!("127.0.0.1:{port}"), "--chdir"])
                        .arg(&chapter)
                        .arg("timeapp_raw:app");
                    command
                },
                READY,
            )
        }
        Start::Wsgiref => {
            let chapter = chapter_dir(book.ok_or("no --book")?)?;
            Process::server_on_free_port(
                |port| {
                    let mut command = Command::new(python);
                    command
                        .args(["-c", WSGIREF])
                        .arg(&chapter)
                        .arg(port.to_string());
                    command
                },
                READY,
            )
        }
    };
    started.map_err(|e| format!("{}: {e}", server.name))
}

/// Runs the load generator once against `port`.
fn load(
    dir: &Path,
    port: u16,
    rate: f64,
    seconds: f64,
    connections: usize,
    fresh: bool,
) -> Result<Load, String> {
    let mut args = vec![
        "http-open".to_string(),
        "--port".into(),
        port.to_string(),
        "--rate".into(),
        rate.to_string(),
        "--seconds".into(),
        seconds.to_string(),
        "--connections".into(),
        connections.to_string(),
        // A server that has fallen behind is not waited out for long.
        "--answer-timeout".into(),
        "1".into(),
    ];
    if fresh {
        args.push("--new-connection".into());
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    crate::bench_zen::load(dir, &args)
}

fn tree_cpu(pid: u32) -> Option<f64> {
    testkit::kernel::tree_cpu_seconds(pid)
}

/// One server's climb on one kind of connection: a fresh server, the rates in turn until
/// two in a row are not served.
fn climb(
    server: &Server,
    fresh: bool,
    ctx: &Context,
    records: &mut Vec<Record>,
) -> Result<Knee, String> {
    let mode = if fresh {
        "new connection"
    } else {
        "keep-alive"
    };
    let (mut process, port) = start(server, &ctx.dir, ctx.book, ctx.python, ctx.home)?;
    let pid = process.id();
    let mut tried: Vec<Record> = Vec::new();
    let mut misses = 0;
    for &rate in &ctx.rates {
        outln!("# {} ({mode}): {rate} requests a second", server.name);
        let before = tree_cpu(pid);
        let load = load(&ctx.dir, port, rate, ctx.seconds, KEPT, fresh);
        let cpu = tree_cpu(pid).zip(before).map(|(a, b)| a - b);
        let load = match load {
            Ok(load) => load,
            Err(e) => {
                process.terminate(Duration::from_secs(5));
                return Err(format!("{} ({mode}) at {rate}/s: {e}", server.name));
            }
        };
        let e = &load.errors;
        let measured = load.completed > 0;
        let record = Record {
            server: format!("{} ({mode})", server.name),
            mode,
            rate,
            achieved_per_s: load.achieved_per_s,
            scheduled: load.scheduled,
            completed: load.completed,
            latency_p50_ms: measured.then_some(load.latency_p50_ms),
            latency_p99_ms: measured.then_some(load.latency_p99_ms),
            latency_p999_ms: measured.then_some(load.latency_p999_ms),
            latency_max_ms: measured.then_some(load.latency_max_ms),
            errors: e.wrong_answer + e.reset + e.refused + e.timeout + e.other + e.unfinished,
            reconnects: load.reconnects,
            cpu_us_per_request: cpu
                .filter(|_| measured)
                .map(|c| c * 1e6 / load.completed as f64),
        };
        misses = if record.served() { 0 } else { misses + 1 };
        tried.push(record);
        if misses == 2 {
            break;
        }
        // A server that has fallen far behind (a second of backlog) is not pushed further.
        if tried.last().is_some_and(|r| r.completed * 2 < r.scheduled) {
            break;
        }
    }
    let peak = testkit::kernel::tree_memory(pid).map(|(_, peak)| peak);
    process.terminate(Duration::from_secs(5));
    let last = tried.iter().rposition(Record::served);
    let at = last.map(|i| &tried[i]);
    let knee = Knee {
        server: server.name.clone(),
        mode,
        below: at.map(|r| r.rate),
        above: tried.get(last.map_or(0, |i| i + 1)).map(|r| r.rate),
        p50_ms: at.and_then(|r| r.latency_p50_ms),
        p99_ms: at.and_then(|r| r.latency_p99_ms),
        p999_ms: at.and_then(|r| r.latency_p999_ms),
        cpu_us_per_request: at.and_then(|r| r.cpu_us_per_request),
        peak_bytes: peak,
    };
    records.extend(tried);
    Ok(knee)
}

/// A server's peak memory with each count of kept connections, a fresh server each.
fn memory(server: &Server, ctx: &Context) -> Result<Vec<Memory>, String> {
    let mut rows = Vec::new();
    for connections in CONNECTIONS {
        outln!("# {}: {connections} connections kept open", server.name);
        let (mut process, port) = start(server, &ctx.dir, ctx.book, ctx.python, ctx.home)?;
        let load = load(
            &ctx.dir,
            port,
            MEMORY_RATE,
            ctx.seconds.max(1.0),
            connections,
            false,
        );
        let peak = testkit::kernel::tree_memory(process.id()).map(|(_, peak)| peak);
        process.terminate(Duration::from_secs(5));
        let load =
            load.map_err(|e| format!("{} with {connections} connections: {e}", server.name))?;
        rows.push(Memory {
            server: server.name.clone(),
            connections,
            peak_bytes: peak,
            completed: load.completed,
            scheduled: load.scheduled,
        });
    }
    Ok(rows)
}

struct Context<'a> {
    dir: PathBuf,
    book: Option<&'a Path>,
    python: &'a str,
    home: &'a Path,
    rates: Vec<f64>,
    seconds: f64,
}

fn run(args: &Args, dir: PathBuf, profile: Profile) -> Result<Report, String> {
    let mut left_out = Vec::new();
    let book = args.book.as_deref();
    let servers = servers(book, &args.python, &mut left_out);
    let home = tempfile::tempdir().map_err(|e| e.to_string())?;
    let ctx = Context {
        dir,
        book,
        python: &args.python,
        home: home.path(),
        rates: if args.quick {
            QUICK_RATES.to_vec()
        } else {
            FULL_RATES.to_vec()
        },
        seconds: if args.quick { 0.5 } else { 2.0 },
    };
    let (mut records, mut knees, mut memory_rows) = (Vec::new(), Vec::new(), Vec::new());
    for server in &servers {
        for fresh in [false, true] {
            knees.push(climb(server, fresh, &ctx, &mut records)?);
        }
        memory_rows.extend(memory(server, &ctx)?);
    }
    let goals = goals(args.quick, &knees, &memory_rows);
    Ok(Report {
        build: profile.name(),
        quick: args.quick,
        seconds_per_step: ctx.seconds,
        knee_ms: KNEE_MS,
        kept_connections: KEPT,
        records,
        knees,
        memory: memory_rows,
        left_out,
        goals,
    })
}

/// The most a port's peak memory may grow from 10 to 1,000 kept connections, per
/// connection added: a connection's buffers (hyper's 8 KiB read buffer and its write
/// buffer), not a thread's stack or a copy of anything per request.
const PER_CONNECTION: u64 = 32 * 1024;

fn goals(quick: bool, knees: &[Knee], memory: &[Memory]) -> Vec<crate::report::Goal> {
    let mut goals = Goals::new(quick);
    let knee = |server: &str, mode: &str| {
        knees
            .iter()
            .find(|k| k.server == server && k.mode == mode)
            .and_then(|k| k.below)
    };
    // The sync worker closes every connection after its answer, and a kept connection
    // that is idle holds its one worker until it speaks: its best is on new connections.
    // The ports are held to that best, on their own best, kept connections.
    let sync = ["keep-alive", "new connection"]
        .into_iter()
        .filter_map(|mode| knee("gunicorn sync (book)", mode))
        .reduce(f64::max);
    for port in ["timeapp_raw", "timeapp_werkz", "timeapp_webob"] {
        let Some(ours) = knee(port, "keep-alive") else {
            goals.add(
                false,
                format!("{port}: a knee (p99 under 10 ms at the lowest rate)"),
            );
            continue;
        };
        if let Some(sync) = sync {
            let ratio = ours / sync;
            goals.add(
                ratio >= 10.0,
                format!(
                    "{port}'s knee (keep-alive) at least 10x gunicorn sync's best: {ours:.0}/s against {sync:.0}/s, {ratio:.1}x"
                ),
            );
        }
        let peak = |n: usize| {
            memory
                .iter()
                .find(|m| m.server == port && m.connections == n)
                .and_then(|m| m.peak_bytes)
        };
        if let (Some(few), Some(many)) = (peak(CONNECTIONS[0]), peak(CONNECTIONS[2])) {
            let added = (CONNECTIONS[2] - CONNECTIONS[0]) as u64;
            let grown = many.saturating_sub(few);
            goals.add(
                grown <= PER_CONNECTION * added,
                format!(
                    "{port}'s memory flat to 1,000 connections (under 32 KiB more per connection): {} at 10, {} at 1,000, {:.1} KiB each",
                    size(few),
                    size(many),
                    grown as f64 / added as f64 / 1024.0
                ),
            );
        }
    }
    goals.list
}

fn render(report: &Report) -> String {
    let mut t = Table::new(&[
        ("server", Align::Left),
        ("connection", Align::Left),
        ("knee /s", Align::Right),
        ("next /s", Align::Right),
        ("p50 ms", Align::Right),
        ("p99 ms", Align::Right),
        ("p99.9 ms", Align::Right),
        ("CPU us/req", Align::Right),
        ("peak memory", Align::Right),
    ]);
    for k in &report.knees {
        t.row(vec![
            k.server.clone(),
            k.mode.to_string(),
            k.below.map_or("none".into(), |r| format!("{r:.0}")),
            k.above.map_or("-".into(), |r| format!("{r:.0}")),
            decimals(k.p50_ms, 2),
            decimals(k.p99_ms, 2),
            decimals(k.p999_ms, 2),
            decimals(k.cpu_us_per_request, 0),
            k.peak_bytes.map_or("-".into(), size),
        ]);
    }
    let mut text = format!(
        "\nGET / of each server, open loop ({} s a rate; keep-alive on {} connections): the knee is the highest rate whose p99 stayed under {} ms with every request answered 200\n",
        report.seconds_per_step, report.kept_connections, report.knee_ms
    );
    text.push_str(&t.render());
    text.push_str(
        "(latency from each request's scheduled start, including up to 1 ms of the load generator's timer; CPU: the server's process tree at the knee)\n",
    );
    let mut m = Table::new(&[
        ("server", Align::Left),
        ("10 connections", Align::Right),
        ("100", Align::Right),
        ("1,000", Align::Right),
    ]);
    let mut names: Vec<&str> = Vec::new();
    for row in &report.memory {
        if !names.contains(&row.server.as_str()) {
            names.push(&row.server);
        }
    }
    for name in names {
        let mut cells = vec![name.to_string()];
        for n in CONNECTIONS {
            let row = report
                .memory
                .iter()
                .find(|r| r.server == name && r.connections == n);
            cells.push(row.and_then(|r| r.peak_bytes).map_or("-".into(), size));
        }
        m.row(cells);
    }
    text.push_str(&format!(
        "\npeak memory with this many connections kept open ({MEMORY_RATE:.0} requests a second)\n"
    ));
    text.push_str(&m.render());
    for why in &report.left_out {
        text.push_str(&format!("left out: {why}\n"));
    }
    text.push_str(&goal_lines(
        &report.goals,
        report
            .quick
            .then_some("--quick tries three rates, half a second each"),
    ));
    text
}

pub fn main(args: Args) -> ExitCode {
    let profile = if args.debug {
        Profile::Debug
    } else {
        Profile::Release
    };
    if let Some(book) = &args.book
        && let Err(error) = chapter_dir(book)
    {
        errln!("cargo xtask bench http: {error}");
        return ExitCode::FAILURE;
    }
    let packages = ["loadgen", "timeapp-raw", "timeapp-werkz", "timeapp-webob"];
    let result = build_announced(&packages, profile).and_then(|dir| {
        let report = run(&args, dir.clone(), profile)?;
        if let Some(svg) = &args.svg {
            draw(&dir, "chart-http", &report, svg)?;
        }
        Ok(report)
    });
    match result {
        Ok(report) => {
            out!("{}", render(&report));
            if let Some(path) = &args.json
                && let Err(error) = write_json(path, &report)
            {
                errln!("cargo xtask bench http: {error}");
                return ExitCode::FAILURE;
            }
            ExitCode::SUCCESS
        }
        Err(error) => {
            errln!("cargo xtask bench http: {error}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn knee(server: &str, below: Option<f64>) -> Knee {
        Knee {
            server: server.into(),
            mode: "keep-alive",
            below,
            above: None,
            p50_ms: None,
            p99_ms: None,
            p999_ms: None,
            cpu_us_per_request: None,
            peak_bytes: None,
        }
    }

    fn memory(server: &str, connections: usize, mib: u64) -> Memory {
        Memory {
            server: server.into(),
            connections,
            peak_bytes: Some(mib * crate::report::MIB),
            completed: 1,
            scheduled: 1,
        }
    }

    #[test]
    fn the_goals_compare_each_port_with_gunicorn_sync_and_its_own_memory() {
        let knees = [
            knee("timeapp_raw", Some(24000.0)),
            knee("timeapp_werkz", Some(4000.0)),
            knee("timeapp_webob", None),
            knee("gunicorn sync (book)", Some(250.0)),
            Knee {
                mode: "new connection",
                ..knee("gunicorn sync (book)", Some(1000.0))
            },
        ];
        let memory = [
            memory("timeapp_raw", 10, 4),
            memory("timeapp_raw", 1000, 10),
            memory("timeapp_werkz", 10, 4),
            memory("timeapp_werkz", 1000, 100),
        ];
        let goals = goals(false, &knees, &memory);
        let verdicts: Vec<(&str, &str)> = goals
            .iter()
            .map(|g| (g.verdict, g.goal.split(' ').next().unwrap()))
            .collect();
        assert_eq!(
            verdicts,
            [
                ("met", "timeapp_raw's"),
                ("met", "timeapp_raw's"),
                ("missed", "timeapp_werkz's"),
                ("missed", "timeapp_werkz's"),
                ("missed", "timeapp_webob:"),
            ]
        );
        // Without the book, no ratio: only the memory goals, and the missing knee.
        let alone = super::goals(false, &knees[..3], &memory);
        assert_eq!(alone.len(), 3);
        assert!(alone.iter().all(|g| !g.goal.contains("gunicorn")));
    }

    #[test]
    fn the_book_s_folder_is_found_at_its_root_or_its_chapter() {
        let dir = tempfile::tempdir().unwrap();
        let chapter = dir.path().join("py3").join("chapter10");
        std::fs::create_dir_all(&chapter).unwrap();
        assert!(chapter_dir(dir.path()).is_err());
        std::fs::write(chapter.join("timeapp_raw.py"), "").unwrap();
        assert_eq!(chapter_dir(dir.path()).unwrap(), chapter);
        assert_eq!(chapter_dir(&chapter).unwrap(), chapter);
    }
}
