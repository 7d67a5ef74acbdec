//! What must hold before a JWS signature is even checked: the algorithm policy,
//! the header rules, and the choice of key from the provider's JWK Set
//! ([RFC 7515], [RFC 7517], [RFC 8725]). The signature itself is checked by
//! WebCrypto, through the engine's `verify` effect, with the key and algorithm chosen here.
//!
//! [RFC 7515]: https://www.rfc-editor.org/rfc/rfc7515
//! [RFC 7517]: https://www.rfc-editor.org/rfc/rfc7517
//! [RFC 8725]: https://www.rfc-editor.org/rfc/rfc8725

use super::error::{code, Error, Result};
use super::json::{self, Value};
use crate::core::text;

/// The signature algorithms the SDK verifies. `none` and every `HS*` are absent on
/// purpose: a public client has no secret, so an HMAC "signature" proves nothing
/// (RFC 8725 §2.1, §3.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Alg {
    /// RSASSA-PKCS1-v1_5 with SHA-256 (RFC 7518 §3.3).
    RS256,
    /// RSASSA-PSS with SHA-256 (RFC 7518 §3.5).
    PS256,
    /// ECDSA P-256 with SHA-256 (RFC 7518 §3.4).
    ES256,
    /// ECDSA P-384 with SHA-384 (RFC 7518 §3.4).
    ES384,
    /// Ed25519 (RFC 8037 §3.1).
    EdDSA,
}

/// Every algorithm the SDK can verify, in preference order.
pub const SUPPORTED: [Alg; 5] = [Alg::RS256, Alg::PS256, Alg::ES256, Alg::ES384, Alg::EdDSA];

impl Alg {
    /// The JOSE name.
    pub fn name(self) -> &'static str {
        match self {
            Alg::RS256 => "RS256",
            Alg::PS256 => "PS256",
            Alg::ES256 => "ES256",
            Alg::ES384 => "ES384",
            Alg::EdDSA => "EdDSA",
        }
    }

    /// Parses a JOSE name.
    pub fn from_name(name: &str) -> Option<Alg> {
        SUPPORTED.into_iter().find(|a| a.name() == name)
    }

    /// The key type and curve a JWK must have for this algorithm (RFC 7518 §6, RFC 8037 §2).
    fn key_shape(self) -> (&'static str, Option<&'static str>) {
        match self {
            Alg::RS256 | Alg::PS256 => ("RSA", None),
            Alg::ES256 => ("EC", Some("P-256")),
            Alg::ES384 => ("EC", Some("P-384")),
            Alg::EdDSA => ("OKP", Some("Ed25519")),
        }
    }
}

/// The algorithms to accept: those the provider advertises for ID tokens (OIDC Discovery
/// `id_token_signing_alg_values_supported`), narrowed by the app's `idTokenSigningAlgs`,
/// and never outside [`SUPPORTED`]. With neither, RS256 alone (OIDC Core 3.1.3.7 (7)).
pub fn allowed_algs(advertised: Option<&[String]>, option: Option<&[String]>) -> Vec<Alg> {
    if advertised.is_none() && option.is_none() {
        return vec![Alg::RS256];
    }
    let listed = |list: Option<&[String]>, a: Alg| {
        let Some(l) = list else { return true };
        for n in l {
            if n == a.name() {
                return true;
            }
        }
        false
    };
    let mut algs = Vec::new();
    for a in SUPPORTED {
        if listed(advertised, a) && listed(option, a) {
            algs.push(a);
        }
    }
    algs
}

fn invalid(why: impl Into<String>) -> Error {
    Error::new(code::INVALID_ID_TOKEN, why.into())
}

/// Checks a protected header and returns its algorithm and `kid`.
/// - `alg` must be one of `allowed` (RFC 8725 §3.1): `none` and `HS*` never are;
/// - `jku`, `x5u`, `jwk` and `x5c` are refused: the key comes from the issuer's `jwks_uri`
///   only, never from the token itself (RFC 8725 §3.10);
/// - `crit` is refused: the SDK understands no extension (RFC 7515 §4.1.11).
pub fn check_header(header: &Value, allowed: &[Alg]) -> Result<(Alg, Option<String>)> {
    let name = header.get("alg").and_then(Value::as_str).ok_or_else(|| invalid("the ID token's header has no alg").at("alg"))?;
    let alg = Alg::from_name(name)
        .filter(|a| allowed.contains(a))
        .ok_or_else(|| invalid(text::cat(&["the ID token's alg ", name, " is not allowed"])).at("alg"))?;
    for embedded in ["jku", "x5u", "jwk", "x5c"] {
        if header.get(embedded).is_some() {
            return Err(invalid(text::cat(&["the ID token's header carries `", embedded, "`"])).at(embedded));
        }
    }
    if header.get("crit").is_some() {
        return Err(invalid("the ID token's header has `crit`").at("crit"));
    }
    let kid = match header.get("kid") {
        None => None,
        Some(Value::String(k)) => Some(k.clone()),
        Some(_) => return Err(invalid("the ID token's kid is not a string").at("kid")),
    };
    Ok((alg, kid))
}

