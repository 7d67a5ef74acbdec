//! The page's address: read it, leave it, and clean it with `history.replaceState`.

use super::{api_error, window};
use crate::core::error::Result;
use wasm_bindgen::JsValue;

/// `location.href`.
pub fn href() -> Result<String> {
    window()?.location().href().map_err(|_| api_error("location.href"))
}

/// Navigates away with `location.assign`.
pub fn assign(url: &str) -> Result<()> {
    window()?.location().assign(url).map_err(|_| api_error("location.assign"))
}

/// Replaces the current history entry's URL without navigating, keeping its state.
pub fn replace(url: &str) -> Result<()> {
    let history = window()?.history().map_err(|_| api_error("history"))?;
    let state = history.state().unwrap_or(JsValue::NULL);
    history.replace_state_with_url(&state, "", Some(url)).map_err(|_| api_error("history.replaceState"))
}
