//! Dropbox. Quirks: a refresh token is issued only with
//! `token_access_type=offline`; revocation is the API's
//! `POST /2/auth/token/revoke` with the token as bearer (which ends the
//! whole grant), and its errors are `{"error": {".tag": ...}}`.

use flowauth_sdk::declaration::{Declaration, Revoke};
use flowauth_sdk::standard::Family;

/// The Dropbox family.
pub struct Dropbox;

impl Family for Dropbox {
    const CONNECTORS: &'static [Declaration] = &[Declaration {
        name: "dropbox",
        title: "Dropbox",
        base_url: "https://www.dropbox.com",
        authorize: "/oauth2/authorize",
        token: "https://api.dropboxapi.com/oauth2/token",
        revoke: Revoke::Bearer("POST", "https://api.dropboxapi.com/2/auth/token/revoke"),
        authorize_params: &[("token_access_type", "offline")],
        pkce: true,
        scopes: &[
            ("account_info.read", "Your account information"),
            ("files.metadata.read", "The names and folders of your files"),
            ("files.content.read", "The content of your files"),
            ("files.content.write", "Edit your files"),
        ],
        ..Declaration::OAUTH2
    }];
}

flowauth_sdk::family!(Dropbox);