/// Key sets larger than this are refused: a provider publishes a handful of keys, and a
/// huge set is an attempt to make the client work.
pub const MAX_KEYS: usize = 100;

/// One public key of the provider.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Jwk {
    /// `kid`
    pub kid: Option<String>,
    /// `kty`
    pub kty: String,
    /// `crv`
    pub crv: Option<String>,
    /// `use`
    pub use_: Option<String>,
    /// `alg`
    pub alg: Option<String>,
    /// `key_ops`
    pub key_ops: Option<Vec<String>>,
    /// The key as JSON text, handed to `crypto.subtle.importKey('jwk', …)`.
    pub json: String,
}

/// The provider's JWK Set (RFC 7517 §5).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Jwks {
    /// The keys, in order.
    pub keys: Vec<Jwk>,
}

/// Processes a `jwks_uri` answer. Keys whose members have the wrong types are refused
/// with the whole set; keys of unknown types are kept and never match.
pub fn process_jwks(status: u16, body: &str) -> Result<Jwks> {
    let bad = |why: &str| Error::new(code::INVALID_JWKS, why.to_owned());
    if status != 200 {
        return Err(Error::new(code::INVALID_JWKS, text::cat(&["the JWK Set answered HTTP ", &text::int(status.into())])).at("status"));
    }
    let doc = json::parse(body).map_err(|_| bad("the JWK Set is not JSON").at("json"))?;
    let keys = doc.get("keys").and_then(Value::as_array).ok_or_else(|| bad("the JWK Set has no `keys` array").at("keys"))?;
    if keys.len() > MAX_KEYS {
        return Err(bad("the JWK Set has more than 100 keys").at("size"));
    }
    let mut set = Jwks::default();
    for k in keys {
        let s = |n: &'static str| k.string_of(n).map_err(|_| bad("a JWK member has the wrong type").at(n));
        let key_ops = k.strings_of("key_ops").map_err(|_| bad("a JWK's key_ops is malformed").at("key_ops"))?;
        set.keys.push(Jwk {
            kid: s("kid")?,
            kty: s("kty")?.ok_or_else(|| bad("a JWK has no kty").at("kty"))?,
            crv: s("crv")?,
            use_: s("use")?,
            alg: s("alg")?,
            key_ops,
            json: json::stringify(k),
        });
    }
    Ok(set)
}

impl Jwk {
    /// Whether this key may verify `alg` signatures: its `kty` and `crv` fit the algorithm,
    /// and its `use`, `alg` and `key_ops`, when present, allow it (RFC 7517 §4.2–4.4).
    pub fn fits(&self, alg: Alg) -> bool {
        let (kty, crv) = alg.key_shape();
        self.kty == kty
            && (crv.is_none() || self.crv.as_deref() == crv)
            && self.use_.as_deref().is_none_or(|u| u == "sig")
            && self.alg.as_deref().is_none_or(|a| a == alg.name())
            && self.key_ops.as_ref().is_none_or(|ops| ops.iter().any(|o| o == "verify"))
    }
}

