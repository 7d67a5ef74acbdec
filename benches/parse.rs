//! Parsing hostile bodies of up to 1 MB, natively in release: each must take well under
//! 50 ms (`make bench` prints these figures). The worst case before was a 960 KB body of
//! 80,000 members: 22.9 s in one `process_response` call.

use spa_auth::core::{discovery, jws, token};
use std::time::Instant;

fn time(label: &str, body: &str, f: impl Fn(&str) -> bool) {
    let mut best = f64::INFINITY;
    for _ in 0..5 {
        let t = Instant::now();
        std::hint::black_box(f(body));
        best = best.min(t.elapsed().as_secs_f64() * 1000.0);
    }
    println!("  {label:<46} {:>7} KB {best:>9.2} ms", body.len() / 1024);
}

fn main() {
    let members: Vec<String> = (0..80_000).map(|i| format!("\"k{i:06}\":1")).collect();
    let wide = format!("{{\"access_token\":\"a\",\"token_type\":\"Bearer\",{}}}", members.join(","));
    let keys: Vec<String> = (0..20_000).map(|i| format!("{{\"kty\":\"RSA\",\"kid\":\"{i}\",\"n\":\"AQAB\",\"e\":\"AQAB\"}}")).collect();
    let jwks = format!("{{\"keys\":[{}]}}", keys.join(","));
    let numbers = format!("[{}]", vec!["0"; 500_000].join(","));
    let escapes = format!("{{\"access_token\":\"{}\"}}", "\\u00e9".repeat(170_000));
    let deep_wide: Vec<String> = (0..40_000).map(|i| format!("\"o{i}\":{{\"a\":1,\"b\":2}}")).collect();
    let nested = format!("{{\"issuer\":\"x\",{}}}", deep_wide.join(","));
    println!("parsing hostile bodies (best of 5)");
    time("token response, 80,000 members", &wide, |b| token::process_response(200, b).is_ok());
    time("JWK Set, 20,000 keys", &jwks, |b| jws::process_jwks(200, b).is_ok());
    time("500,000 numbers", &numbers, |b| token::process_response(200, b).is_ok());
    time("one string of 170,000 escapes", &escapes, |b| token::process_response(200, b).is_ok());
    time("metadata, 40,000 small objects", &nested, |b| {
        let config = spa_auth::engine::wire::options(r#"{"domain":"https://x/","clientId":"c"}"#)
            .and_then(spa_auth::core::config::Config::new)
            .unwrap();
        discovery::process(&config, 200, b).is_ok()
    });
}
