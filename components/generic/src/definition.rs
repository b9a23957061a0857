//! A ThingWorx Flow connector `config.json`, read as ThingWorx writes it.
//!
//! Array settings such as `oauth2_token_data` hold JSON objects written as
//! escaped strings (`"{\"grant_type\":\"authorization_code\"}"`); plain
//! objects are accepted too. Every error names the JSON path at fault.
//! Keys starting with `flowauth_` are flowauth's extensions (docs/GENERIC.md).

use flowauth_sdk::client_auth::{self, ClientAuth};
use flowauth_sdk::{Connector, Grant, OauthError, Setting, error, prompt};
use serde_json::{Map, Value};

type Pairs = Vec<(String, String)>;

/// The deployment environments of ThingWorx Flow, in `env_<name>_params`.
const ENVIRONMENTS: [&str; 5] = ["local", "development", "staging", "pre_prod", "production"];

/// A parsed connector definition.
#[derive(Debug, Clone)]
pub struct Definition {
    pub name: String,
    pub title: String,
    pub base_url: String,
    pub auth_url: String,
    pub auth_query: Pairs,
    pub token_url: String,
    pub token_data: Pairs,
    pub refresh_url: String,
    pub refresh_data: Pairs,
    pub validate_url: String,
    pub validate_method: String,
    pub validate_headers: Pairs,
    pub revoke_url: String,
    pub scopes: Pairs,
    pub no_state: bool,
    pub pkce: bool,
    pub client_auth: ClientAuth,
    pub grants: Vec<Grant>,
    /// `oauth2_required`: values the user gives per token.
    pub inputs: Vec<Setting>,
    /// `oauth2_include`: values attached to every token of this connector.
    pub include: Pairs,
    /// `env_<environment>_params`, by environment name.
    pub environments: Vec<(String, Pairs)>,
    pub settings: Vec<Setting>,
    pub extra_hosts: Vec<String>,
}

impl Definition {
    /// Parses a `config.json` text.
    pub fn parse(text: &str) -> Result<Self, OauthError> {
        let value: Value = serde_json::from_str(text)
            .map_err(|e| error::config(format!("the connector definition is not JSON: {e}")))?;
        let Value::Object(root) = value else {
            return Err(error::config("$: the connector definition must be a JSON object"));
        };
        Reader(&root).definition()
    }

    /// The connector record the host sees.
    pub fn connector(&self) -> Connector {
        Connector {
            name: self.name.clone(),
            title: self.title.clone(),
            oauth_version: 2,
            grants: self.grants.clone(),
            settings: self.settings.clone(),
            inputs: self.inputs.clone(),
            scopes: self.scopes.clone(),
            hosts: self.hosts(),
            pkce: self.pkce,
        }
    }

    /// The parameters of `environment`'s `env_*_params`, if it has any.
    pub fn environment(&self, environment: &str) -> &[(String, String)] {
        self.environments.iter().find(|(name, _)| name == environment).map_or(&[], |(_, params)| params)
    }

    /// Hosts of the absolute URLs this definition names, plus
    /// `flowauth_hosts`. URLs that come from settings are added by the host.
    fn hosts(&self) -> Vec<String> {
        let urls =
            [&self.base_url, &self.auth_url, &self.token_url, &self.refresh_url, &self.validate_url, &self.revoke_url];
        let mut hosts: Vec<String> = urls.iter().filter_map(|u| host_of(u)).collect();
        hosts.extend(self.extra_hosts.iter().cloned());
        hosts.sort();
        hosts.dedup();
        hosts
    }
}

/// The host of an absolute URL template whose host has no placeholder.
fn host_of(template: &str) -> Option<String> {
    let parsed = url::Url::parse(template).ok()?;
    let host = parsed.host_str()?;
    (!host.contains('{') && !host.contains("%7B")).then(|| host.to_ascii_lowercase())
}

/// Reads fields of the root object, naming the JSON path in every error.
struct Reader<'a>(&'a Map<String, Value>);

