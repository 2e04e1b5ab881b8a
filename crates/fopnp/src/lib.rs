//! What no single listing owns.
//!
//! *Foundations of Python Network Programming*, 3rd ed.: the listings print Python values
//! (`b'...'`, `('127.0.0.1', 1060)`), take the book's command lines, end with a one-line
//! error, and print progress and log lines. Each listing's own functions (`recvall`,
//! `server`, `client`, `get_answer`, ...) live in its own crate; this one holds only what
//! they all use, so that each listing crate reads like its page.

pub mod cli;
pub mod demo;
pub mod error;
pub mod log;
pub mod net;
pub mod pprint;
pub mod progress;
pub mod pyfmt;

pub use error::{Context, Error, exit_status, one_line};
pub use log::Log;
pub use pyfmt::{
    Key, PyAddr, PyBytes, PyFloat, PyObject, PyPair, PyStr, PyText, decode_utf8, quote_plus,
};
