//! Foundations of Python Network Programming, Third Edition
//! <https://github.com/brandon-rhodes/fopnp/blob/m/py3/chapter07/zen_utils.py>
//! Constants and routines for supporting a certain network conversation.
//!
//! Listing 7-1: the Zen-of-Python service that Chapter 7 writes seven ways. A question
//! ends with `?`, an answer with `.`; every server reads until the bytes so far end with
//! `?` and answers the whole message. The servers import this module, as the book's do.
//!
//! Not in the book: `--delay SECONDS`, which every Zen server accepts beside the book's
//! command line, sets the sleep in [`get_answer`] that the book marks "increase to
//! simulate an expensive operation" (it is where the architectures part ways under load).
//!
//! # What `srv_single --help` prints: `parse_command_line`'s work
//!
//! `output.txt`, as `cargo xtask run` shows it, kept true by `cargo xtask transcripts --check`:
#![doc = concat!("```text\n", include_str!("../output.txt"), "```")]

use std::fmt;
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use clap::{Args, CommandFactory, FromArgMatches, Parser};
use fopnp::net::{AcceptFailures, AfterFailure};
use fopnp::{Error, Log, PyAddr, PyBytes, PyStr, logln};

/// `aphorisms`: the three questions and their answers, in the book's order.
#[doc(alias = "aphorisms")]
pub const APHORISMS: [(&[u8], &[u8]); 3] = [
    (b"Beautiful is better than?", b"Ugly."),
    (b"Explicit is better than?", b"Implicit."),
    (b"Simple is better than?", b"Complex."),
];

/// The answer to anything else.
pub const UNKNOWN: &[u8] = b"Error: unknown aphorism.";

/// The book's `time.sleep(0.0)`, in nanoseconds: set once from `--delay`.
static DELAY_NANOS: AtomicU64 = AtomicU64::new(0);

/// Sets the sleep in [`get_answer`] (the `--delay` option does this).
pub fn set_delay(delay: Duration) {
    let nanos = u64::try_from(delay.as_nanos()).unwrap_or(u64::MAX);
    DELAY_NANOS.store(nanos, Ordering::Relaxed);
}

/// The sleep in [`get_answer`].
pub fn delay() -> Duration {
    Duration::from_nanos(DELAY_NANOS.load(Ordering::Relaxed))
}

/// `get_answer(aphorism)`: return the response to a particular Zen-of-Python aphorism.
pub fn get_answer(aphorism: &[u8]) -> &'static [u8] {
    let delay = delay();
    if !delay.is_zero() {
        std::thread::sleep(delay); // increase to simulate an expensive operation
    }
    lookup(aphorism)
}

/// `aphorisms.get(aphorism, b'Error: unknown aphorism.')`: [`get_answer`] without its
/// sleep, for a server that waits some other way (`srv_asyncio2 --await-delay`).
pub fn lookup(aphorism: &[u8]) -> &'static [u8] {
    APHORISMS
        .iter()
        .find(|(question, _)| *question == aphorism)
        .map_or(UNKNOWN, |(_, answer)| answer)
}

/// The book's `address = (args.host, args.p)`: printed as Python prints the tuple, with
/// the host *as given* (`('localhost', 1060)`, `('', 1060)`), not as bound.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Address {
    pub host: String,
    pub port: u16,
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "({}, {})", PyStr(&self.host), self.port)
    }
}

/// The book's port.
pub const DEFAULT_PORT: u16 = 1060;

/// The servers' command line: `SCRIPT host [-p port]`, and `--delay SECONDS`.
#[derive(Clone, Debug, Args)]
pub struct ServerArgs {
    /// IP or hostname
    pub host: String,

    /// TCP port (default 1060)
    #[arg(short = 'p', value_name = "port", default_value_t = DEFAULT_PORT, hide_default_value = true)]
    pub port: u16,

    #[command(flatten)]
    pub delay: DelayArg,
}

/// `--delay SECONDS`, not in the book: what every Zen server accepts beside its command
/// line.
#[derive(Clone, Copy, Debug, Args)]
pub struct DelayArg {
    /// not in the book: sleep SECONDS in get_answer(), the book's "increase to simulate
    /// an expensive operation" (default 0)
    #[arg(long, value_name = "SECONDS", default_value_t = 0.0, hide_default_value = true, value_parser = fopnp::cli::seconds)]
    pub delay: f64,
}

impl DelayArg {
    /// Sets the sleep in [`get_answer`].
    pub fn apply(self) {
        set_delay(Duration::from_secs_f64(self.delay));
    }
}

#[derive(Parser)]
struct Cli<E: Args> {
    #[command(flatten)]
    server: ServerArgs,
    #[command(flatten)]
    extra: E,
}

/// No options beyond the book's.
#[derive(Clone, Copy, Debug, Args)]
pub struct NoExtra {}

