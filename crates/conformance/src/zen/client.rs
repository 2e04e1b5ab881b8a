//! The client cases: a scripted server (the book's, as this crate plays it) and the
//! checks of what a Zen client sends and prints.

use super::*;

/// A case that runs a client against a scripted server.
pub struct ClientCase {
    pub id: &'static str,
    pub title: &'static str,
    /// The client's extra arguments (`-e`).
    pub args: &'static [&'static str],
    pub run: fn(RunClient<'_>) -> Result<(), String>,
}

pub const CLIENT_CASES: &[ClientCase] = &[
    ClientCase {
        id: "client-asks-three-questions",
        title: "the client asks each question once, one at a time, prints each with its answer, and closes",
        args: &[],
        run: client_asks_three,
    },
    ClientCase {
        id: "client-answers-in-pieces",
        title: "answers that arrive one byte at a time are read to their '.'",
        args: &[],
        run: client_answers_in_pieces,
    },
    ClientCase {
        id: "client-cause-an-error",
        title: "client -e sends the first question without its ? and closes, printing nothing",
        args: &["-e"],
        run: client_cause_an_error,
    },
    ClientCase {
        id: "client-server-closes-early",
        title: "a server that closes after the first question: the client fails (exit status not 0)",
        args: &[],
        run: client_server_closes_early,
    },
];

/// What a scripted server saw: each question the client sent (the bytes read up to each
/// `?`), and whether the client closed.
type Script = thread::JoinHandle<Result<(Vec<Vec<u8>>, bool), String>>;

/// A scripted server for one client: answers each question as the oracle says
/// (`dribble`: one byte at a time), or closes after `close_after` questions. Returns what
/// the client sent, piece by piece as the server read each question, and whether the
/// client closed.
fn scripted_server(dribble: bool, close_after: Option<usize>) -> (u16, Script) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a scripted server");
    let port = listener.local_addr().map(|a| a.port()).unwrap_or(0);
    let server = thread::spawn(move || {
        let (mut sock, _) = listener.accept().map_err(|e| e.to_string())?;
        sock.set_read_timeout(Some(crate::patience()))
            .map_err(|e| e.to_string())?;
        sock.set_nodelay(true).map_err(|e| e.to_string())?;
        let mut questions = Vec::new();
        let mut message = Vec::new();
        let mut buf = [0; 4096];
        loop {
            let n = match sock.read(&mut buf) {
                Ok(n) => n,
                Err(error) => return Err(format!("the client went silent: {error}")),
            };
            if n == 0 {
                if !message.is_empty() {
                    questions.push(message);
                }
                return Ok((questions, true));
            }
            message.extend_from_slice(&buf[..n]);
            if message.ends_with(b"?") {
                let question = std::mem::take(&mut message);
                let reply = answer(&question);
                questions.push(question);
                if close_after == Some(questions.len()) {
                    return Ok((questions, false));
                }
                if dribble {
                    for byte in reply {
                        sock.write_all(&[*byte]).map_err(|e| e.to_string())?;
                        thread::sleep(Duration::from_millis(1));
                    }
                } else {
                    sock.write_all(reply).map_err(|e| e.to_string())?;
                }
            }
        }
    });
    (port, server)
}

/// Checks a client's printed lines: each question once, each with its right answer.
pub fn check_client_output(stdout: &str) -> Result<(), String> {
    let lines: Vec<&str> = stdout.lines().collect();
    if lines.len() != 3 {
        return Err(format!("expected 3 lines, got {stdout:?}"));
    }
    let mut seen = Vec::new();
    for line in lines {
        let pair = APHORISMS
            .iter()
            .find(|(q, a)| line == format!("{} {}", PyBytes(q), PyBytes(a)));
        match pair {
            Some((q, _)) if !seen.contains(q) => seen.push(*q),
            Some(_) => return Err(format!("a question printed twice: {line:?}")),
            None => {
                return Err(format!(
                    "not a question and its answer as Python prints them: {line:?}"
                ));
            }
        }
    }
    Ok(())
}

fn client_asks_three(run: RunClient<'_>) -> Result<(), String> {
    client_against_script(run, false)
}

fn client_answers_in_pieces(run: RunClient<'_>) -> Result<(), String> {
    client_against_script(run, true)
}

fn client_against_script(run: RunClient<'_>, dribble: bool) -> Result<(), String> {
    let (port, server) = scripted_server(dribble, None);
    let result = run(port, 0, &[]);
    let (questions, closed) = server.join().map_err(|_| "server thread panicked")??;
    if !result.success {
        return Err(format!("the client failed: {}", result.stderr.trim()));
    }
    let mut sorted = questions.clone();
    sorted.sort();
    let mut expected: Vec<Vec<u8>> = APHORISMS.iter().map(|(q, _)| q.to_vec()).collect();
    expected.sort();
    if sorted != expected {
        let shown: Vec<String> = questions.iter().map(|q| PyBytes(q).to_string()).collect();
        return Err(format!(
            "the client sent {shown:?}: not the three questions, one at a time, each once"
        ));
    }
    if !closed {
        return Err("the client did not close its connection".into());
    }
    check_client_output(&result.stdout)
}

fn client_cause_an_error(run: RunClient<'_>) -> Result<(), String> {
    let (port, server) = scripted_server(false, None);
    let result = run(port, 0, &["-e"]);
    let (questions, closed) = server.join().map_err(|_| "server thread panicked")??;
    if !result.success {
        return Err(format!("client -e failed: {}", result.stderr.trim()));
    }
    if questions != [CUT_QUESTION.to_vec()] || !closed {
        let shown: Vec<String> = questions.iter().map(|q| PyBytes(q).to_string()).collect();
        return Err(format!(
            "client -e sent {shown:?} (closed: {closed}); expected b'Beautiful is better than' then its end of file"
        ));
    }
    if !result.stdout.is_empty() {
        return Err(format!("client -e printed {:?}", result.stdout));
    }
    Ok(())
}

fn client_server_closes_early(run: RunClient<'_>) -> Result<(), String> {
    let (port, server) = scripted_server(false, Some(1));
    let result = run(port, 0, &[]);
    server.join().map_err(|_| "server thread panicked")??;
    if result.success {
        return Err("the client succeeded although the server closed early".into());
    }
    Ok(())
}
