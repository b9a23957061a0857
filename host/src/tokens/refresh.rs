//! "Give me a fresh access token", and RefreshAccessToken.
//!
//! A refresh runs as a detached task ([`Flights`](super::flights::Flights)):
//! callers in this process share it and may give up without stopping it,
//! so a refresh token spent at the provider is always followed by storing
//! its successor. Processes on the same database share a lease
//! ([`Lease`](crate::store::Lease)), re-reading the token once they hold it.
//! The new token set is written by compare-and-swap on the token's
//! generation, before any caller sees the access token. The one window
//! left: a process killed between the provider's answer and that write
//! (milliseconds: the soak bench measures it) loses a rotated refresh token.

use std::time::{Duration, Instant};

use crate::events::EventKind;
use crate::runtime::{CallError, Grant, Target, TokenSet};
use crate::store::{PasswordCredentials, RefreshFailure, TokenRecord, TokenStatus, now};

use super::{
    AccessToken, Flow, REFRESH_MARGIN_SECONDS, TokenError, TokenService, issued, redacted, token_secrets, which,
};

/// The shortest lease, whatever the call limits.
const MIN_LEASE_SECONDS: i64 = 30;
/// How often a caller waiting on another process's lease re-reads.
const LEASE_POLL: Duration = Duration::from_millis(25);
/// How long a refresh failure that may pass (the provider unreachable or
/// answering 5xx) is shared before the provider is asked again.
const FAILURE_HOLD_SECONDS: i64 = 5;

/// What a caller needs from a refresh.
#[derive(Debug, Clone, Copy)]
enum Want {
    /// A token that is not due for a refresh (flow steps).
    Fresh,
    /// A token set newer than this generation (RefreshAccessToken).
    NewerThan(i64),
}

impl Want {
    /// Callers wanting the same thing of the same token share one flight.
    fn flight_key(self, id: &str) -> String {
        match self {
            Self::Fresh => format!("{id}/fresh"),
            Self::NewerThan(generation) => format!("{id}/after/{generation}"),
        }
    }
}

/// An access token handed out, with when it is due for a refresh.
#[derive(Debug, Clone)]
pub(super) struct Handout {
    pub token: AccessToken,
    /// Unix seconds; `None` for tokens without a known expiry.
    pub refresh_due: Option<i64>,
    /// Whether this process asked the provider for it.
    pub renewed: bool,
}

impl TokenService {
    /// The token for a flow step: the stored one unless it is due for a
    /// refresh (below min(60 s, half its lifetime) left), otherwise
    /// refreshed first. When the refresh fails for a passing reason while
    /// the stored token is still valid, the stored token is handed out.
    pub async fn access_token(&self, tenant_id: &str, id: &str) -> Result<AccessToken, TokenError> {
        if let Some(cached) = self.fresh.get(tenant_id, id) {
            return Ok(cached);
        }
        let epoch = self.fresh.epoch();
        let token = self.token(tenant_id, id).await?;
        let outcome = match settled(&token, Want::Fresh) {
            Some(outcome) => outcome,
            None => self.shared_refresh(tenant_id, id, Want::Fresh).await,
        };
        let handout = match outcome {
            Err(error) if error.is_passing() => return self.still_valid(tenant_id, id, error).await,
            other => other?,
        };
        self.fresh.put(epoch, tenant_id, id, &handout.token, handout.refresh_due);
        Ok(handout.token)
    }

    /// RefreshAccessToken: a new access token now, whatever the old one's
    /// expiry. Concurrent calls share one refresh.
    pub async fn refresh(&self, tenant_id: &str, id: &str) -> Result<AccessToken, TokenError> {
        self.fresh.forget(id);
        let epoch = self.fresh.epoch();
        let before = self.token(tenant_id, id).await?;
        if before.status != TokenStatus::Active {
            return Err(not_usable(&before));
        }
        let handout = self.shared_refresh(tenant_id, id, Want::NewerThan(before.generation)).await?;
        self.fresh.put(epoch, tenant_id, id, &handout.token, handout.refresh_due);
        Ok(handout.token)
    }

