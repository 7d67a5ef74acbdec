//! `AuthClient`: the flows, each composed of core steps with the shell's I/O in
//! between. No protocol rule lives here; this is the wiring.
//!
//! ```text
//! loginWithRedirect       core::authorize::request → storage.put → navigate
//! handleRedirectCallback  core::callback::parse → storage.take (sync) → clean URL
//!                         → check iss → POST code → core::token::process_response
//!                         → core::id_token::{decode, validate} → session.store
//! getTokenSilently        session.get ─hit→ token
//!                               └miss→ single flight per (audience, scope), one lock for all refreshes
//!                                      → (other tabs: one Web Lock, newest tokens first; see sharing.rs)
//!                                      → POST refresh_token → process → validate → store (rotation)
//! ```

mod sharing;

pub use sharing::Change;

use crate::browser::frames::{self, Answer, Surface};
use crate::browser::{self, crypto, http, location, storage::TransactionStore, tabs::Tabs};
use crate::core::authorize::{self, Mode, Transaction};
use crate::core::cache::Session;
use crate::core::callback::{self, Response};
use crate::core::config::{self, AuthorizeParams, Config, Options};
use crate::core::discovery::{self, Metadata};
use crate::core::error::{code, Error, Result};
use crate::core::id_token::{self, Expectations, Jwt};
use crate::core::jws::{self, Alg, Jwks};
use crate::core::logout::{self, LogoutParams};
use crate::core::secret::{AuthorizationCode, IdToken};
use crate::core::token::{self, TokenResponse};
use crate::flight::{Lock, SingleFlight};
use std::cell::RefCell;
use std::rc::Rc;

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
}

/// A token handed to the app.
pub struct TokenResult {
    /// The access token.
    pub access_token: String,
    /// The current ID token.
    pub id_token: Option<String>,
    /// Seconds until the access token expires, by the client clock.
    pub expires_in: i64,
    /// The granted scope.
    pub scope: String,
}

/// A callback whose synchronous half is done: the transaction is claimed.
pub struct ClaimedCallback {
    tx: Transaction,
    code: AuthorizationCode,
    iss: Option<String>,
    id_token: Option<IdToken>,
}

struct Inner {
    config: Config,
    metadata: RefCell<Option<Rc<Metadata>>>,
    discovery: SingleFlight<Result<Rc<Metadata>>>,
    session: RefCell<Session>,
    refreshes: SingleFlight<Result<()>>,
    refresh_lock: Lock,
    transactions: TransactionStore,
    /// The provider's keys and when they were fetched (ms since the epoch).
    jwks: RefCell<Option<(Rc<Jwks>, f64)>>,
    jwks_fetch: SingleFlight<Result<Rc<Jwks>>>,
    /// The other tabs of this issuer and client; `None` when sharing is off or unsupported.
    tabs: RefCell<Option<Rc<Tabs>>>,
    /// Where `sessionchange` events are dispatched.
    events: web_sys::EventTarget,
}

/// A JWK Set is fetched again for an unknown `kid` at most this often (RFC 7517 rotation,
/// without letting a storm of bad tokens become a storm of requests).
const JWKS_REFETCH_MS: f64 = 60_000.0;

/// The SDK client. Cheap to clone; clones share one session.
#[derive(Clone)]
pub struct AuthClient {
    inner: Rc<Inner>,
}

impl AuthClient {
    /// Validates the options and opens the channel to other tabs. Makes no request:
    /// discovery happens on first use.
    pub fn new(options: Options) -> Result<AuthClient> {
        let config = Config::new(options)?;
        let metadata = discovery::from_options(&config).map(Rc::new);
        let events = web_sys::EventTarget::new().map_err(|_| browser::api_error("EventTarget"))?;
        let client = AuthClient {
            inner: Rc::new(Inner {
                transactions: TransactionStore::new(&config.client_id),
                config,
                metadata: RefCell::new(metadata),
                discovery: SingleFlight::default(),
                session: RefCell::new(Session::default()),
                refreshes: SingleFlight::default(),
                refresh_lock: Lock::default(),
                jwks: RefCell::new(None),
                jwks_fetch: SingleFlight::default(),
                tabs: RefCell::new(None),
                events,
            }),
        };
        if client.config().cross_tab {
            client.open_tabs();
        }
        Ok(client)
    }

    /// Where `sessionchange` events are dispatched.
    pub fn events(&self) -> &web_sys::EventTarget {
        &self.inner.events
    }

