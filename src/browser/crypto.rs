//! WebCrypto: randomness from `crypto.getRandomValues` (W3C Web Cryptography API
//! §10.1.1) and JWS signature checks with `crypto.subtle`.
//!
//! Signatures are checked here rather than with a Rust crypto crate: jsonwebtoken with
//! its `rust_crypto` backend adds about 167 KB gzipped to a .wasm; these bindings add a
//! few KB, and WebCrypto's implementations are the browser's own, audited and constant-time.

use super::{api_error, window};
use crate::core::authorize::Randomness;
use crate::core::error::{code, Error, Result};
use crate::core::jws::Alg;
use crate::core::pkce::{CodeVerifier, Pkce};
use js_sys::{Array, Object, Reflect, JSON};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::CryptoKey;

/// `N` bytes from the browser's cryptographically secure generator.
pub fn random_bytes<const N: usize>() -> Result<[u8; N]> {
    let mut bytes = [0u8; N];
    window()?
        .crypto()
        .and_then(|c| c.get_random_values_with_u8_array(&mut bytes))
        .map_err(|_| api_error("crypto.getRandomValues"))?;
    Ok(bytes)
}

/// Fresh state and nonce bytes for one authorization request.
pub fn randomness() -> Result<Randomness> {
    Ok(Randomness { state: random_bytes()?, nonce: random_bytes()? })
}

/// A fresh PKCE verifier from 32 random bytes, with its S256 challenge (RFC 7636 §4.1-4.2).
pub async fn pkce() -> Result<Pkce> {
    let verifier = CodeVerifier::from_random(random_bytes()?);
    let digest = digest("SHA-256", verifier.secret().as_bytes()).await?;
    Ok(Pkce::s256(verifier, &digest))
}

/// Verifies a JWS signature with WebCrypto: `importKey('jwk', …)` then `verify`
/// (RFC 7518 §3 for the algorithm parameters). The key and algorithm were chosen by
/// the core ([`crate::core::jws`]); this only runs the check.
pub async fn verify(alg: Alg, jwk_json: &str, signing_input: &[u8], signature: &[u8]) -> Result<bool> {
    let subtle = window()?.crypto().map_err(|_| api_error("crypto"))?.subtle();
    let jwk: Object = JSON::parse(jwk_json).map_err(|_| api_error("JSON.parse"))?.unchecked_into();
    let (name, hash, curve) = match alg {
        Alg::RS256 => ("RSASSA-PKCS1-v1_5", Some("SHA-256"), None),
        Alg::PS256 => ("RSA-PSS", Some("SHA-256"), None),
        Alg::ES256 => ("ECDSA", Some("SHA-256"), Some("P-256")),
        Alg::ES384 => ("ECDSA", Some("SHA-384"), Some("P-384")),
        Alg::EdDSA => ("Ed25519", None, None),
    };
    let import_params = params(&[("name", Some(name)), ("namedCurve", curve), ("hash", hash.filter(|_| curve.is_none()))]);
    let usages = Array::of1(&JsValue::from_str("verify"));
    let unusable = || Error::new(code::INVALID_ID_TOKEN, format!("the provider's key cannot be used for {} in this browser", alg.name()));
    let import = subtle.import_key_with_object("jwk", &jwk, &import_params, false, &usages).map_err(|_| unusable())?;
    let key: CryptoKey = JsFuture::from(import).await.map_err(|_| unusable())?.unchecked_into();
    let verify_params = match alg {
        // RFC 7518 §3.5: the salt is as long as the hash.
        Alg::PS256 => {
            let p = params(&[("name", Some(name))]);
            let _ = Reflect::set(&p, &"saltLength".into(), &JsValue::from(32));
            p
        }
        Alg::ES256 | Alg::ES384 => params(&[("name", Some(name)), ("hash", hash)]),
        Alg::RS256 | Alg::EdDSA => params(&[("name", Some(name))]),
    };
    let verified = subtle
        .verify_with_object_and_u8_array_and_u8_array(&verify_params, &key, signature, signing_input)
        .map_err(|_| api_error("crypto.subtle.verify"))?;
    Ok(JsFuture::from(verified).await.map_err(|_| api_error("crypto.subtle.verify"))?.as_bool() == Some(true))
}

/// `crypto.subtle.digest(name, data)`, for `c_hash` and `at_hash`: the browser's SHA-2
/// rather than a second copy compiled into the wasm.
pub async fn digest(name: &str, data: &[u8]) -> Result<Vec<u8>> {
    let subtle = window()?.crypto().map_err(|_| api_error("crypto"))?.subtle();
    let promise = subtle.digest_with_str_and_u8_array(name, data).map_err(|_| api_error("crypto.subtle.digest"))?;
    let buffer = JsFuture::from(promise).await.map_err(|_| api_error("crypto.subtle.digest"))?;
    Ok(js_sys::Uint8Array::new(&buffer).to_vec())
}

fn params(members: &[(&str, Option<&str>)]) -> Object {
    let o = Object::new();
    for (k, v) in members {
        if let Some(v) = v {
            let _ = Reflect::set(&o, &(*k).into(), &(*v).into());
        }
    }
    o
}
