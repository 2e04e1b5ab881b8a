//! Foundations of Python Network Programming, Third Edition
//! <https://github.com/brandon-rhodes/fopnp/blob/m/py3/chapter07/client.py>
//! Simple Zen-of-Python client that asks three questions then disconnects.
//!
//! The binary is `zen_client` (a bare `client` would clash with other programs on a
//! PATH). Run a server in one terminal and the client in another:
//!
//! ```text
//! $ srv_single localhost
//! $ zen_client localhost
//! $ zen_client localhost -e
//! ```
//!
//! # The recorded session
//!
//! `output.txt`, as `cargo xtask run` shows it, kept true by `cargo xtask transcripts --check`:
#![doc = concat!("```text\n", include_str!("../output.txt"), "```")]

use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::io::Write;

use fopnp::{Error, PyBytes};
use zen_utils::{APHORISMS, recv_until};

/// `client(address, cause_error=False)`: asks the three questions in random order, one at
/// a time, printing each question and its answer; with `cause_error`, sends the first
/// question without its `?` and returns at once.
pub fn client(host: &str, port: u16, cause_error: bool, out: &mut impl Write) -> Result<(), Error> {
    let mut sock = fopnp::net::connect(host, port)?;
    let aphorisms: Vec<&[u8]> = APHORISMS.iter().map(|(question, _)| *question).collect();
    if cause_error {
        let first = aphorisms[0];
        sock.write_all(&first[..first.len() - 1])?; // sock.sendall(aphorisms[0][:-1])
        return Ok(());
    }
    for aphorism in random_sample(&aphorisms) {
        sock.write_all(aphorism)?; // sock.sendall(aphorism)
        let answer = recv_until(&mut sock, b".") // answers end with '.'
            .map_err(|e| Error::msg(format!("no answer to {}: {e}", PyBytes(aphorism))))?;
        writeln!(out, "{} {}", PyBytes(aphorism), PyBytes(&answer))?;
        out.flush()?;
    }
    drop(sock); // sock.close()
    Ok(())
}

/// `random.sample(aphorisms, 3)`: every item once, in random order (a Fisher–Yates
/// shuffle driven by the standard library's randomly seeded hasher).
pub fn random_sample<T: Copy>(items: &[T]) -> Vec<T> {
    let mut items = items.to_vec();
    let seed = RandomState::new();
    for i in (1..items.len()).rev() {
        let j = (seed.hash_one(i) % (i as u64 + 1)) as usize;
        items.swap(i, j);
    }
    items
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sample_holds_every_item_once_in_varying_orders() {
        let mut orders = std::collections::HashSet::new();
        for _ in 0..200 {
            let mut sample = random_sample(&[1, 2, 3]);
            orders.insert(sample.clone());
            sample.sort();
            assert_eq!(sample, [1, 2, 3]);
        }
        // Six orders exist; 200 draws see more than one of them.
        assert!(orders.len() > 1, "{orders:?}");
    }
}
