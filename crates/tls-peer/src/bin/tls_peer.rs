//! `tls_peer client|server ...`: the TLS side of `cargo xtask conform tls`, which links
//! no TLS library. It prints what it saw as `key value` lines
//! (`conformance::tls::Report`); a server first prints `port N`.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};
use conformance::tls::{PeerClient, PeerServer, Serving, Version};

/// The TLS peer of Chapter 6's conformance table
#[derive(Parser)]
#[command(name = "tls_peer")]
struct Args {
    #[command(subcommand)]
    role: Role,
}

#[derive(Subcommand)]
enum Role {
    /// connect to 127.0.0.1:PORT, checking the name localhost, and read to the end
    Client {
        #[arg(long)]
        port: u16,
        #[arg(long)]
        cafile: PathBuf,
        /// a client certificate (and key) to present
        #[arg(long)]
        cert: Option<PathBuf>,
        /// 1.2 or 1.3 only
        #[arg(long)]
        version: Option<String>,
    },
    /// serve one connection on a free port of 127.0.0.1
    Server {
        #[arg(long)]
        cert: PathBuf,
        #[arg(long)]
        version: Option<String>,
        #[arg(long, default_value = "")]
        payload: String,
        /// close as the book's server does, without close_notify
        #[arg(long)]
        no_close_notify: bool,
    },
}

fn version(arg: Option<String>) -> Result<Option<Version>, String> {
    match arg.as_deref() {
        None => Ok(None),
        Some("1.2") => Ok(Some(Version::Tls12)),
        Some("1.3") => Ok(Some(Version::Tls13)),
        Some(other) => Err(format!("--version takes 1.2 or 1.3, not {other:?}")),
    }
}

fn main() -> ExitCode {
    let result = match Args::parse().role {
        Role::Client {
            port,
            cafile,
            cert,
            version: v,
        } => version(v).map(|version| {
            let report = tls_peer::client(&PeerClient {
                port,
                cafile,
                certfile: cert,
                version,
            });
            print!("{}", report.to_lines());
        }),
        Role::Server {
            cert,
            version: v,
            payload,
            no_close_notify,
        } => version(v).and_then(|version| {
            let server = tls_peer::server(&PeerServer {
                certfile: cert,
                version,
                payload: payload.into_bytes(),
                close_notify: !no_close_notify,
            })?;
            println!("port {}", server.port());
            let _ = std::io::stdout().flush();
            let report = Box::new(server).report(Duration::from_secs(3600));
            print!("{}", report.to_lines());
            Ok(())
        }),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("tls_peer: {error}");
            ExitCode::from(2)
        }
    }
}
