//! The loop waits in epoll, as asyncio's does on Linux, and in `poll()` with the hidden
//! `--poller poll`: seen in the kernel's list of the server's descriptors, where an epoll
//! instance is `anon_inode:[eventpoll]`.

#![cfg(target_os = "linux")]

const BIN: &str = env!("CARGO_BIN_EXE_srv_asyncio1");

/// Whether the running server holds an epoll instance.
fn holds_epoll(pid: u32) -> bool {
    std::fs::read_dir(format!("/proc/{pid}/fd"))
        .unwrap()
        .filter_map(|e| std::fs::read_link(e.ok()?.path()).ok())
        .any(|target| target.to_string_lossy() == "anon_inode:[eventpoll]")
}

#[test]
fn the_loop_waits_in_epoll_and_in_poll_when_asked() {
    for (args, epoll) in [(&[][..], true), (&["--poller", "poll"][..], false)] {
        let (server, port) = conformance::zen_binaries::server(BIN, args);
        // A conversation first: the loop has waited with a client in it.
        let (question, answer) = conformance::zen::APHORISMS[0];
        let mut sock = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
        sock.set_read_timeout(Some(testkit::STEP)).unwrap();
        std::io::Write::write_all(&mut sock, question).unwrap();
        let mut got = vec![0; answer.len()];
        std::io::Read::read_exact(&mut sock, &mut got).unwrap();
        assert_eq!(got, answer);
        assert_eq!(holds_epoll(server.id()), epoll, "{args:?}");
    }
    let (code, _, stderr) = conformance::binaries::run(BIN, &["localhost", "--poller", "select"]);
    assert_eq!(code, Some(2), "{stderr}");
}
