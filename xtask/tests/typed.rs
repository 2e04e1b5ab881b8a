//! Every session, typed as its `output.txt` prints it, works: each server or stand-in
//! started in the background by its `$` line, exactly as shown, listens on the book's
//! 1060, the port its clients' lines name. (A line that leaves `-p` out relies on the
//! program's default: `timeapp_raw`'s is 8000, so its line must say `-p 1060`.)
//!
//! Port 1060 is the book's and may be taken on this machine, so each line runs in a
//! network namespace of its own (`unshare -n`), with only its loopback; where that is
//! refused, the test says so and skips.

mod common;

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use common::*;

/// Every backgrounded `$` line of every recorded session that a shell can type as it is
/// (`PROGRAM ARGS > LOG &`), but those that read certificates made for the session and
/// those run under a super-server.
fn background_lines(root: &Path) -> BTreeSet<String> {
    let mut lines = BTreeSet::new();
    for listing in catalog::recorded_crates() {
        let Ok(text) = std::fs::read_to_string(root.join(listing.dir()).join("output.txt")) else {
            continue;
        };
        for line in text.lines() {
            if let Some(command) = line.strip_prefix("$ ").and_then(|l| l.strip_suffix(" &"))
                && command.contains(" > ")
                && !command.contains("certs/")
                && !command.starts_with("systemd-socket-activate")
            {
                lines.insert(command.to_string());
            }
        }
    }
    lines
}

#[test]
fn every_background_line_typed_as_shown_listens_on_the_books_port() {
    if !Command::new("unshare")
        .args(["-n", "true"])
        .output()
        .is_ok_and(|o| o.status.success())
    {
        println!("skipped: unshare -n is refused here (it needs root or user namespaces)");
        return;
    }
    build_every_listing();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let bin_dir = Path::new(XTASK).parent().unwrap().to_path_buf();
    let lines = background_lines(&root);
    assert!(lines.len() > 20, "only {} lines found", lines.len());
    let mut wrong = Vec::new();
    for command in &lines {
        let log = command.rsplit(" > ").next().unwrap();
        let scratch = tempfile::tempdir().unwrap();
        // The line as a reader types it, then whether a socket of the namespace is bound
        // to port 1060 (0x0424 in /proc/net), looked for until it is, for 10 s at most.
        let script = format!(
            "ip link set lo up && {command} 2>&1 &\n\
             for _ in $(seq 200); do\n\
               if grep -q ':0424 ' /proc/net/tcp /proc/net/tcp6 /proc/net/udp /proc/net/udp6; \
               then echo 'bound to 1060'; break; fi\n\
               sleep 0.05\n\
             done\n\
             kill %1\n\
             cat {log}"
        );
        let mut shell = Command::new("unshare");
        shell
            .args(["-n", "bash", "-c", &script])
            .current_dir(scratch.path())
            .env(
                "PATH",
                format!(
                    "{}:{}",
                    bin_dir.display(),
                    std::env::var("PATH").unwrap_or_default()
                ),
            );
        let (_, stdout, stderr) = testkit::Process::spawn(shell)
            .unwrap()
            .finish(Duration::from_secs(30))
            .unwrap();
        if !stdout.starts_with("bound to 1060\n") {
            wrong.push(format!("$ {command} &\n  logged {stdout:?} {stderr}"));
        }
    }
    assert!(
        wrong.is_empty(),
        "typed as shown, these do not listen on 1060:\n{}",
        wrong.join("\n")
    );
}
