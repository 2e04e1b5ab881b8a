//! `half-close`: shutdown(Write) ends this side's sending, the peer reads EOF, and the
//! reply still comes back.

use std::io::{self, Write};
use std::net::Shutdown;

use fopnp::Error;

use crate::steps::{Verdict, answer, claim, read_to_eof, step, tcp_pair};

const REQUEST: &[u8] = b"a request";
const REPLY: &[u8] = b"THE REPLY";

/// What the demonstration observed.
#[derive(Debug)]
pub struct HalfClose {
    /// What the server read before EOF, and whether it read EOF.
    pub server_received: Vec<u8>,
    pub server_saw_eof: bool,
    /// What the client read after its shutdown(Write), and whether it then read EOF.
    pub client_received: Vec<u8>,
    pub client_saw_eof: bool,
    /// The client's send after shutdown(Write): `None` if it succeeded.
    pub send_after_shutdown: Option<io::ErrorKind>,
    pub verdict: Verdict,
}

pub fn run(out: &mut dyn Write) -> Result<HalfClose, Error> {
    claim(
        out,
        "shutdown(SHUT_WR) ends this side's sending for good (the peer reads EOF), while this side can still receive the reply",
    )?;
    let (mut client, mut server) = tcp_pair()?;

    let sent = client.write(REQUEST);
    step(out, "client", "send(b'a request')", &answer(&sent))?;
    let shut = client.shutdown(Shutdown::Write);
    step(out, "client", "shutdown(Write)", &answer(&shut))?;

    let (server_received, server_saw_eof) = read_to_eof(out, "server", &mut server)?;
    let replied = server.write(REPLY);
    step(out, "server", "send(b'THE REPLY')", &answer(&replied))?;
    drop(server);
    step(out, "server", "close()", "done")?;

    let (client_received, client_saw_eof) = read_to_eof(out, "client", &mut client)?;
    let again = client.write(b"more");
    step(
        out,
        "client",
        "send(b'more') after shutdown(Write)",
        &answer(&again),
    )?;
    let send_after_shutdown = again.err().map(|e| e.kind());

    let verdict = if server_saw_eof
        && server_received == REQUEST
        && client_received == REPLY
        && send_after_shutdown == Some(io::ErrorKind::BrokenPipe)
    {
        Verdict::Holds(
            "the server read the request and then EOF, its reply still reached the client, and a send after shutdown(Write) fails with BrokenPipe".into(),
        )
    } else {
        Verdict::Differs(format!(
            "server EOF {server_saw_eof}, reply received {:?}, send after shutdown {send_after_shutdown:?}",
            fopnp::PyBytes(&client_received).to_string()
        ))
    };
    writeln!(out, "{verdict}")?;
    Ok(HalfClose {
        server_received,
        server_saw_eof,
        client_received,
        client_saw_eof,
        send_after_shutdown,
        verdict,
    })
}
