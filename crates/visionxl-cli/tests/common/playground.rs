//! The playground's routes on a spawned [`Proc`]: JSON posts and gets, statuses, job polling.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::Value;

use super::spawn::Proc;
use super::web::{http, json_of};

/// POSTs `body` as JSON to `path` of `p`: the status and the JSON answer (null when none).
pub async fn post(p: &Proc, path: &str, body: Value) -> (StatusCode, Value) {
    let r = http().post(p.at(path)).json(&body).send().await.unwrap();
    (r.status(), r.json().await.unwrap_or(Value::Null))
}

/// GETs `path` of `p` as JSON.
pub async fn get(p: &Proc, path: &str) -> Value {
    json_of(http().get(p.at(path))).await
}

/// The status of a GET of `path` of `p`.
pub async fn status(p: &Proc, path: &str) -> StatusCode {
    http().get(p.at(path)).send().await.unwrap().status()
}

/// Polls `/api/jobs/{id}` until the job is done, failed or cancelled (90 s at most).
pub async fn wait_job(p: &Proc, id: &Value) -> Value {
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let s = get(p, &format!("/api/jobs/{id}")).await;
        if ["done", "failed", "cancelled"].contains(&s["state"].as_str().unwrap_or("")) {
            return s;
        }
        assert!(Instant::now() < deadline, "job never finished: {s}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
