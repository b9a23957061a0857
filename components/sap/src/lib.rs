//! SAP NetWeaver's OAuth 2.0 server, for SAP OData. Quirks: `BASE_URL` is
//! the server's `.../sap/bc/sec/oauth2`; the client authenticates with a
//! basic header; the OData service (`CONNECTION_URL`) and `RESOURCE_URL`
//! are kept with the token for the flows.

use flowauth_sdk::call::Call;
use flowauth_sdk::client_auth::ClientAuth;
use flowauth_sdk::declaration::{Declaration, Field, Revoke};
use flowauth_sdk::http::Response;
use flowauth_sdk::standard::Family;
use flowauth_sdk::token::parse_token_response;
use flowauth_sdk::{OauthError, TokenSet, pairs};

/// The SAP family.
pub struct Sap;

impl Family for Sap {
    const CONNECTORS: &'static [Declaration] = &[Declaration {
        name: "sap_odata",
        title: "SAP_OData",
        base_url: "",
        authorize: "/authorize",
        token: "/token",
        revoke: Revoke::Rfc7009("/revoke"),
        client_auth: ClientAuth::Basic,
        settings: &[
            Field::optional("CONNECTION_URL", "The SAP OData service, https://<host>:<port>/"),
            Field::optional("RESOURCE_URL", "The SAP resource URL, https://<host>:<port>/"),
        ],
        ..Declaration::OAUTH2
    }];

    fn token_response(call: &Call, response: &Response) -> Result<TokenSet, OauthError> {
        let mut tokens = parse_token_response(response)?;
        for (key, setting) in [("connection_url", "CONNECTION_URL"), ("resource_url", "RESOURCE_URL")] {
            if let Some(value) = call.setting(setting) {
                pairs::set(&mut tokens.extra, key, value);
            }
        }
        Ok(tokens)
    }
}

flowauth_sdk::family!(Sap);
