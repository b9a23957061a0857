//! Third-party components as an admin manages them: a component is its
//! digest, a name points to one digest at a time, and each tenant runs the
//! digest it enabled. The store is the only source of truth: every process
//! (a server, the CLI) loads the digests the store names, so a change made
//! by one is seen by the others at their next call, without a restart.

use std::collections::BTreeSet;
use std::sync::Arc;

use serde::Serialize;

use crate::runtime::{Component, HostPattern, digest_of};
use crate::store::{ComponentPin, Tenant};

use super::{TokenError, TokenService};

/// Names no third-party component may take.
const RESERVED: [&str; 1] = ["generic"];
/// The error code of tokens whose component was uninstalled by force.
pub const UNINSTALLED_CODE: &str = "component_uninstalled";

/// How an admin installs a component.
#[derive(Debug, Clone, Default)]
pub struct InstallOptions {
    /// Installing new bytes under an existing name is an upgrade, and
    /// says so.
    pub upgrade: bool,
    /// Hosts approved beyond those the component declares.
    pub allow_hosts: Vec<String>,
    /// Approves wildcards over a public suffix (`*.com`, `*.github.io`).
    pub allow_broad_hosts: bool,
}

/// What an install did.
#[derive(Debug, Clone, Serialize)]
pub struct Installed {
    /// The component's name.
    pub name: String,
    /// The digest the name now points to.
    pub digest: String,
    /// The connectors it serves.
    pub connectors: Vec<String>,
    /// The version of the WIT contract it was built against.
    pub contract: String,
    /// Whether admins can define connectors for it at run time.
    pub takes_definitions: bool,
    /// The hosts its connectors declare.
    pub declared_hosts: Vec<String>,
    /// The hosts approved for it: declared plus `--allow-host`.
    pub approved_hosts: Vec<String>,
    /// The digest the name pointed to before, on an upgrade.
    pub upgraded_from: Option<String>,
    /// These bytes were installed under this name already: nothing changed.
    pub unchanged: bool,
}

impl Installed {
    /// `component` installed under `name`, neither an upgrade nor a repeat.
    fn of(name: &str, digest: String, component: &Component, declared: Vec<String>, approved: Vec<String>) -> Self {
        Self {
            name: name.to_owned(),
            digest,
            connectors: connector_names(component),
            contract: component.contract_version().to_owned(),
            takes_definitions: component.takes_definitions(),
            declared_hosts: declared,
            approved_hosts: approved,
            upgraded_from: None,
            unchanged: false,
        }
    }
}

/// What an uninstall did.
#[derive(Debug, Clone, Serialize)]
pub struct Uninstalled {
    /// The component's name.
    pub name: String,
    /// Tenants that had it enabled (only with `force`).
    pub disabled_for: Vec<String>,
    /// Tokens marked `failed` (only with `force`).
    pub failed_tokens: Vec<String>,
}

/// One tenant's pin, as listings show it.
#[derive(Debug, Clone, Serialize)]
pub struct PinView {
    /// The tenant's name.
    pub tenant: String,
    /// The digest the tenant runs.
    pub digest: String,
    /// The name points to another (newer) digest the tenant has not enabled.
    pub newer_available: bool,
}

/// One installed version, as listings show it.
#[derive(Debug, Clone, Serialize)]
pub struct VersionView {
    /// sha256 of its bytes.
    pub digest: String,
    /// Whether the name points to it.
    pub current: bool,
    /// The connectors it serves.
    pub connectors: Vec<String>,
    /// The hosts approved for it.
    pub hosts: Vec<String>,
    /// The version of the WIT contract it was built against.
    pub contract: &'static str,
    /// Whether admins can define connectors for it at run time.
    pub takes_definitions: bool,
    /// Seconds since the Unix epoch.
    pub installed_at: i64,
}

/// A component as the API and the CLI both print it.
#[derive(Debug, Clone, Serialize)]
pub struct ComponentView {
    /// Its name.
    pub name: String,
    /// Whether it ships inside the binary (then it serves every tenant).
    pub built_in: bool,
    /// The digest the name points to.
    pub digest: String,
    /// The connectors of that digest.
    pub connectors: Vec<String>,
    /// The WIT contract version of that digest.
    pub contract: &'static str,
    /// Whether that digest takes run-time connector definitions.
    pub takes_definitions: bool,
    /// Every installed version (empty for built-ins).
    pub versions: Vec<VersionView>,
    /// The tenants that enabled it, with the digest each runs.
    pub tenants: Vec<PinView>,
}

fn connector_names(component: &Component) -> Vec<String> {
    component.connectors.iter().map(|c| c.name.clone()).collect()
}

fn short(digest: &str) -> &str {
    &digest[..digest.len().min(12)]
}

