//! Connect sessions, as Nango's Connect UI does them: an app asks for a
//! short-lived, single-use link for one token; its user opens the link
//! without any key, gives the connector's inputs (a Zendesk subdomain)
//! and is sent to the provider; the callback sends them back to the app's
//! `return_to`, on an origin the tenant allowed, with the token's id.

use crate::runtime::{Grant, Setting};
use crate::store::{ConnectSession, NewConnectSession, Tenant, Visited, now};

use super::{Finished, Flow, StartRequest, TokenError, TokenService, check_token_name, new_state, state_hash};

/// How long a connect link works: long enough to open it, short enough
/// that a leaked one is soon worthless.
pub const CONNECT_SESSION_LIFETIME_SECONDS: i64 = 900;

/// The most return origins a tenant may allow.
const MAX_ORIGINS: usize = 100;

/// What an app asks a link for (as `POST .../connect-sessions` takes it).
#[allow(missing_docs)]
#[derive(Debug, Clone)]
pub struct ConnectRequest {
    pub connector: String,
    /// The provider's display name.
    pub provider: String,
    /// The name the token gets (unique within the tenant).
    pub name: String,
    pub scopes: Vec<String>,
    /// Where the user lands afterwards, with `token_id` and `status` (or `error`).
    pub return_to: String,
}

/// A new session and the secret of its link (never stored, shown once).
#[allow(missing_docs)]
#[derive(Debug, Clone)]
pub struct CreatedSession {
    pub id: String,
    pub secret: String,
    pub expires_at: i64,
}

/// What the link's page shows: the session and the inputs its connector asks for.
#[allow(missing_docs)]
#[derive(Debug, Clone)]
pub struct ConnectForm {
    pub session: ConnectSession,
    /// The connector's human name.
    pub title: String,
    pub inputs: Vec<Setting>,
}

/// What opening (or submitting) a link found.
#[derive(Debug, Clone)]
pub enum ConnectVisit {
    /// The form to show; with the required inputs that were missing when
    /// a submission left some out (the link is then still unused).
    Form(Box<ConnectForm>, Vec<String>),
    /// Submitted: send the user here (the provider, or `return_to` when
    /// the provider refused at once).
    Redirect(String),
    /// The link was used before.
    Used,
    /// The link expired.
    Expired,
    /// No such link.
    Unknown,
}

