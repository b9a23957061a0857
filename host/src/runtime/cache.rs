//! Compiled code on disk, keyed by the component's sha256 and the engine's
//! compatibility hash, so a restart loads machine code instead of compiling.
//! Only files this module wrote are ever deserialized: deserializing
//! foreign bytes is unsafe.

use std::hash::{DefaultHasher, Hash, Hasher};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use wasmtime::component::Component;

/// Compiles `bytes`, or loads the code compiled for `digest` earlier.
/// Returns the component and whether it came from the cache.
pub fn load_or_compile(
    engine: &wasmtime::Engine,
    dir: Option<&Path>,
    digest: &str,
    bytes: &[u8],
) -> wasmtime::Result<(Component, bool)> {
    let Some(dir) = dir else {
        return Ok((Component::new(engine, bytes)?, false));
    };
    let path = entry(engine, dir, digest);
    if path.exists() {
        // SAFETY: the file is one `store` below wrote into the cache folder
        // from a component compiled by an engine with the same settings
        // (the compatibility hash is part of its name).
        match unsafe { Component::deserialize_file(engine, &path) } {
            Ok(component) => return Ok((component, true)),
            Err(error) => tracing::warn!(path = %path.display(), %error, "discarding an unusable cache entry"),
        }
    }
    let component = Component::new(engine, bytes)?;
    if let Err(error) = store(&component, dir, &path) {
        tracing::warn!(path = %path.display(), %error, "cannot cache compiled component");
    }
    Ok((component, false))
}

fn entry(engine: &wasmtime::Engine, dir: &Path, digest: &str) -> PathBuf {
    let mut hasher = DefaultHasher::new();
    engine.precompile_compatibility_hash().hash(&mut hasher);
    dir.join(format!("{digest}-{:016x}.cwasm", hasher.finish()))
}

/// Writes atomically (temporary file, then rename), readable by the owner
/// only (0600, in a 0700 folder), so a crash never leaves
/// a truncated entry behind. The temporary name is unique per call: two
/// runtimes of one process (tests, a CLI beside a server) may store the
/// same entry at once, and must not write into each other's file.
fn store(component: &Component, dir: &Path, path: &Path) -> anyhow::Result<()> {
    static WRITES: AtomicU64 = AtomicU64::new(0);
    crate::private::create_dir(dir)?;
    let code = component.serialize()?;
    let write = WRITES.fetch_add(1, Ordering::Relaxed);
    let temporary = path.with_extension(format!("tmp{}-{write}", std::process::id()));
    crate::private::create_file(&temporary)?.write_all(&code)?;
    std::fs::rename(&temporary, path)?;
    Ok(())
}
