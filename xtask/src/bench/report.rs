//! The bench's goals and its table.

use super::*;
use crate::report::{decimals, goal_lines};

pub(super) fn goals(r: &Report, plan: &Plan) -> Vec<Goal> {
    let mut goals = Goals::new(plan.quick);
    let lowest = r
        .pairs
        .iter()
        .filter_map(|p| Some((p.ratio_to_ceiling?, &p.name)))
        .min_by(|a, b| a.0.total_cmp(&b.0));
    if let Some((ratio, name)) = lowest {
        goals.add(
            ratio >= 0.8,
            format!("every variant pair ≥ 0.8× the ceiling (lowest {ratio:.2}×, {name})"),
        );
    }
    let peak = r
        .pairs
        .iter()
        .flat_map(|p| [p.client_peak_bytes, p.server_peak_bytes.unwrap_or(0)])
        .max()
        .unwrap_or(0);
    goals.add(
        peak <= 8 * MIB,
        format!(
            "peak memory ≤ 8 MiB per client and server process for a {} stream (highest {:.1} MiB)",
            size(r.bytes),
            mib(peak)
        ),
    );
    let polled = catalog::by_id("3-2-nonblocking").and_then(Listing::bin);
    if let Some(c) = r
        .concurrency
        .iter()
        .find(|c| Some(c.server) == polled && c.clients == 1000)
    {
        goals.add(
            c.server_peak_bytes <= 64 * MIB,
            format!(
                "{} holds 1,000 concurrent clients in ≤ 64 MiB ({:.1} MiB)",
                c.server,
                mib(c.server_peak_bytes)
            ),
        );
    }
    for d in &r.out_of_descriptors {
        if let Some(slowdown) = d.slowdown {
            let (server, echo) = (d.server, size(d.bytes));
            goals.add(
                slowdown <= 2.0,
                format!(
                    "out of descriptors, {server} keeps an open connection's {echo} echo within 2× of normal ({slowdown:.2}×)"
                ),
            );
        }
    }
    goals.list
}

pub(super) fn table(r: &Report, plan: &Plan) -> String {
    let mut out = format!(
        "cargo xtask bench: {} per throughput run, {} round{}, medians ({} cores, {} build)\n\n",
        size(r.bytes),
        r.rounds,
        if r.rounds == 1 { "" } else { "s" },
        thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1),
        r.build,
    );
    let mut t = Table::new(&[
        ("throughput (client → server)", Align::Left),
        ("MB/s", Align::Right),
        ("× ceil", Align::Right),
        ("wall s", Align::Right),
        ("client user/sys\nseconds", Align::Right),
        ("server user/sys\nseconds", Align::Right),
        ("client\npeak MiB", Align::Right),
        ("server\npeak MiB", Align::Right),
    ]);
    let cells = |row: &Row| {
        let cpu = |u: Option<f64>, s: Option<f64>| match (u, s) {
            (Some(u), Some(s)) => format!("{u:.2}/{s:.2}"),
            _ => "-".into(),
        };
        vec![
            row.name.clone(),
            decimals(row.mb_per_s, 0),
            decimals(row.ratio_to_ceiling, 2),
            decimals(row.wall_s, 2),
            cpu(row.client_user_s, row.client_sys_s),
            cpu(row.server_user_s, row.server_sys_s),
            format!("{:.1}", mib(row.client_peak_bytes)),
            decimals(row.server_peak_bytes.map(mib), 1),
        ]
    };
    let mut ceiling_row = cells(&r.ceiling);
    ceiling_row[2] = "1.00".into();
    t.row(ceiling_row);
    for row in &r.pairs {
        t.row(cells(row));
    }
    t.text("");
    t.text(format!(
        "Listing 3-2 as the book wrote it: 16-byte sends, recv(1024) and recv(42), {}",
        size(plan.deadlock_bytes)
    ));
    t.row(cells(&r.listing_3_2));
    out += &t.render();

    let mut c = Table::new(&[
        (
            &format!(
                "concurrency: N clients × {} at once",
                size(plan.client_bytes)
            ),
            Align::Left,
        ),
        ("seconds", Align::Right),
        ("MB/s", Align::Right),
        ("server peak MiB", Align::Right),
    ]);
    for row in &r.concurrency {
        c.row(vec![
            format!("{:>5} clients against {}", row.clients, row.server),
            decimals(row.seconds, 3),
            decimals(row.mb_per_s, 0),
            format!("{:.1}", mib(row.server_peak_bytes)),
        ]);
    }
    out += "\n";
    out += &c.render();

    let mut d = Table::new(&[
        (
            &format!(
                "an open connection's {} echo, out of descriptors",
                size(plan.echo_bytes)
            ),
            Align::Left,
        ),
        ("normal s", Align::Right),
        ("paused s", Align::Right),
        ("slowdown", Align::Right),
        ("server CPU s", Align::Right),
    ]);
    for row in &r.out_of_descriptors {
        d.row(vec![
            row.server.to_string(),
            decimals(row.normal_s, 3),
            decimals(row.out_of_descriptors_s, 3),
            decimals(row.slowdown, 2),
            decimals(row.server_cpu_s, 2),
        ]);
    }
    out += "\n";
    out += &d.render();

    let why = plan.quick.then_some("one reduced round decides nothing");
    out + &goal_lines(&r.goals, why)
}
