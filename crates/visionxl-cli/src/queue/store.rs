//! Where a queued batch lives in Redis, and each item's state.
//!
//! For job `NAME` (all keys under `visionxl:queue:{NAME}:`):
//! - `items`: a Redis Stream, one entry per item (`index`, `request`: the `promptObject` wire
//!   JSON), consumed by the consumer group `workers`;
//! - `state`: a hash, item index -> the item's last manifest [`Line`] (`sending`, `generated`
//!   with its record, `failed`, `saved`), the same lines a local batch manifest holds; an item
//!   absent from it is still queued;
//! - `worker`: a hash, item index -> the worker that wrote its state.
//!
//! The state is written before each step (money rules, docs/scaling.md): `sending` before the
//! POST leaves, `generated` (with the record id) before the download, `saved` after it.

use redis::aio::ConnectionManager;
use redis::{AsyncCommands, RedisError};
use visionxl::manifest::Line;
use visionxl::{Error, ErrorCode};

/// The consumer group every worker joins.
pub const GROUP: &str = "workers";

/// One job's keys and a connection.
#[derive(Clone)]
pub struct Job {
    pub name: String,
    pub conn: ConnectionManager,
    pub stream: String,
    pub state: String,
    pub worker: String,
}

/// A Redis failure as a `connection_error` naming Redis and what was being done.
pub fn redis_error(what: &str, e: RedisError) -> Error {
    Error::new(
        ErrorCode::ConnectionError,
        format!("Redis (--redis) failed while {what}: {e}"),
    )
}

impl Job {
    /// Connects to `url` for job `name`.
    pub async fn open(url: &str, name: &str) -> Result<Job, Error> {
        if name.is_empty() || name.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(Error::new(
                ErrorCode::ValidationError,
                format!("--name must be a non-empty name without white space, got {name:?}"),
            ));
        }
        let client = redis::Client::open(url).map_err(|e| {
            Error::new(
                ErrorCode::ValidationError,
                format!("--redis is not a usable redis:// or rediss:// URL: {e}"),
            )
        })?;
        let cfg = redis::aio::ConnectionManagerConfig::new()
            .set_connection_timeout(Some(std::time::Duration::from_secs(2)))
            .set_response_timeout(Some(std::time::Duration::from_secs(5)))
            .set_number_of_retries(1);
        let conn = ConnectionManager::new_with_config(client, cfg)
            .await
            .map_err(|e| redis_error("connecting", e))?;
        let base = format!("visionxl:queue:{name}");
        Ok(Job {
            name: name.to_string(),
            conn,
            stream: format!("{base}:items"),
            state: format!("{base}:state"),
            worker: format!("{base}:worker"),
        })
    }

    /// Writes item `index`'s state (and which worker wrote it) before its next step.
    pub async fn set_state(&self, index: usize, line: &Line, worker: &str) -> Result<(), Error> {
        let mut c = self.conn.clone();
        redis::pipe()
            .atomic()
            .hset(&self.state, index, line.to_json())
            .hset(&self.worker, index, worker)
            .query_async::<()>(&mut c)
            .await
            .map_err(|e| redis_error("writing an item's state", e))
    }

    /// Item `index`'s last state (`None`: still queued).
    pub async fn state_of(&self, index: usize) -> Result<Option<Line>, Error> {
        let mut c = self.conn.clone();
        let raw: Option<String> = c
            .hget(&self.state, index)
            .await
            .map_err(|e| redis_error("reading an item's state", e))?;
        Ok(raw.and_then(|t| Line::parse(t.as_bytes()).ok()))
    }
}
