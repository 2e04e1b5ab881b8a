//! `eof-vs-wouldblock`: a nonblocking recv() says "would block" when nothing has arrived
//! *yet*, and returns 0 bytes only at end of file; a reset is an error once, then EOF.

use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::time::Duration;

use rustix::event::{PollFd, PollFlags, Timespec, poll};

use fopnp::Error;

use crate::steps::{STEP_LIMIT, Verdict, answer, claim, read_answer, step, tcp_pair};

/// What the demonstration observed.
#[derive(Debug)]
pub struct EofVsWouldBlock {
    /// A nonblocking recv on an idle connection.
    pub idle: Result<usize, io::ErrorKind>,
    /// Once data arrived.
    pub with_data: Result<usize, io::ErrorKind>,
    /// Two nonblocking recvs after the peer's FIN.
    pub after_fin: Vec<Result<usize, io::ErrorKind>>,
    /// A blocking recv with a read timeout on an idle connection.
    pub timed_out: Result<usize, io::ErrorKind>,
    /// Three blocking recvs after the peer's FIN.
    pub blocking_after_fin: Vec<Result<usize, io::ErrorKind>>,
    /// Two recvs after the peer closed with our data unread.
    pub after_reset: Vec<Result<usize, io::ErrorKind>>,
    pub verdict: Verdict,
}

/// Waits (in poll(), at most the step limit) until `sock` is readable.
fn wait_readable(sock: &TcpStream) -> io::Result<()> {
    let limit = Timespec {
        tv_sec: STEP_LIMIT.as_secs() as _,
        tv_nsec: 0,
    };
    let mut fds = [PollFd::new(sock, PollFlags::IN)];
    poll(&mut fds, Some(&limit))?;
    Ok(())
}

fn recv(
    out: &mut dyn Write,
    who: &str,
    call: &str,
    sock: &mut TcpStream,
) -> io::Result<Result<usize, io::ErrorKind>> {
    let mut buf = [0; 64];
    let got = sock.read(&mut buf);
    step(out, who, call, &read_answer(&got, &buf))?;
    Ok(got.map_err(|e| e.kind()))
}

pub fn run(out: &mut dyn Write) -> Result<EofVsWouldBlock, Error> {
    claim(
        out,
        "a blocking recv() returns an empty string at end of file; a nonblocking recv() raises \"would block\" when no data is there yet, so EOF must be told apart from \"nothing yet\"",
    )?;
    let (mut this, mut peer) = tcp_pair()?;
    this.set_nonblocking(true)?;
    let idle = recv(
        out,
        "this side",
        "nonblocking recv(64), nothing sent yet",
        &mut this,
    )?;
    let sent = peer.write(b"data");
    step(out, "peer", "send(b'data')", &answer(&sent))?;
    wait_readable(&this)?;
    let with_data = recv(out, "this side", "nonblocking recv(64)", &mut this)?;
    let shut = peer.shutdown(Shutdown::Write);
    step(out, "peer", "shutdown(Write)", &answer(&shut))?;
    wait_readable(&this)?;
    let mut after_fin = Vec::new();
    for _ in 0..2 {
        after_fin.push(recv(out, "this side", "nonblocking recv(64)", &mut this)?);
    }

    writeln!(out, "blocking sockets, on a new connection:")?;
    let (mut this, peer) = tcp_pair()?;
    this.set_read_timeout(Some(Duration::from_millis(100)))?;
    let timed_out = recv(
        out,
        "this side",
        "recv(64) with a 100 ms timeout, nothing sent",
        &mut this,
    )?;
    this.set_read_timeout(Some(STEP_LIMIT))?;
    let shut = peer.shutdown(Shutdown::Write);
    step(out, "peer", "shutdown(Write)", &answer(&shut))?;
    let mut blocking_after_fin = Vec::new();
    for _ in 0..3 {
        blocking_after_fin.push(recv(out, "this side", "recv(64)", &mut this)?);
    }

    writeln!(
        out,
        "a peer that closes with data unread, on a new connection:"
    )?;
    let (mut this, peer) = tcp_pair()?;
    let sent = this.write(b"never read");
    step(out, "this side", "send(b'never read')", &answer(&sent))?;
    // Make sure it has arrived in the peer's receive buffer before the peer closes.
    wait_readable(&peer)?;
    drop(peer);
    step(
        out,
        "peer",
        "close() with 10 bytes unread",
        "done (the kernel sends a reset)",
    )?;
    let mut after_reset = Vec::new();
    for _ in 0..2 {
        after_reset.push(recv(out, "this side", "recv(64)", &mut this)?);
    }

    use io::ErrorKind::{ConnectionReset, WouldBlock};
    let verdict = if idle == Err(WouldBlock)
        && with_data == Ok(4)
        && after_fin == [Ok(0), Ok(0)]
        && blocking_after_fin == [Ok(0), Ok(0), Ok(0)]
        && after_reset == [Err(ConnectionReset), Ok(0)]
    {
        Verdict::Holds(format!(
            "an idle nonblocking recv fails with WouldBlock, while after the peer's FIN it returns 0 every time; a blocking recv returns 0 at EOF on every call; a peer closing with unread data gives one ConnectionReset, then 0 (a read timeout shows as {timed_out:?}, where Python says TimeoutError)"
        ))
    } else {
        Verdict::Differs(format!(
            "idle {idle:?}, data {with_data:?}, after FIN {after_fin:?}, blocking {blocking_after_fin:?}, after reset {after_reset:?}"
        ))
    };
    writeln!(out, "{verdict}")?;
    Ok(EofVsWouldBlock {
        idle,
        with_data,
        after_fin,
        timed_out,
        blocking_after_fin,
        after_reset,
        verdict,
    })
}
