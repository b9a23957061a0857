//! Builds a workspace of guest components for wasm32-wasip2. Included by
//! the build scripts of `host` (built-ins) and `tests` (test components).
//! The guests build into `target/guests`, apart from the host's artifacts
//! (the pattern of wasmtime's test-programs); a missing target is added
//! with rustup.

use std::path::{Path, PathBuf};
use std::process::Command;

const TARGET: &str = "wasm32-wasip2";

/// Builds every package of a guest workspace in release mode and returns
/// the folder holding the `.wasm` files.
pub fn build_guests(workspace: &Path, root: &Path) -> PathBuf {
    ensure_target();
    let target_dir =
        std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| root.join("target")).join("guests");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut command = Command::new(cargo);
    command
        .current_dir(workspace)
        .args(["build", "--release", "--workspace", "--target", TARGET, "--target-dir"])
        .arg(&target_dir);
    // The outer build's settings are meant for the host, not the guests.
    for variable in [
        "CARGO_ENCODED_RUSTFLAGS",
        "RUSTFLAGS",
        "CARGO_BUILD_TARGET",
        "CARGO_TARGET_DIR",
        "RUSTC_WORKSPACE_WRAPPER",
        "RUSTC_WRAPPER",
        "CARGO_MAKEFLAGS",
        "CARGO_LLVM_COV",
    ] {
        command.env_remove(variable);
    }
    let status = command.status().expect("run cargo to build the guest components");
    assert!(status.success(), "building the components in {} failed", workspace.display());
    target_dir.join(TARGET).join("release")
}

/// The member folders of a guest workspace, from its `members = [...]`.
#[allow(dead_code)] // Used by host/build.rs only.
pub fn workspace_members(workspace: &Path) -> Vec<String> {
    let manifest = std::fs::read_to_string(workspace.join("Cargo.toml")).expect("read the components' Cargo.toml");
    let start = manifest.find("members").expect("the components' Cargo.toml lists its members");
    let list = &manifest[start..];
    let list = &list[list.find('[').unwrap() + 1..list.find(']').unwrap()];
    list.split(',').map(|m| m.trim().trim_matches('"').to_owned()).filter(|m| !m.is_empty()).collect()
}

/// Adds the wasm32-wasip2 target with rustup when the toolchain lacks it,
/// so a clean clone builds on a machine where rustup does not install
/// targets by itself (RUSTUP_AUTO_INSTALL=0).
fn ensure_target() {
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let sysroot = Command::new(&rustc).args(["--print", "sysroot"]).output().expect("run rustc --print sysroot");
    let sysroot = PathBuf::from(String::from_utf8_lossy(&sysroot.stdout).trim());
    if sysroot.join("lib/rustlib").join(TARGET).exists() {
        return;
    }
    println!("cargo:warning=installing the {TARGET} target with rustup");
    let status = Command::new("rustup").args(["target", "add", TARGET]).status();
    match status {
        Ok(s) if s.success() => {}
        _ => panic!("the {TARGET} target is missing: run `rustup target add {TARGET}`"),
    }
}
