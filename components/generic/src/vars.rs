//! The values `{placeholder}`s resolve to, in the order ThingWorx users
//! expect: the call's own values (`code`, `state`, `redirect_uri`, ...),
//! then the active deployment's `env_*_params`, then the client's
//! credentials, the user's per-token inputs, the admin's settings, and
//! last the defaults of `oauth2_required`.

use flowauth_sdk::{OauthError, error, pairs, template};

use crate::definition::Definition;

/// The environment whose `env_<name>_params` apply unless the provider
/// setting `ENVIRONMENT` names another.
const DEFAULT_ENVIRONMENT: &str = "production";

/// Everything a template of one call may refer to.
pub struct Vars<'a> {
    pub definition: &'a Definition,
    pub settings: &'a [(String, String)],
    /// Per-token inputs and additional parameters given by the user.
    pub inputs: &'a [(String, String)],
    /// Values of this call: `code`, `state`, `redirect_uri`, `scope`, ...
    pub call: Vec<(String, String)>,
}

impl Vars<'_> {
    /// Renders a template; a placeholder without a value is a config error.
    pub fn render(&self, what: &str, template: &str) -> Result<String, OauthError> {
        template::render(template, |name| self.lookup(name)).map_err(|missing| {
            error::config(format!(
                "{what} uses {{{missing}}}, which has no value: set {} in the provider settings or pass {missing} when starting the token",
                missing.to_ascii_uppercase()
            ))
        })
    }

    /// Renders each value of `params`, dropping those that come out empty
    /// (an unset optional value must not be sent as `key=`).
    pub fn render_pairs(&self, what: &str, params: &[(String, String)]) -> Result<Vec<(String, String)>, OauthError> {
        let mut out = Vec::with_capacity(params.len());
        for (key, value) in params {
            let rendered = self.render(&format!("{what} {key:?}"), value)?;
            if !rendered.is_empty() {
                out.push((key.clone(), rendered));
            }
        }
        Ok(out)
    }

    /// A provider setting (names compare without case; empty is unset).
    pub fn setting(&self, key: &str) -> Option<&str> {
        pairs::get_ignore_case(self.settings, key)
    }

    fn lookup(&self, name: &str) -> Option<String> {
        if let Some(value) = pairs::get(&self.call, name) {
            return Some(value.to_owned());
        }
        if let Some(value) = self.deployment(name) {
            return Some(value);
        }
        let well_known = match name {
            "client_id" => self.setting("CLIENT_ID"),
            // Public and private_key_jwt clients have none: send nothing.
            "client_secret" => Some(self.setting("CLIENT_SECRET").unwrap_or_default()),
            "OAUTH_ENDPOINT_OAUTH_RETURN" => pairs::get(&self.call, "redirect_uri"),
            _ => None,
        };
        well_known
            .or_else(|| pairs::get(self.inputs, name))
            .or_else(|| self.setting(name))
            .or_else(|| (name == "resource").then(|| self.setting("RESOURCE_URL")).flatten())
            .map(str::to_owned)
            .or_else(|| self.definition.inputs.iter().find(|i| i.key == name).and_then(|i| i.default.clone()))
    }

    /// `name` from the active environment's `env_*_params`, when every
    /// `{{{env.SETTING}}}` in it has a value.
    fn deployment(&self, name: &str) -> Option<String> {
        let environment = self.setting("ENVIRONMENT").unwrap_or(DEFAULT_ENVIRONMENT);
        let template = pairs::get(self.definition.environment(environment), name)?;
        let mut out = String::new();
        let mut rest = template;
        while let Some(start) = rest.find("{{{") {
            let end = rest[start..].find("}}}")? + start;
            out.push_str(&rest[..start]);
            let reference = &rest[start + 3..end];
            let setting = reference.rsplit('.').next().unwrap_or(reference);
            out.push_str(self.setting(setting)?);
            rest = &rest[end + 3..];
        }
        out.push_str(rest);
        let redirect_uri = pairs::get(&self.call, "redirect_uri").unwrap_or_default();
        Some(out.replace("{OAUTH_ENDPOINT_OAUTH_RETURN}", redirect_uri))
    }
}

/// The setting names a deployment value refers to: `CLIENT_ID` in
/// `{{{local.CLIENT_ID}}}`.
pub fn deployment_names(value: &str) -> Vec<&str> {
    value
        .split("{{{")
        .skip(1)
        .filter_map(|part| part.split("}}}").next())
        .map(|reference| reference.rsplit('.').next().unwrap_or(reference))
        .collect()
}
