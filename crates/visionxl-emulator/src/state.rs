//! The emulator's memory: keys and balances, records, assets, the ledger, queued faults, the
//! picture cache, and URL signing.

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use bytes::Bytes;
use serde_json::Value;
use sha2::{Digest, Sha256};
use tokio::sync::OnceCell;

use crate::chaos::{Chaos, ChaosReport, ChaosState};
use crate::clock::{self, Civil};
use crate::config::{
    ASSET_STORE_BYTES, EmulatorConfig, IMAGE_CACHE_BYTES, MAX_LEDGER_CHARGES, MAX_RECORDS,
    redact_key,
};
use crate::fault::{Fault, FaultKind};
use crate::ledger::{Charge, Ledger};
use crate::rate_limit::Limiter;
use crate::render::ImageSpec;

/// A configured key.
pub(crate) struct KeyInfo {
    pub key: String,
    pub redacted: String,
    pub credits: u64,
    pub user_id: String,
    pub team_id: String,
}

/// A uuid-shaped id derived from a string (stable per key).
fn derived_uuid(tag: &str, key: &str) -> String {
    let d = Sha256::new()
        .chain_update(tag.as_bytes())
        .chain_update([0])
        .chain_update(key.as_bytes())
        .finalize();
    let mut b = [0u8; 16];
    b.copy_from_slice(&d[..16]);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    uuid::Uuid::from_bytes(b).to_string()
}

/// One generation record.
pub(crate) struct Rec {
    pub id: String,
    pub owner: usize,
    pub created_at: String,
    pub prompt_object: Value,
    pub paths: Vec<String>,
    pub ready_at: Instant,
    pub failure: Option<String>,
    pub seed: u64,
    pub prompt: String,
    pub width: u32,
    pub height: u32,
    pub transparent: bool,
}

/// What a record looks like at a moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Phase {
    Processing,
    Success,
    Failure,
}

impl Phase {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Phase::Processing => "PROCESSING",
            Phase::Success => "SUCCESS",
            Phase::Failure => "FAILURE",
        }
    }
}

impl Rec {
    pub(crate) fn phase(&self, now: Instant) -> Phase {
        if now < self.ready_at {
            Phase::Processing
        } else if self.failure.is_some() {
            Phase::Failure
        } else {
            Phase::Success
        }
    }

    pub(crate) fn image_spec(&self, index: u32) -> ImageSpec {
        ImageSpec {
            width: self.width,
            height: self.height,
            seed: self.seed,
            prompt: self.prompt.clone(),
            index,
            transparent: self.transparent,
            padding: 0,
            settings: crate::stamp::settings_hash(&self.prompt_object),
        }
    }
}

/// An uploaded asset.
pub(crate) struct Asset {
    pub key: String,
    pub path: String,
    pub owner: usize,
    pub content_type: &'static str,
    pub bytes: Bytes,
}

/// What a download path names.
pub(crate) enum Download {
    /// A result picture (made on demand).
    Picture(ImageSpec),
    /// An uploaded asset.
    Asset(Arc<Asset>),
}

#[derive(Default)]
struct State {
    balances: Vec<u64>,
    charges: VecDeque<Charge>,
    records: HashMap<String, Arc<Rec>>,
    record_order: VecDeque<String>,
    paths: HashMap<String, (Arc<Rec>, u32)>,
    assets: HashMap<String, Arc<Asset>>,
    asset_order: VecDeque<Arc<Asset>>,
    asset_bytes: usize,
    faults: Vec<Fault>,
    chaos: Option<ChaosState>,
}

#[derive(Default)]
struct PictureCache {
    cells: HashMap<String, Arc<OnceCell<Bytes>>>,
    order: VecDeque<(String, usize)>,
    bytes: usize,
}

/// The price check failed.
pub(crate) struct Short {
    pub balance: u64,
}

