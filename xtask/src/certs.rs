//! `cargo xtask certs [DIR]`: a CA and a certificate for `localhost` that every side of
//! Chapter 6 accepts, the ports and the book's Python 3.10 to 3.13 alike. The maker is a
//! program of its own (`catalog::CERTIFICATE_MAKER`), built when asked, so that rcgen
//! stays out of xtask.

use std::path::PathBuf;
use std::process::{Command, ExitCode};

use crate::build::{Profile, build};

pub const LONG_ABOUT: &str = "\
Write a CA and a localhost certificate for Chapter 6's listings into DIR (by default
target/certs, which cargo clean removes and git ignores)

DIR/ca.crt is a CA certificate: X.509 v3, with critical basicConstraints (CA:TRUE) and
keyUsage, and a subject key identifier. DIR/localhost.pem holds a certificate it signed
for localhost and 127.0.0.1 (subjectAltName, authority key identifier, serverAuth and
clientAuth), then its PKCS#8 key; the file is readable by its owner only. Keys are
ECDSA P-256. The book's own certificates cannot serve: its localhost.pem is X.509 v1
without a subjectAltName, which rustls refuses, and Python 3.13 refuses its ca.crt.

  cargo xtask certs certs
  safe_tls -s certs/localhost.pem 127.0.0.1 1060
  safe_tls -a certs/ca.crt localhost 1060

Existing files of those names in DIR are replaced. The key is made afresh at every
run; no key is committed, and .gitignore keeps any certs/ folder out of git.";

/// `cargo xtask certs`.
#[derive(clap::Args)]
pub struct Args {
    /// the directory to write ca.crt and localhost.pem into (made if missing; by default
    /// target/certs)
    dir: Option<PathBuf>,
}

pub fn main(args: Args) -> ExitCode {
    let dir_out = args
        .dir
        .unwrap_or_else(|| crate::build::target_dir().join("certs"));
    let (package, maker) = catalog::CERTIFICATE_MAKER;
    let dir = match build(&[package], Profile::Debug) {
        Ok(dir) => dir,
        Err(error) => {
            errln!("cargo xtask certs: {error}");
            return ExitCode::FAILURE;
        }
    };
    match Command::new(dir.join(maker)).arg(&dir_out).status() {
        Ok(status) if status.success() => {
            for file in ["ca.crt", "localhost.pem"] {
                outln!("{}", dir_out.join(file).display());
            }
            ExitCode::SUCCESS
        }
        // The maker said what failed, in one line.
        Ok(_) => ExitCode::FAILURE,
        Err(error) => {
            errln!("cargo xtask certs: cannot start {maker}: {error}");
            ExitCode::FAILURE
        }
    }
}
