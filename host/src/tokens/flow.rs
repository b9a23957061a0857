//! Starting tokens and finishing authorizations: StartTokenRequestAndGetAuthLink,
//! the callback, retry, ResetClientCredentialsToken, rename, delete, validate.

use crate::events::EventKind;
use crate::pkce;
use crate::runtime::{AuthRequest, CallError, Callback, Grant, OauthError, Target, Validation};
use crate::store::Issued;
use crate::store::{
    NewToken, Outcome, PasswordCredentials, PendingAuthorization, Provider, Taken, Tenant, TokenRecord, TokenStatus,
    allows_password_grant, expires_at, format_expiry, new_id, now, saves_passwords,
};

use super::hybrid::{self, Delivery, Hybrid};
use super::{
    STATE_LIFETIME_SECONDS, StartRequest, Started, TokenError, TokenService, check_token_name, issued, new_state,
    redacted, state_hash, token_secrets, token_set,
};

/// How a token is obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Flow {
    /// The user signs in at the provider (with PKCE where supported).
    #[default]
    AuthorizationCode,
    /// The client's own credentials.
    ClientCredentials,
    /// The user's password (RFC 9700 deprecates it: only where the
    /// provider's settings allow it with `ALLOW_PASSWORD_GRANT=true`; kept,
    /// sealed, to renew the token where they also say
    /// `SAVE_PASSWORD_CREDENTIALS=true`).
    Password,
}

impl Flow {
    /// The name the API uses.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::AuthorizationCode => "authorization_code",
            Self::ClientCredentials => "client_credentials",
            Self::Password => "password",
        }
    }

    /// Reads an API name.
    pub fn parse(name: &str) -> Result<Self, TokenError> {
        match name {
            "authorization_code" => Ok(Self::AuthorizationCode),
            "client_credentials" => Ok(Self::ClientCredentials),
            "password" => Ok(Self::Password),
            other => Err(TokenError::Invalid(format!(
                "flow {other:?} is not one of authorization_code, client_credentials, password"
            ))),
        }
    }
}

/// The callback's outcome.
#[derive(Debug, Clone)]
pub struct Finished {
    /// The tenant the token belongs to.
    pub tenant_id: String,
    /// The token's id.
    pub token_id: String,
    /// Where the token is now.
    pub status: TokenStatus,
    /// `(code, message)` when the provider or the user refused.
    pub error: Option<(String, String)>,
}

