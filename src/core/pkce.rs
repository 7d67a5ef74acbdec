//! Proof Key for Code Exchange with the `S256` method ([RFC 7636]).
//!
//! [RFC 7636]: https://www.rfc-editor.org/rfc/rfc7636

use super::base64url;
use std::fmt;

/// A PKCE code verifier. Not `Clone`: it exists once, travels in the transaction
/// and is consumed by the token request. `Debug` is redacted.
#[derive(PartialEq, Eq)]
pub struct CodeVerifier(String);

impl CodeVerifier {
    /// A verifier from 32 random bytes, base64url-encoded to 43 characters
    /// ([RFC 7636 §4.1]: 256 bits of entropy, 43–128 unreserved characters).
    ///
    /// [RFC 7636 §4.1]: https://www.rfc-editor.org/rfc/rfc7636#section-4.1
    pub fn from_random(bytes: [u8; 32]) -> Self {
        CodeVerifier(base64url::encode(&bytes))
    }

    /// Restores a stored verifier; `None` unless it has the [RFC 7636 §4.1] form.
    ///
    /// [RFC 7636 §4.1]: https://www.rfc-editor.org/rfc/rfc7636#section-4.1
    pub fn parse(s: &str) -> Option<Self> {
        let ok = (43..=128).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'));
        ok.then(|| CodeVerifier(s.to_owned()))
    }

    /// The verifier itself, for the token request and the stored transaction.
    pub fn secret(&self) -> &str {
        &self.0
    }
}

/// A verifier with its `S256` challenge, ready for the authorization request.
#[derive(Debug)]
pub struct Pkce {
    /// The verifier, kept for the token request.
    pub verifier: CodeVerifier,
    /// `BASE64URL(SHA256(ASCII(code_verifier)))` ([RFC 7636 §4.2]).
    ///
    /// [RFC 7636 §4.2]: https://www.rfc-editor.org/rfc/rfc7636#section-4.2
    pub challenge: String,
}

impl Pkce {
    /// Pairs a verifier with its challenge, given `SHA-256(ASCII(verifier))`
    /// ([`crate::core::hash::sha256`], in the engine).
    pub fn s256(verifier: CodeVerifier, sha256_of_verifier: &[u8]) -> Pkce {
        Pkce { challenge: base64url::encode(sha256_of_verifier), verifier }
    }
}

impl fmt::Debug for CodeVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CodeVerifier([redacted])")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sha2::{Digest, Sha256};

    /// RFC 7636 Appendix B.
    #[test]
    fn rfc7636_appendix_b() {
        let bytes = [
            116, 24, 223, 180, 151, 153, 224, 37, 79, 250, 96, 125, 216, 173, 187, 186, 22, 212, 37, 77, 105, 214, 191, 240, 91, 88, 5, 88,
            83, 132, 141, 121,
        ];
        let v = CodeVerifier::from_random(bytes);
        assert_eq!(v.secret(), "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk");
        assert_eq!(format!("{v:?}"), "CodeVerifier([redacted])");
        let digest = Sha256::digest(v.secret());
        let pkce = Pkce::s256(v, &digest);
        assert_eq!(pkce.challenge, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
    }

    #[test]
    fn parse_enforces_the_grammar() {
        assert!(CodeVerifier::parse("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk").is_some());
        assert!(CodeVerifier::parse("short").is_none());
        assert!(CodeVerifier::parse(&"a".repeat(129)).is_none());
        assert!(CodeVerifier::parse(&format!("{}+", "a".repeat(43))).is_none());
    }
}
