//! The client's options as one table ([`CLIENT_OPTIONS`]): name, kind, unit, range, default and
//! doc of every [`ClientBuilder`](crate::ClientBuilder) setting, and the one place their values are checked.
//!
//! Bindings do not re-check options: they hand each option, loosely typed, to
//! [`ClientBuilder::set_option`](crate::ClientBuilder::set_option) (or [`ClientBuilder::set_options`](crate::ClientBuilder::set_options) with their own
//! [`Naming`]), which converts and range-checks it, and [`ClientBuilder::build`](crate::ClientBuilder::build) checks the
//! same rules, from the same table, for values set through the typed builder methods. The
//! table is also what the Python and TypeScript option stubs are generated from: each row has
//! the Node name, the Python keyword's default and whether Node takes it.
//!
//! The batch rule lives here too: [`check_concurrency`] (1 to 1000), called by
//! `Client::generate_many` and by the bindings before they start a batch.
//!
//! ```
//! use visionxl::options::{CLIENT_OPTIONS, OptionValue};
//! let mut b = visionxl::Client::builder().ignore_env();
//! b.set_option("timeout", OptionValue::Float(2.5))?; // seconds
//! b.set_option("requests_per_minute", OptionValue::Int(0))?; // pacing off
//! let e = b.set_option("max_retrys", OptionValue::Int(1)).unwrap_err();
//! assert_eq!(e.violations()[0].code, visionxl::ViolationCode::UnknownField);
//! assert!(e.message().contains("did you mean \"max_retries\""));
//! assert!(CLIENT_OPTIONS.iter().any(|o| o.name == "max_image_bytes"));
//! # Ok::<(), visionxl::Error>(())
//! ```

use std::time::Duration;

pub use secrecy::SecretString;

mod value;
pub use value::OptionValue;
use visionxl_core::error::{Name, Text};
use visionxl_core::suggest::did_you_mean;
use visionxl_core::{Error, Naming, Violation, ViolationCode};

/// What kind of value an option takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OptionKind {
    /// A string (`user_agent`).
    Str,
    /// A string that is a secret: kept in a `SecretString`, never shown (`api_key`).
    Secret,
    /// An http(s) URL given as a string (`base_url`).
    Url,
    /// True or false.
    Bool,
    /// A whole number (`max_retries`, `budget`, `requests_per_minute`).
    Count,
    /// A duration: seconds (an integer or a float) in Rust, Python and C's table; milliseconds
    /// in Node (its option is named `...Ms`).
    Duration,
    /// A size in bytes (a whole number).
    Bytes,
}

impl OptionKind {
    /// The kind's name in tables and generated stubs: `str`, `secret`, `url`, `bool`, `count`,
    /// `duration`, `bytes`.
    pub fn as_str(self) -> &'static str {
        match self {
            OptionKind::Str => "str",
            OptionKind::Secret => "secret",
            OptionKind::Url => "url",
            OptionKind::Bool => "bool",
            OptionKind::Count => "count",
            OptionKind::Duration => "duration",
            OptionKind::Bytes => "bytes",
        }
    }
}

/// The values an option accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OptionRange {
    /// Any value of the kind (strings, flags, a duration from 0).
    Any,
    /// A whole number in `min..=max`.
    Int {
        /// The smallest value.
        min: u64,
        /// The largest value.
        max: u64,
    },
    /// A duration greater than zero.
    Positive,
}

/// One row of [`CLIENT_OPTIONS`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientOption {
    /// The snake_case name: the [`ClientBuilder`](crate::ClientBuilder) method, the Python keyword.
    pub name: &'static str,
    /// The Node option (`timeoutMs`: Node durations are milliseconds).
    pub node_name: &'static str,
    /// What kind of value it takes.
    pub kind: OptionKind,
    /// The unit of the value in Rust, Python and C (`"s"`, `"bytes"`, `"credits"`,
    /// `"requests/min"`), `""` when it has none. Node durations are in `"ms"`.
    pub unit: &'static str,
    /// The values it accepts.
    pub range: OptionRange,
    /// The default, for people (`"300 s"`, `"ONEMIN_API_KEY"`).
    pub default: &'static str,
    /// The Python keyword's default as Python source (`"None"`, `"2"`, `"False"`); `None` when
    /// the option is not a keyword of Python's `Client(...)`.
    pub python_default: Option<&'static str>,
    /// Whether Node's `new Client({...})` takes it.
    pub in_node: bool,
    /// One line for people.
    pub doc: &'static str,
}

