//! The OpenAPI document of the API, generated from the handlers'
//! annotations and served at `/v1/openapi.json`.

use utoipa::OpenApi;

use super::{admin, callback, components, tokens, views, webhooks};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "flowauth",
        description = "The OAuth layer of a workflow engine. Send `Authorization: Bearer <key>`."
    ),
    paths(
        admin::tenants,
        admin::create_tenant,
        admin::load_configuration,
        admin::providers,
        admin::delete_provider,
        admin::connectors,
        admin::add_connector,
        admin::remove_connector,
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
        callback::finish,
    ),
    components(schemas(views::ErrorBody))
)]
struct ApiDoc;

/// The document as JSON.
pub async fn document() -> axum::Json<utoipa::openapi::OpenApi> {
    axum::Json(ApiDoc::openapi())
}
