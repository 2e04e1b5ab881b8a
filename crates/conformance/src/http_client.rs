//! Chapter 9's table: what an HTTP client must do with the answers of a local httpbin
//! (`httpbin`, in `crates/httpbin`), good and broken.
//!
//! A client under test is a command with `{url}` and `{method}`: it fetches the URL with
//! the method, prints the body on stdout and exits 0 (whatever the status: a 404 is a
//! body), or prints one line on stderr and exits non-zero. Redirects, cookies and
//! connection reuse are judged from what the stand-in saw ([`ClientRun::seen`], a line
//! per request: `#2 GET /cookies 200 Cookie: a=1`), not from what the client says.

use catalog::{Family, Transport};

use crate::table::{Output, Table, not_here};
use crate::tls::one_line_failure;
use crate::{ClientRun, RunClient, Verdict};

/// The most a client may hold in memory while it is sent 1 KiB of a 10 GiB body.
pub const PEAK_LIMIT: u64 = 32 * 1024 * 1024;

/// One fetch and how it is judged.
#[derive(Clone, Copy)]
pub struct Case {
    pub id: &'static str,
    pub method: &'static str,
    /// The path and query on the stand-in.
    pub path: &'static str,
    /// What the requirement is, for the report.
    pub what: &'static str,
    pub judge: fn(&ClientRun) -> Result<(), String>,
}

/// The requests the stand-in logged, without their connection numbers and cookies:
/// `GET /get 200`.
fn requests(run: &ClientRun) -> Vec<String> {
    run.seen
        .iter()
        .map(|line| {
            let line = line.split_once(' ').map_or(line.as_str(), |(_, rest)| rest);
            line.split(" Cookie: ").next().unwrap_or(line).to_string()
        })
        .collect()
}

fn succeeded(run: &ClientRun) -> Result<(), String> {
    if run.success {
        Ok(())
    } else {
        Err(format!("the client failed: {}", run.stderr.trim()))
    }
}

/// The stand-in saw these requests (method, target, status), in this order.
fn saw(run: &ClientRun, want: &[&str]) -> Result<(), String> {
    let got = requests(run);
    if got != want {
        return Err(format!("the stand-in saw {got:?}, not {want:?}"));
    }
    Ok(())
}

fn printed(run: &ClientRun, text: &str) -> Result<(), String> {
    if !run.stdout.contains(text) {
        return Err(format!(
            "the body printed has no {text:?}: {:?}",
            short(&run.stdout)
        ));
    }
    Ok(())
}

fn short(text: &str) -> String {
    text.chars().take(200).collect()
}

fn followed_to_get(run: &ClientRun) -> Result<(), String> {
    succeeded(run)?;
    saw(
        run,
        &["GET /status/301 301", "GET /redirect/1 302", "GET /get 200"],
    )?;
    printed(run, "/get\"")
}

fn post_303_becomes_get(run: &ClientRun) -> Result<(), String> {
    succeeded(run)?;
    saw(
        run,
        &[
            "POST /redirect-to?url=/anything&status_code=303 303",
            "GET /anything 200",
        ],
    )?;
    printed(run, "\"method\": \"GET\"")
}

fn post_307_kept(run: &ClientRun) -> Result<(), String> {
    succeeded(run)?;
    saw(
        run,
        &[
            "POST /redirect-to?url=/anything&status_code=307 307",
            "POST /anything 200",
        ],
    )?;
    printed(run, "\"method\": \"POST\"")
}

fn post_308_kept(run: &ClientRun) -> Result<(), String> {
    succeeded(run)?;
    saw(
        run,
        &[
            "POST /redirect-to?url=/anything&status_code=308 308",
            "POST /anything 200",
        ],
    )?;
    printed(run, "\"method\": \"POST\"")
}

fn chain_of_five(run: &ClientRun) -> Result<(), String> {
    succeeded(run)?;
    let got = requests(run);
    if got.len() != 6 || got.last().map(String::as_str) != Some("GET /get 200") {
        return Err(format!(
            "the stand-in saw {got:?}, not five redirects and /get"
        ));
    }
    Ok(())
}

fn loop_stopped(run: &ClientRun) -> Result<(), String> {
    one_line_failure(run.success, &run.stderr)?;
    let n = run.seen.len();
    if !(2..=50).contains(&n) {
        return Err(format!(
            "{n} requests for a redirect loop (it must stop, after 2 to 50)"
        ));
    }
    Ok(())
}

fn cookie_kept(run: &ClientRun) -> Result<(), String> {
    succeeded(run)?;
    let sent = run
        .seen
        .iter()
        .any(|line| line.contains(" GET /cookies 200 ") && line.contains("fopnp=kept"));
    if !sent {
        return Err(format!(
            "the cookie was not sent back after the redirect; the stand-in saw {:?}",
            run.seen
        ));
    }
    printed(run, "\"fopnp\": \"kept\"")
}

