//! urllib's level on ureq: a small blocking agent without tokio, its own pool and cookie
//! jar, redirects followed (at most 10), gzip decoded. A status of 400 or more is an
//! answer here, as a body to print, not ureq's `Err(StatusCode)`.

use std::io::Write;

use crate::{Client, Head, MAX_REDIRECTS, Options, one_line};

pub struct Ureq {
    agent: ureq::Agent,
}

impl Ureq {
    pub fn new(options: Options) -> Self {
        let mut config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(MAX_REDIRECTS as u32)
            .allow_non_standard_methods(true)
            .timeout_connect(Some(options.timeout))
            .timeout_recv_response(Some(options.timeout))
            .timeout_recv_body(None)
            .timeout_per_read(Some(options.timeout));
        if !options.keep_alive {
            config = config
                .max_idle_connections(0)
                .max_idle_connections_per_host(0);
        }
        Self {
            agent: config.build().new_agent(),
        }
    }
}

impl Client for Ureq {
    fn fetch(&mut self, method: &str, url: &str, body: &mut dyn Write) -> Result<Head, String> {
        let request = ureq::http::Request::builder()
            .method(method)
            .uri(url)
            .body(())
            .map_err(|e| format!("{url}: {e}"))?;
        let mut response = self.agent.run(request).map_err(|e| one_line(&e))?;
        let head = Head {
            status: response.status().as_u16(),
            version: crate::version_number(response.version()),
            // ureq keeps no reason phrase.
            reason: response.status().canonical_reason().map(str::to_string),
            headers: crate::header_pairs(response.headers()),
        };
        let mut reader = response.body_mut().as_reader();
        std::io::copy(&mut reader, body).map_err(|e| one_line(&e))?;
        Ok(head)
    }
}
