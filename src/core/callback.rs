//! The authorization response: parse a callback URL into a code or a provider
//! error ([RFC 6749 §4.1.2]), and the `iss` check of [RFC 9207].
//!
//! [RFC 6749 §4.1.2]: https://www.rfc-editor.org/rfc/rfc6749#section-4.1.2
//! [RFC 9207]: https://www.rfc-editor.org/rfc/rfc9207

use super::error::{code, Error, Kind, Result};
use super::form;
use super::secret::{AuthorizationCode, IdToken};
use crate::core::text;

/// Callback URLs longer than this are refused before any parsing.
pub const MAX_CALLBACK_URL_LEN: usize = 100 * 1024;

/// Parameters the callback carries and the cleanup removes from the URL.
pub const RESPONSE_PARAMS: [&str; 7] = ["code", "state", "iss", "session_state", "error", "error_description", "id_token"];

/// What the provider sent back.
#[derive(Debug, PartialEq, Eq)]
pub enum Response {
    /// Success: a code to exchange (RFC 6749 §4.1.2).
    Code {
        /// The authorization code.
        code: AuthorizationCode,
        /// `state`, to find the transaction.
        state: String,
        /// RFC 9207 `iss`, when sent.
        iss: Option<String>,
        /// The front-channel ID token of the hybrid flow (OIDC Core 3.3.2.5).
        id_token: Option<IdToken>,
    },
    /// The provider refused (RFC 6749 §4.1.2.1).
    Error {
        /// `error`
        error: String,
        /// `error_description`
        description: Option<String>,
        /// `state`, when sent.
        state: Option<String>,
        /// RFC 9207 `iss`, when sent.
        iss: Option<String>,
    },
}

impl Response {
    /// The `state` of the response.
    pub fn state(&self) -> Option<&str> {
        match self {
            Response::Code { state, .. } => Some(state),
            Response::Error { state, .. } => state.as_deref(),
        }
    }

    /// The RFC 9207 `iss` of the response.
    pub fn iss(&self) -> Option<&str> {
        match self {
            Response::Code { iss, .. } | Response::Error { iss, .. } => iss.as_deref(),
        }
    }
}

/// Parses a callback URL. The response is read from the query, or from the fragment
/// for `response_mode=fragment` (OAuth 2.0 Multiple Response Type Encoding Practices §2).
pub fn parse(url: &str) -> Result<Response> {
    let invalid = |why: &str| Error::new(code::INVALID_CALLBACK, why.to_owned());
    if url.len() > MAX_CALLBACK_URL_LEN {
        return Err(invalid("the callback URL is longer than 100 KB").at("length"));
    }
    let (before_fragment, fragment) = text::split_once(url, b"#").map_or((url, ""), |(a, b)| (a, b));
    let query = text::split_once(before_fragment, b"?").map_or("", |(_, q)| q);
    let is_response = |pairs: &[(String, String)]| pairs.iter().any(|(k, _)| matches!(k.as_str(), "code" | "error" | "state"));
    let from_query = form::parse(query).ok_or_else(|| invalid("the callback query is malformed").at("encoding"))?;
    let pairs = if is_response(&from_query) {
        from_query
    } else {
        let from_fragment = form::parse(fragment).unwrap_or_default();
        if !is_response(&from_fragment) {
            return Err(Error::new(code::NOT_A_CALLBACK, "the URL is not an authorization response"));
        }
        from_fragment
    };
    from_pairs(&pairs)
}

/// Reads an authorization response from its parameters, wherever they came from: a
/// callback URL, or a `web_message` response object (OAuth 2.0 Web Message Response Mode).
pub fn from_pairs(pairs: &[(String, String)]) -> Result<Response> {
    let invalid = |why: &str| Error::new(code::INVALID_CALLBACK, why.to_owned());
    let one = |name: &'static str| -> Result<Option<String>> {
        let mut first = None;
        for (k, v) in pairs {
            if k == name {
                // RFC 6749 §3.1: request and response parameters must not be included more than once.
                if first.is_some() {
                    return Err(
                        Error::new(code::INVALID_CALLBACK, text::cat(&["the callback repeats the `", name, "` parameter"])).at(name)
                    );
                }
                first = Some(v.clone());
            }
        }
        Ok(first)
    };
    let (code, state, iss, error, description) = (one("code")?, one("state")?, one("iss")?, one("error")?, one("error_description")?);
    let id_token = one("id_token")?.filter(|t| !t.is_empty()).map(IdToken::new);
    if let Some(error) = error {
        return Ok(Response::Error { error, description, state, iss });
    }
    let Some(code) = code.filter(|c| !c.is_empty()) else {
        return Err(Error::new(code::NOT_A_CALLBACK, "the URL is not an authorization response"));
    };
    let state = state.filter(|s| !s.is_empty()).ok_or_else(|| invalid("the callback has no state").at("state"))?;
    Ok(Response::Code { code: AuthorizationCode::new(code), state, iss, id_token })
}

