//! The table of listings that `cargo xtask list` shows and `cargo xtask run` runs.

use std::io::{self, Write};

use conformance::zen::LogStyle;
use testkit::table::{Align, Table};

/// One runnable listing.
#[derive(Debug)]
pub struct Listing {
    /// The ID users type: `3-1`, `srv_single`.
    pub id: &'static str,
    /// Where it is in the book.
    pub book: &'static str,
    /// The crate that ports it.
    pub krate: &'static str,
    /// The binary, named after the Python script.
    pub bin: &'static str,
    /// One line saying what it does.
    pub summary: &'static str,
    /// Client arguments used when `run` is given none.
    pub default_args: &'static [&'static str],
    /// How `run` runs it.
    pub kind: Kind,
}

/// What kind of thing `cargo xtask run` runs.
#[derive(Clone, Copy, Debug)]
pub enum Kind {
    /// Chapter 3: `BIN server 127.0.0.1` and `BIN client localhost ARGS`, shown as the
    /// book's sessions are. `settled` says the server's log is done with the client.
    Pair {
        settled: fn(&str) -> bool,
        /// Whether a stall is page 53's deadlock (Listing 3-2 as the book wrote it).
        deadlocks: bool,
    },
    /// One program, `BIN SUBCOMMAND`, that prints its own observations and verdict.
    Demo(&'static str),
    /// Chapter 7: a Zen server, `BIN localhost`, then `zen_client localhost` and
    /// `zen_client localhost -e`, as the book's `test.sh` runs each server.
    Zen {
        /// How the server words its log.
        style: LogStyle,
        /// Whether it prints `Listening at` first.
        listening: bool,
    },
    /// Chapter 7's inetd pair, under `systemd-socket-activate --inetd` (`-a` for
    /// `nowait`, one process per connection), with the same two clients.
    Inetd { accept: bool },
    /// Every Chapter 7 server in turn, like the book's `test.sh`.
    Chapter7,
}

/// A page 53 demonstration: `page53 SUBCOMMAND`.
const fn demo(id: &'static str, summary: &'static str) -> Listing {
    Listing {
        id,
        book: "Chapter 3, page 53",
        krate: "page53",
        bin: "page53",
        summary,
        default_args: &[],
        kind: Kind::Demo(id),
    }
}

/// A Chapter 3 client-and-server listing.
const fn pair(
    id: &'static str,
    book: &'static str,
    krate: &'static str,
    bin: &'static str,
    summary: &'static str,
    default_args: &'static [&'static str],
    settled: fn(&str) -> bool,
) -> Listing {
    Listing {
        id,
        book,
        krate,
        bin,
        summary,
        default_args,
        kind: Kind::Pair {
            settled,
            deadlocks: false,
        },
    }
}

