//! The authorization request ([RFC 6749 §4.1.1], [OIDC Core 3.1.2.1]) and the
//! transaction that survives the redirect.
//!
//! [RFC 6749 §4.1.1]: https://www.rfc-editor.org/rfc/rfc6749#section-4.1.1
//! [OIDC Core 3.1.2.1]: https://openid.net/specs/openid-connect-core-1_0.html#AuthRequest

use super::base64url;
use super::callback::HANDOFF_STATE_PREFIX;
use super::config::{check_redirect_uri, AuthorizeParams, Config};
use super::discovery::Metadata;
use super::error::{code, Error, Result};
use super::form::{self, Serializer};
use super::json::{self, ObjectWriter};
use super::pkce::{CodeVerifier, Pkce};
use crate::core::text;

/// How long a started login may take before its transaction is refused: 30 minutes,
/// long enough for a sign-up with e-mail verification, short enough to bound replay.
pub const TRANSACTION_TTL_SECS: i64 = 30 * 60;

/// Where the authorization response will arrive.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// The page navigates to the provider and back.
    Redirect,
    /// A hidden iframe, without any interaction (`prompt=none`, OIDC Core 3.1.2.1).
    Silent,
    /// A popup window.
    Popup,
}

/// Fresh randomness for one authorization request, drawn by the caller
/// (the browser's `crypto.getRandomValues`; fixed bytes in tests).
pub struct Randomness {
    /// For `state` (RFC 6749 §10.12).
    pub state: [u8; 32],
    /// For `nonce` (OIDC Core 15.5.2).
    pub nonce: [u8; 32],
}

/// What the callback needs to finish a login. Stored in sessionStorage under a
/// key that contains `state`, read and removed in one synchronous step.
#[derive(Debug, PartialEq, Eq)]
pub struct Transaction {
    /// `state` sent in the request.
    pub state: String,
    /// `nonce` sent in the request; the ID token must carry it back.
    pub nonce: String,
    /// The PKCE verifier, sent with the code exchange.
    pub verifier: CodeVerifier,
    /// `redirect_uri` sent; the token request repeats it (RFC 6749 §4.1.3).
    pub redirect_uri: String,
    /// Requested audience, the cache key.
    pub audience: Option<String>,
    /// Requested scope, the cache key.
    pub scope: String,
    /// `max_age` sent, for the `auth_time` check (OIDC Core 3.1.2.1).
    pub max_age: Option<i64>,
    /// `organization` sent, for the `org_id`/`org_name` check.
    pub organization: Option<String>,
    /// `response_type` sent: `code`, or `code id_token` for the hybrid flow.
    pub response_type: String,
    /// The app's state, as JSON text, handed back by the callback.
    pub app_state: Option<String>,
    /// When the login started, seconds since the epoch.
    pub created_at: i64,
}

