//! Chapter 2's sessions: the UDP server in the background (ready once its socket is
//! bound), the client, then the server's log once it has printed what the client sent.

use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

use catalog::Listing;

use super::{
    Args, SERVER_STEP, Started, Templated, exit_code, flush, run_client, show_log, start_server_of,
};

pub fn datagrams(
    listing: &Listing,
    dir: &Path,
    args: &[String],
    options: &Args,
) -> Result<ExitCode, String> {
    let server_args = options.server_args();
    let server_line = Templated::of(listing, true, dir, "", &server_args, &[])?;
    let client_line = Templated::of(listing, false, dir, "", &[], args)?;
    let Started {
        mut server,
        port,
        asked,
    } = start_server_of(options.port, true, true, |port| server_line.command(port))?;
    outln!("$ {} > server.log &", server_line.shown(asked));
    outln!("$ {}", client_line.shown(port));
    flush();
    let command = client_line.command(port);
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
    let (_, done) = server.stdout.wait_until(patience, |log| {
        listing.log.is_none_or(|style| style.done_with_client(log))
    });
    server.kill();
    server.stdout.wait_closed(SERVER_STEP);
    show_log("server.log", &server.stdout.text());
    if !done && status == Some(0) {
        outln!("# the server did not print the datagram within {SERVER_STEP:?}");
    }
    flush();
    Ok(exit_code(status))
}
