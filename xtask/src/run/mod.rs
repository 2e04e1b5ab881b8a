//! `cargo xtask run ID`: builds a listing, runs its server and its client, and shows the
//! session as the book does, with a watchdog that stops a stalled transfer and says what
//! each process was waiting for. How each listing runs is the catalog's `Runs`: a
//! server and a client ([`pair`]), a Zen server or a super-server with the Zen client
//! ([`zen`]), or one program alone.

use std::path::Path;
use std::process::{Command, ExitCode, Stdio};
use std::thread;
use std::time::Duration;

use catalog::template::{self, Values};
use catalog::{Listing, Runs, Transport};
use testkit::Process;

use crate::build::{Profile, build};

mod datagrams;
mod one_shot;
mod pair;
pub mod steps;
mod trace;
mod zen;

/// `cargo xtask run --help`: how each shape of session runs, with the IDs of the
/// catalog's rows of that shape (never a list by hand).
pub fn long_about() -> String {
    let ids = |shape: fn(&Listing) -> bool| -> String {
        let ids: Vec<&str> = catalog::listings()
            .filter(|l| shape(l))
            .map(|l| l.id)
            .collect();
        fill(&ids.join(", "))
    };
    format!(
        "\
Build a listing, run its server and client, and show both transcripts

Chapter 3's sessions, the server in the background on 127.0.0.1, then the client on
localhost, then the server's log:
{}

One program each, that prints its steps and its verdict (its exit status is passed on):
{}

Chapter 2's UDP servers run in the background, ready once their socket is bound, and are
stopped once they have printed the client's datagram:
{}

Chapter 5's servers serve one connection: the client runs with -c, then `wait`, then the
server's output:
{}

Chapter 6's, the same after `cargo xtask certs certs` in a scratch directory:
{}

Chapter 7's servers run as the book's test.sh runs them: the server on localhost, then
`zen_client localhost` and `zen_client localhost -e`, then the server's log:
{}

The inetd pair runs under a real super-server, systemd-socket-activate --inetd, and logs
to zen.log in a scratch directory:
{}

Every server of a chapter in turn, ending with one line per server saying whether its
session was the book's:
{}

The application chapters' clients, which the book runs against services on the internet:
a stand-in on 127.0.0.1 in the background (at --port, the book's 1060 by default), then
each command in turn in a scratch directory, then the stand-in's log:
{}

A chapter's tour: every listing's commands above, against one stand-in:
{}

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
3 the transfer stalled and both processes were stopped.",
        ids(|l| matches!(l.runs, Runs::ServerAndClient { .. }) && l.transport == Transport::Tcp),
        ids(|l| matches!(l.runs, Runs::Alone { .. })),
        ids(|l| matches!(l.runs, Runs::ServerAndClient { .. }) && l.transport == Transport::Udp),
        ids(|l| l.runs == Runs::OneConnection && !l.needs.certificates),
        ids(|l| l.runs == Runs::OneConnection && l.needs.certificates),
        ids(|l| l.runs == Runs::ZenServer),
        ids(|l| matches!(l.runs, Runs::SuperServer { .. })),
        ids(|l| matches!(l.runs, Runs::Each(_))),
        ids(|l| matches!(l.runs, Runs::Steps { .. })),
        ids(|l| l.runs == Runs::Tour),
    )
}

/// A list of IDs, indented and wrapped at 88 columns.
fn fill(text: &str) -> String {
    let mut lines = vec![String::from(" ")];
    for word in text.split(' ') {
        let last = lines.last_mut().map(|l| l.len()).unwrap_or_default();
        if last + 1 + word.len() > 88 {
            lines.push(String::from(" "));
        }
        if let Some(line) = lines.last_mut() {
            line.push(' ');
            line.push_str(word);
        }
    }
    lines.join("\n")
}

/// How long neither process may print before the transfer counts as stalled.
pub const STALL: Duration = Duration::from_secs(3);
/// How long the server may take to listen, or to finish its log after the client is done.
pub const SERVER_STEP: Duration = Duration::from_secs(10);
/// The exit status of a session whose transfer stalled.
pub const STALLED: u8 = 3;
/// The book's port, which a shown command leaves out.
pub use catalog::template::BOOK_PORT;

/// `cargo xtask run`.
#[derive(clap::Args, Clone, Debug)]
pub struct Args {
    /// ask the server for this port (default: the book's 1060; 0 lets the system
    /// choose); when it is busy, the system chooses one and a note says so
    #[arg(long, value_name = "PORT", default_value_t = BOOK_PORT)]
    pub port: u16,
    /// more arguments for the server, after its usual ones, as one string split at
    /// spaces (for in_zen2: "--idle 1" instead of the book's 8 seconds); `run 7` gives
    /// each server its recorded session's instead
    #[arg(long, value_name = "ARGS", allow_hyphen_values = true)]
    pub server_args: Option<String>,
    /// for Chapter 3's client-and-server sessions (3-1, 3-2 and its variants): sample the
    /// connection's four socket queues from the kernel's table, as often as it can be
    /// read (about every 5 ms: one reading takes some milliseconds itself), and draw them
    /// against time in FILE.svg (the samples go to FILE.json), with a compact chart on
    /// the terminal at the end; the chart tool is built in debug, once, the first time
    #[arg(long, value_name = "FILE.svg", value_parser = crate::report::output_file)]
    pub trace: Option<std::path::PathBuf>,
    /// the binaries are built already (cargo xtask transcripts builds them all first, so
    /// that its sessions do not queue for cargo's lock one by one)
    #[arg(long, hide = true)]
    pub built: bool,
    /// listing ID (3-1, 3-2, ...), the book's listing number (7-3), crate name or binary
    /// name; see `cargo xtask list`
    pub listing: String,
    /// arguments passed to the client after its host (for 3-2: the bytecount)
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    pub client_args: Vec<String>,
}

impl Args {
    /// The directory of the debug binaries of `packages`, built unless `--built` says so.
    pub fn built(&self, packages: &[&str]) -> Result<std::path::PathBuf, String> {
        if self.built {
            Ok(crate::build::target_dir().join(Profile::Debug.name()))
        } else {
            build(packages, Profile::Debug)
        }
    }

    /// The server's extra arguments.
    pub fn server_args(&self) -> Vec<String> {
        self.server_args
            .iter()
            .flat_map(|a| a.split_whitespace())
            .map(String::from)
            .collect()
    }
}

/// What `cargo xtask run NAME` says of a name that is not one runnable row: one line,
/// or one line and a line per row it could mean.
fn unrunnable(name: &str, found: catalog::Lookup) -> String {
    use catalog::Lookup;
    match found {
        Lookup::Found(_) => String::new(),
        Lookup::Several(rows) => {
            let mut text = format!("cargo xtask run: {name:?} runs several rows; run one of them:");
            for l in rows {
                text += &format!("\n  cargo xtask run {:<28} {}", l.id, l.summary);
            }
            text
        }
        Lookup::ShownBy(l, by) => format!(
            "cargo xtask run: {name:?} ({}, {}) has no session of its own; `cargo xtask run \
             {}` shows it",
            l.book,
            l.usage.map(|u| u.to_string()).unwrap_or_default(),
            by.id
        ),
        Lookup::Unknown(near) if near.is_empty() => {
            format!("cargo xtask run: unknown listing {name:?}; `cargo xtask list` shows every ID")
        }
        Lookup::Unknown(near) => format!(
            "cargo xtask run: unknown listing {name:?}; did you mean {}? (`cargo xtask list` \
             shows every ID)",
            near.join(", ")
        ),
    }
}

pub fn main(args: Args) -> ExitCode {
    let listing = match catalog::lookup(&args.listing) {
        catalog::Lookup::Found(listing) => listing,
        other => {
            errln!("{}", unrunnable(&args.listing, other));
            return ExitCode::from(2);
        }
    };
    let misuse = match listing.runs {
        Runs::Alone { .. } if args.server_args.is_some() => {
            Some("it is one program, with no server for --server-args")
        }
        Runs::Each(_) if !args.client_args.is_empty() => {
            Some("it runs each server's recorded session, and takes no client arguments")
        }
        Runs::Tour | Runs::Steps { .. } if !args.client_args.is_empty() => Some(
            "it runs its recorded steps, and takes no client arguments (run the binary itself, as its README shows, for others)",
        ),
        Runs::Steps { .. } | Runs::Tour if args.server_args.is_some() => {
            Some("its stand-in takes no --server-args")
        }
        // Only Chapter 3's client-and-server sessions have one connection whose queues
        // the tracer samples.
        Runs::ServerAndClient { .. } if listing.transport == Transport::Tcp => None,
        _ if args.trace.is_some() => Some(
            "--trace draws one connection's socket queues, and applies only to Chapter 3's \
             client-and-server sessions (3-1, 3-2, 3-2-threaded, 3-2-nonblocking, 3-2-async)",
        ),
        _ => None,
    };
    if let Some(misuse) = misuse {
        errln!("cargo xtask run {}: {misuse}", listing.id);
        return ExitCode::from(2);
    }
    match session(listing, &args) {
        Ok(code) => code,
        Err(error) => {
            errln!("cargo xtask run {}: {error}", listing.id);
            ExitCode::FAILURE
        }
    }
}

fn session(listing: &'static Listing, options: &Args) -> Result<ExitCode, String> {
    let args: Vec<String> = if options.client_args.is_empty() {
        listing.run_args.iter().map(|a| a.to_string()).collect()
    } else {
        options.client_args.clone()
    };
    let bin = listing.bin().unwrap_or_default();
    match listing.runs {
        Runs::Alone { subcommand } => {
            let dir = options.built(&[listing.krate])?;
            demo(bin, &dir.join(bin), subcommand, &args)
        }
        // A datagram server: ready once bound, and no connection for the watchdog's
        // report or the tracer to read.
        Runs::ServerAndClient { .. } if listing.transport == Transport::Udp => {
            let dir = options.built(&[listing.krate])?;
            datagrams::datagrams(listing, &dir, &args, options)
        }
        Runs::ServerAndClient { deadlocks } => {
            let dir = options.built(&[listing.krate])?;
            pair::pair(listing, &dir, &args, options, deadlocks)
        }
        Runs::OneConnection => {
            let dir = options.built(&listing.packages())?;
            one_shot::one_shot(listing, &dir, &args, options)
        }
        Runs::ZenServer | Runs::SuperServer { .. } => zen::one(listing, options),
        Runs::Each(family) => zen::each(family, options),
        Runs::Steps { .. } | Runs::Tour => {
            let dir = options.built(&listing.packages())?;
            steps::steps(&listing.tour(), &dir, options)
        }
        Runs::ByOthers => Err("it is run by the other listings' sessions".into()),
    }
}

/// How long one program's demonstration may take (udp-flood's and dont-fragment's take
/// seconds).
const DEMO_LIMIT: Duration = Duration::from_secs(300);

fn demo(name: &str, bin: &Path, subcommand: &str, args: &[String]) -> Result<ExitCode, String> {
    let shown: String = args.iter().map(|a| format!(" {a}")).collect();
    outln!("$ {name} {subcommand}{shown}");
    flush();
    let mut command = Command::new(bin);
    command.arg(subcommand).args(args);
    // Its output is shown through this process, so that a closed standard output is
    // said once, by xtask, as for every session.
    let mut program = testkit::Spawn::new(command)
        .stdin(Stdio::null())
        .tee()
        .inherit_stderr()
        .start()
        .map_err(|e| format!("cannot start {name}: {e}"))?;
    let status = program
        .wait_exit(DEMO_LIMIT)
        .ok_or_else(|| format!("{name} {subcommand} did not finish within {DEMO_LIMIT:?}"))?;
    program.stdout.wait_closed(SERVER_STEP);
    Ok(exit_code(status.code()))
}

/// One of a session's two commands, from the template in its listing's row
/// ([`catalog::Commands`]): rendered once as the command that runs and once as the `$`
/// line shown, so that the two cannot differ.
pub struct Templated<'a> {
    pub template: &'static str,
    /// Where the built binaries are.
    pub dir: &'a Path,
    pub bin: &'a str,
    /// The family's client (`{client}`), where the template names one.
    pub client: &'a str,
    pub server_args: &'a [String],
    pub args: &'a [String],
}

