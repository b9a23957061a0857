//! The bindings of each released version of the WIT contract, one module
//! per version (Zed's `since_vX` pattern), each converting onto the host's
//! own types ([`crate::runtime::types`]): nothing outside this module sees
//! a generated type. A released version never changes, and the host keeps
//! loading every version it ever loaded: a new version is a new module
//! beside the others.
//!
//! A component's version is that of the `provider` interface it exports;
//! which optional exports it has (0.2's `definitions`) is found at install
//! too, so no call has to find out.

use wasmtime::Store;
use wasmtime::component::{HasSelf, Instance, InstancePre, Linker};

use super::sandbox::CallState;
use super::types::{AuthLink, AuthRequest, Callback, Client, Connector, Grant, OauthError, TokenSet, Validation};

/// What a component call gives back: a trap, or the component's answer.
pub type Answer<T> = wasmtime::Result<Result<T, OauthError>>;

/// The glue a version shares with 0.1.0 while its types, its imports and
/// its `provider` calls are those of 0.1.0: conversions between its
/// generated types and the host's, its imports implemented on
/// [`CallState`], and the `provider` calls on its `Guest` (a struct with a
/// `provider` field the version module defines). Each version module
/// expands it against its own generated code, since `self::` paths resolve
/// where it is expanded; a version that changes one of these writes its own
/// instead.
macro_rules! since_v0_1 {
    () => {
        use self::exports::flowauth::oauth::provider;
        use self::flowauth::oauth::{credentials, http, log, types as wit};
        use crate::runtime::sandbox::CallState;
        use crate::runtime::types as host;
        use crate::runtime::wit::Answer;

        /// The component's answer in the host's types.
        fn answer<T, U: From<T>>(answer: Result<T, wit::OauthError>) -> Result<U, host::OauthError> {
            answer.map(Into::into).map_err(Into::into)
        }

        impl Guest {
            pub async fn connectors(&self, store: &mut wasmtime::Store<CallState>) -> Answer<Vec<host::Connector>> {
                Ok(Ok(self.provider.call_connectors(store).await?.into_iter().map(Into::into).collect()))
            }

            pub async fn build_auth_url(
                &self,
                store: &mut wasmtime::Store<CallState>,
                client: &host::Client,
                req: &host::AuthRequest,
            ) -> Answer<host::AuthLink> {
                let (client, req) = (wit::Client::from(client), wit::AuthRequest::from(req));
                Ok(answer(self.provider.call_build_auth_url(store, &client, &req).await?))
            }

            pub async fn exchange_code(
                &self,
                store: &mut wasmtime::Store<CallState>,
                client: &host::Client,
                callback: &host::Callback,
            ) -> Answer<host::TokenSet> {
                let (client, callback) = (wit::Client::from(client), wit::Callback::from(callback));
                Ok(answer(self.provider.call_exchange_code(store, &client, &callback).await?))
            }

            pub async fn refresh(
                &self,
                store: &mut wasmtime::Store<CallState>,
                client: &host::Client,
                refresh_token: &str,
                scopes: &[String],
                extra: &host::Pairs,
            ) -> Answer<host::TokenSet> {
                let client = wit::Client::from(client);
                Ok(answer(self.provider.call_refresh(store, &client, refresh_token, scopes, extra).await?))
            }

            pub async fn request_token(
                &self,
                store: &mut wasmtime::Store<CallState>,
                client: &host::Client,
                grant: host::Grant,
                params: &host::Pairs,
            ) -> Answer<host::TokenSet> {
                let client = wit::Client::from(client);
                Ok(answer(self.provider.call_request_token(store, &client, grant.into(), params).await?))
            }

            pub async fn validate(
                &self,
                store: &mut wasmtime::Store<CallState>,
                client: &host::Client,
                token: &host::TokenSet,
            ) -> Answer<host::Validation> {
                let (client, token) = (wit::Client::from(client), wit::TokenSet::from(token));
                Ok(answer(self.provider.call_validate(store, &client, &token).await?))
            }

            pub async fn revoke(
                &self,
                store: &mut wasmtime::Store<CallState>,
                client: &host::Client,
                token: &host::TokenSet,
            ) -> Answer<()> {
                let (client, token) = (wit::Client::from(client), wit::TokenSet::from(token));
                Ok(answer(self.provider.call_revoke(store, &client, &token).await?))
            }
        }

        impl wit::Host for CallState {}

        impl http::Host for CallState {
            async fn send(&mut self, request: http::Request) -> Result<http::Response, http::HttpError> {
                let request = host::HttpRequest {
                    method: request.method,
                    url: request.url,
                    headers: request.headers,
                    body: request.body,
                };
                match self.outbound.send(request).await {
                    Ok(r) => Ok(http::Response { status: r.status, headers: r.headers, body: r.body }),
                    Err(host::HttpError::Denied(m)) => Err(http::HttpError::Denied(m)),
                    Err(host::HttpError::Timeout) => Err(http::HttpError::Timeout),
                    Err(host::HttpError::TooLarge) => Err(http::HttpError::TooLarge),
                    Err(host::HttpError::Transport(m)) => Err(http::HttpError::Transport(m)),
                }
            }
        }

        impl credentials::Host for CallState {
            fn client_assertion(&mut self, audience: String) -> Result<String, String> {
                self.sign_client_assertion(&audience)
            }
        }

        impl log::Host for CallState {
            fn log(&mut self, level: log::Level, message: String) {
                let level = match level {
                    log::Level::Trace => host::LogLevel::Trace,
                    log::Level::Debug => host::LogLevel::Debug,
                    log::Level::Info => host::LogLevel::Info,
                    log::Level::Warn => host::LogLevel::Warn,
                    log::Level::Error => host::LogLevel::Error,
                };
                self.write_log(level, &message);
            }
        }

        impl From<wit::Grant> for host::Grant {
            fn from(grant: wit::Grant) -> Self {
                match grant {
                    wit::Grant::AuthorizationCode => Self::AuthorizationCode,
                    wit::Grant::ClientCredentials => Self::ClientCredentials,
                    wit::Grant::Password => Self::Password,
                    wit::Grant::RefreshToken => Self::RefreshToken,
                }
            }
        }

        impl From<host::Grant> for wit::Grant {
            fn from(grant: host::Grant) -> Self {
                match grant {
                    host::Grant::AuthorizationCode => Self::AuthorizationCode,
                    host::Grant::ClientCredentials => Self::ClientCredentials,
                    host::Grant::Password => Self::Password,
                    host::Grant::RefreshToken => Self::RefreshToken,
                }
            }
        }

        impl From<wit::Setting> for host::Setting {
            fn from(s: wit::Setting) -> Self {
                Self {
                    key: s.key,
                    required: s.required,
                    secret: s.secret,
                    description: s.description,
                    default: s.default,
                }
            }
        }

        impl From<wit::Connector> for host::Connector {
            fn from(c: wit::Connector) -> Self {
                Self {
                    name: c.name,
                    title: c.title,
                    oauth_version: c.oauth_version,
                    grants: c.grants.into_iter().map(Into::into).collect(),
                    settings: c.settings.into_iter().map(Into::into).collect(),
                    inputs: c.inputs.into_iter().map(Into::into).collect(),
                    scopes: c.scopes,
                    hosts: c.hosts,
                    pkce: c.pkce,
                }
            }
        }

        impl From<&host::Client> for wit::Client {
            fn from(c: &host::Client) -> Self {
                Self { connector: c.connector.clone(), settings: c.settings.clone(), definition: c.definition.clone() }
            }
        }

        impl From<&host::AuthRequest> for wit::AuthRequest {
            fn from(r: &host::AuthRequest) -> Self {
                Self {
                    redirect_uri: r.redirect_uri.clone(),
                    state: r.state.clone(),
                    scopes: r.scopes.clone(),
                    code_challenge: r.code_challenge.clone(),
                    extra: r.extra.clone(),
                }
            }
        }

        impl From<wit::AuthLink> for host::AuthLink {
            fn from(l: wit::AuthLink) -> Self {
                Self { url: l.url, pending: l.pending }
            }
        }

        impl From<&host::Callback> for wit::Callback {
            fn from(c: &host::Callback) -> Self {
                Self {
                    redirect_uri: c.redirect_uri.clone(),
                    query: c.query.clone(),
                    code_verifier: c.code_verifier.clone(),
                    pending: c.pending.clone(),
                    extra: c.extra.clone(),
                }
            }
        }

        impl From<wit::TokenSet> for host::TokenSet {
            fn from(t: wit::TokenSet) -> Self {
                Self {
                    access_token: t.access_token,
                    token_type: t.token_type,
                    refresh_token: t.refresh_token,
                    expires_in: t.expires_in,
                    scope: t.scope,
                    id_token: t.id_token,
                    extra: t.extra,
                }
            }
        }

        impl From<&host::TokenSet> for wit::TokenSet {
            fn from(t: &host::TokenSet) -> Self {
                Self {
                    access_token: t.access_token.clone(),
                    token_type: t.token_type.clone(),
                    refresh_token: t.refresh_token.clone(),
                    expires_in: t.expires_in,
                    scope: t.scope.clone(),
                    id_token: t.id_token.clone(),
                    extra: t.extra.clone(),
                }
            }
        }

        impl From<wit::Validation> for host::Validation {
            fn from(v: wit::Validation) -> Self {
                Self { active: v.active, expires_in: v.expires_in, scope: v.scope, subject: v.subject }
            }
        }

        impl From<wit::OauthError> for host::OauthError {
            fn from(e: wit::OauthError) -> Self {
                match e {
                    wit::OauthError::Config(m) => Self::Config(m),
                    wit::OauthError::Rejected(p) => Self::Rejected(host::ProviderError {
                        status: p.status,
                        code: p.code,
                        description: p.description,
                    }),
                    wit::OauthError::Transport(m) => Self::Transport(m),
                    wit::OauthError::Protocol(m) => Self::Protocol(m),
                    wit::OauthError::Unsupported(m) => Self::Unsupported(m),
                }
            }
        }
    };
}

