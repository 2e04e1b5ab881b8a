//! The driver of external processes: a server or client given as one command string, as
//! a reader types it (`python3 tcp_deadlock.py server {host} -p {port}`), started, watched
//! and stopped, so that the tables can be pointed at any implementation.

use std::process::Command;
use std::time::{Duration, Instant};

use testkit::{Process, kernel};

pub use catalog::Transport;

use crate::ClientRun;

/// The host every command is given: loopback.
pub const HOST: &str = "127.0.0.1";

/// A command line split as a shell splits words (quotes respected; no shell is run), in
/// which `{host}`, `{port}`, `{bytecount}` and `{args}` are replaced wherever they appear,
/// inside a word too, and so is any placeholder a case adds (`{cafile}`, `{certfile}`:
/// see [`Template::command_with`]). `{args}` standing alone as a word becomes the case's
/// extra arguments, as separate words (none, or `-e`).
#[derive(Clone, Debug)]
pub struct Template {
    text: String,
    words: Vec<String>,
}

impl Template {
    pub fn parse(text: &str) -> Result<Self, String> {
        let words = shlex::split(text)
            .ok_or_else(|| format!("cannot split the command {text:?}: unbalanced quotes"))?;
        if words.is_empty() {
            return Err("the command is empty".into());
        }
        Ok(Self {
            text: text.to_string(),
            words,
        })
    }

    /// The command as given, for messages.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The command, its placeholders filled in, with `PYTHONUNBUFFERED=1` so that a Python
    /// implementation's output arrives as it prints it.
    pub fn command(&self, port: u16, bytecount: u64, args: &[&str]) -> Command {
        self.command_with(port, bytecount, args, &[])
    }

    /// [`Template::command`], with more placeholders filled in: `("cafile", path)` fills
    /// `{cafile}`.
    pub fn command_with(
        &self,
        port: u16,
        bytecount: u64,
        args: &[&str],
        more: &[(&str, String)],
    ) -> Command {
        let fill = |word: &str| {
            let mut word = word
                .replace("{host}", HOST)
                .replace("{port}", &port.to_string())
                .replace("{bytecount}", &bytecount.to_string())
                .replace("{args}", &args.join(" "));
            for (name, value) in more {
                word = word.replace(&format!("{{{name}}}"), value);
            }
            word
        };
        let mut words: Vec<String> = Vec::new();
        for word in &self.words {
            if word == "{args}" {
                words.extend(args.iter().map(|a| a.to_string()));
            } else {
                words.push(fill(word));
            }
        }
        let mut command = Command::new(&words[0]);
        command.args(&words[1..]).env("PYTHONUNBUFFERED", "1");
        command
    }
}

/// How a server under test is started and watched: what shows it is ready, the
/// placeholders its command needs besides `{host}` and `{port}`, and where it logs. (A
/// server of one connection needs nothing here: the runner ends each of its cases with
/// [`ExternalServer::end_case`].)
#[derive(Clone, Debug)]
pub struct Launch {
    /// TCP: ready once it listens. UDP: ready once its socket is bound
    /// (`/proc/net/udp`); it is never probed.
    pub transport: Transport,
    pub more: Vec<(&'static str, String)>,
    /// Where it logs, if not to its standard output (the inetd servers).
    pub log_file: Option<std::path::PathBuf>,
}

impl Default for Launch {
    fn default() -> Self {
        Self {
            transport: Transport::Tcp,
            more: Vec::new(),
            log_file: None,
        }
    }
}

/// A server started from a [`Template`] on a free port, restarted if a case kills it.
pub struct ExternalServer {
    template: Template,
    launch: Launch,
    process: Process,
    port: u16,
    /// What the server printed before each restart.
    earlier_logs: String,
    pub restarts: usize,
}

impl ExternalServer {
    /// Picks a free port, starts the command and waits until it (or a process it started)
    /// listens on that port, as the kernel says (`testkit::kernel`): it never connects to
    /// probe (a probe would be a client of its own, which some servers would log, or die
    /// of).
    pub fn start(template: &Template) -> Result<Self, String> {
        Self::launch(template, Launch::default())
    }

