//! The protocol engine: one synchronous state machine that holds all state and makes
//! every decision. It takes events (a method call, the result of an effect, a message
//! from another tab, the clock) and returns effects (fetch, verify, lock, broadcast,
//! open a frame, set a timer, resolve a call). It never awaits, so `cargo test` drives
//! every decision in milliseconds with a fake clock.
//!
//! ```text
//!   JS API call ──► {"call":id,"op":…} ─┐                ┌─► [{"do":"fetch","req":r,…}, …]
//!   effect result ► {"req":r,…}        ─┼─► Engine::handle(event, now) ─┤
//!   other tab ────► {"tab":"…"}        ─┘                └─► [{"do":"resolve","call":id,…}]
//! ```
//!
//! Each call becomes a `Flow`: an explicit state (no `Future`) parked on the requests
//! it waits for. Shared resources (the provider metadata, the JWK Set, the refresh lock)
//! keep lists of waiting flows, so concurrent callers share one request.
//!
//! - [`login`]: redirect, callback, iframe and popup logins, the code exchange, ID tokens.
//! - [`tokens`]: the cache, single-flight refresh under one lock, revocation, logout, fetchWithAuth.
//! - [`tabs`]: one session across tabs: which tab refreshes, joining, logout everywhere.
//! - [`dpop`]: DPoP proofs' claims, the servers' nonces, the one nonce retry.
//! - [`wire`]: the JSON of events, options and effects.

pub mod dpop;
pub mod login;
pub mod tabs;
pub mod tokens;
pub mod wire;

use crate::core::cache::Session;
use crate::core::config::{Config, Options};
use crate::core::discovery::{self, Metadata};
use crate::core::error::{code, Error, Result};
use crate::core::json::{ObjectWriter, Value};
use crate::core::jws::{self, Jwks};
use crate::core::text;
use std::rc::Rc;

pub use tokens::{CacheMode, TokenRequest};

/// Synchronous storage for login transactions: `sessionStorage` in the browser, a
/// list in tests. Only transactions are ever stored; no token is.
pub trait Store {
    /// The value under `key`.
    fn get(&self, key: &str) -> Option<String>;
    /// Stores `value` under `key`.
    fn set(&mut self, key: &str, value: &str) -> Result<()>;
    /// Removes `key`.
    fn remove(&mut self, key: &str);
    /// Every key.
    fn keys(&self) -> Vec<String>;
}

/// A [`Store`] in memory, for tests and for pages without `sessionStorage`.
#[derive(Default, Debug)]
pub struct MemoryStore(pub Vec<(String, String)>);

impl Store for MemoryStore {
    fn get(&self, key: &str) -> Option<String> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone())
    }
    fn set(&mut self, key: &str, value: &str) -> Result<()> {
        self.remove(key);
        self.0.push((key.to_owned(), value.to_owned()));
        Ok(())
    }
    fn remove(&mut self, key: &str) {
        self.0.retain(|(k, _)| k != key);
    }
    fn keys(&self) -> Vec<String> {
        self.0.iter().map(|(k, _)| k.clone()).collect()
    }
}

/// How long the JWK Set must be held before an unknown `kid` may refetch it (RFC 7517
/// key rotation, without letting a storm of bad tokens become a storm of requests).
pub const JWKS_REFETCH_MS: f64 = 60_000.0;

/// How long a JWK Set is trusted before it is fetched again, so that a key the provider
/// withdrew stops verifying tokens in a long-lived tab (oauth4webapi's default too).
pub const JWKS_MAX_AGE_MS: f64 = 300_000.0;

/// What a request of a flow is, so that its result is read the right way.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Expect {
    Http,
    Verify,
    Granted,
    Query,
    Timer,
    Frame,
    Open,
    Stored,
}

