//! The book's command line: `{client,server} host [-p PORT]`, argparse-style.
//!
//! A malformed command line (no role, an unknown role, a port that is not a number from 0
//! to 65535) gets clap's usage error on stderr and exit status 2, as argparse does; so
//! does a number out of range for the flags the ports and their tools add (`--delay`,
//! `--clients`): see [`seconds`], [`positive`], [`count`] and [`bytes`].

use clap::{Args, ValueEnum};

/// Where a client connects instead of where its host's name leads, and whom it trusts for
/// https: Chapter 1's scripts name their services' hosts and ports in their code, so a
/// port reaches a stand-in on loopback through these (a departure: the scripts take no
/// options). The URL, the Host header and the TLS server name stay the script's.
#[derive(Args, Clone, Debug, Default)]
pub struct Redirect {
    /// connect to this address (an IP address and a port, never looked up) instead of
    /// the service's; what the request names stays the same
    #[arg(long, value_name = "IP:PORT")]
    pub connect: Option<std::net::SocketAddr>,
    /// for https, trust the CA certificates in this PEM file, instead of the system's
    /// store (which SSL_CERT_FILE names, as for Python)
    #[arg(long, value_name = "FILE")]
    pub ca: Option<std::path::PathBuf>,
}

/// A search script's command line (Chapter 1's `search1` to `search4`): the book's
/// service, or the one the repository's version of the script asks today.
#[derive(Args, Clone, Debug, Default)]
pub struct Search {
    /// ask OpenStreetMap's Nominatim over https, as the repository's version of the
    /// script does today (the book's asks Google's geocoder)
    #[arg(long)]
    pub nominatim: bool,
    #[command(flatten)]
    pub redirect: Redirect,
}

/// One of a search script's two versions: its query, printed to `out`.
pub type SearchFn = fn(&Redirect, &mut dyn std::io::Write) -> Result<(), crate::Error>;

impl Search {
    /// Runs the version the command line picks and ends the program as every binary
    /// here ends ([`crate::exit_status`]).
    pub fn run(
        &self,
        program: &str,
        book: SearchFn,
        repository: SearchFn,
    ) -> std::process::ExitCode {
        let version = if self.nominatim { repository } else { book };
        crate::exit_status(program, version(&self.redirect, &mut crate::log::stdout()))
    }
}

/// The book's port for every Chapter 3 listing.
pub const DEFAULT_PORT: u16 = 1060;

/// A number of seconds: finite, not negative, at most a day (`--delay`, `--idle`).
pub fn seconds(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(seconds) if (0.0..=86_400.0).contains(&seconds) => Ok(seconds),
        Ok(_) => Err("must be a number of seconds from 0 to 86400".into()),
        Err(error) => Err(error.to_string()),
    }
}

/// A number above 0 and finite: a duration that must pass, or a rate.
pub fn positive(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(x) if x.is_finite() && x > 0.0 => Ok(x),
        Ok(_) => Err("must be a finite number above 0".into()),
        Err(error) => Err(error.to_string()),
    }
}

/// A count of at least 1 (clients, rounds, bytes).
pub fn count(text: &str) -> Result<usize, String> {
    match text.parse::<usize>() {
        Ok(0) => Err("must be at least 1".into()),
        Ok(n) => Ok(n),
        Err(error) => Err(error.to_string()),
    }
}

/// A byte count of at least 1.
pub fn bytes(text: &str) -> Result<u64, String> {
    count(text).map(|n| n as u64)
}

/// `role`: which function of the listing to run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Role {
    /// connect to HOST and talk to the server there
    Client,
    /// listen at HOST and serve clients forever
    Server,
}

/// The arguments every Chapter 3 listing takes: `role host [-p PORT]`.
#[derive(Clone, Debug, Args)]
pub struct Endpoint {
    /// which role to play
    pub role: Role,

    /// interface the server listens at; host the client sends to ("" means every IPv4
    /// interface, 0.0.0.0)
    pub host: String,

    /// TCP port (default 1060; 0 lets the system choose, and the server prints it)
    #[arg(short = 'p', value_name = "PORT", default_value_t = DEFAULT_PORT, hide_default_value = true)]
    pub port: u16,
}

/// `udp_local`'s command line, `{client,server} [-p PORT]`: loopback only.
#[derive(Clone, Debug, Args)]
pub struct UdpLocal {
    /// which role to play
    pub role: Role,

    /// UDP port (default 1060)
    #[arg(short = 'p', value_name = "PORT", default_value_t = DEFAULT_PORT, hide_default_value = true)]
    pub port: u16,
}

/// Chapter 2's other command lines, `{client,server} host [-p PORT]`.
#[derive(Clone, Debug, Args)]
pub struct UdpEndpoint {
    /// which role to take
    pub role: Role,

    /// interface the server listens at; host the client sends to ("" means every IPv4
    /// interface, `<broadcast>` the limited broadcast address 255.255.255.255)
    pub host: String,

    /// UDP port (default 1060)
    #[arg(short = 'p', value_name = "PORT", default_value_t = DEFAULT_PORT, hide_default_value = true)]
    pub port: u16,
}

/// Chapter 5's command line, `[-c] [-p port] [hostname]`: a server by default, the
/// client with `-c`, on 127.0.0.1 unless a host is given.
#[derive(Clone, Debug, Args)]
pub struct Address {
    /// IP address or hostname (default: 127.0.0.1)
    #[arg(default_value = "127.0.0.1", hide_default_value = true)]
    pub hostname: String,

    /// run as the client
    #[arg(short = 'c')]
    pub client: bool,

