//! One error type with stable codes.
//!
//! Every failure the SDK reports carries a machine-readable [`Error::code`] that
//! never changes between releases, a human [`Error::description`], and a
//! [`Kind`] that picks the JS class name auth0-spa-js users already catch
//! (`GenericError`, `AuthenticationError`, `TimeoutError`, …).
//!
//! A description never contains a token, a code or a verifier: constructors take
//! only values that are safe to show (issuers, claim names, HTTP statuses).

use std::borrow::Cow;
use std::fmt;

/// Which JS error class an [`Error`] becomes. Mirrors auth0-spa-js v2's names.
///
/// What crosses to JS is the discriminant: the index of the class's name in `index.js`'s
/// `NAMES`, which lists them in this order (a test holds the two together), so the names
/// are not shipped twice.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Kind {
    /// `GenericError`: everything without a more specific class.
    Generic,
    /// `AuthenticationError`: the provider answered the authorize request with an error.
    Authentication,
    /// `TimeoutError`: a request ran past `httpTimeoutInSeconds`.
    Timeout,
    /// `PopupTimeoutError`: the popup login ran past `authorizeTimeoutInSeconds`.
    PopupTimeout,
    /// `PopupCancelledError`: the user closed the popup.
    PopupCancelled,
    /// `PopupOpenError`: the browser blocked the popup.
    PopupOpen,
    /// `MfaRequiredError`: the token endpoint answered `mfa_required`.
    MfaRequired,
    /// `MissingRefreshTokenError`: a refresh was needed and no refresh token is held.
    MissingRefreshToken,
}

/// The JS class names, in [`Kind`]'s order.
pub const JS_NAMES: [&str; 8] = [
    "GenericError",
    "AuthenticationError",
    "TimeoutError",
    "PopupTimeoutError",
    "PopupCancelledError",
    "PopupOpenError",
    "MfaRequiredError",
    "MissingRefreshTokenError",
];

impl Kind {
    /// The JS `name` of the error, as auth0-spa-js spells it.
    pub fn js_name(self) -> &'static str {
        JS_NAMES[self as usize]
    }
}

/// Stable codes for failures the SDK itself detects. Provider-sent codes
/// (`access_denied`, `invalid_grant`, …) are passed through verbatim.
pub mod code {
    /// An option passed to `createAuthClient` or a method is invalid.
    pub const INVALID_OPTIONS: &str = "invalid_options";
    /// The URL handed to `handleRedirectCallback` has neither `code` nor `error`.
    pub const NOT_A_CALLBACK: &str = "not_a_callback";
    /// The callback URL is malformed (duplicated parameter, too long, bad encoding).
    pub const INVALID_CALLBACK: &str = "invalid_callback";
    /// No stored transaction matches the callback's `state` (never started, or already used).
    pub const MISSING_TRANSACTION: &str = "missing_transaction";
    /// A transaction was found but its `state` differs from the callback's.
    pub const STATE_MISMATCH: &str = "state_mismatch";
    /// The transaction is older than its lifetime.
    pub const TRANSACTION_EXPIRED: &str = "transaction_expired";
    /// The stored transaction could not be read back.
    pub const INVALID_TRANSACTION: &str = "invalid_transaction";
    /// RFC 9207: the callback's `iss` is missing where required, or wrong.
    pub const INVALID_ISSUER: &str = "invalid_issuer";
    /// Provider metadata is missing, unreachable or inconsistent.
    pub const DISCOVERY_FAILED: &str = "discovery_failed";
    /// The network failed (offline, DNS, CORS, connection refused).
    pub const NETWORK_ERROR: &str = "network_error";
    /// The request ran past its timeout.
    pub const TIMEOUT: &str = "timeout";
    /// An HTTP status the protocol does not allow (5xx, or 4xx without an OAuth error body).
    pub const UNEXPECTED_STATUS: &str = "unexpected_status";
    /// A body that should be JSON is not (HTML error pages, garbage).
    pub const INVALID_JSON: &str = "invalid_json";
    /// A body that is JSON but misses required members or has the wrong types.
    pub const INVALID_RESPONSE: &str = "invalid_response";
    /// `token_type` is not `Bearer`.
    pub const UNSUPPORTED_TOKEN_TYPE: &str = "unsupported_token_type";
    /// With `useDpop`, a provider that advertises DPoP answered with a Bearer token (RFC 9449 §5).
    pub const DPOP_DOWNGRADE: &str = "dpop_downgrade";
    /// The ID token is malformed or one of its claims fails OIDC Core 3.1.3.7.
    pub const INVALID_ID_TOKEN: &str = "invalid_id_token";
    /// The provider's JWK Set is unreachable, not JSON, malformed or too large.
    pub const INVALID_JWKS: &str = "invalid_jwks";
    /// A refresh is needed and no refresh token is held.
    pub const MISSING_REFRESH_TOKEN: &str = "missing_refresh_token";
    /// The session is gone: the refresh token was rejected (`invalid_grant`).
    pub const LOGIN_REQUIRED: &str = "login_required";
    /// `revokeRefreshToken` was called and the provider has no revocation endpoint.
    pub const REVOCATION_NOT_SUPPORTED: &str = "revocation_not_supported";
    /// The popup could not be opened (a popup blocker).
    pub const POPUP_OPEN: &str = "popup_open";
    /// The user closed the popup before the login finished.
    pub const CANCELLED: &str = "cancelled";
    /// A browser API the SDK needs is missing or failed (storage, crypto, history).
    pub const BROWSER_ERROR: &str = "browser_error";
    /// `fetchWithAuth` to an origin outside `allowedOrigins`, or to `http:` off loopback:
    /// nothing was sent.
    pub const ORIGIN_NOT_ALLOWED: &str = "origin_not_allowed";
    /// The token endpoint answered 429: no refresh is sent until its `Retry-After` has passed.
    pub const TOO_MANY_REQUESTS: &str = "too_many_requests";
    /// The API answered `fetchWithAuth` with a redirect, which is not followed with the token.
    pub const REDIRECT_NOT_FOLLOWED: &str = "redirect_not_followed";
}

