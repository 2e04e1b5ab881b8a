//! What the kernel says about a process and its sockets, read from `/proc` through the
//! `procfs` crate. Linux only: elsewhere every function answers "unknown" (`None`, empty)
//! and [`SUPPORTED`] is false, so the tools fall back or say they cannot tell.

use std::io;

/// Whether this system's kernel tables can be read here.
pub const SUPPORTED: bool = cfg!(target_os = "linux");

/// The bytes queued in one TCP socket: sent but not yet acknowledged by the peer (the
/// send queue), and received but not yet read by the program (the receive queue).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Queues {
    pub send: u64,
    pub receive: u64,
}

/// Both ends of one loopback connection, seen in one reading of the kernel's table.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Connection {
    /// The socket whose local port is the connection's first port (the client's).
    pub client: Queues,
    /// The socket whose local port is the second (the server's accepted socket).
    pub server: Queues,
}

#[cfg(target_os = "linux")]
pub use linux::*;
#[cfg(not(target_os = "linux"))]
pub use other::*;

/// Elsewhere, every answer is "unknown".
#[cfg(not(target_os = "linux"))]
mod other {
    use super::*;

    pub fn listening_ports(_: u32) -> Vec<u16> {
        Vec::new()
    }
    pub fn connected_ports(_: u32, _: u16) -> Vec<u16> {
        Vec::new()
    }
    pub fn peers_of(_: u16) -> Vec<u16> {
        Vec::new()
    }
    pub fn udp_ports(_: u32) -> Vec<u16> {
        Vec::new()
    }
    pub fn blocked_in(_: u32) -> Vec<String> {
        Vec::new()
    }
    pub fn tree_listens_on(_: u32, _: u16) -> Option<bool> {
        None
    }
    pub fn tree_binds_udp(_: u32, _: u16) -> Option<bool> {
        None
    }
    pub fn listening_anywhere(_: u16) -> Option<bool> {
        None
    }
    pub fn open_descriptors(_: u32) -> Option<usize> {
        None
    }
    pub fn peak_memory(_: u32) -> Option<u64> {
        None
    }
    pub fn cpu_seconds(_: u32) -> Option<(f64, f64)> {
        None
    }
    pub fn tree_cpu_seconds(_: u32) -> Option<f64> {
        None
    }
    pub fn tree_memory(_: u32) -> Option<(u64, u64)> {
        None
    }
    pub fn connection(_: u16, _: u16) -> Option<Connection> {
        None
    }
    pub fn socket_buffers(_: u32, _: u16, _: u16) -> Option<(usize, usize)> {
        None
    }
    pub fn wait_exited_unreaped(_: u32) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(target_os = "linux")]
mod linux {
    use super::*;
    use procfs::FromBufReadSI;
    use procfs::net::{TcpNetEntries, TcpNetEntry, TcpState};
    use procfs::process::{FDTarget, Process};

    fn tcp_table() -> Vec<TcpNetEntry> {
        let mut entries = tcp_file("/proc/net/tcp");
        entries.extend(tcp_file("/proc/net/tcp6"));
        entries
    }

    /// One of the kernel's TCP tables, less its TIME_WAIT entries: they belong to no
    /// process, and after a test suite's thousands of connections they are most of the
    /// file (12,000 of them took the parser 80 ms each time). A line's state is its only
    /// field of two hex digits (the numbers in decimal have no leading zero), so ` 06 `
    /// marks TIME_WAIT.
    fn tcp_file(path: &str) -> Vec<TcpNetEntry> {
        let Ok(text) = std::fs::read_to_string(path) else {
            return Vec::new();
        };
        let mut lines = text.lines();
        let mut kept = format!("{}\n", lines.next().unwrap_or_default());
        for line in lines.filter(|l| !l.contains(" 06 ")) {
            kept.push_str(line);
            kept.push('\n');
        }
        TcpNetEntries::from_buf_read(kept.as_bytes(), procfs::current_system_info())
            .map(|table| table.0)
            .unwrap_or_default()
    }

