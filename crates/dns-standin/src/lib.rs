//! A stand-in for the DNS that Chapter 4's scripts ask, on loopback, so that no test and
//! no `cargo xtask run 4` reaches the machine's resolver: one small zone under
//! `example.com` ([`ZONE`]), answered authoritatively over UDP and TCP on one port.
//!
//! It answers as a real server would: the question echoed as asked (its case too); a
//! CNAME followed inside the zone, the chain first in the answer; no records of the type
//! asked is NOERROR with the zone's SOA (NODATA); a name outside the zone, or one the
//! zone lacks, is NXDOMAIN. A query with EDNS (hickory-resolver sends it; dnspython and
//! glibc do not) gets EDNS back. [`Mode::Silent`] reads every query and answers none,
//! as a dead server does.

use std::io::{self, Read, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread;
use std::time::Duration;

use hickory_proto::op::{Edns, Message, MessageType, OpCode, ResponseCode};
use hickory_proto::rr::rdata::{A, AAAA, CNAME, MX, NS, SOA};
use hickory_proto::rr::{Name, RData, Record, RecordType};

/// The zone's origin.
pub const ORIGIN: &str = "example.com.";
/// Every record's time to live, as the book's sessions print it.
pub const TTL: u32 = 300;

/// The zone: owner (relative to [`ORIGIN`], `@` for the origin), type, data.
pub const ZONE: &[(&str, &str, &str)] = &[
    (
        "@",
        "SOA",
        "ns.example.com. hostmaster.example.com. 1 3600 600 86400 300",
    ),
    ("@", "NS", "ns"),
    ("@", "MX", "10 mail1"),
    ("@", "MX", "20 mail2"),
    ("ns", "A", "127.0.0.1"),
    ("www", "A", "127.0.0.1"),
    ("www", "AAAA", "::1"),
    ("v4only", "A", "127.0.0.1"),
    ("alias", "CNAME", "www"),
    ("mail1", "A", "127.0.0.2"),
    ("mail1", "A", "127.0.0.3"),
    ("mail2", "CNAME", "mail1"),
    ("nomx", "A", "127.0.0.4"),
    ("v6mx", "MX", "10 v6only"),
    ("v6only", "AAAA", "::1"),
    ("badmx", "MX", "10 missing"),
    ("cnamemx", "MX", "10 alias"),
    ("deadalias", "CNAME", "missing"),
    ("deadmx", "MX", "10 deadalias"),
    ("xn--bcher-kva", "A", "127.0.0.5"),
    ("strasse", "A", "127.0.0.6"),
    ("xn--strae-oqa", "A", "127.0.0.7"),
    ("multi", "A", "127.0.0.8"),
    ("multi", "A", "127.0.0.9"),
];

/// How the stand-in answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Mode {
    /// From the zone.
    Answer,
    /// Never: every query is read and dropped, as by a server that is down.
    Silent,
}

/// A name in the zone, absolute.
fn absolute(name: &str) -> Name {
    let text = match name {
        "@" => ORIGIN.to_string(),
        n if n.ends_with('.') => n.to_string(),
        n => format!("{n}.{ORIGIN}"),
    };
    Name::from_ascii(&text).unwrap_or_else(|_| Name::root())
}

/// The zone's records, built once per answer (the zone is small).
pub fn records() -> Vec<Record> {
    ZONE.iter()
        .filter_map(|(owner, kind, data)| {
            let rdata = match *kind {
                "A" => RData::A(A(Ipv4Addr::from_str(data).ok()?)),
                "AAAA" => RData::AAAA(AAAA(Ipv6Addr::from_str(data).ok()?)),
                "CNAME" => RData::CNAME(CNAME(absolute(data))),
                "NS" => RData::NS(NS(absolute(data))),
                "MX" => {
                    let (preference, exchange) = data.split_once(' ')?;
                    RData::MX(MX::new(preference.parse().ok()?, absolute(exchange)))
                }
                "SOA" => {
                    let f: Vec<&str> = data.split(' ').collect();
                    RData::SOA(SOA::new(
                        absolute(f[0]),
                        absolute(f[1]),
                        f[2].parse().ok()?,
                        f[3].parse().ok()?,
                        f[4].parse().ok()?,
                        f[5].parse().ok()?,
                        f[6].parse().ok()?,
                    ))
                }
                _ => return None,
            };
            Some(Record::from_rdata(absolute(owner), TTL, rdata))
        })
        .collect()
}

