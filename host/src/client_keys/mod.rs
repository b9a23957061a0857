//! Providers' private keys for `private_key_jwt` (RFC 7523): reading an
//! admin's PKCS#8 PEM ([`pem`]), making a new key ([`generate`]) and the
//! public JWK an identity provider registers, with its RFC 7638 thumbprint
//! as `kid` ([`jwk`]), and what admins do with them ([`service`]). The
//! store seals the PEM; only signing opens it.

pub mod generate;
pub mod jwk;
pub mod pem;
mod service;

pub use service::{KeyReport, KeyService, jwks_path};

use std::fmt;

/// The signature algorithms a provider key may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Algorithm {
    /// RSASSA-PKCS1-v1_5 with SHA-256, an RSA key of at least 2048 bits.
    Rs256,
    /// ECDSA on P-256 with SHA-256.
    Es256,
}

impl Algorithm {
    /// The JOSE name (`RS256`, `ES256`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Rs256 => "RS256",
            Self::Es256 => "ES256",
        }
    }

    /// Reads a JOSE name, in any case.
    pub fn parse(name: &str) -> Result<Self, String> {
        match name.trim().to_ascii_uppercase().as_str() {
            "RS256" => Ok(Self::Rs256),
            "ES256" => Ok(Self::Es256),
            _ => Err(format!("algorithm {name:?}: use RS256 (an RSA key) or ES256 (a P-256 key)")),
        }
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A private key read or made, with what is public about it.
#[derive(Clone)]
pub struct ProviderKey {
    /// How it signs.
    pub algorithm: Algorithm,
    /// The RFC 7638 thumbprint of [`public_jwk`](Self::public_jwk).
    pub kid: String,
    /// The public key as a JWK, with `kid`, `alg` and `use`.
    pub public_jwk: serde_json::Value,
    /// The private key as PKCS#8 PEM: sealed at rest, never shown.
    pub pem: String,
}

impl fmt::Debug for ProviderKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProviderKey")
            .field("algorithm", &self.algorithm)
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

impl ProviderKey {
    /// Reads an admin's PKCS#8 PEM private key (RSA or P-256).
    pub fn from_pem(pem: &str) -> Result<Self, String> {
        let private = pem::read(pem)?;
        Ok(Self::of(private))
    }

    /// A new key for `algorithm`.
    pub fn generate(algorithm: Algorithm) -> Result<Self, String> {
        Ok(Self::of(generate::new_key(algorithm)?))
    }

    fn of(private: pem::PrivateKey) -> Self {
        let (kid, public_jwk) = jwk::public(&private);
        Self { algorithm: private.algorithm(), kid, public_jwk, pem: private.to_pem() }
    }
}
