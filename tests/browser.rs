//! The browser shell in real headless browsers (Chromium and Firefox) through
//! wasm-bindgen-test: storage, crypto randomness, URL cleanup, errors crossing to JS.
#![cfg(target_arch = "wasm32")]

use spa_auth::browser::{crypto, location, storage::TransactionStore};
use spa_auth::client::AuthClient;
use spa_auth::core::authorize::{self, Randomness, Transaction};
use spa_auth::core::config::{AuthorizeParams, Config, Options};
use spa_auth::core::discovery::Metadata;
use spa_auth::core::pkce::{CodeVerifier, Pkce};
use spa_auth::js::JsAuthClient;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn options() -> Options {
    Options {
        domain: "tenant.example.com".into(),
        client_id: "browser-test".into(),
        authorization_params: AuthorizeParams { redirect_uri: Some("https://app.example/cb".into()), ..Default::default() },
        endpoints: vec![
            ("authorization_endpoint".into(), "https://tenant.example.com/authorize".into()),
            ("token_endpoint".into(), "https://tenant.example.com/oauth/token".into()),
        ],
        ..Options::default()
    }
}

fn transaction(seed: u8, now: i64) -> Transaction {
    let config = Config::new(options()).unwrap();
    let meta = spa_auth::core::discovery::from_options(&config).unwrap();
    let random = Randomness { state: [seed; 32], nonce: [seed + 1; 32] };
    let pkce = Pkce::s256(CodeVerifier::from_random([seed + 2; 32]), &[0; 32]);
    authorize::request(authorize::Mode::Redirect, &config, &meta, &AuthorizeParams::default(), random, pkce, None, now).unwrap().1
}

fn session_storage() -> web_sys::Storage {
    web_sys::window().unwrap().session_storage().unwrap().unwrap()
}

#[wasm_bindgen_test]
fn crypto_randomness_is_fresh() {
    let a: [u8; 32] = crypto::random_bytes().unwrap();
    let b: [u8; 32] = crypto::random_bytes().unwrap();
    assert_ne!(a, b);
    assert_ne!(a, [0; 32]);
    let r = crypto::randomness().unwrap();
    assert_ne!(r.state, r.nonce);
}

#[wasm_bindgen_test]
fn transactions_are_keyed_by_state_and_taken_once() {
    session_storage().clear().unwrap();
    let store = TransactionStore::new("browser-test");
    let now = spa_auth::browser::now();
    let (t1, t2) = (transaction(1, now), transaction(7, now));
    store.put(&t1, now).unwrap();
    store.put(&t2, now).unwrap();
    assert_eq!(session_storage().length().unwrap(), 2, "two logins do not clobber each other");
    assert!(store.any_pending().unwrap());
    let text = store.take(&t1.state).unwrap().expect("stored");
    assert_eq!(Transaction::from_json(&text, now).unwrap(), t1);
    assert_eq!(store.take(&t1.state).unwrap(), None, "taken once");
    assert!(store.take(&t2.state).unwrap().is_some());
    assert!(!store.any_pending().unwrap());
    assert_eq!(session_storage().length().unwrap(), 0);
}

#[wasm_bindgen_test]
fn expired_transactions_are_swept_on_the_next_login() {
    session_storage().clear().unwrap();
    let store = TransactionStore::new("browser-test");
    let now = spa_auth::browser::now();
    let old = transaction(1, now - authorize::TRANSACTION_TTL_SECS - 1);
    store.put(&old, old.created_at).unwrap();
    store.put(&transaction(7, now), now).unwrap();
    assert_eq!(session_storage().length().unwrap(), 1);
    assert_eq!(store.take(&old.state).unwrap(), None);
}

#[wasm_bindgen_test]
fn no_secret_reaches_storage_but_the_transaction() {
    session_storage().clear().unwrap();
    let now = spa_auth::browser::now();
    let tx = transaction(3, now);
    TransactionStore::new("browser-test").put(&tx, now).unwrap();
    let storage = web_sys::window().unwrap().local_storage().unwrap().unwrap();
    assert_eq!(storage.length().unwrap(), 0, "nothing in localStorage");
}

