//! The session against the stand-in, in-process: each result the book's doctest shows,
//! where the Rust client gives the same, and each place it differs, pinned.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::SocketAddr;
use std::process::Command;
use std::time::Duration;

use httpbin::HttpBin;

const BIN: &str = env!("CARGO_BIN_EXE_examples_doctest");

/// Runs a section against `bin` and returns what it printed.
fn run(
    section: fn(&str, &mut dyn Write) -> Result<(), examples_doctest::Error>,
    bin: &HttpBin,
) -> String {
    let mut out = Vec::new();
    section(&bin.url(""), &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

/// The lines printed after `prompt` (`>>> ` left out), up to the next prompt or blank
/// line, for each time the prompt appears.
fn after(text: &str, prompt: &str) -> Vec<Vec<String>> {
    let lines: Vec<&str> = text.lines().collect();
    let mut found = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        if line.strip_prefix(">>> ") == Some(prompt) {
            found.push(
                lines[i + 1..]
                    .iter()
                    .take_while(|l| !l.starts_with(">>> ") && !l.is_empty())
                    .map(|l| l.to_string())
                    .collect(),
            );
        }
    }
    found
}

#[test]
fn requests_statuses_redirects_and_history_are_the_books() {
    let bin = HttpBin::start().unwrap();
    let text = run(examples_doctest::requests_section, &bin);
    let base = bin.url("");
    let get = format!("(200, '{base}/get')");
    assert_eq!(after(&text, "r.status_code"), [["200"], ["400"], ["500"]]);
    assert_eq!(
        after(&text, "(r.status_code, r.url)")[..3],
        [[get.clone()], [get.clone()], [get.clone()]]
    );
    assert_eq!(
        after(&text, "r.history"),
        [["[<Response [301]>, <Response [302]>]"]]
    );
    assert_eq!(
        after(&text, "(r.status_code, r.url, r.headers['Location'])"),
        [[format!("(301, '{base}/status/301', '/redirect/1')")]]
    );
    assert_eq!(
        after(&text, "(r.status_code, r.url)")[3..],
        [
            [format!("(303, '{base}/status/303')")],
            [format!("(307, '{base}/status/307')")]
        ]
    );
    // raise_for_status(): silent for 200 and the followed redirects, an error for 400
    // and 500 with httpbin's reason phrase; the words are reqwest's (departure).
    let raised = after(&text, "r.raise_for_status()");
    assert_eq!(raised.iter().filter(|r| r.is_empty()).count(), 7);
    let errors: Vec<&String> = raised.iter().filter_map(|r| r.last()).collect();
    assert_eq!(
        errors,
        [
            &format!(
                "reqwest::Error: HTTP status client error (400 BAD REQUEST) for url ({base}/status/400)"
            ),
            &format!(
                "reqwest::Error: HTTP status server error (500 INTERNAL SERVER ERROR) for url ({base}/status/500)"
            ),
        ]
    );
    // The internet's two redirects, as one to an absolute URL here.
    assert_eq!(after(&text, "r.url"), [[format!("'{base}/get'")]]);
}

#[test]
fn urllib_follows_the_same_redirects_and_raises_for_400_and_500() {
    let bin = HttpBin::start().unwrap();
    let text = run(examples_doctest::urllib_section, &bin);
    let base = bin.url("");
    let get = format!("(200, '{base}/get')");
    assert_eq!(after(&text, "r.status"), [["200"]]);
    assert_eq!(
        after(&text, "(r.status, r.url)"),
        [[get.clone()], [get.clone()], [get.clone()]]
    );
    let raised: Vec<String> = after(&text, &format!("urlopen('{base}/status/400')"))
        .concat()
        .into_iter()
        .chain(after(&text, &format!("urlopen('{base}/status/500')")).concat())
        .collect();
    assert_eq!(raised[2], "ureq::Error: http status: 400");
    assert_eq!(raised[5], "ureq::Error: http status: 500");
    assert!(
        text.contains("\n500 'text/html; charset=utf-8'\n"),
        "{text}"
    );
    // urllib asks for a new connection for every request (`Connection: close`); ureq
    // keeps its connections (a departure), though not one an error status came on.
    assert!(
        bin.connections() < bin.requests().len() / 2,
        "{} connections for {} requests",
        bin.connections(),
        bin.requests().len()
    );
}

#[test]
fn basic_auth_goes_on_the_first_request_and_the_session_keeps_its_cookie() {
    let bin = HttpBin::start().unwrap();
    let text = run(examples_doctest::session_section, &bin);
    let base = bin.url("");
    let path = "/basic-auth/brandon/atigdngnatwwal";
    assert_eq!(
        after(&text, &format!("requests.get('{base}{path}')")),
        [["<Response [401]>"]]
    );
    assert_eq!(
        after(&text, &format!("s.get('{base}{path}')")),
        [["<Response [200]>"]]
    );
    assert_eq!(
        after(&text, &format!("s.get('{base}/cookies')")),
        [["<Response [200]>"]]
    );
    let seen: Vec<String> = bin
        .requests()
        .iter()
        .map(|l| l.split_once(' ').unwrap().1.to_string())
        .collect();
    // One 401 (no credentials), then one 200: the credentials went out at once, with no
    // challenge first, as requests sends them.
    assert_eq!(
        seen[..2],
        [format!("GET {path} 401"), format!("GET {path} 200")]
    );
    let cookie = "Cookie: session-id=d41d8cd98f00b204e9800998ecf8427e";
    assert_eq!(
        seen[2..],
        [
            "GET /cookies/set?session-id=d41d8cd98f00b204e9800998ecf8427e 302".to_string(),
            format!("GET /cookies 200 {cookie}"),
            format!("GET /cookies 200 {cookie}"),
        ]
    );
}

#[test]
fn the_default_headers_are_each_clients_own() {
    let bin = HttpBin::start().unwrap();
    let text = run(examples_doctest::headers_section, &bin);
    let bodies = after(&text, "print(r.text)");
    let requests = bodies[0].join("\n");
    // reqwest sends no User-Agent and no Connection (requests sends both): a departure.
    assert!(requests.contains("\"Accept\": \"*/*\""), "{requests}");
    assert!(
        requests.contains("\"Accept-Encoding\": \"gzip,deflate\""),
        "{requests}"
    );
    assert!(!requests.contains("User-Agent"), "{requests}");
    assert!(!requests.contains("Connection"), "{requests}");
    let urllib = after(&text, "print(r.read().decode('ascii'))")[0].join("\n");
    assert!(urllib.contains("\"User-Agent\": \"ureq/"), "{urllib}");
    assert!(urllib.contains("\"Accept-Encoding\": \"gzip\""), "{urllib}");
    // httpbin's newline, then print()'s: a blank line after each body.
    assert!(text.contains("}\n\n\n>>> from urllib"), "{text}");
}

/// reqwest names the page it was redirected from on each hop (requests does not); the
/// session's client keeps that default.
#[test]
fn reqwest_sends_a_referer_after_a_redirect() {
    let bin = HttpBin::start().unwrap();
    let (client, _) = examples_doctest::requests_client(true).unwrap();
    let from = bin.url("/redirect-to?url=/headers");
    let body = client.get(&from).send().unwrap().text().unwrap();
    assert!(body.contains(&format!("\"Referer\": \"{from}\"")), "{body}");
}

/// The book's http.client example passes because its server closes each connection;
/// the port reads each body before the next request, so it passes on both.
#[test]
fn http_client_makes_two_requests_on_a_closing_server_and_on_a_keeping_one() {
    for (close, connections) in [(true, 2), (false, 1)] {
        let addr = SocketAddr::from(([127, 0, 0, 1], 0));
        let bin = HttpBin::bind(addr, close, |_| {}, |_| {}).unwrap();
        let text = run(examples_doctest::http_client_section, &bin);
        assert_eq!(after(&text, "r.status"), [["200"], ["200"]], "{text}");
        assert_eq!(bin.connections(), connections, "close: {close}");
    }
}

/// http.client's request bytes, exactly: Host, then `Accept-Encoding: identity`.
#[test]
fn http_connection_sends_python_s_two_headers() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = std::thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        let mut reader = BufReader::new(stream);
        let mut head = String::new();
        while !head.ends_with("\r\n\r\n") {
            if reader.read_line(&mut head).unwrap() == 0 {
                break;
            }
        }
        reader
            .get_mut()
            .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
            .unwrap();
        head
    });
    let mut h = http_get::hyper_level::HttpConnection::new(&format!("127.0.0.1:{port}")).unwrap();
    h.request("GET", "/ip").unwrap();
    let r = h.getresponse().unwrap();
    assert_eq!((r.status, r.reason.as_str(), r.version), (200, "OK", 11));
    assert_eq!(r.body, b"ok");
    assert!(!r.will_close());
    assert_eq!(
        server.join().unwrap(),
        format!("GET /ip HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAccept-Encoding: identity\r\n\r\n")
    );
}

