//! End to end: the real `flowauth serve` binary on a free port with a
//! temporary data directory, driven over HTTP as a flow step and an admin
//! would, against a mock identity provider that approves at once.

use flowauth_tests::server::{ADMIN_KEY, Server};
use flowauth_tests::{CLIENT_ID, CLIENT_SECRET, MockIdp};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// The binary under test, built by cargo for this test.
async fn start_server() -> Server {
    Server::start(env!("CARGO_BIN_EXE_flowauth")).await
}

#[tokio::test]
async fn flow_steps_and_admin_over_http() {
    let idp = MockIdp::start().await;
    let server = start_server().await;
    let api = server.api();

    let (status, tenant) = api.post("/v1/tenants", ADMIN_KEY, json!({"name": "acme"})).await;
    assert_eq!(status, StatusCode::CREATED, "{tenant}");
    let key = tenant["api_key"].as_str().unwrap().to_owned();
    let (_, other) = api.post("/v1/tenants", ADMIN_KEY, json!({"name": "beta"})).await;
    let other_key = other["api_key"].as_str().unwrap().to_owned();

    let load = json!({"devtools": {"HTTP": {
        "CLIENT_ID": CLIENT_ID, "CLIENT_SECRET": CLIENT_SECRET, "BASE_URL": idp.base_url(),
        "AUTH_URL": "/authorize", "TOKEN_URL": "/token", "VALIDATE_URL": "/userinfo"}}});
    let (status, report) = api.post("/v1/tenants/acme/oauth-configurations", &key, load).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["created"], json!(["devtools/HTTP"]));
    let (status, providers) = api.get("/v1/tenants/acme/providers", &key).await;
    assert_eq!(status, StatusCode::OK);
    assert!(!providers.to_string().contains(CLIENT_SECRET), "providers never show secrets");

    // StartTokenRequestAndGetAuthLink, then the user follows the link.
    let start = json!({"name": "sales-bot", "connector": "devtools", "provider": "HTTP", "flow": "authorization_code",
                       "scopes": ["read"], "additional": {"prompt": "consent"}, "use_default_keys": true});
    let (status, started) = api.post("/v1/tenants/acme/tokens", &key, start).await;
    assert_eq!(status, StatusCode::CREATED, "{started}");
    assert_eq!(started["status"], "pending");
    let id = started["id"].as_str().unwrap().to_owned();
    let page = reqwest::get(started["auth_link"].as_str().unwrap()).await.unwrap();
    assert_eq!(page.headers()["referrer-policy"], "no-referrer");
    let html = page.text().await.unwrap();
    assert!(html.contains("Connected"), "{html}");
    assert!(!html.contains("at-1"), "no token in the page");

    let (status, token) = api.post(&format!("/v1/tenants/acme/tokens/{id}/access-token"), &key, json!({})).await;
    assert_eq!(status, StatusCode::OK, "{token}");
    assert_eq!(token["access_token"], "at-1");
    let (status, _) = api.post(&format!("/v1/tenants/acme/tokens/{id}/access-token"), &other_key, json!({})).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "another tenant's key");
    let (_, refreshed) = api.post(&format!("/v1/tenants/acme/tokens/{id}/refresh"), &key, json!({})).await;
    assert_eq!(refreshed["access_token"], "at-2");
    assert!(!refreshed.to_string().contains("rt-1"), "never a refresh token");
    let (status, validation) = api.post(&format!("/v1/tenants/acme/tokens/{id}/validate"), &key, json!({})).await;
    assert_eq!(status, StatusCode::OK, "{validation}");
    let (status, renamed) = api
        .call(reqwest::Method::PATCH, &format!("/v1/tenants/acme/tokens/{id}"), &key, Some(json!({"name": "crm"})))
        .await;
    assert_eq!((status, renamed["name"].as_str()), (StatusCode::OK, Some("crm")));

    // Client credentials, reset.
    let cc = json!({"name": "nightly", "connector": "devtools", "provider": "HTTP", "flow": "client_credentials", "scopes": ["reports"]});
    let (_, started) = api.post("/v1/tenants/acme/tokens", &key, cc).await;
    assert_eq!(started["status"], "active", "{started}");
    let cc_id = started["id"].as_str().unwrap().to_owned();
    let (status, reset) =
        api.post(&format!("/v1/tenants/acme/tokens/{cc_id}/reset"), &key, json!({"scopes": ["admin"]})).await;
    assert_eq!((status, reset["status"].as_str()), (StatusCode::OK, Some("active")), "{reset}");

    // A failed authorization, then retry.
    let (_, failing) = api
        .post(
            "/v1/tenants/acme/tokens",
            &key,
            json!({"name": "x", "connector": "devtools", "provider": "HTTP", "flow": "authorization_code"}),
        )
        .await;
    let failing_id = failing["id"].as_str().unwrap().to_owned();
    let (status, retried) = api.post(&format!("/v1/tenants/acme/tokens/{failing_id}/retry"), &key, json!({})).await;
    assert_eq!(status, StatusCode::OK);
    assert!(retried["auth_link"].is_string());
    let (status, error) =
        api.post(&format!("/v1/tenants/acme/tokens/{failing_id}/access-token"), &key, json!({})).await;
    assert_eq!((status, error["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("token_not_active")));

    let metrics = reqwest::get(format!("{}/metrics", server.base)).await.unwrap().text().await.unwrap();
    assert!(metrics.contains("flowauth_http_requests_total{class=\"2xx\"}"), "{metrics}");
    let count = metrics.lines().find_map(|l| l.strip_prefix("flowauth_component_call_seconds_count ")).unwrap();
    assert!(count.parse::<u64>().unwrap() > 0, "{metrics}");

    let (status, refused) =
        api.call(reqwest::Method::DELETE, "/v1/tenants/acme/providers/devtools/HTTP", &key, None).await;
    assert_eq!(
        (status, refused["error"]["code"].as_str()),
        (StatusCode::CONFLICT, Some("provider_in_use")),
        "{refused}"
    );

    let (_, list) = api.get("/v1/tenants/acme/tokens", &key).await;
    assert_eq!(list["tokens"].as_array().unwrap().len(), 3);
    let (status, _) = api.call(reqwest::Method::DELETE, &format!("/v1/tenants/acme/tokens/{id}"), &key, None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = api.get(&format!("/v1/tenants/acme/tokens/{id}"), &key).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // ThingWorx's callback path works too.
    let page =
        reqwest::get(format!("{}/Thingworx/Oauths/oauth/return?code=x&state=unknown", server.base)).await.unwrap();
    assert_eq!(page.status(), StatusCode::BAD_REQUEST);

    let (exit, log) = server.stop();
    assert!(exit.success(), "SIGTERM stops the server gracefully: {exit}");
    assert!(log.contains("/access-token"), "requests are logged");
    for secret in [ADMIN_KEY, key.as_str(), CLIENT_SECRET, "good-code", "at-1", "at-2", "rt-1"] {
        assert!(!log.contains(secret), "{secret} leaked into the server log");
    }
}

#[tokio::test]
async fn refusals() {
    let server = start_server().await;
    let api = server.api();
    let (_, acme) = api.post("/v1/tenants", ADMIN_KEY, json!({"name": "acme"})).await;
    let key = acme["api_key"].as_str().unwrap().to_owned();

    let (status, body) = api.get("/v1/tenants/acme/tokens", "wrong-key").await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::UNAUTHORIZED, Some("unauthorized")));
    let (status, _) =
        api.http.get(format!("{}/v1/tenants/acme/tokens", server.base)).send().await.map(|r| (r.status(), ())).unwrap();
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // Another tenant, existing or not: the same 403.
    let (_, beta) = api.post("/v1/tenants", ADMIN_KEY, json!({"name": "beta"})).await;
    assert!(beta["api_key"].is_string());
    let (exists, _) = api.get("/v1/tenants/beta/tokens", &key).await;
    let (missing, _) = api.get("/v1/tenants/nobody/tokens", &key).await;
    assert_eq!((exists, missing), (StatusCode::FORBIDDEN, StatusCode::FORBIDDEN));
    let (status, _) = api.post("/v1/tenants", &key, json!({"name": "evil"})).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "tenant keys cannot create tenants");

    let response = api
        .http
        .post(format!("{}/v1/tenants/acme/tokens", server.base))
        .bearer_auth(&key)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "invalid_request");

    let bad_load = json!({"devtools": {"HTTP": {"CLIENT_ID": 7}}, "nope": {}});
    let (status, body) = api.post("/v1/tenants/acme/oauth-configurations", &key, bad_load).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let paths: Vec<_> =
        body["errors"].as_array().unwrap().iter().map(|e| e["path"].as_str().unwrap().to_owned()).collect();
    assert!(
        paths.contains(&"$.devtools.HTTP.CLIENT_ID".to_owned()) && paths.contains(&"$.nope".to_owned()),
        "{paths:?}"
    );
    let (_, providers) = api.get("/v1/tenants/acme/providers", &key).await;
    assert_eq!(providers["providers"], json!([]), "nothing loaded");

    let spec: Value = reqwest::get(format!("{}/v1/openapi.json", server.base)).await.unwrap().json().await.unwrap();
    for path in ["/v1/tenants", "/v1/tenants/{tenant}/tokens", "/v1/tenants/{tenant}/tokens/{id}/access-token"] {
        assert!(spec["paths"].get(path).is_some(), "{path} missing from the OpenAPI document");
    }
    // The provider's redirect back is a browser's, served below but not part of the API.
    assert!(spec["paths"].get("/oauth/return").is_none());
    let load_file = &spec["paths"]["/v1/tenants/{tenant}/oauth-configurations"]["post"]["requestBody"]["content"]["application/json"]
        ["schema"];
    assert_eq!(load_file["additionalProperties"], false, "the load file names the built-in connectors");
    let devtools = &load_file["properties"]["devtools"]["additionalProperties"];
    assert!(devtools["required"].as_array().unwrap().contains(&json!("CLIENT_ID")), "{devtools}");

    let page = reqwest::get(format!("{}/oauth/return?code=x&state=forged", server.base)).await.unwrap();
    assert_eq!(page.status(), StatusCode::BAD_REQUEST);
    assert!(page.text().await.unwrap().contains("unknown state"));
}

