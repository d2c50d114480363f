//! `visionxl worker --redis URL --name JOB --out DIR`: takes items from the job's stream
//! through the consumer group and runs each under the money rules (docs/scaling.md):
//!
//! - the item's state is written to Redis before each step (`sending` right before the POST
//!   leaves, after pacing; `generated` with the record before the download; `saved` after);
//! - an item claimed from a dead worker (idle past `--claim-idle` in the group's pending list)
//!   is run again only when its state says nothing was sent; after `sending` it is reported as
//!   "may have been charged" and never sent again; after `generated` its record is read (free)
//!   and its images saved;
//! - while an item runs, its claim is renewed, so a slow generation is not taken for dead.

use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::ArgMatches;
use futures_util::FutureExt;
use redis::streams::{StreamAutoClaimReply, StreamId, StreamPendingReply, StreamReadReply};
use serde_json::{Value, json};
use visionxl::manifest::{Event, Line};
use visionxl::{CancelToken, Client, Error, ErrorCode, GenerateOptions, GenerateRequest};

use super::push::{name, redis_url};
use super::store::{GROUP, Job, redis_error};
use crate::connect::connect;

/// What one worker did.
#[derive(Default)]
struct Tally {
    saved: usize,
    failed: usize,
    reported: usize,
}

/// Runs `worker` until the job has no new and no pending item (or Ctrl-C).
pub async fn run(m: &ArgMatches, cancel: &CancelToken) -> Result<(), Error> {
    let job = Job::open(redis_url(m)?, name(m)).await?;
    let conn = connect(m, None).await?;
    let out = PathBuf::from(m.get_one::<String>("out").expect("has a default"));
    std::fs::create_dir_all(&out).map_err(|e| {
        Error::new(
            ErrorCode::IoError,
            format!("cannot create {}: {e}", out.display()),
        )
    })?;
    let idle = Duration::from_millis(*m.get_one::<u64>("claim_idle_ms").expect("default"));
    let me = format!(
        "{}-{}",
        std::env::var("HOSTNAME").unwrap_or_else(|_| "worker".into()),
        std::process::id()
    );
    let mut tally = Tally::default();
    let mut c = job.conn.clone();
    while !cancel.is_cancelled() {
        // Items of dead workers first (stale claims in the group's pending list).
        let stale: StreamAutoClaimReply = redis::cmd("XAUTOCLAIM")
            .arg(&job.stream)
            .arg(GROUP)
            .arg(&me)
            .arg(idle.as_millis() as u64)
            .arg("0-0")
            .arg("COUNT")
            .arg(1)
            .query_async(&mut c)
            .await
            .map_err(|e| redis_error("claiming stale items", e))?;
        if let Some(entry) = stale.claimed.first() {
            handle(&job, &conn.client, &me, entry, &out, idle, &mut tally).await?;
            continue;
        }
        let fresh: Option<StreamReadReply> = redis::cmd("XREADGROUP")
            .arg("GROUP")
            .arg(GROUP)
            .arg(&me)
            .arg("COUNT")
            .arg(1)
            .arg("BLOCK")
            .arg(500)
            .arg("STREAMS")
            .arg(&job.stream)
            .arg(">")
            .query_async(&mut c)
            .await
            .map_err(|e| redis_error("reading new items", e))?;
        if let Some(entry) = fresh.as_ref().and_then(|r| r.keys.first()?.ids.first()) {
            handle(&job, &conn.client, &me, entry, &out, idle, &mut tally).await?;
            continue;
        }
        let pending: StreamPendingReply = redis::cmd("XPENDING")
            .arg(&job.stream)
            .arg(GROUP)
            .query_async(&mut c)
            .await
            .map_err(|e| redis_error("reading the pending list", e))?;
        if pending.count() == 0 {
            break;
        }
        // Other workers hold items: wait for them to finish or to go stale.
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    println!(
        "{}",
        json!({"worker": me, "saved": tally.saved, "failed": tally.failed,
               "reported_may_have_been_charged": tally.reported})
    );
    Ok(())
}

/// Runs one entry to a final state, renewing its claim meanwhile, then acknowledges it.
async fn handle(
    job: &Job,
    client: &Client,
    me: &str,
    entry: &StreamId,
    out: &Path,
    idle: Duration,
    tally: &mut Tally,
) -> Result<(), Error> {
    let renew = {
        let (mut c, stream, me, id) = (
            job.conn.clone(),
            job.stream.clone(),
            me.to_string(),
            entry.id.clone(),
        );
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(idle / 3).await;
                let _: Result<Value, _> = redis::cmd("XCLAIM")
                    .arg(&stream)
                    .arg(GROUP)
                    .arg(&me)
                    .arg(0)
                    .arg(&id)
                    .arg("JUSTID")
                    .query_async::<redis::Value>(&mut c)
                    .await
                    .map(|_| Value::Null);
            }
        })
    };
    let result = step(job, client, me, entry, out, tally).await;
    renew.abort();
    result?;
    let mut c = job.conn.clone();
    redis::cmd("XACK")
        .arg(&job.stream)
        .arg(GROUP)
        .arg(&entry.id)
        .query_async::<()>(&mut c)
        .await
        .map_err(|e| redis_error("acknowledging an item", e))
}

