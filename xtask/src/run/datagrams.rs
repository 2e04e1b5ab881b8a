//! Chapter 2's sessions: the UDP server in the background (ready once its socket is
//! bound), the client, then the server's log once it has printed what the client sent.

use std::path::Path;
use std::process::{Command, ExitCode};
use std::time::Duration;

use catalog::Listing;

use super::{
    Args, SERVER_STEP, Started, exit_code, flush, port_arg, run_client, show_log, start_server_of,
};

/// ` HOST`, shown as the shell needs it (`""` for the empty host), or nothing.
fn host_arg(host: &str) -> String {
    match host {
        "" => String::new(),
        host => format!(" {host}"),
    }
}

pub fn datagrams(
    listing: &Listing,
    bin: &Path,
    (server_host, client_host): (&str, &str),
    args: &[String],
    options: &Args,
) -> Result<ExitCode, String> {
    let name = listing.bin().unwrap_or_default();
    let server_args = options.server_args();
    let Started {
        mut server,
        port,
        asked,
    } = start_server_of(options.port, true, true, |port| {
        let mut command = Command::new(bin);
        command.arg("server");
        if !server_host.is_empty() {
            command.arg(server_host);
        }
        command.args(["-p", &port.to_string()]).args(&server_args);
        command
    })?;
    let shown: String = server_args.iter().map(|a| format!(" {a}")).collect();
    outln!(
        "$ {name} server{}{}{shown} > server.log &",
        host_arg(server_host),
        port_arg(asked)
    );
    let shown: String = args.iter().map(|a| format!(" {a}")).collect();
    outln!(
        "$ {name} client{}{shown}{}",
        host_arg(client_host),
        port_arg(port)
    );
    flush();
    let mut command = Command::new(bin);
    command.arg("client");
    if !client_host.is_empty() {
        command.arg(client_host);
    }
    command.args(args).args(["-p", &port.to_string()]);
    let status = match run_client(command, &mut server)? {
        Ok(status) => status,
        Err(stalled) => return Ok(stalled),
    };
    // The server runs for ever: stop it once it has printed the datagram it answered (or,
    // after a failed client, a moment later).
    let patience = if status == Some(0) {
        SERVER_STEP
    } else {
        Duration::from_millis(200)
    };
    let (_, done) = server
        .stdout
        .wait_until(patience, |log| log.contains(" says"));
    server.kill();
    server.stdout.wait_closed(SERVER_STEP);
    show_log("server.log", &server.stdout.text());
    if !done && status == Some(0) {
        outln!("# the server did not print the datagram within {SERVER_STEP:?}");
    }
    flush();
    Ok(exit_code(status))
}