fn gzip_decoded(run: &ClientRun) -> Result<(), String> {
    succeeded(run)?;
    printed(run, "\"gzipped\": true")
}

fn deflate_decoded(run: &ClientRun) -> Result<(), String> {
    succeeded(run)?;
    printed(run, "\"deflated\": true")
}

fn head_without_body(run: &ClientRun) -> Result<(), String> {
    succeeded(run)?;
    saw(run, &["HEAD /get 200"])?;
    if !run.stdout.is_empty() {
        return Err(format!("a body after HEAD: {:?}", short(&run.stdout)));
    }
    Ok(())
}

fn chunks_decoded(run: &ClientRun) -> Result<(), String> {
    succeeded(run)?;
    let lines: Vec<&str> = run.stdout.lines().collect();
    let ids: Vec<bool> = (0..3)
        .map(|i| {
            lines
                .get(i)
                .is_some_and(|l| l.contains(&format!("\"id\": {i}")))
        })
        .collect();
    if lines.len() != 3 || ids.contains(&false) {
        return Err(format!(
            "not the three JSON lines with ids 0, 1, 2: {:?}",
            short(&run.stdout)
        ));
    }
    Ok(())
}

fn one_connection(run: &ClientRun) -> Result<(), String> {
    succeeded(run)?;
    let connections: Vec<&str> = run
        .seen
        .iter()
        .filter_map(|line| line.split(' ').next())
        .collect();
    if connections.len() != 4 {
        return Err(format!(
            "the stand-in saw {:?}, not four requests",
            run.seen
        ));
    }
    if connections.iter().any(|c| *c != connections[0]) {
        return Err(format!(
            "the redirects went out on connections {connections:?}, not one kept alive"
        ));
    }
    Ok(())
}

/// The stand-in saw the case's request: the client ran and sent it. A case that expects an
/// error passes only on the error that answer causes, not on a client that cannot start
/// (whose one line of failure would otherwise pass).
fn sent(run: &ClientRun) -> Result<(), String> {
    if run.seen.is_empty() {
        return Err(format!(
            "the stand-in never saw the request (the client did not send it): {}",
            short(run.stderr.trim())
        ));
    }
    Ok(())
}

fn failed_in_one_line(run: &ClientRun) -> Result<(), String> {
    sent(run)?;
    one_line_failure(run.success, &run.stderr)
}

fn trickle_read(run: &ClientRun) -> Result<(), String> {
    succeeded(run)?;
    if run.stdout != "0123456789" {
        return Err(format!(
            "printed {:?}, not the ten bytes",
            short(&run.stdout)
        ));
    }
    Ok(())
}

fn ten_gib(run: &ClientRun) -> Result<(), String> {
    sent(run)?;
    one_line_failure(run.success, &run.stderr)?;
    match run.peak_bytes {
        Some(peak) if peak > PEAK_LIMIT => Err(format!(
            "its peak memory was {} MiB (at most {} MiB)",
            peak / (1024 * 1024),
            PEAK_LIMIT / (1024 * 1024)
        )),
        _ => Ok(()),
    }
}

fn huge_header(run: &ClientRun) -> Result<(), String> {
    sent(run)?;
    if run.success {
        return Ok(());
    }
    one_line_failure(run.success, &run.stderr)
}

fn byte_exact(run: &ClientRun) -> Result<(), String> {
    succeeded(run)?;
    if run.raw_stdout.is_empty() && !run.stdout.is_empty() {
        return Err("this runner keeps no raw output to compare".into());
    }
    if run.raw_stdout != b"Stra\xdfe\n" {
        return Err(format!(
            "printed {}, not the server's bytes b'Stra\\xdfe\\n'",
            fopnp::PyBytes(&run.raw_stdout)
        ));
    }
    Ok(())
}

