//! The built-in connector families driven through the host against mock
//! providers on 127.0.0.1 that behave like the real ones: each family's
//! quirk, and every connector of the seed table authorizing, exchanging a
//! code and refreshing; through the token service on both store backends,
//! Slack's user token by `which` and the errors that say what fixes a
//! connector name.

use flowauth::runtime::{AuthRequest, CallError, Callback, Client, Grant, OauthError, Runtime, Target, TokenSet};
use flowauth::store::{LoadMode, TokenStatus};
use flowauth::tokens::{Flow, InstallOptions, LoadError, StartRequest, TokenService};
use flowauth_tests::lifecycle::{given_key, open_at, query, state_of};
use flowauth_tests::postgres::{Backend, backends};
use flowauth_tests::providers::{CONSUMER_KEY, CONSUMER_SECRET, Provider, Style};
use flowauth_tests::{CLIENT_ID, CLIENT_SECRET, oidc_discovery_wasm, test_runtime};

/// A compiled-code cache shared by these tests, so each starts its runtime
/// without compiling every built-in component again.
fn cache() -> Option<std::path::PathBuf> {
    Some(std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("families-compiled"))
}

const REDIRECT: &str = "https://flow.example.com/Thingworx/Oauths/oauth/return";

type Pairs = Vec<(String, String)>;

fn owned(pairs: &[(&str, &str)]) -> Pairs {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

fn get<'a>(pairs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
}

/// The provider's client plus `settings`, for a built-in connector.
fn target(runtime: &Runtime, connector: &str, settings: &[(&str, &str)]) -> Target {
    let component = runtime.component_for(connector).unwrap_or_else(|| panic!("{connector} is built in"));
    let mut all = owned(&[("CLIENT_ID", CLIENT_ID), ("CLIENT_SECRET", CLIENT_SECRET)]);
    all.extend(owned(settings));
    Target::new(component, Client { connector: connector.into(), settings: all, definition: None }).unwrap()
}

fn auth_request(scopes: &[&str], extra: &[(&str, &str)]) -> AuthRequest {
    AuthRequest {
        redirect_uri: REDIRECT.into(),
        state: "state-1".into(),
        scopes: scopes.iter().map(|s| s.to_string()).collect(),
        code_challenge: Some("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM".into()),
        extra: owned(extra),
    }
}

fn callback(code: &str, extra: &[(&str, &str)]) -> Callback {
    Callback {
        redirect_uri: REDIRECT.into(),
        query: owned(&[("code", code), ("state", "state-1")]),
        code_verifier: Some("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk".into()),
        pending: None,
        extra: owned(extra),
    }
}

/// (path, query) of a URL.
fn split(url: &str) -> (String, Pairs) {
    let parsed = url::Url::parse(url).unwrap();
    (parsed.path().to_owned(), parsed.query_pairs().into_owned().collect())
}

fn rejected(error: &CallError) -> Option<&str> {
    match error {
        CallError::OAuth(OauthError::Rejected(e)) => Some(e.code.as_str()),
        _ => None,
    }
}

fn config_message(error: &CallError) -> String {
    match error {
        CallError::OAuth(OauthError::Config(message)) => message.clone(),
        other => panic!("expected a config error, got {other:?}"),
    }
}

#[tokio::test]
async fn google_asks_for_offline_access_with_consent_and_revokes() {
    let idp = Provider::start(Style::Standard).await;
    let runtime = test_runtime(cache()).await;
    let gmail = target(&runtime, "google_gmail", &[("BASE_URL", &idp.base_url())]);
    let link = runtime.build_auth_url(&gmail, &auth_request(&[], &[])).await.unwrap();
    let (path, query) = split(&link.url);
    assert_eq!(path, "/o/oauth2/v2/auth");
    assert_eq!(get(&query, "access_type"), Some("offline"));
    assert_eq!(get(&query, "prompt"), Some("consent"));
    assert_eq!(get(&query, "scope"), Some("https://mail.google.com/"));
    let sheets = target(&runtime, "google_sheet", &[]);
    let picked = ["https://www.googleapis.com/auth/spreadsheets", "https://www.googleapis.com/auth/drive.file"];
    let link = runtime.build_auth_url(&sheets, &auth_request(&picked, &[])).await.unwrap();
    assert!(link.url.starts_with("https://accounts.google.com/o/oauth2/v2/auth?"), "{}", link.url);
    assert_eq!(get(&split(&link.url).1, "scope"), Some(picked.join(" ").as_str()), "scopes are space-separated");

    let tokens = runtime.exchange_code(&gmail, &callback("good-code", &[])).await.unwrap();
    assert_eq!(idp.last("/token").path, "/token", "the token path is kept under BASE_URL");
    assert_eq!(tokens.refresh_token.as_deref(), Some("rt-1"));
    runtime.revoke(&gmail, &tokens).await.unwrap();
    assert_eq!(idp.last("/revoke").field("token"), Some("rt-1"), "revoking the refresh token ends the grant");
}

#[tokio::test]
async fn microsoft_puts_the_tenant_in_the_path_and_asks_for_offline_access() {
    let idp = Provider::start(Style::Standard).await;
    let runtime = test_runtime(cache()).await;
    let excel = target(&runtime, "excel", &[("BASE_URL", &idp.base_url())]);
    let link = runtime.build_auth_url(&excel, &auth_request(&[], &[])).await.unwrap();
    let (path, query) = split(&link.url);
    assert_eq!(path, "/common/oauth2/v2.0/authorize", "the tenant defaults to common");
    assert!(get(&query, "scope").unwrap().split(' ').any(|s| s == "offline_access"), "{}", link.url);

    let contoso = [("tenant", "contoso.onmicrosoft.com")];
    let link = runtime.build_auth_url(&excel, &auth_request(&[], &contoso)).await.unwrap();
    assert_eq!(split(&link.url).0, "/contoso.onmicrosoft.com/oauth2/v2.0/authorize");
    assert_eq!(get(&split(&link.url).1, "tenant"), None, "a per-token input is not an authorization parameter");
    runtime.exchange_code(&excel, &callback("good-code", &contoso)).await.unwrap();
    let tokens = runtime.refresh(&excel, "rt-1", &[], &owned(&contoso)).await.unwrap();
    assert_eq!(tokens.access_token, "at-1");
    assert_eq!(idp.last("/token").path, "/contoso.onmicrosoft.com/oauth2/v2.0/token");
}

