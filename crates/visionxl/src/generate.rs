//! Generating: [`Client::generate`] and its variants (validate, budget, pace, send, retry
//! only what cannot have been charged, poll a PROCESSING record), and reading records back as
//! [`Generation`]s.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use bytes::Bytes;
use tokio::time::Instant;
use tracing::{Instrument, field};
use visionxl_core::error::Text;
use visionxl_core::response::{Endpoint, Record, interpret};
use visionxl_core::wire::{self, FEATURES_PATH};
use visionxl_core::{Error, ErrorCode, GenerateRequest, Status};

use crate::cancel::{cancelled_error, run_cancellable_with};
use crate::client::{BeforeSend, Client, GenerateOptions, check_id, not_found, with_location};
use crate::generation::Generation;
use crate::limits::Reservation;
use crate::transport::{RawAnswer, salvage_record_id};

/// What a generation call has done so far (for the `cancelled` error).
#[derive(Default)]
pub(crate) struct CallState {
    sent: AtomicBool,
    record_id: Mutex<Option<String>>,
}

impl CallState {
    fn set_record(&self, id: &str) {
        if let Ok(mut r) = self.record_id.lock() {
            *r = Some(id.to_string());
        }
    }

    pub(crate) fn cancelled_error(&self) -> Error {
        let id = self.record_id.lock().ok().and_then(|r| r.clone());
        if !self.sent.load(Ordering::SeqCst) {
            return cancelled_error()
                .with_message("the generation was cancelled before anything was sent");
        }
        let msg = match &id {
            Some(id) => Text::new()
                .lit(format!(
                    "the generation was cancelled after the request was sent: it may have been \
                     charged; read record {id} with "
                ))
                .text(&Text::get_generation(id)),
            None => Text::from(
                "the generation was cancelled after the request was sent: it may have been \
                 charged (record id unknown)",
            ),
        };
        cancelled_error()
            .with_text(msg)
            .with_record_id(id)
            .with_may_have_been_charged(true)
    }
}

impl Client {
    /// Generates images: validates (no request leaves with a known violation), checks the
    /// budget, paces, sends, and polls a PROCESSING record until it is final. Uses async mode
    /// when the client was built with [`ClientBuilder::async_mode`](crate::ClientBuilder::async_mode).
    pub async fn generate(&self, req: &GenerateRequest) -> Result<Generation, Error> {
        self.generate_with(
            req,
            GenerateOptions {
                async_mode: self.inner.config.async_mode,
                ..GenerateOptions::default()
            },
        )
        .await
    }

    /// [`generate`](Self::generate) with options (async mode, cancellation, poll timeout).
    pub async fn generate_with(
        &self,
        req: &GenerateRequest,
        opts: GenerateOptions,
    ) -> Result<Generation, Error> {
        self.generate_hooked(req, opts, None).await
    }

    /// [`generate_with`](Self::generate_with), calling `hook` right before each POST.
    pub(crate) async fn generate_hooked(
        &self,
        req: &GenerateRequest,
        opts: GenerateOptions,
        hook: Option<&dyn BeforeSend>,
    ) -> Result<Generation, Error> {
        let state = CallState::default();
        let fut = self.generate_inner(req, &opts, &state, hook);
        run_cancellable_with(opts.cancel.as_ref(), fut, || state.cancelled_error()).await
    }

