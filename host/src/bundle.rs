//! The sealed envelope of an export bundle (docs/BUNDLES.md): what moves a
//! tenant between instances travels sealed with a passphrase the admin
//! chooses, never in plain text. AES-256-GCM under a key Argon2id derives
//! from the passphrase and a random salt; the header (format version,
//! tenant, derivation parameters) is in plain sight and bound to the
//! ciphertext as associated data, and a check value derived from the same
//! key tells a wrong passphrase from a bundle changed after export.
//! This module knows nothing of what the bundle holds.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use argon2::{Algorithm, Argon2, Params, Version};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// What a bundle's `format` says.
pub const FORMAT: &str = "flowauth-bundle";
/// The newest format version this flowauth writes and reads.
pub const VERSION: u64 = 1;
/// The shortest passphrase an export accepts.
pub const MIN_PASSPHRASE_CHARS: usize = 12;
/// The largest bundle an import reads.
pub const MAX_BUNDLE_BYTES: usize = 16 << 20;

const KDF: &str = "argon2id";
const CIPHER: &str = "aes-256-gcm";
const SALT_LEN: usize = 16;
const NONCE_LEN: usize = 12;
/// The most memory (KiB) and passes a bundle may ask an import to spend
/// deriving its key: a hostile header cannot exhaust the importing host.
const MAX_MEMORY_KIB: u32 = 1 << 20;
const MAX_ITERATIONS: u32 = 16;
const MAX_PARALLELISM: u32 = 16;

/// What Argon2id spends deriving a key. [`Cost::DEFAULT`] is OWASP's
/// recommendation (19 MiB, 2 passes, 1 lane).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cost {
    /// Memory in KiB.
    pub memory_kib: u32,
    /// Passes over the memory.
    pub iterations: u32,
    /// Lanes.
    pub parallelism: u32,
}

impl Cost {
    /// The cost of every export.
    pub const DEFAULT: Cost = Cost { memory_kib: 19 * 1024, iterations: 2, parallelism: 1 };
}

/// The plain-text header: what the bundle is, and how to derive its key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Header {
    /// The tenant it was exported from (the import's default target).
    pub tenant: String,
    /// Whether it holds tokens.
    pub with_tokens: bool,
    /// Unix seconds of the export.
    pub created_at: i64,
    /// The flowauth version that wrote it.
    pub flowauth_version: String,
    /// How the key is derived.
    pub kdf: Kdf,
    /// Always `aes-256-gcm`.
    pub cipher: String,
}

/// The key derivation's parameters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Kdf {
    /// Always `argon2id`.
    pub algorithm: String,
    /// Its cost.
    #[serde(flatten)]
    pub cost: Cost,
    /// The random salt, base64.
    pub salt: String,
}

/// The whole bundle as written.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Envelope {
    format: String,
    version: u64,
    header: Header,
    /// Derived from the key: tells a wrong passphrase from a damaged bundle.
    check: String,
    nonce: String,
    ciphertext: String,
}

/// Why a bundle cannot be sealed or opened.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SealError {
    /// The passphrase is too short to protect the secrets.
    #[error(
        "the passphrase has {0} characters: use at least {MIN_PASSPHRASE_CHARS} (a random one is best, e.g. `openssl rand -base64 24`)"
    )]
    WeakPassphrase(usize),
    /// Not a bundle, or cut short.
    #[error("{0}")]
    NotABundle(String),
    /// Written by a newer flowauth.
    #[error(
        "the bundle has format version {0}, and this flowauth reads versions up to {VERSION}: upgrade flowauth here to the version that exported it (or a newer one), then import again"
    )]
    TooNew(u64),
    /// The passphrase is not the one it was exported with.
    #[error(
        "wrong passphrase: the bundle does not open with it; give the passphrase it was exported with (--passphrase-file FILE or FLOWAUTH_BUNDLE_PASSPHRASE)"
    )]
    WrongPassphrase,
    /// The passphrase is right but the contents or header changed.
    #[error(
        "the bundle is damaged or was changed after export (its contents do not match its seal): export it again from the source"
    )]
    Damaged,
}

