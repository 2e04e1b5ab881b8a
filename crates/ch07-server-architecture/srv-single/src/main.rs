//! `srv_single host [-p port]`: Listing 7-3's command line (and `--delay SECONDS`).

use std::process::ExitCode;

fn main() -> ExitCode {
    let address = zen_utils::parse_command_line("simple single-threaded server");
    let result = srv_single::main(&address, &fopnp::Log::stdout());
    fopnp::exit_status("srv_single", result)
}