    async fn generate_inner(
        &self,
        req: &GenerateRequest,
        opts: &GenerateOptions,
        state: &CallState,
        hook: Option<&dyn BeforeSend>,
    ) -> Result<Generation, Error> {
        let warnings = req.validate().into_result()?;
        let price = req.credits()?;
        let span = tracing::info_span!(
            "visionxl.generate",
            size = %req.size,
            n = req.n,
            credits = price,
            async_mode = opts.async_mode,
            record_id = field::Empty,
        );
        async {
            let timeout = opts.poll_timeout.unwrap_or(self.inner.config.poll_timeout);
            let record = self
                .submit(req, u64::from(price), opts.async_mode, timeout, state, hook)
                .await?;
            state.set_record(&record.id);
            tracing::Span::current().record("record_id", record.id.as_str());
            let record = if record.status.is_final() {
                record
            } else {
                self.poll_until_final(&record.id, &record.status, timeout, true, 3)
                    .await
                    .map_err(|e| submitted_error(e, &record.id))?
            };
            Ok(Generation::new(
                self.clone(),
                record,
                Some(req.clone()),
                warnings,
                Some(price),
            ))
        }
        .instrument(span)
        .await
    }

    /// POSTs the generation; retries only what is safe (or ambiguous failures when opted in).
    /// `poll_timeout`: how long to poll a record whose answer broke after its id arrived.
    async fn submit(
        &self,
        req: &GenerateRequest,
        price: u64,
        async_mode: bool,
        poll_timeout: Duration,
        state: &CallState,
        hook: Option<&dyn BeforeSend>,
    ) -> Result<Record, Error> {
        let cfg = &self.inner.config;
        // Straight from the typed request (no `Value` in between: same bytes, less work).
        let body = serde_json::to_vec(&wire::Body::new(req, async_mode))
            .map(Bytes::from)
            .map_err(|e| {
                Error::new(
                    ErrorCode::ValidationError,
                    format!("cannot encode the request: {e}"),
                )
            })?;
        let url = &self.inner.features_url;
        let mut retries = 0u32;
        let mut maybe_charged_before = false;
        let mut last: Option<Error> = None;
        loop {
            let reservation = match Reservation::take(&*self.inner.limits, price).await {
                Ok(r) => r,
                Err(e) => {
                    return Err(stop_before_retry(
                        last,
                        e,
                        retries,
                        cfg.retry.retry_ambiguous,
                        maybe_charged_before,
                    ));
                }
            };
            if let Err(e) = self.inner.limits.pace().await {
                // Nothing was sent this time (the reservation is given back on drop).
                return Err(stop_before_retry(
                    last,
                    e,
                    retries,
                    cfg.retry.retry_ambiguous,
                    maybe_charged_before,
                ));
            }
            if let Some(hook) = hook
                && let Err(e) = hook.before_send(retries + 1).await
            {
                // Nothing left this time (the reservation is released on drop); an earlier
                // attempt may still have been charged.
                return Err(stop_before_retry(
                    last,
                    e,
                    retries,
                    cfg.retry.retry_ambiguous,
                    maybe_charged_before,
                ));
            }
            reservation.commit();
            state.sent.store(true, Ordering::SeqCst);
            let attempt = tracing::debug_span!(
                "visionxl.request",
                method = "POST",
                path = FEATURES_PATH,
                attempt = retries + 1,
                status = field::Empty,
            );
            let sent = self.send_api(reqwest::Method::POST, url, Some(&body));
            let result = self
                .api_call(sent, interpret_features, |f| {
                    let id = salvage_record_id(f.partial_body());
                    f.into_error("the generation request", cfg.timeout.as_secs_f64())
                        .with_record_id(id)
                })
                .instrument(attempt)
                .await;
            let err = match result {
                Ok(record) => return Ok(record),
                Err(err) => err,
            };
            let charged = err.may_have_been_charged() || err.code() == ErrorCode::GenerationFailed;
            if !charged {
                self.inner.limits.refund(price);
            }
            if !charged && !maybe_charged_before {
                state.sent.store(false, Ordering::SeqCst);
            }
            if err.may_have_been_charged() {
                maybe_charged_before = true;
                if let Some(id) = err.record_id().map(str::to_string) {
                    // The service made (and charged) the record: read it instead of paying again.
                    state.set_record(&id);
                    tracing::warn!(record_id = %id, code = %err.code(), "visionxl: broken answer to a generation; reading the record instead");
                    return match self
                        .poll_until_final(&id, &Status::Processing, poll_timeout, false, 3)
                        .await
                    {
                        Ok(record) => Ok(record),
                        Err(e) if e.code() == ErrorCode::GenerationFailed => Err(e),
                        Err(_) => Err(finish_ambiguous(
                            err,
                            retries,
                            cfg.retry.retry_ambiguous,
                            true,
                        )),
                    };
                }
            }
            match cfg
                .retry
                .next_delay(retries, &err, false, rand::random::<f64>())
            {
                Some(delay) => {
                    tracing::warn!(
                        target: "visionxl",
                        attempt = retries + 1,
                        delay_ms = delay.as_millis() as u64,
                        code = %err.code(),
                        status = err.status(),
                        "visionxl.retry: generation request failed, retrying"
                    );
                    tokio::time::sleep(delay)
                        .instrument(tracing::debug_span!(
                            "visionxl.retry",
                            attempt = retries + 1
                        ))
                        .await;
                    retries += 1;
                    last = Some(err);
                }
                None => {
                    return Err(finish_ambiguous(
                        err,
                        retries,
                        cfg.retry.retry_ambiguous,
                        maybe_charged_before,
                    ));
                }
            }
        }
    }