impl TokenService {
    /// StartTokenRequestAndGetAuthLink. The token appears in the store only
    /// with its outcome: a pending authorization and its link, the token
    /// set a direct grant issued, or the provider's refusal. A caller that
    /// gives up before that leaves nothing behind.
    pub async fn start(&self, tenant: &Tenant, request: StartRequest) -> Result<Started, TokenError> {
        check_token_name(&request.name)?;
        if self.store.token_id_by_name(&tenant.id, &request.name).await?.is_some() {
            return Err(TokenError::Conflict(format!(
                "a token named {:?} exists already: token names are unique within a tenant",
                request.name
            )));
        }
        let Some(provider) = self.store.provider(&tenant.id, &request.connector, &request.provider).await? else {
            // A misspelt connector, or one whose component the tenant has not enabled, says so first.
            if let Err(unknown @ TokenError::UnknownConnector(_)) = self.resolve(&tenant.id, &request.connector).await {
                return Err(unknown);
            }
            let known: Vec<String> = self
                .store
                .providers(&tenant.id)
                .await?
                .into_iter()
                .map(|p| format!("{}/{}", p.connector, p.display_name))
                .collect();
            let wanted = format!("{}/{}", request.connector, request.provider);
            let hint = super::suggest::did_you_mean(&wanted, known.iter().map(String::as_str));
            return Err(TokenError::NotFound(format!("provider {wanted}{hint}")));
        };
        let client = match request.use_default_keys {
            true => None,
            false => {
                let key = request.consumer_key.clone().filter(|k| !k.is_empty());
                let key =
                    key.ok_or_else(|| TokenError::Invalid("use_default_keys is false: give consumer_key".into()))?;
                let mut client = vec![("CLIENT_ID".to_owned(), key)];
                client.extend(request.secret_key.clone().map(|s| ("CLIENT_SECRET".to_owned(), s)));
                Some(client)
            }
        };
        if request.flow == Flow::Password {
            check_password_allowed(&provider)?;
        }
        check_secret_current(&provider, client.as_deref())?;
        let target = self.target(&provider, client.as_deref()).await?;
        let mut inputs: Vec<(String, String)> =
            request.resource.iter().map(|r| ("resource".to_owned(), r.clone())).collect();
        inputs.extend(request.additional.iter().cloned());
        super::inputs::check_required(&target, &inputs)?;
        let token = NewToken {
            id: new_id(),
            tenant_id: tenant.id.clone(),
            provider_id: provider.id.clone(),
            name: request.name.clone(),
            flow: request.flow.as_str().to_owned(),
            scopes: request.scopes.clone(),
            inputs,
            client,
        };
        let answer = match request.flow {
            Flow::AuthorizationCode => {
                match self.link(&target, &token.tenant_id, &token.id, &token.scopes, &token.inputs).await {
                    Ok((url, pending)) => {
                        self.store.create_token(&token, Outcome::Pending(&pending)).await?;
                        return Ok(Started {
                            id: token.id,
                            status: TokenStatus::Pending,
                            auth_link: Some(url),
                            error: None,
                        });
                    }
                    Err(error) => error,
                }
            }
            Flow::ClientCredentials | Flow::Password => {
                let grant = if request.flow == Flow::Password { Grant::Password } else { Grant::ClientCredentials };
                let username = request.username.iter().map(|u| ("username".to_owned(), u.clone()));
                let password = request.password.iter().map(|p| ("password".to_owned(), p.clone()));
                let secrets: Vec<_> = username.chain(password).collect();
                let params = grant_params(&token.scopes, &token.inputs, &secrets);
                let call = self.runtime.request_token(&target, grant, &params).await;
                match call.map_err(|e| redacted(e, &target, &[request.password.as_deref()])) {
                    Ok(set) => {
                        let set = issued(set);
                        let saved = match (&request.username, &request.password) {
                            (Some(username), Some(password))
                                if request.flow == Flow::Password && saves_passwords(&provider.settings) =>
                            {
                                Some(PasswordCredentials { username: username.clone(), password: password.clone() })
                            }
                            _ => None,
                        };
                        let outcome = match &saved {
                            Some(credentials) => Outcome::IssuedSaving(&set, credentials),
                            None => Outcome::Issued(&set),
                        };
                        self.store.create_token(&token, outcome).await?;
                        self.emit_new(&token, EventKind::Active, None).await;
                        return Ok(Started { id: token.id, status: TokenStatus::Active, auth_link: None, error: None });
                    }
                    Err(error) => error,
                }
            }
        };
        if matches!(answer, CallError::Busy { .. }) {
            return Err(TokenError::Provider(answer));
        }
        let error = TokenError::Provider(answer);
        let (code, message) = (error.code().to_owned(), error.to_string());
        self.store.create_token(&token, Outcome::Failed(&code, &message)).await?;
        self.emit_new(&token, EventKind::Failed, Some((&code, &message))).await;
        Ok(Started { id: token.id, status: TokenStatus::Failed, auth_link: None, error: Some((code, message)) })
    }

