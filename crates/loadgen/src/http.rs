//! Chapter 10's load in an open loop (`loadgen http-open`): HTTP/1.1 GETs started at a
//! fixed rate whatever the server does, each timed from when it was scheduled, as Chapter
//! 7's conversations are ([`crate::open`]).
//!
//! Two ways to connect:
//! - **keep-alive**: `connections` connections opened before the run, taken in turn (the
//!   least recently used first, so every one of them carries requests) and put back after
//!   each answer. A request waits for a free one, and the wait is in its latency. A
//!   connection the server closes (`Connection: close`, an HTTP/1.0 answer, an end of
//!   file) is opened again for the next request, and that connect is in its latency too.
//! - **new connection**: every request connects, asks with `Connection: close` and reads
//!   to the server's close; at most `connections` at once. Each connects from an address
//!   of its own in 127.0.0.0/8, so that TIME_WAIT never runs one address out of ports.
//!
//! An answer is read as RFC 9112 §6.3 frames it (Content-Length, chunked, or to the
//! close); an answer whose status is not 200 counts as a wrong answer.

use std::collections::VecDeque;
use std::io;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use serde::Serialize;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::open::schedule;
use crate::zen::{Errors, bounded, connect_from, load_runtime, source};

/// The most an answer's head may take.
const MAX_HEAD: usize = 64 * 1024;

/// One open-loop run's figures.
#[derive(Clone, Debug, Serialize)]
pub struct HttpReport {
    /// The offered rate, in requests per second.
    pub rate: f64,
    pub seconds: f64,
    pub connections: usize,
    /// `keep-alive` or `new connection`.
    pub mode: &'static str,
    pub scheduled: u64,
    pub started: u64,
    /// Requests answered 200, framed whole.
    pub completed: u64,
    pub achieved_per_s: f64,
    /// Latency from the scheduled start to the answer's last byte, in milliseconds.
    pub latency_p50_ms: f64,
    pub latency_p99_ms: f64,
    pub latency_p999_ms: f64,
    pub latency_max_ms: f64,
    /// Connections opened during the run (keep-alive: beyond the first `connections`).
    pub reconnects: u64,
    pub errors: Errors,
}

/// One answer, read.
#[derive(Debug, PartialEq, Eq)]
pub struct Answer {
    pub status: u16,
    /// Whether the connection may carry another request.
    pub keep: bool,
    pub body_len: usize,
}

/// How an answer's body is framed.
enum Framing {
    Length(usize),
    Chunked,
    ToClose,
}

