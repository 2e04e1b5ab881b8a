//! What the chapter's test binaries share: an app served in-process on a port of its own.

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
