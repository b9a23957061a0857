//! Token and error responses as RFC 6749 sections 5.1 and 5.2 define them,
//! with the quirks real providers add: `expires_in` as a string, answers
//! form-encoded instead of JSON, errors with status 200, HTML error pages.

use serde_json::{Map, Value};

use crate::http::Response;
use crate::{OauthError, ProviderError, TokenSet, error, form};

/// Reads a token endpoint's answer: the token set on success, otherwise the
/// provider's error with its OAuth code kept.
pub fn parse_token_response(response: &Response) -> Result<TokenSet, OauthError> {
    let fields = match fields(response) {
        Some(fields) => fields,
        None => return Err(parse_error(response)),
    };
    if let Some(code) = error_code(&fields) {
        return Err(rejected(response.status(), code, &fields));
    }
    if !response.is_success() {
        return Err(parse_error(response));
    }
    token_set(fields)
}

/// Reads a failed answer: an OAuth error body keeps its code; a 5xx without
/// one is a retryable transport error; another status without one becomes
/// `http_<status>` with an excerpt of the body.
pub fn parse_error(response: &Response) -> OauthError {
    let status = response.status();
    let fields = fields(response);
    if let Some(fields) = &fields
        && let Some(code) = error_code(fields)
    {
        return rejected(status, code, fields);
    }
    let excerpt = fields.as_ref().and_then(description).unwrap_or_else(|| response.excerpt());
    match status {
        500..=599 => error::transport(format!("the provider failed with HTTP {status}: {excerpt}")),
        200..=299 => error::protocol(format!("expected a JSON or form answer, got: {excerpt}")),
        _ => OauthError::Rejected(ProviderError {
            status,
            code: format!("http_{status}"),
            description: (!excerpt.is_empty()).then_some(excerpt),
        }),
    }
}

/// The JSON object of the body, or its form fields when the provider
/// answered `application/x-www-form-urlencoded` (GitHub and others did).
fn fields(response: &Response) -> Option<Map<String, Value>> {
    if let Some(Value::Object(map)) = response.json() {
        return Some(map);
    }
    let is_form = response
        .header("content-type")
        .is_some_and(|t| t.starts_with("application/x-www-form-urlencoded") || t.starts_with("text/plain"));
    let pairs = form::decode(response.body());
    let looks_like_oauth = pairs.iter().any(|(k, _)| k == "access_token" || k == "error");
    (is_form && looks_like_oauth).then(|| pairs.into_iter().map(|(k, v)| (k, Value::String(v))).collect())
}

/// The OAuth error code, when there is one: an empty `error` is none, so
/// that no error is ever stored or shown without a code. Besides RFC
/// 6749's string, the object forms of provider APIs: Dropbox's
/// `{"error": {".tag": ...}}` and Microsoft Graph's `{"error": {"code": ...}}`.
fn error_code(fields: &Map<String, Value>) -> Option<&str> {
    let code = match fields.get("error")? {
        Value::Object(error) => error.get(".tag").or_else(|| error.get("code"))?.as_str(),
        other => other.as_str(),
    };
    code.filter(|code| !code.is_empty())
}

/// What the provider said about its error: `error_description`, Graph's
/// `error.message`, Dropbox's `error_summary` or GitHub's `message`; at
/// most 200 characters, as an excerpt would be.
fn description(fields: &Map<String, Value>) -> Option<String> {
    let nested = fields.get("error").and_then(|e| e.get("message"));
    [fields.get("error_description"), nested, fields.get("error_summary"), fields.get("message")]
        .into_iter()
        .flatten()
        .find_map(scalar)
        .filter(|text| !text.is_empty())
        .map(|text| text.chars().take(200).collect())
}

fn rejected(status: u16, code: &str, fields: &Map<String, Value>) -> OauthError {
    OauthError::Rejected(ProviderError { status, code: code.to_owned(), description: description(fields) })
}

