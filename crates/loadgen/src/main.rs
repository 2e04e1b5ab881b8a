//! `loadgen`: the benchmarks' own peers and charts, built by `cargo xtask` when asked;
//! not a listing.
//!
//! - `loadgen ceiling BYTES`: Chapter 3's loopback ceiling.
//! - `loadgen stream-load CLIENTS BYTES PORT`: many clients of Listing 3-2's protocol.
//! - `loadgen chart-trace TRACE.json OUT.svg`: the four socket queues of a session
//!   (`cargo xtask run --trace`), drawn, with a compact chart on standard output.

mod chart;
mod stream;

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
    Ceiling { bytes: u64 },
    /// CLIENTS connections at once to the uppercase server at PORT, BYTES each, checked
    StreamLoad {
        clients: usize,
        bytes: u64,
        port: u16,
    },
    /// Draw the socket queues of a session (JSON from cargo xtask run --trace) as SVG
    ChartTrace { input: PathBuf, svg: PathBuf },
}

fn main() -> ExitCode {
    let result: Result<(), String> = match Args::parse().task {
        Task::Ceiling { bytes } => stream::ceiling(bytes).map_err(|e| e.to_string()),
        Task::StreamLoad {
            clients,
            bytes,
            port,
        } => stream::load(clients, bytes, port).map_err(|e| e.to_string()),
        Task::ChartTrace { input, svg } => chart::trace(&input, &svg).map(|text| print!("{text}")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("loadgen: {error}");
            ExitCode::FAILURE
        }
    }
}
