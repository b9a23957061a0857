//! Strings the API checks, described in the OpenAPI document as exactly as
//! a JSON Schema pattern can say them, so that a client that follows the
//! document (a generated one, or schemathesis) is not refused. Built in
//! code so the patterns share their parts: one host, one port.
//!
//! Each is a schema only (`#[schema(value_type = ...)]` on a `String`
//! field), never a value: the handlers check the strings themselves.

use std::borrow::Cow;
use std::collections::BTreeMap;

use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, Schema, SchemaFormat, SchemaType, Type};
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

/// Pairs as ThingWorx writes them: an array of objects of values (an
/// escaped JSON string holding such an object is taken too).
type Pairs = Vec<BTreeMap<String, PairValue>>;

schema_only! {
    /// A value of a pair: a string, or a number or boolean taken as its text.
    PairValue => ObjectBuilder::new()
        .schema_type([Type::String, Type::Number, Type::Boolean].into_iter().collect::<SchemaType>())
        .into()
}

/// A ThingWorx connector `config.json` as the generic component reads it
/// (docs/GENERIC.md); other keys are ignored. Schema only.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct ConnectorDefinition {
    /// The connector's load-file name; not a built-in's.
    #[schema(pattern = "^[A-Za-z0-9_-]+$")]
    name: String,
    #[schema(value_type = Option<String>, pattern = "^[Oo][Aa][Uu][Tt][Hh]2$")]
    oauth_type: Option<String>,
    title: Option<String>,
    base_url: Option<String>,
    oauth2_auth_url: Option<String>,
    #[schema(value_type = Option<Vec<BTreeMap<String, PairValue>>>)]
    oauth2_auth_query: Option<Pairs>,
    oauth2_token_url: Option<String>,
    #[schema(value_type = Option<Vec<BTreeMap<String, PairValue>>>)]
    oauth2_token_data: Option<Pairs>,
    oauth2_refresh_url: Option<String>,
    #[schema(value_type = Option<Vec<BTreeMap<String, PairValue>>>)]
    oauth2_refresh_data: Option<Pairs>,
    oauth2_validate_url: Option<String>,
    oauth2_validate_method: Option<String>,
    #[schema(value_type = Option<Vec<BTreeMap<String, PairValue>>>)]
    oauth2_validate_headers: Option<Pairs>,
    #[schema(value_type = Option<Vec<BTreeMap<String, PairValue>>>)]
    oauth2_params_scope: Option<Pairs>,
    #[schema(value_type = Option<Vec<BTreeMap<String, PairValue>>>)]
    oauth2_include: Option<Pairs>,
    oauth2_no_state: Option<bool>,
    /// Only `needurl` ("true" or "false") has a meaning; other entries are refused.
    oauth2_params_other: Option<Vec<NeedUrl>>,
    /// Values the user gives per token.
    oauth2_required: Option<Vec<RequiredInput>>,
    #[schema(value_type = Option<Vec<BTreeMap<String, PairValue>>>)]
    env_local_params: Option<Pairs>,
    #[schema(value_type = Option<Vec<BTreeMap<String, PairValue>>>)]
    env_development_params: Option<Pairs>,
    #[schema(value_type = Option<Vec<BTreeMap<String, PairValue>>>)]
    env_staging_params: Option<Pairs>,
    #[schema(value_type = Option<Vec<BTreeMap<String, PairValue>>>)]
    env_pre_prod_params: Option<Pairs>,
    #[schema(value_type = Option<Vec<BTreeMap<String, PairValue>>>)]
    env_production_params: Option<Pairs>,
    flowauth_revoke_url: Option<String>,
    flowauth_pkce: Option<bool>,
    #[schema(value_type = Option<String>, pattern = "^(client_secret_post|client_secret_basic|private_key_jwt|none|body|post|basic|header)$")]
    flowauth_client_auth: Option<String>,
    #[schema(nullable = false)]
    flowauth_grants: Option<Vec<GrantName>>,
    #[schema(nullable = false)]
    flowauth_settings: Option<Vec<DeclaredSetting>>,
    flowauth_hosts: Option<Vec<String>>,
}

/// An `oauth2_params_other` entry.
#[derive(utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct NeedUrl {
    #[schema(value_type = Option<NeedUrlValue>, nullable = false)]
    needurl: Option<String>,
}

schema_only! {
    /// `needurl`: true or false, as a string or a boolean.
    NeedUrlValue => ObjectBuilder::new()
        .schema_type([Type::String, Type::Boolean].into_iter().collect::<SchemaType>())
        .enum_values(Some([serde_json::json!("true"), serde_json::json!("false"), serde_json::json!(true), serde_json::json!(false)]))
        .into()
}

/// An `oauth2_required` entry.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct RequiredInput {
    id: String,
    title: Option<String>,
    default: Option<String>,
    description: Option<String>,
}

/// A `flowauth_settings` entry.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct DeclaredSetting {
    key: String,
    // The component reads these leniently today: a value of another type
    // counts as left out (false, no description, no default).
    /// true when the setting must be given; anything else counts as false.
    #[schema(value_type = Option<serde_json::Value>)]
    required: Option<bool>,
    /// true when the value is a secret; anything else counts as false.
    #[schema(value_type = Option<serde_json::Value>)]
    secret: Option<bool>,
    /// A string; anything else counts as none.
    #[schema(value_type = Option<serde_json::Value>)]
    description: Option<String>,
    /// A string; anything else counts as none.
    #[schema(value_type = Option<serde_json::Value>)]
    default: Option<String>,
}

/// A grant a connector serves.
#[derive(utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum GrantName {
    AuthorizationCode,
    ClientCredentials,
    Password,
    RefreshToken,
}