pub mod v0_1;
pub mod v0_2;

/// The `provider` exports this host loads, oldest first: the one a
/// component exports is its contract version.
pub const PROVIDERS: [&str; 2] = [v0_1::PROVIDER, v0_2::PROVIDER];

/// The version of an interface name: `0.2.0` of
/// `flowauth:oauth/provider@0.2.0`.
pub fn version_of(interface: &str) -> &str {
    interface.rsplit_once('@').map_or("", |(_, version)| version)
}

/// Lends every version's imports to the components a linker links.
pub fn add_to_linker(linker: &mut Linker<CallState>) -> wasmtime::Result<()> {
    v0_1::Connector::add_to_linker::<_, HasSelf<CallState>>(linker, |state| state)?;
    v0_2::ConnectorWithDefinitions::add_to_linker::<_, HasSelf<CallState>>(linker, |state| state)
}

/// Where a component's exports are, found once at install.
#[derive(Clone)]
pub enum Exports {
    V0_1(v0_1::Exports),
    V0_2(v0_2::Exports),
}

/// A component's exports in one instance, for one call.
pub enum Guest {
    V0_1(v0_1::Guest),
    V0_2(v0_2::Guest),
}

/// Runs the same expression on whichever version's guest it is.
macro_rules! each_version {
    ($guest:expr, $bound:ident => $call:expr) => {
        match $guest {
            Guest::V0_1($bound) => $call,
            Guest::V0_2($bound) => $call,
        }
    };
}

