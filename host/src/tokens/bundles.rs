//! Export and import (docs/BUNDLES.md): a tenant moved between instances
//! (dev -> test -> prod) as a bundle sealed with a passphrase. An import
//! is checked against this instance first (its components installed at
//! the digests pinned, its connectors served here), then applied in one
//! transaction.

use std::collections::BTreeSet;

use crate::bundle::{self, Cost, SealError};
use crate::store::{Imported, Tenant, TenantImage};

use super::{TokenError, TokenService};

/// Why an export or import did not happen. Nothing was written.
#[derive(Debug, Clone, thiserror::Error)]
pub enum BundleError {
    /// The passphrase or the bundle itself.
    #[error(transparent)]
    Sealed(#[from] SealError),
    /// The bundle pins component digests this instance lacks.
    #[error("{0}")]
    MissingComponent(String),
    /// The bundle opened but cannot be applied here.
    #[error("{0}")]
    Invalid(String),
    /// The store or the runtime failed.
    #[error(transparent)]
    Failed(#[from] TokenError),
}

impl BundleError {
    /// A stable code for the API and `--json`.
    pub fn code(&self) -> &str {
        match self {
            Self::Sealed(SealError::WeakPassphrase(_)) => "weak_passphrase",
            Self::Sealed(SealError::WrongPassphrase) => "wrong_passphrase",
            Self::Sealed(SealError::Damaged) => "bundle_damaged",
            Self::Sealed(SealError::TooNew(_)) => "bundle_too_new",
            Self::Sealed(SealError::NotABundle(_)) | Self::Invalid(_) => "invalid_bundle",
            Self::MissingComponent(_) => "component_missing",
            Self::Failed(error) => error.code(),
        }
    }
}

impl From<crate::store::StoreError> for BundleError {
    fn from(error: crate::store::StoreError) -> Self {
        match error {
            crate::store::StoreError::Invalid(message) => Self::Invalid(message),
            other => Self::Failed(other.into()),
        }
    }
}

/// A sealed bundle and what it holds, for the exporter's summary.
#[derive(Debug, Clone)]
pub struct Exported {
    /// The bundle's text (JSON).
    pub bundle: String,
    /// Providers in it.
    pub providers: usize,
    /// Custom connectors in it.
    pub connectors: usize,
    /// Component pins in it.
    pub components: usize,
    /// Whether it holds the webhook.
    pub webhook: bool,
    /// Tokens in it; `None` when exported without.
    pub tokens: Option<usize>,
}

impl TokenService {
    /// Seals `tenant` into a bundle with `passphrase`, with its tokens when asked.
    pub async fn export_bundle(
        &self,
        tenant: &Tenant,
        passphrase: String,
        with_tokens: bool,
    ) -> Result<Exported, BundleError> {
        let chars = passphrase.chars().count();
        if chars < bundle::MIN_PASSPHRASE_CHARS {
            return Err(SealError::WeakPassphrase(chars).into());
        }
        let image = self.store.tenant_image(&tenant.id, with_tokens).await.map_err(TokenError::from)?;
        let plaintext = serde_json::to_vec(&image).expect("an image serializes");
        let name = tenant.name.clone();
        // Argon2id takes tens of milliseconds of CPU: off the async threads.
        let sealed = tokio::task::spawn_blocking(move || {
            bundle::seal(&passphrase, &name, with_tokens, &plaintext, Cost::DEFAULT)
        })
        .await
        .map_err(|e| TokenError::Internal(format!("sealing the bundle: {e}")))??;
        Ok(Exported {
            bundle: sealed,
            providers: image.providers.len(),
            connectors: image.connectors.len(),
            components: image.components.len(),
            webhook: image.webhook.is_some(),
            tokens: image.tokens.as_ref().map(Vec::len),
        })
    }

    /// Opens `bundle` with `passphrase`, checks it against this instance
    /// and applies it to `tenant` (the bundle's own tenant by default),
    /// creating the tenant when there is none.
    pub async fn import_bundle(
        &self,
        tenant: Option<&str>,
        bundle: Vec<u8>,
        passphrase: String,
    ) -> Result<Imported, BundleError> {
        if bundle.len() > bundle::MAX_BUNDLE_BYTES {
            return Err(SealError::NotABundle(format!(
                "the bundle has {} bytes; flowauth writes at most {}",
                bundle.len(),
                bundle::MAX_BUNDLE_BYTES
            ))
            .into());
        }
        let (header, plaintext) = tokio::task::spawn_blocking(move || bundle::open(&passphrase, &bundle))
            .await
            .map_err(|e| TokenError::Internal(format!("opening the bundle: {e}")))??;
        let mut image: TenantImage = serde_json::from_slice(&plaintext)
            .map_err(|e| BundleError::Invalid(format!("the bundle opened but its contents are not valid: {e}")))?;
        let name = tenant.unwrap_or(&header.tenant);
        self.check_components(&mut image).await?;
        self.check_connectors(name, &image).await?;
        let imported = self.store.import_image(name, &image).await?;
        for id in &imported.replaced_tokens {
            self.fresh.forget(id);
        }
        Ok(imported)
    }

    /// Every pinned digest must be installed here; pins take the name
    /// this instance installed the digest under.
    async fn check_components(&self, image: &mut TenantImage) -> Result<(), BundleError> {
        let mut missing = Vec::new();
        for pin in &mut image.components {
            match self.store.component_version(&pin.digest).await.map_err(TokenError::from)? {
                Some(version) => pin.name = version.name,
                None => missing.push(format!(
                    "component {name} needs digest {digest}, which this instance lacks: install the same file \
                     (`flowauth component install {name}.wasm --name {name}`, or POST /v1/components?name={name}), \
                     then import again",
                    name = pin.name,
                    digest = pin.digest
                )),
            }
        }
        match missing.is_empty() {
            true => Ok(()),
            false => Err(BundleError::MissingComponent(missing.join("; "))),
        }
    }

    /// Every custom connector must be one the generic component here
    /// reads and not a built-in's name; every provider's connector must be
    /// served here: by a built-in, a pinned component, the bundle's own
    /// connectors or the target tenant's.
    async fn check_connectors(&self, tenant: &str, image: &TenantImage) -> Result<(), BundleError> {
        let mut known: BTreeSet<String> = BTreeSet::new();
        let generic = self.generic()?;
        for connector in &image.connectors {
            let described = self.runtime.describe_definition(&generic, &connector.definition).await.map_err(|e| {
                BundleError::Invalid(format!("connector {:?} in the bundle does not load here: {e}", connector.name))
            })?;
            if self.runtime.builtin_for(&described.name).is_some() {
                return Err(BundleError::Invalid(format!(
                    "connector {:?} in the bundle has a built-in connector's name on this instance: rename it at the \
                     source (its config.json \"name\") and export again",
                    described.name
                )));
            }
            known.insert(described.name);
        }
        for pin in &image.components {
            let component = self.loaded_component(&pin.digest).await?;
            known.extend(component.connectors.iter().map(|c| c.name.clone()));
        }
        if let Some(existing) = self.store.tenant(tenant).await.map_err(TokenError::from)? {
            known.extend(self.connector_names(&existing).await?);
        }
        let unknown: Vec<String> = image
            .providers
            .iter()
            .filter(|p| self.runtime.builtin_for(&p.connector).is_none() && !known.contains(&p.connector))
            .map(|p| format!("{}/{}", p.connector, p.display_name))
            .collect();
        match unknown.is_empty() {
            true => Ok(()),
            false => Err(BundleError::Invalid(format!(
                "providers {} in the bundle use connectors this instance does not serve: install and enable their \
                 components here (or export the tenant with its component pins), then import again",
                unknown.join(", ")
            ))),
        }
    }
}
