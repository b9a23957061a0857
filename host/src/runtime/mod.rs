//! The wasmtime host: one engine, a registry of compiled connector
//! components, a fresh sandboxed instance for every call, and the host
//! imports (`http`, `credentials`, `log`) components are lent.
//!
//! ```text
//! Runtime::call_*  ->  sandbox (Store: memory cap, CPU budget, deadline)
//!                  ->  component export  ->  http import  ->  outbound policy
//! ```

mod builtin;
mod cache;
mod config;
mod credentials;
mod engine;
mod error;
mod host;
mod log;
mod outbound;
mod redact;
mod registry;
mod sandbox;
mod slots;
mod types;
mod wit;

pub use config::{OutboundConfig, RuntimeConfig, SandboxConfig};
pub use credentials::SigningKey;
pub use error::{CallError, InstallError};
pub use outbound::{GuardedResolver, HostPattern, is_public};
pub use registry::{Component, Target, digest_of};
pub use types::{
    AuthLink, AuthRequest, Callback, Client, Connector, Grant, HttpError, HttpResponse, OauthError, Pairs,
    ProviderError, Setting, TokenSet, Validation,
};

use std::sync::Arc;

use registry::Registry;
use sandbox::Sandbox;

/// The component runtime. Cheap to share (`Arc` inside); one per process.
#[derive(Clone)]
pub struct Runtime {
    inner: Arc<Inner>,
}

struct Inner {
    registry: Registry,
    sandbox: Sandbox,
}

impl Runtime {
    /// Starts the engine and its epoch ticker, and installs the built-in
    /// components (from the compiled-code cache when it has them).
    pub async fn new(config: RuntimeConfig) -> Result<Self, InstallError> {
        let engine = engine::new(&config.sandbox)?;
        let sandbox = Sandbox::new(engine, &config)?;
        let registry = Registry::new(config.cache_dir.clone());
        let runtime = Self { inner: Arc::new(Inner { registry, sandbox }) };
        for (name, bytes) in builtin::COMPONENTS {
            runtime.install(name, bytes, true).await?;
        }
        Ok(runtime)
    }

    /// Verifies, compiles (or loads from the cache) and registers a
    /// component; returns it with the connectors it serves. Installing the
    /// same bytes twice returns the registered component.
    pub async fn install(&self, name: &str, bytes: &[u8], built_in: bool) -> Result<Arc<Component>, InstallError> {
        self.inner.registry.install(&self.inner.sandbox, name, bytes, built_in).await
    }

    /// Verifies and compiles a third-party component and lists its
    /// connectors without registering it: the caller decides (grants,
    /// upgrade rules) and then [`register`](Self::register)s it.
    pub async fn compile(&self, name: &str, bytes: &[u8]) -> Result<Component, InstallError> {
        if let Some(known) = self.inner.registry.get(&digest_of(bytes))
            && known.built_in
        {
            return Err(InstallError::Contract {
                name: name.to_owned(),
                reason: format!("these bytes are the built-in component {}", known.name),
            });
        }
        self.inner.registry.compile(&self.inner.sandbox, name, bytes, false).await
    }

    /// Registers a compiled third-party component, limited to the hosts
    /// granted to it (`None`: what its connectors declare), in place of any
    /// registration of its digest.
    pub fn register(&self, mut component: Component, grants: Option<Vec<String>>) -> Arc<Component> {
        component.grants = grants.as_deref().map(HostPattern::parse_all);
        self.inner.registry.replace(component)
    }

    /// Removes a component from the registry (calls in flight finish).
    pub fn uninstall(&self, digest: &str) {
        self.inner.registry.remove(digest);
    }

    /// How long one component call may take, the wait for an instance
    /// slot and host calls included.
    pub fn longest_call(&self) -> std::time::Duration {
        self.inner.sandbox.longest_call()
    }

    /// Every installed component.
    pub fn components(&self) -> Vec<Arc<Component>> {
        self.inner.registry.all()
    }

    /// The component with this sha256 digest (hex).
    pub fn component(&self, digest: &str) -> Option<Arc<Component>> {
        self.inner.registry.get(digest)
    }

    /// The built-in component serving a connector name, if any.
    pub fn builtin_for(&self, connector: &str) -> Option<Arc<Component>> {
        self.inner.registry.all().into_iter().find(|c| c.built_in && c.connector(connector).is_some())
    }

    /// The component serving a connector name, if any (built-ins first).
    pub fn component_for(&self, connector: &str) -> Option<Arc<Component>> {
        self.inner.registry.all().into_iter().find(|c| c.connector(connector).is_some())
    }

    /// Checks a run-time connector definition (a ThingWorx `config.json`
    /// for the generic component) and describes the connector it defines.
    /// Refused without a call for a component that takes no definitions.
    pub async fn describe_definition(
        &self,
        component: &Arc<Component>,
        definition: &str,
    ) -> Result<Connector, CallError> {
        if !component.takes_definitions() {
            return Err(CallError::NoDefinitions {
                component: component.name.clone(),
                version: component.contract_version(),
            });
        }
        let target = Target::bare(component.clone());
        self.inner.sandbox.call(&target, &[], async |g, s| g.describe_definition(s, definition).await).await
    }

    /// Builds the URL a user follows to authorize.
    pub async fn build_auth_url(&self, target: &Target, req: &AuthRequest) -> Result<AuthLink, CallError> {
        self.inner.sandbox.call(target, &req.extra, async |g, s| g.build_auth_url(s, &target.client, req).await).await
    }

    /// Exchanges the code of a callback for tokens.
    pub async fn exchange_code(&self, target: &Target, callback: &Callback) -> Result<TokenSet, CallError> {
        let inputs = &callback.extra;
        self.inner.sandbox.call(target, inputs, async |g, s| g.exchange_code(s, &target.client, callback).await).await
    }

    /// Renews an access token with a refresh token.
    pub async fn refresh(
        &self,
        target: &Target,
        refresh_token: &str,
        scopes: &[String],
        extra: &[(String, String)],
    ) -> Result<TokenSet, CallError> {
        let extra = extra.to_vec();
        self.inner
            .sandbox
            .call(target, &extra, async |g, s| g.refresh(s, &target.client, refresh_token, scopes, &extra).await)
            .await
    }

    /// Requests a token without a user redirect (client credentials, password).
    pub async fn request_token(
        &self,
        target: &Target,
        grant: Grant,
        params: &[(String, String)],
    ) -> Result<TokenSet, CallError> {
        let params = params.to_vec();
        self.inner
            .sandbox
            .call(target, &params, async |g, s| g.request_token(s, &target.client, grant, &params).await)
            .await
    }

    /// Asks the provider whether a token is still good.
    pub async fn validate(&self, target: &Target, token: &TokenSet) -> Result<Validation, CallError> {
        self.inner.sandbox.call(target, &token.extra, async |g, s| g.validate(s, &target.client, token).await).await
    }

    /// Fetches a document the host itself needs for a target (an OpenID
    /// provider's discovery document and keys) through the outbound policy
    /// of the target's component: same allowed hosts, addresses and limits.
    pub async fn fetch(&self, target: &Target, url: &str) -> Result<HttpResponse, HttpError> {
        self.inner.sandbox.fetch(target, url).await
    }

    /// Revokes a token at the provider.
    pub async fn revoke(&self, target: &Target, token: &TokenSet) -> Result<(), CallError> {
        self.inner.sandbox.call(target, &token.extra, async |g, s| g.revoke(s, &target.client, token).await).await
    }
}