fn token_set(mut fields: Map<String, Value>) -> Result<TokenSet, OauthError> {
    let mut take = |key: &str| fields.remove(key).as_ref().and_then(scalar);
    let access_token = take("access_token")
        .filter(|t| !t.is_empty())
        .ok_or_else(|| error::protocol("the token response has no access_token"))?;
    let token_type = take("token_type").unwrap_or_else(|| "Bearer".to_owned());
    let refresh_token = take("refresh_token").filter(|t| !t.is_empty());
    let expires_in = match take("expires_in") {
        None => None,
        Some(text) => Some(parse_seconds(&text)?),
    };
    let scope = take("scope");
    let id_token = take("id_token");
    let extra = fields.iter().filter_map(|(k, v)| scalar(v).map(|v| (k.clone(), v))).collect();
    Ok(TokenSet { access_token, token_type, refresh_token, expires_in, scope, id_token, extra })
}

/// `expires_in` as a number or a numeric string (Azure AD v1 sends "3599").
fn parse_seconds(text: &str) -> Result<u64, OauthError> {
    let trimmed = text.trim();
    trimmed
        .parse::<u64>()
        .ok()
        .or_else(|| trimmed.parse::<f64>().ok().filter(|f| f.is_finite()).map(|f| f.max(0.0) as u64))
        .ok_or_else(|| error::protocol(format!("expires_in is not a number of seconds: {text:?}")))
}

