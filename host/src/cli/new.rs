//! `flowauth new`: scaffolds a connector `config.json` (as `flow add oauth`
//! does) or a component crate that builds for wasm32-wasip2 with nothing
//! but rustup and this binary: the binary carries the WIT contract and the
//! SDK's sources and writes them beside the crate.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use clap::Subcommand;

use super::kit;
use super::output::line;

/// `flowauth new ...`
#[derive(Subcommand)]
pub enum NewCommand {
    /// Writes auth/oauth/NAME/config.json: an OAuth2 connector for the
    /// generic component, to fill in and add with `flowauth connector add`.
    Oauth {
        /// Letters, digits and hyphens, e.g. `acme-crm`.
        name: String,
        /// The project folder.
        #[arg(long, default_value = ".")]
        parent_dir: PathBuf,
    },
    /// Creates a component crate NAME/ implementing flowauth's WIT world.
    Component {
        /// Letters, digits and hyphens, e.g. `acme-family`.
        name: String,
    },
}

fn check_name(name: &str) -> anyhow::Result<()> {
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') || name.starts_with('-') {
        bail!("{name:?}: a name may hold only letters, digits and hyphens");
    }
    Ok(())
}

fn write_new(path: &Path, text: &str) -> anyhow::Result<()> {
    if path.exists() {
        bail!("{} exists already: nothing was written", path.display());
    }
    std::fs::create_dir_all(path.parent().unwrap_or(Path::new(".")))?;
    std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))?;
    line(format!("created {}", path.display()));
    Ok(())
}

pub fn run(command: NewCommand) -> anyhow::Result<()> {
    match command {
        NewCommand::Oauth { name, parent_dir } => {
            check_name(&name)?;
            let path = parent_dir.join("auth/oauth").join(&name).join("config.json");
            let connector = name.replace('-', "_");
            write_new(&path, &CONFIG_JSON.replace("{{name}}", &connector))
        }
        NewCommand::Component { name } => {
            check_name(&name)?;
            let root = PathBuf::from(&name);
            if root.exists() {
                bail!("{} exists already: nothing was written", root.display());
            }
            let crate_name = name.replace('-', "_");
            write_new(&root.join("Cargo.toml"), &COMPONENT_CARGO.replace("{{name}}", &name))?;
            write_new(&root.join("src/lib.rs"), &COMPONENT_LIB.replace("{{connector}}", &crate_name))?;
            write_new(
                &root.join("README.md"),
                &COMPONENT_README.replace("{{name}}", &name).replace("{{crate}}", &crate_name),
            )?;
            write_new(&root.join("rust-toolchain.toml"), TOOLCHAIN)?;
            write_new(&root.join("tests/component.rs"), &COMPONENT_TEST.replace("{{crate}}", &crate_name))?;
            write_new(&root.join("Cargo.lock"), kit::LOCKFILE)?;
            for (file, text) in kit::WIT {
                write_new(&root.join(kit::WIT_DIR).join(file), text)?;
            }
            let sdk = root.join("vendor/flowauth-sdk");
            write_new(&sdk.join("Cargo.toml"), &kit::sdk_manifest()?)?;
            for (file, text) in kit::SDK_SOURCES {
                write_new(&sdk.join("src").join(file), text)?;
            }
            line(format!("build it with: cd {name} && cargo build --release --target wasm32-wasip2"));
            Ok(())
        }
    }
}

