//! A standard OAuth 2.0 connector as data: endpoints, parameters, client
//! authentication, scopes, settings. [`standard`](crate::standard) runs it;
//! a family adds only its quirks (see [`Family`](crate::standard::Family)).
//!
//! Endpoints are paths under the provider's base URL, or absolute URLs
//! where a provider spreads over several hosts. An admin's `BASE_URL`
//! setting moves every endpoint: the path of each is kept under it (a
//! sovereign cloud, GitHub Enterprise, a test server on loopback).
//! Values may hold `{placeholders}`: per-token inputs (`{tenant}`),
//! settings (`{RESOURCE_URL}`) or the call's own values (`{client_id}`).

use crate::client_auth::{self, ClientAuth};
use crate::{Connector, Grant, Setting, prompt};

/// A value the admin (setting) or the user (per-token input) supplies.
#[derive(Debug, Clone, Copy)]
pub struct Field {
    /// The load-file key (`RESOURCE_URL`) or input id (`tenant`).
    pub key: &'static str,
    /// Whether a value must be given (a default counts as given).
    pub required: bool,
    /// Whether the host must seal it and never show it.
    pub secret: bool,
    /// One sentence for the admin or user.
    pub description: &'static str,
    /// The value used when none is given.
    pub default: Option<&'static str>,
}

impl Field {
    /// A value that must be given.
    pub const fn required(key: &'static str, description: &'static str) -> Self {
        Self { key, required: true, secret: false, description, default: None }
    }

    /// A value that may be left out.
    pub const fn optional(key: &'static str, description: &'static str) -> Self {
        Self { key, required: false, secret: false, description, default: None }
    }

    /// An optional value with a default.
    pub const fn default(key: &'static str, default: &'static str, description: &'static str) -> Self {
        Self { key, required: false, secret: false, description, default: Some(default) }
    }

    /// A required secret.
    pub const fn secret(key: &'static str, description: &'static str) -> Self {
        Self { key, required: true, secret: true, description, default: None }
    }

    /// The record the host sees.
    pub fn setting(&self) -> Setting {
        Setting {
            key: self.key.to_owned(),
            required: self.required,
            secret: self.secret,
            description: self.description.to_owned(),
            default: self.default.map(str::to_owned),
        }
    }
}

/// How a connector checks that a token is still good.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Validate {
    /// The provider offers no check.
    None,
    /// RFC 7662 token introspection at this endpoint.
    Introspect(&'static str),
    /// A `GET` with the token as bearer: 2xx active, 401/403 inactive
    /// (GitLab's token info, Microsoft Graph's `/me`).
    Bearer(&'static str),
    /// Google's tokeninfo: the token posted as `access_token`; 200 active
    /// with `expires_in`, `scope` and `sub`, 400 `invalid_token` inactive.
    TokenInfo(&'static str),
    /// GitHub's check of an OAuth app's token: `POST` with the client's
    /// basic authentication and `{"access_token": ...}`; 200 active, 404
    /// inactive.
    ClientJson(&'static str),
}

impl Validate {
    /// The endpoint, if any.
    pub fn endpoint(self) -> Option<&'static str> {
        match self {
            Self::None => None,
            Self::Introspect(url) | Self::Bearer(url) | Self::TokenInfo(url) | Self::ClientJson(url) => Some(url),
        }
    }
}

/// How a connector ends a grant at the provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Revoke {
    /// The provider offers no revocation.
    None,
    /// RFC 7009 at this endpoint: the refresh token when there is one,
    /// since that ends the whole grant.
    Rfc7009(&'static str),
    /// `(method, endpoint)` called with each access token of the grant as
    /// bearer (Dropbox's `POST /2/auth/token/revoke`, Slack's `auth.revoke`,
    /// Zendesk's `DELETE /api/v2/oauth/tokens/current.json`).
    Bearer(&'static str, &'static str),
    /// `(method, endpoint)` called with the client's basic authentication
    /// and `{"access_token": ...}` (GitHub's `DELETE /applications/{client_id}/grant`).
    ClientJson(&'static str, &'static str),
}

impl Revoke {
    /// The endpoint, if any.
    pub fn endpoint(self) -> Option<&'static str> {
        match self {
            Self::None => None,
            Self::Rfc7009(url) | Self::Bearer(_, url) | Self::ClientJson(_, url) => Some(url),
        }
    }
}

/// One connector of a standard OAuth 2.0 family.
#[derive(Debug, Clone, Copy)]
pub struct Declaration {
    /// The load-file key (`google_gmail`).
    pub name: &'static str,
    /// The display name (`Gmail`).
    pub title: &'static str,
    /// The default of the `BASE_URL` setting; empty makes `BASE_URL`
    /// required (self-hosted servers such as PingFederate).
    pub base_url: &'static str,
    /// The authorization endpoint.
    pub authorize: &'static str,
    /// The token endpoint (code exchange, refresh, client credentials).
    pub token: &'static str,
    /// How grants are revoked.
    pub revoke: Revoke,
    /// How tokens are validated.
    pub validate: Validate,
    /// Parameters added to every authorization URL; values are templates
    /// and pairs that render empty are left out.
    pub authorize_params: &'static [(&'static str, &'static str)],
    /// Parameters added to every token request (code, refresh, client
    /// credentials); templates as above.
    pub token_params: &'static [(&'static str, &'static str)],
    /// How the client authenticates at the token endpoint.
    pub client_auth: ClientAuth,
    /// What joins scopes in the `scope` parameter (`" "` or `","`).
    pub scope_separator: &'static str,
    /// Whether the provider accepts PKCE (S256).
    pub pkce: bool,
    /// Scopes the user can pick from: (scope, description).
    pub scopes: &'static [(&'static str, &'static str)],
    /// Scopes asked for when neither the user nor `SCOPE` names any.
    pub default_scopes: &'static [&'static str],
    /// Settings beyond `CLIENT_ID`, `CLIENT_SECRET`, `BASE_URL`, `SCOPE`,
    /// `CLIENT_AUTH` and `PROMPT`.
    pub settings: &'static [Field],
    /// Per-token inputs (`tenant`, `subdomain`, ...).
    pub inputs: &'static [Field],
    /// Hosts beyond those of the absolute endpoints (`*.zendesk.com`).
    /// `{name}` stands for the host a per-token input or setting of that
    /// name gives (GitLab's `{host}`); the flowauth host allows it per call.
    pub hosts: &'static [&'static str],
    /// The grants served.
    pub grants: &'static [Grant],
}

