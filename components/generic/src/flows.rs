//! The OAuth 2.0 operations, each rendering the definition's templates.

use flowauth_sdk::client_auth::{self, ClientAuth};
use flowauth_sdk::http::{Request, Response};
use flowauth_sdk::token::{parse_error, parse_token_response};
use flowauth_sdk::{
    AuthLink, AuthRequest, Callback, Client, Grant, OauthError, ProviderError, TokenSet, Validation, error, form,
    introspect, pairs, prompt,
};
use serde_json::Value;

use crate::definition::Definition;
use crate::endpoints::Endpoint;
use crate::vars::Vars;

type Pairs = Vec<(String, String)>;

pub fn build_auth_url(definition: &Definition, client: &Client, req: AuthRequest) -> Result<AuthLink, OauthError> {
    let scope = scope(definition, client, &req.scopes);
    let call = vec![
        ("redirect_uri".into(), req.redirect_uri.clone()),
        ("state".into(), req.state.clone()),
        ("scope".into(), scope),
    ];
    let vars = Vars { definition, settings: &client.settings, inputs: &req.extra, call };
    let url = Endpoint::Authorize.required_url(&vars)?;
    let mut query = if definition.auth_query.is_empty() {
        let standard = [
            ("response_type", "code"),
            ("client_id", "{client_id}"),
            ("redirect_uri", "{redirect_uri}"),
            ("scope", "{scope}"),
        ];
        vars.render_pairs("oauth2_auth_query", &owned(&standard))?
    } else {
        vars.render_pairs("oauth2_auth_query", &definition.auth_query)?
    };
    if !definition.no_state {
        pairs::set(&mut query, "state", req.state);
    }
    if let Some(challenge) = req.code_challenge.filter(|_| definition.pkce) {
        pairs::set(&mut query, "code_challenge", challenge);
        pairs::set(&mut query, "code_challenge_method", "S256");
    }
    prompt::apply(&mut query, vars.setting(prompt::SETTING))?;
    for (key, value) in additional(definition, &req.extra) {
        pairs::set(&mut query, key, value.clone());
    }
    Ok(AuthLink { url: form::append_query(&url, &query), pending: None })
}

pub fn exchange_code(definition: &Definition, client: &Client, cb: Callback) -> Result<TokenSet, OauthError> {
    if let Some(code) = pairs::get(&cb.query, "error") {
        return Err(OauthError::Rejected(ProviderError {
            status: 400,
            code: code.to_owned(),
            description: pairs::get(&cb.query, "error_description").map(str::to_owned),
        }));
    }
    let code = pairs::get(&cb.query, "code")
        .ok_or_else(|| error::protocol("the provider redirected back without a code"))?
        .to_owned();
    let mut call = vec![("redirect_uri".into(), cb.redirect_uri), ("code".into(), code.clone())];
    call.extend(pairs::get(&cb.query, "state").map(|s| ("state".to_owned(), s.to_owned())));
    let vars = Vars { definition, settings: &client.settings, inputs: &cb.extra, call };
    let standard = [("grant_type", "authorization_code"), ("code", "{code}"), ("redirect_uri", "{redirect_uri}")];
    let mut data = render_data(&vars, "oauth2_token_data", &definition.token_data, &standard)?;
    pairs::set(&mut data, "code", code);
    if let Some(verifier) = cb.code_verifier.filter(|_| definition.pkce) {
        pairs::set(&mut data, "code_verifier", verifier);
    }
    let url = Endpoint::Token.required_url(&vars)?;
    token_request(definition, &vars, &url, data)
}

pub fn refresh(
    definition: &Definition,
    client: &Client,
    refresh_token: String,
    scopes: Vec<String>,
    extra: &[(String, String)],
) -> Result<TokenSet, OauthError> {
    let mut call = vec![("refresh_token".to_owned(), refresh_token.clone())];
    if !scopes.is_empty() {
        call.push(("scope".into(), scopes.join(" ")));
    }
    let vars = Vars { definition, settings: &client.settings, inputs: extra, call };
    let standard = [("grant_type", "refresh_token"), ("refresh_token", "{refresh_token}")];
    let mut data = render_data(&vars, "oauth2_refresh_data", &definition.refresh_data, &standard)?;
    pairs::set(&mut data, "refresh_token", refresh_token);
    let url = Endpoint::Refresh.required_url(&vars)?;
    token_request(definition, &vars, &url, data)
}

