//! Token endpoint requests and responses ([RFC 6749 §4.1.3], [§5], [§6]) and
//! token revocation ([RFC 7009]). Each step is a request/process pair: the
//! engine sends the body (a `fetch` effect) and hands the status and text back.
//!
//! [RFC 6749 §4.1.3]: https://www.rfc-editor.org/rfc/rfc6749#section-4.1.3
//! [§5]: https://www.rfc-editor.org/rfc/rfc6749#section-5
//! [§6]: https://www.rfc-editor.org/rfc/rfc6749#section-6
//! [RFC 7009]: https://www.rfc-editor.org/rfc/rfc7009

use super::error::{code, Error, Kind, Result};
use super::form::Serializer;
use super::json::{self, Value};
use super::pkce::CodeVerifier;
use super::secret::{AccessToken, AuthorizationCode, IdToken, RefreshToken};
use crate::core::text;

/// Token responses larger than this are refused unread (a token response is a few KB).
pub const MAX_RESPONSE_BYTES: usize = 1024 * 1024;

/// The longest `expires_in` accepted: one year. Anything longer is a provider bug.
pub const MAX_EXPIRES_IN: i64 = 366 * 24 * 3600;

/// The body of the authorization-code grant (RFC 6749 §4.1.3, RFC 7636 §4.5).
/// Takes the verifier by value: it is used exactly once.
pub fn authorization_code_body(client_id: &str, code: &AuthorizationCode, verifier: CodeVerifier, redirect_uri: &str) -> String {
    Serializer::default()
        .pair("grant_type", "authorization_code")
        .pair("client_id", client_id)
        .pair("code", code.secret())
        .pair("code_verifier", verifier.secret())
        .pair("redirect_uri", redirect_uri)
        .finish()
}

/// The body of the refresh-token grant (RFC 6749 §6). `scope` may be narrower than the
/// original grant; `audience` selects another API on Auth0.
pub fn refresh_body(
    client_id: &str,
    refresh_token: &RefreshToken,
    scope: Option<&str>,
    audience: Option<&str>,
    extra: &[(String, String)],
) -> String {
    let mut body = Serializer::default()
        .pair("grant_type", "refresh_token")
        .pair("client_id", client_id)
        .pair("refresh_token", refresh_token.secret())
        .opt("scope", scope)
        .opt("audience", audience);
    for (k, v) in extra {
        body = body.pair(k, v);
    }
    body.finish()
}

/// The body of a revocation request for a refresh token (RFC 7009 §2.1).
pub fn revocation_body(client_id: &str, refresh_token: &RefreshToken) -> String {
    Serializer::default()
        .pair("client_id", client_id)
        .pair("token", refresh_token.secret())
        .pair("token_type_hint", "refresh_token")
        .finish()
}

/// A successful token response (RFC 6749 §5.1).
#[derive(Debug, PartialEq, Eq)]
pub struct TokenResponse {
    /// `access_token`
    pub access_token: AccessToken,
    /// `expires_in`, seconds.
    pub expires_in: i64,
    /// `id_token` (OIDC Core 3.1.3.3).
    pub id_token: Option<IdToken>,
    /// `refresh_token`: when present, it replaces the one that was used (rotation).
    pub refresh_token: Option<RefreshToken>,
    /// `scope`: the granted scope when it differs from the requested one (RFC 6749 §3.3).
    pub scope: Option<String>,
    /// `token_type` is `DPoP` (RFC 9449 §5): the token is bound to the client's key.
    pub dpop: bool,
}