/// Reads one answer from `stream` into `buf` (cleared first).
pub async fn read_answer<S: tokio::io::AsyncRead + Unpin>(
    stream: &mut S,
    buf: &mut Vec<u8>,
) -> io::Result<Answer> {
    buf.clear();
    let mut piece = [0u8; 8192];
    // The head.
    let (head_len, status, mut keep, framing) = loop {
        let mut headers = [httparse::EMPTY_HEADER; 32];
        let mut response = httparse::Response::new(&mut headers);
        let parsed = response
            .parse(buf)
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e.to_string()))?;
        if let httparse::Status::Complete(len) = parsed {
            let status = response.code.unwrap_or(0);
            let mut keep = response.version == Some(1);
            let mut framing = Framing::ToClose;
            for h in response.headers.iter() {
                let value = std::str::from_utf8(h.value).unwrap_or("").trim();
                if h.name.eq_ignore_ascii_case("connection") {
                    if value.eq_ignore_ascii_case("close") {
                        keep = false;
                    } else if value.eq_ignore_ascii_case("keep-alive") {
                        keep = true;
                    }
                } else if h.name.eq_ignore_ascii_case("transfer-encoding")
                    && value.to_ascii_lowercase().ends_with("chunked")
                {
                    framing = Framing::Chunked;
                } else if h.name.eq_ignore_ascii_case("content-length")
                    && !matches!(framing, Framing::Chunked)
                {
                    let length = value.parse().map_err(|_| {
                        io::Error::new(io::ErrorKind::InvalidData, "a bad Content-Length")
                    })?;
                    framing = Framing::Length(length);
                }
            }
            // 1xx, 204 and 304 have no body.
            if status < 200 || status == 204 || status == 304 {
                framing = Framing::Length(0);
            }
            break (len, status, keep, framing);
        }
        if buf.len() > MAX_HEAD {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "an answer's head over 64 KiB",
            ));
        }
        let n = stream.read(&mut piece).await?;
        if n == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        buf.extend_from_slice(&piece[..n]);
    };
    // The body.
    let body_len = match framing {
        Framing::Length(length) => {
            while buf.len() < head_len + length {
                let n = stream.read(&mut piece).await?;
                if n == 0 {
                    return Err(io::ErrorKind::UnexpectedEof.into());
                }
                buf.extend_from_slice(&piece[..n]);
            }
            length
        }
        Framing::Chunked => {
            let mut at = head_len;
            let mut total = 0;
            loop {
                // A chunk's size line, then its data and CRLF; the last is `0` and CRLF
                // (trailers are not expected here), then a CRLF.
                let Some(end) = find_crlf(&buf[at..]) else {
                    read_more(stream, buf, &mut piece).await?;
                    continue;
                };
                let line = std::str::from_utf8(&buf[at..at + end]).unwrap_or("");
                let size_text = line.split(';').next().unwrap_or("").trim();
                let size = usize::from_str_radix(size_text, 16)
                    .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "a bad chunk size"))?;
                let need = at + end + 2 + size + 2;
                while buf.len() < need {
                    read_more(stream, buf, &mut piece).await?;
                }
                at = need;
                total += size;
                if size == 0 {
                    break;
                }
            }
            total
        }
        Framing::ToClose => {
            loop {
                let n = stream.read(&mut piece).await?;
                if n == 0 {
                    break;
                }
                buf.extend_from_slice(&piece[..n]);
            }
            keep = false;
            buf.len() - head_len
        }
    };
    Ok(Answer {
        status,
        keep,
        body_len,
    })
}

fn find_crlf(bytes: &[u8]) -> Option<usize> {
    bytes.windows(2).position(|w| w == b"\r\n")
}

async fn read_more<S: tokio::io::AsyncRead + Unpin>(
    stream: &mut S,
    buf: &mut Vec<u8>,
    piece: &mut [u8],
) -> io::Result<()> {
    let n = stream.read(piece).await?;
    if n == 0 {
        return Err(io::ErrorKind::UnexpectedEof.into());
    }
    buf.extend_from_slice(&piece[..n]);
    Ok(())
}

/// What the run asks, and of whom.
#[derive(Clone, Debug)]
pub struct Plan {
    pub port: u16,
    pub path: String,
    pub rate: f64,
    pub seconds: f64,
    pub connections: usize,
    /// A new connection for every request.
    pub fresh: bool,
    pub timeout: Duration,
}

/// A request's outcome: its latency, whether it had to open a connection.
type Outcome = (Result<Duration, Errors>, bool);