    /// An authorization link and the pending authorization its callback needs.
    async fn link(
        &self,
        target: &Target,
        tenant_id: &str,
        token_id: &str,
        scopes: &[String],
        inputs: &[(String, String)],
    ) -> Result<(String, PendingAuthorization), CallError> {
        let state = new_state();
        let pkce = target.connector.as_ref().is_some_and(|c| c.pkce).then(pkce::new_pair);
        let request = AuthRequest {
            redirect_uri: self.redirect_uri.to_string(),
            state: state.clone(),
            scopes: scopes.to_vec(),
            code_challenge: pkce.as_ref().map(|(_, challenge)| challenge.clone()),
            extra: inputs.to_vec(),
        };
        let config = |message: String| CallError::OAuth(OauthError::Config(message));
        let hybrid = Hybrid::of(&target.client.settings).map_err(config)?;
        let link = self.runtime.build_auth_url(target, &request).await.map_err(|e| redacted(e, target, &[]))?;
        // The hybrid flow's nonce: random, single use with its state.
        let nonce = hybrid.map(|_| new_state());
        let url = match &nonce {
            Some(nonce) => hybrid::with_hybrid_parameters(&link.url, nonce).map_err(config)?,
            None => link.url,
        };
        let pending = PendingAuthorization {
            state_hash: state_hash(&state),
            tenant_id: tenant_id.to_owned(),
            token_id: token_id.to_owned(),
            redirect_uri: self.redirect_uri.to_string(),
            verifier: pkce.map(|(verifier, _)| verifier),
            pending: link.pending,
            nonce,
            expires_at: now() + STATE_LIFETIME_SECONDS,
        };
        Ok((url, pending))
    }

    /// Requests a token set anew without a redirect (reset) and stores the outcome.
    async fn request(&self, token: &TokenRecord, target: &Target) -> Result<Started, TokenError> {
        let params = grant_params(&token.scopes, &token.inputs, &[]);
        let call = self.runtime.request_token(target, Grant::ClientCredentials, &params).await;
        match call.map_err(|e| redacted(e, target, &[])) {
            Err(busy @ CallError::Busy { .. }) => Err(busy.into()),
            Ok(set) => {
                self.store.store_issued(&token.tenant_id, &token.id, &issued(set), None).await?;
                self.emit(token, EventKind::Active, None).await;
                Ok(Started { id: token.id.clone(), status: TokenStatus::Active, auth_link: None, error: None })
            }
            Err(error) => self.failed(token, error).await,
        }
    }

    /// Marks a token failed with the provider's error and reports it.
    async fn failed(&self, token: &TokenRecord, error: CallError) -> Result<Started, TokenError> {
        let error = TokenError::Provider(error);
        let (code, message) = (error.code().to_owned(), error.to_string());
        self.store.set_status(&token.tenant_id, &token.id, TokenStatus::Failed, Some((&code, &message))).await?;
        self.emit(token, EventKind::Failed, Some((&code, &message))).await;
        Ok(Started { id: token.id.clone(), status: TokenStatus::Failed, auth_link: None, error: Some((code, message)) })
    }

    /// The provider's redirect back (a GET). `expected_tenant` binds the
    /// state to a tenant when the caller knows it.
    pub async fn callback(
        &self,
        query: &[(String, String)],
        expected_tenant: Option<&str>,
    ) -> Result<Finished, TokenError> {
        self.finish(query, Delivery::Query, expected_tenant).await
    }

    /// The provider's answer posted back (`response_mode=form_post`): the
    /// only way a hybrid provider's answer is taken.
    pub async fn callback_posted(
        &self,
        form: &[(String, String)],
        expected_tenant: Option<&str>,
    ) -> Result<Finished, TokenError> {
        self.finish(form, Delivery::FormPost, expected_tenant).await
    }

