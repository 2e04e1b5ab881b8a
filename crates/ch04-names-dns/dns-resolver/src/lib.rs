//! What Chapter 4's `dns_basic.py` and `dns_mx.py` take from dnspython:
//! `dns.resolver.query(name, qtype, raise_on_no_answer=False)`, its `answer.rrset`, and
//! the rrset's lines as `print` shows them (`www.example.com. 300 IN A 127.0.0.1`), on
//! hickory-resolver.
//!
//! Names: ASCII labels go out as typed (dnspython keeps their case, and the server
//! echoes it); a label that is not ASCII is mapped by UTS 46 (`straße` becomes
//! `xn--strae-oqa`), as dnspython 2.9 maps it with the `idna` package. A name without a
//! final dot is taken as absolute (the scripts' resolver has no search list here).

use std::fmt;
use std::net::SocketAddr;
use std::time::Duration;

use hickory_proto::rr::{Name, Record, RecordType};
use hickory_resolver::Resolver as Hickory;
use hickory_resolver::config::{ConnectionConfig, NameServerConfig, ResolverConfig};
use hickory_resolver::net::runtime::TokioRuntimeProvider;

pub use hickory_proto::rr::RData;
pub use hickory_proto::rr::RecordType as Type;

/// dnspython's exceptions, each one line as its message reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QueryError {
    /// `dns.resolver.NXDOMAIN`: the name does not exist.
    NxDomain(String),
    /// `dns.resolver.NoAnswer` (only with `raise_on_no_answer`): the name exists, with no
    /// record of the type.
    NoAnswer(String, RecordType),
    /// `dns.resolver.LifetimeTimeout`: no server answered in time.
    Timeout(Duration),
    /// `dns.name.EmptyLabel`, `LabelTooLong`, or a name IDNA refuses.
    BadName(String),
    /// Anything else the resolver reports.
    Other(String),
}

impl fmt::Display for QueryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            QueryError::NxDomain(name) => write!(f, "The DNS query name does not exist: {name}"),
            QueryError::NoAnswer(name, kind) => write!(
                f,
                "The DNS response does not contain an answer to the question: {name} IN {kind}"
            ),
            QueryError::Timeout(after) => write!(
                f,
                "The resolution lifetime expired after {:.3} seconds: no server answered",
                after.as_secs_f64()
            ),
            QueryError::BadName(why) => f.write_str(why),
            QueryError::Other(why) => f.write_str(why),
        }
    }
}

impl std::error::Error for QueryError {}

/// `answer.rrset`: the records of the type asked, under the name that holds them (for a
/// CNAME, its target's: the chain's records are not part of it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RRset {
    pub records: Vec<Record>,
}

impl RRset {
    /// The addresses and targets, as dnspython's `record.address`, `record.target`,
    /// `record.exchange` give them.
    pub fn data(&self) -> impl Iterator<Item = &RData> {
        self.records.iter().map(|r| &r.data)
    }
}

/// `print(answer.rrset)`: a line per record, `name ttl IN TYPE data`.
impl fmt::Display for RRset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, record) in self.records.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(
                f,
                "{} {} IN {} {}",
                record.name.to_ascii(),
                record.ttl,
                record.record_type(),
                rdata_text(&record.data)
            )?;
        }
        Ok(())
    }
}

/// A record's data as dnspython writes it: names in their ASCII (punycode) form.
pub fn rdata_text(data: &RData) -> String {
    match data {
        RData::CNAME(name) => name.0.to_ascii(),
        RData::NS(name) => name.0.to_ascii(),
        RData::MX(mx) => format!("{} {}", mx.preference, mx.exchange.to_ascii()),
        other => other.to_string(),
    }
}

/// Where the DNS scripts' queries go, as their command lines say (departures: the book's
/// scripts take neither option).
#[derive(clap::Args, Clone, Copy, Debug)]
pub struct Where {
    /// ask this DNS server (an address and a port) instead of those in /etc/resolv.conf
    #[arg(long, value_name = "IP:PORT")]
    pub nameserver: Option<SocketAddr>,
    /// how long a server may take to answer one attempt, in seconds (dnspython's 2);
    /// a query gives up after three times this
    #[arg(long, value_name = "SECONDS", default_value_t = 2.0, value_parser = fopnp::cli::seconds)]
    pub timeout: f64,
}

