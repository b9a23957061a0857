//! The `credentials` import: `private_key_jwt` client assertions (RFC 7523)
//! signed with the provider's key, which only the host holds.

use std::time::{SystemTime, UNIX_EPOCH};

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use rand::RngCore;
use serde::Serialize;

/// Why a call without a key lent cannot sign (the token service lends each
/// provider's key, or says which command sets one).
pub const NO_KEY: &str = "flowauth holds no private key for this provider: configure one for private_key_jwt";

/// How long an assertion is valid: long enough to reach the token endpoint.
const LIFETIME_SECONDS: u64 = 60;

/// A provider's private key, ready to sign RS256 or ES256 client assertions.
#[derive(Clone)]
pub struct SigningKey {
    key: EncodingKey,
    algorithm: Algorithm,
    key_id: String,
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
    /// A key for `algorithm` (`RS256` or `ES256`) from its PKCS#8 PEM;
    /// `key_id` is the `kid` header the provider picks the public key by.
    pub fn new(algorithm: &str, pem: &str, key_id: &str) -> Result<Self, String> {
        let (algorithm, key) = match algorithm {
            "RS256" => (Algorithm::RS256, EncodingKey::from_rsa_pem(pem.as_bytes())),
            "ES256" => (Algorithm::ES256, EncodingKey::from_ec_pem(pem.as_bytes())),
            other => return Err(format!("provider keys sign with RS256 or ES256, not {other}")),
        };
        let key = key.map_err(|e| format!("the provider key does not load: {e}"))?;
        Ok(Self { key, algorithm, key_id: key_id.to_owned() })
    }

    /// The `kid` its assertions carry.
    pub fn key_id(&self) -> &str {
        &self.key_id
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
        let mut header = Header::new(self.algorithm);
        header.kid = Some(self.key_id.clone());
        jsonwebtoken::encode(&header, &claims, &self.key)
            .map_err(|e| format!("signing the client assertion failed: {e}"))
    }
}
