//! Child processes for the tests, `cargo xtask run` and the benchmarks: started with their
//! output collected (and, if asked, shown as it arrives), their listening port learned
//! from the kernel, their CPU time and peak memory measured, and killed when dropped.

use std::io;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use crate::kernel;
pub use crate::output::Output;

/// How to start a [`Process`].
pub struct Spawn {
    command: Command,
    stdin: Option<Stdio>,
    stdout: Option<Stdio>,
    tee: bool,
    inherit_stderr: bool,
    sample_memory: bool,
}

impl Spawn {
    /// `command` with standard input from `/dev/null` and both output pipes collected.
    pub fn new(command: Command) -> Self {
        Self {
            command,
            stdin: None,
            stdout: None,
            tee: false,
            inherit_stderr: false,
            sample_memory: false,
        }
    }

    /// Standard input from `input` instead of `/dev/null`.
    pub fn stdin(mut self, input: Stdio) -> Self {
        self.stdin = Some(input);
        self
    }

    /// Standard output to `output` (a log file, say) instead of a collected pipe.
    pub fn stdout(mut self, output: Stdio) -> Self {
        self.stdout = Some(output);
        self
    }

    /// Also copy standard output to this process's, as it arrives.
    pub fn tee(mut self) -> Self {
        self.tee = true;
        self
    }

    /// Leave standard error on this process's (not collected).
    pub fn inherit_stderr(mut self) -> Self {
        self.inherit_stderr = true;
        self
    }

    /// Sample the process's peak memory every few milliseconds while it runs (the
    /// kernel's high-water mark, so a sample misses only growth in its last few ms).
    pub fn sample_memory(mut self) -> Self {
        self.sample_memory = true;
        self
    }

    pub fn start(mut self) -> io::Result<Process> {
        let name = self.command.get_program().to_string_lossy().into_owned();
        let started = Instant::now();
        let mut child = self
            .command
            .stdin(self.stdin.take().unwrap_or_else(Stdio::null))
            .stdout(self.stdout.take().unwrap_or_else(Stdio::piped))
            .stderr(if self.inherit_stderr {
                Stdio::inherit()
            } else {
                Stdio::piped()
            })
            .spawn()
            .map_err(|error| {
                io::Error::new(error.kind(), format!("cannot start {name}: {error}"))
            })?;
        let stdout = Output::collect(child.stdout.take(), self.tee);
        let stderr = Output::collect(child.stderr.take(), false);
        let sampler = self.sample_memory.then(|| PeakSampler::start(child.id()));
        Ok(Process {
            child,
            name,
            stdout,
            stderr,
            exit: None,
            started,
            sampler,
        })
    }
}

/// A child process, killed and reaped when dropped.
pub struct Process {
    child: Child,
    name: String,
    pub stdout: Output,
    pub stderr: Output,
    exit: Option<ExitStatus>,
    started: Instant,
    sampler: Option<PeakSampler>,
}

/// How a measured process ended ([`Process::finish_measured`]).
#[derive(Clone, Debug)]
pub struct Finished {
    pub status: ExitStatus,
    pub stdout: Vec<u8>,
    pub stderr: String,
    /// Its peak resident memory, in bytes (0 where it could not be read).
    pub peak_bytes: u64,
}

/// What a process used: wall time since it started, CPU seconds, peak resident memory.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Usage {
    pub wall: f64,
    pub user: f64,
    pub sys: f64,
    pub peak_bytes: u64,
}

impl Process {
    /// Starts `command` with both output pipes collected.
    pub fn spawn(command: Command) -> io::Result<Self> {
        Spawn::new(command).start()
    }

    /// Starts a server and waits until it listens: returns the process and its port, read
    /// from the kernel's table of listening sockets (not from what it prints).
    pub fn server(command: Command, limit: Duration) -> Result<(Self, u16), String> {
        Self::server_with(Spawn::new(command), limit)
    }

    /// [`Process::server`] started as `spawn` says.
    pub fn server_with(spawn: Spawn, limit: Duration) -> Result<(Self, u16), String> {
        let mut server = spawn.start().map_err(|e| e.to_string())?;
        let port = server.listening_port(limit)?;
        Ok((server, port))
    }

