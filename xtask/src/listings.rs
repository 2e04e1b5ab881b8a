//! The catalog of listings shown: the table `cargo xtask list` prints, each chapter
//! README's table of listings and the front door's table of chapters, which `cargo xtask
//! transcripts` writes and checks.

use std::process::ExitCode;

use catalog::{Chapter, Listing};
use testkit::table::{Align, Table};

/// Where it is in the book, in full: `Chapter 3, Listing 3-1`.
fn book(l: &Listing) -> String {
    format!("Chapter {}, {}", l.chapter.number, l.book)
}

/// The runnable listings as a plain table.
pub fn text() -> String {
    let mut table = Table::new(&[
        ("ID", Align::Left),
        ("book", Align::Left),
        ("crate", Align::Left),
        ("what it does", Align::Left),
    ]);
    for l in catalog::listings().filter(|l| l.runnable()) {
        table.row(vec![l.id.into(), book(l), l.krate.into(), l.summary.into()]);
    }
    table.render()
}

/// `cargo xtask list`.
pub fn print() -> ExitCode {
    out!("{}", text());
    ExitCode::SUCCESS
}

/// A chapter README's table of listings, every row of the catalog for that chapter, with
/// links relative to the chapter's folder.
pub fn markdown(chapter: &'static Chapter) -> String {
    let mut out = String::from(
        "| ID | book | crate | command | what it does |\n| --- | --- | --- | --- | --- |\n",
    );
    for l in chapter.listings() {
        let id = if l.runnable() {
            format!("`{}`", l.id)
        } else {
            "—".into()
        };
        let krate = if l.bins.is_empty() && l.recorded == catalog::Recorded::Nothing {
            l.krate.to_string()
        } else {
            format!("[`{}`]({}/src/lib.rs)", l.krate, l.krate)
        };
        let usage = l.usage.map(|u| format!("`{u}`")).unwrap_or_default();
        out += &format!(
            "| {id} | {} | {krate} | {usage} | {} |\n",
            l.book, l.summary
        );
    }
    out
}

/// The front door's table of chapters: number, title, the runnable IDs, and a link to
/// each chapter's README.
pub fn chapters_markdown() -> String {
    let mut out = String::from(
        "| chapter | title | listings (`cargo xtask run ID`) |\n| ---: | --- | --- |\n",
    );
    for chapter in catalog::CHAPTERS {
        let ids: Vec<String> = chapter
            .listings()
            .filter(|l| l.runnable())
            .map(|l| format!("`{}`", l.id))
            .collect();
        out += &format!(
            "| {} | [{}]({}) | {} |\n",
            chapter.number,
            chapter.title,
            chapter.readme(),
            ids.join(" ")
        );
    }
    out
}
