//! The redirect back from the provider: finishes the token and shows a
//! small self-contained page. No token in it, no third-party content, and
//! no referrer leaks the code. The answer comes in the query of a GET, or
//! posted as a form (`response_mode=form_post`, which the OpenID Connect
//! hybrid flow uses).

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

use super::AppState;
use crate::tokens::Delivery;

/// `GET /oauth/return` (and ThingWorx's path): a browser redirect, not
/// part of the API document.
pub async fn finish(State(state): State<AppState>, RawQuery(query): RawQuery) -> Response {
    let query = url::form_urlencoded::parse(query.unwrap_or_default().as_bytes()).into_owned().collect();
    answer(&state, query, Delivery::Query).await
}

/// `POST /oauth/return` (and ThingWorx's path): the IdP's `form_post`
/// answer (OpenID Connect hybrid flow), a browser redirect, not part of the
/// API document.
pub async fn finish_posted(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
    let essence = content_type.split(';').next().unwrap_or_default().trim();
    if !essence.eq_ignore_ascii_case("application/x-www-form-urlencoded") {
        let shown = if content_type.is_empty() { "none" } else { content_type };
        let text = format!(
            "The provider's answer must be posted as a form (application/x-www-form-urlencoded), not {shown}. \
             Nothing was used up: the authorization can still finish."
        );
        return page(StatusCode::UNSUPPORTED_MEDIA_TYPE, "Authorization failed", &text, None);
    }
    let form = url::form_urlencoded::parse(&body).into_owned().collect();
    answer(&state, form, Delivery::FormPost).await
}

async fn answer(state: &AppState, params: Vec<(String, String)>, delivery: Delivery) -> Response {
    // Detached: the code is spent once taken, so the exchange and its
    // storing finish even if the browser goes away.
    let service = state.service.clone();
    let finished = tokio::spawn(async move {
        match delivery {
            Delivery::Query => service.callback(&params, None).await,
            Delivery::FormPost => service.callback_posted(&params, None).await,
        }
    })
    .await;
    let finished = finished.unwrap_or_else(|e| Err(crate::tokens::TokenError::Internal(e.to_string())));
    if let Ok(done) = &finished
        && let Some(back) = super::connect::returning(state, done).await
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
    page(status, title, &text, outcome.as_ref().map(|(token, status)| (token.as_str(), *status)))
}

/// The page; `outcome` (token id, status) tells the UI that opened this
/// window how it went (data attributes, read by return.js: the CSP
/// allows no inline script).
fn page(status: StatusCode, title: &str, text: &str, outcome: Option<(&str, &str)>) -> Response {
    let data = outcome
        .map(|(token, status)| format!(" data-token-id=\"{}\" data-status=\"{status}\"", escape(token)))
        .unwrap_or_default();
    let page = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title}</title>\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <link rel=\"stylesheet\" href=\"/ui/app.css\"><script type=\"module\" src=\"/ui/return.js\"></script>\
         </head><body class=\"result\"{data}><main><h1>{title}</h1><p>{}</p></main></body></html>",
        escape(text)
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
