//! Salesforce and ServiceMax (which runs on Salesforce). Quirks: the token
//! answer names the org's API base in `instance_url`, which flows need and
//! which is kept with the token; it carries no `expires_in`; sandboxes and
//! My Domain orgs log in at another host (`login_host`).

use flowauth_sdk::call::Call;
use flowauth_sdk::declaration::{Declaration, Field, Revoke, Validate};
use flowauth_sdk::http::Response;
use flowauth_sdk::standard::Family;
use flowauth_sdk::token::parse_token_response;
use flowauth_sdk::{OauthError, TokenSet, error, pairs};

const SALESFORCE: Declaration = Declaration {
    base_url: "https://{login_host}",
    authorize: "/services/oauth2/authorize",
    token: "/services/oauth2/token",
    revoke: Revoke::Rfc7009("/services/oauth2/revoke"),
    validate: Validate::Introspect("/services/oauth2/introspect"),
    inputs: &[Field::default(
        "login_host",
        "login.salesforce.com",
        "Where users log in: test.salesforce.com for sandboxes, or your My Domain host",
    )],
    hosts: &["*.salesforce.com"],
    pkce: true,
    scopes: &[
        ("api", "Access the REST and SOAP APIs"),
        ("refresh_token", "Keep access when you are not signed in (a refresh token)"),
        ("id", "Read your identity"),
        ("full", "Everything you can reach"),
    ],
    default_scopes: &["api", "refresh_token"],
    ..Declaration::OAUTH2
};

/// The Salesforce family.
pub struct Salesforce;

impl Family for Salesforce {
    const CONNECTORS: &'static [Declaration] = &[
        Declaration { name: "salesforce", title: "Salesforce", ..SALESFORCE },
        Declaration { name: "servicemax", title: "Servicemax", ..SALESFORCE },
    ];

    /// A token without `instance_url` is of no use to a flow: say so now.
    fn token_response(_call: &Call, response: &Response) -> Result<TokenSet, OauthError> {
        let tokens = parse_token_response(response)?;
        if pairs::get(&tokens.extra, "instance_url").is_none() {
            return Err(error::protocol("the Salesforce token answer has no instance_url, the API base flows need"));
        }
        Ok(tokens)
    }
}

flowauth_sdk::family!(Salesforce);
