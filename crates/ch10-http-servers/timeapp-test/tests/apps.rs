//! The three time apps, each served in-process on a port of its own: `_test.py`'s six
//! requests, then the raw requests of the book's table (the chapter README's), each
//! app's answers held to what gunicorn gave for the book's, and the departures pinned.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use wsgi::Framing;

mod common;

use common::{Served, get, serve};

/// The three apps, by name, each on a server of its own with `framing`.
fn apps(framing: Framing) -> Vec<(&'static str, Served)> {
    vec![
        ("raw", serve(timeapp_raw::app(), framing)),
        ("werkz", serve(timeapp_werkz::app(), framing)),
        ("webob", serve(timeapp_webob::app(), framing)),
    ]
}

/// Sends `request` on a new connection and reads until the server closes (at most 10 s).
fn raw(port: u16, request: &str) -> String {
    raw_bytes(port, request.as_bytes())
}

fn raw_bytes(port: u16, request: &[u8]) -> String {
    let mut stream = TcpStream::connect(SocketAddr::from(([127, 0, 0, 1], port))).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    stream.write_all(request).unwrap();
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    String::from_utf8_lossy(&answer).into_owned()
}

fn status_line(answer: &str) -> &str {
    answer.lines().next().unwrap_or_default()
}

fn body(answer: &str) -> &str {
    answer.split_once("\r\n\r\n").map_or("", |(_, b)| b)
}

