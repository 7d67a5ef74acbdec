//! The callback parser, the state finder and the URL cleanup: any URL, no panic.
#![no_main]
use libfuzzer_sys::fuzz_target;
use spa_auth::core::callback;

fuzz_target!(|url: &str| {
    if let Ok(r) = callback::parse(url) {
        let _ = callback::check_iss(r.iss(), "https://issuer.test/", true, false);
    }
    let _ = callback::states(url);
    if let Some(clean) = callback::cleaned_url(url) {
        // Cleaning is idempotent: a cleaned URL needs no more cleaning.
        assert_eq!(callback::cleaned_url(&clean), None, "{url:?} -> {clean:?}");
    }
});
