//! Chapter 4, `dns_mx.py`: where mail for a domain goes. Its MX records, in order of
//! preference, and each mail server's addresses; a domain with none is its own mail
//! server (RFC 5321).
//!
//! ```python
//! def resolve_hostname(hostname, indent=''):
//!     "Print an A or AAAA record for `hostname`; follow CNAMEs if necessary."
//!     indent = indent + '    '
//!     answer = dns.resolver.query(hostname, 'A')
//!     if answer.rrset is not None:
//!         for record in answer:
//!             print(indent, hostname, 'has A address', record.address)
//!         return
//!     answer = dns.resolver.query(hostname, 'AAAA')
//!     ...
//!     answer = dns.resolver.query(hostname, 'CNAME')
//!     if answer.rrset is not None:
//!         record = answer[0]
//!         cname = record.address
//!         print(indent, hostname, 'is a CNAME alias for', cname) #?
//!         resolve_hostname(cname, indent)
//!         return
//!     print(indent, 'ERROR: no A, AAAA, or CNAME records for', hostname)
//!
//! def resolve_email_domain(domain):
//!     "For an email address `name@domain` find its mail server IP addresses."
//!     try:
//!         answer = dns.resolver.query(domain, 'MX', raise_on_no_answer=False)
//!     except dns.resolver.NXDOMAIN:
//!         print('Error: No such domain', domain)
//!         return
//!     if answer.rrset is not None:
//!         records = sorted(answer, key=lambda record: record.preference)
//!         print('This domain has', len(records), 'MX records')
//!         for record in records:
//!             name = record.exchange.to_text(omit_final_dot=True)
//!             print('Priority', record.preference)
//!             resolve_hostname(name)
//!     else:
//!         print('This domain has no explicit MX records')
//!         print('Attempting to resolve it as an A, AAAA, or CNAME')
//!         resolve_hostname(domain)
//! ```

use std::io::Write;

use dns_resolver::{QueryError, Resolver, Type, rdata_text};
use fopnp::Error;

/// The book's `resolve_hostname(hostname, indent)`.
///
/// Departures, each pinned by a test: the book asks for A with `raise_on_no_answer` left
/// on, so a mail server with only AAAA records, or one that does not exist, kills the
/// script (`NoAnswer`, `NXDOMAIN`), and its AAAA and CNAME branches are never reached;
/// its CNAME branch would die too, on `record.address` (a CNAME has `.target`). Here a
/// name with no records of a type goes on to the next type, a name that does not exist
/// ends in the book's ERROR line, and a CNAME prints its target and follows it.
pub fn resolve_hostname(
    hostname: &str,
    indent: &str,
    resolver: &Resolver,
    out: &mut dyn Write,
) -> Result<(), Error> {
    let indent = format!("{indent}    ");
    let ask = |qtype| match resolver.query(hostname, qtype, false) {
        Ok(answer) => Ok(answer),
        Err(QueryError::NxDomain(_)) => Ok(None),
        Err(other) => Err(Error::new(other)),
    };
    if let Some(answer) = ask(Type::A)? {
        for record in answer.data() {
            writeln!(
                out,
                "{indent} {hostname} has A address {}",
                rdata_text(record)
            )?;
        }
        return Ok(());
    }
    if let Some(answer) = ask(Type::AAAA)? {
        for record in answer.data() {
            writeln!(
                out,
                "{indent} {hostname} has AAAA address {}",
                rdata_text(record)
            )?;
        }
        return Ok(());
    }
    if let Some(answer) = ask(Type::CNAME)?
        && let Some(record) = answer.data().next()
    {
        let cname = rdata_text(record).to_string();
        let cname = cname.strip_suffix('.').unwrap_or(&cname).to_string();
        writeln!(out, "{indent} {hostname} is a CNAME alias for {cname}")?;
        return resolve_hostname(&cname, &indent, resolver, out);
    }
    writeln!(
        out,
        "{indent} ERROR: no A, AAAA, or CNAME records for {hostname}"
    )?;
    Ok(())
}

/// The book's `resolve_email_domain(domain)`.
pub fn resolve_email_domain(
    domain: &str,
    resolver: &Resolver,
    out: &mut dyn Write,
) -> Result<(), Error> {
    let answer = match resolver.query(domain, Type::MX, false) {
        Ok(answer) => answer,
        Err(QueryError::NxDomain(_)) => {
            writeln!(out, "Error: No such domain {domain}")?;
            return Ok(());
        }
        Err(other) => return Err(Error::new(other)),
    };
    match answer {
        Some(answer) => {
            let mut records: Vec<(u16, String)> = answer
                .data()
                .filter_map(|d| match d {
                    dns_resolver::RData::MX(mx) => Some((mx.preference, mx.exchange.to_ascii())),
                    _ => None,
                })
                .collect();
            // sorted() is stable: equal preferences keep the answer's order.
            records.sort_by_key(|(preference, _)| *preference);
            writeln!(out, "This domain has {} MX records", records.len())?;
            for (preference, exchange) in records {
                let name = exchange.strip_suffix('.').unwrap_or(&exchange);
                writeln!(out, "Priority {preference}")?;
                resolve_hostname(name, "", resolver, out)?;
            }
        }
        None => {
            writeln!(out, "This domain has no explicit MX records")?;
            writeln!(out, "Attempting to resolve it as an A, AAAA, or CNAME")?;
            resolve_hostname(domain, "", resolver, out)?;
        }
    }
    Ok(())
}
