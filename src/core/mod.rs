//! The sans-IO protocol core: plain Rust with no browser types and no awaits.
//!
//! Each step is a pure function from inputs (options, a URL, an HTTP status and
//! body, the clock, random bytes) to an output (a URL, a request body, a typed
//! result). The engine ([`crate::engine`]) asks for the I/O in between. Everything here compiles
//! natively, so `cargo test` covers it in milliseconds and it can be fuzzed.

pub mod authorize;
pub mod base64url;
pub mod cache;
pub mod callback;
pub mod config;
pub mod discovery;
pub mod error;
pub mod form;
pub mod hash;
pub mod id_token;
pub mod json;
pub mod jws;
pub mod logout;
pub mod pkce;
pub mod secret;
pub mod tabs;
pub mod text;
pub mod token;
