//! The in-memory session: access tokens keyed by (audience, scope), the one
//! refresh token of the grant, and the current ID token. It lives in wasm
//! memory only; nothing here is ever written to storage.

use super::id_token::Jwt;
use super::secret::{AccessToken, IdToken, RefreshToken};
use super::token::TokenResponse;

/// One access token and what it is good for.
#[derive(Debug)]
pub struct Entry {
    /// The audience it was requested for (`None`: the provider's default).
    pub audience: Option<String>,
    /// The scope that was requested, the lookup key.
    pub scope: String,
    /// The scope granted: the response's `scope`, else the requested one (RFC 6749 §5.1).
    pub granted_scope: String,
    /// The token.
    pub access_token: AccessToken,
    /// `expires_in` as seconds since the epoch, by the client clock.
    pub expires_at: i64,
    /// `expires_in` itself: the token's lifetime, which bounds the expiry margin.
    pub lifetime: i64,
    /// A DPoP-bound token (RFC 9449): sent as `Authorization: DPoP`, with a proof.
    pub dpop: bool,
}

impl Entry {
    /// Whether the token is still fresh at `now`: it expires more than a margin from now,
    /// the margin being `leeway` but never more than half the token's own lifetime, so a
    /// token shorter than the leeway (30 s against the default 60) is still cached for
    /// half its life instead of being refreshed on every call.
    pub fn is_fresh(&self, now: i64, leeway: i64) -> bool {
        let margin = leeway.min(self.lifetime / 2).max(0);
        now < self.expires_at.saturating_sub(margin)
    }
}

/// The signed-in user's current ID token (its `Debug` is redacted: the claims are the
/// user's profile).
pub struct CurrentIdToken {
    /// The raw token, for `id_token_hint` and `__raw`.
    pub raw: IdToken,
    /// The payload as JSON text.
    pub claims_json: String,
    /// `sub`, which every refreshed ID token must repeat (OIDC Core 12.2).
    pub sub: String,
}

crate::redacted_debug!(CurrentIdToken);

/// Everything the client holds for one signed-in user.
#[derive(Debug, Default)]
pub struct Session {
    entries: Vec<Entry>,
    refresh_token: Option<RefreshToken>,
    id_token: Option<CurrentIdToken>,
    /// When these tokens came from the provider (ms since the epoch): across tabs, the
    /// session with the larger generation holds the live refresh token.
    generation: i64,
}

fn scopes(s: &str) -> impl Iterator<Item = &str> {
    super::text::split(s, b" ").filter(|x| !x.is_empty())
}

impl Session {
    /// A token for `audience` whose requested scope covers `scope` and that is still
    /// fresh (see [`Entry::is_fresh`]).
    pub fn get(&self, audience: Option<&str>, scope: &str, now: i64, leeway: i64) -> Option<&Entry> {
        self.find(audience, scope).filter(|e| e.is_fresh(now, leeway))
    }

    /// Like [`Session::get`], expired or not. The token stored under exactly this key is
    /// preferred over one whose wider scope also covers the request.
    pub fn find(&self, audience: Option<&str>, scope: &str) -> Option<&Entry> {
        let same_audience = || self.entries.iter().filter(move |e| e.audience.as_deref() == audience);
        same_audience()
            .find(|e| e.scope == scope)
            .or_else(|| same_audience().find(|e| scopes(scope).all(|s| scopes(&e.scope).any(|x| x == s))))
    }

    /// Stores a token response: the access token under (audience, scope), the refresh
    /// token replacing the old one when one came back (rotation, RFC 6749 §6 and
    /// OAuth 2.0 Security BCP §4.14.2), the old one kept otherwise.
    pub fn store(&mut self, audience: Option<&str>, scope: &str, response: TokenResponse, id_token: Option<(IdToken, Jwt)>, now: i64) {
        self.entries.retain(|e| !(e.audience.as_deref() == audience && e.scope == scope));
        self.entries.push(Entry {
            audience: audience.map(str::to_owned),
            scope: scope.to_owned(),
            granted_scope: response.scope.unwrap_or_else(|| scope.to_owned()),
            access_token: response.access_token,
            expires_at: now.saturating_add(response.expires_in),
            lifetime: response.expires_in,
            dpop: response.dpop,
        });
        if let Some(rt) = response.refresh_token {
            self.refresh_token = Some(rt);
        }
        if let Some((raw, jwt)) = id_token {
            self.id_token = Some(CurrentIdToken { raw, sub: jwt.claims.sub, claims_json: jwt.payload_json });
        }
    }