impl Where {
    /// The resolver these options describe.
    pub fn resolver(&self) -> Result<Resolver, QueryError> {
        Resolver::new(self.nameserver, Duration::from_secs_f64(self.timeout))
    }
}

/// `dns.resolver.Resolver`: where the queries go, and a runtime to wait on them.
pub struct Resolver {
    inner: Hickory<TokioRuntimeProvider>,
    runtime: tokio::runtime::Runtime,
    /// How long one query may take in all (dnspython's lifetime).
    lifetime: Duration,
}

/// How long one server may take to answer one attempt, as dnspython's `timeout`.
pub const TIMEOUT: Duration = Duration::from_secs(2);

impl Resolver {
    /// A resolver that asks `nameserver` (an address and port; UDP, then TCP for a
    /// truncated answer), or, without one, the servers of `/etc/resolv.conf`; each
    /// attempt may take `timeout` ([`TIMEOUT`] is dnspython's).
    pub fn new(nameserver: Option<SocketAddr>, timeout: Duration) -> Result<Self, QueryError> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| QueryError::Other(format!("cannot start the resolver: {e}")))?;
        let provider = TokioRuntimeProvider::default();
        let mut builder = match nameserver {
            Some(addr) => {
                let mut server = NameServerConfig::udp_and_tcp(addr.ip());
                server.connections = [ConnectionConfig::udp(), ConnectionConfig::tcp()]
                    .into_iter()
                    .map(|mut c| {
                        c.port = addr.port();
                        c
                    })
                    .collect();
                Hickory::builder_with_config(
                    ResolverConfig::from_name_servers(vec![server]),
                    provider,
                )
            }
            None => Hickory::builder(provider)
                .map_err(|e| QueryError::Other(format!("cannot read /etc/resolv.conf: {e}")))?,
        };
        let options = builder.options_mut();
        options.timeout = timeout;
        // Each server is tried again within the lifetime, as dnspython tries it until
        // its lifetime ends: one answer lost on a busy machine is not a failure.
        options.attempts = 2;
        // Each query asks the server, as dnspython's resolver (which has no cache) does.
        options.cache_size = 0;
        let inner = builder
            .build()
            .map_err(|e| QueryError::Other(format!("cannot build the resolver: {e}")))?;
        Ok(Self {
            inner,
            runtime,
            // However many tries (UDP, TCP, and again), a query ends after three timeouts.
            lifetime: timeout * 3,
        })
    }

    /// `dns.resolver.query(name, qtype, raise_on_no_answer=...)`: the rrset of that
    /// type (None: the name has none, where `raise_on_no_answer` is false).
    pub fn query(
        &self,
        name: &str,
        qtype: RecordType,
        raise_on_no_answer: bool,
    ) -> Result<Option<RRset>, QueryError> {
        let name = to_name(name)?;
        let shown = name.to_ascii();
        let started = std::time::Instant::now();
        let lookup = self.runtime.block_on(async {
            tokio::time::timeout(self.lifetime, self.inner.lookup(name, qtype)).await
        });
        let records: Vec<Record> = match lookup {
            Err(_) => return Err(QueryError::Timeout(started.elapsed())),
            Ok(Ok(lookup)) => lookup
                .answers()
                .iter()
                .filter(|r| r.record_type() == qtype)
                .cloned()
                .collect(),
            Ok(Err(error)) => {
                return classify(&error, &shown, qtype, raise_on_no_answer, started.elapsed());
            }
        };
        if records.is_empty() {
            if raise_on_no_answer {
                return Err(QueryError::NoAnswer(shown, qtype));
            }
            return Ok(None);
        }
        Ok(Some(RRset { records }))
    }
}

/// A failed lookup as dnspython would raise it, or no rrset.
fn classify(
    error: &hickory_resolver::net::NetError,
    name: &str,
    qtype: RecordType,
    raise_on_no_answer: bool,
    after: Duration,
) -> Result<Option<RRset>, QueryError> {
    use hickory_resolver::net::{DnsError, NetError};
    match error {
        _ if error.is_nx_domain() => Err(QueryError::NxDomain(name.to_string())),
        _ if error.is_no_records_found() && raise_on_no_answer => {
            Err(QueryError::NoAnswer(name.to_string(), qtype))
        }
        _ if error.is_no_records_found() => Ok(None),
        NetError::Dns(DnsError::ResponseCode(code)) => {
            Err(QueryError::Other(format!("the server answered {code}")))
        }
        NetError::Timeout => Err(QueryError::Timeout(after)),
        other => Err(QueryError::Other(other.to_string())),
    }
}