    /// Starts a server that must be told its port (a super-server, a foreign program):
    /// picks a port that is free now, starts `command(port)` and waits until it listens;
    /// if another program took the port meanwhile, tries again with another.
    pub fn server_on_free_port(
        command: impl Fn(u16) -> Command,
        limit: Duration,
    ) -> Result<(Self, u16), String> {
        let mut last = String::new();
        for _ in 0..5 {
            let port = free_port().map_err(|e| format!("cannot find a free port: {e}"))?;
            match Self::server(command(port), limit) {
                Ok(started) => return Ok(started),
                Err(error) if error.contains("in use") => last = error,
                Err(error) => return Err(error),
            }
        }
        Err(last)
    }

    /// The process ID.
    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// The program's name, for messages.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Waits until the process has a listening TCP socket, at most `limit`; returns its
    /// port. Fails, with what the process said, if it exits first or never listens.
    ///
    /// On Linux the port comes from the process's own LISTEN socket (`/proc/PID/fd` and
    /// `/proc/net/tcp{,6}`), so a server started with `-p 0` that prints the address as
    /// given (or nothing) is found all the same. Elsewhere it is read from a `Listening at
    /// (..., PORT)` line.
    pub fn listening_port(&mut self, limit: Duration) -> Result<u16, String> {
        self.bound_port(limit, false)
    }

    /// [`Process::listening_port`] for a TCP server, or for a UDP server (`udp`), which is
    /// ready once its socket is bound (`/proc/net/udp`), and is never probed.
    pub fn bound_port(&mut self, limit: Duration, udp: bool) -> Result<u16, String> {
        let end = Instant::now() + limit;
        loop {
            let ports = if udp {
                kernel::udp_ports(self.id())
            } else {
                kernel::listening_ports(self.id())
            };
            if let Some(port) = ports.first() {
                return Ok(*port);
            }
            if !kernel::SUPPORTED
                && let Some(port) = listening_port_in(&self.stdout.text())
            {
                return Ok(port);
            }
            if let Some(status) = self.try_wait() {
                self.stderr.wait_closed(Duration::from_secs(5));
                return Err(format!(
                    "{} exited ({status}) before listening: {}",
                    self.name,
                    self.said()
                ));
            }
            if Instant::now() >= end {
                return Err(format!(
                    "{} did not listen within {limit:?}: {}",
                    self.name,
                    self.said()
                ));
            }
            thread::sleep(Duration::from_millis(5));
        }
    }

    /// What the process has printed, both pipes, for an error message.
    fn said(&self) -> String {
        let said = format!(
            "{} {}",
            self.stdout.text().trim(),
            self.stderr.text().trim()
        );
        match said.trim() {
            "" => "(it printed nothing)".into(),
            said => format!("{said:?}"),
        }
    }

    /// The exit status, once the process has ended.
    pub fn try_wait(&mut self) -> Option<ExitStatus> {
        if self.exit.is_none()
            && let Ok(Some(status)) = self.child.try_wait()
        {
            self.exit = Some(status);
        }
        self.exit
    }

    /// Whether the process is still running.
    pub fn running(&mut self) -> bool {
        self.try_wait().is_none()
    }

    /// Waits for the process to exit, at most `limit`.
    pub fn wait_exit(&mut self, limit: Duration) -> Option<ExitStatus> {
        let end = Instant::now() + limit;
        loop {
            if let Some(status) = self.try_wait() {
                return Some(status);
            }
            if Instant::now() >= end {
                return None;
            }
            thread::sleep(Duration::from_millis(2));
        }
    }

    /// Waits for the process to exit, at most `limit`, and for both pipes to drain;
    /// returns the exit status, stdout and stderr. A process still running at the deadline
    /// is killed and the error says what it had printed.
    pub fn finish(mut self, limit: Duration) -> Result<(ExitStatus, String, String), String> {
        match self.wait_exit(limit) {
            Some(status) => {
                self.stdout.wait_closed(limit);
                self.stderr.wait_closed(limit);
                Ok((status, self.stdout.text(), self.stderr.text()))
            }
            None => {
                self.kill();
                Err(format!(
                    "{} did not exit within {limit:?}; it printed {}",
                    self.name,
                    self.said()
                ))
            }
        }
    }