impl Reader<'_> {
    fn definition(&self) -> Result<Definition, OauthError> {
        if let Some(kind) = self.string("oauth_type")?
            && !kind.eq_ignore_ascii_case("oauth2")
        {
            return Err(error::config(format!(
                "$.oauth_type is {kind:?}: the generic component serves OAuth2 definitions only"
            )));
        }
        let name = self.string("name")?.ok_or_else(|| error::config("$.name is missing"))?;
        let valid_name = !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-'));
        if !valid_name {
            return Err(error::config(format!("$.name {name:?} may hold only letters, digits, '_' and '-'")));
        }
        let environments = ENVIRONMENTS
            .iter()
            .map(|env| Ok((env.to_string(), self.pairs(&format!("env_{env}_params"))?)))
            .collect::<Result<Vec<_>, OauthError>>()?;
        let mut settings = match self.0.get("flowauth_settings") {
            Some(value) => settings("flowauth_settings", value)?,
            None => default_settings(&environments),
        };
        with_overrides(&mut settings);
        Ok(Definition {
            title: self.string("title")?.unwrap_or_else(|| name.clone()),
            name,
            base_url: self.string("base_url")?.unwrap_or_default(),
            auth_url: self.string("oauth2_auth_url")?.unwrap_or_default(),
            auth_query: self.pairs("oauth2_auth_query")?,
            token_url: self.string("oauth2_token_url")?.unwrap_or_default(),
            token_data: self.pairs("oauth2_token_data")?,
            refresh_url: self.string("oauth2_refresh_url")?.unwrap_or_default(),
            refresh_data: self.pairs("oauth2_refresh_data")?,
            validate_url: self.string("oauth2_validate_url")?.unwrap_or_default(),
            validate_method: self.string("oauth2_validate_method")?.unwrap_or_else(|| "GET".into()),
            validate_headers: self.pairs("oauth2_validate_headers")?,
            revoke_url: self.string("flowauth_revoke_url")?.unwrap_or_default(),
            scopes: self.pairs("oauth2_params_scope")?,
            no_state: self.boolean("oauth2_no_state")?.unwrap_or(false),
            pkce: self.boolean("flowauth_pkce")?.unwrap_or(true),
            client_auth: match self.string("flowauth_client_auth")? {
                Some(name) => ClientAuth::parse(&name)
                    .map_err(|e| error::config(format!("$.flowauth_client_auth: {}", message(&e))))?,
                None => ClientAuth::Body,
            },
            grants: match self.0.get("flowauth_grants") {
                Some(value) => grants(value)?,
                None => vec![Grant::AuthorizationCode, Grant::RefreshToken, Grant::ClientCredentials, Grant::Password],
            },
            inputs: self.inputs()?,
            include: self.pairs("oauth2_include")?,
            environments,
            settings,
            extra_hosts: self.strings("flowauth_hosts")?,
        })
    }

    fn string(&self, key: &str) -> Result<Option<String>, OauthError> {
        match self.0.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(other) => Err(error::config(format!("$.{key} must be a string, found {}", kind(other)))),
        }
    }

    fn boolean(&self, key: &str) -> Result<Option<bool>, OauthError> {
        match self.0.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(Value::String(s)) if s == "true" || s == "false" => Ok(Some(s == "true")),
            Some(other) => Err(error::config(format!("$.{key} must be true or false, found {}", kind(other)))),
        }
    }

    fn strings(&self, key: &str) -> Result<Vec<String>, OauthError> {
        let items = self.array(key)?;
        items
            .iter()
            .enumerate()
            .map(|(i, item)| match item {
                Value::String(s) => Ok(s.clone()),
                other => Err(error::config(format!("$.{key}[{i}] must be a string, found {}", kind(other)))),
            })
            .collect()
    }

    fn array(&self, key: &str) -> Result<&[Value], OauthError> {
        match self.0.get(key) {
            None | Some(Value::Null) => Ok(&[]),
            Some(Value::Array(items)) => Ok(items),
            Some(other) => Err(error::config(format!("$.{key} must be an array, found {}", kind(other)))),
        }
    }

    /// An array of one-entry objects, each possibly an escaped JSON string,
    /// flattened into ordered pairs.
    fn pairs(&self, key: &str) -> Result<Pairs, OauthError> {
        let mut out = Vec::new();
        for (i, item) in self.array(key)?.iter().enumerate() {
            for (k, v) in object(&format!("$.{key}[{i}]"), item)? {
                let value = match v {
                    Value::String(s) => s,
                    Value::Number(n) => n.to_string(),
                    Value::Bool(b) => b.to_string(),
                    other => {
                        return Err(error::config(format!(
                            "$.{key}[{i}].{k} must be a string, found {}",
                            kind(&other)
                        )));
                    }
                };
                out.push((k, value));
            }
        }
        Ok(out)
    }

    /// `oauth2_required`: `{"id", "title", "default", "description"}` each.
    fn inputs(&self) -> Result<Vec<Setting>, OauthError> {
        let mut inputs = Vec::new();
        for (i, item) in self.array("oauth2_required")?.iter().enumerate() {
            let path = format!("$.oauth2_required[{i}]");
            let fields = object(&path, item)?;
            let field = |name: &str| -> Result<Option<String>, OauthError> {
                match fields.get(name) {
                    None | Some(Value::Null) => Ok(None),
                    Some(Value::String(s)) => Ok(Some(s.clone())),
                    Some(other) => Err(error::config(format!("{path}.{name} must be a string, found {}", kind(other)))),
                }
            };
            let key = field("id")?.ok_or_else(|| error::config(format!("{path}.id is missing")))?;
            let description =
                [field("title")?, field("description")?].into_iter().flatten().collect::<Vec<_>>().join(": ");
            let default = field("default")?;
            inputs.push(Setting { key, required: default.is_none(), secret: false, description, default });
        }
        if self.needs_url()? && !inputs.iter().any(|input| input.key == "resource") {
            inputs.push(Setting {
                key: "resource".into(),
                required: true,
                secret: false,
                description: "The resource server URL this token is for (the connector's needurl), unless the \
                              provider's RESOURCE_URL gives it"
                    .into(),
                default: None,
            });
        }
        Ok(inputs)
    }

    /// ThingWorx's `oauth2_params_other`, where only `needurl` has a
    /// meaning: true makes the user give the resource server's URL with
    /// each token. Any other entry is refused rather than ignored.
    fn needs_url(&self) -> Result<bool, OauthError> {
        let mut needs = false;
        for (key, value) in self.pairs("oauth2_params_other")? {
            match (key.as_str(), value.as_str()) {
                ("needurl", "true") => needs = true,
                ("needurl", "false") => needs = false,
                ("needurl", other) => {
                    return Err(error::config(format!(
                        "$.oauth2_params_other: needurl must be \"true\" or \"false\", not {other:?}"
                    )));
                }
                (other, _) => {
                    return Err(error::config(format!(
                        "$.oauth2_params_other: {other:?} has no meaning for flowauth, only needurl does; remove it"
                    )));
                }
            }
        }
        Ok(needs)
    }
}