    fn config(&self) -> &Config {
        &self.inner.config
    }

    /// Provider metadata, fetched once and shared by concurrent callers. A failed
    /// fetch is not cached, so the next call tries again.
    pub async fn metadata(&self) -> Result<Rc<Metadata>> {
        if let Some(m) = self.inner.metadata.borrow().clone() {
            return Ok(m);
        }
        let inner = self.inner.clone();
        self.inner
            .discovery
            .run("", || async move {
                let reply = http::get(&discovery::url(&inner.config), inner.config.http_timeout_secs).await?;
                let m = Rc::new(discovery::process(&inner.config, reply.status, &reply.body)?);
                *inner.metadata.borrow_mut() = Some(m.clone());
                Ok(m)
            })
            .await
    }

    /// Starts a login: stores the transaction and returns the authorize URL to open.
    pub async fn login_url(&self, params: &AuthorizeParams, app_state: Option<String>) -> Result<String> {
        let metadata = self.metadata().await?;
        let now = browser::now();
        let pkce = crypto::pkce().await?;
        let (url, tx) = authorize::request(Mode::Redirect, self.config(), &metadata, params, crypto::randomness()?, pkce, app_state, now)?;
        self.inner.transactions.put(&tx, now)?;
        Ok(url)
    }

    /// A login answered in a hidden iframe (`prompt=none`) or a popup: the transaction
    /// stays in this page's memory, the answer comes back by `web_message` or from the
    /// callback page, and the rest is [`AuthClient::finish_callback`], exactly as for a
    /// redirect. Returns the app state.
    pub async fn login_in(&self, surface: Surface, params: &AuthorizeParams, app_state: Option<String>) -> Result<Option<String>> {
        let metadata = self.metadata().await?;
        let mode = if matches!(surface, Surface::Frame) { Mode::Silent } else { Mode::Popup };
        let pkce = crypto::pkce().await?;
        let (url, tx) = authorize::request(mode, self.config(), &metadata, params, crypto::randomness()?, pkce, app_state, browser::now())?;
        let origin = config::origin_of(&metadata.authorization_endpoint).unwrap_or_default();
        let answer = frames::authorize(surface, &url, &origin, &tx.state, self.config().authorize_timeout_secs).await?;
        let response = match answer {
            Answer::Url(u) => callback::parse(&u)?,
            Answer::Pairs(p) => callback::from_pairs(&p)?,
        };
        match response {
            Response::Error { error, description, .. } => Err(callback::provider_error(&error, description.as_deref())),
            Response::Code { state, .. } if state != tx.state => Err(Error::new(code::STATE_MISMATCH, "the answer belongs to another login")),
            Response::Code { code, iss, id_token, .. } => self.finish_callback(ClaimedCallback { tx, code, iss, id_token }).await,
        }
    }

    /// Restores a session from the provider's own, silently, in a hidden iframe. No session
    /// there (`login_required`, `consent_required`, `interaction_required`) leaves this
    /// client signed out without an error.
    pub async fn check_session(&self, params: &AuthorizeParams) -> Result<()> {
        match self.login_in(Surface::Frame, params, None).await {
            Err(e) if callback::is_no_session(e.code()) => Ok(()),
            other => other.map(|_| ()),
        }
    }

    /// The synchronous half of the callback: parse the URL, claim the transaction
    /// (read and removed before any await, so a replay finds nothing), and clean the
    /// address bar when `url` is the current location.
    pub fn claim_callback(&self, url: &str) -> Result<ClaimedCallback> {
        if location::href().ok().as_deref() == Some(url) {
            if let Some(clean) = callback::cleaned_url(url) {
                location::replace(&clean)?;
            }
        }
        let response = match callback::parse(url) {
            Ok(r) => r,
            Err(e) => {
                // A malformed answer still ends the login it answers: nothing is left half-done.
                if e.code() == code::INVALID_CALLBACK {
                    for state in callback::states(url) {
                        self.inner.transactions.take(&state)?;
                    }
                }
                return Err(e);
            }
        };
        let stored = match response.state() {
            Some(state) => self.inner.transactions.take(state)?,
            None => None,
        };
        let (code, state, iss, id_token) = match response {
            Response::Error { error, description, .. } => return Err(callback::provider_error(&error, description.as_deref())),
            Response::Code { code, state, iss, id_token } => (code, state, iss, id_token),
        };
        let Some(text) = stored else {
            return Err(if self.inner.transactions.any_pending()? {
                Error::new(code::STATE_MISMATCH, "the callback's state matches none of the logins pending in this tab")
            } else {
                Error::new(code::MISSING_TRANSACTION, "no login is pending in this tab (it was never started, or its callback was already handled)")
            });
        };
        let tx = Transaction::from_json(&text, browser::now())?;
        if tx.state != state {
            return Err(Error::new(code::STATE_MISMATCH, "the stored transaction belongs to another state"));
        }
        Ok(ClaimedCallback { tx, code, iss, id_token })
    }

