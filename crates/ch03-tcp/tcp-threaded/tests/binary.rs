//! The `tcp_threaded` binary as a reader runs it: a session, clients that never read, a
//! thousand clients at once, a closed stdout, pinned buffers and usage errors (shared with
//! the other variants).

// A client that never reads costs its thread's buffer and the stack it touches.
conformance::variant_binary_tests!(
    "tcp_threaded",
    tcp_threaded,
    (tcp_threaded::SERVER_RECV + 128 * 1024) as u64
);
