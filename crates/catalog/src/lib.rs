//! Every runnable listing's facts, written once: what `cargo xtask list` shows, what
//! `run`, `transcripts`, `bench`, `bench zen` and `conform` run, and what the tests hold
//! each implementation to. It depends on nothing, so that `cargo xtask run` reads it
//! without compiling the rest of the tooling.
//!
//! A listing's binary is named here and in at most one test adapter; everything else
//! finds it through [`find`], [`LISTINGS`] or [`Family::members`].

/// A chapter of the book, and the folder under `crates/` that holds its listings.
#[derive(Debug, PartialEq, Eq)]
pub struct Chapter {
    pub number: u8,
    pub title: &'static str,
    pub dir: &'static str,
}

pub const CH03: &Chapter = &Chapter {
    number: 3,
    title: "TCP",
    dir: "ch03-tcp",
};

pub const CH02: &Chapter = &Chapter {
    number: 2,
    title: "UDP",
    dir: "ch02-udp",
};

pub const CH05: &Chapter = &Chapter {
    number: 5,
    title: "Network Data and Network Errors",
    dir: "ch05-network-data",
};

pub const CH06: &Chapter = &Chapter {
    number: 6,
    title: "TLS/SSL",
    dir: "ch06-tls",
};

pub const CH07: &Chapter = &Chapter {
    number: 7,
    title: "Server Architecture",
    dir: "ch07-server-architecture",
};

/// Every chapter the workspace ports, in the book's order: the root README's table of
/// chapters, and the folders the tidy test knows.
pub static CHAPTERS: &[&Chapter] = &[CH02, CH03, CH05, CH06, CH07];

impl Chapter {
    /// Its folder, from the workspace's root: `crates/ch03-tcp`.
    pub fn path(&self) -> String {
        format!("crates/{}", self.dir)
    }

    /// Its listings, in the book's order.
    pub fn listings(&'static self) -> impl Iterator<Item = &'static Listing> {
        LISTINGS
            .iter()
            .filter(move |l| std::ptr::eq(l.chapter, self))
    }
}

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
    /// A demonstration that speaks no protocol of its own.
    None,
}

impl Family {
    /// Every listing of this family that has a binary, in the book's order.
    pub fn members(self) -> impl Iterator<Item = &'static Listing> {
        LISTINGS
            .iter()
            .filter(move |l| l.family == self && l.bin().is_some())
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
    /// `BIN server 127.0.0.1` in the background, then `BIN client localhost ARGS`.
    /// `deadlocks`: a stall is page 53's deadlock (Listing 3-2 as the book wrote it).
    ServerAndClient { deadlocks: bool },
    /// Chapter 2's shape: `BIN server [HOST]` in the background, `BIN client [HOST]`, then
    /// the server's log once it has printed what the client sent (an empty host: the
    /// listing takes none).
    Datagrams {
        server_host: &'static str,
        client_host: &'static str,
    },
    /// Chapter 5's shape: `BIN` serves one connection in the background, `BIN -c` is the
    /// client; then the server's output, once it has exited.
    OneShot,
    /// Chapter 6's shape: certificates made in a scratch directory ([`CERTIFICATE_MAKER`]),
    /// `BIN -s certs/localhost.pem 127.0.0.1 PORT` serves one connection in the
    /// background, `BIN -a certs/ca.crt localhost PORT` is the client; then the server's
    /// output, once it has exited.
    Tls,
    /// A Zen server, `BIN localhost`, then the Zen client twice, as the book's `test.sh`.
    ZenServer,
    /// Under a super-server, `systemd-socket-activate --inetd` (`-a`: one process per
    /// connection), with the Zen client twice.
    SuperServer { accept: bool },
    /// One program, `BIN SUBCOMMAND ARGS`, that prints its own steps and verdict.
    Alone { subcommand: &'static str },
    /// Every listing of a family in turn, with a verdict for each (`test.sh`).
    Each(Family),
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

const NOTHING: Needs = Needs {
    certificates: false,
    namespace: false,
    super_server: false,
};

const CERTIFICATES: Needs = Needs {
    certificates: true,
    ..NOTHING
};

/// The package and binary that make certificates (`cargo xtask certs DIR`): a tool, not a
/// listing, since rustls and rcgen stay out of xtask.
pub const CERTIFICATE_MAKER: (&str, &str) = ("tls-peer", "tls_certs");

const NAMESPACE: Needs = Needs {
    namespace: true,
    ..NOTHING
};

const SUPER_SERVER: Needs = Needs {
    super_server: true,
    ..NOTHING
};

/// How a server words its log.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogStyle {
    /// It logs nothing a table checks.
    None,
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
    /// Not a server.
    NotAServer,
}

impl Concurrency {
    /// The clients it can serve at the same moment (`usize::MAX`: as many as connect).
    pub fn at_once(self) -> usize {
        match self {
            Concurrency::One => 1,
            Concurrency::Pool(n) => n,
            Concurrency::NotAServer => 0,
            _ => usize::MAX,
        }
    }
}

/// The arguments of a listing's recorded session: what its server is given after its
/// usual arguments, and what its client is given after its host.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Session {
    pub server: &'static [&'static str],
    pub client: &'static [&'static str],
}