impl TokenService {
    /// The compiled component of a stored digest, with the hosts the store
    /// grants it now (another process may have changed them), compiling it
    /// on first use (from the compiled-code cache when it has it).
    pub async fn loaded_component(&self, digest: &str) -> Result<Arc<Component>, TokenError> {
        let missing = || TokenError::NotFound(format!("component version {}", short(digest)));
        let version = self.store.component_version(digest).await?.ok_or_else(missing)?;
        if let Some(component) = self.runtime.component(digest)
            && component.grants == version.hosts.as_deref().map(HostPattern::parse_all)
        {
            return Ok(component);
        }
        let wasm = self.store.component_wasm(digest).await?.ok_or_else(missing)?;
        let compiled = self
            .runtime
            .compile(&version.name, &wasm)
            .await
            .map_err(|e| TokenError::Internal(format!("stored component {} no longer loads: {e}", version.name)))?;
        Ok(self.runtime.register(compiled, version.hosts))
    }

    /// The third-party components a tenant enabled, at the digests it pinned.
    pub async fn enabled_components(&self, tenant_id: &str) -> Result<Vec<Arc<Component>>, TokenError> {
        let mut enabled = Vec::new();
        for pin in self.store.component_pins(Some(tenant_id)).await? {
            enabled.push(self.loaded_component(&pin.digest).await?);
        }
        Ok(enabled)
    }

    /// Loads every version a name points to or a tenant pins (at start, so
    /// that first calls do not wait for compilation).
    pub async fn load_components(&self) -> Result<usize, TokenError> {
        let mut wanted: BTreeSet<String> = BTreeSet::new();
        wanted.extend(self.store.component_versions().await?.into_iter().filter(|v| v.current).map(|v| v.digest));
        wanted.extend(self.store.component_pins(None).await?.into_iter().map(|p| p.digest));
        for digest in &wanted {
            self.loaded_component(digest).await?;
        }
        Ok(wanted.len())
    }

    /// Verifies, compiles and keeps a third-party component under `name`,
    /// with the hosts it may reach approved.
    pub async fn install_component(
        &self,
        name: &str,
        wasm: &[u8],
        options: &InstallOptions,
    ) -> Result<Installed, TokenError> {
        check_name(name)?;
        let digest = digest_of(wasm);
        if let Some(existing) = self.store.component_version(&digest).await? {
            if existing.name != name {
                return Err(TokenError::Conflict(format!(
                    "these bytes are installed already as component {} ({}): enable {} for a tenant instead \
                     (flowauth component enable {} --tenant T), or uninstall it first",
                    existing.name,
                    short(&digest),
                    existing.name,
                    existing.name
                )));
            }
            // The same bytes again: the operator may change what they approve.
            let component = self.loaded_component(&digest).await?;
            let declared = component.declared_hosts();
            let approved = approve_hosts(&declared, options)?;
            let unchanged = existing.hosts.as_ref() == Some(&approved);
            if !unchanged {
                self.store.set_component_hosts(&digest, &approved).await?;
                self.loaded_component(&digest).await?;
                tracing::info!(component = name, %digest, hosts = ?approved, "component hosts approved");
            }
            let installed = Installed::of(name, digest, &component, declared, approved);
            return Ok(Installed { unchanged, ..installed });
        }
        let current = self.store.component_digest(name).await?;
        if let Some(current) = &current
            && !options.upgrade
        {
            return Err(TokenError::Conflict(format!(
                "component {name} is installed already ({}): pass --upgrade (API: upgrade=true) to install these \
                 bytes as its new version; tenants keep running {} until an admin enables the new digest for them",
                short(current),
                short(current)
            )));
        }
        let compiled = self.runtime.compile(name, wasm).await.map_err(|e| TokenError::Invalid(e.to_string()))?;
        self.check_connector_names(name, &compiled).await?;
        if let Some(current) = &current {
            let old = self.loaded_component(current).await?;
            let dropped: Vec<String> =
                connector_names(&old).into_iter().filter(|c| compiled.connector(c).is_none()).collect();
            let users = self.store.tokens_of_connectors(None, &dropped).await?;
            if !users.is_empty() {
                return Err(TokenError::Conflict(format!(
                    "the new version of {name} drops connector(s) {} that {} token(s) use: keep them in the new \
                     version, or delete those tokens first",
                    dropped.join(", "),
                    users.len()
                )));
            }
        }
        let declared = compiled.declared_hosts();
        let approved = approve_hosts(&declared, options)?;
        self.store.put_component_version(name, &digest, wasm, &approved).await?;
        let component = self.runtime.register(compiled, Some(approved.clone()));
        tracing::info!(component = name, %digest, hosts = ?approved, "component installed");
        Ok(Installed { upgraded_from: current, ..Installed::of(name, digest, &component, declared, approved) })
    }

