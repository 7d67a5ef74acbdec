//! The demo's API, as in the Auth0 "Secure the endpoints" guide: `GET /timesheets` and
//! `POST /timesheets` for the caller's own entries, behind a bearer access token that is
//! a JWT signed by the provider.
//!
//! The HTTP handling is sans-IO ([`Api::handle`] maps a [`Request`] to a [`Response`]), so
//! the rules are tested without sockets; `main.rs` puts tiny_http around it.
//! - The token is checked with jsonwebtoken: signature against the provider's JWKS,
//!   `iss`, `aud`, `exp` (RFC 9068 §4). A missing or invalid token is a 401 with
//!   `WWW-Authenticate: Bearer error="invalid_token"` (RFC 6750 §3.1).
//! - `read:timesheets` and `create:timesheets` are required per route; without them,
//!   403 `insufficient_scope`.
//! - Entries are keyed by `sub`: one user never sees another's. Bad JSON is a 400.
//! - A DPoP-bound token (`cnf.jkt`, RFC 9449 §6) comes as `Authorization: DPoP` with a
//!   proof in the `DPoP` header, checked per RFC 9449 §4.3 and §7: the proof's signature
//!   against its own header `jwk`, `typ`, `htm`, `htu`, `iat` within a minute, `jti` never
//!   seen before, `ath`, and the key's RFC 7638 thumbprint against `cnf.jkt`. Sent as a
//!   bearer token, or with a proof of another key, it is refused. With a nonce demanded
//!   ([`Api::demand_nonce`]), a proof without it gets `use_dpop_nonce` (§9).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use jsonwebtoken::jwk::{JwkSet, ThumbprintHash};
use jsonwebtoken::{decode, decode_header, Algorithm, DecodingKey, Validation};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::{HashMap, HashSet};
use std::sync::Mutex;

/// What the API needs of an HTTP request.
pub struct Request<'a> {
    /// `GET`, `POST`, `OPTIONS`, …
    pub method: &'a str,
    /// The path, without the query.
    pub path: &'a str,
    /// The URL the client called, without query (a DPoP proof's `htu`).
    pub url: &'a str,
    /// The `Authorization` header, if any.
    pub authorization: Option<&'a str>,
    /// The `DPoP` header, if any.
    pub dpop: Option<&'a str>,
    /// The body.
    pub body: &'a str,
}

