//! The security rules of a local server that can spend money (`docs/playground.md`):
//! - it binds loopback by default; any other address requires an access token, given once in
//!   the URL (`?token=`) and then kept in an `HttpOnly`, `SameSite=Strict` cookie;
//! - a request whose `Host` is not the bound address is refused (DNS rebinding);
//! - a state-changing request whose `Origin` (or `Sec-Fetch-Site`) says another site sent it is
//!   refused (CSRF);
//! - no CORS headers, ever; every answer says `nosniff`, denies framing and sends no referrer.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{Request, State as AxState};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// The cookie that carries the access token after the first visit.
const COOKIE: &str = "vxl_playground_token";

/// What the guard accepts.
#[derive(Debug, Clone)]
pub struct Guard {
    /// `Host` values that name this server (lower case).
    hosts: Vec<String>,
    /// Bound to every address (`0.0.0.0`, `::`): any `Host` is accepted, the token decides.
    any_host: bool,
    /// The access token, when the server listens beyond loopback.
    token: Option<String>,
}

impl Guard {
    /// The rules for a server bound to `addr` (asked as `host`).
    pub fn new(addr: SocketAddr, host: &str) -> Guard {
        let port = addr.port();
        let mut hosts = vec![match addr {
            SocketAddr::V4(a) => format!("{}:{port}", a.ip()),
            SocketAddr::V6(a) => format!("[{}]:{port}", a.ip()),
        }];
        hosts.push(format!("{}:{port}", host.to_ascii_lowercase()));
        if addr.ip().is_loopback() {
            for h in ["localhost", "127.0.0.1", "[::1]"] {
                hosts.push(format!("{h}:{port}"));
            }
        }
        hosts.dedup();
        let token = (!addr.ip().is_loopback()).then(|| {
            let bytes: [u8; 24] = rand::random();
            hex::encode(bytes)
        });
        Guard {
            hosts,
            any_host: addr.ip().is_unspecified(),
            token,
        }
    }

    /// The URL to print: the page, with the token when there is one.
    pub fn page_url(&self, addr: SocketAddr, host: &str) -> String {
        let shown = if addr.ip().is_unspecified() {
            self.hosts[0].clone()
        } else if host.contains(':') && !host.starts_with('[') {
            format!("[{host}]:{}", addr.port())
        } else {
            format!("{host}:{}", addr.port())
        };
        match &self.token {
            Some(t) => format!("http://{shown}/?token={t}"),
            None => format!("http://{shown}/"),
        }
    }

    /// Why `headers` (of a `method` request for `query`) is refused, if it is.
    fn refuse(&self, method: &Method, headers: &HeaderMap, query: &str) -> Option<Refusal> {
        let host = text(headers, header::HOST).to_ascii_lowercase();
        if !self.any_host && !self.hosts.contains(&host) {
            return Some(Refusal::Host(host));
        }
        if !matches!(*method, Method::GET | Method::HEAD) {
            let origin = text(headers, header::ORIGIN);
            if !origin.is_empty() && origin != format!("http://{host}") {
                return Some(Refusal::Origin(origin.to_string()));
            }
            if text(headers, "sec-fetch-site") == "cross-site" {
                return Some(Refusal::Origin("another site".into()));
            }
        }
        if let Some(token) = &self.token
            && query_token(query) != Some(token.as_str())
            && cookie_token(headers) != Some(token.as_str())
        {
            return Some(Refusal::Token);
        }
        None
    }
}

/// Why a request was refused.
enum Refusal {
    Host(String),
    Origin(String),
    Token,
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let (status, code, message) = match self {
            Refusal::Host(h) => (
                StatusCode::FORBIDDEN,
                "forbidden_host",
                format!("Host {h:?} is not this server's address (DNS rebinding is refused)"),
            ),
            Refusal::Origin(o) => (
                StatusCode::FORBIDDEN,
                "forbidden_origin",
                format!("a request from {o} may not change anything here (cross-site)"),
            ),
            Refusal::Token => (
                StatusCode::UNAUTHORIZED,
                "token_required",
                "open the URL the playground printed: it holds the access token".to_string(),
            ),
        };
        (
            status,
            axum::Json(json!({"error": {"code": code, "message": message}})),
        )
            .into_response()
    }
}

