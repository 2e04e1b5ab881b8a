//! The `blocks` binary as a reader runs it (the checks every Chapter 5 binary passes),
//! and the short `send()` that the port's `put_block` survives.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::Duration;

use testkit::STEP;

conformance::framing_binary_tests!("blocks", blocks);

/// The book's `put_block` calls `send()` and ignores what it returns. A blocking `send()`
/// that a signal interrupts returns the bytes sent so far; this test makes that happen
/// (a SIGALRM handler without SA_RESTART, as Python installs its handlers, delivered to
/// the sending thread while it is blocked in `sendto()`), then shows the port's
/// `put_block` sending the whole block through the same interruption.
#[cfg(target_os = "linux")]
#[test]
fn a_signal_cuts_a_blocking_send_short_and_put_block_sends_the_rest() {
    use std::os::unix::thread::JoinHandleExt;

    extern "C" fn nothing(_: libc::c_int) {}
    // SAFETY: installs a handler that does nothing, for a signal nothing else in this test
    // binary uses; the struct is zeroed (an empty mask) before its fields are set.
    unsafe {
        let mut action: libc::sigaction = std::mem::zeroed();
        action.sa_sigaction = nothing as *const () as usize;
        action.sa_flags = 0; // no SA_RESTART
        assert_eq!(
            libc::sigaction(libc::SIGALRM, &action, std::ptr::null_mut()),
            0
        );
    }
    const BLOCK: usize = 64 << 20;
    // Runs `send` on a thread against a peer that does not read yet, interrupts it once
    // it is blocked in the kernel, then lets the peer read everything.
    let interrupted = |send: fn(TcpStream) -> std::io::Result<usize>| -> (usize, usize) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let sock = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (mut peer, _) = listener.accept().unwrap();
        let (tid_tx, tid_rx) = std::sync::mpsc::channel();
        let sender = std::thread::spawn(move || {
            // SAFETY: gettid has no preconditions.
            tid_tx.send(unsafe { libc::gettid() }).unwrap();
            send(sock).unwrap()
        });
        let tid = tid_rx.recv().unwrap();
        // The kernel says when the thread is asleep in sendto(): its first syscall field.
        let in_sendto = || {
            std::fs::read_to_string(format!("/proc/self/task/{tid}/syscall"))
                .ok()
                .and_then(|s| s.split_whitespace().next()?.parse::<i64>().ok())
                == Some(libc::SYS_sendto)
        };
        assert!(
            testkit::wait_until(STEP, in_sendto),
            "the sender never blocked in sendto()"
        );
        // SAFETY: the thread is alive (it is blocked in sendto) and joined below.
        assert_eq!(
            unsafe { libc::pthread_kill(sender.as_pthread_t(), libc::SIGALRM) },
            0
        );
        let mut received = 0;
        let mut buf = vec![0; 1 << 20];
        peer.set_read_timeout(Some(STEP)).unwrap();
        let sent = loop {
            if sender.is_finished() {
                let sent = sender.join().unwrap();
                // Drain what is still queued.
                peer.set_read_timeout(Some(Duration::from_millis(200)))
                    .unwrap();
                while let Ok(n) = peer.read(&mut buf) {
                    if n == 0 {
                        break;
                    }
                    received += n;
                }
                break sent;
            }
            received += peer.read(&mut buf).unwrap();
        };
        (sent, received)
    };
    // One send() of a 64 MiB block, as the book's put_block makes: it comes back short.
    let (sent, received) = interrupted(|mut sock| sock.write(&vec![b'#'; BLOCK]));
    assert!(sent < BLOCK, "send() returned {sent}: not interrupted");
    assert_eq!(received, sent);
    eprintln!("a blocking send() of {BLOCK} bytes returned {sent} when a signal came");
    // The port's put_block: the whole block, header included.
    let (_, received) = interrupted(|mut sock| {
        blocks::put_block(&mut sock, &vec![b'#'; BLOCK]).map(|()| BLOCK + 4)
    });
    assert_eq!(received, BLOCK + 4);
}
