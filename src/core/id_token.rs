//! ID tokens: split and decode the JWS ([RFC 7515 §7.1]), then check the
//! claims against what the client expects ([OIDC Core 3.1.3.7], [§12.2]).
//!
//! Decoding keeps the signing input and the signature, so a signature check
//! (WebCrypto, through the engine's `verify` effect) runs on a [`Jwt`] before its claims are
//! trusted; [`validate`] is the claim half.
//!
//! [RFC 7515 §7.1]: https://www.rfc-editor.org/rfc/rfc7515#section-7.1
//! [OIDC Core 3.1.3.7]: https://openid.net/specs/openid-connect-core-1_0.html#IDTokenValidation
//! [§12.2]: https://openid.net/specs/openid-connect-core-1_0.html#RefreshTokenResponse

use super::base64url;
use super::error::{code, Error, Result};
use super::json::{self, Value};
use crate::core::text;

/// A decoded, not yet verified, compact JWS. Its signing input and signature are the
/// token itself, so its `Debug` is redacted.
pub struct Jwt {
    /// The protected header.
    pub header: Value,
    /// The claims, parsed.
    pub claims: Claims,
    /// The payload as JSON text, handed to JS as `getIdTokenClaims()`.
    pub payload_json: String,
    /// `BASE64URL(header) || '.' || BASE64URL(payload)`, the bytes that are signed.
    pub signing_input: String,
    /// The signature bytes.
    pub signature: Vec<u8>,
}

crate::redacted_debug!(Jwt);

/// The claims the SDK checks. Every other claim stays in [`Jwt::payload_json`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Claims {
    /// `iss`
    pub iss: String,
    /// `sub`
    pub sub: String,
    /// `aud`, always as a list.
    pub aud: Vec<String>,
    /// `azp`
    pub azp: Option<String>,
    /// `exp`
    pub exp: i64,
    /// `iat`
    pub iat: i64,
    /// `nbf`
    pub nbf: Option<i64>,
    /// `nonce`
    pub nonce: Option<String>,
    /// `auth_time`
    pub auth_time: Option<i64>,
    /// Auth0's `org_id`
    pub org_id: Option<String>,
    /// Auth0's `org_name`
    pub org_name: Option<String>,
    /// `at_hash`
    pub at_hash: Option<String>,
    /// `c_hash`
    pub c_hash: Option<String>,
}

fn invalid(why: impl Into<String>) -> Error {
    Error::new(code::INVALID_ID_TOKEN, why.into())
}

/// Splits and decodes a compact JWS. Refuses anything that is not three base64url
/// parts with a JSON-object header carrying `alg` and a JSON-object payload with the
/// required claims of the right types (OIDC Core §2).
pub fn decode(raw: &str) -> Result<Jwt> {
    let mut parts = text::split(raw, b".");
    let (Some(h), Some(p), Some(s), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
        return Err(invalid("the ID token is not a compact JWS").at("compact"));
    };
    let part = |x: &str, what: &'static str| {
        base64url::decode(x).ok_or_else(|| invalid(text::cat(&["the ID token's ", what, " is not base64url"])).at(what))
    };
    // The header and the payload: base64url of UTF-8 JSON, each read by the same steps.
    let json_part = |x: &str, what: &'static str| -> Result<(String, Value)> {
        let bad = |why: &str| invalid(text::cat(&["the ID token's ", what, " is not ", why])).at(what);
        let text = text::utf8(part(x, what)?).ok_or_else(|| bad("UTF-8"))?;
        let value = json::parse(&text).map_err(|_| bad("JSON"))?;
        Ok((text, value))
    };
    let (_, header) = json_part(h, "header")?;
    let (payload_json, payload) = json_part(p, "payload")?;
    let signature = part(s, "signature")?;
    if header.str_of("alg").ok().flatten().is_none() {
        return Err(invalid("the ID token's header has no alg").at("alg"));
    }
    let claims = claims_of(&payload)?;
    Ok(Jwt { header, claims, payload_json, signing_input: text::cat(&[h, ".", p]), signature })
}

