//! Client options, validated once: the issuer, the client and the default
//! authorize parameters every request starts from.

use super::error::{code, Error, Result};
use crate::core::text;

/// Authorize parameters as the app passes them (`authorizationParams`).
/// Call-level parameters are merged over the client's with [`AuthorizeParams::merged`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuthorizeParams {
    /// `redirect_uri` (RFC 6749 §3.1.2).
    pub redirect_uri: Option<String>,
    /// Auth0's `audience`: which API the access token is for.
    pub audience: Option<String>,
    /// `scope`, space-separated (RFC 6749 §3.3).
    pub scope: Option<String>,
    /// Every other parameter (`organization`, `invitation`, `prompt`, `max_age`, …), in order.
    pub extra: Vec<(String, String)>,
}

/// Parameters the SDK computes itself; an app may not set them.
const RESERVED: [&str; 5] = ["client_id", "state", "nonce", "code_challenge", "code_challenge_method"];

/// The response types the SDK completes: the code flow, and the hybrid flow whose
/// front-channel ID token is checked before the code is exchanged (OIDC Core 3.3).
pub const RESPONSE_TYPES: [&str; 2] = ["code", "code id_token"];

impl AuthorizeParams {
    /// `self` with every parameter that `over` sets replaced by `over`'s.
    pub fn merged(&self, over: &AuthorizeParams) -> AuthorizeParams {
        let mut m = over.clone();
        for (k, v) in &self.extra {
            if over.extra(k).is_none() {
                m.extra.push((k.clone(), v.clone()));
            }
        }
        for (mine, theirs) in [(&mut m.redirect_uri, &self.redirect_uri), (&mut m.audience, &self.audience), (&mut m.scope, &self.scope)] {
            if mine.is_none() {
                mine.clone_from(theirs);
            }
        }
        m
    }

