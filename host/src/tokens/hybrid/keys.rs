//! The signing keys of OpenID providers, by issuer: the `jwks_uri` of
//! `{ISSUER}/.well-known/openid-configuration`, then that key set, both
//! fetched through the outbound policy of the provider's component (its
//! allowed hosts, public addresses only, bounded time and size). Kept for
//! an hour; a key id the cached set lacks fetches the set once more (the
//! IdP rotated its keys) before the token is refused.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use jsonwebtoken::jwk::Jwk;
use serde_json::Value;

use super::Refusal;
use super::id_token::{Signed, fits};
use crate::runtime::{HttpError, Runtime, Target};

/// How long a provider's keys are trusted without a fetch.
const KEYS_LIFETIME: Duration = Duration::from_secs(3600);
/// Issuers remembered at most; the oldest is forgotten first.
const MAX_ISSUERS: usize = 256;

/// One issuer's keys and where they came from.
#[derive(Clone)]
struct Entry {
    jwks_uri: String,
    keys: Arc<Vec<Jwk>>,
    fetched: Instant,
}

/// The cache, shared by every callback of the process.
#[derive(Default)]
pub struct KeyCache {
    entries: Mutex<HashMap<String, Entry>>,
}

impl KeyCache {
    /// The key that verifies a token signed as `signed` for `issuer`.
    pub async fn key(&self, runtime: &Runtime, target: &Target, issuer: &str, signed: &Signed) -> Result<Jwk, Refusal> {
        let cached = self.cached(issuer);
        if let Some(entry) = cached.as_ref().filter(|e| e.fetched.elapsed() < KEYS_LIFETIME)
            && let Some(key) = pick(&entry.keys, signed)
        {
            return Ok(key);
        }
        // Unknown key id (or an old set): the IdP may have rotated. The
        // key set's address stays what discovery said.
        let jwks_uri = match cached {
            Some(entry) => entry.jwks_uri,
            None => discover(runtime, target, issuer).await?,
        };
        let keys = Arc::new(fetch_keys(runtime, target, &jwks_uri).await?);
        let found = pick(&keys, signed);
        let count = keys.len();
        self.remember(issuer, Entry { jwks_uri: jwks_uri.clone(), keys, fetched: Instant::now() });
        found.ok_or_else(|| {
            let kid = signed.kid.as_deref().map_or("without a key id".to_owned(), |kid| format!("with key id {kid:?}"));
            Refusal::new(
                "invalid_id_token",
                format!(
                    "the id_token is signed {kid} ({:?}), and none of the {count} keys published at {jwks_uri} \
                     fits it, even after fetching them again",
                    signed.alg
                ),
            )
        })
    }

    fn cached(&self, issuer: &str) -> Option<Entry> {
        self.entries.lock().unwrap_or_else(|e| e.into_inner()).get(issuer).cloned()
    }

    fn remember(&self, issuer: &str, entry: Entry) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if entries.len() >= MAX_ISSUERS && !entries.contains_key(issuer) {
            let oldest = entries.iter().min_by_key(|(_, e)| e.fetched).map(|(k, _)| k.clone());
            entries.retain(|k, _| Some(k) != oldest.as_ref());
        }
        entries.insert(issuer.to_owned(), entry);
    }
}

/// The key of the token's `kid`; without one, the only key that fits.
fn pick(keys: &[Jwk], signed: &Signed) -> Option<Jwk> {
    let mut fitting = keys.iter().filter(|k| fits(k, signed.alg));
    match &signed.kid {
        Some(kid) => fitting.find(|k| k.common.key_id.as_deref() == Some(kid.as_str())).cloned(),
        None => match (fitting.next(), fitting.next()) {
            (Some(only), None) => Some(only.clone()),
            _ => None,
        },
    }
}

fn unavailable(message: String) -> Refusal {
    Refusal::new("discovery_failed", message)
}

/// The `jwks_uri` of the issuer's discovery document, which must name
/// this issuer (OpenID Connect Discovery 4.3).
async fn discover(runtime: &Runtime, target: &Target, issuer: &str) -> Result<String, Refusal> {
    let url = format!("{}/.well-known/openid-configuration", issuer.trim_end_matches('/'));
    let document = get_json(runtime, target, &url).await?;
    if document.get("issuer").and_then(Value::as_str) != Some(issuer) {
        return Err(unavailable(format!(
            "the discovery document at {url} names issuer {}, not {issuer:?}: set ISSUER to the IdP's issuer exactly",
            document.get("issuer").map_or_else(|| "nothing".to_owned(), Value::to_string)
        )));
    }
    document
        .get("jwks_uri")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| unavailable(format!("the discovery document at {url} has no jwks_uri")))
}

/// The keys of a JWK set; keys of kinds the host does not use are skipped.
async fn fetch_keys(runtime: &Runtime, target: &Target, jwks_uri: &str) -> Result<Vec<Jwk>, Refusal> {
    let set = get_json(runtime, target, jwks_uri).await?;
    let keys = set
        .get("keys")
        .and_then(Value::as_array)
        .ok_or_else(|| unavailable(format!("{jwks_uri} is not a JWK set (no \"keys\" array)")))?;
    Ok(keys.iter().filter_map(|key| serde_json::from_value(key.clone()).ok()).collect())
}

async fn get_json(runtime: &Runtime, target: &Target, url: &str) -> Result<Value, Refusal> {
    let response = runtime.fetch(target, url).await.map_err(|error| {
        unavailable(match error {
            HttpError::Denied(why) => format!("{url} was not fetched: {why}"),
            HttpError::Timeout => format!("{url} did not answer in time"),
            HttpError::TooLarge => format!("{url} answered with a body larger than the host accepts"),
            HttpError::Transport(why) => format!("{url} could not be reached: {why}"),
        })
    })?;
    if response.status != 200 {
        return Err(unavailable(format!("{url} answered HTTP {}", response.status)));
    }
    serde_json::from_slice(&response.body).map_err(|e| unavailable(format!("{url} did not answer JSON ({e})")))
}
