//! # spa-auth
//!
//! OAuth 2.0 Authorization Code + PKCE for single-page apps against any OpenID
//! Connect provider (Auth0 first), compiled to WebAssembly and shipped as an npm
//! package whose JS API mirrors `@auth0/auth0-spa-js` v2.
//!
//! ## Module map
//! - [`core`]: the sans-IO protocol core. URL building, callback parsing,
//!   token-response parsing, ID-token claim checks, JWS header and key policy, the
//!   token cache, the messages between tabs. Plain Rust, tested natively and fuzzed.
//! - [`flight`]: single-flight and an async lock, plain futures tested natively.
//! - `browser` (wasm32 only): the shell. `fetch`, `sessionStorage`, `location` and
//!   `history`, WebCrypto (randomness, digests, signatures), Web Locks and
//!   `BroadcastChannel`, hidden iframes and popups. The only code that touches `web-sys`.
//! - `client` (wasm32 only): `AuthClient`, the flows composed from the core and the
//!   shell; `client::sharing` shares one session across tabs.
//! - `js` (wasm32 only): the `#[wasm_bindgen]` surface. Options in, errors out.
//!
//! ## Specifications
//! RFC 6749 (OAuth 2.0), RFC 6750 (Bearer), RFC 7636 (PKCE), RFC 7009
//! (revocation), RFC 9207 (`iss` in the authorization response), RFC 7515, 7517,
//! 7518 and 8725 (JWS, JWK, JWA, JWT best practices), OpenID Connect Core 1.0,
//! Discovery 1.0 and RP-Initiated Logout 1.0, OAuth 2.0 Web Message Response Mode.

#![deny(missing_docs)]
#![deny(unsafe_code)]

pub mod core;

/// Talc instead of the default dlmalloc: smaller in the wasm (measured in the README).
#[cfg(target_arch = "wasm32")]
#[global_allocator]
#[allow(unsafe_code)]
// SAFETY: wasm32-unknown-unknown without the atomics feature runs on one thread only,
// which is what TalckWasm requires.
static ALLOCATOR: talc::TalckWasm = unsafe { talc::TalckWasm::new_global() };
pub mod flight;

#[cfg(target_arch = "wasm32")]
pub mod browser;
#[cfg(target_arch = "wasm32")]
pub mod client;
#[cfg(target_arch = "wasm32")]
pub mod js;
