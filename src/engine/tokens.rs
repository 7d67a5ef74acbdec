//! Tokens: the cache, one refresh per (audience, scope) shared by every caller, one
//! refresh at a time in this tab and, with other tabs, in all of them; revocation;
//! logout; `fetchWithAuth`.
//!
//! ```text
//! getTokenSilently  cache hit → resolve at once
//!                   miss → join the flight for (audience, scope), or start one:
//!                   local turn → Web Lock → newest generation? take it : POST refresh_token
//!                   → process → verify ID token → same epoch? store, publish : drop
//!                   → hold generation lock → release lock → every waiter resolves
//! ```

use super::login::{Purpose, Verify};
use super::{fx, tabs, Engine, Expect, Flow, Input};
use crate::core::authorize::Mode;
use crate::core::config::{self, AuthorizeParams};
use crate::core::discovery;
use crate::core::error::{code, Error, Result};
use crate::core::hash;
use crate::core::id_token::{self, Expectations};
use crate::core::json::{self, ObjectWriter, Value};
use crate::core::logout::{self, LogoutParams};
use crate::core::secret::IdToken;
use crate::core::text;
use crate::core::token::{self, TokenResponse};

/// How `getTokenSilently` uses the cache.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CacheMode {
    /// Use a valid cached token, else refresh.
    On,
    /// Always refresh.
    Off,
    /// Only the cache; `None` on a miss.
    CacheOnly,
}

/// What `getTokenSilently` asks for.
#[derive(Clone, Debug)]
pub struct TokenRequest {
    /// The API; the client's default audience when `None`.
    pub audience: Option<String>,
    /// The scope; the client's default scope when `None`.
    pub scope: Option<String>,
    /// How to use the cache.
    pub cache_mode: CacheMode,
    /// Every other `authorizationParams` member: sent with the refresh (as auth0-spa-js
    /// does) and with a silent login that renews instead.
    pub extra: Vec<(String, String)>,
    /// `timeoutInSeconds`: how long a silent iframe login that renews may take.
    pub timeout_secs: Option<u32>,
}

/// A token handed to the app.
#[derive(Clone, Debug)]
pub struct TokenResult {
    /// The access token.
    pub access_token: String,
    /// The current ID token.
    pub id_token: Option<String>,
    /// Seconds until the access token expires, by the client clock.
    pub expires_in: i64,
    /// The granted scope.
    pub scope: String,
    /// DPoP-bound (RFC 9449): sent with `Authorization: DPoP` and a proof.
    pub dpop: bool,
}

/// The token as the app gets it: the string, or auth0-spa-js's detailed response.
pub(crate) fn token_json(t: &TokenResult, detailed: bool, fingerprint: Option<&str>) -> String {
    let mut s = String::new();
    if !detailed {
        json::write_str(&mut s, &t.access_token);
        return s;
    }
    ObjectWriter::default()
        .str("access_token", &t.access_token)
        .opt_str("id_token", t.id_token.as_deref())
        .int("expires_in", t.expires_in)
        .str("scope", &t.scope)
        .str("token_type", if t.dpop { "DPoP" } else { "Bearer" })
        .opt_str("refresh_token_fingerprint", fingerprint)
        .finish()
}

/// Who waits for a flight.
pub(crate) enum Waiter {
    /// A `getTokenSilently` call.
    Call { call: u32, detailed: bool },
    /// Another flow (`fetchWithAuth`).
    Flow(u32),
}

/// One refresh at a time in this tab: the flow holding the turn and those queued.
#[derive(Default)]
pub(crate) struct RefreshLock {
    holder: Option<u32>,
    queue: Vec<u32>,
    /// No refresh is sent before this time (ms), after a 429.
    not_before_ms: f64,
}

#[allow(clippy::large_enum_variant)]
enum Phase {
    Queued,
    Locking,
    Querying,
    CatchingUp(i64),
    Meta,
    Fetching,
    Verifying(Box<(Verify, TokenResponse, IdToken)>),
    Holding,
    Fallback,
}