/// What a flow is woken with.
#[derive(Debug)]
pub(crate) enum Input {
    /// The flow was just created.
    Start,
    /// The provider metadata arrived, or failed.
    Meta(Result<()>),
    /// The JWK Set arrived, or failed.
    Jwks(Result<()>),
    /// An HTTP answer (status, body, `WWW-Authenticate`), or a transport failure.
    Http(Result<wire::Reply>),
    /// WebCrypto's verdict on a signature (`Err` when the key could not be imported), and
    /// the digest it was asked for (`c_hash`, `at_hash`), if it was.
    Verified(std::result::Result<bool, ()>, Option<Vec<u8>>),
    /// A lock was granted.
    Granted,
    /// The names of the locks held or requested in this origin.
    Held(Vec<String>),
    /// A timer fired (its request id).
    Timer(u32),
    /// A message reached the window or the hand-off channel while a frame is open.
    Message(wire::FrameMessage),
    /// The popup reads as closed.
    Closed,
    /// The app's `openUrl`, the navigation, or the popup opened (or failed to).
    Opened(Result<()>),
    /// A child flow (a silent login inside a refresh) finished.
    Child(Result<Option<String>>),
    /// The token a flow waited for (`None`: nothing cached for `cache-only`).
    Token(Result<Option<tokens::TokenResult>>),
    /// The session reached the generation a flow waited for.
    CaughtUp,
    /// The refresh token stored for this client (`persistSession`), if any.
    Stored(Option<String>),
}

/// A call in progress. The engine keeps each one boxed, so that moving a flow in and out
/// of its list moves a pointer.
#[allow(clippy::large_enum_variant)]
pub(crate) enum Flow {
    Redirect(login::Redirect),
    Frame(login::FrameLogin),
    Exchange(login::Exchange),
    Refresh(tokens::Refresh),
    Revoke(tokens::Revoke),
    Logout(tokens::Logout),
    AuthFetch(tokens::AuthFetch),
    Wait(tabs::Wait),
    Adopt(tabs::Adopt),
    Restore(tabs::Restore),
}

/// A handled callback URL, so a second `handleRedirectCallback` with the same URL (React
/// StrictMode runs effects twice) shares the first one's outcome: one code exchange.
struct Handled {
    url: String,
    cleaned: Option<String>,
    /// The call whose promise every repeat shares.
    first: u32,
}

/// The engine of one client.
pub struct Engine {
    pub(crate) config: Config,
    store: Box<dyn Store>,
    now_ms: f64,
    next_id: u32,
    /// The effects so far, as the JSON array's members, comma-separated.
    out: String,
    metadata: Option<Rc<Metadata>>,
    meta_req: Option<u32>,
    meta_waiters: Vec<u32>,
    /// The provider's keys and when they were fetched.
    jwks: Option<(Rc<Jwks>, f64)>,
    jwks_req: Option<u32>,
    /// Who waits for the JWK Set request in flight, in order; the first asked for it (flow
    /// 0: the callback page's prefetch).
    jwks_waiters: Vec<u32>,
    pub(crate) session: Session,
    /// Bumped whenever the session ends (logout here or in another tab, `invalid_grant`):
    /// an answer to a request sent before is dropped, never stored, never broadcast.
    pub(crate) epoch: u32,
    flows: Vec<(u32, Box<Flow>)>,
    pending: Vec<(u32, u32, Expect)>,
    callbacks: Vec<Handled>,
    /// This page's origin, as `MessageEvent.origin` spells it.
    pub(crate) own_origin: String,
    pub(crate) tabs: tabs::TabState,
    pub(crate) refresh: tokens::RefreshLock,
    /// The `state` of the last redirect login this page stored.
    redirect_state: Option<String>,
    /// Whether RFC 8414 metadata was asked for a missing `revocation_endpoint` (once).
    pub(crate) asked_oauth_metadata: bool,
    /// The `revocation_endpoint` RFC 8414 metadata named, when OIDC discovery had none.
    pub(crate) oauth_revocation: Option<String>,
    /// Requests with a DPoP proof that may still be retried with a nonce.
    pub(crate) sent: Vec<dpop::Sent>,
    /// The DPoP nonce each server gave last: the provider's under `""`, an API's under its origin.
    pub(crate) nonces: Vec<(String, String)>,
}

fn fx(kind: &str) -> ObjectWriter {
    ObjectWriter::default().str("do", kind)
}

impl Engine {
    /// An engine for validated `options`, with transactions in `store`. Makes no request:
    /// discovery happens on first use.
    pub fn new(options: Options, store: Box<dyn Store>) -> Result<Engine> {
        let config = Config::new(options)?;
        let metadata = discovery::from_options(&config).map(Rc::new);
        Ok(Engine {
            config,
            store,
            now_ms: 0.0,
            next_id: 1,
            out: String::new(),
            metadata,
            meta_req: None,
            meta_waiters: Vec::new(),
            jwks: None,
            jwks_req: None,
            jwks_waiters: Vec::new(),
            session: Session::default(),
            epoch: 0,
            flows: Vec::new(),
            pending: Vec::new(),
            callbacks: Vec::new(),
            own_origin: String::new(),
            tabs: tabs::TabState::default(),
            refresh: tokens::RefreshLock::default(),
            redirect_state: None,
            asked_oauth_metadata: false,
            oauth_revocation: None,
            sent: Vec::new(),
            nonces: Vec::new(),
        })
    }

