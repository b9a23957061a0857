//! LoadOAuthConfiguration: a ThingWorx load file, checked entry by entry
//! against the settings each connector declares, then applied all at once.
//!
//! ```json
//! {"google_gmail": {"Gmail": {"CLIENT_ID": "...", "CLIENT_SECRET": "..."}}}
//! ```

use serde_json::{Map, Value};

use crate::store::{
    ALLOW_PASSWORD_SETTING, EXPIRES_AT_SETTING, EntryError, LoadMode, LoadReport, ProviderInput, SAVE_PASSWORD_SETTING,
    Tenant, parse_expiry,
};

use super::hybrid::RESPONSE_TYPE_SETTING;
use super::suggest::did_you_mean;
use super::{TokenError, TokenService};

/// The largest load file accepted. ThingWorx load files are a few KiB;
/// this leaves room for hundreds of providers.
pub const MAX_LOAD_FILE_BYTES: usize = 1 << 20;
/// The most connectors one load file may name (the built-ins are ~30).
pub const MAX_CONNECTORS: usize = 256;
/// The most providers one load file may hold.
const MAX_PROVIDERS: usize = 2048;
/// The most settings one provider may have.
const MAX_SETTINGS: usize = 128;
/// Errors listed one by one; past this, one entry counts the rest.
const MAX_ERRORS_LISTED: usize = 100;

/// Why a load file was not applied. Nothing was loaded.
#[derive(Debug)]
pub enum LoadError {
    /// The file or some entries are wrong (HTTP 422).
    Invalid(Vec<EntryError>),
    /// Entries would replace providers that tokens use (HTTP 409).
    Conflict(Vec<EntryError>),
    /// The store failed.
    Failed(TokenError),
}

impl TokenService {
    /// Checks and applies a load file for `tenant`: all entries or none.
    pub async fn load_configuration(
        &self,
        tenant: &Tenant,
        text: &str,
        mode: LoadMode,
    ) -> Result<LoadReport, LoadError> {
        let entries = self.check_load_file(tenant, text, mode).await.map_err(LoadError::Invalid)?;
        match self.store.load_providers(&tenant.id, &entries, mode).await {
            Ok(Ok(report)) => Ok(report),
            Ok(Err(conflicts)) => Err(LoadError::Conflict(conflicts)),
            Err(error) => Err(LoadError::Failed(error.into())),
        }
    }

    /// Every problem of the file, each with its JSON path (the first
    /// [`MAX_ERRORS_LISTED`], then a count of the rest).
    async fn check_load_file(
        &self,
        tenant: &Tenant,
        text: &str,
        mode: LoadMode,
    ) -> Result<Vec<ProviderInput>, Vec<EntryError>> {
        let connectors = parse_within_limits(text).map_err(|e| vec![e])?;
        self.check_entries(tenant, &connectors, mode).await.map_err(|mut errors| {
            let unlisted = errors.len().saturating_sub(MAX_ERRORS_LISTED);
            if unlisted > 0 {
                errors.truncate(MAX_ERRORS_LISTED);
                errors.push(EntryError { path: "$".into(), message: format!("and {unlisted} more problem(s)") });
            }
            errors
        })
    }

