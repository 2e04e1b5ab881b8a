//! The one list of tables, and the one place that maps the catalog's protocol family to
//! its table: a new protocol is a module that exports a [`Table`] and one line here.

use catalog::Family;

use crate::table::Table;
use crate::{dns, framing, http_client, http_server, sixteen, tls, udp, uppercase, zen};

/// Every table, in the book's order.
pub static TABLES: &[&Table] = &[
    &udp::LOCAL,
    &udp::REMOTE,
    &sixteen::TABLE,
    &dns::TABLE,
    &uppercase::TABLE,
    &framing::STREAMER_TABLE,
    &framing::BLOCKS_TABLE,
    &tls::TABLE,
    &zen::TABLE,
    &http_client::TABLE,
    &http_server::TABLE,
];

/// The table of a family (`None` only for a family whose table is missing here, which
/// the registry's test rules out).
pub fn table(family: Family) -> Option<&'static Table> {
    TABLES.iter().copied().find(|t| t.family == family)
}

/// A table by the name `cargo xtask conform` takes (`udp-local`, `3-2`, `zen`).
pub fn by_name(name: &str) -> Option<&'static Table> {
    TABLES.iter().copied().find(|t| t.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_family_with_members_has_one_table_and_names_are_unique() {
        for (i, t) in TABLES.iter().enumerate() {
            assert!(TABLES[..i].iter().all(|o| o.name != t.name), "{}", t.name);
            assert!(
                TABLES[..i].iter().all(|o| o.family != t.family),
                "{}",
                t.name
            );
            assert!(std::ptr::eq(by_name(t.name).unwrap(), *t));
            // A table of clients only has a stand-in for their other side.
            assert!(
                !(t.server_case_ids)().is_empty() || t.stand_in.is_some(),
                "{}",
                t.name
            );
        }
        for listing in catalog::listings() {
            if let Some(family) = listing.family {
                assert!(table(family).is_some(), "{}", listing.id);
            }
        }
    }
}