const CONFIG_JSON: &str = r#"{
  "name": "{{name}}",
  "title": "{{name}}",
  "oauth_type": "OAuth2",
  "base_url": "https://idp.example.com/oauth2",
  "oauth2_auth_url": "/authorize",
  "oauth2_auth_query": [
    "{\"client_id\":\"{client_id}\"}",
    "{\"response_type\":\"code\"}",
    "{\"scope\":\"{scope}\"}",
    "{\"redirect_uri\":\"{redirect_uri}\"}"
  ],
  "oauth2_token_url": "/token",
  "oauth2_token_data": [
    "{\"grant_type\":\"authorization_code\"}",
    "{\"code\":\"{code}\"}",
    "{\"redirect_uri\":\"{redirect_uri}\"}",
    "{\"client_id\":\"{client_id}\"}",
    "{\"client_secret\":\"{client_secret}\"}"
  ],
  "oauth2_refresh_url": "/token",
  "oauth2_refresh_data": [
    "{\"grant_type\":\"refresh_token\"}",
    "{\"refresh_token\":\"{refresh_token}\"}",
    "{\"client_id\":\"{client_id}\"}",
    "{\"client_secret\":\"{client_secret}\"}"
  ],
  "oauth2_validate_url": "",
  "oauth2_validate_method": "GET",
  "oauth2_validate_headers": ["{\"Authorization\":\"Bearer {access_token}\"}"],
  "oauth2_params_scope": ["{\"read\":\"Read your data\"}"],
  "oauth2_no_state": false,
  "env_production_params": [
    "{\"redirect_uri\":\"{OAUTH_ENDPOINT_OAUTH_RETURN}\"}",
    "{\"client_id\":\"{{{production.CLIENT_ID}}}\"}",
    "{\"client_secret\":\"{{{production.CLIENT_SECRET}}}\"}"
  ],
  "env_local_params": [
    "{\"client_id\":\"{{{local.CLIENT_ID}}}\"}",
    "{\"client_secret\":\"{{{local.CLIENT_SECRET}}}\"}"
  ]
}
"#;

const COMPONENT_CARGO: &str = r#"[package]
name = "{{name}}"
version = "0.1.0"
edition = "2024"

[lib]
crate-type = ["cdylib"]

[dependencies]
# The SDK and the WIT contract (wit/0.2.0/) as the flowauth binary that wrote
# this crate carries them: `flowauth new component` writes them again.
flowauth-sdk = { path = "vendor/flowauth-sdk" }

# A workspace of its own, wherever it is created.
[workspace]

[profile.release]
opt-level = "s"
lto = true
strip = "debuginfo"
panic = "abort"
"#;

const COMPONENT_LIB: &str = r#"//! A flowauth connector family. See docs/COMPONENTS.md of flowauth.

use flowauth_sdk::client_auth::ClientAuth;
use flowauth_sdk::http::Request;
use flowauth_sdk::token::parse_token_response;
use flowauth_sdk::{
    AuthLink, AuthRequest, Callback, Client, Connector, Grant, OauthError, Provider, Setting, TokenSet, Validation, error, form, pairs,
};

const AUTHORIZE: &str = "https://idp.example.com/oauth2/authorize";
const TOKEN: &str = "https://idp.example.com/oauth2/token";

struct Family;

fn client_id(client: &Client) -> Result<&str, OauthError> {
    pairs::get_ignore_case(&client.settings, "CLIENT_ID").ok_or_else(|| error::config("CLIENT_ID is not set"))
}

fn token_request(client: &Client, mut fields: Vec<(String, String)>) -> Result<TokenSet, OauthError> {
    let secret = pairs::get_ignore_case(&client.settings, "CLIENT_SECRET");
    let request = ClientAuth::Basic.apply(Request::post(TOKEN), &mut fields, client_id(client)?, secret)?;
    parse_token_response(&request.form(&fields).send()?)
}

impl Provider for Family {
    fn connectors() -> Vec<Connector> {
        let setting = |key: &str, secret: bool| Setting { key: key.into(), required: true, secret, description: String::new(), default: None };
        vec![Connector {
            name: "{{connector}}".into(),
            title: "{{connector}}".into(),
            oauth_version: 2,
            grants: vec![Grant::AuthorizationCode, Grant::RefreshToken],
            settings: vec![setting("CLIENT_ID", false), setting("CLIENT_SECRET", true)],
            inputs: vec![],
            scopes: vec![("read".into(), "Read your data".into())],
            hosts: vec!["idp.example.com".into()],
            pkce: true,
        }]
    }

    fn build_auth_url(client: Client, req: AuthRequest) -> Result<AuthLink, OauthError> {
        let mut query = vec![
            ("response_type".into(), "code".into()),
            ("client_id".into(), client_id(&client)?.to_owned()),
            ("redirect_uri".into(), req.redirect_uri),
            ("scope".into(), req.scopes.join(" ")),
            ("state".into(), req.state),
        ];
        if let Some(challenge) = req.code_challenge {
            query.push(("code_challenge".into(), challenge));
            query.push(("code_challenge_method".into(), "S256".into()));
        }
        Ok(AuthLink { url: form::append_query(AUTHORIZE, &query), pending: None })
    }

