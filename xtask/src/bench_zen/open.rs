//! `cargo xtask bench zen --open`: Chapter 7's servers in an open loop, as experts
//! measure servers (wrk2, oha's latency correction). Conversations start at a fixed rate
//! whatever the server does, each timed from its scheduled start, so a server that falls
//! behind shows the queue it builds: a closed loop would slow its clients down instead and
//! hide it. For each server, with the book's 1 ms expensive operation, the rate steps up
//! until the server saturates; the report gives p50, p99 and p99.9 per rate, and the knee:
//! the highest rate at which p99 stays under 10 ms.

use std::path::{Path, PathBuf};
use std::time::Instant;

use serde::Serialize;
use testkit::table::{Align, Table};

use super::loadgen::{OpenLoad, load};
use super::{Server, Start, servers, servers_named, start};
use crate::build::{Profile, build_announced};
use crate::report::{decimals, write_json};
use catalog::Concurrency;

/// The offered rates, in conversations per second (three answers each).
pub const FULL_RATES: [f64; 11] = [
    50.0, 100.0, 200.0, 300.0, 400.0, 600.0, 800.0, 1200.0, 1600.0, 2400.0, 3200.0,
];

/// The p99 under which a rate counts as served.
pub const KNEE_MS: f64 = 10.0;

/// A server stops stepping up once its p99 passes this: it has saturated.
const SATURATED_MS: f64 = 1000.0;

/// The book's expensive operation.
const DELAY: f64 = 0.001;

/// What `--open` runs.
#[derive(Clone, Debug)]
pub struct OpenPlan {
    pub rates: Vec<f64>,
    pub seconds: f64,
    pub quick: bool,
    pub profile: Profile,
    /// Only these servers (by the table's names), besides the ceiling; all if empty.
    pub servers: Vec<String>,
    pub max_in_flight: usize,
}

impl OpenPlan {
    pub fn full() -> Self {
        Self {
            rates: FULL_RATES.to_vec(),
            seconds: 2.0,
            quick: false,
            profile: Profile::Release,
            servers: Vec::new(),
            max_in_flight: 2000,
        }
    }

    /// Two rates on either side of the one-at-a-time server's knee, for the ceiling and
    /// three servers: the one that serves one client at a time, the pool, and the event
    /// loop that awaits its delay.
    pub fn quick() -> Self {
        Self {
            rates: vec![100.0, 600.0],
            seconds: 0.5,
            quick: true,
            servers: servers()
                .into_iter()
                .filter(|s| match s.start {
                    Start::Direct(None) => {
                        matches!(s.concurrency, Concurrency::One | Concurrency::Pool(_))
                    }
                    _ => s.awaits_delay(),
                })
                .map(|s| s.name)
                .collect(),
            ..Self::full()
        }
    }
}

/// One server at one offered rate.
#[derive(Clone, Debug, Serialize)]
struct OpenRecord {
    server: String,
    /// Offered conversations per second.
    rate: f64,
    achieved_per_s: f64,
    scheduled: u64,
    completed: u64,
    latency_p50_ms: Option<f64>,
    latency_p99_ms: Option<f64>,
    latency_p999_ms: Option<f64>,
    latency_max_ms: Option<f64>,
    errors: u64,
    unfinished: u64,
}

/// The knee of one server: the highest rate whose p99 stayed under [`KNEE_MS`], and the
/// next rate tried, whose did not (none if no rate passed it).
#[derive(Clone, Debug, Serialize)]
struct Knee {
    server: String,
    below: Option<f64>,
    above: Option<f64>,
}

#[derive(Debug, Serialize)]
struct OpenReport {
    build: &'static str,
    quick: bool,
    seconds_per_step: f64,
    delay_s: f64,
    knee_ms: f64,
    /// The load generator's own floor: the ceiling's p99 at the lowest rate.
    floor_p99_ms: Option<f64>,
    records: Vec<OpenRecord>,
    knees: Vec<Knee>,
}

fn step(
    server: &Server,
    dir: &Path,
    scratch: &Path,
    rate: f64,
    plan: &OpenPlan,
) -> Result<OpenRecord, String> {
    let (mut process, port) = start(server, dir, scratch, DELAY)?;
    let load = load::<OpenLoad>(
        dir,
        &[
            "zen-open",
            "--port",
            &port.to_string(),
            "--rate",
            &rate.to_string(),
            "--seconds",
            &plan.seconds.to_string(),
            "--max-in-flight",
            &plan.max_in_flight.to_string(),
            // A saturated server's backlog is not waited out for long: what is still under
            // way a second after the step counts as unfinished.
            "--answer-timeout",
            "1",
        ],
    );
    process.kill();
    let load = load?;
    let e = &load.errors;
    let measured = load.completed > 0;
    Ok(OpenRecord {
        server: server.name.clone(),
        rate,
        achieved_per_s: load.achieved_per_s,
        scheduled: load.scheduled,
        completed: load.completed,
        latency_p50_ms: measured.then_some(load.latency_p50_ms),
        latency_p99_ms: measured.then_some(load.latency_p99_ms),
        latency_p999_ms: measured.then_some(load.latency_p999_ms),
        latency_max_ms: measured.then_some(load.latency_max_ms),
        errors: e.wrong_answer + e.reset + e.refused + e.timeout + e.other,
        unfinished: e.unfinished,
    })
}