/// A JSON scalar as text; objects and arrays are not carried.
fn scalar(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bindings::flowauth::oauth::http::Response as Raw;

    fn response(status: u16, content_type: &str, body: &str) -> Response {
        Response(Raw {
            status,
            headers: vec![("content-type".into(), content_type.into())],
            body: body.as_bytes().to_vec(),
        })
    }

    #[test]
    fn expires_in_as_number_or_string() {
        let json = r#"{"access_token":"a","expires_in":"3599","instance_url":"https://x"}"#;
        let set = parse_token_response(&response(200, "application/json", json)).unwrap();
        assert_eq!(set.expires_in, Some(3599));
        assert_eq!(set.refresh_token, None);
        assert_eq!(set.token_type, "Bearer");
        assert_eq!(set.extra, vec![("instance_url".to_owned(), "https://x".to_owned())]);
        let json = r#"{"access_token":"a","expires_in":60,"refresh_token":"r"}"#;
        let set = parse_token_response(&response(200, "application/json", json)).unwrap();
        assert_eq!((set.expires_in, set.refresh_token.as_deref()), (Some(60), Some("r")));
    }

    #[test]
    fn form_encoded_answer() {
        let set = parse_token_response(&response(
            200,
            "application/x-www-form-urlencoded",
            "access_token=a&token_type=bearer&scope=repo",
        ))
        .unwrap();
        assert_eq!((set.access_token.as_str(), set.scope.as_deref()), ("a", Some("repo")));
    }

    #[test]
    fn expires_in_that_is_not_a_number_of_seconds_is_a_protocol_error() {
        // Shrunk from `any_answer_parses_or_is_an_error` below: "NaN" and
        // "inf" parse as f64 and became 0 and u64::MAX seconds.
        for expires_in in ["NaN", "inf", "-infinity", "1e400"] {
            let json = format!(r#"{{"access_token":"a","expires_in":"{expires_in}"}}"#);
            let err = parse_token_response(&response(200, "application/json", &json)).unwrap_err();
            assert!(matches!(&err, OauthError::Protocol(m) if m.contains("expires_in")), "{expires_in}: {err:?}");
        }
        let set = parse_token_response(&response(200, "application/json", r#"{"access_token":"a","expires_in":-5}"#));
        assert_eq!(set.unwrap().expires_in, Some(0));
    }

    #[test]
    fn provider_api_errors_keep_their_code_and_message() {
        let dropbox = r#"{"error_summary": "invalid_access_token/..", "error": {".tag": "invalid_access_token"}}"#;
        let err = parse_error(&response(401, "application/json", dropbox));
        assert!(
            matches!(&err, OauthError::Rejected(e) if e.code == "invalid_access_token" && e.status == 401),
            "{err:?}"
        );
        let graph = r#"{"error": {"code": "InvalidAuthenticationToken", "message": "Access token has expired."}}"#;
        let err = parse_error(&response(401, "application/json", graph));
        let expected = Some("Access token has expired.");
        assert!(
            matches!(&err, OauthError::Rejected(e) if e.code == "InvalidAuthenticationToken" && e.description.as_deref() == expected),
            "{err:?}"
        );
        let github = r#"{"message": "Not Found", "documentation_url": "https://docs.github.com/rest"}"#;
        let err = parse_error(&response(404, "application/json", github));
        assert!(
            matches!(&err, OauthError::Rejected(e) if e.code == "http_404" && e.description.as_deref() == Some("Not Found")),
            "{err:?}"
        );
    }

    #[test]
    fn an_empty_error_code_is_no_error_code() {
        // Shrunk from `any_answer_parses_or_is_an_error`: `error=` gave a
        // rejection whose code was empty.
        let err = parse_token_response(&response(400, "application/x-www-form-urlencoded", "error=")).unwrap_err();
        assert!(matches!(&err, OauthError::Rejected(e) if e.code == "http_400"), "{err:?}");
        let set = parse_token_response(&response(200, "application/json", r#"{"access_token":"a","error":""}"#));
        assert_eq!(set.unwrap().access_token, "a");
    }

    mod properties {
        use proptest::prelude::*;

        use super::*;

        /// A token endpoint's answer: JSON objects with OAuth's fields of any
        /// type, form bodies, HTML pages, or any bytes; any status and type.
        fn answer() -> impl Strategy<Value = (u16, String, Vec<u8>)> {
            let scalar = prop_oneof![
                Just(Value::Null),
                any::<bool>().prop_map(Value::from),
                any::<f64>().prop_map(Value::from),
                any::<i64>().prop_map(Value::from),
                "[ -~]{0,12}".prop_map(Value::from),
                Just(Value::from(vec![1, 2])),
            ];
            let field = prop_oneof![
                proptest::sample::select(
                    &[
                        "access_token",
                        "token_type",
                        "refresh_token",
                        "expires_in",
                        "scope",
                        "id_token",
                        "error",
                        "error_description"
                    ][..]
                )
                .prop_map(str::to_owned),
                "[a-z_]{1,8}",
            ];
            let object = prop::collection::vec((field, scalar), 0..6)
                .prop_map(|f| Value::Object(f.into_iter().collect()).to_string().into_bytes());
            let form = prop::collection::vec(("(access_token|error|expires_in|[a-z_]{1,6})", "[ -~]{0,10}"), 0..5)
                .prop_map(|pairs| crate::form::encode(&pairs).into_bytes());
            let body = prop_oneof![3 => object, 2 => form, 1 => "<html>.{0,40}".prop_map(String::into_bytes), 1 => any::<Vec<u8>>()];
            let content_type = proptest::sample::select(
                &["application/json", "application/x-www-form-urlencoded", "text/plain", "text/html", ""][..],
            );
            (any::<u16>(), content_type.prop_map(str::to_owned), body)
        }

        proptest! {
            #![proptest_config(ProptestConfig { failure_persistence: None, ..ProptestConfig::default() })]

            #[test]
            fn any_answer_parses_or_is_an_error((status, content_type, body) in answer()) {
                let response = Response(Raw { status, headers: vec![("content-type".into(), content_type)], body });
                match parse_token_response(&response) {
                    Ok(set) => {
                        prop_assert!(!set.access_token.is_empty());
                        prop_assert!((200..300).contains(&status));
                    }
                    Err(OauthError::Rejected(e)) => prop_assert!(!e.code.is_empty()),
                    Err(OauthError::Protocol(m) | OauthError::Transport(m)) => prop_assert!(m.chars().count() < 400, "{m}"),
                    Err(other) => prop_assert!(false, "{other:?}"),
                }
                let _ = parse_error(&response);
            }
        }
    }

    #[test]
    fn errors_keep_their_code() {
        let err = parse_token_response(&response(
            400,
            "application/json",
            r#"{"error":"invalid_grant","error_description":"expired"}"#,
        ))
        .unwrap_err();
        assert!(matches!(err, OauthError::Rejected(e) if e.code == "invalid_grant" && e.status == 400));
        let err = parse_token_response(&response(200, "application/json", r#"{"error":"bad_verification_code"}"#))
            .unwrap_err();
        assert!(matches!(err, OauthError::Rejected(e) if e.code == "bad_verification_code"));
        let html = "<html><head><title>Internal Error</title></head><body>boom</body></html>";
        let err = parse_token_response(&response(500, "text/html", html)).unwrap_err();
        assert!(matches!(err, OauthError::Transport(m) if m.contains("Internal Error")));
        let err = parse_token_response(&response(200, "text/html", "<p>hi</p>")).unwrap_err();
        assert!(matches!(err, OauthError::Protocol(_)));
    }
}
