//! Host bindings of `flowauth:oauth@0.1.0` (the `connector` world),
//! generated from `wit/0.1.0/` and nothing else. In 0.1.0 `provider`
//! itself holds `describe-definition`, so every 0.1.0 component takes
//! run-time definitions (most answer `unsupported`).

wasmtime::component::bindgen!({
    world: "connector",
    path: "../wit/0.1.0",
    imports: { "flowauth:oauth/http.send": async },
    exports: { default: async },
});

since_v0_1!();

use wasmtime::Store;
use wasmtime::component::{Instance, InstancePre};

/// The export that makes a component a 0.1.0 one.
pub const PROVIDER: &str = "flowauth:oauth/provider@0.1.0";

/// Where a 0.1.0 component's `provider` functions are.
#[derive(Clone)]
pub struct Exports {
    provider: provider::GuestIndices,
}

/// The `provider` export of one instance.
pub struct Guest {
    provider: provider::Guest,
}

impl Exports {
    pub fn new(pre: &InstancePre<CallState>) -> wasmtime::Result<Self> {
        Ok(Self { provider: provider::GuestIndices::new(pre)? })
    }

    pub fn load(&self, store: &mut Store<CallState>, instance: &Instance) -> wasmtime::Result<Guest> {
        Ok(Guest { provider: self.provider.load(store, instance)? })
    }
}

impl Guest {
    pub async fn describe_definition(&self, store: &mut Store<CallState>, definition: &str) -> Answer<host::Connector> {
        Ok(answer(self.provider.call_describe_definition(store, definition).await?))
    }
}
