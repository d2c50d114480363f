//! The blocking client's own HTTP/1.1 transport for API calls (the generation POST, record
//! reads). Each calling thread's client keeps its own kept-alive connections and makes the
//! exchange in its own system calls (a write, a read) with no runtime turns in between: that
//! is what brings a blocking call to libcurl's cost (docs/BENCHMARKS.md, "C"). The async
//! client, batches, uploads and downloads go through reqwest.
//!
//! - A pooled connection is checked right before reuse; one the server closed while it sat
//!   idle is dropped, so a POST never goes into a dead connection.
//! - Timeouts: the call's `timeout` bounds the whole exchange, `connect_timeout` the connect
//!   and TLS handshake.
//! - Cancel tokens watching the call (see `crate::cancel`) shut the socket down from their
//!   thread: a blocked read returns at once and the call fails as `cancelled`.
//! - Not used when the environment names a proxy for the API's URL (reqwest honours proxies
//!   and `NO_PROXY`).

mod answer;
mod conn;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use url::{Host, Url};
use visionxl_core::{Error, ErrorCode};

use self::conn::{Conn, Origin};
use crate::cancel;
use crate::config::{Config, is_loopback};
use crate::transport::{Cause, Failure, RawAnswer};

/// Kept-alive connections to the API's origin, and what every request carries.
pub(crate) struct Direct {
    origin: Origin,
    /// The header lines every request carries (Host, user agent, accept, the key).
    fixed_headers: Vec<u8>,
    connect_timeout: Duration,
    idle: Mutex<Vec<Conn>>,
}

/// Environment variables that set a proxy for `scheme`, as reqwest reads them.
fn proxy_vars(scheme: &str) -> &'static [&'static str] {
    if scheme == "https" {
        &["HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"]
    } else {
        &["HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"]
    }
}

/// Whether requests to `url` may go through a proxy named in the environment (`env` reads a
/// variable). Loopback URLs never do (the client turns proxies off for them).
fn proxied(url: &Url, env: impl Fn(&str) -> Option<String>) -> bool {
    !is_loopback(url)
        && proxy_vars(url.scheme())
            .iter()
            .any(|v| env(v).is_some_and(|s| !s.trim().is_empty()))
}

impl Direct {
    /// A transport to the origin of `config.base_url`, or `None` when a proxy applies to it.
    pub(crate) fn for_config(
        config: &Config,
        tls: &rustls::ClientConfig,
        key: &[u8],
    ) -> Result<Option<Direct>, Error> {
        let url = &config.base_url;
        if proxied(url, |v| std::env::var(v).ok()) {
            return Ok(None);
        }
        let bad =
            |what: &str| Error::new(ErrorCode::ValidationError, format!("bad base_url: {what}"));
        let host = match url.host() {
            Some(Host::Domain(d)) => d.to_string(),
            Some(Host::Ipv4(ip)) => ip.to_string(),
            Some(Host::Ipv6(ip)) => ip.to_string(),
            None => return Err(bad("it has no host")),
        };
        let port = url
            .port_or_known_default()
            .ok_or_else(|| bad("it has no port"))?;
        let tls = match url.scheme() {
            "https" => {
                let mut config = tls.clone();
                config.alpn_protocols = vec![b"http/1.1".to_vec()];
                let name = rustls::pki_types::ServerName::try_from(host.clone())
                    .map_err(|e| bad(&format!("{host} cannot be a TLS server name: {e}")))?;
                Some((Arc::new(config), name))
            }
            _ => None,
        };
        let mut host_header = url.host_str().unwrap_or_default().to_string();
        if let Some(p) = url.port() {
            host_header.push_str(&format!(":{p}"));
        }
        let mut fixed_headers = Vec::with_capacity(256);
        for (name, value) in [
            ("host", host_header.as_bytes()),
            ("user-agent", config.user_agent.as_bytes()),
            ("accept", b"*/*".as_slice()),
            (visionxl_core::wire::API_KEY_HEADER, key),
        ] {
            fixed_headers.extend_from_slice(name.as_bytes());
            fixed_headers.extend_from_slice(b": ");
            fixed_headers.extend_from_slice(value);
            fixed_headers.extend_from_slice(b"\r\n");
        }
        Ok(Some(Direct {
            origin: Origin { host, port, tls },
            fixed_headers,
            connect_timeout: config.connect_timeout,
            idle: Mutex::new(Vec::new()),
        }))
    }