/// What `{bin}` and `{client}` render as in a command to run, before they become paths
/// (a path need not be text).
const BIN_MARK: &str = "\u{0}bin";
const CLIENT_MARK: &str = "\u{0}client";

impl Templated<'_> {
    /// The server's or the client's template of a listing's row.
    pub fn of<'a>(
        listing: &Listing,
        server: bool,
        dir: &'a Path,
        client: &'a str,
        server_args: &'a [String],
        args: &'a [String],
    ) -> Result<Templated<'a>, String> {
        let commands = listing
            .commands
            .ok_or_else(|| format!("the catalog gives {} no command lines", listing.id))?;
        Ok(Templated {
            template: if server {
                commands.server
            } else {
                commands.client
            },
            dir,
            bin: listing.bin().unwrap_or_default(),
            client,
            server_args,
            args,
        })
    }

    /// The template's words on `port`, `{bin}` and `{client}` as given.
    fn words(&self, port: u16, bin: &str, client: &str, shown: bool) -> Vec<String> {
        let values = Values {
            bin,
            client,
            port,
            server_args: self.server_args,
            args: self.args,
        };
        template::render(self.template, &values, shown)
    }

    /// The command to run, on `port`.
    pub fn command(&self, port: u16) -> Command {
        let words = self.words(port, BIN_MARK, CLIENT_MARK, false);
        let path = |word: &str| match word {
            BIN_MARK => self.dir.join(self.bin).into_os_string(),
            CLIENT_MARK => self.dir.join(self.client).into_os_string(),
            word => word.into(),
        };
        let mut words = words.iter().map(|w| path(w));
        let mut command = Command::new(words.next().unwrap_or_default());
        command.args(words);
        command
    }

    /// The `$` line a reader sees, on `port` (the book's port left out).
    pub fn shown(&self, port: u16) -> String {
        self.words(port, self.bin, self.client, true).join(" ")
    }
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
    start_server_of(port, zero_ok, false, command)
}