/// A refresh flight for one (audience, scope).
pub(crate) struct Refresh {
    audience: Option<String>,
    scope: String,
    cache_mode: CacheMode,
    extra: Vec<(String, String)>,
    timeout_secs: Option<u32>,
    waiters: Vec<Waiter>,
    phase: Phase,
    lock_req: Option<u32>,
    epoch: u32,
}

impl Refresh {
    /// The generation this refresh waits for another tab's tokens of, if it does.
    pub(crate) fn catching_up(&self) -> Option<i64> {
        match self.phase {
            Phase::CatchingUp(t) => Some(t),
            _ => None,
        }
    }
}

/// How long a tab about to refresh waits for the newer tokens another tab holds.
pub const CATCH_UP_MS: i64 = 1000;

enum RevokePhase {
    Queued,
    Meta,
    /// Asking RFC 8414 metadata for the `revocation_endpoint` OIDC discovery lacked.
    OAuthMeta,
    Fetching,
}

/// `revokeRefreshToken`.
pub(crate) struct Revoke {
    call: u32,
    phase: RevokePhase,
}

impl Revoke {
    pub(crate) fn new(call: u32) -> Self {
        Revoke { call, phase: RevokePhase::Queued }
    }
}

/// `logout` with a provider logout URL to open.
pub(crate) struct Logout {
    call: u32,
    params: LogoutParams,
    hint: Option<String>,
}

/// `fetchWithAuth`.
pub(crate) struct AuthFetch {
    call: u32,
    method: String,
    url: String,
    request: TokenRequest,
    retried: bool,
    /// The request whose response the loop holds.
    sent: u32,
}

pub(crate) fn cache_mode(ev: &Value) -> Result<CacheMode> {
    match super::wire::opt_string(ev, "cacheMode")?.as_deref() {
        None | Some("on") => Ok(CacheMode::On),
        Some("off") => Ok(CacheMode::Off),
        Some("cache-only") => Ok(CacheMode::CacheOnly),
        Some(other) => {
            Err(Error::new(code::INVALID_OPTIONS, text::cat(&["cacheMode must be 'on', 'off' or 'cache-only', not '", other, "'"]))
                .at("cacheMode"))
        }
    }
}

fn token_request(ev: &Value) -> Result<TokenRequest> {
    let params = super::wire::authorize_params(ev.get("authorizationParams"))?;
    params.check()?;
    Ok(TokenRequest {
        audience: params.audience,
        scope: params.scope,
        cache_mode: cache_mode(ev)?,
        extra: params.extra,
        timeout_secs: super::wire::timeout_secs(ev)?,
    })
}

impl Engine {
    /// The cache key of a request: its audience (the client's by default) and its
    /// effective scope.
    pub(crate) fn key(&self, audience: Option<&str>, scope: Option<&str>) -> (Option<String>, String) {
        let audience = audience.map(str::to_owned).or_else(|| self.config.authorization_params.audience.clone());
        (audience, self.config.effective_scope(scope))
    }

    /// The token held for a key; with `fresh_only`, only while it is fresh (see
    /// [`crate::core::cache::Session::get`]).
    pub(crate) fn token_result(&self, audience: Option<&str>, scope: &str, fresh_only: bool) -> Option<TokenResult> {
        let now = self.now();
        let entry =
            if fresh_only { self.session.get(audience, scope, now, self.config.leeway) } else { self.session.find(audience, scope) }?;
        Some(TokenResult {
            access_token: entry.access_token.secret().to_owned(),
            id_token: self.session.id_token().map(|t| t.raw.secret().to_owned()),
            expires_in: entry.expires_at.saturating_sub(now).max(0),
            scope: entry.granted_scope.clone(),
            dpop: entry.dpop,
        })
    }

    /// The hot path of `getTokenSilently`: a fresh cached access token, in one call.
    pub fn cached(&mut self, audience: Option<&str>, scope: Option<&str>, now_ms: f64) -> Option<String> {
        self.now_ms = now_ms;
        let (audience, scope) = self.key(audience, scope);
        // The entry's access token only: no copy of the ID token or the rest of a result.
        let entry = self.session.get(audience.as_deref(), &scope, self.now(), self.config.leeway)?;
        Some(entry.access_token.secret().to_owned())
    }