    /// [`Process::finish`] for a process started with [`Spawn::sample_memory`]: its
    /// stdout byte for byte, and its peak resident memory as sampled while it ran.
    pub fn finish_measured(mut self, limit: Duration) -> Result<Finished, String> {
        match self.wait_exit(limit) {
            Some(status) => {
                self.stdout.wait_closed(limit);
                self.stderr.wait_closed(limit);
                let peak_bytes = self.sampler.as_ref().map_or(0, PeakSampler::peak);
                Ok(Finished {
                    status,
                    stdout: self.stdout.bytes(),
                    stderr: self.stderr.text(),
                    peak_bytes,
                })
            }
            None => {
                self.kill();
                Err(format!(
                    "{} did not exit within {limit:?}; it printed {}",
                    self.name,
                    self.said()
                ))
            }
        }
    }

    /// Asks the process to stop (SIGTERM), as a master of workers must be asked so that
    /// it stops them too (gunicorn); kills it if it has not exited within `limit`.
    pub fn terminate(&mut self, limit: Duration) {
        if self.exit.is_none()
            && let Some(pid) = rustix::process::Pid::from_raw(self.child.id() as i32)
        {
            let _ = rustix::process::kill_process(pid, rustix::process::Signal::TERM);
            let _ = self.wait_exit(limit);
        }
        self.kill();
    }

    /// Stops the process now (SIGKILL) and reaps it.
    pub fn kill(&mut self) {
        if self.exit.is_none() {
            let _ = self.child.kill();
            self.exit = self.child.wait().ok();
        }
        if let Some(sampler) = &self.sampler {
            sampler.stop();
        }
    }

    /// Waits for the process to exit by itself and measures it: CPU seconds are read from
    /// the kernel after it has exited but before it is reaped (so they are final).
    pub fn wait_measured(&mut self) -> Result<(ExitStatus, Usage), String> {
        kernel::wait_exited_unreaped(self.id()).map_err(|e| format!("{}: {e}", self.name))?;
        let usage = self.usage_now();
        if let Some(sampler) = &self.sampler {
            sampler.stop();
        }
        let status = self.child.wait().map_err(|e| e.to_string())?;
        self.exit = Some(status);
        Ok((status, usage))
    }

    /// Measures a process that is still running (a server), then stops it.
    pub fn stop_measured(&mut self) -> Usage {
        let usage = self.usage_now();
        self.kill();
        usage
    }