    /// Each entry against the settings its connector declares.
    async fn check_entries(
        &self,
        tenant: &Tenant,
        connectors: &Map<String, Value>,
        mode: LoadMode,
    ) -> Result<Vec<ProviderInput>, Vec<EntryError>> {
        let error = |path: String, message: String| EntryError { path, message };
        let mut entries = Vec::new();
        let mut errors = Vec::new();
        for (connector_name, providers) in connectors {
            let path = format!("$.{connector_name}");
            let resolved = match self.resolve(&tenant.id, connector_name).await {
                Ok(resolved) => resolved,
                Err(unknown) => {
                    errors.push(error(path, unknown.to_string()));
                    continue;
                }
            };
            let Value::Object(providers) = providers else {
                errors.push(error(path, "must be an object of display names".into()));
                continue;
            };
            for (display_name, settings) in providers {
                let path = format!("{path}.{display_name}");
                let Value::Object(settings) = settings else {
                    errors.push(error(path, "must be an object of settings".into()));
                    continue;
                };
                let declared: Vec<&str> =
                    resolved.connector.settings.iter().map(|s| s.key.as_str()).chain(HOST_SETTINGS).collect();
                let mut values = Vec::new();
                for (key, value) in settings {
                    let path = format!("{path}.{key}");
                    if !declared.iter().any(|d| d.eq_ignore_ascii_case(key)) {
                        errors.push(error(path, unknown_setting(key, connector_name, &declared)));
                        continue;
                    }
                    match value {
                        Value::String(text) => match check_url(key, text)
                            .and_then(|()| check_expiry(key, text))
                            .and_then(|()| check_flag(key, text))
                            .and_then(|()| check_client_auth(key, text))
                        {
                            Ok(()) => values.push((key.clone(), text.clone())),
                            Err(message) => errors.push(error(path, message)),
                        },
                        other => errors.push(error(path, format!("must be a string, found {}", kind(other)))),
                    }
                }
                // An update keeps the stored values of the keys it does not give.
                let stored = match mode {
                    LoadMode::Update => {
                        self.store.provider(&tenant.id, connector_name, display_name).await.ok().flatten()
                    }
                    _ => None,
                };
                let updating = stored.is_some();
                let required = resolved
                    .connector
                    .settings
                    .iter()
                    .filter(|s| s.required && s.default.is_none() && !needs_no_secret(&s.key, &values));
                for required in required.filter(|_| !updating) {
                    if !values.iter().any(|(k, v)| k.eq_ignore_ascii_case(&required.key) && !v.is_empty()) {
                        errors.push(error(
                            format!("{path}.{}", required.key),
                            format!("is required: {}", required.description),
                        ));
                    }
                }
                if let Err(message) = need_resource_url(&values) {
                    errors.push(error(format!("{path}.NEED_RESOURCE_URL"), message));
                }
                let mut merged = values.clone();
                let kept = stored.into_iter().flat_map(|p| p.settings);
                merged.extend(kept.filter(|(k, _)| !values.iter().any(|(given, _)| given.eq_ignore_ascii_case(k))));
                if let Err((key, message)) = super::hybrid::check_settings(&merged) {
                    errors.push(error(format!("{path}.{key}"), message));
                }
                entries.push(ProviderInput {
                    connector: connector_name.clone(),
                    display_name: display_name.clone(),
                    settings: values,
                });
            }
        }
        if errors.is_empty() { Ok(entries) } else { Err(errors) }
    }
}

/// Settings the host itself reads, whatever the connector: `ISSUER` (RFC
/// 9207 check of the callback), `ALLOW_PASSWORD_GRANT`,
/// `SAVE_PASSWORD_CREDENTIALS` (password-grant tokens keep their
/// credentials to renew themselves), `CLIENT_SECRET_EXPIRES_AT` (warnings,
/// then refusal, once it is past) and `RESPONSE_TYPE` (`code id_token`: the
/// OpenID Connect hybrid flow).
pub const HOST_SETTINGS: [&str; 5] =
    ["ISSUER", ALLOW_PASSWORD_SETTING, SAVE_PASSWORD_SETTING, EXPIRES_AT_SETTING, RESPONSE_TYPE_SETTING];

/// The host's on/off settings take `true` or `false` (empty: off), so that
/// a `yes` is not silently read as off.
fn check_flag(key: &str, value: &str) -> Result<(), String> {
    let flag = [ALLOW_PASSWORD_SETTING, SAVE_PASSWORD_SETTING].iter().any(|f| f.eq_ignore_ascii_case(key));
    match flag && !matches!(value, "" | "true" | "false") {
        true => Err(format!("must be true or false, not {value:?}")),
        false => Ok(()),
    }
}

/// ThingWorx's flag saying whether a provider gives [`RESOURCE_URL`].
pub const NEED_RESOURCE_URL: &str = "NEED_RESOURCE_URL";
/// The resource server every token of a provider is for.
pub const RESOURCE_URL: &str = "RESOURCE_URL";

/// ThingWorx's `NEED_RESOURCE_URL`: `true` says this entry gives
/// `RESOURCE_URL`, `false` that each token gives its `resource` (checked
/// when a token starts, see `inputs`).
fn need_resource_url(values: &[(String, String)]) -> Result<(), String> {
    let value = |key: &str| values.iter().find(|(k, _)| k.eq_ignore_ascii_case(key)).map(|(_, v)| v.as_str());
    match value(NEED_RESOURCE_URL).map(str::to_ascii_lowercase).as_deref() {
        None | Some("false") => Ok(()),
        Some("true") if value(RESOURCE_URL).is_some_and(|v| !v.is_empty()) => Ok(()),
        Some("true") => Err("is true but RESOURCE_URL is not given: give RESOURCE_URL (the resource server every \
                             token of this provider is for), or set NEED_RESOURCE_URL to false so that each token \
                             gives its resource"
            .into()),
        Some(other) => Err(format!("must be true or false, not {other:?}")),
    }
}

fn unknown_setting(key: &str, connector: &str, declared: &[&str]) -> String {
    let hint = did_you_mean(key, declared.iter().copied());
    format!("{connector} has no setting {key:?}{hint}; its settings: {}", declared.join(", "))
}

