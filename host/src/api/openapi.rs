//! The OpenAPI document of the API, generated from the handlers'
//! annotations and served at `/v1/openapi.json`. What every route shares
//! is added in one place ([`Shared`]): the bearer security requirement on
//! every route that needs a key, and the error answers any route may give
//! (a malformed request, a missing or foreign key, an unknown tenant, the
//! database not answering), each with the error body's schema. A test
//! checks the document against the router, so the two cannot drift.

use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::response::Response;
use utoipa::openapi::schema::Ref;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{Content, OpenApi as Document, RefOr};
use utoipa::{Modify, OpenApi};

use axum::extract::State;

use super::AppState;
use crate::runtime::Connector;

use super::{admin, bundles, components, connect, keys, tokens, views, webhooks};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "flowauth",
        description = "The OAuth layer of a workflow engine. Send `Authorization: Bearer <key>` (the admin key, or a tenant's key on its own routes)."
    ),
    paths(
        admin::whoami,
        admin::server,
        admin::tenants,
        admin::create_tenant,
        admin::rotate_key,
        admin::delete_tenant,
        admin::load_configuration,
        admin::providers,
        admin::delete_provider,
        keys::set,
        keys::show,
        keys::rotate,
        keys::remove,
        keys::jwks,
        admin::connectors,
        admin::add_connector,
        admin::remove_connector,
        bundles::export,
        bundles::import,
        components::list,
        components::install,
        components::uninstall,
        components::enable,
        components::disable,
        tokens::start,
        tokens::list,
        tokens::show,
        tokens::access_token,
        tokens::refresh,
        tokens::reset,
        tokens::retry,
        tokens::validate,
        tokens::rename,
        tokens::remove,
        webhooks::set,
        webhooks::show,
        webhooks::remove,
        webhooks::deliveries,
        connect::set_settings,
        connect::settings,
        connect::create,
        connect::page,
        connect::submit,
    ),
    components(schemas(views::ErrorBody)),
    modifiers(&Shared)
)]
struct ApiDoc;

/// The name of the bearer security scheme.
const BEARER: &str = "bearer";

/// Routes anyone may use: connect links (their secret is their credential)
/// and providers' public keys.
fn is_public(path: &str) -> bool {
    path.starts_with("/connect/") || path.starts_with("/jwks/")
}

/// Adds what every route shares.
struct Shared;

impl Modify for Shared {
    fn modify(&self, document: &mut Document) {
        let components = document.components.get_or_insert_with(Default::default);
        components.add_security_scheme(BEARER, SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)));
        for (path, item) in document.paths.paths.iter_mut() {
            let operations = [&mut item.get, &mut item.put, &mut item.post, &mut item.delete, &mut item.patch];
            for operation in operations.into_iter().flatten() {
                shared(path, operation);
            }
        }
    }
}

fn shared(path: &str, operation: &mut Operation) {
    let public = is_public(path);
    if !public {
        operation.security = Some(vec![SecurityRequirement::new(BEARER, Vec::<String>::new())]);
        respond(operation, "401", "missing or unknown key", true);
        respond(operation, "403", "this key may not use this route (another tenant's, or not the admin key)", true);
    }
    let parameters = operation.parameters.as_deref().unwrap_or_default();
    let in_path = parameters.iter().any(|p| p.parameter_in == ParameterIn::Path);
    let in_query = parameters.iter().any(|p| p.parameter_in == ParameterIn::Query);
    if in_path && !public {
        respond(operation, "404", "no such tenant (or no such thing the path names)", true);
    }
    let json_body = operation.request_body.as_ref().is_some_and(|b| b.content.contains_key("application/json"));
    if json_body || in_query {
        respond(operation, "400", "a malformed request: the message says what is wrong", !public);
    }
    if json_body {
        respond(operation, "413", "the body is larger than this route accepts", true);
        respond(operation, "415", "send the body as application/json", true);
        respond(operation, "422", "the body is not what this route takes: the message says why", true);
    }
    respond(operation, "500", "internal error: see the server log", !public);
    respond(operation, "503", "the database does not answer: try again after Retry-After", !public);
    // Errors listed by the handlers carry the error body too.
    for (status, response) in operation.responses.responses.iter_mut() {
        if let RefOr::T(response) = response
            && !public
            && (status.starts_with('4') || status.starts_with('5'))
            && response.content.is_empty()
        {
            response.content.insert("application/json".into(), error_content());
        }
    }
}

/// Adds the answer `status` unless the handler documents it already.
fn respond(operation: &mut Operation, status: &str, description: &str, error_body: bool) {
    operation.responses.responses.entry(status.to_owned()).or_insert_with(|| {
        let mut response = Response::new(description);
        if error_body {
            response.content.insert("application/json".into(), error_content());
        }
        RefOr::T(response)
    });
}