    /// Feeds one event (JSON text, see [`wire`]) at `now_ms` (ms since the epoch) and
    /// returns the effects to perform, as a JSON array.
    pub fn handle(&mut self, event: &str, now_ms: f64) -> String {
        self.now_ms = now_ms;
        if let Some(ev) = wire::parse_event(event) {
            self.dispatch(ev);
        }
        self.take_effects()
    }

    fn take_effects(&mut self) -> String {
        let effects = text::cat(&["[", &self.out, "]"]);
        self.out.clear();
        effects
    }

    fn dispatch(&mut self, ev: Value) {
        if let Some(text) = ev.get("tab").and_then(Value::as_str) {
            let text = text.to_owned();
            return self.on_tab_message(&text);
        }
        if let Some(req) = ev.get("req").and_then(Value::as_i64) {
            return self.on_result(req as u32, ev);
        }
        if let Some(call) = ev.get("call").and_then(Value::as_i64) {
            let op = ev.get("op").and_then(Value::as_str).unwrap_or_default().to_owned();
            self.on_call(call as u32, &op, &ev);
        }
    }

    fn on_result(&mut self, req: u32, ev: Value) {
        let Some(i) = self.pending.iter().position(|(r, _, _)| *r == req) else {
            return;
        };
        let (_, flow, expect) = self.pending[i];
        // Retried with the server's DPoP nonce: the answer that counts is still to come.
        if self.on_sent(req, &ev) {
            return;
        }
        let input = wire::input_of(expect, req, ev, self.config.http_timeout_secs);
        // A frame keeps its request open for every message until it settles.
        if expect != Expect::Frame {
            self.pending.remove(i);
        }
        if self.meta_req == Some(req) {
            return self.on_metadata(input);
        }
        if self.jwks_req == Some(req) {
            return self.on_jwks(input);
        }
        self.run(flow, input);
    }

    /// The clock of the engine, seconds since the epoch.
    pub(crate) fn now(&self) -> i64 {
        (self.now_ms / 1000.0) as i64
    }

    pub(crate) fn now_ms(&self) -> f64 {
        self.now_ms
    }

    pub(crate) fn id(&mut self) -> u32 {
        let id = self.next_id;
        self.next_id = self.next_id.wrapping_add(1).max(1);
        id
    }

    pub(crate) fn emit(&mut self, w: ObjectWriter) {
        if !self.out.is_empty() {
            self.out.push(',');
        }
        self.out.push_str(&w.finish());
    }

    /// A request of `flow`, expected to answer as `expect`.
    pub(crate) fn request(&mut self, flow: u32, expect: Expect) -> u32 {
        let req = self.id();
        self.pending.push((req, flow, expect));
        req
    }

    /// Drops every request `flow` still has open (a frame that settled, a finished flow).
    pub(crate) fn forget_requests(&mut self, flow: u32) {
        self.pending.retain(|(_, f, _)| *f != flow);
    }

    pub(crate) fn add_flow(&mut self, flow: Flow) -> u32 {
        let id = self.id();
        self.flows.push((id, Box::new(flow)));
        self.run(id, Input::Start);
        id
    }

    /// Steps flow `id` with `input`. A flow that returns `None` is finished.
    pub(crate) fn run(&mut self, id: u32, input: Input) {
        let Some(i) = self.flows.iter().position(|(f, _)| *f == id) else {
            return;
        };
        let (_, flow) = self.flows.swap_remove(i);
        let next = match *flow {
            Flow::Redirect(f) => self.step_redirect(id, f, input).map(Flow::Redirect),
            Flow::Frame(f) => self.step_frame(id, f, input),
            Flow::Exchange(f) => self.step_exchange(id, f, input).map(Flow::Exchange),
            Flow::Refresh(f) => self.step_refresh(id, f, input).map(Flow::Refresh),
            Flow::Revoke(f) => self.step_revoke(id, f, input).map(Flow::Revoke),
            Flow::Logout(f) => self.step_logout(id, f, input).map(Flow::Logout),
            Flow::AuthFetch(f) => self.step_auth_fetch(id, f, input).map(Flow::AuthFetch),
            Flow::Wait(f) => self.step_wait(id, f, input).map(Flow::Wait),
            Flow::Adopt(f) => self.step_adopt(id, f, input).map(Flow::Adopt),
            Flow::Restore(f) => self.step_restore(id, f, input).map(Flow::Restore),
        };
        match next {
            Some(flow) => self.flows.push((id, Box::new(flow))),
            None => self.forget_requests(id),
        }
    }