#[tokio::test]
async fn dynamics365_uses_the_v1_endpoints_with_a_resource() {
    let idp = Provider::start(Style::Standard).await;
    let runtime = test_runtime(cache()).await;
    let crm = "https://acme.crm4.dynamics.com";
    let dynamics = target(&runtime, "dynamics365", &[("BASE_URL", &idp.base_url())]);
    let error = runtime.build_auth_url(&dynamics, &auth_request(&[], &[])).await.unwrap_err();
    assert!(config_message(&error).contains("RESOURCE_URL"), "{error:?}");

    let link = runtime.build_auth_url(&dynamics, &auth_request(&[], &[("resource", crm)])).await.unwrap();
    let (path, query) = split(&link.url);
    assert_eq!((path.as_str(), get(&query, "resource")), ("/common/oauth2/authorize", Some(crm)));
    let configured = target(&runtime, "dynamics365", &[("BASE_URL", &idp.base_url()), ("RESOURCE_URL", crm)]);
    runtime.exchange_code(&configured, &callback("good-code", &[])).await.unwrap();
    let seen = idp.last("/token");
    assert_eq!((seen.path.as_str(), seen.field("resource")), ("/common/oauth2/token", Some(crm)));
}

#[tokio::test]
async fn salesforce_keeps_instance_url_and_logs_in_at_the_login_host() {
    let idp = Provider::start(Style::Salesforce).await;
    let runtime = test_runtime(cache()).await;
    let plain = target(&runtime, "salesforce", &[]);
    let link = runtime.build_auth_url(&plain, &auth_request(&[], &[])).await.unwrap();
    assert!(link.url.starts_with("https://login.salesforce.com/services/oauth2/authorize?"), "{}", link.url);
    let sandbox = [("login_host", "test.salesforce.com")];
    let link = runtime.build_auth_url(&plain, &auth_request(&[], &sandbox)).await.unwrap();
    assert!(link.url.starts_with("https://test.salesforce.com/services/oauth2/authorize?"), "{}", link.url);

    let servicemax = target(&runtime, "servicemax", &[("BASE_URL", &idp.base_url())]);
    let tokens = runtime.exchange_code(&servicemax, &callback("good-code", &[])).await.unwrap();
    assert_eq!(idp.last("/token").path, "/services/oauth2/token");
    assert_eq!(get(&tokens.extra, "instance_url"), Some("https://acme.my.salesforce.com"));
    assert_eq!(tokens.expires_in, None, "Salesforce says nothing about expiry");
    let renewed = runtime.refresh(&servicemax, "rt-1", &[], &[]).await.unwrap();
    assert_eq!((renewed.refresh_token, get(&renewed.extra, "instance_url").is_some()), (None, true));
}

#[tokio::test]
async fn pingfederate_windchill_validates_by_introspection_and_rolls_refresh_tokens() {
    let idp = Provider::start(Style::Rotating).await;
    let runtime = test_runtime(cache()).await;
    let base = format!("{}/as", idp.base_url());
    let settings = [
        ("base_url", base.as_str()),
        ("SCOPE", "WINDCHILL_READ, WINDCHILL"),
        ("PF_IDP_ADAPTER_ID", "HTMLFormAdapter"),
        ("RESOURCE_URL", "https://windchill.example.com/Windchill"),
    ];
    let windchill = target(&runtime, "windchill", &settings);
    let link = runtime.build_auth_url(&windchill, &auth_request(&[], &[])).await.unwrap();
    let (path, query) = split(&link.url);
    assert_eq!(path, "/as/authorization.oauth2", "the seed's lower-case base_url is BASE_URL");
    assert_eq!(get(&query, "scope"), Some("WINDCHILL_READ WINDCHILL"));
    assert_eq!(get(&query, "pfidpadapterid"), Some("HTMLFormAdapter"));

    let tokens = runtime.exchange_code(&windchill, &callback("good-code", &[])).await.unwrap();
    assert_eq!(idp.last("token.oauth2").path, "/as/token.oauth2");
    assert_eq!(get(&tokens.extra, "resource_url"), Some("https://windchill.example.com/Windchill"));
    let check = runtime.validate(&windchill, &tokens).await.unwrap();
    assert!(check.active && check.subject.as_deref() == Some("ann"), "{check:?}");
    assert_eq!(idp.last("introspect.oauth2").path, "/as/introspect.oauth2");
    let forged = TokenSet { access_token: "forged".into(), ..tokens.clone() };
    assert!(!runtime.validate(&windchill, &forged).await.unwrap().active);

    let thingworx = target(&runtime, "thingworx", &[("BASE_URL", &base)]);
    let error = runtime.build_auth_url(&thingworx, &auth_request(&[], &[])).await.unwrap_err();
    assert!(config_message(&error).contains("RESOURCE_URL"), "{error:?}");
    let server = [("resource", "https://twx.example.com/Thingworx")];
    let link = runtime.build_auth_url(&thingworx, &auth_request(&[], &server)).await.unwrap();
    assert_eq!(get(&split(&link.url).1, "scope"), Some("THINGWORX"));

    let rolled = runtime.refresh(&windchill, "rt-1", &[], &[]).await.unwrap();
    assert_eq!(rolled.refresh_token.as_deref(), Some("rt-2"), "the rolling policy replaces the refresh token");
    let reused = runtime.refresh(&windchill, "rt-1", &[], &[]).await.unwrap_err();
    assert_eq!(rejected(&reused), Some("invalid_grant"));
}

#[tokio::test]
async fn pingfederate_connectors_issue_machine_to_machine_tokens_by_client_credentials() {
    let idp = Provider::start(Style::Rotating).await;
    let runtime = test_runtime(cache()).await;
    let base = format!("{}/as", idp.base_url());
    for connector in ["thingworx", "windchill", "integrity"] {
        let offered = &runtime.component_for(connector).unwrap().connectors;
        let declared = offered.iter().find(|c| c.name == connector).unwrap();
        assert!(declared.grants.contains(&Grant::ClientCredentials), "{connector}: {:?}", declared.grants);
    }
    let resource = ("RESOURCE_URL", "https://windchill.example.com/Windchill");
    let windchill = target(&runtime, "windchill", &[("BASE_URL", &base), ("SCOPE", "WINDCHILL_READ"), resource]);
    let tokens = runtime.request_token(&windchill, Grant::ClientCredentials, &[]).await.unwrap();
    let request = idp.last("token.oauth2");
    assert_eq!(request.path, "/as/token.oauth2");
    assert_eq!(
        (request.field("grant_type"), request.field("scope")),
        (Some("client_credentials"), Some("WINDCHILL_READ"))
    );
    assert_eq!((tokens.access_token.as_str(), tokens.refresh_token.as_deref()), ("at-1", None));
    assert_eq!(get(&tokens.extra, "resource_url"), Some("https://windchill.example.com/Windchill"));

    let thingworx = target(&runtime, "thingworx", &[("BASE_URL", &base)]);
    let before = idp.seen().len();
    let error = runtime.request_token(&thingworx, Grant::ClientCredentials, &[]).await.unwrap_err();
    assert!(config_message(&error).contains("RESOURCE_URL"), "{error:?}");
    assert_eq!(idp.seen().len(), before, "a ThingWorx token without its server is refused before any request");
    let server = owned(&[("resource", "https://twx.example.com/Thingworx")]);
    let tokens = runtime.request_token(&thingworx, Grant::ClientCredentials, &server).await.unwrap();
    assert_eq!(idp.last("token.oauth2").field("scope"), Some("THINGWORX"));
    assert_eq!(get(&tokens.extra, "resource_url"), Some("https://twx.example.com/Thingworx"));
}

