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
use std::process::ExitCode;
use std::time::Duration;

use crate::bench_zen::{OpenLoad, draw};
use crate::build::{Profile, build_announced};
use crate::report::{Goals, size};

mod report;
mod servers;

use report::{Knee, Memory, Record, Report, render};
use servers::{Server, chapter_dir, servers, start};

/// The p99 under which a rate counts as served.
pub(crate) const KNEE_MS: f64 = 10.0;

/// The connections kept open while the rate steps up.
const KEPT: usize = 50;

/// The offered rates, in requests per second.
const FULL_RATES: [f64; 12] = [
    250.0, 500.0, 1000.0, 2000.0, 4000.0, 6000.0, 8000.0, 12000.0, 16000.0, 24000.0, 32000.0,
    48000.0,
];
const QUICK_RATES: [f64; 3] = [1000.0, 4000.0, 16000.0];

/// The connection counts of the memory run, at a fixed rate.
pub(crate) const CONNECTIONS: [usize; 3] = [10, 100, 1000];
pub(crate) const MEMORY_RATE: f64 = 1000.0;

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

/// Runs the load generator once against `port`.
fn load(
    dir: &Path,
    port: u16,
    rate: f64,
    seconds: f64,
    connections: usize,
    fresh: bool,
) -> Result<OpenLoad, String> {
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
    let (mut process, port) = start(server, &ctx.dir, ctx.python, ctx.home)?;
    let pid = process.id();
    let mut tried: Vec<Record> = Vec::new();
    let mut misses = 0;
    for &rate in &ctx.rates {
        outln!("# {} ({mode}): {rate} requests a second", server.name);
        let before = testkit::kernel::tree_cpu_seconds(pid);
        let load = load(&ctx.dir, port, rate, ctx.seconds, KEPT, fresh);
        let cpu = testkit::kernel::tree_cpu_seconds(pid)
            .zip(before)
            .map(|(a, b)| a - b);
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
        let (mut process, port) = start(server, &ctx.dir, ctx.python, ctx.home)?;
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
    python: &'a str,
    home: &'a Path,
    rates: Vec<f64>,
    seconds: f64,
}

fn run(args: &Args, dir: PathBuf, profile: Profile) -> Result<Report, String> {
    let mut left_out = Vec::new();
    let book = args.book.as_deref();
    let servers = servers(book, &args.python, &mut left_out)?;
    let home = tempfile::tempdir().map_err(|e| e.to_string())?;
    let ctx = Context {
        dir,
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
    crate::report::finish("bench http", result, args.json.as_deref(), render)
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
}