    /// The inodes of the sockets among process `pid`'s descriptors.
    fn socket_inodes(pid: u32) -> Vec<u64> {
        let Ok(fds) = Process::new(pid as i32).and_then(|p| p.fd()) else {
            return Vec::new();
        };
        fds.flatten()
            .filter_map(|fd| match fd.target {
                FDTarget::Socket(inode) => Some(inode),
                _ => None,
            })
            .collect()
    }

    /// The ports of process `pid`'s bound UDP sockets (empty where unknown).
    pub fn udp_ports(pid: u32) -> Vec<u16> {
        let mut table = procfs::net::udp().unwrap_or_default();
        table.extend(procfs::net::udp6().unwrap_or_default());
        let inodes = socket_inodes(pid);
        table
            .iter()
            .filter(|e| inodes.contains(&e.inode))
            .map(|e| e.local_address.port())
            .collect()
    }

    /// Whether process `pid` or a descendant has a UDP socket bound to `port` (`None` off
    /// Linux: see `other`).
    pub fn tree_binds_udp(pid: u32, port: u16) -> Option<bool> {
        let mut table = procfs::net::udp().unwrap_or_default();
        table.extend(procfs::net::udp6().unwrap_or_default());
        Some(tree_of(pid).into_iter().any(|p| {
            let inodes = socket_inodes(p);
            table
                .iter()
                .any(|e| e.local_address.port() == port && inodes.contains(&e.inode))
        }))
    }

    /// The kernel's entries for the TCP sockets among process `pid`'s descriptors.
    fn sockets_of(pid: u32) -> Vec<TcpNetEntry> {
        let inodes = socket_inodes(pid);
        if inodes.is_empty() {
            return Vec::new();
        }
        tcp_table()
            .into_iter()
            .filter(|e| inodes.contains(&e.inode))
            .collect()
    }

    /// The ports of the TCP sockets process `pid` is listening on: asked of its sockets
    /// themselves, or else found in the kernel's table of LISTEN sockets.
    pub fn listening_ports(pid: u32) -> Vec<u16> {
        listening_ports_asked(pid).unwrap_or_else(|| {
            sockets_of(pid)
                .into_iter()
                .filter(|e| e.state == TcpState::Listen)
                .map(|e| e.local_address.port())
                .collect()
        })
    }

    /// Duplicates of process `pid`'s sockets (`pidfd_getfd`): the same sockets, so that
    /// what they answer (address, listening, buffer sizes) is what the process's own calls
    /// would get, without reading a whole table of the kernel's. `None` where they cannot
    /// be duplicated (Linux before 5.6, or no right to trace the process).
    fn sockets_of_process(pid: u32) -> Option<Vec<std::os::fd::OwnedFd>> {
        use rustix::process::{Pid, PidfdFlags, PidfdGetfdFlags, pidfd_getfd, pidfd_open};
        let fds: Vec<i32> = (Process::new(pid as i32).ok()?.fd().ok()?.flatten())
            .filter_map(|fd| matches!(fd.target, FDTarget::Socket(_)).then_some(fd.fd))
            .collect();
        if fds.is_empty() {
            return Some(Vec::new());
        }
        let pidfd = pidfd_open(Pid::from_raw(pid as i32)?, PidfdFlags::empty()).ok()?;
        let mut sockets = Vec::new();
        for fd in fds {
            match pidfd_getfd(&pidfd, fd, PidfdGetfdFlags::empty()) {
                Ok(sock) => sockets.push(sock),
                // Closed since the listing.
                Err(rustix::io::Errno::BADF) => continue,
                Err(_) => return None,
            }
        }
        Some(sockets)
    }

    /// The listening TCP ports of process `pid`, asked of its sockets themselves: a test
    /// suite leaves thousands of sockets in TIME_WAIT, which every reading of
    /// `/proc/net/tcp` makes the kernel write out, and servers are waited for by polling.
    pub(super) fn listening_ports_asked(pid: u32) -> Option<Vec<u16>> {
        let sockets = sockets_of_process(pid)?;
        let ports = sockets
            .iter()
            .map(socket2::SockRef::from)
            .filter_map(|sock| {
                let tcp = sock.r#type().is_ok_and(|t| t == socket2::Type::STREAM);
                let address = sock.local_addr().ok()?.as_socket()?;
                (tcp && sock.is_listener().unwrap_or(false)).then_some(address.port())
            });
        Some(ports.collect())
    }