impl ClientOption {
    /// The option's name as a structured [`Name`] (snake_case and Node spelling).
    pub fn sdk_name(&self) -> Name {
        Name::new(self.name, self.node_name)
    }

    /// The name as `naming` spells it (the Node name under [`Naming::Camel`]).
    pub fn name_in(&self, naming: Naming) -> &'static str {
        match naming {
            Naming::Camel => self.node_name,
            Naming::Wire | Naming::Sdk => self.name,
        }
    }
}

const MAX_U32: u64 = u32::MAX as u64;

macro_rules! opt {
    ($name:literal, $node:literal, $kind:ident, $unit:literal, $range:expr, $default:literal,
     $py:expr, $in_node:literal, $doc:literal) => {
        ClientOption {
            name: $name,
            node_name: $node,
            kind: OptionKind::$kind,
            unit: $unit,
            range: $range,
            default: $default,
            python_default: $py,
            in_node: $in_node,
            doc: $doc,
        }
    };
}

/// Every option of a client, in the order of Python's `Client(...)` keywords first.
///
/// Rules shared by every language: durations must be greater than 0; `max_response_bytes` and
/// `max_image_bytes` at least 1; `requests_per_minute = 0` is valid and turns pacing off;
/// counts are whole numbers from 0 to the bound of their Rust type. `null`/`None`/`undefined`
/// leaves an option at its default.
#[rustfmt::skip]
pub const CLIENT_OPTIONS: &[ClientOption] = &[
    opt!("api_key", "apiKey", Secret, "", OptionRange::Any,
        "ONEMIN_API_KEY", Some("None"), true,
        "The 1min.ai API key (else ONEMIN_API_KEY); never shown"),
    opt!("base_url", "baseUrl", Url, "", OptionRange::Any,
        "ONEMIN_BASE_URL, else https://api.1min.ai", Some("None"), true,
        "The API base URL; plain http only to a loopback host unless allow_insecure_http"),
    opt!("asset_base_url", "assetBaseUrl", Url, "", OptionRange::Any,
        "ONEMIN_ASSET_BASE_URL, else https://asset.1min.ai (<base_url>/asset for a loopback base URL)", Some("None"), true,
        "Where result images are downloaded from"),
    opt!("timeout", "timeoutMs", Duration, "s", OptionRange::Positive,
        "300 s", Some("None"), true,
        "How long one API request may take in all (generation is slow)"),
    opt!("max_retries", "maxRetries", Count, "", OptionRange::Int { min: 0, max: MAX_U32 },
        "2", Some("2"), true,
        "Retries of connection failures before sending and of 429s"),
    opt!("retry_ambiguous", "retryAmbiguous", Bool, "", OptionRange::Any,
        "false", Some("False"), true,
        "Also retry requests that may have reached the service (may be charged twice)"),
    opt!("budget", "budget", Count, "credits", OptionRange::Int { min: 0, max: u64::MAX },
        "none", Some("None"), true,
        "Credits this client may spend; a request past it fails before it is sent"),
    opt!("shared_limits", "sharedLimits", Secret, "", OptionRange::Any,
        "none (in-process)", Some("None"), true,
        "A redis:// or rediss:// URL: pacing and budget shared by every process using the key"),
    opt!("requests_per_minute", "requestsPerMinute", Count, "requests/min", OptionRange::Int { min: 0, max: MAX_U32 },
        "180", Some("180"), true,
        "Pacing shared by every call of the client; 0 turns pacing off"),
    opt!("allow_insecure_http", "allowInsecureHttp", Bool, "", OptionRange::Any,
        "false", Some("False"), true,
        "Allow sending the key over plain http to a host that is not loopback"),
    opt!("connect_timeout", "connectTimeoutMs", Duration, "s", OptionRange::Positive,
        "10 s", Some("None"), true,
        "How long to wait for a connection"),
    opt!("download_timeout", "downloadTimeoutMs", Duration, "s", OptionRange::Positive,
        "120 s", Some("None"), true,
        "How long one image download may take in all"),
    opt!("max_image_bytes", "maxImageBytes", Bytes, "bytes", OptionRange::Int { min: 1, max: u64::MAX },
        "67108864 (64 MiB)", Some("67108864"), true,
        "The largest image a save, download or upload accepts"),
    opt!("poll_timeout", "pollTimeoutMs", Duration, "s", OptionRange::Positive,
        "600 s", None, true,
        "How long a PROCESSING record is polled before the call fails with timeout"),
    opt!("async_mode", "asyncMode", Bool, "", OptionRange::Any,
        "false", None, true,
        "Submit with \"async\": true and poll the record"),
    opt!("poll_interval", "pollIntervalMs", Duration, "s", OptionRange::Positive,
        "1 s", None, false,
        "The first wait between two polls of a PROCESSING record"),
    opt!("max_poll_interval", "maxPollIntervalMs", Duration, "s", OptionRange::Any,
        "10 s", None, false,
        "The longest wait between two polls (less than poll_interval counts as poll_interval)"),
    opt!("max_response_bytes", "maxResponseBytes", Bytes, "bytes", OptionRange::Int { min: 1, max: u64::MAX },
        "4194304 (4 MiB)", None, false,
        "The largest JSON answer accepted"),
    opt!("pacing_burst", "pacingBurst", Count, "", OptionRange::Int { min: 0, max: MAX_U32 },
        "1", None, false,
        "How many requests may leave at once before pacing spaces them (0 counts as 1)"),
    opt!("user_agent", "userAgent", Str, "", OptionRange::Any,
        "visionxl-rust/<version>", None, false,
        "The User-Agent header"),
];

