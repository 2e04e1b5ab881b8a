//! Foundations of Python Network Programming, Third Edition
//! <https://github.com/brandon-rhodes/fopnp/blob/m/py3/chapter07/srv_asyncio2.py>
//! Asynchronous I/O inside an "asyncio" coroutine.
//!
//! The conversation is written as straight-line code again, as in `zen_utils`, but as an
//! `async fn`: where it would block (`reader.read(4096)`, `writer.write_all(answer)`) it
//! `await`s instead, and the runtime runs some other client's task meanwhile. tokio is the
//! runtime here, as asyncio is in the book: `tokio::net::TcpListener::accept().await`
//! takes `asyncio.start_server`'s place, and `tokio::spawn` starts a task per connection.
//!
//! The runtime is tokio's *current-thread* one by default, because asyncio's loop is one
//! thread. tokio's multi-thread runtime would run the tasks on a thread per core instead,
//! so two clients' conversations could truly run at once, and one blocked task would
//! stall one worker thread rather than everyone.
//!
//! With `--delay`, the sleep in `get_answer` is `std::thread::sleep`, exactly as
//! `time.sleep` is in the book's `zen_utils`: it blocks the loop's one thread, so no other
//! client is served while one waits. That is the classic mistake in asynchronous code: a
//! blocking call inside a coroutine stalls every coroutine. `--await-delay` is the fix:
//! the same delay as `tokio::time::sleep(...).await`, during which the runtime serves
//! other clients (the book's equivalent is `await asyncio.sleep(...)`).
//!
//! ```text
//! $ srv_asyncio2 localhost
//! $ zen_client localhost
//! ```
//!
//! # The recorded session
//!
//! `output.txt`, as `cargo xtask run` shows it, kept true by `cargo xtask transcripts --check`:
#![doc = concat!("```text\n", include_str!("../output.txt"), "```")]

use std::net::SocketAddr;

use clap::Args;
use fopnp::{Error, Log, PyAddr, PyBytes, logln};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use zen_utils::{Address, ConversationError};

/// `srv_asyncio2`'s options beyond the book's command line.
#[derive(Clone, Copy, Debug, Default, Args)]
pub struct Options {
    /// not in the book: wait out --delay with tokio::time::sleep(...).await, which lets
    /// the loop serve other clients meanwhile, instead of blocking it with a thread sleep
    #[arg(long)]
    pub await_delay: bool,
}

/// `handle_conversation(reader, writer)`: the coroutine that talks to one client.
pub async fn handle_conversation(
    mut reader: OwnedReadHalf,
    mut writer: OwnedWriteHalf,
    address: SocketAddr,
    options: Options,
    log: Log,
) {
    let address = PyAddr(address);
    let _ = logln!(log, "Accepted connection from {address}");
    let mut more_data = [0; 4096];
    loop {
        let mut data = Vec::new();
        while !data.ends_with(b"?") {
            // more_data = yield from reader.read(4096)
            let n = match reader.read(&mut more_data).await {
                Ok(n) => n,
                // Departure from the book: a reset ends Python's coroutine with an
                // exception that asyncio reports as never retrieved; here, one line.
                Err(error) => {
                    let _ = logln!(log, "Client {address} error: {error}");
                    return;
                }
            };
            if n == 0 {
                let _ = if !data.is_empty() {
                    logln!(
                        log,
                        "Client {address} sent {} but then closed",
                        PyBytes(&data)
                    )
                } else {
                    logln!(log, "Client {address} closed socket normally")
                };
                return;
            }
            data.extend_from_slice(&more_data[..n]);
            if zen_utils::too_long(&data) {
                // Not in the book, whose data grows for ever: a question may take up to
                // MAX_MESSAGE bytes.
                let error = ConversationError::TooLong(data.len());
                let _ = logln!(log, "Client {address} error: {error}");
                return;
            }
        }
        let answer = if options.await_delay {
            let delay = zen_utils::delay();
            if !delay.is_zero() {
                tokio::time::sleep(delay).await;
            }
            zen_utils::lookup(&data)
        } else {
            zen_utils::get_answer(&data) // blocks the loop while it sleeps, as the book's
        };
        // Departure from the book's writer.write(answer), which never waits: a client
        // that never reads would make asyncio buffer answers without end, while this
        // waits until the socket takes the answer.
        if let Err(error) = writer.write_all(answer).await {
            let _ = logln!(log, "Client {address} error: {error}");
            return;
        }
    }
}

/// Accepts connections forever, a task for each: `asyncio.start_server`'s loop. Returns
/// only when the listener fails or the log cannot be written.
pub async fn serve(listener: TcpListener, options: Options, log: Log) -> Result<(), Error> {
    let mut failures = fopnp::net::AcceptFailures::default();
    loop {
        let (sock, address): (TcpStream, SocketAddr) = match listener.accept().await {
            Ok(accepted) => accepted,
            // asyncio logs a failed accept() and goes on; so does this, pausing while out
            // of file descriptors (the runtime serves the open connections meanwhile).
            Err(error) => {
                let after = failures.failed(error, &mut **log.lock())?;
                if let fopnp::net::AfterFailure::Pause(pause) = after {
                    tokio::time::sleep(pause).await;
                }
                continue;
            }
        };
        failures.working(&mut **log.lock())?;
        let (reader, writer) = sock.into_split();
        tokio::spawn(handle_conversation(
            reader,
            writer,
            address,
            options,
            log.clone(),
        ));
    }
}

/// Runs [`serve`] on a current-thread runtime, over a socket that already listens.
pub fn serve_blocking(
    listener: std::net::TcpListener,
    options: Options,
    log: &Log,
) -> Result<(), Error> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        listener.set_nonblocking(true)?;
        let listener = TcpListener::from_std(listener)?;
        serve(listener, options, log.clone()).await
    })
}

/// The listing's `if __name__ == '__main__':` block, after `parse_command_line`:
/// `asyncio.start_server(handle_conversation, *address)` listens with a backlog of 100.
pub fn main(address: &Address, options: Options, log: &Log) -> Result<(), Error> {
    let listener = fopnp::net::listen(&address.host, address.port, 100)?;
    logln!(log, "Listening at {address}")?;
    serve_blocking(listener, options, log)
}