    /// Waits (at most `within`) for the refreshes in flight to be stored:
    /// a stopping server lets them land, whoever still waits for them.
    pub async fn finish_refreshes(&self, within: Duration) {
        let deadline = Instant::now() + within;
        while !self.flights.is_empty() && Instant::now() < deadline {
            tokio::time::sleep(LEASE_POLL).await;
        }
    }

    /// A renewal of the background refresher, through the same path as
    /// every refresh: nothing is asked of the provider when the token
    /// changed since it was found due at `generation` (another process
    /// renewed it), and the outcome lands in the store, `needs_reauth`
    /// and its event included.
    pub(super) async fn renew_ahead(&self, tenant_id: &str, id: &str, generation: i64) {
        match self.shared_refresh(tenant_id, id, Want::NewerThan(generation)).await {
            Ok(handout) if handout.renewed => {
                crate::metrics::METRICS.renewed_ahead();
                // Flow steps get the new set at once.
                self.fresh.forget(id);
            }
            Ok(_) => {}
            Err(error) => tracing::info!(token = %id, %error, "renewing a token ahead of its expiry failed"),
        }
    }

    /// Joins the refresh in flight for this token, or starts one.
    async fn shared_refresh(&self, tenant_id: &str, id: &str, want: Want) -> Result<Handout, TokenError> {
        let service = self.clone();
        let (tenant_id, token_id) = (tenant_id.to_owned(), id.to_owned());
        let job = move || async move { service.fly(&tenant_id, &token_id, want).await };
        self.flights
            .join(&want.flight_key(id), job)
            .await
            .unwrap_or_else(|| Err(TokenError::Internal("the refresh task stopped unexpectedly".into())))
    }

    /// The detached refresh: under the token's lease, unless the read
    /// made once it is held shows another process did it already. While
    /// another process holds the lease, its outcome is awaited in the store.
    async fn fly(&self, tenant_id: &str, id: &str, want: Want) -> Result<Handout, TokenError> {
        let call_timeout = self.runtime.longest_call();
        // Outlives the refresh it guards, a slot's wait included.
        let lease_ttl = (2 * call_timeout.as_secs() as i64).max(MIN_LEASE_SECONDS);
        let waiting = Instant::now();
        loop {
            if let Some(lease) = self.store.try_lease(id, lease_ttl).await? {
                let token = self.token(tenant_id, id).await?;
                let outcome = match settled(&token, want) {
                    Some(outcome) => outcome,
                    None => self.renew(&token).await,
                };
                lease.release().await;
                return outcome;
            }
            if let Some(outcome) = settled(&self.token(tenant_id, id).await?, want) {
                return outcome;
            }
            if waiting.elapsed() > call_timeout {
                return Err(TokenError::RefreshHeld {
                    code: "refresh_in_progress".into(),
                    message: format!(
                        "another flowauth process has been refreshing this token for over {call_timeout:?}"
                    ),
                    retry_after_seconds: 1,
                });
            }
            tokio::time::sleep(LEASE_POLL).await;
        }
    }

