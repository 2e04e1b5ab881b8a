//! The sessions of servers of one connection. Chapter 5's: the server serves one
//! connection in the background, the client runs with `-c`, then `wait` for the server to
//! exit and show what it printed. Chapter 6's: the same, after `cargo xtask certs certs`
//! in a scratch directory, with the server given `-s certs/localhost.pem` and the client
//! `-a certs/ca.crt`.

use std::path::Path;
use std::process::{Command, ExitCode};

use catalog::Listing;

use super::{
    Args, SERVER_STEP, Started, exit_code, flush, port_arg, run_client, show_log, start_server,
};

/// A server of one connection and its client: how each runs on a port, and how its
/// command line is shown.
struct Session<'a> {
    server: &'a dyn Fn(u16) -> Command,
    server_shown: &'a dyn Fn(u16) -> String,
    client: &'a dyn Fn(u16) -> Command,
    client_shown: &'a dyn Fn(u16) -> String,
}

pub fn one_shot(
    listing: &Listing,
    bin: &Path,
    args: &[String],
    options: &Args,
) -> Result<ExitCode, String> {
    let name = listing.bin().unwrap_or_default();
    let server_args = options.server_args();
    let shown_server: String = server_args.iter().map(|a| format!(" {a}")).collect();
    let shown_client: String = args.iter().map(|a| format!(" {a}")).collect();
    serve_once(
        Session {
            server: &|port| {
                let mut command = Command::new(bin);
                command.args(["-p", &port.to_string()]).args(&server_args);
                command
            },
            server_shown: &|asked| format!("{name}{}{shown_server}", port_arg(asked)),
            client: &|port| {
                let mut command = Command::new(bin);
                command.arg("-c").args(args).args(["-p", &port.to_string()]);
                command
            },
            client_shown: &|port| format!("{name} -c{shown_client}{}", port_arg(port)),
        },
        options,
    )
}

/// Chapter 6: certificates first, in a scratch directory that both programs run in.
pub fn tls(
    listing: &Listing,
    dir: &Path,
    args: &[String],
    options: &Args,
) -> Result<ExitCode, String> {
    let name = listing.bin().unwrap_or_default();
    let bin = dir.join(name);
    let scratch = tempfile::tempdir().map_err(|e| format!("no scratch directory: {e}"))?;
    let here = scratch.path();
    let (_, maker) = catalog::CERTIFICATE_MAKER;
    outln!("$ cargo xtask certs certs");
    flush();
    let status = Command::new(dir.join(maker))
        .arg("certs")
        .current_dir(here)
        .status()
        .map_err(|e| format!("cannot start {maker}: {e}"))?;
    if !status.success() {
        return Err(format!("{maker} failed ({status})"));
    }
    let server_args = options.server_args();
    let in_scratch = |words: Vec<String>| {
        let mut command = Command::new(&bin);
        command.args(words).current_dir(here);
        command
    };
    let server_words = |port: u16| {
        let mut words: Vec<String> = server_args.clone();
        words.extend(["-s", "certs/localhost.pem", "127.0.0.1"].map(String::from));
        words.push(port.to_string());
        words
    };
    let client_words = |port: u16| {
        let mut words: Vec<String> = args.to_vec();
        words.extend(["-a", "certs/ca.crt", "localhost"].map(String::from));
        words.push(port.to_string());
        words
    };
    serve_once(
        Session {
            server: &|port| in_scratch(server_words(port)),
            server_shown: &|port| format!("{name} {}", server_words(port).join(" ")),
            client: &|port| in_scratch(client_words(port)),
            client_shown: &|port| format!("{name} {}", client_words(port).join(" ")),
        },
        options,
    )
}

fn serve_once(session: Session<'_>, options: &Args) -> Result<ExitCode, String> {
    let Started {
        mut server,
        port,
        asked,
    } = start_server(options.port, true, session.server)?;
    outln!("$ {} > server.log &", (session.server_shown)(asked));
    outln!("$ {}", (session.client_shown)(port));
    flush();
    let client_status = match run_client((session.client)(port), &mut server)? {
        Ok(status) => status,
        Err(stalled) => return Ok(stalled),
    };
    outln!("$ wait");
    flush();
    let server_status = server.wait_exit(SERVER_STEP);
    if server_status.is_none() {
        server.kill();
    }
    server.stdout.wait_closed(SERVER_STEP);
    server.stderr.wait_closed(SERVER_STEP);
    show_log("server.log", &server.stdout.text());
    // What the server said on its standard error went to the terminal.
    out!("{}", server.stderr.text());
    flush();
    Ok(match (client_status, server_status) {
        (Some(0), Some(status)) => exit_code(status.code()),
        (Some(0), None) => {
            outln!("# the server did not exit within {SERVER_STEP:?}");
            ExitCode::FAILURE
        }
        (status, _) => exit_code(status),
    })
}
