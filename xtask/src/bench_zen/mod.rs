//! `cargo xtask bench zen`: Chapter 7's servers under load, each with the
//! expensive-operation knob off and on, as a table, as JSON and as a chart.
//!
//! The load generator and the chart live in the `loadgen` package (tokio, hdrhistogram,
//! plotters), built in release mode only here; this driver runs each server as a reader
//! would (its log to a file), the load against it, and measures the server through the
//! same process tooling the rest of the workspace uses.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::Instant;

use serde::Serialize;
use testkit::table::{Align, Table};
use testkit::{Process, Spawn};

use crate::build::{Profile, build_announced};
use crate::report::{Goal, finite, write_json};
use catalog::Concurrency;

mod loadgen;
mod open;
mod report;
mod servers;

pub(crate) use loadgen::{LoadErrors, OpenLoad, load};

use report::*;
use servers::{Server, Start, servers, servers_named};

/// How fast the clients of a step start: 10,000 clients over 5 s.
const RAMP_PER_S: f64 = 2000.0;

/// The book's second edition's steps, then the hundreds and thousands.
pub const FULL_CLIENTS: [usize; 13] = [1, 2, 3, 5, 7, 10, 13, 16, 20, 100, 1000, 10_000, 0];

/// What to run.
#[derive(Clone, Debug)]
pub struct Plan {
    pub clients: Vec<usize>,
    /// The client steps for a delay other than 0, if not `clients` (`--quick` runs only
    /// the 20 clients its delay goals need).
    pub delayed_clients: Option<Vec<usize>>,
    pub delays: Vec<f64>,
    pub seconds: f64,
    pub quick: bool,
    pub profile: Profile,
    /// Only these servers (by the table's names), besides the ceiling; all if empty.
    pub servers: Vec<String>,
}

impl Plan {
    /// The client steps run with `delay`.
    pub fn clients_for(&self, delay: f64) -> &[usize] {
        match &self.delayed_clients {
            Some(clients) if delay != 0.0 => clients,
            _ => &self.clients,
        }
    }

    pub fn full() -> Self {
        Self {
            clients: FULL_CLIENTS.iter().copied().filter(|&n| n > 0).collect(),
            delayed_clients: None,
            delays: vec![0.0, 0.001],
            seconds: 1.5,
            quick: false,
            profile: Profile::Release,
            servers: Vec::new(),
        }
    }

    pub fn quick() -> Self {
        Self {
            clients: vec![10, 100],
            delayed_clients: Some(vec![20]),
            delays: vec![0.0, 0.001],
            seconds: 0.2,
            quick: true,
            profile: Profile::Release,
            servers: Vec::new(),
        }
    }
}

/// One server × clients × delay.
#[derive(Clone, Debug, Default, Serialize)]
struct Record {
    server: String,
    clients: usize,
    delay_s: f64,
    seconds: f64,
    /// Why this step was not run, if it was not.
    skipped: Option<&'static str>,
    answers: u64,
    conversations: u64,
    answers_per_s: Option<f64>,
    conversations_per_s: Option<f64>,
    latency_p50_ms: Option<f64>,
    latency_p99_ms: Option<f64>,
    latency_max_ms: Option<f64>,
    errors_wrong_answer: u64,
    errors_reset: u64,
    errors_refused: u64,
    errors_timeout: u64,
    /// Under way when the step ended, still unfinished 10 s later.
    errors_unfinished: u64,
    errors_other: u64,
    /// The server's user + system CPU seconds during the run (not for in_zen1, whose
    /// work is done by a process per connection).
    server_cpu_s: Option<f64>,
    /// The server's CPU microseconds per answer: what one answer costs it, whatever the
    /// rate (`srv_asyncio1` against `srv_asyncio1 --poller poll`: epoll against poll()).
    server_cpu_us_per_answer: Option<f64>,
    server_peak_bytes: Option<u64>,
    /// The kernel's counters over the step, for the whole network namespace (other
    /// traffic is included): full listen queues, SYNs dropped at a listener, and SYNs
    /// sent again.
    listen_overflows: Option<u64>,
    listen_drops: Option<u64>,
    syn_retrans: Option<u64>,
    /// TCP sockets of the namespace in TIME_WAIT at the step's end.
    time_wait: Option<u64>,
}

impl Record {
    fn errors(&self) -> u64 {
        self.errors_wrong_answer
            + self.errors_reset
            + self.errors_refused
            + self.errors_timeout
            + self.errors_unfinished
            + self.errors_other
    }
}