    /// Asks the provider for a new token set and stores it (a rotated
    /// refresh token with it) before handing the access token out. A
    /// token with a saved password obtains its new set with it when it has
    /// no refresh token, or when the provider refuses its refresh token.
    async fn renew(&self, token: &TokenRecord) -> Result<Handout, TokenError> {
        let target = self.target_of(token).await?;
        let saved = match token.credentials_saved {
            true => self.store.saved_credentials(&token.tenant_id, &token.id).await?,
            false => None,
        };
        let renewed = match (&token.refresh_token, token.flow.as_str()) {
            (Some(refresh_token), _) => {
                // The further tokens go back too: Slack's user token refreshes with its own.
                let mut extra = token.inputs.clone();
                extra.extend(which::split(&token.extra).1);
                let call = self.runtime.refresh(&target, refresh_token, &token.scopes, &extra).await;
                Some(call.map_err(|e| redacted(e, &target, &token_secrets(token))))
            }
            (None, flow) if flow == Flow::ClientCredentials.as_str() => {
                let params = super::flow::grant_params(&token.scopes, &token.inputs, &[]);
                let call = self.runtime.request_token(&target, Grant::ClientCredentials, &params).await;
                Some(call.map_err(|e| redacted(e, &target, &[])))
            }
            (None, _) => None,
        };
        let refused = |result: &Result<_, CallError>| {
            result.as_ref().err().and_then(CallError::oauth_code) == Some("invalid_grant")
        };
        let (result, by_password) = match (renewed, &saved) {
            (Some(result), Some(credentials)) if refused(&result) => {
                crate::metrics::METRICS.refresh(true);
                (self.password_grant(&target, token, credentials).await, true)
            }
            (None, Some(credentials)) => (self.password_grant(&target, token, credentials).await, true),
            (Some(result), _) => (result, false),
            (None, None) => {
                let message = match token.flow == Flow::Password.as_str() {
                    true => {
                        "the access token expired, the provider gave no refresh token and no password is saved: \
                         retry the token with the username and password (a provider with \
                         SAVE_PASSWORD_CREDENTIALS=true keeps them to renew its tokens)"
                    }
                    false => "the access token expired and the provider gave no refresh token: authorize again",
                };
                let error = ("invalid_grant", message);
                if self.store.mark_needs_reauth(&token.tenant_id, &token.id, token.generation, error).await? {
                    self.emit(token, EventKind::NeedsReauth, Some(error)).await;
                }
                return Err(TokenError::NotUsable { status: TokenStatus::NeedsReauth, message: message.into() });
            }
        };
        if !matches!(result, Err(CallError::Busy { .. })) {
            crate::metrics::METRICS.refresh(result.is_err());
        }
        let (tenant_id, id) = (&token.tenant_id, &token.id);
        match result {
            Ok(set) => {
                let mut set = issued(set);
                which::kept(&token.extra, &mut set.extra);
                // The refresh token the provider refused is of no more use.
                let refused_refresh_token = by_password && token.refresh_token.is_some() && set.refresh_token.is_none();
                match self.store.store_issued(tenant_id, id, &set, Some(token.generation)).await? {
                    Some(generation) => {
                        if refused_refresh_token {
                            self.store.drop_refresh_token(tenant_id, id, generation).await?;
                        }
                        Ok(Handout { renewed: true, ..hand_out(&token.with_issued(set, generation)) })
                    }
                    None => {
                        tracing::info!(token = %id, "a newer token set was stored during the refresh; it is kept");
                        self.current(tenant_id, id).await
                    }
                }
            }
            Err(error) if error.oauth_code() == Some("invalid_grant") => {
                let message = match by_password {
                    true => format!(
                        "the provider refused the saved username and password, which are forgotten: retry the token \
                         with the current ones ({error})"
                    ),
                    false => error.to_string(),
                };
                if self.store.mark_needs_reauth(tenant_id, id, token.generation, ("invalid_grant", &message)).await? {
                    self.emit(token, EventKind::NeedsReauth, Some(("invalid_grant", &message))).await;
                    // What every later caller reads from the store, too.
                    return Err(TokenError::NotUsable { status: TokenStatus::NeedsReauth, message });
                }
                // A newer token set arrived meanwhile (a new authorization).
                self.current(tenant_id, id).await
            }
            Err(error) if error.is_passing() && !matches!(error, CallError::Busy { .. }) => {
                let failure = RefreshFailure {
                    generation: token.generation,
                    retry_at: now() + FAILURE_HOLD_SECONDS,
                    code: error.code().to_owned(),
                    message: error.to_string(),
                };
                self.store.record_refresh_failure(tenant_id, id, &failure).await?;
                // Once per generation: an outage is one event, not a flood.
                if token.refresh_failure.as_ref().is_none_or(|f| f.generation != token.generation) {
                    self.emit(token, EventKind::RefreshFailed, Some((&failure.code, &failure.message))).await;
                }
                // What every later caller reads from the store, too.
                Err(TokenError::RefreshHeld {
                    code: failure.code,
                    message: failure.message,
                    retry_after_seconds: FAILURE_HOLD_SECONDS as u64,
                })
            }
            Err(error) => Err(TokenError::Provider(error)),
        }
    }

