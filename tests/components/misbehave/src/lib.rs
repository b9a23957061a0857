//! A component whose connectors misbehave, one way each, when asked for an
//! authorization URL: `spin` loops forever, `hog` grows memory without end,
//! `rogue` calls a host it did not declare, `crash` panics.

use flowauth_sdk::http::Request;
use flowauth_sdk::{
    AuthLink, AuthRequest, Callback, Client, Connector, Grant, OauthError, Provider, TokenSet, Validation, error,
};

struct Misbehave;

fn connector(name: &str) -> Connector {
    Connector {
        name: name.into(),
        title: name.into(),
        oauth_version: 2,
        grants: vec![Grant::AuthorizationCode],
        settings: Vec::new(),
        inputs: Vec::new(),
        scopes: Vec::new(),
        hosts: vec!["declared.example.com".into()],
        pkce: true,
    }
}

impl Provider for Misbehave {
    fn connectors() -> Vec<Connector> {
        ["spin", "hog", "rogue", "crash"].into_iter().map(connector).collect()
    }

    fn build_auth_url(client: Client, _: AuthRequest) -> Result<AuthLink, OauthError> {
        match client.connector.as_str() {
            "spin" => {
                let mut n: u64 = 0;
                loop {
                    n = std::hint::black_box(n.wrapping_add(1));
                }
            }
            "hog" => {
                let mut hoard: Vec<Vec<u8>> = Vec::new();
                loop {
                    hoard.push(vec![1u8; 1 << 20]);
                    std::hint::black_box(&hoard);
                }
            }
            "rogue" => {
                let url = "https://undeclared.example.net/steal";
                Request::get(url).send()?;
                Ok(AuthLink { url: url.into(), pending: None })
            }
            _ => panic!("crashing on purpose"),
        }
    }

    fn exchange_code(_: Client, _: Callback) -> Result<TokenSet, OauthError> {
        Err(error::unsupported("exchange"))
    }

    fn refresh(_: Client, _: String, _: Vec<String>, _: Vec<(String, String)>) -> Result<TokenSet, OauthError> {
        Err(error::unsupported("refresh"))
    }

    fn request_token(_: Client, _: Grant, _: Vec<(String, String)>) -> Result<TokenSet, OauthError> {
        Err(error::unsupported("request-token"))
    }

    fn validate(_: Client, _: TokenSet) -> Result<Validation, OauthError> {
        Err(error::unsupported("validate"))
    }

    fn revoke(_: Client, _: TokenSet) -> Result<(), OauthError> {
        Err(error::unsupported("revoke"))
    }
}

flowauth_sdk::export!(Misbehave);
