//! Connect links: a tenant's app creates one for its user
//! (`POST /v1/tenants/{tenant}/connect-sessions`, on origins it allowed
//! with `PUT .../connect-settings`); the user opens `/connect/{secret}`
//! without any key, fills in the connector's inputs and is sent to the
//! provider; the callback sends them back to the app. The secret is the
//! only credential: it is single-use, stored hashed, and kept out of logs
//! and referrers. The pages are server-rendered, without any script.

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::auth::Caller;
use super::schemas::{Origin, ReturnTo, TokenName};
use super::views::{ConnectSessionView, ConnectSettingsView};
use super::{ApiError, AppState, body};
use crate::tokens::{
    CONNECT_SESSION_LIFETIME_SECONDS, ConnectForm, ConnectRequest, ConnectVisit, Finished, TokenError,
};

/// `PUT .../connect-settings`.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConnectSettingsBody {
    /// Origins `return_to` may be on: scheme, host and port, e.g. `https://app.example.com`.
    #[schema(value_type = Vec<Origin>)]
    allowed_return_origins: Vec<String>,
}

#[utoipa::path(put, path = "/v1/tenants/{tenant}/connect-settings", params(("tenant" = String, Path)), request_body = ConnectSettingsBody, responses((status = 200, description = "the origins, normalized", body = ConnectSettingsView), (status = 400, description = "an origin with a path, or not http(s)")))]
pub async fn set_settings(
    State(state): State<AppState>,
    caller: Caller,
    Path(tenant): Path<String>,
    request: Result<Json<ConnectSettingsBody>, JsonRejection>,
) -> Result<Json<ConnectSettingsView>, ApiError> {
    let tenant = caller.tenant(&state, &tenant).await?;
    let b = body(request)?;
    let allowed_return_origins = state.service.set_connect_origins(&tenant.id, &b.allowed_return_origins).await?;
    Ok(Json(ConnectSettingsView { allowed_return_origins }))
}

#[utoipa::path(get, path = "/v1/tenants/{tenant}/connect-settings", params(("tenant" = String, Path)), responses((status = 200, description = "the origins connect links may return to (none until set)", body = ConnectSettingsView)))]
pub async fn settings(
    State(state): State<AppState>,
    caller: Caller,
    Path(tenant): Path<String>,
) -> Result<Json<ConnectSettingsView>, ApiError> {
    let tenant = caller.tenant(&state, &tenant).await?;
    let allowed_return_origins = state.service.store().connect_origins(&tenant.id).await?;
    Ok(Json(ConnectSettingsView { allowed_return_origins }))
}

/// `POST .../connect-sessions`.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConnectSessionBody {
    #[schema(min_length = 1)]
    connector: String,
    /// The provider's display name.
    #[schema(min_length = 1)]
    provider: String,
    /// The name the token gets.
    #[schema(value_type = TokenName)]
    name: String,
    #[serde(default)]
    scopes: Vec<String>,
    #[schema(value_type = ReturnTo)]
    return_to: String,
}

#[utoipa::path(post, path = "/v1/tenants/{tenant}/connect-sessions", params(("tenant" = String, Path)), request_body = ConnectSessionBody, responses((status = 201, description = "a link for the user, good once for 15 minutes", body = ConnectSessionView), (status = 400, description = "a connector without an authorization code flow"), (status = 403, description = "return_to is on an origin the tenant did not allow (not_allowed): the message says how to allow it"), (status = 404, description = "no such provider or connector"), (status = 409, description = "a token of this name exists")))]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    Path(tenant): Path<String>,
    request: Result<Json<ConnectSessionBody>, JsonRejection>,
) -> Result<(StatusCode, Json<ConnectSessionView>), ApiError> {
    let tenant = caller.tenant(&state, &tenant).await?;
    let b = body(request)?;
    let request = ConnectRequest {
        connector: b.connector,
        provider: b.provider,
        name: b.name,
        scopes: b.scopes,
        return_to: b.return_to,
    };
    let created = state.service.create_connect_session(&tenant, request).await?;
    tracing::info!(tenant = %tenant.name, session = %created.id, "connect session created");
    let url = format!("{}/connect/{}", state.public_url, created.secret);
    Ok((StatusCode::CREATED, Json(ConnectSessionView { id: created.id, url, expires_at: created.expires_at })))
}

#[utoipa::path(get, path = "/connect/{secret}", params(("secret" = String, Path, description = "the link's secret")), responses((status = 200, description = "an HTML page: what will be connected, and a form for the connector's inputs", content_type = "text/html"), (status = 404, description = "an HTML page: no such link", content_type = "text/html"), (status = 410, description = "an HTML page: the link expired or was used", content_type = "text/html")))]
pub async fn page(State(state): State<AppState>, Path(secret): Path<String>) -> Response {
    let visit = state.service.open_connect_session(&secret).await;
    answer(visit)
}

