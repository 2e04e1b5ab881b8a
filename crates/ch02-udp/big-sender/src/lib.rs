//! Foundations of Python Network Programming, Third Edition
//! <https://github.com/brandon-rhodes/fopnp/blob/m/py3/chapter02/big_sender.py>
//! Send a big UDP datagram to learn the MTU of the network path.
//!
//! Listing 2-3. With `IP_MTU_DISCOVER` set to `IP_PMTUDISC_DO`, Linux sets the
//! don't-fragment bit and refuses (`EMSGSIZE`) a datagram larger than the path's MTU,
//! which `IP_MTU` then reports. Neither option is in std or socket2; `rustix` has both.
//!
//! ```text
//! $ big_sender localhost
//! Alas, the datagram did not make it
//! Actual MTU: 65535
//! ```
//!
//! On loopback the MTU is 65536 and `IP_MTU` says 65535; the book's 1500 is an Ethernet
//! path (the tests make one: a network namespace whose loopback has MTU 1500).
//!
//! The book's 999,999 bytes can never be sent, whatever the MTU: no IPv4 datagram carries
//! more than 65,507. Not in the book: `--size BYTES` sends another size, so that the
//! "sent" branch can run too.
//!
//! Linux only, as the book's is: elsewhere it says so and exits 1.
//!
//! # The recorded session
//!
//! `output.txt`, as `cargo xtask run` shows it, kept true by `cargo xtask transcripts --check`:
#![doc = concat!("```text\n", include_str!("../output.txt"), "```")]

use std::io::Write;

use fopnp::{Context, Error};

/// The book's datagram: 999,999 `#`.
pub const BOOK_SIZE: usize = 999_999;

/// The listing's `send_big_datagram(host, port)`, with the size as a parameter.
#[cfg(target_os = "linux")]
pub fn send_big_datagram(
    host: &str,
    port: u16,
    size: usize,
    out: &mut impl Write,
) -> Result<(), Error> {
    use rustix::net::sockopt::{Ipv4PathMtuDiscovery, ip_mtu, set_ip_mtu_discover};

    let (sock, addr) = fopnp::net::udp_client(host, port)?;
    set_ip_mtu_discover(&sock, Ipv4PathMtuDiscovery::DO)
        .context(|| "cannot set IP_MTU_DISCOVER")?;
    sock.connect(addr)
        .context(|| format!("cannot connect to {host} port {port}"))?;
    match sock.send(&vec![b'#'; size]) {
        Err(_) => {
            writeln!(out, "Alas, the datagram did not make it")?;
            let max_mtu = ip_mtu(&sock).context(|| "cannot read IP_MTU")?;
            writeln!(out, "Actual MTU: {max_mtu}")?;
        }
        Ok(_) => writeln!(out, "The big datagram was sent!")?,
    }
    Ok(())
}

/// Elsewhere: the book's `Unsupported` line.
#[cfg(not(target_os = "linux"))]
pub fn send_big_datagram(_: &str, _: u16, _: usize, _: &mut impl Write) -> Result<(), Error> {
    Err(Error::msg(
        "Unsupported: Can only perform MTU discovery on Linux",
    ))
}