#[tokio::test]
async fn jira_asks_for_the_api_audience_and_keeps_the_cloud_id() {
    let idp = Provider::start(Style::Rotating).await;
    let runtime = test_runtime(cache()).await;
    let jira = target(&runtime, "jira", &[("BASE_URL", &idp.base_url())]);
    let link = runtime.build_auth_url(&jira, &auth_request(&[], &[])).await.unwrap();
    let query = split(&link.url).1;
    assert_eq!((get(&query, "audience"), get(&query, "prompt")), (Some("api.atlassian.com"), Some("consent")));
    assert!(get(&query, "scope").unwrap().contains("offline_access"));

    let tokens = runtime.exchange_code(&jira, &callback("good-code", &[])).await.unwrap();
    assert_eq!(idp.last("accessible-resources").headers.get("authorization").unwrap(), "Bearer at-1");
    assert_eq!(get(&tokens.extra, "cloud_id"), Some("cloud-1234"));
    assert_eq!(get(&tokens.extra, "cloud_url"), Some("https://acme.atlassian.net"));
    let rotated = runtime.refresh(&jira, "rt-1", &[], &[]).await.unwrap();
    assert_eq!(rotated.refresh_token.as_deref(), Some("rt-2"));
}

#[tokio::test]
async fn sap_authenticates_with_basic_and_keeps_its_urls() {
    let idp = Provider::start(Style::Standard).await;
    let runtime = test_runtime(cache()).await;
    let base = format!("{}/sap/bc/sec/oauth2", idp.base_url());
    let settings = [
        ("BASE_URL", base.as_str()),
        ("SCOPE", "ZAPI_SALES_ORDER_SRV_0001"),
        ("CONNECTION_URL", "https://sap.example.com:44300/"),
    ];
    let sap = target(&runtime, "sap_odata", &settings);
    let link = runtime.build_auth_url(&sap, &auth_request(&[], &[])).await.unwrap();
    assert_eq!(split(&link.url).0, "/sap/bc/sec/oauth2/authorize");
    let tokens = runtime.exchange_code(&sap, &callback("good-code", &[])).await.unwrap();
    let seen = idp.last("/token");
    assert!(seen.headers.get("authorization").is_some_and(|a| a.starts_with("Basic ")), "{seen:?}");
    assert_eq!((seen.field("client_id"), seen.field("client_secret")), (None, None));
    assert_eq!(get(&tokens.extra, "connection_url"), Some("https://sap.example.com:44300/"));
}

#[tokio::test]
async fn client_auth_and_prompt_settings_apply_to_every_built_in_family() {
    let idp = Provider::start(Style::Standard).await;
    let runtime = test_runtime(cache()).await;
    let base = idp.base_url();

    // Box sends its secret in the body unless CLIENT_AUTH says basic...
    let boxcom = target(&runtime, "box", &[("BASE_URL", &base), ("CLIENT_AUTH", "basic"), ("PROMPT", "login consent")]);
    runtime.exchange_code(&boxcom, &callback("good-code", &[])).await.unwrap();
    let seen = idp.last("/token");
    assert!(seen.headers.get("authorization").is_some_and(|a| a.starts_with("Basic ")), "{seen:?}");
    assert_eq!((seen.field("client_id"), seen.field("client_secret")), (None, None), "the secret goes once");
    let link = runtime.build_auth_url(&boxcom, &auth_request(&[], &[])).await.unwrap();
    assert_eq!(get(&split(&link.url).1, "prompt"), Some("login consent"));
    // ...and SAP in a header unless it says body (App Xchange's "Client credentials body").
    let sap = target(&runtime, "sap_odata", &[("BASE_URL", &base), ("CLIENT_AUTH", "body")]);
    runtime.exchange_code(&sap, &callback("good-code", &[])).await.unwrap();
    let seen = idp.last("/token");
    assert_eq!(seen.headers.get("authorization"), None, "{seen:?}");
    assert_eq!((seen.field("client_id"), seen.field("client_secret")), (Some(CLIENT_ID), Some(CLIENT_SECRET)));
    // The refresh and the revocation authenticate the same way.
    runtime.refresh(&boxcom, "rt-1", &[], &[]).await.unwrap();
    assert!(idp.last("/token").headers.get("authorization").is_some_and(|a| a.starts_with("Basic ")));

    // PROMPT replaces Google's own prompt=consent; a token's own prompt still wins.
    let gmail = target(&runtime, "google_gmail", &[("BASE_URL", &base), ("PROMPT", "select_account")]);
    let link = runtime.build_auth_url(&gmail, &auth_request(&[], &[])).await.unwrap();
    assert_eq!(get(&split(&link.url).1, "prompt"), Some("select_account"));
    let link = runtime.build_auth_url(&gmail, &auth_request(&[], &[("prompt", "none")])).await.unwrap();
    assert_eq!(get(&split(&link.url).1, "prompt"), Some("none"));

    // private_key_jwt on a family: an assertion instead of the secret, or a clear refusal without a key.
    let dropbox = target(&runtime, "dropbox", &[("BASE_URL", &base), ("CLIENT_AUTH", "private_key_jwt")]);
    let refused = runtime.exchange_code(&dropbox, &callback("good-code", &[])).await.unwrap_err();
    assert!(config_message(&refused).contains("no private key"), "{refused}");
    let dropbox = dropbox.with_signing_key(flowauth_tests::assertion_signing_key());
    runtime.exchange_code(&dropbox, &callback("good-code", &[])).await.unwrap();
    let seen = idp.last("/token");
    assert_eq!(seen.field("client_secret"), None);
    assert_eq!(seen.field("client_assertion_type"), Some("urn:ietf:params:oauth:client-assertion-type:jwt-bearer"));
    assert!(seen.field("client_assertion").is_some_and(|jwt| jwt.split('.').count() == 3), "{seen:?}");

    let bad = target(&runtime, "box", &[("BASE_URL", &base), ("CLIENT_AUTH", "mtls")]);
    let refused = runtime.exchange_code(&bad, &callback("good-code", &[])).await.unwrap_err();
    assert!(config_message(&refused).contains("CLIENT_AUTH \"mtls\""), "{refused}");
}

