//! The `credentials` import: `private_key_jwt` client assertions (RFC 7523)
//! signed with a key only the host holds.

use std::time::{SystemTime, UNIX_EPOCH};

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use rand::RngCore;
use serde::Serialize;

/// How long an assertion is valid: long enough to reach the token endpoint.
const LIFETIME_SECONDS: u64 = 60;

/// An RSA private key for RS256 client assertions.
#[derive(Clone)]
pub struct SigningKey {
    key: EncodingKey,
    key_id: Option<String>,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey").field("key_id", &self.key_id).finish_non_exhaustive()
    }
}

#[derive(Serialize)]
struct Claims<'a> {
    iss: &'a str,
    sub: &'a str,
    aud: &'a str,
    jti: String,
    iat: u64,
    exp: u64,
}

impl SigningKey {
    /// Reads a PEM RSA private key (PKCS#1 or PKCS#8); `key_id` becomes the
    /// `kid` header when the provider needs it to pick the public key.
    pub fn from_pem(pem: &[u8], key_id: Option<String>) -> Result<Self, String> {
        let key = EncodingKey::from_rsa_pem(pem).map_err(|e| format!("not a PEM RSA private key: {e}"))?;
        Ok(Self { key, key_id })
    }

    /// A signed assertion: issuer and subject `client_id`, audience
    /// `audience`, a random `jti` and a one-minute lifetime.
    pub fn client_assertion(&self, client_id: &str, audience: &str) -> Result<String, String> {
        let now = SystemTime::now().duration_since(UNIX_EPOCH).map_err(|e| e.to_string())?.as_secs();
        let mut jti = [0u8; 16];
        rand::rng().fill_bytes(&mut jti);
        let claims = Claims {
            iss: client_id,
            sub: client_id,
            aud: audience,
            jti: hex::encode(jti),
            iat: now,
            exp: now + LIFETIME_SECONDS,
        };
        let mut header = Header::new(Algorithm::RS256);
        header.kid = self.key_id.clone();
        jsonwebtoken::encode(&header, &claims, &self.key)
            .map_err(|e| format!("signing the client assertion failed: {e}"))
    }
}
