//! Checks of Listing 3-2's transcripts: byte for byte the book's, where only the sizes of
//! the pieces recv() returned (a matter of timing) may differ from one run to another.

use crate::stream::{REPLY, stream};

/// Parses `\r  N WHAT ` repeated; returns the counts. Every count must grow by 1 to
/// `max_step` bytes.
fn progress_counts(text: &str, what: &str, max_step: u64) -> Result<Vec<u64>, String> {
    let mut counts = Vec::new();
    if text.is_empty() {
        return Ok(counts);
    }
    let Some(body) = text.strip_prefix('\r') else {
        return Err(format!("progress does not start with \\r: {text:?}"));
    };
    for piece in body.split('\r') {
        let number = piece
            .strip_prefix("  ")
            .and_then(|p| p.strip_suffix(&format!(" {what} ")))
            .ok_or_else(|| format!("not a progress line for {what:?}: {piece:?}"))?;
        let count: u64 = number
            .parse()
            .map_err(|_| format!("not a count: {piece:?}"))?;
        let step = count - counts.last().copied().unwrap_or(0);
        if step == 0 || step > max_step {
            return Err(format!(
                "progress step of {step} bytes in {piece:?} (max {max_step})"
            ));
        }
        counts.push(count);
    }
    Ok(counts)
}

fn progress_text(counts: &[u64], what: &str) -> String {
    counts.iter().map(|n| format!("\r  {n} {what} ")).collect()
}

/// Checks a `tcp_deadlock` client's stdout for `bytecount` (already rounded up) against the
/// book's. Returns the first piece received.
pub fn check_deadlock_client(output: &[u8], bytecount: u64) -> Result<Vec<u8>, String> {
    let text = std::str::from_utf8(output).map_err(|e| e.to_string())?;
    let first_line = format!("Sending {bytecount} bytes of data, in chunks of 16 bytes\n");
    let sent: Vec<u64> = (1..=bytecount / 16).map(|k| k * 16).collect();
    let head = format!(
        "{first_line}{}\nReceiving all the data the server sends back\n  The first data received says ",
        progress_text(&sent, "bytes sent")
    );
    let rest = text.strip_prefix(head.as_str()).ok_or_else(|| {
        format!(
            "client output does not start as the book's: {:?}",
            &text[..text.len().min(300)]
        )
    })?;
    let (said, tail) = rest
        .split_once('\n')
        .ok_or_else(|| "no line after the first data".to_string())?;
    let tail = tail
        .strip_suffix('\n')
        .ok_or_else(|| "client output does not end with a newline".to_string())?;
    let received = progress_counts(tail, "bytes received", 42)?;
    let first_len = received.first().copied().unwrap_or(0);
    // The first piece is the reply's first bytes: CAPITALIZE THIS! repeated.
    let first = stream(REPLY, first_len as usize);
    let expected_said = fopnp::PyBytes(&first).to_string();
    if said != expected_said {
        return Err(format!(
            "first data {said} but the count says {first_len} bytes"
        ));
    }
    if bytecount > 0 && !(16..=42).contains(&first_len) && first_len != bytecount.min(42) {
        return Err(format!("first piece of {first_len} bytes"));
    }
    if received.last().copied().unwrap_or(0) != bytecount {
        return Err(format!(
            "received {received:?}, expected {bytecount} in all"
        ));
    }
    let expected = format!(
        "{head}{expected_said}\n{}\n",
        progress_text(&received, "bytes received")
    );
    if text != expected {
        return Err(format!("client output differs from {expected:?}"));
    }
    Ok(first)
}

/// Checks what a `tcp_deadlock` server printed for one connection that sent `bytecount`
/// bytes, starting at its `Processing ...` line. `peer` is the Python-style address.
pub fn check_deadlock_server_connection(
    text: &str,
    peer: &str,
    bytecount: u64,
) -> Result<(), String> {
    let head = format!("Processing up to 1024 bytes at a time from {peer}\n");
    let rest = text
        .strip_prefix(head.as_str())
        .ok_or_else(|| format!("server connection does not start as the book's: {text:?}"))?;
    let progress = rest
        .strip_suffix("\n  Socket closed\n")
        .ok_or_else(|| format!("server connection does not end as the book's: {text:?}"))?;
    let counts = progress_counts(progress, "bytes processed so far", 1024)?;
    if counts.last().copied().unwrap_or(0) != bytecount {
        return Err(format!("server processed {counts:?}, expected {bytecount}"));
    }
    Ok(())
}