/// The knee of a server from its steps, in the order tried: the highest rate whose p99
/// stayed under [`KNEE_MS`] with no error and nothing left unfinished, and the next rate
/// tried after it (or the first rate, if none passed).
fn knee(server: &str, tried: &[OpenRecord]) -> Knee {
    let served = |r: &OpenRecord| {
        r.latency_p99_ms.is_some_and(|p99| p99 < KNEE_MS) && r.unfinished == 0 && r.errors == 0
    };
    let last = tried.iter().rposition(served);
    Knee {
        server: server.to_string(),
        below: last.map(|i| tried[i].rate),
        above: tried.get(last.map_or(0, |i| i + 1)).map(|r| r.rate),
    }
}

/// Whether a step shows a saturated server: its p99 past [`SATURATED_MS`], or
/// conversations that never finished.
fn saturated(r: &OpenRecord) -> bool {
    r.latency_p99_ms.is_none_or(|p99| p99 > SATURATED_MS) || r.unfinished > 0 || r.errors > 0
}

pub fn measure_open(
    plan: &OpenPlan,
    json: Option<&Path>,
    svg: Option<&Path>,
) -> Result<String, String> {
    let started = Instant::now();
    let inetd = testkit::inetd::installed();
    let mut servers = servers_named(&plan.servers)?;
    servers.retain(|s| inetd || !matches!(s.start, Start::Inetd { .. }));
    let mut packages: Vec<&str> = servers.iter().map(|s| s.krate).collect();
    packages.dedup();
    let dir = build_announced(&packages, plan.profile)?;
    let scratch: PathBuf =
        std::env::temp_dir().join(format!("xtask-bench-open-{}", std::process::id()));
    std::fs::create_dir_all(&scratch).map_err(|e| e.to_string())?;
    let mut records = Vec::new();
    let mut knees = Vec::new();
    for server in &servers {
        let mut tried = Vec::new();
        for &rate in &plan.rates {
            eprint!(
                "\r{:>5.0} s  {:<28} {:>6} conversations/s ",
                started.elapsed().as_secs_f64(),
                server.name,
                rate
            );
            let record = step(server, &dir, &scratch, rate, plan)?;
            let stop = saturated(&record);
            tried.push(record);
            if stop {
                break;
            }
        }
        knees.push(knee(&server.name, &tried));
        records.extend(tried);
    }
    errln!();
    let _ = std::fs::remove_dir_all(&scratch);
    let floor_p99_ms = records
        .iter()
        .find(|r| r.server == servers[0].name)
        .and_then(|r| r.latency_p99_ms);
    let report = OpenReport {
        build: plan.profile.name(),
        quick: plan.quick,
        seconds_per_step: plan.seconds,
        delay_s: DELAY,
        knee_ms: KNEE_MS,
        floor_p99_ms,
        records,
        knees,
    };
    if let Some(path) = json {
        write_json(path, &report)?;
    }
    if let Some(svg) = svg {
        super::draw(&dir, "chart-open", &report, svg)?;
    }
    Ok(table(&report, plan)
        + &format!("\n(measured in {:.0} s)\n", started.elapsed().as_secs_f64()))
}