pub fn request_token(
    definition: &Definition,
    client: &Client,
    grant: Grant,
    params: &[(String, String)],
) -> Result<TokenSet, OauthError> {
    if !definition.grants.contains(&grant) {
        return Err(error::unsupported(format!("connector {} does not offer the {grant:?} grant", definition.name)));
    }
    let mut data: Pairs = match grant {
        Grant::ClientCredentials => owned(&[("grant_type", "client_credentials")]),
        Grant::Password => {
            let mut data = owned(&[("grant_type", "password")]);
            for key in ["username", "password"] {
                let value = pairs::get(params, key)
                    .ok_or_else(|| error::config(format!("the password grant needs a {key}")))?;
                data.push((key.into(), value.into()));
            }
            data
        }
        Grant::AuthorizationCode | Grant::RefreshToken => {
            return Err(error::unsupported(
                "this grant is not requested directly: use the authorization flow or refresh",
            ));
        }
    };
    let vars = Vars { definition, settings: &client.settings, inputs: params, call: Vec::new() };
    if let Some(scope) = pairs::get(params, "scope").map(str::to_owned).or_else(|| client_scope(client)) {
        data.push(("scope".into(), scope));
    }
    for (key, value) in
        additional(definition, params).filter(|(k, _)| !matches!(k.as_str(), "username" | "password" | "scope"))
    {
        pairs::set(&mut data, key, value.clone());
    }
    let url = Endpoint::Token.required_url(&vars)?;
    token_request(definition, &vars, &url, data)
}

pub fn validate(definition: &Definition, client: &Client, token: TokenSet) -> Result<Validation, OauthError> {
    let call = vec![("access_token".to_owned(), token.access_token.clone())];
    let vars = Vars { definition, settings: &client.settings, inputs: &token.extra, call };
    let url = Endpoint::Validate
        .url(&vars)?
        .ok_or_else(|| error::unsupported(format!("connector {} has no validation URL", definition.name)))?;
    let method = vars.setting("VALIDATE_METHOD").unwrap_or(&definition.validate_method);
    if method.eq_ignore_ascii_case("introspect") {
        // RFC 7662: the client authenticates as at the token endpoint.
        let client_id = vars.setting("CLIENT_ID").ok_or_else(|| error::config("CLIENT_ID is not set"))?;
        return introspect::introspect(
            &url,
            client_auth(definition, &vars)?,
            client_id,
            vars.setting("CLIENT_SECRET"),
            &token.access_token,
        );
    }
    let headers = if definition.validate_headers.is_empty() {
        owned(&[("Authorization", "Bearer {access_token}")])
    } else {
        definition.validate_headers.clone()
    };
    let headers = vars.render_pairs("oauth2_validate_headers", &headers)?;
    let query = match vars.setting("VALIDATE_QUERY") {
        Some(spec) => vec![validate_query(spec, &token.access_token)?],
        None => Vec::new(),
    };
    let mut request = Request::new(method, &form::append_query(&url, &query)).headers(&headers);
    if let Some(spec) = vars.setting("VALIDATE_AUTH") {
        request = validate_auth(&vars, spec, request)?;
    }
    let response = request.send()?;
    validation(&response)
}

pub fn revoke(definition: &Definition, client: &Client, token: TokenSet) -> Result<(), OauthError> {
    let vars = Vars { definition, settings: &client.settings, inputs: &token.extra, call: Vec::new() };
    let url = Endpoint::Revoke
        .url(&vars)?
        .ok_or_else(|| error::unsupported(format!("connector {} has no revocation URL", definition.name)))?;
    // Revoking the refresh token ends the whole grant (RFC 7009 section 2.1).
    let data = match &token.refresh_token {
        Some(refresh) => owned(&[("token", refresh), ("token_type_hint", "refresh_token")]),
        None => owned(&[("token", &token.access_token), ("token_type_hint", "access_token")]),
    };
    let response = authenticated_post(definition, &vars, &url, data)?;
    match response.status() {
        200..=299 => Ok(()),
        _ => Err(parse_error(&response)),
    }
}

/// Posts a token request and reads the answer; `oauth2_include` values are
/// attached to the token for the flows that use it.
fn token_request(definition: &Definition, vars: &Vars, url: &str, data: Pairs) -> Result<TokenSet, OauthError> {
    let response = authenticated_post(definition, vars, url, data)?;
    let mut token = parse_token_response(&response)?;
    for (key, value) in vars.render_pairs("oauth2_include", &definition.include)? {
        pairs::set(&mut token.extra, &key, value);
    }
    Ok(token)
}

