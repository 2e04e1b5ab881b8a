//! The one path by which every task writes to the terminal. `println!` panics when
//! standard output is a closed pipe (`cargo xtask run 3-1 | head -1`); these macros write
//! through `fopnp::log::stdout()`, as the listings do, and turn its error into the
//! project's one line on stderr, `cargo xtask: cannot write to standard output: Broken
//! pipe (os error 32)`, said once, and `main` then exits 1. The task itself
//! runs on to its end, so that every process it started is stopped (in `Drop`) as usual.

use std::fmt;
use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, Ordering};

static CLOSED: AtomicBool = AtomicBool::new(false);

/// Like `print!`, through [`write()`].
macro_rules! out {
    ($($arg:tt)*) => { $crate::out::write(format_args!($($arg)*)) };
}

/// Like `println!`, through [`write()`].
macro_rules! outln {
    () => { $crate::out::write(format_args!("\n")) };
    ($($arg:tt)*) => { $crate::out::write(format_args!("{}\n", format_args!($($arg)*))) };
}

/// Like `eprintln!`, without its panic when standard error is closed.
macro_rules! errln {
    () => { $crate::out::error(format_args!("")) };
    ($($arg:tt)*) => { $crate::out::error(format_args!($($arg)*)) };
}

/// Writes to standard output; after the first failure, says so once on stderr and
/// drops what follows.
pub fn write(args: fmt::Arguments) {
    if CLOSED.load(Ordering::Relaxed) {
        return;
    }
    if let Err(error) = fopnp::log::stdout().write_fmt(args) {
        closed(&error);
    }
}

/// Flushes standard output, as [`write()`] does.
pub fn flush() {
    if !CLOSED.load(Ordering::Relaxed)
        && let Err(error) = fopnp::log::stdout().flush()
    {
        closed(&error);
    }
}

/// One line on standard error; nothing (and no panic) when that is closed too.
pub fn error(args: fmt::Arguments) {
    let _ = writeln!(io::stderr(), "{args}");
}

/// Says once that standard output is closed; `why` names it (`fopnp::log`'s words).
fn closed(why: &io::Error) {
    if !CLOSED.swap(true, Ordering::Relaxed) {
        error(format_args!("cargo xtask: {why}"));
    }
}

/// Whether standard output was found closed, here or where a child's output was shown
/// (`testkit`'s tee): the task then exits 1.
pub fn was_closed() -> bool {
    flush();
    if let Some(why) = testkit::tee_failed() {
        let why = io::Error::new(why.kind(), why.to_string());
        closed(&fopnp::log::naming_stdout(why));
    }
    CLOSED.load(Ordering::Relaxed)
}