#[tokio::test]
async fn github_gets_json_by_asking_and_reads_errors_sent_with_200() {
    let idp = Provider::start(Style::Github).await;
    let runtime = test_runtime(cache()).await;
    let github = target(&runtime, "github", &[("BASE_URL", &idp.base_url())]);
    let link = runtime.build_auth_url(&github, &auth_request(&[], &[])).await.unwrap();
    assert_eq!(split(&link.url).0, "/login/oauth/authorize");
    let tokens = runtime.exchange_code(&github, &callback("good-code", &[])).await.unwrap();
    let seen = idp.last("/login/oauth/access_token");
    assert!(seen.headers.get("accept").is_some_and(|a| a.contains("application/json")), "{seen:?}");
    assert_eq!((tokens.access_token.as_str(), tokens.expires_in), ("at-1", None));
    let error = runtime.exchange_code(&github, &callback("stale-code", &[])).await.unwrap_err();
    assert_eq!(rejected(&error), Some("bad_verification_code"), "{error:?}");
}

#[tokio::test]
async fn gitlab_rotates_refresh_tokens_and_serves_self_managed_hosts() {
    let idp = Provider::start(Style::Rotating).await;
    let runtime = test_runtime(cache()).await;
    let hosted = target(&runtime, "gitlab", &[]);
    let link = runtime.build_auth_url(&hosted, &auth_request(&[], &[])).await.unwrap();
    assert!(link.url.starts_with("https://gitlab.com/oauth/authorize?"), "{}", link.url);
    let own = [("host", "git.acme.example")];
    let link = runtime.build_auth_url(&hosted, &auth_request(&[], &own)).await.unwrap();
    assert!(link.url.starts_with("https://git.acme.example/oauth/authorize?"), "{}", link.url);
    assert!(get(&split(&link.url).1, "code_challenge").is_some(), "GitLab takes PKCE");

    let gitlab = target(&runtime, "gitlab", &[("BASE_URL", &idp.base_url())]);
    let tokens = runtime.exchange_code(&gitlab, &callback("good-code", &[])).await.unwrap();
    assert!(runtime.validate(&gitlab, &tokens).await.unwrap().active);
    let rotated = runtime.refresh(&gitlab, "rt-1", &[], &[]).await.unwrap();
    assert_eq!(rotated.refresh_token.as_deref(), Some("rt-2"));
    assert_eq!(rejected(&runtime.refresh(&gitlab, "rt-1", &[], &[]).await.unwrap_err()), Some("invalid_grant"));
}

#[tokio::test]
async fn dropbox_asks_for_offline_tokens() {
    let idp = Provider::start(Style::Standard).await;
    let runtime = test_runtime(cache()).await;
    let dropbox = target(&runtime, "dropbox", &[("BASE_URL", &idp.base_url())]);
    let link = runtime.build_auth_url(&dropbox, &auth_request(&[], &[])).await.unwrap();
    assert_eq!(get(&split(&link.url).1, "token_access_type"), Some("offline"));
    let tokens = runtime.exchange_code(&dropbox, &callback("good-code", &[])).await.unwrap();
    assert_eq!(idp.last("/token").path, "/oauth2/token");
    assert_eq!(tokens.refresh_token.as_deref(), Some("rt-1"));
}

#[tokio::test]
async fn box_refresh_tokens_are_single_use() {
    let idp = Provider::start(Style::Rotating).await;
    let runtime = test_runtime(cache()).await;
    let boxcom = target(&runtime, "box", &[("BASE_URL", &idp.base_url())]);
    runtime.exchange_code(&boxcom, &callback("good-code", &[])).await.unwrap();
    let first = runtime.refresh(&boxcom, "rt-1", &[], &[]).await.unwrap();
    assert_eq!(first.refresh_token.as_deref(), Some("rt-2"));
    let second = runtime.refresh(&boxcom, "rt-2", &[], &[]).await.unwrap();
    assert_eq!(second.refresh_token.as_deref(), Some("rt-3"));
    assert_eq!(rejected(&runtime.refresh(&boxcom, "rt-2", &[], &[]).await.unwrap_err()), Some("invalid_grant"));
}

#[tokio::test]
async fn slack_reads_ok_false_and_the_user_token_under_authed_user() {
    let idp = Provider::start(Style::Slack).await;
    let runtime = test_runtime(cache()).await;
    let slack = target(&runtime, "slack", &[("BASE_URL", &idp.base_url()), ("USER_SCOPE", "search:read,users:read")]);
    let link = runtime.build_auth_url(&slack, &auth_request(&["chat:write", "channels:read"], &[])).await.unwrap();
    let (path, query) = split(&link.url);
    assert_eq!(path, "/oauth/v2/authorize");
    assert_eq!(get(&query, "scope"), Some("chat:write,channels:read"), "scopes are comma-separated");
    assert_eq!(get(&query, "user_scope"), Some("search:read,users:read"));

    let bot = runtime.exchange_code(&slack, &callback("good-code", &[])).await.unwrap();
    assert_eq!(idp.last("oauth.v2.access").path, "/api/oauth.v2.access");
    assert_eq!((bot.access_token.as_str(), get(&bot.extra, "team_id")), ("at-1", Some("T9")));
    assert_eq!(get(&bot.extra, "authed_user_id"), Some("U123"));
    let user = runtime.exchange_code(&slack, &callback("user-code", &[])).await.unwrap();
    assert_eq!((user.access_token.as_str(), user.token_type.as_str()), ("xoxp-user", "user"));
    let error = runtime.exchange_code(&slack, &callback("stale-code", &[])).await.unwrap_err();
    assert_eq!(rejected(&error), Some("invalid_code"), "{error:?}");
}

