//! `visionxl queue status JOB --redis URL [--json]`: what every item of a job came to.

use std::collections::HashMap;

use clap::ArgMatches;
use redis::AsyncCommands;
use redis::streams::StreamPendingReply;
use serde_json::{Value, json};
use visionxl::Error;
use visionxl::manifest::{Event, Line};

use super::push::redis_url;
use super::store::{GROUP, Job, redis_error};

/// Runs `queue status`.
pub async fn run(m: &ArgMatches) -> Result<(), Error> {
    let name = m.get_one::<String>("job").map(String::as_str).unwrap_or("");
    let job = Job::open(redis_url(m)?, name).await?;
    let mut c = job.conn.clone();
    let total: usize = c
        .xlen(&job.stream)
        .await
        .map_err(|e| redis_error("reading the queue", e))?;
    let states: HashMap<String, String> = c
        .hgetall(&job.state)
        .await
        .map_err(|e| redis_error("reading the states", e))?;
    let workers: HashMap<String, String> = c
        .hgetall(&job.worker)
        .await
        .map_err(|e| redis_error("reading the workers", e))?;
    let pending: StreamPendingReply = redis::cmd("XPENDING")
        .arg(&job.stream)
        .arg(GROUP)
        .query_async(&mut c)
        .await
        .unwrap_or_default();
    let (mut saved, mut failed, mut sending, mut generated) = (0, 0, 0, 0);
    let mut charged: Vec<Value> = Vec::new();
    let mut unsaved: Vec<Value> = Vec::new();
    let mut records: Vec<String> = Vec::new();
    let mut indexes: Vec<(&String, Line)> = states
        .iter()
        .filter_map(|(i, t)| Line::parse(t.as_bytes()).ok().map(|l| (i, l)))
        .collect();
    indexes.sort_by_key(|(_, l)| l.index);
    for (i, l) in indexes {
        let worker = workers.get(i).cloned();
        match l.event {
            Event::Saved { record_id, .. } => {
                saved += 1;
                records.push(record_id);
            }
            Event::Generated { record_id, .. } => {
                generated += 1;
                unsaved.push(json!({"index": l.index, "record_id": record_id, "worker": worker}));
                records.push(record_id);
            }
            Event::Sending { credits, .. } => {
                sending += 1;
                charged.push(json!({"index": l.index, "state": "sending", "credits": credits,
                    "worker": worker, "note": "in flight, or its worker died: may have been charged"}));
            }
            Event::Failed {
                code,
                message,
                record_id,
                may_have_been_charged,
            } => {
                failed += 1;
                if let Some(id) = &record_id {
                    records.push(id.clone());
                }
                if may_have_been_charged {
                    charged.push(json!({"index": l.index, "state": "failed", "code": code,
                        "message": message, "record_id": record_id, "worker": worker}));
                }
            }
        }
    }
    let queued = total.saturating_sub(states.len());
    let v = json!({
        "job": name, "total": total, "queued": queued, "sending": sending,
        "generated_not_saved": generated, "saved": saved, "failed": failed,
        "pending": pending.count(), "may_have_been_charged": charged,
        "paid_not_saved": unsaved, "record_ids": records,
    });
    if m.get_flag("json") {
        println!("{v}");
    } else {
        println!(
            "job {name}: {total} item(s): {saved} saved, {failed} failed, {queued} queued, \
             {sending} sending, {generated} paid but not saved; {} pending in the group",
            pending.count()
        );
        for item in &charged {
            println!("may have been charged: {item}");
        }
        for item in &unsaved {
            println!("paid, not saved (visionxl get RECORD_ID fetches it): {item}");
        }
    }
    Ok(())
}
