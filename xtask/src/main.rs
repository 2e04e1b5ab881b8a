//! `cargo xtask`: the workspace's runner.
//!
//! - `cargo xtask list`: every listing with its ID, book reference, crate and summary.
//! - `cargo xtask run ID [ARGS]...`: runs a listing's server and client and shows both
//!   transcripts the way the book's sessions do.

mod listings;
mod run;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "cargo xtask", about = "Run the Chapter 3 listing ports")]
struct Args {
    #[command(subcommand)]
    task: Task,
}

#[derive(Subcommand)]
enum Task {
    /// List every listing: ID, book reference, crate and what it does
    List,
    /// Build a listing, run its server and client, and show both transcripts
    #[command(long_about = run::LONG_ABOUT)]
    Run {
        /// listing ID (3-1, 3-2, ...), crate name or binary name; see `cargo xtask list`
        listing: String,
        /// arguments passed to the client after its host (for 3-2: the bytecount)
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        client_args: Vec<String>,
    },
}

fn main() -> ExitCode {
    match Args::parse().task {
        Task::List => {
            listings::print_list();
            ExitCode::SUCCESS
        }
        Task::Run {
            listing,
            client_args,
        } => match listings::find(&listing) {
            Some(listing) => run::run(listing, &client_args),
            None => {
                eprintln!("cargo xtask run: unknown listing {listing:?}; valid IDs:");
                listings::print_list_to_stderr();
                ExitCode::from(2)
            }
        },
    }
}