    /// A connector name means one connector for every tenant: a new
    /// component may not serve one that a built-in or another component does.
    async fn check_connector_names(&self, name: &str, compiled: &Component) -> Result<(), TokenError> {
        for connector in &compiled.connectors {
            if let Some(builtin) = self.runtime.builtin_for(&connector.name) {
                return Err(TokenError::Conflict(format!(
                    "{name}: connector {:?} is served by the built-in component {} already: rename it",
                    connector.name, builtin.name
                )));
            }
        }
        for version in self.store.component_versions().await? {
            if version.name == name {
                continue;
            }
            let other = self.loaded_component(&version.digest).await?;
            if let Some(clash) = compiled.connectors.iter().find(|c| other.connector(&c.name).is_some()) {
                return Err(TokenError::Conflict(format!(
                    "{name}: connector {:?} is served by component {} already: rename it, or upgrade {} instead \
                     (--name {} --upgrade)",
                    clash.name, other.name, other.name, other.name
                )));
            }
        }
        Ok(())
    }

    /// Removes a component and every version of it. Refused while a tenant
    /// enables it or tokens use its connectors, unless `force`: then those
    /// tenants lose it and those tokens become `failed`.
    pub async fn uninstall_component(&self, name: &str, force: bool) -> Result<Uninstalled, TokenError> {
        if self.store.component_digest(name).await?.is_none() {
            return Err(TokenError::NotFound(format!("component {name}: `flowauth component list` lists them")));
        }
        let versions: Vec<_> = self.store.component_versions().await?.into_iter().filter(|v| v.name == name).collect();
        let mut connectors = BTreeSet::new();
        for version in &versions {
            connectors.extend(connector_names(&*self.loaded_component(&version.digest).await?));
        }
        let connectors: Vec<String> = connectors.into_iter().collect();
        let tokens = self.store.tokens_of_connectors(None, &connectors).await?;
        let tenants: Vec<String> =
            self.store.component_pins(None).await?.into_iter().filter(|p| p.name == name).map(|p| p.tenant).collect();
        if !force && (!tenants.is_empty() || !tokens.is_empty()) {
            return Err(TokenError::Conflict(format!(
                "component {name} is enabled for {} tenant(s) ({}) and {} token(s) use it: disable it for them \
                 (flowauth component disable {name} --tenant T) and delete those tokens, or pass --force \
                 (API: force=true) to uninstall anyway, which marks those tokens failed",
                tenants.len(),
                tenants.join(", "),
                tokens.len()
            )));
        }
        let message = format!(
            "component {name} was uninstalled: ask an admin to install and enable a component serving this \
             connector, then retry the token"
        );
        self.store.remove_component(name, &tokens, UNINSTALLED_CODE, &message).await?;
        for version in &versions {
            self.runtime.uninstall(&version.digest);
        }
        tracing::info!(component = name, tokens = tokens.len(), "component uninstalled");
        Ok(Uninstalled { name: name.to_owned(), disabled_for: tenants, failed_tokens: tokens })
    }

    /// Lets a tenant use one version of a component: `digest` (a full
    /// digest or a unique prefix of one of its versions), or the version
    /// its name points to. Returns the digest pinned.
    pub async fn enable_component(
        &self,
        tenant: &Tenant,
        name: &str,
        digest: Option<&str>,
    ) -> Result<String, TokenError> {
        let versions: Vec<_> = self.store.component_versions().await?.into_iter().filter(|v| v.name == name).collect();
        if versions.is_empty() {
            return Err(TokenError::NotFound(format!(
                "component {name}: install it first (flowauth component install)"
            )));
        }
        let chosen = match digest {
            None => versions.iter().find(|v| v.current),
            Some(prefix) => {
                let prefix = prefix.trim().to_ascii_lowercase();
                let matching: Vec<_> =
                    versions.iter().filter(|v| prefix.len() >= 8 && v.digest.starts_with(&prefix)).collect();
                match matching.as_slice() {
                    [one] => Some(*one),
                    _ => {
                        let known: Vec<&str> = versions.iter().map(|v| short(&v.digest)).collect();
                        return Err(TokenError::NotFound(format!(
                            "version {prefix} of component {name} (give at least 8 hex digits of one of: {})",
                            known.join(", ")
                        )));
                    }
                }
            }
        };
        let chosen = chosen.ok_or_else(|| TokenError::Internal(format!("component {name} has no current version")))?;
        let component = self.loaded_component(&chosen.digest).await?;
        if let Some(pinned) = self.store.component_pins(Some(&tenant.id)).await?.into_iter().find(|p| p.name == name) {
            let old = self.loaded_component(&pinned.digest).await?;
            let dropped: Vec<String> =
                connector_names(&old).into_iter().filter(|c| component.connector(c).is_none()).collect();
            let users = self.store.tokens_of_connectors(Some(&tenant.id), &dropped).await?;
            if !users.is_empty() {
                return Err(TokenError::Conflict(format!(
                    "version {} of {name} does not serve connector(s) {} that {} token(s) of {} use: delete those \
                     tokens first, or keep {}",
                    short(&chosen.digest),
                    dropped.join(", "),
                    users.len(),
                    tenant.name,
                    short(&pinned.digest)
                )));
            }
        }
        self.store.enable_component(&tenant.id, name, &chosen.digest).await?;
        tracing::info!(component = name, tenant = %tenant.name, digest = %chosen.digest, "component enabled");
        Ok(chosen.digest.clone())
    }

