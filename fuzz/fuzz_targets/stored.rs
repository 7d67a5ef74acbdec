//! Everything else read from outside: JSON, JWK Sets, discovery documents and stored
//! transactions: no panic.
#![no_main]
use libfuzzer_sys::fuzz_target;
use spa_auth::core::{authorize, config, discovery, json, jws};

fuzz_target!(|text: &str| {
    if let Ok(v) = json::parse(text) {
        // What the writer prints, the reader reads back to the same value.
        assert_eq!(json::parse(&json::stringify(&v)).ok(), Some(v));
    }
    if let Ok(set) = jws::process_jwks(200, text) {
        for alg in jws::SUPPORTED {
            let _ = jws::select_key(&set, alg, Some("k"));
            let _ = jws::select_key(&set, alg, None);
        }
    }
    let cfg = config::Config::new(config::Options { domain: "issuer.test".into(), client_id: "c".into(), ..Default::default() }).unwrap();
    let _ = discovery::process(&cfg, 200, text);
    let now = 1_700_000_000;
    if let Ok(tx) = authorize::Transaction::from_json(text, now) {
        // Whatever its numbers, an accepted transaction is within its lifetime.
        assert!(tx.created_at >= now - authorize::TRANSACTION_TTL_SECS && tx.created_at <= now + 300);
    }
});
