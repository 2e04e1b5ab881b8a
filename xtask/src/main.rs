//! `cargo xtask`: the workspace's runner.
//!
//! - `cargo xtask list`: every listing with its ID, book reference, crate and summary.
//! - `cargo xtask run ID [ARGS]...`: runs a listing's server and client and shows both
//!   transcripts the way the book's sessions do.
//! - `cargo xtask bench [--quick] [--json FILE]`: throughput, memory and concurrency of
//!   every variant pair against the loopback ceiling.

mod bench;
mod bench_zen;
mod build;
mod conform;
mod deadlock;
mod listings;
mod run;
mod trace;
mod transcripts;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "cargo xtask",
    about = "Run, measure and check the listing ports"
)]
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
        /// ask the server for this port (default: the book's 1060; 0 lets the system
        /// choose); when it is busy, the system chooses one and a note says so
        #[arg(long, value_name = "PORT", default_value_t = run::BOOK_PORT)]
        port: u16,
        /// for in_zen2: how long it waits for another connection before it exits (the
        /// book's 8 seconds)
        #[arg(long, value_name = "SECONDS", default_value_t = 8.0)]
        idle: f64,
        /// for a Chapter 3 listing: sample the connection's four socket queues every
        /// millisecond and draw them against time in FILE.svg (the samples go to FILE.json),
        /// with a compact chart on the terminal at the end
        #[arg(long, value_name = "FILE.svg")]
        trace: Option<PathBuf>,
        /// listing ID (3-1, 3-2, ...), crate name or binary name; see `cargo xtask list`
        listing: String,
        /// arguments passed to the client after its host (for 3-2: the bytecount)
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        client_args: Vec<String>,
    },
    /// Measure throughput, memory and concurrency of the variants against the loopback
    /// ceiling (release build; takes a few minutes, or under one with --quick); `bench
    /// zen` measures Chapter 7's servers under load instead
    Bench {
        #[command(subcommand)]
        zen: Option<BenchKind>,
        /// a reduced run: smaller sizes, one round; its goal lines are indicative
        #[arg(long)]
        quick: bool,
        /// also write the figures as JSON to FILE
        #[arg(long, value_name = "FILE")]
        json: Option<PathBuf>,
        /// bytes per throughput run (default 1 GiB; 128 MiB with --quick)
        #[arg(long, value_name = "BYTES")]
        bytes: Option<u64>,
        /// rounds of throughput runs (default 5; 1 with --quick)
        #[arg(long, value_name = "N")]
        rounds: Option<usize>,
        /// concurrent client counts, comma-separated (default 1,10,100,1000)
        #[arg(long, value_name = "N,...", value_delimiter = ',')]
        clients: Option<Vec<usize>>,
        /// bytes per concurrent client (default 1 MiB; 256 KiB with --quick)
        #[arg(long, value_name = "BYTES")]
        client_bytes: Option<u64>,
        /// bytes for Listing 3-2 as written (default 4 MiB; 1 MiB with --quick)
        #[arg(long, value_name = "BYTES")]
        deadlock_bytes: Option<u64>,
        /// bytes echoed on an open connection while a server is out of descriptors
        /// (default 16 MiB)
        #[arg(long, value_name = "BYTES")]
        echo_bytes: Option<u64>,
        /// build and run the dev profile instead of release (for testing this command)
        #[arg(long, hide = true)]
        debug: bool,
    },
    /// Run a family's conformance cases against any implementation (a server or client
    /// command), or against every implementation in the workspace
    #[command(long_about = conform::LONG_ABOUT)]
    Conform {
        /// which table: 3-1, 3-2 or zen
        family: conform::Family,
        /// the server to check, as a command line with {host} and {port}
        #[arg(long, value_name = "CMD", conflicts_with = "client")]
        server: Option<String>,
        /// the client to check, as a command line with {host}, {port}, {bytecount}, {args}
        #[arg(long, value_name = "CMD")]
        client: Option<String>,
        /// run only this case (its kebab-case ID, as the report shows it)
        #[arg(long, value_name = "NAME")]
        case: Option<String>,
        /// also write the report as JSON to FILE
        #[arg(long, value_name = "FILE")]
        json: Option<PathBuf>,
        /// how long a case waits for an answer, an end of file or the server to listen
        #[arg(long, value_name = "SECONDS", default_value_t = 20.0)]
        timeout: f64,
    },
    /// Re-run every listing's recorded session and rewrite its output.txt (and the
    /// README's copies); with --check, fail with a diff instead
    Transcripts {
        /// only compare: fail, with a diff and the command that fixes it, if any recorded
        /// session or README copy differs from what the code prints now
        #[arg(long)]
        check: bool,
    },
    /// Find the bytecount at which Listing 3-2 deadlocks, for several socket buffer
    /// sizes, and compare it with what the four buffers hold
    #[command(long_about = deadlock::LONG_ABOUT)]
    Deadlock {
        /// three small sizes only (4, 16 and 64 KiB, unless --sizes says), each
        /// bisected to within 6 % instead of 1.5 %: a run of seconds
        #[arg(long)]
        quick: bool,
        /// the buffer sizes to try, comma-separated, in bytes (default 4096, 16384,
        /// 65536, 262144, 1048576 and the unpinned, autotuned default)
        #[arg(long, value_name = "BYTES,...", value_delimiter = ',')]
        sizes: Option<Vec<usize>>,
        /// also write the table as JSON to FILE
        #[arg(long, value_name = "FILE")]
        json: Option<PathBuf>,
        /// build and run the dev profile instead of release (for testing this command)
        #[arg(long, hide = true)]
        debug: bool,
    },
}

