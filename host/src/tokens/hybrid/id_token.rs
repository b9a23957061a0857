//! Checking an OpenID Connect ID token (OpenID Connect Core 3.3.2.12):
//! its signature with the IdP's key (RS256 or ES256 only; `none` and
//! shared-secret algorithms are refused), then `iss`, `aud` (and `azp`),
//! `exp`, `nonce` and, for a front-channel token, `c_hash` against the
//! code. Verification is `jsonwebtoken`'s; this module decides what to
//! demand and says what failed.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk, PublicKeyUse};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::Refusal;

/// The algorithms accepted for ID tokens.
pub const ALGORITHMS: [Algorithm; 2] = [Algorithm::RS256, Algorithm::ES256];

/// What a token must say.
#[derive(Debug, Clone, Copy)]
pub struct Expected<'a> {
    /// The provider's `ISSUER`.
    pub issuer: &'a str,
    /// The client the token must be for.
    pub client_id: &'a str,
    /// The nonce the authorization link carried.
    pub nonce: &'a str,
    /// The code it came with, for `c_hash` (front channel only).
    pub code: Option<&'a str>,
}

/// The header of a token: its algorithm and key id, before a key is chosen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signed {
    pub alg: Algorithm,
    pub kid: Option<String>,
}

/// What a verified token told about the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// The subject, to match the token endpoint's ID token against.
    pub sub: String,
}

fn invalid(message: String) -> Refusal {
    Refusal::new("invalid_id_token", message)
}

/// Reads the header; only RS256 and ES256 pass.
pub fn header(id_token: &str) -> Result<Signed, Refusal> {
    let header = jsonwebtoken::decode_header(id_token)
        .map_err(|e| invalid(format!("the id_token is not a signed JWT the host can read ({e})")))?;
    if !ALGORITHMS.contains(&header.alg) {
        return Err(invalid(format!(
            "the id_token is signed with {:?}: only RS256 and ES256 are accepted (set the client's \
             id_token_signed_response_alg at the IdP)",
            header.alg
        )));
    }
    Ok(Signed { alg: header.alg, kid: header.kid })
}

/// Whether `key` may verify a token signed with `alg`: a signing key
/// (`use` absent or `sig`) of the algorithm's type and curve, whose `alg`,
/// when given, is this one.
pub fn fits(key: &Jwk, alg: Algorithm) -> bool {
    let usable = key.common.public_key_use.as_ref().is_none_or(|u| *u == PublicKeyUse::Signature);
    let same_alg = key.common.key_algorithm.as_ref().is_none_or(|a| a.to_string() == format!("{alg:?}"));
    let kind = match (&key.algorithm, alg) {
        (AlgorithmParameters::RSA(_), Algorithm::RS256) => true,
        (AlgorithmParameters::EllipticCurve(ec), Algorithm::ES256) => ec.curve == EllipticCurve::P256,
        _ => false,
    };
    usable && same_alg && kind
}