const BARE: Session = Session {
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

/// One listing, as the book gives it and as the workspace ports it.
#[derive(Debug)]
pub struct Listing {
    /// The ID users type: `3-1`, `srv_single`, `half-close`.
    pub id: &'static str,
    pub chapter: &'static Chapter,
    /// Where it is in the book: `Listing 3-1`, `page 53, way out (b)`.
    pub book: &'static str,
    /// The crate that ports it.
    pub krate: &'static str,
    /// Its binaries, named after the book's scripts (none for a module).
    pub bins: &'static [&'static str],
    /// The book's script, in its repository (`py3/chapter03/tcp_sixteen.py`).
    pub script: Option<&'static str>,
    /// Its command line, as the README shows it.
    pub usage: &'static str,
    /// One line saying what it does.
    pub summary: &'static str,
    pub family: Family,
    pub transport: Transport,
    pub lifetime: Lifetime,
    pub runs: Runs,
    pub needs: Needs,
    pub log: LogStyle,
    /// Whether the server prints `Listening at` first.
    pub listening: bool,
    pub concurrency: Concurrency,
    /// Whether two questions in one piece get two answers (asynchat splits at every `?`).
    pub splits_questions: bool,
    /// Other ways the same server runs, each given as extra arguments (split at spaces),
    /// that the benches and the tables hold to the same cases (`--await-delay`).
    pub flavours: &'static [&'static str],
    pub session: Session,
    /// The client's arguments when `cargo xtask run` is given none.
    pub run_args: &'static [&'static str],
    pub recorded: Recorded,
}

impl Listing {
    /// Its main binary, if it has one.
    pub fn bin(&self) -> Option<&'static str> {
        self.bins.first().copied()
    }

    /// Its crate's folder, from the workspace's root: `crates/ch03-tcp/tcp-sixteen`.
    pub fn dir(&self) -> String {
        format!("crates/{}/{}", self.chapter.dir, self.krate)
    }

    /// The packages its session needs built: its crate, and the certificate maker if it
    /// needs certificates.
    pub fn packages(&self) -> impl Iterator<Item = &'static str> {
        let maker = self.needs.certificates.then_some(CERTIFICATE_MAKER.0);
        std::iter::once(self.krate).chain(maker)
    }

    /// Whether `cargo xtask run` can run it by itself.
    pub fn runnable(&self) -> bool {
        self.runs != Runs::ByOthers
    }
}

/// A row with every fact at its most common value, for the rows below to override.
const ROW: Listing = Listing {
    id: "",
    chapter: CH03,
    book: "",
    krate: "",
    bins: &[],
    script: None,
    usage: "",
    summary: "",
    family: Family::None,
    transport: Transport::Tcp,
    lifetime: Lifetime::Forever,
    runs: Runs::ByOthers,
    needs: NOTHING,
    log: LogStyle::None,
    listening: false,
    concurrency: Concurrency::NotAServer,
    splits_questions: false,
    flavours: &[],
    session: BARE,
    run_args: &[],
    recorded: Recorded::Run,
};

/// A Listing 3-2 variant: the same protocol and command line, no deadlock.
const VARIANT: Listing = Listing {
    chapter: CH03,
    usage: "(as 3-2)",
    family: Family::Uppercase,
    runs: Runs::ServerAndClient { deadlocks: false },
    log: LogStyle::Variant,
    listening: true,
    session: Session {
        server: &[],
        client: &["1048576"],
    },
    // A gibibyte: far past the deadlock's threshold.
    run_args: &["1073741824"],
    ..ROW
};