/// A JSON object, or a string holding one (ThingWorx's escaped form).
fn object(path: &str, item: &Value) -> Result<Map<String, Value>, OauthError> {
    let parsed;
    let value = match item {
        Value::String(text) => {
            parsed = serde_json::from_str::<Value>(text)
                .map_err(|e| error::config(format!("{path} is not an escaped JSON object: {e}")))?;
            &parsed
        }
        other => other,
    };
    match value {
        Value::Object(map) => Ok(map.clone()),
        other => Err(error::config(format!("{path} must be a JSON object, found {}", kind(other)))),
    }
}

/// `flowauth_settings`: the load-file settings a built-in declares.
fn settings(key: &str, value: &Value) -> Result<Vec<Setting>, OauthError> {
    let Value::Array(items) = value else {
        return Err(error::config(format!("$.{key} must be an array, found {}", kind(value))));
    };
    items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let path = format!("$.{key}[{i}]");
            let fields = object(&path, item)?;
            let text = |name: &str| fields.get(name).and_then(Value::as_str).map(str::to_owned);
            let flag = |name: &str| fields.get(name).and_then(Value::as_bool).unwrap_or(false);
            Ok(Setting {
                key: text("key").ok_or_else(|| error::config(format!("{path}.key is missing")))?,
                required: flag("required"),
                secret: flag("secret"),
                description: text("description").unwrap_or_default(),
                default: text("default"),
            })
        })
        .collect()
}

/// Settings every generic connector takes besides its own (docs/GENERIC.md):
/// endpoints and behaviour an admin may override per provider.
const OVERRIDES: [(&str, &str); 14] = [
    ("BASE_URL", "Base of the connector's relative URLs"),
    ("RESOURCE_URL", "The resource tokens are for (and a base of relative URLs without BASE_URL)"),
    ("AUTH_URL", "Replaces the authorization URL"),
    ("OAUTH_URL", "Replaces the authorization URL (OSLC's name for AUTH_URL)"),
    ("TOKEN_URL", "Replaces the token URL"),
    ("REFRESH_URL", "Replaces the refresh URL (the token URL by default)"),
    ("VALIDATE_URL", "Replaces the validation URL"),
    ("REVOKE_URL", "Replaces the revocation URL"),
    ("VALIDATE_METHOD", "GET, POST, or introspect (RFC 7662)"),
    ("VALIDATE_QUERY", "Query parameters of the validation request"),
    ("VALIDATE_AUTH", "How the validation request authenticates"),
    (client_auth::SETTING, client_auth::DESCRIPTION),
    (prompt::SETTING, prompt::DESCRIPTION),
    ("ENVIRONMENT", "Which env_*_params of the connector apply"),
];

