//! Chapter 10's table: what an HTTP/1.1 server must do with requests that RFC 9110 and
//! RFC 9112 say to reject, or to take, each sent as exact bytes on a raw socket. The IDs
//! name the section (`rfc9112-3.2-missing-host`).
//!
//! A case passes on the status the RFC requires (400 where it says so; 501, 505, 414 or
//! 431 where they fit) or on a close without an answer; never on a 2xx for a request the
//! RFC says to reject, and never on silence (a server that neither answers nor closes
//! within the patience). Where the RFC lets a server either reject or repair (a bare CR,
//! obs-fold, a NUL in a value), any answer or a close passes.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpStream};
use std::time::{Duration, Instant};

use catalog::{Family, Transport};

use crate::table::{Output, Running, ServerSpec, Table, no_placeholders};
use crate::{RunClient, Verdict};

mod slow_client;

pub use slow_client::{SLOW_CLIENT_LIMIT, slow_client, slow_client_within};

/// How a case's answer is judged.
#[derive(Clone, Copy, Debug)]
pub enum Expect {
    /// Refused: one of these statuses, or a close with no answer.
    Reject(&'static [u16]),
    /// Taken: an answer that is not a 400 or a 5xx.
    Accept,
    /// Either, as the RFC allows: any answer, or a close.
    Either,
    /// One answer only (what followed was a body, or the connection was closed).
    OneAnswer,
    /// An answer with no body (HEAD).
    NoBody,
}

/// One request and how its answer is judged.
#[derive(Clone, Copy, Debug)]
pub struct Case {
    pub id: &'static str,
    pub what: &'static str,
    /// The bytes, `{host}` standing for `127.0.0.1:PORT`.
    pub request: &'static str,
    pub expect: Expect,
}

const REJECT: Expect = Expect::Reject(&[400]);

/// The cases, in the order the report shows them.
pub const CASES: &[Case] = &[
    Case {
        id: "rfc9112-3-bad-method-token",
        what: "a method that is not a token (`G@T`): 400",
        request: "G@T / HTTP/1.1\r\nHost: {host}\r\n\r\n",
        expect: REJECT,
    },
    Case {
        id: "rfc9112-3-missing-version",
        what: "a request line without a version (HTTP/0.9): refused",
        request: "GET /\r\n\r\n",
        expect: Expect::Reject(&[400, 505]),
    },
    Case {
        id: "rfc9112-2.3-unknown-version",
        what: "HTTP/9.9: 505 or 400",
        request: "GET / HTTP/9.9\r\nHost: {host}\r\n\r\n",
        expect: Expect::Reject(&[400, 505]),
    },
    Case {
        id: "rfc9112-3.2.2-absolute-form",
        what: "a server MUST accept the absolute form (`GET http://host/`)",
        request: "GET http://{host}/ HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n",
        expect: Expect::Accept,
    },
    Case {
        id: "rfc9112-2.2-bare-lf",
        what: "lines ended by a bare LF: a recipient MAY take them",
        request: "GET / HTTP/1.1\nHost: {host}\nConnection: close\n\n",
        expect: Expect::Either,
    },
    Case {
        id: "rfc9112-2.2-bare-cr",
        what: "a bare CR: invalid, or replaced with a space",
        request: "GET / HTTP/1.1\r\nHost: {host}\r\nX-A: a\rb\r\nConnection: close\r\n\r\n",
        expect: Expect::Either,
    },
    Case {
        id: "rfc9112-5.1-space-before-colon",
        what: "whitespace between a field name and its colon: MUST be rejected with 400",
        request: "GET / HTTP/1.1\r\nHost : {host}\r\n\r\n",
        expect: REJECT,
    },
    Case {
        id: "rfc9112-5.2-obs-fold",
        what: "a folded line: rejected with 400, or replaced with a space",
        request: "GET / HTTP/1.1\r\nHost: {host}\r\nX-A: a\r\n b\r\nConnection: close\r\n\r\n",
        expect: Expect::Either,
    },
    Case {
        id: "rfc9110-5.1-empty-field-name",
        what: "a field with no name (`: x`): not a field, 400",
        request: "GET / HTTP/1.1\r\nHost: {host}\r\n: x\r\n\r\n",
        expect: REJECT,
    },
    Case {
        id: "rfc9110-5.5-nul-in-value",
        what: "a NUL in a field value: rejected, or replaced with a space",
        request: "GET / HTTP/1.1\r\nHost: {host}\r\nX-A: a\0b\r\nConnection: close\r\n\r\n",
        expect: Expect::Either,
    },
    Case {
        id: "rfc9112-3.2-missing-host",
        what: "an HTTP/1.1 request without Host: MUST be answered 400",
        request: "GET / HTTP/1.1\r\n\r\n",
        expect: REJECT,
    },
    Case {
        id: "rfc9112-3.2-duplicate-host",
        what: "two Host lines: MUST be answered 400",
        request: "GET / HTTP/1.1\r\nHost: {host}\r\nHost: example.com\r\n\r\n",
        expect: REJECT,
    },
    Case {
        id: "rfc9112-6.3-non-numeric-length",
        what: "`Content-Length: abc`: 400, and the connection closed",
        request: "POST / HTTP/1.1\r\nHost: {host}\r\nContent-Length: abc\r\n\r\n",
        expect: REJECT,
    },
    Case {
        id: "rfc9112-6.3-plus-sign-length",
        what: "`Content-Length: +5` is not 1*DIGIT: 400",
        request: "POST / HTTP/1.1\r\nHost: {host}\r\nContent-Length: +5\r\n\r\nhello",
        expect: REJECT,
    },
    Case {
        id: "rfc9112-6.3-overflowing-length",
        what: "a Content-Length past any integer: 400",
        request: "POST / HTTP/1.1\r\nHost: {host}\r\nContent-Length: 99999999999999999999999\r\n\r\n",
        expect: REJECT,
    },
    Case {
        id: "rfc9112-6.3-disagreeing-lengths",
        what: "two Content-Lengths that disagree: 400",
        request: "POST / HTTP/1.1\r\nHost: {host}\r\nContent-Length: 3\r\nContent-Length: 5\r\n\r\nhello",
        expect: REJECT,
    },
    Case {
        id: "rfc9112-6.1-length-and-chunked",
        what: "Content-Length with Transfer-Encoding: one answer at most, then the close (no request smuggled behind)",
        request: "POST / HTTP/1.1\r\nHost: {host}\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: {host}\r\n\r\n",
        expect: Expect::OneAnswer,
    },
    Case {
        id: "rfc9112-6.1-unknown-transfer-coding",
        what: "`Transfer-Encoding: xchunked`: 501 (or 400), never taken",
        request: "POST / HTTP/1.1\r\nHost: {host}\r\nTransfer-Encoding: xchunked\r\n\r\n",
        expect: Expect::Reject(&[400, 501]),
    },
    Case {
        id: "rfc9112-6.3-request-in-body",
        what: "a request inside a body of the declared length is body: one answer",
        request: "POST / HTTP/1.1\r\nHost: {host}\r\nContent-Length: 40\r\nConnection: close\r\n\r\nGET /x HTTP/1.1\r\nHost: {host}\r\n\r\n",
        expect: Expect::OneAnswer,
    },
    Case {
        id: "rfc9112-3-long-request-line",
        what: "a 100 KiB target: 414 or 400, or a close",
        request: "LONG",
        expect: Expect::Reject(&[400, 414, 431]),
    },
    Case {
        id: "rfc9110-15.5.20-huge-header",
        what: "a 1 MiB header: 431 or 400, or a close",
        request: "HUGE",
        expect: Expect::Reject(&[400, 431]),
    },
    Case {
        id: "rfc9110-9.3.2-head-no-body",
        what: "HEAD: the headers GET would have, and no body",
        request: "HEAD / HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n",
        expect: Expect::NoBody,
    },
];

/// What came back: everything until the close, and whether it closed (or was still
/// open at the deadline).
struct Answered {
    bytes: Vec<u8>,
    closed: bool,
}

/// Whether `bytes` hold a whole first answer (its head, and its body by its length or
/// its chunks; after HEAD, the head alone).
fn whole_answer(bytes: &[u8], head_only: bool) -> bool {
    let text = String::from_utf8_lossy(bytes);
    let Some((head, body)) = text.split_once("\r\n\r\n") else {
        return false;
    };
    if head_only {
        return true;
    }
    let field = |name: &str| {
        head.lines().find_map(|l| {
            let (n, v) = l.split_once(':')?;
            n.trim()
                .eq_ignore_ascii_case(name)
                .then(|| v.trim().to_ascii_lowercase())
        })
    };
    if field("transfer-encoding").is_some_and(|v| v.contains("chunked")) {
        return body.contains("0\r\n\r\n");
    }
    match field("content-length").and_then(|v| v.parse::<usize>().ok()) {
        Some(n) => body.len() >= n,
        None => false,
    }
}

/// Sends `request` and reads what comes back: until the close, or (where `more` is
/// `None`) the first whole answer, or (with `Some(wait)`) `wait` past it for another.
fn exchange(
    port: u16,
    request: &[u8],
    patience: Duration,
    head_only: bool,
    more: Option<Duration>,
) -> Result<Answered, String> {
    let mut stream =
        TcpStream::connect(("127.0.0.1", port)).map_err(|e| format!("cannot connect: {e}"))?;
    let mut deadline = Instant::now() + patience;
    let mut answered_once = false;
    // A server may answer and close before it has read all of a long request.
    let _ = stream.write_all(request);
    let mut bytes = Vec::new();
    let mut buf = [0u8; 16384];
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Ok(Answered {
                bytes,
                closed: false,
            });
        }
        let _ = stream.set_read_timeout(Some(left));
        match stream.read(&mut buf) {
            Ok(0) => {
                return Ok(Answered {
                    bytes,
                    closed: true,
                });
            }
            Ok(n) => {
                bytes.extend_from_slice(&buf[..n]);
                if !answered_once && whole_answer(&bytes, head_only) {
                    answered_once = true;
                    match more {
                        None => {
                            return Ok(Answered {
                                bytes,
                                closed: false,
                            });
                        }
                        Some(wait) => deadline = deadline.min(Instant::now() + wait),
                    }
                }
            }
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                let _ = stream.shutdown(Shutdown::Both);
                return Ok(Answered {
                    bytes,
                    closed: false,
                });
            }
            // A reset is a close.
            Err(_) => {
                return Ok(Answered {
                    bytes,
                    closed: true,
                });
            }
        }
    }
}

