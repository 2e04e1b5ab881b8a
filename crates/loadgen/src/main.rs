//! `loadgen`: the benchmarks' own peers and charts, built by `cargo xtask` when asked;
//! not a listing.
//!
//! - `loadgen ceiling BYTES`: Chapter 3's loopback ceiling.
//! - `loadgen stream-load CLIENTS BYTES PORT`: many clients of Listing 3-2's protocol.
//! - `loadgen zen-load --port P --clients N --seconds S`: Chapter 7's closed-loop load;
//!   prints its figures as JSON.
//! - `loadgen zen-open --port P --rate R --seconds S`: Chapter 7's open-loop load, at a
//!   fixed offered rate; prints its figures as JSON.
//! - `loadgen http-open --port P --rate R --seconds S [--connections N] [--new-connection]`:
//!   Chapter 10's open-loop HTTP/1.1 load; prints its figures as JSON.
//! - `loadgen zen-minimal --port P [--delay S]`: the minimal no-logging Zen server.
//! - `loadgen chart-trace TRACE.json OUT.svg`: the four socket queues of a session
//!   (`cargo xtask run --trace`), drawn, with a compact chart on standard output.
//! - `loadgen chart-zen BENCH.json OUT.svg`: `cargo xtask bench zen`'s chart.
//! - `loadgen chart-open OPEN.json OUT.svg`: `cargo xtask bench zen --open`'s chart.
//! - `loadgen chart-http HTTP.json OUT.svg`: `cargo xtask bench http`'s chart.

mod chart;
mod http;
mod open;
mod stream;
mod zen;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// The benchmarks' own peers and charts (not a listing)
#[derive(Parser)]
#[command(name = "loadgen")]
struct Args {
    #[command(subcommand)]
    task: Task,
}

#[derive(Subcommand)]
enum Task {
    /// The loopback ceiling: BYTES through a raw uppercase echo in one process
    Ceiling {
        #[arg(value_parser = fopnp::cli::bytes)]
        bytes: u64,
    },
    /// CLIENTS connections at once to the uppercase server at PORT, BYTES each, checked
    StreamLoad {
        #[arg(value_parser = fopnp::cli::count)]
        clients: usize,
        #[arg(value_parser = fopnp::cli::bytes)]
        bytes: u64,
        port: u16,
    },
    /// CLIENTS Zen clients in a closed loop against the server at PORT for SECONDS
    ZenLoad {
        #[arg(long)]
        port: u16,
        #[arg(long, value_parser = fopnp::cli::count)]
        clients: usize,
        #[arg(long, value_parser = fopnp::cli::positive)]
        seconds: f64,
        /// how long a question may go unanswered, and how long the conversations under
        /// way when the time is up have to finish before they count as unfinished
        #[arg(long, value_name = "SECONDS", default_value_t = zen::ANSWER_TIMEOUT.as_secs_f64(), value_parser = fopnp::cli::seconds)]
        answer_timeout: f64,
        /// start the clients one after the other over this long, and count only after
        #[arg(long, value_name = "SECONDS", default_value_t = 0.0, value_parser = fopnp::cli::seconds)]
        ramp: f64,
        /// connect each client from an address of its own in 127.0.0.0/8
        #[arg(long)]
        spread_sources: bool,
    },
    /// Conversations offered at RATE a second to the server at PORT for SECONDS, timed
    /// from their schedule (an open loop)
    ZenOpen {
        #[arg(long)]
        port: u16,
        #[arg(long, value_parser = fopnp::cli::positive)]
        rate: f64,
        #[arg(long, value_parser = fopnp::cli::positive)]
        seconds: f64,
        /// the most conversations in flight at once
        #[arg(long, default_value_t = 2000, value_parser = fopnp::cli::count)]
        max_in_flight: usize,
        #[arg(long, value_name = "SECONDS", default_value_t = zen::ANSWER_TIMEOUT.as_secs_f64(), value_parser = fopnp::cli::seconds)]
        answer_timeout: f64,
    },
    /// HTTP/1.1 GETs offered at RATE a second to the server at PORT for SECONDS, timed
    /// from their schedule (an open loop), on kept connections or a new one each
    HttpOpen {
        #[arg(long)]
        port: u16,
        #[arg(long, value_parser = fopnp::cli::positive)]
        rate: f64,
        #[arg(long, value_parser = fopnp::cli::positive)]
        seconds: f64,
        /// the connections kept open (opened before the run); with --new-connection, the
        /// most requests in flight at once
        #[arg(long, default_value_t = 50, value_parser = fopnp::cli::count)]
        connections: usize,
        /// a new connection for every request (`Connection: close`)
        #[arg(long)]
        new_connection: bool,
        /// the path asked for
        #[arg(long, default_value = "/")]
        path: String,
        #[arg(long, value_name = "SECONDS", default_value_t = zen::ANSWER_TIMEOUT.as_secs_f64(), value_parser = fopnp::cli::seconds)]
        answer_timeout: f64,
    },
    /// The minimal no-logging Zen server (the load generator's ceiling), at PORT
    ZenMinimal {
        #[arg(long, default_value_t = 0)]
        port: u16,
        /// seconds awaited before each answer
        #[arg(long, default_value_t = 0.0, value_parser = fopnp::cli::seconds)]
        delay: f64,
    },
    /// Draw the socket queues of a session (JSON from cargo xtask run --trace) as SVG
    ChartTrace { input: PathBuf, svg: PathBuf },
    /// Draw cargo xtask bench zen's answers per second as SVG
    ChartZen { input: PathBuf, svg: PathBuf },
    /// Draw cargo xtask bench zen --open's p99 latency against the offered rate as SVG
    ChartOpen { input: PathBuf, svg: PathBuf },
    /// Draw cargo xtask bench http's p99 latency against the offered rate as SVG
    ChartHttp { input: PathBuf, svg: PathBuf },
}

