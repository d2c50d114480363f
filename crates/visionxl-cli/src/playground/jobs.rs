//! Generating from the page: one job per click, run through the `visionxl` client (validation,
//! budget, pacing, safe retries, streamed downloads, sidecars), polled by the page for its
//! progress, cancelled through a [`CancelToken`].
//!
//! Cancel stops the generation call; once the service has answered, the images are paid for,
//! so they are always saved (a paid image is never dropped half way).

use std::sync::{Arc, Mutex};

use serde::Serialize;
use serde_json::{Value, json};
use visionxl::{
    CancelToken, Client, DownloadProgress, Error, GenerateOptions, GenerateRequest, SaveOptions,
};

use super::form::{self, FormInput};
use super::state::State;

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
    fn new(price: u32) -> Job {
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

    fn update(&self, f: impl FnOnce(&mut Status)) {
        if let Ok(mut s) = self.status.lock() {
            f(&mut s);
        }
    }

    fn fail(&self, e: &Error) {
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

/// Starts a job for `input`, or says why not (generation off, invalid, over the budget).
pub fn start(st: &Arc<State>, input: &FormInput) -> Result<u64, Error> {
    let Some(client) = st.client.clone() else {
        return Err(Error::new(
            visionxl::ErrorCode::AuthenticationError,
            st.mode.describe(),
        ));
    };
    let checked = form::check(input);
    if !checked.errors.is_empty() {
        return Err(Error::validation(checked.errors));
    }
    let req = checked.request;
    let price = req.credits()?;
    if let Some(left) = client.budget_remaining()
        && u64::from(price) > left
    {
        return Err(Error::new(
            visionxl::ErrorCode::BudgetExceeded,
            format!(
                "this call costs {price} credits; {left} of --max-credits are left; nothing was sent"
            ),
        ));
    }
    let job = Arc::new(Job::new(price));
    let id = st.add_job(job.clone());
    tokio::spawn(run(st.clone(), client, job, req));
    Ok(id)
}

async fn run(st: Arc<State>, client: Client, job: Arc<Job>, req: GenerateRequest) {
    job.update(|s| s.state = "generating");
    let opts = GenerateOptions {
        cancel: Some(job.cancel.clone()),
        ..GenerateOptions::default()
    };
    let generation = match client.generate_with(&req, opts).await {
        Ok(g) => g,
        Err(e) => return job.fail(&e),
    };
    let credits = generation.credits();
    st.add_spent(u64::from(credits.unwrap_or(0)));
    job.update(|s| {
        s.state = "downloading";
        s.credits = credits;
        s.record_id = Some(generation.id().to_string());
        s.emulated = generation.is_emulated();
        s.images = (0..generation.images().len())
            .map(|index| ImageStatus {
                index,
                ..ImageStatus::default()
            })
            .collect();
    });
    let progress_job = job.clone();
    let opts = SaveOptions {
        // Paid for: saved even when Cancel is pressed now.
        cancel: None,
        on_progress: Some(Arc::new(move |p: DownloadProgress| {
            progress_job.update(|s| {
                if let Some(img) = s.images.get_mut(p.index) {
                    img.received = p.received;
                    img.total = p.total;
                }
            })
        })),
        ..SaveOptions::default()
    };
    match generation.save_all_with(&st.out, opts).await {
        Ok(files) => job.update(|s| {
            s.state = "done";
            for (img, file) in s.images.iter_mut().zip(files) {
                img.file = file.file_name().map(|n| n.to_string_lossy().into_owned());
            }
        }),
        Err(e) => job.fail(&e.with_record_id(Some(generation.id().to_string()))),
    }
}
