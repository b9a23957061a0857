//! PTC servers whose tokens PingFederate issues: ThingWorx, Windchill and
//! Windchill RV&S. Quirks: `BASE_URL` is the PingFederate `/as` URL, with
//! `/authorization.oauth2`, `/token.oauth2` and `/introspect.oauth2` under
//! it; tokens are validated by introspection; refresh tokens roll (each is
//! replaced on use); the resource server URL is kept with the token;
//! Windchill writes scopes with commas and may name an IdP adapter.

use flowauth_sdk::call::Call;
use flowauth_sdk::declaration::{Declaration, Field, Validate};
use flowauth_sdk::http::Response;
use flowauth_sdk::standard::Family;
use flowauth_sdk::token::parse_token_response;
use flowauth_sdk::{OauthError, TokenSet, pairs};

const PING: Declaration = Declaration {
    base_url: "",
    authorize: "/authorization.oauth2",
    token: "/token.oauth2",
    revoke: Some("/revoke_token.oauth2"),
    validate: Validate::Introspect("/introspect.oauth2"),
    settings: &[Field::optional(
        "RESOURCE_URL",
        "The resource server, e.g. https://thingworx.example.com:8443/Thingworx",
    )],
    inputs: &[Field::optional("resource", "The resource server URL, when the provider sets no RESOURCE_URL")],
    pkce: true,
    ..Declaration::OAUTH2
};

/// The PTC family.
pub struct Ptc;

impl Family for Ptc {
    const CONNECTORS: &'static [Declaration] = &[
        Declaration {
            name: "thingworx",
            title: "Thingworx",
            scopes: &[("THINGWORX", "Access ThingWorx as you")],
            default_scopes: &["THINGWORX"],
            ..PING
        },
        Declaration {
            name: "windchill",
            title: "Windchill",
            settings: &[
                Field::optional("RESOURCE_URL", "The Windchill URL, e.g. https://windchill.example.com/Windchill"),
                Field::optional("PF_IDP_ADAPTER_ID", "The PingFederate IdP adapter, when there are several"),
            ],
            authorize_params: &[("pfidpadapterid", "{PF_IDP_ADAPTER_ID}")],
            scopes: &[("WINDCHILL_READ", "Read Windchill data"), ("WINDCHILL", "Read and write Windchill data")],
            default_scopes: &["WINDCHILL_READ"],
            ..PING
        },
        Declaration { name: "integrity", title: "Windchill RV&S", ..PING },
    ];

    /// Keeps the resource server's URL with the token, for the flows.
    fn token_response(call: &Call, response: &Response) -> Result<TokenSet, OauthError> {
        let mut tokens = parse_token_response(response)?;
        if let Some(resource) = call.value("resource").or_else(|| call.value("RESOURCE_URL")) {
            pairs::set(&mut tokens.extra, "resource_url", resource);
        }
        Ok(tokens)
    }
}

flowauth_sdk::family!(Ptc);