    /// Polls until the record is final or `timeout` passes. `nulls_allowed`: how many
    /// `{"aiRecord": null}` answers to tolerate (a fresh record may not be readable at once).
    ///
    /// The wait before a read is the current interval, cut short at the deadline, so the last
    /// read happens at the deadline rather than up to one interval before it; only a record
    /// still not final after that read is a `timeout`.
    async fn poll_until_final(
        &self,
        id: &str,
        status: &Status,
        timeout: Duration,
        wait_first: bool,
        nulls_allowed: u32,
    ) -> Result<Record, Error> {
        let cfg = &self.inner.config;
        // A huge timeout (build accepts any positive one) means "no deadline", not a panic.
        let now = Instant::now();
        let deadline = now
            .checked_add(timeout)
            .unwrap_or_else(|| now + Duration::from_secs(30 * 365 * 86_400));
        let mut interval = cfg.poll_interval;
        let mut status = status.clone();
        let mut nulls = 0u32;
        let mut wait = wait_first;
        let span = tracing::debug_span!("visionxl.poll", record_id = id);
        async {
            loop {
                if wait {
                    let now = Instant::now();
                    if now >= deadline {
                        return Err(Error::named(
                            ErrorCode::Timeout,
                            Text::new()
                                .lit(format!(
                                    "record {id} is still {} after {:.0} s of polling; read it \
                                     later with ",
                                    status.as_str(),
                                    timeout.as_secs_f64()
                                ))
                                .text(&Text::get_generation(id)),
                        )
                        .with_record_id(Some(id.to_string())));
                    }
                    tokio::time::sleep(interval.min(deadline - now)).await;
                    interval = interval.mul_f64(1.5).min(cfg.max_poll_interval);
                }
                wait = true;
                match self.fetch_record(id).await? {
                    Some(rec) if rec.status.is_final() => return Ok(rec),
                    Some(rec) => {
                        tracing::debug!(
                            status = rec.status.as_str(),
                            "visionxl: record not final yet"
                        );
                        status = rec.status;
                    }
                    None => {
                        nulls += 1;
                        if nulls > nulls_allowed {
                            return Err(not_found(id));
                        }
                    }
                }
            }
        }
        .instrument(span)
        .await
    }

    /// Reads a record again (`GET /api/results/{id}`): fresh download URLs for a generation
    /// made earlier. `not_found` when there is no such record. A PROCESSING record is returned
    /// as it is (see [`wait_for_generation`](Self::wait_for_generation)).
    pub async fn get_generation(&self, id: &str) -> Result<Generation, Error> {
        check_id(id)?;
        match self.fetch_record(id).await? {
            Some(record) => Ok(self.generation_from_record(record)),
            None => Err(not_found(id)),
        }
    }