/// A page 53 demonstration.
const DEMO: Listing = Listing {
    chapter: CH03,
    book: "page 53",
    krate: "page53",
    bins: &["page53"],
    usage: "page53 CLAIM",
    lifetime: Lifetime::Once,
    ..ROW
};

/// A Chapter 2 listing: a UDP server and its client.
const DATAGRAM: Listing = Listing {
    chapter: CH02,
    transport: Transport::Udp,
    log: LogStyle::Datagrams,
    listening: true,
    concurrency: Concurrency::EventLoop,
    ..ROW
};

/// A Chapter 2 claim, run by `udp_claims CLAIM`.
const CLAIM: Listing = Listing {
    chapter: CH02,
    book: "the chapter's claims",
    krate: "udp-claims",
    bins: &["udp_claims"],
    usage: "udp_claims CLAIM [--flip]",
    transport: Transport::Udp,
    lifetime: Lifetime::Once,
    ..ROW
};

/// A Chapter 5 listing: a server of one connection, and its client with `-c`.
const ONE_SHOT: Listing = Listing {
    chapter: CH05,
    transport: Transport::Tcp,
    lifetime: Lifetime::OneConnection,
    runs: Runs::OneShot,
    listening: true,
    concurrency: Concurrency::One,
    ..ROW
};

/// A Chapter 6 listing: a TLS server of one connection, and its client.
const TLS: Listing = Listing {
    chapter: CH06,
    family: Family::Tls,
    lifetime: Lifetime::OneConnection,
    runs: Runs::Tls,
    needs: CERTIFICATES,
    listening: true,
    concurrency: Concurrency::One,
    ..ROW
};

/// A Chapter 7 Zen server, run as `test.sh` runs it.
const ZEN: Listing = Listing {
    chapter: CH07,
    family: Family::Zen,
    runs: Runs::ZenServer,
    log: LogStyle::ZenUtils,
    listening: true,
    concurrency: Concurrency::EventLoop,
    ..ROW
};

