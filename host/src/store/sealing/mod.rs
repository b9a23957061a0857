//! Secrets at rest, independent of the database: the key ring
//! ([`ring`]), where keys come from ([`keys`]), the list of sealed
//! columns ([`columns`]) and rotation ([`rotate`]).

pub mod columns;
pub mod keys;
pub mod ring;
mod rotate;

use std::sync::{Arc, Mutex, RwLock};
use std::time::SystemTime;

pub use columns::SealedColumn;
use keys::KeySource;
use ring::{KeyRing, Place};

use super::StoreError;

/// Seals and opens values for their column and row, following a rotation
/// made by another process: before sealing, the key file is read again
/// when it changed (so new values get the new active key), and a value
/// that names a key this process does not hold makes it read the keys
/// again once before giving up.
#[derive(Debug, Clone)]
pub struct Sealer {
    ring: Arc<RwLock<KeyRing>>,
    source: KeySource,
    /// When the key file had changed last when it was read.
    read_version: Arc<Mutex<Option<SystemTime>>>,
}

impl Sealer {
    /// A sealer over the keys `source` holds now.
    pub fn load(source: &KeySource) -> Result<Self, StoreError> {
        let read_version = Arc::new(Mutex::new(source.version()));
        Ok(Self { ring: Arc::new(RwLock::new(source.load()?)), source: source.clone(), read_version })
    }

    /// The ring in use.
    pub fn ring(&self) -> KeyRing {
        self.ring.read().expect("key ring").clone()
    }

    /// Uses `ring` from now on (after a rotation).
    pub fn replace(&self, ring: KeyRing) {
        *self.ring.write().expect("key ring") = ring;
    }

    /// Seals `plaintext` for one row of `column`.
    pub fn seal(&self, tenant: &str, column: SealedColumn, row: &str, plaintext: &[u8]) -> Vec<u8> {
        self.follow_rotation();
        let place = Place { tenant, table: column.table, row, column: column.name };
        self.ring.read().expect("key ring").seal(place, plaintext)
    }

    /// Opens text sealed for one row of `column`.
    pub fn open_text(
        &self,
        tenant: &str,
        column: SealedColumn,
        row: &str,
        sealed: &[u8],
    ) -> Result<String, StoreError> {
        let place = Place { tenant, table: column.table, row, column: column.name };
        let opened = self.ring.read().expect("key ring").open_text(place, sealed);
        match opened {
            Err(StoreError::MissingKey(id)) => {
                self.reload_for(&id)?;
                self.ring.read().expect("key ring").open_text(place, sealed)
            }
            other => other,
        }
    }

    /// Opens an optional value.
    pub fn open_optional(
        &self,
        tenant: &str,
        column: SealedColumn,
        row: &str,
        sealed: Option<&[u8]>,
    ) -> Result<Option<String>, StoreError> {
        sealed.map(|s| self.open_text(tenant, column, row, s)).transpose()
    }

    /// Reads the keys again when the key file changed since they were read.
    fn follow_rotation(&self) {
        let version = self.source.version();
        let mut read = self.read_version.lock().expect("key version");
        if version == *read {
            return;
        }
        match self.source.read() {
            Ok(ring) => {
                tracing::info!(active = %ring.active(), "read the master keys again: the key file changed");
                self.replace(ring);
                *read = version;
            }
            Err(error) => tracing::warn!(%error, "the changed key file cannot be read; sealing with the keys in use"),
        }
    }

    /// Reads the keys again because a value names key `id`; fails when
    /// the source does not hold it either.
    fn reload_for(&self, id: &str) -> Result<(), StoreError> {
        let ring = self.source.read()?;
        if !ring.has(id) {
            return Err(StoreError::MissingKey(id.to_owned()));
        }
        tracing::info!(key = %id, "read the master keys again: another flowauth rotated them");
        self.replace(ring);
        Ok(())
    }
}