/// Checks a variant client's stdout (threaded or nonblocking) for `bytecount` (already
/// rounded up): Listing 3-2's first line, then progress, ending in the two rendered lines
/// `  N bytes sent` and `  N bytes received`.
pub fn check_variant_client(output: &[u8], bytecount: u64, chunk: usize) -> Result<(), String> {
    let text = std::str::from_utf8(output).map_err(|e| e.to_string())?;
    let head = format!(
        "Sending {bytecount} bytes of data, in chunks of {chunk} bytes\n\
         Receiving all the data the server sends back, while sending\n"
    );
    let rest = text.strip_prefix(head.as_str()).ok_or_else(|| {
        format!(
            "client output does not start as expected: {:?}",
            &text[..text.len().min(200)]
        )
    })?;
    let progress = rest
        .strip_suffix(&format!("  {bytecount} bytes received \n"))
        .ok_or_else(|| format!("client output does not end with the received count: {rest:?}"))?;
    let shown = fopnp::progress::render(progress);
    if shown != [format!("  {bytecount} bytes sent"), String::new()] {
        return Err(format!("the sent line shows {shown:?}"));
    }
    let mut last = (0, 0);
    let final_line = progress.rsplit('\r').next().unwrap_or_default();
    for piece in progress.split('\r').skip(1) {
        if std::ptr::eq(piece, final_line) {
            break;
        }
        let counts = piece
            .strip_prefix("  ")
            .and_then(|p| p.strip_suffix(" bytes received "))
            .and_then(|p| p.split_once(" bytes sent, "))
            .and_then(|(s, r)| Some((s.parse::<u64>().ok()?, r.parse::<u64>().ok()?)))
            .ok_or_else(|| format!("not a progress line: {piece:?}"))?;
        if counts.0 < last.0 || counts.1 < last.1 || counts.1 > counts.0 {
            return Err(format!("progress goes {last:?} then {counts:?}"));
        }
        last = counts;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    // The book's exact transcripts, as Python prints them.
    const CLIENT_32: &[u8] = b"Sending 32 bytes of data, in chunks of 16 bytes\n\r  16 bytes sent \r  32 bytes sent \nReceiving all the data the server sends back\n  The first data received says b'CAPITALIZE THIS!CAPITALIZE THIS!'\n\r  32 bytes received \n";
    const CLIENT_0: &[u8] = b"Sending 0 bytes of data, in chunks of 16 bytes\n\nReceiving all the data the server sends back\n  The first data received says b''\n\n";

    #[test]
    fn accepts_the_books_transcripts() {
        assert_eq!(
            check_deadlock_client(CLIENT_32, 32).unwrap(),
            b"CAPITALIZE THIS!CAPITALIZE THIS!"
        );
        assert_eq!(check_deadlock_client(CLIENT_0, 0).unwrap(), b"");
        let split = b"Sending 32 bytes of data, in chunks of 16 bytes\n\r  16 bytes sent \r  32 bytes sent \nReceiving all the data the server sends back\n  The first data received says b'CAPITALIZE THIS!'\n\r  16 bytes received \r  32 bytes received \n";
        check_deadlock_client(split, 32).unwrap();
        let server = "Processing up to 1024 bytes at a time from ('127.0.0.1', 58254)\n\r  32 bytes processed so far \n  Socket closed\n";
        check_deadlock_server_connection(server, "('127.0.0.1', 58254)", 32).unwrap();
        let empty =
            "Processing up to 1024 bytes at a time from ('127.0.0.1', 58248)\n\n  Socket closed\n";
        check_deadlock_server_connection(empty, "('127.0.0.1', 58248)", 0).unwrap();
    }

    #[test]
    fn variant_transcripts() {
        let good = "Sending 32 bytes of data, in chunks of 8 bytes\nReceiving all the data the server sends back, while sending\n\r  16 bytes sent, 0 bytes received \r  32 bytes sent                   \n  32 bytes received \n";
        check_variant_client(good.as_bytes(), 32, 8).unwrap();
        assert!(
            check_variant_client(
                good.replace("  32 bytes received", "  31 bytes received")
                    .as_bytes(),
                32,
                8
            )
            .is_err()
        );
        assert!(
            check_variant_client(
                good.replace("32 bytes sent  ", "16 bytes sent  ")
                    .as_bytes(),
                32,
                8
            )
            .is_err()
        );
        let backwards = good.replace("16 bytes sent, 0", "16 bytes sent, 20");
        assert!(check_variant_client(backwards.as_bytes(), 32, 8).is_err());
    }

    #[test]
    fn rejects_departures() {
        let wrong_count = String::from_utf8(CLIENT_32.to_vec())
            .unwrap()
            .replace("32 bytes received", "31 bytes received");
        assert!(check_deadlock_client(wrong_count.as_bytes(), 32).is_err());
        let lowercase = String::from_utf8(CLIENT_32.to_vec()).unwrap().replace(
            "b'CAPITALIZE THIS!CAPITALIZE",
            "b'capitalize this!CAPITALIZE",
        );
        assert!(check_deadlock_client(lowercase.as_bytes(), 32).is_err());
        let no_space = String::from_utf8(CLIENT_32.to_vec())
            .unwrap()
            .replace("16 bytes sent ", "16 bytes sent");
        assert!(check_deadlock_client(no_space.as_bytes(), 32).is_err());
        assert!(check_deadlock_client(CLIENT_32, 48).is_err());
        let unclosed = "Processing up to 1024 bytes at a time from ('127.0.0.1', 1)\n\r  32 bytes processed so far \n";
        assert!(check_deadlock_server_connection(unclosed, "('127.0.0.1', 1)", 32).is_err());
    }
}