/// The row of a snake_case option name.
pub fn client_option(name: &str) -> Option<&'static ClientOption> {
    CLIENT_OPTIONS.iter().find(|o| o.name == name)
}

/// The structured [`Name`] of an option of the table (snake_case and Node spelling), for
/// messages that name it.
pub fn option_name(name: &str) -> Name {
    client_option(name)
        .map(ClientOption::sdk_name)
        .unwrap_or_else(|| Name::snake(name.to_string()))
}

/// The row of an option name spelled as `naming` says.
pub fn client_option_in(name: &str, naming: Naming) -> Option<&'static ClientOption> {
    CLIENT_OPTIONS.iter().find(|o| o.name_in(naming) == name)
}

/// A checked, typed option value.
pub(crate) enum Typed {
    Default,
    Str(String),
    Secret(SecretString),
    Bool(bool),
    Int(u64),
    Duration(Duration),
}

fn violation(opt: &ClientOption, code: ViolationCode, rest: String) -> Violation {
    Violation::named(
        opt.sdk_name(),
        code,
        Text::new().name(opt.sdk_name()).lit(rest),
    )
}

/// The one range check of an integer option: `Err` is the violation.
pub(crate) fn check_int(opt: &ClientOption, n: i128) -> Result<u64, Violation> {
    let (min, max) = match opt.range {
        OptionRange::Int { min, max } => (min, max),
        _ => (0, u64::MAX),
    };
    if n < i128::from(min) || n > i128::from(max) {
        let unit = if opt.unit.is_empty() {
            String::new()
        } else {
            format!(" {}", opt.unit)
        };
        let rule = if min == 1 && max == u64::MAX {
            format!("must be greater than 0{unit}")
        } else {
            format!("must be between {min} and {max}{unit}")
        };
        return Err(violation(
            opt,
            ViolationCode::OutOfRange,
            format!(" {rule}, got {n}"),
        ));
    }
    Ok(n as u64)
}

/// The one range check of a duration option.
pub(crate) fn check_duration(opt: &ClientOption, d: Duration) -> Result<Duration, Violation> {
    if opt.range == OptionRange::Positive && d.is_zero() {
        return Err(violation(
            opt,
            ViolationCode::OutOfRange,
            " must be greater than 0 (got 0)".to_string(),
        ));
    }
    Ok(d)
}

