//! A job's progress as the page polls it: the step, each image's download, the result or the
//! error (code, message, record id, whether it may have been charged).

use std::sync::Mutex;

use serde::Serialize;
use serde_json::{Value, json};
use visionxl::{CancelToken, Error};

use super::form;

/// One generation started from the page.
pub struct Job {
    /// Cancels the generation call.
    pub cancel: CancelToken,
    status: Mutex<Status>,
}

/// What the page polls: the step, the images' progress, the result or the error.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Status {
    /// `submitted`, `generating`, `downloading`, `done`, `failed` or `cancelled`.
    pub state: &'static str,
    /// The price before sending.
    pub price: u32,
    /// Credits charged, once known.
    pub credits: Option<u32>,
    /// The record id, once known.
    pub record_id: Option<String>,
    /// True when the images come from the emulator.
    pub emulated: bool,
    /// One entry per image.
    pub images: Vec<ImageStatus>,
    /// The error, when the job failed or was cancelled.
    pub error: Option<Value>,
    /// A Compare job's sweep: its cells' progress, then each cell's image or error and the
    /// sheet ([`super::compare`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sweep: Option<Value>,
}

/// One image's download.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ImageStatus {
    /// Position in the record.
    pub index: usize,
    /// Bytes received.
    pub received: u64,
    /// Bytes announced.
    pub total: Option<u64>,
    /// The saved file's name (in `--out`), once saved.
    pub file: Option<String>,
}

impl Job {
    /// A job for a call of `price` credits, not started yet.
    pub fn new(price: u32) -> Job {
        Job {
            cancel: CancelToken::new(),
            status: Mutex::new(Status {
                state: "submitted",
                price,
                ..Status::default()
            }),
        }
    }

    /// A copy of the status.
    pub fn status(&self) -> Status {
        self.status.lock().map(|s| s.clone()).unwrap_or_default()
    }

    /// Changes the status.
    pub fn update(&self, f: impl FnOnce(&mut Status)) {
        if let Ok(mut s) = self.status.lock() {
            f(&mut s);
        }
    }

    /// Ends the job with `e` (`cancelled` when it was cancelled).
    pub fn fail(&self, e: &Error) {
        self.update(|s| {
            s.state = if e.code() == visionxl::ErrorCode::Cancelled {
                "cancelled"
            } else {
                "failed"
            };
            s.error = Some(error_json(e));
            if s.record_id.is_none() {
                s.record_id = e.record_id().map(str::to_string);
            }
        });
    }
}

/// An error as the page shows it: code, message, record id, whether it may have been charged.
pub fn error_json(e: &Error) -> Value {
    json!({
        "code": e.code().as_str(),
        "message": e.message_in(visionxl::Naming::Sdk),
        "record_id": e.record_id(),
        "may_have_been_charged": e.may_have_been_charged(),
        "violations": form::violations_json(e.violations()),
    })
}
