//! Who may call, and which upstream client serves them.
//!
//! Two modes:
//! - **pass-through** (default): the caller's `Authorization: Bearer <1min.ai key>` is the
//!   upstream key. One client per key is cached (at most [`MAX_CACHED_KEYS`], least recently
//!   used evicted), so pacing, the connection pool and the budget are shared by every request
//!   made with that key. A key the service refuses is evicted at once.
//! - **held key** (`--keys FILE`): the server holds ONE upstream key and ONE client shared by
//!   every request; callers present a bearer token listed in the file. With `--token-budget`,
//!   each token has its own allowance of credits (shared by every replica with `--redis`).
//!
//! Keys never reach a log: requests are logged with a [`KeyId`], the first 8 hex digits of the
//! key's SHA-256.

use std::collections::HashMap;
use std::fmt;
use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::http::{HeaderMap, header};
use sha2::{Digest, Sha256};
use visionxl::{Allowance, Client, ClientBuilder, Error, ErrorCode};

use super::errors::ApiError;

/// The most upstream keys whose clients are kept in pass-through mode.
pub const MAX_CACHED_KEYS: usize = 1024;

/// The SHA-256 of a key or token.
type Digest32 = [u8; 32];

fn digest(s: &str) -> Digest32 {
    Sha256::digest(s.as_bytes()).into()
}

/// A key's fingerprint for logs: `key#` and the first 8 hex digits of its SHA-256.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct KeyId(Digest32);

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "key#{}", hex::encode(&self.0[..4]))
    }
}

impl fmt::Debug for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// How callers are authenticated.
pub enum Auth {
    /// The bearer token is the upstream key.
    PassThrough(Box<ClientCache>),
    /// The server holds the upstream key; bearer tokens come from a file.
    Held {
        /// The one client of every request.
        client: Client,
        /// Digests of the accepted bearer tokens.
        tokens: Vec<Digest32>,
        /// Each token's allowance (`--token-budget`), by digest.
        allowances: HashMap<Digest32, Allowance>,
    },
}

impl fmt::Debug for Auth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Auth::PassThrough(c) => write!(f, "Auth::PassThrough({} cached)", c.len()),
            Auth::Held { tokens, .. } => write!(f, "Auth::Held({} tokens)", tokens.len()),
        }
    }
}

impl Auth {
    /// Pass-through mode; `template` holds every setting but the key.
    pub fn pass_through(template: ClientBuilder) -> Auth {
        Auth::PassThrough(Box::new(ClientCache::new(template, MAX_CACHED_KEYS)))
    }