/// A load's figures, as the one line of JSON that cargo xtask reads.
fn print_json(report: &impl serde::Serialize) -> Result<(), String> {
    serde_json::to_string(report)
        .map(|json| println!("{json}"))
        .map_err(|e| e.to_string())
}

fn main() -> ExitCode {
    let result: Result<(), String> = match Args::parse().task {
        Task::Ceiling { bytes } => stream::ceiling(bytes).map_err(|e| e.to_string()),
        Task::StreamLoad {
            clients,
            bytes,
            port,
        } => stream::load(clients, bytes, port).map_err(|e| e.to_string()),
        Task::ZenLoad {
            port,
            clients,
            seconds,
            answer_timeout,
            ramp,
            spread_sources,
        } => zen::load_shaped(
            port,
            clients,
            seconds,
            std::time::Duration::from_secs_f64(answer_timeout.clamp(0.01, 3600.0)),
            zen::Shape {
                ramp: std::time::Duration::from_secs_f64(ramp.clamp(0.0, 3600.0)),
                spread: spread_sources,
            },
        )
        .and_then(|report| print_json(&report)),
        Task::ZenOpen {
            port,
            rate,
            seconds,
            max_in_flight,
            answer_timeout,
        } => open::open(
            port,
            rate,
            seconds,
            max_in_flight,
            std::time::Duration::from_secs_f64(answer_timeout.clamp(0.01, 3600.0)),
        )
        .and_then(|report| print_json(&report)),
        Task::HttpOpen {
            port,
            rate,
            seconds,
            connections,
            new_connection,
            path,
            answer_timeout,
        } => http::open(&http::Plan {
            port,
            path,
            rate,
            seconds,
            connections,
            fresh: new_connection,
            timeout: std::time::Duration::from_secs_f64(answer_timeout.clamp(0.01, 3600.0)),
        })
        .and_then(|report| print_json(&report)),
        Task::ZenMinimal { port, delay } => zen::minimal_server(port, delay),
        Task::ChartTrace { input, svg } => chart::trace(&input, &svg).map(|text| print!("{text}")),
        Task::ChartZen { input, svg } => chart::zen(&input, &svg),
        Task::ChartOpen { input, svg } => chart::open(&input, &svg),
        Task::ChartHttp { input, svg } => chart::http(&input, &svg),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("loadgen: {error}");
            ExitCode::FAILURE
        }
    }
}