    /// The first 8 hex digits of the refresh token's SHA-256, to show that it rotated
    /// without showing it.
    fn fingerprint(&self) -> Option<String> {
        let rt = self.session.refresh_token()?;
        let d = hash::sha256(rt.secret().as_bytes());
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut out = String::new();
        for b in &d[..4] {
            out.push(HEX[(b >> 4) as usize] as char);
            out.push(HEX[(b & 15) as usize] as char);
        }
        Some(out)
    }

    pub(crate) fn call_get_token(&mut self, call: u32, ev: &Value) -> Result<()> {
        let request = token_request(ev)?;
        let detailed = super::wire::opt_bool(ev, "detailedResponse")?.unwrap_or(false);
        if let Some(done) = self.token_or_join(request, Waiter::Call { call, detailed }) {
            self.deliver(Waiter::Call { call, detailed }, done);
        }
        Ok(())
    }

    /// A token at once (a cache hit, or a `cache-only` miss), else `waiter` joins the
    /// flight for its key, started if there is none.
    pub(crate) fn token_or_join(&mut self, request: TokenRequest, waiter: Waiter) -> Option<Result<Option<TokenResult>>> {
        let (audience, scope) = self.key(request.audience.as_deref(), request.scope.as_deref());
        if request.cache_mode != CacheMode::Off {
            if let Some(hit) = self.token_result(audience.as_deref(), &scope, true) {
                return Some(Ok(Some(hit)));
            }
        }
        if request.cache_mode == CacheMode::CacheOnly {
            return Some(Ok(None));
        }
        let flight = self.flows.iter_mut().find_map(|(_, f)| match &mut **f {
            Flow::Refresh(r) if r.audience == audience && r.scope == scope => Some(r),
            _ => None,
        });
        if let Some(r) = flight {
            r.waiters.push(waiter);
            return None;
        }
        let r = Refresh {
            audience,
            scope,
            cache_mode: request.cache_mode,
            extra: request.extra,
            timeout_secs: request.timeout_secs,
            waiters: vec![waiter],
            phase: Phase::Queued,
            lock_req: None,
            epoch: 0,
        };
        self.add_flow(Flow::Refresh(r));
        None
    }

    fn deliver(&mut self, waiter: Waiter, result: Result<Option<TokenResult>>) {
        match waiter {
            Waiter::Call { call, detailed } => {
                let fp = if detailed { self.fingerprint() } else { None };
                self.settle(call, result.map(|t| t.map_or_else(|| "null".to_owned(), |t| token_json(&t, detailed, fp.as_deref()))));
            }
            Waiter::Flow(flow) => self.run(flow, Input::Token(result)),
        }
    }

    /// Asks for this tab's refresh turn; `true` when `flow` has it now.
    fn take_turn(&mut self, flow: u32) -> bool {
        if self.refresh.holder.is_none() {
            self.refresh.holder = Some(flow);
            return true;
        }
        self.refresh.queue.push(flow);
        false
    }

    /// Gives the turn to the next queued flow.
    fn end_turn(&mut self, flow: u32) {
        if self.refresh.holder != Some(flow) {
            return;
        }
        self.refresh.holder = None;
        if !self.refresh.queue.is_empty() {
            let next = self.refresh.queue.remove(0);
            self.refresh.holder = Some(next);
            self.run(next, Input::Granted);
        }
    }

