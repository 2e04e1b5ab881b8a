//! Every runnable listing's facts, written once: what `cargo xtask list` shows, what
//! `run`, `transcripts`, `bench`, `bench zen` and `conform` run, and what the tests hold
//! each implementation to. It depends on nothing, so that `cargo xtask run` reads it
//! without compiling the rest of the tooling.
//!
//! A listing's binary is named here and in at most one test adapter; everything else
//! finds it through [`find`], [`listings`] or [`Family::members`]. Each chapter's rows
//! are a file of their own (`ch03.rs`); [`CHAPTERS`] lists the chapters.

/// A chapter of the book, the folder under `crates/` that holds its listings, and its
/// rows of the catalog (a file of this crate per chapter: `ch03.rs`).
pub struct Chapter {
    pub number: u8,
    pub title: &'static str,
    pub dir: &'static str,
    /// Its rows (a function, since a row names its chapter: a chapter that held its rows
    /// would be a cycle for the compiler to evaluate).
    pub rows: fn() -> &'static [Listing],
}

// By hand: a chapter's rows name the chapter, and a derived Debug or PartialEq would
// follow them round for ever.
impl std::fmt::Debug for Chapter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Chapter {} ({})", self.number, self.title)
    }
}

impl PartialEq for Chapter {
    fn eq(&self, other: &Self) -> bool {
        self.number == other.number
    }
}

impl Eq for Chapter {}

pub mod template;

mod ch01;
mod ch02;
mod ch03;
mod ch04;
mod ch05;
mod ch06;
mod ch07;
mod ch09;
mod ch10;

/// Chapter 4's stand-in zone, which the `dns` conformance table's cases ask.
pub use ch04::DNS as DNS_ZONE;

/// Chapter 9's stand-in for httpbin, which the `http-client` table's cases fetch from.
pub use ch09::HTTPBIN;

/// Every chapter the workspace ports, in the book's order: the root README's table of
/// chapters, and the folders the tidy test knows.
/// A new chapter is a file of rows (`ch08.rs`), its `mod` line above, and its line here.
pub static CHAPTERS: &[&Chapter] = &[
    &ch01::CHAPTER,
    &ch02::CHAPTER,
    &ch03::CHAPTER,
    &ch04::CHAPTER,
    &ch05::CHAPTER,
    &ch06::CHAPTER,
    &ch07::CHAPTER,
    &ch09::CHAPTER,
    &ch10::CHAPTER,
];

/// Every listing, in the book's order.
pub fn listings() -> impl Iterator<Item = &'static Listing> + Clone {
    CHAPTERS.iter().flat_map(|c| c.listings())
}

impl Chapter {
    /// Its folder, from the workspace's root: `crates/ch03-tcp`.
    pub fn path(&self) -> String {
        format!("crates/{}", self.dir)
    }

    /// Its README, from the workspace's root: `crates/ch03-tcp/README.md`.
    pub fn readme(&self) -> String {
        format!("{}/README.md", self.path())
    }

