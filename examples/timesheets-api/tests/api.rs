//! The API's rules, without sockets: tokens minted with jsonwebtoken from the test keys.
use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
use serde_json::json;
use timesheets_api::{Api, Request};

const ISS: &str = "http://127.0.0.1:4000";
const AUD: &str = "https://api.timesheets.test";

fn keys() -> jsonwebtoken::jwk::JwkSet {
    let vectors: serde_json::Value = serde_json::from_str(include_str!("../../../tests/vectors/signatures.json")).unwrap();
    serde_json::from_value(json!({ "keys": [vectors[0]["jwk"], vectors[2]["jwk"]] })).unwrap()
}

fn token(sub: &str, scope: &str, edit: impl FnOnce(&mut serde_json::Value)) -> String {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    let mut claims = json!({ "iss": ISS, "aud": AUD, "sub": sub, "scope": scope, "iat": now, "exp": now + 300 });
    edit(&mut claims);
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some("test-rs256".into());
    let pem = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/vectors/keys/RS256.pem")).unwrap();
    encode(&header, &claims, &EncodingKey::from_rsa_pem(&pem).unwrap()).unwrap()
}

fn call(api: &Api, method: &str, token: Option<&str>, body: &str) -> timesheets_api::Response {
    let auth = token.map(|t| format!("Bearer {t}"));
    api.handle(&Request {
        method,
        path: "/timesheets",
        url: "http://127.0.0.1:3001/timesheets",
        authorization: auth.as_deref(),
        dpop: None,
        body,
    })
}

const ENTRY: &str = r#"{"date":"2026-11-22","project":"spa-auth","hours":7.5}"#;

