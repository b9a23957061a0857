//! RFC 7662 token introspection: the authorization server says whether a
//! token is active. PingFederate validates this way; the generic family
//! offers it with `VALIDATE_METHOD=introspect`.

use serde_json::Value;

use crate::client_auth::ClientAuth;
use crate::http::{Request, Response};
use crate::token::parse_error;
use crate::{OauthError, Validation};

/// Asks `url` about `token`, authenticating the client as `auth` says.
pub fn introspect(
    url: &str,
    auth: ClientAuth,
    client_id: &str,
    client_secret: Option<&str>,
    token: &str,
) -> Result<Validation, OauthError> {
    let mut form =
        vec![("token".to_owned(), token.to_owned()), ("token_type_hint".to_owned(), "access_token".to_owned())];
    let request = auth.apply(Request::post(url), &mut form, client_id, client_secret)?;
    parse(&request.form(&form).send()?)
}

/// Reads an introspection answer. `active` is required (RFC 7662 2.2);
/// `exp` is absolute, so the seconds left come from `expires_in` only when
/// the server adds it.
pub fn parse(response: &Response) -> Result<Validation, OauthError> {
    if !response.is_success() {
        return Err(parse_error(response));
    }
    let body = response.json().unwrap_or(Value::Null);
    let active = body.get("active").and_then(|v| v.as_bool().or_else(|| v.as_str().map(|s| s == "true")));
    let active = active.ok_or_else(|| {
        crate::error::protocol(format!("the introspection answer has no \"active\": {}", response.excerpt()))
    })?;
    let text = |key: &str| body.get(key).and_then(Value::as_str).map(str::to_owned);
    let seconds = body.get("expires_in").and_then(|v| v.as_u64().or_else(|| v.as_str()?.parse().ok()));
    Ok(Validation {
        active,
        expires_in: seconds.filter(|_| active),
        scope: text("scope").filter(|_| active),
        subject: text("sub").or_else(|| text("username")).filter(|_| active),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bindings::flowauth::oauth::http::Response as Raw;

    fn answer(status: u16, body: &str) -> Response {
        Response(Raw { status, headers: vec![("content-type".into(), "application/json".into())], body: body.into() })
    }

    #[test]
    fn active_and_inactive_tokens() {
        let v = parse(&answer(200, r#"{"active":true,"scope":"read","sub":"ann","expires_in":"120"}"#)).unwrap();
        assert!(v.active);
        assert_eq!((v.scope.as_deref(), v.subject.as_deref(), v.expires_in), (Some("read"), Some("ann"), Some(120)));
        let v = parse(&answer(200, r#"{"active":false,"sub":"ann"}"#)).unwrap();
        assert!(!v.active && v.subject.is_none());
    }

    #[test]
    fn an_answer_without_active_or_a_failure_is_an_error() {
        assert!(matches!(parse(&answer(200, "{}")), Err(OauthError::Protocol(_))));
        let err = parse(&answer(401, r#"{"error":"invalid_client"}"#)).unwrap_err();
        assert!(matches!(err, OauthError::Rejected(e) if e.code == "invalid_client"));
    }
}
