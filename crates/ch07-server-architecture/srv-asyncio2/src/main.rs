//! `srv_asyncio2 host [-p port]`: the command line of the book's `srv_asyncio2.py` (and
//! `--delay SECONDS`, `--await-delay`).

use std::process::ExitCode;

fn main() -> ExitCode {
    let (address, options) = zen_utils::parse_command_line_with::<srv_asyncio2::Options>(
        "asyncio server using coroutine",
    );
    let result = srv_asyncio2::main(&address, options, &fopnp::Log::stdout());
    fopnp::exit_status("srv_asyncio2", result)
}
