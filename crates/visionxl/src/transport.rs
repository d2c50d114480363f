//! One HTTP exchange: send, read a capped body, and map transport failures to stable errors.
//! The async client exchanges through reqwest ([`exchange`]); the blocking client's API calls
//! go through its own connections (`crate::direct`). Both report a [`Failure`].

use bytes::{Bytes, BytesMut};
use reqwest::header::{CONTENT_TYPE, LOCATION, RETRY_AFTER};
use visionxl_core::{Answer, Error, ErrorCode};

/// An HTTP answer with its body read (at most the cap).
#[derive(Debug, Clone)]
pub(crate) struct RawAnswer {
    pub status: u16,
    pub content_type: Option<String>,
    pub retry_after: Option<String>,
    pub location: Option<String>,
    pub body: Bytes,
}

impl RawAnswer {
    pub(crate) fn answer(&self) -> Answer<'_> {
        Answer {
            status: self.status,
            content_type: self.content_type.as_deref(),
            retry_after: self.retry_after.as_deref(),
            body: &self.body,
        }
    }
}

/// What broke below HTTP: reqwest's error (async transport) or an I/O error (the blocking
/// client's direct connections). Displays and chains as the error it holds.
#[derive(Debug)]
pub(crate) enum Cause {
    Reqwest(reqwest::Error),
    Io(std::io::Error),
}

impl Cause {
    fn is_timeout(&self) -> bool {
        match self {
            Cause::Reqwest(e) => e.is_timeout(),
            Cause::Io(e) => matches!(
                e.kind(),
                std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock
            ),
        }
    }
}

impl std::fmt::Display for Cause {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Cause::Reqwest(e) => e.fmt(f),
            Cause::Io(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for Cause {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Cause::Reqwest(e) => e.source(),
            Cause::Io(e) => e.source(),
        }
    }
}

/// How an exchange failed below HTTP.
#[derive(Debug)]
pub(crate) enum Failure {
    /// Nothing was sent: the connection could not be made.
    Connect(Cause),
    /// No complete answer in time, after the request was (maybe) sent.
    Timeout { partial: Bytes, status: Option<u16> },
    /// The connection broke after the request was (maybe) sent.
    Broken {
        source: Cause,
        partial: Bytes,
        status: Option<u16>,
    },
    /// The answer is larger than the cap (`partial`: its first bytes, for the record id).
    TooLarge {
        cap: u64,
        status: u16,
        partial: Bytes,
    },
    /// The request could not be built (a bug or a bad URL).
    Build(Cause),
}

impl Failure {
    /// Whatever part of the body arrived before the failure.
    pub(crate) fn partial_body(&self) -> &[u8] {
        match self {
            Failure::Timeout { partial, .. }
            | Failure::Broken { partial, .. }
            | Failure::TooLarge { partial, .. } => partial,
            _ => &[],
        }
    }

    /// The stable error. `what` names the exchange ("the generation request", ...).
    pub(crate) fn into_error(self, what: &str, timeout_secs: f64) -> Error {
        match self {
            Failure::Connect(e) => {
                let msg = if e.is_timeout() {
                    format!(
                        "could not connect for {what}: the connection timed out (nothing was sent)"
                    )
                } else {
                    format!(
                        "could not connect for {what} (nothing was sent): {}",
                        chain(&e)
                    )
                };
                Error::new(ErrorCode::ConnectionError, msg).with_source(e)
            }
            Failure::Timeout { status, .. } => {
                let mut e = Error::new(
                    ErrorCode::Timeout,
                    format!(
                        "no complete answer to {what} within {}",
                        seconds(timeout_secs)
                    ),
                );
                if let Some(s) = status {
                    e = e.with_status(s);
                }
                e.with_may_have_been_charged(true)
            }
            Failure::Broken { source, status, .. } => {
                let mut e = Error::new(
                    ErrorCode::ConnectionError,
                    format!("the connection broke during {what}: {}", chain(&source)),
                );
                if let Some(s) = status {
                    e = e.with_status(s);
                }
                e.with_may_have_been_charged(true).with_source(source)
            }
            Failure::TooLarge { cap, status, .. } => Error::new(
                ErrorCode::InvalidResponse,
                format!("the answer to {what} is larger than the limit of {cap} bytes"),
            )
            .with_status(status)
            .with_may_have_been_charged(true),
            Failure::Build(e) => Error::new(
                ErrorCode::ConnectionError,
                format!("could not build {what}: {}", chain(&e)),
            )
            .with_source(e),
        }
    }
}

/// The TLS settings of both HTTP clients: rustls with the `ring` provider passed explicitly and
/// the platform's certificate verifier. Nothing process-wide is installed
/// (`CryptoProvider::install_default` would change the TLS of the user's whole program).
pub(crate) fn tls_config() -> Result<rustls::ClientConfig, Error> {
    use rustls_platform_verifier::BuilderVerifierExt;
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let fail = |e: rustls::Error| {
        Error::new(
            ErrorCode::ConnectionError,
            format!("could not set up TLS: {e}"),
        )
    };
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(fail)?
        .with_platform_verifier()
        .map_err(fail)?
        .with_no_client_auth();
    // What reqwest offers when it builds the config itself (HTTP/2 and HTTP/1.1).
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(config)
}

/// The error and its causes on one line (reqwest's Display alone hides the interesting part).
pub(crate) fn chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut src = e.source();
    while let Some(s) = src {
        let t = s.to_string();
        if !out.contains(&t) {
            out.push_str(": ");
            out.push_str(&t);
        }
        src = s.source();
    }
    out
}

