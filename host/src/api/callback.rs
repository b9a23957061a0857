//! The redirect back from the provider: finishes the token and shows a
//! small self-contained page. No token in it, no third-party content, and
//! no referrer leaks the code.

use axum::extract::{RawQuery, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

use super::AppState;

/// `GET /oauth/return` (and ThingWorx's path): a browser redirect, not
/// part of the API document.
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
    let outcome = finished.as_ref().ok().map(|done| (done.token_id.clone(), done.status.as_str()));
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
    // The UI that opened this window learns the outcome from return.js
    // (data attributes: the CSP allows no inline script).
    let data = outcome
        .map(|(token, status)| format!(" data-token-id=\"{}\" data-status=\"{status}\"", escape(&token)))
        .unwrap_or_default();
    let page = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title}</title>\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <link rel=\"stylesheet\" href=\"/ui/app.css\"><script type=\"module\" src=\"/ui/return.js\"></script>\
         </head><body class=\"result\"{data}><main><h1>{title}</h1><p>{}</p></main></body></html>",
        escape(&text)
    );
    let mut response = (status, Html(page)).into_response();
    let headers = response.headers_mut();
    super::ui::page_headers(headers);
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}