/// The statuses of the answers in `bytes`, in order.
fn statuses(bytes: &[u8]) -> Vec<u16> {
    let text = String::from_utf8_lossy(bytes);
    text.match_indices("HTTP/1.")
        .filter(|(at, _)| *at == 0 || text[..*at].ends_with('\n'))
        .filter_map(|(at, _)| text[at..].split(' ').nth(1)?.get(..3)?.parse().ok())
        .collect()
}

/// Judges what came back for `case`.
pub fn judge(case: &Case, answered: &AnsweredView) -> Verdict {
    let got = statuses(answered.bytes);
    let first = got.first().copied();
    let silent = || Verdict::Fail("neither an answer nor a close within the patience".into());
    match case.expect {
        Expect::Reject(allowed) => match first {
            Some(status) if allowed.contains(&status) => Verdict::Pass,
            Some(status) => Verdict::Fail(format!("answered {status}, not {allowed:?} or a close")),
            None if answered.closed => Verdict::Pass,
            None => silent(),
        },
        Expect::Accept => match first {
            Some(status) if status != 400 && status < 500 => Verdict::Pass,
            Some(status) => Verdict::Fail(format!("answered {status}: it must take the request")),
            None => Verdict::Fail("no answer to a request it must take".into()),
        },
        Expect::Either => match first {
            Some(_) => Verdict::Pass,
            None if answered.closed => Verdict::Pass,
            None => silent(),
        },
        Expect::OneAnswer => match got.len() {
            0 | 1 if answered.closed || !got.is_empty() => Verdict::Pass,
            0 => silent(),
            n => Verdict::Fail(format!(
                "{n} answers {got:?}: what followed was taken for a request"
            )),
        },
        Expect::NoBody => {
            let text = String::from_utf8_lossy(answered.bytes);
            match (first, text.split_once("\r\n\r\n")) {
                // Whatever the status (the book's apps answer HEAD 501), no body.
                (Some(_), Some((_, ""))) => Verdict::Pass,
                (Some(_), Some((_, body))) => {
                    Verdict::Fail(format!("{} bytes of body after HEAD", body.len()))
                }
                _ => Verdict::Fail("no answer to HEAD".into()),
            }
        }
    }
}

