//! What every Chapter 3 listing port shares.
//!
//! *Foundations of Python Network Programming*, 3rd ed., Chapter 3 "TCP": the listings
//! print Python values (`b'...'`, `('127.0.0.1', 1060)`), take the same command line
//! (`{client,server} host [-p PORT]`) and read exact byte counts with `recvall`. This crate
//! holds those pieces once so that each listing crate reads like its page.

pub mod cli;
pub mod error;
pub mod net;
pub mod progress;
pub mod pyfmt;
pub mod recvall;
pub mod stream;

pub use error::{Context, Error, exit_status};
pub use pyfmt::{PyAddr, PyBytes, listening_port};
pub use recvall::{RecvallError, recvall};