    /// The value of an extra parameter.
    pub fn extra(&self, name: &str) -> Option<&str> {
        self.extra.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    /// Rejects parameters the SDK owns.
    pub fn check(&self) -> Result<()> {
        if let Some((k, _)) = self.extra.iter().find(|(k, _)| RESERVED.contains(&k.as_str())) {
            return Err(
                Error::new(code::INVALID_OPTIONS, text::cat(&["authorizationParams.", k, " is set by the SDK"])).at("authorizationParams")
            );
        }
        if let Some(v) = self.extra("response_type") {
            if !RESPONSE_TYPES.contains(&v) {
                return Err(Error::new(code::INVALID_OPTIONS, "response_type must be code or code id_token").at("response_type"));
            }
        }
        if let Some(v) = self.extra("max_age") {
            if !super::json::parse_int(v).is_some_and(|n| (0..=i64::from(u32::MAX)).contains(&n)) {
                return Err(Error::new(code::INVALID_OPTIONS, "max_age must be whole seconds").at("max_age"));
            }
        }
        Ok(())
    }
}

/// Options as the app passes them to `createAuthClient`, before validation.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// `tenant.auth0.com`, or a full issuer URL.
    pub domain: String,
    /// The OAuth client id.
    pub client_id: String,
    /// The expected `iss` when it differs from the one `domain` implies.
    pub issuer: Option<String>,
    /// Default authorize parameters.
    pub authorization_params: AuthorizeParams,
    /// Ask for `offline_access` and renew with refresh tokens (default true).
    pub use_refresh_tokens: Option<bool>,
    /// Clock skew allowance in seconds (default 60).
    pub leeway: Option<u32>,
    /// Per-request timeout in seconds (default 10).
    pub http_timeout_in_seconds: Option<u32>,
    /// Explicit endpoints, to skip discovery: `authorization_endpoint`, `token_endpoint`, …
    pub endpoints: Vec<(&'static str, String)>,
    /// Narrows the ID token algorithms the provider advertises (`idTokenSigningAlgs`).
    pub id_token_signing_algs: Option<Vec<String>>,
    /// Share one session with the other tabs of this origin (`crossTab`, default true).
    pub cross_tab: Option<bool>,
    /// How long an iframe or popup login may take, seconds (`authorizeTimeoutInSeconds`, default 10).
    pub authorize_timeout_in_seconds: Option<u32>,
    /// Fall back to a silent iframe login when no refresh token is held (`useRefreshTokensFallback`).
    pub use_refresh_tokens_fallback: Option<bool>,
    /// The origins `fetchWithAuth` may send the access token to (`allowedOrigins`;
    /// default: the page's own).
    pub allowed_origins: Option<Vec<String>>,
    /// Bind tokens to a non-extractable key with DPoP (RFC 9449; `useDpop`).
    pub use_dpop: Option<bool>,
    /// Push every authorization request first (RFC 9126; `usePar`), as well as when the
    /// provider requires it.
    pub use_par: Option<bool>,
    /// Keep the DPoP-bound refresh token across reloads, in IndexedDB (`persistSession`).
    pub persist_session: Option<bool>,
}

/// Validated client configuration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// The expected `iss` of the provider (OIDC Discovery §4.3, RFC 9207). When it comes
    /// from a `domain` that is an origin, discovery's spelling (with or without the trailing
    /// slash) replaces it.
    pub issuer: String,
    /// Whether `issuer` came from a `domain` with no path, and may gain or lose its slash.
    pub issuer_is_origin: bool,
    /// Whether the provider takes `offline_access` (discovery's `scopes_supported`).
    pub offline_access: bool,
    /// Where discovery and Auth0's `/v2/logout` live: the domain's origin and path, no trailing slash.
    pub base_url: String,
    /// The OAuth client id.
    pub client_id: String,
    /// Default authorize parameters; `scope` always set, `redirect_uri` may come per call.
    pub authorization_params: AuthorizeParams,
    /// Whether refresh tokens are used.
    pub use_refresh_tokens: bool,
    /// Clock skew allowance, seconds.
    pub leeway: i64,
    /// Per-request timeout, seconds.
    pub http_timeout_secs: u32,
    /// Endpoints given explicitly.
    pub endpoints: Vec<(&'static str, String)>,
    /// The app's narrowing of the ID token algorithms.
    pub id_token_signing_algs: Option<Vec<String>>,
    /// Whether tabs share one session.
    pub cross_tab: bool,
    /// Iframe and popup login timeout, seconds.
    pub authorize_timeout_secs: u32,
    /// Whether a missing refresh token falls back to a silent iframe login.
    pub use_refresh_tokens_fallback: bool,
    /// `allowedOrigins`, normalised ([`origin_of`]); `None`: the page's own origin only.
    pub allowed_origins: Option<Vec<String>>,
    /// DPoP proofs on every token request, DPoP tokens only (RFC 9449).
    pub use_dpop: bool,
    /// Pushed authorization requests even where the provider does not require them (RFC 9126).
    pub use_par: bool,
    /// The DPoP-bound refresh token and the key survive a reload (IndexedDB); never
    /// without DPoP, so that what is stored is useless off this browser.
    pub persist_session: bool,
}

/// Default scope, as in auth0-spa-js.
pub const DEFAULT_SCOPE: &str = "openid profile email";

impl Config {
    /// Validates options.
    pub fn new(options: Options) -> Result<Config> {
        let bad = |what: &str| Error::new(code::INVALID_OPTIONS, what.to_owned());
        if options.client_id.trim_ascii().is_empty() {
            return Err(bad("clientId is required").at("clientId"));
        }
        let domain = options.domain.trim_ascii();
        if domain.is_empty() {
            return Err(bad("domain is required").at("domain"));
        }
        let (issuer, base_url) = if split_scheme(domain).is_some() {
            check_url(domain, "domain")?;
            (domain.to_owned(), text::trim_slashes(domain).to_owned())
        } else {
            let url = text::cat(&["https://", domain, "/"]);
            check_url(&url, "domain")?;
            (url, text::cat(&["https://", domain]))
        };
        // A domain that is an origin (no path) names the same discovery URL with or without
        // the trailing slash, so discovery's own spelling of it is accepted (auth0-spa-js
        // apps pass `https://tenant.auth0.com` and expect the issuer `…/`).
        let issuer_is_origin =
            options.issuer.is_none() && split_scheme(&issuer).is_some_and(|(_, r)| !text::has(text::trim_slashes(r).as_bytes(), b'/'));
        let issuer = match options.issuer {
            Some(i) => {
                check_url(&i, "issuer")?;
                i
            }
            None => issuer,
        };
        let mut params = options.authorization_params;
        params.check()?;
        if let Some(r) = &params.redirect_uri {
            check_redirect_uri(r)?;
        }
        let use_refresh_tokens = options.use_refresh_tokens.unwrap_or(true);
        params.scope = Some(params.scope.take().unwrap_or_else(|| DEFAULT_SCOPE.to_owned()));
        for (k, v) in &options.endpoints {
            check_url(v, k)?;
        }
        if let Some(algs) = &options.id_token_signing_algs {
            if let Some(a) = algs.iter().find(|a| super::jws::Alg::from_name(a).is_none()) {
                return Err(bad(&text::cat(&["idTokenSigningAlgs: ", a, " is not one of RS256, PS256, ES256, ES384, EdDSA"]))
                    .at("idTokenSigningAlgs"));
            }
        }
        let mut allowed_origins = None;
        for o in options.allowed_origins.iter().flatten() {
            check_url(o, "allowedOrigins")?;
            let rest = split_scheme(o).map_or("", |(_, r)| r);
            let path = &rest[text::until(rest, b"/?").len()..];
            let bare = path.is_empty() || path == "/";
            let origin = origin_of(o).filter(|_| bare).ok_or_else(|| {
                bad(&text::cat(&["allowedOrigins: ", o, " is not an origin (scheme://host[:port])"])).at("allowedOrigins")
            })?;
            allowed_origins.get_or_insert_with(Vec::new).push(origin);
        }
        let persist_session = options.persist_session.unwrap_or(false);
        if persist_session && options.use_dpop != Some(true) {
            // Without DPoP, a stored refresh token would be usable off this browser.
            return Err(bad("persistSession needs useDpop: true").at("persistSession"));
        }
        if options.allowed_origins.is_some_and(|l| l.is_empty()) {
            allowed_origins = Some(Vec::new());
        }
        Ok(Config {
            offline_access: true,
            issuer_is_origin,
            allowed_origins,
            issuer,
            base_url,
            client_id: options.client_id,
            authorization_params: params,
            use_refresh_tokens,
            leeway: i64::from(options.leeway.unwrap_or(60)),
            http_timeout_secs: options.http_timeout_in_seconds.unwrap_or(10).max(1),
            endpoints: options.endpoints,
            id_token_signing_algs: options.id_token_signing_algs,
            cross_tab: options.cross_tab.unwrap_or(true),
            authorize_timeout_secs: options.authorize_timeout_in_seconds.unwrap_or(10).max(1),
            use_refresh_tokens_fallback: options.use_refresh_tokens_fallback.unwrap_or(false),
            use_dpop: options.use_dpop.unwrap_or(false),
            use_par: options.use_par.unwrap_or(false),
            persist_session,
        })
    }

