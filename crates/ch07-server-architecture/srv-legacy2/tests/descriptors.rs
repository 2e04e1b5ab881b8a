//! The book's asyncore loop calls `select()`, which cannot watch a descriptor numbered
//! 1024 or more: with 1,100 clients connected at once it dies (`ValueError: filedescriptor
//! out of range in select()`). This port's loop calls `poll()`: every client is served.

use std::io::{Read, Write};
use std::net::TcpStream;

use testkit::STEP;

const BIN: &str = env!("CARGO_BIN_EXE_srv_legacy2");
const CLIENTS: usize = 1100;

/// Raises this process's soft limit on open files (its children inherit it); whether it
/// is now high enough for both ends of every connection.
fn enough_descriptors() -> bool {
    let _ = testkit::process::set_descriptor_limit(None, None);
    testkit::process::descriptor_limit().is_none_or(|n| n as usize > 2 * CLIENTS + 64)
}

#[test]
fn serves_clients_on_descriptors_past_1023() {
    if !enough_descriptors() {
        eprintln!(
            "skipped: this process may not open {} files",
            2 * CLIENTS + 64
        );
        return;
    }
    let (server, port) = conformance::zen_binaries::server(BIN, &[]);
    let ask = |sock: &mut TcpStream| {
        sock.write_all(b"Simple is better than?").unwrap();
        let mut answer = [0; 8];
        sock.read_exact(&mut answer).unwrap();
        assert_eq!(&answer, b"Complex.");
    };
    let mut clients = Vec::with_capacity(CLIENTS);
    for i in 0..CLIENTS {
        let mut sock = TcpStream::connect(("127.0.0.1", port)).unwrap();
        sock.set_read_timeout(Some(STEP)).unwrap();
        // Every 32 connections, one answer: the server has then accepted all so far, so
        // its listen queue (64) never overflows, and no client waits a second for its SYN
        // to be sent again.
        if i % 32 == 31 {
            ask(&mut sock);
        }
        clients.push(sock);
    }
    for sock in &mut clients {
        ask(sock);
    }
    // All of them at once, on the server's descriptors 1024 and up too.
    let open = testkit::kernel::open_descriptors(server.id());
    assert!(open.is_none_or(|n| n > CLIENTS), "{open:?}");
}
