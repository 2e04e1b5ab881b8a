//! `test_tls [-a cafile] [-c certfile] [-C ciphers] [-p PROTOCOL] [-s certfile] [-d] [-v]
//! host port`: the command line of Chapter 6's `test_tls.py`.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    test_tls::main(&test_tls::Args::parse())
}
