//! Chapter 3's sessions: the server in the background, the client, then the server's
//! log; a stall is stopped, and the report says what each side waited in, and for
//! Listing 3-2 explains page 53's deadlock.

use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

use catalog::Listing;
use fopnp::progress::last_count;
use testkit::{Process, Spawn, kernel};

use super::{
    Args, SERVER_STEP, STALL, STALLED, Started, Templated, Watched, exit_code, flush, show_log,
    start_server, trace, watch,
};

/// Chapter 3's session: the server in the background, the client, then the server's log.
pub fn pair(
    listing: &Listing,
    dir: &Path,
    args: &[String],
    options: &Args,
    deadlocks: bool,
) -> Result<ExitCode, String> {
    let name = listing.bin().unwrap_or_default();
    // Buffer sizes pinned for the client are pinned for the server too, after any
    // --server-args.
    let buffers = buffer_args(args);
    let server_args = [options.server_args(), buffers.clone()].concat();
    let server_line = Templated::of(listing, true, dir, "", &server_args, &[])?;
    let client_line = Templated::of(listing, false, dir, "", &[], args)?;
    let Started {
        mut server,
        port,
        asked,
    } = start_server(options.port, true, |port| server_line.command(port))?;
    outln!("$ {} > server.log &", server_line.shown(asked));
    outln!("$ {}", client_line.shown(port));
    flush();

    let command = client_line.command(port);
    // The tracer watches for the connection before the client makes it.
    let tracer = options.trace.as_ref().map(|_| trace::Tracer::start(port));
    let mut client = Spawn::new(command)
        .tee()
        .inherit_stderr()
        .start()
        .map_err(|e| format!("the client: {e}"))?;

    let client_status = match watch(&mut client, &mut server) {
        Watched::Exited(status) => status,
        Watched::Stalled => {
            // Take the evidence before stopping anything: stopping one process makes the
            // other's send() fail, and the server would log that failure.
            let pinned = !buffers.is_empty();
            let report = stall_report(name, args, &client, &server, port, deadlocks, pinned);
            let trace = tracer.map(trace::Tracer::stop);
            let log = server.stdout.text();
            // The client first: stopping the server first resets the client's
            // connection, and the client would add its own error line below the report.
            client.kill();
            client.stdout.wait_closed(SERVER_STEP);
            server.kill();
            outln!();
            show_log("server.log", &log);
            out!("{report}");
            flush();
            if let (Some(samples), Some(path)) = (trace, &options.trace) {
                trace::draw(&samples, path, name)?;
            }
            return Ok(ExitCode::from(STALLED));
        }
    };
    let trace = tracer.map(trace::Tracer::stop);
    client.stdout.wait_closed(SERVER_STEP);

    // Let the server finish what it prints about this client, then stop it. A client that
    // failed may never have reached the server: give the server only a moment then.
    let patience = if client_status == Some(0) {
        SERVER_STEP
    } else {
        Duration::from_millis(300)
    };
    let (_, done) = server.stdout.wait_until(patience, |log| {
        // A row with no log style has no line to wait for.
        listing.log.is_none_or(|style| style.done_with_client(log))
    });
    server.kill();
    server.stdout.wait_closed(SERVER_STEP);
    show_log("server.log", &server.stdout.text());
    if !done && client_status == Some(0) {
        outln!("# the server did not finish its log within {SERVER_STEP:?}");
    }
    flush();
    if let (Some(samples), Some(path)) = (trace, &options.trace) {
        trace::draw(&samples, path, name)?;
    }
    Ok(exit_code(client_status))
}

/// The `--sndbuf`/`--rcvbuf` options (with their values) among a client's arguments.
fn buffer_args(args: &[String]) -> Vec<String> {
    let mut found = Vec::new();
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        if arg == "--sndbuf" || arg == "--rcvbuf" {
            found.push(arg.clone());
            found.extend(it.next().cloned());
        } else if arg.starts_with("--sndbuf=") || arg.starts_with("--rcvbuf=") {
            found.push(arg.clone());
        }
    }
    found
}

/// The system calls the threads of process `pid` are in, for a stall report.
pub fn blocked_in(pid: u32) -> String {
    let calls = kernel::blocked_in(pid);
    if calls.is_empty() {
        "(the kernel did not say)".into()
    } else {
        calls.join(", ")
    }
}