/// The prefix of `state` for logins answered in an iframe or a popup. Their transaction
/// lives only in the memory of the page that started them; a callback page that sees this
/// prefix hands the URL to that page instead of exchanging the code itself.
pub const HANDOFF_STATE_PREFIX: &str = "h.";

/// Whether a callback URL answers a login started in an iframe or a popup.
pub fn is_handoff(url: &str) -> bool {
    states(url).iter().any(|s| s.starts_with(HANDOFF_STATE_PREFIX))
}

/// Errors of a silent login that only mean "no session at the provider" (OIDC Core
/// 3.1.2.6): `checkSession` resolves signed out on them rather than throwing.
pub fn is_no_session(error: &str) -> bool {
    matches!(error, "login_required" | "consent_required" | "interaction_required" | "account_selection_required")
}

/// Every `state` value a callback URL carries, whatever else is wrong with it, so that a
/// refused callback still consumes the transaction of the login it answers.
pub fn states(url: &str) -> Vec<String> {
    let mut out = Vec::new();
    for p in text::split(url, b"?#&") {
        if let Some(s) = p.strip_prefix("state=").and_then(form::decode).filter(|s| !s.is_empty()) {
            out.push(s);
        }
    }
    out
}

/// The provider's error as a typed `AuthenticationError`.
pub fn provider_error(error: &str, description: Option<&str>) -> Error {
    Error::from_provider(Kind::Authentication, error, description)
}

/// RFC 9207 §2.4: when `iss` is present it must equal the issuer; when the provider
/// advertises the parameter, it must be present, unless the response carries an ID
/// token, whose own `iss` claim serves (RFC 9207 §2.4; providers such as oidc-provider
/// leave the parameter out of hybrid responses).
pub fn check_iss(iss: Option<&str>, issuer: &str, advertised: bool, has_id_token: bool) -> Result<()> {
    match iss {
        Some(i) if i == issuer => Ok(()),
        Some(i) => {
            Err(Error::new(code::INVALID_ISSUER, text::cat(&["the response's iss ", i, " is not the expected issuer ", issuer])).at("iss"))
        }
        None if advertised && !has_id_token => {
            Err(Error::new(code::INVALID_ISSUER, "the response has no iss (RFC 9207)").at("iss_missing"))
        }
        None => Ok(()),
    }
}

