//! The servers of the Zen bench: the load generator's ceiling, then every Chapter 7 server
//! of the catalog and its flavours, and how each is started.

use catalog::{Concurrency, Family, Runs};

/// How a server is started.
#[derive(Clone, Copy, Debug)]
pub enum Start {
    /// `BIN localhost -p 0 [--delay S] [FLAVOUR]`
    Direct(Option<&'static str>),
    /// Under `systemd-socket-activate --inetd` (`-a`: one process per connection).
    Inetd { accept: bool },
    /// `loadgen zen-minimal`: the load generator's ceiling.
    Minimal,
}

/// One server of the bench.
#[derive(Clone, Debug)]
pub struct Server {
    pub name: String,
    pub krate: &'static str,
    pub bin: &'static str,
    pub start: Start,
    pub concurrency: Concurrency,
}

impl Server {
    /// Whether one loop serves every client (the book's sleep stalls them all).
    pub fn event_driven(&self) -> bool {
        self.concurrency == Concurrency::EventLoop
    }

    /// Whether it serves many clients without starting a thread or a process for each:
    /// one loop, or a fixed pool. The goal of no errors is theirs (and a rate near the
    /// ceiling is the one loop's): a thread or a process per connection, behind
    /// socketserver's listen queue of 5 or inetd's fork, is Chapter 7's counterpoint.
    pub fn scales(&self) -> bool {
        matches!(
            self.concurrency,
            Concurrency::EventLoop | Concurrency::Pool(_)
        )
    }

    /// Whether it awaits the delay instead of sleeping in its one loop (`srv_asyncio2
    /// --await-delay`): the fix. Another flavour (`srv_asyncio1 --poller poll`) still
    /// sleeps.
    pub fn awaits_delay(&self) -> bool {
        matches!(self.start, Start::Direct(Some("--await-delay")))
    }

    /// The most clients it is run with, and why no more.
    pub fn max_clients(&self) -> (usize, &'static str) {
        match self.concurrency {
            Concurrency::One => (
                1000,
                "one client at a time: 10,000 waiting clients would mostly time out in the listen queue",
            ),
            Concurrency::Pool(_) => (
                1000,
                "a fixed pool of threads: 10,000 waiting clients would mostly time out in the listen queue",
            ),
            Concurrency::ThreadPerClient => (
                1000,
                "a thread per client: 10,000 threads, behind a listen queue of 5",
            ),
            Concurrency::ProcessPerClient => (
                20,
                "a new process per connection: hundreds at once would be hundreds of processes",
            ),
            _ => (usize::MAX, ""),
        }
    }
}

/// The ceiling, then every Chapter 7 server of the catalog and its flavours.
pub fn servers() -> Vec<Server> {
    let mut servers = vec![Server {
        name: "minimal server (ceiling)".into(),
        krate: "loadgen",
        bin: "loadgen",
        start: Start::Minimal,
        concurrency: Concurrency::EventLoop,
    }];
    for l in Family::Zen.members() {
        let (Some(bin), Some(concurrency)) = (l.bin(), l.concurrency) else {
            continue;
        };
        let (name, start) = match l.runs {
            Runs::ZenServer => (bin.to_string(), Start::Direct(None)),
            Runs::SuperServer { accept } => {
                let how = if accept { "-a" } else { "wait" };
                (format!("{bin} (inetd, {how})"), Start::Inetd { accept })
            }
            _ => continue,
        };
        let server = |name: String, start| Server {
            name,
            krate: l.krate,
            bin,
            start,
            concurrency,
        };
        servers.push(server(name, start));
        for &flavour in l.flavours {
            servers.push(server(
                format!("{bin} {flavour}"),
                Start::Direct(Some(flavour)),
            ));
        }
    }
    servers
}

/// The ceiling and the servers `names` picks (all if empty); `Err` names an unknown one.
pub fn servers_named(names: &[String]) -> Result<Vec<Server>, String> {
    let mut servers = servers();
    if let Some(unknown) = names
        .iter()
        .find(|name| !servers.iter().any(|s| &s.name == *name))
    {
        let names: Vec<String> = servers.iter().skip(1).map(|s| s.name.clone()).collect();
        return Err(format!(
            "no server {unknown:?}; the servers are: {}",
            names.join(", ")
        ));
    }
    servers.retain(|s| {
        matches!(s.start, Start::Minimal) || names.is_empty() || names.contains(&s.name)
    });
    Ok(servers)
}