/// The grants of a provider where users sign in and tokens refresh.
pub const USER_GRANTS: &[Grant] = &[Grant::AuthorizationCode, Grant::RefreshToken];

impl Declaration {
    /// A plain provider: client secret in the body, space-separated scopes,
    /// code and refresh grants; override with `..Declaration::OAUTH2`.
    pub const OAUTH2: Declaration = Declaration {
        name: "",
        title: "",
        base_url: "",
        authorize: "/authorize",
        token: "/token",
        revoke: Revoke::None,
        validate: Validate::None,
        authorize_params: &[],
        token_params: &[],
        client_auth: ClientAuth::Body,
        scope_separator: " ",
        pkce: false,
        scopes: &[],
        default_scopes: &[],
        settings: &[],
        inputs: &[],
        hosts: &[],
        grants: USER_GRANTS,
    };

    /// Every setting: the standard six, then the connector's own.
    pub fn all_settings(&self) -> Vec<Setting> {
        let base_url = match self.base_url {
            "" => Field::required("BASE_URL", "The authorization server's URL, endpoint paths are kept under it"),
            default => Field::default(
                "BASE_URL",
                default,
                "Moves the provider's endpoints (sovereign clouds, enterprise servers, tests); their paths are kept",
            ),
        };
        let standard = [
            Field::required("CLIENT_ID", "The client id of the OAuth application registered at the provider"),
            Field::secret(
                "CLIENT_SECRET",
                "The client secret of that application (none with CLIENT_AUTH private_key_jwt or none)",
            ),
            base_url,
            Field::optional("SCOPE", "Scopes to request instead of the defaults, separated by spaces or commas"),
            Field::optional(client_auth::SETTING, client_auth::DESCRIPTION),
            Field::optional(prompt::SETTING, prompt::DESCRIPTION),
        ];
        standard.iter().chain(self.settings).map(Field::setting).collect()
    }

    /// The connector record the host sees.
    pub fn connector(&self) -> Connector {
        Connector {
            name: self.name.to_owned(),
            title: self.title.to_owned(),
            oauth_version: 2,
            grants: self.grants.to_vec(),
            settings: self.all_settings(),
            inputs: self.inputs.iter().map(Field::setting).collect(),
            scopes: self.scopes.iter().map(|(s, d)| (s.to_string(), d.to_string())).collect(),
            hosts: self.all_hosts(),
            pkce: self.pkce,
        }
    }

    /// The declared hosts and those of absolute endpoints without
    /// placeholders in their host, sorted.
    pub fn all_hosts(&self) -> Vec<String> {
        let urls = [
            Some(self.base_url),
            Some(self.authorize),
            Some(self.token),
            self.revoke.endpoint(),
            self.validate.endpoint(),
        ];
        let mut hosts: Vec<String> = urls.into_iter().flatten().filter_map(host_of).collect();
        hosts.extend(self.hosts.iter().map(|h| h.to_string()));
        hosts.sort();
        hosts.dedup();
        hosts
    }
}

/// The host of an absolute URL, unless it holds a placeholder.
pub fn host_of(url: &str) -> Option<String> {
    let rest = url.strip_prefix("https://").or_else(|| url.strip_prefix("http://"))?;
    let host = rest.split(['/', '?', '#']).next()?.split(':').next()?;
    (!host.is_empty() && !host.contains('{')).then(|| host.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    const DECL: Declaration = Declaration {
        name: "x",
        title: "X",
        base_url: "https://{subdomain}.example.com",
        authorize: "/oauth/authorize",
        token: "https://api.example.com/oauth/token",
        hosts: &["*.example.com"],
        ..Declaration::OAUTH2
    };

    #[test]
    fn hosts_come_from_fixed_absolute_endpoints_and_the_list() {
        assert_eq!(DECL.all_hosts(), vec!["*.example.com".to_owned(), "api.example.com".to_owned()]);
    }

    #[test]
    fn base_url_is_required_without_a_default() {
        let settings = Declaration { base_url: "", ..DECL }.all_settings();
        let base = settings.iter().find(|s| s.key == "BASE_URL").unwrap();
        assert!(base.required && base.default.is_none());
        let settings = DECL.all_settings();
        let base = settings.iter().find(|s| s.key == "BASE_URL").unwrap();
        assert!(!base.required && base.default.as_deref() == Some("https://{subdomain}.example.com"));
    }
}
