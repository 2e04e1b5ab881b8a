//! `cargo xtask bench http-client`: Chapter 9's clients fetching one URL over and over
//! from the same local httpbin, in one run: each Rust level of `http_get` and Python's
//! requests and urllib, on one kept-alive connection and on a new connection per
//! request. Each client times its own requests (so process start-up is left out) and
//! prints one line, `requests=N seconds=S p50_us=A p99_us=B`; its CPU comes from the
//! kernel once it has exited. The ratios are to requests on the same work.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Duration;

use serde::Serialize;
use testkit::table::{Align, Table};
use testkit::{Process, Spawn};

use crate::build::{Profile, build_announced};
use crate::report::{Goals, finite, goal_lines};

/// How long a finished client's output may take to drain.
const LIMIT: Duration = Duration::from_secs(300);

/// The Python peers: the same loop as `http_get --repeat`, on requests (a Session kept,
/// or `requests.get` each time, which makes a new one) or urllib (`urlopen`, which asks
/// for `Connection: close`, so a new connection every time).
const PEER: &str = r#"
import math, sys, time
kind, mode, url, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
if kind == "requests":
    import requests
    session = requests.Session()
    def get():
        r = session.get(url, timeout=30) if mode == "keep-alive" else requests.get(url, timeout=30)
        r.raise_for_status()
        return r.content
else:
    from urllib.request import urlopen
    def get():
        with urlopen(url, timeout=30) as r:
            return r.read()
times = []
start = time.perf_counter()
for _ in range(n):
    t = time.perf_counter()
    get()
    times.append(time.perf_counter() - t)
total = time.perf_counter() - start
times.sort()
q = lambda p: int(times[max(1, math.ceil(len(times) * p)) - 1] * 1e6)
print(f"requests={n} seconds={total:.6f} p50_us={q(0.5)} p99_us={q(0.99)}")
"#;

#[derive(clap::Args)]
pub struct Args {
    /// a reduced run (fewer requests per client): under a minute once built; its goal is
    /// indicative
    #[arg(long)]
    quick: bool,
    /// also write the figures as JSON to FILE
    #[arg(long, value_name = "FILE", value_parser = crate::report::output_file)]
    json: Option<PathBuf>,
    /// the Python with requests installed, for the Python peers (default python3; they
    /// are left out, saying why, where it cannot import requests)
    #[arg(long, value_name = "PATH", default_value = "python3")]
    python: String,
    /// build and run the dev profile instead of release (for testing this command)
    #[arg(long, hide = true)]
    debug: bool,
}

/// One client's run.
#[derive(Clone, Debug, Serialize)]
struct Row {
    client: String,
    connection: &'static str,
    requests: usize,
    per_second: Option<f64>,
    p50_us: u64,
    p99_us: u64,
    /// The client's CPU (user and system) per request, in microseconds.
    cpu_us_per_request: Option<f64>,
    /// The server's CPU per request meanwhile, in microseconds.
    server_cpu_us_per_request: Option<f64>,
    /// Requests per second against requests' on the same kind of connection.
    ratio_to_requests: Option<f64>,
}

#[derive(Serialize)]
struct Report {
    quick: bool,
    url: String,
    rows: Vec<Row>,
    left_out: Vec<String>,
    goals: Vec<crate::report::Goal>,
}

/// What `requests=N seconds=S p50_us=A p99_us=B` says.
fn parse(line: &str) -> Option<(usize, f64, u64, u64)> {
    let field = |name: &str| {
        line.split_whitespace()
            .find_map(|w| w.strip_prefix(name)?.strip_prefix('='))
    };
    Some((
        field("requests")?.parse().ok()?,
        field("seconds")?.parse().ok()?,
        field("p50_us")?.parse().ok()?,
        field("p99_us")?.parse().ok()?,
    ))
}