    /// An idle connection the server has not closed, if there is one.
    fn checkout(&self) -> Option<Conn> {
        loop {
            let mut conn = self.idle.lock().unwrap_or_else(|p| p.into_inner()).pop()?;
            if conn.is_reusable() {
                return Some(conn);
            }
        }
    }

    fn checkin(&self, conn: Conn) {
        self.idle
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(conn);
    }

    /// One request (`json`: a JSON body to POST) and its answer, at most `cap` bytes of it,
    /// all within `timeout`.
    pub(crate) fn exchange(
        &self,
        method: &str,
        url: &Url,
        json: Option<&[u8]>,
        timeout: Duration,
        cap: u64,
    ) -> Result<RawAnswer, Failure> {
        let now = Instant::now();
        let deadline = now
            .checked_add(timeout)
            .unwrap_or_else(|| now + Duration::from_secs(30 * 365 * 86_400));
        let tokens = cancel::watching();
        let stopped = || {
            Failure::Connect(Cause::Io(std::io::Error::new(
                std::io::ErrorKind::Interrupted,
                "the call was cancelled",
            )))
        };
        if tokens.iter().any(cancel::CancelToken::is_cancelled) {
            return Err(stopped());
        }
        // Any watching token breaks the connection (or the connect) from its thread; each
        // breaker is registered before the next look at the tokens, so a cancel in between is
        // not missed.
        let mut hooks = Vec::new();
        let mut watch = |b: conn::Breaker| {
            hooks.extend(tokens.iter().map(|t| t.on_cancel(b.clone())));
        };
        let mut conn = match self.checkout() {
            Some(c) => {
                if !tokens.is_empty() {
                    watch(c.breaker());
                }
                c
            }
            None => Conn::open(&self.origin, self.connect_timeout, deadline, &mut watch)
                .map_err(|e| Failure::Connect(Cause::Io(e)))?,
        };
        if tokens.iter().any(cancel::CancelToken::is_cancelled) {
            return Err(stopped());
        }
        let request = self.request(method, url, json);
        conn.set_deadline(deadline)
            .and_then(|()| conn.send(&request))
            .map_err(|e| Failure::Broken {
                source: Cause::Io(e),
                partial: bytes::Bytes::new(),
                status: None,
            })?;
        let read = answer::read(&mut conn, deadline, cap)?;
        drop(hooks);
        if read.reusable {
            self.checkin(conn);
        }
        Ok(read.answer)
    }

    /// The request's bytes: request line, headers, body.
    fn request(&self, method: &str, url: &Url, json: Option<&[u8]>) -> Vec<u8> {
        let path = &url[url::Position::BeforePath..url::Position::AfterQuery];
        let body = json.unwrap_or_default();
        let mut out = Vec::with_capacity(64 + path.len() + self.fixed_headers.len() + body.len());
        out.extend_from_slice(method.as_bytes());
        out.push(b' ');
        out.extend_from_slice(if path.is_empty() {
            b"/"
        } else {
            path.as_bytes()
        });
        out.extend_from_slice(b" HTTP/1.1\r\n");
        out.extend_from_slice(&self.fixed_headers);
        if json.is_some() {
            out.extend_from_slice(b"content-type: application/json\r\ncontent-length: ");
            out.extend_from_slice(body.len().to_string().as_bytes());
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(body);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(vars: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |name| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn a_proxy_in_the_environment_leaves_the_api_to_reqwest() {
        let live = Url::parse("https://api.1min.ai").unwrap();
        let local = Url::parse("http://127.0.0.1:8080").unwrap();
        assert!(!proxied(&live, env(&[])));
        assert!(proxied(&live, env(&[("https_proxy", "http://proxy:3128")])));
        assert!(proxied(&live, env(&[("ALL_PROXY", "socks5://proxy")])));
        assert!(!proxied(&live, env(&[("HTTP_PROXY", "http://proxy:3128")])));
        assert!(!proxied(&live, env(&[("HTTPS_PROXY", " ")])));
        assert!(!proxied(
            &local,
            env(&[("http_proxy", "http://proxy:3128")])
        ));
    }
}
