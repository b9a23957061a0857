//! The schema of a load file (`POST .../oauth-configurations`) as the
//! built-in connectors declare it: each connector's providers by display
//! name, each with the settings that connector takes (the required ones
//! required, URLs as URLs, the expiry as a date), so that a file written
//! to the document loads. Built when the document is served, from the
//! connectors the runtime holds, and checked like the file itself
//! (`tokens::load`).

use serde_json::{Map, Value, json};

use super::schemas::{HOST, PORT};
use crate::runtime::Connector;
use crate::store::EXPIRES_AT_SETTING;
use crate::tokens::{
    HOST_SETTINGS, MAX_CONNECTORS, NEED_RESOURCE_URL, RESOURCE_URL, RESPONSE_TYPE_SETTING, is_url_setting,
};

/// What `HOST_SETTINGS` are for, whatever the connector.
fn host_setting_description(key: &str) -> &'static str {
    match key {
        "ISSUER" => "the provider's issuer: the callback's `iss` must match it (RFC 9207)",
        "ALLOW_PASSWORD_GRANT" => "`true` lets tokens of this provider use the password grant",
        "SAVE_PASSWORD_CREDENTIALS" => "`true` keeps a password token's credentials (sealed) to renew it",
        "RESPONSE_TYPE" => "`code id_token`: the OpenID Connect hybrid flow (needs ISSUER)",
        _ => "when the client secret expires: a date (2027-03-01) or an RFC 3339 date-time",
    }
}

/// The load file's schema over `connectors` (the built-in ones).
pub fn load_file(connectors: &[Connector]) -> Value {
    let properties: Map<String, Value> = connectors
        .iter()
        .map(|c| {
            let providers = json!({
                "type": "object",
                "description": format!("{} providers, by display name", c.title),
                "additionalProperties": settings(c),
            });
            (c.name.clone(), providers)
        })
        .collect();
    json!({
        "type": "object",
        "description": "a ThingWorx load file: connector, then the provider's display name, then its settings \
            (keys in any case; `mode=update` keeps the values of keys a provider in use does not give). The \
            built-in connectors are described here; a connector the tenant added (config.json) or a component \
            enabled for it is taken too (GET /v1/tenants/{tenant}/connectors lists what a tenant can use).",
        "properties": properties,
        "additionalProperties": false,
        "maxProperties": MAX_CONNECTORS,
    })
}

/// One provider's settings for connector `c`.
fn settings(c: &Connector) -> Value {
    let declared =
        c.settings.iter().map(|s| (s.key.as_str(), s.description.as_str(), s.required && s.default.is_none()));
    let host = HOST_SETTINGS.iter().map(|&key| (key, host_setting_description(key), false));
    let mut properties = Map::new();
    let mut required = Vec::new();
    for (key, description, needed) in declared.chain(host) {
        if properties.keys().any(|k| k.eq_ignore_ascii_case(key)) {
            continue;
        }
        properties.insert(key.to_owned(), value(key, description, needed));
        if needed {
            required.push(key);
        }
    }
    let flagged = properties.contains_key(NEED_RESOURCE_URL);
    let mut schema = json!({
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": false,
    });
    // `RESPONSE_TYPE: "code id_token"` asks for the issuer's URL.
    let mut rules = vec![json!({"anyOf": [
        {"properties": {RESPONSE_TYPE_SETTING: {"enum": ["", "code"]}}},
        {"required": ["ISSUER"], "properties": {"ISSUER": {"pattern": format!("^https?://{HOST}(:{PORT})?(/[^#]*)?$")}}},
    ]})];
    if flagged {
        // `NEED_RESOURCE_URL: "true"` asks for `RESOURCE_URL` in the same entry.
        rules.push(json!({"anyOf": [
            {"properties": {NEED_RESOURCE_URL: {"enum": ["false"]}}},
            {"required": [RESOURCE_URL], "properties": {RESOURCE_URL: {"minLength": 1}}},
        ]}));
    }
    schema["allOf"] = json!(rules);
    schema
}

/// One setting's value.
fn value(key: &str, description: &str, required: bool) -> Value {
    let mut schema = json!({"type": "string", "description": description});
    if required {
        schema["minLength"] = json!(1);
    }
    if is_url_setting(key) {
        // An absolute http(s) URL without credentials or fragment, or a
        // path under BASE_URL; empty when not required.
        schema["pattern"] = json!(format!("^$|^/([^/#][^#]*)?$|^https?://{HOST}(:{PORT})?([/?][^#]*)?$"));
    } else if key.eq_ignore_ascii_case(EXPIRES_AT_SETTING) {
        schema["pattern"] = json!(r"^$|^[1-9][0-9]{3}-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])$");
    } else if key.eq_ignore_ascii_case(NEED_RESOURCE_URL) {
        schema["enum"] = json!(["true", "false"]);
    } else if ["ALLOW_PASSWORD_GRANT", "SAVE_PASSWORD_CREDENTIALS"].iter().any(|f| f.eq_ignore_ascii_case(key)) {
        schema["enum"] = json!(["", "true", "false"]);
    } else if key.eq_ignore_ascii_case("CLIENT_AUTH") {
        schema["enum"] = json!([
            "",
            "basic",
            "header",
            "client_secret_basic",
            "body",
            "post",
            "client_secret_post",
            "private_key_jwt",
            "none"
        ]);
    } else if key.eq_ignore_ascii_case(RESPONSE_TYPE_SETTING) {
        schema["enum"] = json!(["", "code", "code id_token"]);
    }
    schema
}
