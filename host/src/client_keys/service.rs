//! What admins do with a provider's keys, for the API and the command line
//! alike: set one from a PEM, make a new one (rotate), show, remove, and
//! the public JWKS document identity providers fetch.

use crate::store::{KeyState, NewProviderKey, Provider, PublishedKey, Store, Tenant};
use crate::tokens::TokenError;

use super::{Algorithm, ProviderKey};

/// The provider's keys after a command.
#[derive(Debug, Clone)]
pub struct KeyReport {
    /// `connector/display name`.
    pub provider: String,
    /// The provider's id, which names its JWKS document (`/jwks/{id}`).
    pub provider_id: String,
    /// The active key.
    pub active: PublishedKey,
    /// The key it replaced, still published.
    pub previous: Option<PublishedKey>,
    /// Whether the command changed anything (setting the active key again does not).
    pub changed: bool,
}

/// The path of a provider's JWKS document.
pub fn jwks_path(provider_id: &str) -> String {
    format!("/jwks/{provider_id}")
}

/// Provider keys over a store.
pub struct KeyService<'a> {
    store: &'a Store,
}

impl<'a> KeyService<'a> {
    /// Keys of the providers in `store`.
    pub fn new(store: &'a Store) -> Self {
        Self { store }
    }

    /// Makes the PEM private key `pem` the provider's active key; the key
    /// active before stays published as the previous one.
    pub async fn set(
        &self,
        tenant: &Tenant,
        connector: &str,
        display_name: &str,
        pem: &str,
    ) -> Result<KeyReport, TokenError> {
        let provider = self.provider(tenant, connector, display_name).await?;
        let key = ProviderKey::from_pem(pem).map_err(|e| TokenError::Invalid(format!("the private key: {e}")))?;
        self.install(tenant, &provider, &key).await
    }

    /// Makes a new key the provider's active key: of `algorithm`, else of
    /// the active key's, else RS256 (what every identity provider takes).
    pub async fn rotate(
        &self,
        tenant: &Tenant,
        connector: &str,
        display_name: &str,
        algorithm: Option<&str>,
    ) -> Result<KeyReport, TokenError> {
        let provider = self.provider(tenant, connector, display_name).await?;
        let algorithm = match algorithm {
            Some(name) => Algorithm::parse(name).map_err(TokenError::Invalid)?,
            None => match self.store.provider_keys(&tenant.id, &provider.id).await?.first() {
                Some(active) => Algorithm::parse(&active.algorithm).map_err(TokenError::Internal)?,
                None => Algorithm::Rs256,
            },
        };
        // Finding RSA primes takes a while: off the threads that serve requests.
        let key = tokio::task::spawn_blocking(move || ProviderKey::generate(algorithm))
            .await
            .map_err(|e| TokenError::Internal(format!("making a key: {e}")))?
            .map_err(TokenError::Internal)?;
        self.install(tenant, &provider, &key).await
    }

    /// The provider's keys; an error saying how to set one when it has none.
    pub async fn show(&self, tenant: &Tenant, connector: &str, display_name: &str) -> Result<KeyReport, TokenError> {
        let provider = self.provider(tenant, connector, display_name).await?;
        self.report(tenant, &provider, false).await
    }

    /// Removes the provider's keys, or only the previous one (once the
    /// identity provider and every assertion moved to the new key).
    /// Returns how many were removed; none is an error saying what is there.
    pub async fn remove(
        &self,
        tenant: &Tenant,
        connector: &str,
        display_name: &str,
        previous_only: bool,
    ) -> Result<u64, TokenError> {
        let provider = self.provider(tenant, connector, display_name).await?;
        let removed = self.store.remove_provider_keys(&tenant.id, &provider.id, previous_only).await?;
        if removed == 0 {
            let what = if previous_only { "previous key" } else { "key" };
            return Err(TokenError::NotFound(format!("a {what} of provider {connector}/{display_name}")));
        }
        tracing::info!(tenant = %tenant.name, provider = %format!("{connector}/{display_name}"), removed, previous_only, "provider keys removed");
        Ok(removed)
    }

    /// The public keys of a provider's JWKS document, by its id alone:
    /// active first. Not found when it has none (or there is no such id).
    pub async fn jwks(&self, provider_id: &str) -> Result<Vec<serde_json::Value>, TokenError> {
        let keys = self.store.published_keys(provider_id).await?;
        if keys.is_empty() {
            return Err(TokenError::NotFound("a key set of this id".into()));
        }
        Ok(keys.into_iter().map(|k| k.public_jwk).collect())
    }

    async fn provider(&self, tenant: &Tenant, connector: &str, display_name: &str) -> Result<Provider, TokenError> {
        self.store.provider(&tenant.id, connector, display_name).await?.ok_or_else(|| {
            TokenError::NotFound(format!(
                "provider {connector}/{display_name} of tenant {} (`flowauth provider list` lists them)",
                tenant.name
            ))
        })
    }

    async fn install(&self, tenant: &Tenant, provider: &Provider, key: &ProviderKey) -> Result<KeyReport, TokenError> {
        let new = NewProviderKey {
            algorithm: key.algorithm.as_str(),
            kid: &key.kid,
            public_jwk: &key.public_jwk,
            pem: &key.pem,
        };
        let changed = self.store.install_provider_key(&tenant.id, &provider.id, new).await?;
        tracing::info!(
            tenant = %tenant.name,
            provider = %format!("{}/{}", provider.connector, provider.display_name),
            kid = %key.kid,
            algorithm = %key.algorithm,
            changed,
            "provider key set"
        );
        self.report(tenant, provider, changed).await
    }

    async fn report(&self, tenant: &Tenant, provider: &Provider, changed: bool) -> Result<KeyReport, TokenError> {
        let label = format!("{}/{}", provider.connector, provider.display_name);
        let mut keys = self.store.provider_keys(&tenant.id, &provider.id).await?.into_iter();
        let active = keys.next().filter(|k| k.state == KeyState::Active).ok_or_else(|| {
            TokenError::NotFound(format!(
                "a key of provider {label}: set one with `flowauth provider key set --tenant {tenant} {label} key.pem` \
                 or make one with `flowauth provider key rotate --tenant {tenant} {label}`",
                tenant = tenant.name
            ))
        })?;
        Ok(KeyReport { provider: label, provider_id: provider.id.clone(), active, previous: keys.next(), changed })
    }
}