    fn usage_now(&self) -> Usage {
        let (user, sys) = kernel::cpu_seconds(self.id()).unwrap_or_default();
        let sampled = self.sampler.as_ref().map_or(0, PeakSampler::peak);
        let peak_bytes = kernel::peak_memory(self.id()).unwrap_or(0).max(sampled);
        Usage {
            wall: self.started.elapsed().as_secs_f64(),
            user,
            sys,
            peak_bytes,
        }
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Samples a process's peak memory (`VmHWM`) every 5 ms until stopped.
struct PeakSampler {
    peak: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
}

impl PeakSampler {
    fn start(pid: u32) -> Self {
        let (peak, stop) = (
            Arc::new(AtomicU64::new(0)),
            Arc::new(AtomicBool::new(false)),
        );
        let (max, done) = (Arc::clone(&peak), Arc::clone(&stop));
        thread::spawn(move || {
            while !done.load(Ordering::Relaxed) {
                match kernel::peak_memory(pid) {
                    Some(now) => max.fetch_max(now, Ordering::Relaxed),
                    None => break,
                };
                thread::sleep(Duration::from_millis(5));
            }
        });
        Self { peak, stop }
    }

    fn peak(&self) -> u64 {
        self.peak.load(Ordering::Relaxed)
    }

    fn stop(&self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// Sets the soft limit on open files of process `pid` (`None`: this one) to `soft`, or,
/// with `None`, as high as its hard limit allows; the hard limit stays this process's
/// (which a child inherited). Raised, a server or load generator holds thousands of
/// connections; lowered, a server runs out of descriptors on cue. Linux only.
pub fn set_descriptor_limit(pid: Option<u32>, soft: Option<u64>) -> io::Result<()> {
    #[cfg(target_os = "linux")]
    {
        use rustix::process::{Pid, Resource, Rlimit, getrlimit, prlimit};
        let pid = match pid {
            Some(pid) => Some(Pid::from_raw(pid as i32).ok_or(io::ErrorKind::InvalidInput)?),
            None => None,
        };
        let hard = getrlimit(Resource::Nofile).maximum;
        let limit = Rlimit {
            current: soft.or(hard),
            maximum: hard,
        };
        prlimit(pid, Resource::Nofile, limit)?;
        Ok(())
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = (pid, soft);
        Err(io::ErrorKind::Unsupported.into())
    }
}

/// This process's soft limit on open files (`None`: unlimited, or unknown here).
pub fn descriptor_limit() -> Option<u64> {
    #[cfg(target_os = "linux")]
    return rustix::process::getrlimit(rustix::process::Resource::Nofile).current;
    #[cfg(not(target_os = "linux"))]
    None
}

/// A TCP port on 127.0.0.1 that is free now (the system chose it for a socket that is
/// closed again at once), for a program that cannot be told to choose its own.
pub fn free_port() -> io::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

/// The port in a `Listening at ('127.0.0.1', 1060)` line, if the text has one: how the
/// port is learned where the kernel's socket tables cannot be read.
pub fn listening_port_in(text: &str) -> Option<u16> {
    let line = text
        .lines()
        .find(|l| l.starts_with("Listening") && l.contains(" at ('"))?;
    let after_host = line.split("', ").nth(1)?;
    let digits: String = after_host
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_port_of_the_listening_line() {
        assert_eq!(
            listening_port_in("Listening at ('0.0.0.0', 1060)\n"),
            Some(1060)
        );
        assert_eq!(
            listening_port_in("Listening at ('::1', 40000, 0, 0)\n"),
            Some(40000)
        );
        assert_eq!(listening_port_in("Listening at ("), None);
        assert_eq!(listening_port_in("Waiting\n"), None);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn learns_a_silent_servers_port_from_the_kernel() {
        // A server that prints nothing and listens where the system chooses.
        let mut command = Command::new("python3");
        command.args([
            "-c",
            "import socket,time\ns=socket.socket()\ns.bind(('127.0.0.1',0))\ns.listen(1)\ntime.sleep(60)",
        ]);
        let Ok(mut server) = Process::spawn(command) else {
            eprintln!("skipped: python3 is not installed");
            return;
        };
        let port = server.listening_port(Duration::from_secs(30)).unwrap();
        assert!(std::net::TcpStream::connect(("127.0.0.1", port)).is_ok());
        assert!(server.stdout.is_empty());
        server.kill();
        assert!(!server.running());
    }

    #[test]
    fn a_process_that_exits_before_listening_says_why() {
        let mut command = Command::new("sh");
        command.args(["-c", "echo cannot listen >&2; exit 3"]);
        let mut process = Process::spawn(command).unwrap();
        let error = process.listening_port(Duration::from_secs(30)).unwrap_err();
        assert!(error.contains("exited"), "{error}");
        assert!(error.contains("cannot listen"), "{error}");
    }

    #[test]
    fn finish_kills_a_hang_and_reports_it() {
        let mut command = Command::new("sh");
        command.args(["-c", "echo started; sleep 60"]);
        let process = Process::spawn(command).unwrap();
        process
            .stdout
            .wait_until(Duration::from_secs(30), |t| t.contains("started"));
        let error = process.finish(Duration::from_millis(100)).unwrap_err();
        assert!(error.contains("did not exit"), "{error}");
        assert!(error.contains("started"), "{error}");
    }
}
