//! `cargo xtask bench`: throughput, memory and concurrency of every variant client ×
//! server pair of Listing 3-2, against the loopback ceiling, in one run of whole
//! processes; and the open connection's speed while a server is out of descriptors.
//!
//! Every figure comes from processes run as a user runs them (the `testkit::process`
//! module): wall time from spawn to exit; user and system CPU from the kernel once the
//! process has exited and before it is reaped; peak resident memory (`VmHWM`), sampled
//! while it runs.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::thread;
use std::time::{Duration, Instant};

use serde::Serialize;
use testkit::table::{Align, Table};
use testkit::{Process, Spawn, Usage};

use catalog::{Family, Listing, Runs};

use crate::build::{Profile, build_announced};
use crate::report::{GIB, Goal, Goals, MIB, finite, size, write_json};

mod report;

use report::*;

/// How long a benchmarked server may take to listen, or a read of the echo to finish:
/// longer than the tests' `testkit::BENCH_LIMIT`, for a machine busy with a gibibyte.
const BENCH_LIMIT: Duration = Duration::from_secs(60);

/// What to run; `--quick` and the tiny test sizes only change these numbers.
#[derive(Clone, Debug)]
pub struct Plan {
    /// Bytes per throughput run.
    pub bytes: u64,
    pub rounds: usize,
    /// Concurrent client counts, and bytes per client.
    pub clients: Vec<usize>,
    pub client_bytes: u64,
    /// Bytes for Listing 3-2 as the book wrote it (below its deadlock).
    pub deadlock_bytes: u64,
    /// Bytes echoed on an open connection, before and while the server is out of
    /// descriptors.
    pub echo_bytes: u64,
    /// One reduced round: its goal lines are indicative, not verdicts.
    pub quick: bool,
    pub profile: Profile,
}

impl Plan {
    pub fn full() -> Self {
        Self {
            bytes: GIB,
            rounds: 5,
            clients: vec![1, 10, 100, 1000],
            client_bytes: MIB,
            deadlock_bytes: 4 * MIB,
            echo_bytes: 16 * MIB,
            quick: false,
            profile: Profile::Release,
        }
    }

    pub fn quick() -> Self {
        Self {
            bytes: 128 * MIB,
            rounds: 1,
            clients: vec![1, 10, 100, 1000],
            client_bytes: 256 * 1024,
            deadlock_bytes: MIB,
            echo_bytes: 16 * MIB,
            quick: true,
            profile: Profile::Release,
        }
    }
}

/// Listing 3-2 as the book wrote it, and the variants that avoid its deadlock.
fn book_and_variants() -> (&'static Listing, Vec<&'static Listing>) {
    let (book, variants): (Vec<_>, Vec<_>) = Family::Uppercase
        .members()
        .partition(|l| l.runs == Runs::ServerAndClient { deadlocks: true });
    (book[0], variants)
}

/// The binaries of the variants (each one's first).
fn variant_bins() -> Vec<&'static str> {
    book_and_variants()
        .1
        .iter()
        .filter_map(|l| l.bin())
        .collect()
}

/// The packages to build: the family's, and the loadgen package's peers.
fn packages() -> Vec<&'static str> {
    let mut packages: Vec<_> = Family::Uppercase.members().map(|l| l.krate).collect();
    packages.push("loadgen");
    packages
}

/// A throughput run: the client's and the server's figures (the ceiling is one process).
#[derive(Clone, Copy, Debug)]
struct Run {
    client: Usage,
    server: Option<Usage>,
}

/// A row of the throughput table: medians over the rounds, peaks over the rounds.
#[derive(Clone, Debug, Serialize)]
struct Row {
    name: String,
    mb_per_s: Option<f64>,
    ratio_to_ceiling: Option<f64>,
    wall_s: Option<f64>,
    client_user_s: Option<f64>,
    client_sys_s: Option<f64>,
    server_user_s: Option<f64>,
    server_sys_s: Option<f64>,
    client_peak_bytes: u64,
    server_peak_bytes: Option<u64>,
}

