//! Host bindings of `flowauth:oauth@0.1.0` (the `connector` world), generated
//! from `wit/` and nothing else. Only `http.send` waits on I/O.

wasmtime::component::bindgen!({
    world: "connector",
    path: "../wit",
    imports: { "flowauth:oauth/http.send": async },
    exports: { default: async },
});
