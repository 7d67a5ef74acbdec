//! The token-response and revocation processing over any status and body: no panic.
#![no_main]
use libfuzzer_sys::fuzz_target;
use spa_auth::core::token;

fuzz_target!(|input: (u16, &str)| {
    let (status, body) = input;
    let _ = token::process_response(status, body);
    let _ = token::process_revocation(status, body);
    let _ = token::is_invalid_token_challenge(body);
});