    /// Its listings, in the book's order.
    pub fn listings(&self) -> std::slice::Iter<'static, Listing> {
        (self.rows)().iter()
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
    /// Its command line, a [`template`] with `{bin}` and `{-p}`, run in the session's
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

/// A session's two command lines, as templates ([`template`] says what the tokens are):
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
    /// Its command line, as the README shows it (`None`: it has none, as `test.sh`).
    pub usage: Option<Usage>,
    /// One line saying what it does.
    pub summary: &'static str,
    /// The protocol it speaks (`None`: a demonstration that speaks none of its own).
    pub family: Option<Family>,
    pub transport: Transport,
    pub lifetime: Lifetime,
    pub runs: Runs,
    pub needs: Needs,
    /// How its server words its log (`None`: nothing a table checks).
    pub log: Option<LogStyle>,
    /// Whether the server prints `Listening at` first.
    pub listening: bool,
    /// How many clients its server serves at once (`None`: it is not a server).
    pub concurrency: Option<Concurrency>,
    /// Whether two questions in one piece get two answers (asynchat splits at every `?`).
    pub splits_questions: bool,
    /// Other ways the same server runs, each given as extra arguments (split at spaces),
    /// that the benches and the tables hold to the same cases (`--await-delay`).
    pub flavours: &'static [&'static str],
    /// Its session's command lines, where it has a server and a client.
    pub commands: Option<Commands>,
    /// The table's cases it cannot run, and why.
    pub skips: Skips,
    pub session: Session,
    /// The client's arguments when `cargo xtask run` is given none.
    pub run_args: &'static [&'static str],
    /// A [`Runs::Steps`] session's commands, in order: [`template`]s whose `{bin}` is the
    /// row's binary and `{port}` the stand-in's; `cat FILE` shows a file the steps wrote.
    pub steps: &'static [&'static str],
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

    /// The packages its session needs built: its crate (for a tour, every crate of its
    /// steps), its stand-in's, and the certificate maker if it needs certificates.
    pub fn packages(&self) -> Vec<&'static str> {
        let maker = self.needs.certificates.then_some(CERTIFICATE_MAKER.0);
        let mut packages: Vec<&'static str> = Vec::new();
        for row in self.tour() {
            packages.push(row.krate);
            if let Runs::Steps {
                stand_in: Some(stand_in),
            } = row.runs
            {
                packages.push(stand_in.package);
            }
        }
        packages.extend(maker);
        packages.dedup();
        packages
    }

    /// The rows whose steps its session runs: itself, or for a [`Runs::Tour`] every row
    /// of its chapter that has steps.
    pub fn tour(&self) -> Vec<&Listing> {
        match self.runs {
            Runs::Tour => self
                .chapter
                .listings()
                .filter(|l| matches!(l.runs, Runs::Steps { .. }))
                .collect(),
            _ => vec![self],
        }
    }

    /// Whether `cargo xtask run` can run it by itself.
    pub fn runnable(&self) -> bool {
        self.runs != Runs::ByOthers
    }
}

/// A row with every fact at its most common value, for the rows below to override.
pub(crate) const ROW: Listing = Listing {
    id: "",
    chapter: &ch03::CHAPTER,
    book: "",
    krate: "",
    bins: &[],
    script: None,
    usage: None,
    summary: "",
    family: None,
    transport: Transport::Tcp,
    lifetime: Lifetime::Forever,
    runs: Runs::ByOthers,
    needs: NOTHING,
    log: None,
    listening: false,
    concurrency: None,
    splits_questions: false,
    flavours: &[],
    commands: None,
    skips: Skips {
        server: &[],
        client: &[],
    },
    session: BARE,
    run_args: &[],
    steps: &[],
    recorded: Recorded::Run,
};

/// Finds a runnable listing by ID, crate name or binary name.
pub fn find(name: &str) -> Option<&'static Listing> {
    let runnable = || listings().filter(|l| l.runnable());
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
    let numbered = listings().find(|l| l.book.strip_prefix("Listing ") == Some(name));
    if let Some(l) = numbered {
        if l.runnable() {
            return Lookup::Found(l);
        }
        if let Some(shown) = shown_by(l) {
            return Lookup::ShownBy(l, shown);
        }
    }
    let named: Vec<&'static Listing> = listings()
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
    for l in listings().filter(|l| l.runnable()) {
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
    listings().find(|l| l.bins.contains(&bin))
}

/// The first listing a crate ports (a crate's own tests find themselves with
/// `by_crate(env!("CARGO_PKG_NAME"))`).
pub fn by_crate(krate: &str) -> Option<&'static Listing> {
    listings().find(|l| l.krate == krate)
}

/// The listing with this ID (runnable or not).
pub fn by_id(id: &str) -> Option<&'static Listing> {
    listings().find(|l| l.id == id)
}

/// The client that runs against a family's servers, where the family's servers have
/// no client of their own (`zen_client` for the Zen servers).
pub fn client_of(family: Family) -> Option<&'static Listing> {
    listings().find(|l| l.family == Some(family) && l.concurrency.is_none() && l.bin().is_some())
}