    /// The asynchronous half: check `iss`, exchange the code, validate the ID token,
    /// and start the session. Returns the app state as JSON text.
    pub async fn finish_callback(&self, claimed: ClaimedCallback) -> Result<Option<String>> {
        let ClaimedCallback { tx, code, iss, id_token: front_channel } = claimed;
        let metadata = self.metadata().await?;
        let config = self.config();
        let hybrid = tx.response_type.split(' ').any(|t| t == "id_token");
        // RFC 9207 §2.4: before the code is used.
        callback::check_iss(iss.as_deref(), &config.issuer, metadata.iss_parameter_supported, hybrid && front_channel.is_some())?;
        let Transaction { verifier, nonce, redirect_uri, audience, scope, max_age, organization, app_state, .. } = tx;
        let expect = Expectations {
            issuer: &config.issuer,
            client_id: &config.client_id,
            nonce: Some(&nonce),
            max_age,
            organization: organization.as_deref(),
            sub: None,
            leeway: config.leeway,
            now: browser::now(),
        };
        // OIDC Core 3.3.2.8-12: the hybrid flow's front-channel ID token is verified, and
        // bound to the code by c_hash, before the code is exchanged.
        let front = match (hybrid, front_channel) {
            (false, _) => None,
            (true, None) => return Err(Error::new(code::INVALID_CALLBACK, "the hybrid response has no id_token")),
            (true, Some(raw)) => {
                let jwt = id_token::decode(raw.secret())?;
                let alg = self.verify_signature(&jwt).await?;
                id_token::validate(&jwt.claims, &expect)?;
                let digest = crypto::digest(alg.hash_name(), code.secret().as_bytes()).await?;
                id_token::check_hashes(&jwt.claims, Some(&digest), None)?;
                Some(jwt.claims)
            }
        };
        let body = token::authorization_code_body(&config.client_id, &code, verifier, &redirect_uri);
        let reply = http::post_form(&metadata.token_endpoint, &body, config.http_timeout_secs).await?;
        let mut response = token::process_response(reply.status, &reply.body)?;
        let now = browser::now();
        // OIDC Core 3.1.3.3: an authentication response must carry an ID token.
        let raw = response.id_token.take().ok_or_else(|| Error::new(code::INVALID_RESPONSE, "the token response has no id_token"))?;
        let jwt = self.verified_id_token(&raw, &Expectations { now, ..expect }, response.access_token.secret()).await?;
        // OIDC Core 3.3.3.6: both ID tokens of a hybrid login are for the same user, by the same issuer.
        if front.is_some_and(|f| f.iss != jwt.claims.iss || f.sub != jwt.claims.sub) {
            return Err(Error::new(code::INVALID_ID_TOKEN, "the token endpoint's ID token is for another subject than the front channel's"));
        }
        {
            let mut session = self.inner.session.borrow_mut();
            session.clear();
            session.store(audience.as_deref(), &scope, response, Some((raw, jwt)), now);
        }
        self.publish(Change::Login).await;
        Ok(app_state)
    }

    /// Decodes an ID token, verifies its signature, then checks its claims and its
    /// `at_hash`: no claim is trusted before the signature is.
    async fn verified_id_token(&self, raw: &IdToken, expect: &Expectations<'_>, access_token: &str) -> Result<Jwt> {
        let jwt = id_token::decode(raw.secret())?;
        let alg = self.verify_signature(&jwt).await?;
        id_token::validate(&jwt.claims, expect)?;
        if jwt.claims.at_hash.is_some() {
            let digest = crypto::digest(alg.hash_name(), access_token.as_bytes()).await?;
            id_token::check_hashes(&jwt.claims, None, Some(&digest))?;
        }
        Ok(jwt)
    }

