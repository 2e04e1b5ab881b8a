//! What varies from run to run in a session, made stable for its recording: the ports,
//! the first `recv()`, the order of the Zen questions, and the timings.

use std::collections::HashMap;

use catalog::template::{self, Matched};
use catalog::{Listing, Runs};
use conformance::zen::APHORISMS;
use fopnp::PyBytes;

/// Makes a session's text the same from run to run: progress lines rendered as a
/// terminal shows them; the ports the system chose replaced by the book's 1060 for the
/// server and fixed example values for clients; the size of the first `recv()` and the
/// order of the Zen questions as in the book's sessions; and udp-flood's timings and
/// slow-reader counts, and close-vs-shutdown's wake-up time, marked `[varies]`.
pub fn normalise(text: &str, listing: Option<&Listing>) -> String {
    let rendered = fopnp::progress::render(text).join("\n");
    // `# port N is busy here; ...` is about the machine (another session took the port
    // that was free a moment before), not about the listing.
    let mut lines: Vec<String> = rendered
        .lines()
        .filter(|l| !(l.starts_with("# port ") && l.contains(" is busy here; ")))
        .map(str::to_string)
        .collect();

    // The command lines, read by the listing's own templates: every port in them is the
    // server's, shown as the book's 1060 (`-p 1060` left out, as the book leaves it).
    let mut ports: HashMap<u16, u16> = HashMap::new();
    ports.insert(0, 1060); // `('localhost', 0)`: the address as given to a server run with -p 0
    if let Some(listing) = listing {
        for line in &mut lines {
            if let Some((shown, found)) = as_the_book_shows(line, listing) {
                *line = shown;
                ports.extend(found.into_iter().map(|port| (port, 1060)));
            }
        }
    }
    let mut next = 41794u16;
    for line in &mut lines {
        *line = replace_ports(line, &mut ports, &mut next);
    }
    // A listing that names the stand-in's port in words (`is listening on port 41606`),
    // in its address (`http://127.0.0.1:41606/get`, the Host an httpbin echoes) or as
    // WSGI's SERVER_PORT: the port the command lines named, shown as they show it.
    for line in lines.iter_mut().filter(|l| !l.starts_with("$ ")) {
        for (&real, &shown) in ports
            .iter()
            .filter(|(real, shown)| **real != 0 && real != shown)
        {
            let said = format!("port {real}");
            if line.ends_with(&said) {
                let at = line.len() - said.len();
                line.replace_range(at.., &format!("port {shown}"));
            }
            *line = with_port(
                line,
                &format!("127.0.0.1:{real}"),
                &format!("127.0.0.1:{shown}"),
            );
            // wsgi_env's environ: the port the request came to.
            *line = line.replace(
                &format!("'SERVER_PORT': '{real}'"),
                &format!("'SERVER_PORT': '{shown}'"),
            );
        }
    }

    // Listing 3-2: the first recv() returns 16 to 42 bytes as timing has it; the book's
    // session shows 32 (or all of a shorter reply).
    let received: usize = lines
        .iter()
        .rev()
        .find_map(|l| {
            l.strip_prefix("  ")?
                .strip_suffix(" bytes received")?
                .parse()
                .ok()
        })
        .unwrap_or(0);
    for line in &mut lines {
        if line.starts_with("  The first data received says b'CAPITALIZE") {
            let first = conformance::stream::stream(conformance::stream::REPLY, received.min(32));
            *line = format!("  The first data received says {}", PyBytes(&first));
        }
    }

    // Chapter 7: the client asks its questions in random order; the book's session
    // shows Simple, Explicit, Beautiful.
    let book_order = [2, 1, 0];
    let is_pair = |l: &str| {
        APHORISMS
            .iter()
            .any(|(q, a)| l == format!("{} {}", PyBytes(q), PyBytes(a)))
    };
    let mut i = 0;
    while i + 3 <= lines.len() {
        if lines[i..i + 3].iter().all(|l| is_pair(l)) {
            for (k, &index) in book_order.iter().enumerate() {
                let (q, a) = APHORISMS[index];
                lines[i + k] = format!("{} {}", PyBytes(q), PyBytes(a));
            }
            i += 3;
        } else {
            i += 1;
        }
    }

    // udp-flood: the slow reader's luck and the longest blocked send() vary.
    let mut in_slow_round = false;
    for line in &mut lines {
        if line.starts_with("round 2:") {
            in_slow_round = true;
        } else if line.starts_with("the same over TCP") {
            in_slow_round = false;
        }
        if in_slow_round && (line.starts_with("  receiver: ") || line.starts_with("  lost: ")) {
            *line = vary_numbers(line);
        }
        if line.contains(" blocked ") && line.contains(" ms") {
            *line = vary_before(line, " ms");
        }
        // close-vs-shutdown: how soon the blocked reader woke.
        if line.contains(" ms after the shutdown") {
            *line = vary_before(line, " ms after the shutdown");
        }
        if line.starts_with("verdict: holds — UDP dropped ") {
            *line = vary_before(&vary_before(line, " for a slow one"), " ms)");
        }
    }
    // udp_local: the time the client sent.
    for line in &mut lines {
        if let Some(at) = line.find("'The time is ") {
            let start = at + "'The time is ".len();
            if let Some(len) = line[start..].find('\'') {
                line.replace_range(start..start + len, "[varies]");
            }
        }
    }

    // Chapter 10's time apps: ctime() (`Tue Dec  1 23:09:37 2026`).
    for line in &mut lines {
        *line = vary_ctime(line);
    }

    // streamer: how the kernel cut the stream into pieces varies (96, 31 + 65, ...): one
    // line stands for them all.
    let piece = |l: &str| {
        l.strip_prefix("Received ")
            .and_then(|l| l.strip_suffix(" bytes"))
            .is_some_and(|n| n.parse::<u64>().is_ok())
    };
    lines.dedup_by(|b, a| piece(a) && piece(b));
    for line in lines.iter_mut().filter(|l| piece(l)) {
        *line = "Received [varies] bytes".into();
    }
    let mut out = lines.join("\n");
    out.push('\n');
    out
}