#[derive(Clone, Debug, Serialize)]
struct ConcurrencyRow {
    server: &'static str,
    clients: usize,
    bytes_per_client: u64,
    seconds: Option<f64>,
    mb_per_s: Option<f64>,
    server_peak_bytes: u64,
}

/// An open connection's echo on a server before and while it is out of descriptors.
#[derive(Clone, Debug, Serialize)]
struct DescriptorRow {
    server: &'static str,
    bytes: u64,
    normal_s: Option<f64>,
    out_of_descriptors_s: Option<f64>,
    /// The second over the first: how much slower the open connection ran.
    slowdown: Option<f64>,
    /// The server's CPU seconds during the second echo.
    server_cpu_s: Option<f64>,
}

#[derive(Clone, Debug, Serialize)]
struct Report {
    build: &'static str,
    quick: bool,
    bytes: u64,
    rounds: usize,
    ceiling: Row,
    pairs: Vec<Row>,
    listing_3_2: Row,
    concurrency: Vec<ConcurrencyRow>,
    out_of_descriptors: Vec<DescriptorRow>,
    goals: Vec<Goal>,
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn summarize(name: String, runs: &[Run], bytes: u64, ceiling_mbps: Option<f64>) -> Row {
    let med = |f: &dyn Fn(&Run) -> f64| median(&mut runs.iter().map(f).collect::<Vec<_>>());
    let has_server = runs[0].server.is_some();
    let server = |r: &Run| r.server.unwrap_or_default();
    let mbps = med(&|r| bytes as f64 / 1e6 / r.client.wall);
    Row {
        name,
        mb_per_s: finite(mbps),
        ratio_to_ceiling: ceiling_mbps.and_then(|c| finite(mbps / c)),
        wall_s: finite(med(&|r| r.client.wall)),
        client_user_s: finite(med(&|r| r.client.user)),
        client_sys_s: finite(med(&|r| r.client.sys)),
        server_user_s: has_server.then(|| med(&|r| server(r).user)),
        server_sys_s: has_server.then(|| med(&|r| server(r).sys)),
        client_peak_bytes: runs.iter().map(|r| r.client.peak_bytes).max().unwrap_or(0),
        server_peak_bytes: has_server
            .then(|| runs.iter().map(|r| server(r).peak_bytes).max().unwrap_or(0)),
    }
}

/// Starts `bin server 127.0.0.1 -p 0`, its log drained into memory, its memory sampled.
fn start_server(bin: &Path) -> Result<(Process, u16), String> {
    let mut command = Command::new(bin);
    command.args(["server", "127.0.0.1", "-p", "0"]);
    Process::server_with(Spawn::new(command).sample_memory(), BENCH_LIMIT)
}

/// Runs a process to its end and measures it; fails if it fails.
fn measured(command: Command) -> Result<(Usage, String), String> {
    let mut process = Spawn::new(command)
        .sample_memory()
        .start()
        .map_err(|e| e.to_string())?;
    let (status, usage) = process.wait_measured()?;
    process.stdout.wait_closed(BENCH_LIMIT);
    let output = process.stdout.text();
    if !status.success() {
        return Err(format!(
            "{} failed ({status}): {}",
            process.name(),
            process.stderr.text().trim()
        ));
    }
    Ok((usage, output))
}

/// One client × server run of `bytes`.
fn pair(dir: &Path, client: &str, server: &str, bytes: u64) -> Result<Run, String> {
    let (mut server_proc, port) = start_server(&dir.join(server))?;
    let mut command = Command::new(dir.join(client));
    command.args([
        "client",
        "127.0.0.1",
        &bytes.to_string(),
        "-p",
        &port.to_string(),
    ]);
    let (client_usage, output) = measured(command)?;
    let server_usage = server_proc.stop_measured();
    if !output.contains(&format!("  {bytes} bytes received \n")) {
        return Err(format!(
            "{client} did not receive {bytes} bytes from {server}"
        ));
    }
    Ok(Run {
        client: client_usage,
        server: Some(server_usage),
    })
}

fn ceiling(dir: &Path, bytes: u64) -> Result<Run, String> {
    let mut command = Command::new(dir.join("loadgen"));
    command.args(["ceiling", &bytes.to_string()]);
    let (usage, _) = measured(command)?;
    Ok(Run {
        client: usage,
        server: None,
    })
}

fn concurrency(
    dir: &Path,
    server: &'static str,
    clients: usize,
    bytes: u64,
) -> Result<ConcurrencyRow, String> {
    let (mut server_proc, port) = start_server(&dir.join(server))?;
    let mut command = Command::new(dir.join("loadgen"));
    command.args([
        "stream-load",
        &clients.to_string(),
        &bytes.to_string(),
        &port.to_string(),
    ]);
    let (_, output) = measured(command)?;
    let server_usage = server_proc.stop_measured();
    let seconds: f64 = output
        .lines()
        .find_map(|l| l.strip_prefix("elapsed "))
        .and_then(|s| s.trim().parse().ok())
        .ok_or_else(|| format!("no elapsed time from the load: {output:?}"))?;
    Ok(ConcurrencyRow {
        server,
        clients,
        bytes_per_client: bytes,
        seconds: finite(seconds),
        mb_per_s: finite((clients as u64 * bytes) as f64 / 1e6 / seconds),
        server_peak_bytes: server_usage.peak_bytes,
    })
}

/// Sends `bytes` on an open connection while reading the uppercase echo back; returns the
/// seconds it took.
fn echo(sock: &TcpStream, bytes: u64) -> Result<f64, String> {
    let started = Instant::now();
    let mut writer = sock.try_clone().map_err(|e| e.to_string())?;
    let sender = thread::spawn(move || -> std::io::Result<()> {
        let chunk = vec![b'x'; 256 * 1024];
        let mut sent = 0;
        while sent < bytes {
            let n = (bytes - sent).min(chunk.len() as u64) as usize;
            writer.write_all(&chunk[..n])?;
            sent += n as u64;
        }
        Ok(())
    });
    let mut reader = sock;
    let mut buf = vec![0; 256 * 1024];
    let mut received = 0;
    while received < bytes {
        let n = reader.read(&mut buf).map_err(|e| e.to_string())?;
        if n == 0 {
            return Err("the server closed the connection".into());
        }
        if buf[..n].iter().any(|&b| b != b'X') {
            return Err("the echo is not the uppercase".into());
        }
        received += n as u64;
    }
    sender
        .join()
        .map_err(|_| "the sender panicked".to_string())?
        .map_err(|e| e.to_string())?;
    Ok(started.elapsed().as_secs_f64())
}

/// The open connection's echo, before and while the server is out of file descriptors:
/// its descriptor limit is lowered and connections are opened until `accept()` fails.
fn out_of_descriptors(
    dir: &Path,
    server: &'static str,
    bytes: u64,
) -> Result<DescriptorRow, String> {
    let (server_proc, port) = start_server(&dir.join(server))?;
    let open = TcpStream::connect(("127.0.0.1", port)).map_err(|e| e.to_string())?;
    open.set_read_timeout(Some(BENCH_LIMIT))
        .map_err(|e| e.to_string())?;
    let normal = echo(&open, bytes)?;
    // Room for a few more connections, whatever else the server has open.
    let open_now = testkit::kernel::open_descriptors(server_proc.id()).unwrap_or(16) as u64;
    testkit::process::set_descriptor_limit(Some(server_proc.id()), Some(open_now + 3))
        .map_err(|e| format!("cannot lower the server's descriptor limit: {e}"))?;
    let mut held = Vec::new();
    let (_, exhausted) = loop {
        held.push(TcpStream::connect(("127.0.0.1", port)).map_err(|e| e.to_string())?);
        let (log, failed) = server_proc
            .stdout
            .wait_until(Duration::from_millis(200), |log| {
                log.contains("Could not accept")
            });
        if failed || held.len() > 64 {
            break (log, failed);
        }
    };
    if !exhausted {
        return Err(format!("{server} never ran out of descriptors"));
    }
    let cpu_before = testkit::kernel::cpu_seconds(server_proc.id());
    let paused = echo(&open, bytes)?;
    let cpu_after = testkit::kernel::cpu_seconds(server_proc.id());
    let server_cpu = cpu_before
        .zip(cpu_after)
        .map(|((u0, s0), (u1, s1))| (u1 + s1) - (u0 + s0));
    drop(held);
    let _ = open.shutdown(Shutdown::Both);
    Ok(DescriptorRow {
        server,
        bytes,
        normal_s: finite(normal),
        out_of_descriptors_s: finite(paused),
        slowdown: finite(paused / normal),
        server_cpu_s: server_cpu.and_then(finite),
    })
}

fn measure(plan: &Plan, dir: &Path) -> Result<Report, String> {
    let mut ceiling_runs = Vec::new();
    let bins = variant_bins();
    // Every variant client with every variant server.
    let pairs_run: Vec<(&str, &str)> = bins
        .iter()
        .flat_map(|&c| bins.iter().map(move |&s| (c, s)))
        .collect();
    let mut pair_runs: Vec<Vec<Run>> = vec![Vec::new(); pairs_run.len()];
    // The ceiling and the pairs alternate, round after round: the machine is noisy.
    for round in 1..=plan.rounds {
        eprint!("\rthroughput round {round} of {} ", plan.rounds);
        ceiling_runs.push(ceiling(dir, plan.bytes)?);
        for (runs, &(client, server)) in pair_runs.iter_mut().zip(&pairs_run) {
            runs.push(pair(dir, client, server, plan.bytes)?);
        }
    }
    errln!();
    let ceiling = summarize(
        "ceiling: raw echo, threads, 256 KiB".into(),
        &ceiling_runs,
        plan.bytes,
        None,
    );
    let ceiling_mbps = ceiling.mb_per_s;
    let pairs = pairs_run
        .iter()
        .zip(&pair_runs)
        .map(|((c, s), runs)| summarize(format!("{c} → {s}"), runs, plan.bytes, ceiling_mbps))
        .collect();
    errln!("Listing 3-2 as written, {} bytes", plan.deadlock_bytes);
    let book = book_and_variants().0.bin().unwrap_or_default();
    let deadlock_run = pair(dir, book, book, plan.deadlock_bytes)?;
    let listing_3_2 = summarize(
        format!("{book} → {book}"),
        &[deadlock_run],
        plan.deadlock_bytes,
        ceiling_mbps,
    );
    let mut concurrency = Vec::new();
    for &server in &bins {
        for &clients in &plan.clients {
            errln!("{clients} concurrent clients against {server}");
            concurrency.push(self::concurrency(dir, server, clients, plan.client_bytes)?);
        }
    }
    let mut descriptors = Vec::new();
    for &server in &bins {
        errln!("an open connection's echo while {server} is out of descriptors");
        descriptors.push(out_of_descriptors(dir, server, plan.echo_bytes)?);
    }
    let mut report = Report {
        build: plan.profile.name(),
        quick: plan.quick,
        bytes: plan.bytes,
        rounds: plan.rounds,
        ceiling,
        pairs,
        listing_3_2,
        concurrency,
        out_of_descriptors: descriptors,
        goals: Vec::new(),
    };
    report.goals = goals(&report, plan);
    Ok(report)
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / MIB as f64
}

/// `cargo xtask bench [zen]`.
#[derive(clap::Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct Args {
    #[command(subcommand)]
    pub zen: Option<Kind>,
    /// a reduced run: smaller sizes, one round; its goal lines are indicative
    #[arg(long)]
    quick: bool,
    /// also write the figures as JSON to FILE
    #[arg(long, value_name = "FILE", value_parser = crate::report::output_file)]
    json: Option<PathBuf>,
    /// bytes per throughput run (default 1 GiB; 128 MiB with --quick)
    #[arg(long, value_name = "BYTES", value_parser = fopnp::cli::bytes)]
    bytes: Option<u64>,
    /// rounds of throughput runs (default 5; 1 with --quick)
    #[arg(long, value_name = "N", value_parser = fopnp::cli::count)]
    rounds: Option<usize>,
    /// concurrent client counts, comma-separated (default 1,10,100,1000)
    #[arg(long, value_name = "N,...", value_delimiter = ',', value_parser = fopnp::cli::count)]
    clients: Option<Vec<usize>>,
    /// bytes per concurrent client (default 1 MiB; 256 KiB with --quick)
    #[arg(long, value_name = "BYTES", value_parser = fopnp::cli::bytes)]
    client_bytes: Option<u64>,
    /// bytes for Listing 3-2 as written (default 4 MiB; 1 MiB with --quick)
    #[arg(long, value_name = "BYTES", value_parser = fopnp::cli::bytes)]
    deadlock_bytes: Option<u64>,
    /// bytes echoed on an open connection while a server is out of descriptors
    /// (default 16 MiB)
    #[arg(long, value_name = "BYTES", value_parser = fopnp::cli::bytes)]
    echo_bytes: Option<u64>,
    /// build and run the dev profile instead of release (for testing this command)
    #[arg(long, hide = true)]
    debug: bool,
}

