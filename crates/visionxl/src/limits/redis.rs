//! [`RedisLimits`]: pacing (GCRA) and budget held in Redis, so every process and machine that
//! shares an API key shares its rate and its budget. Each step is one atomic Lua script
//! (`EVALSHA`, loaded on first use); keys are named by a hash of the API key, which itself
//! never reaches Redis.
//!
//! The connection lives on a small runtime owned by the store ([`RedisStore`]): calls are
//! spawned onto it and their results awaited, so they work from any caller runtime (including
//! a current-thread runtime driven only during the call). Clients of one process that use the
//! same Redis URL share one store (one connection, one thread), so a server holding a client
//! per upstream key does not open a connection per key.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use futures_util::FutureExt;
use futures_util::future::BoxFuture;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{RedisError, Script};
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};
use tokio::sync::OnceCell;
use visionxl_core::{Error, ErrorCode};

use super::Limits;

/// How long connecting to Redis, and each answer, may take before the call fails.
pub const REDIS_TIMEOUT: Duration = Duration::from_secs(2);

/// The largest budget kept exactly (Lua numbers are doubles).
const MAX_EXACT: u64 = 1 << 53;

/// GCRA: reserves the next slot of the key's rate and answers how long (µs) to wait for it.
/// The clock is Redis's (`TIME`), so machines with skewed clocks still agree.
const PACE_LUA: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then tat = now end
local wait = tat - (burst - 1) * interval - now
if wait < 0 then wait = 0 end
local new_tat = tat + interval
redis.call('SET', KEYS[1], string.format('%.0f', new_tat), 'PX',
  math.ceil((new_tat - now) / 1000) + 1000)
return wait
";

/// Reserves `ARGV[2]` credits of a budget of `ARGV[1]`: `{1, left}` or `{0, left}` (refused).
const RESERVE_LUA: &str = r"
local spent = tonumber(redis.call('GET', KEYS[1]) or '0')
local total = tonumber(ARGV[1])
local price = tonumber(ARGV[2])
if spent + price > total then
  local left = total - spent
  if left < 0 then left = 0 end
  return {0, left}
end
redis.call('INCRBY', KEYS[1], price)
return {1, total - spent - price}
";

/// Gives back up to `ARGV[1]` credits; answers what is spent afterwards.
const REFUND_LUA: &str = r"
local spent = tonumber(redis.call('GET', KEYS[1]) or '0')
local n = math.min(spent, tonumber(ARGV[1]))
if n > 0 then redis.call('DECRBY', KEYS[1], n) end
return spent - n
";

/// The hash that names an API key's entries in Redis: hex of the first 16 bytes of its
/// SHA-256 (the key itself never reaches Redis).
pub fn key_hash(api_key: &str) -> String {
    hex::encode(&Sha256::digest(api_key.as_bytes())[..16])
}

/// A Redis connection on a runtime of its own, shared by the callers of one client.
pub(crate) struct RedisStore {
    client: redis::Client,
    /// `host:port`, for messages (never the password).
    shown: String,
    conn: Arc<OnceCell<ConnectionManager>>,
    rt: Option<tokio::runtime::Runtime>,
}

impl Drop for RedisStore {
    fn drop(&mut self) {
        // Never blocks, so a client may be dropped inside any runtime.
        if let Some(rt) = self.rt.take() {
            rt.shutdown_background();
        }
    }
}

/// The `host:port` of a Redis URL, for messages.
fn shown(url: &SecretString) -> String {
    match url::Url::parse(url.expose_secret()) {
        Ok(u) => format!(
            "{}://{}:{}",
            u.scheme(),
            u.host_str().unwrap_or("?"),
            u.port().unwrap_or(6379)
        ),
        Err(_) => "the configured Redis".to_string(),
    }
}

/// The stores alive in this process, by URL.
static STORES: std::sync::LazyLock<Mutex<HashMap<String, Weak<RedisStore>>>> =
    std::sync::LazyLock::new(|| Mutex::new(HashMap::new()));

