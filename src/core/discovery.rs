//! Provider metadata ([OpenID Connect Discovery 1.0]).
//!
//! [OpenID Connect Discovery 1.0]: https://openid.net/specs/openid-connect-discovery-1_0.html

use super::config::{check_url, Config};
use super::error::{code, Error, Result};
use super::json;
use crate::core::text;

/// The provider endpoints and capabilities the SDK uses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Metadata {
    /// `issuer`
    pub issuer: String,
    /// `authorization_endpoint`
    pub authorization_endpoint: String,
    /// `token_endpoint`
    pub token_endpoint: String,
    /// `end_session_endpoint` (OpenID Connect RP-Initiated Logout 1.0 §2.1)
    pub end_session_endpoint: Option<String>,
    /// `revocation_endpoint` (RFC 8414 §2)
    pub revocation_endpoint: Option<String>,
    /// `jwks_uri`
    pub jwks_uri: Option<String>,
    /// `authorization_response_iss_parameter_supported` (RFC 9207 §3)
    pub iss_parameter_supported: bool,
    /// `id_token_signing_alg_values_supported`
    pub id_token_signing_algs: Option<Vec<String>>,
    /// `response_modes_supported` lists `web_message` (OAuth 2.0 Web Message Response Mode).
    pub web_message: bool,
    /// `scopes_supported` lists `offline_access`, or the document has no such list.
    pub offline_access: bool,
    /// `dpop_signing_alg_values_supported` lists ES256 (RFC 9449 §5.1): a Bearer answer to
    /// a DPoP request is then a downgrade.
    pub dpop: bool,
    /// `pushed_authorization_request_endpoint` (RFC 9126 §5).
    pub par_endpoint: Option<String>,
    /// `require_pushed_authorization_requests` (RFC 9126 §5).
    pub require_par: bool,
}

/// Where the metadata document lives (OIDC Discovery §4.1).
pub fn url(config: &Config) -> String {
    text::cat(&[&config.base_url, "/.well-known/openid-configuration"])
}

/// The RFC 8414 metadata URL of the issuer (§3.1: the well-known segment goes between
/// the host and the issuer's path).
pub fn oauth_metadata_url(config: &Config) -> Option<String> {
    let (scheme, rest) = super::config::split_scheme(&config.issuer)?;
    let (host, path) = text::split_once(rest, b"/").unwrap_or((rest, ""));
    Some(text::cat(&[
        scheme,
        "://",
        host,
        "/.well-known/oauth-authorization-server",
        if path.is_empty() { "" } else { "/" },
        text::trim_slashes(path),
    ]))
}

/// Whether a metadata document's `issuer` is the expected one: identical (OIDC Discovery
/// §4.3, RFC 8414 §3.3), or, for an issuer that came from an origin `domain`, the same
/// origin with or without the trailing slash.
fn is_issuer(config: &Config, issuer: &str) -> bool {
    issuer == config.issuer || (config.issuer_is_origin && text::trim_slashes(issuer) == text::trim_slashes(&config.issuer))
}

/// The `revocation_endpoint` of an RFC 8414 metadata answer, which some providers publish
/// only there; `None` unless it is a 200 for this issuer (§3.3) with a valid endpoint.
pub fn revocation_of_oauth_metadata(config: &Config, status: u16, body: &str) -> Option<String> {
    let doc = json::parse(body).ok().filter(|_| status == 200)?;
    let issuer = doc.str_of("issuer").ok()??;
    let endpoint = doc.string_of("revocation_endpoint").ok()??;
    (is_issuer(config, issuer) && check_url(&endpoint, "revocation_endpoint").is_ok()).then_some(endpoint)
}

/// Metadata taken from explicit options alone, when they name at least the
/// authorization and token endpoints; `None` means discovery is needed.
pub fn from_options(config: &Config) -> Option<Metadata> {
    let get = |k: &str| config.endpoints.iter().find(|(n, _)| *n == k).map(|(_, v)| v.clone());
    Some(Metadata {
        issuer: config.issuer.clone(),
        authorization_endpoint: get("authorization_endpoint")?,
        token_endpoint: get("token_endpoint")?,
        end_session_endpoint: get("end_session_endpoint"),
        revocation_endpoint: get("revocation_endpoint"),
        jwks_uri: get("jwks_uri"),
        iss_parameter_supported: false,
        id_token_signing_algs: None,
        web_message: false,
        offline_access: true,
        dpop: false,
        par_endpoint: get("pushed_authorization_request_endpoint"),
        require_par: false,
    })
}

