//! The `blocks_async` binary as a reader runs it (the checks every Chapter 5 binary
//! passes, the hostile lengths included), and the two implementations of Listing 5-2
//! talking to each other in all four pairings.

use std::net::TcpListener;

use fopnp::Error;

conformance::framing_binary_tests!("blocks_async", blocks);

/// A server's lines for one client, the client given the server's port.
fn session(
    server: fn(TcpListener, &mut Vec<u8>) -> Result<(), Error>,
    client: fn(u16) -> Result<(), Error>,
) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let served = std::thread::spawn(move || {
        let mut out = Vec::new();
        server(listener, &mut out).map(|()| out)
    });
    client(port).unwrap();
    let out = testkit::within(testkit::STEP, move || served.join().unwrap()).unwrap();
    String::from_utf8(out).unwrap()
}

#[test]
fn both_implementations_interoperate_in_all_four_pairings() {
    let sync_server: fn(TcpListener, &mut Vec<u8>) -> Result<(), Error> =
        |listener, out| blocks::serve(listener, blocks::MAX_BLOCK, out);
    let async_server: fn(TcpListener, &mut Vec<u8>) -> Result<(), Error> = |listener, out| {
        blocks_async::block_on(async move {
            listener.set_nonblocking(true)?;
            let listener = tokio::net::TcpListener::from_std(listener)?;
            blocks_async::serve(listener, blocks::MAX_BLOCK, out).await
        })
    };
    let sync_client: fn(u16) -> Result<(), Error> = |port| blocks::client(("127.0.0.1", port));
    let async_client: fn(u16) -> Result<(), Error> =
        |port| blocks_async::block_on(blocks_async::client(("127.0.0.1", port)));
    let expected: Vec<String> = blocks::BLOCKS[..3]
        .iter()
        .map(|b| format!("Block says: {}", fopnp::PyBytes(b)))
        .collect();
    for (name, server, client) in [
        ("blocks → blocks", sync_server, sync_client),
        ("blocks_async → blocks", sync_server, async_client),
        ("blocks → blocks_async", async_server, sync_client),
        ("blocks_async → blocks_async", async_server, async_client),
    ] {
        let out = session(server, client);
        let lines: Vec<&str> = out.lines().skip(3).collect();
        assert_eq!(lines, expected, "{name}: {out}");
    }
}
