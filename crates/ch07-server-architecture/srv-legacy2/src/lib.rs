//! Foundations of Python Network Programming, Third Edition
//! <https://github.com/brandon-rhodes/fopnp/blob/m/py3/chapter07/srv_legacy2.py>
//! Uses the legacy "asyncore" Standard Library module to write a server.
//!
//! `asyncore` (removed from Python in 3.12) runs a loop over a map of *dispatchers*,
//! objects that say whether they want to read or write (`readable()`, `writable()`) and
//! are called back when they can (`handle_read()`, `handle_write()`). `asynchat` builds a
//! line-protocol handler on that: it splits the incoming bytes at a *terminator*, hands
//! the bytes before it to `collect_incoming_data()` and then calls `found_terminator()`.
//! Rust has neither module; this crate carries a small stand-in of each: the
//! [`Dispatcher`] trait and [`asyncore_loop`], and [`AsyncChat`] driving a [`ChatHandler`].
//!
//! Unlike the other servers, which answer the whole message once it *ends with* `?`,
//! this one splits at every `?`: two questions that arrive in one piece,
//! `Simple is better than?Beautiful is better than?`, get two answers, `Complex.Ugly.`.
//! Like the book's, it prints only its `Listening at` line.
//!
//! The book's loop calls `select()`, which cannot watch a descriptor numbered 1024 or
//! more; this one calls `poll()`, which can, so it serves more than a thousand clients.
//!
//! ```text
//! $ srv_legacy2 localhost
//! $ zen_client localhost
//! ```
//!
//! # The recorded session
//!
//! `output.txt`, as `cargo xtask run` shows it, kept true by `cargo xtask transcripts --check`:
#![doc = concat!("```text\n", include_str!("../output.txt"), "```")]

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::fd::{AsFd, BorrowedFd};
use std::time::{Duration, Instant};

use rustix::event::{PollFd, PollFlags};

use fopnp::net::{AcceptFailures, AfterFailure};
use fopnp::{Error, Log, PyAddr, logln};
use zen_utils::{Address, ConversationError};

/// What a dispatcher asks of the loop after a callback.
pub enum Next {
    /// Keep it in the map.
    Keep,
    /// Keep it, and add new dispatchers (the connections `handle_accept` made).
    Add(Vec<Box<dyn Dispatcher>>),
    /// Close it: take it out of the map (`handle_close()`).
    Close,
}

/// `asyncore.dispatcher`: a socket in the loop's map, with its wants and callbacks.
pub trait Dispatcher {
    fn socket(&self) -> BorrowedFd<'_>;
    /// Whether to wait for input.
    fn readable(&self) -> bool;
    /// Whether to wait for room to write.
    fn writable(&self) -> bool;
    fn handle_read(&mut self) -> Next;
    fn handle_write(&mut self) -> Next;
    /// Not in asyncore: how long the loop may sleep at most for this dispatcher's sake.
    fn wake_after(&self) -> Option<Duration> {
        None
    }
    /// The log's failure, if writing it failed: the loop then ends with it.
    fn failure(&mut self) -> Option<io::Error> {
        None
    }
}