/// The answer to one query message, as bytes (None: not a query it can read).
pub fn answer(query: &[u8]) -> Option<Vec<u8>> {
    let request = Message::from_vec(query).ok()?;
    if request.metadata.message_type != MessageType::Query {
        return None;
    }
    let mut response = Message::response(request.metadata.id, request.metadata.op_code);
    response.metadata.recursion_desired = request.metadata.recursion_desired;
    response.metadata.authoritative = true;
    if request.edns.is_some() {
        response.set_edns(Edns::new());
    }
    let Some(question) = request.queries.first().cloned() else {
        response.metadata.response_code = ResponseCode::FormErr;
        return response.to_vec().ok();
    };
    response.add_query(question.clone());
    if request.metadata.op_code != OpCode::Query {
        response.metadata.response_code = ResponseCode::NotImp;
        return response.to_vec().ok();
    }
    let zone = records();
    let origin = absolute("@");
    let soa = zone
        .iter()
        .find(|r| r.record_type() == RecordType::SOA)
        .cloned();
    // The name as asked, then each CNAME's target in turn (at most 8, against loops).
    let mut asked = question.name().clone();
    for _ in 0..8 {
        let key = asked.to_lowercase();
        let here: Vec<&Record> = zone.iter().filter(|r| r.name == key).collect();
        // The owner as the question spelt it, as servers echo it.
        let owned = |r: &Record| {
            let mut r = r.clone();
            r.name = asked.clone();
            r
        };
        let exists = !here.is_empty() || zone.iter().any(|r| key.zone_of(&r.name) && r.name != key);
        if !origin.zone_of(&key) || !exists {
            response.metadata.response_code = ResponseCode::NXDomain;
            response.add_authorities(soa.clone());
            return response.to_vec().ok();
        }
        let wanted: Vec<Record> = here
            .iter()
            .filter(|r| r.record_type() == question.query_type())
            .map(|r| owned(r))
            .collect();
        if !wanted.is_empty() {
            response.add_answers(wanted);
            return response.to_vec().ok();
        }
        let alias = here.iter().find_map(|r| match &r.data {
            RData::CNAME(CNAME(target)) => Some((owned(r), target.clone())),
            _ => None,
        });
        match alias {
            Some((record, target)) => {
                response.add_answer(record);
                asked = target;
            }
            None => {
                // NODATA: the name is there, with nothing of that type.
                response.add_authorities(soa.clone());
                return response.to_vec().ok();
            }
        }
    }
    response.metadata.response_code = ResponseCode::ServFail;
    response.to_vec().ok()
}

/// One query as it arrived, for the log: `www.example.com. A (udp)`.
pub fn describe(query: &[u8], transport: &str) -> String {
    match Message::from_vec(query) {
        Ok(message) => match message.queries.first() {
            Some(q) => format!("{} {} ({transport})", q.name(), q.query_type()),
            None => format!("a message with no question ({transport})"),
        },
        Err(_) => format!("{} bytes that are not DNS ({transport})", query.len()),
    }
}

/// A running stand-in; dropping it stops it.
pub struct DnsStandIn {
    port: u16,
    stop: Arc<AtomicBool>,
    queries: Arc<Mutex<Vec<String>>>,
}

impl DnsStandIn {
    /// A stand-in on 127.0.0.1 at a port the system chooses.
    pub fn start(mode: Mode) -> Result<Self, String> {
        Self::bind(IpAddr::V4(Ipv4Addr::LOCALHOST), 0, mode, |_| {}, |_| {})
    }

