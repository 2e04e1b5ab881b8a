//! Chapter 2's claims about UDP, run on real sockets, as [`page53`'s] are for page 53.
//! Each demonstration quotes its claim, prints every call with what the kernel answered,
//! and ends with a verdict. Each turns on one condition (`connect()`, `SO_BROADCAST`, the
//! receive buffer's size, the path's MTU); `--flip` changes it, and the verdict changes
//! with it, which is what the tests check.
//!
//! ```text
//! $ udp_claims takes-anyone
//! $ udp_claims takes-anyone --flip
//! ```
//!
//! `dont-fragment` needs a path whose MTU is 1500: it runs itself again inside a network
//! namespace of its own (`unshare -n`) whose loopback has that MTU, and says so where
//! namespaces are not permitted.
//!
//! [`page53`'s]: ../page53/index.html
//!
//! # The recorded session
//!
//! `output.txt`, as `cargo xtask run` shows it, kept true by `cargo xtask transcripts --check`:
#![doc = concat!("```text\n", include_str!("../output.txt"), "```")]

use std::io::{self, Write};
use std::net::{SocketAddr, UdpSocket};
use std::time::Duration;

use fopnp::demo::{Verdict, answer, step};
use fopnp::{Context, Error, PyAddr, PyBytes};

/// How long a receive waits before it says nothing came.
const QUIET: Duration = Duration::from_millis(300);

fn claim(out: &mut dyn Write, text: &str) -> io::Result<()> {
    fopnp::demo::claim(out, "Chapter 2", text)
}

/// A socket on loopback, with a short read time-out so no step hangs.
fn bound(addr: &str) -> Result<UdpSocket, Error> {
    let sock = UdpSocket::bind(addr).context(|| format!("cannot bind a UDP socket to {addr}"))?;
    sock.set_read_timeout(Some(QUIET))?;
    Ok(sock)
}

fn addr(sock: &UdpSocket) -> Result<SocketAddr, Error> {
    sock.local_addr().context(|| "cannot read a socket's name")
}

/// What a receive returned, as a reader wants to see it.
fn received(result: &io::Result<(usize, SocketAddr)>, buf: &[u8]) -> String {
    match result {
        Ok((n, from)) => format!("{n} bytes {} from {}", PyBytes(&buf[..*n]), PyAddr(*from)),
        Err(error) if error.kind() == io::ErrorKind::WouldBlock => {
            format!("nothing within {} ms", QUIET.as_millis())
        }
        Err(_) => answer(result),
    }
}

/// A port nothing is bound to (for now).
fn nobodys_port() -> Result<SocketAddr, Error> {
    let sock = UdpSocket::bind("127.0.0.1:0").context(|| "cannot bind a UDP socket")?;
    addr(&sock)
}

/// The client of claims 1 to 3: unconnected, or connected to `to` when `connected`.
fn client(out: &mut dyn Write, to: SocketAddr, connected: bool) -> Result<UdpSocket, Error> {
    let sock = bound("0.0.0.0:0")?;
    if connected {
        let result = sock.connect(to);
        step(
            out,
            "client",
            &format!("connect({})", PyAddr(to)),
            &answer(&result),
        )?;
        result.context(|| "cannot connect")?;
    }
    Ok(sock)
}

fn send(
    out: &mut dyn Write,
    sock: &UdpSocket,
    to: SocketAddr,
    data: &[u8],
) -> io::Result<io::Result<usize>> {
    let (call, result) = match sock.peer_addr() {
        Ok(_) => ("send".to_string(), sock.send(data)),
        Err(_) => (
            format!("sendto(.., {})", PyAddr(to)),
            sock.send_to(data, to),
        ),
    };
    step(
        out,
        "client",
        &format!("{call} of {} bytes", data.len()),
        &answer(&result),
    )?;
    Ok(result)
}