/// Turns a token endpoint answer into a [`TokenResponse`] or a typed error.
pub fn process_response(status: u16, body: &str) -> Result<TokenResponse> {
    if body.len() > MAX_RESPONSE_BYTES {
        return Err(Error::new(code::INVALID_RESPONSE, "the response is larger than 1 MB").at("size"));
    }
    let parsed = json::parse(body);
    if status != 200 {
        return Err(process_error(status, parsed.ok().as_ref()));
    }
    let doc = parsed.map_err(|_| Error::new(code::INVALID_JSON, "the token response is not JSON"))?;
    let wrong =
        |k: &'static str| Error::new(code::INVALID_RESPONSE, text::cat(&["the token response's `", k, "` is missing or mistyped"])).at(k);
    let opt_str = |k: &'static str| doc.string_of(k).map_err(|_| wrong(k));
    if !matches!(doc, Value::Object(_)) {
        return Err(Error::new(code::INVALID_RESPONSE, "the token response is not an object").at("json"));
    }
    let access_token = opt_str("access_token")?.ok_or_else(|| wrong("access_token"))?;
    let token_type = opt_str("token_type")?.ok_or_else(|| wrong("token_type"))?;
    // RFC 6749 §7.1, RFC 6750 §4, RFC 9449 §5: the type is case-insensitive; Bearer or
    // DPoP (which [`check_type`] then holds against the client's configuration).
    let dpop = token_type.eq_ignore_ascii_case("dpop");
    if !dpop && !token_type.eq_ignore_ascii_case("bearer") {
        return Err(Error::new(code::UNSUPPORTED_TOKEN_TYPE, text::cat(&["token_type ", &token_type, " is not Bearer or DPoP"])));
    }
    let expires_in = doc.get("expires_in").ok_or_else(|| wrong("expires_in"))?;
    let expires_in = match expires_in {
        Value::Number(_) => expires_in.as_i64(),
        // Some providers send the number as a string.
        Value::String(s) => json::parse_int(s),
        _ => None,
    }
    .ok_or_else(|| wrong("expires_in"))?;
    if !(1..=MAX_EXPIRES_IN).contains(&expires_in) {
        return Err(Error::new(code::INVALID_RESPONSE, text::cat(&["expires_in ", &text::int(expires_in), " is outside 1 s to 1 year"]))
            .at("expires_in"));
    }
    Ok(TokenResponse {
        access_token: AccessToken::new(access_token),
        expires_in,
        id_token: opt_str("id_token")?.map(IdToken::new),
        refresh_token: opt_str("refresh_token")?.map(RefreshToken::new),
        scope: opt_str("scope")?,
        dpop,
    })
}

/// The token type against the client's DPoP setting (RFC 9449 §5): a DPoP token only to a
/// client that sent proofs; with proofs sent to a provider that advertises DPoP
/// (`dpop_signing_alg_values_supported`), a Bearer token is a downgrade and refused. A
/// provider that does not advertise DPoP may ignore the proof and answer Bearer, which is
/// then used as a Bearer token.
pub fn check_type(response: &TokenResponse, use_dpop: bool, advertised: bool) -> Result<()> {
    if response.dpop && !use_dpop {
        return Err(Error::new(code::UNSUPPORTED_TOKEN_TYPE, "token_type DPoP, but useDpop is off").at("token_type"));
    }
    if use_dpop && advertised && !response.dpop {
        return Err(Error::new(code::DPOP_DOWNGRADE, "the provider supports DPoP but issued a Bearer token").at("token_type"));
    }
    Ok(())
}

/// RFC 6749 §5.2: an error answer with `{error, error_description}`; anything else is an
/// unexpected status.
pub(crate) fn process_error(status: u16, doc: Option<&Value>) -> Error {
    let error = doc.and_then(|d| d.get("error")).and_then(Value::as_str);
    match error {
        Some(e) if (400..500).contains(&status) && !e.is_empty() => {
            let description = doc.and_then(|d| d.get("error_description")).and_then(Value::as_str);
            let error = Error::from_provider(Kind::Generic, e, description);
            // auth0-spa-js's MfaRequiredError carries the token that continues the MFA flow.
            match doc.and_then(|d| d.str_of("mfa_token").ok().flatten()) {
                Some(t) if e == "mfa_required" => error.with("mfa_token", t.to_owned()),
                _ => error,
            }
        }
        _ => Error::new(
            code::UNEXPECTED_STATUS,
            text::cat(&["the server answered HTTP ", &text::int(status.into()), " without an OAuth error"]),
        ),
    }
}

/// The longest wait a `429` may impose, seconds.
pub const MAX_RETRY_AFTER_SECS: i64 = 300;
/// The wait after a `429` that gave no readable `Retry-After`, seconds.
pub const DEFAULT_RETRY_AFTER_SECS: i64 = 5;

/// How long to wait after `429 Too Many Requests` (RFC 6585 §4): `Retry-After` in
/// delta-seconds (RFC 9110 §10.2.3), between 1 s and [`MAX_RETRY_AFTER_SECS`];
/// [`DEFAULT_RETRY_AFTER_SECS`] when it is absent, not exposed by CORS, or an HTTP-date.
pub fn retry_after_secs(header: Option<&str>) -> i64 {
    header.and_then(|h| json::parse_int(h.trim_ascii())).map_or(DEFAULT_RETRY_AFTER_SECS, |s| s.clamp(1, MAX_RETRY_AFTER_SECS))
}