/// [`start_server`] for a TCP server, or a UDP one (`udp`: ready once its socket is bound).
pub fn start_server_of(
    port: u16,
    zero_ok: bool,
    udp: bool,
    command: impl Fn(u16) -> Command,
) -> Result<Started, String> {
    let attempt = |asked: u16| {
        let mut server = testkit::Spawn::new(command(asked))
            .start()
            .map_err(|e| e.to_string())?;
        let port = server.bound_port(SERVER_STEP, udp)?;
        Ok::<_, String>((server, port))
    };
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
            outln!("# port {port} is busy here; the server listens on port {listening} instead");
            Ok(Started {
                server,
                port: listening,
                asked,
            })
        }
        Err(error) => Err(format!("the server did not start: {error}")),
    }
}

/// Runs the client of a session, its output shown as it comes, watching both for a stall.
/// `Ok(Err(code))`: it stalled, both were stopped, and `code` is the session's status.
pub fn run_client(
    command: Command,
    server: &mut Process,
) -> Result<Result<Option<i32>, ExitCode>, String> {
    let mut client = testkit::Spawn::new(command)
        .tee()
        .inherit_stderr()
        .start()
        .map_err(|e| format!("the client: {e}"))?;
    let status = match watch(&mut client, server) {
        Watched::Exited(status) => status,
        Watched::Stalled => {
            // The client first, so that it says nothing of the server's going.
            client.kill();
            server.kill();
            outln!("# the session stalled: neither side printed anything; both were stopped");
            return Ok(Err(ExitCode::from(STALLED)));
        }
    };
    client.stdout.wait_closed(SERVER_STEP);
    Ok(Ok(status))
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
    crate::out::flush();
}

