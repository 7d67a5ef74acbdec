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
    api.handle(&Request { method, path: "/timesheets", authorization: auth.as_deref(), body })
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
    assert_eq!(api.handle(&Request { method: "GET", path: "/other", authorization: None, body: "" }).status, 404);
}
