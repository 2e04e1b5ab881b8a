//! Chapter 5's sessions: the server serves one connection in the background, the client
//! runs with `-c`, then `wait` for the server to exit and show what it printed.

use std::path::Path;
use std::process::{Command, ExitCode};

use catalog::Listing;

use super::{
    Args, SERVER_STEP, Started, exit_code, flush, port_arg, run_client, show_log, start_server,
};

pub fn one_shot(
    listing: &Listing,
    bin: &Path,
    args: &[String],
    options: &Args,
) -> Result<ExitCode, String> {
    let name = listing.bin().unwrap_or_default();
    let server_args = options.server_args();
    let Started {
        mut server,
        port,
        asked,
    } = start_server(options.port, true, |port| {
        let mut command = Command::new(bin);
        command.args(["-p", &port.to_string()]).args(&server_args);
        command
    })?;
    let shown: String = server_args.iter().map(|a| format!(" {a}")).collect();
    println!("$ {name}{}{shown} > server.log &", port_arg(asked));
    let shown: String = args.iter().map(|a| format!(" {a}")).collect();
    println!("$ {name} -c{shown}{}", port_arg(port));
    flush();
    let mut command = Command::new(bin);
    command.arg("-c").args(args).args(["-p", &port.to_string()]);
    let client_status = match run_client(command, &mut server)? {
        Ok(status) => status,
        Err(stalled) => return Ok(stalled),
    };
    println!("$ wait");
    flush();
    let server_status = server.wait_exit(SERVER_STEP);
    if server_status.is_none() {
        server.kill();
    }
    server.stdout.wait_closed(SERVER_STEP);
    server.stderr.wait_closed(SERVER_STEP);
    show_log("server.log", &server.stdout.text());
    // What the server said on its standard error went to the terminal.
    print!("{}", server.stderr.text());
    flush();
    Ok(match (client_status, server_status) {
        (Some(0), Some(status)) => exit_code(status.code()),
        (Some(0), None) => {
            println!("# the server did not exit within {SERVER_STEP:?}");
            ExitCode::FAILURE
        }
        (status, _) => exit_code(status),
    })
}
