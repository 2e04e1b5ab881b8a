//! `close-vs-shutdown`: one connection held by two handles. Dropping (closing) one ends
//! only that handle; shutdown() ends the connection for every holder.

use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::thread;
use std::time::{Duration, Instant};

use fopnp::{Context, Error};

use crate::steps::{STEP_LIMIT, Verdict, answer, claim, read_answer, step, tcp_pair};

/// What the demonstration observed.
#[derive(Debug)]
pub struct CloseVsShutdown {
    /// After dropping one handle: the peer's nonblocking read (WouldBlock: no EOF)...
    pub peer_read_after_drop: Result<usize, io::ErrorKind>,
    /// ...and whether the other handle still talked both ways.
    pub other_handle_works: bool,
    /// After shutdown(Both) on one handle: what a thread blocked reading on another
    /// handle got, and how long after the shutdown it woke.
    pub blocked_reader: Option<(Result<usize, io::ErrorKind>, Duration)>,
    /// The peer's read (0: EOF).
    pub peer_read_after_shutdown: Result<usize, io::ErrorKind>,
    /// The other handle's send and recv.
    pub other_send: Result<usize, io::ErrorKind>,
    pub other_recv: Result<usize, io::ErrorKind>,
    pub verdict: Verdict,
}

/// This thread's ID, to ask the kernel about it from another thread (Linux only).
fn thread_id() -> Option<i32> {
    #[cfg(target_os = "linux")]
    return Some(rustix::thread::gettid().as_raw_nonzero().get());
    #[cfg(not(target_os = "linux"))]
    None
}

/// Whether the thread `tid` of this process is asleep (blocked), per
/// `/proc/self/task/TID/stat`. Where that cannot be read, the caller waits a moment.
fn asleep(tid: i32) -> bool {
    #[cfg(target_os = "linux")]
    return procfs::process::Process::myself()
        .and_then(|me| me.task_from_tid(tid))
        .and_then(|task| task.stat())
        .is_ok_and(|stat| stat.state == 'S');
    #[cfg(not(target_os = "linux"))]
    {
        let _ = tid;
        std::thread::sleep(Duration::from_millis(50));
        true
    }
}

/// A round trip through `handle`: it sends, the peer reads and answers, it reads.
fn round_trip(
    out: &mut dyn Write,
    handle: &mut TcpStream,
    peer: &mut TcpStream,
) -> io::Result<bool> {
    let mut buf = [0; 64];
    let sent = handle.write(b"still here");
    step(out, "second handle", "send(b'still here')", &answer(&sent))?;
    let got = peer.read(&mut buf);
    step(out, "peer", "recv(64)", &read_answer(&got, &buf))?;
    let there = matches!(got, Ok(n) if &buf[..n] == b"still here");
    let back = peer.write(b"hello back");
    step(out, "peer", "send(b'hello back')", &answer(&back))?;
    let got = handle.read(&mut buf);
    step(out, "second handle", "recv(64)", &read_answer(&got, &buf))?;
    Ok(there && matches!(got, Ok(n) if &buf[..n] == b"hello back"))
}

pub fn run(out: &mut dyn Write) -> Result<CloseVsShutdown, Error> {
    claim(
        out,
        "close() only ends this handle's relationship with the socket, so the connection stays open while another handle holds it; shutdown() disables the socket for every holder at once",
    )?;
    let (first, mut peer) = tcp_pair()?;
    let mut buf = [0; 64];
    let mut second = first.try_clone().context(|| "try_clone failed")?;
    step(
        out,
        "first handle",
        "try_clone()",
        "Ok (a second handle, the same socket)",
    )?;

    drop(first);
    step(out, "first handle", "drop (close its descriptor)", "done")?;
    peer.set_nonblocking(true)?;
    let read = peer.read(&mut buf);
    step(
        out,
        "peer",
        "nonblocking recv(64)",
        &read_answer(&read, &buf),
    )?;
    let peer_read_after_drop = read.map_err(|e| e.kind());
    peer.set_nonblocking(false)?;
    let other_handle_works = round_trip(out, &mut second, &mut peer)?;

    // A thread blocks reading on a third handle; once it is asleep, shut the socket down
    // through the second handle.
    let mut third = second.try_clone().context(|| "try_clone failed")?;
    let (tell, told) = std::sync::mpsc::channel();
    let reader = thread::spawn(move || {
        let _ = tell.send(thread_id());
        let mut buf = [0; 64];
        let got = third.read(&mut buf);
        (got.map_err(|e| e.kind()), Instant::now(), third)
    });
    let tid = told.recv_timeout(STEP_LIMIT).ok().flatten();
    let started = Instant::now();
    while let Some(tid) = tid {
        if asleep(tid) || started.elapsed() > STEP_LIMIT {
            break;
        }
        thread::sleep(Duration::from_millis(1));
    }
    step(
        out,
        "reader thread",
        "recv(64) on a third handle",
        "blocked (asleep)",
    )?;

    let shut = second.shutdown(Shutdown::Both);
    let shut_at = Instant::now();
    step(out, "second handle", "shutdown(Both)", &answer(&shut))?;
    let (woke, third) = match reader.join() {
        Ok((got, at, third)) => (Some((got, at.duration_since(shut_at))), Some(third)),
        Err(_) => (None, None),
    };
    if let Some((got, after)) = &woke {
        let shown = match got {
            Ok(0) => "0 bytes (EOF)".to_string(),
            other => format!("{other:?}"),
        };
        step(
            out,
            "reader thread",
            "woke",
            &format!(
                "{shown}, {:.1} ms after the shutdown",
                after.as_secs_f64() * 1000.0
            ),
        )?;
    }
    let read = peer.read(&mut buf);
    step(out, "peer", "recv(64)", &read_answer(&read, &buf))?;
    let peer_read_after_shutdown = read.map_err(|e| e.kind());

    let mut third = third.ok_or_else(|| Error::msg("the reader thread panicked"))?;
    let sent = third.write(b"x");
    step(out, "third handle", "send(b'x')", &answer(&sent))?;
    let other_send = sent.map_err(|e| e.kind());
    let got = third.read(&mut buf);
    step(out, "third handle", "recv(64)", &read_answer(&got, &buf))?;
    let other_recv = got.map_err(|e| e.kind());

    let woke_with_eof = matches!(&woke, Some((Ok(0), after)) if *after < STEP_LIMIT);
    let verdict = if peer_read_after_drop == Err(io::ErrorKind::WouldBlock)
        && other_handle_works
        && peer_read_after_shutdown == Ok(0)
        && other_send.is_err()
        && other_recv == Ok(0)
        && woke_with_eof
    {
        Verdict::Holds(format!(
            "dropping one handle left the peer connected and the other handle working both ways; shutdown(Both) on one gave the peer EOF at once, made another handle's send fail ({:?}) and its recv return 0, and woke the thread blocked reading",
            other_send.err().unwrap_or(io::ErrorKind::Other)
        ))
    } else {
        Verdict::Differs(format!(
            "after drop: peer read {peer_read_after_drop:?}, other handle works {other_handle_works}; after shutdown: peer read {peer_read_after_shutdown:?}, send {other_send:?}, recv {other_recv:?}, blocked reader {woke:?}"
        ))
    };
    writeln!(out, "{verdict}")?;
    Ok(CloseVsShutdown {
        peer_read_after_drop,
        other_handle_works,
        blocked_reader: woke,
        peer_read_after_shutdown,
        other_send,
        other_recv,
        verdict,
    })
}
