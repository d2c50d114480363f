//! The emulator, in-process: `visionxl/testing`'s `Emulator` runs `visionxl-emulator` on a
//! thread of its own with its own tokio runtime (so it never competes with the client's runtime,
//! and benchmarks measure the client), bound to 127.0.0.1 on a free port.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use napi::bindgen_prelude::PromiseRaw;
use napi::{Env, Result};
use napi_derive::napi;
use serde_json::{Value, json};
use visionxl_core::{Error, ErrorCode, Violation, ViolationCode};
use visionxl_emulator::{ApiKey, Chaos, Emulator, EmulatorConfig, Fault, RateLimit};

use crate::error::{OrThrow, to_napi};

/// One key the emulator accepts.
#[napi(object)]
pub struct EmulatorKey {
    /// The API key.
    pub key: String,
    /// Its starting balance in credits.
    pub credits: f64,
}

/// How the emulator starts (every field optional).
#[napi(object)]
#[derive(Default)]
pub struct EmulatorOptions {
    /// The port on 127.0.0.1; 0 (default) picks a free one.
    pub port: Option<u32>,
    /// Accepted keys and balances (default `vxl-emulator-key` with 100,000 credits).
    pub keys: Option<Vec<EmulatorKey>>,
    /// How long each generation takes (default 0).
    pub latency_ms: Option<f64>,
    /// How long signed temporary URLs stay valid, in seconds (default 600).
    pub temporary_url_ttl_secs: Option<f64>,
    /// At most this many API requests per key per `rateWindowMs`, else 429 (default 0: off).
    pub rate_limit: Option<u32>,
    /// The rate limit's sliding window, in ms (default 60,000).
    pub rate_window_ms: Option<f64>,
}

fn bad_option(field: &str, message: String) -> napi::Error {
    to_napi(Error::validation(vec![Violation::new(
        field,
        ViolationCode::OutOfRange,
        message,
    )]))
}

fn config(o: EmulatorOptions) -> Result<EmulatorConfig> {
    let mut c = EmulatorConfig::default();
    if let Some(p) = o.port {
        c.port = u16::try_from(p)
            .map_err(|_| bad_option("port", format!("port must be 0..=65535, got {p}")))?;
    }
    if let Some(keys) = o.keys {
        c.keys = keys
            .into_iter()
            .map(|k| {
                if k.credits.is_finite() && k.credits >= 0.0 {
                    Ok(ApiKey::new(k.key, k.credits as u64))
                } else {
                    Err(bad_option(
                        "keys",
                        format!("credits must be a number >= 0, got {}", k.credits),
                    ))
                }
            })
            .collect::<Result<_>>()?;
    }
    if let Some(ms) = o.latency_ms {
        if !(ms.is_finite() && ms >= 0.0) {
            return Err(bad_option(
                "latencyMs",
                format!("latencyMs must be >= 0, got {ms}"),
            ));
        }
        c.latency = Duration::from_secs_f64(ms / 1000.0);
    }
    if let Some(s) = o.temporary_url_ttl_secs {
        if !(s.is_finite() && s >= 0.0) {
            return Err(bad_option(
                "temporaryUrlTtlSecs",
                format!("temporaryUrlTtlSecs must be >= 0, got {s}"),
            ));
        }
        c.temporary_url_ttl = Duration::from_secs_f64(s);
    }
    let window = o.rate_window_ms.unwrap_or(60_000.0);
    if !(window.is_finite() && window > 0.0) {
        return Err(bad_option(
            "rateWindowMs",
            format!("rateWindowMs must be > 0, got {window}"),
        ));
    }
    c.rate_limit = RateLimit::new(
        o.rate_limit.unwrap_or(0),
        Duration::from_secs_f64(window / 1000.0),
    );
    Ok(c)
}

/// Starts an emulator; resolves when it listens.
#[napi(
    js_name = "startEmulator",
    catch_unwind,
    ts_return_type = "Promise<NativeEmulator>"
)]
pub fn start_emulator<'e>(
    env: &'e Env,
    options: Option<EmulatorOptions>,
) -> Result<PromiseRaw<'e, NativeEmulator>> {
    let cfg = config(options.unwrap_or_default())?;
    env.spawn_future(async move {
        let emu = tokio::task::spawn_blocking(move || Emulator::start_blocking(cfg))
            .await
            .map_err(|e| napi::Error::from_reason(format!("emulator thread failed: {e}")))?
            .map_err(|e| {
                to_napi(Error::new(
                    ErrorCode::IoError,
                    format!("the emulator could not start: {e}"),
                ))
            })?;
        Ok(NativeEmulator {
            base_url: emu.base_url(),
            asset_base_url: emu.asset_base_url(),
            api_key: emu.api_key(),
            inner: Arc::new(Mutex::new(Some(emu))),
        })
    })
}

/// A running emulator.
#[napi]
pub struct NativeEmulator {
    base_url: String,
    asset_base_url: String,
    api_key: String,
    inner: Arc<Mutex<Option<Emulator>>>,
}

