//! Finding a listing by a name a reader types: an ID, the book's number, a crate, a
//! binary, or a near miss.

use crate::{Family, Listing, Recorded, Runs, listings};

/// Finds a runnable listing by ID, crate name or binary name.
pub fn find(name: &str) -> Option<&'static Listing> {
    let runnable = || listings().filter(|l| l.runnable());
    runnable().find(|l| l.id == name).or_else(|| {
        runnable().find(|l| {
            !matches!(l.runs, Runs::Alone { .. } | Runs::Each(_))
                && (l.krate == name || l.bins.contains(&name))
        })
    })
}

/// What a name given to `cargo xtask run` stands for.
#[derive(Debug)]
pub enum Lookup {
    /// One runnable row.
    Found(&'static Listing),
    /// A crate or binary that several rows run (`page53`, `udp_claims`): run one of them.
    Several(Vec<&'static Listing>),
    /// A row with no session of its own (a client, a module), and the row whose session
    /// shows it.
    ShownBy(&'static Listing, &'static Listing),
    /// Nothing: the nearest IDs, best first (perhaps none).
    Unknown(Vec<&'static str>),
}

/// Looks up a name as `cargo xtask run` takes it: an ID, the book's listing number
/// (`7-3`, from "Listing 7-3"), a crate or a binary.
pub fn lookup(name: &str) -> Lookup {
    if let Some(l) = find(name) {
        return Lookup::Found(l);
    }
    if let Some(l) = by_id(name)
        && let Some(shown) = shown_by(l)
    {
        return Lookup::ShownBy(l, shown);
    }
    let numbered = listings().find(|l| l.book.strip_prefix("Listing ") == Some(name));
    if let Some(l) = numbered {
        if l.runnable() {
            return Lookup::Found(l);
        }
        if let Some(shown) = shown_by(l) {
            return Lookup::ShownBy(l, shown);
        }
    }
    let named: Vec<&'static Listing> = listings()
        .filter(|l| l.krate == name || l.bins.contains(&name))
        .collect();
    let runnable: Vec<&'static Listing> = named.iter().copied().filter(|l| l.runnable()).collect();
    if runnable.len() > 1 {
        return Lookup::Several(runnable);
    }
    if let Some(l) = named.first()
        && let Some(shown) = shown_by(l)
    {
        return Lookup::ShownBy(l, shown);
    }
    Lookup::Unknown(nearest(name))
}

/// The runnable row whose session shows a row that has none: the one it records
/// (`zen_client` in `srv_single`'s), or the one that runs its module's binary.
fn shown_by(l: &Listing) -> Option<&'static Listing> {
    match l.recorded {
        Recorded::RunOf(id) => by_id(id),
        Recorded::Program(bin, _) => find(bin),
        _ => None,
    }
}

/// The IDs nearest to a name that matches none: those at the smallest edit distance
/// (within a third of the name's length, at least 1) from an ID, crate, binary or book
/// number, and of those the ones that share the longest beginning with the name (`3-3`:
/// `3-1` and `3-2`, not `2-3`); at most three.
fn nearest(name: &str) -> Vec<&'static str> {
    let limit = (name.chars().count() / 3).max(1);
    let shared = |n: &str| {
        name.chars()
            .zip(n.chars())
            .take_while(|(a, b)| a == b)
            .count()
    };
    let mut scored: Vec<((usize, std::cmp::Reverse<usize>), &'static str)> = Vec::new();
    for l in listings().filter(|l| l.runnable()) {
        let number = l.book.strip_prefix("Listing ");
        let names = [Some(l.id), Some(l.krate), l.bin(), number];
        let best = names
            .into_iter()
            .flatten()
            .map(|n| (distance(name, n), std::cmp::Reverse(shared(n))))
            .min();
        if let Some(score) = best
            && score.0 <= limit
        {
            scored.push((score, l.id));
        }
    }
    let Some(best) = scored.iter().map(|(score, _)| *score).min() else {
        return Vec::new();
    };
    scored
        .into_iter()
        .filter(|(score, _)| *score == best)
        .map(|(_, id)| id)
        .take(3)
        .collect()
}

/// Levenshtein's distance between two names, by characters.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = (above + 1)
                .min(row[j] + 1)
                .min(diagonal + usize::from(ca != *cb));
            diagonal = above;
        }
    }
    row[b.len()]
}

