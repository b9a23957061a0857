//! Sealing secrets at rest with AES-256-GCM. Each ciphertext carries the id
//! of its key, and its associated data binds it to one tenant, table, row
//! and column: a ciphertext copied elsewhere does not open.

use std::collections::BTreeMap;

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use rand::RngCore;

use crate::store::StoreError;

/// Format version of sealed values.
const VERSION: u8 = 1;
const NONCE_LEN: usize = 12;

/// Where a sealed value lives; the associated data of its ciphertext.
#[derive(Debug, Clone, Copy)]
pub struct Place<'a> {
    pub tenant: &'a str,
    pub table: &'a str,
    pub row: &'a str,
    pub column: &'a str,
}

impl Place<'_> {
    fn aad(&self) -> Vec<u8> {
        format!("flowauth/v1\0{}\0{}\0{}\0{}", self.tenant, self.table, self.row, self.column).into_bytes()
    }
}

/// The master keys: the active one seals, any of them opens.
#[derive(Clone)]
pub struct KeyRing {
    active: String,
    keys: BTreeMap<String, Aes256Gcm>,
}

impl std::fmt::Debug for KeyRing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyRing").field("active", &self.active).field("ids", &self.keys.keys()).finish()
    }
}

impl KeyRing {
    /// A ring of `(id, 32-byte key)` pairs; `active` must be among them.
    pub fn new(active: &str, keys: &[(String, [u8; 32])]) -> Self {
        let keys = keys.iter().map(|(id, key)| (id.clone(), Aes256Gcm::new(&Key::<Aes256Gcm>::from(*key)))).collect();
        Self { active: active.to_owned(), keys }
    }

    /// The id of the key that seals.
    pub fn active(&self) -> &str {
        &self.active
    }

    /// Whether the ring holds this key id.
    pub fn has(&self, id: &str) -> bool {
        self.keys.contains_key(id)
    }

    /// Encrypts `plaintext` for `place` with the active key.
    pub fn seal(&self, place: Place, plaintext: &[u8]) -> Vec<u8> {
        let cipher = &self.keys[&self.active];
        let mut nonce = [0u8; NONCE_LEN];
        rand::rng().fill_bytes(&mut nonce);
        let aad = place.aad();
        let ciphertext = cipher
            .encrypt(&Nonce::from(nonce), Payload { msg: plaintext, aad: &aad })
            .expect("AES-GCM encryption of an in-memory buffer cannot fail");
        let mut out = Vec::with_capacity(2 + self.active.len() + NONCE_LEN + ciphertext.len());
        out.push(VERSION);
        out.push(self.active.len() as u8);
        out.extend_from_slice(self.active.as_bytes());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&ciphertext);
        out
    }

    /// Decrypts a value sealed for `place`.
    pub fn open(&self, place: Place, sealed: &[u8]) -> Result<Vec<u8>, StoreError> {
        let broken =
            || StoreError::Sealed(format!("{}.{} of row {} cannot be opened", place.table, place.column, place.row));
        let key_id = key_id(sealed).ok_or_else(broken)?;
        let cipher = self.keys.get(key_id).ok_or_else(|| StoreError::MissingKey(key_id.to_owned()))?;
        let start = 2 + key_id.len();
        let nonce: [u8; NONCE_LEN] =
            sealed.get(start..start + NONCE_LEN).and_then(|n| n.try_into().ok()).ok_or_else(broken)?;
        let aad = place.aad();
        cipher
            .decrypt(&Nonce::from(nonce), Payload { msg: &sealed[start + NONCE_LEN..], aad: &aad })
            .map_err(|_| broken())
    }

    /// Text sealed with [`seal`](Self::seal).
    pub fn open_text(&self, place: Place, sealed: &[u8]) -> Result<String, StoreError> {
        String::from_utf8(self.open(place, sealed)?)
            .map_err(|_| StoreError::Sealed(format!("{}.{} is not text", place.table, place.column)))
    }
}

/// The key id a sealed value names.
pub fn key_id(sealed: &[u8]) -> Option<&str> {
    let (&version, rest) = sealed.split_first()?;
    let (&len, rest) = rest.split_first()?;
    if version != VERSION {
        return None;
    }
    std::str::from_utf8(rest.get(..len as usize)?).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn place(row: &str) -> Place<'_> {
        Place { tenant: "t1", table: "tokens", row, column: "access_token" }
    }

    #[test]
    fn seals_and_opens_only_in_place() {
        let ring = KeyRing::new("k1", &[("k1".into(), [7u8; 32])]);
        let sealed = ring.seal(place("a"), b"canary");
        assert!(!sealed.windows(6).any(|w| w == b"canary"));
        assert_eq!(ring.open(place("a"), &sealed).unwrap(), b"canary");
        assert!(ring.open(place("b"), &sealed).is_err(), "moved to another row");
        let other = KeyRing::new("k2", &[("k2".into(), [8u8; 32])]);
        assert!(matches!(other.open(place("a"), &sealed), Err(StoreError::MissingKey(id)) if id == "k1"));
    }
}
