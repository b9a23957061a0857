//! The OpenID Connect hybrid flow, for providers set with
//! `RESPONSE_TYPE=code id_token` (and their `ISSUER`): the auth link asks
//! for a code and an ID token, answered by `form_post`, bound to a random
//! single-use `nonce`; the callback verifies the ID token before the code
//! is exchanged (OpenID Connect Core 3.3). Whatever the component builds,
//! the host owns these parameters, so every family can serve the flow.

mod id_token;
mod keys;
mod link;

use crate::runtime::{Runtime, Target};

pub use keys::KeyCache;
pub use link::with_hybrid_parameters;

/// The provider setting that turns the hybrid flow on.
pub const RESPONSE_TYPE_SETTING: &str = "RESPONSE_TYPE";

/// How the authorization response reached the callback.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// In the query of a GET (a redirect).
    Query,
    /// In an `application/x-www-form-urlencoded` POST (`response_mode=form_post`).
    FormPost,
}

/// Why an authorization response was refused: a stable code and what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// `invalid_id_token`, `invalid_nonce`, `invalid_c_hash`,
    /// `invalid_response_mode` or `discovery_failed`.
    pub code: &'static str,
    pub message: String,
}

impl Refusal {
    pub fn new(code: &'static str, message: String) -> Self {
        Self { code, message }
    }
}

/// A provider's hybrid configuration, read from its settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hybrid<'a> {
    /// The IdP's issuer: the `iss` of its ID tokens, the base of discovery.
    pub issuer: &'a str,
    /// The client the ID tokens must be for.
    pub client_id: &'a str,
}

fn setting<'a>(settings: &'a [(String, String)], key: &str) -> Option<&'a str> {
    settings.iter().find(|(k, _)| k.eq_ignore_ascii_case(key)).map(|(_, v)| v.as_str()).filter(|v| !v.is_empty())
}

/// Whether a `RESPONSE_TYPE` value asks for the hybrid flow; `None` when
/// it is neither `code` nor `code id_token` (in any order).
fn is_hybrid(response_type: &str) -> Option<bool> {
    let mut parts: Vec<&str> = response_type.split_whitespace().collect();
    parts.sort_unstable();
    match parts.as_slice() {
        ["code"] => Some(false),
        ["code", "id_token"] => Some(true),
        _ => None,
    }
}

impl<'a> Hybrid<'a> {
    /// The hybrid configuration of these settings (a target's client's:
    /// the provider's, with a token's own client id), if it asks for it.
    pub fn of(settings: &'a [(String, String)]) -> Result<Option<Self>, String> {
        let Some(response_type) = setting(settings, RESPONSE_TYPE_SETTING) else { return Ok(None) };
        if is_hybrid(response_type) != Some(true) {
            return Ok(None);
        }
        let issuer = setting(settings, "ISSUER").ok_or_else(|| {
            "RESPONSE_TYPE is `code id_token` but ISSUER is not set: load the IdP's issuer URL as ISSUER (its ID \
             tokens' iss, and the base of its /.well-known/openid-configuration)"
                .to_owned()
        })?;
        Ok(Some(Self { issuer, client_id: setting(settings, "CLIENT_ID").unwrap_or_default() }))
    }
}

/// Checks a provider's settings as a load file leaves them: `RESPONSE_TYPE`
/// is `code` or `code id_token`, and the latter has an http(s) `ISSUER`.
/// On error, the setting to fix and why.
pub fn check_settings(settings: &[(String, String)]) -> Result<(), (&'static str, String)> {
    let Some(response_type) = setting(settings, RESPONSE_TYPE_SETTING) else { return Ok(()) };
    if is_hybrid(response_type).is_none() {
        return Err((
            RESPONSE_TYPE_SETTING,
            format!(
                "must be `code` (the default) or `code id_token` (the OpenID Connect hybrid flow), not {response_type:?}"
            ),
        ));
    }
    let hybrid = Hybrid::of(settings).map_err(|message| (RESPONSE_TYPE_SETTING, message))?;
    if let Some(hybrid) = hybrid {
        let url = url::Url::parse(hybrid.issuer).ok().filter(|u| matches!(u.scheme(), "https" | "http"));
        if url.is_none_or(|u| u.query().is_some() || u.fragment().is_some()) {
            return Err((
                "ISSUER",
                format!(
                    "must be the IdP's issuer, an absolute https URL without query or fragment, not {:?}",
                    hybrid.issuer
                ),
            ));
        }
    }
    Ok(())
}

/// What the callback checks of a hybrid response: the ID token that came
/// with the code, before the code is exchanged, and the one the token
/// endpoint may return, after.
pub struct Check<'a> {
    pub runtime: &'a Runtime,
    pub keys: &'a KeyCache,
    pub target: &'a Target,
    pub hybrid: Hybrid<'a>,
    pub nonce: &'a str,
}

impl Check<'_> {
    /// How the response came: a hybrid provider answers by `form_post`.
    pub fn delivery(&self, delivery: Delivery) -> Result<(), Refusal> {
        match delivery {
            Delivery::FormPost => Ok(()),
            Delivery::Query => Err(Refusal::new(
                "invalid_response_mode",
                "this provider uses the hybrid flow (RESPONSE_TYPE=code id_token): its answer must come by \
                 form_post (a POST), not in the query of a GET; check that the IdP honours response_mode=form_post, \
                 then start the authorization again"
                    .into(),
            )),
        }
    }

    /// The front-channel response: an ID token that verifies, whose
    /// `nonce` is this authorization's and whose `c_hash` is the code's.
    /// Returns the ID token's subject.
    pub async fn response(&self, params: &[(String, String)]) -> Result<String, Refusal> {
        let param = |key: &str| params.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str());
        let id_token = param("id_token").ok_or_else(|| {
            Refusal::new(
                "invalid_id_token",
                "the provider answered without an id_token: allow the response type `code id_token` for this \
                 client at the IdP"
                    .into(),
            )
        })?;
        let code = param("code").ok_or_else(|| {
            Refusal::new("invalid_id_token", "the provider answered with an id_token but without a code".into())
        })?;
        self.id_token(id_token, Some(code)).await
    }

    /// The ID token of the token endpoint's answer, when it sent one: it
    /// must verify as well and name the same subject.
    pub async fn exchanged(&self, id_token: &str, subject: &str) -> Result<(), Refusal> {
        let sub = self.id_token(id_token, None).await?;
        if sub != subject {
            return Err(Refusal::new(
                "invalid_id_token",
                format!("the token endpoint's id_token is about subject {sub:?}, not {subject:?} of the authorization"),
            ));
        }
        Ok(())
    }

    async fn id_token(&self, id_token: &str, code: Option<&str>) -> Result<String, Refusal> {
        let signed = id_token::header(id_token)?;
        let key = self.keys.key(self.runtime, self.target, self.hybrid.issuer, &signed).await?;
        let expected = id_token::Expected {
            issuer: self.hybrid.issuer,
            client_id: self.hybrid.client_id,
            nonce: self.nonce,
            code,
        };
        Ok(id_token::verify(id_token, &signed, &key, expected)?.sub)
    }
}