/// Claims 1 and 2: a client (connected, if `connected`) asks a server that never
/// answers, and a stranger sends it `FAKE`; what the client then receives, and from whom.
fn asked_then_stranger(
    out: &mut dyn Write,
    connected: bool,
) -> Result<(UdpSocket, io::Result<(usize, SocketAddr)>), Error> {
    let server = bound("127.0.0.1:0")?;
    let stranger = bound("127.0.0.1:0")?;
    let sock = client(out, addr(&server)?, connected)?;
    let _ = send(out, &sock, addr(&server)?, b"a question")?;
    let me = SocketAddr::from(([127, 0, 0, 1], addr(&sock)?.port()));
    let result = stranger.send_to(b"FAKE", me);
    let call = format!("sendto(b'FAKE', {})", PyAddr(me));
    step(out, "stranger", &call, &answer(&result))?;
    let mut buf = [0; 64];
    let got = sock.recv_from(&mut buf);
    step(out, "client", "recvfrom(64)", &received(&got, &buf))?;
    Ok((stranger, got))
}

/// Claim 1: an unconnected client takes a reply from anyone.
pub fn takes_anyone(out: &mut dyn Write, flip: bool) -> Result<Verdict, Error> {
    claim(
        out,
        "an unconnected client takes the first datagram that comes as the reply, from whoever sent it",
    )?;
    let (stranger, got) = asked_then_stranger(out, flip)?;
    let verdict = match got {
        Ok((_, from)) if from == addr(&stranger)? => Verdict::Holds(format!(
            "the stranger's datagram, from {}, was taken as the server's reply",
            PyAddr(from)
        )),
        _ => Verdict::Differs(
            "the stranger's datagram never reached the client (a connected socket filters)".into(),
        ),
    };
    writeln!(out, "{verdict}")?;
    Ok(verdict)
}

/// Claim 2: `connect()` makes the kernel drop strangers' datagrams and report ICMP
/// refusals.
pub fn connect_filters(out: &mut dyn Write, flip: bool) -> Result<Verdict, Error> {
    claim(
        out,
        "a connected socket receives only from its peer, and hears the ICMP error when nobody listens",
    )?;
    let (_, got) = asked_then_stranger(out, !flip)?;
    let mut buf = [0; 64];
    let filtered = got.is_err();
    // A second client, to a port nobody is bound to.
    let nobody = nobodys_port()?;
    let other = client(out, nobody, !flip)?;
    let _ = send(out, &other, nobody, b"anyone there?")?;
    let heard = other.recv_from(&mut buf);
    step(out, "client", "recvfrom(64)", &received(&heard, &buf))?;
    let refused = matches!(&heard, Err(e) if e.kind() == io::ErrorKind::ConnectionRefused);
    let verdict = if filtered && refused {
        Verdict::Holds(
            "the stranger's datagram was dropped, and the refusal came back as ConnectionRefused"
                .into(),
        )
    } else {
        Verdict::Differs(format!(
            "the stranger's datagram was {}, and the refusal {}",
            if filtered { "dropped" } else { "delivered" },
            if refused { "heard" } else { "never heard" }
        ))
    };
    writeln!(out, "{verdict}")?;
    Ok(verdict)
}

/// Claim 3: an unconnected client never learns that nobody is listening.
pub fn never_learns(out: &mut dyn Write, flip: bool) -> Result<Verdict, Error> {
    claim(
        out,
        "an unconnected client is never told that nobody is listening: it just waits",
    )?;
    let nobody = nobodys_port()?;
    let sock = client(out, nobody, flip)?;
    let _ = send(out, &sock, nobody, b"anyone there?")?;
    let mut buf = [0; 64];
    let got = sock.recv_from(&mut buf);
    step(out, "client", "recvfrom(64)", &received(&got, &buf))?;
    let verdict = match &got {
        Err(e) if e.kind() == io::ErrorKind::WouldBlock => Verdict::Holds(format!(
            "no error, only silence: after {} ms the client still does not know",
            QUIET.as_millis()
        )),
        _ => Verdict::Differs(format!("the client was told: {}", received(&got, &buf))),
    };
    writeln!(out, "{verdict}")?;
    Ok(verdict)
}