#[derive(Debug, Serialize)]
struct Report {
    build: &'static str,
    quick: bool,
    seconds_per_step: f64,
    records: Vec<Record>,
    goals: Vec<Goal>,
}

/// The load generator's figures, as `loadgen zen-load` prints them.
#[derive(Debug, serde::Deserialize)]
struct Load {
    answers: u64,
    conversations: u64,
    answers_per_s: f64,
    conversations_per_s: f64,
    latency_p50_ms: f64,
    latency_p99_ms: f64,
    latency_max_ms: f64,
    errors: LoadErrors,
}

/// Lets a server hold thousands of connections: its soft limit on open files raised to
/// its hard limit.
fn raise_descriptor_limit(pid: u32) {
    let _ = testkit::process::set_descriptor_limit(Some(pid), None);
}

fn start(
    server: &Server,
    dir: &Path,
    scratch: &Path,
    delay: f64,
) -> Result<(Process, u16), String> {
    let bin = dir.join(server.bin);
    let delay = delay.to_string();
    let log = File::create(scratch.join("server.log")).map_err(|e| e.to_string())?;
    let (process, port) = match server.start {
        Start::Minimal => {
            let mut command = Command::new(&bin);
            command.args(["zen-minimal", "--port", "0", "--delay", &delay]);
            Process::server_with(Spawn::new(command).sample_memory(), testkit::STEP)?
        }
        Start::Direct(flavour) => {
            let mut command = Command::new(&bin);
            command
                .args(["localhost", "-p", "0", "--delay", &delay])
                .args(flavour.into_iter().flat_map(str::split_whitespace));
            let spawn = Spawn::new(command).stdout(Stdio::from(log)).sample_memory();
            Process::server_with(spawn, testkit::STEP)?
        }
        Start::Inetd { accept } => Process::server_on_free_port(
            |port| {
                let mut command = testkit::inetd::command(accept, port, &bin);
                command.args(["--log", "zen.log", "--delay", &delay]);
                if !accept {
                    command.args(["--idle", "600"]);
                }
                command.current_dir(scratch);
                command
            },
            testkit::STEP,
        )?,
    };
    raise_descriptor_limit(process.id());
    Ok((process, port))
}

fn run_one(
    server: &Server,
    dir: &Path,
    scratch: &Path,
    clients: usize,
    delay: f64,
    seconds: f64,
) -> Result<Record, String> {
    let (mut process, port) = start(server, dir, scratch, delay)?;
    let counters = testkit::counters::tcp_counters();
    let load = load::<Load>(
        dir,
        &[
            "zen-load",
            "--port",
            &port.to_string(),
            "--clients",
            &clients.to_string(),
            "--seconds",
            &seconds.to_string(),
            // The clients start at a bounded pace, not in a storm, and only what they do
            // after the ramp counts; each connects from an address of its own, so that no one
            // address runs out of ephemeral ports.
            "--ramp",
            &(clients as f64 / RAMP_PER_S).to_string(),
            "--spread-sources",
        ],
    );
    let time_wait = testkit::counters::time_wait();
    let usage = process.stop_measured();
    let counters = testkit::counters::tcp_counters()
        .zip(counters)
        .map(|(after, before)| after.since(before));
    let load = load?;
    let measurable = !matches!(server.start, Start::Inetd { accept: true });
    Ok(Record {
        server: server.name.clone(),
        clients,
        delay_s: delay,
        seconds,
        skipped: None,
        answers: load.answers,
        conversations: load.conversations,
        answers_per_s: finite(load.answers_per_s),
        conversations_per_s: finite(load.conversations_per_s),
        latency_p50_ms: (load.answers > 0).then_some(load.latency_p50_ms),
        latency_p99_ms: (load.answers > 0).then_some(load.latency_p99_ms),
        latency_max_ms: (load.answers > 0).then_some(load.latency_max_ms),
        errors_wrong_answer: load.errors.wrong_answer,
        errors_reset: load.errors.reset,
        errors_refused: load.errors.refused,
        errors_timeout: load.errors.timeout,
        errors_unfinished: load.errors.unfinished,
        errors_other: load.errors.other,
        server_cpu_s: measurable.then_some(usage.user + usage.sys),
        server_cpu_us_per_answer: (measurable && load.answers > 0)
            .then(|| (usage.user + usage.sys) * 1e6 / load.answers as f64),
        server_peak_bytes: measurable.then_some(usage.peak_bytes),
        listen_overflows: counters.map(|c| c.listen_overflows),
        listen_drops: counters.map(|c| c.listen_drops),
        syn_retrans: counters.map(|c| c.syn_retrans),
        time_wait,
    })
}

