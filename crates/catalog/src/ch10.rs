//! Chapter 10, "HTTP Servers": a web app as a value (WSGI's callable), the same time
//! service written three ways, the environ shown, and the book's check of a server.
//! Its rows of the catalog; the types are in the crate's root.

use crate::*;

pub static CHAPTER: Chapter = Chapter {
    number: 10,
    title: "HTTP Servers",
    dir: "ch10-http-servers",
    rows: || LISTINGS,
};

/// A row of this chapter, every other fact at its most common value.
const ROW: Listing = Listing {
    chapter: &CHAPTER,
    ..crate::ROW
};

/// A Chapter 10 server as the stand-in of a session: the other side of `_test.py`, or
/// wsgi_env with its client. Its port is always shown: its default is 8000, not the
/// book's 1060 that the session's client is given.
const fn app(package: &'static str, bin: &'static str, log: &'static str) -> StandIn {
    StandIn {
        package,
        bin,
        command: "{bin} -p {port}",
        log,
        transport: Transport::Tcp,
        marker: None,
    }
}

pub static RAW: StandIn = app("timeapp-raw", "timeapp_raw", "timeapp_raw.log");
pub static WERKZ: StandIn = app("timeapp-werkz", "timeapp_werkz", "timeapp_werkz.log");
pub static WEBOB: StandIn = app("timeapp-webob", "timeapp_webob", "timeapp_webob.log");
pub static WSGI_ENV: StandIn = app("wsgi-env", "wsgi_env", "wsgi_env.log");

/// A time app's row: served by the `_test` sessions.
const APP: Listing = Listing {
    family: Some(Family::HttpServer),
    commands: Some(Commands {
        server: "{bin} {-p}",
        client: "",
    }),
    lifetime: Lifetime::Forever,
    runs: Runs::ByOthers,
    listening: true,
    concurrency: Some(Concurrency::EventLoop),
    ..ROW
};

/// `_test.py` against one of the apps.
const TEST: Listing = Listing {
    book: "_test.py",
    krate: "timeapp-test",
    bins: &["timeapp_test"],
    script: Some("py3/chapter10/_test.py"),
    usage: Some(Usage::Command("timeapp_test [-p PORT]")),
    lifetime: Lifetime::Once,
    steps: &["{bin} -p {port}"],
    ..ROW
};

/// The chapter's listings, in the book's order.
pub static LISTINGS: &[Listing] = &[
    Listing {
        id: "wsgi_env",
        book: "wsgi_env.py",
        krate: "wsgi-env",
        bins: &["wsgi_env"],
        script: Some("py3/chapter10/wsgi_env.py"),
        usage: Some(Usage::Command("wsgi_env [-p PORT] [--close] [host]")),
        summary: "every request answered with its WSGI environment, as pprint shows a dict",
        // The book leaves the client to the reader (curl); the session uses Chapter 9's
        // socket-level client, whose request is the same bytes every run.
        runs: Runs::Steps {
            stand_in: Some(&WSGI_ENV),
        },
        steps: &["{client} --level socket http://127.0.0.1:{port}/a%20b?x=1"],
        steps_client: Some(("http-get", "http_get")),
        ..APP
    },
    Listing {
        id: "timeapp_raw",
        book: "timeapp_raw.py",
        krate: "timeapp-raw",
        bins: &["timeapp_raw"],
        script: Some("py3/chapter10/timeapp_raw.py"),
        usage: Some(Usage::Command("timeapp_raw [-p PORT] [--close] [host]")),
        summary: "the time service as a plain function from a request to a response (raw WSGI)",
        recorded: Recorded::RunOf("_test"),
        ..APP
    },
    Listing {
        id: "timeapp_werkz",
        book: "timeapp_werkz.py",
        krate: "timeapp-werkz",
        bins: &["timeapp_werkz"],
        script: Some("py3/chapter10/timeapp_werkz.py"),
        usage: Some(Usage::As("timeapp_raw")),
        summary: "the time service as an axum handler and its extractors (Werkzeug's role)",
        recorded: Recorded::RunOf("_test-werkz"),
        ..APP
    },
    Listing {
        id: "timeapp_webob",
        book: "timeapp_webob.py",
        krate: "timeapp-webob",
        bins: &["timeapp_webob"],
        script: Some("py3/chapter10/timeapp_webob.py"),
        usage: Some(Usage::As("timeapp_raw")),
        summary: "the time service as a tower Service of request and response objects (WebOb's role)",
        recorded: Recorded::RunOf("_test-webob"),
        ..APP
    },
    Listing {
        id: "_test",
        summary: "six requests that check a time app, on reqwest: here against timeapp_raw",
        runs: Runs::Steps {
            stand_in: Some(&RAW),
        },
        ..TEST
    },
    Listing {
        id: "_test-werkz",
        summary: "_test.py against timeapp_werkz",
        usage: Some(Usage::As("_test")),
        runs: Runs::Steps {
            stand_in: Some(&WERKZ),
        },
        ..TEST
    },
    Listing {
        id: "_test-webob",
        summary: "_test.py against timeapp_webob",
        usage: Some(Usage::As("_test")),
        runs: Runs::Steps {
            stand_in: Some(&WEBOB),
        },
        ..TEST
    },
    Listing {
        id: "10",
        book: "the chapter's README",
        krate: "(all of Chapter 10)",
        summary: "_test.py against each of the three time apps, each served on its own port",
        runs: Runs::Tour,
        recorded: Recorded::Nothing,
        ..ROW
    },
];