fn error_content() -> Content {
    Content::new(Some(Ref::from_schema_name("ErrorBody")))
}

/// Where the load file's schema goes in the document (JSON pointer).
const LOAD_FILE_SCHEMA: &str =
    "/paths/~1v1~1tenants~1{tenant}~1oauth-configurations/post/requestBody/content/application~1json/schema";

/// The document as JSON, with the load file's schema of the built-in
/// connectors this server runs.
pub async fn document(State(state): State<AppState>) -> axum::Json<serde_json::Value> {
    let builtins: Vec<Connector> =
        state.runtime.components().iter().filter(|c| c.built_in).flat_map(|c| c.connectors.clone()).collect();
    axum::Json(served(&builtins))
}

fn served(builtins: &[Connector]) -> serde_json::Value {
    let mut document = serde_json::to_value(ApiDoc::openapi()).expect("the document is JSON");
    *document.pointer_mut(LOAD_FILE_SCHEMA).expect("the load file route takes a JSON body") =
        super::load_schema::load_file(builtins);
    document
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::CALLBACK_PATHS;

    /// Routes that are operations' plumbing, not the API: probes, metrics,
    /// the document itself, the web page's files (docs/UI.md), and the
    /// provider's redirects back (a browser follows them; no client calls them).
    const UNDOCUMENTED: [&str; 10] = [
        "/healthz",
        "/readyz",
        "/metrics",
        "/v1/openapi.json",
        "/",
        "/ui",
        "/ui/",
        "/ui/{file}",
        CALLBACK_PATHS[0],
        CALLBACK_PATHS[1],
    ];

    /// Every `(path, method)` the router in `api/mod.rs` serves, read from
    /// its source.
    fn routes() -> Vec<(String, &'static str)> {
        let source = include_str!("mod.rs");
        let router = &source[source.find("pub fn router").expect("the router")..];
        let mut routes = Vec::new();
        for chunk in router.split(".route(").skip(1) {
            let chunk = &chunk[..chunk.find("\n        .").unwrap_or(chunk.len())];
            let path = match chunk.split_once(',').expect("a route's path").0.trim() {
                "CALLBACK_PATHS[0]" => CALLBACK_PATHS[0].to_owned(),
                "CALLBACK_PATHS[1]" => CALLBACK_PATHS[1].to_owned(),
                literal => literal.trim_matches('"').to_owned(),
            };
            for method in ["get", "put", "post", "delete", "patch"] {
                let called = chunk.match_indices(&format!("{method}(")).any(|(at, _)| {
                    at == 0 || !chunk.as_bytes()[at - 1].is_ascii_alphanumeric() && chunk.as_bytes()[at - 1] != b'_'
                });
                if called {
                    routes.push((path.clone(), method));
                }
            }
        }
        routes
    }

    fn operation<'a>(document: &'a Document, path: &str, method: &str) -> Option<&'a Operation> {
        let item = document.paths.paths.get(path)?;
        match method {
            "get" => item.get.as_ref(),
            "put" => item.put.as_ref(),
            "post" => item.post.as_ref(),
            "delete" => item.delete.as_ref(),
            _ => item.patch.as_ref(),
        }
    }

    #[test]
    fn every_route_is_documented_with_its_answers_and_security() {
        let document = ApiDoc::openapi();
        let routes = routes();
        assert!(routes.len() > 30, "the router's routes were read: {routes:?}");
        for (path, method) in routes.iter().filter(|(path, _)| !UNDOCUMENTED.contains(&path.as_str())) {
            let operation = operation(&document, path, method)
                .unwrap_or_else(|| panic!("{method} {path} is served but not in the OpenAPI document"));
            let statuses: Vec<&String> = operation.responses.responses.keys().collect();
            assert!(statuses.iter().any(|s| s.starts_with('2') || s.starts_with('3')), "{method} {path}: {statuses:?}");
            if is_public(path) {
                assert!(operation.security.is_none(), "{method} {path} needs no key");
                continue;
            }
            let security = operation.security.as_deref().unwrap_or_default();
            assert_eq!(security.len(), 1, "{method} {path} has no security requirement");
            for status in ["401", "403", "500", "503"] {
                assert!(operation.responses.responses.contains_key(status), "{method} {path} lacks {status}");
            }
        }
        for (path, item) in &document.paths.paths {
            for (method, documented) in [
                ("get", &item.get),
                ("put", &item.put),
                ("post", &item.post),
                ("delete", &item.delete),
                ("patch", &item.patch),
            ] {
                if documented.is_some() {
                    assert!(routes.iter().any(|(p, m)| p == path && *m == method), "{method} {path} is not served");
                }
            }
        }
        let json = serde_json::to_value(&document).unwrap();
        assert_eq!(json["components"]["securitySchemes"]["bearer"]["scheme"], "bearer");
    }
}
