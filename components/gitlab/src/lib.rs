//! GitLab.com and self-managed GitLab. Quirks: a self-managed server is
//! named by `host` (per token or as the provider's `HOST`; a name, or a
//! URL whose scheme is kept), which alone makes every endpoint reachable:
//! the declared host `{host}` lets the sandbox call it. Every refresh
//! rotates the refresh token.

use flowauth_sdk::declaration::{Declaration, Field, Revoke, Validate};
use flowauth_sdk::standard::Family;

/// The GitLab family.
pub struct Gitlab;

impl Family for Gitlab {
    const CONNECTORS: &'static [Declaration] = &[Declaration {
        name: "gitlab",
        title: "Gitlab",
        base_url: "https://{host}",
        authorize: "/oauth/authorize",
        token: "/oauth/token",
        revoke: Revoke::Rfc7009("/oauth/revoke"),
        validate: Validate::Bearer("/oauth/token/info"),
        inputs: &[Field::default("host", "gitlab.com", "The GitLab server, for a self-managed instance")],
        hosts: &["gitlab.com", "{host}"],
        pkce: true,
        scopes: &[
            ("api", "The whole API"),
            ("read_user", "Your profile"),
            ("read_repository", "Read repositories"),
            ("read_registry", "Read container registries"),
        ],
        default_scopes: &["api", "read_user", "read_repository", "read_registry"],
        ..Declaration::OAUTH2
    }];
}

flowauth_sdk::family!(Gitlab);
