//! Box. Quirk: each refresh token is good once and every refresh returns
//! the next one (the host stores it before handing out the access token).

use flowauth_sdk::declaration::{Declaration, Revoke};
use flowauth_sdk::standard::Family;

/// The Box family.
pub struct BoxCom;

impl Family for BoxCom {
    const CONNECTORS: &'static [Declaration] = &[Declaration {
        name: "box",
        title: "Box",
        base_url: "https://account.box.com",
        authorize: "https://account.box.com/api/oauth2/authorize",
        token: "https://api.box.com/oauth2/token",
        revoke: Revoke::Rfc7009("https://api.box.com/oauth2/revoke"),
        scopes: &[
            ("root_readwrite", "Read and write all files and folders"),
            ("root_readonly", "Read all files and folders"),
            ("manage_webhook", "Manage webhooks"),
        ],
        ..Declaration::OAUTH2
    }];
}

flowauth_sdk::family!(BoxCom);
