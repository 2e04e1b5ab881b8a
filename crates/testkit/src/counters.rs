//! The kernel's counters of connections being set up (`/proc/net/netstat`): how often a
//! full listen queue turned a handshake away, and how many SYNs were sent again. They
//! count the whole network namespace.

/// The kernel's counters of what happened to connections being set up, for the whole
/// network namespace (`/proc/net/netstat`, `TcpExt`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TcpCounters {
    /// A full listen queue turned a completed handshake away (`ListenOverflows`).
    pub listen_overflows: u64,
    /// SYNs dropped at a listener, the overflows among them (`ListenDrops`).
    pub listen_drops: u64,
    /// SYNs sent again, each a client waiting 1, 3, 7 s... (`TCPSynRetrans`).
    pub syn_retrans: u64,
}

impl TcpCounters {
    /// What happened between `before` and `self`.
    pub fn since(self, before: TcpCounters) -> TcpCounters {
        TcpCounters {
            listen_overflows: self
                .listen_overflows
                .saturating_sub(before.listen_overflows),
            listen_drops: self.listen_drops.saturating_sub(before.listen_drops),
            syn_retrans: self.syn_retrans.saturating_sub(before.syn_retrans),
        }
    }
}

/// The namespace's [`TcpCounters`] now; `None` where `/proc/net/netstat` cannot be read.
pub fn tcp_counters() -> Option<TcpCounters> {
    let text = std::fs::read_to_string("/proc/net/netstat").ok()?;
    let mut lines = text.lines().filter(|l| l.starts_with("TcpExt:"));
    let (names, values) = (lines.next()?, lines.next()?);
    let field = |name: &str| {
        names
            .split_whitespace()
            .position(|n| n == name)
            .and_then(|at| values.split_whitespace().nth(at)?.parse().ok())
    };
    Some(TcpCounters {
        listen_overflows: field("ListenOverflows")?,
        listen_drops: field("ListenDrops")?,
        syn_retrans: field("TCPSynRetrans")?,
    })
}

/// How many TCP sockets of the namespace are in TIME_WAIT now (`/proc/net/tcp`, state
/// 06); `None` where it cannot be read.
pub fn time_wait() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/net/tcp").ok()?;
    Some(
        text.lines()
            .skip(1)
            .filter(|l| l.split_whitespace().nth(3) == Some("06"))
            .count() as u64,
    )
}

/// The most TCP sockets the kernel holds in TIME_WAIT (`net.ipv4.tcp_max_tw_buckets`);
/// past it, a closed socket skips TIME_WAIT. `None` where it cannot be read.
pub fn time_wait_limit() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/sys/net/ipv4/tcp_max_tw_buckets").ok()?;
    text.trim().parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_listen_queue_counters() {
        if !crate::kernel::SUPPORTED {
            return;
        }
        // A listener whose queue holds one connection, never accepted: the next clients'
        // handshakes overflow it.
        let sock =
            socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
        sock.bind(&std::net::SocketAddr::from(([127, 0, 0, 1], 0)).into())
            .unwrap();
        sock.listen(0).unwrap();
        let addr = sock.local_addr().unwrap().as_socket().unwrap();
        let before = tcp_counters().expect("TcpExt in /proc/net/netstat");
        let clients: Vec<_> = (0..4)
            .map(|_| {
                std::thread::spawn(move || {
                    std::net::TcpStream::connect_timeout(
                        &addr,
                        std::time::Duration::from_millis(300),
                    )
                })
            })
            .collect();
        let connected = clients
            .into_iter()
            .map(|c| c.join().unwrap())
            .filter(Result::is_ok);
        assert!(connected.count() >= 1);
        let grew = tcp_counters().unwrap().since(before);
        assert!(grew.listen_overflows >= 1, "{grew:?}");
        assert!(grew.listen_drops >= grew.listen_overflows, "{grew:?}");
    }

    #[test]
    fn reads_the_time_wait_count_and_its_limit() {
        if !crate::kernel::SUPPORTED {
            return;
        }
        assert!(time_wait().is_some());
        assert!(time_wait_limit().is_some_and(|limit| limit > 0));
    }
}