/// `$ cat FILE` and the log, as the book's sessions show a server's output.
pub fn show_log(file: &str, log: &str) {
    outln!("$ cat {file}");
    out!("{log}");
    if !log.is_empty() && !log.ends_with('\n') {
        outln!();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_help_names_every_runnable_row_from_the_catalog() {
        let help = long_about();
        for l in catalog::listings().filter(|l| l.runnable()) {
            assert!(
                help.contains(&format!(" {},", l.id)) || help.contains(&format!(" {}\n", l.id)),
                "{} is not in run --help",
                l.id
            );
        }
        assert!(help.lines().all(|l| l.len() <= 90), "{help}");
    }

    #[test]
    fn a_session_of_steps_is_its_rows_and_takes_no_client_arguments() {
        use clap::Parser;
        #[derive(clap::Parser)]
        struct Cli {
            #[command(flatten)]
            run: Args,
        }
        let tour = catalog::by_id("4").unwrap();
        let ids: Vec<&str> = tour.tour().iter().map(|l| l.id).collect();
        assert_eq!(ids, ["www_ping", "dns_basic", "dns_mx"]);
        let args = Cli::parse_from(["run", "dns_basic", "www.example.com"]).run;
        assert_eq!(main(args), ExitCode::from(2));
    }

    #[test]
    fn a_sessions_line_is_shown_as_it_runs_and_the_books_port_left_out() {
        let listing = catalog::by_id("3-2").unwrap();
        let args = ["32".to_string()];
        let dir = Path::new("/built");
        let line = Templated::of(listing, false, dir, "", &[], &args).unwrap();
        assert_eq!(line.shown(BOOK_PORT), "tcp_deadlock client localhost 32");
        assert_eq!(line.shown(0), "tcp_deadlock client localhost 32 -p 0");
        let command = line.command(BOOK_PORT);
        assert_eq!(command.get_program(), dir.join("tcp_deadlock"));
        let words: Vec<_> = command.get_args().collect();
        assert_eq!(words, ["client", "localhost", "32", "-p", "1060"]);
    }
}