    pub(crate) fn step_refresh(&mut self, id: u32, mut f: Refresh, input: Input) -> Option<Refresh> {
        let phase = std::mem::replace(&mut f.phase, Phase::Queued);
        match (phase, input) {
            (Phase::Queued, Input::Start) if !self.take_turn(id) => {}
            (Phase::Queued, Input::Start | Input::Granted) => match self.tabs.channel.clone() {
                // Other tabs: one Web Lock for all their refreshes.
                Some(name) => {
                    let req = self.request(id, Expect::Granted);
                    self.emit(fx("lock").int("req", req.into()).str("name", &name));
                    f.lock_req = Some(req);
                    f.phase = Phase::Locking;
                }
                None => return self.refresh_now(id, f),
            },
            (Phase::Locking, Input::Granted) => {
                let req = self.request(id, Expect::Query);
                self.emit(fx("query").int("req", req.into()));
                f.phase = Phase::Querying;
            }
            // Another tab may hold newer tokens than this one: take them instead of refreshing
            // with a refresh token that tab has already rotated.
            (Phase::Querying, Input::Held(names)) => {
                let newest = self.newest_generation(&names);
                if newest <= self.session.generation() {
                    return self.refresh_now(id, f);
                }
                self.post_sync();
                self.timer(id, CATCH_UP_MS);
                f.phase = Phase::CatchingUp(newest);
            }
            (Phase::CatchingUp(_), Input::CaughtUp | Input::Timer(_)) | (Phase::Meta, Input::Meta(Ok(()))) => {
                return self.refresh_now(id, f)
            }
            (Phase::Meta, Input::Meta(Err(e))) => return self.finish_refresh(id, f, Err(e)),
            (Phase::Fetching, Input::Http(reply)) => return self.refreshed(id, f, reply),
            (Phase::Verifying(parts), input) => {
                let (mut v, response, raw) = *parts;
                let Some(result) = self.verify_advance(id, &mut v, input) else {
                    f.phase = Phase::Verifying(Box::new((v, response, raw)));
                    return Some(f);
                };
                let sub = self.session.id_token().map(|t| t.sub.clone());
                let checked = result.and_then(|()| {
                    // OIDC Core 12.2: validated like the first, without a nonce, for the same `sub`.
                    let expect = Expectations {
                        issuer: &self.config.issuer,
                        client_id: &self.config.client_id,
                        sub: sub.as_deref(),
                        leeway: self.config.leeway,
                        now: self.now(),
                        ..Expectations::default()
                    };
                    id_token::validate(&v.jwt.claims, &expect)?;
                    id_token::check_hashes(&v.jwt.claims, None, Some(&v.digest))
                });
                return match checked {
                    Ok(()) => self.store_refreshed(id, f, response, Some((raw, *v.jwt))),
                    Err(e) => {
                        // A refresh whose ID token fails (another user, a bad signature) ends the
                        // session: the old tokens are not kept on the word of a provider answer
                        // that was just caught wrong.
                        if f.epoch == self.epoch {
                            self.end_session(false);
                        }
                        self.finish_refresh(id, f, Err(e))
                    }
                };
            }
            (Phase::Holding, Input::Granted) => return self.finish_refresh(id, f, Ok(())),
            (Phase::Fallback, Input::Child(r)) => return self.finish_refresh(id, f, r.map(|_| ())),
            (phase, _) => f.phase = phase,
        }
        Some(f)
    }