#[test]
fn the_binary_prints_the_whole_session_and_fails_in_one_line() {
    let bin = HttpBin::start().unwrap();
    let output = Command::new(BIN).arg(bin.url("")).output().unwrap();
    assert!(output.status.success());
    let text = String::from_utf8(output.stdout).unwrap();
    assert_eq!(text.matches(examples_doctest::RULE).count(), 4);
    assert!(text.starts_with(">>> import requests\n"));
    assert!(text.ends_with(">>> r.status\n200\n"), "{text}");
    // No server: one line, status 1.
    let free = testkit::process::free_port().unwrap();
    let output = Command::new(BIN)
        .arg(format!("http://127.0.0.1:{free}"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.starts_with("examples_doctest: "), "{stderr}");
    // A reader that has gone: one line, status 1.
    let mut child = Command::new(BIN)
        .arg(bin.url(""))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    assert_eq!(child.wait().unwrap().code(), Some(1), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
}

mod prose {
    use super::*;
    use examples_doctest::prose;

    #[test]
    fn validators_give_304_without_a_body_and_cache_control_a_lifetime() {
        let bin = HttpBin::start().unwrap();
        let base = bin.url("");
        let etag = prose::etag(&base).unwrap();
        assert_eq!(
            etag,
            prose::Revalidated {
                first: 200,
                validator: Some("abc".into()),
                again: 304,
                again_body: 0
            }
        );
        let modified = prose::last_modified(&base).unwrap();
        assert_eq!(
            (modified.first, modified.again, modified.again_body),
            (200, 304, 0)
        );
        assert!(modified.validator.unwrap().ends_with(" GMT"));
        assert_eq!(
            prose::cache_control(&base).unwrap().as_deref(),
            Some("public, max-age=60")
        );
    }

    #[test]
    fn negotiation_compression_chunks_and_head() {
        let bin = HttpBin::start().unwrap();
        let base = bin.url("");
        assert_eq!(
            prose::negotiate(&base, "image/png").unwrap(),
            (200, Some("image/png".into()))
        );
        assert_eq!(prose::negotiate(&base, "*/*").unwrap().0, 406);
        let (text, raw) = prose::compressed(&base, "/gzip").unwrap();
        assert!(text.contains("\"gzipped\": true"));
        assert_eq!(raw, [0x1f, 0x8b]);
        let (text, raw) = prose::compressed(&base, "/deflate").unwrap();
        assert!(text.contains("\"deflated\": true"));
        // zlib-wrapped, as httpbin sends it.
        assert_eq!(raw, [0x78, 0x9c]);
        let (length, coding, lines) = prose::chunked(&base).unwrap();
        assert_eq!((length, coding.as_deref()), (None, Some("chunked")));
        assert_eq!(lines.len(), 3);
        assert!(lines[2].ends_with("\"id\": 2}"), "{lines:?}");
        let (length, body) = prose::head(&base).unwrap();
        assert!(length.unwrap().parse::<u32>().unwrap() > 100);
        assert_eq!(body, 0);
    }

    #[test]
    fn keep_alive_redirect_methods_and_the_limit() {
        let bin = HttpBin::start().unwrap();
        let base = bin.url("");
        prose::keep_alive(&base, 5).unwrap();
        assert_eq!(bin.connections(), 1, "five requests, one connection");
        for (method, status, became) in [
            ("POST", 301, "GET"),
            ("POST", 302, "GET"),
            ("POST", 303, "GET"),
            ("PUT", 303, "GET"),
            ("POST", 307, "POST"),
            ("POST", 308, "POST"),
        ] {
            assert_eq!(
                prose::redirected_method(&base, method, status).unwrap(),
                became,
                "{method} through {status}"
            );
        }
        assert_eq!(prose::redirect_chain(&base, 10).unwrap(), Ok(200));
        // 10 redirects at most (requests follows 30): the eleventh is an error.
        let error = prose::redirect_chain(&base, 11).unwrap().unwrap_err();
        assert!(error.contains("too many redirects"), "{error}");
    }
}

/// The session against the real httpbin (the PyPI package, 0.10.4 as the book's
/// chapter runs it today) under gunicorn, beside the stand-in: which sections print the
/// same against both. It makes a virtual environment with Python 3.11 or newer and
/// installs httpbin and gunicorn into it, so it is slow; it skips, saying why, where
/// Python, venv or pip cannot.
mod real_httpbin {
    use std::path::Path;
    use std::process::Command;
    use std::time::Duration;

    use examples_doctest::Section;
    use httpbin::HttpBin;

    const SECTIONS: [(&str, Section); 5] = [
        ("default headers", examples_doctest::headers_section),
        (
            "requests: statuses and redirects",
            examples_doctest::requests_section,
        ),
        (
            "urllib: redirects and errors",
            examples_doctest::urllib_section,
        ),
        ("Basic auth and cookies", examples_doctest::session_section),
        ("http.client", examples_doctest::http_client_section),
    ];

    /// A command's status and output, bounded by `limit`.
    fn run(mut command: Command, limit: Duration) -> Result<String, String> {
        let what = format!("{command:?}");
        let (status, stdout, stderr) = testkit::Process::spawn({
            command.env("PIP_DISABLE_PIP_VERSION_CHECK", "1");
            command
        })
        .map_err(|e| e.to_string())?
        .finish(limit)?;
        if !status.success() {
            let last = stderr.lines().last().unwrap_or_default().to_string();
            return Err(format!("{what} failed ({status}): {last}"));
        }
        Ok(stdout)
    }

    /// A venv with httpbin and gunicorn, or why there cannot be one here.
    fn venv(dir: &Path) -> Result<(), String> {
        let python = std::env::var("FOPNP_PYTHON").unwrap_or_else(|_| "python3".into());
        let mut version = Command::new(&python);
        version.args(["-c", "import sys; print(sys.version_info >= (3, 11))"]);
        let new_enough = run(version, Duration::from_secs(30))
            .map_err(|e| format!("no Python here ({python}): {e}"))?;
        if new_enough.trim() != "True" {
            return Err(format!("{python} is older than 3.11"));
        }
        let mut make = Command::new(&python);
        make.args(["-m", "venv"]).arg(dir);
        run(make, Duration::from_secs(120))?;
        let mut pip = Command::new(dir.join("bin/pip"));
        pip.args(["install", "--quiet", "httpbin", "gunicorn"]);
        run(pip, Duration::from_secs(600))?;
        Ok(())
    }

    /// The pages httpbin serves the same to everyone (the path, and the Accept sent).
    const FIXED: [(&str, &str); 18] = [
        ("/status/200", "*/*"),
        ("/status/302", "*/*"),
        ("/status/304", "*/*"),
        ("/status/308", "*/*"),
        ("/status/401", "*/*"),
        ("/status/404", "*/*"),
        ("/status/406", "*/*"),
        ("/status/407", "*/*"),
        ("/status/418", "*/*"),
        ("/status/abc", "*/*"),
        ("/nowhere", "*/*"),
        ("/post", "*/*"),
        ("/delete", "*/*"),
        ("/image", "*/*"),
        ("/robots.txt", "*/*"),
        ("/deny", "*/*"),
        ("/hidden-basic-auth/a/b", "*/*"),
        ("/basic-auth/a/b", "*/*"),
    ];

    /// One GET on a connection of its own, read to the close: the status line, the
    /// Content-Type, the methods of Allow, and the body.
    fn fixed(
        port: u16,
        path: &str,
        accept: &str,
    ) -> (String, Option<String>, Option<String>, Vec<u8>) {
        use std::io::{Read, Write};
        let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        write!(
            stream,
            "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: {accept}\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        let mut reply = Vec::new();
        stream.read_to_end(&mut reply).unwrap();
        let end = reply
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .unwrap_or_else(|| panic!("{path}: no head in {reply:?}"));
        let head = String::from_utf8_lossy(&reply[..end]).into_owned();
        let mut lines = head.split("\r\n");
        let status = lines.next().unwrap_or_default().to_string();
        let (mut kind, mut allow) = (None, None);
        for line in lines {
            let (name, value) = line.split_once(": ").unwrap_or((line, ""));
            match name.to_ascii_lowercase().as_str() {
                "content-type" => kind = Some(value.to_string()),
                // Werkzeug writes a set, in the order of the process's string hashes:
                // the methods are compared, not their order.
                "allow" => {
                    let mut methods: Vec<&str> = value.split(", ").collect();
                    methods.sort();
                    allow = Some(methods.join(", "));
                }
                _ => {}
            }
        }
        (status, kind, allow, reply[end + 4..].to_vec())
    }

    /// Each section's lines with the server's URL and port made the same.
    fn section_text(section: Section, base: &str) -> String {
        let mut out = Vec::new();
        let result = section(base, &mut out);
        let mut text = String::from_utf8_lossy(&out).replace(base, "http://BASE");
        let host = base.trim_start_matches("http://");
        text = text.replace(host, "BASE");
        if let Err(e) = result {
            text.push_str(&format!("(failed: {e})\n"));
        }
        text
    }

    #[test]
    #[ignore = "slow: makes a Python venv, installs httpbin and gunicorn, runs the session against both servers"]
    fn the_session_prints_the_same_against_the_real_httpbin() {
        let dir = tempfile::tempdir().unwrap();
        if let Err(why) = venv(dir.path()) {
            testkit::skip(&format!("the real httpbin cannot be installed here: {why}"));
            return;
        }
        let gunicorn = dir.path().join("bin/gunicorn");
        let home = dir.path().to_path_buf();
        let (_server, port) = testkit::Process::server_on_free_port(
            |port| {
                let mut command = Command::new(&gunicorn);
                // One sync worker, as the book's config.py; its control socket kept out of
                // the user's home.
                command
                    .args(["--no-control-socket", "-w", "1", "-b"])
                    .arg(format!("127.0.0.1:{port}"))
                    .arg("httpbin:app")
                    .env("HOME", &home);
                command
            },
            Duration::from_secs(60),
        )
        .unwrap();
        let real = format!("http://127.0.0.1:{port}");
        let stand_in = HttpBin::bind(([127, 0, 0, 1], 0).into(), true, |_| {}, |_| {}).unwrap();
        let ours = stand_in.url("");
        let mut differ = Vec::new();
        for (name, section) in SECTIONS {
            let (a, b) = (section_text(section, &real), section_text(section, &ours));
            eprintln!("{name}: {}", if a == b { "the same" } else { "differs" });
            if a != b {
                differ.push(format!("{name}:\n--- real httpbin\n{a}\n--- stand-in\n{b}"));
            }
        }
        assert!(differ.is_empty(), "{}", differ.join("\n"));

        // The fixed pages, byte for byte: status line, the headers a client reads, body.
        for (path, accept) in FIXED {
            let (a, b) = (
                fixed(port, path, accept),
                fixed(stand_in.port(), path, accept),
            );
            assert_eq!(
                a,
                b,
                "{path}: the real httpbin's (left) and the stand-in's:\n{}\n---\n{}",
                String::from_utf8_lossy(&a.3),
                String::from_utf8_lossy(&b.3)
            );
        }
        eprintln!("the fixed pages: the same");

        // The prose examples: the same answers from both.
        use examples_doctest::prose;
        for base in [&real, &ours] {
            let etag = prose::etag(base).unwrap();
            assert_eq!(
                (etag.first, etag.again, etag.again_body),
                (200, 304, 0),
                "{base}"
            );
            assert_eq!(etag.validator.as_deref(), Some("abc"));
            let modified = prose::last_modified(base).unwrap();
            assert_eq!((modified.first, modified.again), (200, 304), "{base}");
            assert_eq!(
                prose::cache_control(base).unwrap().as_deref(),
                Some("public, max-age=60")
            );
            assert_eq!(prose::negotiate(base, "image/png").unwrap().0, 200);
            assert_eq!(prose::negotiate(base, "*/*").unwrap().0, 406);
            assert_eq!(prose::compressed(base, "/gzip").unwrap().1, [0x1f, 0x8b]);
            assert_eq!(prose::compressed(base, "/deflate").unwrap().1, [0x78, 0x9c]);
            let (length, coding, lines) = prose::chunked(base).unwrap();
            assert_eq!(
                (length, coding.as_deref(), lines.len()),
                (None, Some("chunked"), 3)
            );
            assert_eq!(prose::head(base).unwrap().1, 0);
            for (method, status, became) in [("POST", 303, "GET"), ("POST", 307, "POST")] {
                assert_eq!(
                    prose::redirected_method(base, method, status).unwrap(),
                    became,
                    "{base}"
                );
            }
            assert_eq!(prose::redirect_chain(base, 10).unwrap(), Ok(200));
            assert!(prose::redirect_chain(base, 11).unwrap().is_err());
        }
        eprintln!("the prose examples: the same");
    }
}
