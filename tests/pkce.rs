//! The host's PKCE against RFC 7636 Appendix B.

use flowauth::pkce;

#[test]
fn rfc7636_appendix_b() {
    assert_eq!(
        pkce::challenge_s256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
        "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    );
}

#[test]
fn fresh_pairs_match_and_differ() {
    let (verifier, challenge) = pkce::new_pair();
    assert_eq!(verifier.len(), 43);
    assert_eq!(pkce::challenge_s256(&verifier), challenge);
    assert_ne!(pkce::new_pair().0, verifier);
}