fn claims_of(v: &Value) -> Result<Claims> {
    if !matches!(v, Value::Object(_)) {
        return Err(invalid("the ID token's payload is not an object").at("payload"));
    }
    let wrong = |k: &'static str| invalid(text::cat(&["the ID token's `", k, "` claim is missing or mistyped"])).at(k);
    let opt_str = |k: &'static str| v.string_of(k).map_err(|_| wrong(k));
    let opt_int = |k: &'static str| v.int_of(k).map_err(|_| wrong(k));
    let aud = match v.get("aud") {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(a)) if !a.is_empty() => v.strings_of("aud").ok().flatten().ok_or_else(|| wrong("aud"))?,
        _ => return Err(wrong("aud")),
    };
    Ok(Claims {
        iss: opt_str("iss")?.ok_or_else(|| wrong("iss"))?,
        sub: opt_str("sub")?.ok_or_else(|| wrong("sub"))?,
        aud,
        azp: opt_str("azp")?,
        exp: opt_int("exp")?.ok_or_else(|| wrong("exp"))?,
        iat: opt_int("iat")?.ok_or_else(|| wrong("iat"))?,
        nbf: opt_int("nbf")?,
        nonce: opt_str("nonce")?,
        auth_time: opt_int("auth_time")?,
        org_id: opt_str("org_id")?,
        org_name: opt_str("org_name")?,
        at_hash: opt_str("at_hash")?,
        c_hash: opt_str("c_hash")?,
    })
}

/// What a valid ID token must match.
#[derive(Clone, Debug, Default)]
pub struct Expectations<'a> {
    /// The issuer.
    pub issuer: &'a str,
    /// The client id.
    pub client_id: &'a str,
    /// The transaction's nonce; `None` on refresh, where none was sent.
    pub nonce: Option<&'a str>,
    /// `max_age` sent with the request.
    pub max_age: Option<i64>,
    /// `organization` sent with the request.
    pub organization: Option<&'a str>,
    /// The current session's `sub`, on refresh (OIDC Core 12.2).
    pub sub: Option<&'a str>,
    /// Clock skew allowance, seconds.
    pub leeway: i64,
    /// Now, seconds since the epoch.
    pub now: i64,
}

/// How far in the future `iat` may lie beyond the leeway before the token is refused.
pub const MAX_IAT_SKEW_SECS: i64 = 300;