/// What [`judge`] looks at.
pub struct AnsweredView<'a> {
    pub bytes: &'a [u8],
    pub closed: bool,
}

/// The bytes of `case` for a server at `port`.
pub fn request(case: &Case, port: u16) -> Vec<u8> {
    let host = format!("127.0.0.1:{port}");
    match case.request {
        "LONG" => format!(
            "GET /{} HTTP/1.1\r\nHost: {host}\r\n\r\n",
            "a".repeat(100 * 1024)
        )
        .into_bytes(),
        "HUGE" => format!(
            "GET / HTTP/1.1\r\nHost: {host}\r\nX-Huge: {}\r\n\r\n",
            "x".repeat(1024 * 1024)
        )
        .into_bytes(),
        text => text.replace("{host}", &host).into_bytes(),
    }
}

/// Runs `case` against a server listening on `port`.
pub fn run_case(case: &Case, port: u16) -> Verdict {
    // The patience: long enough for a loaded machine, short beside the 30 s a server may
    // give a slow client.
    let patience = crate::patience().min(Duration::from_secs(5));
    let head_only = matches!(case.expect, Expect::NoBody);
    // One-answer cases wait a moment past the first answer, for a second that must not come.
    let more = matches!(case.expect, Expect::OneAnswer).then_some(Duration::from_millis(500));
    match exchange(port, &request(case, port), patience, head_only, more) {
        Ok(answered) => judge(
            case,
            &AnsweredView {
                bytes: &answered.bytes,
                closed: answered.closed,
            },
        ),
        Err(e) => Verdict::Fail(e),
    }
}

