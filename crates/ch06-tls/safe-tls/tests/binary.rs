//! The `safe_tls` binary as a reader runs it: the `tls` table on both sides, and its
//! one-line failures.

tls_peer::binary_tests!("safe_tls", Safe);