/// Adds the [`OVERRIDES`] a connector does not declare itself, optional.
fn with_overrides(settings: &mut Vec<Setting>) {
    for (key, description) in OVERRIDES {
        if !settings.iter().any(|s| s.key.eq_ignore_ascii_case(key)) {
            settings.push(Setting {
                key: key.into(),
                required: false,
                secret: false,
                description: description.into(),
                default: None,
            });
        }
    }
}

/// What a plain ThingWorx definition needs from the load file: the client,
/// plus any `{{{env.NAME}}}` its deployment parameters name.
fn default_settings(environments: &[(String, Pairs)]) -> Vec<Setting> {
    let mut settings = vec![
        Setting {
            key: "CLIENT_ID".into(),
            required: true,
            secret: false,
            description: "The client id the provider issued for flowauth".into(),
            default: None,
        },
        Setting {
            key: "CLIENT_SECRET".into(),
            required: false,
            secret: true,
            description: "The client secret the provider issued (absent for public clients)".into(),
            default: None,
        },
    ];
    for (_, params) in environments {
        for (_, value) in params {
            for name in crate::vars::deployment_names(value) {
                if !settings.iter().any(|s| s.key == name) {
                    settings.push(Setting {
                        secret: name.to_ascii_uppercase().contains("SECRET"),
                        key: name.to_owned(),
                        required: false,
                        description: "Named by the connector's deployment parameters".into(),
                        default: None,
                    });
                }
            }
        }
    }
    settings
}

fn grants(value: &Value) -> Result<Vec<Grant>, OauthError> {
    let Value::Array(items) = value else {
        return Err(error::config(format!("$.flowauth_grants must be an array, found {}", kind(value))));
    };
    items
        .iter()
        .enumerate()
        .map(|(i, item)| match item.as_str() {
            Some("authorization_code") => Ok(Grant::AuthorizationCode),
            Some("client_credentials") => Ok(Grant::ClientCredentials),
            Some("password") => Ok(Grant::Password),
            Some("refresh_token") => Ok(Grant::RefreshToken),
            _ => Err(error::config(format!(
                "$.flowauth_grants[{i}] must be authorization_code, client_credentials, password or refresh_token"
            ))),
        })
        .collect()
}

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

fn message(error: &OauthError) -> String {
    match error {
        OauthError::Config(m) | OauthError::Unsupported(m) | OauthError::Protocol(m) | OauthError::Transport(m) => {
            m.clone()
        }
        OauthError::Rejected(e) => e.code.clone(),
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// The bundled `devtools.json` with up to four fields replaced by JSON
    /// of any shape (escaped objects included), or any text at all.
    fn definition_text() -> impl Strategy<Value = String> {
        let base: Value = serde_json::from_str(include_str!("../connectors/devtools.json")).unwrap();
        let mut fields: Vec<String> = base.as_object().unwrap().keys().cloned().collect();
        fields
            .extend(["oauth2_required", "flowauth_grants", "flowauth_hosts", "flowauth_client_auth"].map(String::from));
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            any::<f64>().prop_map(Value::from),
            r#"[a-z0-9{}\\":_ .-]{0,16}"#.prop_map(Value::from),
        ];
        let value = leaf.prop_recursive(3, 16, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                prop::collection::vec(("[a-z_]{1,8}", inner), 0..4)
                    .prop_map(|p| Value::Object(p.into_iter().collect())),
                ("[a-z_{}]{0,8}", "[a-z_{}\"]{0,8}")
                    .prop_map(|(k, v)| Value::from(serde_json::json!({k: v}).to_string())),
            ]
        });
        let changes = prop::collection::vec((proptest::sample::select(fields), value), 0..4);
        prop_oneof![
            5 => changes.prop_map(move |changes| {
                let mut definition = base.clone();
                for (field, value) in changes {
                    definition[field] = value;
                }
                definition.to_string()
            }),
            1 => any::<String>(),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig { failure_persistence: None, ..ProptestConfig::default() })]

        #[test]
        fn any_config_json_parses_or_names_the_path_at_fault(text in definition_text()) {
            match Definition::parse(&text) {
                Ok(definition) => {
                    let connector = definition.connector();
                    prop_assert!(!connector.name.is_empty());
                }
                Err(OauthError::Config(m) | OauthError::Unsupported(m)) => {
                    prop_assert!(m.starts_with('$') || m.starts_with("the connector definition is not JSON"), "{m}");
                }
                Err(other) => prop_assert!(false, "{other:?}"),
            }
        }
    }
}