fn server_case_ids() -> Vec<&'static str> {
    CASES.iter().map(|c| c.id).collect()
}

fn server_case(
    _: &ServerSpec,
    server: &mut dyn Running,
    id: &'static str,
    _: &mut usize,
) -> Verdict {
    match CASES.iter().find(|c| c.id == id) {
        Some(case) => run_case(case, server.port()),
        None => Verdict::Fail(format!("no case {id}")),
    }
}

fn no_client_cases(
    _: Output,
    _: RunClient<'_>,
    _: &dyn Fn(&str) -> bool,
) -> Vec<(&'static str, Verdict)> {
    Vec::new()
}

/// Chapter 10's table.
pub static TABLE: Table = Table {
    family: Family::HttpServer,
    name: "http-server",
    transport: Transport::Tcp,
    server_case_ids,
    server_case,
    fresh_server_per_case: false,
    client_cases: no_client_cases,
    client_command: "",
    certificates: false,
    stand_in: None,
    placeholders: no_placeholders,
};

#[cfg(test)]
mod tests {
    use super::*;

    fn view(bytes: &[u8], closed: bool) -> Verdict {
        let case = CASES
            .iter()
            .find(|c| c.id == "rfc9112-3.2-missing-host")
            .unwrap();
        judge(case, &AnsweredView { bytes, closed })
    }

    #[test]
    fn a_rejection_is_its_status_or_a_close_and_never_a_200_or_silence() {
        assert_eq!(
            view(b"HTTP/1.1 400 Bad Request\r\n\r\n", true),
            Verdict::Pass
        );
        assert_eq!(view(b"", true), Verdict::Pass);
        assert!(matches!(
            view(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok", true),
            Verdict::Fail(_)
        ));
        assert!(matches!(view(b"", false), Verdict::Fail(_)));
        let smuggle = CASES
            .iter()
            .find(|c| c.id == "rfc9112-6.1-length-and-chunked")
            .unwrap();
        let two = b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\nHTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n";
        assert!(matches!(
            judge(
                smuggle,
                &AnsweredView {
                    bytes: two,
                    closed: true
                }
            ),
            Verdict::Fail(_)
        ));
        let head = CASES
            .iter()
            .find(|c| c.id == "rfc9110-9.3.2-head-no-body")
            .unwrap();
        let with_body = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok";
        assert!(matches!(
            judge(
                head,
                &AnsweredView {
                    bytes: with_body,
                    closed: true
                }
            ),
            Verdict::Fail(_)
        ));
        assert_eq!(
            statuses(b"HTTP/1.1 200 OK\r\n\r\nHTTP/1.1 100 x"),
            [200, 100]
        );
        let ids = server_case_ids();
        assert!(ids.iter().enumerate().all(|(i, id)| !ids[..i].contains(id)));
        assert!(request(&CASES[19], 1).len() > 100 * 1024);
    }
}