/// The key and the check value of a passphrase under a header's parameters.
fn derive(passphrase: &str, kdf: &Kdf) -> Result<(Aes256Gcm, String), SealError> {
    let cost = kdf.cost;
    if cost.memory_kib > MAX_MEMORY_KIB || cost.iterations > MAX_ITERATIONS || cost.parallelism > MAX_PARALLELISM {
        return Err(SealError::NotABundle(format!(
            "the bundle asks for a key derivation of {} KiB, {} passes, {} lanes: more than flowauth spends \
             ({MAX_MEMORY_KIB} KiB, {MAX_ITERATIONS}, {MAX_PARALLELISM}); it was not written by flowauth",
            cost.memory_kib, cost.iterations, cost.parallelism
        )));
    }
    let salt = STANDARD.decode(&kdf.salt).map_err(|_| SealError::Damaged)?;
    let params = Params::new(cost.memory_kib, cost.iterations, cost.parallelism, Some(64))
        .map_err(|e| SealError::NotABundle(format!("the bundle's key derivation parameters are not valid: {e}")))?;
    let mut derived = [0u8; 64];
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
        .hash_password_into(passphrase.as_bytes(), &salt, &mut derived)
        .map_err(|e| SealError::NotABundle(format!("the bundle's salt is not valid: {e}")))?;
    let (key, check) = derived.split_at(32);
    let key: [u8; 32] = key.try_into().expect("32 of 64 bytes");
    let cipher = Aes256Gcm::new(&Key::<Aes256Gcm>::from(key));
    let check = STANDARD.encode(Sha256::new().chain_update(b"flowauth-bundle check").chain_update(check).finalize());
    Ok((cipher, check))
}

/// The associated data: the format, its version and the header, so that
/// none of them can change without the bundle failing to open.
fn associated_data(version: u64, header: &Header) -> Vec<u8> {
    let mut aad = format!("{FORMAT} {version}\n").into_bytes();
    aad.extend(serde_json::to_vec(header).expect("a header serializes"));
    aad
}

/// Seals `plaintext` into a bundle for `tenant`: its JSON text.
pub fn seal(
    passphrase: &str,
    tenant: &str,
    with_tokens: bool,
    plaintext: &[u8],
    cost: Cost,
) -> Result<String, SealError> {
    let chars = passphrase.chars().count();
    if chars < MIN_PASSPHRASE_CHARS {
        return Err(SealError::WeakPassphrase(chars));
    }
    let mut salt = [0u8; SALT_LEN];
    let mut nonce = [0u8; NONCE_LEN];
    rand::rng().fill_bytes(&mut salt);
    rand::rng().fill_bytes(&mut nonce);
    let header = Header {
        tenant: tenant.to_owned(),
        with_tokens,
        created_at: crate::store::now(),
        flowauth_version: env!("CARGO_PKG_VERSION").to_owned(),
        kdf: Kdf { algorithm: KDF.into(), cost, salt: STANDARD.encode(salt) },
        cipher: CIPHER.into(),
    };
    let (cipher, check) = derive(passphrase, &header.kdf)?;
    let aad = associated_data(VERSION, &header);
    let ciphertext = cipher
        .encrypt(&Nonce::from(nonce), Payload { msg: plaintext, aad: &aad })
        .expect("AES-GCM encryption of an in-memory buffer cannot fail");
    let envelope = Envelope {
        format: FORMAT.into(),
        version: VERSION,
        header,
        check,
        nonce: STANDARD.encode(nonce),
        ciphertext: STANDARD.encode(ciphertext),
    };
    Ok(serde_json::to_string_pretty(&envelope).expect("an envelope serializes") + "\n")
}

/// Opens a bundle: its header and what it holds.
pub fn open(passphrase: &str, bundle: &[u8]) -> Result<(Header, Vec<u8>), SealError> {
    let envelope = parse(bundle)?;
    if envelope.header.kdf.algorithm != KDF || envelope.header.cipher != CIPHER {
        return Err(SealError::NotABundle(format!(
            "the bundle is sealed with {} and {}; flowauth writes {KDF} and {CIPHER}",
            envelope.header.kdf.algorithm, envelope.header.cipher
        )));
    }
    let (cipher, check) = derive(passphrase, &envelope.header.kdf)?;
    if check != envelope.check {
        return Err(SealError::WrongPassphrase);
    }
    let nonce: [u8; NONCE_LEN] =
        STANDARD.decode(&envelope.nonce).ok().and_then(|n| n.try_into().ok()).ok_or(SealError::Damaged)?;
    let ciphertext = STANDARD.decode(&envelope.ciphertext).map_err(|_| SealError::Damaged)?;
    let aad = associated_data(envelope.version, &envelope.header);
    let plaintext =
        cipher.decrypt(&Nonce::from(nonce), Payload { msg: &ciphertext, aad: &aad }).map_err(|_| SealError::Damaged)?;
    Ok((envelope.header, plaintext))
}