#[wasm_bindgen_test]
fn a_callback_cleans_the_url_even_when_refused() {
    session_storage().clear().unwrap();
    let start = location::href().unwrap();
    let base = start.split(['?', '#']).next().unwrap().to_owned();
    let dirty = format!("{base}?keep=1&code=secret-code&state=unknown&iss=x&session_state=s");
    location::replace(&dirty).unwrap();
    let client = AuthClient::new(options()).unwrap();
    let err = client.claim_callback(&dirty).err().expect("no transaction");
    assert_eq!(err.code(), "missing_transaction");
    assert!(!err.description().contains("secret-code"));
    assert_eq!(location::href().unwrap(), format!("{base}?keep=1"));
    location::replace(&start).unwrap();
}

#[wasm_bindgen_test]
fn a_pending_login_with_another_state_is_a_mismatch() {
    session_storage().clear().unwrap();
    let now = spa_auth::browser::now();
    TransactionStore::new("browser-test").put(&transaction(5, now), now).unwrap();
    let client = AuthClient::new(options()).unwrap();
    let err = client.claim_callback("https://app.example/cb?code=c&state=other").err().unwrap();
    assert_eq!(err.code(), "state_mismatch");
    assert_eq!(session_storage().length().unwrap(), 1, "the pending login is untouched");
}

fn field(v: &JsValue, k: &str) -> JsValue {
    js_sys::Reflect::get(v, &k.into()).unwrap()
}

#[wasm_bindgen_test]
fn errors_cross_to_js_as_named_errors() {
    let opts = js_sys::Object::new();
    js_sys::Reflect::set(&opts, &"domain".into(), &"http://example.com".into()).unwrap();
    js_sys::Reflect::set(&opts, &"clientId".into(), &"x".into()).unwrap();
    let err = JsAuthClient::new(opts.into()).err().expect("http is refused off localhost");
    let e = err.dyn_ref::<js_sys::Error>().expect("an Error instance");
    assert_eq!(String::from(e.name()), "GenericError");
    assert_eq!(field(&err, "error").as_string().as_deref(), Some("invalid_options"));
    assert!(field(&err, "error_description").as_string().unwrap().contains("https"));
    assert_eq!(String::from(e.message()), field(&err, "error_description").as_string().unwrap());
    let err = JsAuthClient::new(JsValue::from_str("nope")).err().unwrap();
    assert_eq!(field(&err, "error").as_string().as_deref(), Some("invalid_options"));
}

#[wasm_bindgen_test]
async fn provider_errors_become_authentication_errors() {
    let opts = js_sys::Object::new();
    js_sys::Reflect::set(&opts, &"domain".into(), &"tenant.example.com".into()).unwrap();
    js_sys::Reflect::set(&opts, &"clientId".into(), &"x".into()).unwrap();
    let client = JsAuthClient::new(opts.into()).unwrap();
    let p = client.handle_redirect_callback(Some("https://app.example/cb?error=access_denied&error_description=No%20way&state=s".into()));
    let err = wasm_bindgen_futures::JsFuture::from(p).await.expect_err("rejected");
    assert_eq!(String::from(err.dyn_ref::<js_sys::Error>().unwrap().name()), "AuthenticationError");
    assert_eq!(field(&err, "error").as_string().as_deref(), Some("access_denied"));
    assert_eq!(field(&err, "error_description").as_string().as_deref(), Some("No way"));
}

#[wasm_bindgen_test]
fn metadata_from_options_needs_no_network() {
    let config = Config::new(options()).unwrap();
    let m: Metadata = spa_auth::core::discovery::from_options(&config).unwrap();
    assert_eq!(m.token_endpoint, "https://tenant.example.com/oauth/token");
}

#[wasm_bindgen_test]
async fn an_unreachable_provider_is_a_network_error() {
    let client = AuthClient::new(Options {
        domain: "http://127.0.0.1:9".into(),
        client_id: "x".into(),
        http_timeout_in_seconds: Some(5),
        ..Options::default()
    })
    .unwrap();
    let err = client.metadata().await.expect_err("nothing listens on port 9");
    assert_eq!(err.code(), "network_error");
}