    /// A stand-in on `ip` and `port` (0: the system chooses), UDP and TCP on the same
    /// port; `listening` is told the port before any query is read, `log` of each query.
    pub fn bind(
        ip: IpAddr,
        port: u16,
        mode: Mode,
        listening: impl FnOnce(u16),
        log: impl Fn(&str) + Send + Sync + 'static,
    ) -> Result<Self, String> {
        let (udp, tcp) = sockets(ip, port)?;
        let port = udp.local_addr().map_err(|e| e.to_string())?.port();
        listening(port);
        let stop = Arc::new(AtomicBool::new(false));
        let queries = Arc::new(Mutex::new(Vec::new()));
        let log: Arc<dyn Fn(&str) + Send + Sync> = Arc::new(log);
        let keep = {
            let queries = queries.clone();
            move |line: String| {
                log(&line);
                queries
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .push(line);
            }
        };
        let keep = Arc::new(keep);
        {
            let (stop, keep) = (stop.clone(), keep.clone());
            thread::spawn(move || {
                let mut buf = [0u8; 4096];
                while !stop.load(Ordering::SeqCst) {
                    let Ok((n, peer)) = udp.recv_from(&mut buf) else {
                        continue;
                    };
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    keep(describe(&buf[..n], "udp"));
                    if mode == Mode::Answer
                        && let Some(reply) = answer(&buf[..n])
                    {
                        let _ = udp.send_to(&reply, peer);
                    }
                }
            });
        }
        {
            let (stop, keep) = (stop.clone(), keep.clone());
            thread::spawn(move || {
                for stream in tcp.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(stream) = stream else { continue };
                    let keep = keep.clone();
                    thread::spawn(move || {
                        let _ = over_tcp(stream, mode, &*keep);
                    });
                }
            });
        }
        Ok(Self {
            port,
            stop,
            queries,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// `127.0.0.1:PORT`, for a client's `--nameserver`.
    pub fn addr(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.port))
    }

