//! Scripted failures ([`Fault`]) and their kinds ([`FaultKind`]).

use serde::{Deserialize, Serialize};

fn one() -> u32 {
    1
}

/// A scripted failure: the next `count` requests (whose path starts with `path`, when set)
/// answer as `kind` says. Requests to `/_emulator/...` are never affected.
///
/// As JSON (for `POST /_emulator/faults`) the kind's fields sit beside `count` and `path`:
/// `{"kind":"rate_limit","retry_after_secs":2,"count":1,"path":"/api/features"}`.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct Fault {
    /// What happens.
    #[serde(flatten)]
    pub kind: FaultKind,
    /// How many requests it applies to (default 1).
    #[serde(default = "one")]
    pub count: u32,
    /// The path prefix it applies to, e.g. `/api/features`; `None`: any request.
    #[serde(default)]
    pub path: Option<String>,
}

impl Fault {
    /// A fault for the next matching request.
    pub fn new(kind: FaultKind) -> Fault {
        Fault {
            kind,
            count: 1,
            path: None,
        }
    }

    /// Applies to the next `n` matching requests instead of one.
    pub fn times(mut self, n: u32) -> Fault {
        self.count = n;
        self
    }

    /// Applies only to requests whose path starts with `prefix`.
    pub fn on_path(mut self, prefix: &str) -> Fault {
        self.path = Some(prefix.to_string());
        self
    }
}

/// What a [`Fault`] does.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FaultKind {
    /// 429 with a `Retry-After: <secs>` header and a live-shaped JSON error body.
    RateLimit {
        /// The `Retry-After` value in seconds.
        retry_after_secs: u64,
    },
    /// This HTTP status (500, 502, 503, ...) with a live-shaped JSON body; nothing is processed
    /// or charged. An invalid status becomes 500.
    Status {
        /// The HTTP status.
        status: u16,
    },
    /// 522 with a Cloudflare-style `text/html` page (it has a `<title>`); nothing charged.
    Cloudflare,
    /// Waits this long (capped at 10 minutes), then answers normally.
    Delay {
        /// Milliseconds to wait.
        ms: u64,
    },
    /// Closes the connection without answering; nothing is processed or charged.
    DropBeforeProcessing,
    /// Processes the request and charges it (the record exists and the ledger shows it), then
    /// closes the connection before the client can read any of the answer: the ambiguous case.
    DropAfterCharge,
    /// Processes and charges, sends the headers (with the content-length of the full body) and
    /// only half of the body, then closes the connection.
    TruncatedBody,
    /// Processes and charges, then answers 200 with a body that is not valid JSON.
    MalformedJson,
    /// The next image download (`/asset/...` or `/temp/...`) answers 403 with the S3 XML
    /// "Request has expired" body. Other requests do not consume it.
    ExpiredAsset,
    /// The next generation (`POST /api/features` that passes validation) ends as a FAILURE
    /// record with `aiRecordDetail.errorMessage` = `message`; it is not charged. Other requests
    /// do not consume it.
    GenerationFailure {
        /// The failure reason.
        message: String,
    },
}

/// A fault kind by name: the `"kind"` of its JSON and the fields it takes beside it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FaultKindInfo {
    /// The JSON name (`rate_limit`, `drop_after_charge`, ...), as [`FaultKind::name`] gives it.
    pub name: &'static str,
    /// The fields the kind takes (`retry_after_secs` for `rate_limit`); empty for most.
    pub fields: &'static [&'static str],
}

impl FaultKind {
    /// Every kind, in the enum's order: what bindings list (`visionxl.testing.FAULT_KINDS`)
    /// and accept by name.
    ///
    /// ```
    /// use visionxl_emulator::FaultKind;
    /// assert!(FaultKind::ALL.iter().any(|k| k.name == "drop_after_charge"));
    /// let k: FaultKind = "cloudflare".parse().unwrap();
    /// assert_eq!(k.name(), "cloudflare");
    /// assert!("status".parse::<FaultKind>().is_err()); // it needs a `status`
    /// ```
    pub const ALL: &'static [FaultKindInfo] = &[
        FaultKindInfo {
            name: "rate_limit",
            fields: &["retry_after_secs"],
        },
        FaultKindInfo {
            name: "status",
            fields: &["status"],
        },
        FaultKindInfo {
            name: "cloudflare",
            fields: &[],
        },
        FaultKindInfo {
            name: "delay",
            fields: &["ms"],
        },
        FaultKindInfo {
            name: "drop_before_processing",
            fields: &[],
        },
        FaultKindInfo {
            name: "drop_after_charge",
            fields: &[],
        },
        FaultKindInfo {
            name: "truncated_body",
            fields: &[],
        },
        FaultKindInfo {
            name: "malformed_json",
            fields: &[],
        },
        FaultKindInfo {
            name: "expired_asset",
            fields: &[],
        },
        FaultKindInfo {
            name: "generation_failure",
            fields: &["message"],
        },
    ];

    /// The JSON name of the kind (its `"kind"` tag).
    pub fn name(&self) -> &'static str {
        match self {
            FaultKind::RateLimit { .. } => "rate_limit",
            FaultKind::Status { .. } => "status",
            FaultKind::Cloudflare => "cloudflare",
            FaultKind::Delay { .. } => "delay",
            FaultKind::DropBeforeProcessing => "drop_before_processing",
            FaultKind::DropAfterCharge => "drop_after_charge",
            FaultKind::TruncatedBody => "truncated_body",
            FaultKind::MalformedJson => "malformed_json",
            FaultKind::ExpiredAsset => "expired_asset",
            FaultKind::GenerationFailure { .. } => "generation_failure",
        }
    }

    /// How reports count it: the name, with the status for `status` (`status_503`).
    pub fn report_name(&self) -> String {
        match self {
            FaultKind::Status { status } => format!("status_{status}"),
            other => other.name().to_string(),
        }
    }
}

/// A kind by its name alone (`"drop_after_charge"`); kinds that take fields (`status`,
/// `rate_limit`, `delay`, `generation_failure`) are refused, naming the missing field, as are
/// unknown names.
impl std::str::FromStr for FaultKind {
    type Err = String;

    fn from_str(name: &str) -> Result<FaultKind, String> {
        serde_json::from_value(serde_json::json!({ "kind": name })).map_err(|e| e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fault_json_is_flat() {
        let f: Fault = serde_json::from_str(
            r#"{"kind":"rate_limit","retry_after_secs":2,"count":3,"path":"/api/features"}"#,
        )
        .unwrap();
        assert_eq!(
            f,
            Fault::new(FaultKind::RateLimit {
                retry_after_secs: 2
            })
            .times(3)
            .on_path("/api/features")
        );
        let f: Fault = serde_json::from_str(r#"{"kind":"cloudflare"}"#).unwrap();
        assert_eq!(f, Fault::new(FaultKind::Cloudflare));
        let v = serde_json::to_value(Fault::new(FaultKind::GenerationFailure {
            message: "nsfw".into(),
        }))
        .unwrap();
        assert_eq!(v["kind"], "generation_failure");
        assert_eq!(v["message"], "nsfw");
        assert_eq!(v["count"], 1);
    }
}
