//! Zendesk. Quirks: every URL is on the account's own subdomain, which each
//! token must name (`subdomain`, required); a token is revoked with itself
//! as bearer, `DELETE /api/v2/oauth/tokens/current.json`.

use flowauth_sdk::declaration::{Declaration, Field, Revoke};
use flowauth_sdk::standard::Family;

/// The Zendesk family.
pub struct Zendesk;

impl Family for Zendesk {
    const CONNECTORS: &'static [Declaration] = &[Declaration {
        name: "zendesk",
        title: "Zendesk",
        base_url: "https://{subdomain}.zendesk.com",
        authorize: "/oauth/authorizations/new",
        token: "/oauth/tokens",
        revoke: Revoke::Bearer("DELETE", "/api/v2/oauth/tokens/current.json"),
        inputs: &[Field::required("subdomain", "Your Zendesk subdomain: acme for acme.zendesk.com")],
        hosts: &["*.zendesk.com"],
        scopes: &[("read", "Read everything you can see"), ("write", "Create and change what you can")],
        default_scopes: &["read", "write"],
        ..Declaration::OAUTH2
    }];
}

flowauth_sdk::family!(Zendesk);
