//! Where each operation sends its request: the definition's URL, unless a
//! provider setting overrides it, made absolute against `base_url`.

use flowauth_sdk::{OauthError, error};

use crate::vars::Vars;

/// One of the definition's endpoints.
#[derive(Debug, Clone, Copy)]
pub enum Endpoint {
    Authorize,
    Token,
    Refresh,
    Validate,
    Revoke,
}

impl Endpoint {
    /// The settings that override this endpoint, most specific first
    /// (OSLC's load file says `OAUTH_URL` where HTTP's says `AUTH_URL`).
    fn setting_keys(self) -> &'static [&'static str] {
        match self {
            Self::Authorize => &["AUTH_URL", "OAUTH_URL"],
            Self::Token => &["TOKEN_URL"],
            Self::Refresh => &["REFRESH_URL", "TOKEN_URL"],
            Self::Validate => &["VALIDATE_URL"],
            Self::Revoke => &["REVOKE_URL"],
        }
    }

    fn label(self) -> &'static str {
        match self {
            Self::Authorize => "the authorization URL",
            Self::Token => "the token URL",
            Self::Refresh => "the refresh URL",
            Self::Validate => "the validation URL",
            Self::Revoke => "the revocation URL",
        }
    }

    /// The absolute URL, or `None` when neither the definition nor the
    /// settings configure this endpoint.
    pub fn url(self, vars: &Vars) -> Result<Option<String>, OauthError> {
        let definition = vars.definition;
        let from_definition = match self {
            Self::Authorize => &definition.auth_url,
            Self::Token => &definition.token_url,
            Self::Refresh if definition.refresh_url.is_empty() => &definition.token_url,
            Self::Refresh => &definition.refresh_url,
            Self::Validate => &definition.validate_url,
            Self::Revoke => &definition.revoke_url,
        };
        let template = self.setting_keys().iter().find_map(|key| vars.setting(key)).unwrap_or(from_definition);
        if template.trim().is_empty() {
            return Ok(None);
        }
        let rendered = vars.render(self.label(), template)?;
        if is_absolute(&rendered) {
            return Ok(Some(rendered));
        }
        let base_template = vars
            .setting("BASE_URL")
            .or_else(|| (!definition.base_url.is_empty()).then_some(definition.base_url.as_str()))
            .or_else(|| vars.setting("RESOURCE_URL"))
            .ok_or_else(|| {
                error::config(format!(
                    "{} {rendered:?} is relative, and there is no BASE_URL to resolve it against",
                    self.label()
                ))
            })?;
        let base = vars.render("the base URL", base_template)?;
        if !is_absolute(&base) {
            return Err(error::config(format!("the base URL {base:?} must start with https://")));
        }
        Ok(Some(format!("{}/{}", base.trim_end_matches('/'), rendered.trim_start_matches('/'))))
    }

    /// Like [`url`](Self::url), but a missing endpoint is a config error.
    pub fn required_url(self, vars: &Vars) -> Result<String, OauthError> {
        self.url(vars)?.ok_or_else(|| {
            error::config(format!(
                "{} is not configured: set {} in the provider settings",
                self.label(),
                self.setting_keys()[0]
            ))
        })
    }
}

fn is_absolute(url: &str) -> bool {
    let lower = url.get(..8).unwrap_or(url).to_ascii_lowercase();
    lower.starts_with("https://") || lower.starts_with("http://")
}
