//! The standard OAuth 2.0 provider: RFC 6749 flows driven by a
//! [`Declaration`], with a [`Family`]'s hooks for what a provider does its
//! own way. A family component is its declarations, its hooks and
//! [`family!`](crate::family).

use crate::call::Call;
use crate::client_auth::ClientAuth;
use crate::declaration::{Declaration, Revoke, Validate};
use crate::http::{Request, Response};
use crate::token::{parse_error, parse_token_response};
use crate::{
    AuthLink, AuthRequest, Callback, Client, Connector, Grant, OauthError, ProviderError, TokenSet, Validation,
    alternates, error, form, introspect, pairs, prompt,
};

/// Ordered key/value pairs.
pub type Pairs = Vec<(String, String)>;

/// A family of declared connectors and its quirks. Every hook has the
/// standard behaviour as default.
pub trait Family {
    /// The connectors this family serves.
    const CONNECTORS: &'static [Declaration];

    /// Adjusts the authorization URL's query before the user's own values.
    fn authorize_params(_call: &Call, _query: &mut Pairs) -> Result<(), OauthError> {
        Ok(())
    }

    /// Adjusts a token request's form (code, refresh or client credentials).
    fn token_params(_call: &Call, _grant: Grant, _form: &mut Pairs) -> Result<(), OauthError> {
        Ok(())
    }

    /// Reads a token endpoint's answer.
    fn token_response(_call: &Call, response: &Response) -> Result<TokenSet, OauthError> {
        match Self::api_error(response) {
            Some(error) => Err(error),
            None => parse_token_response(response),
        }
    }

    /// Runs after a code exchange succeeded (e.g. to look up an account id).
    fn after_exchange(_call: &Call, _tokens: &mut TokenSet) -> Result<(), OauthError> {
        Ok(())
    }

    /// Runs after a refresh succeeded; `call.inputs` holds the token's
    /// inputs and its further tokens ([`alternates`]), e.g. to refresh
    /// those too.
    fn after_refresh(_call: &Call, _tokens: &mut TokenSet) -> Result<(), OauthError> {
        Ok(())
    }

    /// The failure a provider API reports in a successful answer (Slack's
    /// `{"ok": false}` with HTTP 200), read before the status is.
    fn api_error(_response: &Response) -> Option<OauthError> {
        None
    }
}

/// Implements [`Provider`](crate::Provider) for a [`Family`] and exports it
/// on wasm.
#[macro_export]
macro_rules! family {
    ($family:ident) => {
        impl $crate::Provider for $family {
            fn connectors() -> Vec<$crate::Connector> {
                $crate::standard::connectors::<$family>()
            }
            fn build_auth_url(
                client: $crate::Client,
                req: $crate::AuthRequest,
            ) -> Result<$crate::AuthLink, $crate::OauthError> {
                $crate::standard::build_auth_url::<$family>(&client, req)
            }
            fn exchange_code(
                client: $crate::Client,
                cb: $crate::Callback,
            ) -> Result<$crate::TokenSet, $crate::OauthError> {
                $crate::standard::exchange_code::<$family>(&client, cb)
            }
            fn refresh(
                client: $crate::Client,
                refresh_token: String,
                scopes: Vec<String>,
                extra: Vec<(String, String)>,
            ) -> Result<$crate::TokenSet, $crate::OauthError> {
                $crate::standard::refresh::<$family>(&client, refresh_token, &scopes, &extra)
            }
            fn request_token(
                client: $crate::Client,
                grant: $crate::Grant,
                params: Vec<(String, String)>,
            ) -> Result<$crate::TokenSet, $crate::OauthError> {
                $crate::standard::request_token::<$family>(&client, grant, &params)
            }
            fn validate(
                client: $crate::Client,
                token: $crate::TokenSet,
            ) -> Result<$crate::Validation, $crate::OauthError> {
                $crate::standard::validate::<$family>(&client, token)
            }
            fn revoke(client: $crate::Client, token: $crate::TokenSet) -> Result<(), $crate::OauthError> {
                $crate::standard::revoke::<$family>(&client, token)
            }
        }

        #[cfg(target_arch = "wasm32")]
        $crate::export!($family);
    };
}

/// Every connector of the family.
pub fn connectors<F: Family>() -> Vec<Connector> {
    F::CONNECTORS.iter().map(Declaration::connector).collect()
}

