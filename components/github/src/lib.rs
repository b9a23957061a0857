//! GitHub OAuth apps. Quirks, all handled by the SDK's token reader: the
//! token answer is form-encoded unless `Accept: application/json` is sent
//! (the SDK always sends it), errors come with HTTP 200, and tokens of
//! OAuth apps carry no expiry.

use flowauth_sdk::declaration::Declaration;
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