/// The cases, in the order the report shows them.
pub const CASES: &[Case] = &[
    Case {
        id: "redirect-followed",
        method: "GET",
        path: "/status/301",
        what: "a 301 and then a 302 followed to /get",
        judge: followed_to_get,
    },
    Case {
        id: "redirect-303-post-becomes-get",
        method: "POST",
        path: "/redirect-to?url=/anything&status_code=303",
        what: "RFC 9110 §15.4.4: after a 303, a GET",
        judge: post_303_becomes_get,
    },
    Case {
        id: "redirect-307-keeps-post",
        method: "POST",
        path: "/redirect-to?url=/anything&status_code=307",
        what: "RFC 9110 §15.4.8: a 307 keeps the method",
        judge: post_307_kept,
    },
    Case {
        id: "redirect-308-keeps-post",
        method: "POST",
        path: "/redirect-to?url=/anything&status_code=308",
        what: "RFC 9110 §15.4.9: a 308 keeps the method",
        judge: post_308_kept,
    },
    Case {
        id: "redirect-chain-of-five",
        method: "GET",
        path: "/redirect/5",
        what: "five redirects in a row followed",
        judge: chain_of_five,
    },
    Case {
        id: "redirect-loop-stopped",
        method: "GET",
        path: "/redirect-loop",
        what: "RFC 9110 §15.4: a client detects a redirect loop, and fails in one line",
        judge: loop_stopped,
    },
    Case {
        id: "cookie-kept-across-redirect",
        method: "GET",
        path: "/cookies/set?fopnp=kept",
        what: "a cookie set by a redirect sent to its target",
        judge: cookie_kept,
    },
    Case {
        id: "gzip-decoded",
        method: "GET",
        path: "/gzip",
        what: "a gzip body decoded",
        judge: gzip_decoded,
    },
    Case {
        id: "deflate-decoded",
        method: "GET",
        path: "/deflate",
        what: "a deflate (zlib) body decoded",
        judge: deflate_decoded,
    },
    Case {
        id: "head-has-no-body",
        method: "HEAD",
        path: "/get",
        what: "RFC 9112 §6.3: no body read after HEAD, whatever Content-Length says",
        judge: head_without_body,
    },
    Case {
        id: "chunked-decoded",
        method: "GET",
        path: "/stream/3",
        what: "RFC 9112 §7.1: a chunked body decoded",
        judge: chunks_decoded,
    },
    Case {
        id: "keep-alive-across-redirects",
        method: "GET",
        path: "/redirect/3",
        what: "RFC 9112 §9.3: one persistent connection for a chain of redirects",
        judge: one_connection,
    },
    Case {
        id: "truncated-body-is-an-error",
        method: "GET",
        path: "/misbehave/truncated",
        what: "RFC 9112 §8: a body shorter than its Content-Length is incomplete, an error",
        judge: failed_in_one_line,
    },
    Case {
        id: "reset-mid-body-is-an-error",
        method: "GET",
        path: "/misbehave/reset",
        what: "a reset in the middle of the body, an error in one line",
        judge: failed_in_one_line,
    },
    Case {
        id: "trickling-body-read",
        method: "GET",
        path: "/misbehave/trickle",
        what: "a body sent a byte every 100 ms read whole, within the timeout",
        judge: trickle_read,
    },
    Case {
        id: "ten-gib-length-not-preallocated",
        method: "GET",
        path: "/misbehave/ten-gib",
        what: "a Content-Length of 10 GiB (1 KiB sent): an error, and no room made for it",
        judge: ten_gib,
    },
    Case {
        id: "huge-header-survived",
        method: "GET",
        path: "/misbehave/huge-header",
        what: "a 1 MiB header refused or taken, without a crash",
        judge: huge_header,
    },
    Case {
        id: "invalid-status-line-refused",
        method: "GET",
        path: "/misbehave/bad-status",
        what: "RFC 9112 §4: `HTTP/1.1 2OO OK` is not a status line, an error",
        judge: failed_in_one_line,
    },
    Case {
        id: "non-utf8-body-byte-exact",
        method: "GET",
        path: "/latin1",
        what: "a Latin-1 body passed through byte for byte",
        judge: byte_exact,
    },
];

/// The table's cases that `pick` picks: `run(_, _, [path, method])` fetches.
fn client_cases(
    _: Output,
    run: RunClient<'_>,
    pick: &dyn Fn(&str) -> bool,
) -> Vec<(&'static str, Verdict)> {
    CASES
        .iter()
        .filter(|case| pick(case.id))
        .map(|case| {
            let ran = run(0, 0, &[case.path, case.method]);
            (case.id, Verdict::of((case.judge)(&ran)))
        })
        .collect()
}

/// A case's placeholders: `{url}` on the stand-in at `address`, and `{method}`.
fn placeholders(address: &str, args: &[&str]) -> Vec<(&'static str, String)> {
    let path = args.first().copied().unwrap_or("/");
    vec![
        ("url", format!("http://{address}{path}")),
        ("method", args.get(1).copied().unwrap_or("GET").to_string()),
    ]
}

/// Chapter 9's table.
pub static TABLE: Table = Table {
    family: Family::HttpClient,
    name: "http-client",
    transport: Transport::Tcp,
    server_case_ids: Vec::new,
    server_case: not_here,
    fresh_server_per_case: false,
    client_cases,
    client_command: "{exe} --method {method} {url}",
    certificates: false,
    stand_in: Some(&catalog::HTTPBIN),
    placeholders,
};

#[cfg(test)]
mod tests {
    use super::*;

