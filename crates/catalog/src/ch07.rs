//! Chapter 7, "Server Architecture": the Zen service, seven ways, and its client.
//! Its rows of the catalog; the types are in the crate's root.

use crate::*;

pub static CHAPTER: Chapter = Chapter {
    number: 7,
    title: "Server Architecture",
    dir: "ch07-server-architecture",
    rows: || LISTINGS,
};

/// A row of this chapter, every other fact at its most common value.
const ROW: Listing = Listing {
    chapter: &CHAPTER,
    ..crate::ROW
};

/// A Chapter 7 Zen server, run as `test.sh` runs it.
const ZEN: Listing = Listing {
    family: Some(Family::Zen),
    runs: Runs::ZenServer,
    commands: Some(Commands {
        server: "{bin} localhost {-p} {server_args}",
        client: "{client} localhost {args} {-p}",
    }),
    log: Some(LogStyle::ZenUtils),
    listening: true,
    concurrency: Some(Concurrency::EventLoop),
    ..ROW
};

/// The chapter's listings, in the book's order.
pub static LISTINGS: &[Listing] = &[
    Listing {
        id: "zen_utils",
        book: "Listing 7-1",
        krate: "zen-utils",
        script: Some("py3/chapter07/zen_utils.py"),
        usage: Some(Usage::Module),
        summary: "the Zen service: get_answer, recv_until, accept_connections_forever...",
        runs: Runs::ByOthers,
        commands: None,
        recorded: Recorded::Program("srv_single", &["--help"]),
        ..ZEN
    },
    Listing {
        id: "zen_client",
        book: "client.py",
        krate: "zen-client",
        bins: &["zen_client"],
        script: Some("py3/chapter07/client.py"),
        usage: Some(Usage::Command("zen_client host [-e] [-p port]")),
        summary: "asks the three questions in random order; -e causes an error",
        lifetime: Lifetime::Once,
        runs: Runs::ByOthers,
        commands: None,
        log: None,
        listening: false,
        concurrency: None,
        recorded: Recorded::RunOf("srv_single"),
        ..ZEN
    },
    Listing {
        id: "srv_single",
        book: "Listing 7-3",
        krate: "srv-single",
        bins: &["srv_single"],
        script: Some("py3/chapter07/srv_single.py"),
        usage: Some(Usage::Command("srv_single host [-p port]")),
        summary: "single-threaded server that serves one client at a time; others must wait",
        concurrency: Some(Concurrency::One),
        ..ZEN
    },
    Listing {
        id: "srv_threaded",
        book: "Listing 7-4",
        krate: "srv-threaded",
        bins: &["srv_threaded"],
        script: Some("py3/chapter07/srv_threaded.py"),
        usage: Some(Usage::Command("srv_threaded host [-p port]")),
        summary: "four threads accepting on one listener serve four clients at once",
        concurrency: Some(Concurrency::Pool(4)),
        ..ZEN
    },
    Listing {
        id: "srv_legacy1",
        book: "Listing 7-5",
        krate: "srv-legacy1",
        bins: &["srv_legacy1"],
        script: Some("py3/chapter07/srv_legacy1.py"),
        usage: Some(Usage::Command("srv_legacy1 host [-p port]")),
        summary: "the legacy socketserver module: a new thread per connection, no limit",
        log: Some(LogStyle::Socketserver),
        listening: false,
        concurrency: Some(Concurrency::ThreadPerClient),
        ..ZEN
    },
    Listing {
        id: "srv_async",
        book: "Listing 7-6",
        krate: "srv-async",
        bins: &["srv_async"],
        script: Some("py3/chapter07/srv_async.py"),
        usage: Some(Usage::Command("srv_async host [-p port]")),
        summary: "one poll() loop serves every client, with dictionaries of per-socket state",
        log: Some(LogStyle::Loop),
        ..ZEN
    },
    Listing {
        id: "srv_asyncio1",
        book: "srv_asyncio1.py",
        krate: "srv-asyncio1",
        bins: &["srv_asyncio1"],
        script: Some("py3/chapter07/srv_asyncio1.py"),
        usage: Some(Usage::Command("srv_asyncio1 host [-p port]")),
        summary: "asyncio-style callbacks (connection_made, data_received, connection_lost)",
        log: Some(LogStyle::Callbacks),
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
        usage: Some(Usage::Command(
            "srv_asyncio2 host [-p port] [--await-delay]",
        )),
        summary: "a coroutine per connection, on tokio's one-thread runtime",
        log: Some(LogStyle::Loop),
        flavours: &["--await-delay"],
        ..ZEN
    },
    Listing {
        id: "srv_legacy2",
        book: "srv_legacy2.py",
        krate: "srv-legacy2",
        bins: &["srv_legacy2"],
        script: Some("py3/chapter07/srv_legacy2.py"),
        usage: Some(Usage::Command("srv_legacy2 host [-p port]")),
        summary: "the legacy asyncore/asynchat modules: a terminator-splitting handler",
        log: Some(LogStyle::Asyncore),
        splits_questions: true,
        ..ZEN
    },
    Listing {
        id: "in_zen1",
        book: "in_zen1.py, inetd nowait",
        krate: "in-zen1",
        bins: &["in_zen1"],
        script: Some("py3/chapter07/in_zen1.py"),
        usage: Some(Usage::Command("in_zen1 [--log FILE]")),
        summary: "single-shot server for inetd: one process per connection, under systemd-socket-activate -a",
        runs: Runs::SuperServer { accept: true },
        commands: Some(Commands {
            server: "systemd-socket-activate --inetd -a -l 127.0.0.1:{port} {bin} --log zen.log \
                     {server_args}",
            client: "{client} localhost {args} {-p}",
        }),
        needs: SUPER_SERVER,
        listening: false,
        concurrency: Some(Concurrency::ProcessPerClient),
        ..ZEN
    },
    Listing {
        id: "in_zen2",
        book: "in_zen2.py, inetd wait",
        krate: "in-zen2",
        bins: &["in_zen2"],
        script: Some("py3/chapter07/in_zen2.py"),
        usage: Some(Usage::Command("in_zen2 [--idle SECONDS] [--log FILE]")),
        summary: "multi-shot server for inetd: accepts until idle for 8 s, under systemd-socket-activate",
        runs: Runs::SuperServer { accept: false },
        commands: Some(Commands {
            server: "systemd-socket-activate --inetd -l 127.0.0.1:{port} {bin} --log zen.log \
                     {server_args}",
            client: "{client} localhost {args} {-p}",
        }),
        needs: SUPER_SERVER,
        listening: false,
        concurrency: Some(Concurrency::One),
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
        commands: None,
        recorded: Recorded::Nothing,
        ..ZEN
    },
];