fn table(report: &OpenReport, plan: &OpenPlan) -> String {
    let mut out = format!(
        "cargo xtask bench zen --open: conversations offered at a fixed rate, each timed from \
         its scheduled start; get_answer sleeps 1 ms; {} s per step ({} build)\n\n\
         p99 latency in ms by offered answers per second (three per conversation); - not run \
         (the server had saturated)\n",
        plan.seconds, report.build
    );
    let mut columns: Vec<(String, Align)> = vec![("server \\ answers/s".into(), Align::Left)];
    columns.extend(
        plan.rates
            .iter()
            .map(|r| (format!("{:.0}", r * 3.0), Align::Right)),
    );
    columns.push(("knee (p99 < 10 ms)".into(), Align::Left));
    let headers: Vec<(&str, Align)> = columns.iter().map(|(h, a)| (h.as_str(), *a)).collect();
    let mut t = Table::new(&headers);
    for knee in &report.knees {
        let mut row = vec![knee.server.clone()];
        for &rate in &plan.rates {
            let cell = report
                .records
                .iter()
                .find(|r| r.server == knee.server && r.rate == rate)
                .map_or("-".to_string(), |r| match r.latency_p99_ms {
                    Some(p99) if r.unfinished == 0 => format!("{p99:.1}"),
                    Some(p99) => format!("{p99:.0}+"),
                    None => "none".into(),
                });
            row.push(cell);
        }
        let answers = |rate: f64| format!("{:.0}", rate * 3.0);
        row.push(match (knee.below, knee.above) {
            (Some(b), Some(a)) => format!("{}–{} answers/s", answers(b), answers(a)),
            (Some(b), None) => format!("above {} answers/s", answers(b)),
            (None, Some(a)) => format!("below {} answers/s", answers(a)),
            (None, None) => "-".into(),
        });
        t.row(row);
    }
    out += &t.render();
    let mut d = Table::new(&[
        ("server", Align::Left),
        ("answers/s", Align::Right),
        ("achieved", Align::Right),
        ("p50 ms", Align::Right),
        ("p99 ms", Align::Right),
        ("p99.9 ms", Align::Right),
        ("max ms", Align::Right),
        ("errors", Align::Right),
        ("unfinished", Align::Right),
    ]);
    for r in &report.records {
        d.row(vec![
            r.server.clone(),
            format!("{:.0}", r.rate * 3.0),
            format!("{:.0}", r.achieved_per_s * 3.0),
            decimals(r.latency_p50_ms, 2),
            decimals(r.latency_p99_ms, 1),
            decimals(r.latency_p999_ms, 1),
            decimals(r.latency_max_ms, 0),
            r.errors.to_string(),
            r.unfinished.to_string(),
        ]);
    }
    out += "\n";
    out += &d.render();
    out += &format!(
        "\nthe load generator's own floor: p99 {} ms against the minimal server at {:.0} answers/s\n\
         a p99 marked + is a floor: some conversations had not finished a second after the step\n",
        decimals(report.floor_p99_ms, 2),
        plan.rates.first().copied().unwrap_or(0.0) * 3.0
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(rate: f64, p99: f64) -> OpenRecord {
        OpenRecord {
            server: "s".into(),
            rate,
            achieved_per_s: rate,
            scheduled: 1,
            completed: 1,
            latency_p50_ms: Some(p99 / 2.0),
            latency_p99_ms: Some(p99),
            latency_p999_ms: Some(p99),
            latency_max_ms: Some(p99),
            errors: 0,
            unfinished: 0,
        }
    }

    /// The quick plan's three servers, from the catalog: one client at a time, a pool,
    /// and the event loop that awaits its delay.
    #[test]
    fn the_quick_plan_takes_three_kinds_of_server() {
        let picked = servers_named(&OpenPlan::quick().servers).unwrap();
        let kinds: Vec<_> = picked
            .iter()
            .map(|s| (s.concurrency, s.awaits_delay()))
            .collect();
        assert_eq!(kinds.len(), 4, "the ceiling and three: {kinds:?}");
        assert!(kinds.contains(&(Concurrency::One, false)));
        assert!(
            kinds
                .iter()
                .any(|k| matches!(k, (Concurrency::Pool(_), false)))
        );
        assert!(kinds.contains(&(Concurrency::EventLoop, true)));
    }

    #[test]
    fn the_knee_is_the_highest_rate_under_10_ms_and_the_next_one_tried() {
        let k = knee("s", &[at(100.0, 5.0), at(200.0, 6.0), at(300.0, 80.0)]);
        assert_eq!((k.below, k.above), (Some(200.0), Some(300.0)));
        // A p99 that wavers about 10 ms: the highest rate under it counts.
        let k = knee(
            "s",
            &[
                at(100.0, 9.0),
                at(200.0, 10.2),
                at(300.0, 9.5),
                at(400.0, 10.4),
            ],
        );
        assert_eq!((k.below, k.above), (Some(300.0), Some(400.0)));
        let k = knee("s", &[at(100.0, 50.0)]);
        assert_eq!((k.below, k.above), (None, Some(100.0)));
        let k = knee("s", &[at(100.0, 5.0)]);
        assert_eq!((k.below, k.above), (Some(100.0), None));
        // Refused connections are not service, however fast the rest was.
        let refused = OpenRecord {
            errors: 12,
            ..at(200.0, 7.0)
        };
        let k = knee("s", &[at(100.0, 5.0), refused]);
        assert_eq!((k.below, k.above), (Some(100.0), Some(200.0)));
    }
}
