//! The conformance tables, written once as data: what the book's listings put on the wire
//! and print, for every family of listings. The workspace's tests run them against every
//! implementation through small adapters (in `tests/`); `cargo xtask conform` runs them
//! against any program. This crate links no listing: it is the book's side of the
//! comparison, so that an implementation is never checked against its own code.
//!
//! Every case has a stable kebab-case ID (`all-byte-values`, `half-close-at-once`).

pub mod stream;
pub mod transcripts;
pub mod uppercase;
pub mod variants;
pub mod zen;
pub mod zen_binaries;

/// A case an implementation cannot run, and why: adapters list these explicitly.
pub type Skip = (&'static str, &'static str);

/// The reason `skips` gives for case `id`, if it skips it.
pub fn skip_reason(skips: &[Skip], id: &str) -> Option<&'static str> {
    skips
        .iter()
        .find(|(case, _)| *case == id)
        .map(|(_, why)| *why)
}
