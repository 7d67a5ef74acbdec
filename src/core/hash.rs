//! SHA-2 for the PKCE S256 challenge (RFC 7636 §4.2), `c_hash` and `at_hash`
//! (OIDC Core 3.3.2.11) and the refresh-token fingerprint, computed in the engine with
//! the `sha2` crate so that no step waits for `crypto.subtle.digest`.

use super::jws::Alg;
use sha2::{Digest, Sha256, Sha384, Sha512};

/// SHA-256 of `data`.
pub fn sha256(data: &[u8]) -> Vec<u8> {
    Sha256::digest(data).to_vec()
}

/// The digest of `data` under the hash "used in the alg Header Parameter" of an ID token
/// (OIDC Core 3.3.2.11): SHA-256, SHA-384, or SHA-512 for Ed25519.
pub fn digest(alg: Alg, data: &[u8]) -> Vec<u8> {
    match alg {
        Alg::RS256 | Alg::PS256 | Alg::ES256 => Sha256::digest(data).to_vec(),
        Alg::ES384 => Sha384::digest(data).to_vec(),
        Alg::EdDSA => Sha512::digest(data).to_vec(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fips_180_vectors() {
        let hex = |d: Vec<u8>| d.iter().map(|b| format!("{b:02x}")).collect::<String>();
        assert_eq!(hex(sha256(b"abc")), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        assert_eq!(digest(Alg::ES384, b"abc").len(), 48);
        assert!(hex(digest(Alg::EdDSA, b"abc")).starts_with("ddaf35a193617aba"));
    }
}
