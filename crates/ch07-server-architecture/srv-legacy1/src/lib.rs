//! Foundations of Python Network Programming, Third Edition
//! <https://github.com/brandon-rhodes/fopnp/blob/m/py3/chapter07/srv_legacy1.py>
//! Uses the legacy "socketserver" Standard Library module to write a server.
//!
//! Listing 7-5. Rust has no `socketserver`, so this crate carries the smallest faithful
//! stand-in: a [`TcpServer`] that binds (with `allow_reuse_address`), listens with
//! socketserver's `request_queue_size` of 5, and in `serve_forever` accepts connections
//! and hands each to a [`BaseRequestHandler`], on a new thread of its own as
//! `ThreadingMixIn` does. Like socketserver, it prints nothing itself: no `Listening at`,
//! no `Accepted` line; only the handler's lines from `zen_utils.handle_conversation`.
//!
//! The book warns against this module: a thread per connection with no limit at all. A
//! flood of clients becomes a flood of threads, each with its stack and its share of the
//! scheduler, until memory or the system's thread limit runs out; and the listen queue of
//! 5 drops connections a busier server would have queued. (This port survives a failed
//! thread start by closing that one connection with a line in the log.)
//!
//! ```text
//! $ srv_legacy1 localhost
//! $ zen_client localhost
//! ```
//!
//! # The recorded session
//!
//! `output.txt`, as `cargo xtask run` shows it, kept true by `cargo xtask transcripts --check`:
#![doc = concat!("```text\n", include_str!("../output.txt"), "```")]

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::thread;

use fopnp::net::{AcceptFailures, AfterFailure};
use fopnp::{Error, Log, PyAddr, logln};
use zen_utils::Address;

/// socketserver's `BaseRequestHandler`: `handle()` serves one connection (`self.request`)
/// from `self.client_address`.
pub trait BaseRequestHandler {
    fn handle(request: TcpStream, client_address: SocketAddr, log: &Log);
}

/// `class ZenHandler(BaseRequestHandler)`.
pub struct ZenHandler;

impl BaseRequestHandler for ZenHandler {
    /// `zen_utils.handle_conversation(self.request, self.client_address)`
    fn handle(request: TcpStream, client_address: SocketAddr, log: &Log) {
        let _ = zen_utils::handle_conversation(request, client_address, log);
    }
}

/// socketserver's `TCPServer` with `ThreadingMixIn`: `class ZenServer(ThreadingMixIn,
/// TCPServer)` with `allow_reuse_address = 1`.
pub struct TcpServer {
    socket: TcpListener,
    log: Log,
}

/// Stack for each request's thread: it holds no large buffer.
const THREAD_STACK: usize = 256 * 1024;

impl TcpServer {
    /// `TCPServer.request_queue_size`.
    pub const REQUEST_QUEUE_SIZE: i32 = 5;

    /// `ZenServer(address, ZenHandler)`: `server_bind()` (with `SO_REUSEADDR`, as
    /// `allow_reuse_address` says) and `server_activate()` (`listen(5)`).
    pub fn new(address: &Address, log: &Log) -> Result<Self, Error> {
        let socket = fopnp::net::listen(&address.host, address.port, Self::REQUEST_QUEUE_SIZE)?;
        Ok(Self::from_listener(socket, log))
    }

    /// A server over a socket that already listens.
    pub fn from_listener(socket: TcpListener, log: &Log) -> Self {
        Self {
            socket,
            log: log.clone(),
        }
    }

    /// `serve_forever()`: accept each connection and process it on a new thread
    /// (`ThreadingMixIn.process_request`). Returns only when the listening socket fails.
    pub fn serve_forever<H: BaseRequestHandler>(&self) -> Result<(), Error> {
        let mut failures = AcceptFailures::default();
        loop {
            let (request, client_address) = match self.socket.accept() {
                Ok(accepted) => accepted,
                // socketserver reports a failed accept() and goes on, and so does this
                // (pausing while out of file descriptors).
                Err(error) => {
                    let after = failures.failed(error, &mut **self.log.lock())?;
                    if let AfterFailure::Pause(pause) = after {
                        thread::sleep(pause);
                    }
                    continue;
                }
            };
            failures.working(&mut **self.log.lock())?;
            let log = self.log.clone();
            let started = thread::Builder::new()
                .stack_size(THREAD_STACK)
                .spawn(move || H::handle(request, client_address, &log));
            if let Err(error) = started {
                // Python's socketserver prints a traceback for a thread that cannot
                // start and closes the request; this says so in one line.
                logln!(
                    self.log,
                    "Client {} error: cannot start a thread for it: {error}",
                    PyAddr(client_address)
                )?;
            }
        }
    }
}

/// The listing's `if __name__ == '__main__':` block, after `parse_command_line`.
pub fn main(address: &Address, log: &Log) -> Result<(), Error> {
    let server = TcpServer::new(address, log)?;
    server.serve_forever::<ZenHandler>()
}