/// Claim 4: nothing over 65,507 bytes can be sent, and a short receive buffer truncates
/// silently.
pub fn size_limits(out: &mut dyn Write, flip: bool) -> Result<Verdict, Error> {
    claim(
        out,
        "no IPv4 datagram carries more than 65,507 bytes, and recvfrom() into a short buffer truncates without a word",
    )?;
    let receiver = bound("127.0.0.1:0")?;
    let to = addr(&receiver)?;
    let sock = bound("127.0.0.1:0")?;
    let largest = send(out, &sock, to, &vec![b'#'; 65507])?.is_ok();
    let too_big = send(out, &sock, to, &vec![b'#'; 65508])?;
    let refused = matches!(&too_big, Err(e) if e.raw_os_error() == Some(90));
    let mut buf = vec![0; 65535];
    let whole = receiver.recv_from(&mut buf);
    step(
        out,
        "receiver",
        "recvfrom(65535)",
        &format!("{} bytes", whole.as_ref().map_or(0, |r| r.0)),
    )?;
    let _ = send(out, &sock, to, b"twenty bytes of data")?;
    let size = if flip { 65535 } else { 10 };
    let got = receiver.recv_from(&mut buf[..size]);
    step(
        out,
        "receiver",
        &format!("recvfrom({size})"),
        &received(&got, &buf),
    )?;
    let after = receiver.recv_from(&mut buf);
    step(out, "receiver", "recvfrom(65535)", &received(&after, &buf))?;
    let truncated = matches!(got, Ok((10, _))) && after.is_err();
    let verdict = if largest && refused && truncated {
        Verdict::Holds("65,507 bytes went, 65,508 were refused (EMSGSIZE), and the 20-byte datagram lost its last 10 bytes without an error".into())
    } else {
        Verdict::Differs(format!(
            "65,507 bytes {}, 65,508 {}, and the 20-byte datagram {}",
            if largest { "went" } else { "did not go" },
            if refused {
                "were refused"
            } else {
                "were not refused"
            },
            if truncated {
                "was truncated"
            } else {
                "arrived whole"
            }
        ))
    };
    writeln!(out, "{verdict}")?;
    Ok(verdict)
}

/// Claim 5: don't-fragment refuses a datagram larger than the path's MTU, while a
/// datagram allowed to fragment arrives whole. It runs in a network namespace whose
/// loopback has MTU 1500 (`--flip`: 65536, loopback's usual).
pub fn dont_fragment(out: &mut dyn Write, flip: bool, inside: bool) -> Result<Verdict, Error> {
    if !inside {
        return in_a_namespace(out, flip);
    }
    claim(
        out,
        "with the don't-fragment bit, a datagram larger than the path's MTU is refused (EMSGSIZE); without it, the datagram is fragmented and arrives whole",
    )?;
    inside_the_namespace(out)
}

/// Runs `dont-fragment --inside` again in a network namespace of its own.
fn in_a_namespace(out: &mut dyn Write, flip: bool) -> Result<Verdict, Error> {
    let mtu = if flip { 65536 } else { 1500 };
    let exe = std::env::current_exe().context(|| "cannot find this program")?;
    let script = format!("ip link set lo up mtu {mtu} && exec \"$0\" dont-fragment --inside");
    out.flush()?;
    // First, whether a namespace can be had at all.
    let probe = std::process::Command::new("unshare")
        .args(["-n", "true"])
        .output()
        .map_err(|error| format!("cannot run unshare: {error}"))
        .and_then(|o| match o.status.success() {
            true => Ok(()),
            false => Err(String::from_utf8_lossy(&o.stderr).trim().to_string()),
        });
    if let Err(why) = probe {
        return Err(Error::msg(format!(
            "network namespaces are not permitted here ({why}): this claim needs one with a 1500-byte path"
        )));
    }
    // The run inside prints its steps and verdict; they are passed on, and its verdict
    // is this run's.
    let inside = std::process::Command::new("unshare")
        .args(["-n", "sh", "-c", &script])
        .arg(&exe)
        .stderr(std::process::Stdio::inherit())
        .output()
        .context(|| "cannot run unshare")?;
    out.write_all(&inside.stdout)?;
    let said = String::from_utf8_lossy(&inside.stdout);
    match said.lines().last().and_then(Verdict::parse) {
        Some(verdict) if inside.status.success() => Ok(verdict),
        _ => Err(Error::msg(format!(
            "the run inside the namespace failed ({})",
            inside.status
        ))),
    }
}