/// Whether a setting holds a URL: its key ends in `_URL`, but for
/// ThingWorx's `NEED_RESOURCE_URL`, a flag (see `need_resource_url`).
pub fn is_url_setting(key: &str) -> bool {
    key.to_ascii_uppercase().ends_with("_URL") && !key.eq_ignore_ascii_case(NEED_RESOURCE_URL)
}

/// A URL setting (`..._URL`) must be an absolute http(s) URL without a
/// fragment or credentials, or a path (`/token`) under `BASE_URL`.
fn check_url(key: &str, value: &str) -> Result<(), String> {
    if !is_url_setting(key) || value.is_empty() {
        return Ok(());
    }
    if value.starts_with('/') && !value.starts_with("//") {
        return match value.contains('#') {
            true => Err("a path may not carry a #fragment".into()),
            false => Ok(()),
        };
    }
    let url = url::Url::parse(value)
        .map_err(|_| "must be an absolute http(s) URL, or a path starting with / under BASE_URL".to_owned())?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!("must be an http(s) URL, not {}:", url.scheme()));
    }
    if url.fragment().is_some() {
        return Err("may not carry a #fragment: the provider's parameters would land after it".into());
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("may not carry credentials (user:password@): put them in CLIENT_ID and CLIENT_SECRET".into());
    }
    Ok(())
}

/// The `CLIENT_AUTH` setting (every connector takes it; the components
/// read it): one of the method names they accept.
const CLIENT_AUTH: &str = "CLIENT_AUTH";

/// `CLIENT_AUTH` must name a method (empty: the connector's own way).
fn check_client_auth(key: &str, value: &str) -> Result<(), String> {
    if !key.eq_ignore_ascii_case(CLIENT_AUTH) || value.trim().is_empty() {
        return Ok(());
    }
    const METHODS: [&str; 8] =
        ["basic", "header", "client_secret_basic", "body", "post", "client_secret_post", "private_key_jwt", "none"];
    match METHODS.contains(&value.trim().to_ascii_lowercase().as_str()) {
        true => Ok(()),
        false => Err(format!(
            "{value:?} is not a client authentication: use basic (client_secret_basic), body (client_secret_post), \
             private_key_jwt (with a key: `flowauth provider key`) or none"
        )),
    }
}

/// A client that signs assertions (`private_key_jwt`) or is public
/// (`none`) has no secret: `CLIENT_SECRET` is not required of it.
fn needs_no_secret(key: &str, values: &[(String, String)]) -> bool {
    let method = values.iter().find(|(k, _)| k.eq_ignore_ascii_case(CLIENT_AUTH)).map(|(_, v)| v.trim());
    key.eq_ignore_ascii_case("CLIENT_SECRET")
        && method.is_some_and(|m| m.eq_ignore_ascii_case("private_key_jwt") || m.eq_ignore_ascii_case("none"))
}

/// `CLIENT_SECRET_EXPIRES_AT` must be a date (empty: no expiry).
fn check_expiry(key: &str, value: &str) -> Result<(), String> {
    match key.eq_ignore_ascii_case(EXPIRES_AT_SETTING) && !value.is_empty() {
        true => parse_expiry(value).map(drop),
        false => Ok(()),
    }
}

/// The file's connectors, once it is known to be within the limits: its
/// size before parsing, its counts before any connector is looked up, so
/// an oversized file costs neither memory nor store queries.
fn parse_within_limits(text: &str) -> Result<Map<String, Value>, EntryError> {
    let refuse = |message: String| EntryError { path: "$".into(), message };
    if text.len() > MAX_LOAD_FILE_BYTES {
        return Err(refuse(format!(
            "the load file has {} bytes, more than the {MAX_LOAD_FILE_BYTES} accepted: split it into several files",
            text.len()
        )));
    }
    let root: Value = serde_json::from_str(text)
        .map_err(|e| refuse(format!("not JSON: {e} (line {}, column {})", e.line(), e.column())))?;
    let Value::Object(connectors) = root else {
        return Err(refuse("a load file is an object of connector names".into()));
    };
    if connectors.len() > MAX_CONNECTORS {
        return Err(refuse(format!(
            "the load file names {} connectors, more than the {MAX_CONNECTORS} accepted",
            connectors.len()
        )));
    }
    let objects = || connectors.values().filter_map(Value::as_object);
    let providers: usize = objects().map(Map::len).sum();
    if providers > MAX_PROVIDERS {
        return Err(refuse(format!("the load file has {providers} providers, more than the {MAX_PROVIDERS} accepted")));
    }
    let widest = objects().flat_map(Map::values).filter_map(Value::as_object).map(Map::len).max().unwrap_or(0);
    if widest > MAX_SETTINGS {
        return Err(refuse(format!("a provider has {widest} settings, more than the {MAX_SETTINGS} accepted")));
    }
    Ok(connectors)
}

/// The JSON type of a value, never the value: it may be a secret.
fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}
