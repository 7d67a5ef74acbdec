//! The JWT splitter and decoder, the header policy and the claim checks: any text, no panic.
#![no_main]
use libfuzzer_sys::fuzz_target;
use spa_auth::core::{id_token, jws};

fuzz_target!(|raw: &str| {
    if let Ok(jwt) = id_token::decode(raw) {
        let _ = jws::check_header(&jwt.header, &jws::SUPPORTED);
        let expect = id_token::Expectations {
            issuer: "https://issuer.test/",
            client_id: "client",
            nonce: Some("n"),
            max_age: Some(60),
            organization: Some("org_1"),
            sub: Some("u"),
            leeway: 60,
            now: 1_700_000_000,
        };
        let _ = id_token::validate(&jwt.claims, &expect);
        let _ = id_token::check_hashes(&jwt.claims, Some(&[0u8; 32]), Some(&[1u8; 48]));
    }
});
