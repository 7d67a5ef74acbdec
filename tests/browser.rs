//! What runs as wasm in real headless browsers (Chromium and Firefox), through
//! wasm-bindgen-test: the engine through its export, sessionStorage transactions,
//! randomness from getrandom, SHA-2 in the wasm, and errors crossing the boundary.
#![cfg(target_arch = "wasm32")]

use spa_auth::core::hash;
use spa_auth::core::json::{self, Value};
use spa_auth::wasm;
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = sessionStorage, js_name = clear)]
    fn storage_clear();
    #[wasm_bindgen(js_namespace = sessionStorage, js_name = getItem)]
    fn storage_get(key: &str) -> Option<String>;
    #[wasm_bindgen(js_namespace = sessionStorage, js_name = key)]
    fn storage_key(i: u32) -> Option<String>;
    #[wasm_bindgen(js_namespace = Date, js_name = now)]
    fn date_now() -> f64;
}

#[wasm_bindgen(
    inline_js = "export function fill_storage() { let i = 0; for (let n = 1 << 20; n >= 1; n >>= 2) { try { for (;;) sessionStorage.setItem('f' + i++, 'x'.repeat(n)); } catch {} } }"
)]
extern "C" {
    /// Fills sessionStorage to its quota, to the last byte `setItem` takes.
    fn fill_storage();
}

/// A new engine through the export: its id.
fn new_engine(options: &str) -> u32 {
    wasm::create(options).parse().expect("an engine id, not an error")
}

const OPTIONS: &str = r#"{"domain":"https://tenant.example.com/","clientId":"browser-test","crossTab":false,
  "authorizationParams":{"redirect_uri":"https://app.example/cb"},
  "endpoints":{"authorization_endpoint":"https://tenant.example.com/authorize","token_endpoint":"https://tenant.example.com/oauth/token"}}"#;

fn effects(out: &str) -> Vec<Value> {
    json::parse(out).unwrap().as_array().unwrap().to_vec()
}

fn of_kind(fx: &[Value], kind: &str) -> Option<Value> {
    fx.iter().find(|f| f.get("do").and_then(Value::as_str) == Some(kind)).cloned()
}

fn keys() -> Vec<String> {
    (0..).map_while(storage_key).collect()
}

