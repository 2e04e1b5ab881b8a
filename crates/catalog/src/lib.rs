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

mod kinds;
mod lookup;

pub use kinds::*;
pub use lookup::*;

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
    /// row's binary, `{client}` its [`Listing::steps_client`]'s and `{port}` the
    /// stand-in's; `cat FILE` shows a file the steps wrote.
    pub steps: &'static [&'static str],
    /// The client of a server's own [`Runs::Steps`] session (`wsgi_env`, which the book
    /// leaves to curl), as its package and binary: another crate's tool, `{client}` in
    /// the steps, while the stand-in is the listing itself.
    pub steps_client: Option<(&'static str, &'static str)>,
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
            packages.extend(row.steps_client.map(|(package, _)| package));
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
    steps_client: None,
    recorded: Recorded::Run,
};

#[cfg(test)]
mod tests {
    use super::*;

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
            // A server that other rows' sessions run (Chapter 10's apps), or that is its
            // own session's stand-in (wsgi_env), names its own command line for conform,
            // and no client.
            let server_of_others = matches!(l.runs, Runs::ByOthers | Runs::Steps { .. })
                && l.concurrency.is_some()
                && l.bin().is_some();
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
                    step.starts_with("{bin}")
                        || (step.starts_with("{client}") && l.steps_client.is_some())
                        || step.starts_with("cat "),
                    "{}",
                    l.id
                );
            }
            if let Runs::Steps {
                stand_in: Some(stand_in),
            } = l.runs
            {
                // `{-p}` (left out at the book's 1060) only where 1060 is the stand-in's
                // default: a shown line typed as it is must reach the same port.
                assert!(
                    stand_in.command.contains("{-p}") || stand_in.command.contains("-p {port}"),
                    "{}",
                    stand_in.bin
                );
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
        assert_eq!(
            by_id("wsgi_env").unwrap().packages(),
            ["wsgi-env", "http-get"]
        );
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
