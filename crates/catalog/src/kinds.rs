//! The kinds of fact a row of the catalog holds: its protocol family, how it runs, what it
//! needs, how its server logs, what its `output.txt` records.

use crate::{Listing, listings};

/// The conformance table a listing speaks: its protocol family. `conformance::registry`
/// is the one place that maps a family to its table (and its name for `cargo xtask
/// conform`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Family {
    /// Listing 2-1's datagram and its length (`udp-local`).
    UdpLocal,
    /// Listing 2-2's datagram, with drops and a backing-off client (`udp-remote`).
    UdpRemote,
    /// Listing 3-1's sixteen-octet exchange (`3-1`).
    Sixteen,
    /// Listing 3-2's streaming uppercase with half-close (`3-2`).
    Uppercase,
    /// Chapter 5's stream that ends with the end of the stream (`streamer`).
    Streamer,
    /// Chapter 5's length-prefixed blocks (`blocks`).
    Blocks,
    /// Chapter 6's TLS client and server, either of the book's two (`tls`).
    Tls,
    /// Chapter 7's Zen-of-Python service (`zen`).
    Zen,
    /// Chapter 4's DNS answers: one name and type asked, a record per line (`dns`).
    Dns,
    /// Chapter 9's HTTP clients: one URL fetched, the body printed (`http-client`).
    HttpClient,
    /// Chapter 10's HTTP servers: RFC 9110 and 9112's MUST rules (`http-server`).
    HttpServer,
}

impl Family {
    /// Every listing of this family that has a binary, in the book's order.
    pub fn members(self) -> impl Iterator<Item = &'static Listing> {
        listings().filter(move |l| l.family == Some(self) && l.bin().is_some())
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transport {
    Tcp,
    Udp,
}

/// How long a server lives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lifetime {
    /// It serves until it is stopped.
    Forever,
    /// It serves one connection and exits (its exit status is part of its verdict).
    OneConnection,
    /// It is not a server: it runs and exits.
    Once,
}

/// How `cargo xtask run` runs a listing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Runs {
    /// The server in the background, ready once it listens (TCP) or is bound (UDP: its
    /// [`Transport`]), then the client, then the server's log once it is done with the
    /// client ([`LogStyle::done_with_client`]). `deadlocks`: a stall is page 53's
    /// deadlock (Listing 3-2 as the book wrote it).
    ServerAndClient { deadlocks: bool },
    /// A server of one connection in the background, then the client, then `wait` for the
    /// server to exit and its output. Where the row needs certificates, they are made
    /// first in a scratch directory ([`CERTIFICATE_MAKER`]) that both programs run in.
    OneConnection,
    /// A Zen server, `BIN localhost`, then the Zen client twice, as the book's `test.sh`.
    ZenServer,
    /// Under a super-server, `systemd-socket-activate --inetd` (`-a`: one process per
    /// connection), with the Zen client twice.
    SuperServer { accept: bool },
    /// One program, `BIN SUBCOMMAND ARGS`, that prints its own steps and verdict.
    Alone { subcommand: &'static str },
    /// Every listing of a family in turn, with a verdict for each (`test.sh`).
    Each(Family),
    /// The row's [`Listing::steps`], one command after another in a scratch directory,
    /// after starting the stand-in in the background (if it has one) and before showing
    /// its log: the application chapters' clients, which the book runs against services
    /// on the internet.
    Steps { stand_in: Option<&'static StandIn> },
    /// Every row of its chapter that runs [`Runs::Steps`], in the book's order, each
    /// stand-in started once for them all: a chapter's tour (`cargo xtask run 1`).
    Tour,
    /// Not run by itself: a client that the servers' sessions run, or a module.
    ByOthers,
}

/// What a listing needs beyond loopback.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Needs {
    /// Certificates made at run time (`cargo xtask certs`).
    pub certificates: bool,
    /// A network namespace of its own (`unshare -n`).
    pub namespace: bool,
    /// A super-server on the PATH (`systemd-socket-activate`).
    pub super_server: bool,
}

pub(crate) const NOTHING: Needs = Needs {
    certificates: false,
    namespace: false,
    super_server: false,
};

pub(crate) const CERTIFICATES: Needs = Needs {
    certificates: true,
    ..NOTHING
};

/// The package and binary that make certificates (`cargo xtask certs DIR`): a tool, not a
/// listing, since rustls and rcgen stay out of xtask.
pub const CERTIFICATE_MAKER: (&str, &str) = ("tls-peer", "tls_certs");

pub(crate) const NAMESPACE: Needs = Needs {
    namespace: true,
    ..NOTHING
};

pub(crate) const SUPER_SERVER: Needs = Needs {
    super_server: true,
    ..NOTHING
};

/// A listing's command line as the README shows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Usage {
    /// Its own: `tcp_sixteen {client,server} host [-p PORT]`.
    Command(&'static str),
    /// Another listing's, by ID (a variant takes Listing 3-2's command line).
    As(&'static str),
    /// A module, run through the listings that import it.
    Module,
    /// A crate of doc tests.
    DocTests,
}

impl std::fmt::Display for Usage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Usage::Command(line) => f.write_str(line),
            Usage::As(id) => write!(f, "(as {id})"),
            Usage::Module => f.write_str("(a module)"),
            Usage::DocTests => f.write_str("(doc tests)"),
        }
    }
}

