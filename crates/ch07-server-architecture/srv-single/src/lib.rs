//! Foundations of Python Network Programming, Third Edition
//! <https://github.com/brandon-rhodes/fopnp/blob/m/py3/chapter07/srv_single.py>
//! Single-threaded server that serves one client at a time; others must wait.
//!
//! Listing 7-3. All of it is `zen_utils`: listen, then accept and converse, one client
//! after another. That is this architecture's lesson: while one client is connected, even
//! an idle one, every other waits in the listen queue (up to 64 of them) until it goes.
//!
//! ```text
//! $ srv_single localhost
//! $ zen_client localhost
//! ```
//!
//! # The recorded session
//!
//! `output.txt`, as `cargo xtask run` shows it, kept true by `cargo xtask transcripts --check`:
#![doc = concat!("```text\n", include_str!("../output.txt"), "```")]

use fopnp::{Error, Log};
use zen_utils::Address;

/// The listing's `if __name__ == '__main__':` block, after `parse_command_line`.
pub fn main(address: &Address, log: &Log) -> Result<(), Error> {
    let listener = zen_utils::create_srv_socket(address, log)?;
    zen_utils::accept_connections_forever(&listener, log)
}