    pub(crate) fn flow_mut(&mut self, id: u32) -> Option<&mut Flow> {
        self.flows.iter_mut().find(|(f, _)| *f == id).map(|(_, flow)| &mut **flow)
    }

    pub(crate) fn flow_ids(&self) -> Vec<u32> {
        let mut ids = Vec::new();
        for (id, _) in &self.flows {
            ids.push(*id);
        }
        ids
    }

    // ----- calls -----

    /// Resolves call `call` with a JSON value.
    pub(crate) fn resolve(&mut self, call: u32, value_json: &str) {
        self.emit(fx("resolve").int("call", call.into()).raw("value", value_json));
    }

    /// Rejects call `call` with an SDK error.
    pub(crate) fn reject(&mut self, call: u32, e: &Error) {
        self.emit(fx("reject").int("call", call.into()).raw("error", &wire::error_json(e)));
    }

    pub(crate) fn settle(&mut self, call: u32, result: Result<String>) {
        match result {
            Ok(v) => self.resolve(call, &v),
            Err(e) => self.reject(call, &e),
        }
    }

    fn on_call(&mut self, call: u32, op: &str, ev: &Value) {
        let result = match op {
            "init" => return self.init(call, ev),
            "login" => self.call_login(call, ev),
            "callback" => return self.call_callback(call, ev),
            "checkSession" | "popup" | "popupToken" => self.call_frame_login(call, op, ev),
            "getToken" => self.call_get_token(call, ev),
            "fetch" => self.call_auth_fetch(call, ev),
            "logout" => self.call_logout(call, ev),
            "revoke" => {
                self.add_flow(Flow::Revoke(tokens::Revoke::new(call)));
                Ok(())
            }
            "isAuthenticated" => {
                let v = if self.session.is_authenticated() { "true" } else { "false" };
                self.resolve(call, v);
                Ok(())
            }
            "getUser" | "getIdTokenClaims" => {
                let claims = self.claims(op == "getIdTokenClaims");
                self.resolve(call, claims.as_deref().unwrap_or("null"));
                Ok(())
            }
            "generateDpopProof" | "getDpopNonce" | "setDpopNonce" => self.call_dpop(call, op, ev),
            "hasScope" => {
                let v = self.has_scope(ev);
                self.resolve(call, if v { "true" } else { "false" });
                Ok(())
            }
            _ => Err(Error::new(code::INVALID_OPTIONS, "unknown method")),
        };
        if let Err(e) = result {
            self.reject(call, &e);
        }
    }

    // ----- shared resources: metadata and the JWK Set -----

    /// The provider metadata, or `None` after parking `flow` on the one discovery request
    /// every concurrent caller shares. A failure is not cached: the next call tries again.
    pub(crate) fn metadata(&mut self, flow: u32) -> Option<Rc<Metadata>> {
        if let Some(m) = &self.metadata {
            return Some(m.clone());
        }
        self.meta_waiters.push(flow);
        if self.meta_req.is_none() {
            let req = self.request(0, Expect::Http);
            self.meta_req = Some(req);
            let url = discovery::url(&self.config);
            self.fetch(req, "GET", &url, None);
        }
        None
    }

    fn on_metadata(&mut self, input: Input) {
        self.meta_req = None;
        let result = match input {
            Input::Http(Ok(r)) => discovery::process(&self.config, r.status, &r.body).map(|m| {
                self.adopt_metadata(m);
                // For the callback page of a login this page starts (see `init`).
                let key = self.meta_key();
                let _ = self.store.set(&key, &r.body);
            }),
            Input::Http(Err(e)) => Err(Error::new(code::DISCOVERY_FAILED, text::cat(&["discovery failed: ", e.description()]))),
            _ => Err(Error::new(code::DISCOVERY_FAILED, "no metadata")),
        };
        for flow in std::mem::take(&mut self.meta_waiters) {
            self.run(flow, Input::Meta(result.clone()));
        }
    }

