//! The super-server that runs the inetd pair (`in_zen1`, `in_zen2`): a real one,
//! `systemd-socket-activate`, which comes with systemd. Its `--inetd` mode hands the
//! program its socket as standard input, as inetd(8) does.

use std::path::Path;
use std::process::{Command, Stdio};

/// The super-server's program name.
pub const SUPER_SERVER: &str = "systemd-socket-activate";

/// Why the inetd servers cannot run here, when [`installed`] says no.
pub const MISSING: &str = "systemd-socket-activate is not installed (it comes with systemd)";

/// Whether the super-server can be started here.
pub fn installed() -> bool {
    Command::new(SUPER_SERVER)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok()
}

/// [`installed`], for a test: if not, says on stderr that the test is skipped and why.
pub fn installed_or_skip() -> bool {
    let found = installed();
    if !found {
        eprintln!("skipped: {MISSING}");
    }
    found
}

/// `systemd-socket-activate --inetd [-a] -l 127.0.0.1:PORT PROGRAM`: with `accept`, inetd's
/// `nowait` (`-a`: a process per connection, the connection on standard input, as
/// `in_zen1` wants); without, `wait` (one process, the listening socket on standard
/// input, as `in_zen2` wants). The program's own arguments are added after this.
pub fn command(accept: bool, port: u16, program: &Path) -> Command {
    let mut command = Command::new(SUPER_SERVER);
    command.arg("--inetd");
    if accept {
        command.arg("-a");
    }
    command
        .args(["-l", &format!("127.0.0.1:{port}")])
        .arg(program);
    command
}
