//! `visionxl queue push FILE --redis URL --name JOB [generate flags]`: one stream entry per
//! request (a prompt per line, `--count` split into calls), priced and validated first.

use clap::ArgMatches;
use redis::AsyncCommands;
use visionxl::{Error, manifest};

use super::store::{GROUP, Job, redis_error};

/// Runs `queue push`.
pub async fn run(m: &ArgMatches) -> Result<(), Error> {
    let requests = crate::generate::build_requests(m)?;
    let total: u64 = requests
        .iter()
        .map(|r| r.credits().map(u64::from))
        .sum::<Result<u64, Error>>()?;
    let job = Job::open(redis_url(m)?, name(m)).await?;
    let mut c = job.conn.clone();
    let existing: usize = c
        .xlen(&job.stream)
        .await
        .map_err(|e| redis_error("reading the queue", e))?;
    let mut pipe = redis::pipe();
    for (i, req) in requests.iter().enumerate() {
        let index = existing + i;
        let key = manifest::manifest_key(index, req);
        pipe.xadd(
            &job.stream,
            "*",
            &[
                ("index", index.to_string()),
                ("key", key),
                ("request", req.to_wire().to_string()),
            ],
        )
        .ignore();
    }
    pipe.query_async::<()>(&mut c)
        .await
        .map_err(|e| redis_error("adding the items", e))?;
    // The group reads from the start; it exists already when pushing more to a job.
    let created: Result<(), redis::RedisError> = c.xgroup_create(&job.stream, GROUP, "0").await;
    if let Err(e) = created
        && e.code() != Some("BUSYGROUP")
    {
        return Err(redis_error("creating the consumer group", e));
    }
    eprintln!(
        "queued {} item(s) for job {:?} ({total} credits at the documented prices); start workers with: visionxl worker --name {} --out DIR",
        requests.len(),
        job.name,
        job.name
    );
    println!("{}", requests.len());
    Ok(())
}

/// The `--redis` URL (or `VISIONXL_REDIS_URL`).
pub fn redis_url(m: &ArgMatches) -> Result<&str, Error> {
    m.get_one::<String>("redis")
        .map(String::as_str)
        .ok_or_else(|| {
            Error::new(
                visionxl::ErrorCode::ValidationError,
                "a queue lives in Redis: pass --redis URL or set VISIONXL_REDIS_URL",
            )
        })
}

/// The `--name` of the job.
pub fn name(m: &ArgMatches) -> &str {
    m.get_one::<String>("name")
        .map(String::as_str)
        .unwrap_or("")
}