    /// The password grant with the username and password saved with `token`.
    async fn password_grant(
        &self,
        target: &Target,
        token: &TokenRecord,
        credentials: &PasswordCredentials,
    ) -> Result<TokenSet, CallError> {
        let secrets = [
            ("username".to_owned(), credentials.username.clone()),
            ("password".to_owned(), credentials.password.clone()),
        ];
        let params = super::flow::grant_params(&token.scopes, &token.inputs, &secrets);
        let call = self.runtime.request_token(target, Grant::Password, &params).await;
        call.map_err(|e| redacted(e, target, &[Some(&credentials.password)]))
    }

    /// The token as stored now, handed out if it can serve.
    async fn current(&self, tenant_id: &str, id: &str) -> Result<Handout, TokenError> {
        let token = self.token(tenant_id, id).await?;
        match token.status {
            TokenStatus::Active => Ok(hand_out(&token)),
            _ => Err(not_usable(&token)),
        }
    }

    /// After a refresh failed for a passing reason: the stored token while
    /// it has not expired, else the failure.
    async fn still_valid(&self, tenant_id: &str, id: &str, error: TokenError) -> Result<AccessToken, TokenError> {
        let token = self.token(tenant_id, id).await?;
        let left = token.expires_at.map(|at| at - now()).filter(|left| *left > 0);
        match left {
            Some(left) if token.status == TokenStatus::Active && token.access_token.is_some() => {
                crate::metrics::METRICS.stale_handout();
                tracing::warn!(token = %id, %error, "refresh failed; handing out the stored token, valid {left} s more");
                Ok(hand_out(&token).token)
            }
            _ => Err(error),
        }
    }
}

/// What a caller gets from the token as stored, without a refresh: the
/// token when it meets `want`, the error when it cannot serve or its
/// refresh failed moments ago; `None` when it must be refreshed.
fn settled(token: &TokenRecord, want: Want) -> Option<Result<Handout, TokenError>> {
    if token.status != TokenStatus::Active {
        return Some(Err(not_usable(token)));
    }
    let met = match want {
        Want::Fresh => token.expires_at.is_none_or(|at| now() < refresh_due(at, token.issued_at)),
        Want::NewerThan(generation) => token.generation != generation,
    };
    if met {
        return Some(Ok(hand_out(token)));
    }
    let failure = token.refresh_failure.as_ref().filter(|f| f.generation == token.generation && now() < f.retry_at)?;
    Some(Err(TokenError::RefreshHeld {
        code: failure.code.clone(),
        message: failure.message.clone(),
        retry_after_seconds: (failure.retry_at - now()).max(1) as u64,
    }))
}

/// When a token set expiring at `expires_at` is due for a refresh: with
/// min(60 s, half its lifetime) left, so a 30 s token is refreshed once
/// per 15 s however many callers ask.
fn refresh_due(expires_at: i64, issued_at: Option<i64>) -> i64 {
    let margin =
        issued_at.map_or(REFRESH_MARGIN_SECONDS, |issued| ((expires_at - issued) / 2).clamp(0, REFRESH_MARGIN_SECONDS));
    expires_at - margin
}

fn not_usable(token: &TokenRecord) -> TokenError {
    let message = token.error_message.clone().unwrap_or_else(|| "authorize it first".into());
    TokenError::NotUsable { status: token.status, message }
}

fn hand_out(token: &TokenRecord) -> Handout {
    let (plain, further) = which::split(&token.extra);
    Handout {
        token: AccessToken {
            access_token: token.access_token.clone().unwrap_or_default(),
            token_type: token.token_type.clone().unwrap_or_else(|| "Bearer".into()),
            expires_at: token.expires_at,
            extra: token.inputs.iter().cloned().chain(plain).collect(),
            further: which::handed(further, token.issued_at),
        },
        refresh_due: token.expires_at.map(|at| refresh_due(at, token.issued_at)),
        renewed: false,
    }
}