/// `asyncore.loop()`: until the map is empty, poll every dispatcher for what it wants and
/// call it back. Returns when a dispatcher's log could not be written.
pub fn asyncore_loop(mut map: Vec<Box<dyn Dispatcher>>) -> Result<(), Error> {
    while !map.is_empty() {
        let timeout = map.iter().filter_map(|d| d.wake_after()).min();
        let ready: Vec<PollFlags> = {
            let mut fds: Vec<PollFd<'_>> = map
                .iter()
                .map(|d| {
                    let mut flags = PollFlags::empty();
                    if d.readable() {
                        flags |= PollFlags::IN;
                    }
                    if d.writable() {
                        flags |= PollFlags::OUT;
                    }
                    PollFd::from_borrowed_fd(d.socket(), flags)
                })
                .collect();
            // Retried after a signal, as Python's is (PEP 475).
            fopnp::net::poll(&mut fds, timeout)?;
            fds.iter().map(PollFd::revents).collect()
        };
        let mut added = Vec::new();
        let mut index = 0;
        let mut failure = None;
        map.retain_mut(|d| {
            let flags = ready[index];
            index += 1;
            // asyncore's readwrite(): input first, then output, then hang-ups.
            let mut next = Next::Keep;
            if flags.intersects(PollFlags::IN | PollFlags::HUP | PollFlags::ERR) && d.readable() {
                next = d.handle_read();
            }
            if matches!(next, Next::Keep) && flags.contains(PollFlags::OUT) {
                next = d.handle_write();
            }
            if matches!(next, Next::Keep)
                && flags.intersects(PollFlags::HUP | PollFlags::ERR | PollFlags::NVAL)
                && !d.readable()
            {
                next = Next::Close;
            }
            if let Some(error) = d.failure() {
                failure = Some(error);
            }
            match next {
                Next::Keep => true,
                Next::Add(dispatchers) => {
                    added.extend(dispatchers);
                    true
                }
                Next::Close => false,
            }
        });
        if let Some(error) = failure {
            return Err(error.into());
        }
        map.extend(added);
    }
    Ok(())
}

/// `asynchat.async_chat`'s two callbacks.
pub trait ChatHandler {
    /// Bytes that came before the next terminator (or all of them, if none yet).
    fn collect_incoming_data(&mut self, more_data: &[u8]);
    /// The terminator arrived: `chat.push()` the answer.
    fn found_terminator(&mut self, chat: &mut Outgoing);
    /// Not in asynchat: an error that ends the connection after the callback.
    fn error(&mut self) -> Option<ConversationError> {
        None
    }
}

/// The bytes an `async_chat` has yet to send: what `push()` appends to.
#[derive(Default)]
pub struct Outgoing(Vec<u8>);

impl Outgoing {
    /// `self.push(data)`.
    pub fn push(&mut self, data: &[u8]) {
        self.0.extend_from_slice(data);
    }
}

/// asynchat reads this much at a time (`ac_in_buffer_size`).
const AC_IN_BUFFER_SIZE: usize = 65536;

/// `asynchat.async_chat`: a dispatcher that splits its input at a terminator.
pub struct AsyncChat<H> {
    sock: TcpStream,
    address: SocketAddr,
    terminator: Vec<u8>,
    /// Bytes received and not yet handed over: at most the terminator's length minus one.
    ac_in_buffer: Vec<u8>,
    outgoing: Outgoing,
    handler: H,
    log: Log,
    failed: Option<io::Error>,
}

impl<H: ChatHandler> AsyncChat<H> {
    pub fn new(sock: TcpStream, address: SocketAddr, handler: H, log: &Log) -> Self {
        Self {
            sock,
            address,
            terminator: Vec::new(),
            ac_in_buffer: Vec::new(),
            outgoing: Outgoing::default(),
            handler,
            log: log.clone(),
            failed: None,
        }
    }

    /// `self.set_terminator(term)`.
    pub fn set_terminator(&mut self, terminator: &[u8]) {
        self.terminator = terminator.to_vec();
    }

    /// `self.initiate_send()`: sends what the socket takes now.
    pub fn initiate_send(&mut self) -> io::Result<()> {
        while !self.outgoing.0.is_empty() {
            match self.sock.write(&self.outgoing.0) {
                Ok(n) => {
                    self.outgoing.0.drain(..n);
                }
                // A signal: try again (PEP 475).
                Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => break,
                Err(error) => return Err(error),
            }
        }
        Ok(())
    }