impl RedisStore {
    /// The process's store for `url`, made on first use.
    pub(crate) fn shared(url: &SecretString) -> Result<Arc<RedisStore>, Error> {
        let mut stores = STORES.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(s) = stores.get(url.expose_secret()).and_then(Weak::upgrade) {
            return Ok(s);
        }
        let store = Arc::new(RedisStore::new(url)?);
        stores.retain(|_, w| w.strong_count() > 0);
        stores.insert(url.expose_secret().to_string(), Arc::downgrade(&store));
        Ok(store)
    }

    /// A store for `url` (`redis://` or `rediss://`); connects on first use.
    pub(crate) fn new(url: &SecretString) -> Result<RedisStore, Error> {
        let shown = shown(url);
        let client = redis::Client::open(url.expose_secret()).map_err(|e| {
            Error::new(
                ErrorCode::ValidationError,
                format!("shared_limits: {shown} is not a usable Redis URL: {e}"),
            )
        })?;
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("visionxl-redis")
            .enable_all()
            .build()
            .map_err(|e| {
                Error::new(
                    ErrorCode::ConnectionError,
                    format!("could not start the Redis runtime: {e}"),
                )
            })?;
        Ok(RedisStore {
            client,
            shown,
            conn: Arc::new(OnceCell::new()),
            rt: Some(rt),
        })
    }

    fn error(&self, what: &str, e: impl std::fmt::Display) -> Error {
        Error::new(
            ErrorCode::ConnectionError,
            format!(
                "Redis at {} (shared_limits) could not be used for {what}: {e}",
                self.shown
            ),
        )
    }

    /// Runs `script` on the store's runtime and returns its answer.
    pub(crate) async fn eval<T>(
        &self,
        what: &str,
        script: &'static Script,
        keys: Vec<String>,
        args: Vec<u64>,
    ) -> Result<T, Error>
    where
        T: redis::FromRedisValue + Send + 'static,
    {
        let Some(rt) = &self.rt else {
            return Err(self.error(what, "the store is shut down"));
        };
        let cell = self.conn.clone();
        let client = self.client.clone();
        let task = rt.spawn(async move {
            let mut conn = cell
                .get_or_try_init(|| async {
                    let cfg = ConnectionManagerConfig::new()
                        .set_connection_timeout(Some(REDIS_TIMEOUT))
                        .set_response_timeout(Some(REDIS_TIMEOUT))
                        .set_number_of_retries(1);
                    ConnectionManager::new_with_config(client, cfg).await
                })
                .await?
                .clone();
            let mut inv = script.prepare_invoke();
            for k in &keys {
                inv.key(k);
            }
            for a in &args {
                inv.arg(*a);
            }
            inv.invoke_async::<T>(&mut conn).await
        });
        match task.await {
            Ok(Ok(v)) => Ok(v),
            Ok(Err(e)) => Err(self.error(what, redis_message(&e))),
            Err(e) => Err(self.error(what, e)),
        }
    }

    /// Spawns `script` without waiting for it (a refund made from `Drop`).
    fn eval_detached(&self, script: &'static Script, keys: Vec<String>, args: Vec<u64>) {
        let Some(rt) = &self.rt else { return };
        let cell = self.conn.clone();
        rt.spawn(async move {
            let Some(conn) = cell.get() else { return };
            let mut conn = conn.clone();
            let mut inv = script.prepare_invoke();
            for k in &keys {
                inv.key(k);
            }
            for a in &args {
                inv.arg(*a);
            }
            if let Err(e) = inv.invoke_async::<i64>(&mut conn).await {
                tracing::warn!(error = %redis_message(&e), "visionxl: a budget refund could not reach Redis; the credits stay spent");
            }
        });
    }
}

fn redis_message(e: &RedisError) -> String {
    // RedisError's Display never includes the URL or its password.
    e.to_string()
}

static PACE: std::sync::LazyLock<Script> = std::sync::LazyLock::new(|| Script::new(PACE_LUA));
static RESERVE: std::sync::LazyLock<Script> = std::sync::LazyLock::new(|| Script::new(RESERVE_LUA));
static REFUND: std::sync::LazyLock<Script> = std::sync::LazyLock::new(|| Script::new(REFUND_LUA));

