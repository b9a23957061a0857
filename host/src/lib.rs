//! flowauth: the OAuth layer of a workflow engine.
//!
//! The logic that differs between identity providers lives in WebAssembly
//! components (one per connector family) that [`runtime`] loads and runs in
//! a sandbox; [`pkce`] holds the protocol pieces the host owns itself.
#![deny(missing_docs)]

pub mod api;
pub mod bundle;
pub mod client_keys;
pub mod events;
pub mod metrics;
pub mod pkce;
mod private;
pub mod runtime;
pub mod store;
pub mod tokens;
