//! One small adapter per implementation: how to run its client over a connected socket,
//! how to run its server over a listener, what its transcript must look like, and which
//! cases it cannot run, with the reason.

use std::io::Write;
use std::net::TcpListener;

use conformance::pairs::Client;
use conformance::transcripts::{check_deadlock_client, check_variant_client};
use testkit::Transcript;

/// A server implementation of the uppercase protocol.
pub struct Server {
    pub name: &'static str,
    /// Its binary, as the catalog knows it.
    pub bin: &'static str,
    /// Serves on `listener` until it is shut down, logging to the transcript.
    pub serve: fn(TcpListener, Transcript),
}

pub const CLIENTS: &[Client] = &[
    Client {
        name: "tcp_deadlock client",
        run: |sock, bytecount, out, on_data| {
            tcp_deadlock::client_on(|| Ok(sock), bytecount, out, on_data)
        },
        reads_while_sending: false,
        check_transcript: |out, bytecount| check_deadlock_client(out, bytecount).map(drop),
        bin: "tcp_deadlock",
    },
    Client {
        name: "tcp_threaded client",
        run: |sock, bytecount, out, on_data| {
            tcp_threaded::client_on(|| Ok(sock), bytecount, out, on_data)
        },
        reads_while_sending: true,
        check_transcript: |out, bytecount| {
            check_variant_client(out, bytecount, tcp_threaded::CHUNK)
        },
        bin: "tcp_threaded",
    },
    Client {
        name: "tcp_nonblocking client",
        run: |sock, bytecount, out, on_data| {
            tcp_nonblocking::client_on(|| Ok(sock), bytecount, out, on_data)
        },
        reads_while_sending: true,
        check_transcript: |out, bytecount| {
            check_variant_client(out, bytecount, tcp_nonblocking::CHUNK)
        },
        bin: "tcp_nonblocking",
    },
    Client {
        name: "tcp_async client",
        run: |sock, bytecount, out, on_data| {
            tcp_async::client_on(|| Ok(sock), bytecount, out, on_data)
        },
        reads_while_sending: true,
        check_transcript: |out, bytecount| check_variant_client(out, bytecount, tcp_async::CHUNK),
        bin: "tcp_async",
    },
];

pub const SERVERS: &[Server] = &[
    Server {
        name: "tcp_deadlock server",
        bin: "tcp_deadlock",
        serve: |listener, mut log| {
            let _ = tcp_deadlock::serve(&listener, &mut log);
            let _ = log.flush();
        },
    },
    Server {
        name: "tcp_threaded server",
        bin: "tcp_threaded",
        serve: |listener, log| {
            let _ = tcp_threaded::serve(&listener, fopnp::Log::new(log));
        },
    },
    Server {
        name: "tcp_nonblocking server",
        bin: "tcp_nonblocking",
        serve: |listener, mut log| {
            let _ = tcp_nonblocking::serve(&listener, &mut log);
        },
    },
    Server {
        name: "tcp_async server",
        bin: "tcp_async",
        serve: |listener, log| {
            let _ = tcp_async::serve(listener, fopnp::Log::new(log));
        },
    },
];