/// The listing whose binary is `bin` (runnable or not).
pub fn by_bin(bin: &str) -> Option<&'static Listing> {
    listings().find(|l| l.bins.contains(&bin))
}

/// The first listing a crate ports (a crate's own tests find themselves with
/// `by_crate(env!("CARGO_PKG_NAME"))`).
pub fn by_crate(krate: &str) -> Option<&'static Listing> {
    listings().find(|l| l.krate == krate)
}

/// The listing with this ID (runnable or not).
pub fn by_id(id: &str) -> Option<&'static Listing> {
    listings().find(|l| l.id == id)
}

/// The client that runs against a family's servers, where the family's servers have
/// no client of their own (`zen_client` for the Zen servers).
pub fn client_of(family: Family) -> Option<&'static Listing> {
    listings().find(|l| l.family == Some(family) && l.concurrency.is_none() && l.bin().is_some())
}

/// The crate of each listing that records a session, once, in the book's order.
pub fn recorded_crates() -> Vec<&'static Listing> {
    let mut seen: Vec<&'static Listing> = Vec::new();
    for l in listings() {
        if l.recorded != Recorded::Nothing && !seen.iter().any(|s| s.krate == l.krate) {
            seen.push(l);
        }
    }
    seen
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_crates_and_binaries_are_unique_and_found() {
        let all: Vec<&Listing> = listings().collect();
        for (i, l) in all.iter().copied().enumerate() {
            assert!(all[..i].iter().all(|o| o.id != l.id), "{} twice", l.id);
            if l.runnable() {
                assert!(std::ptr::eq(find(l.id).unwrap(), l), "{}", l.id);
            }
            if let Some(bin) = l.bin()
                && l.runnable()
                && !matches!(l.runs, Runs::Alone { .. })
            {
                // A binary that several rows run (`_test` against each time app) is
                // found as its first row.
                let first = all
                    .iter()
                    .copied()
                    .find(|o| {
                        o.runnable()
                            && o.bins.contains(&bin)
                            && !matches!(o.runs, Runs::Alone { .. })
                    })
                    .unwrap();
                assert!(std::ptr::eq(find(bin).unwrap(), first), "{bin}");
                assert!(std::ptr::eq(find(l.krate).unwrap(), first), "{}", l.krate);
            }
        }
        assert!(find("9-9").is_none());
        assert!(
            find("zen_client").is_none(),
            "run only by the servers' sessions"
        );
        assert_eq!(Family::Zen.members().filter(|l| l.runnable()).count(), 9);
        assert_eq!(
            client_of(Family::Zen).and_then(Listing::bin),
            Some("zen_client")
        );
        assert_eq!(Family::Uppercase.members().count(), 4);
    }

    #[test]
    fn a_name_is_looked_up_as_a_reader_types_it() {
        let ids = |found: Lookup| match found {
            Lookup::Found(l) => vec![l.id],
            Lookup::Several(ls) => ls.iter().map(|l| l.id).collect(),
            Lookup::ShownBy(l, by) => vec![l.id, by.id],
            Lookup::Unknown(near) => near,
        };
        assert_eq!(ids(lookup("3-1")), ["3-1"]);
        assert_eq!(ids(lookup("tcp_sixteen")), ["3-1"]);
        // The book's numbers, where the ID is another.
        assert_eq!(ids(lookup("7-3")), ["srv_single"]);
        assert_eq!(ids(lookup("7-6")), ["srv_async"]);
        assert_eq!(ids(lookup("7-1")), ["zen_utils", "srv_single"]);
        assert_eq!(
            ids(lookup("page53")),
            [
                "half-close",
                "shut-rd",
                "close-vs-shutdown",
                "eof-vs-wouldblock",
                "udp-flood"
            ]
        );
        assert_eq!(ids(lookup("udp_claims")).len(), 6);
        assert_eq!(ids(lookup("zen_client")), ["zen_client", "srv_single"]);
        assert_eq!(ids(lookup("zen_utils")), ["zen_utils", "srv_single"]);
        assert_eq!(ids(lookup("3-3")), ["3-1", "3-2"]);
        assert_eq!(ids(lookup("tcp_sixten")), ["3-1"]);
        assert_eq!(ids(lookup("srv_asyncio")), ["srv_asyncio1", "srv_asyncio2"]);
        assert!(ids(lookup("gopher")).is_empty());
        assert_eq!(distance("kitten", "sitting"), 3);
    }
}