/// Metadata with Auth0's endpoint paths under the configured domain, for tests.
#[cfg(test)]
pub(crate) fn auth0_like(config: &Config) -> Metadata {
    Metadata {
        issuer: config.issuer.clone(),
        authorization_endpoint: text::cat(&[&config.base_url, "/authorize"]),
        token_endpoint: text::cat(&[&config.base_url, "/oauth/token"]),
        end_session_endpoint: None,
        revocation_endpoint: None,
        jwks_uri: None,
        iss_parameter_supported: false,
        id_token_signing_algs: None,
        web_message: false,
        offline_access: true,
        dpop: false,
        par_endpoint: None,
        require_par: false,
    }
}

/// Parses a discovery response and checks it belongs to the configured issuer.
/// Explicit endpoints in the options win over discovered ones.
pub fn process(config: &Config, status: u16, body: &str) -> Result<Metadata> {
    let fail = |why: String| Error::new(code::DISCOVERY_FAILED, why);
    if status != 200 {
        return Err(fail(text::cat(&[&url(config), " answered HTTP ", &text::int(status.into())])).at("status"));
    }
    let doc = json::parse(body).map_err(|_| fail(text::cat(&[&url(config), " is not JSON"])).at("json"))?;
    // An endpoint given in the options wins over the discovered one.
    let string = |k: &'static str| -> Result<Option<String>> {
        let found = doc.string_of(k).map_err(|_| fail(text::cat(&[k, " is not a string"])).at(k))?;
        for (n, v) in &config.endpoints {
            if *n == k {
                return Ok(Some(v.clone()));
            }
        }
        Ok(found)
    };
    let required = |k: &'static str| string(k)?.ok_or_else(|| fail(text::cat(&["metadata has no ", k])).at(k));
    let issuer = required("issuer")?;
    // OIDC Discovery §4.3: the issuer in the document must be identical to the one expected.
    if !is_issuer(config, &issuer) {
        return Err(fail(text::cat(&["metadata issuer ", &issuer, " differs from the expected ", &config.issuer])).at("issuer"));
    }
    let endpoint = |k: &'static str, v: Option<String>| -> Result<Option<String>> {
        if let Some(v) = &v {
            check_url(v, k).map_err(|e| fail(e.description().to_owned()).at(k))?;
        }
        Ok(v)
    };
    Ok(Metadata {
        authorization_endpoint: endpoint("authorization_endpoint", Some(required("authorization_endpoint")?))?.unwrap_or_default(),
        token_endpoint: endpoint("token_endpoint", Some(required("token_endpoint")?))?.unwrap_or_default(),
        end_session_endpoint: endpoint("end_session_endpoint", string("end_session_endpoint")?)?,
        revocation_endpoint: endpoint("revocation_endpoint", string("revocation_endpoint")?)?,
        jwks_uri: endpoint("jwks_uri", string("jwks_uri")?)?,
        iss_parameter_supported: doc.bool_of("authorization_response_iss_parameter_supported") == Ok(Some(true)),
        id_token_signing_algs: doc
            .strings_of("id_token_signing_alg_values_supported")
            .map_err(|_| fail("id_token_signing_alg_values_supported is not a list".into()).at("id_token_signing_alg_values_supported"))?,
        web_message: doc.lists("response_modes_supported", "web_message") == Some(true),
        // Some providers issue refresh tokens without `offline_access` and refuse it as an
        // unknown scope: it is asked for only where the provider lists it, or lists nothing.
        offline_access: doc.lists("scopes_supported", "offline_access") != Some(false),
        dpop: doc.lists("dpop_signing_alg_values_supported", "ES256") == Some(true),
        par_endpoint: endpoint("pushed_authorization_request_endpoint", string("pushed_authorization_request_endpoint")?)?,
        require_par: doc.bool_of("require_pushed_authorization_requests") == Ok(Some(true)),
        issuer,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::config::Options;

    fn config(domain: &str) -> Config {
        Config::new(Options { domain: domain.into(), client_id: "c".into(), ..Options::default() }).unwrap()
    }

    #[test]
    fn an_origin_domain_takes_discoverys_spelling_of_the_issuer_and_a_path_is_verbatim() {
        let doc = |issuer: &str| {
            format!(
                r#"{{"issuer":"{issuer}","authorization_endpoint":"http://127.0.0.1:4000/a","token_endpoint":"http://127.0.0.1:4000/t"}}"#
            )
        };
        for (domain, discovered) in [
            ("http://127.0.0.1:4000", "http://127.0.0.1:4000/"),
            ("http://127.0.0.1:4000/", "http://127.0.0.1:4000"),
            ("http://127.0.0.1:4000", "http://127.0.0.1:4000"),
            ("tenant.auth0.com", "https://tenant.auth0.com"),
        ] {
            let m = process(&config(domain), 200, &doc(discovered)).unwrap_or_else(|e| panic!("{domain} {discovered}: {e:?}"));
            assert_eq!(m.issuer, discovered, "the value ID tokens are then checked against");
        }
        // A path is taken verbatim, and an explicit issuer always wins.
        let e = process(&config("http://127.0.0.1:4000/oidc"), 200, &doc("http://127.0.0.1:4000/oidc/")).unwrap_err();
        assert_eq!(e.check(), "issuer");
        let explicit = Config::new(Options {
            domain: "http://127.0.0.1:4000".into(),
            client_id: "c".into(),
            issuer: Some("http://127.0.0.1:4000".into()),
            ..Options::default()
        })
        .unwrap();
        assert_eq!(process(&explicit, 200, &doc("http://127.0.0.1:4000/")).unwrap_err().check(), "issuer");
        assert_eq!(process(&config("http://127.0.0.1:4000"), 200, &doc("http://127.0.0.1:4001/")).unwrap_err().check(), "issuer");
    }

    #[test]
    fn reads_metadata() {
        let c = config("tenant.auth0.com");
        assert_eq!(url(&c), "https://tenant.auth0.com/.well-known/openid-configuration");
        let body = r#"{"issuer":"https://tenant.auth0.com/","authorization_endpoint":"https://tenant.auth0.com/authorize",
            "token_endpoint":"https://tenant.auth0.com/oauth/token","revocation_endpoint":"https://tenant.auth0.com/oauth/revoke",
            "jwks_uri":"https://tenant.auth0.com/.well-known/jwks.json","end_session_endpoint":null,
            "authorization_response_iss_parameter_supported":true}"#;
        let m = process(&c, 200, body).unwrap();
        assert_eq!(m.token_endpoint, "https://tenant.auth0.com/oauth/token");
        assert_eq!(m.end_session_endpoint, None);
        assert!(m.iss_parameter_supported);
        assert_eq!(m.id_token_signing_algs, None);
        assert!(!m.web_message);
        let wm = body.replace("\"jwks_uri\"", "\"response_modes_supported\":[\"query\",\"web_message\"],\"jwks_uri\"");
        assert!(process(&c, 200, &wm).unwrap().web_message);
        let with_algs = body.replace("\"jwks_uri\"", "\"id_token_signing_alg_values_supported\":[\"RS256\",\"ES256\"],\"jwks_uri\"");
        assert_eq!(process(&c, 200, &with_algs).unwrap().id_token_signing_algs.unwrap(), ["RS256", "ES256"]);
        let bad_algs = body.replace("\"jwks_uri\"", "\"id_token_signing_alg_values_supported\":\"RS256\",\"jwks_uri\"");
        assert_eq!(process(&c, 200, &bad_algs).unwrap_err().code(), code::DISCOVERY_FAILED);
    }

    #[test]
    fn rejects_bad_metadata() {
        let c = config("http://127.0.0.1:4000/oidc");
        for (status, body, check) in [
            (404, "{}", "status"),
            (200, "<html>", "json"),
            (200, r#"{"issuer":"http://127.0.0.1:4000/other"}"#, "issuer"),
            (200, r#"{"issuer":"http://127.0.0.1:4000/oidc"}"#, "authorization_endpoint"),
            (
                200,
                r#"{"issuer":"http://127.0.0.1:4000/oidc","authorization_endpoint":5,"token_endpoint":"http://127.0.0.1:4000/t"}"#,
                "authorization_endpoint",
            ),
            (
                200,
                r#"{"issuer":"http://127.0.0.1:4000/oidc","authorization_endpoint":"http://evil.example/a","token_endpoint":"http://127.0.0.1:4000/t"}"#,
                "authorization_endpoint",
            ),
        ] {
            let e = process(&c, status, body).unwrap_err();
            assert_eq!((e.code(), e.check()), (code::DISCOVERY_FAILED, check), "{e:?}");
        }
    }

    #[test]
    fn explicit_endpoints_skip_or_override_discovery() {
        let mut c = config("tenant.auth0.com");
        assert_eq!(from_options(&c), None);
        c.endpoints = vec![
            ("authorization_endpoint", "https://tenant.auth0.com/authorize".into()),
            ("token_endpoint", "https://tenant.auth0.com/oauth/token".into()),
        ];
        assert_eq!(from_options(&c).unwrap().token_endpoint, "https://tenant.auth0.com/oauth/token");
    }
}