pub static LISTINGS: &[Listing] = &[
    pair(
        "3-1",
        "Chapter 3, Listing 3-1",
        "tcp-sixteen",
        "tcp_sixteen",
        "TCP client and server that send and receive 16 octets",
        &[],
        // Back to accepting after the one connection.
        |log| log.matches("Waiting to accept a new connection\n").count() >= 2,
    ),
    Listing {
        id: "3-2",
        book: "Chapter 3, Listing 3-2",
        krate: "tcp-deadlock",
        bin: "tcp_deadlock",
        summary: "TCP client and server that leave too much data waiting (deadlocks when large)",
        default_args: &[],
        kind: Kind::Pair {
            // Done with the one connection, or reported its failure.
            settled: |log| log.contains("  Socket closed\n") || log.contains(" failed: "),
            deadlocks: true,
        },
    },
    pair(
        "3-2-threaded",
        "Chapter 3, page 53 (b)",
        "tcp-threaded",
        "tcp_threaded",
        "Listing 3-2 without the deadlock: one thread sends while another receives",
        &["1073741824"],
        variant_settled,
    ),
    pair(
        "3-2-nonblocking",
        "Chapter 3, page 53 (a)",
        "tcp-nonblocking",
        "tcp_nonblocking",
        "Listing 3-2 without the deadlock: nonblocking sockets driven by poll()",
        &["1073741824"],
        variant_settled,
    ),
    pair(
        "3-2-async",
        "Chapter 3, page 53 (a), tokio",
        "tcp-async",
        "tcp_async",
        "Listing 3-2 without the deadlock: async tasks, both halves of the socket at once",
        &["1073741824"],
        variant_settled,
    ),
    demo(
        "half-close",
        "shutdown(Write): the peer reads EOF, and the reply still comes back",
    ),
    demo(
        "shut-rd",
        "shutdown(Read): does the peer really meet an error? (not on Linux)",
    ),
    demo(
        "close-vs-shutdown",
        "close() of one handle versus shutdown() of the shared socket",
    ),
    demo(
        "eof-vs-wouldblock",
        "EOF (0 bytes) versus \"would block\", and a reset",
    ),
    demo(
        "udp-flood",
        "UDP drops what is not read in time; TCP makes the sender wait",
    ),
    zen(
        "srv_single",
        "Chapter 7, Listing 7-3",
        "srv-single",
        "single-threaded server that serves one client at a time; others must wait",
        LogStyle::ZenUtils,
        true,
    ),
    zen(
        "srv_threaded",
        "Chapter 7, Listing 7-4",
        "srv-threaded",
        "four threads accepting on one listener serve four clients at once",
        LogStyle::ZenUtils,
        true,
    ),
    zen(
        "srv_legacy1",
        "Chapter 7, Listing 7-5",
        "srv-legacy1",
        "the legacy socketserver module: a new thread per connection, no limit",
        LogStyle::Socketserver,
        false,
    ),
    zen(
        "srv_async",
        "Chapter 7, Listing 7-6",
        "srv-async",
        "one poll() loop serves every client, with dictionaries of per-socket state",
        LogStyle::Loop,
        true,
    ),
    zen(
        "srv_asyncio1",
        "Chapter 7",
        "srv-asyncio1",
        "asyncio-style callbacks (connection_made, data_received, connection_lost)",
        LogStyle::Callbacks,
        true,
    ),
    zen(
        "srv_asyncio2",
        "Chapter 7",
        "srv-asyncio2",
        "a coroutine per connection, on tokio's one-thread runtime",
        LogStyle::Loop,
        true,
    ),
    zen(
        "srv_legacy2",
        "Chapter 7",
        "srv-legacy2",
        "the legacy asyncore/asynchat modules: a terminator-splitting handler",
        LogStyle::Asyncore,
        true,
    ),
    Listing {
        id: "in_zen1",
        book: "Chapter 7, inetd nowait",
        krate: "in-zen1",
        bin: "in_zen1",
        summary: "single-shot server for inetd: one process per connection, under systemd-socket-activate -a",
        default_args: &[],
        kind: Kind::Inetd { accept: true },
    },
    Listing {
        id: "in_zen2",
        book: "Chapter 7, inetd wait",
        krate: "in-zen2",
        bin: "in_zen2",
        summary: "multi-shot server for inetd: accepts until idle for 8 s, under systemd-socket-activate",
        default_args: &[],
        kind: Kind::Inetd { accept: false },
    },
    Listing {
        id: "7",
        book: "Chapter 7, test.sh",
        krate: "(all of Chapter 7)",
        bin: "",
        summary: "every Chapter 7 server in turn with both clients, and a verdict for each",
        default_args: &[],
        kind: Kind::Chapter7,
    },
];

/// A Chapter 7 server, run as the book's `test.sh` runs it.
const fn zen(
    id: &'static str,
    book: &'static str,
    krate: &'static str,
    summary: &'static str,
    style: LogStyle,
    listening: bool,
) -> Listing {
    Listing {
        id,
        book,
        krate,
        bin: id,
        summary,
        default_args: &[],
        kind: Kind::Zen { style, listening },
    }
}

/// The Chapter 7 servers, in the order `cargo xtask run 7` runs them.
pub fn chapter7() -> impl Iterator<Item = &'static Listing> {
    LISTINGS
        .iter()
        .filter(|l| matches!(l.kind, Kind::Zen { .. } | Kind::Inetd { .. }))
}

/// The variants log one line when a connection closes or fails.
fn variant_settled(log: &str) -> bool {
    log.contains("  Socket closed: ") || log.contains(" failed after ")
}

/// Finds a listing by ID, crate name or binary name.
pub fn find(name: &str) -> Option<&'static Listing> {
    LISTINGS.iter().find(|l| l.id == name).or_else(|| {
        LISTINGS.iter().find(|l| {
            !matches!(l.kind, Kind::Demo(_) | Kind::Chapter7) && (l.krate == name || l.bin == name)
        })
    })
}

fn write_list(out: &mut impl Write) -> io::Result<()> {
    let mut table = Table::new(&[
        ("ID", Align::Left),
        ("book", Align::Left),
        ("crate", Align::Left),
        ("what it does", Align::Left),
    ]);
    for l in LISTINGS {
        table.row(vec![
            l.id.into(),
            l.book.into(),
            l.krate.into(),
            l.summary.into(),
        ]);
    }
    out.write_all(table.render().as_bytes())
}

pub fn print_list() {
    let _ = write_list(&mut io::stdout().lock());
}

pub fn print_list_to_stderr() {
    let _ = write_list(&mut io::stderr().lock());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_crates_and_binaries_are_unique_and_found() {
        for l in LISTINGS {
            assert!(std::ptr::eq(find(l.id).unwrap(), l), "{}", l.id);
            if !matches!(l.kind, Kind::Demo(_) | Kind::Chapter7) {
                for name in [l.krate, l.bin] {
                    assert!(std::ptr::eq(find(name).unwrap(), l), "{name}");
                }
            }
        }
        assert!(find("9-9").is_none());
        assert_eq!(chapter7().count(), 9);
    }
}