/// Checks the claims (OIDC Core 3.1.3.7 steps 2, 3, 4, 5, 9, 10, 11, 12; §12.2 for `sub`).
pub fn validate(c: &Claims, e: &Expectations<'_>) -> Result<()> {
    // 3.1.3.7 (2): iss must exactly match the issuer.
    if c.iss != e.issuer {
        return Err(invalid(text::cat(&["iss ", &c.iss, " is not the expected issuer ", e.issuer])).at("iss"));
    }
    // 3.1.3.7 (3): aud must contain the client id.
    if !c.aud.iter().any(|a| a == e.client_id) {
        return Err(invalid("aud lacks this client").at("aud"));
    }
    // 3.1.3.7 (4), (5): with several audiences azp is required; when present it must be the client.
    if c.aud.len() > 1 && c.azp.is_none() {
        return Err(invalid("azp is missing").at("azp_missing"));
    }
    if c.azp.as_deref().is_some_and(|azp| azp != e.client_id) {
        return Err(invalid("azp is not this client's id").at("azp"));
    }
    // 3.1.3.7 (9): the current time must be before exp.
    if e.now > c.exp + e.leeway {
        return Err(invalid("the ID token has expired (exp)").at("exp"));
    }
    // 3.1.3.7 (10): iat bounds how old or new the token may be.
    if c.iat > e.now + e.leeway + MAX_IAT_SKEW_SECS {
        return Err(invalid("iat is in the future").at("iat"));
    }
    // RFC 7519 §4.1.5: not before nbf.
    if c.nbf.is_some_and(|nbf| e.now + e.leeway < nbf) {
        return Err(invalid("nbf is in the future").at("nbf"));
    }
    // 3.1.3.7 (11): nonce must equal the one sent.
    if let Some(nonce) = e.nonce {
        match c.nonce.as_deref() {
            None => return Err(invalid("the ID token has no nonce").at("nonce_missing")),
            Some(n) if n != nonce => return Err(invalid("the nonce does not match").at("nonce")),
            Some(_) => {}
        }
    }
    // 3.1.3.7 (12): with max_age, auth_time is required and bounds the session age.
    if let Some(max_age) = e.max_age {
        let Some(auth_time) = c.auth_time else {
            return Err(invalid("auth_time is missing").at("auth_time_missing"));
        };
        if e.now > auth_time + max_age + e.leeway {
            return Err(invalid("auth_time is older than max_age").at("auth_time"));
        }
    }
    // Auth0 Organizations: an id `org_…` is compared exactly, a name case-insensitively.
    if let Some(org) = e.organization {
        if org.starts_with("org_") {
            if c.org_id.as_deref() != Some(org) {
                return Err(invalid("org_id does not match organization").at("org_id"));
            }
        } else if !c.org_name.as_deref().is_some_and(|n| n.eq_ignore_ascii_case(org)) {
            return Err(invalid("org_name does not match organization").at("org_name"));
        }
    }
    // OIDC Core 12.2: a refreshed ID token must be for the same end-user.
    if let Some(sub) = e.sub {
        if c.sub != sub {
            return Err(invalid("the refreshed ID token is for another subject").at("sub"));
        }
    }
    Ok(())
}

/// `c_hash` or `at_hash` of a value: the base64url of the left half of its digest under
/// the ID token's algorithm (OIDC Core 3.3.2.11); WebCrypto computes the digest, in the
/// signature check's `verify` effect.
pub fn half_hash(digest: &[u8]) -> String {
    base64url::encode(&digest[..digest.len() / 2])
}

/// OIDC Core 3.3.2.11 and 3.3.2.10: `c_hash` binds a front-channel ID token to the code
/// (required there), `at_hash` binds an ID token to the access token it came with
/// (checked whenever present). Each argument is the digest of the value under the
/// token's algorithm, or `None` when there is no such value to bind.
pub fn check_hashes(c: &Claims, code_digest: Option<&[u8]>, access_token_digest: Option<&[u8]>) -> Result<()> {
    if let Some(d) = code_digest {
        match c.c_hash.as_deref() {
            None => return Err(invalid("no c_hash").at("c_hash_missing")),
            Some(h) if h != half_hash(d) => return Err(invalid("c_hash does not match the code").at("c_hash")),
            Some(_) => {}
        }
    }
    if let (Some(d), Some(h)) = (access_token_digest, c.at_hash.as_deref()) {
        if h != half_hash(d) {
            return Err(invalid("at_hash does not match").at("at_hash"));
        }
    }
    Ok(())
}

