//! `examples_doctest [BASE_URL]`: Chapter 9's session at the Python prompt
//! (`examples.doctest`), run in Rust against the httpbin at BASE_URL.

use std::process::ExitCode;

use clap::Parser;

/// Run the book's Chapter 9 session (requests, urllib, http.client) with reqwest, ureq
/// and hyper against an httpbin, printing it as the doctest shows it
#[derive(Parser)]
#[command(name = "examples_doctest", version)]
struct Args {
    /// where httpbin listens (start one with `httpbin -p 8000`)
    #[arg(default_value = "http://localhost:8000")]
    base: String,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let base = args.base.trim_end_matches('/');
    let result = examples_doctest::session(base, &mut fopnp::log::stdout());
    fopnp::exit_status("examples_doctest", result.map_err(fopnp::Error::new))
}