/// Runs one client to its end and reads its line.
fn measure(
    client: String,
    connection: &'static str,
    command: Command,
    server: u32,
) -> Result<Row, String> {
    let cpu = || testkit::kernel::cpu_seconds(server).map(|(user, sys)| user + sys);
    let server_before = cpu();
    let mut process = Spawn::new(command)
        .start()
        .map_err(|e| format!("{client}: {e}"))?;
    // Every client here has a timeout of its own (30 s a request), so the wait ends.
    let (_, usage) = process.wait_measured()?;
    let server_cpu = cpu()
        .zip(server_before)
        .map(|(after, before)| after - before);
    process.stdout.wait_closed(LIMIT);
    process.stderr.wait_closed(LIMIT);
    let stdout = process.stdout.text();
    let (requests, seconds, p50_us, p99_us) = parse(stdout.trim()).ok_or_else(|| {
        format!(
            "{client} ({connection}) printed no timing: {} {}",
            stdout.trim(),
            process.stderr.text().trim()
        )
    })?;
    Ok(Row {
        client,
        connection,
        requests,
        per_second: finite(requests as f64 / seconds),
        p50_us,
        p99_us,
        cpu_us_per_request: finite((usage.user + usage.sys) * 1e6 / requests as f64),
        server_cpu_us_per_request: server_cpu.and_then(|s| finite(s * 1e6 / requests as f64)),
        ratio_to_requests: None,
    })
}

/// Whether `python` can import requests (`Err`: why not).
fn python_has_requests(python: &str) -> Result<(), String> {
    let output = Command::new(python)
        .args(["-c", "import requests"])
        .output()
        .map_err(|e| format!("cannot run {python}: {e}"))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(format!("{python} cannot import requests"))
    }
}

fn run(args: &Args, dir: &Path) -> Result<Report, String> {
    let (keep, fresh, python_keep, python_fresh) = if args.quick {
        (2000, 300, 500, 200)
    } else {
        (20000, 2000, 3000, 1000)
    };
    let mut server = Command::new(dir.join("httpbin"));
    server.args(["-p", "0"]);
    // Its log (a line per request) is not read here: to /dev/null, so that no pipe and
    // no reading thread take a share of the two cores the clients are measured on.
    let spawn = Spawn::new(server).stdout(std::process::Stdio::null());
    let (server, port) = Process::server_with(spawn, Duration::from_secs(30))?;
    let pid = server.id();
    let url = format!("http://127.0.0.1:{port}/get");
    let mut rows = Vec::new();
    for level in ["reqwest", "ureq", "hyper", "socket"] {
        for (connection, n) in [("keep-alive", keep), ("new each", fresh)] {
            let mut command = Command::new(dir.join("http_get"));
            command.args(["--level", level, "--repeat", &n.to_string(), &url]);
            if connection == "new each" {
                command.arg("--fresh");
            }
            outln!("# http_get --level {level}, {connection}: {n} requests");
            rows.push(measure(
                format!("http_get --level {level}"),
                connection,
                command,
                pid,
            )?);
        }
    }
    let mut left_out = Vec::new();
    match python_has_requests(&args.python) {
        Err(why) => {
            outln!("# the Python peers are left out: {why} (give --python PATH)");
            left_out.push(format!("requests, urllib: {why}"));
        }
        Ok(()) => {
            let script = tempfile::Builder::new()
                .suffix(".py")
                .tempfile()
                .map_err(|e| e.to_string())?;
            std::fs::write(script.path(), PEER).map_err(|e| e.to_string())?;
            for (kind, connection, n) in [
                ("requests", "keep-alive", python_keep),
                ("requests", "new each", python_fresh),
                ("urllib", "new each", python_fresh),
            ] {
                let mut command = Command::new(&args.python);
                command
                    .arg(script.path())
                    .args([
                        kind,
                        if connection == "keep-alive" {
                            "keep-alive"
                        } else {
                            "fresh"
                        },
                    ])
                    .args([url.as_str(), &n.to_string()]);
                outln!("# Python {kind}, {connection}: {n} requests");
                rows.push(measure(format!("Python {kind}"), connection, command, pid)?);
            }
            left_out.push("urllib, keep-alive: urlopen asks for Connection: close".into());
        }
    }
    let baseline = |connection: &str| {
        rows.iter()
            .find(|r| r.client == "Python requests" && r.connection == connection)
            .and_then(|r| r.per_second)
    };
    let baselines: Vec<Option<f64>> = rows.iter().map(|r| baseline(r.connection)).collect();
    for (row, base) in rows.iter_mut().zip(baselines) {
        row.ratio_to_requests = row.per_second.zip(base).map(|(a, b)| a / b);
    }
    let mut goals = Goals::new(args.quick);
    let fastest = rows
        .iter()
        .filter(|r| r.client.starts_with("http_get") && r.connection == "keep-alive")
        .filter_map(|r| r.ratio_to_requests.map(|x| (x, r.client.clone())))
        .max_by(|a, b| a.0.total_cmp(&b.0));
    if let Some((ratio, client)) = fastest {
        goals.add(
            ratio >= 10.0,
            format!(
                "the fastest Rust level at least 10x requests on one keep-alive connection: {client}, {ratio:.1}x"
            ),
        );
    }
    // Where the time goes: against one server on loopback, a request's wall time is the
    // client's CPU, the server's, and the round trip; the client's own share is what the
    // level decides.
    let cpu = |client: &str| {
        rows.iter()
            .find(|r| r.client == client && r.connection == "keep-alive")
            .and_then(|r| r.cpu_us_per_request)
    };
    let leanest = rows
        .iter()
        .filter(|r| r.client.starts_with("http_get") && r.connection == "keep-alive")
        .filter_map(|r| r.cpu_us_per_request.map(|x| (x, r.client.clone())))
        .min_by(|a, b| a.0.total_cmp(&b.0));
    if let (Some((rust, client)), Some(python)) = (leanest, cpu("Python requests")) {
        goals.add(
            python / rust >= 10.0,
            format!(
                "the leanest Rust level's CPU per request at least 10x below requests' (the same goal where the server and the round trip are not the bound): {client}, {:.1}x",
                python / rust
            ),
        );
    }
    Ok(Report {
        quick: args.quick,
        url,
        rows,
        left_out,
        goals: goals.list,
    })
}

