//! The charts: SVG through plotters' SVG backend, and a compact one for the terminal.

use std::path::Path;

use plotters::prelude::*;
use serde::Deserialize;

/// `cargo xtask run --trace`'s samples: the four queues of one connection, in bytes.
#[derive(Debug, Deserialize)]
pub struct Trace {
    pub title: String,
    pub samples: Vec<TraceSample>,
}

#[derive(Clone, Copy, Debug, Deserialize)]
pub struct TraceSample {
    /// Seconds into the session.
    pub t: f64,
    pub client_send: u64,
    pub server_receive: u64,
    pub server_send: u64,
    pub client_receive: u64,
}

/// The four queues, in the order the data flows: out of the client, into the server, and
/// back.
const QUEUES: [(&str, RGBColor); 4] = [
    ("client's send buffer", RGBColor(0x1f, 0x77, 0xb4)),
    ("server's receive buffer", RGBColor(0xff, 0x7f, 0x0e)),
    ("server's send buffer", RGBColor(0x2c, 0xa0, 0x2c)),
    ("client's receive buffer", RGBColor(0xd6, 0x27, 0x28)),
];

fn values(s: &TraceSample) -> [u64; 4] {
    [
        s.client_send,
        s.server_receive,
        s.server_send,
        s.client_receive,
    ]
}