/// The name to ask for: ASCII labels as typed, the others by UTS 46, made absolute;
/// an empty label or one over 63 octets refused in dnspython's words.
pub fn to_name(text: &str) -> Result<Name, QueryError> {
    if text.is_empty() || text == "." {
        return Ok(Name::root());
    }
    let body = text.strip_suffix('.').unwrap_or(text);
    let mut labels = Vec::new();
    for label in body.split('.') {
        let label = if label.is_ascii() {
            label.to_string()
        } else {
            idna::domain_to_ascii_strict(label)
                .map_err(|_| QueryError::BadName(format!("{label:?} is not a valid IDNA label")))?
        };
        if label.is_empty() {
            return Err(QueryError::BadName("A DNS label is empty.".into()));
        }
        if label.len() > 63 {
            return Err(QueryError::BadName(
                "A DNS label is > 63 octets long.".into(),
            ));
        }
        labels.push(label);
    }
    Name::from_ascii(format!("{}.", labels.join(".")))
        .map_err(|e| QueryError::BadName(format!("{text:?} is not a DNS name: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use dns_standin::{DnsStandIn, Mode};

    #[test]
    fn names_keep_ascii_case_and_map_the_rest_by_uts46() {
        assert_eq!(
            to_name("WWW.Example.COM").unwrap().to_ascii(),
            "WWW.Example.COM."
        );
        assert_eq!(
            to_name("straße.example.com").unwrap().to_ascii(),
            "xn--strae-oqa.example.com."
        );
        assert_eq!(
            to_name("bücher.example.com.").unwrap().to_ascii(),
            "xn--bcher-kva.example.com."
        );
        assert_eq!(to_name("").unwrap().to_ascii(), ".");
        assert_eq!(
            to_name("bad..name").unwrap_err().to_string(),
            "A DNS label is empty."
        );
        let long = format!("{}.com", "a".repeat(64));
        assert_eq!(
            to_name(&long).unwrap_err().to_string(),
            "A DNS label is > 63 octets long."
        );
        assert!(to_name(&format!("{}.com", "a".repeat(63))).is_ok());
    }

    #[test]
    fn an_rrset_prints_as_dnspython_prints_it() {
        let stand_in = DnsStandIn::start(Mode::Answer).unwrap();
        let resolver = Resolver::new(Some(stand_in.addr()), TIMEOUT).unwrap();
        let rrset = resolver
            .query("www.example.com", Type::A, false)
            .unwrap()
            .unwrap();
        assert_eq!(rrset.to_string(), "www.example.com. 300 IN A 127.0.0.1");
        let rrset = resolver
            .query("example.com", Type::MX, false)
            .unwrap()
            .unwrap();
        let mut lines: Vec<String> = rrset.to_string().lines().map(String::from).collect();
        lines.sort();
        assert_eq!(
            lines,
            [
                "example.com. 300 IN MX 10 mail1.example.com.",
                "example.com. 300 IN MX 20 mail2.example.com."
            ]
        );
        let rrset = resolver
            .query("alias.example.com", Type::A, false)
            .unwrap()
            .unwrap();
        assert_eq!(
            rrset.to_string(),
            "www.example.com. 300 IN A 127.0.0.1",
            "the target's rrset"
        );
        assert_eq!(
            resolver.query("v6only.example.com", Type::A, false),
            Ok(None)
        );
        assert_eq!(
            resolver
                .query("v6only.example.com", Type::A, true)
                .unwrap_err()
                .to_string(),
            "The DNS response does not contain an answer to the question: v6only.example.com. IN A"
        );
        assert_eq!(
            resolver
                .query("nosuch.example.com", Type::A, false)
                .unwrap_err()
                .to_string(),
            "The DNS query name does not exist: nosuch.example.com."
        );
    }

    #[test]
    fn a_server_that_never_answers_is_a_timeout_in_one_line() {
        let stand_in = DnsStandIn::start(Mode::Silent).unwrap();
        let resolver = Resolver::new(Some(stand_in.addr()), Duration::from_millis(200)).unwrap();
        let error = resolver
            .query("www.example.com", Type::A, false)
            .unwrap_err();
        assert!(matches!(error, QueryError::Timeout(_)), "{error:?}");
        assert!(
            error
                .to_string()
                .starts_with("The resolution lifetime expired after "),
            "{error}"
        );
    }
}