#[tokio::test]
async fn slack_keeps_the_user_token_beside_the_bot_token_and_refreshes_and_revokes_both() {
    let idp = Provider::start(Style::Slack).await;
    let runtime = test_runtime(cache()).await;
    let slack = target(&runtime, "slack", &[("BASE_URL", &idp.base_url()), ("USER_SCOPE", "search:read")]);
    let both = runtime.exchange_code(&slack, &callback("good-code", &[])).await.unwrap();
    assert_eq!((both.access_token.as_str(), both.token_type.as_str()), ("at-1", "bot"));
    assert_eq!(get(&both.extra, "user.access_token"), Some("xoxp-user"), "{:?}", both.extra);
    assert_eq!(
        (get(&both.extra, "user.token_type"), get(&both.extra, "user.refresh_token")),
        (Some("user"), Some("urt-1"))
    );

    // Token rotation: the bot token refreshes with its refresh token, the user's with its own.
    let mut extra = both.extra.clone();
    let renewed = runtime.refresh(&slack, "rt-1", &[], &extra).await.unwrap();
    assert_eq!(renewed.access_token, "at-1");
    assert_eq!(get(&renewed.extra, "user.access_token"), Some("xoxp-user-2"), "{:?}", renewed.extra);
    assert_eq!(get(&renewed.extra, "user.refresh_token"), Some("urt-2"));
    let spent = extra.iter_mut().find(|(k, _)| k == "user.refresh_token").unwrap();
    spent.1 = "urt-1".into();
    let error = runtime.refresh(&slack, "rt-1", &[], &extra).await.unwrap_err();
    assert_eq!(rejected(&error), Some("invalid_refresh_token"), "a spent user refresh token fails the refresh");

    let current = TokenSet { extra: renewed.extra.clone(), ..renewed };
    runtime.revoke(&slack, &current).await.unwrap();
    let revoked = idp.revoked();
    assert_eq!(revoked, ["at-1", "xoxp-user-2"], "auth.revoke is called with each token");
    assert!(idp.seen().iter().any(|r| r.path == "/api/auth.revoke"), "{:?}", idp.seen());
    let again = runtime.revoke(&slack, &current).await.unwrap_err();
    assert_eq!(rejected(&again), Some("invalid_auth"), "Slack's ok=false with HTTP 200 is a refusal: {again:?}");
}

#[tokio::test]
async fn github_revokes_the_grant_and_checks_tokens_at_its_oauth_app_endpoints() {
    let idp = Provider::start(Style::Github).await;
    let runtime = test_runtime(cache()).await;
    let github = target(&runtime, "github", &[("BASE_URL", &idp.base_url())]);
    let tokens = runtime.exchange_code(&github, &callback("good-code", &[])).await.unwrap();
    let check = runtime.validate(&github, &tokens).await.unwrap();
    assert!(check.active, "{check:?}");
    assert_eq!((check.subject.as_deref(), check.scope.as_deref()), (Some("octocat"), Some("repo,user")));
    let seen = idp.last("/token");
    assert_eq!(
        (seen.method.as_str(), seen.path.as_str()),
        ("POST", format!("/applications/{CLIENT_ID}/token").as_str())
    );
    assert!(seen.headers["authorization"].starts_with("Basic "), "the client authenticates: {seen:?}");
    assert_eq!(seen.json_field("access_token").as_deref(), Some("at-1"));

    runtime.revoke(&github, &tokens).await.unwrap();
    let seen = idp.last("/grant");
    assert_eq!(
        (seen.method.as_str(), seen.path.as_str()),
        ("DELETE", format!("/applications/{CLIENT_ID}/grant").as_str())
    );
    assert_eq!(idp.revoked(), ["at-1"]);
    assert!(!runtime.validate(&github, &tokens).await.unwrap().active, "a revoked token is not found: inactive");
    let again = runtime.revoke(&github, &tokens).await.unwrap_err();
    match &again {
        CallError::OAuth(OauthError::Rejected(e)) => {
            assert_eq!((e.status, e.code.as_str(), e.description.as_deref()), (404, "http_404", Some("Not Found")))
        }
        other => panic!("GitHub's 404 is a refusal with its message: {other:?}"),
    }
    let settings = owned(&[("CLIENT_ID", CLIENT_ID), ("CLIENT_SECRET", "wrong"), ("BASE_URL", &idp.base_url())]);
    let client = Client { connector: "github".into(), settings, definition: None };
    let stranger = Target::new(runtime.component_for("github").unwrap(), client).unwrap();
    let refused = runtime.validate(&stranger, &tokens).await.unwrap_err();
    assert_eq!(rejected(&refused), Some("http_401"), "bad client credentials are an error, not an inactive token");
}

#[tokio::test]
async fn dropbox_revokes_with_the_token_as_bearer_and_reads_its_error_shape() {
    let idp = Provider::start(Style::Standard).await;
    let runtime = test_runtime(cache()).await;
    let dropbox = target(&runtime, "dropbox", &[("BASE_URL", &idp.base_url())]);
    let tokens = runtime.exchange_code(&dropbox, &callback("good-code", &[])).await.unwrap();
    runtime.revoke(&dropbox, &tokens).await.unwrap();
    let seen = idp.last("/2/auth/token/revoke");
    assert_eq!(
        (seen.method.as_str(), seen.headers.get("authorization").map(String::as_str)),
        ("POST", Some("Bearer at-1"))
    );
    assert_eq!(idp.revoked(), ["at-1"]);
    let again = runtime.revoke(&dropbox, &tokens).await.unwrap_err();
    assert!(
        matches!(&again, CallError::OAuth(OauthError::Rejected(e)) if e.status == 401 && e.code == "invalid_access_token"),
        "Dropbox's {{\"error\": {{\".tag\"}}}} gives the code: {again:?}"
    );
}

#[tokio::test]
async fn zendesk_revokes_the_current_token_on_the_account_subdomain() {
    let idp = Provider::start(Style::Standard).await;
    let runtime = test_runtime(cache()).await;
    let acme = [("subdomain", "acme")];
    let base = format!("{}/{{subdomain}}", idp.base_url());
    let zendesk = target(&runtime, "zendesk", &[("BASE_URL", &base)]);
    let tokens = runtime.exchange_code(&zendesk, &callback("good-code", &acme)).await.unwrap();
    let held = TokenSet { extra: owned(&acme), ..tokens };
    runtime.revoke(&zendesk, &held).await.unwrap();
    let seen = idp.last("current.json");
    assert_eq!((seen.method.as_str(), seen.path.as_str()), ("DELETE", "/acme/api/v2/oauth/tokens/current.json"));
    assert_eq!(seen.headers.get("authorization").map(String::as_str), Some("Bearer at-1"));
    let again = runtime.revoke(&zendesk, &held).await.unwrap_err();
    assert_eq!(rejected(&again), Some("invalid_token"), "{again:?}");
}