/// A `$` line of `listing`'s session, read by its row's server or client template: the
/// line with its ports shown as the book's, and the ports it named. `None`: not one of
/// the row's command lines (`$ cat server.log`, `$ wait`).
fn as_the_book_shows(line: &str, listing: &Listing) -> Option<(String, Vec<u16>)> {
    let shown = line.strip_prefix("$ ")?;
    let (template, bin, client, tail, shown) =
        templates(listing)
            .into_iter()
            .find_map(|(template, bin, client, tail)| {
                let words = shown.strip_suffix(&tail)?;
                // A step's line has no tail: it must not be read as a backgrounded one.
                if tail.is_empty() && words.ends_with(" &") {
                    return None;
                }
                let words: Vec<&str> = words.split(' ').collect();
                template::read(template, bin, &client, &words)?;
                Some((template, bin, client, tail, words))
            })?;
    let matched = template::read(template, bin, &client, &shown)?;
    let mut out = Vec::new();
    let mut found = Vec::new();
    for piece in matched {
        match piece {
            Matched::Word(word) => out.push(word.to_string()),
            Matched::DashP(port) => found.extend(port),
            Matched::Port {
                before,
                port,
                after,
            } => {
                found.push(port);
                out.push(format!("{before}1060{after}"));
            }
        }
    }
    Some((format!("$ {}{tail}", out.join(" ")), found))
}

/// The templates of `listing`'s shown lines: its server's (run in the background, the
/// line ending ` > server.log &` or ` &`) and its client's, or its steps' and their
/// stand-in's; each with the binaries its `{bin}` and `{client}` name, and its tail.
fn templates(listing: &Listing) -> Vec<(&'static str, &'static str, String, String)> {
    let bin = listing.bin().unwrap_or_default();
    let client = listing
        .family
        .and_then(catalog::client_of)
        .and_then(Listing::bin)
        .unwrap_or_default()
        .to_string();
    // A session of steps is read by its steps' templates, even where the row names a
    // server's command line too (wsgi_env's, for conform).
    let steps = matches!(listing.runs, Runs::Steps { .. } | Runs::Tour);
    match listing.commands.filter(|_| !steps) {
        Some(commands) => [" > server.log &", " &"]
            .into_iter()
            .map(|tail| (commands.server, bin, client.clone(), tail.to_string()))
            .chain([(commands.client, bin, client.clone(), String::new())])
            .collect(),
        None => crate::run::steps::templates(listing)
            .into_iter()
            .map(|(template, bin, client, tail)| (template, bin, client.to_string(), tail))
            .collect(),
    }
}

/// Replaces the port of every Python address tuple in `line` (`('127.0.0.1', 41234`) by
/// its stable stand-in: the one it already has, or the next of the example values.
fn replace_ports(line: &str, ports: &mut HashMap<u16, u16>, next: &mut u16) -> String {
    testkit::replace_ports(line, |port| {
        let stand_in = *ports.entry(port).or_insert_with(|| {
            let value = *next;
            *next += 14;
            value
        });
        stand_in.to_string()
    })
}

