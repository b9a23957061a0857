//! The redirect back from the provider: finishes the token and shows a
//! small self-contained page. No token in it, no third-party content, and
//! no referrer leaks the code.

use axum::extract::{RawQuery, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

use super::AppState;

#[utoipa::path(get, path = "/oauth/return", responses((status = 200, description = "a small HTML page: connected, or what went wrong"), (status = 400, description = "unknown, used or expired state")))]
pub async fn finish(State(state): State<AppState>, RawQuery(query): RawQuery) -> Response {
    let query: Vec<(String, String)> =
        url::form_urlencoded::parse(query.unwrap_or_default().as_bytes()).into_owned().collect();
    // Detached: the code is spent once taken, so the exchange and its
    // storing finish even if the browser goes away.
    let service = state.service.clone();
    let finished = tokio::spawn(async move { service.callback(&query, None).await }).await;
    let finished = finished.unwrap_or_else(|e| Err(crate::tokens::TokenError::Internal(e.to_string())));
    if let Ok(done) = &finished
        && let Some(back) = super::connect::returning(&state, done).await
    {
        return back;
    }
    let (status, title, text) = match finished {
        Ok(done) if done.error.is_none() => {
            tracing::info!(token = %done.token_id, "authorization completed");
            (
                StatusCode::OK,
                "Connected",
                "The authorization succeeded. You can close this window and return to your flow.".to_owned(),
            )
        }
        Ok(done) => {
            tracing::info!(token = %done.token_id, status = done.status.as_str(), "authorization refused");
            let reason = done.error.map(|(code, message)| format!("{message} ({code})")).unwrap_or_default();
            (
                StatusCode::OK,
                "Authorization failed",
                format!("The provider did not grant access: {reason}. Start the authorization again from your flow."),
            )
        }
        Err(error) => (StatusCode::BAD_REQUEST, "Authorization failed", format!("{error}.")),
    };
    let page = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title}</title>\
         <style>body{{font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem;color:#222}}</style>\
         </head><body><h1>{title}</h1><p>{}</p></body></html>",
        escape(&text)
    );
    let mut response = (status, Html(page)).into_response();
    let headers = response.headers_mut();
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; style-src 'unsafe-inline'"),
    );
    response
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}