/// The key for a token: by `kid` when the header has one, else the only key that fits.
/// `Ok(None)` means no key has that `kid`: the set may have rotated, so the caller may
/// fetch it again. A key with the `kid` that does not fit the algorithm is an error.
pub fn select_key<'a>(jwks: &'a Jwks, alg: Alg, kid: Option<&str>) -> Result<Option<&'a Jwk>> {
    match kid {
        Some(kid) => match jwks.keys.iter().find(|k| k.kid.as_deref() == Some(kid)) {
            None => Ok(None),
            Some(k) if k.fits(alg) => Ok(Some(k)),
            Some(_) => Err(invalid(text::cat(&["the key ", kid, " cannot verify ", alg.name(), " signatures"])).at("key")),
        },
        None => {
            let mut fitting = jwks.keys.iter().filter(|k| k.fits(alg));
            match (fitting.next(), fitting.next()) {
                (Some(k), None) => Ok(Some(k)),
                (None, _) => Ok(None),
                (Some(_), Some(_)) => Err(invalid("no kid, and several keys fit").at("kid")),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(text: &str) -> Value {
        json::parse(text).unwrap()
    }

    #[test]
    fn header_policy() {
        let all = SUPPORTED.to_vec();
        assert_eq!(check_header(&header(r#"{"alg":"RS256","kid":"k1"}"#), &all).unwrap(), (Alg::RS256, Some("k1".into())));
        assert_eq!(check_header(&header(r#"{"alg":"EdDSA"}"#), &all).unwrap(), (Alg::EdDSA, None));
        for (h, check) in [
            (r#"{"alg":"none"}"#, "alg"),
            (r#"{"alg":"HS256","kid":"k1"}"#, "alg"),
            (r#"{"alg":"HS512"}"#, "alg"),
            (r#"{"alg":"RS512"}"#, "alg"),
            (r#"{"typ":"JWT"}"#, "alg"),
            (r#"{"alg":"RS256","jku":"https://evil/jwks"}"#, "jku"),
            (r#"{"alg":"RS256","x5u":"https://evil/cert"}"#, "x5u"),
            (r#"{"alg":"RS256","jwk":{"kty":"RSA"}}"#, "jwk"),
            (r#"{"alg":"RS256","x5c":["MII"]}"#, "x5c"),
            (r#"{"alg":"RS256","crit":["exp"]}"#, "crit"),
            (r#"{"alg":"RS256","kid":7}"#, "kid"),
        ] {
            let e = check_header(&header(h), &all).unwrap_err();
            assert_eq!((e.code(), e.check()), (code::INVALID_ID_TOKEN, check), "{h}: {e:?}");
        }
        assert!(check_header(&header(r#"{"alg":"PS256"}"#), &[Alg::RS256]).is_err(), "narrowed out");
    }

    #[test]
    fn allowed_algorithms() {
        let adv = vec!["RS256".to_owned(), "HS256".into(), "none".into(), "ES256".into()];
        assert_eq!(allowed_algs(Some(&adv), None), vec![Alg::RS256, Alg::ES256]);
        assert_eq!(allowed_algs(Some(&adv), Some(&["ES256".to_owned(), "HS256".into()])), vec![Alg::ES256]);
        assert_eq!(allowed_algs(None, None), vec![Alg::RS256]);
        assert_eq!(allowed_algs(None, Some(&["EdDSA".to_owned()])), vec![Alg::EdDSA]);
    }

    const SET: &str = r#"{"keys":[
        {"kty":"RSA","kid":"rsa","use":"sig","alg":"RS256","n":"AQAB","e":"AQAB"},
        {"kty":"EC","kid":"ec","crv":"P-256","x":"x","y":"y","key_ops":["verify"]},
        {"kty":"EC","kid":"ec384","crv":"P-384","x":"x","y":"y"},
        {"kty":"RSA","kid":"enc","use":"enc","n":"AQAB","e":"AQAB"},
        {"kty":"OKP","kid":"ed","crv":"Ed25519","x":"x"},
        {"kty":"oct","kid":"hmac","k":"c2VjcmV0"}
    ]}"#;

    #[test]
    fn selects_keys_that_fit() {
        let jwks = process_jwks(200, SET).unwrap();
        assert_eq!(jwks.keys.len(), 6);
        assert_eq!(select_key(&jwks, Alg::RS256, Some("rsa")).unwrap().unwrap().kid.as_deref(), Some("rsa"));
        assert!(select_key(&jwks, Alg::RS256, Some("rsa")).unwrap().unwrap().json.contains("\"n\":\"AQAB\""));
        assert_eq!(select_key(&jwks, Alg::ES256, Some("ec")).unwrap().unwrap().kid.as_deref(), Some("ec"));
        assert_eq!(select_key(&jwks, Alg::EdDSA, None).unwrap().unwrap().kid.as_deref(), Some("ed"));
        assert_eq!(select_key(&jwks, Alg::RS256, Some("unknown")).unwrap(), None, "rotation: refetch");
        for (alg, kid) in [
            (Alg::PS256, "rsa"),   // the JWK's alg says RS256
            (Alg::ES256, "rsa"),   // wrong kty
            (Alg::ES256, "ec384"), // wrong curve
            (Alg::RS256, "enc"),   // use: enc
            (Alg::RS256, "hmac"),  // a symmetric key
        ] {
            assert_eq!(select_key(&jwks, alg, Some(kid)).unwrap_err().code(), code::INVALID_ID_TOKEN, "{kid}");
        }
        let two = process_jwks(200, r#"{"keys":[{"kty":"RSA","n":"a","e":"b"},{"kty":"RSA","n":"c","e":"d"}]}"#).unwrap();
        assert!(select_key(&two, Alg::RS256, None).is_err(), "ambiguous without kid");
        let ops = process_jwks(200, r#"{"keys":[{"kty":"EC","crv":"P-256","key_ops":["sign"]}]}"#).unwrap();
        assert_eq!(select_key(&ops, Alg::ES256, None).unwrap(), None);
    }

    #[test]
    fn refuses_bad_key_sets() {
        let many = format!(r#"{{"keys":[{}]}}"#, vec![r#"{"kty":"RSA","n":"a","e":"b"}"#; 1000].join(","));
        for (status, body) in [
            (200, "<html>"),
            (200, "{}"),
            (200, r#"{"keys":{}}"#),
            (200, r#"{"keys":[{"kid":"k"}]}"#),
            (200, r#"{"keys":[{"kty":1}]}"#),
            (200, r#"{"keys":[{"kty":"EC","key_ops":"verify"}]}"#),
            (500, "oops"),
            (200, many.as_str()),
        ] {
            assert_eq!(process_jwks(status, body).unwrap_err().code(), code::INVALID_JWKS, "{}", &body[..body.len().min(40)]);
        }
    }
}