impl Exports {
    /// The exports of a component whose `provider` export is `provider`
    /// (one of [`PROVIDERS`]).
    pub fn new(provider: &str, pre: &InstancePre<CallState>) -> wasmtime::Result<Self> {
        match provider {
            v0_1::PROVIDER => Ok(Self::V0_1(v0_1::Exports::new(pre)?)),
            v0_2::PROVIDER => Ok(Self::V0_2(v0_2::Exports::new(pre)?)),
            other => wasmtime::bail!("{other} is not a contract version this flowauth loads"),
        }
    }

    /// The contract version the component was built against, e.g. `0.2.0`.
    pub fn version(&self) -> &'static str {
        version_of(match self {
            Self::V0_1(_) => v0_1::PROVIDER,
            Self::V0_2(_) => v0_2::PROVIDER,
        })
    }

    /// Whether the component describes run-time connector definitions.
    pub fn takes_definitions(&self) -> bool {
        match self {
            Self::V0_1(_) => true,
            Self::V0_2(exports) => exports.takes_definitions(),
        }
    }

    /// The exports of a fresh instance, their types checked.
    pub fn load(&self, store: &mut Store<CallState>, instance: &Instance) -> wasmtime::Result<Guest> {
        Ok(match self {
            Self::V0_1(exports) => Guest::V0_1(exports.load(store, instance)?),
            Self::V0_2(exports) => Guest::V0_2(exports.load(store, instance)?),
        })
    }
}

impl Guest {
    /// The connectors the component serves.
    pub async fn connectors(&self, store: &mut Store<CallState>) -> Answer<Vec<Connector>> {
        each_version!(self, guest => guest.connectors(store).await)
    }

    /// Describes a run-time definition; the caller checked that the
    /// component takes definitions.
    pub async fn describe_definition(&self, store: &mut Store<CallState>, definition: &str) -> Answer<Connector> {
        each_version!(self, guest => guest.describe_definition(store, definition).await)
    }

    /// Builds the URL a user follows to authorize.
    pub async fn build_auth_url(
        &self,
        store: &mut Store<CallState>,
        client: &Client,
        req: &AuthRequest,
    ) -> Answer<AuthLink> {
        each_version!(self, guest => guest.build_auth_url(store, client, req).await)
    }

    /// Exchanges the code of a callback for tokens.
    pub async fn exchange_code(
        &self,
        store: &mut Store<CallState>,
        client: &Client,
        callback: &Callback,
    ) -> Answer<TokenSet> {
        each_version!(self, guest => guest.exchange_code(store, client, callback).await)
    }

    /// Renews an access token with a refresh token.
    pub async fn refresh(
        &self,
        store: &mut Store<CallState>,
        client: &Client,
        refresh_token: &str,
        scopes: &[String],
        extra: &super::types::Pairs,
    ) -> Answer<TokenSet> {
        each_version!(self, guest => guest.refresh(store, client, refresh_token, scopes, extra).await)
    }

    /// Requests a token without a user redirect.
    pub async fn request_token(
        &self,
        store: &mut Store<CallState>,
        client: &Client,
        grant: Grant,
        params: &super::types::Pairs,
    ) -> Answer<TokenSet> {
        each_version!(self, guest => guest.request_token(store, client, grant, params).await)
    }

    /// Asks the provider whether a token is still good.
    pub async fn validate(
        &self,
        store: &mut Store<CallState>,
        client: &Client,
        token: &TokenSet,
    ) -> Answer<Validation> {
        each_version!(self, guest => guest.validate(store, client, token).await)
    }

    /// Revokes a token at the provider.
    pub async fn revoke(&self, store: &mut Store<CallState>, client: &Client, token: &TokenSet) -> Answer<()> {
        each_version!(self, guest => guest.revoke(store, client, token).await)
    }
}