    /// Held-key mode with the bearer tokens of `path`.
    pub fn held(client: Client, path: &Path) -> Result<Auth, Error> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            Error::new(
                ErrorCode::IoError,
                format!("cannot read the keys file {}: {e}", path.display()),
            )
        })?;
        let tokens = parse_tokens(&text).map_err(|m| {
            Error::new(
                ErrorCode::ValidationError,
                format!("the keys file {}: {m}", path.display()),
            )
        })?;
        Ok(Auth::Held {
            client,
            tokens: tokens.iter().map(|t| digest(t)).collect(),
            allowances: HashMap::new(),
        })
    }

    /// Gives each token of held-key mode an allowance of `credits`: in this process, or in
    /// Redis at `redis` (shared by every replica; named by the token's digest, never the token).
    pub fn with_token_budget(mut self, credits: u64, redis: Option<&str>) -> Result<Auth, Error> {
        if let Auth::Held {
            tokens, allowances, ..
        } = &mut self
        {
            for d in tokens.iter() {
                let a = match redis {
                    Some(url) => {
                        Allowance::shared(url, &format!("serve-token:{}", hex::encode(d)), credits)?
                    }
                    None => Allowance::in_process(credits),
                };
                allowances.insert(*d, a);
            }
        }
        Ok(self)
    }

    /// The caller's allowance (held-key mode with `--token-budget`).
    pub fn allowance(&self, id: &KeyId) -> Option<Allowance> {
        match self {
            Auth::Held { allowances, .. } => allowances.get(&id.0).cloned(),
            Auth::PassThrough(_) => None,
        }
    }

    /// True in pass-through mode.
    pub fn is_pass_through(&self) -> bool {
        matches!(self, Auth::PassThrough(_))
    }

    /// Checks the caller's bearer token and returns its fingerprint.
    pub fn check(&self, headers: &HeaderMap) -> Result<KeyId, ApiError> {
        let token = bearer(headers)?;
        let d = digest(token);
        if let Auth::Held { tokens, .. } = self {
            // Compare with every token, in constant time per token.
            let known = tokens.iter().fold(false, |acc, t| acc | ct_eq(t, &d));
            if !known {
                return Err(ApiError::unauthorized(
                    "Incorrect API key provided: the bearer token is not one this server accepts.",
                ));
            }
        }
        Ok(KeyId(d))
    }

    /// The client serving this caller, and the caller's fingerprint.
    pub fn client_for(&self, headers: &HeaderMap) -> Result<(Client, KeyId), ApiError> {
        let id = self.check(headers)?;
        match self {
            Auth::Held { client, .. } => Ok((client.clone(), id)),
            Auth::PassThrough(cache) => {
                let token = bearer(headers)?;
                cache
                    .get(token, id.0)
                    .map(|c| (c, id))
                    .map_err(|e| ApiError::from_client(&e))
            }
        }
    }

    /// Called when the service refused a key: pass-through forgets its client.
    pub fn refused(&self, id: KeyId) {
        if let Auth::PassThrough(cache) = self {
            cache.remove(&id.0);
        }
    }
}

/// The bearer token of the `Authorization` header, or the 401 to answer.
fn bearer(headers: &HeaderMap) -> Result<&str, ApiError> {
    let missing = || {
        ApiError::unauthorized(
            "You didn't provide an API key. Send it in the Authorization header: \
             `Authorization: Bearer YOUR_KEY`.",
        )
    };
    let value = headers
        .get(header::AUTHORIZATION)
        .ok_or_else(missing)?
        .to_str()
        .map_err(|_| missing())?;
    let (scheme, token) = value.trim().split_once(' ').ok_or_else(missing)?;
    let token = token.trim();
    if !scheme.eq_ignore_ascii_case("bearer") || token.is_empty() {
        return Err(missing());
    }
    Ok(token)
}

fn ct_eq(a: &Digest32, b: &Digest32) -> bool {
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The tokens of a keys file: one per line; blank lines and lines starting with `#` are
/// ignored; surrounding white space is trimmed. At least one token; none may contain white
/// space.
pub fn parse_tokens(text: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let t = line.trim();
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        if t.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(format!(
                "line {}: a token cannot contain white space or control characters",
                i + 1
            ));
        }
        out.push(t.to_string());
    }
    if out.is_empty() {
        return Err("lists no token (one bearer token per line)".into());
    }
    Ok(out)
}

/// Clients per upstream key (pass-through mode), least recently used evicted.
pub struct ClientCache {
    template: ClientBuilder,
    max: usize,
    tick: AtomicU64,
    clients: Mutex<HashMap<Digest32, (Client, u64)>>,
}

impl ClientCache {
    /// An empty cache of at most `max` clients built from `template`.
    pub fn new(template: ClientBuilder, max: usize) -> Self {
        ClientCache {
            template,
            max: max.max(1),
            tick: AtomicU64::new(0),
            clients: Mutex::new(HashMap::new()),
        }
    }

