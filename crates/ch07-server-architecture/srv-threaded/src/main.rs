//! `srv_threaded host [-p port]`: Listing 7-4's command line (and `--delay SECONDS`).

use std::process::ExitCode;

fn main() -> ExitCode {
    let address = zen_utils::parse_command_line("multi-threaded server");
    let result = srv_threaded::main(&address, &fopnp::Log::stdout());
    fopnp::exit_status("srv_threaded", result)
}
