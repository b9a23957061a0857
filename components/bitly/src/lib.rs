//! Bitly. Quirks: the token answer is form-encoded (whatever its content
//! type says), and tokens neither expire nor refresh.

use flowauth_sdk::call::Call;
use flowauth_sdk::declaration::Declaration;
use flowauth_sdk::http::Response;
use flowauth_sdk::standard::Family;
use flowauth_sdk::token::parse_token_response;
use flowauth_sdk::{Grant, OauthError, TokenSet};

/// The Bitly family.
pub struct Bitly;

impl Family for Bitly {
    const CONNECTORS: &'static [Declaration] = &[Declaration {
        name: "bitly",
        title: "Bitly",
        base_url: "https://bitly.com",
        authorize: "/oauth/authorize",
        token: "https://api-ssl.bitly.com/oauth/access_token",
        grants: &[Grant::AuthorizationCode],
        ..Declaration::OAUTH2
    }];

    /// Reads a body that is not JSON as the form it is.
    fn token_response(_call: &Call, response: &Response) -> Result<TokenSet, OauthError> {
        if response.json().is_some() {
            return parse_token_response(response);
        }
        let mut form = response.clone();
        form.0.headers.retain(|(k, _)| !k.eq_ignore_ascii_case("content-type"));
        form.0.headers.push(("content-type".into(), "application/x-www-form-urlencoded".into()));
        parse_token_response(&form)
    }
}

flowauth_sdk::family!(Bitly);
