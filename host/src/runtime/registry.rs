//! Installed components, keyed by the sha256 of their bytes. Installing
//! verifies the contract once, off the request path: the component must
//! export the `provider` of a contract version this host loads (0.1.0 or
//! 0.2.0), import nothing but our world and the WASI it needs, and list its
//! connectors. Whether it takes run-time definitions is settled then too.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, RwLock};

use sha2::{Digest, Sha256};
use wasmtime::component::InstancePre;

use super::cache;
use super::credentials::{NO_KEY, SigningKey};
use super::error::{CallError, InstallError};
use super::outbound::HostPattern;
use super::sandbox::{CallState, Sandbox};
use super::types::{Client, Connector};
use super::wit::{self, Exports};

/// Import prefixes a component may use: our world and the WASI interfaces
/// Rust's standard library links (no sockets, no wasi:http).
const ALLOWED_IMPORTS: [&str; 6] =
    ["flowauth:oauth/", "wasi:cli/", "wasi:io/", "wasi:clocks/", "wasi:random/", "wasi:filesystem/"];

/// An installed component.
pub struct Component {
    /// The name it was installed under (`generic` for the built-in).
    pub name: String,
    /// sha256 of its bytes, in hex.
    pub digest: String,
    /// Whether it ships inside the binary.
    pub built_in: bool,
    /// The connectors it serves.
    pub connectors: Vec<Connector>,
    /// The outbound hosts the operator approved at install, parsed once;
    /// `None` for built-ins, whose declarations stand.
    pub grants: Option<Vec<HostPattern>>,
    pub(crate) pre: InstancePre<CallState>,
    pub(crate) exports: Exports,
}

impl std::fmt::Debug for Component {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Component").field("name", &self.name).field("digest", &self.digest).finish_non_exhaustive()
    }
}

impl Component {
    /// The version of the WIT contract it was built against, e.g. `0.2.0`.
    pub fn contract_version(&self) -> &'static str {
        self.exports.version()
    }

    /// Whether admins can define connectors for it at run time: a 0.1.0
    /// component always can (its `provider` holds `describe-definition`),
    /// a 0.2.0 one when it exports `definitions`.
    pub fn takes_definitions(&self) -> bool {
        self.exports.takes_definitions()
    }

    /// One of its connectors, by load-file name.
    pub fn connector(&self, name: &str) -> Option<&Connector> {
        self.connectors.iter().find(|c| c.name == name)
    }

    /// Every host its connectors declare, deduplicated.
    pub fn declared_hosts(&self) -> Vec<String> {
        let mut hosts: Vec<String> =
            self.connectors.iter().flat_map(|c| c.hosts.iter().map(|h| h.to_ascii_lowercase())).collect();
        hosts.sort();
        hosts.dedup();
        hosts
    }
}

/// What a call acts on: a component, the connector (its declared hosts
/// bound the sandbox) and the admin's client settings.
#[derive(Debug, Clone)]
pub struct Target {
    /// The component to run.
    pub component: Arc<Component>,
    /// The connector; `None` only for calls that precede one (describing).
    pub connector: Option<Connector>,
    /// The provider settings, secrets included.
    pub client: Client,
    /// The provider's key for `private_key_jwt`, or what to do to give it one.
    pub signing_key: Result<SigningKey, String>,
    /// The tenant the call is for: it counts against that tenant's share
    /// of the instance pool. `None` for the operator's own calls.
    pub tenant: Option<String>,
}

impl Target {
    /// A target for one of the component's own connectors.
    pub fn new(component: Arc<Component>, client: Client) -> Result<Self, CallError> {
        let connector = component.connector(&client.connector).cloned().ok_or_else(|| CallError::UnknownConnector {
            component: component.name.clone(),
            connector: client.connector.clone(),
        })?;
        Ok(Self::with_connector(component, connector, client))
    }

    /// A target for a connector described at run time (a `config.json`).
    pub fn with_connector(component: Arc<Component>, connector: Connector, client: Client) -> Self {
        Self { component, connector: Some(connector), client, signing_key: Err(NO_KEY.into()), tenant: None }
    }

    /// Counts the call against `tenant`'s share of the instance pool.
    pub fn for_tenant(mut self, tenant: &str) -> Self {
        self.tenant = Some(tenant.to_owned());
        self
    }

    /// Lends the provider's key for `private_key_jwt` client assertions.
    pub fn with_signing_key(mut self, key: SigningKey) -> Self {
        self.signing_key = Ok(key);
        self
    }

    /// Says how to give the provider a key, should a call need one.
    pub fn without_signing_key(mut self, why: String) -> Self {
        self.signing_key = Err(why);
        self
    }

    /// A target that may reach nothing, for calls made before a connector
    /// is known.
    pub(crate) fn bare(component: Arc<Component>) -> Self {
        let client = Client { connector: String::new(), settings: Vec::new(), definition: None };
        Self { component, connector: None, client, signing_key: Err(NO_KEY.into()), tenant: None }
    }
}

/// The installed components.
pub struct Registry {
    cache_dir: Option<PathBuf>,
    components: RwLock<HashMap<String, Arc<Component>>>,
}

impl Registry {
    pub fn new(cache_dir: Option<PathBuf>) -> Self {
        Self { cache_dir, components: RwLock::default() }
    }