#[derive(clap::Subcommand)]
pub enum Kind {
    /// Chapter 7's servers under a closed-loop load, with and without the delay in
    /// get_answer: answers per second, latency, errors, CPU and memory, as a table, JSON
    /// and an SVG chart (release build; about 15 minutes, or about 20 s with --quick once built)
    Zen(crate::bench_zen::Args),
    /// Chapter 9's clients (each level of http_get, Python's requests and urllib)
    /// fetching from one local httpbin: requests per second and p50/p99, on one kept
    /// connection and on a new one each (release build; about a minute, or 20 s with
    /// --quick once built)
    HttpClient(crate::bench_http::Args),
    /// Chapter 10's servers (the three time apps, and the book's timeapp_raw under
    /// gunicorn and wsgiref with --book DIR) in an open loop: the knee (p99 under 10 ms),
    /// p50/p99/p99.9, CPU per request and memory to 1,000 connections (release build;
    /// several minutes, or under a minute with --quick once built)
    Http(crate::bench_http_server::Args),
}

pub fn main(args: Args) -> ExitCode {
    let mut plan = if args.quick {
        Plan::quick()
    } else {
        Plan::full()
    };
    plan.bytes = args.bytes.unwrap_or(plan.bytes);
    plan.rounds = args.rounds.unwrap_or(plan.rounds);
    plan.clients = args.clients.unwrap_or(plan.clients);
    plan.client_bytes = args.client_bytes.unwrap_or(plan.client_bytes);
    plan.deadlock_bytes = args.deadlock_bytes.unwrap_or(plan.deadlock_bytes);
    plan.echo_bytes = args.echo_bytes.unwrap_or(plan.echo_bytes);
    if args.debug {
        plan.profile = Profile::Debug;
    }
    let result = build_announced(&packages(), plan.profile).and_then(|dir| measure(&plan, &dir));
    match result {
        Ok(report) => {
            out!("{}", table(&report, &plan));
            if let Some(path) = &args.json
                && let Err(error) = write_json(path, &report)
            {
                errln!("cargo xtask bench: {error}");
                return ExitCode::FAILURE;
            }
            ExitCode::SUCCESS
        }
        Err(error) => {
            errln!("cargo xtask bench: {error}");
            ExitCode::FAILURE
        }
    }
}
