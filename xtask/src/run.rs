//! `cargo xtask run ID`: builds a listing, runs its server and its client, and shows the
//! session as the book does, with a watchdog that stops a stalled transfer and says what
//! each process was waiting for.

use std::io::{self, Write};
use std::path::Path;
use std::process::{Command, ExitCode, Stdio};
use std::thread;
use std::time::Duration;

use conformance::zen::{LogStyle, check_client_output, check_session_log, session_lines};
use testkit::{Process, Spawn, kernel};

use crate::build::{Profile, build};
use crate::listings::{self, Kind, Listing};

pub const LONG_ABOUT: &str = "\
Build a listing, run its server and client, and show both transcripts

(The page 53 demonstrations, IDs half-close, shut-rd, close-vs-shutdown,
eof-vs-wouldblock and udp-flood, are one program each: it runs and prints its steps
and its verdict, and its exit status is passed on.)

Chapter 7's servers (srv_single ... srv_legacy2) run as the book's test.sh runs them:
the server on localhost, then `zen_client localhost` and `zen_client localhost -e`,
then the server's log. The inetd pair (in_zen1, in_zen2) runs under a real
super-server, systemd-socket-activate --inetd, and logs to zen.log in a scratch
directory. `cargo xtask run 7` runs every Chapter 7 server in turn and ends with one
line per server saying whether its session was the book's.

The server is started on 127.0.0.1 at the book's port 1060, or at --port (0 lets the
system choose); when that port is busy, at a port the system chooses, and a note says
so. Once the server listens, the client runs, connecting to localhost, and its output
is shown as it arrives. Then the server's output follows under `$ cat server.log`.

A watchdog stops a transfer that has stalled: while both processes live and neither has
printed anything for 3 seconds, both are stopped and the report says what each was
waiting for (for Listing 3-2, the deadlock of page 53, explained with the numbers seen).

Exit status: 0 the session completed (for 7: every session was the book's); 1 the
build failed, a process could not start, the client failed (its status is passed on)
or a Chapter 7 session was not the book's; 2 a usage error or an unknown listing;
3 the transfer stalled and both processes were stopped.";

/// How long neither process may print before the transfer counts as stalled.
pub const STALL: Duration = Duration::from_secs(3);
/// How long the server may take to listen, or to finish its log after the client is done.
const SERVER_STEP: Duration = Duration::from_secs(10);
/// The exit status of a session whose transfer stalled.
const STALLED: u8 = 3;
/// The book's port.
pub const BOOK_PORT: u16 = 1060;

/// What `cargo xtask run` was asked, besides the listing.
#[derive(Clone, Debug)]
pub struct Options {
    /// The port to ask the server for (the book's 1060 unless `--port` says otherwise).
    pub port: u16,
    /// Where to draw the four socket queues of a Chapter 3 session (`--trace FILE.svg`).
    pub trace: Option<std::path::PathBuf>,
    /// How long in_zen2 waits for another connection (the book's 8 seconds).
    pub idle: f64,
}

pub fn run(listing: &Listing, client_args: &[String], options: &Options) -> ExitCode {
    match session(listing, client_args, options) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("cargo xtask run {}: {error}", listing.id);
            ExitCode::FAILURE
        }
    }
}

fn session(
    listing: &Listing,
    client_args: &[String],
    options: &Options,
) -> Result<ExitCode, String> {
    let args: Vec<String> = if client_args.is_empty() {
        listing.default_args.iter().map(|a| a.to_string()).collect()
    } else {
        client_args.to_vec()
    };
    match listing.kind {
        Kind::Demo(subcommand) => {
            let dir = build(&[listing.krate], Profile::Debug)?;
            demo(listing, &dir.join(listing.bin), subcommand, &args)
        }
        Kind::Pair { settled, deadlocks } => {
            let dir = build(&[listing.krate], Profile::Debug)?;
            pair(
                listing,
                &dir.join(listing.bin),
                &args,
                options,
                settled,
                deadlocks,
            )
        }
        Kind::Zen { .. } | Kind::Inetd { .. } => {
            let dir = build(&[listing.krate, "zen-client"], Profile::Debug)?;
            let outcome = zen_session(listing, &dir, options)?;
            if let Err(why) = &outcome.verdict {
                println!("# not the book's session: {why}");
            }
            Ok(outcome.exit)
        }
        Kind::Chapter7 => chapter7(options),
    }
}

