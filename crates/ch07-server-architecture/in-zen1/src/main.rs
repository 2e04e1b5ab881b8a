//! `in_zen1 [--log FILE] [--delay SECONDS]`: started by a super-server, with a connected
//! socket as standard input.

use std::process::ExitCode;

use clap::Parser;

/// Single-shot Zen server for the use of inetd(8): the connected socket is standard input
#[derive(Parser)]
#[command(name = "in_zen1", version)]
struct Args {
    #[command(flatten)]
    log: in_zen1::LogArg,
    #[command(flatten)]
    delay: zen_utils::DelayArg,
}

fn main() -> ExitCode {
    let args = Args::parse();
    args.delay.apply();
    #[cfg(unix)]
    let result = in_zen1::main(&args.log.log);
    #[cfg(not(unix))]
    let result = Err(fopnp::Error::msg(
        "in_zen1 takes its socket from a Unix super-server (inetd, systemd-socket-activate)",
    ));
    fopnp::exit_status("in_zen1", result)
}
