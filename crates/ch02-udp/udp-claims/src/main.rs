//! `udp_claims CLAIM [--flip]`: runs one of Chapter 2's claims on real sockets.

use std::io::{self, Write};
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Run Chapter 2's claims about UDP and say whether they hold on this system
///
/// Each demonstration quotes its claim, prints each step and what the kernel answered,
/// and ends with a verdict line. `--flip` changes the one condition the claim turns on
/// (connect(), SO_BROADCAST, the buffer, the MTU), and the verdict changes with it. Exit
/// status 0 when it ran (whatever the verdict), 1 when it could not.
#[derive(Parser)]
#[command(name = "udp_claims", version)]
struct Args {
    #[command(subcommand)]
    claim: Claim,
    /// change the one condition the claim turns on
    #[arg(long, global = true)]
    flip: bool,
}

#[derive(Subcommand)]
enum Claim {
    /// an unconnected client takes a reply from anyone (--flip: connect() first)
    TakesAnyone,
    /// connect() drops strangers' datagrams and reports ICMP refusals (--flip: no connect())
    ConnectFilters,
    /// an unconnected client never learns nobody is listening (--flip: connect() first)
    NeverLearns,
    /// nothing over 65,507 bytes is sent; a short buffer truncates (--flip: a full buffer)
    SizeLimits,
    /// don't-fragment refuses what exceeds a 1500-byte path; fragments arrive whole
    /// (--flip: loopback's usual 65536-byte path)
    DontFragment {
        /// already inside the network namespace (set by the program itself)
        #[arg(long, hide = true)]
        inside: bool,
    },
    /// a broadcast without SO_BROADCAST is refused (--flip: set SO_BROADCAST)
    BroadcastNeedsPermission,
}

fn main() -> ExitCode {
    let Args { claim, flip } = Args::parse();
    let mut out = io::stdout().lock();
    let result = match claim {
        Claim::TakesAnyone => udp_claims::takes_anyone(&mut out, flip).map(drop),
        Claim::ConnectFilters => udp_claims::connect_filters(&mut out, flip).map(drop),
        Claim::NeverLearns => udp_claims::never_learns(&mut out, flip).map(drop),
        Claim::SizeLimits => udp_claims::size_limits(&mut out, flip).map(drop),
        Claim::DontFragment { inside } => {
            udp_claims::dont_fragment(&mut out, flip, inside).map(drop)
        }
        Claim::BroadcastNeedsPermission => {
            udp_claims::broadcast_needs_permission(&mut out, flip).map(drop)
        }
    };
    let _ = out.flush();
    fopnp::exit_status("udp_claims", result)
}
