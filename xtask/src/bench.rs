//! `cargo xtask bench`: throughput, memory and concurrency of every variant client ×
//! server pair, against the loopback ceiling, in one run of whole processes.
//!
//! Every figure comes from processes run as a user runs them: wall time from spawn to
//! exit; user and system CPU from `/proc/PID/stat` of the exited (not yet reaped) process;
//! peak resident memory from `/proc/PID/status` `VmHWM`, sampled while it runs (the
//! kernel's high-water mark, so a sample misses only growth in its last few ms).

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use rustix::process::{Pid, WaitId, WaitIdOptions, waitid};

const MIB: u64 = 1 << 20;
const GIB: u64 = 1 << 30;

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
    /// Build and run the dev profile instead of release (for the test of this code).
    pub debug: bool,
}

impl Plan {
    pub fn full() -> Self {
        Self {
            bytes: GIB,
            rounds: 5,
            clients: vec![1, 10, 100, 1000],
            client_bytes: MIB,
            deadlock_bytes: 4 * MIB,
            debug: false,
        }
    }

    pub fn quick() -> Self {
        Self {
            bytes: 128 * MIB,
            rounds: 1,
            clients: vec![1, 10, 100, 1000],
            client_bytes: 256 * 1024,
            deadlock_bytes: MIB,
            debug: false,
        }
    }
}

/// One process's figures.
#[derive(Clone, Copy, Debug, Default)]
struct Usage {
    wall: f64,
    user: f64,
    sys: f64,
    peak: u64,
}

/// A throughput run: the client's and the server's figures (the ceiling is one process).
#[derive(Clone, Copy, Debug)]
struct Run {
    client: Usage,
    server: Option<Usage>,
}

impl Run {
    fn mbps(&self, bytes: u64) -> f64 {
        bytes as f64 / 1e6 / self.client.wall
    }
}

/// A row of the throughput table: medians over the rounds, peaks over the rounds.
#[derive(Clone, Debug)]
struct Row {
    name: String,
    mbps: f64,
    wall: f64,
    client_cpu: (f64, f64),
    server_cpu: Option<(f64, f64)>,
    client_peak: u64,
    server_peak: Option<u64>,
}

#[derive(Clone, Debug)]
struct ConcurrencyRow {
    server: &'static str,
    clients: usize,
    seconds: f64,
    mbps: f64,
    server_peak: u64,
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn summarize(name: String, runs: &[Run], bytes: u64) -> Row {
    let med = |f: &dyn Fn(&Run) -> f64| median(&mut runs.iter().map(f).collect::<Vec<_>>());
    let has_server = runs[0].server.is_some();
    let server = |r: &Run| r.server.unwrap_or_default();
    Row {
        name,
        mbps: med(&|r| r.mbps(bytes)),
        wall: med(&|r| r.client.wall),
        client_cpu: (med(&|r| r.client.user), med(&|r| r.client.sys)),
        server_cpu: has_server.then(|| (med(&|r| server(r).user), med(&|r| server(r).sys))),
        client_peak: runs.iter().map(|r| r.client.peak).max().unwrap_or(0),
        server_peak: has_server.then(|| runs.iter().map(|r| server(r).peak).max().unwrap_or(0)),
    }
}

/// Peak resident memory so far (`VmHWM`), in bytes.
fn peak_memory(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    Some(line.split_whitespace().nth(1)?.parse::<u64>().ok()? * 1024)
}

/// User and system CPU seconds from `/proc/PID/stat` (fields 14 and 15).
fn cpu_seconds(pid: u32) -> Option<(f64, f64)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let fields: Vec<&str> = stat.rsplit(") ").next()?.split_whitespace().collect();
    let ticks = rustix::param::clock_ticks_per_second() as f64;
    let user: f64 = fields.get(11)?.parse().ok()?;
    let sys: f64 = fields.get(12)?.parse().ok()?;
    Some((user / ticks, sys / ticks))
}