    /// The refresh token of the grant, if any.
    pub fn refresh_token(&self) -> Option<&RefreshToken> {
        self.refresh_token.as_ref()
    }

    /// The current ID token, if any.
    pub fn id_token(&self) -> Option<&CurrentIdToken> {
        self.id_token.as_ref()
    }

    /// Whether `scope` was granted for `audience`, by any token held for it.
    pub fn has_scope(&self, audience: Option<&str>, scope: &str) -> bool {
        self.entries.iter().any(|e| e.audience.as_deref() == audience && scopes(&e.granted_scope).any(|g| g == scope))
    }

    /// The granted scope of the token held for `audience` and `scope`.
    pub fn granted_scope(&self, audience: Option<&str>, scope: &str) -> Option<&str> {
        self.find(audience, scope).map(|e| e.granted_scope.as_str())
    }

    /// Whether a user is signed in.
    pub fn is_authenticated(&self) -> bool {
        self.id_token.is_some()
    }

    /// The generation of the tokens held (0: none yet).
    pub fn generation(&self) -> i64 {
        self.generation
    }

    /// Marks the tokens as obtained at `generation` (ms since the epoch).
    pub fn set_generation(&mut self, generation: i64) {
        self.generation = generation;
    }

    /// The access tokens held.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// A session rebuilt from its parts, as another tab sent them.
    pub fn restore(entries: Vec<Entry>, refresh_token: Option<RefreshToken>, id_token: Option<CurrentIdToken>, generation: i64) -> Session {
        Session { entries, refresh_token, id_token, generation }
    }

    /// Forgets the refresh token (after revoking it).
    pub fn forget_refresh_token(&mut self) {
        self.refresh_token = None;
    }