    fn exchange_code(client: Client, cb: Callback) -> Result<TokenSet, OauthError> {
        let code = pairs::get(&cb.query, "code").ok_or_else(|| error::protocol("no code in the callback"))?;
        let mut fields = vec![
            ("grant_type".into(), "authorization_code".into()),
            ("code".into(), code.to_owned()),
            ("redirect_uri".into(), cb.redirect_uri),
        ];
        fields.extend(cb.code_verifier.map(|v| ("code_verifier".to_owned(), v)));
        token_request(&client, fields)
    }

    fn refresh(client: Client, refresh_token: String, _: Vec<String>, _: Vec<(String, String)>) -> Result<TokenSet, OauthError> {
        token_request(&client, vec![("grant_type".into(), "refresh_token".into()), ("refresh_token".into(), refresh_token)])
    }

    fn request_token(_: Client, _: Grant, _: Vec<(String, String)>) -> Result<TokenSet, OauthError> {
        Err(error::unsupported("only the authorization code flow"))
    }

    fn validate(_: Client, _: TokenSet) -> Result<Validation, OauthError> {
        Err(error::unsupported("no validation endpoint"))
    }

    fn revoke(_: Client, _: TokenSet) -> Result<(), OauthError> {
        Err(error::unsupported("no revocation endpoint"))
    }
}

flowauth_sdk::export!(Family);
"#;

const TOOLCHAIN: &str = r#"[toolchain]
channel = "stable"
targets = ["wasm32-wasip2"]
profile = "minimal"
"#;

const COMPONENT_README: &str = r#"# {{name}}

A flowauth connector component: `src/lib.rs` implements the `connector`
world of `wit/0.2.0/` (flowauth:oauth@0.2.0); `vendor/flowauth-sdk` is the
guest SDK as the flowauth binary that scaffolded this crate carries it. To
take run-time connector definitions as well, implement
`flowauth_sdk::Definitions` and add `flowauth_sdk::export_definitions!`.

```sh
rustup target add wasm32-wasip2          # once
cargo build --release --target wasm32-wasip2
flowauth inspect target/wasm32-wasip2/release/{{crate}}.wasm
cargo test                               # builds it and runs it through `flowauth call`

# try it against your provider, without a server
flowauth call target/wasm32-wasip2/release/{{crate}}.wasm build-auth-url \
    --setting CLIENT_ID=... --setting CLIENT_SECRET=... --scope read
flowauth call target/wasm32-wasip2/release/{{crate}}.wasm exchange-code \
    --setting CLIENT_ID=... --setting CLIENT_SECRET=... --code CODE --code-verifier VERIFIER

# then, as an admin
flowauth component install target/wasm32-wasip2/release/{{crate}}.wasm --name {{name}}
flowauth component enable {{name}} --tenant acme
```
"#;

const COMPONENT_TEST: &str = r#"//! Builds the component for wasm32-wasip2 and runs it as flowauth would,
//! with `flowauth call` (the `flowauth` on PATH, or the one $FLOWAUTH names).

use std::process::Command;

#[test]
fn the_component_builds_an_authorization_url() {
    let built = Command::new(env!("CARGO"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["build", "--target", "wasm32-wasip2"])
        .env_remove("CARGO_TARGET_DIR")
        .output()
        .expect("run cargo");
    assert!(built.status.success(), "the component does not build: {}", String::from_utf8_lossy(&built.stderr));
    let wasm = concat!(env!("CARGO_MANIFEST_DIR"), "/target/wasm32-wasip2/debug/{{crate}}.wasm");
    let flowauth = std::env::var("FLOWAUTH").unwrap_or_else(|_| "flowauth".into());
    let out = Command::new(&flowauth)
        .args(["call", wasm, "build-auth-url", "--setting", "CLIENT_ID=test-client", "--setting", "CLIENT_SECRET=x"])
        .args(["--scope", "read"])
        .output()
        .unwrap_or_else(|e| panic!("{flowauth}: {e} (put flowauth on PATH or set FLOWAUTH)"));
    let answer = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{answer}{}", String::from_utf8_lossy(&out.stderr));
    assert!(answer.contains("client_id=test-client"), "{answer}");
}
"#;