/// The middleware: refuses what the rules refuse, keeps the token in a cookie, and adds the
/// protective headers to every answer.
pub async fn check(AxState(guard): AxState<Arc<Guard>>, req: Request, next: Next) -> Response {
    let query = req.uri().query().unwrap_or("").to_string();
    if let Some(refusal) = guard.refuse(req.method(), req.headers(), &query) {
        return secure(refusal.into_response());
    }
    let set_cookie = guard
        .token
        .as_deref()
        .filter(|t| query_token(&query) == Some(*t))
        .map(|t| format!("{COOKIE}={t}; Path=/; HttpOnly; SameSite=Strict"));
    let mut resp = next.run(req).await;
    if let Some(c) = set_cookie.and_then(|c| HeaderValue::from_str(&c).ok()) {
        resp.headers_mut().insert(header::SET_COOKIE, c);
    }
    secure(resp)
}

fn secure(mut resp: Response) -> Response {
    let h = resp.headers_mut();
    for (name, value) in [
        ("x-content-type-options", "nosniff"),
        ("x-frame-options", "DENY"),
        ("referrer-policy", "no-referrer"),
        ("cache-control", "no-store"),
        (
            "content-security-policy",
            "default-src 'self'; img-src 'self' blob:; style-src 'self'; script-src 'self'; \
             connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
        ),
    ] {
        h.insert(name, HeaderValue::from_static(value));
    }
    resp
}

fn text(headers: &HeaderMap, name: impl header::AsHeaderName) -> &str {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

fn query_token(query: &str) -> Option<&str> {
    query.split('&').find_map(|kv| kv.strip_prefix("token="))
}

fn cookie_token(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|kv| kv.trim().strip_prefix(COOKIE)?.strip_prefix('='))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn loopback_accepts_its_names_and_refuses_others() {
        let g = Guard::new("127.0.0.1:8090".parse().unwrap(), "127.0.0.1");
        assert!(g.token.is_none());
        let ok = headers(&[("host", "localhost:8090")]);
        assert!(g.refuse(&Method::GET, &ok, "").is_none());
        let evil = headers(&[("host", "evil.example:8090")]);
        assert!(matches!(
            g.refuse(&Method::GET, &evil, ""),
            Some(Refusal::Host(_))
        ));
        let csrf = headers(&[
            ("host", "127.0.0.1:8090"),
            ("origin", "http://evil.example"),
        ]);
        assert!(matches!(
            g.refuse(&Method::POST, &csrf, ""),
            Some(Refusal::Origin(_))
        ));
        assert!(
            g.refuse(&Method::GET, &csrf, "").is_none(),
            "reads are not state changes"
        );
        let same = headers(&[
            ("host", "127.0.0.1:8090"),
            ("origin", "http://127.0.0.1:8090"),
        ]);
        assert!(g.refuse(&Method::POST, &same, "").is_none());
    }

    #[test]
    fn beyond_loopback_a_token_is_required() {
        let g = Guard::new("0.0.0.0:9000".parse().unwrap(), "0.0.0.0");
        let t = g.token.clone().unwrap();
        assert_eq!(t.len(), 48);
        assert!(
            g.page_url("0.0.0.0:9000".parse().unwrap(), "0.0.0.0")
                .ends_with(&t)
        );
        let h = headers(&[("host", "0.0.0.0:9000")]);
        assert!(matches!(
            g.refuse(&Method::GET, &h, ""),
            Some(Refusal::Token)
        ));
        assert!(g.refuse(&Method::GET, &h, &format!("token={t}")).is_none());
        let c = headers(&[
            ("host", "0.0.0.0:9000"),
            ("cookie", &format!("a=b; {COOKIE}={t}")),
        ]);
        assert!(g.refuse(&Method::GET, &c, "").is_none());
        assert!(matches!(
            g.refuse(&Method::GET, &h, "token=nope"),
            Some(Refusal::Token)
        ));
    }
}
