//! Randomness from `crypto.getRandomValues` (W3C Web Cryptography API §10.1.1).

use super::{api_error, window};
use crate::core::authorize::Randomness;
use crate::core::error::Result;

/// `N` bytes from the browser's cryptographically secure generator.
pub fn random_bytes<const N: usize>() -> Result<[u8; N]> {
    let mut bytes = [0u8; N];
    window()?
        .crypto()
        .and_then(|c| c.get_random_values_with_u8_array(&mut bytes))
        .map_err(|_| api_error("crypto.getRandomValues"))?;
    Ok(bytes)
}

/// Fresh state, nonce and PKCE verifier bytes for one authorization request.
pub fn randomness() -> Result<Randomness> {
    Ok(Randomness { state: random_bytes()?, nonce: random_bytes()?, verifier: random_bytes()? })
}
