//! The sessions of servers of one connection. Chapter 5's: the server serves one
//! connection in the background, the client runs with `-c`, then `wait` for the server to
//! exit and show what it printed. Chapter 6's: the same, after `cargo xtask certs certs`
//! in a scratch directory, with the server given `-s certs/localhost.pem` and the client
//! `-a certs/ca.crt`.

use std::path::Path;
use std::process::{Command, ExitCode};

use catalog::Listing;

use super::{
    Args, SERVER_STEP, Started, Templated, exit_code, flush, run_client, show_log, start_server,
};

/// A server of one connection and its client, from the row's templates, and where both
/// run (Chapter 6's: in the scratch directory that holds the certificates).
struct Session<'a> {
    server: Templated<'a>,
    client: Templated<'a>,
    cwd: Option<&'a Path>,
}

impl Session<'_> {
    fn command(&self, line: &Templated<'_>, port: u16) -> Command {
        let mut command = line.command(port);
        if let Some(cwd) = self.cwd {
            command.current_dir(cwd);
        }
        command
    }
}

pub fn one_shot(
    listing: &Listing,
    dir: &Path,
    args: &[String],
    options: &Args,
) -> Result<ExitCode, String> {
    let server_args = options.server_args();
    // Chapter 6's: certificates first, in a scratch directory that both programs run in.
    let scratch = if listing.needs.certificates {
        Some(certificates(dir)?)
    } else {
        None
    };
    let session = Session {
        server: Templated::of(listing, true, dir, "", &server_args, &[])?,
        client: Templated::of(listing, false, dir, "", &[], args)?,
        cwd: scratch.as_ref().map(|s| s.path()),
    };
    serve_once(session, options)
}

/// `cargo xtask certs certs`, in a scratch directory: the directory.
fn certificates(dir: &Path) -> Result<tempfile::TempDir, String> {
    let scratch = tempfile::tempdir().map_err(|e| format!("no scratch directory: {e}"))?;
    let (_, maker) = catalog::CERTIFICATE_MAKER;
    outln!("$ cargo xtask certs certs");
    flush();
    let status = Command::new(dir.join(maker))
        .arg("certs")
        .current_dir(scratch.path())
        .status()
        .map_err(|e| format!("cannot start {maker}: {e}"))?;
    if !status.success() {
        return Err(format!("{maker} failed ({status})"));
    }
    Ok(scratch)
}

fn serve_once(session: Session<'_>, options: &Args) -> Result<ExitCode, String> {
    let Started {
        mut server,
        port,
        asked,
    } = start_server(options.port, true, |port| {
        session.command(&session.server, port)
    })?;
    outln!("$ {} > server.log &", session.server.shown(asked));
    outln!("$ {}", session.client.shown(port));
    flush();
    let client_status = match run_client(session.command(&session.client, port), &mut server)? {
        Ok(status) => status,
        Err(stalled) => return Ok(stalled),
    };
    outln!("$ wait");
    flush();
    let server_status = server.wait_exit(SERVER_STEP);
    if server_status.is_none() {
        server.kill();
    }
    server.stdout.wait_closed(SERVER_STEP);
    server.stderr.wait_closed(SERVER_STEP);
    show_log("server.log", &server.stdout.text());
    // What the server said on its standard error went to the terminal.
    out!("{}", server.stderr.text());
    flush();
    Ok(match (client_status, server_status) {
        (Some(0), Some(status)) => exit_code(status.code()),
        (Some(0), None) => {
            outln!("# the server did not exit within {SERVER_STEP:?}");
            ExitCode::FAILURE
        }
        (status, _) => exit_code(status),
    })
}