/// The URL with the response parameters removed from query and fragment and the app's own kept,
/// for `history.replaceState`. `None` when nothing needs removing.
pub fn cleaned_url(url: &str) -> Option<String> {
    let (before_fragment, fragment) = text::split_once(url, b"#").map_or((url, None), |(a, b)| (a, Some(b)));
    let (base, query) = text::split_once(before_fragment, b"?").map_or((before_fragment, None), |(a, b)| (a, Some(b)));
    let strip = |part: &str| -> String {
        let mut kept = String::new();
        for p in text::split(part, b"&") {
            let name = form::decode(text::until(p, b"=")).unwrap_or_default();
            if !p.is_empty() && !RESPONSE_PARAMS.contains(&name.as_str()) {
                if !kept.is_empty() {
                    kept.push('&');
                }
                kept.push_str(p);
            }
        }
        kept
    };
    let mut out = base.to_owned();
    if let Some(q) = query {
        let q = strip(q);
        if !q.is_empty() {
            out.push('?');
            out.push_str(&q);
        }
    }
    if let Some(f) = fragment {
        // A fragment that is a response (`#code=…&state=…`) is stripped; an app route (`#/page`) is kept.
        let f = if text::has(f.as_bytes(), b'=') && !f.starts_with("/") { strip(f) } else { f.to_owned() };
        if !f.is_empty() {
            out.push('#');
            out.push_str(&f);
        }
    }
    (out != url).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_code_from_query_or_fragment() {
        for url in ["https://app/cb?code=c%2B1&state=s+1&iss=https%3A%2F%2Fi%2F", "https://app/cb#code=c%2B1&state=s%201&iss=https://i/"] {
            match parse(url).unwrap() {
                Response::Code { code, state, iss, id_token } => {
                    assert_eq!((code.secret(), state.as_str(), iss.as_deref()), ("c+1", "s 1", Some("https://i/")));
                    assert_eq!(id_token, None);
                }
                other => panic!("{other:?}"),
            }
        }
    }

    #[test]
    fn parses_a_hybrid_response() {
        match parse("https://app/cb#code=c&state=s&id_token=a.b.c").unwrap() {
            Response::Code { id_token, .. } => assert_eq!(id_token.unwrap().secret(), "a.b.c"),
            other => panic!("{other:?}"),
        }
        assert_eq!(parse("https://app/cb#code=c&state=s&id_token=a&id_token=b").unwrap_err().code(), code::INVALID_CALLBACK);
    }

    #[test]
    fn parses_a_provider_error() {
        let r = parse("https://app/cb?error=access_denied&error_description=User%20did%20not%20authorize&state=s").unwrap();
        assert_eq!(
            r,
            Response::Error {
                error: "access_denied".into(),
                description: Some("User did not authorize".into()),
                state: Some("s".into()),
                iss: None
            }
        );
        let e = provider_error("access_denied", Some("User did not authorize"));
        assert_eq!((e.code(), e.kind()), ("access_denied", Kind::Authentication));
    }

    #[test]
    fn refuses_malformed_callbacks() {
        let long = format!("https://app/cb?code=c&state={}", "s".repeat(MAX_CALLBACK_URL_LEN));
        let table: &[(&str, &str)] = &[
            ("https://app/", code::NOT_A_CALLBACK),
            ("https://app/?page=2", code::NOT_A_CALLBACK),
            ("https://app/#/route", code::NOT_A_CALLBACK),
            ("https://app/cb?code=&state=s", code::NOT_A_CALLBACK),
            ("https://app/cb?code=c", code::INVALID_CALLBACK),
            ("https://app/cb?code=c&state=", code::INVALID_CALLBACK),
            ("https://app/cb?code=c&state=s&state=t", code::INVALID_CALLBACK),
            ("https://app/cb?code=c&code=d&state=s", code::INVALID_CALLBACK),
            ("https://app/cb?code=c&state=s&iss=a&iss=b", code::INVALID_CALLBACK),
            ("https://app/cb?error=a&error=b", code::INVALID_CALLBACK),
            ("https://app/cb?code=%zz&state=s", code::INVALID_CALLBACK),
            ("https://app/cb?code=%FF&state=s", code::INVALID_CALLBACK),
            (&long, code::INVALID_CALLBACK),
        ];
        for (url, want) in table {
            let got = parse(url).unwrap_err();
            assert_eq!(got.code(), *want, "{}", &url[..url.len().min(60)]);
            assert!(!got.description().contains("c&"), "descriptions never echo the code");
        }
    }

    #[test]
    fn finds_states_in_refused_callbacks() {
        assert_eq!(states("https://app/cb?code=c&state=s1&state=s2"), ["s1", "s2"]);
        assert_eq!(states("https://app/cb?x=1#code=c&state=a%20b"), ["a b"]);
        assert_eq!(states(&format!("https://app/cb?code=c&state=s&pad={}", "x".repeat(MAX_CALLBACK_URL_LEN))), ["s"]);
        assert!(states("https://app/cb?mystate=1&state=").is_empty());
    }

    #[test]
    fn web_message_responses_and_handoffs() {
        let pairs = vec![("code".to_owned(), "c".to_owned()), ("state".to_owned(), "h.s".to_owned())];
        assert!(matches!(from_pairs(&pairs).unwrap(), Response::Code { ref state, .. } if state == "h.s"));
        let err = vec![("error".to_owned(), "login_required".to_owned()), ("state".to_owned(), "h.s".to_owned())];
        assert!(matches!(from_pairs(&err).unwrap(), Response::Error { ref error, .. } if is_no_session(error)));
        assert!(!is_no_session("access_denied"));
        assert!(is_handoff("https://app/cb?code=c&state=h.abc"));
        assert!(!is_handoff("https://app/cb?code=c&state=abc"));
        assert!(!is_handoff("https://app/?x=h.abc"));
    }

    #[test]
    fn checks_iss() {
        assert!(check_iss(Some("https://i/"), "https://i/", true, false).is_ok());
        assert!(check_iss(None, "https://i/", false, false).is_ok());
        assert!(check_iss(None, "https://i/", true, true).is_ok(), "the ID token's iss serves");
        assert_eq!(check_iss(None, "https://i/", true, false).unwrap_err().code(), code::INVALID_ISSUER);
        assert_eq!(check_iss(Some("https://evil/"), "https://i/", false, false).unwrap_err().code(), code::INVALID_ISSUER);
        assert_eq!(check_iss(Some("https://evil/"), "https://i/", true, true).unwrap_err().code(), code::INVALID_ISSUER);
    }

    #[test]
    fn cleans_the_url_and_keeps_app_parameters() {
        let cases = [
            ("https://app/cb?code=c&state=s&iss=i&session_state=x", Some("https://app/cb")),
            ("https://app/cb?tab=2&code=c&state=s&keep=a%20b", Some("https://app/cb?tab=2&keep=a%20b")),
            ("https://app/cb?error=e&error_description=d&state=s#/route", Some("https://app/cb#/route")),
            ("https://app/cb#code=c&state=s", Some("https://app/cb")),
            ("https://app/cb?x=1#code=c&state=s&id_token=a.b.c", Some("https://app/cb?x=1")),
            ("https://app/cb?x=1", None),
        ];
        for (url, want) in cases {
            assert_eq!(cleaned_url(url).as_deref(), want, "{url}");
        }
    }
}
