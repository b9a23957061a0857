//! How a client proves who it is at the token endpoint (RFC 6749 2.3,
//! RFC 7523 for `private_key_jwt`).

use crate::bindings::flowauth::oauth::credentials;
use crate::http::Request;
use crate::{OauthError, error, pairs};

/// The setting that picks the method for one provider (App Xchange's
/// "Client authentication"), on every connector.
pub const SETTING: &str = "CLIENT_AUTH";
/// What [`SETTING`] takes, as `flowauth connectors` lists it.
pub const DESCRIPTION: &str = "How the client authenticates at the token endpoint: basic (client_secret_basic), \
                               body (client_secret_post), private_key_jwt (a key set with `flowauth provider key`) \
                               or none; the connector's own way when unset";

/// A client authentication method.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientAuth {
    /// `client_id` and `client_secret` in the form body.
    Body,
    /// HTTP Basic with the form-encoded id and secret (`client_secret_basic`).
    Basic,
    /// An assertion signed by the host with the provider's key (`private_key_jwt`).
    PrivateKeyJwt,
    /// Only `client_id` (public clients, PKCE).
    None,
}

impl ClientAuth {
    /// Reads a method name as OpenID Connect spells it (`client_secret_post`,
    /// `client_secret_basic`, `private_key_jwt`, `none`), or the short forms
    /// `body` and `basic`.
    pub fn parse(name: &str) -> Result<Self, OauthError> {
        match name.trim().to_ascii_lowercase().as_str() {
            "body" | "post" | "client_secret_post" => Ok(Self::Body),
            "basic" | "header" | "client_secret_basic" => Ok(Self::Basic),
            "private_key_jwt" => Ok(Self::PrivateKeyJwt),
            "none" => Ok(Self::None),
            other => Err(error::config(format!(
                "unknown client authentication {other:?}: use client_secret_post, client_secret_basic, private_key_jwt or none"
            ))),
        }
    }

    /// The method a provider's [`SETTING`] names (`setting`, its value if
    /// set), else the connector's own `default`.
    pub fn configured(setting: Option<&str>, default: Self) -> Result<Self, OauthError> {
        match setting.map(str::trim).filter(|s| !s.is_empty()) {
            Some(name) => Self::parse(name).map_err(|_| {
                error::config(format!(
                    "{SETTING} {name:?}: use basic, body, private_key_jwt or none \
                     (or client_secret_basic, client_secret_post)"
                ))
            }),
            None => Ok(default),
        }
    }

    /// Adds the client's credentials to a token request: to `form` or as a
    /// header of `request`. Values already in `form` are replaced, so a
    /// secret never goes out twice.
    pub fn apply(
        self,
        request: Request,
        form: &mut Vec<(String, String)>,
        client_id: &str,
        client_secret: Option<&str>,
    ) -> Result<Request, OauthError> {
        form.retain(|(k, _)| k != "client_secret" && k != "client_assertion" && k != "client_assertion_type");
        match self {
            Self::Body => {
                pairs::set(form, "client_id", client_id);
                let secret = client_secret.ok_or_else(|| error::config("CLIENT_SECRET is not set"))?;
                pairs::set(form, "client_secret", secret);
                Ok(request)
            }
            Self::Basic => {
                form.retain(|(k, _)| k != "client_id");
                let secret = client_secret.ok_or_else(|| error::config("CLIENT_SECRET is not set"))?;
                Ok(request.basic_auth(client_id, secret))
            }
            Self::PrivateKeyJwt => {
                let audience = request.url().split('?').next().unwrap_or_default().to_owned();
                let assertion = credentials::client_assertion(&audience).map_err(error::config)?;
                pairs::set(form, "client_id", client_id);
                pairs::set(form, "client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer");
                pairs::set(form, "client_assertion", assertion);
                Ok(request)
            }
            Self::None => {
                pairs::set(form, "client_id", client_id);
                Ok(request)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_setting_wins_over_the_connectors_way_and_a_bad_one_is_named() {
        assert_eq!(ClientAuth::configured(None, ClientAuth::Basic).unwrap(), ClientAuth::Basic);
        assert_eq!(ClientAuth::configured(Some(" "), ClientAuth::Basic).unwrap(), ClientAuth::Basic);
        assert_eq!(ClientAuth::configured(Some("body"), ClientAuth::Basic).unwrap(), ClientAuth::Body);
        assert_eq!(ClientAuth::configured(Some("Basic"), ClientAuth::Body).unwrap(), ClientAuth::Basic);
        let refused = ClientAuth::configured(Some("mtls"), ClientAuth::Body).unwrap_err();
        assert!(
            matches!(refused, OauthError::Config(m) if m.starts_with("CLIENT_AUTH \"mtls\"") && m.contains("private_key_jwt"))
        );
    }
}