fn find<'a>(records: &'a [Record], server: &str, clients: usize, delay: f64) -> Option<&'a Record> {
    records.iter().find(|r| {
        r.server == server && r.clients == clients && r.delay_s == delay && r.skipped.is_none()
    })
}

/// `cargo xtask bench zen`.
#[derive(clap::Args)]
pub struct Args {
    /// a reduced run, 0.2 s a step: 10 and 100 clients without delay, 20 with; its
    /// goals are indicative
    #[arg(long)]
    quick: bool,
    /// also write every record as JSON to FILE
    #[arg(long, value_name = "FILE", value_parser = crate::report::output_file)]
    json: Option<PathBuf>,
    /// also draw answers per second against clients, one panel per delay, in FILE
    #[arg(long, value_name = "FILE", value_parser = crate::report::output_file)]
    svg: Option<PathBuf>,
    /// the delays in get_answer, in seconds, comma-separated (default 0,0.001)
    #[arg(long, value_name = "S,...", value_delimiter = ',', value_parser = fopnp::cli::seconds)]
    delays: Option<Vec<f64>>,
    /// the numbers of concurrent clients, comma-separated (default 1, 2, 3, 5, 7,
    /// 10, 13, 16, 20, 100, 1000, 10000)
    #[arg(long, value_name = "N,...", value_delimiter = ',', value_parser = fopnp::cli::count)]
    clients: Option<Vec<usize>>,
    /// only these servers, by their names in the table (srv_async, "in_zen1 (inetd,
    /// -a)", ...), comma-separated (a comma followed by a space is part of a name); the
    /// ceiling always runs
    #[arg(long, value_name = "NAME,...", value_parser = server_names)]
    servers: Option<ServerNames>,
    /// seconds of load per step (default 1.5; 0.2 with --quick)
    #[arg(long, value_name = "S", value_parser = fopnp::cli::positive)]
    seconds: Option<f64>,
    /// build and run the dev profile instead of release (for testing this command)
    #[arg(long, hide = true)]
    debug: bool,
    /// an open loop instead: conversations offered at fixed rates, each timed from its
    /// scheduled start, with the 1 ms delay, stepping up the rate until each server
    /// saturates; p50, p99, p99.9 and the knee (p99 under 10 ms) per server; --svg draws
    /// p99 against the rate (about 10 minutes; --quick: three servers, two rates)
    #[arg(long)]
    open: bool,
    /// with --open: the offered rates, in conversations per second, comma-separated
    /// (three answers each; default 50, 100, 200, 300, 400, 600, 800, 1200, 1600, 2400,
    /// 3200)
    #[arg(long, value_name = "R,...", value_delimiter = ',', requires = "open", value_parser = fopnp::cli::positive)]
    rates: Option<Vec<f64>>,
}

/// The servers `--servers` names.
#[derive(Clone, Debug)]
pub struct ServerNames(Vec<String>);

/// `--servers`: names split at each comma that is not followed by a space, so that
/// `srv_async,in_zen1 (inetd, -a)` is two names.
fn server_names(text: &str) -> Result<ServerNames, String> {
    let (mut names, mut name) = (Vec::new(), String::new());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, chars.peek()) {
            (',', Some(&next)) if next != ' ' => names.push(std::mem::take(&mut name)),
            _ => name.push(c),
        }
    }
    names.push(name);
    match names.iter().any(String::is_empty) {
        true => Err("an empty name".into()),
        false => Ok(ServerNames(names)),
    }
}

pub fn main(args: Args) -> ExitCode {
    if args.open {
        return open_main(args);
    }
    let mut plan = if args.quick {
        Plan::quick()
    } else {
        Plan::full()
    };
    plan.delays = args.delays.unwrap_or(plan.delays);
    if let Some(clients) = args.clients {
        plan.clients = clients;
        plan.delayed_clients = None;
    }
    plan.seconds = args.seconds.unwrap_or(plan.seconds);
    plan.servers = args.servers.map(|s| s.0).unwrap_or_default();
    if args.debug {
        plan.profile = Profile::Debug;
    }
    match measure(&plan, args.json.as_deref(), args.svg.as_deref()) {
        Ok(text) => {
            out!("{text}");
            ExitCode::SUCCESS
        }
        Err(error) => {
            errln!("cargo xtask bench zen: {error}");
            ExitCode::FAILURE
        }
    }
}