    fn ran(success: bool, stdout: &str, seen: &[&str]) -> ClientRun {
        ClientRun {
            success,
            stdout: stdout.into(),
            raw_stdout: stdout.as_bytes().to_vec(),
            seen: seen.iter().map(|s| s.to_string()).collect(),
            ..ClientRun::default()
        }
    }

    fn case(id: &str) -> &'static Case {
        CASES.iter().find(|c| c.id == id).unwrap()
    }

    #[test]
    fn redirects_cookies_and_reuse_are_judged_from_what_the_stand_in_saw() {
        let followed = [
            "#1 GET /status/301 301",
            "#1 GET /redirect/1 302",
            "#1 GET /get 200",
        ];
        let body = "{\n  \"url\": \"http://127.0.0.1:1/get\"\n}\n";
        assert!((case("redirect-followed").judge)(&ran(true, body, &followed)).is_ok());
        // The same words printed, but no redirect followed: a failure.
        assert!((case("redirect-followed").judge)(&ran(true, body, &followed[..1])).is_err());
        let kept = [
            "#1 GET /cookies/set?fopnp=kept 302",
            "#1 GET /cookies 200 Cookie: fopnp=kept",
        ];
        let cookies = "{\"cookies\": {\"fopnp\": \"kept\"}}";
        assert!((case("cookie-kept-across-redirect").judge)(&ran(true, cookies, &kept)).is_ok());
        assert!(
            (case("cookie-kept-across-redirect").judge)(&ran(
                true,
                cookies,
                &[kept[0], "#1 GET /cookies 200"]
            ))
            .is_err()
        );
        let one = [
            "#4 GET /redirect/3 302",
            "#4 GET /relative-redirect/2 302",
            "#4 GET /relative-redirect/1 302",
            "#4 GET /get 200",
        ];
        assert!((case("keep-alive-across-redirects").judge)(&ran(true, "", &one)).is_ok());
        let many = [
            "#4 GET /redirect/3 302",
            "#5 GET /relative-redirect/2 302",
            "#6 GET /relative-redirect/1 302",
            "#7 GET /get 200",
        ];
        assert!((case("keep-alive-across-redirects").judge)(&ran(true, "", &many)).is_err());
    }

    /// The control: a client that does nothing (cannot start, dies on a signal, prints
    /// nothing and exits 0, or fails in one line) fails every case.
    #[test]
    fn a_client_that_does_nothing_fails_every_case() {
        let nothing = [
            ClientRun::default(),
            ClientRun {
                stderr: "cannot run nonexistent: No such file or directory\n".into(),
                ..ClientRun::default()
            },
            ClientRun {
                success: true,
                ..ClientRun::default()
            },
        ];
        for run in &nothing {
            for case in CASES {
                assert!(
                    (case.judge)(run).is_err(),
                    "{} passed a client that did nothing: {run:?}",
                    case.id
                );
            }
        }
    }

    #[test]
    fn broken_answers_must_fail_in_one_line_and_bytes_must_be_exact() {
        let failed = |stderr: &str| ClientRun {
            stderr: stderr.into(),
            seen: vec!["#1 GET /misbehave/truncated (misbehaving)".into()],
            ..ClientRun::default()
        };
        let truncated = case("truncated-body-is-an-error");
        assert!((truncated.judge)(&failed("http_get: closed after 10 of 100 bytes\n")).is_ok());
        assert!((truncated.judge)(&ran(true, "0123456789", &[])).is_err());
        assert!(
            (truncated.judge)(&failed(
                "Traceback (most recent call last):\n  ...\nError\n"
            ))
            .is_err()
        );
        let big = case("ten-gib-length-not-preallocated");
        let mut run = failed("closed early\n");
        run.peak_bytes = Some(8 << 20);
        assert!((big.judge)(&run).is_ok());
        run.peak_bytes = Some(64 << 20);
        assert!((big.judge)(&run).is_err());
        let exact = case("non-utf8-body-byte-exact");
        let mut run = ran(true, "Stra\u{fffd}e\n", &[]);
        assert!((exact.judge)(&run).is_err());
        run.raw_stdout = b"Stra\xdfe\n".to_vec();
        assert!((exact.judge)(&run).is_ok());
        // Not sent at all: the same one line from a client that never started fails.
        let mut unsent = failed("cannot run nonexistent: No such file or directory\n");
        unsent.seen.clear();
        assert!((truncated.judge)(&unsent).is_err());
        let ids: Vec<&str> = CASES.iter().map(|c| c.id).collect();
        assert!(ids.iter().enumerate().all(|(i, id)| !ids[..i].contains(id)));
        let filled = placeholders("127.0.0.1:9", &["/get", "HEAD"]);
        assert_eq!(filled[0].1, "http://127.0.0.1:9/get");
        assert_eq!(filled[1].1, "HEAD");
    }
}
