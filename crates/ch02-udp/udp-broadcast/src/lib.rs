//! Foundations of Python Network Programming, Third Edition
//! <https://github.com/brandon-rhodes/fopnp/blob/m/py3/chapter02/udp_broadcast.py>
//! UDP client and server for broadcast messages on a local LAN
//!
//! Listing 2-4. The client turns on `SO_BROADCAST`, without which the kernel refuses a
//! datagram to a broadcast address (`Permission denied`), and sends one datagram; every
//! server bound to the broadcast address, or to every interface (`""`), hears it.
//!
//! ```text
//! $ udp_broadcast server ""
//! $ udp_broadcast client 192.168.1.255
//! ```
//!
//! `"<broadcast>"`, as in Python, means 255.255.255.255. On one machine's loopback the
//! broadcast address is 127.255.255.255, and a server must be bound to it (or to `""`) to
//! hear it: one bound to 127.0.0.1 hears only unicast. The tests also broadcast between
//! two network namespaces joined by a veth pair, where that is permitted.
//!
//! Departure: a datagram that is not ASCII, which kills the book's server, is printed as
//! a Python bytes repr, and the server goes on.
//!
//! # The recorded session
//!
//! `output.txt`, as `cargo xtask run` shows it, kept true by `cargo xtask transcripts --check`:
#![doc = concat!("```text\n", include_str!("../output.txt"), "```")]

use std::io::Write;

use fopnp::{Context, Error, PyAddr, PyText};

/// `BUFSIZE`: the most a datagram can carry.
pub const BUFSIZE: usize = 65535;

/// What the client sends, 19 bytes.
pub const TEXT: &[u8] = b"Broadcast datagram!";

/// The listing's `server(interface, port)`: prints every datagram, for ever, and never
/// replies.
pub fn server(interface: &str, port: u16, out: &mut impl Write) -> Result<(), Error> {
    let sock = fopnp::net::udp_bind(interface, port)?;
    let local = sock
        .local_addr()
        .context(|| "cannot read the socket's name")?;
    writeln!(out, "Listening for datagrams at {}", PyAddr(local))?;
    let mut data = vec![0; BUFSIZE];
    loop {
        let (n, address) = sock
            .recv_from(&mut data)
            .context(|| "cannot receive a datagram")?;
        writeln!(
            out,
            "The client at {} says: {}",
            PyAddr(address),
            PyText(&data[..n])
        )?;
    }
}

/// The listing's `client(network, port)`: one datagram to the network, with
/// `SO_BROADCAST` on.
pub fn client(network: &str, port: u16) -> Result<(), Error> {
    let (sock, addr) = fopnp::net::udp_client(network, port)?;
    sock.set_broadcast(true)
        .context(|| "cannot set SO_BROADCAST")?;
    sock.send_to(TEXT, addr).context(|| {
        format!(
            "cannot send to {} port {port}",
            fopnp::net::interface(network)
        )
    })?;
    Ok(())
}