/// The crate of each listing that records a session, once, in the book's order.
pub fn recorded_crates() -> Vec<&'static Listing> {
    let mut seen: Vec<&'static Listing> = Vec::new();
    for l in listings() {
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
        let all: Vec<&Listing> = listings().collect();
        for (i, l) in all.iter().copied().enumerate() {
            assert!(all[..i].iter().all(|o| o.id != l.id), "{} twice", l.id);
            if l.runnable() {
                assert!(std::ptr::eq(find(l.id).unwrap(), l), "{}", l.id);
            }
            if let Some(bin) = l.bin()
                && l.runnable()
                && !matches!(l.runs, Runs::Alone { .. })
            {
                // A binary that several rows run (`_test` against each time app) is
                // found as its first row.
                let first = all
                    .iter()
                    .copied()
                    .find(|o| {
                        o.runnable()
                            && o.bins.contains(&bin)
                            && !matches!(o.runs, Runs::Alone { .. })
                    })
                    .unwrap();
                assert!(std::ptr::eq(find(bin).unwrap(), first), "{bin}");
                assert!(std::ptr::eq(find(l.krate).unwrap(), first), "{}", l.krate);
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
    fn every_session_of_a_server_and_a_client_has_its_two_command_lines() {
        for l in listings() {
            let two = matches!(
                l.runs,
                Runs::ServerAndClient { .. }
                    | Runs::OneConnection
                    | Runs::ZenServer
                    | Runs::SuperServer { .. }
            );
            // A server that other rows' sessions run (Chapter 10's apps) names its own
            // command line for conform, and no client.
            let server_of_others =
                l.runs == Runs::ByOthers && l.concurrency.is_some() && l.bin().is_some();
            assert_eq!(l.commands.is_some(), two || server_of_others, "{}", l.id);
            if let Some(commands) = l.commands {
                assert!(commands.server.contains("{bin}"), "{}", l.id);
                let ported = |t: &str| t.contains("{-p}") || t.contains("{port}");
                assert!(
                    ported(commands.server) && (ported(commands.client) || server_of_others),
                    "{}",
                    l.id
                );
            }
        }
    }

    #[test]
    fn every_session_of_steps_has_its_steps_and_a_tour_gathers_them() {
        for l in listings() {
            let steps = matches!(l.runs, Runs::Steps { .. });
            assert_eq!(!l.steps.is_empty(), steps, "{}", l.id);
            for step in l.steps {
                assert!(
                    step.starts_with("{bin}") || step.starts_with("cat "),
                    "{}",
                    l.id
                );
            }
            if let Runs::Steps {
                stand_in: Some(stand_in),
            } = l.runs
            {
                assert!(stand_in.command.contains("{-p}"), "{}", stand_in.bin);
                assert!(l.steps.iter().all(|s| s.contains("{port}")), "{}", l.id);
            }
        }
        let tour = by_id("1").unwrap();
        let ids: Vec<&str> = tour.tour().iter().map(|l| l.id).collect();
        assert_eq!(
            ids,
            [
                "search1",
                "search2",
                "search3",
                "search4",
                "getname",
                "stringcodes"
            ]
        );
        assert!(tour.packages().contains(&"geocoding-standin"));
        assert_eq!(by_id("getname").unwrap().packages(), ["getname"]);
    }

    #[test]
    fn a_log_is_done_with_its_client_by_the_styles_own_line() {
        let sixteen = "Listening at\nWaiting to accept a new connection\n";
        assert!(!LogStyle::Sixteen.done_with_client(sixteen));
        let again = format!("{sixteen}We have accepted\nWaiting to accept a new connection\n");
        assert!(LogStyle::Sixteen.done_with_client(&again));
        assert!(!LogStyle::Datagrams.done_with_client("Listening at ('127.0.0.1', 1060)\n"));
        assert!(LogStyle::Deadlock.done_with_client("  Socket closed\n"));
        assert!(!LogStyle::Variant.done_with_client("  Socket closed\n"));
        assert!(LogStyle::Blocks.done_with_client(""));
    }

    #[test]
    fn every_chapter_holds_its_own_rows_in_the_books_order() {
        for chapter in CHAPTERS {
            assert!(
                chapter.listings().all(|l| l.chapter == *chapter),
                "{chapter:?}"
            );
        }
        let numbers: Vec<u8> = CHAPTERS.iter().map(|c| c.number).collect();
        assert!(numbers.is_sorted(), "{numbers:?}");
        assert_eq!(listings().count(), 61);
    }

    #[test]
    fn every_recorded_session_and_program_names_a_real_listing() {
        for l in listings() {
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