#[tokio::test]
async fn google_validates_at_tokeninfo() {
    let idp = Provider::start(Style::Standard).await;
    let runtime = test_runtime(cache()).await;
    let gmail = target(&runtime, "google_gmail", &[("BASE_URL", &idp.base_url())]);
    let tokens = runtime.exchange_code(&gmail, &callback("good-code", &[])).await.unwrap();
    let check = runtime.validate(&gmail, &tokens).await.unwrap();
    assert!(check.active, "{check:?}");
    assert_eq!((check.expires_in, check.subject.as_deref()), (Some(3599), Some("ann@example.com")));
    assert_eq!(check.scope.as_deref(), Some("https://mail.google.com/"));
    let seen = idp.last("/tokeninfo");
    assert_eq!((seen.method.as_str(), seen.field("access_token")), ("POST", Some("at-1")), "never in the URL");
    let forged = TokenSet { access_token: "forged".into(), ..tokens };
    assert!(!runtime.validate(&gmail, &forged).await.unwrap().active, "400 invalid_token is an inactive token");
}

#[tokio::test]
async fn microsoft_validates_graph_tokens_at_me_and_azure_tokens_at_its_subscriptions() {
    let idp = Provider::start(Style::Standard).await;
    let runtime = test_runtime(cache()).await;
    for (connector, path) in [("onedrive", "/v1.0/me"), ("microsoft_365", "/v1.0/me"), ("azure", "/subscriptions")] {
        let microsoft = target(&runtime, connector, &[("BASE_URL", &idp.base_url())]);
        let tokens = runtime.exchange_code(&microsoft, &callback("good-code", &[])).await.unwrap();
        assert!(runtime.validate(&microsoft, &tokens).await.unwrap().active, "{connector}");
        let seen = idp.last(path);
        assert_eq!(
            (seen.method.as_str(), seen.headers.get("authorization").map(String::as_str)),
            ("GET", Some("Bearer at-1"))
        );
        let expired = TokenSet { access_token: "expired".into(), ..tokens };
        assert!(!runtime.validate(&microsoft, &expired).await.unwrap().active, "{connector}: 401 is inactive");
    }
    let dynamics = target(&runtime, "dynamics365", &[("RESOURCE_URL", "https://acme.crm.dynamics.com")]);
    let token = TokenSet {
        access_token: "at-1".into(),
        token_type: "Bearer".into(),
        refresh_token: None,
        expires_in: None,
        scope: None,
        id_token: None,
        extra: vec![],
    };
    let unsupported = runtime.validate(&dynamics, &token).await.unwrap_err();
    assert!(matches!(unsupported, CallError::OAuth(OauthError::Unsupported(_))), "{unsupported:?}");
}

#[tokio::test]
async fn a_self_managed_gitlab_named_by_host_alone_is_reached_for_every_endpoint() {
    let idp = Provider::start(Style::Rotating).await;
    let runtime = test_runtime(cache()).await;
    let gitlab = target(&runtime, "gitlab", &[]);
    let own = [("host", idp.base_url())];
    let own: Vec<(&str, &str)> = own.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let link = runtime.build_auth_url(&gitlab, &auth_request(&[], &own)).await.unwrap();
    assert!(link.url.starts_with(&format!("{}/oauth/authorize?", idp.base_url())), "{}", link.url);
    let tokens = runtime.exchange_code(&gitlab, &callback("good-code", &own)).await.unwrap();
    assert_eq!(idp.last("/oauth/token").field("code"), Some("good-code"));
    let held = TokenSet { extra: owned(&own), ..tokens };
    assert!(runtime.validate(&gitlab, &held).await.unwrap().active);
    assert_eq!(idp.last("/oauth/token/info").method, "GET");
    let rotated = runtime.refresh(&gitlab, "rt-1", &[], &owned(&own)).await.unwrap();
    assert_eq!(rotated.refresh_token.as_deref(), Some("rt-2"));
    let rotated = TokenSet { extra: owned(&own), ..rotated };
    runtime.revoke(&gitlab, &rotated).await.unwrap();
    assert_eq!(idp.revoked(), ["rt-2"]);

    // The host one token names is not reachable from another's calls.
    let elsewhere = [("host", "git.other.example")];
    let error = runtime.exchange_code(&gitlab, &callback("good-code", &elsewhere)).await.unwrap_err();
    assert!(!matches!(error, CallError::OAuth(OauthError::Rejected(_))), "{error:?}");
    let before = idp.seen().len();
    let moved = target(&runtime, "gitlab", &[("HOST", &idp.base_url())]);
    runtime.exchange_code(&moved, &callback("good-code", &[])).await.unwrap();
    assert_eq!(idp.seen().len(), before + 1, "a provider-wide HOST setting serves too");
}

#[tokio::test]
async fn plain_http_refused_by_the_sandbox_says_how_to_allow_it_for_development() {
    let idp = Provider::start(Style::Standard).await;
    let mut config = flowauth_tests::test_runtime_config(cache());
    config.outbound.allow_private_network = false;
    let runtime = Runtime::new(config).await.unwrap();
    let dropbox = target(&runtime, "dropbox", &[("BASE_URL", &idp.base_url())]);
    let message = config_message(&runtime.exchange_code(&dropbox, &callback("good-code", &[])).await.unwrap_err());
    assert!(message.contains("plain http") && message.contains("--allow-private-network"), "{message}");
    assert!(idp.seen().is_empty(), "nothing was sent");
}

#[tokio::test]
async fn zendesk_needs_the_subdomain_in_every_url() {
    let idp = Provider::start(Style::Standard).await;
    let runtime = test_runtime(cache()).await;
    let plain = target(&runtime, "zendesk", &[]);
    let error = runtime.build_auth_url(&plain, &auth_request(&[], &[])).await.unwrap_err();
    assert!(config_message(&error).contains("subdomain"), "{error:?}");
    let acme = [("subdomain", "acme")];
    let link = runtime.build_auth_url(&plain, &auth_request(&[], &acme)).await.unwrap();
    assert!(link.url.starts_with("https://acme.zendesk.com/oauth/authorizations/new?"), "{}", link.url);

    let base = format!("{}/{{subdomain}}", idp.base_url());
    let zendesk = target(&runtime, "zendesk", &[("BASE_URL", &base)]);
    runtime.exchange_code(&zendesk, &callback("good-code", &acme)).await.unwrap();
    assert_eq!(idp.last("/tokens").path, "/acme/oauth/tokens");
    runtime.refresh(&zendesk, "rt-1", &[], &owned(&acme)).await.unwrap();
}