#[test]
fn entries_per_user() {
    let api = Api::new(ISS, AUD, keys());
    let ann = token("ann", "read:timesheets create:timesheets", |_| {});
    let bob = token("bob", "read:timesheets create:timesheets", |_| {});
    assert_eq!(call(&api, "POST", Some(&ann), ENTRY).status, 201);
    let mine = call(&api, "GET", Some(&ann), "");
    assert_eq!((mine.status, mine.body.as_str()), (200, r#"[{"date":"2026-11-22","hours":7.5,"project":"spa-auth"}]"#));
    assert_eq!(call(&api, "GET", Some(&bob), "").body, "[]", "bob never sees ann's");
}

#[test]
fn invalid_tokens_are_401_invalid_token() {
    let api = Api::new(ISS, AUD, keys());
    let scope = "read:timesheets";
    let cases = [
        None,
        Some("not-a-jwt".to_owned()),
        Some(token("ann", scope, |c| c["iss"] = json!("https://evil.test"))),
        Some(token("ann", scope, |c| c["aud"] = json!("https://other.api"))),
        Some(token("ann", scope, |c| c["exp"] = json!(1_000_000))),
        Some({
            let t = token("ann", scope, |_| {});
            let (head, sig) = t.rsplit_once('.').unwrap();
            format!("{head}.{}", sig.chars().rev().collect::<String>())
        }),
    ];
    for t in cases {
        let r = call(&api, "GET", t.as_deref(), "");
        assert_eq!(r.status, 401, "{t:?}");
        assert!(r
            .headers
            .iter()
            .any(|(k, v)| *k == "WWW-Authenticate" && v.starts_with("Bearer") && v.contains(r#"error="invalid_token""#)));
    }
}

#[test]
fn scopes_are_403_insufficient_scope() {
    let api = Api::new(ISS, AUD, keys());
    let reader = token("ann", "read:timesheets", |_| {});
    assert_eq!(call(&api, "GET", Some(&reader), "").status, 200);
    let r = call(&api, "POST", Some(&reader), ENTRY);
    assert_eq!(r.status, 403);
    assert!(r.headers[0].1.contains(r#"error="insufficient_scope""#) && r.headers[0].1.contains(r#"scope="create:timesheets""#));
    let nobody = token("ann", "", |_| {});
    assert_eq!(call(&api, "GET", Some(&nobody), "").status, 403);
}

#[test]
fn bad_json_is_400() {
    let api = Api::new(ISS, AUD, keys());
    let writer = token("ann", "create:timesheets", |_| {});
    for body in [
        "",
        "{",
        "[]",
        r#"{"date":"2026-11-22"}"#,
        r#"{"date":"22/11/2026","project":"x","hours":1}"#,
        r#"{"date":"2026-11-22","project":"x","hours":25}"#,
        r#"{"date":"2026-11-22","project":"x","hours":1,"extra":1}"#,
    ] {
        assert_eq!(call(&api, "POST", Some(&writer), body).status, 400, "{body}");
    }
    let other = Request { method: "GET", path: "/other", url: "http://127.0.0.1:3001/other", authorization: None, dpop: None, body: "" };
    assert_eq!(api.handle(&other).status, 404);
}

const URL: &str = "http://127.0.0.1:3001/timesheets";

/// A DPoP key of the tests: its PKCS8 file and public JWK.
fn dpop_key(name: &str) -> (EncodingKey, jsonwebtoken::jwk::Jwk) {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/vectors");
    let pem = std::fs::read(format!("{dir}/keys/{name}.pem")).unwrap();
    let jwk = if name == "ES256" {
        let vectors: serde_json::Value = serde_json::from_str(include_str!("../../../tests/vectors/signatures.json")).unwrap();
        let mut j = vectors[2]["jwk"].clone();
        j.as_object_mut().unwrap().retain(|k, _| ["kty", "crv", "x", "y"].contains(&k.as_str()));
        j
    } else {
        serde_json::from_str(&std::fs::read_to_string(format!("{dir}/keys/{name}.jwk.json")).unwrap()).unwrap()
    };
    (EncodingKey::from_ec_pem(&pem).unwrap(), serde_json::from_value(jwk).unwrap())
}

/// A proof by `key` for GET on the API, bound to `token`; `edit` changes its claims.
fn proof(key: &str, token: &str, edit: impl FnOnce(&mut serde_json::Value)) -> String {
    use base64::Engine as _;
    use sha2::Digest as _;
    let (sign, jwk) = dpop_key(key);
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    let ath = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(token.as_bytes()));
    let jti = format!("{now}-{}", rand_suffix());
    let mut claims = json!({ "jti": jti, "htm": "GET", "htu": URL, "iat": now, "ath": ath });
    edit(&mut claims);
    let mut header = Header::new(Algorithm::ES256);
    header.typ = Some("dpop+jwt".into());
    header.jwk = Some(jwk);
    encode(&header, &claims, &sign).unwrap()
}

fn rand_suffix() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    N.fetch_add(1, Ordering::Relaxed)
}

/// An access token bound to the `ES256` test key (RFC 9449 §6.1).
fn bound_token() -> String {
    let jkt = dpop_key("ES256").1.thumbprint(jsonwebtoken::jwk::ThumbprintHash::SHA256);
    token("ann", "read:timesheets", |c| c["cnf"] = json!({ "jkt": jkt }))
}

fn dpop_call(api: &Api, scheme: &str, token: &str, proof: Option<&str>) -> timesheets_api::Response {
    let auth = format!("{scheme} {token}");
    api.handle(&Request { method: "GET", path: "/timesheets", url: URL, authorization: Some(&auth), dpop: proof, body: "" })
}

fn challenge(r: &timesheets_api::Response) -> String {
    r.headers.iter().find(|(k, _)| *k == "WWW-Authenticate").map(|(_, v)| v.clone()).unwrap_or_default()
}

#[test]
fn a_dpop_bound_token_needs_a_proof_of_its_key_for_this_request() {
    let api = Api::new(ISS, AUD, keys());
    let t = bound_token();
    assert_eq!(dpop_call(&api, "DPoP", &t, Some(&proof("ES256", &t, |_| {}))).status, 200);
    let refused: Vec<(&str, Option<String>)> = vec![
        ("Bearer", None),
        ("DPoP", None),
        ("DPoP", Some(proof("ES256-other", &t, |_| {}))),
        ("DPoP", Some(proof("ES256", &t, |c| c["htm"] = json!("POST")))),
        ("DPoP", Some(proof("ES256", &t, |c| c["htu"] = json!("http://127.0.0.1:3001/other")))),
        ("DPoP", Some(proof("ES256", &t, |c| c["iat"] = json!(1_000_000)))),
        ("DPoP", Some(proof("ES256", &t, |c| c["ath"] = json!("AAAA")))),
        ("DPoP", Some(proof("ES256", "another token", |_| {}))),
        ("DPoP", Some("not.a.proof".into())),
    ];
    for (i, (scheme, p)) in refused.iter().enumerate() {
        let r = dpop_call(&api, scheme, &t, p.as_deref());
        assert_eq!(r.status, 401, "case {i}");
        assert!(challenge(&r).starts_with(scheme), "case {i}: {}", challenge(&r));
    }
    // A proof is used once (RFC 9449 §11.1).
    let once = proof("ES256", &t, |_| {});
    assert_eq!(dpop_call(&api, "DPoP", &t, Some(&once)).status, 200);
    assert_eq!(dpop_call(&api, "DPoP", &t, Some(&once)).status, 401);
    // An unbound token is not taken under the DPoP scheme.
    let plain = token("ann", "read:timesheets", |_| {});
    assert_eq!(dpop_call(&api, "DPoP", &plain, Some(&proof("ES256", &plain, |_| {}))).status, 401);
}

#[test]
fn a_demanded_nonce_is_challenged_with_use_dpop_nonce_then_accepted() {
    let api = Api::new(ISS, AUD, keys()).demand_nonce("n-42");
    let t = bound_token();
    let r = dpop_call(&api, "DPoP", &t, Some(&proof("ES256", &t, |_| {})));
    assert_eq!(r.status, 401);
    assert!(challenge(&r).contains(r#"error="use_dpop_nonce""#), "{}", challenge(&r));
    assert!(r.headers.contains(&("DPoP-Nonce", "n-42".to_owned())));
    assert_eq!(dpop_call(&api, "DPoP", &t, Some(&proof("ES256", &t, |c| c["nonce"] = json!("n-42")))).status, 200);
}