/// A stand-in for a service that the book's scripts reach over the internet (Google's
/// geocoder, a DNS server): a tool's binary, not a listing, that a [`Runs::Steps`]
/// session starts first, in the background, on loopback, and points its clients at.
#[derive(Debug, PartialEq, Eq)]
pub struct StandIn {
    pub package: &'static str,
    pub bin: &'static str,
    /// Its command line, a [`template`](crate::template) with `{bin}` and `{-p}`, run in the session's
    /// scratch directory.
    pub command: &'static str,
    /// The file its output is shown as (`$ cat standin.log`).
    pub log: &'static str,
    /// Ready once it listens (TCP) or its socket is bound (UDP).
    pub transport: Transport,
    /// A request (the bytes to send on a new TCP connection) that it answers and logs
    /// with its target, after every request before it: `cargo xtask conform` sends one
    /// after each case, so that the log it reads for the case is complete. `None`: its
    /// log is not read by the cases.
    pub marker: Option<&'static str>,
}

/// How a server words its log.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogStyle {
    /// Chapter 2: `The client at (...) says '...'` for each datagram.
    Datagrams,
    /// Listing 3-1: `We have accepted a connection from ...` and the reply.
    Sixteen,
    /// Listing 3-2 as written: `Processing up to 1024 bytes at a time from ...`.
    Deadlock,
    /// The 3-2 variants: one line when a connection opens, one when it closes.
    Variant,
    /// `zen_utils`: `Accepted connection from ...`, `Client socket to ... has closed`.
    ZenUtils,
    /// socketserver (`srv_legacy1`): errors only.
    Socketserver,
    /// `streamer`: `Received N bytes` per piece, then `Message:` and the message.
    Streamer,
    /// `blocks`: `Block says: b'...'` per block.
    Blocks,
    /// `safe_tls`: `Listening at interface ...`, `Connection from host ...`.
    TlsMessage,
    /// `test_tls`: its report, `title.ljust(36, '.')` and what was negotiated.
    TlsReport,
    /// One loop (`srv_async`, `srv_asyncio2`): `Accepted ...`, `Client ... closed`.
    Loop,
    /// asyncio's callbacks (`srv_asyncio1`).
    Callbacks,
    /// asyncore (`srv_legacy2`): only `Listening at`.
    Asyncore,
}

impl LogStyle {
    /// Whether a server's log is done with a session's one client, so that `cargo xtask
    /// run` can show the log whole: Chapter 2's has printed the datagram, Listing 3-1's is
    /// back to accepting, Listing 3-2's (and the variants') has closed the connection or
    /// reported its failure. A style with no such line (a server of one connection, which
    /// exits; a Zen server, whose session waits for its lines one by one) is done at once.
    pub fn done_with_client(self, log: &str) -> bool {
        match self {
            LogStyle::Datagrams => log.contains(" says"),
            LogStyle::Sixteen => log.matches("Waiting to accept a new connection\n").count() >= 2,
            LogStyle::Deadlock => log.contains("  Socket closed\n") || log.contains(" failed: "),
            LogStyle::Variant => {
                log.contains("  Socket closed: ") || log.contains(" failed after ")
            }
            _ => true,
        }
    }
}

/// How many clients a server serves at once, and how.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Concurrency {
    /// One at a time: the others wait in the listen queue.
    One,
    /// A fixed pool of threads.
    Pool(usize),
    /// A new thread for each client, without limit.
    ThreadPerClient,
    /// A new process for each connection (a super-server's `nowait`).
    ProcessPerClient,
    /// One event loop (or one runtime) for every client.
    EventLoop,
}

impl Concurrency {
    /// The clients it can serve at the same moment (`usize::MAX`: as many as connect).
    pub fn at_once(self) -> usize {
        match self {
            Concurrency::One => 1,
            Concurrency::Pool(n) => n,
            _ => usize::MAX,
        }
    }
}

/// A session's two command lines, as templates ([`template`](crate::template) says what the tokens are):
/// `cargo xtask run` runs and shows them, and `cargo xtask transcripts` reads the ports
/// back out of what was shown by them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Commands {
    /// The server, started in the background (or the super-server that runs it).
    pub server: &'static str,
    /// The client, run once the server is ready.
    pub client: &'static str,
}

/// The cases of its protocol's table that a listing cannot run, each with why: as a
/// server, and as a client.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Skips {
    pub server: &'static [(&'static str, &'static str)],
    pub client: &'static [(&'static str, &'static str)],
}

/// The arguments of a listing's recorded session: what its server is given after its
/// usual arguments, and what its client is given after its host.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Session {
    pub server: &'static [&'static str],
    pub client: &'static [&'static str],
}

pub(crate) const BARE: Session = Session {
    server: &[],
    client: &[],
};

/// What a listing's `output.txt` records.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Recorded {
    /// `cargo xtask run ID` with its [`Session`]; several rows of one crate append.
    Run,
    /// The session of another listing, by ID (a client recorded beside a server).
    RunOf(&'static str),
    /// `BIN ARGS...` of another listing's binary (a module shown through its user).
    Program(&'static str, &'static [&'static str]),
    /// Nothing of its own.
    Nothing,
}
