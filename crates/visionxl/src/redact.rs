//! Keeps the API key out of every error the client makes from an answer or a transport failure
//! (docs/ARCHITECTURE.md, "Money rules": the key is redacted in every error string). The service may echo the key back
//! (`{"message":"Invalid API key sk-…"}`); the client scrubs it here, once, so no binding or
//! front end has to.

use std::fmt;

use secrecy::{ExposeSecret, SecretString};
use visionxl_core::Error;

/// What replaces the key in error strings.
pub(crate) const REDACTION_MARKER: &str = "***";

/// Keys shorter than this are not scrubbed from messages: replacing every `abc` in a message
/// would garble it and say little. Such keys are still never printed by the client itself.
pub(crate) const MIN_REDACTED_KEY_LEN: usize = 4;

/// Replaces the key (as sent, and as it reads inside a JSON string) with
/// [`REDACTION_MARKER`] in an [`Error`]'s message, details, service code, record id,
/// violations and cause.
#[derive(Clone, Default)]
pub(crate) struct Redactor {
    /// The key and, when it differs, its JSON-escaped form; empty for short keys.
    needles: Vec<SecretString>,
}

impl fmt::Debug for Redactor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Redactor")
            .field("key", &"[redacted]")
            .finish()
    }
}

impl Redactor {
    /// A redactor for `key` (a no-op for keys shorter than [`MIN_REDACTED_KEY_LEN`]).
    pub(crate) fn new(key: &SecretString) -> Self {
        let key = key.expose_secret();
        if key.chars().count() < MIN_REDACTED_KEY_LEN {
            return Redactor::default();
        }
        let mut needles = vec![SecretString::from(key.to_string())];
        let escaped = serde_json::to_string(key).unwrap_or_default();
        let escaped = escaped
            .strip_prefix('"')
            .and_then(|s| s.strip_suffix('"'))
            .unwrap_or_default();
        if !escaped.is_empty() && escaped != key {
            needles.push(SecretString::from(escaped.to_string()));
        }
        Redactor { needles }
    }

    fn leaks(&self, s: &str) -> bool {
        self.needles.iter().any(|n| s.contains(n.expose_secret()))
    }

    /// `s` with the key replaced; `None` when it does not hold the key.
    pub(crate) fn text(&self, s: &str) -> Option<String> {
        if !self.leaks(s) {
            return None;
        }
        let mut out = s.to_string();
        for n in &self.needles {
            out = out.replace(n.expose_secret(), REDACTION_MARKER);
        }
        Some(out)
    }

    /// `s` with the key replaced (a copy either way).
    pub(crate) fn scrub(&self, s: &str) -> String {
        self.text(s).unwrap_or_else(|| s.to_string())
    }

    /// The error with the key replaced everywhere it can be shown: message, details, service
    /// code, record id, violations (SDK names in messages are kept, see
    /// [`Error::map_text`]), and the cause chain (a cause that quotes the key is replaced by
    /// its redacted text).
    pub(crate) fn error(&self, e: Error) -> Error {
        if self.needles.is_empty() {
            return e;
        }
        let source_text = std::error::Error::source(&e).map(crate::transport::chain);
        let source_leaks = source_text.as_deref().is_some_and(|s| self.leaks(s));
        let text_leaks = self.leaks(e.message())
            || [e.details(), e.service_code(), e.record_id()]
                .into_iter()
                .flatten()
                .any(|s| self.leaks(s))
            || e.violations()
                .iter()
                .any(|v| self.leaks(&v.field) || self.leaks(&v.message));
        let mut e = if text_leaks {
            e.map_text(&|s: &str| self.scrub(s))
        } else {
            e
        };
        if let (true, Some(s)) = (source_leaks, source_text) {
            e = e.with_source(RedactedCause(self.scrub(&s)));
        }
        e
    }
}

/// The text of a cause that quoted the key, redacted.
#[derive(Debug)]
struct RedactedCause(String);

impl fmt::Display for RedactedCause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for RedactedCause {}

#[cfg(test)]
mod tests {
    use super::*;
    use visionxl_core::{ErrorCode, Violation, ViolationCode};

    const KEY: &str = "sk-secret-ABCDEFGH12345";

    fn shown(e: &Error) -> String {
        let mut s = format!("{e} | {e:?} | {:?} | {:?}", e.details(), e.violations());
        let mut src = std::error::Error::source(e);
        while let Some(x) = src {
            s.push_str(&format!(" | {x} | {x:?}"));
            src = x.source();
        }
        s
    }

    #[test]
    fn every_field_is_scrubbed_and_the_rest_kept() {
        let r = Redactor::new(&SecretString::from(KEY));
        let e = Error::new(
            ErrorCode::AuthenticationError,
            format!("Invalid API key {KEY}"),
        )
        .with_status(401)
        .with_service_code(Some(format!("BAD_KEY_{KEY}")))
        .with_details(Some(format!("{{\"key\":\"{KEY}\"}}")))
        .with_record_id(Some("rec-1".into()))
        .with_may_have_been_charged(true)
        .with_source(std::io::Error::other(format!("peer said {KEY}")));
        let e = r.error(e);
        assert!(!shown(&e).contains(KEY), "{}", shown(&e));
        assert_eq!(e.message(), "Invalid API key ***");
        assert_eq!(e.service_code(), Some("BAD_KEY_***"));
        assert_eq!(e.details(), Some("{\"key\":\"***\"}"));
        assert_eq!(e.code(), ErrorCode::AuthenticationError);
        assert_eq!(e.status(), Some(401));
        assert_eq!(e.record_id(), Some("rec-1"));
        assert!(e.may_have_been_charged());
        let src = std::error::Error::source(&e).expect("the cause is kept, redacted");
        assert_eq!(src.to_string(), "peer said ***");
    }

    #[test]
    fn violations_and_json_escaped_keys_are_scrubbed() {
        let key = "ab\"cd/ef";
        let r = Redactor::new(&SecretString::from(key));
        let e = Error::validation(vec![Violation::new(
            "api_key",
            ViolationCode::NotAllowedValue,
            format!("{key} is not valid"),
        )])
        .with_details(Some(r#"{"message":"bad key ab\"cd/ef"}"#.to_string()));
        let e = r.error(e);
        let text = shown(&e);
        assert!(!text.contains(key), "{text}");
        assert!(!text.contains(r#"ab\"cd/ef"#), "{text}");
        assert_eq!(e.code(), ErrorCode::ValidationError);
        assert_eq!(e.violations()[0].message, "*** is not valid");
        assert_eq!(e.violations()[0].code, ViolationCode::NotAllowedValue);
    }

    #[test]
    fn clean_errors_pass_unchanged_and_short_keys_are_left_alone() {
        let r = Redactor::new(&SecretString::from(KEY));
        let e = Error::new(ErrorCode::ServerError, "boom")
            .with_status(500)
            .with_source(std::io::Error::other("cause"));
        let e = r.error(e);
        assert_eq!(e.message(), "boom");
        assert!(
            std::error::Error::source(&e)
                .unwrap()
                .is::<std::io::Error>()
        );
        let short = Redactor::new(&SecretString::from("abc"));
        let e = short.error(Error::new(ErrorCode::BadRequest, "abc abc"));
        assert_eq!(e.message(), "abc abc");
        let four = Redactor::new(&SecretString::from("abcd"));
        assert_eq!(
            four.error(Error::new(ErrorCode::BadRequest, "key abcd!"))
                .message(),
            "key ***!"
        );
        assert!(!format!("{r:?}").contains(KEY));
    }
}