/// Claims that describe the token rather than the user; `getUser()` leaves them out,
/// as auth0-spa-js does.
pub const PROTOCOL_CLAIMS: [&str; 14] =
    ["iss", "aud", "exp", "nbf", "iat", "jti", "azp", "nonce", "auth_time", "at_hash", "c_hash", "acr", "amr", "sid"];

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// An unsigned test token with the given payload (signatures are checked by WebCrypto, not here).
    pub(crate) fn token(payload: &str) -> String {
        text::cat(&[
            &base64url::encode(br#"{"alg":"RS256","kid":"k"}"#),
            ".",
            &base64url::encode(payload.as_bytes()),
            ".",
            &base64url::encode(b"sig"),
        ])
    }

    const GOOD: &str = r#"{"iss":"https://i/","sub":"u1","aud":"c","exp":2000,"iat":1000,"nonce":"n","auth_time":900,"org_id":"org_1","org_name":"Acme","name":"Ann"}"#;

    fn expect() -> Expectations<'static> {
        Expectations { issuer: "https://i/", client_id: "c", nonce: Some("n"), leeway: 60, now: 1500, ..Default::default() }
    }

    #[test]
    fn decodes_and_validates_a_good_token() {
        let jwt = decode(&token(GOOD)).unwrap();
        assert_eq!(jwt.claims.sub, "u1");
        assert_eq!(jwt.signature, b"sig");
        assert!(jwt.payload_json.contains("\"name\":\"Ann\""));
        assert_eq!(jwt.header.get("kid").and_then(Value::as_str), Some("k"));
        validate(&jwt.claims, &expect()).unwrap();
        let with_all = Expectations { max_age: Some(700), organization: Some("org_1"), sub: Some("u1"), ..expect() };
        validate(&jwt.claims, &with_all).unwrap();
        validate(&jwt.claims, &Expectations { organization: Some("ACME"), ..expect() }).unwrap();
    }

    #[test]
    fn code_and_access_token_hashes() {
        use sha2::{Digest, Sha256, Sha384, Sha512};
        // OIDC Core Appendix A.4's code and c_hash; the SHA-384 and SHA-512 halves
        // computed independently with Python's hashlib.
        let code = "Qcb0Orv1zh30vL1MPRsbm-diHiMwcLyZvn1arpZv-Jxf_11jnpEX3Tgfvk";
        let d256 = Sha256::digest(code);
        assert_eq!(half_hash(&d256), "LDktKdoQak3Pk0cnXxCltA");
        assert_eq!(half_hash(&Sha384::digest(code)), "Mq-knyaEMtWGfnBi2POEZb1kiLx10_DF");
        assert_eq!(half_hash(&Sha512::digest(code)), "E9z1C-c0Az4eTEzE0Nm3OQ3BS2BhMgxuP7x5JAQj1_4");
        let at = Sha256::digest("at");
        let good = Claims { c_hash: Some("LDktKdoQak3Pk0cnXxCltA".into()), at_hash: Some(half_hash(&at)), ..Claims::default() };
        check_hashes(&good, Some(&d256), Some(&at)).unwrap();
        check_hashes(&Claims::default(), None, Some(&at)).unwrap();
        let other = Sha256::digest("other");
        let d384 = Sha384::digest(code);
        for (claims, code, at, check) in [
            (Claims::default(), Some(&d256[..]), None, "c_hash_missing"),
            (good.clone(), Some(&other[..]), None, "c_hash"),
            (good.clone(), Some(&d384[..]), None, "c_hash"),
            (good.clone(), None, Some(&other[..]), "at_hash"),
        ] {
            let e = check_hashes(&claims, code, at).unwrap_err();
            assert_eq!(e.check(), check, "{e:?}");
        }
    }

    #[test]
    fn refuses_malformed_tokens() {
        let b = |s: &str| base64url::encode(s.as_bytes());
        let table = [
            (String::new(), "compact"),
            ("a.b".into(), "compact"),
            ("a.b.c.d".into(), "compact"),
            (text::cat(&[&b("{}"), ".", &b(GOOD), "."]), "alg"),
            (text::cat(&[&b(r#"{"alg":"RS256"}"#), ".", "!!", "."]), "payload"),
            (text::cat(&[&b("not json"), ".", &b(GOOD), "."]), "header"),
            (text::cat(&[&b(r#"{"alg":"RS256"}"#), ".", &b("[]"), "."]), "payload"),
            (text::cat(&[&b(r#"{"alg":"RS256"}"#), ".", &b(GOOD), ".!!"]), "signature"),
            (text::cat(&[&base64url::encode(&[0xff, b'{']), ".", &b(GOOD), "."]), "header"),
            (text::cat(&[&b(r#"{"alg":"RS256"}"#), ".", &base64url::encode(&[b'{', 0xc3]), "."]), "payload"),
            (token(r#"{"iss":"https://i/","aud":"c","exp":2000,"iat":1000}"#), "sub"),
            (token(r#"{"iss":"https://i/","sub":"u","aud":[],"exp":2000,"iat":1000}"#), "aud"),
            (token(r#"{"iss":"https://i/","sub":"u","aud":[1],"exp":2000,"iat":1000}"#), "aud"),
            (token(r#"{"iss":"https://i/","sub":"u","aud":"c","exp":"2000","iat":1000}"#), "exp"),
            (token(r#"{"iss":"https://i/","sub":"u","aud":"c","exp":2000}"#), "iat"),
            (token(r#"{"iss":"https://i/","sub":"u","aud":"c","exp":2000,"iat":1000,"nonce":5}"#), "nonce"),
        ];
        for (t, check) in &table {
            let e = decode(t).unwrap_err();
            assert_eq!((e.code(), e.check()), (code::INVALID_ID_TOKEN, *check), "{t}");
        }
        // Each step names what failed, for the header and the payload alike.
        let described = |t: String| decode(&t).unwrap_err().description().to_owned();
        assert_eq!(described(text::cat(&[&base64url::encode(&[0xff]), ".", &b(GOOD), "."])), "the ID token's header is not UTF-8");
        assert_eq!(described(text::cat(&[&b(r#"{"alg":"RS256"}"#), ".", &b("x"), "."])), "the ID token's payload is not JSON");
        assert_eq!(described(text::cat(&[&b(r#"{"alg":"RS256"}"#), ".", "!!", "."])), "the ID token's payload is not base64url");
    }

    #[test]
    fn each_failing_claim_is_refused() {
        let with = |k: &str, v: &str| -> Claims {
            let mut j = json::parse(GOOD).unwrap();
            if let Value::Object(m) = &mut j {
                m.retain(|(n, _)| n != k);
                if !v.is_empty() {
                    m.push((k.into(), json::parse(v).unwrap()));
                }
            }
            decode(&token(&json::stringify(&j))).unwrap().claims
        };
        let table: Vec<(Claims, Expectations<'static>, &str)> = vec![
            (with("iss", r#""https://evil/""#), expect(), "iss"),
            (with("aud", r#""other""#), expect(), "aud"),
            (with("aud", r#"["c","other"]"#), expect(), "azp_missing"),
            (with("azp", r#""other""#), expect(), "azp"),
            (with("exp", "1439"), expect(), "exp"),
            (with("iat", "1861"), expect(), "iat"),
            (with("nbf", "1561"), expect(), "nbf"),
            (with("nonce", ""), expect(), "nonce_missing"),
            (with("nonce", r#""m""#), expect(), "nonce"),
            (with("auth_time", ""), Expectations { max_age: Some(10), ..expect() }, "auth_time_missing"),
            (with("auth_time", "100"), Expectations { max_age: Some(10), ..expect() }, "auth_time"),
            (with("org_id", r#""org_2""#), Expectations { organization: Some("org_1"), ..expect() }, "org_id"),
            (with("org_name", r#""Other""#), Expectations { organization: Some("acme"), ..expect() }, "org_name"),
            (with("sub", r#""u2""#), Expectations { sub: Some("u1"), nonce: None, ..expect() }, "sub"),
        ];
        for (claims, e, check) in table {
            let err = validate(&claims, &e).unwrap_err();
            assert_eq!((err.code(), err.check()), (code::INVALID_ID_TOKEN, check), "{err:?}");
        }
        // Within leeway is fine.
        validate(&with("exp", "1440"), &expect()).unwrap();
        validate(&with("nbf", "1560"), &expect()).unwrap();
        let mut multi = with("aud", r#"["c","other"]"#);
        multi.azp = Some("c".into());
        validate(&multi, &expect()).unwrap();
    }
}
