//! Host bindings of `flowauth:oauth@0.2.0`, generated from `wit/0.2.0/`
//! and nothing else. 0.2.0 moved `describe-definition` out of `provider`
//! into an interface of its own, `definitions`, which a component exports
//! only if it takes run-time definitions: the bindings are of the world
//! with both exports, and each export is looked up on its own, so a
//! component without `definitions` instantiates as well.

wasmtime::component::bindgen!({
    world: "connector-with-definitions",
    path: "../wit/0.2.0",
    imports: { "flowauth:oauth/http.send": async },
    exports: { default: async },
});

since_v0_1!();

use self::exports::flowauth::oauth::definitions;
use wasmtime::Store;
use wasmtime::component::{Instance, InstancePre};

/// The export that makes a component a 0.2.0 one.
pub const PROVIDER: &str = "flowauth:oauth/provider@0.2.0";

/// The optional export of components that take run-time definitions.
pub const DEFINITIONS: &str = "flowauth:oauth/definitions@0.2.0";

/// Where a 0.2.0 component's exports are; `definitions` only if it has it.
#[derive(Clone)]
pub struct Exports {
    provider: provider::GuestIndices,
    definitions: Option<definitions::GuestIndices>,
}

/// The exports of one instance.
pub struct Guest {
    provider: provider::Guest,
    definitions: Option<definitions::Guest>,
}

impl Exports {
    /// Finds `provider`, and `definitions` when the component exports it
    /// (then it must be whole: a partial one is a broken contract).
    pub fn new(pre: &InstancePre<CallState>) -> wasmtime::Result<Self> {
        let definitions = match pre.component().get_export_index(None, DEFINITIONS) {
            Some(_) => Some(definitions::GuestIndices::new(pre)?),
            None => None,
        };
        Ok(Self { provider: provider::GuestIndices::new(pre)?, definitions })
    }

    pub fn takes_definitions(&self) -> bool {
        self.definitions.is_some()
    }

    pub fn load(&self, store: &mut Store<CallState>, instance: &Instance) -> wasmtime::Result<Guest> {
        let definitions = match &self.definitions {
            Some(indices) => Some(indices.load(&mut *store, instance)?),
            None => None,
        };
        Ok(Guest { provider: self.provider.load(store, instance)?, definitions })
    }
}

impl Guest {
    pub async fn describe_definition(&self, store: &mut Store<CallState>, definition: &str) -> Answer<host::Connector> {
        let Some(definitions) = &self.definitions else {
            wasmtime::bail!("the component does not export {DEFINITIONS}");
        };
        Ok(answer(definitions.call_describe_definition(store, definition).await?))
    }
}