/// Every algorithm against keys and tokens made by an independent JOSE library (jose),
/// in this browser's WebCrypto: a good signature verifies, any tampering does not.
#[wasm_bindgen_test]
async fn webcrypto_verifies_every_supported_algorithm() {
    use spa_auth::core::{id_token, jws};
    let vectors = js_sys::JSON::parse(include_str!("vectors/signatures.json")).unwrap();
    let vectors: js_sys::Array = vectors.unchecked_into();
    assert_eq!(vectors.length(), 5);
    for v in vectors.iter() {
        let alg_name = field(&v, "alg").as_string().unwrap();
        let token = field(&v, "token").as_string().unwrap();
        let jwk = String::from(js_sys::JSON::stringify(&field(&v, "jwk")).unwrap());
        let jwks = jws::process_jwks(200, &format!(r#"{{"keys":[{jwk}]}}"#)).unwrap();
        let jwt = id_token::decode(&token).unwrap();
        let (alg, kid) = jws::check_header(&jwt.header, &jws::SUPPORTED).unwrap();
        assert_eq!(alg.name(), alg_name);
        let key = jws::select_key(&jwks, alg, kid.as_deref()).unwrap().expect("the vector's key");
        let ok = spa_auth::browser::crypto::verify(alg, &key.json, jwt.signing_input.as_bytes(), &jwt.signature).await.unwrap();
        assert!(ok, "{alg_name} verifies");

        let mut bad_sig = jwt.signature.clone();
        bad_sig[0] ^= 1;
        let ok = spa_auth::browser::crypto::verify(alg, &key.json, jwt.signing_input.as_bytes(), &bad_sig).await.unwrap();
        assert!(!ok, "{alg_name}: a flipped signature bit fails");

        let tampered = jwt.signing_input.replace(".eyJ", ".eyK");
        let ok = spa_auth::browser::crypto::verify(alg, &key.json, tampered.as_bytes(), &jwt.signature).await.unwrap();
        assert!(!ok, "{alg_name}: a changed payload fails");
    }
}

#[wasm_bindgen_test]
async fn a_key_for_another_algorithm_is_refused_by_webcrypto_too() {
    let vectors: js_sys::Array = js_sys::JSON::parse(include_str!("vectors/signatures.json")).unwrap().unchecked_into();
    let rs = vectors.get(0);
    let ps_jwk = String::from(js_sys::JSON::stringify(&field(&vectors.get(1), "jwk")).unwrap());
    let jwt = spa_auth::core::id_token::decode(&field(&rs, "token").as_string().unwrap()).unwrap();
    // The PS256 key's JWK says alg PS256: importing it for RS256 must fail, not verify.
    let err = spa_auth::browser::crypto::verify(spa_auth::core::jws::Alg::RS256, &ps_jwk, jwt.signing_input.as_bytes(), &jwt.signature).await;
    assert!(matches!(err, Err(ref e) if e.code() == "invalid_id_token") || matches!(err, Ok(false)));
}

/// RFC 7636 Appendix B through the browser's SHA-256.
#[wasm_bindgen_test]
async fn pkce_challenge_with_webcrypto() {
    let verifier = CodeVerifier::parse("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk").unwrap();
    let digest = spa_auth::browser::crypto::digest("SHA-256", verifier.secret().as_bytes()).await.unwrap();
    assert_eq!(Pkce::s256(verifier, &digest).challenge, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
    let fresh = spa_auth::browser::crypto::pkce().await.unwrap();
    assert_eq!(fresh.verifier.secret().len(), 43);
    assert_eq!(fresh.challenge.len(), 43);
}

#[wasm_bindgen_test]
async fn webcrypto_digests() {
    let d = spa_auth::browser::crypto::digest("SHA-256", b"Qcb0Orv1zh30vL1MPRsbm-diHiMwcLyZvn1arpZv-Jxf_11jnpEX3Tgfvk").await.unwrap();
    assert_eq!(spa_auth::core::id_token::half_hash(&d), "LDktKdoQak3Pk0cnXxCltA");
    assert_eq!(spa_auth::browser::crypto::digest("SHA-512", b"").await.unwrap().len(), 64);
}
