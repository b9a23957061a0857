//! Builds the test components (`tests/components`) and the example
//! third-party components (`examples/`) for wasm32-wasip2 and tells the
//! tests where they are.

#[path = "../host/guest_build.rs"]
mod guest_build;

use std::path::PathBuf;

fn main() {
    let manifest_dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap());
    let root = manifest_dir.parent().unwrap();
    for watched in [
        "wit",
        "components/sdk",
        "tests/components/Cargo.toml",
        "tests/components/misbehave",
        "tests/components/contract-v0-1",
        "examples",
    ] {
        println!("cargo:rerun-if-changed={}", root.join(watched).display());
    }
    let out = guest_build::build_guests(&manifest_dir.join("components"), root);
    println!("cargo:rustc-env=FLOWAUTH_TEST_COMPONENTS={}", out.display());
    let examples = guest_build::build_guests(&root.join("examples"), root);
    println!("cargo:rustc-env=FLOWAUTH_EXAMPLES={}", examples.display());
}
