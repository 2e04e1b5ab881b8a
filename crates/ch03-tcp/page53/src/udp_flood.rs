//! `udp-flood`: UDP has no flow control, so datagrams sent faster than they are read are
//! dropped and the sender never knows; TCP makes the sender wait instead.

use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream, UdpSocket};
use std::thread;
use std::time::{Duration, Instant};

use fopnp::{Context, Error};

use crate::steps::{STEP_LIMIT, Verdict, claim};

/// How many 16-byte datagrams each round sends: enough to overflow a default receive
/// buffer hundreds of times over.
pub const DATAGRAMS: u64 = 200_000;
const DATAGRAM: &[u8; 16] = b"capitalize this!";
/// How late the TCP receiver starts reading.
const TCP_LATE_START: Duration = Duration::from_millis(300);
/// The slow UDP reader's pause per datagram.
const SLOW_READ: Duration = Duration::from_micros(50);
/// A reader that hears nothing for this long after the sender is done stops.
const QUIET: Duration = Duration::from_millis(300);

/// One round: how much was sent and how much arrived.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Round {
    pub sent: u64,
    pub send_errors: u64,
    pub received: u64,
    /// The kernel's count of datagrams dropped for a full receive buffer during the round
    /// (`/proc/net/snmp` Udp RcvbufErrors, system-wide), where readable.
    pub rcvbuf_errors: Option<u64>,
}

impl Round {
    pub fn lost(&self) -> u64 {
        self.sent - self.received.min(self.sent)
    }
}

/// What the demonstration observed.
#[derive(Debug)]
pub struct UdpFlood {
    /// A receiver that reads only after the sender has finished.
    pub late_reader: Round,
    /// A receiver that reads slowly while the sender sends.
    pub slow_reader: Round,
    /// The same over TCP (counts in 16-byte messages), and the longest single send().
    pub tcp: Round,
    pub tcp_longest_send: Duration,
    pub verdict: Verdict,
}

/// `Udp: ... RcvbufErrors ...` from /proc/net/snmp (Linux only; `None` elsewhere).
fn rcvbuf_errors() -> Option<u64> {
    #[cfg(target_os = "linux")]
    return procfs::net::snmp().ok().map(|snmp| snmp.udp_rcvbuf_errors);
    #[cfg(not(target_os = "linux"))]
    None
}

fn udp_pair() -> Result<(UdpSocket, UdpSocket), Error> {
    let receiver = UdpSocket::bind("127.0.0.1:0").context(|| "cannot bind a UDP socket")?;
    let sender = UdpSocket::bind("127.0.0.1:0").context(|| "cannot bind a UDP socket")?;
    sender.connect(receiver.local_addr()?)?;
    receiver.set_read_timeout(Some(QUIET))?;
    Ok((sender, receiver))
}

fn blast(sender: &UdpSocket, datagrams: u64) -> (u64, u64) {
    let (mut sent, mut errors) = (0, 0);
    for _ in 0..datagrams {
        match sender.send(DATAGRAM) {
            Ok(_) => sent += 1,
            Err(_) => errors += 1,
        }
    }
    (sent, errors)
}

fn show(out: &mut dyn Write, round: &Round, unit: &str) -> io::Result<()> {
    writeln!(
        out,
        "  sender: {} send calls of 16 bytes → {} {unit} sent, {} errors",
        round.sent + round.send_errors,
        round.sent,
        round.send_errors
    )?;
    writeln!(out, "  receiver: {} {unit} received", round.received)?;
    let percent = 100.0 * round.lost() as f64 / round.sent.max(1) as f64;
    write!(out, "  lost: {} ({percent:.1}%)", round.lost())?;
    match round.rcvbuf_errors {
        Some(n) => writeln!(
            out,
            "; the kernel counted {n} receive-buffer drops (/proc/net/snmp Udp RcvbufErrors)"
        ),
        None => writeln!(out),
    }
}