    /// Takes checked metadata as the provider's. Inlined into its two callers: as one
    /// shared function the package was 55 bytes larger.
    #[inline(always)]
    pub(crate) fn adopt_metadata(&mut self, m: Metadata) {
        // Discovery's spelling of an origin issuer is the one ID tokens carry.
        self.config.issuer.clone_from(&m.issuer);
        self.config.offline_access = m.offline_access;
        self.metadata = Some(Rc::new(m));
    }

    /// The JWK Set, or `None` after parking `flow` on the one request that fetches it.
    /// `refetch` replaces a set held; so does age ([`JWKS_MAX_AGE_MS`]).
    pub(crate) fn jwks(&mut self, flow: u32, refetch: bool) -> Result<Option<Rc<Jwks>>> {
        if !refetch && self.jwks_age_ms() < JWKS_MAX_AGE_MS {
            if let Some((set, _)) = &self.jwks {
                return Ok(Some(set.clone()));
            }
        }
        let uri = self
            .metadata
            .as_ref()
            .and_then(|m| m.jwks_uri.clone())
            .ok_or_else(|| Error::new(code::INVALID_JWKS, "the provider has no jwks_uri"))?;
        self.jwks_waiters.push(flow);
        if self.jwks_req.is_none() {
            let req = self.request(0, Expect::Http);
            self.jwks_req = Some(req);
            self.fetch(req, "GET", &uri, None);
        }
        Ok(None)
    }

    /// How long ago the JWK Set was fetched (ms); infinite when it never was.
    pub(crate) fn jwks_age_ms(&self) -> f64 {
        self.jwks.as_ref().map_or(f64::INFINITY, |(_, at)| self.now_ms - at)
    }

    fn on_jwks(&mut self, input: Input) {
        self.jwks_req = None;
        let result = match input {
            Input::Http(Ok(r)) => jws::process_jwks(r.status, &r.body).map(|set| {
                self.jwks = Some((Rc::new(set), self.now_ms));
            }),
            Input::Http(Err(e)) => Err(Error::new(code::INVALID_JWKS, text::cat(&["the JWK Set is unreachable: ", e.description()]))),
            _ => Err(Error::new(code::INVALID_JWKS, "no JWK Set")),
        };
        // A failed prefetch was a head start, not a try of whoever joined it: they get one
        // request of their own, as they would have without it.
        let retry = result.is_err() && self.jwks_waiters.first() == Some(&0);
        for flow in std::mem::take(&mut self.jwks_waiters) {
            if flow != 0 && !(retry && self.jwks(flow, true).is_ok()) {
                self.run(flow, Input::Jwks(result.clone()));
            }
        }
    }

    // ----- effects -----

    /// `fetch(url)`: a GET, or a form POST (RFC 6749 §4.1.3; both headers are
    /// CORS-safelisted, so no preflight, unless a DPoP proof goes with it). The body is
    /// read as a stream capped at [`crate::core::token::MAX_RESPONSE_BYTES`].
    pub(crate) fn fetch(&mut self, req: u32, method: &str, url: &str, form: Option<&str>) {
        let proof = self.config.use_dpop && method == "POST";
        self.send(dpop::Sent {
            req,
            method: method.to_owned(),
            url: url.to_owned(),
            body: form.map(str::to_owned),
            call: 0,
            token: None,
            proof,
            retried: false,
        });
    }

    /// A timer for `flow`, firing after `ms`.
    pub(crate) fn timer(&mut self, flow: u32, ms: i64) -> u32 {
        let req = self.request(flow, Expect::Timer);
        self.emit(fx("timer").int("req", req.into()).int("ms", ms));
        req
    }

    /// `sessionchange` with `detail: { reason, otherTab, isAuthenticated }`.
    pub(crate) fn event(&mut self, reason: &str, other_tab: bool) {
        let w = fx("event").str("reason", reason).bool("otherTab", other_tab).bool("isAuthenticated", self.session.is_authenticated());
        self.emit(w);
    }

    pub(crate) fn store(&mut self) -> &mut dyn Store {
        self.store.as_mut()
    }

    pub(crate) fn store_ref(&self) -> &dyn Store {
        self.store.as_ref()
    }
}

/// Fresh random bytes from the platform's CSPRNG (`crypto.getRandomValues` in the browser).
pub(crate) fn random32() -> Result<[u8; 32]> {
    let mut b = [0u8; 32];
    getrandom::fill(&mut b).map_err(|_| Error::new(code::BROWSER_ERROR, "crypto.getRandomValues failed"))?;
    Ok(b)
}

#[cfg(test)]
mod tests;