/// Converts and checks `value` for `opt`; `millis`: a duration is given in milliseconds.
pub(crate) fn convert(
    opt: &ClientOption,
    value: OptionValue,
    millis: bool,
) -> Result<Typed, Violation> {
    let wrong = |expected: &str, got: &OptionValue| {
        violation(
            opt,
            ViolationCode::WrongType,
            format!(" must be {expected}, got {}", got.shown()),
        )
    };
    if let OptionValue::Null = value {
        return Ok(Typed::Default);
    }
    match opt.kind {
        OptionKind::Str | OptionKind::Url => match value {
            OptionValue::Str(s) => Ok(Typed::Str(s)),
            other => Err(wrong("a string", &other)),
        },
        OptionKind::Secret => match value {
            OptionValue::Str(s) => Ok(Typed::Secret(SecretString::from(s))),
            OptionValue::Secret(s) => Ok(Typed::Secret(s)),
            other => Err(wrong("a string", &other)),
        },
        OptionKind::Bool => match value {
            OptionValue::Bool(b) => Ok(Typed::Bool(b)),
            other => Err(wrong("true or false", &other)),
        },
        OptionKind::Count | OptionKind::Bytes => match value {
            OptionValue::Int(i) => check_int(opt, i).map(Typed::Int),
            other => Err(wrong("a whole number", &other)),
        },
        OptionKind::Duration => {
            let (unit, word) = if millis {
                ("ms", "milliseconds")
            } else {
                ("s", "seconds")
            };
            let n = match value {
                OptionValue::Int(i) => i as f64,
                OptionValue::Float(x) => x,
                other => return Err(wrong(&format!("a number of {word}"), &other)),
            };
            if !n.is_finite() {
                return Err(violation(
                    opt,
                    ViolationCode::NotFinite,
                    format!(" must be a finite number of {word}, got {n}"),
                ));
            }
            if n < 0.0 {
                return Err(violation(
                    opt,
                    ViolationCode::OutOfRange,
                    format!(" must not be negative, got {n} {unit}"),
                ));
            }
            let secs = if millis { n / 1000.0 } else { n };
            let d = Duration::try_from_secs_f64(secs).map_err(|_| {
                violation(
                    opt,
                    ViolationCode::OutOfRange,
                    format!(" is too large: {n} {unit}"),
                )
            })?;
            check_duration(opt, d).map(Typed::Duration)
        }
    }
}

/// The `unknown_field` violation of an option name, with a "did you mean" in `naming`.
pub(crate) fn unknown(name: &str, naming: Naming) -> Violation {
    let own: Vec<&str> = CLIENT_OPTIONS.iter().map(|o| o.name_in(naming)).collect();
    let cross = [Naming::Sdk, Naming::Camel]
        .into_iter()
        .find_map(|other| client_option_in(name, other))
        .map(|o| o.name_in(naming).to_string());
    let message = match cross.or_else(|| did_you_mean(name, &own)) {
        Some(s) => format!("unknown client option {name:?} (did you mean {s:?}?)"),
        None => format!(
            "unknown client option {name:?}; known options: {}",
            own.join(", ")
        ),
    };
    Violation::new(name, ViolationCode::UnknownField, message)
}

/// The smallest and largest `concurrency` of [`Client::generate_many`](crate::Client) (and of
/// every binding's `generate_many`/`generateMany`).
pub const CONCURRENCY_RANGE: (usize, usize) = (1, 1000);

/// The one rule of a batch's `concurrency`, in every language: a whole number from 1 to 1000
/// (generations in flight at once; pacing still applies). 0 is refused rather than read as 1,
/// and more than 1000 would only open connections the pacing bucket keeps waiting.
pub fn check_concurrency(concurrency: usize) -> Result<usize, Error> {
    let (min, max) = CONCURRENCY_RANGE;
    if (min..=max).contains(&concurrency) {
        Ok(concurrency)
    } else {
        Err(concurrency_error(
            ViolationCode::OutOfRange,
            format!(" must be between {min} and {max}, got {concurrency}"),
        ))
    }
}

fn concurrency_error(code: ViolationCode, rest: String) -> Error {
    let name = Name::snake("concurrency");
    Error::validation(vec![Violation::named(
        name.clone(),
        code,
        Text::new().name(name).lit(rest),
    )])
}

/// The concurrency rule for a number as a binding has it (JavaScript's numbers): a whole
/// number from 1 to 1000, else a `validation_error` on `concurrency`.
pub fn concurrency_from(n: f64) -> Result<usize, Error> {
    if n.fract() != 0.0 || !n.is_finite() {
        return Err(concurrency_error(
            ViolationCode::WrongType,
            format!(" must be a whole number, got {n}"),
        ));
    }
    let (min, max) = CONCURRENCY_RANGE;
    if n < min as f64 || n > max as f64 {
        return Err(concurrency_error(
            ViolationCode::OutOfRange,
            format!(" must be between {min} and {max}, got {n}"),
        ));
    }
    check_concurrency(n as usize)
}