/// A redirect login through the export: returns the authorize URL it opens.
fn login(e: u32, call: u32) -> String {
    let fx = effects(&wasm::handle(e, &format!(r#"{{"call":{call},"op":"login"}}"#), date_now()));
    let open = of_kind(&fx, "open").expect("explicit endpoints need no discovery: the login opens at once");
    open.get("url").unwrap().as_str().unwrap().to_owned()
}

fn param(url: &str, name: &str) -> String {
    let q = spa_auth::core::form::parse(url.split_once('?').unwrap().1).unwrap();
    q.into_iter().find(|(k, _)| k == name).unwrap().1
}

#[wasm_bindgen_test]
fn the_engine_runs_a_login_through_its_export_with_fresh_randomness() {
    storage_clear();
    let e = new_engine(OPTIONS);
    let fx =
        effects(&wasm::handle(e, r#"{"call":1,"op":"init","href":"https://app.example/","origin":"https://app.example"}"#, date_now()));
    assert!(of_kind(&fx, "resolve").is_some());
    let (a, b) = (login(e, 2), login(e, 3));
    // getrandom's crypto.getRandomValues: every state, nonce and verifier is new.
    assert_ne!(param(&a, "state"), param(&b, "state"));
    assert_ne!(param(&a, "nonce"), param(&b, "nonce"));
    assert_ne!(param(&a, "code_challenge"), param(&b, "code_challenge"));
    assert_eq!(param(&a, "code_challenge_method"), "S256");
    assert_eq!(param(&a, "state").len(), 43, "32 random bytes, base64url");
}

#[wasm_bindgen_test]
fn transactions_live_in_session_storage_and_a_callback_takes_them_once() {
    storage_clear();
    let e = new_engine(OPTIONS);
    let url = login(e, 1);
    let state = param(&url, "state");
    let key = format!("spa-auth.tx.browser-test.{state}");
    let stored = storage_get(&key).expect("the transaction is in sessionStorage");
    // The verifier is in the transaction; its S256 challenge, hashed in the wasm, is in the URL.
    let tx = json::parse(&stored).unwrap();
    let verifier = tx.get("code_verifier").unwrap().as_str().unwrap().to_owned();
    assert_eq!(spa_auth::core::base64url::encode(&hash::sha256(verifier.as_bytes())), param(&url, "code_challenge"));
    assert!(!url.contains(&verifier));
    // Another state while this login is pending is `state_mismatch`, not `missing_transaction`:
    // the engine lists sessionStorage's keys (one crossing, every name) to tell them apart.
    let other = r#"{"call":9,"op":"callback","url":"https://app.example/cb?code=c&state=other","href":"https://app.example/"}"#;
    let err = of_kind(&effects(&wasm::handle(e, other, date_now())), "reject").unwrap();
    assert_eq!(err.get("error").unwrap().get("error").unwrap().as_str(), Some("state_mismatch"));
    assert!(storage_get(&key).is_some(), "the pending login is untouched");
    let cb = format!("https://app.example/cb?code=c&state={state}");
    let fx = effects(&wasm::handle(e, &format!(r#"{{"call":2,"op":"callback","url":"{cb}","href":"https://app.example/"}}"#), date_now()));
    assert!(storage_get(&key).is_none(), "taken in the same step");
    assert!(of_kind(&fx, "fetch").is_some(), "the code is exchanged");
    assert!(keys().is_empty());
    // Replayed: nothing left to take.
    let fx =
        effects(&wasm::handle(e, &format!(r#"{{"call":3,"op":"callback","url":"{cb}&x=1","href":"https://app.example/"}}"#), date_now()));
    let err = of_kind(&fx, "reject").unwrap();
    assert_eq!(err.get("error").unwrap().get("error").unwrap().as_str(), Some("missing_transaction"));
}

#[wasm_bindgen_test]
fn sha2_in_the_wasm_matches_fips_180_vectors() {
    let hex = |d: Vec<u8>| d.iter().map(|b| format!("{b:02x}")).collect::<String>();
    assert_eq!(hex(hash::sha256(b"abc")), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    // 1,000,000 × "a" (FIPS 180-2 appendix B.3): a long input through the compact backend.
    assert_eq!(hex(hash::sha256(&vec![b'a'; 1_000_000])), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

#[wasm_bindgen_test]
fn the_allocator_keeps_every_block_intact_through_growth_reuse_and_release() {
    // Blocks of every class up to 2 MB, each filled with its own byte, grown by push
    // (realloc across classes), some freed and reallocated: none overlaps another.
    let mut blocks: Vec<Vec<u8>> = Vec::new();
    for i in 0..200usize {
        let size = (i * 7919) % 5000 + if i % 50 == 0 { 1 << 21 } else { 0 };
        let mut v = vec![i as u8; size];
        for _ in 0..(i % 13) {
            v.push(i as u8);
        }
        blocks.push(v);
        if i % 3 == 0 {
            blocks.swap_remove(i / 2 % blocks.len());
        }
    }
    for v in &blocks {
        let first = v.first().copied();
        assert!(v.iter().all(|b| Some(*b) == first), "a block was overwritten");
    }
    // Memory freed is reused: a second round of the same sizes does not keep growing.
    drop(blocks);
    let grown = core::arch::wasm32::memory_size(0);
    for _ in 0..20 {
        let big = vec![1u8; 1 << 20];
        assert_eq!(big[12345], 1);
    }
    assert!(core::arch::wasm32::memory_size(0) <= grown + 64, "1 MB blocks are reused, not leaked");
}

#[wasm_bindgen_test]
fn errors_cross_the_boundary_with_their_stable_code_and_class() {
    let err = wasm::create(r#"{"domain":"http://example.com","clientId":"x"}"#);
    let e = json::parse(&err).expect("http is refused off localhost: the error, as JSON");
    assert_eq!(e.get("kind").unwrap().as_i64(), Some(0), "GenericError");
    assert_eq!(e.get("error").unwrap().as_str(), Some("invalid_options"));
    assert_eq!(e.get("check").unwrap().as_str(), Some("domain"));
    assert!(wasm::create("nope").starts_with('{'));
    // A provider's error on the callback is an AuthenticationError with its own code.
    storage_clear();
    let engine = new_engine(OPTIONS);
    let state = param(&login(engine, 1), "state");
    let cb = format!("https://app.example/cb?error=access_denied&error_description=No%20way&state={state}");
    let fx = effects(&wasm::handle(engine, &format!(r#"{{"call":2,"op":"callback","url":"{cb}","href":""}}"#), date_now()));
    let err = of_kind(&fx, "reject").unwrap();
    let err = err.get("error").unwrap();
    assert_eq!(err.get("kind").unwrap().as_i64(), Some(1), "AuthenticationError");
    assert_eq!(err.get("error").unwrap().as_str(), Some("access_denied"));
    assert_eq!(err.get("error_description").unwrap().as_str(), Some("No way"));
    // The hot path: nothing cached is `undefined`.
    assert_eq!(wasm::cached(engine, "", "", date_now()), None);
    // A released engine answers nothing, and its id is not reused.
    wasm::release(engine);
    assert_eq!(wasm::handle(engine, r#"{"call":3,"op":"isAuthenticated"}"#, date_now()), "[]");
    assert_ne!(new_engine(OPTIONS), engine);
}

#[wasm_bindgen_test]
fn a_full_session_storage_rejects_the_login_and_stores_nothing() {
    // setItem throws at the quota: the throw stays on the JS side of the import, the login
    // is rejected with a typed error, and the engine keeps working.
    storage_clear();
    fill_storage();
    let before = keys();
    let e = new_engine(OPTIONS);
    let fx = effects(&wasm::handle(e, r#"{"call":1,"op":"login"}"#, date_now()));
    let err = of_kind(&fx, "reject").unwrap_or_else(|| panic!("the login is rejected: {fx:?} {:?}", keys()));
    assert_eq!(err.get("error").unwrap().get("error").unwrap().as_str(), Some("browser_error"));
    assert!(of_kind(&fx, "open").is_none(), "no navigation without a stored transaction");
    assert_eq!(keys(), before, "nothing half-stored");
    storage_clear();
    assert!(login(e, 2).contains("state="), "the same engine logs in once there is room");
}
