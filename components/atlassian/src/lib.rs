//! Atlassian cloud (JIRA). Quirks: the authorization asks for
//! `audience=api.atlassian.com` and `prompt=consent`, a refresh token needs
//! `offline_access` and rotates on every use, and API calls go through the
//! site's cloud id, looked up after the exchange and kept with the token.

use flowauth_sdk::call::Call;
use flowauth_sdk::declaration::Declaration;
use flowauth_sdk::http::Request;
use flowauth_sdk::standard::Family;
use flowauth_sdk::token::parse_error;
use flowauth_sdk::{OauthError, TokenSet, error, log, pairs};
use serde_json::Value;

const RESOURCES: &str = "https://api.atlassian.com/oauth/token/accessible-resources";

/// The Atlassian family.
pub struct Atlassian;

impl Family for Atlassian {
    const CONNECTORS: &'static [Declaration] = &[Declaration {
        name: "jira",
        title: "JIRA",
        base_url: "https://auth.atlassian.com",
        authorize: "/authorize",
        token: "/oauth/token",
        authorize_params: &[("audience", "api.atlassian.com"), ("prompt", "consent")],
        hosts: &["api.atlassian.com"],
        scopes: &[
            ("read:jira-work", "Read issues and projects"),
            ("write:jira-work", "Create and edit issues"),
            ("read:jira-user", "Read user information"),
            ("offline_access", "Keep access when you are not signed in (a refresh token)"),
        ],
        default_scopes: &["read:jira-work", "write:jira-work", "read:jira-user", "offline_access"],
        ..Declaration::OAUTH2
    }];

    /// Keeps the first site's `cloud_id` and `cloud_url`: flows call
    /// `https://api.atlassian.com/ex/jira/{cloud_id}/...`.
    fn after_exchange(call: &Call, tokens: &mut TokenSet) -> Result<(), OauthError> {
        let response = Request::get(&call.endpoint(RESOURCES)?).bearer(&tokens.access_token).send()?;
        if !response.is_success() {
            return Err(parse_error(&response));
        }
        let sites = match response.json() {
            Some(Value::Array(sites)) => sites,
            _ => return Err(error::protocol(format!("accessible-resources is not a list: {}", response.excerpt()))),
        };
        let Some(site) = sites.first() else {
            log::warn("the Atlassian account granted no site: the token has no cloud_id");
            return Ok(());
        };
        for (key, field) in [("cloud_id", "id"), ("cloud_url", "url"), ("cloud_name", "name")] {
            if let Some(value) = site.get(field).and_then(Value::as_str) {
                pairs::set(&mut tokens.extra, key, value);
            }
        }
        Ok(())
    }
}

flowauth_sdk::family!(Atlassian);