fn table(report: &Report) -> String {
    let mut t = Table::new(&[
        ("client", Align::Left),
        ("connection", Align::Left),
        ("requests", Align::Right),
        ("per second", Align::Right),
        ("p50 us", Align::Right),
        ("p99 us", Align::Right),
        ("x requests", Align::Right),
        ("CPU us/req", Align::Right),
        ("server CPU", Align::Right),
    ]);
    for r in &report.rows {
        t.row(vec![
            r.client.clone(),
            r.connection.to_string(),
            r.requests.to_string(),
            r.per_second.map_or("-".into(), |x| format!("{x:.0}")),
            r.p50_us.to_string(),
            r.p99_us.to_string(),
            r.ratio_to_requests
                .map_or("-".into(), |x| format!("{x:.1}")),
            r.cpu_us_per_request
                .map_or("-".into(), |x| format!("{x:.0}")),
            r.server_cpu_us_per_request
                .map_or("-".into(), |x| format!("{x:.0}")),
        ]);
    }
    let mut text = format!("\nGET {} (httpbin's /get, 270 bytes of JSON)\n", report.url);
    text.push_str(&t.render());
    text.push_str(
        "(CPU: the client's user and system time per request, its start-up included; server CPU: \
         httpbin's meanwhile; the rest of p50 is the loopback's round trip)\n",
    );
    for why in &report.left_out {
        text.push_str(&format!("left out: {why}\n"));
    }
    text.push_str(&goal_lines(
        &report.goals,
        report.quick.then_some("--quick makes fewer requests"),
    ));
    text
}

pub fn main(args: Args) -> ExitCode {
    let profile = if args.debug {
        Profile::Debug
    } else {
        Profile::Release
    };
    let result =
        build_announced(&["httpbin", "http-get"], profile).and_then(|dir| run(&args, &dir));
    crate::report::finish("bench http-client", result, args.json.as_deref(), table)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_client_s_timing_line_is_read_and_a_broken_one_is_not() {
        assert_eq!(
            parse("requests=20 seconds=0.012500 p50_us=500 p99_us=900"),
            Some((20, 0.0125, 500, 900))
        );
        assert_eq!(parse("requests=20 seconds=x p50_us=500 p99_us=900"), None);
        assert_eq!(parse("Traceback (most recent call last):"), None);
    }
}