/// The declaration of the client's connector.
pub fn declaration<F: Family>(client: &Client) -> Result<&'static Declaration, OauthError> {
    F::CONNECTORS.iter().find(|d| d.name == client.connector).ok_or_else(|| {
        let names: Vec<_> = F::CONNECTORS.iter().map(|d| d.name).collect();
        error::config(format!("unknown connector {:?}: this component serves {}", client.connector, names.join(", ")))
    })
}

/// The authorization URL: the standard parameters, the declared ones, the
/// family's, then the user's additional values (which win).
pub fn build_auth_url<F: Family>(client: &Client, req: AuthRequest) -> Result<AuthLink, OauthError> {
    let declaration = declaration::<F>(client)?;
    let call = Call::new(declaration, client, &req.extra)?;
    let url = call.endpoint(declaration.authorize)?;
    let scope = scope(&call, &req.scopes);
    let mut query = vec![
        ("response_type".to_owned(), "code".to_owned()),
        ("client_id".to_owned(), call.required_setting("CLIENT_ID")?.to_owned()),
        ("redirect_uri".to_owned(), req.redirect_uri.clone()),
    ];
    if !scope.is_empty() {
        query.push(("scope".into(), scope.clone()));
    }
    query.push(("state".into(), req.state.clone()));
    let values = [("scope".to_owned(), scope), ("redirect_uri".to_owned(), req.redirect_uri.clone())];
    for (key, value) in call.render_pairs("the authorization parameter", declaration.authorize_params, &values)? {
        pairs::set(&mut query, &key, value);
    }
    if let Some(challenge) = req.code_challenge.filter(|_| declaration.pkce) {
        pairs::set(&mut query, "code_challenge", challenge);
        pairs::set(&mut query, "code_challenge_method", "S256");
    }
    F::authorize_params(&call, &mut query)?;
    prompt::apply(&mut query, call.setting(prompt::SETTING))?;
    for (key, value) in additional(declaration, &req.extra) {
        pairs::set(&mut query, key, value.clone());
    }
    Ok(AuthLink { url: form::append_query(&url, &query), pending: None })
}

/// Exchanges a callback's code; a callback carrying `error` is the
/// provider's refusal.
pub fn exchange_code<F: Family>(client: &Client, cb: Callback) -> Result<TokenSet, OauthError> {
    let declaration = declaration::<F>(client)?;
    let call = Call::new(declaration, client, &cb.extra)?;
    if let Some(code) = pairs::get(&cb.query, "error") {
        return Err(OauthError::Rejected(ProviderError {
            status: 400,
            code: code.to_owned(),
            description: pairs::get(&cb.query, "error_description").map(str::to_owned),
        }));
    }
    let code =
        pairs::get(&cb.query, "code").ok_or_else(|| error::protocol("the provider redirected back without a code"))?;
    let mut form = vec![
        ("grant_type".to_owned(), "authorization_code".to_owned()),
        ("code".to_owned(), code.to_owned()),
        ("redirect_uri".to_owned(), cb.redirect_uri.clone()),
    ];
    if let Some(verifier) = cb.code_verifier.filter(|_| declaration.pkce) {
        form.push(("code_verifier".into(), verifier));
    }
    let mut tokens = token_request::<F>(&call, Grant::AuthorizationCode, form)?;
    F::after_exchange(&call, &mut tokens)?;
    Ok(tokens)
}

/// Renews an access token; `extra` holds the token's per-token inputs.
pub fn refresh<F: Family>(
    client: &Client,
    refresh_token: String,
    scopes: &[String],
    extra: &[(String, String)],
) -> Result<TokenSet, OauthError> {
    let declaration = declaration::<F>(client)?;
    if !declaration.grants.contains(&Grant::RefreshToken) {
        return Err(error::unsupported(format!(
            "connector {} issues tokens that do not refresh: authorize again when one stops working",
            declaration.name
        )));
    }
    let call = Call::new(declaration, client, extra)?;
    let mut tokens = refresh_with::<F>(&call, refresh_token, scopes)?;
    F::after_refresh(&call, &mut tokens)?;
    Ok(tokens)
}

/// One refresh-token request (also for a further token of the grant).
pub fn refresh_with<F: Family>(call: &Call, refresh_token: String, scopes: &[String]) -> Result<TokenSet, OauthError> {
    let mut form =
        vec![("grant_type".to_owned(), "refresh_token".to_owned()), ("refresh_token".to_owned(), refresh_token)];
    if !scopes.is_empty() {
        form.push(("scope".into(), scopes.join(call.declaration.scope_separator)));
    }
    token_request::<F>(call, Grant::RefreshToken, form)
}

