//! LoadOAuthConfiguration: a ThingWorx load file, checked entry by entry
//! against the settings each connector declares, then applied all at once.
//!
//! ```json
//! {"google_gmail": {"Gmail": {"CLIENT_ID": "...", "CLIENT_SECRET": "..."}}}
//! ```

use serde_json::Value;

use crate::store::{EntryError, LoadMode, LoadReport, ProviderInput, Tenant};

use super::{TokenError, TokenService};

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
        let entries = self.check_load_file(tenant, text).await.map_err(LoadError::Invalid)?;
        match self.store.load_providers(&tenant.id, &entries, mode).await {
            Ok(Ok(report)) => Ok(report),
            Ok(Err(conflicts)) => Err(LoadError::Conflict(conflicts)),
            Err(error) => Err(LoadError::Failed(error.into())),
        }
    }

    /// Every problem of the file, each with its JSON path.
    async fn check_load_file(&self, tenant: &Tenant, text: &str) -> Result<Vec<ProviderInput>, Vec<EntryError>> {
        let error = |path: String, message: String| EntryError { path, message };
        let root: Value = serde_json::from_str(text).map_err(|e| {
            vec![error("$".into(), format!("not JSON: {e} (line {}, column {})", e.line(), e.column()))]
        })?;
        let Value::Object(connectors) = root else {
            return Err(vec![error("$".into(), "a load file is an object of connector names".into())]);
        };
        let mut entries = Vec::new();
        let mut errors = Vec::new();
        for (connector_name, providers) in &connectors {
            let path = format!("$.{connector_name}");
            let Ok(resolved) = self.resolve(&tenant.id, connector_name).await else {
                errors.push(error(
                    path,
                    format!("unknown connector {connector_name:?}: `flowauth connectors` lists them"),
                ));
                continue;
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
                let mut values = Vec::new();
                for (key, value) in settings {
                    match value {
                        Value::String(text) => values.push((key.clone(), text.clone())),
                        other => errors
                            .push(error(format!("{path}.{key}"), format!("must be a string, found {}", kind(other)))),
                    }
                }
                for required in resolved.connector.settings.iter().filter(|s| s.required && s.default.is_none()) {
                    if !values.iter().any(|(k, v)| k.eq_ignore_ascii_case(&required.key) && !v.is_empty()) {
                        errors.push(error(
                            format!("{path}.{}", required.key),
                            format!("is required: {}", required.description),
                        ));
                    }
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
