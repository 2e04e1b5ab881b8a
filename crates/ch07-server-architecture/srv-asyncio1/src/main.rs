//! `srv_asyncio1 host [-p port]`: the command line of the book's `srv_asyncio1.py` (and
//! `--delay SECONDS`).

use std::process::ExitCode;

fn main() -> ExitCode {
    let (address, options) = zen_utils::parse_command_line_with::<srv_asyncio1::Options>(
        "asyncio server using callbacks",
    );
    let result = srv_asyncio1::main(&address, options, &fopnp::Log::stdout());
    fopnp::exit_status("srv_asyncio1", result)
}
