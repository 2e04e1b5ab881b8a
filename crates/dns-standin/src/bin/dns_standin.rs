//! `dns_standin [-p PORT] [--mode MODE]`: Chapter 4's stand-in DNS server, on 127.0.0.1
//! until it is stopped. It prints `Listening at ('127.0.0.1', PORT)`, then one line per
//! query.

use std::io::Write;
use std::net::{IpAddr, Ipv4Addr};
use std::process::ExitCode;

use clap::Parser;
use dns_standin::{DnsStandIn, Mode};

/// Serve a small zone under example.com (www, alias, mail1, mail2, v6only, ...) over UDP
/// and TCP on one loopback port; point a DNS client at it with --nameserver
/// 127.0.0.1:PORT
#[derive(Parser)]
#[command(name = "dns_standin", version)]
struct Args {
    /// port on 127.0.0.1, the book's 1060 as the sessions show it (0: the system
    /// chooses)
    #[arg(short = 'p', long, default_value_t = fopnp::cli::DEFAULT_PORT)]
    port: u16,
    /// answer from the zone, or never (a server that is down)
    #[arg(long, value_enum, default_value_t = Mode::Answer)]
    mode: Mode,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let log = fopnp::log::Log::stdout();
    let each = log.clone();
    // Said before any query is read; a log that cannot be written is no reason to stop.
    let listening = |port| {
        log.line_or_exit(
            "dns_standin",
            format_args!("Listening at ('127.0.0.1', {port})"),
        );
    };
    let each_query = move |line: &str| {
        each.line_or_exit("dns_standin", format_args!("{line}"));
    };
    let ip = IpAddr::V4(Ipv4Addr::LOCALHOST);
    let _stand_in = match DnsStandIn::bind(ip, args.port, args.mode, listening, each_query) {
        Ok(stand_in) => stand_in,
        Err(error) => {
            let _ = writeln!(std::io::stderr(), "dns_standin: {error}");
            return ExitCode::FAILURE;
        }
    };
    // It serves until it is stopped.
    loop {
        std::thread::park();
    }
}