    fn refresh_now(&mut self, id: u32, mut f: Refresh) -> Option<Refresh> {
        let config = &self.config;
        // Another refresh, here or in another tab, may have finished meanwhile.
        if f.cache_mode != CacheMode::Off && self.session.get(f.audience.as_deref(), &f.scope, self.now(), config.leeway).is_some() {
            return self.finish_refresh(id, f, Ok(()));
        }
        let Some(refresh_token) = self.session.refresh_token().cloned() else {
            // As auth0-spa-js: without refresh tokens, or with the fallback on, a silent
            // iframe login renews instead (after a reload, say).
            if config.use_refresh_tokens_fallback || !config.use_refresh_tokens {
                let params = AuthorizeParams {
                    audience: f.audience.clone(),
                    scope: Some(f.scope.clone()),
                    extra: f.extra.clone(),
                    ..Default::default()
                };
                f.phase = Phase::Fallback;
                self.start_frame_login(Purpose::Fallback(id), Mode::Silent, params, 0, f.timeout_secs);
                return Some(f);
            }
            let audience = f.audience.clone().unwrap_or_else(|| "default".to_owned());
            let e = Error::new(
                code::MISSING_REFRESH_TOKEN,
                text::cat(&["Missing Refresh Token (audience: '", &audience, "', scope: '", &f.scope, "')"]),
            )
            .with("audience", audience)
            .with("scope", f.scope.clone());
            return self.finish_refresh(id, f, Err(e));
        };
        // The provider asked to wait (429 with Retry-After): no refresh until then.
        if self.now_ms() < self.refresh.not_before_ms {
            let e = self.too_many_requests();
            return self.finish_refresh(id, f, Err(e));
        }
        let Some(metadata) = self.metadata(id) else {
            f.phase = Phase::Meta;
            return Some(f);
        };
        // RFC 6749 §6: without `scope` the grant's original scope applies, so it is sent only
        // for a narrower or different request, and never with `offline_access`, which
        // describes the refresh token itself rather than the access token.
        let login_scope = self.config.effective_scope(None);
        let mut narrowed = String::new();
        for s in text::split(&f.scope, b" ").filter(|s| *s != "offline_access") {
            if !narrowed.is_empty() {
                narrowed.push(' ');
            }
            narrowed.push_str(s);
        }
        let scope_param = (login_scope != f.scope).then_some(narrowed.as_str());
        let body = token::refresh_body(&self.config.client_id, &refresh_token, scope_param, f.audience.as_deref(), &f.extra);
        let req = self.request(id, Expect::Http);
        self.fetch(req, "POST", &metadata.token_endpoint, Some(&body));
        f.epoch = self.epoch;
        f.phase = Phase::Fetching;
        Some(f)
    }

    /// A token endpoint answer, with its `token_type` held against the DPoP setting.
    pub(crate) fn process_tokens(&self, r: super::wire::Reply) -> Result<TokenResponse> {
        let response = token::process_response(r.status, &r.body)?;
        token::check_type(&response, self.config.use_dpop, self.metadata.as_ref().is_some_and(|m| m.dpop))?;
        Ok(response)
    }

    /// `too_many_requests`, with the time left until the provider's `Retry-After` has passed.
    fn too_many_requests(&self) -> Error {
        let secs = ((self.refresh.not_before_ms - self.now_ms()) / 1000.0).ceil() as i64;
        Error::new(code::TOO_MANY_REQUESTS, text::cat(&["the provider asked to wait ", &text::int(secs), " s before the next refresh"]))
    }

    fn refreshed(&mut self, id: u32, f: Refresh, reply: Result<super::wire::Reply>) -> Option<Refresh> {
        // A logout since the request left wins: the answer is dropped, never stored or broadcast.
        if f.epoch != self.epoch {
            return self.finish_refresh(id, f, Err(Error::new(code::LOGIN_REQUIRED, "the session ended during the refresh")));
        }
        if let Some(r) = reply.as_ref().ok().filter(|r| r.status == 429) {
            let secs = token::retry_after_secs(r.retry_after.as_deref());
            self.refresh.not_before_ms = self.now_ms() + (secs * 1000) as f64;
            let e = self.too_many_requests();
            return self.finish_refresh(id, f, Err(e));
        }
        match reply.and_then(|r| self.process_tokens(r)) {
            // The grant is gone (expired, revoked, or a replayed rotation): so is the session, in every tab.
            Err(e) if e.code() == "invalid_grant" => {
                self.end_session(false);
                self.finish_refresh(id, f, Err(Error::new(code::LOGIN_REQUIRED, text::cat(&["the session has ended: ", e.description()]))))
            }
            Err(e) => self.finish_refresh(id, f, Err(e)),
            Ok(mut response) => match response.id_token.take() {
                None => self.store_refreshed(id, f, response, None),
                Some(raw) => match self.verify_start(&raw, Some(response.access_token.secret())) {
                    Err(e) => {
                        self.end_session(false);
                        self.finish_refresh(id, f, Err(e))
                    }
                    Ok(v) => {
                        let mut f = f;
                        f.phase = Phase::Verifying(Box::new((v, response, raw)));
                        self.step_refresh(id, f, Input::Start)
                    }
                },
            },
        }
    }

