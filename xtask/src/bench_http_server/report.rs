//! What `bench http` reports: each rate tried, each server's knee and memory, and the
//! table a reader sees.

use serde::Serialize;
use testkit::table::{Align, Table};

use super::{CONNECTIONS, KNEE_MS, MEMORY_RATE};
use crate::report::{Goal, decimals, goal_lines, size};

/// One server, one kind of connection, one offered rate.
#[derive(Clone, Debug, Serialize)]
pub struct Record {
    /// The server and the kind of connection (the chart's line).
    pub server: String,
    pub mode: &'static str,
    pub rate: f64,
    pub achieved_per_s: f64,
    pub scheduled: u64,
    pub completed: u64,
    pub latency_p50_ms: Option<f64>,
    pub latency_p99_ms: Option<f64>,
    pub latency_p999_ms: Option<f64>,
    pub latency_max_ms: Option<f64>,
    pub errors: u64,
    pub reconnects: u64,
    /// The server's CPU (its process tree's) per request answered, in microseconds.
    pub cpu_us_per_request: Option<f64>,
}

impl Record {
    pub fn served(&self) -> bool {
        self.latency_p99_ms.is_some_and(|p99| p99 < KNEE_MS)
            && self.errors == 0
            && self.completed == self.scheduled
    }
}

/// A server's knee on one kind of connection.
#[derive(Clone, Debug, Serialize)]
pub struct Knee {
    pub server: String,
    pub mode: &'static str,
    /// The highest rate served, and the next one tried, which was not.
    pub below: Option<f64>,
    pub above: Option<f64>,
    pub p50_ms: Option<f64>,
    pub p99_ms: Option<f64>,
    pub p999_ms: Option<f64>,
    pub cpu_us_per_request: Option<f64>,
    /// The server's peak resident memory over the whole climb.
    pub peak_bytes: Option<u64>,
}

/// A server's peak memory with this many connections kept open.
#[derive(Clone, Debug, Serialize)]
pub struct Memory {
    pub server: String,
    pub connections: usize,
    pub peak_bytes: Option<u64>,
    pub completed: u64,
    pub scheduled: u64,
}

#[derive(Serialize)]
pub struct Report {
    pub build: &'static str,
    pub quick: bool,
    pub seconds_per_step: f64,
    pub knee_ms: f64,
    pub kept_connections: usize,
    pub records: Vec<Record>,
    pub knees: Vec<Knee>,
    pub memory: Vec<Memory>,
    pub left_out: Vec<String>,
    pub goals: Vec<Goal>,
}

pub fn render(report: &Report) -> String {
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
