//! New provider keys, for `rotate`: RSA 2048 for RS256, P-256 for ES256,
//! from the operating system's random source.

use rsa::rand_core::OsRng;

use super::Algorithm;
use super::pem::{MIN_RSA_BITS, PrivateKey};

/// A fresh key for `algorithm`.
pub fn new_key(algorithm: Algorithm) -> Result<PrivateKey, String> {
    match algorithm {
        Algorithm::Rs256 => rsa::RsaPrivateKey::new(&mut OsRng, MIN_RSA_BITS)
            .map(|key| PrivateKey::Rsa(Box::new(key)))
            .map_err(|e| format!("making an RSA key failed: {e}")),
        Algorithm::Es256 => Ok(PrivateKey::P256(p256::SecretKey::random(&mut OsRng))),
    }
}
