//! Foundations of Python Network Programming, Third Edition
//! Chapter 3, page 53 (no listing of its own)
//! The page's claims about sockets, each run on real loopback sockets and checked
//!
//! Each demonstration quotes its claim, prints every step with what the kernel answered,
//! and ends with `verdict: holds — ...` or `verdict: differs on this system — ...`. Each
//! returns what it observed, so that tests assert the observations, not the prose.
//!
//! ```text
//! $ page53 half-close
//! $ page53 udp-flood
//! ```
//!
//! # The recorded session
//!
//! `output.txt`, as `cargo xtask run` shows it, kept true by `cargo xtask transcripts --check`:
#![doc = concat!("```text\n", include_str!("../output.txt"), "```")]

pub mod close_vs_shutdown;
pub mod eof_vs_wouldblock;
pub mod half_close;
pub mod shut_rd;
pub mod steps;
pub mod udp_flood;

pub use steps::Verdict;