/// Offers `plan.rate` GETs a second for `plan.seconds`; the requests under way at the
/// end have the answer time-out to finish.
pub fn open(plan: &Plan) -> Result<HttpReport, String> {
    if !(plan.rate > 0.0 && plan.rate.is_finite()) {
        return Err(format!("the rate must be above 0, not {}", plan.rate));
    }
    let runtime = load_runtime()?;
    let address: SocketAddr = ([127, 0, 0, 1], plan.port).into();
    let close = if plan.fresh {
        "Connection: close\r\n"
    } else {
        ""
    };
    let request: Arc<[u8]> = format!(
        "GET {} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\n{close}\r\n",
        plan.path, plan.port
    )
    .into_bytes()
    .into();
    let plan = plan.clone();
    runtime.block_on(async move {
        let connections = plan.connections.max(1);
        // The kept connections, opened before the run; `None` is one to open again.
        let pool: Arc<Mutex<VecDeque<Option<TcpStream>>>> = Arc::new(Mutex::new(VecDeque::new()));
        if !plan.fresh {
            // All at once, each within the time-out. A server whose listen queue is short
            // (wsgiref's holds 5) takes only some: the others are opened when first used,
            // and counted as reconnects.
            let timeout = plan.timeout;
            let opening: Vec<_> = (0..connections)
                .map(|_| {
                    tokio::spawn(async move {
                        let stream = tokio::time::timeout(timeout, TcpStream::connect(address))
                            .await
                            .ok()?
                            .ok()?;
                        let _ = stream.set_nodelay(true);
                        Some(stream)
                    })
                })
                .collect();
            let mut opened = 0;
            for task in opening {
                let stream = task.await.ok().flatten();
                opened += usize::from(stream.is_some());
                pool.lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .push_back(stream);
            }
            if opened == 0 {
                return Err(format!("cannot connect to 127.0.0.1:{}", plan.port));
            }
        }
        let (fresh, timeout) = (plan.fresh, plan.timeout);
        let run = schedule(
            plan.rate,
            plan.seconds,
            connections,
            timeout,
            |i, at, hard| {
                let (pool, request) = (pool.clone(), request.clone());
                async move {
                    let (outcome, opened) = if fresh {
                        one_fresh(address, i as usize, &request, at, hard, timeout).await
                    } else {
                        one_kept(address, &pool, &request, at, hard, timeout).await
                    };
                    (outcome, u64::from(opened))
                }
            },
        )
        .await?;
        Ok(HttpReport {
            rate: plan.rate,
            seconds: plan.seconds,
            connections,
            mode: if plan.fresh {
                "new connection"
            } else {
                "keep-alive"
            },
            scheduled: run.scheduled,
            started: run.started,
            completed: run.completed,
            achieved_per_s: run.completed as f64 / plan.seconds,
            latency_p50_ms: run.ms(0.5),
            latency_p99_ms: run.ms(0.99),
            latency_p999_ms: run.ms(0.999),
            latency_max_ms: run.latency.max() as f64 / 1000.0,
            reconnects: run.counted,
            errors: run.errors,
        })
    })
}

fn judged(answer: &Answer) -> Result<(), Errors> {
    if answer.status == 200 {
        Ok(())
    } else {
        Err(Errors::wrong_answer())
    }
}

/// One request on a new connection, `Connection: close`, read to the close.
async fn one_fresh(
    address: SocketAddr,
    index: usize,
    request: &[u8],
    scheduled: Instant,
    hard: Instant,
    timeout: Duration,
) -> Outcome {
    let exchange = async {
        let mut stream = connect_from(Some(source(index)), address).await?;
        let _ = stream.set_nodelay(true);
        stream.write_all(request).await?;
        let mut buf = Vec::with_capacity(512);
        read_answer(&mut stream, &mut buf).await
    };
    let outcome = match bounded(hard, timeout, exchange).await {
        Ok(answer) => judged(&answer).map(|()| scheduled.elapsed()),
        Err(e) => Err(e.into()),
    };
    (outcome, true)
}