fn authenticated_post(
    definition: &Definition,
    vars: &Vars,
    url: &str,
    mut data: Pairs,
) -> Result<Response, OauthError> {
    let client_id = vars.setting("CLIENT_ID").ok_or_else(|| error::config("CLIENT_ID is not set"))?;
    let auth = client_auth(definition, vars)?;
    let request = auth.apply(Request::post(url), &mut data, client_id, vars.setting("CLIENT_SECRET"))?;
    request.form(&data).send()
}

/// `CLIENT_AUTH` from the settings, else the definition's.
fn client_auth(definition: &Definition, vars: &Vars) -> Result<ClientAuth, OauthError> {
    ClientAuth::configured(vars.setting(client_auth::SETTING), definition.client_auth)
}

/// The definition's data with every template rendered, or the standard
/// parameters of the grant when the definition gives none.
fn render_data(
    vars: &Vars,
    what: &str,
    data: &[(String, String)],
    standard: &[(&str, &str)],
) -> Result<Pairs, OauthError> {
    if data.is_empty() { vars.render_pairs(what, &owned(standard)) } else { vars.render_pairs(what, data) }
}

/// The scope to ask for: the user's choice, else the `SCOPE` setting, else
/// every scope the definition lists.
fn scope(definition: &Definition, client: &Client, requested: &[String]) -> String {
    if !requested.is_empty() {
        return requested.join(" ");
    }
    client_scope(client).unwrap_or_else(|| {
        definition.scopes.iter().map(|(s, _)| s.as_str()).filter(|s| !s.is_empty()).collect::<Vec<_>>().join(" ")
    })
}

fn client_scope(client: &Client) -> Option<String> {
    pairs::get_ignore_case(&client.settings, "SCOPE").map(str::to_owned)
}

/// The user's additional parameters that are not per-token inputs.
fn additional<'a>(
    definition: &'a Definition,
    extra: &'a [(String, String)],
) -> impl Iterator<Item = &'a (String, String)> {
    extra.iter().filter(|(k, _)| k != "resource" && !definition.inputs.iter().any(|i| &i.key == k))
}

/// `VALIDATE_QUERY` as OSLC writes it: `<parameter>:access_token`.
fn validate_query(spec: &str, access_token: &str) -> Result<(String, String), OauthError> {
    match spec.split_once(':') {
        Some((name, "access_token")) if !name.trim().is_empty() => {
            Ok((name.trim().to_owned(), access_token.to_owned()))
        }
        _ => Err(error::config(format!("VALIDATE_QUERY {spec:?} must read <parameter>:access_token"))),
    }
}

/// `VALIDATE_AUTH` as OSLC writes it: `basic:{"username":..,"password":..}`
/// (values may use placeholders such as `{client_id}`).
fn validate_auth(vars: &Vars, spec: &str, request: Request) -> Result<Request, OauthError> {
    let bad = || error::config("VALIDATE_AUTH must read basic:{\"username\":\"...\",\"password\":\"...\"}");
    let (kind, object) = spec.split_once(':').ok_or_else(bad)?;
    if !kind.trim().eq_ignore_ascii_case("basic") {
        return Err(bad());
    }
    let fields: serde_json::Map<String, Value> = serde_json::from_str(object).map_err(|_| bad())?;
    let field = |name: &str| fields.get(name).and_then(Value::as_str).ok_or_else(bad);
    let user = vars.render("VALIDATE_AUTH username", field("username")?)?;
    let password = vars.render("VALIDATE_AUTH password", field("password")?)?;
    Ok(request.basic_auth(&user, &password))
}

/// Reads a validation answer: 2xx is active unless an introspection body
/// (RFC 7662) says `"active": false`; 401 and 403 are inactive.
fn validation(response: &Response) -> Result<Validation, OauthError> {
    match response.status() {
        200..=299 => {
            let body = response.json().unwrap_or(Value::Null);
            let text = |key: &str| body.get(key).and_then(Value::as_str).map(str::to_owned);
            let seconds = |key: &str| body.get(key).and_then(|v| v.as_u64().or_else(|| v.as_str()?.parse().ok()));
            Ok(Validation {
                active: body.get("active").and_then(Value::as_bool).unwrap_or(true),
                expires_in: seconds("expires_in"),
                scope: text("scope"),
                subject: text("sub").or_else(|| text("username")).or_else(|| text("email")),
            })
        }
        401 | 403 => Ok(Validation { active: false, expires_in: None, scope: None, subject: None }),
        _ => Err(parse_error(response)),
    }
}

fn owned(pairs: &[(&str, &str)]) -> Pairs {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}