    /// Forgets everything.
    pub fn clear(&mut self) {
        *self = Session::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::id_token;

    fn response(at: &str, rt: Option<&str>, scope: Option<&str>) -> TokenResponse {
        TokenResponse {
            access_token: AccessToken::new(at.into()),
            expires_in: 100,
            id_token: None,
            refresh_token: rt.map(|r| RefreshToken::new(r.into())),
            scope: scope.map(str::to_owned),
            dpop: false,
        }
    }

    #[test]
    fn keys_by_audience_and_scope_with_leeway() {
        let mut s = Session::default();
        s.store(Some("api"), "openid read", response("a1", Some("r1"), Some("openid read")), None, 1000);
        s.store(None, "openid", response("a2", None, None), None, 1000);
        assert_eq!(s.get(Some("api"), "read", 1000, 60).unwrap().access_token.secret(), "a1");
        // A 100-second token: the margin is half its life, 50 s, not the 60 s leeway.
        assert_eq!(s.get(Some("api"), "openid read", 1049, 60).unwrap().access_token.secret(), "a1");
        assert!(s.get(Some("api"), "openid read", 1050, 60).is_none(), "stale by the margin");
        assert!(s.find(Some("api"), "openid read").is_some());
        assert!(s.get(Some("api"), "write", 1000, 60).is_none());
        assert!(s.get(Some("other"), "read", 1000, 60).is_none());
        assert_eq!(s.get(None, "openid", 1000, 0).unwrap().access_token.secret(), "a2");
        assert_eq!(s.refresh_token().unwrap().secret(), "r1", "a response without a refresh token keeps the old one");
    }

    #[test]
    fn a_token_shorter_than_the_leeway_is_cached_for_half_its_life() {
        let mut s = Session::default();
        let mut short = response("a30", None, None);
        short.expires_in = 30;
        s.store(None, "openid", short, None, 1000);
        // Leeway 60 would make a 30-second token stale at once; the margin is 15 s instead.
        assert!(s.get(None, "openid", 1000, 60).is_some(), "fresh when issued");
        assert!(s.get(None, "openid", 1014, 60).is_some());
        assert!(s.get(None, "openid", 1015, 60).is_none(), "stale at half its life");
        // A long token keeps the whole leeway as its margin.
        let mut long = response("a3600", None, None);
        long.expires_in = 3600;
        s.store(None, "openid long", long, None, 1000);
        assert!(s.get(None, "openid long", 1000 + 3539, 60).is_some());
        assert!(s.get(None, "openid long", 1000 + 3540, 60).is_none());
        // Leeway 0: fresh until the very end.
        assert!(s.get(None, "openid", 1029, 0).is_some());
        assert!(s.get(None, "openid", 1030, 0).is_none());
    }

    #[test]
    fn extreme_expiries_and_lifetimes_never_make_a_token_immortal() {
        let entry = |expires_at, lifetime| Entry {
            audience: None,
            scope: "openid".into(),
            granted_scope: "openid".into(),
            access_token: AccessToken::new("a".into()),
            expires_at,
            lifetime,
            dpop: false,
        };
        for (expires_at, lifetime, fresh) in [
            (-i64::MAX, 60, false),
            (i64::MIN, i64::MIN, false),
            (-i64::MAX, -i64::MAX, false),
            (1000, i64::MIN, false),
            (2000, -i64::MAX, true),
            (i64::MAX, i64::MAX, true),
        ] {
            assert_eq!(entry(expires_at, lifetime).is_fresh(1000, 60), fresh, "{expires_at} {lifetime}");
            assert!(!entry(expires_at, lifetime).is_fresh(i64::MAX, 60), "nothing is fresh at the end of time");
        }
    }

    #[test]
    fn the_exact_key_wins_over_a_covering_scope() {
        let mut s = Session::default();
        s.store(Some("api"), "openid read write", response("wide", None, None), None, 0);
        assert_eq!(s.find(Some("api"), "openid read").unwrap().access_token.secret(), "wide", "covered");
        s.store(Some("api"), "openid read", response("narrow", None, None), None, 0);
        assert_eq!(s.find(Some("api"), "openid read").unwrap().access_token.secret(), "narrow");
        assert_eq!(s.find(Some("api"), "openid read write").unwrap().access_token.secret(), "wide");
    }

    #[test]
    fn rotation_replaces_the_refresh_token() {
        let mut s = Session::default();
        s.store(None, "openid", response("a1", Some("r1"), None), None, 0);
        s.store(None, "openid", response("a2", Some("r2"), None), None, 0);
        assert_eq!(s.refresh_token().unwrap().secret(), "r2");
        assert_eq!(s.get(None, "openid", 0, 0).unwrap().access_token.secret(), "a2");
        assert_eq!(s.entries.len(), 1, "same key replaces");
    }

    #[test]
    fn granted_scope_and_clear() {
        let mut s = Session::default();
        s.store(Some("api"), "openid read write", response("a", None, Some("openid read")), None, 0);
        assert!(s.has_scope(Some("api"), "read"));
        assert!(!s.has_scope(Some("api"), "write"), "requested but not granted");
        assert!(!s.has_scope(None, "read"));
        assert_eq!(s.granted_scope(Some("api"), "read"), Some("openid read"));
        let raw = id_token::tests::token(r#"{"iss":"i","sub":"u","aud":"c","exp":1,"iat":1}"#);
        let jwt = id_token::decode(&raw).unwrap();
        s.store(None, "openid", response("b", None, None), Some((IdToken::new(raw), jwt)), 0);
        assert!(s.is_authenticated());
        assert_eq!(s.id_token().unwrap().sub, "u");
        s.clear();
        assert!(!s.is_authenticated() && s.get(Some("api"), "read", 0, 0).is_none() && s.refresh_token().is_none());
    }
}