    /// How many clients are cached.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Digest32, (Client, u64)>> {
        self.clients.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The client of `key` (whose digest is `d`), built on first use.
    pub fn get(&self, key: &str, d: Digest32) -> Result<Client, Error> {
        let now = self.tick.fetch_add(1, Ordering::Relaxed);
        if let Some((client, used)) = self.lock().get_mut(&d) {
            *used = now;
            return Ok(client.clone());
        }
        // Built outside the lock (it sets up connection pools); a racing build loses.
        let built = self.template.clone().api_key(key).build()?;
        let mut map = self.lock();
        if let Some((client, used)) = map.get_mut(&d) {
            *used = now;
            return Ok(client.clone());
        }
        if map.len() >= self.max
            && let Some(oldest) = map.iter().min_by_key(|(_, (_, u))| *u).map(|(k, _)| *k)
        {
            map.remove(&oldest);
        }
        map.insert(d, (built.clone(), now));
        Ok(built)
    }

    /// Forgets the client of a key.
    pub fn remove(&self, d: &Digest32) {
        self.lock().remove(d);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(auth: Option<&str>) -> HeaderMap {
        let mut h = HeaderMap::new();
        if let Some(a) = auth {
            h.insert(header::AUTHORIZATION, HeaderValue::from_str(a).unwrap());
        }
        h
    }

    fn template() -> ClientBuilder {
        Client::builder()
            .ignore_env()
            .base_url("http://127.0.0.1:9")
    }

    #[test]
    fn bearer_tokens_are_read_strictly() {
        assert_eq!(bearer(&headers(Some("Bearer abc"))).unwrap(), "abc");
        assert_eq!(bearer(&headers(Some("bearer   abc "))).unwrap(), "abc");
        for bad in [
            None,
            Some("abc"),
            Some("Basic abc"),
            Some("Bearer "),
            Some("Bearer"),
        ] {
            let e = bearer(&headers(bad)).unwrap_err();
            assert_eq!(e.status.as_u16(), 401, "{bad:?}");
            assert_eq!(e.code.as_deref(), Some("invalid_api_key"));
        }
    }

    #[test]
    fn keys_files() {
        assert_eq!(
            parse_tokens("# team tokens\n\n tok-a \ntok-b\n").unwrap(),
            ["tok-a", "tok-b"]
        );
        assert!(parse_tokens("# nothing\n\n").is_err());
        assert!(parse_tokens("tok a\n").is_err());
    }

    #[test]
    fn held_mode_accepts_only_listed_tokens() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys.txt");
        std::fs::write(&path, "tok-a\ntok-b\n").unwrap();
        let client = template().api_key("upstream").build().unwrap();
        let auth = Auth::held(client, &path).unwrap();
        assert!(auth.client_for(&headers(Some("Bearer tok-b"))).is_ok());
        let e = auth.client_for(&headers(Some("Bearer tok-c"))).unwrap_err();
        assert_eq!(e.status.as_u16(), 401);
        assert!(!e.message.contains("tok-c"), "the token is never echoed");
        assert!(
            Auth::held(
                template().api_key("k").build().unwrap(),
                &dir.path().join("no")
            )
            .is_err()
        );
    }

    #[test]
    fn pass_through_caches_one_client_per_key_and_evicts_the_oldest() {
        let cache = ClientCache::new(template(), 2);
        let a = cache.get("key-a", digest("key-a")).unwrap();
        cache.get("key-a", digest("key-a")).unwrap();
        assert_eq!(cache.len(), 1);
        cache.get("key-b", digest("key-b")).unwrap();
        cache.get("key-a", digest("key-a")).unwrap(); // a is now newer than b
        cache.get("key-c", digest("key-c")).unwrap();
        assert_eq!(cache.len(), 2);
        let map = cache.lock();
        assert!(map.contains_key(&digest("key-a")) && !map.contains_key(&digest("key-b")));
        drop(map);
        cache.remove(&digest("key-a"));
        assert_eq!(cache.len(), 1);
        drop(a);
    }

    #[test]
    fn key_ids_show_no_part_of_the_key() {
        let id = KeyId(digest("vxl-emulator-key"));
        let s = id.to_string();
        assert!(s.starts_with("key#") && s.len() == 12, "{s}");
        assert!(!s.contains("vxl") && !s.contains("key-"));
    }
}