    fn store_refreshed(
        &mut self,
        id: u32,
        mut f: Refresh,
        response: TokenResponse,
        id_token: Option<(IdToken, id_token::Jwt)>,
    ) -> Option<Refresh> {
        if f.epoch != self.epoch {
            return self.finish_refresh(id, f, Err(Error::new(code::LOGIN_REQUIRED, "the session ended during the refresh")));
        }
        let now = self.now();
        self.session.store(f.audience.as_deref(), &f.scope, response, id_token, now);
        // The generation lock is held before the refresh lock is released, so the next tab
        // to refresh sees these tokens are newer than its own.
        match self.publish("refresh") {
            Some(hold) if f.lock_req.is_some() => {
                self.pending.push((hold, id, Expect::Granted));
                f.phase = Phase::Holding;
                Some(f)
            }
            _ => self.finish_refresh(id, f, Ok(())),
        }
    }

    fn finish_refresh(&mut self, id: u32, f: Refresh, result: Result<()>) -> Option<Refresh> {
        if let Some(req) = f.lock_req {
            self.emit(fx("unlock").int("req", req.into()));
        }
        // The flight is over before its waiters run: a waiter that asks again starts a new one.
        for waiter in f.waiters {
            // The fresh token, even if its lifetime is shorter than the leeway.
            let r = result.clone().map(|()| self.token_result(f.audience.as_deref(), &f.scope, false));
            self.deliver(waiter, r);
        }
        self.end_turn(id);
        None
    }

    pub(crate) fn step_revoke(&mut self, id: u32, mut f: Revoke, mut input: Input) -> Option<Revoke> {
        if let (RevokePhase::OAuthMeta, Input::Http(reply)) = (&f.phase, &input) {
            let found = reply.as_ref().ok().and_then(|r| discovery::revocation_of_oauth_metadata(&self.config, r.status, &r.body));
            self.oauth_revocation = found;
            // Once more, with what RFC 8414 metadata said.
            f.phase = RevokePhase::Meta;
            input = Input::Meta(Ok(()));
        }
        let result: Result<()> = match (&f.phase, input) {
            (RevokePhase::Queued, Input::Start) if !self.take_turn(id) => return Some(f),
            (RevokePhase::Queued, Input::Start | Input::Granted) | (RevokePhase::Meta, Input::Meta(Ok(()))) => {
                // Nothing to revoke is not an error.
                let Some(rt) = self.session.refresh_token().cloned() else {
                    self.end_turn(id);
                    self.resolve(f.call, "null");
                    return None;
                };
                let Some(metadata) = self.metadata(id) else {
                    f.phase = RevokePhase::Meta;
                    return Some(f);
                };
                // OIDC discovery's endpoint, else RFC 8414's, asked for once per client.
                let endpoint = metadata.revocation_endpoint.clone().or_else(|| self.oauth_revocation.clone());
                let url = if endpoint.is_some() || self.asked_oauth_metadata { None } else { discovery::oauth_metadata_url(&self.config) };
                if let Some(url) = url {
                    self.asked_oauth_metadata = true;
                    let req = self.request(id, Expect::Http);
                    self.fetch(req, "GET", &url, None);
                    f.phase = RevokePhase::OAuthMeta;
                    return Some(f);
                }
                match endpoint {
                    None => Err(Error::new(code::REVOCATION_NOT_SUPPORTED, "the provider has no revocation_endpoint")),
                    Some(endpoint) => {
                        let body = token::revocation_body(&self.config.client_id, &rt);
                        let req = self.request(id, Expect::Http);
                        self.fetch(req, "POST", &endpoint, Some(&body));
                        f.phase = RevokePhase::Fetching;
                        return Some(f);
                    }
                }
            }
            (RevokePhase::Meta, Input::Meta(Err(e))) => Err(e),
            // RFC 7009 §2.2.
            (RevokePhase::Fetching, Input::Http(reply)) => reply.and_then(|r| token::process_revocation(r.status, &r.body)).map(|()| {
                self.session.forget_refresh_token();
                self.publish("revoke");
            }),
            _ => return Some(f),
        };
        self.end_turn(id);
        self.settle(f.call, result.map(|()| "null".to_owned()));
        None
    }