/// `_test.py` against each app: its six lines and exit 0.
#[test]
fn the_book_s_test_passes_against_all_three() {
    for (name, served) in apps(Framing::KeepAlive) {
        let mut out = Vec::new();
        timeapp_test::check(served.port, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        let kind = if name == "webob" {
            "'text/plain; charset=UTF-8'"
        } else {
            "'text/plain; charset=utf-8'"
        };
        assert_eq!(
            lines[0],
            format!("(501, {kind}, '501 Not Implemented')"),
            "{name}"
        );
        for line in &lines[1..4] {
            assert_eq!(*line, format!("(404, {kind}, '404 Not Found')"), "{name}");
        }
        for line in &lines[4..] {
            let time = line
                .strip_prefix(&format!("(200, {kind}, '"))
                .and_then(|l| l.strip_suffix("')"))
                .unwrap_or_else(|| panic!("{name}: {line}"));
            // ctime(): 24 bytes, `%a %b %e %H:%M:%S %Y`.
            assert_eq!(time.len(), 24, "{name}: {time:?}");
            assert!(
                chrono::NaiveDateTime::parse_from_str(time, "%a %b %e %H:%M:%S %Y").is_ok(),
                "{name}: {time:?}"
            );
        }
    }
}

#[test]
fn statuses_phrases_and_framing_are_the_books_under_gunicorn() {
    for (name, served) in apps(Framing::Close) {
        let p = served.port;
        let get = |target: &str, host: &str| {
            raw(p, &format!("GET {target} HTTP/1.1\r\nHost: {host}\r\n\r\n"))
        };
        let ok = get("/", &format!("127.0.0.1:{p}"));
        assert_eq!(status_line(&ok), "HTTP/1.1 200 OK", "{name}");
        // gunicorn's sync worker: Connection: close on every answer.
        assert!(ok.contains("\r\nconnection: close\r\n"), "{name}: {ok}");
        match name {
            // The book's raw app yields its body: no length, so chunks.
            "raw" => assert!(
                ok.contains("transfer-encoding: chunked") && body(&ok).starts_with("18\r\n"),
                "{ok}"
            ),
            _ => assert!(ok.contains("content-length: 24\r\n"), "{name}: {ok}"),
        }
        let not_found = if name == "werkz" {
            "HTTP/1.1 404 NOT FOUND"
        } else {
            "HTTP/1.1 404 Not Found"
        };
        for (target, host) in [
            ("/foo", format!("127.0.0.1:{p}")),
            ("/", format!("localhost:{p}")),
            ("/", format!("[::1]:{p}")),
        ] {
            let answer = get(target, &host);
            assert_eq!(status_line(&answer), not_found, "{name} {target} {host}");
            assert!(answer.contains("404 Not Found"), "{name}: {answer}");
        }
        for (target, host) in [
            ("/?abc=123", format!("127.0.0.1:{p}")),
            ("/", "127.0.0.1".into()),
        ] {
            assert_eq!(
                status_line(&get(target, &host)),
                "HTTP/1.1 200 OK",
                "{name} {target}"
            );
        }
        let absolute = get(&format!("http://127.0.0.1:{p}/"), &format!("127.0.0.1:{p}"));
        assert_eq!(status_line(&absolute), "HTTP/1.1 200 OK", "{name}");
        let not_implemented = if name == "werkz" {
            "HTTP/1.1 501 NOT IMPLEMENTED"
        } else {
            "HTTP/1.1 501 Not Implemented"
        };
        for method in ["POST", "PUT", "BREW"] {
            let answer = raw(
                p,
                &format!(
                    "{method} / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 7\r\n\r\na=1&b=2"
                ),
            );
            assert_eq!(status_line(&answer), not_implemented, "{name} {method}");
            assert!(answer.contains("501 Not Implemented"), "{name}: {answer}");
        }
        // HTTP/1.0 without Host: raw defaults to 127.0.0.1, the others to SERVER_NAME.
        let old = raw(p, "GET / HTTP/1.0\r\n\r\n");
        let want = match name {
            "raw" => "HTTP/1.0 200 OK",
            "werkz" => "HTTP/1.0 404 NOT FOUND",
            _ => "HTTP/1.0 404 Not Found",
        };
        assert_eq!(status_line(&old), want, "{name}");
        // A malformed method never reaches the app.
        assert_eq!(
            status_line(&raw(p, "G@T / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")),
            "HTTP/1.1 400 Bad Request"
        );
    }
}

/// The departures: HEAD as GET without a body, and 400 for HTTP/1.1 without Host; and
/// hyper's keep-alive, the default framing.
#[test]
fn head_is_get_without_a_body_and_http11_needs_a_host() {
    for (name, served) in apps(Framing::KeepAlive) {
        let p = served.port;
        let head = raw(
            p,
            "HEAD / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
        );
        assert_eq!(status_line(&head), "HTTP/1.1 200 OK", "{name}: {head}");
        assert_eq!(body(&head), "", "{name}: a body after HEAD");
        let hostless = raw(p, "GET / HTTP/1.1\r\nConnection: close\r\n\r\n");
        assert_eq!(status_line(&hostless), "HTTP/1.1 400 Bad Request", "{name}");
        // Two requests on one connection, both answered: keep-alive.
        let two = raw(
            p,
            "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\nGET /foo HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
        );
        assert_eq!(two.matches("HTTP/1.1 ").count(), 2, "{name}: {two}");
    }
}

/// wsgi_env: the request's environ as pprint shows a dict, the body's length, HEAD
/// without the dump, and none of the server's own environment (a departure).
#[test]
fn wsgi_env_shows_the_request_s_environ_and_not_the_server_s() {
    let served = serve(wsgi_env::service(), Framing::KeepAlive);
    let p = served.port;
    let answer = raw(
        p,
        "POST /some/path?x=1 HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Fopnp: yes\r\nContent-Length: 7\r\nConnection: close\r\n\r\na=1&b=2",
    );
    assert_eq!(status_line(&answer), "HTTP/1.1 200 OK");
    let dump = body(&answer);
    assert!(
        dump.starts_with("Here is the WSGI environment:\r\n\r\n{'CONTENT_LENGTH': '7',\n 'CONTENT_TYPE': 'text/plain',\n 'GATEWAY_INTERFACE': 'CGI/1.1',\n"),
        "{dump}"
    );
    for item in [
        " 'HTTP_X_FOPNP': 'yes',\n",
        " 'PATH_INFO': '/some/path',\n",
        " 'QUERY_STRING': 'x=1',\n",
        " 'REMOTE_ADDR': '127.0.0.1',\n",
        " 'REQUEST_METHOD': 'POST',\n",
        &format!(" 'SERVER_PORT': '{p}',\n"),
        " 'wsgi.input': <the request's body, 7 bytes>,\n",
    ] {
        assert!(dump.contains(item), "{item:?} not in {dump}");
    }
    assert!(
        dump.ends_with(" 'wsgi.version': (1, 0)}"),
        "no newline after the dict"
    );
    // Keys sorted as Python sorts them, and nothing of this process's environment.
    let keys: Vec<&str> = dump
        .lines()
        .skip(2)
        .filter_map(|l| l.trim_start_matches(['{', ' ']).split('\'').nth(1))
        .collect();
    assert!(keys.is_sorted(), "{keys:?}");
    assert!(
        !keys.iter().any(|k| ["PATH", "HOME", "CARGO"].contains(k)),
        "{keys:?}"
    );
    let head = raw(
        p,
        "HEAD / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
    );
    assert_eq!(status_line(&head), "HTTP/1.1 200 OK");
    assert_eq!(body(&head), "", "HEAD gets no dump");
}

/// wsgi_env's strings are WSGI's native strings, as wsgiref builds them: the path
/// percent-decoded and read as Latin-1, a header's bytes read as Latin-1, the query as
/// sent. The expected lines are what the book's `wsgi_env.py` under wsgiref (Python
/// 3.11) printed for the same bytes.
#[test]
fn wsgi_env_shows_paths_and_headers_as_wsgiref_decodes_them() {
    let served = serve(wsgi_env::service(), Framing::KeepAlive);
    let answer = raw_bytes(
        served.port,
        b"GET /a%20b/%2F/caf%C3%A9/?x=%20y&z=%C3%A9 HTTP/1.1\r\nHost: h\r\n\
          X-Test: \xc3\xbc\r\nX-Latin: \xfc\r\nConnection: close\r\n\r\n",
    );
    let dump = body(&answer);
    for line in [
        " 'HTTP_X_LATIN': 'ü',\n",
        " 'HTTP_X_TEST': 'Ã¼',\n",
        " 'PATH_INFO': '/a b///cafÃ©/',\n",
        " 'QUERY_STRING': 'x=%20y&z=%C3%A9',\n",
    ] {
        assert!(dump.contains(line), "{line:?} not in {dump}");
    }
}

/// Departure 48: every server binds 127.0.0.1 on the book's 8000 unless told.
#[test]
fn the_servers_bind_loopback_unless_told() {
    use clap::Parser;
    #[derive(Parser)]
    struct Args {
        #[command(flatten)]
        at: wsgi::Where,
    }
    let args = Args::parse_from(["timeapp_raw"]);
    assert_eq!(args.at.host.to_string(), "127.0.0.1");
    assert_eq!(
        (args.at.port, args.at.framing()),
        (8000, Framing::KeepAlive)
    );
    let args = Args::parse_from(["timeapp_raw", "-p", "0", "--close", "::1"]);
    assert_eq!(
        (args.at.host.to_string(), args.at.port),
        ("::1".to_string(), 0)
    );
    assert_eq!(args.at.framing(), Framing::Close);
}

/// The http-server table (RFC 9110 and 9112's MUST rules) against each server, as
/// `cargo xtask conform http-server` runs it against their processes.
#[test]
fn every_server_passes_the_http_server_table() {
    let servers = [
        ("raw", serve(timeapp_raw::app(), Framing::KeepAlive)),
        ("werkz", serve(timeapp_werkz::app(), Framing::Close)),
        ("webob", serve(timeapp_webob::app(), Framing::KeepAlive)),
        ("wsgi_env", serve(wsgi_env::service(), Framing::KeepAlive)),
    ];
    let results = servers.iter().flat_map(|(name, served)| {
        conformance::http_server::CASES.iter().map(move |case| {
            (
                format!("{name} / {}", case.id),
                conformance::http_server::run_case(case, served.port),
            )
        })
    });
    conformance::assert_verdicts(results);
}

/// RFC 9112 §9.5's slow client, one byte a second and a head never finished: each server
/// closes it at its 30 s bound (`header_read_timeout`), not before, and well within the
/// table's 40 s. The four run at once.
#[test]
#[ignore = "slow: a head sent one byte a second, closed after 30 s"]
fn a_slow_client_is_closed_after_30_s() {
    let servers = [
        ("raw", serve(timeapp_raw::app(), Framing::KeepAlive)),
        ("werkz", serve(timeapp_werkz::app(), Framing::Close)),
        ("webob", serve(timeapp_webob::app(), Framing::KeepAlive)),
        ("wsgi_env", serve(wsgi_env::service(), Framing::KeepAlive)),
    ];
    let runs: Vec<_> = servers
        .iter()
        .map(|(name, served)| {
            let port = served.port;
            (
                *name,
                std::thread::spawn(move || conformance::http_server::slow_client(port)),
            )
        })
        .collect();
    for (name, run) in runs {
        let (verdict, waited) = run.join().unwrap();
        assert_eq!(verdict, conformance::Verdict::Pass, "{name}");
        assert!(
            (29..40).contains(&waited.as_secs()),
            "{name} closed after {waited:?}"
        );
        println!("{name}: closed after {:.1} s", waited.as_secs_f64());
    }
}

/// Every request of the http-server table, each on a connection of its own, ends only
/// that connection: a client kept open meanwhile is still answered on its connection.
#[test]
fn a_bad_request_ends_only_its_own_connection() {
    for (name, served) in [
        ("raw", serve(timeapp_raw::app(), Framing::KeepAlive)),
        ("wsgi_env", serve(wsgi_env::service(), Framing::KeepAlive)),
    ] {
        let stream = TcpStream::connect(("127.0.0.1", served.port)).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        let mut kept = std::io::BufReader::new(stream);
        assert_eq!(
            get(&mut kept, served.port, "").0,
            "HTTP/1.1 200 OK",
            "{name}"
        );
        for case in conformance::http_server::CASES {
            let _ = conformance::http_server::run_case(case, served.port);
            assert_eq!(
                get(&mut kept, served.port, "").0,
                "HTTP/1.1 200 OK",
                "{name}, after {}",
                case.id
            );
        }
    }
}

fn env_of(pairs: &[(&str, &str)]) -> Vec<(String, wsgi::environ::Value)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), wsgi::environ::Value::Str(v.to_string())))
        .collect()
}