impl NativeEmulator {
    fn with<T>(&self, f: impl FnOnce(&Emulator) -> T) -> Result<T> {
        let guard = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        match guard.as_ref() {
            Some(emu) => Ok(f(emu)),
            None => Err(to_napi(Error::new(
                ErrorCode::ConnectionError,
                "the emulator was stopped",
            ))),
        }
    }
}

#[napi]
impl NativeEmulator {
    /// `http://127.0.0.1:PORT`.
    #[napi(getter, catch_unwind)]
    pub fn base_url(&self) -> String {
        self.base_url.clone()
    }

    /// `base_url + "/asset"`.
    #[napi(getter, catch_unwind)]
    pub fn asset_base_url(&self) -> String {
        self.asset_base_url.clone()
    }

    /// The first configured key.
    #[napi(getter, catch_unwind)]
    pub fn api_key(&self) -> String {
        self.api_key.clone()
    }

    /// Every charge and balance: `{charges: [{recordId, key, credits, at}], balances, totalCharged}`.
    #[napi(catch_unwind)]
    pub fn ledger(&self) -> Result<Value> {
        let ledger = self.with(|e| e.ledger())?;
        Ok(json!({
            "charges": ledger.charges.iter().map(|c| json!({
                "recordId": c.record_id,
                "key": c.key,
                "credits": c.credits,
                "at": c.at,
            })).collect::<Vec<_>>(),
            "balances": ledger.balances,
            "totalCharged": ledger.total_charged(),
            "rateLimited": ledger.rate_limited,
        }))
    }

    /// Queues a fault given as the emulator's JSON (`{"kind": "rate_limit",
    /// "retry_after_secs": 2, "count": 1, "path": "/api/features"}`).
    #[napi(catch_unwind)]
    pub fn inject(&self, fault_json: String) -> Result<()> {
        let fault: Fault = serde_json::from_str(&fault_json)
            .map_err(|e| {
                Error::validation(vec![Violation::new(
                    "fault",
                    ViolationCode::NotAllowedValue,
                    format!("not a fault the emulator knows: {e}"),
                )])
            })
            .or_throw()?;
        self.with(|e| e.inject(fault))
    }

    /// The faults still queued, as the emulator's JSON.
    #[napi(catch_unwind)]
    pub fn pending_faults(&self) -> Result<Value> {
        let faults = self.with(|e| e.pending_faults())?;
        Ok(serde_json::to_value(faults).unwrap_or(Value::Null))
    }

    /// Turns random faults on, given the emulator's chaos settings as JSON (`{"rate": 0.2,
    /// "seed": 7, "kinds": [{"kind": "status", "status": 503}], "path": "/api/features"}`), or
    /// off with `null`. Returns the report of the settings it replaces (`{"requests", "faults",
    /// "by_kind"}`).
    #[napi(catch_unwind)]
    pub fn set_chaos(&self, chaos_json: Option<String>) -> Result<Value> {
        let refused = |e: String| {
            Error::validation(vec![Violation::new(
                "chaos",
                ViolationCode::NotAllowedValue,
                format!("not chaos settings: {e}"),
            )])
        };
        let chaos: Option<Chaos> = match chaos_json.as_deref() {
            None | Some("null") => None,
            Some(text) => Some(
                serde_json::from_str(text)
                    .map_err(|e| refused(e.to_string()))
                    .or_throw()?,
            ),
        };
        let before = self.with(|e| {
            let report = e.chaos_report();
            e.set_chaos(chaos).map(|()| report)
        })?;
        let report = before.map_err(refused).or_throw()?;
        Ok(serde_json::to_value(report).unwrap_or(Value::Null))
    }

    /// The random faults in force (the emulator's JSON), or `null`.
    #[napi(catch_unwind)]
    pub fn chaos(&self) -> Result<Value> {
        let chaos = self.with(|e| e.chaos())?;
        Ok(serde_json::to_value(chaos).unwrap_or(Value::Null))
    }

    /// What the random faults did since they were set: `{"requests", "faults", "by_kind"}`.
    #[napi(catch_unwind)]
    pub fn chaos_report(&self) -> Result<Value> {
        let report = self.with(|e| e.chaos_report())?;
        Ok(serde_json::to_value(report).unwrap_or(Value::Null))
    }

    /// Back to the configuration: balances, records, assets, ledger, faults and random faults.
    #[napi(catch_unwind)]
    pub fn reset(&self) -> Result<()> {
        self.with(|e| e.reset())
    }

    /// Stops the server and waits until it has stopped (idempotent).
    #[napi(catch_unwind, ts_return_type = "Promise<void>")]
    pub fn stop<'e>(&self, env: &'e Env) -> Result<PromiseRaw<'e, ()>> {
        let emu = self.inner.lock().unwrap_or_else(|e| e.into_inner()).take();
        env.spawn_future(async move {
            if let Some(emu) = emu {
                emu.shutdown().await;
            }
            Ok(())
        })
    }
}
