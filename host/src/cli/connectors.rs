//! `flowauth connectors` and `flowauth inspect`: what the components serve.

use std::path::Path;

use anyhow::Context;
use flowauth::runtime::{Component, Runtime};

/// Every connector of the installed components.
pub fn list(runtime: &Runtime, json: bool) {
    print(&runtime.components(), json);
}

/// Installs a component file (checking its contract) and lists its connectors.
pub async fn inspect(runtime: &Runtime, file: &Path, json: bool) -> anyhow::Result<()> {
    let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    let name = file.file_stem().and_then(|s| s.to_str()).unwrap_or("component");
    print(&[runtime.install(name, &bytes, false).await?], json);
    Ok(())
}

fn print(components: &[std::sync::Arc<Component>], json: bool) {
    for component in components {
        for connector in &component.connectors {
            if json {
                let settings: Vec<_> = connector
                    .settings
                    .iter()
                    .map(|s| serde_json::json!({"key": s.key, "required": s.required, "secret": s.secret, "description": s.description}))
                    .collect();
                let line = serde_json::json!({
                    "component": component.name, "digest": component.digest, "connector": connector.name,
                    "title": connector.title, "hosts": connector.hosts, "settings": settings,
                });
                println!("{line}");
            } else {
                let settings: Vec<_> = connector
                    .settings
                    .iter()
                    .map(|s| if s.required { format!("{}*", s.key) } else { s.key.clone() })
                    .collect();
                println!(
                    "{:<12} {:<14} {:<10} {}",
                    connector.name,
                    connector.title,
                    component.name,
                    settings.join(" ")
                );
            }
        }
    }
}
