//! # spa-auth
//!
//! OAuth 2.0 Authorization Code + PKCE for single-page apps against any OpenID
//! Connect provider (Auth0 first), compiled to WebAssembly and shipped as an npm
//! package whose JS API mirrors `@auth0/auth0-spa-js` v2.
//!
//! ## Module map
//! - [`core`]: pure protocol steps. URL building, callback parsing, token-response
//!   parsing, ID-token claim checks, JWS header and key policy, the token cache, the
//!   messages between tabs, PKCE and SHA-2. Plain Rust, tested natively and fuzzed.
//! - [`engine`]: the synchronous state machine that holds all state and makes every
//!   decision: events in (calls, I/O results, the clock), effects out (fetch, verify,
//!   lock, broadcast, frames, timers, resolve). No awaits, no browser types.
//! - `wasm` (wasm32 only): the `#[wasm_bindgen]` surface: four functions over a table of
//!   engines, strings across.
//!
//! The JS effect loop that performs the effects lives in the npm package
//! (`pkg-template/index.js`).
//!
//! ## Specifications
//! RFC 6749 (OAuth 2.0), RFC 6750 (Bearer), RFC 7636 (PKCE), RFC 7009
//! (revocation), RFC 9207 (`iss` in the authorization response), RFC 7515, 7517,
//! 7518 and 8725 (JWS, JWK, JWA, JWT best practices), OpenID Connect Core 1.0,
//! Discovery 1.0 and RP-Initiated Logout 1.0, OAuth 2.0 Web Message Response Mode.

#![deny(missing_docs)]
#![deny(unsafe_code)]

pub mod core;
pub mod engine;

#[cfg(target_arch = "wasm32")]
pub mod alloc;

/// Power-of-two free lists instead of dlmalloc or talc: smaller in the wasm (measured in
/// the README).
#[cfg(target_arch = "wasm32")]
#[global_allocator]
static ALLOCATOR: alloc::Pow2 = alloc::Pow2::new();

#[cfg(target_arch = "wasm32")]
pub mod wasm;