#[tokio::test]
async fn custom_connector_from_a_config_json() {
    let idp = MockIdp::start().await;
    let server = start_server().await;
    let api = server.api();
    let (_, acme) = api.post("/v1/tenants", ADMIN_KEY, json!({"name": "acme"})).await;
    let key = acme["api_key"].as_str().unwrap().to_owned();

    let config = json!({
        "name": "acme_crm", "title": "Acme CRM", "oauth_type": "OAuth2", "base_url": idp.base_url(),
        "oauth2_auth_url": "/authorize", "oauth2_token_url": "/token",
        "oauth2_auth_query": ["{\"client_id\":\"{client_id}\"}", "{\"response_type\":\"code\"}", "{\"redirect_uri\":\"{redirect_uri}\"}"],
        "oauth2_token_data": ["{\"grant_type\":\"authorization_code\"}", "{\"redirect_uri\":\"{redirect_uri}\"}",
                              "{\"client_id\":\"{client_id}\"}", "{\"client_secret\":\"{client_secret}\"}"]
    });
    let (status, added) = api.post("/v1/tenants/acme/connectors", &key, config).await;
    assert_eq!(status, StatusCode::CREATED, "{added}");
    let bad = json!({"name": "broken", "oauth2_token_data": ["{\"a\": "]});
    let (status, error) = api.post("/v1/tenants/acme/connectors", &key, bad).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{error}");
    assert!(error["error"]["message"].as_str().unwrap().contains("$.oauth2_token_data[0]"), "{error}");
    let (_, connectors) = api.get("/v1/tenants/acme/connectors", &key).await;
    assert!(connectors["connectors"].as_array().unwrap().iter().any(|c| c["name"] == "acme_crm"));

    let load = json!({"acme_crm": {"CRM": {"CLIENT_ID": CLIENT_ID, "CLIENT_SECRET": CLIENT_SECRET}}});
    let (status, report) = api.post("/v1/tenants/acme/oauth-configurations", &key, load).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    let start = json!({"name": "crm", "connector": "acme_crm", "provider": "CRM", "flow": "authorization_code"});
    let (_, started) = api.post("/v1/tenants/acme/tokens", &key, start).await;
    let page = reqwest::get(started["auth_link"].as_str().unwrap()).await.unwrap().text().await.unwrap();
    assert!(page.contains("Connected"), "{page}");
    let id = started["id"].as_str().unwrap();
    let (status, token) = api.post(&format!("/v1/tenants/acme/tokens/{id}/access-token"), &key, json!({})).await;
    assert_eq!((status, token["access_token"].as_str()), (StatusCode::OK, Some("at-1")), "{token}");
}

