//! Generating from the page: one job per click, run through the `visionxl` client (validation,
//! budget, pacing, safe retries, streamed downloads, sidecars), polled by the page for its
//! progress, cancelled through a [`CancelToken`].
//!
//! Cancel stops the generation call; once the service has answered, the images are paid for,
//! so they are always saved (a paid image is never dropped half way).

use std::sync::Arc;

use visionxl::{Client, DownloadProgress, Error, GenerateOptions, GenerateRequest, SaveOptions};

use super::form::{self, FormInput};
use super::progress::{ImageStatus, Job};
use super::state::State;

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