    pub fn get(&self, digest: &str) -> Option<Arc<Component>> {
        self.components.read().expect("registry lock").get(digest).cloned()
    }

    pub fn remove(&self, digest: &str) {
        self.components.write().expect("registry lock").remove(digest);
    }

    pub fn all(&self) -> Vec<Arc<Component>> {
        let mut all: Vec<_> = self.components.read().expect("registry lock").values().cloned().collect();
        all.sort_by(|a, b| (!a.built_in, &a.name).cmp(&(!b.built_in, &b.name)));
        all
    }

    pub async fn install(
        &self,
        sandbox: &Sandbox,
        name: &str,
        bytes: &[u8],
        built_in: bool,
    ) -> Result<Arc<Component>, InstallError> {
        if let Some(existing) = self.get(&digest_of(bytes)) {
            return Ok(existing);
        }
        let component = self.compile(sandbox, name, bytes, built_in).await?;
        Ok(self.insert(component))
    }

    /// Registers a compiled component; the one registered first wins.
    pub fn insert(&self, component: Component) -> Arc<Component> {
        let mut components = self.components.write().expect("registry lock");
        components.entry(component.digest.clone()).or_insert_with(|| Arc::new(component)).clone()
    }

    /// Registers a compiled component in place of any of its digest (calls
    /// in flight finish with the one they hold).
    pub fn replace(&self, component: Component) -> Arc<Component> {
        let component = Arc::new(component);
        self.components.write().expect("registry lock").insert(component.digest.clone(), component.clone());
        component
    }

    /// Verifies and compiles a component and lists its connectors, without
    /// registering it.
    pub async fn compile(
        &self,
        sandbox: &Sandbox,
        name: &str,
        bytes: &[u8],
        built_in: bool,
    ) -> Result<Component, InstallError> {
        let digest = digest_of(bytes);
        let compiled = {
            let (engine, dir, digest, bytes) =
                (sandbox.engine.clone(), self.cache_dir.clone(), digest.clone(), bytes.to_vec());
            tokio::task::spawn_blocking(move || cache::load_or_compile(&engine, dir.as_deref(), &digest, &bytes))
                .await
                .map_err(|e| InstallError::Engine(e.to_string()))?
        };
        let (compiled, _) =
            compiled.map_err(|e| InstallError::Invalid { name: name.to_owned(), reason: format!("{e:#}") })?;
        let contract = |reason: String| InstallError::Contract { name: name.to_owned(), reason };
        let provider = check_contract(&sandbox.engine, &compiled).map_err(contract)?;
        let pre = sandbox.linker.instantiate_pre(&compiled).map_err(|e| contract(format!("{e:#}")))?;
        let exports = Exports::new(provider, &pre).map_err(|e| contract(format!("{e:#}")))?;
        let mut component = Arc::new(Component {
            name: name.to_owned(),
            digest: digest.clone(),
            built_in,
            connectors: Vec::new(),
            grants: None,
            pre,
            exports,
        });
        // The listing call loads every export, so their types are checked
        // here rather than at a later call.
        let connectors = sandbox
            .call(&Target::bare(component.clone()), &[], async |guest, store| guest.connectors(store).await)
            .await
            .map_err(|e| InstallError::Connectors { name: name.to_owned(), source: Box::new(e) })?;
        Arc::get_mut(&mut component).expect("not shared yet").connectors = connectors;
        tracing::info!(
            component = name,
            %digest,
            contract = component.contract_version(),
            takes_definitions = component.takes_definitions(),
            connectors = component.connectors.len(),
            "component compiled"
        );
        Ok(Arc::into_inner(component).expect("the listing call has ended"))
    }
}

/// sha256 of a component's bytes, hex: its identity.
pub fn digest_of(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// The component exports the provider of a contract version we load and
/// imports only what we allow; returns that provider export (the newest,
/// should a component export several).
fn check_contract(
    engine: &wasmtime::Engine,
    component: &wasmtime::component::Component,
) -> Result<&'static str, String> {
    let kind = component.component_type();
    let exports: Vec<String> = kind.exports(engine).map(|(name, _)| name.to_owned()).collect();
    let exported = |provider: &&str| exports.iter().any(|name| name == provider);
    let Some(provider) = wit::PROVIDERS.into_iter().rev().find(exported) else {
        let newest = wit::PROVIDERS[wit::PROVIDERS.len() - 1];
        let loaded = wit::PROVIDERS.join(", ");
        let family = newest.split('@').next().unwrap_or_default();
        if let Some(other) = exports.iter().find(|name| name.starts_with(&format!("{family}@"))) {
            return Err(format!(
                "exports {other}, a version of the contract this flowauth does not know: it loads {loaded}; \
                 rebuild the component against one of them or upgrade flowauth (see docs/COMPONENTS.md)"
            ));
        }
        return Err(format!(
            "does not export {family} (it exports {}): implement the `connector` world of wit/{}/",
            if exports.is_empty() { "nothing".to_owned() } else { exports.join(", ") },
            wit::version_of(newest)
        ));
    };
    for (name, _) in kind.imports(engine) {
        if !ALLOWED_IMPORTS.iter().any(|prefix| name.starts_with(prefix)) {
            return Err(format!(
                "imports {name}, which the sandbox does not provide: reach the network through flowauth:oauth/http only"
            ));
        }
    }
    Ok(provider)
}
