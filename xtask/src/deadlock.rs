//! `cargo xtask deadlock`: the bytecount at which Listing 3-2 deadlocks, for a series of
//! socket buffer sizes, found by bisection and set beside what the buffers predict.

use std::path::Path;
use std::process::{Command, ExitCode};
use std::thread;
use std::time::{Duration, Instant};

use serde::Serialize;
use testkit::table::{Align, Table};
use testkit::{Process, Spawn, kernel};

use crate::build::{Profile, build_announced};
use crate::report::{finite, size, write_json};
use fopnp::progress::last_count;

pub const LONG_ABOUT: &str = "\
Find the bytecount at which Listing 3-2 deadlocks, for several socket buffer sizes

For each size, tcp_deadlock's server and client both run with --sndbuf SIZE --rcvbuf
SIZE (the unpinned row leaves Linux's autotuning alone), and the smallest bytecount at
which the pair stalls is found by bisection. A probe stalls when the client has printed
nothing and the four socket queues of the connection (/proc/net/tcp) have not changed
for 300 ms while both processes sleep in send() (or, failing that, nothing was printed
for 3 s); every probe's processes are stopped before the next. The sizes are probed
at once, one thread each: a threshold is a matter of bytes in buffers, not of time.

The model: the transfer stalls once the four buffers in its path are full, the client's
send buffer and the server's receive buffer (client to server), the server's send buffer
and the client's receive buffer (server to client), so the prediction is the sum of the
four sizes the kernel granted, as getsockopt reports them (Linux doubles a request, and
autotunes the unpinned ones: those are read from the live sockets at the stall). The
model counts the kernel's bookkeeping in a buffer as room for data, so a measured
threshold below it is expected; it is stated to hold within 0.5 to 1.5 times.

The lesson: it is not large data that deadlocks, it is more data than the buffers hold.";

/// The model's stated bounds on measured ÷ predicted.
pub const MODEL_BOUNDS: (f64, f64) = (0.5, 1.5);
/// How long the queues and the client's output must stand still to call a stall.
const FROZEN: Duration = Duration::from_millis(300);
/// A probe that prints nothing for this long has stalled, whatever the queues say.
const WATCHDOG: Duration = Duration::from_secs(3);

/// The sizes of the full run (`None`: unpinned, autotuned).
fn full_sizes() -> Vec<Option<usize>> {
    vec![
        Some(4096),
        Some(16384),
        Some(65536),
        Some(262_144),
        Some(1 << 20),
        None,
    ]
}

/// The sizes of `--quick`.
fn quick_sizes() -> Vec<Option<usize>> {
    vec![Some(4096), Some(16384), Some(65536)]
}

/// The four buffers' granted sizes.
#[derive(Clone, Copy, Debug, Default, Serialize)]
struct Granted {
    client_send: usize,
    client_receive: usize,
    server_send: usize,
    server_receive: usize,
}

impl Granted {
    fn total(&self) -> u64 {
        (self.client_send + self.client_receive + self.server_send + self.server_receive) as u64
    }
}

/// How one probe ended.
struct Probe {
    stalled: bool,
    /// What the client said it had sent when it stopped.
    sent: u64,
    /// Read from the live sockets at the stall.
    granted: Option<Granted>,
}

/// One row of the table.
#[derive(Clone, Debug, Serialize)]
struct Row {
    /// `None`: unpinned, autotuned.
    requested_bytes: Option<usize>,
    granted: Option<Granted>,
    predicted_bytes: Option<u64>,
    /// The smallest bytecount found to stall.
    measured_bytes: u64,
    /// The largest bytecount found to complete.
    completes_at_bytes: u64,
    ratio: Option<f64>,
    probes: usize,
    seconds: f64,
}

#[derive(Clone, Debug, Serialize)]
struct Report {
    build: &'static str,
    model: &'static str,
    model_bounds: (f64, f64),
    rows: Vec<Row>,
}

fn buffer_args(requested: Option<usize>) -> Vec<String> {
    match requested {
        Some(bytes) => vec![
            "--sndbuf".into(),
            bytes.to_string(),
            "--rcvbuf".into(),
            bytes.to_string(),
        ],
        None => Vec::new(),
    }
}

/// Whether every thread of process `pid` is asleep in a send call.
fn in_send(pid: u32) -> bool {
    let calls = kernel::blocked_in(pid);
    !calls.is_empty() && calls.iter().all(|c| c.starts_with("sendto()"))
}

/// Runs Listing 3-2's pair once for `bytecount` and judges whether it stalls.
fn probe(bin: &Path, requested: Option<usize>, bytecount: u64) -> Result<Probe, String> {
    let mut command = Command::new(bin);
    command
        .args(["server", "127.0.0.1", "-p", "0"])
        .args(buffer_args(requested));
    let (mut server, port) = Process::server(command, testkit::STEP)?;
    let mut command = Command::new(bin);
    command
        .args([
            "client",
            "127.0.0.1",
            &bytecount.to_string(),
            "-p",
            &port.to_string(),
        ])
        .args(buffer_args(requested));
    let mut client = Spawn::new(command).start().map_err(|e| e.to_string())?;
    let mut client_port = None;
    let mut last = None;
    let mut still_since = Instant::now();
    let stalled = loop {
        if let Some(status) = client.try_wait() {
            if !status.success() {
                return Err(format!(
                    "the client failed ({status}): {}",
                    client.stderr.text().trim()
                ));
            }
            break false;
        }
        if client_port.is_none() {
            client_port = kernel::connected_ports(client.id(), port).first().copied();
        }
        let queues = client_port.and_then(|p| kernel::connection(p, port));
        if queues.is_none() || queues != last {
            (last, still_since) = (queues, Instant::now());
        }
        let quiet = client.stdout.quiet_for();
        let frozen = queues.is_some() && still_since.elapsed() >= FROZEN && quiet >= FROZEN;
        // A pause (a delayed window update, a process off the CPU) also freezes the
        // queues for a moment; the deadlock has both processes asleep in send().
        if (frozen && in_send(client.id()) && in_send(server.id())) || quiet >= WATCHDOG {
            break true;
        }
        thread::sleep(Duration::from_millis(5));
    };
    let granted = match (stalled, client_port) {
        (true, Some(cport)) => kernel::socket_buffers(client.id(), cport, port)
            .zip(kernel::socket_buffers(server.id(), port, cport))
            .map(|((cs, cr), (ss, sr))| Granted {
                client_send: cs,
                client_receive: cr,
                server_send: ss,
                server_receive: sr,
            }),
        _ => None,
    };
    let sent = last_count(&client.stdout.text(), " bytes sent").unwrap_or(0);
    client.kill();
    server.kill();
    Ok(Probe {
        stalled,
        sent,
        granted,
    })
}

/// The smallest bytecount at which the pair stalls, for one buffer size, bisected until
/// the bracket is within 1/`precision` of it.
fn threshold(bin: &Path, requested: Option<usize>, precision: u64) -> Result<Row, String> {
    let label = requested.map_or("autotuned".into(), |b| size(b as u64));
    let started = Instant::now();
    let mut probes = 0;
    let mut granted = None;
    let round = |n: u64| n.div_ceil(16) * 16;
    // Bracket: double from a first guess until it stalls.
    let mut lo = 0u64; // completes (0 bytes always does)
    let mut hi = round(requested.map_or(1 << 20, |b| 2 * b as u64).max(4096));
    loop {
        let p = probe(bin, requested, hi)?;
        probes += 1;
        if p.stalled {
            granted = granted.or(p.granted);
            errln!("  {label}: {hi} bytes: stalls after {} sent", p.sent);
            break;
        }
        errln!("  {label}: {hi} bytes: completes");
        lo = hi;
        hi *= 2;
        if hi > 1 << 30 {
            return Err("no stall up to a gibibyte".into());
        }
    }
    // Bisect to within a few per cent.
    while hi - lo > (lo / precision).max(16) {
        let mid = round(lo + (hi - lo) / 2);
        if mid >= hi {
            break;
        }
        let p = probe(bin, requested, mid)?;
        probes += 1;
        if p.stalled {
            granted = granted.or(p.granted);
            errln!("  {label}: {mid} bytes: stalls after {} sent", p.sent);
            hi = mid;
        } else {
            errln!("  {label}: {mid} bytes: completes");
            lo = mid;
        }
    }
    let predicted = granted.map(|g| g.total());
    Ok(Row {
        requested_bytes: requested,
        granted,
        predicted_bytes: predicted,
        measured_bytes: hi,
        completes_at_bytes: lo,
        ratio: predicted.and_then(|p| finite(hi as f64 / p as f64)),
        probes,
        seconds: started.elapsed().as_secs_f64(),
    })
}

fn table(report: &Report) -> String {
    let mut t = Table::new(&[
        ("requested", Align::Right),
        ("granted (send/receive)\nclient", Align::Right),
        ("\nserver", Align::Right),
        ("predicted\nbytes", Align::Right),
        ("measured\nbytes", Align::Right),
        ("measured ÷\npredicted", Align::Right),
        ("probes", Align::Right),
    ]);
    for row in &report.rows {
        let pair = |s: usize, r: usize| format!("{}/{}", size(s as u64), size(r as u64));
        t.row(vec![
            row.requested_bytes
                .map_or("autotuned".into(), |b| size(b as u64)),
            row.granted
                .map_or("?".into(), |g| pair(g.client_send, g.client_receive)),
            row.granted
                .map_or("?".into(), |g| pair(g.server_send, g.server_receive)),
            row.predicted_bytes.map_or("?".into(), |p| p.to_string()),
            row.measured_bytes.to_string(),
            row.ratio.map_or("?".into(), |r| format!("{r:.2}")),
            row.probes.to_string(),
        ]);
    }
    t.render()
}

/// `cargo xtask deadlock`.
#[derive(clap::Args)]
pub struct Args {
    /// three small sizes only (4, 16 and 64 KiB, unless --sizes says), each
    /// bisected to within 6 % instead of 1.5 %: a run of seconds
    #[arg(long)]
    quick: bool,
    /// the buffer sizes to try, comma-separated, in bytes (default 4096, 16384,
    /// 65536, 262144, 1048576 and the unpinned, autotuned default)
    #[arg(long, value_name = "BYTES,...", value_delimiter = ',', value_parser = fopnp::cli::count)]
    sizes: Option<Vec<usize>>,
    /// also write the table as JSON to FILE
    #[arg(long, value_name = "FILE", value_parser = crate::report::output_file)]
    json: Option<std::path::PathBuf>,
    /// build and run the dev profile instead of release (for testing this command)
    #[arg(long, hide = true)]
    debug: bool,
}

pub fn main(args: Args) -> ExitCode {
    let sizes = match (args.sizes, args.quick) {
        (Some(sizes), _) => sizes.into_iter().map(Some).collect(),
        (None, true) => quick_sizes(),
        (None, false) => full_sizes(),
    };
    let profile = if args.debug {
        Profile::Debug
    } else {
        Profile::Release
    };
    // Bisect until the bracket is within 1/64 of the threshold (1/16 with --quick).
    let precision = if args.quick { 16 } else { 64 };
    deadlock(&sizes, precision, profile, args.json.as_deref())
}

fn deadlock(
    sizes: &[Option<usize>],
    precision: u64,
    profile: Profile,
    json: Option<&Path>,
) -> ExitCode {
    let Some(book) = catalog::by_id("3-2") else {
        return ExitCode::FAILURE;
    };
    let result = build_announced(&[book.krate], profile).and_then(|dir| {
        let bin = dir.join(book.bin().unwrap_or_default());
        // The sizes are probed at once, each on its own thread: a threshold is a matter
        // of bytes in buffers, not of time, and a probe waits mostly on the stall test.
        let bin = bin.as_path();
        let rows = thread::scope(|scope| {
            let runs: Vec<_> = sizes
                .iter()
                .map(|&requested| scope.spawn(move || threshold(bin, requested, precision)))
                .collect();
            runs.into_iter()
                .map(|run| run.join().unwrap_or_else(|_| Err("a probe panicked".into())))
                .collect::<Result<Vec<_>, _>>()
        })?;
        Ok(Report {
            build: profile.name(),
            model: "predicted = client send + server receive + server send + client receive buffer, as granted",
            model_bounds: MODEL_BOUNDS,
            rows,
        })
    });
    match result {
        Ok(report) => {
            outln!(
                "cargo xtask deadlock: where Listing 3-2 stalls, by socket buffer size ({} build)\n",
                report.build
            );
            out!("{}", table(&report));
            outln!(
                "\nprediction: the four granted sizes summed (client send, server receive, server\n\
                 send, client receive); the model holds when measured ÷ predicted is within {} to {}.",
                MODEL_BOUNDS.0,
                MODEL_BOUNDS.1
            );
            if let Some(path) = json
                && let Err(error) = write_json(path, &report)
            {
                errln!("cargo xtask deadlock: {error}");
                return ExitCode::FAILURE;
            }
            ExitCode::SUCCESS
        }
        Err(error) => {
            errln!("cargo xtask deadlock: {error}");
            ExitCode::FAILURE
        }
    }
}
