//! GitHub OAuth apps. Quirks, handled by the SDK's token reader: the
//! token answer is form-encoded unless `Accept: application/json` is sent
//! (the SDK always sends it), errors come with HTTP 200, and tokens of
//! OAuth apps carry no expiry. Revocation and validation are not RFC 7009
//! or 7662 but the REST API's OAuth app endpoints on `api.github.com`,
//! authenticated with the client's id and secret, the token in a JSON body:
//! `DELETE /applications/{client_id}/grant` ends the grant,
//! `POST /applications/{client_id}/token` checks a token (404: not valid).

use flowauth_sdk::declaration::{Declaration, Revoke, Validate};
use flowauth_sdk::standard::Family;

/// The GitHub family.
pub struct Github;

impl Family for Github {
    const CONNECTORS: &'static [Declaration] = &[Declaration {
        name: "github",
        title: "Github",
        base_url: "https://github.com",
        authorize: "/login/oauth/authorize",
        token: "/login/oauth/access_token",
        revoke: Revoke::ClientJson("DELETE", "https://api.github.com/applications/{client_id}/grant"),
        validate: Validate::ClientJson("https://api.github.com/applications/{client_id}/token"),
        scopes: &[
            ("repo", "Public and private repositories"),
            ("user", "Your profile"),
            ("read:org", "Your organizations and teams"),
            ("workflow", "GitHub Actions workflows"),
        ],
        default_scopes: &["repo", "user"],
        ..Declaration::OAUTH2
    }];
}

flowauth_sdk::family!(Github);
