//! A component built against the released contract 0.1.0, as every
//! component built before 0.2.0 is: the host keeps installing and calling
//! it. Minimal on purpose: one connector whose authorization URL carries
//! the request's `state`, and a `describe-definition` that names a
//! connector after the definition it is given.

wit_bindgen::generate!({ world: "connector", path: "../../../wit/0.1.0" });

use exports::flowauth::oauth::provider::Guest;
use flowauth::oauth::types::{
    AuthLink, AuthRequest, Callback, Client, Connector, Grant, OauthError, TokenSet, Validation,
};

struct ContractV01;

fn connector(name: String) -> Connector {
    Connector {
        name,
        title: "Contract 0.1.0".into(),
        oauth_version: 2,
        grants: vec![Grant::AuthorizationCode],
        settings: Vec::new(),
        inputs: Vec::new(),
        scopes: Vec::new(),
        hosts: vec!["v01.example.com".into()],
        pkce: false,
    }
}

fn unsupported<T>() -> Result<T, OauthError> {
    Err(OauthError::Unsupported("a 0.1.0 fixture only builds authorization URLs".into()))
}

impl Guest for ContractV01 {
    fn connectors() -> Vec<Connector> {
        vec![connector("v01".into())]
    }

    fn describe_definition(definition: String) -> Result<Connector, OauthError> {
        Ok(connector(definition))
    }

    fn build_auth_url(client: Client, req: AuthRequest) -> Result<AuthLink, OauthError> {
        Ok(AuthLink {
            url: format!("https://v01.example.com/authorize?for={}&state={}", client.connector, req.state),
            pending: None,
        })
    }

    fn exchange_code(_: Client, _: Callback) -> Result<TokenSet, OauthError> {
        unsupported()
    }

    fn refresh(_: Client, _: String, _: Vec<String>, _: Vec<(String, String)>) -> Result<TokenSet, OauthError> {
        unsupported()
    }

    fn request_token(_: Client, _: Grant, _: Vec<(String, String)>) -> Result<TokenSet, OauthError> {
        unsupported()
    }

    fn validate(_: Client, _: TokenSet) -> Result<Validation, OauthError> {
        unsupported()
    }

    fn revoke(_: Client, _: TokenSet) -> Result<(), OauthError> {
        unsupported()
    }
}

export!(ContractV01);