/// What Python 3.11's `pprint.pformat` printed for these dicts (a line each here).
#[test]
fn long_strings_are_split_after_their_spaces_as_pprint_splits_them() {
    let mut env = env_of(&[
        (
            "HTTP_ACCEPT",
            "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8",
        ),
        (
            "HTTP_USER_AGENT",
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36",
        ),
        ("PATH_INFO", "/"),
        ("Z", "a b"),
    ]);
    env.push(("wsgi.multithread".into(), wsgi::environ::Value::Bool(true)));
    let lines = [
        "{'HTTP_ACCEPT': 'text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8',",
        " 'HTTP_USER_AGENT': 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 '",
        "                    '(KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36',",
        " 'PATH_INFO': '/',",
        " 'Z': 'a b',",
        " 'wsgi.multithread': True}",
    ];
    assert_eq!(wsgi::environ::pformat(&env), lines.join("\n"));
    let quoted = env_of(&[(
        "HTTP_X",
        "it's a \"quoted\" value with many words in it that go past the eighty columns",
    )]);
    let lines = [
        "{'HTTP_X': 'it\\'s a \"quoted\" value with many words in it that go past the '",
        "           'eighty columns'}",
    ];
    assert_eq!(wsgi::environ::pformat(&quoted), lines.join("\n"));
    let words = "word ".repeat(16);
    let spaced = format!("{} {}", "x".repeat(30), "y".repeat(30));
    let env = env_of(&[("A", &spaced), ("HTTP_X_LAST", &words)]);
    let lines = [
        "{'A': 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx yyyyyyyyyyyyyyyyyyyyyyyyyyyyyy',",
        " 'HTTP_X_LAST': 'word word word word word word word word word word word word '",
        "                'word word word word '}",
    ];
    assert_eq!(wsgi::environ::pformat(&env), lines.join("\n"));
}
