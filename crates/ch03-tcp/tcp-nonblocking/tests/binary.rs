//! The `tcp_nonblocking` binary as a reader runs it: a session, clients that never read, a
//! thousand clients at once, a closed stdout, pinned buffers and usage errors (shared with
//! the other variants).

// A client that never reads costs at most one read's worth of pending output.
conformance::variant_binary_tests!(
    "tcp_nonblocking",
    tcp_nonblocking,
    tcp_nonblocking::SERVER_RECV as u64
);