    /// `pid` and every process descended from it.
    fn tree_of(pid: u32) -> Vec<u32> {
        let parents: Vec<(u32, u32)> = procfs::process::all_processes()
            .map(|all| {
                all.flatten()
                    .filter_map(|p| p.stat().ok())
                    .map(|stat| (stat.pid as u32, stat.ppid as u32))
                    .collect()
            })
            .unwrap_or_default();
        let mut tree = vec![pid];
        let mut at = 0;
        while at < tree.len() {
            let parent = tree[at];
            tree.extend(
                parents
                    .iter()
                    .filter(|&&(_, ppid)| ppid == parent)
                    .map(|&(child, _)| child),
            );
            at += 1;
        }
        tree
    }

    /// Whether process `pid`, or a process descended from it (a wrapper's child), listens on
    /// TCP port `port`: a server told its port is known to be up, and not another program
    /// that took the port first (`None` off Linux).
    pub fn tree_listens_on(pid: u32, port: u16) -> Option<bool> {
        let mut tree = tree_of(pid).into_iter();
        Some(tree.any(|p| listening_ports(p).contains(&port)))
    }

    /// The local ports of process `pid`'s TCP sockets connected to `remote_port`: a client's
    /// end of its connection to a server.
    pub fn connected_ports(pid: u32, remote_port: u16) -> Vec<u16> {
        sockets_of(pid)
            .into_iter()
            .filter(|e| e.state != TcpState::Listen && e.remote_address.port() == remote_port)
            .map(|e| e.local_address.port())
            .collect()
    }

    /// The remote ports of the connections a server accepted on `server_port`, read from
    /// the kernel's table alone (no process's descriptors are walked, so it is cheap enough
    /// to poll while a short session starts).
    pub fn peers_of(server_port: u16) -> Vec<u16> {
        tcp_file("/proc/net/tcp")
            .into_iter()
            .chain(tcp_file("/proc/net/tcp6"))
            .filter(|e| e.state == TcpState::Established && e.local_address.port() == server_port)
            .map(|e| e.remote_address.port())
            .collect()
    }

    /// Whether any process listens on TCP port `port` (to check that a stopped server is
    /// gone; `None` off Linux).
    pub fn listening_anywhere(port: u16) -> Option<bool> {
        let table = tcp_table();
        Some(
            table
                .iter()
                .any(|e| e.state == TcpState::Listen && e.local_address.port() == port),
        )
    }

    /// How many file descriptors process `pid` has open.
    pub fn open_descriptors(pid: u32) -> Option<usize> {
        Process::new(pid as i32).ok()?.fd_count().ok()
    }

    /// A process's peak resident memory so far, in bytes (`VmHWM`).
    pub fn peak_memory(pid: u32) -> Option<u64> {
        let kib = Process::new(pid as i32).ok()?.status().ok()?.vmhwm?;
        Some(kib * 1024)
    }

    /// The CPU seconds (user and system) of `pid` and every live process descended from
    /// it: a server of a master and workers (gunicorn), whole. A worker that has exited
    /// counts in its parent's only once the parent has reaped it.
    pub fn tree_cpu_seconds(pid: u32) -> Option<f64> {
        let ticks = procfs::ticks_per_second() as f64;
        let mut total = 0.0;
        for p in tree_of(pid) {
            let Ok(stat) = Process::new(p as i32).and_then(|p| p.stat()) else {
                continue;
            };
            total += (stat.utime + stat.stime) as f64 / ticks;
        }
        Some(total)
    }

    /// The resident memory of `pid` and every live process descended from it, in bytes:
    /// now (`VmRSS`) and at each one's peak (`VmHWM`), summed.
    pub fn tree_memory(pid: u32) -> Option<(u64, u64)> {
        let (mut now, mut peak) = (0, 0);
        for p in tree_of(pid) {
            let Ok(status) = Process::new(p as i32).and_then(|p| p.status()) else {
                continue;
            };
            now += status.vmrss.unwrap_or(0) * 1024;
            peak += status.vmhwm.unwrap_or(0) * 1024;
        }
        Some((now, peak))
    }

