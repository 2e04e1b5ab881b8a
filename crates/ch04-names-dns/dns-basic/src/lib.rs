//! Chapter 4, `dns_basic.py`: five questions about one name, asked of DNS itself rather
//! than of the system's resolver ([`dns_resolver`] is dnspython's role).
//!
//! ```python
//! def lookup(name):
//!     for qtype in 'A', 'AAAA', 'CNAME', 'MX', 'NS':
//!         answer = dns.resolver.query(name, qtype, raise_on_no_answer=False)
//!         if answer.rrset is not None:
//!             print(answer.rrset)
//! ```

use std::io::Write;

use dns_resolver::{Resolver, Type};
use fopnp::Error;

/// The five types the book asks for, in its order.
pub const TYPES: [Type; 5] = [Type::A, Type::AAAA, Type::CNAME, Type::MX, Type::NS];

/// The book's `lookup(name)`: each rrset the name has, of the five types, in turn.
pub fn lookup(name: &str, resolver: &Resolver, out: &mut dyn Write) -> Result<(), Error> {
    lookup_types(name, &TYPES, resolver, out)
}

/// `lookup(name)` for the types given (`--type`, a departure: the book's asks all five).
pub fn lookup_types(
    name: &str,
    types: &[Type],
    resolver: &Resolver,
    out: &mut dyn Write,
) -> Result<(), Error> {
    for &qtype in types {
        let answer = resolver.query(name, qtype, false).map_err(Error::new)?;
        if let Some(rrset) = answer {
            writeln!(out, "{rrset}")?;
        }
    }
    Ok(())
}