    /// asynchat's split of the input buffer at the terminator.
    fn process_input(&mut self) {
        let term = self.terminator.clone();
        while !self.ac_in_buffer.is_empty() {
            match find(&self.ac_in_buffer, &term) {
                Some(index) => {
                    let rest = self.ac_in_buffer.split_off(index + term.len());
                    self.ac_in_buffer.truncate(index);
                    let before = std::mem::replace(&mut self.ac_in_buffer, rest);
                    if !before.is_empty() {
                        self.handler.collect_incoming_data(&before);
                    }
                    self.handler.found_terminator(&mut self.outgoing);
                }
                None => {
                    // Keep a tail that may be the start of the terminator; hand over the
                    // rest.
                    let keep = prefix_at_end(&self.ac_in_buffer, &term);
                    let tail = self.ac_in_buffer.split_off(self.ac_in_buffer.len() - keep);
                    let before = std::mem::replace(&mut self.ac_in_buffer, tail);
                    if !before.is_empty() {
                        self.handler.collect_incoming_data(&before);
                    }
                    break;
                }
            }
        }
    }

    /// Logs why the connection ends with an error, and ends it.
    fn fail(&mut self, error: &dyn std::fmt::Display) -> Next {
        if let Err(failure) = logln!(self.log, "Client {} error: {error}", PyAddr(self.address)) {
            self.failed = Some(failure);
        }
        Next::Close
    }
}

impl<H: ChatHandler> Dispatcher for AsyncChat<H> {
    fn socket(&self) -> BorrowedFd<'_> {
        self.sock.as_fd()
    }

    /// Departure from asynchat, which is always readable: a connection whose answers
    /// are not yet sent is not read from, so a client that never reads cannot make the
    /// server buffer answers without end.
    fn readable(&self) -> bool {
        self.outgoing.0.is_empty()
    }

    fn writable(&self) -> bool {
        !self.outgoing.0.is_empty()
    }

    fn handle_read(&mut self) -> Next {
        let mut data = [0; AC_IN_BUFFER_SIZE];
        let n = match self.sock.read(&mut data) {
            // The other side is done: asyncore's handle_close(), silently.
            Ok(0) => return Next::Close,
            Ok(n) => n,
            Err(error)
                if matches!(
                    error.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted
                ) =>
            {
                return Next::Keep;
            }
            // asyncore closes a connection that fails (a reset), silently.
            Err(_) => return Next::Close,
        };
        self.ac_in_buffer.extend_from_slice(&data[..n]);
        self.process_input();
        if let Some(error) = self.handler.error() {
            return self.fail(&error);
        }
        match self.initiate_send() {
            Ok(()) => Next::Keep,
            Err(_) => Next::Close,
        }
    }

    fn handle_write(&mut self) -> Next {
        match self.initiate_send() {
            Ok(()) => Next::Keep,
            Err(_) => Next::Close,
        }
    }

    fn failure(&mut self) -> Option<io::Error> {
        self.failed.take()
    }
}

/// Where `needle` first starts in `haystack`.
fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() {
        return None;
    }
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// asynchat's `find_prefix_at_end`: how many bytes at the end of `haystack` begin
/// `needle`.
fn prefix_at_end(haystack: &[u8], needle: &[u8]) -> usize {
    (1..needle.len())
        .rev()
        .find(|&l| haystack.ends_with(&needle[..l]))
        .unwrap_or(0)
}

/// `class ZenRequestHandler(asynchat.async_chat)`.
#[derive(Default)]
pub struct ZenRequestHandler {
    data: Vec<u8>,
    error: Option<ConversationError>,
}

impl ZenRequestHandler {
    /// `ZenRequestHandler(sock)`: an `async_chat` on `sock` with `set_terminator(b'?')`.
    pub fn new(sock: TcpStream, address: SocketAddr, log: &Log) -> AsyncChat<Self> {
        let mut chat = AsyncChat::new(sock, address, Self::default(), log);
        chat.set_terminator(b"?");
        chat
    }
}

impl ChatHandler for ZenRequestHandler {
    fn collect_incoming_data(&mut self, more_data: &[u8]) {
        self.data.extend_from_slice(more_data);
        // Not in the book, whose self.data grows for ever: a question may take up to
        // MAX_MESSAGE bytes.
        if zen_utils::too_long(&self.data) {
            self.error = Some(ConversationError::TooLong(self.data.len()));
            self.data.clear();
        }
    }