    /// A process's user and system CPU seconds so far.
    pub fn cpu_seconds(pid: u32) -> Option<(f64, f64)> {
        let stat = Process::new(pid as i32).ok()?.stat().ok()?;
        let ticks = procfs::ticks_per_second() as f64;
        Some((stat.utime as f64 / ticks, stat.stime as f64 / ticks))
    }

    /// The queues of both ends of the loopback connection between `client_port` and
    /// `server_port`, from one reading of `/proc/net/tcp` and `tcp6`.
    pub fn connection(client_port: u16, server_port: u16) -> Option<Connection> {
        // IPv4 first, and IPv6 only if the connection is not there: a sampler that reads
        // this every millisecond should read as little as it can.
        connection_in(&tcp_file("/proc/net/tcp"), client_port, server_port)
            .or_else(|| connection_in(&tcp_file("/proc/net/tcp6"), client_port, server_port))
    }

    fn connection_in(
        table: &[TcpNetEntry],
        client_port: u16,
        server_port: u16,
    ) -> Option<Connection> {
        let find = |local: u16, remote: u16| {
            table
                .iter()
                .find(|e| {
                    e.state != TcpState::Listen
                        && e.local_address.port() == local
                        && e.remote_address.port() == remote
                })
                .map(|e| Queues {
                    send: u64::from(e.tx_queue),
                    receive: u64::from(e.rx_queue),
                })
        };
        Some(Connection {
            client: find(client_port, server_port)?,
            server: find(server_port, client_port)?,
        })
    }

    /// The system calls the threads of process `pid` are in (`sendto() of 16 bytes`,
    /// `running`), from `/proc/PID/task/*/syscall`; empty where unknown.
    pub fn blocked_in(pid: u32) -> Vec<String> {
        let Ok(tasks) = Process::new(pid as i32).and_then(|p| p.tasks()) else {
            return Vec::new();
        };
        let mut calls: Vec<String> = tasks
            .flatten()
            .filter_map(|task| task.syscall().ok())
            .map(|call| match call {
                procfs::process::Syscall::Blocked {
                    syscall_number,
                    argument_registers,
                    ..
                } => super::describe_syscall(syscall_number, &argument_registers),
                _ => "running".to_string(),
            })
            .collect();
        calls.sort();
        calls.dedup();
        calls
    }

    /// The buffer sizes the kernel grants, now, to the socket of process `pid` whose local port
    /// is `local` and remote port `remote`: `(send, receive)`, as `getsockopt` in that process
    /// would say (autotuned sizes included). Asked of a duplicate of the socket.
    pub fn socket_buffers(pid: u32, local: u16, remote: u16) -> Option<(usize, usize)> {
        let sockets = sockets_of_process(pid)?;
        let port = |a: io::Result<socket2::SockAddr>| a.ok()?.as_socket().map(|a| a.port());
        let sock = (sockets.iter().map(socket2::SockRef::from))
            .find(|s| port(s.local_addr()) == Some(local) && port(s.peer_addr()) == Some(remote))?;
        Some((sock.send_buffer_size().ok()?, sock.recv_buffer_size().ok()?))
    }

    /// Waits until process `pid` (a child of this one) has exited, without reaping it.
    pub fn wait_exited_unreaped(pid: u32) -> io::Result<()> {
        use rustix::process::{Pid, WaitId, WaitIdOptions, waitid};
        let pid = Pid::from_raw(pid as i32).ok_or_else(|| io::Error::other("no such pid"))?;
        loop {
            // NOWAIT: the process stays a zombie, so its /proc/PID/stat (CPU times) stays
            // readable until it is reaped.
            match waitid(
                WaitId::Pid(pid),
                WaitIdOptions::EXITED | WaitIdOptions::NOWAIT,
            ) {
                Ok(_) => return Ok(()),
                // Interrupted by a signal: wait again.
                Err(rustix::io::Errno::INTR) => continue,
                Err(errno) => return Err(errno.into()),
            }
        }
    }
}

