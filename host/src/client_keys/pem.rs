//! An admin's private key file: PKCS#8 PEM (`BEGIN PRIVATE KEY`), RSA of at
//! least 2048 bits or EC P-256. Every other file is refused with what it is
//! and how to turn it into one flowauth takes.

use p256::pkcs8::{DecodePrivateKey, EncodePrivateKey, LineEnding, ObjectIdentifier, PrivateKeyInfo};
use rsa::traits::PublicKeyParts;

/// The smallest RSA key accepted (RFC 7518 3.3).
pub const MIN_RSA_BITS: usize = 2048;

const RSA_ENCRYPTION: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
const EC_PUBLIC_KEY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
const P256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
const P384: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.34");
const P521: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.35");
const ED25519: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.112");

/// How to convert a key in another PEM form.
const TO_PKCS8: &str = "convert it with `openssl pkcs8 -topk8 -nocrypt -in key.pem -out key.pk8.pem`";

/// A private key flowauth signs with.
pub enum PrivateKey {
    /// RS256.
    Rsa(Box<rsa::RsaPrivateKey>),
    /// ES256.
    P256(p256::SecretKey),
}

impl PrivateKey {
    /// Its algorithm.
    pub fn algorithm(&self) -> super::Algorithm {
        match self {
            Self::Rsa(_) => super::Algorithm::Rs256,
            Self::P256(_) => super::Algorithm::Es256,
        }
    }

    /// The key as PKCS#8 PEM, written the same way whatever file it came from.
    pub fn to_pem(&self) -> String {
        let pem = match self {
            Self::Rsa(key) => key.to_pkcs8_pem(LineEnding::LF),
            Self::P256(key) => key.to_pkcs8_pem(LineEnding::LF),
        };
        pem.expect("a valid key encodes").to_string()
    }
}

/// Reads a PEM private key, or says what the file is instead.
pub fn read(text: &str) -> Result<PrivateKey, String> {
    let (label, der) = p256::pkcs8::der::pem::decode_vec(text.trim().as_bytes())
        .map_err(|_| "not a PEM file: give a private key in PKCS#8 PEM (-----BEGIN PRIVATE KEY-----)".to_owned())?;
    match label {
        "PRIVATE KEY" => {}
        "RSA PRIVATE KEY" => return Err(format!("a PKCS#1 RSA key (BEGIN RSA PRIVATE KEY): {TO_PKCS8}")),
        "EC PRIVATE KEY" => return Err(format!("a SEC1 EC key (BEGIN EC PRIVATE KEY): {TO_PKCS8}")),
        "ENCRYPTED PRIVATE KEY" => {
            return Err("an encrypted key: decrypt it with `openssl pkcs8 -in key.pem -out key.pk8.pem`".into());
        }
        "PUBLIC KEY" | "CERTIFICATE" => {
            return Err(format!(
                "a {}, not a private key: give the private key (BEGIN PRIVATE KEY)",
                label.to_lowercase()
            ));
        }
        other => return Err(format!("a PEM {other:?}, not a private key: give a PKCS#8 key (BEGIN PRIVATE KEY)")),
    }
    let info = PrivateKeyInfo::try_from(der.as_slice()).map_err(|e| format!("not a PKCS#8 private key: {e}"))?;
    let oid = info.algorithm.oid;
    let curve = info.algorithm.parameters_oid().ok();
    match (oid, curve) {
        (RSA_ENCRYPTION, _) => rsa_key(&der),
        (EC_PUBLIC_KEY, Some(P256)) => p256::SecretKey::from_pkcs8_der(&der)
            .map(PrivateKey::P256)
            .map_err(|e| format!("not a valid P-256 private key: {e}")),
        (EC_PUBLIC_KEY, Some(curve)) if curve == P384 || curve == P521 => {
            Err(unsupported(if curve == P384 { "an EC P-384 key" } else { "an EC P-521 key" }))
        }
        (EC_PUBLIC_KEY, _) => Err(unsupported("an EC key on a curve other than P-256")),
        (ED25519, _) => Err(unsupported("an Ed25519 key")),
        (other, _) => Err(unsupported(&format!("a key of algorithm {other}"))),
    }
}

fn rsa_key(der: &[u8]) -> Result<PrivateKey, String> {
    let key = rsa::RsaPrivateKey::from_pkcs8_der(der).map_err(|e| format!("not a valid RSA private key: {e}"))?;
    key.validate().map_err(|e| format!("not a valid RSA private key: {e}"))?;
    let bits = key.size() * 8;
    if bits < MIN_RSA_BITS {
        return Err(format!(
            "an RSA key of {bits} bits: RS256 needs at least {MIN_RSA_BITS} (`openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048`)"
        ));
    }
    Ok(PrivateKey::Rsa(Box::new(key)))
}

fn unsupported(what: &str) -> String {
    format!(
        "{what} is not supported: flowauth signs with RS256 (an RSA key) or ES256 (an EC P-256 key), \
         e.g. `openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256`"
    )
}
