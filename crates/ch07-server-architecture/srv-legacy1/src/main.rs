//! `srv_legacy1 host [-p port]`: Listing 7-5's command line (and `--delay SECONDS`).

use std::process::ExitCode;

fn main() -> ExitCode {
    let address = zen_utils::parse_command_line("legacy \"SocketServer\" server");
    let result = srv_legacy1::main(&address, &fopnp::Log::stdout());
    fopnp::exit_status("srv_legacy1", result)
}