    /// The scope to request: always with `openid` (OIDC Core 3.1.2.1), and with
    /// `offline_access` when refresh tokens are on (OIDC Core 11) and the provider lists
    /// it in `scopes_supported` or has no such list, without duplicates. A scope the app
    /// passes is sent as given, `offline_access` included.
    pub fn effective_scope(&self, requested: Option<&str>) -> String {
        let requested = requested.or(self.authorization_params.scope.as_deref()).unwrap_or(DEFAULT_SCOPE);
        let mut out = String::from("openid");
        let extra = if self.use_refresh_tokens && self.offline_access { "offline_access" } else { "" };
        for s in text::split(requested, b" ").chain([extra]) {
            if !s.is_empty() && !text::split(&out, b" ").any(|x| x == s) {
                out.push(' ');
                out.push_str(s);
            }
        }
        out
    }
}

/// `(scheme, rest)` of `scheme://rest`: the scheme ends at the first `:`.
pub fn split_scheme(url: &str) -> Option<(&str, &str)> {
    let i = text::find(url, b":")?;
    Some((&url[..i], url[i..].strip_prefix("://")?))
}

/// The origin (`scheme://host[:port]`) of an absolute URL, normalised as browsers
/// serialise origins: scheme and host in lowercase, no default port, no trailing dot on
/// the host. A URL the browser produced (`Request.url`, `location.origin`) already has its
/// IDN labels in ASCII (Punycode); an origin the app writes must use that A-label form.
pub fn origin_of(url: &str) -> Option<String> {
    let (scheme, rest) = split_scheme(url)?;
    let scheme = scheme.to_ascii_lowercase();
    let authority = text::until(rest, b"/?#");
    let (host, port) = match text::rfind(authority, b":") {
        Some(i) if !text::has(&authority.as_bytes()[i..], b']') => (&authority[..i], &authority[i + 1..]),
        _ => (authority, ""),
    };
    let mut out = text::cat(&[&scheme, "://", &host.strip_suffix(".").unwrap_or(host).to_ascii_lowercase()]);
    if !matches!((scheme.as_str(), port), (_, "") | ("https", "443") | ("http", "80")) {
        out.push(':');
        out.push_str(port);
    }
    Some(out)
}

/// The host of an absolute URL, or `None` if it is not one.
pub fn host_of(url: &str) -> Option<&str> {
    let rest = split_scheme(url)?.1;
    let authority = text::until(rest, b"/?#");
    if text::has(authority.as_bytes(), b'@') {
        return None;
    }
    let host = if authority.starts_with("[") {
        &authority[..=text::find(authority, b"]")?]
    } else {
        text::rfind(authority, b":").map_or(authority, |i| &authority[..i])
    };
    (!host.is_empty()).then_some(host)
}

/// `localhost`, `127.0.0.1` or `[::1]` (RFC 8252 §8.3).
pub fn is_loopback(host: &str) -> bool {
    matches!(host, "localhost" | "127.0.0.1" | "[::1]")
}

/// An endpoint or issuer must be `https`, or `http` on localhost, with no fragment
/// (RFC 6749 §3.1, §3.2; RFC 8252 §8.3 for the loopback exception).
pub fn check_url(url: &str, what: &'static str) -> Result<()> {
    let bad = |why: &str| Err(Error::new(code::INVALID_OPTIONS, text::cat(&[what, " must be ", why])).at(what));
    let Some(host) = host_of(url) else {
        return bad("an absolute URL");
    };
    if text::has(url.as_bytes(), b'#') || url.chars().any(|c| c.is_whitespace()) {
        return bad("a URL without a fragment or spaces");
    }
    if url.starts_with("https://") || (url.starts_with("http://") && is_loopback(host)) {
        Ok(())
    } else {
        bad("https, or http on loopback")
    }
}

/// A redirect URI must be absolute with no fragment (RFC 6749 §3.1.2).
/// Any scheme is allowed here; the provider's registration is the authority on which.
pub fn check_redirect_uri(url: &str) -> Result<()> {
    if host_of(url).is_none() || text::has(url.as_bytes(), b'#') {
        return Err(Error::new(code::INVALID_OPTIONS, "redirect_uri must be absolute, without #").at("redirect_uri"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(domain: &str) -> Options {
        Options { domain: domain.into(), client_id: "abc".into(), ..Options::default() }
    }

    #[test]
    fn domain_forms() {
        let c = Config::new(opts("tenant.auth0.com")).unwrap();
        assert_eq!((c.issuer.as_str(), c.base_url.as_str()), ("https://tenant.auth0.com/", "https://tenant.auth0.com"));
        let c = Config::new(opts("http://127.0.0.1:4000/oidc")).unwrap();
        assert_eq!((c.issuer.as_str(), c.base_url.as_str()), ("http://127.0.0.1:4000/oidc", "http://127.0.0.1:4000/oidc"));
        let c = Config::new(Options { issuer: Some("https://login.example.com/".into()), ..opts("t.auth0.com") }).unwrap();
        assert_eq!(c.issuer, "https://login.example.com/");
        assert_eq!(c.authorization_params.scope.as_deref(), Some(DEFAULT_SCOPE));
        assert_eq!((c.leeway, c.http_timeout_secs, c.use_refresh_tokens), (60, 10, true));
    }

    #[test]
    fn rejects_bad_options() {
        // Every URL rule of `domain` is one check: the option named.
        for (o, check) in [
            (opts(""), "domain"),
            (Options { client_id: " ".into(), ..opts("a.com") }, "clientId"),
            (opts("http://example.com"), "domain"),
            (opts("ftp://example.com"), "domain"),
            (opts("https://user@example.com"), "domain"),
            (opts("https://example.com/#x"), "domain"),
            (opts("exa mple.com"), "domain"),
            (Options { issuer: Some("http://evil.com".into()), ..opts("a.com") }, "issuer"),
            (
                Options {
                    authorization_params: AuthorizeParams { extra: vec![("state".into(), "x".into())], ..Default::default() },
                    ..opts("a.com")
                },
                "authorizationParams",
            ),
            (
                Options {
                    authorization_params: AuthorizeParams { extra: vec![("max_age".into(), "-1".into())], ..Default::default() },
                    ..opts("a.com")
                },
                "max_age",
            ),
            (
                Options {
                    authorization_params: AuthorizeParams { redirect_uri: Some("/cb".into()), ..Default::default() },
                    ..opts("a.com")
                },
                "redirect_uri",
            ),
            (Options { id_token_signing_algs: Some(vec!["RS256".into(), "HS256".into()]), ..opts("a.com") }, "idTokenSigningAlgs"),
            (
                Options {
                    authorization_params: AuthorizeParams { extra: vec![("response_type".into(), "token".into())], ..Default::default() },
                    ..opts("a.com")
                },
                "response_type",
            ),
        ] {
            let e = Config::new(o).unwrap_err();
            assert_eq!((e.code(), e.check()), (code::INVALID_OPTIONS, check), "{e:?}");
        }
        for ok in ["http://localhost:3000", "http://127.0.0.1", "http://[::1]:8080/x"] {
            Config::new(opts(ok)).unwrap();
        }
    }

    #[test]
    fn origins() {
        assert_eq!(origin_of("https://Tenant.Auth0.com/authorize?x=1").as_deref(), Some("https://tenant.auth0.com"));
        assert_eq!(origin_of("http://127.0.0.1:4000/auth").as_deref(), Some("http://127.0.0.1:4000"));
        assert_eq!(origin_of("https://a.com:443/x").as_deref(), Some("https://a.com"));
        assert_eq!(origin_of("nope"), None);
    }

    #[test]
    fn origins_compare_in_the_form_browsers_serialise() {
        let table = [
            ("HTTPS://IdP.Example:443/authorize", "https://idp.example"),
            ("https://idp.example./authorize", "https://idp.example"),
            ("http://localhost:80/", "http://localhost"),
            ("https://idp.example:8443", "https://idp.example:8443"),
            ("http://[::1]:4000/x", "http://[::1]:4000"),
            ("https://[::1]/x", "https://[::1]"),
            ("https://xn--bcher-kva.example/", "https://xn--bcher-kva.example"),
        ];
        for (url, want) in table {
            assert_eq!(origin_of(url).as_deref(), Some(want), "{url}");
        }
    }

    #[test]
    fn scope_always_has_openid_and_offline_access() {
        let c = Config::new(opts("a.com")).unwrap();
        assert_eq!(c.effective_scope(None), "openid profile email offline_access");
        assert_eq!(c.effective_scope(Some("read:x  openid")), "openid read:x offline_access");
        let c = Config::new(Options { use_refresh_tokens: Some(false), ..opts("a.com") }).unwrap();
        assert_eq!(c.effective_scope(Some("email")), "openid email");
    }

    #[test]
    fn merge_overrides_per_parameter() {
        let base = AuthorizeParams {
            redirect_uri: Some("https://app/cb".into()),
            audience: Some("a".into()),
            extra: vec![("prompt".into(), "login".into()), ("organization".into(), "o1".into())],
            ..Default::default()
        };
        let over = AuthorizeParams {
            redirect_uri: Some("https://app/other".into()),
            scope: Some("s".into()),
            extra: vec![("organization".into(), "o2".into())],
            ..Default::default()
        };
        let m = base.merged(&over);
        assert_eq!(m.redirect_uri.as_deref(), Some("https://app/other"));
        assert_eq!(m.extra.len(), 2, "one organization, the call's");
        assert_eq!(m.audience.as_deref(), Some("a"));
        assert_eq!(m.scope.as_deref(), Some("s"));
        assert_eq!(m.extra("organization"), Some("o2"));
        assert_eq!(m.extra("prompt"), Some("login"));
    }
}