/// Draws the trace into `svg`; returns the terminal chart.
pub fn trace(input: &Path, svg: &Path) -> Result<String, String> {
    let text = std::fs::read_to_string(input)
        .map_err(|e| format!("cannot read {}: {e}", input.display()))?;
    let trace: Trace = serde_json::from_str(&text).map_err(|e| e.to_string())?;
    if trace.samples.is_empty() {
        return Err("no samples to draw".into());
    }
    let t_max = trace.samples.last().map_or(1.0, |s| s.t).max(1e-3);
    let y_max = trace
        .samples
        .iter()
        .flat_map(values)
        .max()
        .unwrap_or(0)
        .max(1024) as f64
        / 1024.0
        * 1.1;
    {
        let root = SVGBackend::new(svg, (960, 480)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        let mut chart = ChartBuilder::on(&root)
            .caption(&trace.title, ("sans-serif", 20))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(70)
            .build_cartesian_2d(0f64..t_max, 0f64..y_max)
            .map_err(|e| e.to_string())?;
        chart
            .configure_mesh()
            .x_desc("seconds into the session")
            .y_desc("bytes queued (KiB)")
            .y_label_formatter(&|v| format!("{v:.0}"))
            .draw()
            .map_err(|e| e.to_string())?;
        let lines = QUEUES.iter().enumerate().map(|(i, &(name, color))| {
            let points = trace.samples.iter();
            let points = points.map(|s| (s.t, values(s)[i] as f64 / 1024.0));
            (name, color, points.collect())
        });
        draw_lines(&mut chart, lines, SeriesLabelPosition::UpperLeft)?;
        root.present().map_err(|e| e.to_string())?;
    }
    Ok(terminal_trace(&trace))
}

/// One line per queue: a sparkline of its size over the session, 60 columns wide.
fn terminal_trace(trace: &Trace) -> String {
    const WIDTH: usize = 60;
    const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let t_max = trace.samples.last().map_or(1.0, |s| s.t).max(1e-3);
    let mut out = format!(
        "{}, over {:.2} s (each column the peak of its slice)\n",
        trace.title, t_max
    );
    for (i, (name, _)) in QUEUES.iter().enumerate() {
        let mut columns = [None::<u64>; WIDTH];
        for s in &trace.samples {
            let column = ((s.t / t_max) * (WIDTH - 1) as f64) as usize;
            let v = values(s)[i];
            columns[column] = Some(columns[column].map_or(v, |c| c.max(v)));
        }
        let peak = columns.iter().flatten().copied().max().unwrap_or(0).max(1);
        let line: String = columns
            .iter()
            .map(|c| match c {
                None => ' ',
                Some(0) => ' ',
                Some(v) => BARS[((*v as f64 / peak as f64) * 7.0).round() as usize],
            })
            .collect();
        out += &format!("  {name:<24} {line} peak {:>9} bytes\n", peak);
    }
    out
}

/// `cargo xtask bench zen`'s records, as much of them as the chart needs.
#[derive(Debug, Deserialize)]
pub struct ZenBench {
    pub records: Vec<ZenRecord>,
}

#[derive(Debug, Deserialize)]
pub struct ZenRecord {
    pub server: String,
    pub clients: usize,
    pub delay_s: f64,
    pub answers_per_s: Option<f64>,
}

/// Colours for up to a dozen servers, distinct enough side by side.
const PALETTE: [RGBColor; 12] = [
    RGBColor(0x1f, 0x77, 0xb4),
    RGBColor(0xff, 0x7f, 0x0e),
    RGBColor(0x2c, 0xa0, 0x2c),
    RGBColor(0xd6, 0x27, 0x28),
    RGBColor(0x94, 0x67, 0xbd),
    RGBColor(0x8c, 0x56, 0x4b),
    RGBColor(0xe3, 0x77, 0xc2),
    RGBColor(0x7f, 0x7f, 0x7f),
    RGBColor(0xbc, 0xbd, 0x22),
    RGBColor(0x17, 0xbe, 0xcf),
    RGBColor(0x00, 0x00, 0x00),
    RGBColor(0x99, 0x66, 0x00),
];

/// Answers per second against concurrent clients, one line per server, one panel per
/// delay, in the spirit of the book's second edition's load graphs.
pub fn zen(input: &Path, svg: &Path) -> Result<(), String> {
    let text = std::fs::read_to_string(input)
        .map_err(|e| format!("cannot read {}: {e}", input.display()))?;
    let bench: ZenBench = serde_json::from_str(&text).map_err(|e| e.to_string())?;
    let mut delays: Vec<f64> = Vec::new();
    let mut servers: Vec<&str> = Vec::new();
    for r in &bench.records {
        if !delays.contains(&r.delay_s) {
            delays.push(r.delay_s);
        }
        if !servers.contains(&r.server.as_str()) {
            servers.push(&r.server);
        }
    }
    if delays.is_empty() {
        return Err("no records to draw".into());
    }
    let max_clients = bench
        .records
        .iter()
        .map(|r| r.clients)
        .max()
        .unwrap_or(10)
        .max(10) as f64;
    let root = SVGBackend::new(svg, (640 * delays.len() as u32, 520)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| e.to_string())?;
    let panels = root.split_evenly((1, delays.len()));
    for (panel, delay) in panels.iter().zip(&delays) {
        let records: Vec<&ZenRecord> = bench
            .records
            .iter()
            .filter(|r| r.delay_s == *delay)
            .collect();
        let y_max = records
            .iter()
            .filter_map(|r| r.answers_per_s)
            .fold(1.0f64, f64::max)
            * 1.1;
        let caption = if *delay == 0.0 {
            "no delay in get_answer".to_string()
        } else {
            format!("get_answer sleeps {} ms", delay * 1000.0)
        };
        let mut chart = ChartBuilder::on(panel)
            .caption(caption, ("sans-serif", 18))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(70)
            .build_cartesian_2d((1f64..max_clients).log_scale(), 0f64..y_max)
            .map_err(|e| e.to_string())?;
        chart
            .configure_mesh()
            .x_desc("concurrent clients")
            .y_desc("answers per second")
            .x_label_formatter(&|v| format!("{v:.0}"))
            .y_label_formatter(&|v| format!("{v:.0}"))
            .draw()
            .map_err(|e| e.to_string())?;
        let lines = servers.iter().enumerate().map(|(i, &server)| {
            let mut points: Vec<(f64, f64)> = records
                .iter()
                .filter(|r| r.server == server)
                .filter_map(|r| Some((r.clients as f64, r.answers_per_s?)))
                .collect();
            points.sort_by(|a, b| a.0.total_cmp(&b.0));
            (server, PALETTE[i % PALETTE.len()], points)
        });
        let lines = lines.filter(|(_, _, points)| !points.is_empty());
        draw_lines(&mut chart, lines, SeriesLabelPosition::UpperRight)?;
    }
    root.present().map_err(|e| e.to_string())
}

/// `cargo xtask bench zen --open`'s JSON, as far as the chart reads it.
#[derive(Deserialize)]
struct OpenBench {
    records: Vec<OpenRecord>,
}

#[derive(Deserialize)]
struct OpenRecord {
    server: String,
    rate: f64,
    latency_p99_ms: Option<f64>,
}

/// The open loop's hockey sticks: p99 latency (log scale) against the offered rate, one
/// line per server.
pub fn open(input: &Path, svg: &Path) -> Result<(), String> {
    hockey_sticks(
        input,
        svg,
        "open loop, get_answer sleeps 1 ms: p99 latency against the offered rate",
        "offered answers per second (three per conversation)",
        3.0,
    )
}

/// `cargo xtask bench http`'s chart: p99 latency against the offered rate, a line per
/// server and kind of connection.
pub fn http(input: &Path, svg: &Path) -> Result<(), String> {
    hockey_sticks(
        input,
        svg,
        "open loop, GET / of a time app: p99 latency against the offered rate",
        "offered requests per second",
        1.0,
    )
}

/// The hockey sticks of a bench's `records` (`server`, `rate`, `latency_p99_ms`), the
/// rate scaled by `per_rate` on the x axis.
fn hockey_sticks(
    input: &Path,
    svg: &Path,
    caption: &str,
    x_desc: &str,
    per_rate: f64,
) -> Result<(), String> {
    let text = std::fs::read_to_string(input)
        .map_err(|e| format!("cannot read {}: {e}", input.display()))?;
    let bench: OpenBench = serde_json::from_str(&text).map_err(|e| e.to_string())?;
    let mut servers: Vec<&str> = Vec::new();
    for r in &bench.records {
        if !servers.contains(&r.server.as_str()) {
            servers.push(&r.server);
        }
    }
    let points = |server: &str| -> Vec<(f64, f64)> {
        let mut points: Vec<(f64, f64)> = bench
            .records
            .iter()
            .filter(|r| r.server == server)
            .filter_map(|r| Some((r.rate * per_rate, r.latency_p99_ms?.max(0.01))))
            .collect();
        points.sort_by(|a, b| a.0.total_cmp(&b.0));
        points
    };
    let all: Vec<(f64, f64)> = servers.iter().flat_map(|s| points(s)).collect();
    if all.is_empty() {
        return Err("no records to draw".into());
    }
    let x_max = all.iter().map(|p| p.0).fold(10.0, f64::max) * 1.1;
    let y_max = all.iter().map(|p| p.1).fold(10.0, f64::max) * 2.0;
    let y_min = all.iter().map(|p| p.1).fold(f64::MAX, f64::min).max(0.01) / 2.0;
    let root = SVGBackend::new(svg, (900, 560)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| e.to_string())?;
    let mut chart = ChartBuilder::on(&root)
        .caption(caption, ("sans-serif", 18))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(70)
        .build_cartesian_2d(0f64..x_max, (y_min..y_max).log_scale())
        .map_err(|e| e.to_string())?;
    chart
        .configure_mesh()
        .x_desc(x_desc)
        .y_desc("p99 latency from the scheduled start, ms")
        .x_label_formatter(&|v| format!("{v:.0}"))
        .y_label_formatter(&|v| format!("{v}"))
        .draw()
        .map_err(|e| e.to_string())?;
    let lines = servers
        .iter()
        .enumerate()
        .map(|(i, &server)| (server, PALETTE[i % PALETTE.len()], points(server)));
    draw_lines(&mut chart, lines, SeriesLabelPosition::UpperLeft)?;
    root.present().map_err(|e| e.to_string())
}

/// Draws each line (its label, color and points) with its entry in the legend, then the
/// legend at `position`.
fn draw_lines<'a, DB, X, Y>(
    chart: &mut ChartContext<'a, DB, Cartesian2d<X, Y>>,
    lines: impl IntoIterator<Item = (&'a str, RGBColor, Vec<(f64, f64)>)>,
    position: SeriesLabelPosition,
) -> Result<(), String>
where
    DB: DrawingBackend + 'a,
    X: Ranged<ValueType = f64>,
    Y: Ranged<ValueType = f64>,
{
    for (label, color, points) in lines {
        chart
            .draw_series(LineSeries::new(points, color.stroke_width(2)))
            .map_err(|e| e.to_string())?
            .label(label)
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2))
            });
    }
    chart
        .configure_series_labels()
        .position(position)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .draw()
        .map_err(|e| e.to_string())
}