#[tokio::test]
async fn components_are_installed_by_the_admin_and_enabled_per_tenant() {
    let server = start_server().await;
    let api = server.api();
    let (_, acme) = api.post("/v1/tenants", ADMIN_KEY, json!({"name": "acme"})).await;
    let key = acme["api_key"].as_str().unwrap().to_owned();
    let upload = |name: &str, key: &str, bytes: Vec<u8>| {
        api.http.post(format!("{}/v1/components?name={name}", server.base)).bearer_auth(key).body(bytes).send()
    };
    let wasm = flowauth_tests::misbehave_wasm();

    assert_eq!(upload("misbehave", &key, wasm.clone()).await.unwrap().status(), StatusCode::FORBIDDEN);
    let response = upload("misbehave", ADMIN_KEY, wasm.clone()).await.unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let installed: Value = response.json().await.unwrap();
    assert_eq!(installed["connectors"], json!(["spin", "hog", "rogue", "crash"]));
    let junk = upload("junk", ADMIN_KEY, b"not wasm".to_vec()).await.unwrap();
    assert_eq!(junk.status(), StatusCode::BAD_REQUEST);

    let names = |body: &Value| {
        body["connectors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["name"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    let (_, before) = api.get("/v1/tenants/acme/connectors", &key).await;
    assert!(!names(&before).contains(&"spin".to_owned()), "not enabled yet");
    let enable = api
        .http
        .put(format!("{}/v1/tenants/acme/components/misbehave", server.base))
        .bearer_auth(ADMIN_KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(enable.status(), StatusCode::OK);
    let pinned: Value = enable.json().await.unwrap();
    assert_eq!(pinned["digest"], installed["digest"], "enabling pins the digest installed");
    let (_, after) = api.get("/v1/tenants/acme/connectors", &key).await;
    assert!(names(&after).contains(&"spin".to_owned()));
    let (status, list) = api.get("/v1/components", ADMIN_KEY).await;
    assert_eq!(status, StatusCode::OK);
    let installed = list["components"].as_array().unwrap().iter().filter(|c| c["built_in"] == false).count();
    assert_eq!(installed, 1, "{list}");
    let disable = api
        .http
        .delete(format!("{}/v1/tenants/acme/components/misbehave", server.base))
        .bearer_auth(ADMIN_KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(disable.status(), StatusCode::NO_CONTENT);
    let (_, again) = api.get("/v1/tenants/acme/connectors", &key).await;
    assert!(!names(&again).contains(&"spin".to_owned()));
}

#[tokio::test]
async fn whoami_server_and_a_tenants_key_rotation_and_deletion() {
    let server = start_server().await;
    let api = server.api();
    let (_, acme) = api.post("/v1/tenants", ADMIN_KEY, json!({"name": "acme"})).await;
    let old_key = acme["api_key"].as_str().unwrap().to_owned();

    assert_eq!(api.get("/v1/whoami", ADMIN_KEY).await, (StatusCode::OK, json!({"role": "admin"})));
    assert_eq!(api.get("/v1/whoami", &old_key).await, (StatusCode::OK, json!({"role": "tenant", "tenant": "acme"})));
    assert_eq!(api.get("/v1/whoami", "wrong-key").await.0, StatusCode::UNAUTHORIZED);
    let (status, about) = api.get("/v1/server", &old_key).await;
    assert_eq!(status, StatusCode::OK);
    let base = &server.base;
    assert_eq!(about["public_url"].as_str(), Some(base.as_str()));
    assert_eq!(about["redirect_uri"], format!("{base}/oauth/return"));
    assert_eq!(
        about["redirect_uris"],
        json!([format!("{base}/oauth/return"), format!("{base}/Thingworx/Oauths/oauth/return")])
    );
    assert!(about["version"].is_string());

    // Rotation: the old key, cached by its use above, stops at once.
    assert_eq!(api.post("/v1/tenants/acme/rotate-key", &old_key, json!({})).await.0, StatusCode::FORBIDDEN);
    let (status, rotated) = api.post("/v1/tenants/acme/rotate-key", ADMIN_KEY, json!({})).await;
    assert_eq!((status, rotated["name"].as_str()), (StatusCode::OK, Some("acme")), "{rotated}");
    let new_key = rotated["api_key"].as_str().unwrap();
    assert_eq!(api.get("/v1/tenants/acme/tokens", &old_key).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(api.get("/v1/tenants/acme/tokens", new_key).await.0, StatusCode::OK);

    // Deletion asks for the name again.
    let (status, refused) = api.call(reqwest::Method::DELETE, "/v1/tenants/acme", ADMIN_KEY, None).await;
    assert_eq!((status, refused["error"]["code"].as_str()), (StatusCode::BAD_REQUEST, Some("confirmation_required")));
    assert!(refused["error"]["message"].as_str().unwrap().contains("?confirm=acme"), "{refused}");
    let (status, _) = api.call(reqwest::Method::DELETE, "/v1/tenants/acme?confirm=beta", ADMIN_KEY, None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(api.get("/v1/tenants/acme/tokens", ADMIN_KEY).await.0, StatusCode::OK, "nothing was deleted");
    let (status, _) = api.call(reqwest::Method::DELETE, "/v1/tenants/acme?confirm=acme", new_key, None).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "a tenant key cannot delete its tenant");
    let (status, _) = api.call(reqwest::Method::DELETE, "/v1/tenants/acme?confirm=acme", ADMIN_KEY, None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(api.get("/v1/tenants/acme/tokens", new_key).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(api.get("/v1/tenants/acme/tokens", ADMIN_KEY).await.0, StatusCode::NOT_FOUND);
    assert_eq!(api.get("/v1/tenants", ADMIN_KEY).await.1, json!({"tenants": []}));
    let (status, _) = api.call(reqwest::Method::DELETE, "/v1/tenants/acme?confirm=acme", ADMIN_KEY, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn tokens_are_found_by_the_start_of_their_name() {
    let idp = MockIdp::start().await;
    let server = start_server().await;
    let api = server.api();
    let (_, acme) = api.post("/v1/tenants", ADMIN_KEY, json!({"name": "acme"})).await;
    let key = acme["api_key"].as_str().unwrap().to_owned();
    let load = json!({"devtools": {"HTTP": {"CLIENT_ID": CLIENT_ID, "CLIENT_SECRET": CLIENT_SECRET,
        "TOKEN_URL": format!("{}/token", idp.base_url())}}});
    api.post("/v1/tenants/acme/oauth-configurations", &key, load).await;
    for name in ["sales-bot", "sal%es", "sal_es", "support", "Sales"] {
        let start = json!({"name": name, "connector": "devtools", "provider": "HTTP", "flow": "client_credentials"});
        let (status, started) = api.post("/v1/tenants/acme/tokens", &key, start).await;
        assert_eq!(status, StatusCode::CREATED, "{started}");
    }
    let names = |page: &Value| -> Vec<String> {
        let mut names: Vec<String> =
            page["tokens"].as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap().to_owned()).collect();
        names.sort();
        names
    };
    let (status, page) = api.get("/v1/tenants/acme/tokens?name_prefix=sal", &key).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(names(&page), ["sal%es", "sal_es", "sales-bot"], "case-sensitive");
    let (_, page) = api.get("/v1/tenants/acme/tokens?name_prefix=sal%25", &key).await;
    assert_eq!(names(&page), ["sal%es"], "% is a plain character");
    let (_, page) = api.get("/v1/tenants/acme/tokens?name_prefix=sal_", &key).await;
    assert_eq!(names(&page), ["sal_es"], "_ is a plain character");
    let (_, page) = api.get("/v1/tenants/acme/tokens?name_prefix=sal&status=failed", &key).await;
    assert_eq!(names(&page), Vec::<String>::new(), "combined with the other filters");

    let mut seen = Vec::new();
    let mut path = "/v1/tenants/acme/tokens?name_prefix=sal&limit=2".to_owned();
    loop {
        let (_, page) = api.get(&path, &key).await;
        seen.extend(names(&page));
        let Some(cursor) = page["next_cursor"].as_str() else { break };
        path = format!("/v1/tenants/acme/tokens?name_prefix=sal&limit=2&cursor={cursor}");
    }
    seen.sort();
    assert_eq!(seen, ["sal%es", "sal_es", "sales-bot"], "pages of a prefix search");
}

#[tokio::test]
async fn thingworx_resource_url_settings_are_honoured_not_ignored() {
    let idp = MockIdp::start().await;
    let server = start_server().await;
    let api = server.api();
    let (_, acme) = api.post("/v1/tenants", ADMIN_KEY, json!({"name": "acme"})).await;
    let key = acme["api_key"].as_str().unwrap().to_owned();
    let devtools = |need: &str| {
        json!({"devtools": {"HTTP": {"CLIENT_ID": CLIENT_ID, "CLIENT_SECRET": CLIENT_SECRET, "BASE_URL": idp.base_url(),
               "AUTH_URL": "/authorize", "TOKEN_URL": "/token", "NEED_RESOURCE_URL": need}}})
    };
    let load = |body: Value| api.post("/v1/tenants/acme/oauth-configurations", &key, body);
    let start = |name: &str, connector: &str, provider: &str, resource: Option<&str>| {
        json!({"name": name, "connector": connector, "provider": provider, "flow": "authorization_code",
               "resource": resource})
    };

    // NEED_RESOURCE_URL true: the load file gives RESOURCE_URL, or is refused.
    let (status, refused) = load(devtools("true")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    let text = refused.to_string();
    assert!(text.contains("$.devtools.HTTP.NEED_RESOURCE_URL") && text.contains("give RESOURCE_URL"), "{text}");
    let (status, refused) = load(devtools("maybe")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert!(refused.to_string().contains("must be true or false"), "{refused}");
    assert_eq!(api.get("/v1/tenants/acme/providers", &key).await.1["providers"], json!([]), "nothing loaded");

    // NEED_RESOURCE_URL false: each token gives its resource.
    assert_eq!(load(devtools("false")).await.0, StatusCode::OK);
    let (status, refused) = api.post("/v1/tenants/acme/tokens", &key, start("a", "devtools", "HTTP", None)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{refused}");
    assert!(refused["error"]["message"].as_str().unwrap().contains("NEED_RESOURCE_URL false"), "{refused}");
    let with = start("a", "devtools", "HTTP", Some("https://twx.example.com/Thingworx"));
    let (status, started) = api.post("/v1/tenants/acme/tokens", &key, with).await;
    assert_eq!((status, started["status"].as_str()), (StatusCode::CREATED, Some("pending")), "{started}");

    // config.json `needurl`: the user gives the resource URL with each token.
    let config = |other: &str| {
        json!({"name": "twx_app", "oauth_type": "OAuth2", "base_url": idp.base_url(),
               "oauth2_auth_url": "/authorize", "oauth2_token_url": "/token",
               "oauth2_auth_query": ["{\"client_id\":\"{client_id}\"}", "{\"redirect_uri\":\"{redirect_uri}\"}"],
               "oauth2_params_other": [other]})
    };
    let (status, refused) = api.post("/v1/tenants/acme/connectors", &key, config("{\"colour\":\"blue\"}")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    let message = refused["error"]["message"].as_str().unwrap_or_default();
    assert!(message.contains("\"colour\" has no meaning for flowauth"), "{refused}");
    let (status, added) = api.post("/v1/tenants/acme/connectors", &key, config("{\"needurl\":\"true\"}")).await;
    assert_eq!(status, StatusCode::CREATED, "{added}");
    let app = json!({"twx_app": {"App": {"CLIENT_ID": CLIENT_ID, "CLIENT_SECRET": CLIENT_SECRET}}});
    assert_eq!(load(app).await.0, StatusCode::OK);
    let (status, refused) = api.post("/v1/tenants/acme/tokens", &key, start("b", "twx_app", "App", None)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{refused}");
    assert!(refused["error"]["message"].as_str().unwrap().contains("\"resource\""), "{refused}");
    let with = start("b", "twx_app", "App", Some("https://twx.example.com/Thingworx"));
    let (status, started) = api.post("/v1/tenants/acme/tokens", &key, with).await;
    assert_eq!((status, started["status"].as_str()), (StatusCode::CREATED, Some("pending")), "{started}");
}