fn open_main(args: Args) -> ExitCode {
    let mut plan = if args.quick {
        open::OpenPlan::quick()
    } else {
        open::OpenPlan::full()
    };
    plan.rates = args.rates.unwrap_or(plan.rates);
    plan.seconds = args.seconds.unwrap_or(plan.seconds);
    if let Some(ServerNames(servers)) = args.servers {
        plan.servers = servers;
    }
    if args.debug {
        plan.profile = Profile::Debug;
    }
    match open::measure_open(&plan, args.json.as_deref(), args.svg.as_deref()) {
        Ok(text) => {
            out!("{text}");
            ExitCode::SUCCESS
        }
        Err(error) => {
            errln!("cargo xtask bench zen --open: {error}");
            ExitCode::FAILURE
        }
    }
}

fn measure(plan: &Plan, json: Option<&Path>, svg: Option<&Path>) -> Result<String, String> {
    let started = Instant::now();
    let servers = servers_named(&plan.servers)?;
    let mut packages: Vec<&str> = servers.iter().map(|s| s.krate).collect();
    packages.dedup();
    let dir = build_announced(&packages, plan.profile)?;
    let inetd = testkit::inetd::installed();
    let scratch: PathBuf =
        std::env::temp_dir().join(format!("xtask-bench-zen-{}", std::process::id()));
    std::fs::create_dir_all(&scratch).map_err(|e| e.to_string())?;
    let mut records = Vec::new();
    // Every server at one step, one after the other (the ceiling first), then the next
    // step: the ratios compare runs seconds apart, on a machine whose speed wanders.
    for &delay in &plan.delays {
        for &clients in plan.clients_for(delay) {
            for server in &servers {
                let skip = if clients > server.max_clients().0 {
                    Some(server.max_clients().1)
                } else if matches!(server.start, Start::Inetd { .. }) && !inetd {
                    Some("systemd-socket-activate is not installed")
                } else {
                    None
                };
                if let Some(why) = skip {
                    records.push(Record {
                        server: server.name.clone(),
                        clients,
                        delay_s: delay,
                        skipped: Some(why),
                        ..Record::default()
                    });
                    continue;
                }
                eprint!(
                    "\r{:>5.0} s  {} ms  {:<28} {:>6} clients ",
                    started.elapsed().as_secs_f64(),
                    delay * 1000.0,
                    server.name,
                    clients
                );
                records.push(run_one(
                    server,
                    &dir,
                    &scratch,
                    clients,
                    delay,
                    plan.seconds,
                )?);
            }
        }
    }
    errln!();
    let _ = std::fs::remove_dir_all(&scratch);
    // Back in the table's order: by delay, server, clients.
    let position = |name: &str| servers.iter().position(|s| s.name == name);
    records.sort_by(|a, b| {
        a.delay_s
            .total_cmp(&b.delay_s)
            .then(position(&a.server).cmp(&position(&b.server)))
            .then(a.clients.cmp(&b.clients))
    });
    let mut report = Report {
        build: plan.profile.name(),
        quick: plan.quick,
        seconds_per_step: plan.seconds,
        records,
        goals: Vec::new(),
    };
    report.goals = goals(&report.records, plan);
    let text = table(&report, plan);
    if let Some(path) = json {
        write_json(path, &report)?;
    }
    if let Some(svg) = svg {
        draw(&dir, "chart-zen", &report, svg)?;
    }
    Ok(text + &format!("\n(measured in {:.0} s)\n", started.elapsed().as_secs_f64()))
}

/// Draws `report` into `svg` with `loadgen CHART`, which reads it as JSON.
pub(crate) fn draw(
    dir: &Path,
    chart: &str,
    report: &impl Serialize,
    svg: &Path,
) -> Result<(), String> {
    let data = std::env::temp_dir().join(format!("xtask-{chart}-{}.json", std::process::id()));
    write_json(&data, report)?;
    let status = Command::new(dir.join("loadgen"))
        .arg(chart)
        .arg(&data)
        .arg(svg)
        .status()
        .map_err(|e| format!("cannot run the chart tool: {e}"))?;
    let _ = std::fs::remove_file(&data);
    if status.success() {
        Ok(())
    } else {
        Err("the chart tool failed".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_names_keep_a_comma_followed_by_a_space() {
        let names = server_names("srv_async,in_zen1 (inetd, -a),srv_asyncio1 --poller poll");
        assert_eq!(
            names.unwrap().0,
            [
                "srv_async",
                "in_zen1 (inetd, -a)",
                "srv_asyncio1 --poller poll"
            ]
        );
        assert!(server_names("srv_async,,srv_single").is_err());
        assert!(server_names("").is_err());
        let every: Vec<String> = servers().into_iter().skip(1).map(|s| s.name).collect();
        assert_eq!(server_names(&every.join(",")).unwrap().0, every);
    }
}