/// Every listing, in the book's order.
pub static LISTINGS: &[Listing] = &[
    Listing {
        id: "2-1",
        book: "Listing 2-1",
        krate: "udp-local",
        bins: &["udp_local"],
        script: Some("py3/chapter02/udp_local.py"),
        usage: "udp_local {client,server} [-p PORT]",
        summary: "UDP client and server on localhost: the time, and its length in reply",
        family: Family::UdpLocal,
        runs: Runs::Datagrams {
            server_host: "",
            client_host: "",
        },
        ..DATAGRAM
    },
    Listing {
        id: "2-2",
        book: "Listing 2-2",
        krate: "udp-remote",
        bins: &["udp_remote"],
        script: Some("py3/chapter02/udp_remote.py"),
        usage: "udp_remote {client,server} host [-p PORT] [--drop-rate P] [--seed N]",
        summary: "a server that pretends to drop half the datagrams; a client that backs off",
        family: Family::UdpRemote,
        runs: Runs::Datagrams {
            server_host: "127.0.0.1",
            client_host: "localhost",
        },
        // A seed whose first datagram is dropped and second answered: the book's session.
        session: Session {
            server: &["--seed", "2"],
            client: &[],
        },
        ..DATAGRAM
    },
    Listing {
        id: "2-3",
        book: "Listing 2-3",
        krate: "big-sender",
        bins: &["big_sender"],
        script: Some("py3/chapter02/big_sender.py"),
        usage: "big_sender host [-p PORT] [--size BYTES]",
        summary: "a datagram too big for the path, with don't-fragment set: the path's MTU",
        transport: Transport::Udp,
        lifetime: Lifetime::Once,
        runs: Runs::Alone {
            subcommand: "localhost",
        },
        chapter: CH02,
        ..ROW
    },
    Listing {
        id: "2-4",
        book: "Listing 2-4",
        krate: "udp-broadcast",
        bins: &["udp_broadcast"],
        script: Some("py3/chapter02/udp_broadcast.py"),
        usage: "udp_broadcast {client,server} host [-p port]",
        summary: "SO_BROADCAST: a datagram to the network's broadcast address, and a server that hears it",
        runs: Runs::Datagrams {
            server_host: "127.255.255.255",
            client_host: "127.255.255.255",
        },
        ..DATAGRAM
    },
    Listing {
        id: "takes-anyone",
        summary: "an unconnected client takes a reply from anyone",
        runs: Runs::Alone {
            subcommand: "takes-anyone",
        },
        ..CLAIM
    },
    Listing {
        id: "connect-filters",
        summary: "connect() drops strangers' datagrams and reports ICMP refusals",
        runs: Runs::Alone {
            subcommand: "connect-filters",
        },
        ..CLAIM
    },
    Listing {
        id: "never-learns",
        summary: "an unconnected client never learns that nobody is listening",
        runs: Runs::Alone {
            subcommand: "never-learns",
        },
        ..CLAIM
    },
    Listing {
        id: "size-limits",
        summary: "nothing over 65,507 bytes is sent; a short receive buffer truncates silently",
        runs: Runs::Alone {
            subcommand: "size-limits",
        },
        ..CLAIM
    },
    Listing {
        id: "dont-fragment",
        summary: "don't-fragment refuses what exceeds a 1500-byte path; fragments arrive whole",
        runs: Runs::Alone {
            subcommand: "dont-fragment",
        },
        needs: NAMESPACE,
        ..CLAIM
    },
    Listing {
        id: "broadcast-needs-permission",
        summary: "a broadcast without SO_BROADCAST is refused",
        runs: Runs::Alone {
            subcommand: "broadcast-needs-permission",
        },
        ..CLAIM
    },
    Listing {
        id: "3-1",
        book: "Listing 3-1",
        krate: "tcp-sixteen",
        bins: &["tcp_sixteen"],
        script: Some("py3/chapter03/tcp_sixteen.py"),
        usage: "tcp_sixteen {client,server} host [-p PORT]",
        summary: "TCP client and server that send and receive 16 octets",
        family: Family::Sixteen,
        runs: Runs::ServerAndClient { deadlocks: false },
        log: LogStyle::Sixteen,
        listening: true,
        concurrency: Concurrency::One,
        ..ROW
    },
    Listing {
        id: "3-2",
        book: "Listing 3-2",
        krate: "tcp-deadlock",
        bins: &["tcp_deadlock"],
        script: Some("py3/chapter03/tcp_deadlock.py"),
        usage: "tcp_deadlock {client,server} host [bytecount] [-p PORT]",
        summary: "TCP client and server that leave too much data waiting (deadlocks when large)",
        runs: Runs::ServerAndClient { deadlocks: true },
        log: LogStyle::Deadlock,
        concurrency: Concurrency::One,
        session: Session {
            server: &[],
            client: &["32"],
        },
        run_args: &[],
        ..VARIANT
    },
    Listing {
        id: "3-2-threaded",
        book: "page 53, way out (b)",
        krate: "tcp-threaded",
        bins: &["tcp_threaded"],
        summary: "Listing 3-2 without the deadlock: one thread sends while another receives",
        concurrency: Concurrency::ThreadPerClient,
        ..VARIANT
    },
    Listing {
        id: "3-2-nonblocking",
        book: "page 53, way out (a)",
        krate: "tcp-nonblocking",
        bins: &["tcp_nonblocking"],
        summary: "Listing 3-2 without the deadlock: nonblocking sockets driven by poll()",
        concurrency: Concurrency::EventLoop,
        ..VARIANT
    },
    Listing {
        id: "3-2-async",
        book: "page 53, way out (a), tokio",
        krate: "tcp-async",
        bins: &["tcp_async"],
        summary: "Listing 3-2 without the deadlock: async tasks, both halves of the socket at once",
        concurrency: Concurrency::EventLoop,
        ..VARIANT
    },
    Listing {
        id: "half-close",
        summary: "shutdown(Write): the peer reads EOF, and the reply still comes back",
        runs: Runs::Alone {
            subcommand: "half-close",
        },
        ..DEMO
    },
    Listing {
        id: "shut-rd",
        summary: "shutdown(Read): does the peer really meet an error? (not on Linux)",
        runs: Runs::Alone {
            subcommand: "shut-rd",
        },
        ..DEMO
    },
    Listing {
        id: "close-vs-shutdown",
        summary: "close() of one handle versus shutdown() of the shared socket",
        runs: Runs::Alone {
            subcommand: "close-vs-shutdown",
        },
        ..DEMO
    },
    Listing {
        id: "eof-vs-wouldblock",
        summary: "EOF (0 bytes) versus \"would block\", and a reset",
        runs: Runs::Alone {
            subcommand: "eof-vs-wouldblock",
        },
        ..DEMO
    },
    Listing {
        id: "udp-flood",
        summary: "UDP drops what is not read in time; TCP makes the sender wait",
        transport: Transport::Udp,
        runs: Runs::Alone {
            subcommand: "udp-flood",
        },
        session: Session {
            server: &[],
            client: &["--datagrams", "20000"],
        },
        ..DEMO
    },
    Listing {
        id: "5-1",
        book: "Listing 5-1",
        krate: "streamer",
        bins: &["streamer"],
        script: Some("py3/chapter05/streamer.py"),
        usage: "streamer [-c] [-p port] [hostname]",
        summary: "the end of the stream ends the message: the client sends and closes",
        family: Family::Streamer,
        log: LogStyle::Streamer,
        ..ONE_SHOT
    },
    Listing {
        id: "5-2",
        book: "Listing 5-2",
        krate: "blocks",
        bins: &["blocks"],
        script: Some("py3/chapter05/blocks.py"),
        usage: "blocks [-c] [-p port] [hostname] [--max-block BYTES]",
        summary: "length-prefixed blocks: a 4-byte length before each, an empty block to end",
        family: Family::Blocks,
        log: LogStyle::Blocks,
        ..ONE_SHOT
    },
    Listing {
        id: "5-2-async",
        book: "Listing 5-2, the codec way (not in the book)",
        krate: "blocks-async",
        bins: &["blocks_async"],
        usage: "(as 5-2)",
        summary: "Listing 5-2 on tokio: tokio_util's LengthDelimitedCodec, the same wire and lines",
        family: Family::Blocks,
        log: LogStyle::Blocks,
        ..ONE_SHOT
    },
    Listing {
        id: "examples.rst",
        chapter: CH05,
        book: "examples.rst",
        krate: "examples-rst",
        script: Some("py3/chapter05/examples.rst"),
        usage: "(doc tests)",
        summary: "the chapter's interactive session: byte order and text encodings, computed in Rust",
        lifetime: Lifetime::Once,
        recorded: Recorded::Nothing,
        ..ROW
    },
    Listing {
        id: "6-safe",
        book: "safe_tls.py",
        krate: "safe-tls",
        bins: &["safe_tls"],
        script: Some("py3/chapter06/safe_tls.py"),
        usage: "safe_tls [-a cafile] [-s certfile] host port",
        summary: "TLS with safe defaults: the client checks the CA and the name; one line, then close_notify",
        log: LogStyle::TlsMessage,
        ..TLS
    },
    Listing {
        id: "6-test",
        book: "test_tls.py",
        krate: "test-tls",
        bins: &["test_tls"],
        script: Some("py3/chapter06/test_tls.py"),
        usage: "test_tls [-a cafile] [-c certfile] [-C ciphers] [-p PROTOCOL] [-s certfile] [-d] [-v] host port",
        summary: "attempt a TLS connection and report the peer's certificate, the version and the cipher",
        log: LogStyle::TlsReport,
        ..TLS
    },
    Listing {
        id: "zen_utils",
        book: "Listing 7-1",
        krate: "zen-utils",
        script: Some("py3/chapter07/zen_utils.py"),
        usage: "(a module)",
        summary: "the Zen service: get_answer, recv_until, accept_connections_forever...",
        runs: Runs::ByOthers,
        recorded: Recorded::Program("srv_single", &["--help"]),
        ..ZEN
    },
    Listing {
        id: "zen_client",
        book: "client.py",
        krate: "zen-client",
        bins: &["zen_client"],
        script: Some("py3/chapter07/client.py"),
        usage: "zen_client host [-e] [-p port]",
        summary: "asks the three questions in random order; -e causes an error",
        lifetime: Lifetime::Once,
        runs: Runs::ByOthers,
        log: LogStyle::None,
        listening: false,
        concurrency: Concurrency::NotAServer,
        recorded: Recorded::RunOf("srv_single"),
        ..ZEN
    },
    Listing {
        id: "srv_single",
        book: "Listing 7-3",
        krate: "srv-single",
        bins: &["srv_single"],
        script: Some("py3/chapter07/srv_single.py"),
        usage: "srv_single host [-p port]",
        summary: "single-threaded server that serves one client at a time; others must wait",
        concurrency: Concurrency::One,
        ..ZEN
    },
    Listing {
        id: "srv_threaded",
        book: "Listing 7-4",
        krate: "srv-threaded",
        bins: &["srv_threaded"],
        script: Some("py3/chapter07/srv_threaded.py"),
        usage: "srv_threaded host [-p port]",
        summary: "four threads accepting on one listener serve four clients at once",
        concurrency: Concurrency::Pool(4),
        ..ZEN
    },
    Listing {
        id: "srv_legacy1",
        book: "Listing 7-5",
        krate: "srv-legacy1",
        bins: &["srv_legacy1"],
        script: Some("py3/chapter07/srv_legacy1.py"),
        usage: "srv_legacy1 host [-p port]",
        summary: "the legacy socketserver module: a new thread per connection, no limit",
        log: LogStyle::Socketserver,
        listening: false,
        concurrency: Concurrency::ThreadPerClient,
        ..ZEN
    },
    Listing {
        id: "srv_async",
        book: "Listing 7-6",
        krate: "srv-async",
        bins: &["srv_async"],
        script: Some("py3/chapter07/srv_async.py"),
        usage: "srv_async host [-p port]",
        summary: "one poll() loop serves every client, with dictionaries of per-socket state",
        log: LogStyle::Loop,
        ..ZEN
    },
    Listing {
        id: "srv_asyncio1",
        book: "srv_asyncio1.py",
        krate: "srv-asyncio1",
        bins: &["srv_asyncio1"],
        script: Some("py3/chapter07/srv_asyncio1.py"),
        usage: "srv_asyncio1 host [-p port]",
        summary: "asyncio-style callbacks (connection_made, data_received, connection_lost)",
        log: LogStyle::Callbacks,
        // Its loop waits in epoll, as asyncio's does on Linux; the hidden --poller poll
        // measures what poll() would cost instead.
        flavours: &["--poller poll"],
        ..ZEN
    },
    Listing {
        id: "srv_asyncio2",
        book: "srv_asyncio2.py",
        krate: "srv-asyncio2",
        bins: &["srv_asyncio2"],
        script: Some("py3/chapter07/srv_asyncio2.py"),
        usage: "srv_asyncio2 host [-p port] [--await-delay]",
        summary: "a coroutine per connection, on tokio's one-thread runtime",
        log: LogStyle::Loop,
        flavours: &["--await-delay"],
        ..ZEN
    },
    Listing {
        id: "srv_legacy2",
        book: "srv_legacy2.py",
        krate: "srv-legacy2",
        bins: &["srv_legacy2"],
        script: Some("py3/chapter07/srv_legacy2.py"),
        usage: "srv_legacy2 host [-p port]",
        summary: "the legacy asyncore/asynchat modules: a terminator-splitting handler",
        log: LogStyle::Asyncore,
        splits_questions: true,
        ..ZEN
    },
    Listing {
        id: "in_zen1",
        book: "in_zen1.py, inetd nowait",
        krate: "in-zen1",
        bins: &["in_zen1"],
        script: Some("py3/chapter07/in_zen1.py"),
        usage: "in_zen1 [--log FILE]",
        summary: "single-shot server for inetd: one process per connection, under systemd-socket-activate -a",
        runs: Runs::SuperServer { accept: true },
        needs: SUPER_SERVER,
        listening: false,
        concurrency: Concurrency::ProcessPerClient,
        ..ZEN
    },
    Listing {
        id: "in_zen2",
        book: "in_zen2.py, inetd wait",
        krate: "in-zen2",
        bins: &["in_zen2"],
        script: Some("py3/chapter07/in_zen2.py"),
        usage: "in_zen2 [--idle SECONDS] [--log FILE]",
        summary: "multi-shot server for inetd: accepts until idle for 8 s, under systemd-socket-activate",
        runs: Runs::SuperServer { accept: false },
        needs: SUPER_SERVER,
        listening: false,
        concurrency: Concurrency::One,
        session: Session {
            server: &["--idle", "0.5"],
            client: &[],
        },
        ..ZEN
    },
    Listing {
        id: "7",
        book: "test.sh",
        krate: "(all of Chapter 7)",
        script: Some("py3/chapter07/test.sh"),
        summary: "every Chapter 7 server in turn with both clients, and a verdict for each",
        runs: Runs::Each(Family::Zen),
        recorded: Recorded::Nothing,
        ..ZEN
    },
];