#[tokio::test]
async fn bitly_reads_its_form_encoded_answer() {
    let idp = Provider::start(Style::Bitly).await;
    let runtime = test_runtime(cache()).await;
    let bitly = target(&runtime, "bitly", &[("BASE_URL", &idp.base_url())]);
    let tokens = runtime.exchange_code(&bitly, &callback("good-code", &[])).await.unwrap();
    assert_eq!(idp.last("/access_token").path, "/oauth/access_token");
    assert_eq!((tokens.access_token.as_str(), get(&tokens.extra, "login")), ("at-1", Some("ann")));
}

#[tokio::test]
async fn trello_completes_the_signed_three_legged_flow() {
    let idp = Provider::start(Style::Standard).await;
    let runtime = test_runtime(cache()).await;
    let component = runtime.component_for("trello").unwrap();
    let settings = owned(&[
        ("CONSUMER_KEY", CONSUMER_KEY),
        ("CONSUMER_SECRET", CONSUMER_SECRET),
        ("BASE_URL", &idp.base_url()),
        ("EXPIRATION", "30days"),
    ]);
    let trello = Target::new(component, Client { connector: "trello".into(), settings, definition: None }).unwrap();
    let link = runtime.build_auth_url(&trello, &auth_request(&[], &[])).await.unwrap();
    let callback_sent = idp.last("OAuthGetRequestToken");
    assert!(callback_sent.headers["authorization"].contains("oauth_callback="), "{callback_sent:?}");
    let (path, query) = split(&link.url);
    assert_eq!(path, "/1/OAuthAuthorizeToken");
    assert_eq!(get(&query, "oauth_token"), Some("req-token"));
    assert_eq!((get(&query, "expiration"), get(&query, "scope")), (Some("30days"), Some("read,write")));
    let pending = link.pending.clone().expect("the request token secret is pending data");
    assert!(pending.contains("oauth_token_secret="), "{pending}");

    let back = Callback {
        redirect_uri: REDIRECT.into(),
        query: owned(&[("state", "state-1"), ("oauth_token", "req-token"), ("oauth_verifier", "verifier-1")]),
        code_verifier: None,
        pending: Some(pending),
        extra: Vec::new(),
    };
    let tokens = runtime.exchange_code(&trello, &back).await.unwrap();
    assert_eq!(tokens.access_token, "access-token");
    assert_eq!(get(&tokens.extra, "oauth_token_secret"), Some("access-secret"));
    assert!(runtime.validate(&trello, &tokens).await.unwrap().active);
    let forged = Callback { query: owned(&[("oauth_token", "req-token"), ("oauth_verifier", "guess")]), ..back };
    let error = runtime.exchange_code(&trello, &forged).await.unwrap_err();
    assert!(matches!(error, CallError::OAuth(OauthError::Rejected(ref e)) if e.status == 401), "{error:?}");
}

#[tokio::test]
async fn the_generic_family_validates_by_introspection() {
    let idp = Provider::start(Style::Standard).await;
    let runtime = test_runtime(cache()).await;
    let settings = [
        ("BASE_URL", idp.base_url()),
        ("AUTH_URL", "/authorize".into()),
        ("TOKEN_URL", "/token".into()),
        ("VALIDATE_URL", "/introspect".into()),
        ("VALIDATE_METHOD", "introspect".into()),
    ];
    let settings: Vec<(&str, &str)> = settings.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let devtools = target(&runtime, "devtools", &settings);
    let tokens = runtime.exchange_code(&devtools, &callback("good-code", &[])).await.unwrap();
    let check = runtime.validate(&devtools, &tokens).await.unwrap();
    let seen = idp.last("/introspect");
    assert!(check.active, "{check:?}");
    assert_eq!((seen.method.as_str(), seen.field("token")), ("POST", Some("at-1")));
    let forged = TokenSet { access_token: "forged".into(), ..tokens };
    assert!(!runtime.validate(&devtools, &forged).await.unwrap().active);
}

/// Each OAuth 2.0 connector of the seed table, with what its provider
/// needs beyond the client: (connector, provider style, settings, inputs).
fn seed_connectors(base: &str) -> Vec<(&'static str, Style, Pairs, Pairs)> {
    let at = |path: &str| owned(&[("BASE_URL", &format!("{base}{path}"))]);
    let plain = |name, style| (name, style, at(""), Vec::new());
    let mut all = vec![
        plain("devtools", Style::Standard),
        plain("odata", Style::Standard),
        plain("soap", Style::Standard),
        plain("swagger", Style::Standard),
        plain("oslc", Style::Standard),
    ];
    for google in [
        "google_gmail",
        "google_drive",
        "google_form",
        "google_sheet",
        "google_task",
        "google_translator",
        "youtube",
        "apiai",
    ] {
        all.push(plain(google, Style::Standard));
    }
    for microsoft in ["azure", "excel", "microsoft_365", "onedrive"] {
        all.push(plain(microsoft, Style::Standard));
    }
    let mut dynamics = at("");
    dynamics.extend(owned(&[("RESOURCE_URL", "https://acme.crm.dynamics.com")]));
    all.push(("dynamics365", Style::Standard, dynamics, Vec::new()));
    all.push(plain("salesforce", Style::Salesforce));
    all.push(plain("servicemax", Style::Salesforce));
    let mut thingworx = at("/as");
    thingworx.extend(owned(&[("RESOURCE_URL", "https://twx.example.com/Thingworx")]));
    all.push(("thingworx", Style::Rotating, thingworx, Vec::new()));
    for ptc in ["windchill", "integrity"] {
        all.push((ptc, Style::Rotating, at("/as"), Vec::new()));
    }
    all.push(plain("jira", Style::Rotating));
    all.push(("sap_odata", Style::Standard, at("/sap/bc/sec/oauth2"), Vec::new()));
    all.push(plain("github", Style::Github));
    all.push(plain("gitlab", Style::Rotating));
    all.push(plain("dropbox", Style::Standard));
    all.push(plain("box", Style::Rotating));
    all.push(plain("slack", Style::Slack));
    all.push(("zendesk", Style::Standard, at(""), owned(&[("subdomain", "acme")])));
    all.push(plain("bitly", Style::Bitly));
    all
}