    /// [`ExternalServer::start`], as `launch` says.
    pub fn launch(template: &Template, launch: Launch) -> Result<Self, String> {
        if !kernel::SUPPORTED {
            return Err(
                "conform watches /proc/net/tcp for the server's listening socket: Linux only"
                    .into(),
            );
        }
        let mut last = String::new();
        for _ in 0..5 {
            let port = testkit::process::free_port().map_err(|e| e.to_string())?;
            let command = template.command_with(port, 0, &[], &launch.more);
            let mut process =
                Process::spawn(command).map_err(|e| format!("`{}`: {e}", template.text()))?;
            let started = Instant::now();
            let limit = crate::patience();
            loop {
                // Its own listening socket (or its child's, for a wrapper): a program that
                // took the port first would make this one fail with "in use", below.
                let ready = match launch.transport {
                    Transport::Tcp => kernel::tree_listens_on(process.id(), port),
                    Transport::Udp => kernel::tree_binds_udp(process.id(), port),
                };
                if ready == Some(true) {
                    return Ok(Self {
                        template: template.clone(),
                        launch: launch.clone(),
                        process,
                        port,
                        earlier_logs: String::new(),
                        restarts: 0,
                    });
                }
                if let Some(status) = process.try_wait() {
                    process.stderr.wait_closed(Duration::from_secs(5));
                    let said = process.stderr.text();
                    if said.contains("in use") {
                        last = said;
                        break;
                    }
                    return Err(format!(
                        "the server command `{}` exited ({status}) before it listened on {HOST}:{port}{}",
                        template.text(),
                        said_suffix(&said)
                    ));
                }
                if started.elapsed() >= limit {
                    return Err(format!(
                        "the server command `{}` did not listen on {HOST}:{port} within {limit:?}{}",
                        template.text(),
                        said_suffix(&process.stderr.text())
                    ));
                }
                std::thread::sleep(Duration::from_millis(5));
            }
        }
        Err(format!("no free port to listen on: {last}"))
    }

    /// The server's peak resident memory so far, its process tree's (`VmHWM`; `None` off
    /// Linux): what its cases cost it, bounded or not.
    pub fn peak_memory(&self) -> Option<u64> {
        kernel::tree_memory(self.process.id()).map(|(_, peak)| peak)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Everything the server has logged (before restarts too): its standard output, or
    /// its log file.
    pub fn log(&self) -> String {
        match &self.launch.log_file {
            Some(path) => std::fs::read_to_string(path).unwrap_or_default(),
            None => format!("{}{}", self.earlier_logs, self.process.stdout.text()),
        }
    }

    /// Whether it still runs.
    pub fn running(&mut self) -> bool {
        self.process.running()
    }

    /// If a case killed the server, starts it again (on a new port) and says what
    /// happened to it. After a failed case, a dying server gets a moment to finish dying
    /// (a Python server prints its traceback first).
    pub fn restart_if_dead(&mut self, case_failed: bool) -> Result<Option<String>, String> {
        // Long enough for a Python server to print its traceback and exit; a server that
        // is still alive after it is taken to have survived the case.
        let grace = if case_failed {
            Duration::from_millis(300)
        } else {
            Duration::ZERO
        };
        let Some(status) = self.process.wait_exit(grace) else {
            return Ok(None);
        };
        self.process.stderr.wait_closed(Duration::from_secs(5));
        let said = self.process.stderr.text();
        let mut fresh = Self::launch(&self.template, self.launch.clone())?;
        fresh.earlier_logs = self.log();
        fresh.restarts = self.restarts + 1;
        *self = fresh;
        Ok(Some(format!(
            "the server died during the case ({status}){}; restarted",
            said_suffix(&said)
        )))
    }
}

/// How a server of one connection ended its case: its exit status and what it printed.
#[derive(Clone, Debug)]
pub struct Ended {
    pub status: std::process::ExitStatus,
    pub stdout: String,
    pub stderr: String,
}

impl ExternalServer {
    /// For a server of one connection: waits up to `limit` for it to exit after its case,
    /// and starts a fresh one for the next. Its exit status and output (`Err` if it did
    /// not exit, or cannot be restarted) are part of the case's verdict, not a crash.
    pub fn end_case(&mut self, limit: Duration) -> Result<Ended, String> {
        let exited = self.process.wait_exit(limit);
        let mut fresh = Self::launch(&self.template, self.launch.clone())?;
        fresh.earlier_logs = self.log();
        let mut old = std::mem::replace(self, fresh);
        if exited.is_none() {
            // The verdict names the limit it waited, not the moment the kill took.
            old.process.kill();
            return Err(format!("it did not exit within {limit:?}"));
        }
        old.finish(limit)
    }