/// Why a transfer stalled: page 53's deadlock for Listing 3-2 as the book wrote it; for a
/// listing that should never stall, a neutral account.
fn explanation(bin: &str, deadlocks: bool) -> String {
    if deadlocks {
        format!(
            "\n\
             This is the deadlock of page 53. The {bin} client sends everything before it reads\n\
             anything, while the server sends each piece back as soon as it reads it. Nobody reads\n\
             the replies, so they fill the server's send buffer and the client's receive buffer;\n\
             then the server blocks in send() and stops reading, so the client's data fills the\n\
             server's receive buffer and the client's send buffer, and the client blocks in send()\n\
             too. Each waits for the other to read, with the socket buffers in both directions full.\n\
             \n\
             Listings that avoid it: 3-2-threaded (one thread sends while another receives) and\n\
             3-2-nonblocking (poll() says when the socket can take more and when replies have come).\n"
        )
    } else {
        format!(
            "\n\
             {bin} is not expected to stall: neither side printed anything for {secs} seconds while\n\
             both were still running. The calls and queues above say where each was waiting; a\n\
             stall here is a bug in the port, or a machine too busy to make progress.\n",
            secs = STALL.as_secs(),
        )
    }
}

fn stall_report(
    name: &str,
    args: &[String],
    client: &Process,
    server: &Process,
    port: u16,
    deadlocks: bool,
    pinned: bool,
) -> String {
    let client_log = client.stdout.text();
    let server_log = server.stdout.text();
    let sent = last_count(&client_log, " bytes sent").unwrap_or(0);
    let processed = last_count(&server_log, " bytes processed").unwrap_or(0);
    let wanted = args
        .iter()
        .find(|a| a.parse::<u64>().is_ok())
        .map(String::as_str)
        .unwrap_or("16");
    let mut report = format!(
        "\n\
         The transfer stalled: for {secs} seconds neither process printed any progress, so the\n\
         client (pid {cpid}) and the server (pid {spid}) were both stopped. What they showed:\n\
         \n  \
         client: {sent} of {wanted} bytes sent; blocked in {client_call}\n  \
         server: {processed} bytes processed; blocked in {server_call}\n",
        secs = STALL.as_secs(),
        cpid = client.id(),
        spid = server.id(),
        client_call = blocked_in(client.id()),
        server_call = blocked_in(server.id()),
    );
    let client_port = kernel::connected_ports(client.id(), port).first().copied();
    let connection = client_port.and_then(|client_port| kernel::connection(client_port, port));
    // With pinned buffers, each queue beside the size the kernel granted its buffer.
    let granted = client_port.filter(|_| pinned).and_then(|cport| {
        kernel::socket_buffers(client.id(), cport, port).zip(kernel::socket_buffers(
            server.id(),
            port,
            cport,
        ))
    });
    let share = |queued: u64, granted: Option<usize>| match granted {
        Some(size) => format!(
            "{queued} ({:.0}% of its {size})",
            100.0 * queued as f64 / size as f64
        ),
        None => queued.to_string(),
    };
    if let Some(c) = connection {
        let (cs, cr, ss, sr) = match granted {
            Some(((cs, cr), (ss, sr))) => (Some(cs), Some(cr), Some(ss), Some(sr)),
            None => (None, None, None, None),
        };
        report.push_str(&format!(
            "\n  \
             bytes waiting in the socket buffers (/proc/net/tcp){}:\n    \
             client to server: {} in the client's send buffer, {} in the server's receive buffer\n    \
             server to client: {} in the server's send buffer, {} in the client's receive buffer\n",
            if granted.is_some() {
                ", and each buffer's granted size"
            } else {
                ""
            },
            share(c.client.send, cs),
            share(c.server.receive, sr),
            share(c.server.send, ss),
            share(c.client.receive, cr)
        ));
    }
    report.push_str(&explanation(name, deadlocks));
    report
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_listing_3_2_is_explained_as_page_53s_deadlock() {
        let book = explanation("the_book", true);
        assert!(book.contains("This is the deadlock of page 53"), "{book}");
        let variant = explanation("a_variant", false);
        assert!(!variant.contains("deadlock of page 53"), "{variant}");
        assert!(variant.contains("a_variant is not expected to stall"));
    }

    #[test]
    fn buffer_options_are_found_among_the_client_arguments() {
        let args: Vec<String> = ["1048576", "--sndbuf", "4096", "--rcvbuf=8192", "-x"]
            .map(String::from)
            .to_vec();
        assert_eq!(buffer_args(&args), ["--sndbuf", "4096", "--rcvbuf=8192"]);
        assert!(buffer_args(&args[..1]).is_empty());
    }
}
