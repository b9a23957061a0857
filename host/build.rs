//! Compiles the built-in connector components for wasm32-wasip2 so that
//! `cargo build` alone yields a `flowauth` binary with them embedded.

#[path = "guest_build.rs"]
mod guest_build;

use std::path::PathBuf;

/// (package, environment variable naming its `.wasm`).
const BUILT_INS: [(&str, &str); 1] = [("flowauth-generic", "FLOWAUTH_COMPONENT_GENERIC")];

fn main() {
    let manifest_dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap());
    let root = manifest_dir.parent().unwrap();
    let workspace = root.join("components");
    for watched in ["wit", "components/Cargo.toml", "components/Cargo.lock", "components/sdk", "components/generic"] {
        println!("cargo:rerun-if-changed={}", root.join(watched).display());
    }
    let out = guest_build::build_guests(&workspace, root);
    for (package, variable) in BUILT_INS {
        let file = out.join(format!("{}.wasm", package.replace('-', "_")));
        println!("cargo:rustc-env={variable}={}", file.display());
    }
}