    /// For a server of one connection that ran its last case: waits up to `limit` for it
    /// to exit (killing it if it does not), with no fresh one after it.
    pub fn finish(mut self, limit: Duration) -> Result<Ended, String> {
        let Some(status) = self.process.wait_exit(limit) else {
            self.process.kill();
            return Err(format!("it did not exit within {limit:?}"));
        };
        self.process.stdout.wait_closed(Duration::from_secs(5));
        self.process.stderr.wait_closed(Duration::from_secs(5));
        Ok(Ended {
            status,
            stdout: self.process.stdout.text(),
            stderr: self.process.stderr.text(),
        })
    }
}

fn said_suffix(said: &str) -> String {
    match said.trim().lines().last() {
        Some(line) if !line.is_empty() => format!(", saying {line:?}"),
        _ => String::new(),
    }
}

/// Runs a client command to its end, at most `limit`: a client that hangs is killed and
/// its run reported as failed.
pub fn run_client(
    template: &Template,
    port: u16,
    bytecount: u64,
    args: &[&str],
    limit: Duration,
) -> ClientRun {
    run_command(template.command(port, bytecount, args), template, limit)
}

/// Runs a client command, made from `template`, to its end, at most `limit`.
pub fn run_command(command: Command, template: &Template, limit: Duration) -> ClientRun {
    match Process::spawn(command) {
        Err(error) => ClientRun {
            stderr: format!("`{}`: {error}", template.text()),
            ..ClientRun::default()
        },
        Ok(process) => match process.finish(limit) {
            Ok((status, stdout, stderr)) => ClientRun {
                success: status.success(),
                stdout,
                stderr,
                ..ClientRun::default()
            },
            Err(hang) => ClientRun {
                stderr: hang,
                ..ClientRun::default()
            },
        },
    }
}

/// [`run_command`], with its stdout kept byte for byte and its peak memory sampled.
pub fn run_command_measured(command: Command, template: &Template, limit: Duration) -> ClientRun {
    match testkit::Spawn::new(command).sample_memory().start() {
        Err(error) => ClientRun {
            stderr: format!("`{}`: {error}", template.text()),
            ..ClientRun::default()
        },
        Ok(process) => match process.finish_measured(limit) {
            Ok(done) => ClientRun {
                success: done.status.success(),
                stdout: String::from_utf8_lossy(&done.stdout).into_owned(),
                raw_stdout: done.stdout,
                stderr: done.stderr,
                peak_bytes: Some(done.peak_bytes),
                ..ClientRun::default()
            },
            Err(hang) => ClientRun {
                stderr: hang,
                ..ClientRun::default()
            },
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_filled_inside_words_and_quotes_are_kept() {
        let t =
            Template::parse("socat TCP-LISTEN:{port},bind={host},reuseaddr,fork EXEC:'tr a-z A-Z'")
                .unwrap();
        let command = t.command(4321, 0, &[]);
        let args: Vec<_> = command.get_args().map(|a| a.to_string_lossy()).collect();
        assert_eq!(command.get_program(), "socat");
        assert_eq!(
            args,
            [
                "TCP-LISTEN:4321,bind=127.0.0.1,reuseaddr,fork",
                "EXEC:tr a-z A-Z"
            ]
        );
        let t = Template::parse("client {host} {args} -p {port}").unwrap();
        let args: Vec<_> = t
            .command(9, 0, &["-e"])
            .get_args()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        assert_eq!(args, ["127.0.0.1", "-e", "-p", "9"]);
        assert!(Template::parse("python3 'unbalanced").is_err());
        assert!(Template::parse("   ").is_err());
    }

    #[test]
    fn a_command_that_exits_or_never_listens_is_named() {
        let error = ExternalServer::start(&Template::parse("true").unwrap())
            .err()
            .unwrap();
        assert!(error.contains("`true` exited"), "{error}");
        let error = ExternalServer::start(&Template::parse("no-such-program-here").unwrap())
            .err()
            .unwrap();
        assert!(
            error.contains("`no-such-program-here`: cannot start no-such-program-here: "),
            "{error}"
        );
    }

    /// A stand-in written for this test (not the book's): Python, which every machine
    /// that runs the book has.
    fn python() -> bool {
        Command::new("python3")
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    }

    #[test]
    fn a_udp_server_is_ready_once_bound_and_a_one_connection_server_is_started_again() {
        if !kernel::SUPPORTED || !python() {
            eprintln!("skipped: needs Linux's /proc and python3");
            return;
        }
        let udp = Template::parse(
            "python3 -c \"import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); \
             s.bind(('{host}', {port})); d, a = s.recvfrom(99); s.sendto(d + b'{tag}', a)\"",
        )
        .unwrap();
        let launch = Launch {
            transport: Transport::Udp,
            more: vec![("tag", "!".into())],
            log_file: None,
        };
        let mut server = ExternalServer::launch(&udp, launch).unwrap();
        let sock = std::net::UdpSocket::bind((HOST, 0)).unwrap();
        sock.set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        for _ in 0..2 {
            sock.send_to(b"hi", (HOST, server.port())).unwrap();
            let mut reply = [0; 8];
            let (n, _) = sock.recv_from(&mut reply).unwrap();
            assert_eq!(&reply[..n], b"hi!");
            let ended = server.end_case(Duration::from_secs(10)).unwrap();
            assert!(ended.status.success());
        }
        let tcp_once = Template::parse(
            "python3 -c \"import socket, sys; s = socket.create_server(('{host}', {port})); \
             c, _ = s.accept(); c.recv(9); sys.exit(3)\"",
        )
        .unwrap();
        let launch = Launch::default();
        let mut server = ExternalServer::launch(&tcp_once, launch).unwrap();
        let mut conn = std::net::TcpStream::connect((HOST, server.port())).unwrap();
        std::io::Write::write_all(&mut conn, b"x").unwrap();
        let ended = server.end_case(Duration::from_secs(10)).unwrap();
        assert_eq!(ended.status.code(), Some(3));
        assert!(server.running(), "a fresh process serves the next case");
        // One that does not exit: the verdict names the time it was given (it said
        // "within 0ns" whatever the limit).
        let error = server.end_case(Duration::from_millis(300)).unwrap_err();
        assert_eq!(error, "it did not exit within 300ms");
        assert!(
            server.running(),
            "and a fresh one still serves the next case"
        );
    }
}
