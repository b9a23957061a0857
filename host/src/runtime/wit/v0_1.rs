//! Host bindings of `flowauth:oauth@0.1.0` (the `connector` world), generated
//! from `wit/` and nothing else, and their conversions to and from the
//! host's own types ([`crate::runtime::types`]). Only `http.send` waits on I/O.

wasmtime::component::bindgen!({
    world: "connector",
    path: "../wit",
    imports: { "flowauth:oauth/http.send": async },
    exports: { default: async },
});

use self::flowauth::oauth::types as wit;
use crate::runtime::types as host;

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
        Self { key: s.key, required: s.required, secret: s.secret, description: s.description, default: s.default }
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
            wit::OauthError::Rejected(p) => {
                Self::Rejected(host::ProviderError { status: p.status, code: p.code, description: p.description })
            }
            wit::OauthError::Transport(m) => Self::Transport(m),
            wit::OauthError::Protocol(m) => Self::Protocol(m),
            wit::OauthError::Unsupported(m) => Self::Unsupported(m),
        }
    }
}
