//! SHA-256 for the PKCE S256 challenge (RFC 7636 §4.2), DPoP's `ath` (RFC 9449 §4.2) and
//! the refresh-token fingerprint, computed in the engine with the `sha2` crate so that no
//! step waits for `crypto.subtle.digest`. `c_hash` and `at_hash` (OIDC Core 3.3.2.11),
//! which may need SHA-384 or SHA-512, come from WebCrypto with the signature check they
//! wait for anyway: SHA-512's code and tables would cost the wasm 1 KB (README).
//!
//! The engine hashes whole messages only, so it calls `sha2`'s compression function
//! directly and pads the message itself (FIPS 180-4 §5.1.1, §5.3.3): the `digest` crate's
//! streaming buffer and its generic finalisation are not linked (README, Dependencies).

use sha2::digest::generic_array::GenericArray;

/// The initial hash value H(0) (FIPS 180-4 §5.3.3).
const H0: [u32; 8] = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19];

/// SHA-256 of `data`.
pub fn sha256(data: &[u8]) -> Vec<u8> {
    // The padded message (§5.1.1): the message, a 1 bit, zeros up to 56 bytes past a block
    // boundary, and the message's length in bits as a 64-bit big-endian integer.
    let mut m = data.to_vec();
    m.push(0x80);
    while m.len() % 64 != 56 {
        m.push(0);
    }
    m.extend_from_slice(&((data.len() as u64) * 8).to_be_bytes());
    let mut state = H0;
    for block in m.chunks_exact(64) {
        sha2::compress256(&mut state, &[*GenericArray::from_slice(block)]);
    }
    let mut out = Vec::with_capacity(32);
    for word in state {
        out.extend_from_slice(&word.to_be_bytes());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(d: &[u8]) -> String {
        d.iter().map(|b| format!("{b:02x}")).collect()
    }

    #[test]
    fn fips_180_vectors() {
        assert_eq!(hex(&sha256(b"abc")), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        assert_eq!(hex(&sha256(b"")), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
        assert_eq!(
            hex(&sha256(b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
        );
    }

    /// Every padding case (a tail of 0 to 63 bytes, one or two padding blocks, several
    /// whole blocks) against the `sha2` crate's own streaming digest.
    #[test]
    fn matches_the_crates_digest_at_every_length() {
        use sha2::{Digest, Sha256};
        let data: Vec<u8> = (0..300u32).map(|i| (i * 7 + 3) as u8).collect();
        for len in 0..data.len() {
            assert_eq!(sha256(&data[..len]), Sha256::digest(&data[..len]).to_vec(), "length {len}");
        }
    }
}
