//! "Give me a fresh access token", and RefreshAccessToken, with one
//! refresh per token at a time: callers in this process share a lock per
//! token; processes on the same database share a lease row. Whoever waited
//! re-reads the store before doing anything, so only one refresh reaches
//! the provider.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::runtime::Grant;
use crate::store::{TokenRecord, TokenStatus, now};

use super::{AccessToken, Flow, REFRESH_MARGIN_SECONDS, TokenError, TokenService, issued};

/// How long a lease protects a refresh in flight (a crashed holder's
/// lease lapses after this).
const LEASE_SECONDS: i64 = 30;
/// How often a caller waiting on another process's lease re-reads.
const LEASE_POLL: Duration = Duration::from_millis(25);

/// How long this process hands out a cached access token without reading
/// the store. Refresh, reset, retry and delete through this process forget
/// it at once; a change made by another process shows within this time.
pub const FRESH_CACHE_TTL: Duration = Duration::from_secs(5);

/// Access tokens handed out recently: token id -> (tenant id, token, when).
#[derive(Default)]
pub struct FreshCache(Mutex<HashMap<String, (String, AccessToken, Instant)>>);

impl FreshCache {
    fn get(&self, tenant_id: &str, id: &str) -> Option<AccessToken> {
        let map = self.0.lock().expect("fresh cache");
        let (tenant, token, at) = map.get(id)?;
        let still_fresh = token.expires_at.is_none_or(|exp| exp - now() > REFRESH_MARGIN_SECONDS);
        (tenant == tenant_id && at.elapsed() < FRESH_CACHE_TTL && still_fresh).then(|| token.clone())
    }

    fn put(&self, tenant_id: &str, id: &str, token: &AccessToken) {
        let mut map = self.0.lock().expect("fresh cache");
        map.retain(|_, (_, _, at)| at.elapsed() < FRESH_CACHE_TTL);
        map.insert(id.to_owned(), (tenant_id.to_owned(), token.clone(), Instant::now()));
    }

    /// Drops a token that changed.
    pub fn forget(&self, id: &str) {
        self.0.lock().expect("fresh cache").remove(id);
    }
}

impl TokenService {
    /// The token for a flow step: the stored one while it stays valid for
    /// more than a minute, otherwise refreshed first. Tokens without a
    /// known expiry are handed out as they are.
    pub async fn access_token(&self, tenant_id: &str, id: &str) -> Result<AccessToken, TokenError> {
        if let Some(cached) = self.fresh.get(tenant_id, id) {
            return Ok(cached);
        }
        let token = self.token(tenant_id, id).await?;
        let fresh = match usable(&token)? {
            Some(fresh) => fresh,
            None => self.single_flight(tenant_id, id, |token| usable(token).ok().flatten()).await?,
        };
        self.fresh.put(tenant_id, id, &fresh);
        Ok(fresh)
    }

    /// RefreshAccessToken: a new access token now, whatever the old one's
    /// expiry. Concurrent calls share one refresh.
    pub async fn refresh(&self, tenant_id: &str, id: &str) -> Result<AccessToken, TokenError> {
        self.fresh.forget(id);
        let before = self.token(tenant_id, id).await?;
        usable(&before)?;
        let generation = before.generation;
        let fresh = self
            .single_flight(tenant_id, id, |token| (token.generation != generation).then(|| hand_out(token)))
            .await?;
        self.fresh.put(tenant_id, id, &fresh);
        Ok(fresh)
    }

    /// Refreshes under the token's lock and lease unless, once they are
    /// held, `done` finds that someone else already did.
    async fn single_flight(
        &self,
        tenant_id: &str,
        id: &str,
        done: impl Fn(&TokenRecord) -> Option<AccessToken>,
    ) -> Result<AccessToken, TokenError> {
        let lock = self.lock(id);
        let _held = lock.lock().await;
        loop {
            let token = self.token(tenant_id, id).await?;
            if let Some(fresh) = done(&token) {
                return Ok(fresh);
            }
            if self.store.try_lease(id, &self.holder, LEASE_SECONDS).await? {
                let token = self.token(tenant_id, id).await?;
                let result = match done(&token) {
                    Some(fresh) => Ok(fresh),
                    None => self.renew(&token).await,
                };
                self.store.release_lease(id, &self.holder).await?;
                return result;
            }
            tokio::time::sleep(LEASE_POLL).await;
        }
    }

    fn lock(&self, id: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut locks = self.locks.lock().expect("token locks");
        locks.retain(|_, lock| Arc::strong_count(lock) > 1);
        locks.entry(id.to_owned()).or_default().clone()
    }

    /// Asks the provider for a new token set and stores it (a rotated
    /// refresh token with it) before handing the access token out.
    async fn renew(&self, token: &TokenRecord) -> Result<AccessToken, TokenError> {
        let target = self.target_of(token).await?;
        let result = match (&token.refresh_token, token.flow.as_str()) {
            (Some(refresh_token), _) => {
                self.runtime.refresh(&target, refresh_token, &token.scopes, &token.inputs).await
            }
            (None, flow) if flow == Flow::ClientCredentials.as_str() => {
                let mut params: Vec<(String, String)> = token.inputs.clone();
                if !token.scopes.is_empty() {
                    params.push(("scope".into(), token.scopes.join(" ")));
                }
                self.runtime.request_token(&target, Grant::ClientCredentials, &params).await
            }
            (None, _) => {
                let message = "the access token expired and the provider gave no refresh token: authorize again";
                self.store
                    .set_status(&token.tenant_id, &token.id, TokenStatus::NeedsReauth, Some(("invalid_grant", message)))
                    .await?;
                return Err(TokenError::NotUsable { status: TokenStatus::NeedsReauth, message: message.into() });
            }
        };
        crate::metrics::METRICS.refresh(result.is_err());
        match result {
            Ok(set) => {
                self.store.store_issued(&token.tenant_id, &token.id, &issued(set)).await?;
                Ok(hand_out(&self.token(&token.tenant_id, &token.id).await?))
            }
            Err(error) if error.oauth_code() == Some("invalid_grant") => {
                // Another worker may have refreshed (and rotated) meanwhile.
                let current = self.token(&token.tenant_id, &token.id).await?;
                if current.generation != token.generation {
                    return Ok(hand_out(&current));
                }
                let message = error.to_string();
                self.store
                    .set_status(
                        &token.tenant_id,
                        &token.id,
                        TokenStatus::NeedsReauth,
                        Some(("invalid_grant", &message)),
                    )
                    .await?;
                Err(TokenError::Provider(error))
            }
            Err(error) => Err(TokenError::Provider(error)),
        }
    }
}

/// The token when it can be handed out as it is; `None` when it must be
/// refreshed first; an error when it cannot serve at all.
fn usable(token: &TokenRecord) -> Result<Option<AccessToken>, TokenError> {
    if token.status != TokenStatus::Active {
        let message = token.error_message.clone().unwrap_or_else(|| "authorize it first".into());
        return Err(TokenError::NotUsable { status: token.status, message });
    }
    let fresh = token.expires_at.is_none_or(|at| at - now() > REFRESH_MARGIN_SECONDS);
    Ok(fresh.then(|| hand_out(token)))
}

fn hand_out(token: &TokenRecord) -> AccessToken {
    AccessToken {
        access_token: token.access_token.clone().unwrap_or_default(),
        token_type: token.token_type.clone().unwrap_or_else(|| "Bearer".into()),
        expires_at: token.expires_at,
        extra: token.inputs.iter().chain(&token.extra).cloned().collect(),
    }
}