#[tokio::test]
async fn every_oauth2_connector_authorizes_exchanges_and_refreshes() {
    let runtime = test_runtime(cache()).await;
    for (connector, style, mut settings, inputs) in seed_connectors("") {
        let idp = Provider::start(style).await;
        let base = format!("{}{}", idp.base_url(), settings[0].1);
        settings[0].1 = base;
        if runtime.component_for(connector).is_some_and(|c| c.name == "generic") {
            settings.extend(owned(&[("AUTH_URL", "/authorize"), ("TOKEN_URL", "/token")]));
            settings.extend(owned(&[("OAUTH_URL", "/authorize"), ("RESOURCE_URL", "https://api.example.com")]));
        }
        let settings: Vec<(&str, &str)> = settings.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let target = target(&runtime, connector, &settings);
        let inputs_ref: Vec<(&str, &str)> = inputs.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let link = runtime.build_auth_url(&target, &auth_request(&[], &inputs_ref)).await;
        let link = link.unwrap_or_else(|e| panic!("{connector}: auth link: {e:?}"));
        assert!(link.url.starts_with(&idp.base_url()), "{connector}: {}", link.url);
        let tokens = runtime.exchange_code(&target, &callback("good-code", &inputs_ref)).await;
        let tokens =
            tokens.unwrap_or_else(|e| panic!("{connector}: exchange: {e:?}; the provider saw {:?}", idp.seen()));
        assert!(!tokens.access_token.is_empty(), "{connector}");
        let refreshed = runtime.refresh(&target, "rt-1", &[], &inputs).await;
        if connector == "bitly" {
            let refused = matches!(refreshed, Err(CallError::OAuth(OauthError::Unsupported(_))));
            assert!(refused, "Bitly tokens do not refresh: {refreshed:?}");
            continue;
        }
        refreshed.unwrap_or_else(|e| panic!("{connector}: refresh: {e:?}; the provider saw {:?}", idp.seen()));
    }
}

/// A store on `backend` with tenant `acme`, its service over `runtime`,
/// and a `slack/Slack` provider pointing at `idp`.
async fn slack_tenant(
    runtime: &Runtime,
    backend: &Backend,
    idp: &Provider,
) -> (tempfile::TempDir, TokenService, flowauth::store::Tenant) {
    let dir = tempfile::tempdir().unwrap();
    let store = open_at(dir.path(), &backend.url, given_key(1)).await.unwrap();
    let tenant = store.create_tenant("acme").await.unwrap();
    let service = TokenService::new(store, runtime.clone(), REDIRECT.into());
    let file = serde_json::json!({"slack": {"Slack": {
        "CLIENT_ID": CLIENT_ID, "CLIENT_SECRET": CLIENT_SECRET, "BASE_URL": idp.base_url(), "USER_SCOPE": "search:read",
    }}});
    service.load_configuration(&tenant, &file.to_string(), LoadMode::Replace).await.unwrap();
    (dir, service, tenant)
}

fn start(name: &str, connector: &str, provider: &str) -> StartRequest {
    StartRequest {
        name: name.into(),
        connector: connector.into(),
        provider: provider.into(),
        flow: Flow::AuthorizationCode,
        use_default_keys: true,
        ..StartRequest::default()
    }
}

#[tokio::test]
async fn a_slack_token_hands_out_its_user_token_by_which_on_every_backend() {
    let runtime = test_runtime(cache()).await;
    for backend in backends().await {
        let idp = Provider::start(Style::Slack).await;
        let (_dir, service, tenant) = slack_tenant(&runtime, &backend, &idp).await;
        let started = service.start(&tenant, start("slack-bot", "slack", "Slack")).await.unwrap();
        let state = state_of(started.auth_link.as_deref().unwrap());
        let done = service.callback(&query(&[("code", "good-code"), ("state", &state)]), None).await.unwrap();
        assert_eq!(done.status, TokenStatus::Active, "{backend}: {:?}", done.error);

        let bot = service.access_token(&tenant.id, &started.id).await.unwrap();
        assert_eq!((bot.access_token.as_str(), bot.token_type.as_str()), ("at-1", "bot"), "{backend}");
        assert_eq!(get(&bot.extra, "team_id"), Some("T9"));
        assert!(
            !bot.extra.iter().any(|(k, _)| k.starts_with("user.")),
            "{backend}: the user token is not an extra value: {:?}",
            bot.extra
        );
        assert_eq!(bot.select(Some("bot")).unwrap(), bot);
        let user = bot.select(Some("user")).unwrap();
        assert_eq!((user.access_token.as_str(), user.token_type.as_str()), ("xoxp-user", "user"), "{backend}");
        assert!(user.expires_at.is_some_and(|at| at > flowauth::store::now()), "{backend}: {user:?}");
        let error = bot.select(Some("admin")).unwrap_err();
        assert_eq!(error.code(), "invalid_request");
        assert!(error.to_string().contains("one of bot, user"), "{error}");

        // RefreshAccessToken renews both; the user's rotated refresh token is stored.
        let renewed = service.refresh(&tenant.id, &started.id).await.unwrap();
        assert_eq!(renewed.select(Some("user")).unwrap().access_token, "xoxp-user-2", "{backend}");
        let again = service.refresh(&tenant.id, &started.id).await.unwrap();
        assert_eq!(again.select(Some("user")).unwrap().access_token, "xoxp-user-3", "{backend}: urt-2 was kept");
        assert_eq!(get(&again.extra, "team_id"), Some("T9"), "{backend}: values the refresh answer lacks are kept");

        service.delete(&tenant.id, &started.id).await.unwrap();
        assert_eq!(idp.revoked(), ["at-1", "xoxp-user-3"], "{backend}: deleting revokes both tokens");
    }
}

#[tokio::test]
async fn a_connector_that_is_misspelt_or_not_enabled_says_what_fixes_it() {
    let runtime = test_runtime(cache()).await;
    for backend in backends().await {
        let idp = Provider::start(Style::Slack).await;
        let (_dir, service, tenant) = slack_tenant(&runtime, &backend, &idp).await;
        let misspelt = service.start(&tenant, start("typo", "slak", "Slack")).await.unwrap_err();
        assert_eq!(misspelt.code(), "not_found");
        assert!(misspelt.to_string().contains("did you mean \"slack\"?"), "{backend}: {misspelt}");

        service.install_component("oidc-discovery", &oidc_discovery_wasm(), &InstallOptions::default()).await.unwrap();
        let fix = "enable it with `flowauth component enable oidc-discovery --tenant acme`";
        let disabled = service.start(&tenant, start("oidc", "oidc", "Okta")).await.unwrap_err();
        assert!(disabled.to_string().contains(fix), "{backend}: {disabled}");
        let file = serde_json::json!({"oidc": {"Okta": {"CLIENT_ID": "x", "CLIENT_SECRET": "y"}}}).to_string();
        let LoadError::Invalid(errors) =
            service.load_configuration(&tenant, &file, LoadMode::Replace).await.unwrap_err()
        else {
            panic!("{backend}: a load file naming a disabled component's connector is invalid");
        };
        assert!(errors[0].message.contains(fix), "{backend}: {:?}", errors[0]);
        assert!(!errors[0].message.contains("new oauth"), "{backend}: {:?}", errors[0]);
    }
}
