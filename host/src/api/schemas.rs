//! Strings the API checks, described in the OpenAPI document as exactly as
//! a JSON Schema pattern can say them, so that a client that follows the
//! document (a generated one, or schemathesis) is not refused. Built in
//! code so the patterns share their parts: one host, one port.
//!
//! Each is a schema only (`#[schema(value_type = ...)]` on a `String`
//! field), never a value: the handlers check the strings themselves.

use std::borrow::Cow;

use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, Schema, SchemaFormat, Type};
use utoipa::openapi::RefOr;
use utoipa::{PartialSchema, ToSchema};

use crate::events::{EventKind, MAX_SECRET_CHARS, MAX_URL_BYTES, MIN_SECRET_CHARS};
use crate::tokens::MAX_TOKEN_NAME_CHARS;

/// A host name whose labels start with a letter (a last label of digits
/// would be read as an IPv4 number), or a dotted IPv4 address.
pub(super) const HOST: &str = r"(([A-Za-z][A-Za-z0-9-]*\.)*[A-Za-z][A-Za-z0-9-]*|((25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])\.){3}(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9]))";

/// A port, 0 to 65535.
pub(super) const PORT: &str = r"(6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[0-9]{1,4})";

/// A string schema.
fn string(description: &str, pattern: String, length: Option<(usize, usize)>) -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .description(Some(description))
        .pattern(Some(pattern))
        .min_length(length.map(|(min, _)| min))
        .max_length(length.map(|(_, max)| max))
        .into()
}

/// Declares a schema-only type named `$name`.
macro_rules! schema_only {
    ($(#[$doc:meta])* $name:ident => $schema:expr) => {
        $(#[$doc])*
        pub enum $name {}

        impl PartialSchema for $name {
            fn schema() -> RefOr<Schema> {
                $schema
            }
        }

        impl ToSchema for $name {
            fn name() -> Cow<'static, str> {
                Cow::Borrowed(stringify!($name))
            }
        }
    };
}

schema_only! {
    /// A token's name: what `tokens::check_token_name` accepts.
    TokenName => string(
        "1 to 200 characters, no control characters (U+0000-U+001F, U+007F-U+009F), not only white space; \
         unique within the tenant",
        // Printable characters around one that is not white space either.
        r"^[^\x00-\x1f\x7f-\x9f]*[^\x00-\x20\x7f-\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000][^\x00-\x1f\x7f-\x9f]*$"
            .to_owned(),
        Some((1, MAX_TOKEN_NAME_CHARS)),
    )
}

schema_only! {
    /// An origin connect links may return to: what `tokens::connect::origin` accepts.
    Origin => string(
        "scheme, host and optional port, nothing after: https://app.example.com",
        format!("^https?://{HOST}(:{PORT})?/?$"),
        None,
    )
}

schema_only! {
    /// Where a connect link's user lands afterwards.
    ReturnTo => string(
        "an absolute http(s) URL on an origin the tenant allowed (connect-settings); `token_id` and `status` \
         (and `error`) are added to its query",
        format!("^https?://{HOST}(:{PORT})?([/?#][!-~]*)?$"),
        None,
    )
}

schema_only! {
    /// A webhook's URL: what `events::target::check_url` accepts, less the
    /// address policy (a host that is not public is refused with 403).
    WebhookUrl => string(
        "an absolute https URL without credentials or #fragment, at most 2048 bytes; a host that is not public \
         (loopback, private, link-local) is refused unless the server runs with --allow-private-network",
        format!("^https://{HOST}(:{PORT})?([/?][!-\"$-~]*)?$"),
        // ASCII only, so characters are bytes.
        Some((1, MAX_URL_BYTES)),
    )
}

schema_only! {
    /// A webhook signing secret of the tenant's own.
    WebhookSecret => string(
        "32 to 256 printable ASCII characters without spaces",
        r"^[!-~]+$".to_owned(),
        Some((MIN_SECRET_CHARS, MAX_SECRET_CHARS)),
    )
}

schema_only! {
    /// An event type a webhook may receive.
    EventName => ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(EventKind::ALL.map(EventKind::as_str)))
        .into()
}

schema_only! {
    /// A component upload: the bytes of a `.wasm` file.
    ComponentBytes => ObjectBuilder::new()
        .schema_type(Type::String)
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Binary)))
        .description(Some("the bytes of a WebAssembly component (a .wasm file), sent as is"))
        .into()
}
