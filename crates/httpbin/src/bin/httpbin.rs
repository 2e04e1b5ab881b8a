//! `httpbin [-p PORT] [--close] [host]`: the HTTP chapters' stand-in for httpbin, until it
//! is stopped. It prints `Listening at ('HOST', PORT)`, then one line per request.

use std::io::Write;
use std::net::{IpAddr, SocketAddr};
use std::process::ExitCode;

use clap::Parser;

/// Serve httpbin's endpoints (get, headers, status, redirects, basic-auth, cookies,
/// cache, etag, gzip, deflate, stream, image, anything, post...) on loopback, with its
/// reason phrases and JSON, for the HTTP chapters' clients
#[derive(Parser)]
#[command(name = "httpbin", version)]
struct Args {
    /// the address to listen on (loopback only: 127.0.0.1 or ::1)
    #[arg(default_value = "127.0.0.1")]
    host: IpAddr,
    /// port (0, the default: the system chooses; the book's is 8000)
    #[arg(short = 'p', long, default_value_t = 0)]
    port: u16,
    /// close every connection after its answer, as gunicorn's sync worker does (the
    /// book's http.client example depends on it)
    #[arg(long)]
    close: bool,
}

fn main() -> ExitCode {
    let args = Args::parse();
    if !args.host.is_loopback() {
        // Its /redirect-to-style helpers are not served, but it is a test double all the
        // same: it listens on loopback only.
        let _ = writeln!(
            std::io::stderr(),
            "httpbin: {} is not a loopback address",
            args.host
        );
        return ExitCode::from(2);
    }
    let log = fopnp::log::Log::stdout();
    let each = log.clone();
    let host = args.host;
    let listening = |port| {
        log.line_or_exit("httpbin", format_args!("Listening at ('{host}', {port})"));
    };
    let each_request = move |line: &str| {
        each.line_or_exit("httpbin", format_args!("{line}"));
    };
    let addr = SocketAddr::new(args.host, args.port);
    let _server = match httpbin::HttpBin::bind(addr, args.close, listening, each_request) {
        Ok(server) => server,
        Err(error) => {
            let _ = writeln!(std::io::stderr(), "httpbin: {error}");
            return ExitCode::FAILURE;
        }
    };
    loop {
        std::thread::park();
    }
}