/// How a Chapter 7 session went: the exit status to pass on, and whether it was the
/// book's session (the client's lines, and the server's log lines).
struct ZenOutcome {
    exit: ExitCode,
    verdict: Result<(), String>,
}

/// `cargo xtask run 7`: every Chapter 7 server in turn, as the book's `test.sh` runs
/// them, and a verdict for each.
fn chapter7(options: &Options) -> Result<ExitCode, String> {
    let mut packages: Vec<&str> = listings::chapter7().map(|l| l.krate).collect();
    packages.push("zen-client");
    let dir = build(&packages, Profile::Debug)?;
    let mut verdicts = Vec::new();
    for listing in listings::chapter7() {
        println!("=========== {} ===========", listing.id);
        flush();
        let verdict = match zen_session(listing, &dir, options) {
            Ok(outcome) => match outcome.verdict {
                Ok(()) => "right: the book's answers and log lines".to_string(),
                Err(why) => format!("WRONG: {why}"),
            },
            Err(why) if why.contains("not installed") => format!("skipped: {why}"),
            Err(why) => format!("WRONG: {why}"),
        };
        verdicts.push((listing.id, verdict));
    }
    println!("===========");
    let width = verdicts.iter().map(|(id, _)| id.len()).max().unwrap_or(0);
    for (id, verdict) in &verdicts {
        println!("{id:<width$}  {verdict}");
    }
    let wrong = verdicts.iter().any(|(_, v)| v.starts_with("WRONG"));
    Ok(if wrong {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// A Chapter 7 server's session: the server (under a super-server, for the inetd pair),
/// `zen_client localhost`, `zen_client localhost -e`, then the server's log.
fn zen_session(listing: &Listing, dir: &Path, options: &Options) -> Result<ZenOutcome, String> {
    let bin = dir.join(listing.bin);
    let inetd = match listing.kind {
        Kind::Inetd { accept } => Some(accept),
        _ => None,
    };
    // The inetd servers log to a file, zen.log, in a scratch directory of their own.
    let scratch = std::env::temp_dir().join(format!("xtask-{}-{}", listing.id, std::process::id()));
    if inetd.is_some() {
        if !testkit::inetd::installed() {
            return Err(format!(
                "{}; the inetd servers need a super-server",
                testkit::inetd::MISSING
            ));
        }
        std::fs::create_dir_all(&scratch)
            .map_err(|e| format!("cannot create {}: {e}", scratch.display()))?;
    }
    let command = |port: u16| match inetd {
        Some(accept) => {
            let mut command = testkit::inetd::command(accept, port, &bin);
            command.args(["--log", "zen.log"]);
            if !accept && options.idle != in_zen2_idle_default() {
                command.args(["--idle", &options.idle.to_string()]);
            }
            command.current_dir(&scratch);
            command
        }
        None => {
            let mut command = Command::new(&bin);
            command.args(["localhost", "-p", &port.to_string()]);
            command
        }
    };
    let asked = match (inetd, options.port) {
        // A super-server cannot be told to choose a port: choose one for it.
        (Some(_), 0) => testkit::process::free_port().map_err(|e| e.to_string())?,
        (_, port) => port,
    };
    let Started {
        mut server,
        port,
        asked,
    } = start_server(asked, inetd.is_none(), command)?;
    match inetd {
        Some(accept) => println!(
            "$ systemd-socket-activate --inetd{} -l 127.0.0.1:{asked} {} --log zen.log{} &",
            if accept { " -a" } else { "" },
            listing.bin,
            if !accept && options.idle != in_zen2_idle_default() {
                format!(" --idle {}", options.idle)
            } else {
                String::new()
            }
        ),
        None => println!(
            "$ {} localhost{} > server.log &",
            listing.bin,
            port_arg(asked)
        ),
    }
    let zen_client = dir.join("zen_client");
    let mut outputs = Vec::new();
    let (style, first, last, file) = match (listing.kind, inetd) {
        (Kind::Zen { style, listening }, _) => (
            style,
            listening.then_some("Listening at ('localhost', PORT)"),
            None,
            "server.log",
        ),
        (_, Some(false)) => (
            LogStyle::ZenUtils,
            None,
            Some(format!(
                "Waited {} seconds with no further connections; shutting down",
                options.idle
            )),
            "zen.log",
        ),
        _ => (LogStyle::ZenUtils, None, None, "zen.log"),
    };
    let server_stdout = server.stdout.clone();
    let read_log = || match inetd {
        Some(_) => std::fs::read_to_string(scratch.join("zen.log")).unwrap_or_default(),
        None => server_stdout.text(),
    };
    // The lines each client makes the server log, so that the next client starts only
    // once the server has logged the last one (the log then reads the same every run).
    let per_client =
        conformance::zen::session_events().map(|events| style.lines("", &events).len());
    let mut expected_lines = usize::from(first.is_some());
    for extra in [&[][..], &["-e"][..]] {
        let shown: String = extra.iter().map(|a| format!(" {a}")).collect();
        println!("$ zen_client localhost{shown}{}", port_arg(port));
        flush();
        let mut command = Command::new(&zen_client);
        command
            .arg("localhost")
            .args(extra)
            .args(["-p", &port.to_string()]);
        let mut client = Spawn::new(command)
            .tee()
            .inherit_stderr()
            .start()
            .map_err(|e| format!("cannot start zen_client: {e}"))?;
        let status = match watch(&mut client, &mut server) {
            Watched::Exited(status) => status,
            Watched::Stalled => {
                let report = format!(
                    "zen_client (pid {}) stalled: for {} seconds it printed nothing; it was \
                     blocked in {}, the server in {}",
                    client.id(),
                    STALL.as_secs(),
                    blocked_in(client.id()),
                    blocked_in(server.id())
                );
                server.kill();
                client.kill();
                println!("{report}");
                return Ok(ZenOutcome {
                    exit: ExitCode::from(STALLED),
                    verdict: Err("zen_client stalled".into()),
                });
            }
        };
        client.stdout.wait_closed(SERVER_STEP);
        outputs.push((status, client.stdout.text()));
        expected_lines += per_client[outputs.len() - 1];
        testkit::wait_until(SERVER_STEP, || read_log().lines().count() >= expected_lines);
    }

    let lines = session_lines(style) + usize::from(first.is_some());
    // Let the server finish logging the two clients (in_zen2: until it exits, idle).
    let settled = match inetd {
        Some(false) => {
            println!("$ wait");
            flush();
            server
                .wait_exit(Duration::from_secs_f64(options.idle) + SERVER_STEP)
                .is_some()
        }
        _ => testkit::wait_until(SERVER_STEP, || read_log().lines().count() >= lines),
    };
    let log = read_log();
    server.kill();
    show_log(file, &log);
    if inetd.is_some() {
        let _ = std::fs::remove_dir_all(&scratch);
    }
    flush();

    let (first_status, first_out) = &outputs[0];
    let (second_status, second_out) = &outputs[1];
    let verdict = if *first_status != Some(0) {
        Err(format!("zen_client exited with {first_status:?}"))
    } else if *second_status != Some(0) {
        Err(format!("zen_client -e exited with {second_status:?}"))
    } else if !second_out.is_empty() {
        Err(format!("zen_client -e printed {second_out:?}"))
    } else if !settled {
        Err(format!(
            "the server did not finish its log within {SERVER_STEP:?}"
        ))
    } else {
        check_client_output(first_out)
            .and_then(|()| check_session_log(&log, style, first, last.as_deref()))
    };
    Ok(ZenOutcome {
        exit: exit_code(*first_status),
        verdict,
    })
}

/// Chapter 3's session: the server in the background, the client, then the server's log.
fn pair(
    listing: &Listing,
    bin: &Path,
    args: &[String],
    options: &Options,
    settled: fn(&str) -> bool,
    deadlocks: bool,
) -> Result<ExitCode, String> {
    // Buffer sizes pinned for the client are pinned for the server too.
    let buffers = buffer_args(args);
    let started = start_server(options.port, true, |port| {
        let mut command = Command::new(bin);
        command
            .args(["server", "127.0.0.1", "-p", &port.to_string()])
            .args(&buffers);
        command
    })?;
    let Started {
        mut server,
        port,
        asked,
    } = started;
    let server_port = port_arg(asked);
    let shown_buffers: String = buffers.iter().map(|a| format!(" {a}")).collect();
    println!(
        "$ {} server 127.0.0.1{server_port}{shown_buffers} > server.log &",
        listing.bin
    );
    let shown_args: String = args.iter().map(|a| format!(" {a}")).collect();
    println!(
        "$ {} client localhost{shown_args}{}",
        listing.bin,
        port_arg(port)
    );
    flush();

    let mut command = Command::new(bin);
    command
        .args(["client", "localhost"])
        .args(args)
        .args(["-p", &port.to_string()]);
    let mut client = Spawn::new(command)
        .tee()
        .inherit_stderr()
        .start()
        .map_err(|e| format!("cannot start the client: {e}"))?;
    let tracer = options
        .trace
        .as_ref()
        .map(|_| crate::trace::Tracer::start(client.id(), port));

    let client_status = match watch(&mut client, &mut server) {
        Watched::Exited(status) => status,
        Watched::Stalled => {
            // Take the evidence before stopping anything: stopping one process makes the
            // other's send() fail, and the server would log that failure.
            let pinned = !buffers.is_empty();
            let report = stall_report(listing, args, &client, &server, port, deadlocks, pinned);
            let trace = tracer.map(crate::trace::Tracer::stop);
            let log = server.stdout.text();
            server.kill();
            client.kill();
            client.stdout.wait_closed(SERVER_STEP);
            println!();
            show_log("server.log", &log);
            print!("{report}");
            flush();
            if let (Some(samples), Some(path)) = (trace, &options.trace) {
                crate::trace::draw(&samples, path, listing.bin)?;
            }
            return Ok(ExitCode::from(STALLED));
        }
    };
    let trace = tracer.map(crate::trace::Tracer::stop);
    client.stdout.wait_closed(SERVER_STEP);

    // Let the server finish what it prints about this client, then stop it. A client that
    // failed may never have reached the server: give the server only a moment then.
    let patience = if client_status == Some(0) {
        SERVER_STEP
    } else {
        Duration::from_secs(1)
    };
    let (_, done) = server.stdout.wait_until(patience, settled);
    server.kill();
    server.stdout.wait_closed(SERVER_STEP);
    show_log("server.log", &server.stdout.text());
    if !done && client_status == Some(0) {
        println!("# the server did not finish its log within {SERVER_STEP:?}");
    }
    flush();
    if let (Some(samples), Some(path)) = (trace, &options.trace) {
        crate::trace::draw(&samples, path, listing.bin)?;
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

/// A page 53 demonstration: one program, its output passed through.
fn demo(
    listing: &Listing,
    bin: &Path,
    subcommand: &str,
    args: &[String],
) -> Result<ExitCode, String> {
    let shown: String = args.iter().map(|a| format!(" {a}")).collect();
    println!("$ {} {subcommand}{shown}", listing.bin);
    flush();
    let status = Command::new(bin)
        .arg(subcommand)
        .args(args)
        .stdin(Stdio::null())
        .status()
        .map_err(|e| format!("cannot start {}: {e}", listing.bin))?;
    Ok(exit_code(status.code()))
}

/// A server that listens, the port it listens on, and the port it was asked for.
pub struct Started {
    pub server: Process,
    pub port: u16,
    pub asked: u16,
}

/// Starts a server with `command(port)` and waits until it listens. When `port` is busy
/// (the server exits saying so), starts it again on another port and says so in a `#`
/// line: one the system chooses (`-p 0`) if the server can be told `0`, else one that is
/// free now.
pub fn start_server(
    port: u16,
    zero_ok: bool,
    command: impl Fn(u16) -> Command,
) -> Result<Started, String> {
    let attempt = |asked: u16| Process::server(command(asked), SERVER_STEP);
    match attempt(port) {
        Ok((server, listening)) => Ok(Started {
            server,
            port: listening,
            asked: port,
        }),
        Err(error) if port != 0 && error.contains("already in use") => {
            let (server, listening, asked) = if zero_ok {
                let (server, listening) = attempt(0).map_err(|e| format!("server failed: {e}"))?;
                (server, listening, 0)
            } else {
                let (server, listening) = Process::server_on_free_port(&command, SERVER_STEP)
                    .map_err(|e| format!("server failed: {e}"))?;
                (server, listening, listening)
            };
            println!("# port {port} is busy here; the server listens on port {listening} instead");
            Ok(Started {
                server,
                port: listening,
                asked,
            })
        }
        Err(error) => Err(format!("the server did not start: {error}")),
    }
}

/// The book's wait before in_zen2 gives up: `listener.settimeout(8.0)`.
fn in_zen2_idle_default() -> f64 {
    8.0
}

/// ` -p PORT`, or nothing for the book's port.
pub fn port_arg(port: u16) -> String {
    if port == BOOK_PORT {
        String::new()
    } else {
        format!(" -p {port}")
    }
}

/// How watching a client ended.
pub enum Watched {
    /// It exited with this code (`None`: killed by a signal).
    Exited(Option<i32>),
    /// Neither it nor the server printed anything for [`STALL`], both still running.
    Stalled,
}

/// Waits for the client to exit, watching for a stall.
pub fn watch(client: &mut Process, server: &mut Process) -> Watched {
    loop {
        if let Some(status) = client.try_wait() {
            return Watched::Exited(status.code());
        }
        let quiet = client.stdout.quiet_for().min(server.stdout.quiet_for());
        if quiet >= STALL && server.running() {
            return Watched::Stalled;
        }
        thread::sleep(Duration::from_millis(50));
    }
}

pub fn exit_code(status: Option<i32>) -> ExitCode {
    match status {
        Some(0) => ExitCode::SUCCESS,
        Some(code) => ExitCode::from(u8::try_from(code).unwrap_or(1)),
        None => ExitCode::FAILURE,
    }
}

pub fn flush() {
    let _ = io::stdout().flush();
}

/// `$ cat FILE` and the log, as the book's sessions show a server's output.
pub fn show_log(file: &str, log: &str) {
    println!("$ cat {file}");
    print!("{log}");
    if !log.is_empty() && !log.ends_with('\n') {
        println!();
    }
}

/// The last count printed before `what` (` bytes sent`) in a progress transcript.
pub fn last_count(output: &str, what: &str) -> Option<u64> {
    let at = output.rfind(what)?;
    let digits: String = output[..at]
        .chars()
        .rev()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.chars().rev().collect::<String>().parse().ok()
}

/// What the kernel says the process's threads are waiting in.
fn blocked_in(pid: u32) -> String {
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
    listing: &Listing,
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
    report.push_str(&explanation(listing.bin, deadlocks));
    report
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_last_progress_count() {
        let log = "Sending 64 bytes\n\r  16 bytes sent \r  32 bytes sent ";
        assert_eq!(last_count(log, " bytes sent"), Some(32));
        assert_eq!(last_count(log, " bytes received"), None);
    }

    #[test]
    fn only_listing_3_2_is_explained_as_page_53s_deadlock() {
        let book = explanation("tcp_deadlock", true);
        assert!(book.contains("This is the deadlock of page 53"), "{book}");
        let variant = explanation("tcp_threaded", false);
        assert!(!variant.contains("deadlock of page 53"), "{variant}");
        assert!(variant.contains("tcp_threaded is not expected to stall"));
    }

    #[test]
    fn buffer_options_are_found_among_the_client_arguments() {
        let args: Vec<String> = ["1048576", "--sndbuf", "4096", "--rcvbuf=8192", "-x"]
            .map(String::from)
            .to_vec();
        assert_eq!(buffer_args(&args), ["--sndbuf", "4096", "--rcvbuf=8192"]);
        assert!(buffer_args(&args[..1]).is_empty());
    }

    #[test]
    fn the_books_port_is_not_shown() {
        assert_eq!(port_arg(1060), "");
        assert_eq!(port_arg(0), " -p 0");
    }
}
