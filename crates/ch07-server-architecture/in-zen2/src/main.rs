//! `in_zen2 [--idle SECONDS] [--log FILE] [--delay SECONDS]`: started by a super-server,
//! with the listening socket as standard input.

use std::process::ExitCode;

use clap::Parser;

/// Multi-shot Zen server for the use of inetd(8): the listening socket is standard input
#[derive(Parser)]
#[command(name = "in_zen2", version)]
struct Args {
    /// not in the book: exit after SECONDS with no new connection (the book's 8)
    #[arg(long, value_name = "SECONDS", default_value_t = in_zen2::IDLE, value_parser = fopnp::cli::seconds)]
    idle: f64,
    #[command(flatten)]
    log: in_zen1::LogArg,
    #[command(flatten)]
    delay: zen_utils::DelayArg,
}

fn main() -> ExitCode {
    let args = Args::parse();
    args.delay.apply();
    #[cfg(unix)]
    let result = in_zen2::main(&args.log.log, args.idle);
    #[cfg(not(unix))]
    let result = Err(fopnp::Error::msg(
        "in_zen2 takes its socket from a Unix super-server (inetd, systemd-socket-activate)",
    ));
    fopnp::exit_status("in_zen2", result)
}