    /// Checks the header against the algorithm policy, picks the provider's key, and has
    /// WebCrypto verify the signature. An unknown `kid` refetches the keys once, at most
    /// once a minute.
    async fn verify_signature(&self, jwt: &Jwt) -> Result<Alg> {
        let metadata = self.metadata().await?;
        let allowed = jws::allowed_algs(metadata.id_token_signing_algs.as_deref(), self.config().id_token_signing_algs.as_deref());
        let (alg, kid) = jws::check_header(&jwt.header, &allowed)?;
        let jwks = self.jwks(false).await?;
        let key = match jws::select_key(&jwks, alg, kid.as_deref())? {
            Some(key) => key.clone(),
            None => {
                let fetched_at = self.inner.jwks.borrow().as_ref().map_or(0.0, |(_, at)| *at);
                let unknown = || Error::new(code::INVALID_ID_TOKEN, "no key of the provider's JWK Set matches the ID token");
                if js_sys::Date::now() - fetched_at < JWKS_REFETCH_MS {
                    return Err(unknown());
                }
                let jwks = self.jwks(true).await?;
                jws::select_key(&jwks, alg, kid.as_deref())?.cloned().ok_or_else(unknown)?
            }
        };
        if !crypto::verify(alg, &key.json, jwt.signing_input.as_bytes(), &jwt.signature).await? {
            return Err(Error::new(code::INVALID_ID_TOKEN, "the ID token's signature is not valid"));
        }
        Ok(alg)
    }

    /// The provider's JWK Set, fetched once and shared; `refetch` replaces it.
    async fn jwks(&self, refetch: bool) -> Result<Rc<Jwks>> {
        if !refetch {
            if let Some((jwks, _)) = self.inner.jwks.borrow().as_ref() {
                return Ok(jwks.clone());
            }
        }
        let metadata = self.metadata().await?;
        let uri = metadata
            .jwks_uri
            .clone()
            .ok_or_else(|| Error::new(code::INVALID_JWKS, "the provider publishes no jwks_uri, so ID tokens cannot be verified"))?;
        let inner = self.inner.clone();
        self.inner
            .jwks_fetch
            .run("", || async move {
                let reply = http::get(&uri, inner.config.http_timeout_secs).await?;
                let jwks = Rc::new(jws::process_jwks(reply.status, &reply.body)?);
                *inner.jwks.borrow_mut() = Some((jwks.clone(), js_sys::Date::now()));
                Ok(jwks)
            })
            .await
    }

    fn key(&self, request: &TokenRequest) -> (Option<String>, String) {
        let audience = request.audience.clone().or_else(|| self.config().authorization_params.audience.clone());
        (audience, self.config().effective_scope(request.scope.as_deref()))
    }

    fn token_result(&self, audience: Option<&str>, scope: &str, fresh_only: bool) -> Option<TokenResult> {
        let session = self.inner.session.borrow();
        let now = browser::now();
        let entry = if fresh_only { session.get(audience, scope, now, self.config().leeway) } else { session.find(audience, scope) }?;
        Some(TokenResult {
            access_token: entry.access_token.secret().to_owned(),
            id_token: session.id_token().map(|t| t.raw.secret().to_owned()),
            expires_in: (entry.expires_at - now).max(0),
            scope: entry.granted_scope.clone(),
        })
    }

    /// A valid access token from memory, without any await: the hot path of
    /// `getTokenSilently`.
    pub fn cached_access_token(&self, request: &TokenRequest) -> Option<String> {
        if request.cache_mode == CacheMode::Off {
            return None;
        }
        let (audience, scope) = self.key(request);
        let session = self.inner.session.borrow();
        session.get(audience.as_deref(), &scope, browser::now(), self.config().leeway).map(|e| e.access_token.secret().to_owned())
    }

    /// An access token: from memory when valid, else by one refresh shared with every
    /// concurrent caller of the same (audience, scope).
    pub async fn get_token(&self, request: TokenRequest) -> Result<Option<TokenResult>> {
        let (audience, scope) = self.key(&request);
        if request.cache_mode != CacheMode::Off {
            if let Some(hit) = self.token_result(audience.as_deref(), &scope, true) {
                return Ok(Some(hit));
            }
        }
        if request.cache_mode == CacheMode::CacheOnly {
            return Ok(None);
        }
        let flight_key = format!("{}\n{scope}", audience.as_deref().unwrap_or(""));
        let this = self.clone();
        let (a, s) = (audience.clone(), scope.clone());
        self.inner.refreshes.run(&flight_key, || async move { this.refresh(a.as_deref(), &s, request.cache_mode).await }).await?;
        // The fresh token, even if its lifetime is shorter than the leeway.
        Ok(self.token_result(audience.as_deref(), &scope, false))
    }