/// Client credentials, where the connector declares the grant.
pub fn request_token<F: Family>(
    client: &Client,
    grant: Grant,
    params: &[(String, String)],
) -> Result<TokenSet, OauthError> {
    let declaration = declaration::<F>(client)?;
    if grant != Grant::ClientCredentials || !declaration.grants.contains(&grant) {
        return Err(error::unsupported(format!(
            "connector {} does not offer the {grant:?} grant: it serves {:?}",
            declaration.name, declaration.grants
        )));
    }
    let call = Call::new(declaration, client, params)?;
    let mut form = vec![("grant_type".to_owned(), "client_credentials".to_owned())];
    let scope = pairs::get(params, "scope").map(str::to_owned).unwrap_or_else(|| scope(&call, &[]));
    if !scope.is_empty() {
        form.push(("scope".into(), scope));
    }
    token_request::<F>(&call, grant, form)
}

/// Validates as declared: introspection, a bearer `GET`, Google's
/// tokeninfo or GitHub's client check.
pub fn validate<F: Family>(client: &Client, token: TokenSet) -> Result<Validation, OauthError> {
    let declaration = declaration::<F>(client)?;
    let call = Call::new(declaration, client, &token.extra)?;
    let inactive = Validation { active: false, expires_in: None, scope: None, subject: None };
    match declaration.validate {
        Validate::None => Err(error::unsupported(format!("connector {} offers no token validation", declaration.name))),
        Validate::Introspect(endpoint) => introspect::introspect(
            &call.endpoint(endpoint)?,
            call.client_auth()?,
            call.required_setting("CLIENT_ID")?,
            call.setting("CLIENT_SECRET"),
            &token.access_token,
        ),
        Validate::Bearer(endpoint) => {
            let response = Request::get(&call.endpoint(endpoint)?).bearer(&token.access_token).send()?;
            match response.status() {
                200..=299 => Ok(Validation { active: true, ..inactive }),
                401 | 403 => Ok(inactive),
                _ => Err(parse_error(&response)),
            }
        }
        Validate::TokenInfo(endpoint) => {
            let form = [("access_token".to_owned(), token.access_token.clone())];
            let response = Request::post(&call.endpoint(endpoint)?).form(&form).send()?;
            match response.status() {
                200..=299 => Ok(token_info(&response)),
                400 | 401 => match parse_error(&response) {
                    OauthError::Rejected(e) if matches!(e.code.as_str(), "invalid_token" | "invalid_request") => {
                        Ok(inactive)
                    }
                    other => Err(other),
                },
                _ => Err(parse_error(&response)),
            }
        }
        Validate::ClientJson(endpoint) => {
            let response = client_json(&call, "POST", endpoint, &token.access_token)?;
            match response.status() {
                200..=299 => Ok(app_token(&response)),
                404 => Ok(inactive),
                _ => Err(parse_error(&response)),
            }
        }
    }
}

/// An active token as Google's tokeninfo describes it.
fn token_info(response: &Response) -> Validation {
    let body = response.json().unwrap_or_default();
    let text = |key: &str| {
        body.get(key).and_then(|v| v.as_str().map(str::to_owned).or_else(|| v.as_u64().map(|n| n.to_string())))
    };
    Validation {
        active: true,
        expires_in: text("expires_in").and_then(|s| s.parse().ok()),
        scope: text("scope"),
        subject: text("email").or_else(|| text("sub")),
    }
}

/// An active token as GitHub's check describes it: its scopes and user.
fn app_token(response: &Response) -> Validation {
    let body = response.json().unwrap_or_default();
    let scopes: Vec<&str> =
        body.get("scopes").and_then(|s| s.as_array()).into_iter().flatten().filter_map(|s| s.as_str()).collect();
    let login = body.get("user").and_then(|u| u.get("login")).and_then(|l| l.as_str()).map(str::to_owned);
    Validation { active: true, expires_in: None, scope: (!scopes.is_empty()).then(|| scopes.join(",")), subject: login }
}

