//! The engine under any sequence of events: each line of the input is one event (a call,
//! a result for any request id, a tab message), with the clock moving. No panic, and the
//! effects are always a JSON array.
#![no_main]
use libfuzzer_sys::fuzz_target;
use spa_auth::core::json;
use spa_auth::engine::{wire, Engine, MemoryStore};

const OPTIONS: &str = r#"{"domain":"https://op.test/","clientId":"c","leeway":5,
  "authorizationParams":{"redirect_uri":"https://app.test/cb","audience":"https://api/"}}"#;

fuzz_target!(|input: &str| {
    let mut e = Engine::new(wire::options(OPTIONS).unwrap(), Box::new(MemoryStore::default())).unwrap();
    let mut now = 1_700_000_000_000.0;
    let init = r#"{"call":1,"op":"init","href":"https://app.test/","origin":"https://app.test","locks":true,"channel":true,"held":[]}"#;
    e.handle(init, now);
    for line in input.lines().take(64) {
        now += 700.0;
        let out = e.handle(line, now);
        assert!(json::parse(&out).ok().and_then(|v| v.as_array().map(|_| ())).is_some(), "{out}");
        let _ = e.cached(None, None, now);
    }
});