    /// One refresh-token grant (RFC 6749 §6), under the lock every refresh of this tab
    /// takes and, with other tabs, under their shared Web Lock too: a rotated refresh token
    /// is never sent twice, by this tab or any other.
    async fn refresh(&self, audience: Option<&str>, scope: &str, cache_mode: CacheMode) -> Result<()> {
        let _guard = self.inner.refresh_lock.acquire().await;
        let tabs = self.inner.tabs.borrow().clone();
        match tabs {
            None => self.refresh_now(audience, scope, cache_mode).await,
            Some(tabs) => {
                let this = self.clone();
                let (audience, scope) = (audience.map(str::to_owned), scope.to_owned());
                let shared = tabs.clone();
                tabs.exclusive(async move {
                    // Another tab may hold newer tokens than this one: take them first.
                    this.catch_up(&shared).await;
                    this.refresh_now(audience.as_deref(), &scope, cache_mode).await
                })
                .await?
            }
        }
    }

    async fn refresh_now(&self, audience: Option<&str>, scope: &str, cache_mode: CacheMode) -> Result<()> {
        let config = self.config();
        // Another refresh may have finished while this one waited for the lock.
        if cache_mode != CacheMode::Off && self.inner.session.borrow().get(audience, scope, browser::now(), config.leeway).is_some() {
            return Ok(());
        }
        let refresh_token = self.inner.session.borrow().refresh_token().cloned();
        let Some(refresh_token) = refresh_token else {
            // As auth0-spa-js: without refresh tokens, or with the fallback on, a silent
            // iframe login renews instead (after a reload, say).
            if config.use_refresh_tokens_fallback || !config.use_refresh_tokens {
                let params = AuthorizeParams { audience: audience.map(str::to_owned), scope: Some(scope.to_owned()), ..Default::default() };
                return self.login_in(Surface::Frame, &params, None).await.map(|_| ());
            }
            return Err(Error::new(
                code::MISSING_REFRESH_TOKEN,
                format!("Missing Refresh Token (audience: '{}', scope: '{scope}')", audience.unwrap_or("default")),
            ));
        };
        let metadata = self.metadata().await?;
        // RFC 6749 §6: without `scope` the grant's original scope applies, so it is sent only
        // for a narrower or different request, and never with `offline_access`, which
        // describes the refresh token itself rather than the access token.
        let login_key = self.key(&TokenRequest { audience: None, scope: None, cache_mode });
        let narrowed = scope.split(' ').filter(|s| *s != "offline_access").collect::<Vec<_>>().join(" ");
        let scope_param = (login_key.1 != scope).then_some(narrowed.as_str());
        let body = token::refresh_body(&config.client_id, &refresh_token, scope_param, audience);
        drop(refresh_token);
        let reply = http::post_form(&metadata.token_endpoint, &body, config.http_timeout_secs).await?;
        let mut response = match token::process_response(reply.status, &reply.body) {
            Ok(r) => r,
            Err(e) if e.code() == "invalid_grant" => {
                // The grant is gone (expired, revoked, or a replayed rotation): so is the
                // session, in every tab.
                self.clear();
                return Err(Error::new(code::LOGIN_REQUIRED, format!("the session has ended: {}", e.description())));
            }
            Err(e) => return Err(e),
        };
        let now = browser::now();
        let id = match self.refreshed_id_token(&mut response, now).await {
            Ok(id) => id,
            Err(e) => {
                // A refresh whose ID token fails (another user, a bad signature) ends the
                // session: keeping the old tokens would keep trusting a provider answer
                // that has just been caught lying.
                self.clear();
                return Err(e);
            }
        };
        self.inner.session.borrow_mut().store(audience, scope, response, id, now);
        self.publish(Change::Refresh).await;
        Ok(())
    }

    /// OIDC Core 12.2: a refresh may return a new ID token; it is validated like the
    /// first, without a nonce, and must be for the same `sub`.
    async fn refreshed_id_token(&self, response: &mut TokenResponse, now: i64) -> Result<Option<(IdToken, Jwt)>> {
        let Some(raw) = response.id_token.take() else { return Ok(None) };
        let sub = self.inner.session.borrow().id_token().map(|t| t.sub.clone());
        let config = self.config();
        let expect = Expectations {
            issuer: &config.issuer,
            client_id: &config.client_id,
            sub: sub.as_deref(),
            leeway: config.leeway,
            now,
            ..Expectations::default()
        };
        let jwt = self.verified_id_token(&raw, &expect, response.access_token.secret()).await?;
        Ok(Some((raw, jwt)))
    }

