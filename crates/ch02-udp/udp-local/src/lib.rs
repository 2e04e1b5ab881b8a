//! Foundations of Python Network Programming, Third Edition
//! <https://github.com/brandon-rhodes/fopnp/blob/m/py3/chapter02/udp_local.py>
//! UDP client and server on localhost
//!
//! Listing 2-1. A datagram each way: the client sends the time, the server answers with
//! its length. The server is fixed to 127.0.0.1. Run it in two terminals, as the book
//! does:
//!
//! ```text
//! $ udp_local server
//! $ udp_local client
//! ```
//!
//! The lesson is in the client's `recvfrom()` ("Danger!"): its socket is not connected,
//! so it takes the first datagram from *anyone* as the reply, and with no server at all it
//! waits for ever, because an unconnected socket never hears the ICMP refusal. The port
//! keeps both; its tests end the wait.
//!
//! Departure: a datagram that is not ASCII, which kills the book's server and client
//! (`UnicodeDecodeError`), is printed as a Python bytes repr (`b'H\xc3\xa9'`) where the
//! book prints the text, and the server goes on serving.
//!
//! # The recorded session
//!
//! `output.txt`, as `cargo xtask run` shows it, kept true by `cargo xtask transcripts --check`:
#![doc = concat!("```text\n", include_str!("../output.txt"), "```")]

use std::io::Write;

use fopnp::{Context, Error, PyAddr, PyText};

/// `MAX_BYTES`: the most a datagram can carry, so `recvfrom()` never truncates.
pub const MAX_BYTES: usize = 65535;

/// Python's `str(datetime.now())`: local time, naive, and no `.ffffff` when the
/// microsecond is zero.
pub fn python_now() -> String {
    let now = chrono::Local::now().naive_local();
    if now.and_utc().timestamp_subsec_micros() == 0 {
        now.format("%Y-%m-%d %H:%M:%S").to_string()
    } else {
        now.format("%Y-%m-%d %H:%M:%S%.6f").to_string()
    }
}

/// The listing's `server(port)`: answers every datagram with its length, for ever.
pub fn server(port: u16, out: &mut impl Write) -> Result<(), Error> {
    let sock = fopnp::net::udp_bind("127.0.0.1", port)?;
    let local = sock
        .local_addr()
        .context(|| "cannot read the socket's name")?;
    writeln!(out, "Listening at {}", PyAddr(local))?;
    let mut data = vec![0; MAX_BYTES];
    loop {
        let (n, address) = sock
            .recv_from(&mut data)
            .context(|| "cannot receive a datagram")?;
        writeln!(
            out,
            "The client at {} says {}",
            PyAddr(address),
            PyText(&data[..n])
        )?;
        let text = format!("Your data was {n} bytes long");
        // A client that has gone is no reason to stop serving the others.
        if let Err(error) = sock.send_to(text.as_bytes(), address) {
            writeln!(out, "Cannot answer {}: {error}", PyAddr(address))?;
        }
    }
}

/// The listing's `client(port)`: sends the time, and takes the first datagram that comes
/// back, from whoever sent it.
pub fn client(port: u16, out: &mut impl Write) -> Result<(), Error> {
    let (sock, server) = fopnp::net::udp_client("127.0.0.1", port)?;
    let text = format!("The time is {}", python_now());
    sock.send_to(text.as_bytes(), server)
        .context(|| format!("cannot send to 127.0.0.1 port {port}"))?;
    let local = sock
        .local_addr()
        .context(|| "cannot read the socket's name")?;
    writeln!(out, "The OS assigned me the address {}", PyAddr(local))?;
    out.flush()?;
    let mut data = vec![0; MAX_BYTES];
    // Danger! See Chapter 2: not connected, this takes a datagram from anyone.
    let (n, address) = sock
        .recv_from(&mut data)
        .context(|| "cannot receive a datagram")?;
    writeln!(
        out,
        "The server {} replied {}",
        PyAddr(address),
        PyText(&data[..n])
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_time_is_pythons_str_of_a_naive_datetime() {
        let now = python_now();
        // 2026-11-29 07:24:48.124265, or 2026-11-29 07:24:48 at a whole second.
        assert!(now.len() == 26 || now.len() == 19, "{now}");
        let bytes = now.as_bytes();
        for (at, sep) in [(4, b'-'), (7, b'-'), (10, b' '), (13, b':'), (16, b':')] {
            assert_eq!(bytes[at], sep, "{now}");
        }
        assert_eq!(format!("The time is {now}").len() == 38, now.len() == 26);
    }
}