/// A return origin as it is compared: scheme, host and port, nothing else.
pub fn origin(text: &str) -> Result<String, TokenError> {
    let bad = |why: &str| {
        TokenError::Invalid(format!(
            "origin {:?} {why}: give scheme, host and port only, e.g. https://app.example.com",
            text.chars().take(200).collect::<String>()
        ))
    };
    let url = url::Url::parse(text.trim()).map_err(|_| bad("is not a URL"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(bad("is not an http or https origin"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(bad("has a user name or password"));
    }
    if url.path() != "/" || url.query().is_some() || url.fragment().is_some() {
        return Err(bad("has a path, query or fragment"));
    }
    Ok(url.origin().ascii_serialization())
}

/// `return_to` with the outcome of the authorization in its query.
fn back_to(return_to: &str, done: &Finished) -> String {
    let Ok(mut url) = url::Url::parse(return_to) else { return return_to.to_owned() };
    {
        let mut query = url.query_pairs_mut();
        query.append_pair("token_id", &done.token_id).append_pair("status", done.status.as_str());
        if let Some((code, _)) = &done.error {
            query.append_pair("error", code);
        }
    }
    url.into()
}

impl TokenService {
    /// Replaces the origins a tenant's links may return to; answers them normalized.
    pub async fn set_connect_origins(&self, tenant_id: &str, given: &[String]) -> Result<Vec<String>, TokenError> {
        if given.len() > MAX_ORIGINS {
            return Err(TokenError::Invalid(format!("at most {MAX_ORIGINS} origins")));
        }
        let mut origins = given.iter().map(|o| origin(o)).collect::<Result<Vec<_>, _>>()?;
        origins.sort();
        origins.dedup();
        self.store.set_connect_origins(tenant_id, &origins).await?;
        Ok(origins)
    }

    /// A link for a tenant's user to connect one token.
    pub async fn create_connect_session(
        &self,
        tenant: &Tenant,
        request: ConnectRequest,
    ) -> Result<CreatedSession, TokenError> {
        let allowed = self.store.connect_origins(&tenant.id).await?;
        let return_origin = url::Url::parse(&request.return_to)
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https"))
            .map(|u| u.origin().ascii_serialization())
            .ok_or_else(|| TokenError::Invalid("return_to must be an absolute http or https URL".into()))?;
        if !allowed.contains(&return_origin) {
            return Err(TokenError::NotAllowed(format!(
                "return_to is on {return_origin}, which this tenant does not allow: add it with \
                 PUT /v1/tenants/{}/connect-settings {{\"allowed_return_origins\": [..., \"{return_origin}\"]}}",
                tenant.name
            )));
        }
        check_token_name(&request.name)?;
        if self.store.token_id_by_name(&tenant.id, &request.name).await?.is_some() {
            return Err(TokenError::Conflict(format!(
                "a token named {:?} exists already: token names are unique within a tenant",
                request.name
            )));
        }
        if self.store.provider(&tenant.id, &request.connector, &request.provider).await?.is_none() {
            return Err(TokenError::NotFound(format!("provider {}/{}", request.connector, request.provider)));
        }
        let connector = self.resolve(&tenant.id, &request.connector).await?.connector;
        if !connector.grants.contains(&Grant::AuthorizationCode) {
            return Err(TokenError::Invalid(format!(
                "connector {} has no authorization code flow: start its tokens with POST /v1/tenants/{}/tokens",
                connector.name, tenant.name
            )));
        }
        let secret = new_state();
        let new = NewConnectSession {
            secret_hash: state_hash(&secret),
            tenant_id: tenant.id.clone(),
            connector: request.connector,
            provider: request.provider,
            name: request.name,
            scopes: request.scopes,
            return_to: request.return_to,
            expires_at: now() + CONNECT_SESSION_LIFETIME_SECONDS,
        };
        let session = self.store.create_connect_session(&new).await?;
        Ok(CreatedSession { id: session.id, secret, expires_at: session.expires_at })
    }

    /// What the link of `secret` shows, without using it.
    pub async fn open_connect_session(&self, secret: &str) -> Result<ConnectVisit, TokenError> {
        match self.store.connect_session(&state_hash(secret)).await? {
            Visited::Open(session) => Ok(ConnectVisit::Form(Box::new(self.connect_form(*session).await?), Vec::new())),
            other => Ok(refused(other)),
        }
    }

    async fn connect_form(&self, session: ConnectSession) -> Result<ConnectForm, TokenError> {
        let connector = self.resolve(&session.tenant_id, &session.connector).await?.connector;
        Ok(ConnectForm { session, title: connector.title, inputs: connector.inputs })
    }

    /// Submits the link of `secret` with the user's `inputs`: uses it up
    /// and starts its token. A submission missing a required input shows
    /// the form again and leaves the link unused.
    pub async fn start_connect_session(
        &self,
        secret: &str,
        inputs: &[(String, String)],
    ) -> Result<ConnectVisit, TokenError> {
        let hash = state_hash(secret);
        let form = match self.store.connect_session(&hash).await? {
            Visited::Open(session) => self.connect_form(*session).await?,
            other => return Ok(refused(other)),
        };
        let given = |key: &str| inputs.iter().find(|(k, _)| k == key).map(|(_, v)| v.trim()).filter(|v| !v.is_empty());
        let missing: Vec<String> = form
            .inputs
            .iter()
            .filter(|i| i.required && i.default.is_none() && given(&i.key).is_none())
            .map(|i| i.key.clone())
            .collect();
        if !missing.is_empty() {
            return Ok(ConnectVisit::Form(Box::new(form), missing));
        }
        let session = match self.store.take_connect_session(&hash).await? {
            Visited::Open(session) => session,
            other => return Ok(refused(other)),
        };
        let tenant = self
            .store
            .tenant_by_id(&session.tenant_id)
            .await?
            .ok_or_else(|| TokenError::NotFound("this link's tenant".into()))?;
        let additional = form.inputs.iter().filter_map(|i| Some((i.key.clone(), given(&i.key)?.to_owned()))).collect();
        let request = StartRequest {
            name: session.name.clone(),
            connector: session.connector.clone(),
            provider: session.provider.clone(),
            flow: Flow::AuthorizationCode,
            scopes: session.scopes.clone(),
            additional,
            use_default_keys: true,
            ..StartRequest::default()
        };
        let started = self.start(&tenant, request).await?;
        self.store.connect_session_started(&session.id, &started.id).await?;
        if let Some(link) = started.auth_link {
            return Ok(ConnectVisit::Redirect(link));
        }
        let done =
            Finished { tenant_id: tenant.id, token_id: started.id, status: started.status, error: started.error };
        Ok(ConnectVisit::Redirect(self.finish_connect_session(&done).await?.unwrap_or(session.return_to)))
    }

    /// Where the user goes once the authorization of a token a connect
    /// link started is finished: its `return_to` with the outcome, once;
    /// `None` for tokens no link started.
    pub async fn finish_connect_session(&self, done: &Finished) -> Result<Option<String>, TokenError> {
        let return_to = self.store.finish_connect_session(&done.tenant_id, &done.token_id).await?;
        Ok(return_to.map(|r| back_to(&r, done)))
    }
}

fn refused(visited: Visited) -> ConnectVisit {
    match visited {
        Visited::Used => ConnectVisit::Used,
        Visited::Expired => ConnectVisit::Expired,
        Visited::Unknown | Visited::Open(_) => ConnectVisit::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::TokenStatus;

    #[test]
    fn origins_are_scheme_host_and_port_only() {
        assert_eq!(origin("https://App.Example.com").unwrap(), "https://app.example.com");
        assert_eq!(origin("https://app.example.com:443/").unwrap(), "https://app.example.com");
        assert_eq!(origin("http://127.0.0.1:8080").unwrap(), "http://127.0.0.1:8080");
        for bad in ["https://app.example.com/path", "ftp://x", "app.example.com", "https://u:p@x", "https://x/?a=1"] {
            assert!(origin(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn return_to_keeps_its_query_and_gets_the_outcome() {
        let done = Finished {
            tenant_id: "t".into(),
            token_id: "abc".into(),
            status: TokenStatus::Failed,
            error: Some(("access_denied".into(), "no".into())),
        };
        assert_eq!(
            back_to("https://app.example.com/done?x=1", &done),
            "https://app.example.com/done?x=1&token_id=abc&status=failed&error=access_denied"
        );
    }
}
