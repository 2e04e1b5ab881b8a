//! `srv_async host [-p port]`: Listing 7-6's command line (and `--delay SECONDS`).

use std::process::ExitCode;

fn main() -> ExitCode {
    let address = zen_utils::parse_command_line("low-level async server");
    let result = srv_async::main(&address, &fopnp::Log::stdout());
    fopnp::exit_status("srv_async", result)
}