/// Everything a request handler needs.
pub(crate) struct Shared {
    pub keys: Vec<KeyInfo>,
    key_index: HashMap<String, usize>,
    pub latency: Duration,
    pub ttl_secs: u64,
    pub picture_padding: usize,
    pub base_url: String,
    pub limiter: Option<Limiter>,
    secret: [u8; 32],
    state: Mutex<State>,
    pictures: Mutex<PictureCache>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Shared {
    pub(crate) fn new(config: EmulatorConfig, addr: SocketAddr) -> Shared {
        let mut keys: Vec<KeyInfo> = Vec::new();
        let mut key_index = HashMap::new();
        let mut taken: HashMap<String, usize> = HashMap::new();
        for k in config.keys {
            if key_index.contains_key(&k.key) {
                continue;
            }
            // Two keys that redact alike get a suffix, so the ledger can tell them apart.
            let base = redact_key(&k.key);
            let seen = taken.entry(base.clone()).or_insert(0);
            *seen += 1;
            let redacted = if *seen == 1 {
                base
            } else {
                format!("{base}#{seen}")
            };
            key_index.insert(k.key.clone(), keys.len());
            keys.push(KeyInfo {
                user_id: derived_uuid("user", &k.key),
                team_id: derived_uuid("team", &k.key),
                key: k.key,
                redacted,
                credits: k.credits,
            });
        }
        let state = State {
            balances: keys.iter().map(|k| k.credits).collect(),
            ..State::default()
        };
        Shared {
            keys,
            key_index,
            latency: config.latency,
            ttl_secs: config.temporary_url_ttl.as_secs(),
            picture_padding: config.picture_padding,
            limiter: config.rate_limit.map(Limiter::new),
            base_url: format!("http://{addr}"),
            secret: rand::random(),
            state: Mutex::new(state),
            pictures: Mutex::new(PictureCache::default()),
        }
    }

    pub(crate) fn first_key(&self) -> String {
        self.keys.first().map(|k| k.key.clone()).unwrap_or_default()
    }

    /// The index of a configured key.
    /// The index of the key in the request's `API-KEY` header, if it is configured.
    pub(crate) fn caller(&self, headers: &axum::http::HeaderMap) -> Option<usize> {
        let key = headers
            .get(visionxl_core::wire::API_KEY_HEADER)?
            .to_str()
            .ok()?
            .trim();
        self.key(key)
    }

    pub(crate) fn key(&self, key: &str) -> Option<usize> {
        self.key_index.get(key).copied()
    }

    pub(crate) fn ledger(&self) -> Ledger {
        let st = lock(&self.state);
        Ledger {
            charges: st.charges.iter().cloned().collect(),
            balances: self
                .keys
                .iter()
                .zip(&st.balances)
                .map(|(k, b)| (k.redacted.clone(), *b))
                .collect(),
            rate_limited: self.limiter.as_ref().map_or(0, Limiter::refused),
        }
    }

    pub(crate) fn inject(&self, fault: Fault) {
        if fault.count == 0 {
            return;
        }
        lock(&self.state).faults.push(fault);
    }

    pub(crate) fn pending_faults(&self) -> Vec<Fault> {
        lock(&self.state).faults.clone()
    }

    pub(crate) fn clear_faults(&self) {
        lock(&self.state).faults.clear();
    }

    /// Takes one use of the first queued fault that matches `path` and `accept`.
    pub(crate) fn take_fault(
        &self,
        path: &str,
        accept: impl Fn(&FaultKind) -> bool,
    ) -> Option<FaultKind> {
        let mut st = lock(&self.state);
        if st.faults.is_empty() {
            return None;
        }
        let at = st.faults.iter().position(|f| {
            f.path.as_deref().is_none_or(|p| path.starts_with(p)) && accept(&f.kind)
        })?;
        let f = &mut st.faults[at];
        let kind = f.kind.clone();
        f.count = f.count.saturating_sub(1);
        if f.count == 0 {
            st.faults.remove(at);
        }
        Some(kind)
    }

    /// Turns random faults on (replacing earlier ones and their counts) or off.
    pub(crate) fn set_chaos(&self, chaos: Option<Chaos>) -> Result<(), String> {
        if let Some(c) = &chaos {
            c.check()?;
        }
        lock(&self.state).chaos = chaos.map(ChaosState::new);
        Ok(())
    }

    /// The random faults in force and what they did so far.
    pub(crate) fn chaos(&self) -> (Option<Chaos>, ChaosReport) {
        let st = lock(&self.state);
        match &st.chaos {
            Some(c) => (Some(c.chaos().clone()), c.report().clone()),
            None => (None, ChaosReport::default()),
        }
    }

    /// Rolls the random faults for one request.
    pub(crate) fn roll_chaos(
        &self,
        path: &str,
        applies: impl Fn(&FaultKind) -> bool,
    ) -> Option<FaultKind> {
        lock(&self.state).chaos.as_mut()?.roll(path, applies)
    }

    pub(crate) fn reset(&self) {
        {
            let mut st = lock(&self.state);
            *st = State {
                balances: self.keys.iter().map(|k| k.credits).collect(),
                ..State::default()
            };
        }
        *lock(&self.pictures) = PictureCache::default();
        if let Some(l) = &self.limiter {
            l.reset();
        }
    }

    /// The current balance of a key.
    pub(crate) fn balance(&self, owner: usize) -> u64 {
        lock(&self.state).balances.get(owner).copied().unwrap_or(0)
    }

    /// Charges `credits` to `owner` (unless `credits` is `None`: a free, failed generation) and
    /// stores the record, atomically.
    pub(crate) fn create_record(&self, rec: Rec, credits: Option<u64>) -> Result<Arc<Rec>, Short> {
        let rec = Arc::new(rec);
        let mut st = lock(&self.state);
        if let Some(credits) = credits {
            let balance = st.balances[rec.owner];
            if balance < credits {
                return Err(Short { balance });
            }
            st.balances[rec.owner] = balance - credits;
            if st.charges.len() >= MAX_LEDGER_CHARGES {
                st.charges.pop_front();
            }
            st.charges.push_back(Charge {
                record_id: rec.id.clone(),
                key: self.keys[rec.owner].redacted.clone(),
                credits,
                at: rec.created_at.clone(),
            });
        }
        while st.records.len() >= MAX_RECORDS {
            let Some(old) = st.record_order.pop_front() else {
                break;
            };
            if let Some(old) = st.records.remove(&old) {
                for p in &old.paths {
                    st.paths.remove(p);
                }
            }
        }
        for (i, p) in rec.paths.iter().enumerate() {
            st.paths.insert(p.clone(), (rec.clone(), i as u32));
        }
        st.record_order.push_back(rec.id.clone());
        st.records.insert(rec.id.clone(), rec.clone());
        Ok(rec)
    }

    /// The record, when it exists and belongs to `owner`.
    pub(crate) fn record(&self, id: &str, owner: usize) -> Option<Arc<Rec>> {
        lock(&self.state)
            .records
            .get(id)
            .filter(|r| r.owner == owner)
            .cloned()
    }

    pub(crate) fn store_asset(&self, asset: Asset) -> Arc<Asset> {
        let asset = Arc::new(asset);
        let mut st = lock(&self.state);
        st.asset_bytes += asset.bytes.len();
        st.assets.insert(asset.key.clone(), asset.clone());
        st.assets.insert(asset.path.clone(), asset.clone());
        st.asset_order.push_back(asset.clone());
        while st.asset_bytes > ASSET_STORE_BYTES && st.asset_order.len() > 1 {
            let Some(old) = st.asset_order.pop_front() else {
                break;
            };
            st.asset_bytes -= old.bytes.len();
            st.assets.remove(&old.key);
            st.assets.remove(&old.path);
        }
        asset
    }

    /// Whether `reference` (an asset key or path) names an asset `owner` uploaded.
    pub(crate) fn has_asset(&self, reference: &str, owner: usize) -> bool {
        let reference = reference.trim_start_matches('/');
        lock(&self.state)
            .assets
            .get(reference)
            .is_some_and(|a| a.owner == owner)
    }

    /// What a download path names right now (a result of a record still processing, or of a
    /// failed one, names nothing).
    pub(crate) fn download(&self, path: &str) -> Option<Download> {
        let st = lock(&self.state);
        if let Some((rec, i)) = st.paths.get(path) {
            return (rec.phase(Instant::now()) == Phase::Success).then(|| {
                let mut spec = rec.image_spec(*i);
                spec.padding = self.picture_padding;
                Download::Picture(spec)
            });
        }
        st.assets.get(path).map(|a| Download::Asset(a.clone()))
    }

    /// The encoded picture, made on first use (off the async threads) and cached.
    pub(crate) async fn picture(&self, path: &str, spec: ImageSpec) -> Result<Bytes, String> {
        let cell = {
            let mut cache = lock(&self.pictures);
            cache.cells.entry(path.to_string()).or_default().clone()
        };
        let mut made = false;
        let bytes = cell
            .get_or_try_init(|| async {
                made = true;
                match tokio::task::spawn_blocking(move || crate::render::render(&spec)).await {
                    Ok(Ok(v)) => Ok(Bytes::from(v)),
                    Ok(Err(e)) => Err(format!("could not encode the picture: {e}")),
                    Err(e) => Err(format!("the picture task failed: {e}")),
                }
            })
            .await?
            .clone();
        if made {
            let mut cache = lock(&self.pictures);
            cache.order.push_back((path.to_string(), bytes.len()));
            cache.bytes += bytes.len();
            while cache.bytes > IMAGE_CACHE_BYTES && cache.order.len() > 1 {
                let Some((old, len)) = cache.order.pop_front() else {
                    break;
                };
                cache.bytes -= len;
                cache.cells.remove(&old);
            }
        }
        Ok(bytes)
    }

    fn signature(&self, path: &str, amz_date: &str, expires: &str) -> String {
        let d = Sha256::new()
            .chain_update(self.secret)
            .chain_update(b"\n")
            .chain_update(path.as_bytes())
            .chain_update(b"\n")
            .chain_update(amz_date.as_bytes())
            .chain_update(b"\n")
            .chain_update(expires.as_bytes())
            .finalize();
        hex::encode(d)
    }

    /// A presigned-style URL for `path`, valid for the configured TTL from now.
    pub(crate) fn temporary_url(&self, path: &str) -> String {
        let now = Civil::from_ms(clock::now_ms());
        let date = now.amz();
        let expires = self.ttl_secs.to_string();
        let sig = self.signature(path, &date, &expires);
        format!(
            "{}/temp/{path}?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=EMULATOR%2F{}%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date={date}&X-Amz-Expires={expires}&X-Amz-Signature={sig}&X-Amz-SignedHeaders=host",
            self.base_url,
            now.amz_day()
        )
    }

    /// Checks a temporary URL's query: `Ok` or the S3 error (code, message).
    pub(crate) fn verify(
        &self,
        path: &str,
        amz_date: Option<&str>,
        expires: Option<&str>,
        signature: Option<&str>,
    ) -> Result<(), (&'static str, &'static str)> {
        let (Some(date), Some(expires), Some(sig)) = (amz_date, expires, signature) else {
            return Err((
                "AccessDenied",
                "Query-string authentication requires the X-Amz-Date, X-Amz-Expires and X-Amz-Signature parameters",
            ));
        };
        let expected = self.signature(path, date, expires);
        if !constant_time_eq(expected.as_bytes(), sig.as_bytes()) {
            return Err((
                "SignatureDoesNotMatch",
                "The request signature we calculated does not match the signature you provided.",
            ));
        }
        let (Some(start), Ok(secs)) = (clock::parse_amz(date), expires.parse::<u64>()) else {
            return Err(("AccessDenied", "Invalid date or expiry"));
        };
        let now = clock::now_ms() / 1000;
        if now > start.saturating_add(secs) {
            return Err(("AccessDenied", "Request has expired"));
        }
        Ok(())
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
