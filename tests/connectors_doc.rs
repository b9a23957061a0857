//! `docs/connectors.md` is generated from what the built-in components
//! declare; this test fails when it is out of date. Regenerate it with
//! `FLOWAUTH_BLESS=1 cargo test -p flowauth-tests --test connectors_doc`.

use std::fmt::Write as _;
use std::path::Path;

use flowauth::runtime::{Component, Connector, Grant, Setting};
use flowauth_tests::test_runtime;

const DOC: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/connectors.md");

fn grant(grant: &Grant) -> &'static str {
    match grant {
        Grant::AuthorizationCode => "authorization code",
        Grant::ClientCredentials => "client credentials",
        Grant::Password => "password",
        Grant::RefreshToken => "refresh token",
    }
}

/// Table cells may not hold `|` or line breaks.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

fn settings_table(out: &mut String, title: &str, settings: &[Setting]) {
    if settings.is_empty() {
        return;
    }
    writeln!(out, "\n{title}:\n\n| key | required | secret | default | description |\n| --- | --- | --- | --- | --- |")
        .unwrap();
    for s in settings {
        let yes = |b: bool| if b { "yes" } else { "" };
        let default = s.default.as_deref().map(|d| format!("`{}`", cell(d))).unwrap_or_default();
        let row = [format!("`{}`", s.key), yes(s.required).into(), yes(s.secret).into(), default, cell(&s.description)];
        writeln!(out, "| {} |", row.join(" | ")).unwrap();
    }
}

fn connector_section(out: &mut String, component: &str, c: &Connector) {
    writeln!(out, "\n## `{}`: {}\n", c.name, c.title).unwrap();
    let grants: Vec<_> = c.grants.iter().map(grant).collect();
    let version = if c.oauth_version == 1 { "OAuth 1.0a" } else { "OAuth 2.0" };
    let pkce = if c.pkce { ", PKCE (S256)" } else { "" };
    writeln!(out, "Component `{component}`, {version}{pkce}; grants: {}.", grants.join(", ")).unwrap();
    if !c.hosts.is_empty() {
        let hosts: Vec<_> = c.hosts.iter().map(|h| format!("`{h}`")).collect();
        writeln!(out, "Hosts it may call: {}.", hosts.join(", ")).unwrap();
    }
    settings_table(out, "Load-file settings (keys in any case)", &c.settings);
    settings_table(out, "Per-token inputs (the token's additional values)", &c.inputs);
    if !c.scopes.is_empty() {
        writeln!(out, "\nScopes:\n\n| scope | description |\n| --- | --- |").unwrap();
        for (scope, description) in &c.scopes {
            writeln!(out, "| `{}` | {} |", cell(scope), cell(description)).unwrap();
        }
    }
}

/// The whole page, from the built-in components.
fn render(components: &[std::sync::Arc<Component>]) -> String {
    let mut out = String::from(
        "# Built-in connectors\n\n\
         Generated from the built-in components by\n\
         `FLOWAUTH_BLESS=1 cargo test -p flowauth-tests --test connectors_doc`: do not edit by hand.\n\
         `flowauth connectors` lists the same, and `GET /v1/tenants/{t}/connectors` what a tenant may use.\n\n\
         | connector | title | component |\n| --- | --- | --- |\n",
    );
    let built_in: Vec<_> = components.iter().filter(|c| c.built_in).collect();
    for component in &built_in {
        for c in &component.connectors {
            writeln!(
                out,
                "| [`{}`](#{}) | {} | `{}` |",
                c.name,
                anchor(&c.name, &c.title),
                cell(&c.title),
                component.name
            )
            .unwrap();
        }
    }
    for component in &built_in {
        for c in &component.connectors {
            connector_section(&mut out, &component.name, c);
        }
    }
    out
}

/// GitHub's anchor for a heading "`name`: title".
fn anchor(name: &str, title: &str) -> String {
    format!("{name}-{title}")
        .to_lowercase()
        .chars()
        .filter_map(|c| match c {
            'a'..='z' | '0'..='9' | '-' | '_' => Some(c),
            ' ' => Some('-'),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn docs_connectors_md_is_up_to_date() {
    let runtime = test_runtime(None).await;
    let expected = render(&runtime.components());
    let path = Path::new(DOC);
    if std::env::var_os("FLOWAUTH_BLESS").is_some() {
        std::fs::write(path, &expected).unwrap();
    }
    let actual = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        actual == expected,
        "docs/connectors.md is out of date: run `FLOWAUTH_BLESS=1 cargo test -p flowauth-tests --test connectors_doc`"
    );
}

#[tokio::test]
async fn every_connector_of_the_seed_table_is_built_in() {
    let runtime = test_runtime(None).await;
    let table = [
        ("generic", &["devtools", "odata", "soap", "swagger", "oslc"][..]),
        (
            "google",
            &[
                "google_gmail",
                "google_drive",
                "google_form",
                "google_sheet",
                "google_task",
                "google_translator",
                "youtube",
                "apiai",
            ],
        ),
        ("microsoft", &["azure", "excel", "microsoft_365", "onedrive", "dynamics365"]),
        ("salesforce", &["salesforce", "servicemax"]),
        ("ptc", &["thingworx", "windchill", "integrity"]),
        ("atlassian", &["jira"]),
        ("sap", &["sap_odata"]),
        ("github", &["github"]),
        ("gitlab", &["gitlab"]),
        ("dropbox", &["dropbox"]),
        ("box", &["box"]),
        ("slack", &["slack"]),
        ("zendesk", &["zendesk"]),
        ("bitly", &["bitly"]),
        ("trello", &["trello"]),
    ];
    for (family, connectors) in table {
        for connector in connectors {
            let component = runtime.component_for(connector).unwrap_or_else(|| panic!("{connector} is not built in"));
            assert_eq!((component.name.as_str(), component.built_in), (family, true), "{connector}");
        }
    }
    let trello = runtime.component_for("trello").unwrap();
    assert_eq!(trello.connector("trello").unwrap().oauth_version, 1);
}