/// `line` with each `address` (`127.0.0.1:41606`) that no digit follows as `shown`.
fn with_port(line: &str, address: &str, shown: &str) -> String {
    let mut out = String::new();
    let mut rest = line;
    while let Some(at) = rest.find(address) {
        let end = at + address.len();
        let whole = !rest[end..].starts_with(|c: char| c.is_ascii_digit());
        out.push_str(&rest[..at]);
        out.push_str(if whole { shown } else { address });
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

/// Each `time.ctime()` in `line` (`Tue Dec  1 23:09:37 2026`, 24 bytes) as `[varies]`.
fn vary_ctime(line: &str) -> String {
    let shape = |t: &[u8]| {
        let alpha = |r: std::ops::Range<usize>| t[r].iter().all(u8::is_ascii_alphabetic);
        let digits = |r: std::ops::Range<usize>| t[r].iter().all(u8::is_ascii_digit);
        t.len() == 24
            && alpha(0..3)
            && t[3] == b' '
            && alpha(4..7)
            && t[7] == b' '
            && (t[8] == b' ' || t[8].is_ascii_digit())
            && digits(9..10)
            && t[10] == b' '
            && digits(11..13)
            && t[13] == b':'
            && digits(14..16)
            && t[16] == b':'
            && digits(17..19)
            && t[19] == b' '
            && digits(20..24)
    };
    let bytes = line.as_bytes();
    let mut out = String::new();
    let mut i = 0;
    while i < bytes.len() {
        if i + 24 <= bytes.len()
            && line.is_char_boundary(i)
            && line.is_char_boundary(i + 24)
            && shape(&bytes[i..i + 24])
        {
            out.push_str("[varies]");
            i += 24;
        } else {
            let c = line[i..].chars().next().unwrap_or(' ');
            out.push(c);
            i += c.len_utf8();
        }
    }
    out
}

/// Every number in `line` as `[varies]`.
fn vary_numbers(line: &str) -> String {
    let mut out = String::new();
    let mut in_number = false;
    for c in line.chars() {
        if c.is_ascii_digit() || (in_number && c == '.') {
            if !in_number {
                out.push_str("[varies]");
                in_number = true;
            }
        } else {
            in_number = false;
            out.push(c);
        }
    }
    out
}

/// The number just before `marker` in `line` as `[varies]`.
fn vary_before(line: &str, marker: &str) -> String {
    let Some(at) = line.find(marker) else {
        return line.to_string();
    };
    let start = line[..at]
        .rfind(|c: char| !c.is_ascii_digit() && c != '.')
        .map_or(0, |i| i + 1);
    if start == at {
        return line.to_string();
    }
    format!("{}[varies]{}", &line[..start], &line[at..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stand_ins_ports_are_the_books_in_its_steps_log_and_words() {
        let www_ping = catalog::by_id("www_ping");
        let session = "$ dns_standin -p 0 > standin.log &\n\
$ www_ping -p 40123 127.0.0.1\n\
Success: host 127.0.0.1 is listening on port 40123\n\
$ www_ping -p 40123 ::1\n\
Network failure: Connection refused\n\
$ cat standin.log\n\
Listening at ('127.0.0.1', 40123)\n";
        let text = normalise(session, www_ping);
        assert_eq!(
            text,
            "$ dns_standin > standin.log &\n\
$ www_ping -p 1060 127.0.0.1\n\
Success: host 127.0.0.1 is listening on port 1060\n\
$ www_ping -p 1060 ::1\n\
Network failure: Connection refused\n\
$ cat standin.log\n\
Listening at ('127.0.0.1', 1060)\n"
        );
        // An address in a body: the stand-in's port, and no other number.
        let http_get = catalog::by_id("http_get");
        let session = "$ httpbin -p 0 > httpbin.log &\n\
$ http_get --level reqwest http://127.0.0.1:40123/headers\n\
    \"Host\": \"127.0.0.1:40123\", \"url\": \"http://127.0.0.1:401234/\"\n";
        assert_eq!(
            normalise(session, http_get),
            "$ httpbin -p 1060 > httpbin.log &\n\
$ http_get --level reqwest http://127.0.0.1:1060/headers\n\
    \"Host\": \"127.0.0.1:1060\", \"url\": \"http://127.0.0.1:401234/\"\n"
        );
        // A server that is its own session's stand-in, with another crate's client: read
        // by its steps, not by its command line for conform; SERVER_PORT is the port.
        let wsgi_env = catalog::by_id("wsgi_env");
        let session = "$ wsgi_env -p 0 > wsgi_env.log &\n\
$ http_get --level socket http://127.0.0.1:40123/a%20b?x=1\n\
 'SERVER_PORT': '40123',\n\
$ cat wsgi_env.log\n\
Serving on 127.0.0.1 port 40123\n";
        assert_eq!(
            normalise(session, wsgi_env),
            "$ wsgi_env -p 1060 > wsgi_env.log &\n\
$ http_get --level socket http://127.0.0.1:1060/a%20b?x=1\n\
 'SERVER_PORT': '1060',\n\
$ cat wsgi_env.log\n\
Serving on 127.0.0.1 port 1060\n"
        );
    }

    #[test]
    fn a_ctime_varies_and_nothing_else_does() {
        assert_eq!(
            vary_ctime("(200, 'text/plain', 'Tue Dec  1 23:09:37 2026') and 12:00:00"),
            "(200, 'text/plain', '[varies]') and 12:00:00"
        );
        assert_eq!(vary_ctime("Wed Dec 12 06:21:19 2026"), "[varies]");
        assert_eq!(vary_ctime("ünïcode 2026"), "ünïcode 2026");
    }

    #[test]
    fn ports_orders_and_first_pieces_are_made_stable() {
        // Names from the catalog: a Zen server, the Zen client, Listing 3-2.
        let zen_server = catalog::listings().find(|l| l.runs == catalog::Runs::ZenServer);
        let zen_client = catalog::client_of(catalog::Family::Zen);
        let book = catalog::by_id("3-2");
        let [server, client, book] =
            [zen_server, zen_client, book].map(|l| l.and_then(Listing::bin).unwrap());
        let session = format!(
            "# port 40011 is busy here; the server listens on port 40499 instead\n\
$ {server} localhost -p 0 > server.log &\n\
$ {client} localhost -p 40499\n\
b'Beautiful is better than?' b'Ugly.'\n\
b'Simple is better than?' b'Complex.'\n\
b'Explicit is better than?' b'Implicit.'\n\
$ cat server.log\n\
Listening at ('localhost', 0)\n\
Accepted connection from ('127.0.0.1', 56468)\n\
Client socket to ('127.0.0.1', 56468) has closed\n\
Accepted connection from ('127.0.0.1', 56474)\n"
        );
        let text = normalise(&session, zen_server);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], format!("$ {server} localhost > server.log &"));
        assert_eq!(lines[1], format!("$ {client} localhost"));
        assert_eq!(lines[2], "b'Simple is better than?' b'Complex.'");
        assert_eq!(lines[4], "b'Beautiful is better than?' b'Ugly.'");
        assert_eq!(lines[6], "Listening at ('localhost', 1060)");
        assert_eq!(lines[7], "Accepted connection from ('127.0.0.1', 41794)");
        assert_eq!(lines[8], "Client socket to ('127.0.0.1', 41794) has closed");
        assert_eq!(lines[9], "Accepted connection from ('127.0.0.1', 41808)");
        let deadlock = format!(
            "$ {book} client localhost 32 -p 4321\n  The first data received says b'CAPITALIZE THIS!'\n\r  16 bytes received \r  32 bytes received \n"
        );
        let text = normalise(&deadlock, catalog::by_id("3-2"));
        assert!(
            text.contains("says b'CAPITALIZE THIS!CAPITALIZE THIS!'\n"),
            "{text}"
        );
        assert!(text.ends_with("  32 bytes received\n"), "{text}");
        // Ports where the templates put them: a word of its own (Chapter 6), or inside a
        // word (the super-server's -l); a line no template makes is left alone.
        let tls = "$ safe_tls -s certs/localhost.pem 127.0.0.1 0 > server.log &\n\
                   $ safe_tls -a certs/ca.crt localhost 40321\n$ wait\n";
        assert_eq!(
            normalise(tls, catalog::by_id("6-safe")),
            "$ safe_tls -s certs/localhost.pem 127.0.0.1 1060 > server.log &\n\
             $ safe_tls -a certs/ca.crt localhost 1060\n$ wait\n"
        );
        let inetd =
            "$ systemd-socket-activate --inetd -a -l 127.0.0.1:40999 in_zen1 --log zen.log &\n";
        assert_eq!(
            normalise(inetd, catalog::by_id("in_zen1")),
            "$ systemd-socket-activate --inetd -a -l 127.0.0.1:1060 in_zen1 --log zen.log &\n"
        );
        assert_eq!(
            vary_before("blocked 256 ms: x", " ms"),
            "blocked [varies] ms: x"
        );
        assert_eq!(
            normalise(
                "  reader thread: woke → 0 bytes (EOF), 2.5 ms after the shutdown\n",
                None
            ),
            "  reader thread: woke → 0 bytes (EOF), [varies] ms after the shutdown\n"
        );
        assert_eq!(
            vary_numbers("  lost: 19397 (97.0%); counted 19397"),
            "  lost: [varies] ([varies]%); counted [varies]"
        );
    }
}