#[derive(Subcommand)]
enum BenchKind {
    /// Chapter 7's servers under a closed-loop load, with and without the delay in
    /// get_answer: answers per second, latency, errors, CPU and memory, as a table, JSON
    /// and an SVG chart (release build; about 15 minutes, or under 30 s with --quick)
    Zen {
        /// a reduced run, 0.2 s a step: 10 and 100 clients without delay, 20 with; its
        /// goals are indicative
        #[arg(long)]
        quick: bool,
        /// also write every record as JSON to FILE
        #[arg(long, value_name = "FILE")]
        json: Option<PathBuf>,
        /// also draw answers per second against clients, one panel per delay, in FILE
        #[arg(long, value_name = "FILE")]
        svg: Option<PathBuf>,
        /// the delays in get_answer, in seconds, comma-separated (default 0,0.001)
        #[arg(long, value_name = "S,...", value_delimiter = ',')]
        delays: Option<Vec<f64>>,
        /// the numbers of concurrent clients, comma-separated (default 1, 2, 3, 5, 7,
        /// 10, 13, 16, 20, 100, 1000, 10000)
        #[arg(long, value_name = "N,...", value_delimiter = ',')]
        clients: Option<Vec<usize>>,
        /// seconds of load per step (default 1.5; 0.2 with --quick)
        #[arg(long, value_name = "S")]
        seconds: Option<f64>,
        /// build and run the dev profile instead of release (for testing this command)
        #[arg(long, hide = true)]
        debug: bool,
    },
}

fn main() -> ExitCode {
    match Args::parse().task {
        Task::Bench {
            zen:
                Some(BenchKind::Zen {
                    quick,
                    json,
                    svg,
                    delays,
                    clients,
                    seconds,
                    debug,
                }),
            ..
        } => {
            let mut plan = if quick {
                bench_zen::Plan::quick()
            } else {
                bench_zen::Plan::full()
            };
            plan.delays = delays.unwrap_or(plan.delays);
            if let Some(clients) = clients {
                plan.clients = clients;
                plan.delayed_clients = None;
            }
            plan.seconds = seconds.unwrap_or(plan.seconds);
            if debug {
                plan.profile = build::Profile::Debug;
            }
            bench_zen::bench(&plan, json.as_deref(), svg.as_deref())
        }
        Task::Bench {
            zen: None,
            quick,
            json,
            bytes,
            rounds,
            clients,
            client_bytes,
            deadlock_bytes,
            echo_bytes,
            debug,
        } => {
            let mut plan = if quick {
                bench::Plan::quick()
            } else {
                bench::Plan::full()
            };
            plan.bytes = bytes.unwrap_or(plan.bytes);
            plan.rounds = rounds.unwrap_or(plan.rounds).max(1);
            plan.clients = clients.unwrap_or(plan.clients);
            plan.client_bytes = client_bytes.unwrap_or(plan.client_bytes);
            plan.deadlock_bytes = deadlock_bytes.unwrap_or(plan.deadlock_bytes);
            plan.echo_bytes = echo_bytes.unwrap_or(plan.echo_bytes);
            if debug {
                plan.profile = build::Profile::Debug;
            }
            bench::bench(&plan, json.as_deref())
        }
        Task::Deadlock {
            quick,
            sizes,
            json,
            debug,
        } => {
            let sizes = match (sizes, quick) {
                (Some(sizes), _) => sizes.into_iter().map(Some).collect(),
                (None, true) => deadlock::quick_sizes(),
                (None, false) => deadlock::full_sizes(),
            };
            let profile = if debug {
                build::Profile::Debug
            } else {
                build::Profile::Release
            };
            // Bisect until the bracket is within 1/64 of the threshold (1/16 with --quick).
            let precision = if quick { 16 } else { 64 };
            deadlock::deadlock(&sizes, precision, profile, json.as_deref())
        }
        Task::Conform {
            family,
            server,
            client,
            case,
            json,
            timeout,
        } => {
            conformance::set_patience(std::time::Duration::from_secs_f64(
                timeout.clamp(0.1, 3600.0),
            ));
            conform::conform(
                family,
                server.as_deref(),
                client.as_deref(),
                case.as_deref(),
                json.as_deref(),
            )
        }
        Task::Transcripts { check } => transcripts::transcripts(check),
        Task::List => {
            listings::print_list();
            ExitCode::SUCCESS
        }
        Task::Run {
            port,
            idle,
            trace,
            listing,
            client_args,
        } => match listings::find(&listing) {
            Some(listing) => run::run(listing, &client_args, &run::Options { port, trace, idle }),
            None => {
                eprintln!("cargo xtask run: unknown listing {listing:?}; valid IDs:");
                listings::print_list_to_stderr();
                ExitCode::from(2)
            }
        },
    }
}