#[utoipa::path(post, path = "/connect/{secret}", params(("secret" = String, Path, description = "the link's secret")), request_body(content = String, content_type = "application/x-www-form-urlencoded", description = "the connector's inputs"), responses((status = 303, description = "to the provider (or to return_to when it refused at once); the link is used up"), (status = 422, description = "an HTML page: the form again, naming the required inputs missing; the link stays unused", content_type = "text/html"), (status = 404, description = "an HTML page: no such link", content_type = "text/html"), (status = 410, description = "an HTML page: the link expired or was used", content_type = "text/html")))]
pub async fn submit(State(state): State<AppState>, Path(secret): Path<String>, form: Bytes) -> Response {
    let inputs: Vec<(String, String)> = url::form_urlencoded::parse(&form).into_owned().collect();
    // Detached: once the link is used up, its token is stored even if the
    // browser goes away.
    let service = state.service.clone();
    let visit = tokio::spawn(async move { service.start_connect_session(&secret, &inputs).await })
        .await
        .unwrap_or_else(|e| Err(TokenError::Internal(e.to_string())));
    answer(visit)
}

/// Where the provider's callback sends the user of a connect link: back
/// to the app's `return_to`, with the outcome; `None` for other tokens.
pub async fn returning(state: &AppState, done: &Finished) -> Option<Response> {
    match state.service.finish_connect_session(done).await {
        Ok(Some(url)) => {
            tracing::info!(token = %done.token_id, status = done.status.as_str(), "authorization finished; back to the app");
            Some(guarded(Redirect::to(&url).into_response()))
        }
        Ok(None) => None,
        Err(error) => {
            tracing::warn!(token = %done.token_id, %error, "finding the connect session of a token failed");
            None
        }
    }
}

fn answer(visit: Result<ConnectVisit, TokenError>) -> Response {
    let again = "Go back to the app and start connecting again: it gives you a new link.";
    let (status, body) = match visit {
        Ok(ConnectVisit::Form(form, missing)) if missing.is_empty() => (StatusCode::OK, form_page(&form, &[])),
        Ok(ConnectVisit::Form(form, missing)) => (StatusCode::UNPROCESSABLE_ENTITY, form_page(&form, &missing)),
        Ok(ConnectVisit::Redirect(url)) => return guarded(Redirect::to(&url).into_response()),
        Ok(ConnectVisit::Used) => {
            (StatusCode::GONE, notice("Link already used", &format!("Each connect link works once. {again}")))
        }
        Ok(ConnectVisit::Expired) => {
            let minutes = CONNECT_SESSION_LIFETIME_SECONDS / 60;
            (StatusCode::GONE, notice("Link expired", &format!("Connect links work for {minutes} minutes. {again}")))
        }
        Ok(ConnectVisit::Unknown) => (
            StatusCode::NOT_FOUND,
            notice(
                "Unknown link",
                &format!("This connect link is not valid: check that you copied all of it. {again}"),
            ),
        ),
        Err(error) => {
            let status = ApiError::from(error.clone()).into_response().status();
            let message = match status.is_server_error() {
                true => "Something went wrong on our side.".to_owned(),
                false => format!("{error}."),
            };
            (status, notice("Could not connect", &format!("{message} {again}")))
        }
    };
    guarded((status, Html(body)).into_response())
}

/// Headers every connect answer carries: the secret (and, after the
/// callback, the code) never leave in a referrer, nothing is cached, no
/// other site may frame the form.
fn guarded(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    response
}

/// A page around `main`; `/ui/app.css` styles it where the UI is served.
fn page_html(title: &str, main: &str) -> String {
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{}</title>\
         <link rel=\"stylesheet\" href=\"/ui/app.css\">\
         <style>body{{font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem}}\
         label{{display:block;margin:1rem 0 .25rem}}input{{width:100%}}.error{{color:#b00020}}</style>\
         </head><body><main class=\"connect\"><h1>{}</h1>{main}</main></body></html>",
        escape(title),
        escape(title)
    )
}

fn notice(title: &str, text: &str) -> String {
    page_html(title, &format!("<p>{}</p>", escape(text)))
}

fn form_page(form: &ConnectForm, missing: &[String]) -> String {
    let s = &form.session;
    let mut main = format!(
        "<p>Connect <strong>{}</strong> ({}) as <strong>{}</strong>.</p>",
        escape(&form.title),
        escape(&s.provider),
        escape(&s.name)
    );
    if !s.scopes.is_empty() {
        let scopes: Vec<String> = s.scopes.iter().map(|scope| format!("<li>{}</li>", escape(scope))).collect();
        main.push_str(&format!("<p>It asks for:</p><ul>{}</ul>", scopes.concat()));
    }
    if !missing.is_empty() {
        main.push_str(&format!("<p class=\"error\">Fill in {}.</p>", escape(&missing.join(", "))));
    }
    main.push_str("<form method=\"post\">");
    for input in &form.inputs {
        let required = if input.required && input.default.is_none() { " required" } else { "" };
        main.push_str(&format!(
            "<label for=\"{key}\">{label}</label><input id=\"{key}\" name=\"{key}\" placeholder=\"{placeholder}\"{required}>",
            key = escape(&input.key),
            label = escape(if input.description.is_empty() { &input.key } else { &input.description }),
            placeholder = escape(input.default.as_deref().unwrap_or_default()),
        ));
    }
    main.push_str("<p><button type=\"submit\">Continue to the provider</button></p></form>");
    page_html(&format!("Connect {}", form.title), &main)
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;").replace('\'', "&#39;")
}
