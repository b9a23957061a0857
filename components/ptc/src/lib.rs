//! PTC servers whose tokens PingFederate issues: ThingWorx, Windchill and
//! Windchill RV&S. Quirks: `BASE_URL` is the PingFederate `/as` URL, with
//! `/authorization.oauth2`, `/token.oauth2` and `/introspect.oauth2` under
//! it; tokens are validated by introspection; refresh tokens roll (each is
//! replaced on use); the resource server URL is kept with the token;
//! Windchill writes scopes with commas and may name an IdP adapter; client
//! credentials serve machine-to-machine flows (PingFederate's "Client
//! Credentials (required for Oauth M2M)" grant type, seed 002).

use flowauth_sdk::Grant;
use flowauth_sdk::call::Call;
use flowauth_sdk::declaration::{Declaration, Field, Revoke, Validate};
use flowauth_sdk::http::Response;
use flowauth_sdk::standard::{Family, Pairs};
use flowauth_sdk::token::parse_token_response;
use flowauth_sdk::{OauthError, TokenSet, error, pairs};

const PING: Declaration = Declaration {
    base_url: "",
    authorize: "/authorization.oauth2",
    token: "/token.oauth2",
    revoke: Revoke::Rfc7009("/revoke_token.oauth2"),
    validate: Validate::Introspect("/introspect.oauth2"),
    settings: &[Field::optional(
        "RESOURCE_URL",
        "The resource server, e.g. https://thingworx.example.com:8443/Thingworx",
    )],
    inputs: &[Field::optional("resource", "The resource server URL, when the provider sets no RESOURCE_URL")],
    pkce: true,
    grants: &[Grant::AuthorizationCode, Grant::RefreshToken, Grant::ClientCredentials],
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

    /// ThingWorx flows call the ThingWorx server: without its URL from the
    /// provider (`RESOURCE_URL`) the user must give it (seed 000).
    fn authorize_params(call: &Call, _query: &mut Pairs) -> Result<(), OauthError> {
        needs_resource(call)
    }

    /// A machine-to-machine ThingWorx token needs the server's URL too.
    fn token_params(call: &Call, grant: Grant, _form: &mut Pairs) -> Result<(), OauthError> {
        match grant {
            Grant::ClientCredentials => needs_resource(call),
            _ => Ok(()),
        }
    }

    /// Keeps the resource server's URL with the token, for the flows.
    fn token_response(call: &Call, response: &Response) -> Result<TokenSet, OauthError> {
        let mut tokens = parse_token_response(response)?;
        if let Some(resource) = resource(call) {
            pairs::set(&mut tokens.extra, "resource_url", resource);
        }
        Ok(tokens)
    }
}

/// Refuses a ThingWorx flow that names no ThingWorx server.
fn needs_resource(call: &Call) -> Result<(), OauthError> {
    if call.declaration.name == "thingworx" && resource(call).is_none() {
        return Err(error::config(
            "thingworx needs the ThingWorx URL: set RESOURCE_URL in the provider settings or pass resource with the token",
        ));
    }
    Ok(())
}

/// The resource server: the token's `resource`, else `RESOURCE_URL`.
fn resource(call: &Call) -> Option<String> {
    call.value("resource").or_else(|| call.value("RESOURCE_URL"))
}

flowauth_sdk::family!(Ptc);
