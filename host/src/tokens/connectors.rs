//! Which connector a name means for a tenant: one a built-in or enabled
//! component serves, or the tenant's own `config.json` served by the
//! built-in generic component.

use std::sync::Arc;

use crate::runtime::{Component, Connector};
use crate::store::Tenant;

use super::{TokenError, TokenService};

/// The built-in component that serves `config.json` definitions.
const GENERIC: &str = "generic";

/// A connector ready to call: its component, its record, and the
/// definition the component needs when it is a custom one.
pub struct Resolved {
    pub component: Arc<Component>,
    pub connector: Connector,
    pub definition: Option<String>,
}

impl TokenService {
    pub(super) fn generic(&self) -> Result<Arc<Component>, TokenError> {
        let generic = self.runtime.components().into_iter().find(|c| c.built_in && c.name == GENERIC);
        generic.ok_or_else(|| TokenError::NotFound("the generic component".into()))
    }

    /// The connector `name` for a tenant: a built-in's, one of the
    /// components the tenant enabled (at the digest it pinned), or its own.
    pub async fn resolve(&self, tenant_id: &str, name: &str) -> Result<Resolved, TokenError> {
        if let Some(component) = self.runtime.builtin_for(name) {
            let connector = component.connector(name).cloned().expect("builtin_for found it");
            return Ok(Resolved { component, connector, definition: None });
        }
        for component in self.enabled_components(tenant_id).await? {
            if let Some(connector) = component.connector(name).cloned() {
                return Ok(Resolved { component, connector, definition: None });
            }
        }
        let Some(definition) = self.store.connector_definition(tenant_id, name).await? else {
            return Err(TokenError::UnknownConnector(self.unknown_connector(tenant_id, name).await?));
        };
        let component = self.generic()?;
        let connector = self.runtime.describe_definition(&component, &definition).await?;
        Ok(Resolved { component, connector, definition: Some(definition) })
    }

    /// Why `name` is no connector of a tenant, saying what fixes it: the
    /// command that enables the installed component serving it, else the
    /// nearest connector name the tenant has and where they are listed.
    pub(super) async fn unknown_connector(&self, tenant_id: &str, name: &str) -> Result<String, TokenError> {
        let tenant = self.store.tenant_by_id(tenant_id).await?;
        let tenant_name = tenant.as_ref().map_or("TENANT", |t| t.name.as_str());
        for version in self.store.component_versions().await?.into_iter().filter(|v| v.current) {
            if self.loaded_component(&version.digest).await?.connector(name).is_some() {
                return Ok(format!(
                    "connector {name:?} is served by component {component}, which is installed but not enabled \
                     for tenant {tenant_name}: enable it with `flowauth component enable {component} --tenant \
                     {tenant_name}` (PUT /v1/tenants/{tenant_name}/components/{component})",
                    component = version.name,
                ));
            }
        }
        let known = match &tenant {
            Some(tenant) => self.connector_names(tenant).await?,
            None => Vec::new(),
        };
        let hint = super::suggest::did_you_mean(name, known.iter().map(String::as_str));
        Ok(format!(
            "unknown connector {name:?}{hint}: `flowauth connectors` lists them; for a connector of your own, \
             `flowauth new oauth <name-with-hyphens>` then `flowauth connector add`"
        ))
    }

    /// Adds (or replaces) a tenant's connector from a ThingWorx `config.json`.
    pub async fn add_connector(&self, tenant: &Tenant, definition: &str) -> Result<Connector, TokenError> {
        let connector = self.runtime.describe_definition(&self.generic()?, definition).await?;
        if self.runtime.builtin_for(&connector.name).is_some() {
            return Err(TokenError::Conflict(format!(
                "{:?} is a built-in connector: give the config.json another name",
                connector.name
            )));
        }
        self.store.put_connector(&tenant.id, &connector.name, definition).await?;
        Ok(connector)
    }

    /// Removes a tenant's own connector; refused while providers use it.
    pub async fn remove_connector(&self, tenant: &Tenant, name: &str) -> Result<(), TokenError> {
        let users: Vec<String> = self
            .store
            .providers(&tenant.id)
            .await?
            .into_iter()
            .filter(|p| p.connector == name)
            .map(|p| p.display_name)
            .collect();
        if !users.is_empty() {
            return Err(TokenError::Conflict(format!(
                "providers use connector {name:?} ({}): remove them first (`flowauth provider remove`)",
                users.join(", ")
            )));
        }
        if !self.store.delete_connector(&tenant.id, name).await? {
            let known = self.connector_names(tenant).await?;
            let hint = super::suggest::did_you_mean(name, known.iter().map(String::as_str));
            return Err(TokenError::NotFound(format!("connector {name:?} of this tenant{hint}")));
        }
        Ok(())
    }

    /// The names of every connector a tenant can use.
    pub async fn connector_names(&self, tenant: &Tenant) -> Result<Vec<String>, TokenError> {
        let mut names = Vec::new();
        let builtins = self.runtime.components().into_iter().filter(|c| c.built_in);
        for component in builtins.chain(self.enabled_components(&tenant.id).await?) {
            names.extend(component.connectors.iter().map(|c| c.name.clone()));
        }
        names.extend(self.store.connector_definitions(&tenant.id).await?.into_iter().map(|(name, _)| name));
        Ok(names)
    }

    /// Every connector a tenant can use: the components' and its own.
    pub async fn connectors(&self, tenant: &Tenant) -> Result<Vec<(String, Connector)>, TokenError> {
        let mut all: Vec<(String, Connector)> = Vec::new();
        let builtins = self.runtime.components().into_iter().filter(|c| c.built_in);
        for component in builtins.chain(self.enabled_components(&tenant.id).await?) {
            all.extend(component.connectors.iter().map(|c| (component.name.clone(), c.clone())));
        }
        let generic = self.generic()?;
        for (_, definition) in self.store.connector_definitions(&tenant.id).await? {
            all.push((generic.name.clone(), self.runtime.describe_definition(&generic, &definition).await?));
        }
        Ok(all)
    }
}