/// Names a system call the way a reader wants it: `sendto() of 16 bytes`, `poll()`, or
/// `system call N` for one this table does not know. The numbers are the kernel's, per
/// architecture.
pub fn describe_syscall(number: i64, args: &[u64; 6]) -> String {
    #[cfg(target_arch = "x86_64")]
    let (name, sends) = match number {
        44 => ("sendto()", true),
        1 => ("write()", true),
        46 => ("sendmsg()", true),
        45 => ("recvfrom()", false),
        0 => ("read()", false),
        7 => ("poll()", false),
        43 | 288 => ("accept()", false),
        232 | 281 => ("epoll_wait()", false),
        202 => ("futex()", false),
        _ => ("", false),
    };
    #[cfg(target_arch = "aarch64")]
    let (name, sends) = match number {
        206 => ("sendto()", true),
        64 => ("write()", true),
        211 => ("sendmsg()", true),
        207 => ("recvfrom()", false),
        63 => ("read()", false),
        73 => ("ppoll()", false),
        202 | 242 => ("accept()", false),
        22 => ("epoll_pwait()", false),
        98 => ("futex()", false),
        _ => ("", false),
    };
    #[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
    let (name, sends) = ("", false);
    match (name, sends) {
        ("", _) if number < 0 => "not in a system call".to_string(),
        ("", _) => format!("system call {number}"),
        (name, true) => format!("{name} of {} bytes", args[2]),
        (name, false) => name.to_string(),
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn sees_this_processs_bound_udp_socket() {
        if !super::SUPPORTED {
            return;
        }
        let sock = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        let port = sock.local_addr().unwrap().port();
        assert_eq!(tree_binds_udp(std::process::id(), port), Some(true));
        drop(sock);
        assert_eq!(tree_binds_udp(std::process::id(), port), Some(false));
    }

    use super::*;

    #[test]
    fn names_system_calls() {
        #[cfg(target_arch = "x86_64")]
        assert_eq!(
            describe_syscall(44, &[3, 0x55ab, 16, 0x4000, 0, 0]),
            "sendto() of 16 bytes"
        );
        assert_eq!(describe_syscall(-1, &[0; 6]), "not in a system call");
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn reads_this_processs_listener_memory_cpu_and_a_connections_queues() {
        use std::io::Write;
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let me = std::process::id();
        assert!(listening_ports(me).contains(&port));
        // Asked of the sockets themselves: the listener, and not a UDP socket's port.
        let udp = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        let asked = linux::listening_ports_asked(me).expect("pidfd_getfd on this process");
        assert!(asked.contains(&port), "{asked:?}");
        assert!(
            !asked.contains(&udp.local_addr().unwrap().port()),
            "{asked:?}"
        );
        assert!(connected_ports(me, port).is_empty());
        assert_eq!(listening_anywhere(port), Some(true));
        // This process's listener is in its own tree and in its parent's, and only on
        // its own port.
        let parent = std::os::unix::process::parent_id();
        assert_eq!(tree_listens_on(me, port), Some(true));
        assert_eq!(tree_listens_on(parent, port), Some(true));
        assert_eq!(tree_listens_on(me, port.wrapping_add(1)), Some(false));
        assert!(peak_memory(me).unwrap() > 0);
        assert!(cpu_seconds(me).is_some());
        let mut client = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
        let (_accepted, _) = listener.accept().unwrap();
        client.write_all(&[7; 1000]).unwrap();
        let client_port = client.local_addr().unwrap().port();
        assert!(connected_ports(me, port).contains(&client_port));
        assert!(peers_of(port).contains(&client_port));
        // Unread by the accepting side: 1000 bytes in its receive queue.
        let mut seen = None;
        for _ in 0..200 {
            seen = connection(client_port, port);
            if seen.is_some_and(|c| c.server.receive == 1000) {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        assert_eq!(seen.unwrap().server.receive, 1000, "{seen:?}");
        assert_eq!(seen.unwrap().client.send, 0);
        socket2::SockRef::from(&client)
            .set_send_buffer_size(16384)
            .unwrap();
        assert_eq!(
            socket_buffers(me, client_port, port).map(|(send, _)| send),
            Some(32768)
        );
    }
}
