//! The browser shell: the only code that touches `web-sys`. Each module is a
//! thin newtype or function over one Web API, returning core [`Error`]s.
//!
//! [`Error`]: crate::core::error::Error

pub mod crypto;
pub mod frames;
pub mod http;
pub mod location;
pub mod storage;
pub mod tabs;

use crate::core::error::{code, Error, Result};

/// The global `window`, or a typed error where there is none (a worker).
pub fn window() -> Result<web_sys::Window> {
    web_sys::window().ok_or_else(|| Error::new(code::BROWSER_ERROR, "spa-auth needs a window (it does not run in workers)"))
}

/// The client clock: whole seconds since the epoch.
pub fn now() -> i64 {
    (js_sys::Date::now() / 1000.0) as i64
}

/// A browser API failed; the description names the API, never the values passed.
pub(crate) fn api_error(what: &str) -> Error {
    Error::new(code::BROWSER_ERROR, format!("{what} failed"))
}