/// The program's name, as argparse shows `sys.argv[0]`.
pub fn program_name() -> String {
    std::env::args_os()
        .next()
        .as_deref()
        .map(std::path::Path::new)
        .and_then(|p| p.file_name())
        .map_or_else(|| "zen".into(), |name| name.to_string_lossy().into_owned())
}

/// `parse_command_line(description)`: parse the command line and return a socket address.
/// A malformed command line is a usage error (exit status 2), as argparse's is. Also sets
/// `--delay`.
pub fn parse_command_line(description: &'static str) -> Address {
    parse_command_line_with::<NoExtra>(description).0
}

/// [`parse_command_line`] for a server with options of its own beyond the book's (`E`).
pub fn parse_command_line_with<E: Args + FromArgMatches>(
    description: &'static str,
) -> (Address, E) {
    // Once per process: clap keeps the name for the rest of the run.
    let name: &'static str = Box::leak(program_name().into_boxed_str());
    let command = Cli::<E>::command()
        .name(name)
        .about(description)
        .version(env!("CARGO_PKG_VERSION"));
    let matches = command.get_matches();
    let cli = Cli::<E>::from_arg_matches(&matches).unwrap_or_else(|error| error.exit());
    cli.server.delay.apply();
    let address = Address {
        host: cli.server.host,
        port: cli.server.port,
    };
    (address, cli.extra)
}

/// `create_srv_socket(address)`: build and return a listening server socket
/// (`SO_REUSEADDR`, `listen(64)`), and say where it listens.
pub fn create_srv_socket(address: &Address, log: &Log) -> Result<TcpListener, Error> {
    let listener = fopnp::net::listen(&address.host, address.port, 64)?;
    logln!(log, "Listening at {address}")?;
    Ok(listener)
}

/// What [`accept_connections_forever`] needs of a listening socket: its `accept()`.
/// Python passes any socket object; `in_zen2` passes one with a timeout set.
pub trait Accept {
    fn accept(&self) -> io::Result<(TcpStream, SocketAddr)>;
}

impl Accept for TcpListener {
    fn accept(&self) -> io::Result<(TcpStream, SocketAddr)> {
        TcpListener::accept(self)
    }
}

/// `accept_connections_forever(listener)`: forever answer incoming connections on a
/// listening socket. Returns only when the listener itself fails (closed or shut down),
/// times out (`in_zen2`'s `socket.timeout`), or the log cannot be written.
pub fn accept_connections_forever(listener: &impl Accept, log: &Log) -> Result<(), Error> {
    let mut failures = AcceptFailures::default();
    loop {
        let (sock, address) = match listener.accept() {
            Ok(accepted) => accepted,
            // A listener with a timeout (`settimeout()`) that ran out: Python's
            // `socket.timeout` goes up to the caller, and so does this.
            Err(error) if error.kind() == io::ErrorKind::TimedOut => {
                return Err(Error::new(error));
            }
            // Departure from the book: Python's server dies when accept() fails; this one
            // reports it and keeps serving (pausing while out of file descriptors).
            Err(error) => {
                if let AfterFailure::Pause(pause) = failures.failed(error, &mut **log.lock())? {
                    std::thread::sleep(pause);
                }
                continue;
            }
        };
        failures.working(&mut **log.lock())?;
        logln!(log, "Accepted connection from {}", PyAddr(address))?;
        handle_conversation(sock, address, log)?;
    }
}

/// Why a conversation ended: the book's exceptions.
#[derive(Debug)]
pub enum ConversationError {
    /// `EOFError('socket closed')`: the client closed between questions.
    Eof,
    /// `IOError('received ... then socket closed')`: the client closed mid-question.
    Closed(Vec<u8>),
    /// Not in the book, whose message grows without bound: the client's question is
    /// longer than [`MAX_MESSAGE`] bytes.
    TooLong(usize),
    /// The socket failed (a reset, a broken pipe).
    Io(io::Error),
}

impl fmt::Display for ConversationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Eof => write!(f, "socket closed"),
            Self::Closed(message) => {
                write!(f, "received {} then socket closed", PyBytes(message))
            }
            Self::TooLong(length) => write!(
                f,
                "sent {length} bytes and no complete question (a question may take at most {MAX_MESSAGE} bytes); closing the connection"
            ),
            Self::Io(error) => write!(f, "{error}"),
        }
    }
}

impl std::error::Error for ConversationError {}

impl From<io::Error> for ConversationError {
    fn from(error: io::Error) -> Self {
        Self::Io(error)
    }
}

/// `handle_conversation(sock, address)`: converse with a client over `sock` until they
/// are done talking. Fails only when the log cannot be written.
pub fn handle_conversation(mut sock: TcpStream, address: SocketAddr, log: &Log) -> io::Result<()> {
    let result = loop {
        if let Err(error) = handle_request(&mut sock) {
            break error;
        }
    };
    match result {
        ConversationError::Eof => {
            logln!(log, "Client socket to {} has closed", PyAddr(address))
        }
        error => logln!(log, "Client {} error: {error}", PyAddr(address)),
    }
    // finally: sock.close(), as the stream is dropped here.
}