/// Processes a revocation answer (RFC 7009 §2.2): 200 is success, whatever the body.
pub fn process_revocation(status: u16, body: &str) -> Result<()> {
    if status == 200 {
        Ok(())
    } else {
        Err(process_error(status, json::parse(body).ok().as_ref()))
    }
}

/// RFC 6750 §3.1: does a `WWW-Authenticate` header say the access token was refused
/// (`Bearer error="invalid_token"`)?
pub fn is_invalid_token_challenge(www_authenticate: &str) -> bool {
    is_challenge(www_authenticate, "invalid_token")
}

/// Whether a `WWW-Authenticate` value is a Bearer (RFC 6750 §3) or DPoP (RFC 9449 §7.1)
/// challenge with `error` equal to `error`.
pub fn is_challenge(www_authenticate: &str, error: &str) -> bool {
    let h = www_authenticate.trim_ascii_start();
    let scheme = text::until(h, b" ");
    if !scheme.eq_ignore_ascii_case("bearer") && !scheme.eq_ignore_ascii_case("dpop") {
        return false;
    }
    text::split(&h[scheme.len()..], b",").any(|p| {
        let Some((k, v)) = text::split_once(p, b"=") else {
            return false;
        };
        k.trim_ascii().eq_ignore_ascii_case("error") && text::trim_byte(v.trim_ascii(), b'"') == error
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_bodies() {
        let v = CodeVerifier::from_random([0; 32]);
        let verifier_text = v.secret().to_owned();
        let b = authorization_code_body("c 1", &AuthorizationCode::new("co+de".into()), v, "https://app/cb?x=1");
        assert_eq!(
            b,
            format!("grant_type=authorization_code&client_id=c%201&code=co%2Bde&code_verifier={verifier_text}&redirect_uri=https%3A%2F%2Fapp%2Fcb%3Fx%3D1")
        );
        let r = RefreshToken::new("r/1".into());
        assert_eq!(refresh_body("c", &r, None, None, &[]), "grant_type=refresh_token&client_id=c&refresh_token=r%2F1");
        assert_eq!(
            refresh_body("c", &r, Some("openid read"), Some("https://api/"), &[("organization".into(), "org_1".into())]),
            "grant_type=refresh_token&client_id=c&refresh_token=r%2F1&scope=openid%20read&audience=https%3A%2F%2Fapi%2F&organization=org_1"
        );
        assert_eq!(revocation_body("c", &r), "client_id=c&token=r%2F1&token_type_hint=refresh_token");
    }

    #[test]
    fn parses_a_good_response() {
        let r = process_response(
            200,
            r#"{"access_token":"at","token_type":"bearer","expires_in":300,"id_token":"a.b.c","refresh_token":"rt","scope":"openid x"}"#,
        )
        .unwrap();
        assert_eq!(r.access_token.secret(), "at");
        assert_eq!(r.expires_in, 300);
        assert_eq!(r.refresh_token.unwrap().secret(), "rt");
        assert_eq!(r.scope.as_deref(), Some("openid x"));
        let r = process_response(200, r#"{"access_token":"at","token_type":"Bearer","expires_in":"60"}"#).unwrap();
        assert_eq!((r.expires_in, r.id_token, r.refresh_token), (60, None, None));
    }

    #[test]
    fn refuses_bad_bodies() {
        let huge = format!(r#"{{"access_token":"{}","token_type":"Bearer","expires_in":1}}"#, "a".repeat(MAX_RESPONSE_BYTES));
        let table: &[(u16, &str, &str)] = &[
            (200, "", code::INVALID_JSON),
            (200, "<html><body>oops</body></html>", code::INVALID_JSON),
            (200, "not json", code::INVALID_JSON),
            (200, "[]", code::INVALID_RESPONSE),
            (200, "{}", code::INVALID_RESPONSE),
            (200, r#"{"access_token":1,"token_type":"Bearer","expires_in":1}"#, code::INVALID_RESPONSE),
            (200, r#"{"access_token":"","token_type":"Bearer","expires_in":1}"#, code::INVALID_RESPONSE),
            (200, r#"{"access_token":"a","expires_in":1}"#, code::INVALID_RESPONSE),
            (200, r#"{"access_token":"a","token_type":"mac","expires_in":1}"#, code::UNSUPPORTED_TOKEN_TYPE),
            (200, r#"{"access_token":"a","token_type":"Bearer"}"#, code::INVALID_RESPONSE),
            (200, r#"{"access_token":"a","token_type":"Bearer","expires_in":-5}"#, code::INVALID_RESPONSE),
            (200, r#"{"access_token":"a","token_type":"Bearer","expires_in":0}"#, code::INVALID_RESPONSE),
            (200, r#"{"access_token":"a","token_type":"Bearer","expires_in":99999999999}"#, code::INVALID_RESPONSE),
            (200, r#"{"access_token":"a","token_type":"Bearer","expires_in":1e9}"#, code::INVALID_RESPONSE),
            (200, r#"{"access_token":"a","token_type":"Bearer","expires_in":true}"#, code::INVALID_RESPONSE),
            (200, r#"{"access_token":"a","token_type":"Bearer","expires_in":1,"id_token":{}}"#, code::INVALID_RESPONSE),
            (200, r#"{"access_token":"a","token_type":"Bearer","expires_in":1,"refresh_token":7}"#, code::INVALID_RESPONSE),
            (200, r#"{"access_token":"a","token_type":"Bearer","expires_in":1,"scope":["a"]}"#, code::INVALID_RESPONSE),
            (200, &huge, code::INVALID_RESPONSE),
            (400, r#"{"error":"invalid_grant","error_description":"grant request is invalid"}"#, "invalid_grant"),
            (401, r#"{"error":"invalid_client"}"#, "invalid_client"),
            (403, r#"{"error":"mfa_required","error_description":"Multifactor authentication required"}"#, "mfa_required"),
            (400, "<html>Bad Request</html>", code::UNEXPECTED_STATUS),
            (500, "<html><h1>Internal Server Error</h1></html>", code::UNEXPECTED_STATUS),
            (503, r#"{"error":"temporarily_unavailable"}"#, code::UNEXPECTED_STATUS),
            (302, "", code::UNEXPECTED_STATUS),
        ];
        for (status, body, want) in table {
            let e = process_response(*status, body).unwrap_err();
            assert_eq!(e.code(), *want, "{status} {}", &body[..body.len().min(80)]);
        }
        let e = process_response(400, r#"{"error":"invalid_grant","error_description":"grant request is invalid"}"#).unwrap_err();
        assert_eq!(e.description(), "grant request is invalid");
        let e = process_response(403, r#"{"error":"mfa_required"}"#).unwrap_err();
        assert_eq!(e.kind(), Kind::MfaRequired);
    }

    #[test]
    fn the_token_type_must_match_the_dpop_setting() {
        let of = |t: &str| process_response(200, &format!(r#"{{"access_token":"a","token_type":"{t}","expires_in":1}}"#)).unwrap();
        let (dpop, bearer) = (of("dpop"), of("Bearer"));
        assert!(dpop.dpop && !bearer.dpop);
        assert_eq!(check_type(&dpop, false, false).unwrap_err().code(), code::UNSUPPORTED_TOKEN_TYPE);
        assert_eq!(check_type(&dpop, false, true).unwrap_err().code(), code::UNSUPPORTED_TOKEN_TYPE);
        assert_eq!(check_type(&bearer, true, true).unwrap_err().code(), code::DPOP_DOWNGRADE);
        assert!(check_type(&bearer, false, true).is_ok());
        assert!(check_type(&bearer, true, false).is_ok(), "RFC 9449 §5: a provider without DPoP answers Bearer");
        assert!(check_type(&dpop, true, true).is_ok() && check_type(&dpop, true, false).is_ok());
    }

    #[test]
    fn revocation_answers() {
        assert!(process_revocation(200, "").is_ok());
        assert_eq!(process_revocation(400, r#"{"error":"unsupported_token_type"}"#).unwrap_err().code(), "unsupported_token_type");
        assert_eq!(process_revocation(500, "x").unwrap_err().code(), code::UNEXPECTED_STATUS);
    }

    #[test]
    fn bearer_challenges() {
        assert!(is_invalid_token_challenge(r#"Bearer error="invalid_token", error_description="expired""#));
        assert!(is_invalid_token_challenge(r#"bearer realm="api",error=invalid_token"#));
        assert!(!is_invalid_token_challenge(r#"Bearer error="insufficient_scope""#));
        assert!(!is_invalid_token_challenge(r#"Basic realm="x""#));
        assert!(!is_invalid_token_challenge("Bear"));
        assert!(is_invalid_token_challenge(r#"DPoP error="invalid_token", algs="ES256""#));
        assert!(is_challenge(r#"DPoP error="use_dpop_nonce", error_description="nonce""#, "use_dpop_nonce"));
        assert!(!is_challenge(r#"DPoPx error="use_dpop_nonce""#, "use_dpop_nonce"));
        assert!(!is_invalid_token_challenge(""));
    }
}