    /// A short fingerprint of the refresh token held, to show that it rotated without
    /// showing it: the first 8 hex digits of its SHA-256.
    pub async fn refresh_token_fingerprint(&self) -> Option<String> {
        let token = self.inner.session.borrow().refresh_token().cloned()?;
        let digest = crypto::digest("SHA-256", token.secret().as_bytes()).await.ok()?;
        Some(digest.iter().take(4).map(|b| format!("{b:02x}")).collect())
    }

    /// Whether a user is signed in.
    pub fn is_authenticated(&self) -> bool {
        self.inner.session.borrow().is_authenticated()
    }

    /// The current ID token, raw and as claims JSON.
    pub fn id_token(&self) -> Option<(String, String)> {
        self.inner.session.borrow().id_token().map(|t| (t.raw.secret().to_owned(), t.claims_json.clone()))
    }

    /// Whether `scope` was granted for `audience` (the client's default when `None`).
    pub fn has_scope(&self, scope: &str, audience: Option<&str>) -> bool {
        let audience = audience.or(self.config().authorization_params.audience.as_deref());
        self.inner.session.borrow().has_scope(audience, scope)
    }

    /// Forgets the session in memory and returns the logout URL to open.
    pub async fn logout_url(&self, params: &LogoutParams) -> Result<String> {
        let hint = self.inner.session.borrow().id_token().map(|t| t.raw.secret().to_owned());
        self.clear();
        let metadata = self.metadata().await?;
        Ok(logout::url(self.config(), &metadata, params, hint.as_deref()))
    }

    /// Forgets the session in memory, here and in every other tab.
    pub fn clear(&self) {
        let was_authenticated = self.is_authenticated();
        self.inner.session.borrow_mut().clear();
        self.publish_logout(was_authenticated);
    }

    /// Revokes the refresh token at the provider (RFC 7009) and forgets it.
    /// Nothing to revoke is not an error.
    pub async fn revoke_refresh_token(&self) -> Result<()> {
        let _guard = self.inner.refresh_lock.acquire().await;
        let Some(refresh_token) = self.inner.session.borrow().refresh_token().cloned() else { return Ok(()) };
        let metadata = self.metadata().await?;
        let endpoint = metadata
            .revocation_endpoint
            .as_deref()
            .ok_or_else(|| Error::new(code::REVOCATION_UNSUPPORTED, "the provider has no revocation_endpoint"))?;
        let body = token::revocation_body(&self.config().client_id, &refresh_token);
        let reply = http::post_form(endpoint, &body, self.config().http_timeout_secs).await?;
        token::process_revocation(reply.status, &reply.body)?;
        self.inner.session.borrow_mut().forget_refresh_token();
        self.publish(Change::Revoke).await;
        Ok(())
    }

    /// `fetch(request)` with `Authorization: Bearer`; on a 401 whose `WWW-Authenticate`
    /// says `invalid_token` (RFC 6750 §3.1), one forced refresh and one retry.
    pub async fn fetch_with_auth(&self, request: &web_sys::Request, token_request: TokenRequest) -> Result<web_sys::Response> {
        let token = self.token_or_login_required(token_request.clone()).await?;
        let response = http::send_with_bearer(request, &token).await?;
        let challenged = response.status() == 401
            && response.headers().get("www-authenticate").ok().flatten().is_some_and(|h| token::is_invalid_token_challenge(&h));
        if !challenged {
            return Ok(response);
        }
        let token = self.token_or_login_required(TokenRequest { cache_mode: CacheMode::Off, ..token_request }).await?;
        http::send_with_bearer(request, &token).await
    }

    /// A popup login for `params`, then the access token for its audience and scope
    /// (auth0-spa-js's `getTokenWithPopup`).
    pub async fn token_with_popup(&self, popup: Option<web_sys::Window>, params: &AuthorizeParams) -> Result<String> {
        self.login_in(Surface::Popup(popup), params, None).await?;
        let request = TokenRequest { audience: params.audience.clone(), scope: params.scope.clone(), cache_mode: CacheMode::CacheOnly };
        self.token_or_login_required(request).await
    }

    async fn token_or_login_required(&self, request: TokenRequest) -> Result<String> {
        self.get_token(request)
            .await?
            .map(|t| t.access_token)
            .ok_or_else(|| Error::new(code::LOGIN_REQUIRED, "no access token is cached for this request"))
    }
}