/// Finds a runnable listing by ID, crate name or binary name.
pub fn find(name: &str) -> Option<&'static Listing> {
    let runnable = || LISTINGS.iter().filter(|l| l.runnable());
    runnable().find(|l| l.id == name).or_else(|| {
        runnable().find(|l| {
            !matches!(l.runs, Runs::Alone { .. } | Runs::Each(_))
                && (l.krate == name || l.bins.contains(&name))
        })
    })
}

/// What a name given to `cargo xtask run` stands for.
#[derive(Debug)]
pub enum Lookup {
    /// One runnable row.
    Found(&'static Listing),
    /// A crate or binary that several rows run (`page53`, `udp_claims`): run one of them.
    Several(Vec<&'static Listing>),
    /// A row with no session of its own (a client, a module), and the row whose session
    /// shows it.
    ShownBy(&'static Listing, &'static Listing),
    /// Nothing: the nearest IDs, best first (perhaps none).
    Unknown(Vec<&'static str>),
}

/// Looks up a name as `cargo xtask run` takes it: an ID, the book's listing number
/// (`7-3`, from "Listing 7-3"), a crate or a binary.
pub fn lookup(name: &str) -> Lookup {
    if let Some(l) = find(name) {
        return Lookup::Found(l);
    }
    if let Some(l) = by_id(name)
        && let Some(shown) = shown_by(l)
    {
        return Lookup::ShownBy(l, shown);
    }
    let numbered = LISTINGS
        .iter()
        .find(|l| l.book.strip_prefix("Listing ") == Some(name));
    if let Some(l) = numbered {
        if l.runnable() {
            return Lookup::Found(l);
        }
        if let Some(shown) = shown_by(l) {
            return Lookup::ShownBy(l, shown);
        }
    }
    let named: Vec<&'static Listing> = LISTINGS
        .iter()
        .filter(|l| l.krate == name || l.bins.contains(&name))
        .collect();
    let runnable: Vec<&'static Listing> = named.iter().copied().filter(|l| l.runnable()).collect();
    if runnable.len() > 1 {
        return Lookup::Several(runnable);
    }
    if let Some(l) = named.first()
        && let Some(shown) = shown_by(l)
    {
        return Lookup::ShownBy(l, shown);
    }
    Lookup::Unknown(nearest(name))
}

/// The runnable row whose session shows a row that has none: the one it records
/// (`zen_client` in `srv_single`'s), or the one that runs its module's binary.
fn shown_by(l: &Listing) -> Option<&'static Listing> {
    match l.recorded {
        Recorded::RunOf(id) => by_id(id),
        Recorded::Program(bin, _) => find(bin),
        _ => None,
    }
}

/// The IDs nearest to a name that matches none: those at the smallest edit distance
/// (within a third of the name's length, at least 1) from an ID, crate, binary or book
/// number, and of those the ones that share the longest beginning with the name (`3-3`:
/// `3-1` and `3-2`, not `2-3`); at most three.
fn nearest(name: &str) -> Vec<&'static str> {
    let limit = (name.chars().count() / 3).max(1);
    let shared = |n: &str| {
        name.chars()
            .zip(n.chars())
            .take_while(|(a, b)| a == b)
            .count()
    };
    let mut scored: Vec<((usize, std::cmp::Reverse<usize>), &'static str)> = Vec::new();
    for l in LISTINGS.iter().filter(|l| l.runnable()) {
        let number = l.book.strip_prefix("Listing ");
        let names = [Some(l.id), Some(l.krate), l.bin(), number];
        let best = names
            .into_iter()
            .flatten()
            .map(|n| (distance(name, n), std::cmp::Reverse(shared(n))))
            .min();
        if let Some(score) = best
            && score.0 <= limit
        {
            scored.push((score, l.id));
        }
    }
    let Some(best) = scored.iter().map(|(score, _)| *score).min() else {
        return Vec::new();
    };
    scored
        .into_iter()
        .filter(|(score, _)| *score == best)
        .map(|(_, id)| id)
        .take(3)
        .collect()
}

/// Levenshtein's distance between two names, by characters.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = (above + 1)
                .min(row[j] + 1)
                .min(diagonal + usize::from(ca != *cb));
            diagonal = above;
        }
    }
    row[b.len()]
}