    fn found_terminator(&mut self, chat: &mut Outgoing) {
        let mut question = std::mem::take(&mut self.data); // self.data + b'?'
        question.push(b'?');
        let answer = zen_utils::get_answer(&question);
        chat.push(answer); // self.push(answer); the caller then calls initiate_send()
    }

    fn error(&mut self) -> Option<ConversationError> {
        self.error.take()
    }
}

/// `class ZenServer(asyncore.dispatcher)`: the listening socket's dispatcher.
pub struct ZenServer {
    listener: TcpListener,
    log: Log,
    failures: AcceptFailures,
    paused_until: Option<Instant>,
    failed: Option<io::Error>,
}

impl ZenServer {
    /// `ZenServer(listener)`, with `accepting = True` (the socket already listens).
    pub fn new(listener: TcpListener, log: &Log) -> io::Result<Self> {
        listener.set_nonblocking(true)?;
        Ok(Self {
            listener,
            log: log.clone(),
            failures: AcceptFailures::default(),
            paused_until: None,
            failed: None,
        })
    }

    /// `handle_accept()`: accept the connections waiting and make a handler for each.
    /// (asyncore's accepts one per call; taking all that wait keeps the listen queue of a
    /// loop with a thousand sockets from overflowing.)
    fn handle_accept(&mut self) -> io::Result<Next> {
        let mut handlers: Vec<Box<dyn Dispatcher>> = Vec::new();
        loop {
            let (sock, address) = match self.listener.accept() {
                Ok(accepted) => accepted,
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => {
                    self.failures.working(&mut **self.log.lock())?;
                    break;
                }
                // asyncore reports a failed accept() and goes on; so does this (pausing
                // while out of file descriptors, with the listener out of the poll set).
                Err(error) => {
                    let after = self
                        .failures
                        .failed(error, &mut **self.log.lock())
                        .map_err(io::Error::other)?;
                    if let AfterFailure::Pause(pause) = after {
                        self.paused_until = Some(Instant::now() + pause);
                    }
                    break;
                }
            };
            self.failures.working(&mut **self.log.lock())?;
            if sock.set_nonblocking(true).is_ok() {
                handlers.push(Box::new(ZenRequestHandler::new(sock, address, &self.log)));
            }
        }
        Ok(Next::Add(handlers))
    }
}

impl Dispatcher for ZenServer {
    fn socket(&self) -> BorrowedFd<'_> {
        self.listener.as_fd()
    }

    fn readable(&self) -> bool {
        self.paused_until
            .is_none_or(|until| Instant::now() >= until)
    }

    fn writable(&self) -> bool {
        false
    }

    fn handle_read(&mut self) -> Next {
        self.paused_until = None;
        match self.handle_accept() {
            Ok(next) => next,
            Err(error) => {
                self.failed = Some(error);
                Next::Keep
            }
        }
    }

    fn handle_write(&mut self) -> Next {
        Next::Keep
    }

    fn wake_after(&self) -> Option<Duration> {
        self.paused_until
            .map(|until| until.saturating_duration_since(Instant::now()))
    }

    fn failure(&mut self) -> Option<io::Error> {
        self.failed.take()
    }
}

/// Serves on a socket that already listens: `ZenServer(listener)` and `asyncore.loop()`.
pub fn serve(listener: TcpListener, log: &Log) -> Result<(), Error> {
    let server = ZenServer::new(listener, log)?;
    asyncore_loop(vec![Box::new(server)])
}

/// The listing's `if __name__ == '__main__':` block, after `parse_command_line`.
pub fn main(address: &Address, log: &Log) -> Result<(), Error> {
    let listener = zen_utils::create_srv_socket(address, log)?;
    serve(listener, log)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_terminator_is_found_or_kept_for_later() {
        assert_eq!(find(b"ab?cd?", b"?"), Some(2));
        assert_eq!(find(b"abcd", b"\r\n"), None);
        assert_eq!(prefix_at_end(b"abc\r", b"\r\n"), 1);
        assert_eq!(prefix_at_end(b"abc", b"\r\n"), 0);
    }
}