    pub(crate) fn call_logout(&mut self, call: u32, ev: &Value) -> Result<()> {
        // `openUrl: false` clears locally.
        if ev.get("openUrl").and_then(Value::as_bool) == Some(false) {
            self.end_session(false);
            self.resolve(call, "null");
            return Ok(());
        }
        let lp = ev.get("logoutParams").unwrap_or(&Value::Null);
        let mut extra = Vec::new();
        if let Value::Object(members) = lp {
            for (k, v) in members {
                if let (false, Some(text)) = (matches!(k.as_str(), "returnTo" | "federated"), super::wire::param_text(k, v)?) {
                    extra.push((k.clone(), text));
                }
            }
        }
        let params = LogoutParams {
            return_to: super::wire::opt_string(lp, "returnTo")?,
            federated: super::wire::opt_bool(lp, "federated")?.unwrap_or(false),
            // `clientId: null` sends none; a string sends that one.
            client_id: match ev.get("clientId") {
                None => None,
                Some(Value::Null) => Some(None),
                Some(_) => Some(super::wire::opt_string(ev, "clientId")?),
            },
            extra,
        };
        let hint = self.session.id_token().map(|t| t.raw.secret().to_owned());
        // Memory is cleared first, here and in every tab.
        self.end_session(false);
        self.add_flow(Flow::Logout(Logout { call, params, hint }));
        Ok(())
    }

    pub(crate) fn step_logout(&mut self, id: u32, f: Logout, input: Input) -> Option<Logout> {
        match input {
            Input::Start | Input::Meta(Ok(())) => {
                let Some(metadata) = self.metadata(id) else {
                    return Some(f);
                };
                let url = logout::url(&self.config, &metadata, &f.params, f.hint.as_deref());
                let req = self.request(id, Expect::Open);
                self.emit(fx("open").int("req", req.into()).int("call", f.call.into()).str("url", &url));
                Some(f)
            }
            Input::Meta(Err(e)) => {
                self.reject(f.call, &e);
                None
            }
            Input::Opened(r) => {
                self.settle(f.call, r.map(|()| "null".to_owned()));
                None
            }
            _ => Some(f),
        }
    }

    /// Forgets the session: memory here, and every other tab. Whatever was in flight for
    /// it is dropped when it answers ([`Engine::epoch`]).
    pub(crate) fn end_session(&mut self, from_other_tab: bool) {
        let was_authenticated = self.session.is_authenticated();
        self.session.clear();
        self.epoch = self.epoch.wrapping_add(1);
        self.dpop_reset(!from_other_tab);
        if !from_other_tab {
            self.post(&crate::core::tabs::logout_message());
        }
        self.hold(0);
        if was_authenticated {
            self.event("logout", from_other_tab);
        }
    }

    pub(crate) fn call_auth_fetch(&mut self, call: u32, ev: &Value) -> Result<()> {
        let request = token_request(ev)?;
        let url = ev.str_of("url").ok().flatten().unwrap_or_default().to_owned();
        self.may_send_token(&url)?;
        let method = ev.str_of("method").ok().flatten().unwrap_or("GET").to_owned();
        self.add_flow(Flow::AuthFetch(AuthFetch { call, method, url, request, retried: false, sent: 0 }));
        Ok(())
    }