/// One request on a kept connection (opened again if the server closed it).
async fn one_kept(
    address: SocketAddr,
    pool: &Mutex<VecDeque<Option<TcpStream>>>,
    request: &[u8],
    scheduled: Instant,
    hard: Instant,
    timeout: Duration,
) -> Outcome {
    // The semaphore's place guarantees a slot.
    let slot = pool
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .pop_front()
        .flatten();
    let opened = slot.is_none();
    let exchange = async {
        let mut stream = match slot {
            Some(stream) => stream,
            None => {
                let stream = TcpStream::connect(address).await?;
                let _ = stream.set_nodelay(true);
                stream
            }
        };
        stream.write_all(request).await?;
        let mut buf = Vec::with_capacity(512);
        let answer = read_answer(&mut stream, &mut buf).await?;
        Ok::<_, io::Error>((answer, stream))
    };
    let (outcome, back) = match bounded(hard, timeout, exchange).await {
        Ok((answer, stream)) => {
            let keep = answer.keep.then_some(stream);
            (judged(&answer).map(|()| scheduled.elapsed()), keep)
        }
        Err(e) => (Err(e.into()), None),
    };
    pool.lock()
        .unwrap_or_else(PoisonError::into_inner)
        .push_back(back);
    (outcome, opened)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(bytes: &[u8]) -> io::Result<Answer> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let mut reader: &[u8] = bytes;
        runtime.block_on(read_answer(&mut reader, &mut Vec::new()))
    }

    #[test]
    fn answers_are_framed_by_length_chunks_or_the_close() {
        let length = read(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello").unwrap();
        assert_eq!(
            length,
            Answer {
                status: 200,
                keep: true,
                body_len: 5
            }
        );
        let chunked = read(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n3;x=1\r\n!!!\r\n0\r\n\r\n",
        )
        .unwrap();
        assert_eq!(chunked.body_len, 8);
        assert!(chunked.keep);
        let close =
            read(b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok").unwrap();
        assert!(!close.keep);
        let old = read(b"HTTP/1.0 200 OK\r\n\r\nto the close").unwrap();
        assert_eq!((old.keep, old.body_len), (false, 12));
        let not_modified = read(b"HTTP/1.1 304 Not Modified\r\nContent-Length: 9\r\n\r\n").unwrap();
        assert_eq!(not_modified.body_len, 0);
        // Cut short, or not HTTP: errors, not answers.
        assert!(read(b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nshort").is_err());
        assert!(read(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel").is_err());
        assert!(read(b"SSH-2.0-OpenSSH\r\n\r\n").is_err());
    }

    /// A tiny HTTP server on a thread per connection: `close` answers with `Connection:
    /// close` and closes; otherwise keeps each connection; counts connections.
    fn server(close: bool) -> (u16, Arc<std::sync::atomic::AtomicUsize>) {
        use std::io::{BufRead, BufReader, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let accepted = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counted = accepted.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                counted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                std::thread::spawn(move || {
                    let mut reader = BufReader::new(stream);
                    loop {
                        let mut line = String::new();
                        // The request's head, to its empty line.
                        loop {
                            line.clear();
                            if reader.read_line(&mut line).unwrap_or(0) == 0 {
                                return;
                            }
                            if line == "\r\n" {
                                break;
                            }
                        }
                        let answer: &[u8] = if close {
                            b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok"
                        } else {
                            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n"
                        };
                        if reader.get_mut().write_all(answer).is_err() || close {
                            return;
                        }
                    }
                });
            }
        });
        (port, accepted)
    }

    fn plan(port: u16, fresh: bool) -> Plan {
        Plan {
            port,
            path: "/".into(),
            rate: 400.0,
            seconds: 0.5,
            connections: 4,
            fresh,
            timeout: Duration::from_secs(5),
        }
    }

    #[test]
    fn kept_connections_carry_every_request_and_a_closing_server_is_reconnected() {
        use std::sync::atomic::Ordering;
        let (port, accepted) = server(false);
        let report = open(&plan(port, false)).unwrap();
        assert_eq!(report.completed, report.scheduled, "{report:?}");
        assert_eq!(report.scheduled, 200);
        // Four connections, opened before the run, and no more.
        assert_eq!(accepted.load(Ordering::SeqCst), 4);
        assert_eq!(report.reconnects, 0);
        let (port, accepted) = server(true);
        let report = open(&plan(port, false)).unwrap();
        assert_eq!(report.completed, report.scheduled, "{report:?}");
        // Each answer closed its connection: every request after the first four opened one.
        assert_eq!(report.reconnects, 200 - 4);
        assert_eq!(accepted.load(Ordering::SeqCst), 200);
        let (port, accepted) = server(false);
        let report = open(&plan(port, true)).unwrap();
        assert_eq!(report.completed, 200, "{report:?}");
        assert_eq!(accepted.load(Ordering::SeqCst), 200);
    }

    #[test]
    fn a_status_other_than_200_is_a_wrong_answer() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        std::thread::spawn(move || {
            use std::io::{Read, Write};
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let mut buf = [0u8; 1024];
                let _ = stream.read(&mut buf);
                let _ = stream.write_all(
                    b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                );
            }
        });
        let mut plan = plan(port, true);
        plan.rate = 50.0;
        plan.connections = 1;
        let report = open(&plan).unwrap();
        assert_eq!(report.completed, 0);
        assert_eq!(report.errors.wrong_answer, report.scheduled, "{report:?}");
    }
}