/// `handle_request(sock)`: receive a single client request on `sock` and send the answer.
pub fn handle_request(sock: &mut TcpStream) -> Result<(), ConversationError> {
    let aphorism = recv_until(sock, b"?")?;
    let answer = get_answer(&aphorism);
    sock.write_all(answer)?; // sock.sendall(answer)
    Ok(())
}

/// The longest question a server takes, `?` included: one `recv(4096)`'s worth. Not in
/// the book, whose servers keep whatever arrives until `?` does: a client that never sends
/// `?` would grow the server's memory without end.
pub const MAX_MESSAGE: usize = 4096;

/// Whether a message received so far is more than a question may be: longer than
/// [`MAX_MESSAGE`], or that long without its end. The event-driven servers check each
/// message with this after every read.
pub fn too_long(message: &[u8]) -> bool {
    message.len() > MAX_MESSAGE || (message.len() == MAX_MESSAGE && !message.ends_with(b"?"))
}

/// `recv_until(sock, suffix)`: receive bytes over `sock` until they end with `suffix`.
///
/// Departure from the book: a message that reaches [`MAX_MESSAGE`] bytes without ending
/// with `suffix` fails with [`ConversationError::TooLong`] instead of growing for ever.
pub fn recv_until(sock: &mut impl Read, suffix: &[u8]) -> Result<Vec<u8>, ConversationError> {
    let mut buf = [0; 4096];
    let n = recv(sock, &mut buf)?; // message = sock.recv(4096)
    if n == 0 {
        return Err(ConversationError::Eof);
    }
    let mut message = buf[..n].to_vec();
    while !message.ends_with(suffix) {
        if message.len() >= MAX_MESSAGE {
            return Err(ConversationError::TooLong(message.len()));
        }
        let room = MAX_MESSAGE - message.len();
        let n = recv(sock, &mut buf[..room])?;
        if n == 0 {
            return Err(ConversationError::Closed(message));
        }
        message.extend_from_slice(&buf[..n]);
    }
    Ok(message)
}

/// `sock.recv(len(buf))`, retried when a signal interrupts it, as Python does (PEP 475).
fn recv(sock: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    loop {
        match sock.read(buf) {
            Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
            result => return result,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_the_three_aphorisms_and_nothing_else() {
        assert_eq!(get_answer(b"Beautiful is better than?"), b"Ugly.");
        assert_eq!(get_answer(b"Explicit is better than?"), b"Implicit.");
        assert_eq!(get_answer(b"Simple is better than?"), b"Complex.");
        assert_eq!(get_answer(b"Beautiful is better than"), UNKNOWN);
        assert_eq!(
            get_answer(b"Simple is better than?Beautiful is better than?"),
            UNKNOWN
        );
    }

    #[test]
    fn addresses_print_as_given() {
        let address = Address {
            host: "localhost".into(),
            port: 1060,
        };
        assert_eq!(address.to_string(), "('localhost', 1060)");
        let every = Address {
            host: String::new(),
            port: 0,
        };
        assert_eq!(every.to_string(), "('', 0)");
    }

    #[test]
    fn recv_until_collects_pieces_and_names_how_it_ended() {
        let mut pieces: &[u8] = b"Simple is better than?";
        assert_eq!(
            recv_until(&mut pieces, b"?").unwrap(),
            b"Simple is better than?"
        );
        let mut empty: &[u8] = b"";
        assert!(matches!(
            recv_until(&mut empty, b"?"),
            Err(ConversationError::Eof)
        ));
        let mut cut: &[u8] = b"Beautiful is better than";
        let error = recv_until(&mut cut, b"?").unwrap_err();
        assert_eq!(
            error.to_string(),
            "received b'Beautiful is better than' then socket closed"
        );
    }

    #[test]
    fn a_message_without_end_is_bounded() {
        assert!(!too_long(&[b'x'; MAX_MESSAGE - 1]));
        assert!(too_long(&[b'x'; MAX_MESSAGE]));
        assert!(!too_long(&[b'?'; MAX_MESSAGE]));
        assert!(too_long(&[b'?'; MAX_MESSAGE + 1]));
        let flood = vec![b'x'; 1 << 20];
        let mut reader: &[u8] = &flood;
        let error = recv_until(&mut reader, b"?").unwrap_err();
        assert!(matches!(error, ConversationError::TooLong(MAX_MESSAGE)));
        // It read no more than the bound.
        assert_eq!(reader.len(), flood.len() - MAX_MESSAGE);
        // A question that ends exactly at the bound is still a question.
        let mut long = vec![b'y'; MAX_MESSAGE - 1];
        long.push(b'?');
        let mut reader: &[u8] = &long;
        assert_eq!(recv_until(&mut reader, b"?").unwrap().len(), MAX_MESSAGE);
    }
}