/// An HTTP answer.
#[derive(Debug, PartialEq, Eq)]
pub struct Response {
    /// The status.
    pub status: u16,
    /// Extra headers.
    pub headers: Vec<(&'static str, String)>,
    /// A JSON body.
    pub body: String,
}

impl Response {
    fn json(status: u16, body: serde_json::Value) -> Response {
        Response { status, headers: Vec::new(), body: body.to_string() }
    }
    fn challenge(status: u16, error: &str, description: &str, scope: Option<&str>) -> Response {
        Response::challenge_as("Bearer", status, error, description, scope)
    }
    fn challenge_as(scheme: &str, status: u16, error: &str, description: &str, scope: Option<&str>) -> Response {
        let algs = if scheme == "DPoP" { r#", algs="ES256""# } else { "" };
        let mut value = format!(r#"{scheme} realm="timesheets", error="{error}", error_description="{description}"{algs}"#);
        if let Some(scope) = scope {
            value.push_str(&format!(r#", scope="{scope}""#));
        }
        Response {
            status,
            headers: vec![("WWW-Authenticate", value)],
            body: serde_json::json!({ "error": error, "error_description": description }).to_string(),
        }
    }
}

/// One timesheet entry.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    /// The day, `YYYY-MM-DD`.
    pub date: String,
    /// What the time went to.
    pub project: String,
    /// Hours, 0 to 24.
    pub hours: f64,
}

#[derive(Deserialize)]
struct Claims {
    sub: String,
    #[serde(default)]
    scope: String,
    /// RFC 9449 §6.1: the thumbprint of the key the token is bound to.
    cnf: Option<Confirmation>,
}

#[derive(Deserialize)]
struct Confirmation {
    jkt: Option<String>,
}

/// A DPoP proof's claims (RFC 9449 §4.2).
#[derive(Deserialize)]
struct Proof {
    jti: String,
    htm: String,
    htu: String,
    iat: i64,
    nonce: Option<String>,
    ath: Option<String>,
}

fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
}

/// The API: who may do what, and everyone's entries in memory.
pub struct Api {
    issuer: String,
    audience: String,
    keys: JwkSet,
    entries: Mutex<HashMap<String, Vec<Entry>>>,
    /// The nonce every DPoP proof must carry, when one is demanded.
    nonce: Option<String>,
    /// Proof `jti`s seen (RFC 9449 §11.1: a proof is used once).
    seen: Mutex<HashSet<String>>,
}

impl Api {
    /// An API trusting tokens of `issuer` for `audience`, signed by a key of `keys`.
    pub fn new(issuer: &str, audience: &str, keys: JwkSet) -> Api {
        Api {
            issuer: issuer.to_owned(),
            audience: audience.to_owned(),
            keys,
            entries: Mutex::default(),
            nonce: None,
            seen: Mutex::default(),
        }
    }

    /// Demands `nonce` in every DPoP proof (RFC 9449 §9).
    pub fn demand_nonce(mut self, nonce: &str) -> Api {
        self.nonce = Some(nonce.to_owned());
        self
    }

    /// A DPoP proof for `token`, checked (RFC 9449 §4.3, §7.1); `Err` carries the 401.
    fn check_proof(&self, req: &Request<'_>, token: &str, jkt: &str) -> Result<(), Response> {
        let invalid = |why: &str| Response::challenge_as("DPoP", 401, "invalid_dpop_proof", why, None);
        let proof = req.dpop.ok_or_else(|| invalid("a DPoP proof is required"))?;
        let header = decode_header(proof).map_err(|_| invalid("the proof is malformed"))?;
        if header.typ.as_deref() != Some("dpop+jwt") || header.alg != Algorithm::ES256 {
            return Err(invalid("the proof must be an ES256 dpop+jwt"));
        }
        let jwk = header.jwk.as_ref().ok_or_else(|| invalid("the proof has no jwk"))?;
        let key = DecodingKey::from_jwk(jwk).map_err(|_| invalid("the proof's jwk is unusable"))?;
        let mut validation = Validation::new(Algorithm::ES256);
        validation.required_spec_claims.clear();
        validation.validate_exp = false;
        validation.validate_aud = false;
        let claims = decode::<Proof>(proof, &key, &validation).map_err(|_| invalid("the proof's signature is invalid"))?.claims;
        let ath = URL_SAFE_NO_PAD.encode(Sha256::digest(token.as_bytes()));
        let checks = [
            (claims.htm == req.method, "htm is not the request's method"),
            (claims.htu == req.url, "htu is not the request's URL"),
            ((claims.iat - now()).abs() <= 60, "iat is not within a minute"),
            (claims.ath.as_deref() == Some(ath.as_str()), "ath is not the access token's hash"),
            (jwk.thumbprint(ThumbprintHash::SHA256) == jkt, "the proof's key is not the one the token is bound to"),
        ];
        if let Some((_, why)) = checks.iter().find(|(ok, _)| !ok) {
            return Err(invalid(why));
        }
        if let Some(nonce) = &self.nonce {
            if claims.nonce.as_deref() != Some(nonce.as_str()) {
                let mut r = Response::challenge_as("DPoP", 401, "use_dpop_nonce", "the proof needs the API's nonce", None);
                r.headers.push(("DPoP-Nonce", nonce.clone()));
                return Err(r);
            }
        }
        if !self.seen.lock().unwrap_or_else(|e| e.into_inner()).insert(claims.jti) {
            return Err(invalid("the proof was used before"));
        }
        Ok(())
    }

    /// The caller's claims, or the 401 to answer.
    fn authenticate(&self, req: &Request<'_>) -> Result<Claims, Response> {
        let authorization = req.authorization.unwrap_or_default();
        let (scheme, token) = match authorization.split_once(' ') {
            Some(("Bearer", t)) => ("Bearer", t),
            Some(("DPoP", t)) => ("DPoP", t),
            _ => ("Bearer", ""),
        };
        let invalid = |why: &str| Response::challenge_as(scheme, 401, "invalid_token", why, None);
        if token.is_empty() {
            return Err(invalid("an access token is required"));
        }
        let claims = self.verify(token).map_err(&invalid)?;
        match (scheme, claims.cnf.as_ref().and_then(|c| c.jkt.as_deref())) {
            // RFC 9449 §7.2: a bound token is never accepted as a bearer token.
            ("Bearer", Some(_)) => Err(invalid("a DPoP-bound token must come with a DPoP proof")),
            ("DPoP", None) => Err(invalid("the token is not DPoP-bound")),
            ("DPoP", Some(jkt)) => self.check_proof(req, token, jkt).map(|()| claims),
            _ => Ok(claims),
        }
    }

    /// The access token's claims: signature, `iss`, `aud`, `exp`.
    fn verify(&self, token: &str) -> Result<Claims, &'static str> {
        let invalid = |why: &'static str| why;
        let header = decode_header(token).map_err(|_| invalid("the access token is malformed"))?;
        let jwk = header
            .kid
            .as_deref()
            .and_then(|kid| self.keys.find(kid))
            .ok_or_else(|| invalid("the access token is signed by an unknown key"))?;
        let key = DecodingKey::from_jwk(jwk).map_err(|_| invalid("the provider's key is unusable"))?;
        let mut validation = Validation::new(header.alg);
        validation.set_issuer(&[&self.issuer]);
        validation.set_audience(&[&self.audience]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.leeway = 5;
        decode::<Claims>(token, &key, &validation).map(|d| d.claims).map_err(|_| "the access token is invalid or expired")
    }

    /// Answers one request.
    pub fn handle(&self, req: &Request<'_>) -> Response {
        if req.path != "/timesheets" {
            return Response::json(404, serde_json::json!({ "error": "not_found" }));
        }
        let needed = match req.method {
            "GET" => "read:timesheets",
            "POST" => "create:timesheets",
            _ => return Response::json(405, serde_json::json!({ "error": "method_not_allowed" })),
        };
        let claims = match self.authenticate(req) {
            Ok(c) => c,
            Err(r) => return r,
        };
        if !claims.scope.split(' ').any(|s| s == needed) {
            return Response::challenge(403, "insufficient_scope", &format!("this needs {needed}"), Some(needed));
        }
        let mut all = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        let mine = all.entry(claims.sub).or_default();
        if req.method == "GET" {
            return Response::json(200, serde_json::json!(mine));
        }
        let entry: Entry = match serde_json::from_str(req.body) {
            Ok(e) => e,
            Err(e) => return Response::json(400, serde_json::json!({ "error": "invalid_request", "error_description": e.to_string() })),
        };
        let valid_date = entry.date.len() == 10
            && entry.date.bytes().enumerate().all(|(i, b)| if i == 4 || i == 7 { b == b'-' } else { b.is_ascii_digit() });
        if !valid_date || entry.project.trim().is_empty() || !(0.0..=24.0).contains(&entry.hours) {
            return Response::json(
                400,
                serde_json::json!({ "error": "invalid_request", "error_description": "date YYYY-MM-DD, a project and 0-24 hours are required" }),
            );
        }
        mine.push(entry.clone());
        Response::json(201, serde_json::json!(entry))
    }
}

/// The provider's signing keys: discovery, then `jwks_uri`.
pub fn fetch_keys(issuer: &str) -> Result<JwkSet, String> {
    let discovery: serde_json::Value = ureq::get(&format!("{}/.well-known/openid-configuration", issuer.trim_end_matches('/')))
        .call()
        .map_err(|e| format!("discovery: {e}"))?
        .into_json()
        .map_err(|e| format!("discovery: {e}"))?;
    let uri = discovery["jwks_uri"].as_str().ok_or("discovery has no jwks_uri")?;
    ureq::get(uri).call().map_err(|e| format!("jwks: {e}"))?.into_json().map_err(|e| format!("jwks: {e}"))
}