    /// Every query so far, as logged.
    pub fn queries(&self) -> Vec<String> {
        self.queries
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

impl Drop for DnsStandIn {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wakes both threads, which then see the flag.
        if let Ok(socket) = UdpSocket::bind("127.0.0.1:0") {
            let _ = socket.send_to(b"", self.addr());
        }
        let _ = TcpStream::connect_timeout(&self.addr(), Duration::from_secs(1));
    }
}

/// A UDP socket and a TCP listener on the same port (the system's choice for port 0,
/// tried again if the UDP port is taken). TCP is bound first: whoever waits for the
/// stand-in watches for its UDP socket, which then appears only once, on the final port
/// (bound UDP-first, a retry moved the port after a watcher had read it).
fn sockets(ip: IpAddr, port: u16) -> Result<(UdpSocket, TcpListener), String> {
    let mut last = String::new();
    for _ in 0..20 {
        let tcp = TcpListener::bind((ip, port))
            .map_err(|e| format!("cannot listen at {ip} port {port}: {e}"))?;
        let chosen = tcp.local_addr().map_err(|e| e.to_string())?.port();
        match UdpSocket::bind((ip, chosen)) {
            Ok(udp) => return Ok((udp, tcp)),
            Err(e) if port == 0 => last = e.to_string(),
            Err(e) => return Err(format!("cannot bind {ip} port {port}: {e}")),
        }
    }
    Err(format!("no port free for both UDP and TCP: {last}"))
}

/// DNS over TCP: each message after its two-byte length.
fn over_tcp(mut stream: TcpStream, mode: Mode, keep: &dyn Fn(String)) -> io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    loop {
        let mut length = [0u8; 2];
        if stream.read_exact(&mut length).is_err() {
            return Ok(());
        }
        let mut query = vec![0u8; usize::from(u16::from_be_bytes(length))];
        stream.read_exact(&mut query)?;
        keep(describe(&query, "tcp"));
        if mode == Mode::Answer
            && let Some(reply) = answer(&query)
        {
            let length = u16::try_from(reply.len()).unwrap_or(u16::MAX).to_be_bytes();
            stream.write_all(&length)?;
            stream.write_all(&reply)?;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hickory_proto::op::Query;

    fn ask(name: &str, kind: RecordType) -> Message {
        let mut query = Message::query();
        query.add_query(Query::query(Name::from_ascii(name).unwrap(), kind));
        Message::from_vec(&answer(&query.to_vec().unwrap()).unwrap()).unwrap()
    }

    fn lines(message: &Message) -> Vec<String> {
        message
            .answers
            .iter()
            .map(|r| format!("{} {} {}", r.name, r.record_type(), r.data))
            .collect()
    }

    #[test]
    fn a_name_gets_its_records_and_the_question_its_case() {
        let m = ask("WWW.Example.COM.", RecordType::A);
        assert_eq!(m.metadata.response_code, ResponseCode::NoError);
        assert_eq!(lines(&m), ["WWW.Example.COM. A 127.0.0.1"]);
        assert_eq!(m.queries[0].name().to_string(), "WWW.Example.COM.");
        let m = ask("example.com.", RecordType::MX);
        assert_eq!(
            lines(&m),
            [
                "example.com. MX 10 mail1.example.com.",
                "example.com. MX 20 mail2.example.com."
            ]
        );
    }

    #[test]
    fn a_cname_is_followed_in_the_zone_its_chain_first() {
        let m = ask("alias.example.com.", RecordType::A);
        assert_eq!(
            lines(&m),
            [
                "alias.example.com. CNAME www.example.com.",
                "www.example.com. A 127.0.0.1"
            ]
        );
        let m = ask("alias.example.com.", RecordType::CNAME);
        assert_eq!(lines(&m), ["alias.example.com. CNAME www.example.com."]);
        let m = ask("deadalias.example.com.", RecordType::A);
        assert_eq!(m.metadata.response_code, ResponseCode::NXDomain);
        assert_eq!(
            lines(&m),
            ["deadalias.example.com. CNAME missing.example.com."]
        );
    }

    #[test]
    fn nodata_and_nxdomain_carry_the_soa() {
        let m = ask("v6only.example.com.", RecordType::A);
        assert_eq!(m.metadata.response_code, ResponseCode::NoError);
        assert!(m.answers.is_empty());
        assert_eq!(m.authorities[0].record_type(), RecordType::SOA);
        for name in ["nosuch.example.com.", "localhost.", "."] {
            let m = ask(name, RecordType::A);
            assert_eq!(m.metadata.response_code, ResponseCode::NXDomain, "{name}");
        }
    }

    #[test]
    fn it_answers_over_udp_and_tcp_and_a_silent_one_never() {
        let stand_in = DnsStandIn::start(Mode::Answer).unwrap();
        let mut query = Message::query();
        query.add_query(Query::query(
            Name::from_ascii("www.example.com.").unwrap(),
            RecordType::AAAA,
        ));
        let bytes = query.to_vec().unwrap();
        let udp = UdpSocket::bind("127.0.0.1:0").unwrap();
        udp.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        udp.send_to(&bytes, stand_in.addr()).unwrap();
        let mut buf = [0u8; 4096];
        let (n, _) = udp.recv_from(&mut buf).unwrap();
        assert_eq!(
            lines(&Message::from_vec(&buf[..n]).unwrap()),
            ["www.example.com. AAAA ::1"]
        );
        let mut tcp = TcpStream::connect(stand_in.addr()).unwrap();
        tcp.write_all(&u16::try_from(bytes.len()).unwrap().to_be_bytes())
            .unwrap();
        tcp.write_all(&bytes).unwrap();
        let mut length = [0u8; 2];
        tcp.read_exact(&mut length).unwrap();
        let mut reply = vec![0u8; usize::from(u16::from_be_bytes(length))];
        tcp.read_exact(&mut reply).unwrap();
        assert_eq!(
            lines(&Message::from_vec(&reply).unwrap()),
            ["www.example.com. AAAA ::1"]
        );
        assert_eq!(
            stand_in.queries(),
            ["www.example.com. AAAA (udp)", "www.example.com. AAAA (tcp)"]
        );

        let silent = DnsStandIn::start(Mode::Silent).unwrap();
        udp.set_read_timeout(Some(Duration::from_millis(300)))
            .unwrap();
        udp.send_to(&bytes, silent.addr()).unwrap();
        assert!(udp.recv_from(&mut buf).is_err());
        assert!(eventually(|| silent.queries().len() == 1));
    }

    /// Polls until `ready` (at most 10 s): the query is logged after it is read.
    fn eventually(mut ready: impl FnMut() -> bool) -> bool {
        for _ in 0..1000 {
            if ready() {
                return true;
            }
            thread::sleep(Duration::from_millis(10));
        }
        false
    }
}