    /// A bearer token is sent only to an origin the app allowed (`allowedOrigins`, else the
    /// page's own), and only over TLS or to loopback (RFC 6750 §5.3), so a URL built from
    /// untrusted input cannot carry the token away. Checked before a token is even fetched.
    fn may_send_token(&self, url: &str) -> Result<()> {
        let origin = config::origin_of(url).unwrap_or_default();
        let secure =
            origin.starts_with("https://") || (origin.starts_with("http://") && config::host_of(&origin).is_some_and(config::is_loopback));
        let allowed = match &self.config.allowed_origins {
            Some(list) => list.contains(&origin),
            None => origin == self.own_origin,
        };
        if secure && allowed {
            return Ok(());
        }
        Err(Error::new(code::ORIGIN_NOT_ALLOWED, text::cat(&["the token goes only to allowedOrigins, not to ", &origin])))
    }

    /// `fetch` with `Authorization: Bearer` (RFC 6750 §2.1) or `DPoP` and a proof (RFC 9449
    /// §7.1); a `use_dpop_nonce` challenge is retried once with the API's nonce
    /// ([`Engine::on_sent`]); on a 401 whose
    /// `WWW-Authenticate` says `invalid_token` (RFC 6750 §3.1), one forced refresh and one retry.
    pub(crate) fn step_auth_fetch(&mut self, id: u32, mut f: AuthFetch, input: Input) -> Option<AuthFetch> {
        match input {
            Input::Start => match self.token_or_join(f.request.clone(), Waiter::Flow(id)) {
                None => Some(f),
                Some(r) => self.step_auth_fetch(id, f, Input::Token(r)),
            },
            Input::Token(Ok(Some(t))) => {
                let req = self.request(id, Expect::Http);
                f.sent = req;
                // A DPoP-bound token goes with a proof for this method and URL (RFC 9449 §7).
                self.send(super::dpop::Sent {
                    req,
                    method: f.method.clone(),
                    url: f.url.clone(),
                    body: None,
                    call: f.call,
                    token: Some(t.access_token),
                    proof: t.dpop,
                    retried: false,
                });
                Some(f)
            }
            Input::Token(Ok(None)) => {
                self.reject(f.call, &Error::new(code::LOGIN_REQUIRED, "no access token is cached"));
                None
            }
            Input::Token(Err(e)) | Input::Http(Err(e)) => {
                self.reject(f.call, &e);
                None
            }
            Input::Http(Ok(reply)) => {
                let challenged = reply.status == 401 && reply.www.as_deref().is_some_and(token::is_invalid_token_challenge);
                if challenged && !f.retried {
                    f.retried = true;
                    f.request.cache_mode = CacheMode::Off;
                    return self.step_auth_fetch(id, f, Input::Start);
                }
                self.emit(fx("respond").int("call", f.call.into()).int("req", f.sent.into()));
                None
            }
            _ => Some(f),
        }
    }

    /// Whether `scope` was granted for `{ audience }` (the client's default when absent).
    pub(crate) fn has_scope(&self, ev: &Value) -> bool {
        let scope = ev.get("scope").and_then(Value::as_str).unwrap_or_default();
        let audience = ev.get("audience").and_then(Value::as_str).or(self.config.authorization_params.audience.as_deref());
        self.session.has_scope(audience, scope)
    }

    /// The ID token's claims as JSON: every claim with `__raw`, or the profile without
    /// protocol claims.
    pub(crate) fn claims(&self, all: bool) -> Option<String> {
        let t = self.session.id_token()?;
        let Ok(Value::Object(mut members)) = json::parse(&t.claims_json) else {
            return None;
        };
        if all {
            members.push(("__raw".to_owned(), Value::String(t.raw.secret().to_owned())));
        } else {
            members.retain(|(k, _)| !id_token::PROTOCOL_CLAIMS.contains(&k.as_str()));
        }
        Some(json::stringify(&Value::Object(members)))
    }

    /// Holds the shared lock of `generation` (and drops the one held before); 0 holds none.
    pub(crate) fn hold(&mut self, generation: i64) -> Option<u32> {
        let channel = self.tabs.channel.clone()?;
        let req = self.id();
        let name = (generation > 0).then(|| tabs::generation_lock(&channel, generation));
        self.emit(fx("hold").int("req", req.into()).opt_str("name", name.as_deref()));
        Some(req)
    }
}
