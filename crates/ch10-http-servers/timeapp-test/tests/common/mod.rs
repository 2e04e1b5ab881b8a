//! What the chapter's test binaries share: an app served in-process on a port of its own.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;

use wsgi::Framing;

/// A server on 127.0.0.1, stopped when dropped.
pub struct Served {
    pub port: u16,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Drop for Served {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

pub fn serve<S: wsgi::App>(app: S, framing: Framing) -> Served {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let port = listener.local_addr().unwrap().port();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            tokio::select! {
                () = wsgi::serve(listener, app, framing) => {}
                _ = stopped => {}
            }
        });
    });
    Served {
        port,
        stop: Some(stop),
    }
}

/// Sends a GET of `/` with `extra` header lines on a kept connection and reads one answer:
/// its status line and its body (framed by Content-Length or chunks). The connection
/// stays open.
pub fn get(reader: &mut BufReader<TcpStream>, port: u16, extra: &str) -> (String, String) {
    let request = format!("GET / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n{extra}\r\n");
    reader.get_mut().write_all(request.as_bytes()).unwrap();
    let mut status = String::new();
    reader.read_line(&mut status).unwrap();
    let (mut length, mut chunked) = (0, false);
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).unwrap();
        if line == "\r\n" || line.is_empty() {
            break;
        }
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        if name.eq_ignore_ascii_case("content-length") {
            length = value.trim().parse().unwrap();
        }
        chunked |= name.eq_ignore_ascii_case("transfer-encoding")
            && value.to_ascii_lowercase().contains("chunked");
    }
    let mut body = Vec::new();
    if chunked {
        loop {
            let mut size = String::new();
            reader.read_line(&mut size).unwrap();
            let n = usize::from_str_radix(size.trim(), 16).unwrap();
            let mut chunk = vec![0; n + 2];
            reader.read_exact(&mut chunk).unwrap();
            if n == 0 {
                break;
            }
            body.extend_from_slice(&chunk[..n]);
        }
    } else {
        body.resize(length, 0);
        reader.read_exact(&mut body).unwrap();
    }
    (
        status.trim_end().to_string(),
        String::from_utf8(body).unwrap(),
    )
}