    /// TCP port number (default: 1060)
    #[arg(short = 'p', value_name = "port", default_value_t = DEFAULT_PORT, hide_default_value = true)]
    pub port: u16,
}

/// Listing 3-2's extra positional argument, shared by its threaded and nonblocking
/// variants: `role host [bytecount] [-p PORT]`.
#[derive(Clone, Debug, Args)]
pub struct StreamEndpoint {
    #[command(flatten)]
    pub endpoint: Endpoint,

    /// number of bytes for client to send (default 16; rounded up to a multiple of 16)
    #[arg(default_value_t = 16, hide_default_value = true)]
    pub bytecount: u64,

    #[command(flatten)]
    pub buffers: Buffers,
}

/// `--sndbuf BYTES --rcvbuf BYTES`: not in the book. They pin a socket's kernel buffers
/// (the client's before it connects; the server's listener before `listen()`, so that
/// every accepted socket inherits them), to watch Listing 3-2's deadlock threshold follow
/// the buffer sizes. With either given, the program prints the sizes granted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Args)]
pub struct Buffers {
    /// not in the book: ask for a send buffer of BYTES (SO_SNDBUF) and print the sizes
    /// granted (Linux caps the request at net.core.wmem_max, then doubles it)
    #[arg(long, value_name = "BYTES")]
    pub sndbuf: Option<usize>,

    /// not in the book: ask for a receive buffer of BYTES (SO_RCVBUF) and print the sizes
    /// granted (capped at net.core.rmem_max, then doubled; this also turns off Linux's
    /// receive-buffer autotuning for the socket)
    #[arg(long, value_name = "BYTES")]
    pub rcvbuf: Option<usize>,
}

impl Buffers {
    /// Whether either size was given (then the granted sizes are printed).
    pub fn pinned(&self) -> bool {
        self.sndbuf.is_some() || self.rcvbuf.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Debug, Parser)]
    struct Sixteen {
        #[command(flatten)]
        endpoint: Endpoint,
    }

    #[derive(Debug, Parser)]
    struct Deadlock {
        #[command(flatten)]
        stream: StreamEndpoint,
    }

    fn parse(args: &[&str]) -> Result<Sixteen, clap::Error> {
        Sixteen::try_parse_from(std::iter::once("listing").chain(args.iter().copied()))
    }

    #[test]
    fn numbers_out_of_range_are_refused() {
        assert_eq!(seconds("0.001"), Ok(0.001));
        for bad in ["-1", "NaN", "inf", "86401", "soon"] {
            assert!(seconds(bad).is_err(), "{bad}");
        }
        assert_eq!(positive("0.5"), Ok(0.5));
        for bad in ["0", "-1", "nan", "inf", "x"] {
            assert!(positive(bad).is_err(), "{bad}");
        }
        assert_eq!((count("3"), bytes("4096")), (Ok(3), Ok(4096)));
        assert!(count("0").is_err() && count("-1").is_err() && bytes("x").is_err());
    }

    #[test]
    fn role_host_and_default_port() {
        let args = parse(&["client", "localhost"]).unwrap().endpoint;
        assert_eq!(args.role, Role::Client);
        assert_eq!(args.host, "localhost");
        assert_eq!(args.port, 1060);
    }

    #[test]
    fn empty_host_and_explicit_port() {
        let args = parse(&["server", "", "-p", "0"]).unwrap().endpoint;
        assert_eq!(args.role, Role::Server);
        assert_eq!(args.host, "");
        assert_eq!(args.port, 0);
    }

    #[test]
    fn malformed_command_lines_are_usage_errors() {
        for bad in [
            &[][..],
            &["client"],
            &["player", "localhost"],
            &["client", "localhost", "-p", "65536"],
            &["client", "localhost", "-p", "http"],
            &["client", "localhost", "-p", "-1"],
        ] {
            let error = parse(bad).unwrap_err();
            assert_eq!(error.exit_code(), 2, "{bad:?} should be a usage error");
        }
    }

    #[test]
    fn bytecount_follows_host_and_defaults_to_16() {
        let parse = |args: &[&str]| {
            Deadlock::try_parse_from(std::iter::once("listing").chain(args.iter().copied()))
        };
        let args = parse(&["client", "localhost"]).unwrap().stream;
        assert_eq!(args.bytecount, 16);
        let args = parse(&["client", "localhost", "18446744073709551615", "-p", "9"])
            .unwrap()
            .stream;
        assert_eq!(args.bytecount, u64::MAX);
        assert_eq!(args.endpoint.port, 9);
        for bad in [&["client", "h", "-5"][..], &["client", "h", "lots"]] {
            assert_eq!(parse(bad).unwrap_err().exit_code(), 2, "{bad:?}");
        }
    }

    #[test]
    fn buffers_are_optional_additions() {
        let parse = |args: &[&str]| {
            Deadlock::try_parse_from(std::iter::once("listing").chain(args.iter().copied()))
        };
        let plain = parse(&["server", "", "-p", "0"]).unwrap().stream;
        assert!(!plain.buffers.pinned());
        let pinned = parse(&["client", "h", "64", "--sndbuf", "4096", "--rcvbuf", "8192"])
            .unwrap()
            .stream;
        assert_eq!(
            pinned.buffers,
            Buffers {
                sndbuf: Some(4096),
                rcvbuf: Some(8192)
            }
        );
        assert_eq!(
            parse(&["client", "h", "--sndbuf", "big"])
                .unwrap_err()
                .exit_code(),
            2
        );
    }
}
