//! `tls_certs DIR`: writes a CA (`ca.crt`) and a certificate with its key for `localhost`
//! and `127.0.0.1` (`localhost.pem`) that the ports and the book's Python (3.10 to 3.13)
//! accept. `--cases` adds the conformance table's bad certificates.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;

/// Make certificates for Chapter 6's listings
#[derive(Parser)]
#[command(name = "tls_certs")]
struct Args {
    /// also write the conformance table's certificates: another CA and its leaf, a leaf
    /// for localhost only, an expired leaf
    #[arg(long)]
    cases: bool,
    /// where to write them (created if missing)
    dir: PathBuf,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let result = std::fs::create_dir_all(&args.dir)
        .map_err(|e| format!("cannot make {}: {e}", args.dir.display()))
        .and_then(|()| {
            if args.cases {
                tls_peer::certs::write_cases(&args.dir)
            } else {
                tls_peer::certs::write_pair(&args.dir)
            }
        });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("tls_certs: {error}");
            ExitCode::FAILURE
        }
    }
}