/// Samples the process's peak memory every few ms into the first value until the second
/// is set.
fn sample_peak(pid: u32) -> (Arc<AtomicU64>, Arc<AtomicBool>) {
    let (peak, stop) = (
        Arc::new(AtomicU64::new(0)),
        Arc::new(AtomicBool::new(false)),
    );
    let (max, done) = (Arc::clone(&peak), Arc::clone(&stop));
    thread::spawn(move || {
        while !done.load(Ordering::Relaxed) {
            if let Some(now) = peak_memory(pid) {
                max.fetch_max(now, Ordering::Relaxed);
            }
            thread::sleep(Duration::from_millis(5));
        }
    });
    (peak, stop)
}

/// A process being measured: its peak memory is sampled every few ms until it ends.
struct Measured {
    child: Child,
    started: Instant,
    peak: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
    output: Option<thread::JoinHandle<String>>,
}

impl Measured {
    fn spawn(command: &mut Command) -> Result<Self, String> {
        let started = Instant::now();
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| format!("cannot start {command:?}: {e}"))?;
        let (peak, stop) = sample_peak(child.id());
        // Drain stdout (a full pipe would stall the process) and keep it.
        let mut stdout = child.stdout.take();
        let output = Some(thread::spawn(move || {
            let mut text = String::new();
            if let Some(pipe) = stdout.as_mut() {
                let _ = pipe.read_to_string(&mut text);
            }
            text
        }));
        Ok(Self {
            child,
            started,
            peak,
            stop,
            output,
        })
    }

    /// Waits for the process to exit by itself; takes its figures before reaping it.
    fn finish(mut self) -> Result<(Usage, String), String> {
        let pid = Pid::from_raw(self.child.id() as i32).ok_or("no pid")?;
        // Wait for the exit without reaping, so /proc/PID/stat still holds its CPU times.
        loop {
            match waitid(
                WaitId::Pid(pid),
                WaitIdOptions::EXITED | WaitIdOptions::NOWAIT,
            ) {
                Ok(_) => break,
                Err(rustix::io::Errno::INTR) => continue,
                Err(errno) => return Err(format!("waitid: {errno}")),
            }
        }
        let wall = self.started.elapsed().as_secs_f64();
        let (user, sys) = cpu_seconds(self.child.id()).unwrap_or_default();
        self.stop.store(true, Ordering::Relaxed);
        let status = self.child.wait().map_err(|e| e.to_string())?;
        let output = self
            .output
            .take()
            .and_then(|o| o.join().ok())
            .unwrap_or_default();
        if !status.success() {
            return Err(format!(
                "a process failed ({status}): {}",
                output.lines().last().unwrap_or("")
            ));
        }
        let peak = self.peak.load(Ordering::Relaxed);
        Ok((
            Usage {
                wall,
                user,
                sys,
                peak,
            },
            output,
        ))
    }

    /// Stops a server; returns its figures up to now.
    fn stop(mut self) -> Usage {
        let pid = self.child.id();
        let peak = peak_memory(pid)
            .unwrap_or(0)
            .max(self.peak.load(Ordering::Relaxed));
        let (user, sys) = cpu_seconds(pid).unwrap_or_default();
        self.stop.store(true, Ordering::Relaxed);
        let _ = self.child.kill();
        let _ = self.child.wait();
        Usage {
            wall: self.started.elapsed().as_secs_f64(),
            user,
            sys,
            peak,
        }
    }
}

