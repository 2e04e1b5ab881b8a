//! Conformance of every Chapter 7 server to the Zen protocol and to its own log lines.
//!
//! The cases are data (`conformance::zen`), written once and shared with `cargo xtask
//! conform`; each server here has a small adapter: how to run it in-process over a
//! listener, how it words its log, how many clients it serves at once, and which cases it
//! cannot run, with the reason. The inetd pair runs under a real super-server in its own
//! crates' tests (`crates/in-zen1`, `crates/in-zen2`), and the client in `crates/zen-client`.

use std::net::TcpListener;

use conformance::runner::{self, ServerSpec};
use conformance::zen::{Concurrency, HEAVY_CASES};
use fopnp::Log;
use testkit::{ServerThread, Transcript};

/// One Zen server implementation: what the cases know of it (`conformance::zen::SERVERS`,
/// by its script's name) and how to run it in-process.
struct Server {
    name: &'static str,
    script: &'static str,
    serve: fn(TcpListener, Log),
}

const SERVERS: &[Server] = &[
    Server {
        name: "srv_single",
        script: "srv_single",
        serve: |listener, log| {
            let _ = zen_utils::accept_connections_forever(&listener, &log);
        },
    },
    Server {
        name: "srv_threaded",
        script: "srv_threaded",
        serve: |listener, log| {
            let _ = srv_threaded::server(listener, srv_threaded::WORKERS, &log);
        },
    },
    Server {
        name: "srv_legacy1",
        script: "srv_legacy1",
        serve: |listener, log| {
            let server = srv_legacy1::TcpServer::from_listener(listener, &log);
            let _ = server.serve_forever::<srv_legacy1::ZenHandler>();
        },
    },
    Server {
        name: "srv_async",
        script: "srv_async",
        serve: |listener, log| {
            let _ = srv_async::serve(listener, &log);
        },
    },
    Server {
        name: "srv_asyncio1",
        script: "srv_asyncio1",
        serve: |listener, log| {
            let _ = srv_asyncio1::serve(listener, &log);
        },
    },
    Server {
        name: "srv_asyncio1 --poller poll",
        script: "srv_asyncio1",
        serve: |listener, log| {
            let options = srv_asyncio1::Options {
                poller: srv_asyncio1::Poller::Poll,
            };
            let _ = srv_asyncio1::serve_with(listener, options, &log);
        },
    },
    Server {
        name: "srv_asyncio2",
        script: "srv_asyncio2",
        serve: |listener, log| {
            let _ = srv_asyncio2::serve_blocking(listener, Default::default(), &log);
        },
    },
    Server {
        name: "srv_asyncio2 --await-delay",
        script: "srv_asyncio2",
        serve: |listener, log| {
            let options = srv_asyncio2::Options { await_delay: true };
            let _ = srv_asyncio2::serve_blocking(listener, options, &log);
        },
    },
    Server {
        name: "srv_legacy2",
        script: "srv_legacy2",
        serve: |listener, log| {
            let _ = srv_legacy2::serve(listener, &log);
        },
    },
];

/// The table's cases that `pick` picks, against a fresh in-process server.
fn run_picked(index: usize, pick: impl Fn(&str) -> bool) {
    let server = &SERVERS[index];
    let serve = server.serve;
    let mut running =
        ServerThread::start(move |listener, log: Transcript| serve(listener, Log::new(log)));
    let spec = ServerSpec::of(catalog::by_bin(server.script).unwrap()).unwrap();
    let outcomes = runner::server_cases_where(&spec, &mut running, pick);
    runner::assert_passed(server.name, &outcomes);
}

fn run(index: usize) {
    run_picked(index, |id| !HEAVY_CASES.contains(&id));
}

#[test]
#[ignore = "slow: 600 conversations and 50 slow writers against every server"]
fn every_server_takes_immediate_reconnects_and_slow_writers() {
    let runs: Vec<_> = (0..SERVERS.len())
        .map(|index| std::thread::spawn(move || run_picked(index, |id| HEAVY_CASES.contains(&id))))
        .collect();
    for run in runs {
        run.join().unwrap();
    }
}

/// The one fact the shared table cannot take from the listing itself.
#[test]
fn the_shared_table_knows_srv_threadeds_pool() {
    assert_eq!(
        catalog::by_bin("srv_threaded").unwrap().concurrency,
        Some(Concurrency::Pool(srv_threaded::WORKERS))
    );
}

#[test]
fn skips_name_real_cases_and_give_reasons() {
    let ids = conformance::zen::server_case_ids();
    for server in SERVERS {
        let row = catalog::by_bin(server.script).unwrap();
        for (case, why) in row.skips.server {
            assert!(
                ids.contains(case),
                "{}: a skip names no case: {case}",
                server.name
            );
            assert!(!why.is_empty());
        }
    }
}

// One test per server, so that they run in parallel.
#[test]
fn srv_single() {
    run(0);
}

#[test]
fn srv_threaded() {
    run(1);
}

#[test]
fn srv_legacy1() {
    run(2);
}

#[test]
fn srv_async() {
    run(3);
}

#[test]
fn srv_asyncio1() {
    run(4);
}

#[test]
fn srv_asyncio1_poller_poll() {
    run(5);
}

#[test]
fn srv_asyncio2() {
    run(6);
}

#[test]
fn srv_asyncio2_await_delay() {
    run(7);
}

#[test]
fn srv_legacy2() {
    run(8);
}