/// Pacing and budget of one API key, in Redis.
pub(crate) struct RedisLimits {
    store: Arc<RedisStore>,
    pace_key: String,
    spent_key: String,
    /// Microseconds between two requests (0: pacing off).
    interval_us: u64,
    burst: u64,
    budget: Option<u64>,
    /// Credits left as last seen (the budget until the first reservation).
    last_left: AtomicU64,
}

impl RedisLimits {
    pub(crate) fn new(
        url: &SecretString,
        api_key: &SecretString,
        per_minute: u32,
        burst: u32,
        budget: Option<u64>,
    ) -> Result<Self, Error> {
        let h = key_hash(api_key.expose_secret());
        let budget = budget.map(|b| b.min(MAX_EXACT));
        Ok(RedisLimits {
            store: RedisStore::shared(url)?,
            pace_key: format!("visionxl:{h}:pace"),
            spent_key: format!("visionxl:{h}:spent"),
            interval_us: if per_minute == 0 {
                0
            } else {
                60_000_000 / u64::from(per_minute)
            },
            burst: u64::from(burst.clamp(1, per_minute.max(1))),
            budget,
            last_left: AtomicU64::new(budget.unwrap_or(0)),
        })
    }
}

impl Limits for RedisLimits {
    fn pace(&self) -> BoxFuture<'_, Result<(), Error>> {
        async move {
            if self.interval_us == 0 {
                return Ok(());
            }
            let wait: u64 = self
                .store
                .eval(
                    "pacing (nothing was sent)",
                    &PACE,
                    vec![self.pace_key.clone()],
                    vec![self.interval_us, self.burst],
                )
                .await?;
            if wait > 0 {
                tracing::debug!(
                    wait_us = wait,
                    "visionxl: shared pacing, waiting for a turn"
                );
                tokio::time::sleep(Duration::from_micros(wait)).await;
            }
            Ok(())
        }
        .boxed()
    }

    fn reserve(&self, price: u64) -> BoxFuture<'_, Result<(), Error>> {
        async move {
            let Some(total) = self.budget else {
                return Ok(());
            };
            let (ok, left): (u64, u64) = self
                .store
                .eval(
                    "the budget (fails closed: nothing was sent)",
                    &RESERVE,
                    vec![self.spent_key.clone()],
                    vec![total, price.min(MAX_EXACT)],
                )
                .await?;
            self.last_left.store(left, Ordering::SeqCst);
            if ok == 1 {
                Ok(())
            } else {
                Err(Error::new(
                    ErrorCode::BudgetExceeded,
                    format!(
                        "this request costs {price} credits but only {left} of the shared budget \
                         (Redis) are left; nothing was sent"
                    ),
                ))
            }
        }
        .boxed()
    }

    fn refund(&self, price: u64) {
        if self.budget.is_some() {
            self.last_left.fetch_add(price, Ordering::SeqCst);
            self.store
                .eval_detached(&REFUND, vec![self.spent_key.clone()], vec![price]);
        }
    }

    fn remaining(&self) -> Option<u64> {
        self.budget.map(|_| self.last_left.load(Ordering::SeqCst))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_hash_hides_the_key() {
        let h = key_hash("sk-secret");
        assert_eq!(h.len(), 32);
        assert!(!h.contains("secret"));
        assert_ne!(h, key_hash("sk-secret2"));
    }

    #[tokio::test]
    async fn unreachable_redis_fails_closed_naming_it() {
        // Port 1 on loopback: nothing listens there.
        let url = SecretString::from("redis://:hunter2@127.0.0.1:1/");
        let l = RedisLimits::new(&url, &SecretString::from("k"), 60, 1, Some(100)).unwrap();
        let e = l.reserve(10).await.unwrap_err();
        assert_eq!(e.code(), ErrorCode::ConnectionError);
        assert!(e.message().contains("Redis at redis://127.0.0.1:1"), "{e}");
        assert!(e.message().contains("nothing was sent"), "{e}");
        assert!(!e.message().contains("hunter2"), "{e}");
        let e = l.pace().await.unwrap_err();
        assert_eq!(e.code(), ErrorCode::ConnectionError);
        assert!(e.message().contains("pacing"), "{e}");
    }
}