/// Builds the authorize URL and the transaction of one login. `app_state` is JSON text
/// (the JS side stringifies it). A redirect login's transaction is stored before
/// navigating; silent and popup logins keep theirs in memory and get a `state` with
/// [`HANDOFF_STATE_PREFIX`], and `response_mode=web_message` where the provider offers it
/// (else the answer comes back to `redirect_uri` in the frame, which hands it over); a
/// silent one gets `prompt=none`.
#[allow(clippy::too_many_arguments)]
pub fn request(
    mode: Mode,
    config: &Config,
    metadata: &Metadata,
    params: &AuthorizeParams,
    random: Randomness,
    pkce: Pkce,
    app_state: Option<String>,
    now: i64,
) -> Result<(String, Transaction)> {
    params.check()?;
    let mut params = config.authorization_params.merged(params);
    if mode != Mode::Redirect {
        let set = |params: &mut AuthorizeParams, k: &str, v: &str| {
            params.extra.retain(|(n, _)| n != k);
            params.extra.push((k.to_owned(), v.to_owned()));
        };
        if metadata.web_message {
            set(&mut params, "response_mode", "web_message");
        }
        if mode == Mode::Silent {
            set(&mut params, "prompt", "none");
        }
    }
    let redirect_uri =
        params.redirect_uri.clone().ok_or_else(|| Error::new(code::INVALID_OPTIONS, "redirect_uri is required").at("redirect_uri"))?;
    check_redirect_uri(&redirect_uri)?;
    let scope = config.effective_scope(params.scope.as_deref());
    let Pkce { verifier, challenge } = pkce;
    let tx = Transaction {
        state: match mode {
            Mode::Redirect => base64url::encode(&random.state),
            _ => text::cat(&[HANDOFF_STATE_PREFIX, &base64url::encode(&random.state)]),
        },
        nonce: base64url::encode(&random.nonce),
        redirect_uri,
        audience: params.audience.clone(),
        scope,
        max_age: params.extra("max_age").and_then(super::json::parse_int),
        organization: params.extra("organization").map(str::to_owned),
        response_type: params.extra("response_type").unwrap_or("code").to_owned(),
        app_state,
        created_at: now,
        verifier,
    };
    let mut q = Serializer::default()
        .pair("client_id", &config.client_id)
        .pair("response_type", &tx.response_type)
        .pair("redirect_uri", &tx.redirect_uri)
        .pair("scope", &tx.scope)
        .opt("audience", tx.audience.as_deref())
        .pair("state", &tx.state)
        .pair("nonce", &tx.nonce)
        .pair("code_challenge", &challenge)
        .pair("code_challenge_method", "S256");
    for (k, v) in params.extra.iter().filter(|(k, _)| k != "response_type") {
        q = q.pair(k, v);
    }
    Ok((form::append_query(&metadata.authorization_endpoint, &q.finish()), tx))
}

impl Transaction {
    /// The JSON text stored in sessionStorage.
    pub fn to_json(&self) -> String {
        let w = ObjectWriter::default()
            .str("state", &self.state)
            .str("nonce", &self.nonce)
            .str("code_verifier", self.verifier.secret())
            .str("redirect_uri", &self.redirect_uri)
            .opt_str("audience", self.audience.as_deref())
            .str("scope", &self.scope)
            .opt_str("organization", self.organization.as_deref())
            .str("response_type", &self.response_type)
            .int("created_at", self.created_at);
        let w = match self.max_age {
            Some(m) => w.int("max_age", m),
            None => w,
        };
        match &self.app_state {
            Some(s) => w.raw("app_state", s),
            None => w,
        }
        .finish()
    }

    /// Reads a stored transaction back; refuses one that is malformed or older than
    /// [`TRANSACTION_TTL_SECS`].
    pub fn from_json(text: &str, now: i64) -> Result<Transaction> {
        let bad = || Error::new(code::INVALID_TRANSACTION, "the stored transaction is malformed");
        let v = json::parse(text).map_err(|_| bad())?;
        let s = |k: &str| v.string_of(k).ok().flatten();
        let tx = Transaction {
            state: s("state").ok_or_else(bad)?,
            nonce: s("nonce").ok_or_else(bad)?,
            verifier: s("code_verifier").and_then(|c| CodeVerifier::parse(&c)).ok_or_else(bad)?,
            redirect_uri: s("redirect_uri").ok_or_else(bad)?,
            audience: s("audience"),
            scope: s("scope").ok_or_else(bad)?,
            max_age: v.int_of("max_age").map_err(|_| bad())?,
            organization: s("organization"),
            response_type: s("response_type").ok_or_else(bad)?,
            app_state: v.get("app_state").map(json::stringify),
            created_at: v.int_of("created_at").ok().flatten().ok_or_else(bad)?,
        };
        if now.saturating_sub(tx.created_at) > TRANSACTION_TTL_SECS || tx.created_at > now.saturating_add(300) {
            return Err(Error::new(code::TRANSACTION_EXPIRED, "the login transaction has expired"));
        }
        Ok(tx)
    }
}

