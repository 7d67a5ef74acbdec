//! SHA-256 for the PKCE S256 challenge (RFC 7636 §4.2), DPoP's `ath` (RFC 9449 §4.2) and
//! the refresh-token fingerprint, computed in the engine with the `sha2` crate so that no
//! step waits for `crypto.subtle.digest`. `c_hash` and `at_hash` (OIDC Core 3.3.2.11),
//! which may need SHA-384 or SHA-512, come from WebCrypto with the signature check they
//! wait for anyway: SHA-512's code and tables would cost the wasm 1 KB (README).

use sha2::{Digest, Sha256};

/// SHA-256 of `data`.
pub fn sha256(data: &[u8]) -> Vec<u8> {
    Sha256::digest(data).to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fips_180_vectors() {
        let hex = |d: Vec<u8>| d.iter().map(|b| format!("{b:02x}")).collect::<String>();
        assert_eq!(hex(sha256(b"abc")), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }
}