    async fn finish(
        &self,
        params: &[(String, String)],
        delivery: Delivery,
        expected_tenant: Option<&str>,
    ) -> Result<Finished, TokenError> {
        let param = |key: &str| params.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str());
        let state = param("state").ok_or(TokenError::State("the callback has no state"))?;
        let pending = match self.store.take_pending(&state_hash(state), expected_tenant).await? {
            Taken::Fresh(pending) => pending,
            Taken::Unknown => return Err(TokenError::State("unknown state: start the authorization again")),
            Taken::Replayed => return Err(TokenError::State("this authorization was already used")),
            Taken::Expired => return Err(TokenError::State("the authorization expired: start it again")),
        };
        let token = self.token(&pending.tenant_id, &pending.token_id).await?;
        let finished =
            |status, error| Finished { tenant_id: token.tenant_id.clone(), token_id: token.id.clone(), status, error };
        let provider = self.store.provider_by_id(&token.tenant_id, &token.provider_id).await?;
        let target = self.target(&provider, token.client.as_deref()).await?;
        // A hybrid authorization is checked before anything it says is believed.
        let hybrid = match (&pending.nonce, Hybrid::of(&target.client.settings)) {
            (Some(nonce), Ok(Some(hybrid))) => Some(self.hybrid_check(&target, hybrid, nonce)),
            (Some(_), Ok(None)) => {
                let message = "the provider's RESPONSE_TYPE changed since this authorization started: start it again";
                return self.refuse(&token, "invalid_response_mode", message.to_owned()).await;
            }
            (Some(_), Err(message)) => return self.refuse(&token, "invalid_response_mode", message).await,
            (None, _) => None,
        };
        if let Some(check) = &hybrid
            && let Err(refusal) = check.delivery(delivery)
        {
            return self.refuse(&token, refusal.code, refusal.message).await;
        }
        if let Some(code) = param("error") {
            let message = param("error_description").unwrap_or(code).to_owned();
            return self.refuse(&token, code, message).await;
        }
        let issuer = provider.settings.iter().find(|(k, _)| k.eq_ignore_ascii_case("ISSUER")).map(|(_, v)| v.as_str());
        if let (Some(expected), Some(got)) = (issuer, param("iss"))
            && expected != got
        {
            // RFC 9207: a mix-up attack or a misconfiguration; never exchange the code.
            let message = format!("the authorization response came from issuer {got}, not {expected}");
            return self.refuse(&token, "invalid_issuer", message).await;
        }
        let subject = match &hybrid {
            Some(check) => match check.response(params).await {
                Ok(subject) => Some(subject),
                Err(refusal) => return self.refuse(&token, refusal.code, refusal.message).await,
            },
            None => None,
        };
        let keeps_serving = token.status == TokenStatus::Active;
        let callback = Callback {
            redirect_uri: pending.redirect_uri,
            query: params.iter().filter(|(k, _)| k != "id_token").cloned().collect(),
            code_verifier: pending.verifier,
            pending: pending.pending,
            extra: token.inputs.clone(),
        };
        let call = self.runtime.exchange_code(&target, &callback).await;
        let secrets = [param("code"), callback.code_verifier.as_deref()];
        match call.map_err(|e| redacted(e, &target, &secrets)) {
            Ok(set) => {
                let mut issued = issued(set);
                if let (Some(check), Some(subject)) = (&hybrid, &subject) {
                    match &issued.id_token {
                        Some(id_token) => {
                            if let Err(refusal) = check.exchanged(id_token, subject).await {
                                return self.refuse(&token, refusal.code, refusal.message).await;
                            }
                        }
                        None => issued.id_token = param("id_token").map(str::to_owned),
                    }
                }
                self.store_authorized(&token, &issued).await?;
                Ok(finished(TokenStatus::Active, None))
            }
            Err(error) if keeps_serving => {
                let error = TokenError::Provider(error);
                Ok(finished(TokenStatus::Active, Some((error.code().to_owned(), error.to_string()))))
            }
            Err(error) => {
                let started = self.failed(&token, error).await?;
                Ok(finished(TokenStatus::Failed, started.error))
            }
        }
    }

    /// What checks a hybrid authorization of `target`.
    fn hybrid_check<'a>(&'a self, target: &'a Target, hybrid: Hybrid<'a>, nonce: &'a str) -> hybrid::Check<'a> {
        hybrid::Check { runtime: &self.runtime, keys: &self.id_token_keys, target, hybrid, nonce }
    }

    /// Stores the token set an authorization issued.
    async fn store_authorized(&self, token: &TokenRecord, issued: &Issued) -> Result<(), TokenError> {
        self.store.store_issued(&token.tenant_id, &token.id, issued, None).await?;
        self.fresh.forget(&token.id);
        self.emit(token, EventKind::Active, None).await;
        Ok(())
    }

    /// A refused authorization response: the token fails with `code`,
    /// unless it is active (a forced re-authorization), which keeps it
    /// serving as it was.
    async fn refuse(&self, token: &TokenRecord, code: &str, message: String) -> Result<Finished, TokenError> {
        let keeps_serving = token.status == TokenStatus::Active;
        if !keeps_serving {
            self.store.set_status(&token.tenant_id, &token.id, TokenStatus::Failed, Some((code, &message))).await?;
            self.emit(token, EventKind::Failed, Some((code, &message))).await;
        }
        Ok(Finished {
            tenant_id: token.tenant_id.clone(),
            token_id: token.id.clone(),
            status: if keeps_serving { TokenStatus::Active } else { TokenStatus::Failed },
            error: Some((code.to_owned(), message)),
        })
    }

    /// A new authorization link for a token that failed or needs
    /// reauthorization (re-requesting a failed token). An active token is
    /// refused unless `force`: then it keeps serving until the new
    /// authorization completes.
    pub async fn retry(&self, tenant_id: &str, id: &str, force: bool) -> Result<Started, TokenError> {
        let token = self.token(tenant_id, id).await?;
        if token.flow != Flow::AuthorizationCode.as_str() {
            return Err(TokenError::Invalid(
                "retry re-authorizes authorization_code tokens: give a password token's username and password to \
                 request it anew, and reset a client_credentials token"
                    .into(),
            ));
        }
        let active = token.status == TokenStatus::Active;
        if active && !force {
            return Err(TokenError::Conflict(
                "the token is active: use refresh for a new access token, or retry with force to authorize it again \
                 (it keeps serving until the new authorization completes)"
                    .into(),
            ));
        }
        let provider = self.store.provider_by_id(tenant_id, &token.provider_id).await?;
        check_secret_current(&provider, token.client.as_deref())?;
        let target = self.target(&provider, token.client.as_deref()).await?;
        super::inputs::check_required(&target, &token.inputs)?;
        let (url, pending) = match self.link(&target, tenant_id, id, &token.scopes, &token.inputs).await {
            Ok(link) => link,
            Err(error) if active || matches!(error, CallError::Busy { .. }) => return Err(error.into()),
            Err(error) => return self.failed(&token, error).await,
        };
        self.store.insert_pending(&pending).await?;
        let status = if active { TokenStatus::Active } else { TokenStatus::Pending };
        if !active {
            self.store.set_status(tenant_id, id, TokenStatus::Pending, None).await?;
        }
        Ok(Started { id: token.id, status, auth_link: Some(url), error: None })
    }

    /// Re-requests a password-grant token with its user's current username
    /// and password (after the provider refused the saved ones, or the
    /// start failed): it keeps its name, scopes and inputs, and the
    /// credentials are saved where the provider says so. A token the
    /// provider refuses becomes failed, unless it was active: then it
    /// serves on as it was and the answer carries the refusal.
    pub async fn retry_password(
        &self,
        tenant_id: &str,
        id: &str,
        credentials: PasswordCredentials,
    ) -> Result<Started, TokenError> {
        let token = self.token(tenant_id, id).await?;
        if token.flow != Flow::Password.as_str() {
            return Err(TokenError::Invalid(format!(
                "a username and password re-request password tokens; this token uses {}: retry it without them",
                token.flow
            )));
        }
        let provider = self.store.provider_by_id(tenant_id, &token.provider_id).await?;
        check_password_allowed(&provider)?;
        check_secret_current(&provider, token.client.as_deref())?;
        let target = self.target(&provider, token.client.as_deref()).await?;
        let secrets = [
            ("username".to_owned(), credentials.username.clone()),
            ("password".to_owned(), credentials.password.clone()),
        ];
        let params = grant_params(&token.scopes, &token.inputs, &secrets);
        let call = self.runtime.request_token(&target, Grant::Password, &params).await;
        match call.map_err(|e| redacted(e, &target, &[Some(&credentials.password)])) {
            Err(busy @ CallError::Busy { .. }) => Err(busy.into()),
            Ok(set) => {
                let save = saves_passwords(&provider.settings);
                self.store.store_password_grant(tenant_id, id, &issued(set), &credentials, save).await?;
                self.fresh.forget(id);
                self.emit(&token, EventKind::Active, None).await;
                Ok(Started { id: token.id.clone(), status: TokenStatus::Active, auth_link: None, error: None })
            }
            Err(error) if token.status == TokenStatus::Active => {
                let error = TokenError::Provider(error);
                let refusal = Some((error.code().to_owned(), error.to_string()));
                Ok(Started { id: token.id, status: TokenStatus::Active, auth_link: None, error: refusal })
            }
            Err(error) => self.failed(&token, error).await,
        }
    }

    /// ResetClientCredentialsToken: revokes where the provider can, then
    /// requests anew with the given scopes, resource and additional values.
    pub async fn reset(
        &self,
        tenant_id: &str,
        id: &str,
        scopes: Option<Vec<String>>,
        resource: Option<String>,
        additional: Vec<(String, String)>,
    ) -> Result<Started, TokenError> {
        self.fresh.forget(id);
        let token = self.token(tenant_id, id).await?;
        if token.flow != Flow::ClientCredentials.as_str() {
            return Err(TokenError::Invalid(format!(
                "reset requests client_credentials tokens anew; this token uses {}",
                token.flow
            )));
        }
        let target = self.target_of(&token).await?;
        let scopes = scopes.unwrap_or_else(|| token.scopes.clone());
        let mut inputs: Vec<(String, String)> = resource.map(|r| ("resource".to_owned(), r)).into_iter().collect();
        inputs.extend(additional);
        super::inputs::check_required(&target, &inputs)?;
        self.revoke_quietly(&target, &token).await;
        self.store.set_token_request(tenant_id, id, &scopes, &inputs).await?;
        let token = self.token(tenant_id, id).await?;
        let started = self.request(&token, &target).await;
        self.fresh.forget(id);
        started
    }

    /// Renames a token.
    pub async fn rename(&self, tenant_id: &str, id: &str, name: &str) -> Result<(), TokenError> {
        check_token_name(name)?;
        Ok(self.store.rename_token(tenant_id, id, name).await?)
    }

    /// Deletes a token, revoking it at the provider where it can; a token
    /// the provider could not revoke is deleted all the same (logged).
    pub async fn delete(&self, tenant_id: &str, id: &str) -> Result<(), TokenError> {
        self.fresh.forget(id);
        let token = self.token(tenant_id, id).await?;
        if token.access_token.is_some() || token.refresh_token.is_some() {
            let target = self.target_of(&token).await?;
            self.revoke_quietly(&target, &token).await;
        }
        self.forget(tenant_id, id).await
    }

    /// Revokes a token's grant at the provider, keeping the token; fails
    /// when the provider could not be reached or refused, so the caller
    /// can decide whether to delete it anyway.
    pub async fn revoke(&self, tenant_id: &str, id: &str) -> Result<Revocation, TokenError> {
        let token = self.token(tenant_id, id).await?;
        if token.access_token.is_none() && token.refresh_token.is_none() {
            return Ok(Revocation::NothingHeld);
        }
        let target = self.target_of(&token).await?;
        Ok(self.revoke_at(&target, &token).await?)
    }

    /// Deletes a token without asking the provider.
    pub async fn forget(&self, tenant_id: &str, id: &str) -> Result<(), TokenError> {
        self.fresh.forget(id);
        self.store.delete_token(tenant_id, id).await?;
        self.fresh.forget(id);
        Ok(())
    }

    /// Asks the provider whether the token is still good.
    pub async fn validate(&self, tenant_id: &str, id: &str) -> Result<Validation, TokenError> {
        let token = self.token(tenant_id, id).await?;
        let target = self.target_of(&token).await?;
        let call = self.runtime.validate(&target, &token_set(&token)).await;
        Ok(call.map_err(|e| redacted(e, &target, &token_secrets(&token)))?)
    }

    /// Revokes if the connector can; a provider that cannot is no reason
    /// to keep a token the user wants gone.
    async fn revoke_quietly(&self, target: &Target, token: &TokenRecord) {
        if token.access_token.is_none() && token.refresh_token.is_none() {
            return;
        }
        if let Err(error) = self.revoke_at(target, token).await {
            tracing::info!(token = %token.id, %error, "token not revoked at the provider");
        }
    }

    /// Asks the provider to revoke `token`; its error carries no secret of the token.
    async fn revoke_at(&self, target: &Target, token: &TokenRecord) -> Result<Revocation, CallError> {
        let secrets = token_secrets(token);
        match self.runtime.revoke(target, &token_set(token)).await.map_err(|e| redacted(e, target, &secrets)) {
            Ok(()) => Ok(Revocation::Revoked),
            Err(CallError::OAuth(OauthError::Unsupported(_))) => Ok(Revocation::NotOffered),
            Err(error) => Err(error),
        }
    }
}

