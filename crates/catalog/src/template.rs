//! A session's command lines as templates of words, written once in a listing's row
//! ([`crate::Commands`]): `cargo xtask run` renders each both as the command it runs and
//! as the `$` line it shows, and `cargo xtask transcripts` reads the ports back out of a
//! shown line by the same template, instead of guessing where they are.
//!
//! The tokens, each a word of its own unless said otherwise:
//! - `{bin}`: the listing's binary; `{client}`: the binary of its family's client;
//! - `{-p}`: `-p PORT`, two words, left out of the shown line at the book's port (as the
//!   book's commands leave it);
//! - `{port}`: the port, inside a word too (`127.0.0.1:{port}`);
//! - `{server_args}`, `{args}`: the server's extra arguments and the client's, any number
//!   of words.

/// The book's port, which a shown command leaves out.
pub const BOOK_PORT: u16 = 1060;

/// What a template's tokens stand for in one session.
#[derive(Clone, Copy, Debug)]
pub struct Values<'a> {
    pub bin: &'a str,
    pub client: &'a str,
    pub port: u16,
    pub server_args: &'a [String],
    pub args: &'a [String],
}

/// The words of `template` with its tokens filled in. `shown`: the `$` line a reader
/// sees, where `{-p}` at the book's port is left out; otherwise the command to run, which
/// always names its port.
pub fn render(template: &str, values: &Values<'_>, shown: bool) -> Vec<String> {
    let mut words = Vec::new();
    for word in template.split_whitespace() {
        match word {
            "{bin}" => words.push(values.bin.to_string()),
            "{client}" => words.push(values.client.to_string()),
            "{-p}" if shown && values.port == BOOK_PORT => {}
            "{-p}" => words.extend(["-p".to_string(), values.port.to_string()]),
            "{server_args}" => words.extend(values.server_args.iter().cloned()),
            "{args}" => words.extend(values.args.iter().cloned()),
            word => words.push(word.replace("{port}", &values.port.to_string())),
        }
    }
    words
}

/// One token of a template, as a shown line matched it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Matched<'a> {
    /// A word that is not a port.
    Word(&'a str),
    /// `{-p}`: `-p PORT`, or nothing (the book's port).
    DashP(Option<u16>),
    /// A word that holds `{port}`: what came before and after it, and the port.
    Port {
        before: &'a str,
        port: u16,
        after: &'a str,
    },
}

/// Matches the words of a shown line against `template`, whose `{bin}` and `{client}`
/// are `bin` and `client`: each token's match, in order, or `None` if the line is not
/// that template's.
pub fn read<'a>(
    template: &str,
    bin: &str,
    client: &str,
    line: &[&'a str],
) -> Option<Vec<Matched<'a>>> {
    let tokens: Vec<&str> = template.split_whitespace().collect();
    let mut out = Vec::new();
    read_from(&tokens, bin, client, line, &mut out).then_some(out)
}

fn read_from<'a>(
    tokens: &[&str],
    bin: &str,
    client: &str,
    line: &[&'a str],
    out: &mut Vec<Matched<'a>>,
) -> bool {
    let Some((&token, rest)) = tokens.split_first() else {
        return line.is_empty();
    };
    let mark = out.len();
    let attempt = |taken: usize, matched: Vec<Matched<'a>>, out: &mut Vec<Matched<'a>>| {
        out.truncate(mark);
        out.extend(matched);
        read_from(rest, bin, client, &line[taken..], out)
    };
    match token {
        "{args}" | "{server_args}" => {
            // As few words as let the rest match.
            (0..=line.len()).any(|n| {
                let words = line[..n].iter().map(|w| Matched::Word(w)).collect();
                attempt(n, words, out)
            })
        }
        "{-p}" => {
            let given = match line {
                ["-p", port, ..] => port.parse::<u16>().ok(),
                _ => None,
            };
            given.is_some_and(|port| attempt(2, vec![Matched::DashP(Some(port))], out))
                || attempt(0, vec![Matched::DashP(None)], out)
        }
        _ => {
            let Some(&word) = line.first() else {
                return false;
            };
            let literal = match token {
                "{bin}" => bin,
                "{client}" => client,
                token => token,
            };
            if let Some((before, after)) = literal.split_once("{port}") {
                let port = word
                    .strip_prefix(before)
                    .and_then(|w| w.strip_suffix(after))
                    .and_then(|p| p.parse::<u16>().ok());
                match port {
                    Some(port) => {
                        let cut = word.len() - after.len();
                        let matched = Matched::Port {
                            before: &word[..before.len()],
                            port,
                            after: &word[cut..],
                        };
                        attempt(1, vec![matched], out)
                    }
                    None => false,
                }
            } else {
                word == literal && attempt(1, vec![Matched::Word(word)], out)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values<'a>(port: u16, server_args: &'a [String], args: &'a [String]) -> Values<'a> {
        Values {
            bin: "tcp_deadlock",
            client: "zen_client",
            port,
            server_args,
            args,
        }
    }

    #[test]
    fn a_template_renders_as_run_and_as_shown() {
        let args = ["32".to_string()];
        let template = "{bin} client localhost {args} {-p}";
        let at = |port| values(port, &[], &args);
        assert_eq!(
            render(template, &at(5000), false),
            ["tcp_deadlock", "client", "localhost", "32", "-p", "5000"]
        );
        assert_eq!(
            render(template, &at(1060), true).join(" "),
            "tcp_deadlock client localhost 32"
        );
        assert_eq!(render(template, &at(1060), false).len(), 6);
        let inetd = "systemd-socket-activate --inetd -l 127.0.0.1:{port} {bin}";
        assert_eq!(
            render(inetd, &at(7), true).join(" "),
            "systemd-socket-activate --inetd -l 127.0.0.1:7 tcp_deadlock"
        );
    }

    #[test]
    fn a_shown_line_is_read_back_by_its_template() {
        let words = |line: &'static str| line.split(' ').collect::<Vec<_>>();
        let template = "{bin} client localhost {args} {-p}";
        let read = |line| read(template, "tcp_deadlock", "zen_client", &words(line));
        assert_eq!(
            read("tcp_deadlock client localhost 32 -p 41000"),
            Some(vec![
                Matched::Word("tcp_deadlock"),
                Matched::Word("client"),
                Matched::Word("localhost"),
                Matched::Word("32"),
                Matched::DashP(Some(41000)),
            ])
        );
        assert_eq!(
            read("tcp_deadlock client localhost").map(|m| m.len()),
            Some(4)
        );
        assert_eq!(read("tcp_deadlock server localhost"), None);
        assert_eq!(read("zen_client client localhost"), None);
        let tls = "{bin} {server_args} -s certs/localhost.pem 127.0.0.1 {port}";
        let matched = super::read(
            tls,
            "safe_tls",
            "",
            &words("safe_tls -s certs/localhost.pem 127.0.0.1 0"),
        )
        .unwrap();
        assert_eq!(
            matched.last(),
            Some(&Matched::Port {
                before: "",
                port: 0,
                after: ""
            })
        );
        let inetd = "systemd-socket-activate --inetd -a -l 127.0.0.1:{port} {bin} --log zen.log {server_args}";
        let matched = super::read(
            inetd,
            "in_zen1",
            "",
            &words("systemd-socket-activate --inetd -a -l 127.0.0.1:4242 in_zen1 --log zen.log"),
        )
        .unwrap();
        assert!(matched.contains(&Matched::Port {
            before: "127.0.0.1:",
            port: 4242,
            after: ""
        }));
    }
}