/// A request with the client's basic authentication and the token as
/// `{"access_token": ...}` (GitHub's OAuth app endpoints).
fn client_json(call: &Call, method: &str, endpoint: &str, access_token: &str) -> Result<Response, OauthError> {
    let body = serde_json::json!({ "access_token": access_token }).to_string().into_bytes();
    let mut unused = Pairs::new();
    let request = Request::new(method, &call.endpoint(endpoint)?).body("application/json", body);
    let request = ClientAuth::Basic.apply(
        request,
        &mut unused,
        call.required_setting("CLIENT_ID")?,
        call.setting("CLIENT_SECRET"),
    )?;
    request.send()
}

/// Revokes as declared: RFC 7009, each access token of the grant as
/// bearer, or GitHub's client-authenticated grant endpoint.
pub fn revoke<F: Family>(client: &Client, token: TokenSet) -> Result<(), OauthError> {
    let declaration = declaration::<F>(client)?;
    let call = Call::new(declaration, client, &token.extra)?;
    match declaration.revoke {
        Revoke::None => Err(error::unsupported(format!("connector {} offers no revocation", declaration.name))),
        Revoke::Rfc7009(endpoint) => {
            let (value, hint) = match &token.refresh_token {
                Some(refresh) => (refresh.clone(), "refresh_token"),
                None => (token.access_token.clone(), "access_token"),
            };
            let mut form = vec![("token".to_owned(), value), ("token_type_hint".to_owned(), hint.to_owned())];
            let request = authenticate(&call, Request::post(&call.endpoint(endpoint)?), &mut form)?;
            succeeded::<F>(&request.form(&form).send()?)
        }
        Revoke::Bearer(method, endpoint) => {
            let url = call.endpoint(endpoint)?;
            let further = alternates::names(&token.extra);
            let further = further.iter().filter_map(|which| alternates::field(&token.extra, which, "access_token"));
            for access in std::iter::once(token.access_token.as_str()).chain(further) {
                succeeded::<F>(&Request::new(method, &url).bearer(access).send()?)?;
            }
            Ok(())
        }
        Revoke::ClientJson(method, endpoint) => {
            succeeded::<F>(&client_json(&call, method, endpoint, &token.access_token)?)
        }
    }
}

/// Whether a provider API call succeeded: no failure in the body, a 2xx.
fn succeeded<F: Family>(response: &Response) -> Result<(), OauthError> {
    if let Some(error) = F::api_error(response) {
        return Err(error);
    }
    if response.is_success() { Ok(()) } else { Err(parse_error(response)) }
}

/// Sends a token request with the declared and family parameters and the
/// client's authentication, and reads the answer through the family.
fn token_request<F: Family>(call: &Call, grant: Grant, mut form: Pairs) -> Result<TokenSet, OauthError> {
    let declaration = call.declaration;
    for (key, value) in call.render_pairs("the token parameter", declaration.token_params, &[])? {
        pairs::set(&mut form, &key, value);
    }
    F::token_params(call, grant, &mut form)?;
    let request = authenticate(call, Request::post(&call.endpoint(declaration.token)?), &mut form)?;
    let response = request.form(&form).send()?;
    F::token_response(call, &response)
}

fn authenticate(call: &Call, request: Request, form: &mut Pairs) -> Result<Request, OauthError> {
    let client_id = call.required_setting("CLIENT_ID")?;
    call.client_auth()?.apply(request, form, client_id, call.setting("CLIENT_SECRET"))
}

/// The scope to ask for: the user's, else the `SCOPE` setting (spaces or
/// commas), else the declared defaults; joined the provider's way.
pub fn scope(call: &Call, requested: &[String]) -> String {
    let separator = call.declaration.scope_separator;
    if !requested.is_empty() {
        return requested.join(separator);
    }
    match call.setting("SCOPE") {
        Some(setting) => split_scopes(setting).join(separator),
        None => call.declaration.default_scopes.join(separator),
    }
}

/// Scopes written with spaces, commas or both (`WINDCHILL_READ, A`).
pub fn split_scopes(text: &str) -> Vec<&str> {
    text.split([',', ' ']).map(str::trim).filter(|s| !s.is_empty()).collect()
}

/// Parameters the host and the client own: a user's additional value
/// never replaces them (a different `redirect_uri` would send the code
/// elsewhere).
const RESERVED: [&str; 6] =
    ["response_type", "client_id", "redirect_uri", "state", "code_challenge", "code_challenge_method"];

