//! The public half of a provider key as a JWK (RFC 7517), for the admin to
//! register at the identity provider and for the JWKS document, and its
//! RFC 7638 thumbprint, which is the key's `kid`: derived from the key, so
//! the same key always has the same id.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use p256::elliptic_curve::sec1::ToEncodedPoint;
use rsa::traits::PublicKeyParts;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::pem::PrivateKey;

/// The key's `kid` and public JWK (`kid`, `alg` and `use: sig` included).
pub fn public(key: &PrivateKey) -> (String, Value) {
    let b64 = |bytes: &[u8]| URL_SAFE_NO_PAD.encode(bytes);
    // The required members only, in lexicographic order, as RFC 7638 hashes them.
    let members = match key {
        PrivateKey::Rsa(key) => {
            json!({"e": b64(&key.e().to_bytes_be()), "kty": "RSA", "n": b64(&key.n().to_bytes_be())})
        }
        PrivateKey::P256(key) => {
            let point = key.public_key().to_encoded_point(false);
            let (x, y) = (point.x().expect("an uncompressed point"), point.y().expect("an uncompressed point"));
            json!({"crv": "P-256", "kty": "EC", "x": b64(x), "y": b64(y)})
        }
    };
    let kid = thumbprint(&members);
    let mut jwk = members;
    jwk["kid"] = json!(kid);
    jwk["alg"] = json!(key.algorithm().as_str());
    jwk["use"] = json!("sig");
    (kid, jwk)
}

/// RFC 7638: SHA-256 of the required members written without whitespace,
/// keys sorted (serde_json's maps are sorted), base64url.
fn thumbprint(members: &Value) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(members.to_string().as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_thumbprint_is_rfc_7638s_example() {
        // RFC 7638 section 3.1.
        let n = "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw";
        let members = json!({"e": "AQAB", "kty": "RSA", "n": n});
        assert_eq!(thumbprint(&members), "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
    }
}
