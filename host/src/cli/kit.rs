//! The author's kit the binary carries: the WIT contract, the guest SDK's
//! sources and the lock file they were tested with, so that `flowauth new
//! component` writes a crate that builds without this repository.

use anyhow::bail;

/// Where the contract version the SDK builds against lives, here and in
/// a scaffold: only the newest version is carried, as new components are
/// built against it.
pub const WIT_DIR: &str = "wit/0.2.0";

/// [`WIT_DIR`], file by file.
pub const WIT: [(&str, &str); 3] = [
    ("host.wit", include_str!("../../../wit/0.2.0/host.wit")),
    ("provider.wit", include_str!("../../../wit/0.2.0/provider.wit")),
    ("types.wit", include_str!("../../../wit/0.2.0/types.wit")),
];

/// `components/sdk/src/`, file by file. The SDK finds the contract at
/// `../../wit/0.2.0`, which holds both here and in a scaffold
/// (`vendor/flowauth-sdk` beside `wit/`).
pub const SDK_SOURCES: [(&str, &str); 17] = [
    ("lib.rs", include_str!("../../../components/sdk/src/lib.rs")),
    ("alternates.rs", include_str!("../../../components/sdk/src/alternates.rs")),
    ("call.rs", include_str!("../../../components/sdk/src/call.rs")),
    ("client_auth.rs", include_str!("../../../components/sdk/src/client_auth.rs")),
    ("declaration.rs", include_str!("../../../components/sdk/src/declaration.rs")),
    ("error.rs", include_str!("../../../components/sdk/src/error.rs")),
    ("form.rs", include_str!("../../../components/sdk/src/form.rs")),
    ("http.rs", include_str!("../../../components/sdk/src/http.rs")),
    ("introspect.rs", include_str!("../../../components/sdk/src/introspect.rs")),
    ("log.rs", include_str!("../../../components/sdk/src/log.rs")),
    ("oauth1.rs", include_str!("../../../components/sdk/src/oauth1.rs")),
    ("oauth2_client.rs", include_str!("../../../components/sdk/src/oauth2_client.rs")),
    ("pairs.rs", include_str!("../../../components/sdk/src/pairs.rs")),
    ("prompt.rs", include_str!("../../../components/sdk/src/prompt.rs")),
    ("standard.rs", include_str!("../../../components/sdk/src/standard.rs")),
    ("template.rs", include_str!("../../../components/sdk/src/template.rs")),
    ("token.rs", include_str!("../../../components/sdk/src/token.rs")),
];

/// The versions the built-in components build with.
pub const LOCKFILE: &str = include_str!("../../../components/Cargo.lock");

const SDK_MANIFEST: &str = include_str!("../../../components/sdk/Cargo.toml");
const WORKSPACE_MANIFEST: &str = include_str!("../../../components/Cargo.toml");

/// The SDK's manifest with every `x.workspace = true` replaced by the
/// workspace's value, so it stands alone.
pub fn sdk_manifest() -> anyhow::Result<String> {
    let mut out = String::new();
    for line in SDK_MANIFEST.lines() {
        match line.split_once(".workspace = true") {
            Some((key, "")) => match workspace_value(key.trim()) {
                Some(value) => out.push_str(&format!("{} = {value}\n", key.trim())),
                None => {
                    bail!("the SDK's manifest inherits {key:?}, which its workspace does not set (a bug of this build)")
                }
            },
            _ => {
                out.push_str(line);
                out.push('\n');
            }
        }
    }
    Ok(out)
}

/// `key = value` from `[workspace.package]` or `[workspace.dependencies]`.
fn workspace_value(key: &str) -> Option<String> {
    let mut section = "";
    for line in WORKSPACE_MANIFEST.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            section = line;
            continue;
        }
        if !matches!(section, "[workspace.package]" | "[workspace.dependencies]") {
            continue;
        }
        if let Some((k, v)) = line.split_once('=')
            && k.trim() == key
        {
            return Some(v.trim().to_owned());
        }
    }
    None
}

#[cfg(test)]
mod tests {
    /// A file added to the SDK or the contract must be carried too.
    #[test]
    fn the_kit_carries_every_file_of_the_sdk_and_the_contract() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        for (dir, carried) in [
            ("components/sdk/src", super::SDK_SOURCES.map(|(name, _)| name).to_vec()),
            (super::WIT_DIR, super::WIT.map(|(name, _)| name).to_vec()),
        ] {
            let mut present: Vec<String> = std::fs::read_dir(root.join(dir))
                .unwrap()
                .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
                .collect();
            present.sort();
            let mut carried: Vec<String> = carried.into_iter().map(str::to_owned).collect();
            carried.sort();
            assert_eq!(present, carried, "{dir}: update host/src/cli/kit.rs");
        }
    }

    #[test]
    fn the_sdk_manifest_stands_alone() {
        let manifest = super::sdk_manifest().unwrap();
        assert!(!manifest.contains("workspace"), "{manifest}");
        assert!(manifest.contains("wit-bindgen = {"), "{manifest}");
    }
}
