//! The emulator over HTTP, as any language's test would drive it: its control endpoints
//! (`/_emulator/health`, `/_emulator/chaos`, `/_emulator/ledger`), records
//! (`GET /api/results/{id}`) and pictures (`GET /asset/<path>`). Nothing here goes through
//! the client under test.

use std::time::Duration;

use serde_json::{Value, json};
use visionxl_emulator::{ChaosReport, Ledger};

use crate::error::SoakError;

/// A record as the emulator serves it, reduced to what the checks need.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordInfo {
    /// `aiRecord.status`.
    pub status: String,
    /// `aiRecord.aiRecordDetail.promptObject.prompt`.
    pub prompt: String,
    /// `aiRecord.aiRecordDetail.resultObject`, in order.
    pub paths: Vec<String>,
}

/// An HTTP client for one emulator and one key.
#[derive(Debug, Clone)]
pub struct Control {
    http: reqwest::Client,
    base: String,
    key: String,
}

impl Control {
    /// A control client for the emulator at `base` (`http://127.0.0.1:PORT`) and `key`.
    pub fn new(base: &str, key: &str) -> Result<Control, SoakError> {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::Client::builder()
            .no_proxy()
            .timeout(Duration::from_secs(60))
            .build()
            .map_err(|e| SoakError::new(format!("cannot build an HTTP client: {e}")))?;
        Ok(Control {
            http,
            base: base.trim_end_matches('/').to_string(),
            key: key.to_string(),
        })
    }

    /// Sends a request built by `make` (again, up to three times, when the connection fails:
    /// every call here is a read or an idempotent setting) and returns the status and body.
    async fn call(
        &self,
        what: &str,
        make: impl Fn(&reqwest::Client) -> reqwest::RequestBuilder,
    ) -> Result<(u16, Vec<u8>), SoakError> {
        let mut last = String::new();
        for attempt in 0..3u64 {
            if attempt > 0 {
                tokio::time::sleep(Duration::from_millis(200 * attempt)).await;
            }
            match make(&self.http).send().await {
                Ok(resp) => {
                    let status = resp.status().as_u16();
                    match resp.bytes().await {
                        Ok(b) => return Ok((status, b.to_vec())),
                        Err(e) => last = e.to_string(),
                    }
                }
                Err(e) => last = e.to_string(),
            }
        }
        Err(SoakError::new(format!("{what} failed three times: {last}")))
    }

    async fn json(
        &self,
        what: &str,
        make: impl Fn(&reqwest::Client) -> reqwest::RequestBuilder,
    ) -> Result<Value, SoakError> {
        let (status, body) = self.call(what, make).await?;
        if !(200..300).contains(&status) {
            return Err(SoakError::new(format!(
                "{what}: HTTP {status}: {}",
                String::from_utf8_lossy(&body)
            )));
        }
        serde_json::from_slice(&body)
            .map_err(|e| SoakError::new(format!("{what}: the answer is not JSON: {e}")))
    }

    /// `GET /_emulator/health`: fails unless it is a visionxl emulator.
    pub async fn health(&self) -> Result<(), SoakError> {
        let url = format!("{}/_emulator/health", self.base);
        let v = self
            .json("the emulator's health check", |h| h.get(&url))
            .await?;
        if v["ok"] == true {
            Ok(())
        } else {
            Err(SoakError::new(format!(
                "{} does not look like a visionxl emulator: {v}",
                self.base
            )))
        }
    }

    /// `POST /_emulator/chaos {"rate": rate, "seed": seed}`: random faults of every kind.
    pub async fn chaos_on(&self, rate: f64, seed: u64) -> Result<(), SoakError> {
        let url = format!("{}/_emulator/chaos", self.base);
        let body = json!({"rate": rate, "seed": seed});
        self.json("turning random faults on", |h| h.post(&url).json(&body))
            .await
            .map(|_| ())
    }

    /// `DELETE /_emulator/chaos`: random faults off; the final report.
    pub async fn chaos_off(&self) -> Result<ChaosReport, SoakError> {
        let url = format!("{}/_emulator/chaos", self.base);
        let v = self
            .json("turning random faults off", |h| h.delete(&url))
            .await?;
        serde_json::from_value(v["report"].clone())
            .map_err(|e| SoakError::new(format!("the chaos report is not readable: {e}")))
    }

    /// `GET /_emulator/ledger`.
    pub async fn ledger(&self) -> Result<Ledger, SoakError> {
        let url = format!("{}/_emulator/ledger", self.base);
        let v = self.json("reading the ledger", |h| h.get(&url)).await?;
        serde_json::from_value(v)
            .map_err(|e| SoakError::new(format!("the ledger is not readable: {e}")))
    }

    /// `GET /api/results/{id}` with the key: `None` for `{"aiRecord": null}` (unknown, or
    /// another key's record).
    pub async fn record(&self, id: &str) -> Result<Option<RecordInfo>, SoakError> {
        let url = format!("{}/api/results/{id}", self.base);
        let what = format!("reading record {id}");
        let v = self
            .json(&what, |h| h.get(&url).header("API-KEY", &self.key))
            .await?;
        let rec = &v["aiRecord"];
        if rec.is_null() {
            return Ok(None);
        }
        let detail = &rec["aiRecordDetail"];
        let paths = match &detail["resultObject"] {
            Value::Array(a) => a
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect(),
            Value::String(s) => vec![s.clone()],
            _ => Vec::new(),
        };
        Ok(Some(RecordInfo {
            status: rec["status"].as_str().unwrap_or_default().to_string(),
            prompt: detail["promptObject"]["prompt"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
            paths,
        }))
    }

    /// `GET /asset/<path>`: the bytes the emulator serves for a result path.
    pub async fn asset(&self, path: &str) -> Result<Vec<u8>, SoakError> {
        let url = format!("{}/asset/{}", self.base, path.trim_start_matches('/'));
        let what = format!("downloading {path}");
        let (status, body) = self.call(&what, |h| h.get(&url)).await?;
        if status != 200 {
            return Err(SoakError::new(format!("{what}: HTTP {status}")));
        }
        Ok(body)
    }
}
