//! `http_get [--level LEVEL] [--method METHOD] [-i] [--repeat N [--fresh]] URL`: one
//! fetch at one of Chapter 9's levels, the body on stdout (curl's way: a 404 is a body
//! too); or, with `--repeat`, N fetches timed, for `cargo xtask bench http-client`.

use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use http_get::{Level, Options};

/// Fetch a URL with one of Chapter 9's HTTP clients (reqwest as requests, ureq as urllib,
/// hyper as http.client, or a socket by hand), following redirects and keeping cookies,
/// and print the body; a broken answer is one line on stderr and exit status 1
#[derive(Parser)]
#[command(name = "http_get", version)]
struct Args {
    /// the URL to fetch (http://...)
    url: String,
    /// the client: reqwest, ureq, hyper or socket
    #[arg(long, default_value = "reqwest", value_parser = level)]
    level: Level,
    /// the request's method (GET, HEAD, POST...)
    #[arg(short = 'X', long, default_value = "GET")]
    method: String,
    /// print the status line and the headers before the body, as curl -i
    #[arg(short = 'i', long)]
    include: bool,
    /// seconds to wait for a connection, or for the next bytes
    #[arg(long, default_value = "30", value_parser = fopnp::cli::positive)]
    timeout: f64,
    /// fetch the URL N times, the bodies dropped, and print how long each took
    #[arg(long, value_name = "N", value_parser = fopnp::cli::count)]
    repeat: Option<usize>,
    /// a new connection for each request (`Connection: close`), not one kept alive
    #[arg(long)]
    fresh: bool,
}

fn level(name: &str) -> Result<Level, String> {
    Level::parse(name).ok_or_else(|| format!("{name:?} is not one of reqwest, ureq, hyper, socket"))
}

fn main() -> ExitCode {
    let args = Args::parse();
    let result = run(&args);
    fopnp::exit_status("http_get", result.map_err(fopnp::Error::new))
}

fn run(args: &Args) -> Result<(), String> {
    let options = Options {
        keep_alive: !args.fresh,
        timeout: Duration::from_secs_f64(args.timeout),
    };
    let mut client = http_get::client(args.level, options)?;
    let mut out = fopnp::log::stdout();
    if let Some(n) = args.repeat {
        let report = http_get::timing::repeat(&mut *client, &args.method, &args.url, n)?;
        return writeln!(out, "{report}").map_err(|e| e.to_string());
    }
    if args.include {
        // The head is printed once it is known: fetch into memory, then print both.
        let mut body = Vec::new();
        let head = client.fetch(&args.method, &args.url, &mut body)?;
        let mut text = format!(
            "{} {}\n",
            head.status,
            head.reason.as_deref().unwrap_or_default()
        );
        for (name, value) in &head.headers {
            text.push_str(&format!("{name}: {value}\n"));
        }
        text.push('\n');
        out.write_all(text.as_bytes())
            .and_then(|()| out.write_all(&body))
            .and_then(|()| out.flush())
            .map_err(|e| e.to_string())?;
        return Ok(());
    }
    client.fetch(&args.method, &args.url, &mut out)?;
    out.flush().map_err(|e| e.to_string())
}
