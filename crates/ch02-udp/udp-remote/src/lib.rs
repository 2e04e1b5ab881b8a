//! Foundations of Python Network Programming, Third Edition
//! <https://github.com/brandon-rhodes/fopnp/blob/m/py3/chapter02/udp_remote.py>
//! UDP client and server for talking over the network
//!
//! Listing 2-2. UDP does not promise delivery, so the application must notice what went
//! missing. The server pretends to drop half the datagrams; the client waits 0.1 s for a
//! reply, sends again and doubles the wait (0.2, 0.4, 0.8, 1.6 s), and gives up once the
//! wait would pass 2 s, 3.1 s after its first send.
//!
//! ```text
//! $ udp_remote server ""
//! $ udp_remote client localhost
//! ```
//!
//! The client's socket is connected, which changes two things: the kernel drops
//! datagrams from any other address, and an ICMP "port unreachable" comes back as an
//! error, so with no server the client is refused at once instead of backing off.
//!
//! Not in the book: `--drop-rate P` and `--seed N` make a run repeatable; without them the
//! server drops half, at random, as the book's does. Departure: a datagram that is not
//! ASCII, which kills the book's server half the time (the drop is decided first), is
//! printed as a Python bytes repr, and the server goes on serving.
//!
//! # The recorded session
//!
//! `output.txt`, as `cargo xtask run` shows it, kept true by `cargo xtask transcripts --check`:
#![doc = concat!("```text\n", include_str!("../output.txt"), "```")]

use std::io::{self, Write};
use std::time::Duration;

use fopnp::{Context, Error, PyAddr, PyText};

/// `MAX_BYTES`: the most a datagram can carry.
pub const MAX_BYTES: usize = 65535;

/// What the client sends, 23 bytes.
pub const MESSAGE: &[u8] = b"This is another message";

/// The client's first wait, and the wait past which it gives up.
pub const FIRST_DELAY: f64 = 0.1;
pub const GIVE_UP_AFTER: f64 = 2.0;

/// The server's pretence: `random.random() < 0.5`, with the share and the seed
/// adjustable.
pub struct Dropping {
    rate: f64,
    rng: fastrand::Rng,
}

impl Dropping {
    pub fn new(rate: f64, seed: Option<u64>) -> Self {
        let rng = seed.map_or_else(fastrand::Rng::new, fastrand::Rng::with_seed);
        Self { rate, rng }
    }

    /// Whether to pretend this datagram was dropped.
    pub fn drop_this(&mut self) -> bool {
        self.rng.f64() < self.rate
    }
}

/// The listing's `server(interface, port)`: for ever, pretends to drop some datagrams and
/// answers the others with their length.
pub fn server(
    interface: &str,
    port: u16,
    mut dropping: Dropping,
    out: &mut impl Write,
) -> Result<(), Error> {
    let sock = fopnp::net::udp_bind(interface, port)?;
    let local = sock
        .local_addr()
        .context(|| "cannot read the socket's name")?;
    writeln!(out, "Listening at {}", PyAddr(local))?;
    let mut data = vec![0; MAX_BYTES];
    loop {
        let (n, address) = sock
            .recv_from(&mut data)
            .context(|| "cannot receive a datagram")?;
        if dropping.drop_this() {
            writeln!(out, "Pretending to drop packet from {}", PyAddr(address))?;
            continue;
        }
        writeln!(
            out,
            "The client at {} says {}",
            PyAddr(address),
            PyText(&data[..n])
        )?;
        let message = format!("Your data was {n} bytes long");
        if let Err(error) = sock.send_to(message.as_bytes(), address) {
            writeln!(out, "Cannot answer {}: {error}", PyAddr(address))?;
        }
    }
}

/// The listing's `client(hostname, port)`: sends, waits, and sends again with twice the
/// wait, until a reply comes or the wait would pass two seconds.
pub fn client(hostname: &str, port: u16, out: &mut impl Write) -> Result<(), Error> {
    let (sock, addr) = fopnp::net::udp_client(hostname, port)?;
    sock.connect(addr)
        .context(|| format!("cannot connect to {hostname} port {port}"))?;
    let local = sock
        .local_addr()
        .context(|| "cannot read the socket's name")?;
    writeln!(out, "Client socket name is {}", PyAddr(local))?;
    let mut delay = FIRST_DELAY;
    let mut data = vec![0; MAX_BYTES];
    let n = loop {
        sock.send(MESSAGE)
            .context(|| format!("cannot send to {hostname} port {port}"))?;
        writeln!(out, "Waiting up to {delay} seconds for a reply")?;
        out.flush()?;
        sock.set_read_timeout(Some(Duration::from_secs_f64(delay)))
            .context(|| "cannot set the time-out")?;
        match sock.recv(&mut data) {
            Ok(n) => break n,
            // Rust reports a read time-out as "would block" (EAGAIN), or as "timed out".
            Err(error)
                if matches!(
                    error.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                delay *= 2.0; // wait even longer for the next request
                if delay > GIVE_UP_AFTER {
                    return Err(Error::msg("I think the server is down"));
                }
            }
            Err(error) => {
                return Err(error)
                    .context(|| format!("cannot receive from {hostname} port {port}"));
            }
        }
    };
    writeln!(out, "The server says {}", PyText(&data[..n]))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_seed_repeats_the_drops_and_the_rate_is_kept() {
        let drops = |seed| {
            let mut d = Dropping::new(0.5, Some(seed));
            (0..1000).map(|_| d.drop_this()).collect::<Vec<_>>()
        };
        assert_eq!(drops(7), drops(7));
        assert_ne!(drops(7), drops(8));
        let dropped = drops(7).iter().filter(|&&d| d).count();
        assert!((400..600).contains(&dropped), "{dropped}");
        let mut never = Dropping::new(0.0, None);
        let mut always = Dropping::new(1.0, None);
        assert!((0..100).all(|_| !never.drop_this() && always.drop_this()));
    }
}
