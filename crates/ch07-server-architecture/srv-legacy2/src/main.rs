//! `srv_legacy2 host [-p port]`: the command line of the book's `srv_legacy2.py` (and
//! `--delay SECONDS`).

use std::process::ExitCode;

fn main() -> ExitCode {
    let address = zen_utils::parse_command_line("legacy \"asyncore\" server");
    let result = srv_legacy2::main(&address, &fopnp::Log::stdout());
    fopnp::exit_status("srv_legacy2", result)
}