/// Verifies `id_token` with `key` and checks its claims.
pub fn verify(id_token: &str, signed: &Signed, key: &Jwk, expected: Expected<'_>) -> Result<Verified, Refusal> {
    let decoding = DecodingKey::from_jwk(key).map_err(|e| {
        invalid(format!("the IdP's key {:?} cannot be used ({e})", signed.kid.as_deref().unwrap_or("-")))
    })?;
    let mut validation = Validation::new(signed.alg);
    validation.set_issuer(&[expected.issuer]);
    validation.set_audience(&[expected.client_id]);
    validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
    let claims = match jsonwebtoken::decode::<Value>(id_token, &decoding, &validation) {
        Ok(data) => data.claims,
        Err(error) => return Err(refused(error.kind(), id_token, expected)),
    };
    let text = |name: &str| claims.get(name).and_then(Value::as_str);
    let audiences = match &claims["aud"] {
        Value::Array(items) => items.len(),
        _ => 1,
    };
    match text("azp") {
        Some(azp) if azp != expected.client_id => {
            return Err(invalid(format!(
                "the id_token was issued to client {azp:?} (azp), not {:?}",
                expected.client_id
            )));
        }
        None if audiences > 1 => {
            return Err(invalid("the id_token names several audiences but no azp (authorized party)".into()));
        }
        _ => {}
    }
    match text("nonce") {
        Some(nonce) if nonce == expected.nonce => {}
        Some(_) => {
            return Err(Refusal::new(
                "invalid_nonce",
                "the id_token's nonce is not the one this authorization sent: a replayed or substituted \
                 response; start the authorization again"
                    .into(),
            ));
        }
        None => return Err(Refusal::new("invalid_nonce", "the id_token carries no nonce".into())),
    }
    if let Some(code) = expected.code {
        match text("c_hash") {
            Some(c_hash) if c_hash == code_hash(code) => {}
            Some(_) => {
                return Err(Refusal::new(
                    "invalid_c_hash",
                    "the id_token's c_hash does not match the code it came with: the code was substituted; \
                     start the authorization again"
                        .into(),
                ));
            }
            None => {
                return Err(Refusal::new(
                    "invalid_c_hash",
                    "the id_token carries no c_hash, which the hybrid flow requires".into(),
                ));
            }
        }
    }
    let sub = text("sub").unwrap_or_default().to_owned();
    Ok(Verified { sub })
}

/// `c_hash` of a code for RS256 and ES256: the left half of its SHA-256,
/// base64url without padding.
pub fn code_hash(code: &str) -> String {
    let digest = Sha256::digest(code.as_bytes());
    URL_SAFE_NO_PAD.encode(&digest[..16])
}

/// Words for a verification failure. The claims are read without trust,
/// only to say what the token named; the signature was checked first.
fn refused(kind: &ErrorKind, id_token: &str, expected: Expected<'_>) -> Refusal {
    let claims: Value = jsonwebtoken::dangerous::insecure_decode_claims(id_token).unwrap_or_default();
    let claim = |name: &str| claims.get(name).map(Value::to_string).unwrap_or_else(|| "nothing".into());
    invalid(match kind {
        ErrorKind::InvalidSignature => "the id_token's signature does not verify with the IdP's published key".into(),
        ErrorKind::ExpiredSignature => format!("the id_token expired (exp {})", claim("exp")),
        ErrorKind::InvalidIssuer => {
            format!("the id_token was issued by {}, not by the provider's ISSUER {:?}", claim("iss"), expected.issuer)
        }
        ErrorKind::InvalidAudience => {
            format!("the id_token is for audience {}, not for client {:?}", claim("aud"), expected.client_id)
        }
        ErrorKind::MissingRequiredClaim(name) => format!("the id_token has no {name} claim"),
        ErrorKind::InvalidAlgorithm => "the id_token's algorithm does not fit the IdP's key".into(),
        other => format!("the id_token cannot be verified ({other:?})"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_code_hash_is_the_left_half_of_its_sha256() {
        // OpenID Connect Core, appendix A.4 (the hybrid flow's example code and c_hash).
        assert_eq!(code_hash("Qcb0Orv1zh30vL1MPRsbm-diHiMwcLyZvn1arpZv-Jxf_11jnpEX3Tgfvk"), "LDktKdoQak3Pk0cnXxCltA");
    }

    #[test]
    fn an_unsigned_token_is_refused_before_any_key_is_looked_up() {
        let none = format!("{}.{}.", URL_SAFE_NO_PAD.encode(r#"{"alg":"none"}"#), URL_SAFE_NO_PAD.encode("{}"));
        assert_eq!(header(&none).unwrap_err().code, "invalid_id_token");
        let hmac = format!("{}.{}.c2ln", URL_SAFE_NO_PAD.encode(r#"{"alg":"HS256"}"#), URL_SAFE_NO_PAD.encode("{}"));
        let refused = header(&hmac).unwrap_err();
        assert!(refused.message.contains("only RS256 and ES256"), "{}", refused.message);
    }
}