/// An SDK error: a stable code, a description safe to show, its JS class, and which
/// check failed.
#[derive(Clone, PartialEq, Eq)]
pub struct Error(Box<Inner>);

/// An [`Error`]'s parts, boxed so that every `Result` stays small.
#[derive(Clone, PartialEq, Eq)]
struct Inner {
    kind: Kind,
    code: Cow<'static, str>,
    description: String,
    check: &'static str,
    /// The fields auth0-spa-js's classes carry: `state`, `appState` (JSON text),
    /// `mfa_token`, `audience`, `scope`.
    fields: Vec<(&'static str, String)>,
}

impl Error {
    /// An error of a given JS class, with one of the stable [`code`]s.
    pub fn of_kind(kind: Kind, code: &'static str, description: impl Into<String>) -> Self {
        Error(Box::new(Inner { kind, code: Cow::Borrowed(code), description: description.into(), check: "", fields: Vec::new() }))
    }

    /// An error with one of the stable [`code`]s, of the class the code implies:
    /// `TimeoutError` for [`code::TIMEOUT`], `MissingRefreshTokenError` for
    /// [`code::MISSING_REFRESH_TOKEN`], else `GenericError`.
    pub fn new(code: &'static str, description: impl Into<String>) -> Self {
        let kind = match code {
            code::TIMEOUT => Kind::Timeout,
            code::MISSING_REFRESH_TOKEN => Kind::MissingRefreshToken,
            _ => Kind::Generic,
        };
        Error::of_kind(kind, code, description)
    }

    /// Names the check that failed: the claim, header or member (`exp`, `alg`, `kid`,
    /// `state`, `expires_in`, …). Stable like the code, and finer: every failure that
    /// shares a code differs in its check, so apps and tests never read the description.
    pub fn at(mut self, check: &'static str) -> Self {
        self.0.check = check;
        self
    }

    /// Adds a field of the JS error (`state`, `appState` as JSON text, `mfa_token`,
    /// `audience`, `scope`).
    pub fn with(mut self, name: &'static str, value: String) -> Self {
        self.0.fields.push((name, value));
        self
    }

    /// The extra fields of the JS error.
    pub fn fields(&self) -> &[(&'static str, String)] {
        &self.0.fields
    }

    /// The check that failed (`check` on the JS side), or `""`.
    pub fn check(&self) -> &str {
        self.0.check
    }

    /// An error whose code the provider sent (RFC 6749 §4.1.2.1, §5.2).
    pub fn from_provider(kind: Kind, error: &str, description: Option<&str>) -> Self {
        let kind = if error == "mfa_required" { Kind::MfaRequired } else { kind };
        let description = match description {
            Some(d) if !d.is_empty() => d.to_owned(),
            _ => error.to_owned(),
        };
        Error(Box::new(Inner { kind, code: Cow::Owned(error.to_owned()), description, check: "", fields: Vec::new() }))
    }

    /// The stable machine-readable code (`error` on the JS side).
    pub fn code(&self) -> &str {
        &self.0.code
    }

    /// The human description (`error_description` on the JS side).
    pub fn description(&self) -> &str {
        &self.0.description
    }

    /// Which JS error class this becomes.
    pub fn kind(&self) -> Kind {
        self.0.kind
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}({}: {})", self.0.kind.js_name(), self.0.code, self.0.description)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.0.code, self.0.description)
    }
}

impl std::error::Error for Error {}

/// The result type of the whole SDK.
pub type Result<T> = std::result::Result<T, Error>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_follow_codes() {
        assert_eq!(Error::new(code::TIMEOUT, "t").kind(), Kind::Timeout);
        assert_eq!(Error::new(code::MISSING_REFRESH_TOKEN, "m").kind().js_name(), "MissingRefreshTokenError");
        assert_eq!(Error::new(code::STATE_MISMATCH, "s").kind(), Kind::Generic);
        let e = Error::from_provider(Kind::Authentication, "access_denied", Some("User said no"));
        assert_eq!((e.code(), e.description(), e.kind()), ("access_denied", "User said no", Kind::Authentication));
        assert_eq!(Error::from_provider(Kind::Generic, "mfa_required", None).kind(), Kind::MfaRequired);
        assert_eq!(Error::from_provider(Kind::Generic, "invalid_grant", Some("")).description(), "invalid_grant");
    }

    #[test]
    fn the_js_side_lists_the_class_names_in_kind_order() {
        // The engine sends a kind's index; index.js turns it back into its class by `NAMES`.
        let js = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/pkg-template/index.js")).unwrap();
        let quoted: Vec<String> = JS_NAMES.iter().map(|n| format!("'{n}'")).collect();
        assert!(js.contains(&format!("const NAMES = [{}];", quoted.join(", "))), "index.js's NAMES differ from Kind's order");
        assert_eq!(Kind::PopupTimeout.js_name(), "PopupTimeoutError");
        assert_eq!(Kind::MissingRefreshToken as u8, 7);
    }
}
