//! Foundations of Python Network Programming, Third Edition
//! <https://github.com/brandon-rhodes/fopnp/blob/m/py3/chapter07/srv_threaded.py>
//! Using multiple threads to serve several clients in parallel.
//!
//! Listing 7-4: four threads, each running `zen_utils`' accept loop on the one shared
//! listening socket; the kernel hands each new connection to one of the threads blocked
//! in `accept()`. Four clients are served at once, and no more: four idle clients hold
//! all four threads, and a fifth waits in the listen queue until one of them goes. That
//! fixed pool is this architecture's lesson.
//!
//! ```text
//! $ srv_threaded localhost
//! $ zen_client localhost
//! ```
//!
//! # The recorded session
//!
//! `output.txt`, as `cargo xtask run` shows it, kept true by `cargo xtask transcripts --check`:
#![doc = concat!("```text\n", include_str!("../output.txt"), "```")]

use std::net::TcpListener;
use std::sync::{Arc, mpsc};
use std::thread;

use fopnp::{Error, Log};
use zen_utils::Address;

/// How many threads the book starts.
pub const WORKERS: usize = 4;

/// `server(listener, workers=4)`: starts `workers` threads, each accepting and serving
/// connections on `listener` forever. Returns when one of them ends: the listening socket
/// was closed, or the log could not be written.
pub fn server(listener: TcpListener, workers: usize, log: &Log) -> Result<(), Error> {
    let listener = Arc::new(listener); // t = (listener,)
    let (ended, first) = mpsc::channel();
    for _ in 0..workers {
        let (listener, log, ended) = (Arc::clone(&listener), log.clone(), ended.clone());
        // Thread(target=zen_utils.accept_connections_forever, args=t).start()
        thread::spawn(move || {
            let _ = ended.send(zen_utils::accept_connections_forever(&*listener, &log));
        });
    }
    // Python's main thread simply ends and the workers run on; here it waits for them.
    first
        .recv()
        .unwrap_or_else(|_| Err(Error::msg("every worker thread ended")))
}

/// The listing's `if __name__ == '__main__':` block, after `parse_command_line`.
pub fn main(address: &Address, log: &Log) -> Result<(), Error> {
    let listener = zen_utils::create_srv_socket(address, log)?;
    server(listener, WORKERS, log)
}
