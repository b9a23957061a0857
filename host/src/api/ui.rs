//! The web page at `/ui` (docs/UI.md): a few static files embedded in the
//! binary, so the server needs no second process and the browser loads
//! nothing from another origin. The page talks to the JSON API with the
//! key the user typed, kept in the tab's session storage.

use std::sync::LazyLock;

use axum::extract::Path;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use sha2::{Digest, Sha256};

/// What every page of ours (the UI and the OAuth result page) may load:
/// scripts and styles of this origin only, no inline script, API calls to
/// this origin only, never inside another site's frame.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
     img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// One embedded file.
struct Asset {
    name: &'static str,
    content_type: &'static str,
    body: &'static [u8],
}

macro_rules! asset {
    ($name:literal, $type:expr) => {
        Asset { name: $name, content_type: $type, body: include_bytes!(concat!("../../ui/", $name)) }
    };
}

const JS: &str = "text/javascript; charset=utf-8";

/// Every file of the page; `index.html` answers `/ui` itself.
const ASSETS: &[Asset] = &[
    asset!("index.html", "text/html; charset=utf-8"),
    asset!("app.css", "text/css; charset=utf-8"),
    asset!("app.js", JS),
    asset!("api.js", JS),
    asset!("dom.js", JS),
    asset!("tenants.js", JS),
    asset!("components.js", JS),
    asset!("providers.js", JS),
    asset!("tokens.js", JS),
    asset!("events.js", JS),
    asset!("return.js", JS),
];

/// Each file's entity tag, a digest of its bytes: the browser revalidates
/// (`no-cache`) and gets a 304 while the binary serves the same bytes.
static ETAGS: LazyLock<Vec<HeaderValue>> = LazyLock::new(|| {
    ASSETS
        .iter()
        .map(|a| {
            let digest = hex::encode(&Sha256::digest(a.body)[..12]);
            HeaderValue::from_str(&format!("\"{digest}\"")).expect("hex is a valid header value")
        })
        .collect()
});

/// `/`: the page.
pub async fn root() -> Redirect {
    Redirect::to("/ui")
}

/// `/ui` and `/ui/`: the page itself.
pub async fn index(headers: HeaderMap) -> Response {
    serve("index.html", &headers)
}

/// `/ui/{file}`: a script or the style sheet.
pub async fn file(Path(name): Path<String>, headers: HeaderMap) -> Response {
    serve(&name, &headers)
}

fn serve(name: &str, request: &HeaderMap) -> Response {
    let Some(index) = ASSETS.iter().position(|a| a.name == name) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let asset = &ASSETS[index];
    let etag = &ETAGS[index];
    let fresh = request.get(header::IF_NONE_MATCH).is_some_and(|v| v.as_bytes() == etag.as_bytes());
    let mut response = if fresh { StatusCode::NOT_MODIFIED.into_response() } else { asset.body.into_response() };
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(asset.content_type));
    headers.insert(header::ETAG, etag.clone());
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    page_headers(headers);
    response
}

/// The headers every HTML page of flowauth and its assets carry.
pub fn page_headers(headers: &mut HeaderMap) {
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CONTENT_SECURITY_POLICY));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
}