/// The authorization URL of a pushed request (RFC 9126 §4): `client_id` and the
/// `request_uri` the PAR endpoint answered with (§2.2: 201 with `request_uri` and
/// `expires_in`); a provider error, any other status or a malformed answer is an error.
pub fn process_par(config: &Config, metadata: &Metadata, status: u16, body: &str) -> Result<String> {
    let doc = super::json::parse(body).ok();
    if status != 201 && status != 200 {
        return Err(super::token::process_error(status, doc.as_ref()).at("par"));
    }
    let uri = doc.and_then(|d| d.string_of("request_uri").ok().flatten());
    let uri = uri.ok_or_else(|| Error::new(code::INVALID_RESPONSE, "the PAR answer has no request_uri").at("request_uri"))?;
    let q = Serializer::default().pair("client_id", &config.client_id).pair("request_uri", &uri).finish();
    Ok(form::append_query(&metadata.authorization_endpoint, &q))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::config::Options;

    pub(crate) fn setup() -> (Config, Metadata) {
        let config = Config::new(Options {
            domain: "tenant.auth0.com".into(),
            client_id: "client 1".into(),
            authorization_params: AuthorizeParams {
                redirect_uri: Some("https://app.example/cb?x=1".into()),
                audience: Some("https://api.example/".into()),
                ..Default::default()
            },
            ..Options::default()
        })
        .unwrap();
        let meta = crate::core::discovery::auth0_like(&config);
        (config, meta)
    }

    fn random() -> Randomness {
        Randomness { state: [1; 32], nonce: [2; 32] }
    }

    pub(crate) fn pkce() -> Pkce {
        use sha2::{Digest, Sha256};
        let v = CodeVerifier::from_random([3; 32]);
        let d = Sha256::digest(v.secret());
        Pkce::s256(v, &d)
    }

    fn query(url: &str) -> Vec<(String, String)> {
        form::parse(url.split_once('?').unwrap().1).unwrap()
    }

    #[test]
    fn builds_the_authorize_url() {
        let (config, meta) = setup();
        let params = AuthorizeParams {
            scope: Some("read:a+b ünï".into()),
            extra: vec![("organization".into(), "org_1".into()), ("login_hint".into(), "a b@x.y".into()), ("max_age".into(), "0".into())],
            ..Default::default()
        };
        let (url, tx) = request(Mode::Redirect, &config, &meta, &params, random(), pkce(), Some("{\"to\":\"/x\"}".into()), 1000).unwrap();
        assert!(url.starts_with("https://tenant.auth0.com/authorize?client_id=client%201&response_type=code&"), "{url}");
        assert!(url.contains("scope=openid%20read%3Aa%2Bb%20%C3%BCn%C3%AF%20offline_access"), "{url}");
        assert!(url.contains("redirect_uri=https%3A%2F%2Fapp.example%2Fcb%3Fx%3D1"));
        assert!(!url.contains(tx.verifier.secret()), "the verifier never leaves the browser in the request");
        let q = query(&url);
        let get = |k: &str| q.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
        assert_eq!(get("state"), Some(tx.state.as_str()));
        assert_eq!(get("nonce"), Some(tx.nonce.as_str()));
        assert_eq!(get("code_challenge"), Some(pkce().challenge.as_str()));
        assert_eq!(get("code_challenge_method"), Some("S256"));
        assert_eq!(get("audience"), Some("https://api.example/"));
        assert_eq!(get("scope"), Some("openid read:a+b ünï offline_access"));
        assert_eq!(get("login_hint"), Some("a b@x.y"));
        assert_eq!((tx.max_age, tx.organization.as_deref()), (Some(0), Some("org_1")));
        assert_eq!(tx.response_type, "code");
        let hybrid = AuthorizeParams { extra: vec![("response_type".into(), "code id_token".into())], ..Default::default() };
        let (url, tx) = request(Mode::Redirect, &config, &meta, &hybrid, random(), pkce(), None, 1000).unwrap();
        assert_eq!(url.matches("response_type=").count(), 1);
        assert!(url.contains("response_type=code%20id_token"));
        assert_eq!(tx.response_type, "code id_token");
        assert_ne!(tx.state, tx.nonce);
    }

    #[test]
    fn silent_and_popup_requests() {
        let (config, mut meta) = setup();
        let params = AuthorizeParams { extra: vec![("prompt".into(), "login".into())], ..Default::default() };
        let (url, tx) = request(Mode::Silent, &config, &meta, &params, random(), pkce(), None, 0).unwrap();
        assert!(tx.state.starts_with(HANDOFF_STATE_PREFIX));
        assert!(url.contains("&prompt=none") && !url.contains("prompt=login") && !url.contains("response_mode"), "{url}");
        meta.web_message = true;
        let (url, _) = request(Mode::Popup, &config, &meta, &params, random(), pkce(), None, 0).unwrap();
        assert!(url.contains("prompt=login") && url.contains("response_mode=web_message"), "{url}");
        let (_, tx) = request(Mode::Redirect, &config, &meta, &params, random(), pkce(), None, 0).unwrap();
        assert!(!tx.state.starts_with(HANDOFF_STATE_PREFIX));
    }

    #[test]
    fn requires_a_redirect_uri_and_refuses_reserved_params() {
        let (mut config, meta) = setup();
        config.authorization_params.redirect_uri = None;
        let e = request(Mode::Redirect, &config, &meta, &AuthorizeParams::default(), random(), pkce(), None, 0).unwrap_err();
        assert_eq!(e.check(), "redirect_uri");
        let bad = AuthorizeParams { extra: vec![("nonce".into(), "n".into())], ..Default::default() };
        assert_eq!(request(Mode::Redirect, &config, &meta, &bad, random(), pkce(), None, 0).unwrap_err().code(), code::INVALID_OPTIONS);
    }

    #[test]
    fn transaction_round_trips_and_expires() {
        let (config, meta) = setup();
        let app_state = r#"{"returnTo":"/a?b=\"c\"","n":[1,true,null]}"#;
        let (_, tx) =
            request(Mode::Redirect, &config, &meta, &AuthorizeParams::default(), random(), pkce(), Some(app_state.into()), 1000).unwrap();
        let text = tx.to_json();
        let back = Transaction::from_json(&text, 1000 + TRANSACTION_TTL_SECS).unwrap();
        assert_eq!(back, tx);
        assert_eq!(back.app_state.as_deref(), Some(app_state));
        let e = Transaction::from_json(&text, 1001 + TRANSACTION_TTL_SECS).unwrap_err();
        assert_eq!(e.code(), code::TRANSACTION_EXPIRED);
        for bad in ["", "{}", "[]", r#"{"state":"s"}"#, &text.replace("created_at", "x")] {
            assert_eq!(Transaction::from_json(bad, 1000).unwrap_err().code(), code::INVALID_TRANSACTION);
        }
    }

    #[test]
    fn a_transaction_from_the_far_past_or_future_has_expired() {
        let (config, meta) = setup();
        let (_, tx) = request(Mode::Redirect, &config, &meta, &AuthorizeParams::default(), random(), pkce(), None, 1000).unwrap();
        let text = tx.to_json();
        for created_at in [-i64::MAX, 1000 - TRANSACTION_TTL_SECS - 1, 1000 + 301, i64::MAX] {
            let stored = text.replace("\"created_at\":1000", &format!("\"created_at\":{created_at}"));
            assert_ne!(stored, text);
            let e = Transaction::from_json(&stored, 1000).unwrap_err();
            assert_eq!(e.code(), code::TRANSACTION_EXPIRED, "{created_at}");
        }
    }
}
