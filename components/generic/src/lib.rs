//! The generic connector family: OAuth 2.0 driven by a ThingWorx Flow
//! connector `config.json`. The built-in connectors (`devtools`, `odata`,
//! `soap`, `swagger`, `oslc`) are such files under `connectors/`; an admin's
//! own `config.json` arrives as the client's `definition`.

mod definition;
mod endpoints;
mod flows;
mod vars;

use definition::Definition;
use flowauth_sdk::{
    AuthLink, AuthRequest, Callback, Client, Connector, Definitions, Grant, OauthError, Provider, TokenSet, Validation,
    error,
};

/// The connector files compiled into this component, by name, so a call
/// parses only the definition it uses.
const BUILT_IN: [(&str, &str); 5] = [
    ("devtools", include_str!("../connectors/devtools.json")),
    ("odata", include_str!("../connectors/odata.json")),
    ("soap", include_str!("../connectors/soap.json")),
    ("swagger", include_str!("../connectors/swagger.json")),
    ("oslc", include_str!("../connectors/oslc.json")),
];

/// The generic family. Also callable as plain Rust, which the host's
/// benchmarks use to measure what the sandbox costs.
pub struct Generic;

/// An admin's own `config.json` is a run-time definition.
impl Definitions for Generic {
    fn describe_definition(definition: String) -> Result<Connector, OauthError> {
        Definition::parse(&definition).map(|d| d.connector())
    }
}

impl Provider for Generic {
    fn connectors() -> Vec<Connector> {
        BUILT_IN.iter().map(|(_, text)| built_in(text).connector()).collect()
    }

    fn build_auth_url(client: Client, req: AuthRequest) -> Result<AuthLink, OauthError> {
        flows::build_auth_url(&definition_of(&client)?, &client, req)
    }

    fn exchange_code(client: Client, cb: Callback) -> Result<TokenSet, OauthError> {
        flows::exchange_code(&definition_of(&client)?, &client, cb)
    }

    fn refresh(
        client: Client,
        refresh_token: String,
        scopes: Vec<String>,
        extra: Vec<(String, String)>,
    ) -> Result<TokenSet, OauthError> {
        flows::refresh(&definition_of(&client)?, &client, refresh_token, scopes, &extra)
    }

    fn request_token(client: Client, grant: Grant, params: Vec<(String, String)>) -> Result<TokenSet, OauthError> {
        flows::request_token(&definition_of(&client)?, &client, grant, &params)
    }

    fn validate(client: Client, token: TokenSet) -> Result<Validation, OauthError> {
        flows::validate(&definition_of(&client)?, &client, token)
    }

    fn revoke(client: Client, token: TokenSet) -> Result<(), OauthError> {
        flows::revoke(&definition_of(&client)?, &client, token)
    }
}

/// The definition a client uses: its own `config.json`, or a built-in.
fn definition_of(client: &Client) -> Result<Definition, OauthError> {
    if let Some(text) = &client.definition {
        return Definition::parse(text);
    }
    BUILT_IN
        .iter()
        .find(|(name, _)| *name == client.connector)
        .map(|(_, text)| built_in(text))
        .ok_or_else(|| error::config(format!("unknown connector {:?}: add its config.json first", client.connector)))
}

fn built_in(text: &str) -> Definition {
    Definition::parse(text).expect("built-in connector files are valid")
}

// Exported on wasm only: the native build (used by the benchmarks) cannot
// link symbols named after WIT interfaces.
#[cfg(target_arch = "wasm32")]
flowauth_sdk::export!(Generic);
#[cfg(target_arch = "wasm32")]
flowauth_sdk::export_definitions!(Generic);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_built_in_is_listed_under_its_own_name() {
        for (name, text) in BUILT_IN {
            assert_eq!(built_in(text).name, name);
        }
    }
}
