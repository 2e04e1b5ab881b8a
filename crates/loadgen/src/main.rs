//! `loadgen`: the benchmarks' own peers and charts, built in release mode by `cargo xtask
//! bench` when asked; not a listing.
//!
//! - `loadgen ceiling BYTES`: Chapter 3's loopback ceiling.
//! - `loadgen stream-load CLIENTS BYTES PORT`: many clients of Listing 3-2's protocol.

mod stream;

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
}

fn main() -> ExitCode {
    let result = match Args::parse().task {
        Task::Ceiling { bytes } => stream::ceiling(bytes),
        Task::StreamLoad {
            clients,
            bytes,
            port,
        } => stream::load(clients, bytes, port),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("loadgen: {error}");
            ExitCode::FAILURE
        }
    }
}
