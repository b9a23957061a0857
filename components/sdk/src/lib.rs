//! The guest library for flowauth connector components.
//!
//! A component implements [`Provider`] and exports it with
//! [`export!`](crate::export); one that takes run-time connector
//! definitions also implements [`Definitions`] and exports it with
//! [`export_definitions!`](crate::export_definitions). Everything else here is the shared dialect of
//! OAuth 2.0: HTTP through the host's sandboxed `http` import
//! ([`http::Request`]), form encoding ([`form`]), token and error responses
//! as RFC 6749 defines them ([`token`]), `{placeholder}` templates
//! ([`template`]), client authentication ([`client_auth`]), the `PROMPT` setting
//! ([`prompt`]), RFC 7662 introspection ([`introspect`]), further tokens of
//! one grant ([`alternates`]), the standard provider a family declares
//! ([`declaration`], [`standard`]) and OAuth 1.0a ([`oauth1`]).
#![deny(missing_docs)]

pub mod alternates;
pub mod call;
pub mod client_auth;
pub mod declaration;
pub mod error;
pub mod form;
pub mod http;
pub mod introspect;
pub mod log;
pub mod oauth1;
#[cfg(feature = "oauth2")]
pub mod oauth2_client;
pub mod pairs;
pub mod prompt;
pub mod standard;
pub mod template;
pub mod token;

/// Bindings generated from `flowauth:oauth@0.2.0` (the `connector` world).
#[allow(missing_docs)]
pub mod bindings {
    wit_bindgen::generate!({
        world: "connector",
        path: "../../wit/0.2.0",
        pub_export_macro: true,
        export_macro_name: "export",
        default_bindings_module: "flowauth_sdk::bindings",
    });
}

/// Bindings of the optional `definitions` export alone, with the types of
/// [`bindings`]: a world of its own gives it an export macro of its own, so
/// only components that take run-time definitions implement it. The two
/// export macros' worlds are merged when the component is made.
#[allow(missing_docs)]
pub mod definitions_bindings {
    wit_bindgen::generate!({
        inline: "package flowauth:sdk; world definitions { export flowauth:oauth/definitions@0.2.0; }",
        path: "../../wit/0.2.0",
        with: { "flowauth:oauth/types@0.2.0": crate::bindings::flowauth::oauth::types },
        pub_export_macro: true,
        export_macro_name: "export_definitions",
        default_bindings_module: "flowauth_sdk::definitions_bindings",
    });
}

pub use bindings::export;
pub use bindings::exports::flowauth::oauth::provider::Guest as Provider;
pub use bindings::flowauth::oauth::types::{
    AuthLink, AuthRequest, Callback, Client, Connector, Grant, OauthError, Pairs, ProviderError, Setting, TokenSet,
    Validation,
};
pub use definitions_bindings::export_definitions;
pub use definitions_bindings::exports::flowauth::oauth::definitions::Guest as Definitions;