/// The user's values that are neither declared per-token inputs nor
/// reserved parameters.
fn additional<'a>(
    declaration: &'a Declaration,
    extra: &'a [(String, String)],
) -> impl Iterator<Item = &'a (String, String)> {
    extra.iter().filter(|(k, _)| {
        !RESERVED.contains(&k.as_str()) && !declaration.inputs.iter().any(|i| i.key.eq_ignore_ascii_case(k))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::declaration::Field;

    struct Plain;
    impl Family for Plain {
        const CONNECTORS: &'static [Declaration] = &[Declaration {
            name: "plain",
            title: "Plain",
            base_url: "https://id.example.com",
            authorize_params: &[("access_type", "offline"), ("resource", "{resource}")],
            inputs: &[Field::optional("resource", "The API")],
            scope_separator: ",",
            default_scopes: &["a", "b"],
            pkce: true,
            ..Declaration::OAUTH2
        }];
    }

    fn client(settings: &[(&str, &str)]) -> Client {
        let mut all = vec![("CLIENT_ID".to_owned(), "id".to_owned())];
        all.extend(settings.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        Client { connector: "plain".into(), settings: all, definition: None }
    }

    fn query(link: &AuthLink) -> Pairs {
        form::decode(link.url.split_once('?').unwrap().1.as_bytes())
    }

    fn request(extra: &[(&str, &str)]) -> AuthRequest {
        AuthRequest {
            redirect_uri: "https://flow/cb".into(),
            state: "st".into(),
            scopes: vec![],
            code_challenge: Some("ch".into()),
            extra: extra.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
        }
    }

    #[test]
    fn auth_url_has_standard_declared_and_user_params() {
        let link = build_auth_url::<Plain>(&client(&[]), request(&[("prompt", "consent")])).unwrap();
        assert!(link.url.starts_with("https://id.example.com/authorize?"));
        let q = query(&link);
        for (k, v) in [
            ("response_type", "code"),
            ("client_id", "id"),
            ("scope", "a,b"),
            ("state", "st"),
            ("access_type", "offline"),
            ("code_challenge", "ch"),
            ("prompt", "consent"),
        ] {
            assert_eq!(pairs::get(&q, k), Some(v), "{k} in {}", link.url);
        }
        assert_eq!(pairs::get(&q, "resource"), None, "an unset optional input is left out");
    }

    #[test]
    fn the_prompt_setting_replaces_the_declared_prompt_and_a_tokens_own_wins() {
        const PROMPTED: &[Declaration] =
            &[Declaration { authorize_params: &[("prompt", "consent")], ..Plain::CONNECTORS[0] }];
        struct Prompted;
        impl Family for Prompted {
            const CONNECTORS: &'static [Declaration] = PROMPTED;
        }
        let configured = client(&[("PROMPT", "login select_account")]);
        let q = query(&build_auth_url::<Prompted>(&configured, request(&[])).unwrap());
        assert_eq!(pairs::get(&q, "prompt"), Some("login select_account"));
        let q = query(&build_auth_url::<Prompted>(&configured, request(&[("prompt", "none")])).unwrap());
        assert_eq!(pairs::get(&q, "prompt"), Some("none"));
        let q = query(&build_auth_url::<Prompted>(&client(&[]), request(&[])).unwrap());
        assert_eq!(pairs::get(&q, "prompt"), Some("consent"));
    }

    #[test]
    fn additional_values_do_not_replace_the_redirect_uri_or_state() {
        let sneaky = request(&[("redirect_uri", "https://evil.example/cb"), ("state", "x"), ("login_hint", "ann")]);
        let q = query(&build_auth_url::<Plain>(&client(&[]), sneaky).unwrap());
        assert_eq!((pairs::get(&q, "redirect_uri"), pairs::get(&q, "state")), (Some("https://flow/cb"), Some("st")));
        assert_eq!(pairs::get(&q, "login_hint"), Some("ann"));
    }

    #[test]
    fn scope_setting_accepts_commas_and_inputs_fill_templates() {
        let link =
            build_auth_url::<Plain>(&client(&[("scope", "x, y")]), request(&[("resource", "https://api")])).unwrap();
        let q = query(&link);
        assert_eq!(pairs::get(&q, "scope"), Some("x,y"));
        assert_eq!(pairs::get(&q, "resource"), Some("https://api"));
    }

    #[test]
    fn unknown_connector_names_the_served_ones() {
        let mut c = client(&[]);
        c.connector = "other".into();
        let err = build_auth_url::<Plain>(&c, request(&[])).unwrap_err();
        assert!(matches!(err, OauthError::Config(m) if m.contains("serves plain")));
    }
}