impl Drop for Measured {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `bin server 127.0.0.1 -p 0` and reads the port from its `Listening at` line.
fn start_server(bin: &Path) -> Result<(Measured, u16), String> {
    let started = Instant::now();
    let mut child = Command::new(bin)
        .args(["server", "127.0.0.1", "-p", "0"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", bin.display()))?;
    let mut lines = BufReader::new(child.stdout.take().ok_or("no stdout")?);
    let mut first = String::new();
    lines.read_line(&mut first).map_err(|e| e.to_string())?;
    let port =
        fopnp::listening_port(&first).ok_or_else(|| format!("no Listening line: {first:?}"))?;
    let (peak, stop) = sample_peak(child.id());
    // Keep reading the log so the server never blocks on a full pipe.
    let output = Some(thread::spawn(move || {
        let mut rest = String::new();
        let _ = lines.read_to_string(&mut rest);
        rest
    }));
    Ok((
        Measured {
            child,
            started,
            peak,
            stop,
            output,
        },
        port,
    ))
}

struct Bins {
    dir: PathBuf,
}

impl Bins {
    fn get(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }
}

fn build(plan: &Plan) -> Result<Bins, String> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    command.arg("build");
    if !plan.debug {
        command.arg("--release");
    }
    command
        .args([
            "-p",
            "tcp-deadlock",
            "-p",
            "tcp-threaded",
            "-p",
            "tcp-nonblocking",
        ])
        .args(["-p", "xtask", "--bins"])
        .current_dir(crate::run::workspace_root())
        .stdout(Stdio::null());
    let status = command
        .status()
        .map_err(|e| format!("cannot run cargo build: {e}"))?;
    if !status.success() {
        return Err("cargo build failed".into());
    }
    let profile = if plan.debug { "debug" } else { "release" };
    Ok(Bins {
        dir: crate::run::target_dir().join(profile),
    })
}

/// One client × server run of `bytes`.
fn pair(bins: &Bins, client: &str, server: &str, bytes: u64) -> Result<Run, String> {
    let (server_proc, port) = start_server(&bins.get(server))?;
    let client_proc = Measured::spawn(Command::new(bins.get(client)).args([
        "client",
        "127.0.0.1",
        &bytes.to_string(),
        "-p",
        &port.to_string(),
    ]))?;
    let (client_usage, output) = client_proc.finish()?;
    let server_usage = server_proc.stop();
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

fn ceiling(bins: &Bins, bytes: u64) -> Result<Run, String> {
    let process =
        Measured::spawn(Command::new(bins.get("benchpeer")).args(["ceiling", &bytes.to_string()]))?;
    let (usage, _) = process.finish()?;
    Ok(Run {
        client: usage,
        server: None,
    })
}

fn concurrency(
    bins: &Bins,
    server: &'static str,
    clients: usize,
    bytes: u64,
) -> Result<ConcurrencyRow, String> {
    let (server_proc, port) = start_server(&bins.get(server))?;
    let load = Measured::spawn(Command::new(bins.get("benchpeer")).args([
        "load",
        &clients.to_string(),
        &bytes.to_string(),
        &port.to_string(),
    ]))?;
    let (_, output) = load.finish()?;
    let server_usage = server_proc.stop();
    let seconds: f64 = output
        .lines()
        .find_map(|l| l.strip_prefix("elapsed "))
        .and_then(|s| s.trim().parse().ok())
        .ok_or_else(|| format!("no elapsed time from the load: {output:?}"))?;
    Ok(ConcurrencyRow {
        server,
        clients,
        seconds,
        mbps: (clients as u64 * bytes) as f64 / 1e6 / seconds,
        server_peak: server_usage.peak,
    })
}

const PAIRS: [(&str, &str); 4] = [
    ("tcp_threaded", "tcp_threaded"),
    ("tcp_threaded", "tcp_nonblocking"),
    ("tcp_nonblocking", "tcp_threaded"),
    ("tcp_nonblocking", "tcp_nonblocking"),
];

/// Everything one bench run measured.
struct Results {
    plan: Plan,
    ceiling: Row,
    pairs: Vec<Row>,
    deadlock: Row,
    concurrency: Vec<ConcurrencyRow>,
}

fn measure(plan: &Plan, bins: &Bins) -> Result<Results, String> {
    let mut ceiling_runs = Vec::new();
    let mut pair_runs: Vec<Vec<Run>> = vec![Vec::new(); PAIRS.len()];
    // The ceiling and the pairs alternate, round after round: the machine is noisy.
    for round in 1..=plan.rounds {
        eprint!("\rthroughput round {round} of {} ", plan.rounds);
        ceiling_runs.push(ceiling(bins, plan.bytes)?);
        for (runs, (client, server)) in pair_runs.iter_mut().zip(PAIRS) {
            runs.push(pair(bins, client, server, plan.bytes)?);
        }
    }
    eprintln!();
    let ceiling = summarize(
        "ceiling: raw echo, threads, 256 KiB".into(),
        &ceiling_runs,
        plan.bytes,
    );
    let pairs = PAIRS
        .iter()
        .zip(&pair_runs)
        .map(|((c, s), runs)| summarize(format!("{c} → {s}"), runs, plan.bytes))
        .collect();
    eprintln!("Listing 3-2 as written, {} bytes", plan.deadlock_bytes);
    let deadlock_run = pair(bins, "tcp_deadlock", "tcp_deadlock", plan.deadlock_bytes)?;
    let deadlock = summarize(
        "tcp_deadlock → tcp_deadlock".into(),
        &[deadlock_run],
        plan.deadlock_bytes,
    );
    let mut concurrency = Vec::new();
    for server in ["tcp_threaded", "tcp_nonblocking"] {
        for &clients in &plan.clients {
            eprintln!("{clients} concurrent clients against {server}");
            concurrency.push(self::concurrency(bins, server, clients, plan.client_bytes)?);
        }
    }
    Ok(Results {
        plan: plan.clone(),
        ceiling,
        pairs,
        deadlock,
        concurrency,
    })
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / MIB as f64
}

fn size(bytes: u64) -> String {
    match bytes {
        b if b >= GIB && b % GIB == 0 => format!("{} GiB", b / GIB),
        b if b >= MIB && b % MIB == 0 => format!("{} MiB", b / MIB),
        b if b % 1024 == 0 => format!("{} KiB", b / 1024),
        b => format!("{b} bytes"),
    }
}

/// The goals of the benchmark issue, checked against the figures.
struct Goal {
    text: String,
    met: bool,
}

fn goals(r: &Results) -> Vec<Goal> {
    let lowest = r
        .pairs
        .iter()
        .map(|p| (p.mbps / r.ceiling.mbps, &p.name))
        .min_by(|a, b| a.0.total_cmp(&b.0));
    let peak = r
        .pairs
        .iter()
        .flat_map(|p| [p.client_peak, p.server_peak.unwrap_or(0)])
        .max()
        .unwrap_or(0);
    let thousand = r
        .concurrency
        .iter()
        .find(|c| c.server == "tcp_nonblocking" && c.clients == 1000);
    let mut goals = vec![];
    if let Some((ratio, name)) = lowest {
        goals.push(Goal {
            text: format!("every variant pair ≥ 0.8× the ceiling (lowest {ratio:.2}×, {name})"),
            met: ratio >= 0.8,
        });
    }
    goals.push(Goal {
        text: format!(
            "peak memory ≤ 8 MiB per client and server process for a {} stream (highest {:.1} MiB)",
            size(r.plan.bytes),
            mib(peak)
        ),
        met: peak <= 8 * MIB,
    });
    if let Some(c) = thousand {
        goals.push(Goal {
            text: format!(
                "the nonblocking server holds 1,000 concurrent clients in ≤ 64 MiB ({:.1} MiB)",
                mib(c.server_peak)
            ),
            met: c.server_peak <= 64 * MIB,
        });
    }
    goals
}

fn table(r: &Results) -> String {
    let mut t = String::new();
    let p = &r.plan;
    t += &format!(
        "cargo xtask bench: {} per throughput run, {} round{}, medians ({} cores, {} build)\n\n",
        size(p.bytes),
        p.rounds,
        if p.rounds == 1 { "" } else { "s" },
        thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1),
        if p.debug { "debug" } else { "release" },
    );
    t += &format!(
        "{:<38} {:>8} {:>7} {:>7} {:>15} {:>15} {:>9} {:>9}\n",
        "throughput (client → server)",
        "MB/s",
        "× ceil",
        "wall s",
        "client user/sys",
        "server user/sys",
        "client",
        "server"
    );
    t += &format!(
        "{:<38} {:>8} {:>7} {:>7} {:>15} {:>15} {:>9} {:>9}\n",
        "", "", "", "", "seconds", "seconds", "peak MiB", "peak MiB"
    );
    let line = |row: &Row, ratio: Option<f64>| {
        let cpu = |c: Option<(f64, f64)>| {
            c.map(|(u, s)| format!("{u:.2}/{s:.2}"))
                .unwrap_or_else(|| "-".into())
        };
        format!(
            "{:<38} {:>8.0} {:>7} {:>7.2} {:>15} {:>15} {:>9.1} {:>9}\n",
            row.name,
            row.mbps,
            ratio
                .map(|r| format!("{r:.2}"))
                .unwrap_or_else(|| "-".into()),
            row.wall,
            cpu(Some(row.client_cpu)),
            cpu(row.server_cpu),
            mib(row.client_peak),
            row.server_peak
                .map(|m| format!("{:.1}", mib(m)))
                .unwrap_or_else(|| "-".into()),
        )
    };
    t += &line(&r.ceiling, Some(1.0));
    for row in &r.pairs {
        t += &line(row, Some(row.mbps / r.ceiling.mbps));
    }
    t += &format!(
        "\nListing 3-2 as the book wrote it: 16-byte sends, recv(1024) and recv(42), {}\n",
        size(p.deadlock_bytes)
    );
    t += &line(&r.deadlock, Some(r.deadlock.mbps / r.ceiling.mbps));
    t += &format!(
        "\nconcurrency: N clients × {} at once{:>14} {:>10} {:>16}\n",
        size(p.client_bytes),
        "seconds",
        "MB/s",
        "server peak MiB"
    );
    for c in &r.concurrency {
        t += &format!(
            "  {:>5} clients against {:<16} {:>19.3} {:>10.0} {:>16.1}\n",
            c.clients,
            c.server,
            c.seconds,
            c.mbps,
            mib(c.server_peak)
        );
    }
    t += "\ngoals\n";
    for goal in goals(r) {
        t += &format!(
            "  {}: {}\n",
            if goal.met { "met" } else { "MISSED" },
            goal.text
        );
    }
    t
}

fn json(r: &Results) -> String {
    let row = |row: &Row, ratio: f64| {
        format!(
            "{{\"name\": \"{}\", \"mb_per_s\": {:.1}, \"ratio_to_ceiling\": {ratio:.3}, \"wall_s\": {:.4}, \"client_user_s\": {:.3}, \"client_sys_s\": {:.3}, \"server_user_s\": {}, \"server_sys_s\": {}, \"client_peak_bytes\": {}, \"server_peak_bytes\": {}}}",
            row.name,
            row.mbps,
            row.wall,
            row.client_cpu.0,
            row.client_cpu.1,
            row.server_cpu
                .map(|c| format!("{:.3}", c.0))
                .unwrap_or_else(|| "null".into()),
            row.server_cpu
                .map(|c| format!("{:.3}", c.1))
                .unwrap_or_else(|| "null".into()),
            row.client_peak,
            row.server_peak
                .map(|p| p.to_string())
                .unwrap_or_else(|| "null".into()),
        )
    };
    let pairs: Vec<String> = r
        .pairs
        .iter()
        .map(|p| format!("    {}", row(p, p.mbps / r.ceiling.mbps)))
        .collect();
    let conc: Vec<String> = r
        .concurrency
        .iter()
        .map(|c| {
            format!(
                "    {{\"server\": \"{}\", \"clients\": {}, \"bytes_per_client\": {}, \"seconds\": {:.4}, \"mb_per_s\": {:.1}, \"server_peak_bytes\": {}}}",
                c.server, c.clients, r.plan.client_bytes, c.seconds, c.mbps, c.server_peak
            )
        })
        .collect();
    let goals: Vec<String> = goals(r)
        .iter()
        .map(|g| format!("    {{\"goal\": \"{}\", \"met\": {}}}", g.text, g.met))
        .collect();
    format!(
        "{{\n  \"bytes\": {},\n  \"rounds\": {},\n  \"build\": \"{}\",\n  \"ceiling\": {},\n  \"pairs\": [\n{}\n  ],\n  \"listing_3_2\": {},\n  \"concurrency\": [\n{}\n  ],\n  \"goals\": [\n{}\n  ]\n}}\n",
        r.plan.bytes,
        r.plan.rounds,
        if r.plan.debug { "debug" } else { "release" },
        row(&r.ceiling, 1.0),
        pairs.join(",\n"),
        row(&r.deadlock, r.deadlock.mbps / r.ceiling.mbps),
        conc.join(",\n"),
        goals.join(",\n"),
    )
}

pub fn bench(plan: &Plan, json_path: Option<&Path>) -> ExitCode {
    let result = build(plan).and_then(|bins| measure(plan, &bins));
    match result {
        Ok(results) => {
            print!("{}", table(&results));
            if let Some(path) = json_path
                && let Err(error) = std::fs::write(path, json(&results))
            {
                eprintln!(
                    "cargo xtask bench: cannot write {}: {error}",
                    path.display()
                );
                return ExitCode::FAILURE;
            }
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("cargo xtask bench: {error}");
            ExitCode::FAILURE
        }
    }
}