fn classify_send(e: reqwest::Error) -> Failure {
    if e.is_builder() {
        Failure::Build(Cause::Reqwest(e))
    } else if e.is_connect() {
        Failure::Connect(Cause::Reqwest(e))
    } else if e.is_timeout() {
        Failure::Timeout {
            partial: Bytes::new(),
            status: None,
        }
    } else {
        Failure::Broken {
            source: Cause::Reqwest(e),
            partial: Bytes::new(),
            status: None,
        }
    }
}

/// How much of an oversized answer is kept to look for its record id.
pub(crate) const HEAD: usize = 64 * 1024;

/// Sends the request and reads the whole answer, refusing more than `cap` bytes.
pub(crate) async fn exchange(req: reqwest::RequestBuilder, cap: u64) -> Result<RawAnswer, Failure> {
    let mut resp = req.send().await.map_err(classify_send)?;
    let status = resp.status().as_u16();
    let header = |name| {
        resp.headers()
            .get(name)
            .and_then(|v: &reqwest::header::HeaderValue| v.to_str().ok())
            .map(str::to_string)
    };
    let content_type = header(CONTENT_TYPE);
    let retry_after = header(RETRY_AFTER);
    let location = header(LOCATION);
    let mut buf = BytesMut::new();
    if resp.content_length().is_some_and(|n| n > cap) {
        // Keep the head only: enough to name the record, never the whole thing.
        while buf.len() < HEAD {
            match resp.chunk().await {
                Ok(Some(chunk)) => {
                    buf.extend_from_slice(&chunk[..chunk.len().min(HEAD - buf.len())])
                }
                _ => break,
            }
        }
        return Err(Failure::TooLarge {
            cap,
            status,
            partial: buf.freeze(),
        });
    }
    // Most answers arrive in one chunk: keep it as is, copy only when a second one comes.
    let mut first: Option<Bytes> = None;
    loop {
        match resp.chunk().await {
            Ok(Some(chunk)) => {
                if let Some(f) = first.take() {
                    buf.extend_from_slice(&f);
                }
                if buf.len() as u64 + chunk.len() as u64 > cap {
                    buf.truncate(HEAD);
                    return Err(Failure::TooLarge {
                        cap,
                        status,
                        partial: buf.freeze(),
                    });
                }
                if buf.is_empty() {
                    first = Some(chunk);
                } else {
                    buf.extend_from_slice(&chunk);
                }
            }
            Ok(None) => break,
            Err(e) => {
                let partial = first.take().unwrap_or_else(|| buf.freeze());
                return Err(if e.is_timeout() {
                    Failure::Timeout {
                        partial,
                        status: Some(status),
                    }
                } else {
                    Failure::Broken {
                        source: Cause::Reqwest(e),
                        partial,
                        status: Some(status),
                    }
                });
            }
        }
    }
    Ok(RawAnswer {
        status,
        content_type,
        retry_after,
        location,
        body: first.unwrap_or_else(|| buf.freeze()),
    })
}

/// The record id in a broken or unparsable generation answer, when its `"uuid"` arrived whole.
pub(crate) fn salvage_record_id(body: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(body);
    let at = text.find("\"uuid\"")?;
    let rest = text[at + 6..].trim_start();
    let rest = rest.strip_prefix(':')?.trim_start();
    let rest = rest.strip_prefix('"')?;
    let end = rest.find('"')?;
    let id = &rest[..end];
    let ok = !id.is_empty()
        && id.len() <= 128
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    ok.then(|| id.to_string())
}

/// "300 s", "1.5 s", "0.25 s": whole seconds without decimals, shorter waits as they are.
fn seconds(secs: f64) -> String {
    if secs >= 10.0 || secs.fract() == 0.0 {
        format!("{secs:.0} s")
    } else {
        let s = format!("{secs:.3}");
        format!("{} s", s.trim_end_matches('0').trim_end_matches('.'))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn salvage() {
        let body = br#"{"aiRecord": {"uuid" : "0b1c-22ab", "status": "SUCC"#;
        assert_eq!(salvage_record_id(body).as_deref(), Some("0b1c-22ab"));
        assert_eq!(salvage_record_id(br#"{"aiRecord":{"uuid":"0b1c-2"#), None);
        assert_eq!(salvage_record_id(br#"{"aiRecord":{"uuid":"a\"b"}}"#), None);
        assert_eq!(salvage_record_id(b"<html>"), None);
    }

    /// Building a client leaves the process-wide TLS provider alone (nothing in this test
    /// binary installs one).
    #[test]
    fn no_process_wide_tls_provider() {
        let client = crate::Client::builder()
            .ignore_env()
            .api_key("k-0123456789")
            .build()
            .unwrap();
        assert!(rustls::crypto::CryptoProvider::get_default().is_none());
        let tls = tls_config().unwrap();
        assert_eq!(tls.alpn_protocols, [b"h2".to_vec(), b"http/1.1".to_vec()]);
        drop(client);
    }
}

#[cfg(test)]
mod seconds_tests {
    #[test]
    fn short_timeouts_are_not_shown_as_zero() {
        assert_eq!(super::seconds(300.0), "300 s");
        assert_eq!(super::seconds(0.25), "0.25 s");
        assert_eq!(super::seconds(1.5), "1.5 s");
        assert_eq!(super::seconds(2.0), "2 s");
    }
}