#[cfg(target_os = "linux")]
fn inside_the_namespace(out: &mut dyn Write) -> Result<Verdict, Error> {
    use rustix::net::sockopt::{Ipv4PathMtuDiscovery, ip_mtu, set_ip_mtu_discover};
    // The namespace's own loopback, as `ip` reports it (sysfs would show the host's).
    let link = std::process::Command::new("ip")
        .args(["-o", "link", "show", "lo"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_default();
    let mtu = link
        .split_whitespace()
        .skip_while(|w| *w != "mtu")
        .nth(1)
        .unwrap_or("unknown");
    step(out, "namespace", "ip link show lo", &format!("mtu {mtu}"))?;
    let receiver = bound("127.0.0.1:0")?;
    let to = addr(&receiver)?;
    let df = bound("127.0.0.1:0")?;
    set_ip_mtu_discover(&df, Ipv4PathMtuDiscovery::DO).context(|| "cannot set IP_MTU_DISCOVER")?;
    step(
        out,
        "client",
        "setsockopt(IP_MTU_DISCOVER, IP_PMTUDISC_DO)",
        "Ok(())",
    )?;
    df.connect(to).context(|| "cannot connect")?;
    let fits = send(out, &df, to, &vec![b'#'; 1472])?.is_ok();
    let over = send(out, &df, to, &vec![b'#'; 1473])?;
    let refused = matches!(&over, Err(e) if e.raw_os_error() == Some(90));
    let path = ip_mtu(&df).map_err(io::Error::from);
    step(out, "client", "getsockopt(IP_MTU)", &answer(&path))?;
    let mut buf = vec![0; 65535];
    let _ = receiver.recv_from(&mut buf); // the 1472 bytes
    let frag = bound("127.0.0.1:0")?;
    set_ip_mtu_discover(&frag, Ipv4PathMtuDiscovery::DONT)
        .context(|| "cannot set IP_MTU_DISCOVER")?;
    step(
        out,
        "client",
        "setsockopt(IP_MTU_DISCOVER, IP_PMTUDISC_DONT)",
        "Ok(())",
    )?;
    let _ = send(out, &frag, to, &vec![b'#'; 4000])?;
    let got = receiver.recv_from(&mut buf);
    let whole = matches!(got, Ok((4000, _)));
    step(
        out,
        "receiver",
        "recvfrom(65535)",
        &format!("{} bytes", got.as_ref().map_or(0, |r| r.0)),
    )?;
    let verdict = if fits && refused && whole {
        Verdict::Holds(format!(
            "1472 bytes went and 1473 were refused on a path of MTU {}, and 4000 bytes arrived whole in fragments",
            path.as_ref().map_or(0, |m| *m)
        ))
    } else {
        Verdict::Differs(format!(
            "1473 bytes with don't-fragment {} on a path of MTU {}",
            if refused { "were refused" } else { "went" },
            path.as_ref().map_or(0, |m| *m)
        ))
    };
    writeln!(out, "{verdict}")?;
    Ok(verdict)
}

#[cfg(not(target_os = "linux"))]
fn inside_the_namespace(_: &mut dyn Write) -> Result<Verdict, Error> {
    Err(Error::msg("IP_MTU_DISCOVER is Linux only"))
}

/// Claim 6: a broadcast without `SO_BROADCAST` is refused, even on loopback.
pub fn broadcast_needs_permission(out: &mut dyn Write, flip: bool) -> Result<Verdict, Error> {
    claim(
        out,
        "a datagram to a broadcast address is refused unless the socket has SO_BROADCAST",
    )?;
    let receiver = bound("127.255.255.255:0")?;
    let to = addr(&receiver)?;
    let sock = bound("127.0.0.1:0")?;
    if flip {
        let result = sock.set_broadcast(true);
        step(
            out,
            "client",
            "setsockopt(SO_BROADCAST, 1)",
            &answer(&result),
        )?;
    }
    let sent = send(out, &sock, to, b"Broadcast datagram!")?;
    let mut buf = [0; 64];
    let got = receiver.recv_from(&mut buf);
    step(out, "receiver", "recvfrom(64)", &received(&got, &buf))?;
    let verdict = match sent {
        Err(e) if e.kind() == io::ErrorKind::PermissionDenied => Verdict::Holds(
            "without SO_BROADCAST the kernel refused the datagram: Permission denied".into(),
        ),
        _ => Verdict::Differs(format!(
            "the datagram went{}",
            if got.is_ok() {
                ", and the receiver got it"
            } else {
                ""
            }
        )),
    };
    writeln!(out, "{verdict}")?;
    Ok(verdict)
}
