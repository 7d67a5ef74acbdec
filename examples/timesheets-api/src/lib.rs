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

use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{decode, decode_header, DecodingKey, Validation};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::Mutex;

/// What the API needs of an HTTP request.
pub struct Request<'a> {
    /// `GET`, `POST`, `OPTIONS`, …
    pub method: &'a str,
    /// The path, without the query.
    pub path: &'a str,
    /// The `Authorization` header, if any.
    pub authorization: Option<&'a str>,
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
        let mut value = format!(r#"Bearer realm="timesheets", error="{error}", error_description="{description}""#);
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
}

/// The API: who may do what, and everyone's entries in memory.
pub struct Api {
    issuer: String,
    audience: String,
    keys: JwkSet,
    entries: Mutex<HashMap<String, Vec<Entry>>>,
}

impl Api {
    /// An API trusting tokens of `issuer` for `audience`, signed by a key of `keys`.
    pub fn new(issuer: &str, audience: &str, keys: JwkSet) -> Api {
        Api { issuer: issuer.to_owned(), audience: audience.to_owned(), keys, entries: Mutex::default() }
    }

    /// The caller's claims, or the 401 to answer.
    fn authenticate(&self, authorization: Option<&str>) -> Result<Claims, Response> {
        let invalid = |why: &str| Response::challenge(401, "invalid_token", why, None);
        let token = authorization.and_then(|h| h.strip_prefix("Bearer ")).ok_or_else(|| invalid("a bearer access token is required"))?;
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
        decode::<Claims>(token, &key, &validation).map(|d| d.claims).map_err(|_| invalid("the access token is invalid or expired"))
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
        let claims = match self.authenticate(req.authorization) {
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