/// What a revocation at the provider came to, when it did not fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Revocation {
    /// The provider revoked the grant.
    Revoked,
    /// The connector offers no revocation: the grant lives on at the
    /// provider until it expires or the user ends it there.
    NotOffered,
    /// The token held nothing to revoke (never authorized).
    NothingHeld,
}

impl Revocation {
    /// Its name in JSON output: `revoked`, `not_offered`, `nothing_held`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Revoked => "revoked",
            Self::NotOffered => "not_offered",
            Self::NothingHeld => "nothing_held",
        }
    }
}

/// The parameters of a grant without a redirect: the user's credentials
/// (password grant), the scopes, and the token's own inputs.
pub(super) fn grant_params(
    scopes: &[String],
    inputs: &[(String, String)],
    secrets: &[(String, String)],
) -> Vec<(String, String)> {
    let mut params = secrets.to_vec();
    if !scopes.is_empty() {
        params.push(("scope".into(), scopes.join(" ")));
    }
    params.extend(inputs.iter().cloned());
    params
}

/// Refuses the password grant with a provider whose settings do not allow it.
fn check_password_allowed(provider: &Provider) -> Result<(), TokenError> {
    match allows_password_grant(&provider.settings) {
        true => Ok(()),
        false => Err(TokenError::Invalid(format!(
            "provider {}/{} does not allow the password grant: set ALLOW_PASSWORD_GRANT to true (RFC 9700 advises against it)",
            provider.connector, provider.display_name
        ))),
    }
}

/// Refuses a new authorization with a provider whose client secret is past
/// its `CLIENT_SECRET_EXPIRES_AT`, unless the token brings its own secret.
/// Refreshes are not refused: the provider decides those.
fn check_secret_current(provider: &Provider, client: Option<&[(String, String)]>) -> Result<(), TokenError> {
    let own_secret = client.unwrap_or_default().iter().any(|(k, _)| k.eq_ignore_ascii_case("CLIENT_SECRET"));
    match expires_at(&provider.settings) {
        Some(at) if at <= now() && !own_secret => Err(TokenError::SecretExpired(format!(
            "the client secret of provider {:?} of connector {:?} expired on {}: load a new CLIENT_SECRET \
             (and CLIENT_SECRET_EXPIRES_AT) with `flowauth oauth load --update FILE` or POST .../oauth-configurations?mode=update",
            provider.display_name,
            provider.connector,
            format_expiry(at)
        ))),
        _ => Ok(()),
    }
}
