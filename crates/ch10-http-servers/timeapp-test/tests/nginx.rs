//! Behind a real reverse proxy, as the chapter advises: nginx in front on loopback, a
//! port's server behind it. The app sees the client's address in `X-Forwarded-For`
//! (believed only from the proxy, `wsgi::client_address`), keep-alive holds on both
//! sides, and what the http-server table says to reject is stopped at nginx: the app
//! never sees it. The test skips, saying why, where nginx is not installed.

use std::io::BufReader;
use std::net::{IpAddr, SocketAddr, TcpStream};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::body::Body;
use hyper::{Request, StatusCode};
use wsgi::Framing;

const LIMIT: Duration = Duration::from_secs(20);

mod common;

use common::{get, serve};

/// nginx's configuration: one worker in the foreground, every file in `dir`, proxying
/// `port` to the app at `app`, keeping up to four connections to it open.
fn config(dir: &std::path::Path, port: u16, app: u16) -> String {
    let d = dir.display();
    format!(
        "daemon off;
master_process off;
worker_processes 1;
pid {d}/nginx.pid;
error_log {d}/error.log info;
events {{ worker_connections 64; }}
http {{
    access_log {d}/access.log;
    client_body_temp_path {d}/body;
    proxy_temp_path {d}/proxy;
    fastcgi_temp_path {d}/fastcgi;
    uwsgi_temp_path {d}/uwsgi;
    scgi_temp_path {d}/scgi;
    upstream app {{
        server 127.0.0.1:{app};
        keepalive 4;
    }}
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://app;
            # HTTP/1.1 without Connection: close, so that upstream connections are kept.
            proxy_http_version 1.1;
            proxy_set_header Connection \"\";
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
        }}
    }}
}}
"
    )
}

/// The app behind the proxy: says who it believes the client is, which connection
/// (its peer's port) the request came on and what X-Forwarded-For said; counts requests.
fn who_app(seen: Arc<AtomicUsize>) -> impl wsgi::App {
    wsgi::from_fn(move |request: Request<Body>| {
        let seen = seen.clone();
        async move {
            seen.fetch_add(1, Ordering::SeqCst);
            let proxy: IpAddr = [127, 0, 0, 1].into();
            let client = wsgi::client_address(&request, &[proxy]);
            let peer = request.extensions().get::<wsgi::Ends>().map(|e| e.remote);
            let forwarded = request
                .headers()
                .get("x-forwarded-for")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("-")
                .to_string();
            let body = format!(
                "client {} peer-port {} forwarded {forwarded}\n",
                client.map_or("-".into(), |c| c.to_string()),
                peer.map_or(0, |p| p.port()),
            );
            wsgi::text(StatusCode::OK, "text/plain", body)
        }
    })
}

/// A connection from `source` (a loopback address of its own, so that the client and
/// the proxy differ) to `port`.
fn connect_from(source: [u8; 4], port: u16) -> TcpStream {
    let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    socket.bind(&SocketAddr::from((source, 0)).into()).unwrap();
    socket
        .connect_timeout(&SocketAddr::from(([127, 0, 0, 1], port)).into(), LIMIT)
        .unwrap();
    let stream = TcpStream::from(socket);
    stream.set_read_timeout(Some(LIMIT)).unwrap();
    stream
}

fn field<'a>(body: &'a str, name: &str) -> &'a str {
    let words: Vec<&str> = body.split_whitespace().collect();
    let at = words.iter().position(|w| *w == name).unwrap();
    words[at + 1]
}

#[test]
#[ignore = "slow: starts nginx in front of a port's server"]
fn behind_nginx_the_app_sees_the_client_keeps_alive_and_is_spared_bad_requests() {
    // Debian puts it in /usr/sbin, which a user's PATH may not hold.
    let Some(nginx) = ["nginx", "/usr/sbin/nginx"]
        .into_iter()
        .find(|exe| Command::new(exe).arg("-v").output().is_ok())
    else {
        testkit::skip("nginx is not installed (apt-get install nginx)");
        return;
    };
    let seen = Arc::new(AtomicUsize::new(0));
    let app = serve(who_app(seen.clone()), Framing::KeepAlive);
    let dir = tempfile::tempdir().unwrap();
    // nginx cannot listen on port 0: a free port, and another if it is taken meanwhile.
    let (mut nginx, port) = testkit::Process::server_on_free_port(
        |port| {
            let path = dir.path().join("nginx.conf");
            std::fs::write(&path, config(dir.path(), port, app.port)).unwrap();
            let mut command = Command::new(nginx);
            command
                .arg("-p")
                .arg(dir.path())
                .arg("-c")
                .arg(&path)
                .arg("-e")
                .arg(dir.path().join("error.log"));
            command
        },
        LIMIT,
    )
    .unwrap();

    // The client's address, from 127.0.0.2: the app's peer is nginx (127.0.0.1); its
    // X-Forwarded-For names the client, and a forged entry before it is not believed.
    let mut client = BufReader::new(connect_from([127, 0, 0, 2], port));
    let (status, body) = get(&mut client, port, "X-Forwarded-For: 6.6.6.6\r\n");
    assert_eq!(status, "HTTP/1.1 200 OK", "{body}");
    assert_eq!(field(&body, "forwarded"), "6.6.6.6,", "{body}");
    assert!(body.contains("forwarded 6.6.6.6, 127.0.0.2"), "{body}");
    assert_eq!(field(&body, "client"), "127.0.0.2", "{body}");
    let upstream = field(&body, "peer-port").to_string();

    // Keep-alive on the client's side: a second request on the same connection; on the
    // app's side: it came on the same upstream connection as the first.
    let (status, body) = get(&mut client, port, "");
    assert_eq!(status, "HTTP/1.1 200 OK", "{body}");
    assert_eq!(field(&body, "peer-port"), upstream, "{body}");
    // A new client connection, and still the same upstream one.
    let mut other = BufReader::new(connect_from([127, 0, 0, 3], port));
    let (_, body) = get(&mut other, port, "");
    assert_eq!(field(&body, "client"), "127.0.0.3", "{body}");
    assert_eq!(field(&body, "peer-port"), upstream, "{body}");

    // Straight to the app, the same forgery is answered with the true peer.
    let mut direct = BufReader::new(connect_from([127, 0, 0, 2], app.port));
    let (_, body) = get(&mut direct, app.port, "X-Forwarded-For: 6.6.6.6\r\n");
    assert_eq!(field(&body, "client"), "127.0.0.2", "{body}");

    // Every case of the http-server table passes at nginx, and those it must refuse
    // never reach the app.
    use conformance::http_server::{CASES, Expect, run_case};
    let mut verdicts = Vec::new();
    for case in CASES {
        let before = seen.load(Ordering::SeqCst);
        let verdict = run_case(case, port);
        let reached = seen.load(Ordering::SeqCst) - before;
        if matches!(case.expect, Expect::Reject(_)) && reached > 0 {
            panic!(
                "{}: nginx passed it to the app ({reached} requests)",
                case.id
            );
        }
        verdicts.push((format!("nginx / {}", case.id), verdict));
    }
    conformance::assert_verdicts(verdicts);
    nginx.kill();
}