/// The item's next steps, from the state Redis holds.
async fn step(
    job: &Job,
    client: &Client,
    me: &str,
    entry: &StreamId,
    out: &Path,
    tally: &mut Tally,
) -> Result<(), Error> {
    let index: usize = entry
        .get::<String>("index")
        .and_then(|s| s.parse().ok())
        .unwrap_or(usize::MAX);
    let key = entry.get::<String>("key").unwrap_or_default();
    let line = |event| Line::now(key.clone(), index, event);
    match job.state_of(index).await?.map(|l| l.event) {
        None => {}
        Some(Event::Sending { credits, .. }) => {
            // Its worker died while the request may have been in flight: never sent again.
            let who: Option<String> = {
                let mut c = job.conn.clone();
                redis::AsyncCommands::hget(&mut c, &job.worker, index)
                    .await
                    .unwrap_or(None)
            };
            let message = format!(
                "worker {} stopped after sending this request ({} credits): it may have been \
                 charged and is not sent again; the record id is unknown",
                who.unwrap_or_else(|| "?".into()),
                credits.map_or("?".into(), |c| c.to_string())
            );
            eprintln!("item {index}: {message}");
            let failed = Event::Failed {
                code: ErrorCode::ConnectionError.as_str().to_string(),
                message,
                record_id: None,
                may_have_been_charged: true,
            };
            tally.reported += 1;
            return job.set_state(index, &line(failed), me).await;
        }
        Some(Event::Generated { record_id, .. }) => {
            // Paid for, not saved: read the record (free) and save it.
            let g = client.wait_for_generation(&record_id).await;
            return save(job, me, index, &line, g, out, true, tally).await;
        }
        Some(_) => return Ok(()), // saved or failed already
    }
    let wire: Value = entry
        .get::<String>("request")
        .and_then(|s| serde_json::from_str(&s).ok())
        .unwrap_or(Value::Null);
    let req = match GenerateRequest::from_wire_json(&wire) {
        Ok((req, _)) => req,
        Err(e) => {
            tally.failed += 1;
            return job.set_state(index, &line(failed(&e)), me).await;
        }
    };
    // `sending` is written right before each POST leaves (after pacing): if it cannot be
    // written, nothing is sent; a worker killed while waiting for its turn left the item queued.
    let (credits, wire) = (req.credits().ok(), req.to_wire());
    let (job2, me2, key2) = (job.clone(), me.to_string(), key.clone());
    let g = client
        .generate_with_before_send(&req, GenerateOptions::default(), move |attempt| {
            let sending = Event::Sending {
                attempt,
                credits,
                request: wire.clone(),
            };
            let (job, me) = (job2.clone(), me2.clone());
            let line = Line::now(key2.clone(), index, sending);
            async move { job.set_state(index, &line, &me).await }.boxed()
        })
        .await;
    save(job, me, index, &line, g, out, false, tally).await
}

/// Records the generation (before downloading) and saves its images, or records the failure.
/// `resumed`: the record was paid for by a worker that died; files it left for this record
/// (named from the record's storage paths, so no other record's) are replaced.
#[allow(clippy::too_many_arguments)]
async fn save(
    job: &Job,
    me: &str,
    index: usize,
    line: &dyn Fn(Event) -> Line,
    g: Result<visionxl::Generation, Error>,
    out: &Path,
    resumed: bool,
    tally: &mut Tally,
) -> Result<(), Error> {
    let g = match g {
        Ok(g) => g,
        Err(e) => {
            tally.failed += 1;
            if e.may_have_been_charged() {
                tally.reported += 1;
            }
            eprintln!("item {index}: {e}");
            return job.set_state(index, &line(failed(&e)), me).await;
        }
    };
    let generated = Event::Generated {
        record_id: g.id().to_string(),
        status: g.status().as_str().to_string(),
        credits: g.credits(),
        request: Value::Null,
        record: g.raw().clone(),
    };
    if let Err(e) = job.set_state(index, &line(generated), me).await {
        // Paid for: save the images regardless, and say where the record is.
        eprintln!(
            "item {index}: record {} could not be recorded in Redis: {e}",
            g.id()
        );
        let _ = g.save_all(out).await;
        return Err(e);
    }
    let opts = visionxl::SaveOptions {
        overwrite: resumed,
        ..visionxl::SaveOptions::default()
    };
    match g.save_all_with(out, opts).await {
        Ok(files) => {
            tally.saved += 1;
            let saved = Event::Saved {
                record_id: g.id().to_string(),
                files,
            };
            job.set_state(index, &line(saved), me).await
        }
        Err(e) => {
            // The state stays `generated` with its record id: `visionxl get ID` fetches it.
            tally.failed += 1;
            eprintln!(
                "item {index}: record {} was paid for but not saved: {e}",
                g.id()
            );
            Ok(())
        }
    }
}

fn failed(e: &Error) -> Event {
    Event::Failed {
        code: e.code().as_str().to_string(),
        message: e.message().to_string(),
        record_id: e.record_id().map(str::to_string),
        may_have_been_charged: e.may_have_been_charged(),
    }
}
