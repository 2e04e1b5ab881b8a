//! `shut-rd`: what shutdown(Read) really does on this system, and what shutdown(Both)
//! does to data that arrives afterwards.

use std::io::{self, Read, Write};
use std::net::Shutdown;
use std::thread;
use std::time::Duration;

use fopnp::Error;

use crate::steps::{Verdict, answer, claim, read_answer, step, tcp_pair};

/// What the demonstration observed.
#[derive(Debug)]
pub struct ShutRd {
    /// A local read at once after shutdown(Read).
    pub read_after_shutdown: Result<usize, io::ErrorKind>,
    /// The peer's sends afterwards: `Ok(bytes)` or the error it saw.
    pub peer_sends: Vec<Result<usize, io::ErrorKind>>,
    /// What local reads delivered of the peer's later data.
    pub delivered_later: Vec<u8>,
    /// After shutdown(Both) instead: whether the peer read EOF at once...
    pub both_peer_eof: bool,
    /// ...and the first error its sends met (after how many succeeded).
    pub both_peer_send_error: Option<(usize, io::ErrorKind)>,
    pub verdict: Verdict,
}

fn kind<T>(result: &io::Result<T>) -> Result<(), io::ErrorKind> {
    result.as_ref().map(drop).map_err(io::Error::kind)
}

pub fn run(out: &mut dyn Write) -> Result<ShutRd, Error> {
    claim(
        out,
        "SHUT_RD turns off the incoming side: the peer would meet an end-of-file error if it sent more",
    )?;
    let (mut this, mut peer) = tcp_pair()?;
    let mut buf = [0; 64];

    let shut = this.shutdown(Shutdown::Read);
    step(out, "this side", "shutdown(Read)", &answer(&shut))?;
    let read = this.read(&mut buf);
    step(out, "this side", "recv(64)", &read_answer(&read, &buf))?;
    let read_after_shutdown = read.map_err(|e| e.kind());

    let mut peer_sends = Vec::new();
    let mut delivered_later = Vec::new();
    for data in [&b"late data"[..], b"more"] {
        let sent = peer.write(data);
        step(
            out,
            "peer",
            &format!("send({})", fopnp::PyBytes(data)),
            &answer(&sent),
        )?;
        peer_sends.push(sent.map_err(|e| e.kind()));
        // The data crosses loopback within the send; allow a moment before calling it lost.
        for _ in 0..20 {
            let read = this.read(&mut buf);
            if let Ok(n @ 1..) = read {
                step(out, "this side", "recv(64)", &read_answer(&read, &buf))?;
                delivered_later.extend_from_slice(&buf[..n]);
                break;
            }
            thread::sleep(Duration::from_millis(10));
        }
    }
    if delivered_later.is_empty() {
        step(
            out,
            "this side",
            "recv(64), 20 times over 200 ms",
            "never any data",
        )?;
    }

    writeln!(out, "and with shutdown(Both) instead, on a new connection:")?;
    let (both, mut peer) = tcp_pair()?;
    let shut = both.shutdown(Shutdown::Both);
    step(out, "this side", "shutdown(Both)", &answer(&shut))?;
    let read = peer.read(&mut buf);
    step(out, "peer", "recv(64)", &read_answer(&read, &buf))?;
    let both_peer_eof = matches!(read, Ok(0));
    let mut both_peer_send_error = None;
    for attempt in 0..10 {
        let sent = peer.write(b"x");
        step(out, "peer", "send(b'x')", &answer(&sent))?;
        if let Err(kind) = kind(&sent) {
            both_peer_send_error = Some((attempt, kind));
            break;
        }
        thread::sleep(Duration::from_millis(10));
    }

    let peer_saw_no_error = peer_sends.iter().all(Result::is_ok);
    let verdict = if read_after_shutdown == Ok(0)
        && !delivered_later.is_empty()
        && peer_saw_no_error
    {
        Verdict::Differs(format!(
            "after shutdown(Read) local reads return 0 at once, yet the peer's later data ({} bytes) was still accepted and readable, and the peer saw no error; it is shutdown(Both) that answers incoming data with a reset (the peer's send {}){}",
            delivered_later.len(),
            match both_peer_send_error {
                Some((n, kind)) => format!("failed with {kind:?} after {n} that succeeded"),
                None => "never failed".into(),
            },
            if both_peer_eof {
                ", after the peer read EOF"
            } else {
                ""
            },
        ))
    } else if !peer_saw_no_error {
        Verdict::Holds("the peer's send failed after this side's shutdown(Read)".into())
    } else {
        Verdict::Holds(format!(
            "after shutdown(Read) no later data was delivered (local read {read_after_shutdown:?})"
        ))
    };
    writeln!(out, "{verdict}")?;
    Ok(ShutRd {
        read_after_shutdown,
        peer_sends,
        delivered_later,
        both_peer_eof,
        both_peer_send_error,
        verdict,
    })
}
