//! `page53 CLAIM`: runs one of page 53's claims on real loopback sockets.

use std::io::{self, Write};
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Run page 53's claims about sockets and say whether they hold on this system
///
/// Each demonstration quotes its claim, prints each step and what the kernel answered,
/// and ends with a verdict line. Exit status 0 when it ran (whatever the verdict), 1 when
/// it could not (no loopback, say).
#[derive(Parser)]
#[command(name = "page53", version)]
struct Args {
    #[command(subcommand)]
    claim: Claim,
}

#[derive(Subcommand)]
enum Claim {
    /// shutdown(Write): the peer reads EOF, and the reply still comes back
    HalfClose,
    /// shutdown(Read): does the peer really meet an error? (not on Linux)
    ShutRd,
    /// close() of one handle versus shutdown() of the shared socket
    CloseVsShutdown,
    /// EOF (0 bytes) versus "would block" on a nonblocking socket, and a reset
    EofVsWouldblock,
    /// UDP drops what is not read in time; TCP makes the sender wait
    UdpFlood {
        /// how many 16-byte datagrams to send in each round
        #[arg(long, default_value_t = page53::udp_flood::DATAGRAMS)]
        datagrams: u64,
    },
}

fn main() -> ExitCode {
    let claim = Args::parse().claim;
    let mut out = io::stdout().lock();
    let result = match claim {
        Claim::HalfClose => page53::half_close::run(&mut out).map(drop),
        Claim::ShutRd => page53::shut_rd::run(&mut out).map(drop),
        Claim::CloseVsShutdown => page53::close_vs_shutdown::run(&mut out).map(drop),
        Claim::EofVsWouldblock => page53::eof_vs_wouldblock::run(&mut out).map(drop),
        Claim::UdpFlood { datagrams } => page53::udp_flood::run(&mut out, datagrams).map(drop),
    };
    let _ = out.flush();
    fopnp::exit_status("page53", result)
}
