//! The core against a real JOSE implementation: tokens minted by jsonwebtoken (RSA, EC
//! and Ed25519 keys from tests/vectors) go through the core's decode, header policy, key
//! choice and claim checks, and jsonwebtoken confirms the core picked the right key.
#![cfg(not(target_arch = "wasm32"))]

use jsonwebtoken::{encode, Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde_json::json;
use spa_auth::core::id_token::{self, Expectations};
use spa_auth::core::jws::{self, Alg};

const ALGS: [(&str, Algorithm); 5] = [
    ("RS256", Algorithm::RS256),
    ("PS256", Algorithm::PS256),
    ("ES256", Algorithm::ES256),
    ("ES384", Algorithm::ES384),
    ("EdDSA", Algorithm::EdDSA),
];

fn vectors() -> serde_json::Value {
    serde_json::from_str(include_str!("vectors/signatures.json")).unwrap()
}

fn jwks_text() -> String {
    let keys: Vec<_> = vectors().as_array().unwrap().iter().map(|v| v["jwk"].clone()).collect();
    json!({ "keys": keys }).to_string()
}

fn encoding_key(name: &str, alg: Algorithm) -> EncodingKey {
    let pem = std::fs::read(format!("{}/tests/vectors/keys/{name}.pem", env!("CARGO_MANIFEST_DIR"))).unwrap();
    match alg {
        Algorithm::RS256 | Algorithm::PS256 => EncodingKey::from_rsa_pem(&pem).unwrap(),
        Algorithm::ES256 | Algorithm::ES384 => EncodingKey::from_ec_pem(&pem).unwrap(),
        _ => EncodingKey::from_ed_pem(&pem).unwrap(),
    }
}

fn mint(name: &str, alg: Algorithm, claims: serde_json::Value, kid: Option<&str>) -> String {
    let mut header = Header::new(alg);
    header.kid = kid.map(str::to_owned);
    encode(&header, &claims, &encoding_key(name, alg)).unwrap()
}

fn claims() -> serde_json::Value {
    json!({ "iss": "https://issuer.test/", "sub": "u1", "aud": "client-1", "iat": 1000, "exp": 2000, "nonce": "n1" })
}

#[test]
fn real_tokens_pass_the_core_for_every_algorithm() {
    let jwks = jws::process_jwks(200, &jwks_text()).unwrap();
    for (name, alg) in ALGS {
        let kid = format!("test-{}", name.to_lowercase());
        let token = mint(name, alg, claims(), Some(&kid));
        let jwt = id_token::decode(&token).unwrap();
        let (core_alg, core_kid) = jws::check_header(&jwt.header, &jws::SUPPORTED).unwrap();
        assert_eq!(core_alg, Alg::from_name(name).unwrap());
        let key = jws::select_key(&jwks, core_alg, core_kid.as_deref()).unwrap().expect("a key");
        assert_eq!(key.kid.as_deref(), Some(kid.as_str()));

        // The key the core chose really verifies the token (jsonwebtoken checks it natively).
        let jwk: jsonwebtoken::jwk::Jwk = serde_json::from_str(&key.json).unwrap();
        let mut validation = Validation::new(alg);
        validation.validate_exp = false;
        validation.set_audience(&["client-1"]);
        jsonwebtoken::decode::<serde_json::Value>(&token, &DecodingKey::from_jwk(&jwk).unwrap(), &validation).unwrap();

        let expect = Expectations {
            issuer: "https://issuer.test/",
            client_id: "client-1",
            nonce: Some("n1"),
            leeway: 60,
            now: 1500,
            ..Default::default()
        };
        id_token::validate(&jwt.claims, &expect).unwrap();
        let late = Expectations { now: 3000, ..expect };
        assert!(id_token::validate(&jwt.claims, &late).is_err());
    }
}

#[test]
fn forged_headers_from_a_real_library_are_refused() {
    let jwks = jws::process_jwks(200, &jwks_text()).unwrap();
    // HS256 "signed" with the RSA public key as the secret: the classic alg confusion.
    let rsa_jwk = vectors()[0]["jwk"].to_string();
    let hs = encode(&Header::new(Algorithm::HS256), &claims(), &EncodingKey::from_secret(rsa_jwk.as_bytes())).unwrap();
    let jwt = id_token::decode(&hs).unwrap();
    assert_eq!(jws::check_header(&jwt.header, &jws::SUPPORTED).unwrap_err().check(), "alg");

    // An ES256 token whose kid points at the RSA key.
    let es = mint("ES256", Algorithm::ES256, claims(), Some("test-rs256"));
    let jwt = id_token::decode(&es).unwrap();
    let (alg, kid) = jws::check_header(&jwt.header, &jws::SUPPORTED).unwrap();
    assert!(jws::select_key(&jwks, alg, kid.as_deref()).is_err());

    // A header that carries its own key.
    let mut header = Header::new(Algorithm::RS256);
    header.jwk = Some(serde_json::from_value(vectors()[0]["jwk"].clone()).unwrap());
    let embedded = encode(&header, &claims(), &encoding_key("RS256", Algorithm::RS256)).unwrap();
    let jwt = id_token::decode(&embedded).unwrap();
    assert_eq!(jws::check_header(&jwt.header, &jws::SUPPORTED).unwrap_err().check(), "jwk");
}
