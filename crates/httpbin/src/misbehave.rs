//! The broken answers of `/misbehave/KIND`, written by hand on the socket, since hyper would
//! refuse to write them.

/// The broken answers of `/misbehave/KIND`, for the clients' conformance cases: what a
/// client must report as an error (or survive), not take as a good answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Misbehaviour {
    /// `Content-Length: 100`, then 10 bytes, then the close.
    Truncated,
    /// `Content-Length: 100`, 10 bytes, then a reset.
    Reset,
    /// `Content-Length: 10`, one byte every 100 ms.
    Trickle,
    /// A 1 MiB header.
    HugeHeader,
    /// A status line that is not one (`HTTP/1.1 2OO OK`).
    BadStatus,
    /// `Content-Length: 10737418240` (10 GiB), then 1 KiB, then the close: a client
    /// must not make room for it all first.
    TenGib,
}

impl Misbehaviour {
    pub const ALL: [Misbehaviour; 6] = [
        Misbehaviour::Truncated,
        Misbehaviour::Reset,
        Misbehaviour::Trickle,
        Misbehaviour::HugeHeader,
        Misbehaviour::BadStatus,
        Misbehaviour::TenGib,
    ];

    /// Its name in the path: `/misbehave/truncated`.
    pub fn name(self) -> &'static str {
        match self {
            Misbehaviour::Truncated => "truncated",
            Misbehaviour::Reset => "reset",
            Misbehaviour::Trickle => "trickle",
            Misbehaviour::HugeHeader => "huge-header",
            Misbehaviour::BadStatus => "bad-status",
            Misbehaviour::TenGib => "ten-gib",
        }
    }
}

/// Whether a connection's first request asks for a misbehaviour: its request line, peeked
/// (not read), within 5 s.
pub(crate) async fn misbehaving(stream: &tokio::net::TcpStream) -> Option<Misbehaviour> {
    let mut buf = [0u8; 256];
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        let n = tokio::time::timeout_at(deadline, stream.peek(&mut buf))
            .await
            .ok()?
            .ok()?;
        let line = &buf[..n];
        if n == 0 || !b"GET /misbehave/".starts_with(&line[..n.min(15)]) {
            return None;
        }
        // The name runs from after `/misbehave/` to the space before the version.
        if n > 15
            && let Some(len) = line[15..].iter().position(|&b| b == b' ' || b == b'\r')
        {
            let name = std::str::from_utf8(&line[15..15 + len]).ok()?;
            return Misbehaviour::ALL.into_iter().find(|m| m.name() == name);
        }
        if n == buf.len() {
            return None;
        }
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
}

/// Reads the request's head, then answers it as `kind` misbehaves.
pub(crate) async fn misbehave(
    mut stream: tokio::net::TcpStream,
    kind: Misbehaviour,
) -> std::io::Result<()> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 64 * 1024 {
        let n = stream.read(&mut buf).await?;
        if n == 0 {
            break;
        }
        head.extend_from_slice(&buf[..n]);
    }
    let ten = b"0123456789";
    match kind {
        Misbehaviour::Truncated | Misbehaviour::Reset => {
            stream
                .write_all(
                    b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 100\r\n\r\n",
                )
                .await?;
            stream.write_all(ten).await?;
            stream.flush().await?;
            if kind == Misbehaviour::Reset {
                let std = stream.into_std()?;
                socket2::SockRef::from(&std).set_linger(Some(std::time::Duration::ZERO))?;
                return Ok(());
            }
        }
        Misbehaviour::Trickle => {
            stream
                .write_all(
                    b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 10\r\n\r\n",
                )
                .await?;
            for byte in ten {
                stream.write_all(&[*byte]).await?;
                stream.flush().await?;
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
        }
        Misbehaviour::HugeHeader => {
            let value = "x".repeat(1024 * 1024);
            let reply = format!("HTTP/1.1 200 OK\r\nX-Huge: {value}\r\nContent-Length: 0\r\n\r\n");
            stream.write_all(reply.as_bytes()).await?;
        }
        Misbehaviour::BadStatus => {
            stream
                .write_all(b"HTTP/1.1 2OO OK\r\nContent-Length: 0\r\n\r\n")
                .await?;
        }
        Misbehaviour::TenGib => {
            stream
                .write_all(b"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: 10737418240\r\n\r\n")
                .await?;
            stream.write_all(&[0u8; 1024]).await?;
        }
    }
    stream.shutdown().await
}

#[cfg(test)]
mod tests {
    use crate::HttpBin;

    /// One request on a fresh connection, and everything that came back before the
    /// close (or the reset, or 10 s).
    fn raw(bin: &HttpBin, path: &str) -> (Vec<u8>, Option<std::io::ErrorKind>) {
        use std::io::{Read, Write};
        let mut stream = std::net::TcpStream::connect(("127.0.0.1", bin.port())).unwrap();
        stream
            .set_read_timeout(Some(std::time::Duration::from_secs(10)))
            .unwrap();
        write!(
            stream,
            "GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        let mut got = Vec::new();
        let mut buf = [0u8; 65536];
        loop {
            match stream.read(&mut buf) {
                Ok(0) => return (got, None),
                Ok(n) => got.extend_from_slice(&buf[..n]),
                Err(e) => return (got, Some(e.kind())),
            }
        }
    }

    #[test]
    fn each_misbehaviour_is_the_broken_answer_it_names() {
        let bin = HttpBin::start().unwrap();
        let (got, _) = raw(&bin, "/misbehave/truncated");
        assert!(
            got.ends_with(b"Content-Length: 100\r\n\r\n0123456789"),
            "{:?}",
            String::from_utf8_lossy(&got)
        );
        let (_, error) = raw(&bin, "/misbehave/reset");
        assert_eq!(error, Some(std::io::ErrorKind::ConnectionReset));
        let started = std::time::Instant::now();
        let (got, _) = raw(&bin, "/misbehave/trickle");
        assert!(got.ends_with(b"\r\n\r\n0123456789"));
        assert!(
            started.elapsed() >= std::time::Duration::from_millis(900),
            "one byte every 100 ms"
        );
        let (got, _) = raw(&bin, "/misbehave/huge-header");
        assert!(got.len() > 1024 * 1024);
        let (got, _) = raw(&bin, "/misbehave/bad-status");
        assert!(got.starts_with(b"HTTP/1.1 2OO OK\r\n"));
        let (got, _) = raw(&bin, "/misbehave/ten-gib");
        let length: &[u8] = b"Content-Length: 10737418240\r\n\r\n";
        assert!(got.windows(length.len()).any(|w| w == length));
        assert!(got.len() < 2048, "1 KiB of the 10 GiB, then the close");
        // Anything else under /misbehave/ is hyper's, and a 404.
        let (got, _) = raw(&bin, "/misbehave/nothing");
        assert!(got.starts_with(b"HTTP/1.1 404 NOT FOUND\r\n"));
    }
}