/// The envelope, once its format and version are ones this flowauth reads.
fn parse(bundle: &[u8]) -> Result<Envelope, SealError> {
    let not_a_bundle = |why: String| SealError::NotABundle(format!("not a flowauth bundle: {why}"));
    let value: serde_json::Value = serde_json::from_slice(bundle).map_err(|e| {
        if e.is_eof() {
            SealError::NotABundle(format!(
                "the bundle ends early ({} bytes): it was cut short; copy the whole file again",
                bundle.len()
            ))
        } else {
            not_a_bundle(format!("{e} (a bundle is the JSON `flowauth export` writes)"))
        }
    })?;
    if value.get("format").and_then(|f| f.as_str()) != Some(FORMAT) {
        return Err(not_a_bundle(format!("its \"format\" is not {FORMAT:?}")));
    }
    let version = value
        .get("version")
        .and_then(|v| v.as_u64())
        .filter(|v| *v >= 1)
        .ok_or_else(|| not_a_bundle("its \"version\" is not a positive whole number".into()))?;
    if version > VERSION {
        return Err(SealError::TooNew(version));
    }
    serde_json::from_value(value).map_err(|e| not_a_bundle(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Cheap enough for unit tests; exports use [`Cost::DEFAULT`].
    const CHEAP: Cost = Cost { memory_kib: 64, iterations: 1, parallelism: 1 };
    const PASSPHRASE: &str = "correct horse battery staple";

    fn sealed() -> String {
        seal(PASSPHRASE, "acme", true, b"{\"secret\": \"s3cret\"}", CHEAP).unwrap()
    }

    #[test]
    fn a_sealed_bundle_opens_with_its_passphrase_and_shows_no_plaintext() {
        let bundle = sealed();
        assert!(!bundle.contains("s3cret"), "{bundle}");
        let (header, plaintext) = open(PASSPHRASE, bundle.as_bytes()).unwrap();
        assert_eq!((header.tenant.as_str(), header.with_tokens), ("acme", true));
        assert_eq!(plaintext, b"{\"secret\": \"s3cret\"}");
    }

    #[test]
    fn a_wrong_passphrase_is_told_from_a_changed_bundle() {
        let bundle = sealed();
        assert_eq!(open("another passphrase", bundle.as_bytes()).unwrap_err(), SealError::WrongPassphrase);
        let mut value: serde_json::Value = serde_json::from_str(&bundle).unwrap();
        value["header"]["tenant"] = "other".into();
        assert_eq!(open(PASSPHRASE, value.to_string().as_bytes()).unwrap_err(), SealError::Damaged);
        let mut value: serde_json::Value = serde_json::from_str(&bundle).unwrap();
        let ciphertext = value["ciphertext"].as_str().unwrap();
        let flipped = if ciphertext.starts_with('A') { "B" } else { "A" };
        value["ciphertext"] = format!("{flipped}{}", &ciphertext[1..]).into();
        assert_eq!(open(PASSPHRASE, value.to_string().as_bytes()).unwrap_err(), SealError::Damaged);
    }

    #[test]
    fn a_truncated_or_newer_bundle_says_so() {
        let bundle = sealed();
        let cut = open(PASSPHRASE, &bundle.as_bytes()[..bundle.len() / 2]).unwrap_err().to_string();
        assert!(cut.contains("cut short"), "{cut}");
        let mut value: serde_json::Value = serde_json::from_str(&bundle).unwrap();
        value["version"] = 2.into();
        value["header"]["something_new"] = true.into();
        assert_eq!(open(PASSPHRASE, value.to_string().as_bytes()).unwrap_err(), SealError::TooNew(2));
    }

    #[test]
    fn a_short_passphrase_or_a_ruinous_cost_is_refused() {
        assert_eq!(seal("short", "acme", false, b"{}", CHEAP).unwrap_err(), SealError::WeakPassphrase(5));
        let mut value: serde_json::Value = serde_json::from_str(&sealed()).unwrap();
        value["header"]["kdf"]["memory_kib"] = (MAX_MEMORY_KIB + 1).into();
        let refused = open(PASSPHRASE, value.to_string().as_bytes()).unwrap_err().to_string();
        assert!(refused.contains("more than flowauth spends"), "{refused}");
    }
}
