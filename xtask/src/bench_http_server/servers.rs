//! The servers of `bench http` and how each is started: the three ports, and the book's
//! `timeapp_raw.py` under wsgiref and gunicorn where `--book DIR` and `--python` allow.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use testkit::Process;

/// How long a server may take to listen.
const READY: Duration = Duration::from_secs(30);

/// How `wsgiref` serves the book's app, as the chapter runs it.
const WSGIREF: &str = "import sys; sys.path.insert(0, sys.argv[1]); \
from wsgiref.simple_server import make_server; import timeapp_raw; \
make_server('127.0.0.1', int(sys.argv[2]), timeapp_raw.app).serve_forever()";

/// How a server is started.
#[derive(Clone, Debug)]
pub enum Start {
    /// A port's binary, `BIN -p 0`.
    Port(&'static str),
    /// The book's app in `chapter` under gunicorn, `--threads N` with the gthread
    /// worker; `no_control`: this gunicorn has `--no-control-socket` (27 and later).
    Gunicorn {
        chapter: PathBuf,
        threads: Option<usize>,
        no_control: bool,
    },
    /// The book's app in `chapter` under wsgiref.
    Wsgiref { chapter: PathBuf },
}

#[derive(Clone, Debug)]
pub struct Server {
    pub name: String,
    pub start: Start,
}

/// Whether `python` runs `args` successfully.
fn python_runs(python: &str, args: &[&str]) -> bool {
    Command::new(python)
        .args(args)
        .output()
        .is_ok_and(|o| o.status.success())
}

/// The servers: the three ports, then the Python peers where `book` and `python` allow;
/// each peer left out is said in `left_out`, with why.
pub fn servers(
    book: Option<&Path>,
    python: &str,
    left_out: &mut Vec<String>,
) -> Result<Vec<Server>, String> {
    let mut servers: Vec<Server> = ["timeapp_raw", "timeapp_werkz", "timeapp_webob"]
        .into_iter()
        .map(|bin| Server {
            name: bin.to_string(),
            start: Start::Port(bin),
        })
        .collect();
    let Some(book) = book else {
        left_out.push(
            "the book's timeapp_raw.py under gunicorn and wsgiref: no --book DIR given (the \
             book's code is not in this repository; clone brandon-rhodes/fopnp and pass it)"
                .into(),
        );
        return Ok(servers);
    };
    let chapter = chapter_dir(book)?;
    if !python_runs(python, &["-c", "import wsgiref.simple_server"]) {
        left_out.push(format!(
            "the book's timeapp_raw.py under gunicorn and wsgiref: cannot run {python} (--python PATH)"
        ));
        return Ok(servers);
    }
    servers.push(Server {
        name: "wsgiref (book)".into(),
        start: Start::Wsgiref {
            chapter: chapter.clone(),
        },
    });
    if !python_runs(python, &["-c", "import gunicorn"]) {
        left_out.push(format!(
            "the book's app under gunicorn: {python} cannot import gunicorn (pip install gunicorn, or --python PATH)"
        ));
        return Ok(servers);
    }
    let no_control = Command::new(python)
        .args(["-m", "gunicorn", "--help"])
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains("--no-control-socket"));
    for (name, threads) in [
        ("gunicorn sync (book)", None),
        ("gunicorn gthread x4 (book)", Some(4)),
    ] {
        servers.push(Server {
            name: name.into(),
            start: Start::Gunicorn {
                chapter: chapter.clone(),
                threads,
                no_control,
            },
        });
    }
    Ok(servers)
}

/// The folder that holds `timeapp_raw.py`: DIR itself, or its `py3/chapter10`.
pub fn chapter_dir(book: &Path) -> Result<PathBuf, String> {
    for dir in [book.to_path_buf(), book.join("py3").join("chapter10")] {
        if dir.join("timeapp_raw.py").is_file() {
            return Ok(dir);
        }
    }
    Err(format!(
        "no timeapp_raw.py in {} or its py3/chapter10",
        book.display()
    ))
}

/// Starts `server` (a port's binary from `dir`, a peer on `python` with `HOME` at
/// `home`) and waits until it listens.
pub fn start(
    server: &Server,
    dir: &Path,
    python: &str,
    home: &Path,
) -> Result<(Process, u16), String> {
    let started = match &server.start {
        Start::Port(bin) => {
            let mut command = Command::new(dir.join(bin));
            command.args(["-p", "0"]);
            Process::server(command, READY)
        }
        Start::Gunicorn {
            chapter,
            threads,
            no_control,
        } => Process::server_on_free_port(
            |port| {
                let mut command = Command::new(python);
                command.env("HOME", home).args(["-m", "gunicorn"]);
                if *no_control {
                    command.arg("--no-control-socket");
                }
                if let Some(threads) = threads {
                    command.args(["-k", "gthread", "--threads", &threads.to_string()]);
                }
                command
                    .args(["-b", &format!("127.0.0.1:{port}"), "--chdir"])
                    .arg(chapter)
                    .arg("timeapp_raw:app");
                command
            },
            READY,
        ),
        Start::Wsgiref { chapter } => Process::server_on_free_port(
            |port| {
                let mut command = Command::new(python);
                command
                    .args(["-c", WSGIREF])
                    .arg(chapter)
                    .arg(port.to_string());
                command
            },
            READY,
        ),
    };
    started.map_err(|e| format!("{}: {e}", server.name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_book_s_folder_is_found_at_its_root_or_its_chapter() {
        let dir = tempfile::tempdir().unwrap();
        let chapter = dir.path().join("py3").join("chapter10");
        std::fs::create_dir_all(&chapter).unwrap();
        assert!(chapter_dir(dir.path()).is_err());
        std::fs::write(chapter.join("timeapp_raw.py"), "").unwrap();
        assert_eq!(chapter_dir(dir.path()).unwrap(), chapter);
        assert_eq!(chapter_dir(&chapter).unwrap(), chapter);
    }
}
