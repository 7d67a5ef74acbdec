//! Messages from other tabs: strict parsing of any text, and an engine that receives it
//! (signed out, sharing) neither panics nor adopts a session that fails its checks.
#![no_main]
use libfuzzer_sys::fuzz_target;
use spa_auth::core::{json, tabs};
use spa_auth::engine::{wire, Engine, MemoryStore};

fuzz_target!(|text: &str| {
    if let Some(tabs::Message::Session(s)) = tabs::parse(text) {
        // What a tab sends, another reads back the same.
        let again = tabs::session_message(&s);
        assert!(matches!(tabs::parse(&again), Some(tabs::Message::Session(_))));
    }
    let options = r#"{"domain":"https://op.test/","clientId":"c"}"#;
    let mut e = Engine::new(wire::options(options).unwrap(), Box::new(MemoryStore::default())).unwrap();
    e.handle(r#"{"call":1,"op":"init","href":"https://app.test/","origin":"https://app.test","locks":true,"channel":true,"held":[]}"#, 1e12);
    let mut ev = String::from(r#"{"tab":"#);
    json::write_str(&mut ev, text);
    ev.push('}');
    let out = e.handle(&ev, 1e12);
    assert!(json::parse(&out).is_ok());
    // No session is taken before its ID token's signature is verified: nothing answered
    // the engine's `verify`, so nothing may be served.
    assert_eq!(e.cached(None, None, 1e12), None);
});
