//! Where master keys come from: `FLOWAUTH_MASTER_KEY` (base64, 32 bytes),
//! or a key file in the data directory, created with mode 0600 on first
//! start. The key file can hold several keys so they can rotate.

use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::ring::KeyRing;
use crate::store::StoreError;

/// The environment variable holding a master key.
pub const MASTER_KEY_VARIABLE: &str = "FLOWAUTH_MASTER_KEY";
/// The key file's name in the data directory.
pub const KEY_FILE: &str = "master.key";

/// Where the keys came from.
#[derive(Debug, Clone)]
pub enum KeySource {
    /// A base64 key given by the operator (e.g. `FLOWAUTH_MASTER_KEY`).
    Given(String),
    /// The key file at this path.
    File(PathBuf),
}

impl KeySource {
    /// `FLOWAUTH_MASTER_KEY` when set, else the key file in `data_dir`.
    pub fn from_env(data_dir: &Path) -> Self {
        match std::env::var(MASTER_KEY_VARIABLE) {
            Ok(key) if !key.trim().is_empty() => Self::Given(key),
            _ => Self::File(data_dir.join(KEY_FILE)),
        }
    }

    /// Loads the keys, creating the key file when there is none yet.
    pub fn load(&self) -> Result<KeyRing, StoreError> {
        match self {
            Self::Given(text) => {
                let key = decode_key(text).map_err(|why| StoreError::Key(format!("{MASTER_KEY_VARIABLE}: {why}")))?;
                let id = key_id(&key);
                Ok(KeyRing::new(&id, &[(id.clone(), key)]))
            }
            Self::File(path) => {
                if !path.exists() {
                    let mut key = [0u8; 32];
                    rand::rng().fill_bytes(&mut key);
                    if create_key_file(path, &KeyFile::single(&key))? {
                        tracing::info!(path = %path.display(), "created a new master key file");
                    }
                }
                self.read()
            }
        }
    }

    /// Reads the keys again, creating nothing: a key file gone missing
    /// under a running process is an error, not a reason for a new key.
    pub fn read(&self) -> Result<KeyRing, StoreError> {
        match self {
            Self::Given(_) => self.load(),
            Self::File(path) => read_key_file(path)?.ring(path),
        }
    }

    /// When the key file last changed (`None` for keys given in the
    /// environment, which cannot change under a running process).
    pub fn version(&self) -> Option<std::time::SystemTime> {
        match self {
            Self::Given(_) => None,
            Self::File(path) => std::fs::metadata(path).and_then(|m| m.modified()).ok(),
        }
    }

    /// Adds a fresh key and makes it the active one; returns the new ring.
    /// Old keys stay until [`retire`](Self::retire) removes them.
    pub fn add_key(&self) -> Result<KeyRing, StoreError> {
        let Self::File(path) = self else {
            return Err(StoreError::Key(format!(
                "keys given in {MASTER_KEY_VARIABLE} cannot rotate here: unset it to use the key file"
            )));
        };
        let mut file = read_key_file(path)?;
        let mut key = [0u8; 32];
        rand::rng().fill_bytes(&mut key);
        let id = key_id(&key);
        file.keys.push(StoredKey { id: id.clone(), key: STANDARD.encode(key) });
        file.active = id;
        write_key_file(path, &file)?;
        file.ring(path)
    }

    /// Removes every key but the active one from the key file.
    pub fn retire_inactive(&self) -> Result<Vec<String>, StoreError> {
        let Self::File(path) = self else { return Ok(Vec::new()) };
        let mut file = read_key_file(path)?;
        let active = file.active.clone();
        let retired = file.keys.iter().filter(|k| k.id != active).map(|k| k.id.clone()).collect();
        file.keys.retain(|k| k.id == active);
        write_key_file(path, &file)?;
        Ok(retired)
    }
}

#[derive(Serialize, Deserialize)]
struct KeyFile {
    active: String,
    keys: Vec<StoredKey>,
}

#[derive(Serialize, Deserialize)]
struct StoredKey {
    id: String,
    key: String,
}

impl KeyFile {
    fn single(key: &[u8; 32]) -> Self {
        let id = key_id(key);
        Self { active: id.clone(), keys: vec![StoredKey { id, key: STANDARD.encode(key) }] }
    }

    fn ring(&self, path: &Path) -> Result<KeyRing, StoreError> {
        let keys = self
            .keys
            .iter()
            .map(|k| decode_key(&k.key).map(|key| (k.id.clone(), key)))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|why| StoreError::Key(format!("{}: {why}", path.display())))?;
        if !keys.iter().any(|(id, _)| *id == self.active) {
            return Err(StoreError::Key(format!(
                "{}: the active key {} is not in the file",
                path.display(),
                self.active
            )));
        }
        Ok(KeyRing::new(&self.active, &keys))
    }
}

/// A short, non-secret name for a key: the start of its sha256.
fn key_id(key: &[u8; 32]) -> String {
    hex::encode(&Sha256::digest(key)[..6])
}

fn decode_key(text: &str) -> Result<[u8; 32], String> {
    let bytes = STANDARD.decode(text.trim()).map_err(|e| format!("not base64 ({e})"))?;
    bytes.try_into().map_err(|b: Vec<u8>| format!("a key is 32 bytes, this one has {}", b.len()))
}

fn read_key_file(path: &Path) -> Result<KeyFile, StoreError> {
    let text = std::fs::read_to_string(path).map_err(|e| StoreError::Key(format!("{}: {e}", path.display())))?;
    serde_json::from_str(&text)
        .map_err(|e| StoreError::Key(format!("{}: not a flowauth key file ({e})", path.display())))
}

/// Writes the key file readable by its owner only, atomically: it is
/// written whole under a name of its own, then put in place.
fn write_key_file(path: &Path, file: &KeyFile) -> Result<(), StoreError> {
    let temporary = written_beside(path, file)?;
    std::fs::rename(&temporary, path).map_err(|e| StoreError::Key(format!("{}: {e}", path.display())))
}

/// Creates the first key file unless another process created one first
/// (several instances starting together on one data directory): all of
/// them then use the one that won. Returns whether this one won.
fn create_key_file(path: &Path, file: &KeyFile) -> Result<bool, StoreError> {
    let temporary = written_beside(path, file)?;
    // A hard link is created only where no file exists, unlike a rename.
    let linked = std::fs::hard_link(&temporary, path);
    let _ = std::fs::remove_file(&temporary);
    match linked {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(false),
        Err(e) => Err(StoreError::Key(format!("{}: {e}", path.display()))),
    }
}

/// `file` written whole and synced, mode 0600 (in a 0700 folder), under a name no other
/// process uses; returns that name.
fn written_beside(path: &Path, file: &KeyFile) -> Result<std::path::PathBuf, StoreError> {
    use std::io::Write;
    let io = |e: std::io::Error| StoreError::Key(format!("{}: {e}", path.display()));
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        crate::private::create_dir(dir).map_err(io)?;
    }
    let temporary = path.with_extension(format!("key.{}.tmp", crate::store::new_id()));
    let mut out = crate::private::create_file(&temporary).map_err(io)?;
    out.write_all(serde_json::to_string_pretty(file).expect("key file serializes").as_bytes()).map_err(io)?;
    out.sync_all().map_err(io)?;
    Ok(temporary)
}
