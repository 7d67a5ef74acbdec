//! The `#[wasm_bindgen]` surface: one class, strings across the boundary.
//!
//! `new Engine(optionsJson)` validates the options; `handle(eventJson, now)` feeds one
//! event and returns the effects as JSON; `cached(audience, scope, now)` is the hot path
//! of `getTokenSilently`, a cache hit in one crossing. The only browser API the wasm
//! calls itself is `sessionStorage`, synchronously, so that a callback takes its
//! transaction before anything is awaited (and getrandom's `crypto.getRandomValues`).

use crate::core::error::{code, Error, Result};
use crate::engine::{self, wire, Store};
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(catch, js_namespace = sessionStorage, js_name = getItem)]
    fn ss_get(key: &str) -> std::result::Result<Option<String>, JsValue>;
    #[wasm_bindgen(catch, js_namespace = sessionStorage, js_name = setItem)]
    fn ss_set(key: &str, value: &str) -> std::result::Result<(), JsValue>;
    #[wasm_bindgen(catch, js_namespace = sessionStorage, js_name = removeItem)]
    fn ss_remove(key: &str) -> std::result::Result<(), JsValue>;
    #[wasm_bindgen(catch, js_namespace = sessionStorage, js_name = key)]
    fn ss_key(index: u32) -> std::result::Result<Option<String>, JsValue>;
}

/// `sessionStorage`: login transactions only.
struct SessionStorage;

impl Store for SessionStorage {
    fn get(&self, key: &str) -> Option<String> {
        ss_get(key).ok().flatten()
    }
    fn set(&mut self, key: &str, value: &str) -> Result<()> {
        ss_set(key, value).map_err(|_| Error::new(code::BROWSER_ERROR, "sessionStorage.setItem failed"))
    }
    fn remove(&mut self, key: &str) {
        let _ = ss_remove(key);
    }
    fn keys(&self) -> Vec<String> {
        let mut keys = Vec::new();
        while let Some(k) = ss_key(keys.len() as u32).ok().flatten() {
            keys.push(k);
        }
        keys
    }
}

/// One client's engine.
#[wasm_bindgen]
pub struct Engine(engine::Engine);

#[wasm_bindgen]
impl Engine {
    /// Validates the options (the app's options object as JSON); throws the error as JSON.
    #[wasm_bindgen(constructor)]
    pub fn new(options: &str) -> std::result::Result<Engine, JsValue> {
        wire::options(options)
            .and_then(|o| engine::Engine::new(o, Box::new(SessionStorage)))
            .map(Engine)
            .map_err(|e| JsValue::from_str(&wire::error_json(&e)))
    }

    /// Feeds one event; returns the effects to perform.
    pub fn handle(&mut self, event: &str, now: f64) -> String {
        self.0.handle(event, now)
    }

    /// A fresh cached access token for (audience, scope), or `undefined`.
    pub fn cached(&mut self, audience: Option<String>, scope: Option<String>, now: f64) -> Option<String> {
        self.0.cached(audience.as_deref(), scope.as_deref(), now)
    }
}