/// The listing whose binary is `bin` (runnable or not).
pub fn by_bin(bin: &str) -> Option<&'static Listing> {
    LISTINGS.iter().find(|l| l.bins.contains(&bin))
}

/// The first listing a crate ports (a crate's own tests find themselves with
/// `by_crate(env!("CARGO_PKG_NAME"))`).
pub fn by_crate(krate: &str) -> Option<&'static Listing> {
    LISTINGS.iter().find(|l| l.krate == krate)
}

/// The listing with this ID (runnable or not).
pub fn by_id(id: &str) -> Option<&'static Listing> {
    LISTINGS.iter().find(|l| l.id == id)
}

/// The client that runs against a family's servers, where the family's servers have
/// no client of their own (`zen_client` for the Zen servers).
pub fn client_of(family: Family) -> Option<&'static Listing> {
    LISTINGS.iter().find(|l| {
        l.family == family && l.concurrency == Concurrency::NotAServer && l.bin().is_some()
    })
}

/// The crate of each listing that records a session, once, in the book's order.
pub fn recorded_crates() -> Vec<&'static Listing> {
    let mut seen: Vec<&'static Listing> = Vec::new();
    for l in LISTINGS {
        if l.recorded != Recorded::Nothing && !seen.iter().any(|s| s.krate == l.krate) {
            seen.push(l);
        }
    }
    seen
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_crates_and_binaries_are_unique_and_found() {
        for (i, l) in LISTINGS.iter().enumerate() {
            assert!(LISTINGS[..i].iter().all(|o| o.id != l.id), "{} twice", l.id);
            if l.runnable() {
                assert!(std::ptr::eq(find(l.id).unwrap(), l), "{}", l.id);
            }
            if let Some(bin) = l.bin()
                && l.runnable()
                && !matches!(l.runs, Runs::Alone { .. })
            {
                assert!(std::ptr::eq(find(bin).unwrap(), l), "{bin}");
                assert!(std::ptr::eq(find(l.krate).unwrap(), l), "{}", l.krate);
            }
        }
        assert!(find("9-9").is_none());
        assert!(
            find("zen_client").is_none(),
            "run only by the servers' sessions"
        );
        assert_eq!(Family::Zen.members().filter(|l| l.runnable()).count(), 9);
        assert_eq!(
            client_of(Family::Zen).and_then(Listing::bin),
            Some("zen_client")
        );
        assert_eq!(Family::Uppercase.members().count(), 4);
    }

    #[test]
    fn a_name_is_looked_up_as_a_reader_types_it() {
        let ids = |found: Lookup| match found {
            Lookup::Found(l) => vec![l.id],
            Lookup::Several(ls) => ls.iter().map(|l| l.id).collect(),
            Lookup::ShownBy(l, by) => vec![l.id, by.id],
            Lookup::Unknown(near) => near,
        };
        assert_eq!(ids(lookup("3-1")), ["3-1"]);
        assert_eq!(ids(lookup("tcp_sixteen")), ["3-1"]);
        // The book's numbers, where the ID is another.
        assert_eq!(ids(lookup("7-3")), ["srv_single"]);
        assert_eq!(ids(lookup("7-6")), ["srv_async"]);
        assert_eq!(ids(lookup("7-1")), ["zen_utils", "srv_single"]);
        assert_eq!(
            ids(lookup("page53")),
            [
                "half-close",
                "shut-rd",
                "close-vs-shutdown",
                "eof-vs-wouldblock",
                "udp-flood"
            ]
        );
        assert_eq!(ids(lookup("udp_claims")).len(), 6);
        assert_eq!(ids(lookup("zen_client")), ["zen_client", "srv_single"]);
        assert_eq!(ids(lookup("zen_utils")), ["zen_utils", "srv_single"]);
        assert_eq!(ids(lookup("3-3")), ["3-1", "3-2"]);
        assert_eq!(ids(lookup("tcp_sixten")), ["3-1"]);
        assert_eq!(ids(lookup("srv_asyncio")), ["srv_asyncio1", "srv_asyncio2"]);
        assert!(ids(lookup("gopher")).is_empty());
        assert_eq!(distance("kitten", "sitting"), 3);
    }

    #[test]
    fn every_recorded_session_and_program_names_a_real_listing() {
        for l in LISTINGS {
            match l.recorded {
                Recorded::RunOf(id) => assert!(by_id(id).is_some_and(Listing::runnable), "{id}"),
                Recorded::Program(bin, _) => assert!(by_bin(bin).is_some(), "{bin}"),
                Recorded::Run => assert!(l.runnable(), "{}", l.id),
                Recorded::Nothing => {}
            }
        }
        assert!(recorded_crates().iter().any(|l| l.krate == "page53"));
    }
}