pub fn run(out: &mut dyn Write, datagrams: u64) -> Result<UdpFlood, Error> {
    claim(
        out,
        "UDP cannot deadlock this way: it has no flow control, so datagrams that arrive faster than they are read are simply dropped",
    )?;

    writeln!(
        out,
        "round 1: a UDP receiver that reads only after the sender has finished"
    )?;
    let (sender, receiver) = udp_pair()?;
    let before = rcvbuf_errors();
    let (sent, send_errors) = blast(&sender, datagrams);
    receiver.set_nonblocking(true)?;
    let mut buf = [0; 64];
    let mut received = 0;
    // Read until "would block": everything the kernel kept.
    while receiver.recv(&mut buf).is_ok() {
        received += 1;
    }
    let late_reader = Round {
        sent,
        send_errors,
        received,
        rcvbuf_errors: before.zip(rcvbuf_errors()).map(|(b, a)| a - b),
    };
    show(out, &late_reader, "datagrams")?;

    writeln!(
        out,
        "round 2: a UDP receiver that reads slowly ({SLOW_READ:?} a datagram) while the sender sends"
    )?;
    let (sender, receiver) = udp_pair()?;
    let before = rcvbuf_errors();
    let reader = thread::spawn(move || {
        let mut buf = [0; 64];
        let mut received = 0;
        // Ends when nothing has come for QUIET: the sender is done.
        while receiver.recv(&mut buf).is_ok() {
            received += 1;
            thread::sleep(SLOW_READ);
        }
        received
    });
    let (sent, send_errors) = blast(&sender, datagrams);
    let received = reader
        .join()
        .map_err(|_| Error::msg("the reader thread panicked"))?;
    let slow_reader = Round {
        sent,
        send_errors,
        received,
        rcvbuf_errors: before.zip(rcvbuf_errors()).map(|(b, a)| a - b),
    };
    show(out, &slow_reader, "datagrams")?;

    writeln!(
        out,
        "the same over TCP: a receiver that starts reading {TCP_LATE_START:?} late, small socket buffers"
    )?;
    let (tcp, tcp_longest_send) = tcp_round(datagrams)?;
    show(out, &tcp, "messages")?;
    writeln!(
        out,
        "  the longest send() blocked {:.0} ms: the sender waited for the receiver",
        tcp_longest_send.as_secs_f64() * 1000.0
    )?;

    let udp_lost = late_reader.lost() > 0 && slow_reader.lost() > 0;
    let udp_silent = late_reader.send_errors == 0 && slow_reader.send_errors == 0;
    let verdict = if udp_lost && udp_silent && tcp.lost() == 0 {
        Verdict::Holds(format!(
            "UDP dropped {} of {} datagrams for a late reader and {} for a slow one while every send succeeded; TCP lost nothing because its sender blocked (up to {:.0} ms) until the receiver read",
            late_reader.lost(),
            late_reader.sent,
            slow_reader.lost(),
            tcp_longest_send.as_secs_f64() * 1000.0
        ))
    } else {
        Verdict::Differs(format!(
            "UDP lost {} and {}, with {} send errors; TCP lost {}",
            late_reader.lost(),
            slow_reader.lost(),
            late_reader.send_errors + slow_reader.send_errors,
            tcp.lost()
        ))
    };
    writeln!(out, "{verdict}")?;
    Ok(UdpFlood {
        late_reader,
        slow_reader,
        tcp,
        tcp_longest_send,
        verdict,
    })
}

/// TCP with the UDP rounds' pattern: the sender sends `messages` 16-byte messages while
/// the receiver starts late; returns the round (in messages) and the longest send().
fn tcp_round(messages: u64) -> Result<(Round, Duration), Error> {
    const SMALL_BUFFER: usize = 4096;
    let listener = TcpListener::bind("127.0.0.1:0").context(|| "cannot listen on loopback")?;
    // Small buffers, set before the connection exists, so the sender must wait early.
    socket2::SockRef::from(&listener).set_recv_buffer_size(SMALL_BUFFER)?;
    let addr = listener.local_addr()?;
    let sender = thread::spawn(move || -> io::Result<(u64, u64, Duration)> {
        let mut sock = TcpStream::connect(addr)?;
        socket2::SockRef::from(&sock).set_send_buffer_size(SMALL_BUFFER)?;
        sock.set_write_timeout(Some(STEP_LIMIT))?;
        let (mut sent, mut errors, mut longest) = (0, 0, Duration::ZERO);
        for _ in 0..messages {
            let started = Instant::now();
            match sock.write_all(DATAGRAM) {
                Ok(()) => sent += 1,
                Err(_) => errors += 1,
            }
            longest = longest.max(started.elapsed());
        }
        sock.shutdown(Shutdown::Write)?;
        Ok((sent, errors, longest))
    });
    let (mut sock, _) = listener.accept().context(|| "cannot accept on loopback")?;
    sock.set_read_timeout(Some(STEP_LIMIT))?;
    // The receiver is late: the sender fills the buffers and must wait.
    thread::sleep(TCP_LATE_START);
    let mut bytes = 0u64;
    let mut buf = vec![0; 64 * 1024];
    loop {
        match sock.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => bytes += n as u64,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
            Err(error) => return Err(error).context(|| "TCP receiver failed"),
        }
    }
    let (sent, send_errors, longest) = sender
        .join()
        .map_err(|_| Error::msg("the TCP sender panicked"))?
        .context(|| "TCP sender failed")?;
    let round = Round {
        sent,
        send_errors,
        received: bytes / DATAGRAM.len() as u64,
        rcvbuf_errors: None,
    };
    Ok((round, longest))
}