    /// Reads a record and polls it until it is final (SUCCESS, or a `generation_failed`
    /// error), for up to the client's `poll_timeout`.
    pub async fn wait_for_generation(&self, id: &str) -> Result<Generation, Error> {
        check_id(id)?;
        let record = self
            .poll_until_final(
                id,
                &Status::Processing,
                self.inner.config.poll_timeout,
                false,
                0,
            )
            .await?;
        Ok(self.generation_from_record(record))
    }

    pub(crate) fn generation_from_record(&self, record: Record) -> Generation {
        let request = record
            .prompt_object
            .as_ref()
            .and_then(|p| GenerateRequest::from_wire_json(p).ok())
            .map(|(r, _)| r);
        let credits = request.as_ref().and_then(|r| r.credits().ok());
        Generation::new(self.clone(), record, request, Vec::new(), credits)
    }
}

fn interpret_features(raw: &RawAnswer) -> Result<Record, Error> {
    match interpret(Endpoint::Features, raw.answer()) {
        Ok(Some(record)) => Ok(record),
        Ok(None) => Err(Error::new(
            ErrorCode::InvalidResponse,
            "the service answered with an empty aiRecord",
        )
        .with_status(raw.status)
        .with_may_have_been_charged(true)),
        Err(e) => {
            let e = with_location(e, raw);
            let processed = (200..300).contains(&raw.status) || raw.status >= 500;
            if processed && e.code() != ErrorCode::GenerationFailed {
                let id = e
                    .record_id()
                    .map(str::to_string)
                    .or_else(|| salvage_record_id(&raw.body));
                Err(e.with_record_id(id).with_may_have_been_charged(true))
            } else {
                Err(e)
            }
        }
    }
}

/// Why a retry did not go out (`stopped`), reported on the earlier attempt's error when there
/// was one, since that attempt may have been charged.
fn stop_before_retry(
    last: Option<Error>,
    stopped: Error,
    retries: u32,
    retry_ambiguous: bool,
    maybe_charged_before: bool,
) -> Error {
    match last {
        Some(prev) => finish_ambiguous(
            prev.clone().with_message(format!(
                "{}; not retried: {}",
                prev.message(),
                stopped.message()
            )),
            retries,
            retry_ambiguous,
            maybe_charged_before,
        ),
        None => stopped,
    }
}

/// Says plainly that an ambiguous failure may have been charged and why it was not retried.
fn finish_ambiguous(err: Error, retries: u32, retry_ambiguous: bool, maybe_charged: bool) -> Error {
    if !(err.may_have_been_charged() || maybe_charged) {
        return err;
    }
    let mut msg = err.text().lit(" — the request may have been charged");
    msg = match err.record_id() {
        Some(id) => msg
            .lit(format!("; its record is {id}: read it with "))
            .text(&Text::get_generation(id))
            .lit(" instead of paying again"),
        None => msg
            .lit("; the record id is unknown: check the account's history before sending it again"),
    };
    if !retry_ambiguous {
        msg = msg
            .lit("; not retried, to avoid paying twice (the ")
            .name(crate::options::option_name("retry_ambiguous"))
            .lit(" option opts in)");
    } else if retries > 0 {
        msg = msg.lit(format!("; gave up after {} attempts", retries + 1));
    }
    err.with_text(msg).with_may_have_been_charged(true)
}

/// An error after the record was created: name it, it may have been charged.
fn submitted_error(err: Error, id: &str) -> Error {
    if err.code() == ErrorCode::GenerationFailed {
        return err;
    }
    let msg = err
        .text()
        .lit(format!(
            " (the generation was submitted as record {id}; read it later with "
        ))
        .text(&Text::get_generation(id))
        .lit(")");
    err.with_text(msg)
        .with_record_id(Some(id.to_string()))
        .with_may_have_been_charged(true)
}
