//! `cargo xtask`: the workspace's runner. One module per task, each with its own flags;
//! what several tasks share lives in a module named for that job ([`build`], [`report`]).
//! The listings themselves are facts in the `catalog` crate.

#[macro_use]
mod out;

mod bench;
mod bench_http;
mod bench_http_server;
mod bench_zen;
mod build;
mod certs;
mod conform;
mod deadlock;
mod listings;
mod report;
mod run;
mod tidy;
mod transcripts;

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
    #[command(long_about = run::long_about())]
    Run(run::Args),
    /// Measure throughput, memory and concurrency of the variants against the loopback
    /// ceiling (release build; a few minutes, or about 20 s with --quick once built: the
    /// first release build adds a minute or more); `bench zen` measures Chapter 7's
    /// servers under load instead
    Bench(bench::Args),
    /// Run a family's conformance cases against any implementation (a server or client
    /// command), or against every implementation in the workspace
    #[command(long_about = conform::LONG_ABOUT)]
    Conform(conform::Args),
    /// Re-run every listing's recorded session and rewrite its output.txt (and the
    /// README's copies and table of listings); with --check, fail with a diff instead
    Transcripts(transcripts::Args),
    /// Find the bytecount at which Listing 3-2 deadlocks, for several socket buffer
    /// sizes, and compare it with what the four buffers hold
    #[command(long_about = deadlock::LONG_ABOUT)]
    Deadlock(deadlock::Args),
    /// Write a CA (ca.crt) and a localhost certificate (localhost.pem) for Chapter 6
    #[command(long_about = certs::LONG_ABOUT)]
    Certs(certs::Args),
}

fn main() -> ExitCode {
    let code = task(Args::parse());
    // A closed standard output was said in one line when it was met; the task ran to its
    // end, and its exit status is then a failure whatever the task's own was.
    if out::was_closed() {
        return ExitCode::FAILURE;
    }
    code
}

fn task(args: Args) -> ExitCode {
    match args.task {
        Task::List => listings::print(),
        Task::Run(args) => run::main(args),
        Task::Bench(bench::Args {
            zen: Some(bench::Kind::Zen(args)),
            ..
        }) => bench_zen::main(args),
        Task::Bench(bench::Args {
            zen: Some(bench::Kind::HttpClient(args)),
            ..
        }) => bench_http::main(args),
        Task::Bench(bench::Args {
            zen: Some(bench::Kind::Http(args)),
            ..
        }) => bench_http_server::main(args),
        Task::Bench(args) => bench::main(args),
        Task::Conform(args) => conform::main(args),
        Task::Transcripts(args) => transcripts::main(args),
        Task::Deadlock(args) => deadlock::main(args),
        Task::Certs(args) => certs::main(args),
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    /// Every task's flags are well formed, and those with a parser of their own parse into
    /// their fields (a mismatch would only show when a reader used the flag).
    #[test]
    fn the_flags_parse() {
        Args::command().debug_assert();
        for line in [
            "bench --clients 1,10 --bytes 4096 --rounds 2",
            "bench --json x.json --echo-bytes 1",
            "bench zen --servers 'srv_async,in_zen1 (inetd, -a)'",
            "bench zen --delays 0,0.001 --seconds 1 --clients 2",
            "bench zen --open --rates 100,200 --servers srv_single",
            "bench http-client --quick --python /usr/bin/python3 --json h.json",
            "bench http --quick --book fopnp --python /usr/bin/python3 --svg h.svg",
            "deadlock --sizes 4096,8192 --json d.json",
            "conform 3-2 --timeout 2 --case a,b --json c.json",
            "run --trace t.svg --server-args x 3-2 32",
        ] {
            let words = shlex::split(&format!("xtask {line}")).unwrap();
            if let Err(error) = Args::try_parse_from(&words) {
                panic!("{line}: {error}");
            }
        }
    }
}
