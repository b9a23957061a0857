//! PKCE (RFC 7636) with the S256 method. The host owns the verifier: it
//! never enters a component, only the challenge does.

use oauth2::{PkceCodeChallenge, PkceCodeVerifier};

/// A fresh verifier (32 random bytes, base64url: 43 characters) and its
/// S256 challenge.
pub fn new_pair() -> (String, String) {
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    (verifier.secret().clone(), challenge.as_str().to_owned())
}

/// The S256 challenge of a verifier: base64url(sha256(verifier)).
pub fn challenge_s256(verifier: &str) -> String {
    let verifier = PkceCodeVerifier::new(verifier.to_owned());
    PkceCodeChallenge::from_code_verifier_sha256(&verifier).as_str().to_owned()
}