    /// Stops a tenant from using a component.
    pub async fn disable_component(&self, tenant: &Tenant, name: &str) -> Result<(), TokenError> {
        if !self.store.disable_component(&tenant.id, name).await? {
            return Err(TokenError::NotFound(format!("component {name} enabled for tenant {}", tenant.name)));
        }
        Ok(())
    }

    /// Every component: built-ins, then each installed name with its
    /// versions and the digest each tenant pins.
    pub async fn component_views(&self) -> Result<Vec<ComponentView>, TokenError> {
        let mut views: Vec<ComponentView> = self
            .runtime
            .components()
            .into_iter()
            .filter(|c| c.built_in)
            .map(|c| ComponentView {
                name: c.name.clone(),
                built_in: true,
                digest: c.digest.clone(),
                connectors: connector_names(&c),
                contract: c.contract_version(),
                takes_definitions: c.takes_definitions(),
                versions: Vec::new(),
                tenants: Vec::new(),
            })
            .collect();
        let pins = self.store.component_pins(None).await?;
        for version in self.store.component_versions().await? {
            let component = self.loaded_component(&version.digest).await?;
            let view = VersionView {
                digest: version.digest.clone(),
                current: version.current,
                connectors: connector_names(&component),
                hosts: version.hosts.clone().unwrap_or_else(|| component.declared_hosts()),
                contract: component.contract_version(),
                takes_definitions: component.takes_definitions(),
                installed_at: version.installed_at,
            };
            match views.iter_mut().find(|v| !v.built_in && v.name == version.name) {
                Some(existing) => existing.versions.push(view),
                None => views.push(ComponentView {
                    name: version.name.clone(),
                    built_in: false,
                    digest: String::new(),
                    connectors: Vec::new(),
                    contract: "",
                    takes_definitions: false,
                    versions: vec![view],
                    tenants: Vec::new(),
                }),
            }
        }
        for view in views.iter_mut().filter(|v| !v.built_in) {
            if let Some(current) = view.versions.iter().find(|v| v.current) {
                view.digest = current.digest.clone();
                view.connectors = current.connectors.clone();
                view.contract = current.contract;
                view.takes_definitions = current.takes_definitions;
            }
            view.tenants = pins.iter().filter(|p| p.name == view.name).map(|p| pin_view(p, &view.digest)).collect();
        }
        Ok(views)
    }
}

fn pin_view(pin: &ComponentPin, current: &str) -> PinView {
    PinView { tenant: pin.tenant.clone(), digest: pin.digest.clone(), newer_available: pin.digest != current }
}

fn check_name(name: &str) -> Result<(), TokenError> {
    let valid = !name.is_empty()
        && name.len() <= 64
        && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'));
    if !valid || RESERVED.contains(&name) {
        return Err(TokenError::Invalid(format!(
            "component name {name:?}: use 1 to 64 letters, digits, '-' and '_' (not {})",
            RESERVED.join(", ")
        )));
    }
    Ok(())
}

/// The hosts an install approves: what the component declares plus what
/// the operator adds, each parsed; broad wildcards only when allowed.
fn approve_hosts(declared: &[String], options: &InstallOptions) -> Result<Vec<String>, TokenError> {
    let mut approved = Vec::new();
    for text in declared.iter().chain(&options.allow_hosts) {
        let pattern = HostPattern::parse(text).map_err(TokenError::Invalid)?;
        if let Some(suffix) = pattern.broad_suffix()
            && !options.allow_broad_hosts
        {
            return Err(TokenError::Invalid(format!(
                "host {pattern} covers the sites of unrelated owners ({suffix} is a public suffix): name the hosts \
                 the component needs (login.{suffix}) or a wildcard below one (*.login.{suffix}), or pass \
                 --allow-broad-hosts (API: allow_broad_hosts=true) to approve it"
            )));
        }
        approved.push(pattern.to_string());
    }
    approved.sort();
    approved.dedup();
    Ok(approved)
}
