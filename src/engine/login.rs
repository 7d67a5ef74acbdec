//! Logins: by redirect, in a hidden iframe or in a popup; the callback; the code
//! exchange; and the ID token check, signature first (OIDC Core 3.1.3.7).
//!
//! ```text
//! loginWithRedirect       metadata → authorize::request → store tx → open
//! handleRedirectCallback  clean URL → callback::parse → take tx (one synchronous step) → Exchange
//! checkSession, popups    metadata → authorize::request (tx in memory) → frame → answer → Exchange
//! Exchange                iss (RFC 9207) → [hybrid: verify front ID token, c_hash] → POST code
//!                         → process → verify ID token → claims → at_hash → store → publish
//! ```

use super::{fx, random32, Engine, Expect, Flow, Input};
use crate::core::authorize::{self, Mode, Randomness, Transaction};
use crate::core::callback::{self, Response};
use crate::core::config::AuthorizeParams;
use crate::core::discovery;
use crate::core::error::{code, Error, Kind, Result};
use crate::core::hash;
use crate::core::id_token::{self, Claims, Expectations, Jwt};
use crate::core::json::{self, ObjectWriter, Value};
use crate::core::jws::{self, Alg};
use crate::core::pkce::{CodeVerifier, Pkce};
use crate::core::secret::{AuthorizationCode, IdToken};
use crate::core::text;
use crate::core::token::{self, TokenResponse};

/// How long after a popup reads as closed an answer may still arrive (its last message,
/// or the BroadcastChannel hand-off when COOP severed the window handle).
pub const CLOSED_GRACE_MS: i64 = 1000;
/// How often the loop checks whether a popup was closed.
pub const POPUP_POLL_MS: i64 = 250;

/// What a finished login completes.
#[derive(Clone, Debug)]
pub(crate) enum Purpose {
    /// `handleRedirectCallback`: the handled URL's index.
    Callback(usize),
    /// `checkSession`: no session at the provider resolves signed out.
    CheckSession(u32),
    /// `loginWithPopup`.
    Popup(u32),
    /// `getTokenWithPopup`: then the token for this audience and scope.
    PopupToken(u32, Option<String>, String),
    /// A silent login inside a refresh that had no refresh token.
    Fallback(u32),
}

/// `loginWithRedirect`.
pub(crate) struct Redirect {
    call: u32,
    params: AuthorizeParams,
    app_state: Option<String>,
    /// auth0-spa-js's `fragment`: appended to the authorize URL as `#fragment`.
    fragment: Option<String>,
    /// The `state` of a request being pushed (PAR), whose transaction is stored.
    pushing: Option<String>,
}

/// A login in a hidden iframe or a popup. Its transaction stays in this page's memory.
pub(crate) struct FrameLogin {
    purpose: Purpose,
    mode: Mode,
    params: AuthorizeParams,
    /// The call whose `popup` window the loop uses (0: none).
    call: u32,
    tx: Option<Transaction>,
    frame_req: u32,
    timeout_req: u32,
    grace_req: Option<u32>,
    timeout_secs: u32,
}

/// A signature check in progress.
pub(crate) struct Verify {
    pub(crate) jwt: Box<Jwt>,
    alg: Alg,
    kid: Option<String>,
    refetched: bool,
    /// The code or access token whose digest under the token's hash `c_hash` or `at_hash`
    /// needs; WebCrypto computes it with the signature check.
    hash_of: Option<String>,
    /// That digest; empty when it was asked for and did not come, so the check fails.
    pub(crate) digest: Vec<u8>,
}

enum Phase {
    Meta,
    Front(Verify),
    Token,
    Id(Box<(Verify, TokenResponse, IdToken)>),
    Done,
}

/// The code exchange of one login.
pub(crate) struct Exchange {
    purpose: Purpose,
    verifier: Option<CodeVerifier>,
    code: AuthorizationCode,
    iss: Option<String>,
    front_raw: Option<IdToken>,
    front: Option<Claims>,
    nonce: String,
    redirect_uri: String,
    audience: Option<String>,
    scope: String,
    max_age: Option<i64>,
    organization: Option<String>,
    hybrid: bool,
    app_state: Option<String>,
    epoch: u32,
    phase: Phase,
}

impl Exchange {
    fn new(
        tx: Transaction,
        code: AuthorizationCode,
        iss: Option<String>,
        front_raw: Option<IdToken>,
        purpose: Purpose,
        epoch: u32,
    ) -> Self {
        let Transaction { verifier, nonce, redirect_uri, audience, scope, max_age, organization, response_type, app_state, .. } = tx;
        Exchange {
            purpose,
            verifier: Some(verifier),
            code,
            iss,
            front_raw,
            front: None,
            nonce,
            redirect_uri,
            audience,
            scope,
            max_age,
            organization,
            hybrid: text::split(&response_type, b" ").any(|t| t == "id_token"),
            app_state,
            epoch,
            phase: Phase::Meta,
        }
    }
}

/// The hash "used in the alg Header Parameter" (OIDC Core 3.3.2.11), for `c_hash` and
/// `at_hash`: SHA-512 for Ed25519.
fn hash_name(alg: Alg) -> &'static str {
    match alg {
        Alg::RS256 | Alg::PS256 | Alg::ES256 => "SHA-256",
        Alg::ES384 => "SHA-384",
        Alg::EdDSA => "SHA-512",
    }
}

/// The WebCrypto parameters to import a JWK and verify with it (RFC 7518 §3; RFC 8037 for Ed25519).
fn webcrypto_params(alg: Alg) -> (String, String) {
    let (name, hash, curve) = match alg {
        Alg::RS256 => ("RSASSA-PKCS1-v1_5", Some("SHA-256"), None),
        Alg::PS256 => ("RSA-PSS", Some("SHA-256"), None),
        Alg::ES256 => ("ECDSA", Some("SHA-256"), Some("P-256")),
        Alg::ES384 => ("ECDSA", Some("SHA-384"), Some("P-384")),
        Alg::EdDSA => ("Ed25519", None, None),
    };
    let import =
        ObjectWriter::default().str("name", name).opt_str("namedCurve", curve).opt_str("hash", hash.filter(|_| curve.is_none())).finish();
    let verify = match alg {
        // RFC 7518 §3.5: the salt is as long as the hash.
        Alg::PS256 => ObjectWriter::default().str("name", name).int("saltLength", 32),
        Alg::ES256 | Alg::ES384 => ObjectWriter::default().str("name", name).opt_str("hash", hash),
        Alg::RS256 | Alg::EdDSA => ObjectWriter::default().str("name", name),
    }
    .finish();
    (import, verify)
}

const TX_PREFIX: &str = "spa-auth.tx.";
const META_PREFIX: &str = "spa-auth.meta.";

impl Engine {
    fn tx_prefix(&self) -> String {
        text::cat(&[TX_PREFIX, &self.config.client_id, "."])
    }

    /// Where the last discovery document this tab fetched is kept (sessionStorage: it is
    /// public), for the callback page of a login, which then needs no discovery request.
    pub(crate) fn meta_key(&self) -> String {
        text::cat(&[META_PREFIX, &self.config.client_id])
    }

    /// The discovery document a page of this tab fetched, taken (read and removed: it
    /// serves one callback page, and a login started there discovers anew) and checked
    /// like a fetched one; a document for another issuer, or not JSON, is dropped. The keys
    /// follow the code exchange's request (`send_code`).
    pub(crate) fn stored_metadata(&mut self) {
        let key = self.meta_key();
        let Some(body) = self.store_ref().get(&key) else {
            return;
        };
        self.store().remove(&key);
        if self.metadata.is_none() {
            if let Ok(m) = discovery::process(&self.config, 200, &body) {
                self.adopt_metadata(m);
            }
        }
    }

    /// Stores a transaction under its state, after dropping expired ones.
    fn tx_put(&mut self, tx: &Transaction) -> Result<()> {
        let prefix = self.tx_prefix();
        let now = self.now();
        for key in self.store_ref().keys() {
            let stale = key.starts_with(&prefix) && self.store_ref().get(&key).is_none_or(|t| Transaction::from_json(&t, now).is_err());
            if stale {
                self.store().remove(&key);
            }
        }
        let key = text::cat(&[&prefix, &tx.state]);
        self.store().set(&key, &tx.to_json())
    }

    /// Reads and removes the transaction stored under `state`, in one synchronous step:
    /// whoever takes it first owns it, and a replayed callback finds nothing.
    fn tx_take(&mut self, state: &str) -> Option<String> {
        let key = text::cat(&[&self.tx_prefix(), state]);
        let text = self.store_ref().get(&key);
        if text.is_some() {
            self.store().remove(&key);
        }
        text
    }

    /// Whether `url` carries the `state` of a login stored in this tab (read, not taken).
    pub(crate) fn answers_pending_login(&self, url: &str) -> bool {
        let prefix = self.tx_prefix();
        callback::states(url).iter().any(|s| self.store_ref().get(&text::cat(&[&prefix, s])).is_some())
    }

    fn tx_any_pending(&self) -> bool {
        let prefix = self.tx_prefix();
        self.store_ref().keys().iter().any(|k| k.starts_with(&prefix))
    }

    /// A fresh authorization request: PKCE from 32 random bytes with its S256 challenge
    /// (RFC 7636 §4.1-4.2), random `state` and `nonce`.
    fn authorize_request(&mut self, mode: Mode, params: &AuthorizeParams, app_state: Option<String>) -> Result<(String, Transaction)> {
        let metadata = self.metadata.clone().ok_or_else(|| Error::new(code::DISCOVERY_FAILED, "no metadata"))?;
        let verifier = CodeVerifier::from_random(random32()?);
        let digest = hash::sha256(verifier.secret().as_bytes());
        let pkce = Pkce::s256(verifier, &digest);
        let random = Randomness { state: random32()?, nonce: random32()? };
        authorize::request(mode, &self.config, &metadata, params, random, pkce, app_state, self.now())
    }

    /// Pushes an authorization request first (RFC 9126) when the provider requires it
    /// (`require_pushed_authorization_requests`) or the app asks (`usePar`): its query goes
    /// to the PAR endpoint as a form POST (with a DPoP proof under `useDpop`, which binds
    /// the code to the key, RFC 9449 §10.1). `true` when the request was sent.
    fn push(&mut self, flow: u32, url: &str) -> bool {
        let Some(m) = self.metadata.clone() else {
            return false;
        };
        let Some(endpoint) = m.par_endpoint.as_deref().filter(|_| m.require_par || self.config.use_par) else {
            return false;
        };
        let query = url.get(m.authorization_endpoint.len() + 1..).unwrap_or_default();
        let req = self.request(flow, Expect::Http);
        self.fetch(req, "POST", endpoint, Some(query));
        true
    }

    /// The authorization URL from the PAR endpoint's answer.
    fn pushed(&self, reply: Result<super::wire::Reply>) -> Result<String> {
        let m = self.metadata.clone().ok_or_else(|| Error::new(code::DISCOVERY_FAILED, "no metadata"))?;
        reply.and_then(|r| authorize::process_par(&self.config, &m, r.status, &r.body))
    }

    pub(crate) fn call_login(&mut self, call: u32, ev: &Value) -> Result<()> {
        let params = super::wire::authorize_params(ev.get("authorizationParams"))?;
        let app_state = ev.get("appState").map(json::stringify);
        let fragment = super::wire::opt_string(ev, "fragment")?;
        self.add_flow(Flow::Redirect(Redirect { call, params, app_state, fragment, pushing: None }));
        Ok(())
    }

    pub(crate) fn step_redirect(&mut self, id: u32, mut f: Redirect, input: Input) -> Option<Redirect> {
        let started = match input {
            Input::Start | Input::Meta(Ok(())) => {
                if self.metadata(id).is_none() {
                    return Some(f);
                }
                let started = self.authorize_request(Mode::Redirect, &f.params, f.app_state.clone()).and_then(|(url, tx)| {
                    self.tx_put(&tx)?;
                    // A page navigates once, to the last URL it is sent to: the login this one
                    // supersedes (a second call in the same tick, as StrictMode makes) can never
                    // be answered, so its transaction and verifier go now.
                    if let Some(old) = self.redirect_state.replace(tx.state.clone()) {
                        self.tx_take(&old);
                    }
                    Ok((url, tx.state))
                });
                match started {
                    Ok((url, state)) if self.push(id, &url) => {
                        f.pushing = Some(state);
                        return Some(f);
                    }
                    Ok((url, _)) => Ok(url),
                    Err(e) => Err(e),
                }
            }
            // A PAR failure leaves nothing behind, and navigates nowhere.
            Input::Http(reply) => self.pushed(reply).inspect_err(|_| {
                if let Some(state) = f.pushing.take() {
                    self.tx_take(&state);
                }
            }),
            Input::Meta(Err(e)) => Err(e),
            Input::Opened(r) => {
                self.settle(f.call, r.map(|_| "null".to_owned()));
                return None;
            }
            _ => return Some(f),
        };
        match started {
            Ok(url) => {
                let url = match &f.fragment {
                    Some(fragment) => text::cat(&[&url, "#", fragment]),
                    None => url,
                };
                let req = self.request(id, Expect::Open);
                self.emit(fx("open").int("req", req.into()).int("call", f.call.into()).str("url", &url));
                Some(f)
            }
            Err(e) => {
                self.reject(f.call, &e);
                None
            }
        }
    }

    /// `handleRedirectCallback(url)`: the transaction is claimed and the address bar
    /// cleaned before anything is awaited; a second call with the same URL shares the first.
    pub(crate) fn call_callback(&mut self, call: u32, ev: &Value) {
        let href = ev.get("href").and_then(Value::as_str).unwrap_or_default().to_owned();
        let url = ev.get("url").and_then(Value::as_str).map_or_else(|| href.clone(), str::to_owned);
        if let Some(h) = self.callbacks.iter().find(|c| c.url == url || c.cleaned.as_deref() == Some(url.as_str())) {
            // The loop hands back the first call's promise.
            let first = h.first;
            return self.emit(fx("share").int("call", call.into()).int("with", first.into()));
        }
        // The answer to an iframe or popup login goes back to the page that started it.
        if callback::is_handoff(&url) {
            self.emit(fx("handoff").str("url", &url));
            return self.resolve(call, "{}");
        }
        let cleaned = if url == href { callback::cleaned_url(&url) } else { None };
        let index = self.callbacks.len();
        self.callbacks.push(super::Handled { url: url.clone(), cleaned: cleaned.clone(), first: call });
        match self.claim_callback(&url) {
            Ok((tx, code, iss, id_token)) => {
                let ex = Exchange::new(tx, code, iss, id_token, Purpose::Callback(index), self.epoch);
                self.add_flow(Flow::Exchange(ex));
            }
            Err(e) => self.complete(Purpose::Callback(index), Err(e)),
        }
        // The URL is cleaned after the code exchange has left: `replaceState` takes a few
        // milliseconds, and the exchange is the callback's critical path. Both happen in
        // this one batch of effects, before any promise settles.
        if let Some(c) = cleaned {
            self.emit(fx("replace").str("url", &c));
        }
    }

    /// Parse the URL and claim the transaction it answers.
    fn claim_callback(&mut self, url: &str) -> Result<(Transaction, AuthorizationCode, Option<String>, Option<IdToken>)> {
        let response = match callback::parse(url) {
            Ok(r) => r,
            Err(e) => {
                // A malformed answer still ends the login it answers: nothing is left half-done.
                if e.code() == code::INVALID_CALLBACK {
                    for state in callback::states(url) {
                        self.tx_take(&state);
                    }
                }
                return Err(e);
            }
        };
        // An error is checked like a success before it is believed: it must answer a login
        // pending here, and a present `iss` must be the issuer (RFC 9207 §2.4).
        let stored = response.state().and_then(|s| self.tx_take(s));
        let Some(text) = stored else {
            return Err(if self.tx_any_pending() {
                Error::new(code::STATE_MISMATCH, "no pending login has this state")
            } else {
                Error::new(code::MISSING_TRANSACTION, "no login is pending in this tab")
            });
        };
        let tx = Transaction::from_json(&text, self.now())?;
        if response.state() != Some(tx.state.as_str()) {
            return Err(Error::new(code::STATE_MISMATCH, "the transaction is another state's"));
        }
        match response {
            Response::Error { error, description, iss, .. } => Err(self.believed_error(&error, description, iss, &tx)),
            Response::Code { code, iss, id_token, .. } => Ok((tx, code, iss, id_token)),
        }
    }

    /// A provider error that answers one of this tab's logins: surfaced as the provider's
    /// unless it names another issuer. Some providers leave `iss` out of errors such as
    /// `login_required` even where they advertise it, so an absent `iss` is accepted; the
    /// `state` match has already tied the error to this login.
    fn believed_error(&self, error: &str, description: Option<String>, iss: Option<String>, tx: &Transaction) -> Error {
        match callback::check_iss(iss.as_deref(), &self.config.issuer, false, false) {
            // auth0-spa-js's AuthenticationError carries the login's `state` and `appState`.
            Ok(()) => {
                let e = callback::provider_error(error, description.as_deref()).with("state", tx.state.clone());
                match &tx.app_state {
                    Some(a) => e.with("appState", a.clone()),
                    None => e,
                }
            }
            Err(e) => e,
        }
    }

    /// `checkSession`, `loginWithPopup`, `getTokenWithPopup`.
    pub(crate) fn call_frame_login(&mut self, call: u32, op: &str, ev: &Value) -> Result<()> {
        let params = super::wire::authorize_params(ev.get("authorizationParams"))?;
        let (mode, purpose) = match op {
            "checkSession" => (Mode::Silent, Purpose::CheckSession(call)),
            "popup" => (Mode::Popup, Purpose::Popup(call)),
            _ => {
                // A popup always signs in anew, so its token is always fresh: `on` and `off`
                // ask for what it does; `cache-only` would open no popup, and is refused.
                if super::tokens::cache_mode(ev)? == super::CacheMode::CacheOnly {
                    return Err(Error::new(code::INVALID_OPTIONS, "a popup always signs in: use getTokenSilently").at("cacheMode"));
                }
                let (audience, scope) = self.key(params.audience.as_deref(), params.scope.as_deref());
                (Mode::Popup, Purpose::PopupToken(call, audience, scope))
            }
        };
        let timeout = super::wire::timeout_secs(ev)?;
        self.start_frame_login(purpose, mode, params, call, timeout);
        Ok(())
    }

    /// A login in an iframe or popup; `timeout_secs` is the call's `timeoutInSeconds`, else
    /// the client's `authorizeTimeoutInSeconds`.
    pub(crate) fn start_frame_login(
        &mut self,
        purpose: Purpose,
        mode: Mode,
        params: AuthorizeParams,
        call: u32,
        timeout_secs: Option<u32>,
    ) {
        let timeout_secs = timeout_secs.unwrap_or(self.config.authorize_timeout_secs).max(1);
        let f = FrameLogin { purpose, mode, params, call, tx: None, frame_req: 0, timeout_req: 0, grace_req: None, timeout_secs };
        self.add_flow(Flow::Frame(f));
    }

    pub(crate) fn step_frame(&mut self, id: u32, mut f: FrameLogin, input: Input) -> Option<Flow> {
        let popup = f.mode == Mode::Popup;
        let answer = match input {
            Input::Start | Input::Meta(Ok(())) => {
                if self.metadata(id).is_none() {
                    return Some(Flow::Frame(f));
                }
                match self.authorize_request(f.mode, &f.params, None) {
                    Ok((url, tx)) => {
                        f.tx = Some(tx);
                        if !self.push(id, &url) {
                            self.open_frame(id, &mut f, &url);
                        }
                        return Some(Flow::Frame(f));
                    }
                    Err(e) => Err(e),
                }
            }
            Input::Http(reply) => match self.pushed(reply) {
                Ok(url) => {
                    self.open_frame(id, &mut f, &url);
                    return Some(Flow::Frame(f));
                }
                Err(e) => Err(e),
            },
            Input::Meta(Err(e)) | Input::Opened(Err(e)) => Err(e),
            Input::Message(m) => match self.answer_of(&f, &m) {
                Some(a) => a,
                None => return Some(Flow::Frame(f)),
            },
            Input::Closed if f.grace_req.is_none() => {
                f.grace_req = Some(self.timer(id, CLOSED_GRACE_MS));
                return Some(Flow::Frame(f));
            }
            Input::Timer(r) if Some(r) == f.grace_req => Err(Error::of_kind(Kind::PopupCancelled, code::CANCELLED, "the popup was closed")),
            Input::Timer(r) if r == f.timeout_req => {
                let text = text::cat(&["the login did not answer within ", &text::int(f.timeout_secs.into()), " s"]);
                Err(if popup { Error::of_kind(Kind::PopupTimeout, code::TIMEOUT, text) } else { Error::new(code::TIMEOUT, text) })
            }
            _ => return Some(Flow::Frame(f)),
        };
        // Settled, whatever by: the frame, its listeners and its timers go.
        if f.frame_req != 0 {
            self.emit(fx("unframe").int("req", f.frame_req.into()));
        }
        self.forget_requests(id);
        let tx = f.tx.take();
        match (answer, tx) {
            (Ok(Response::Code { code, state, iss, id_token }), Some(tx)) if state == tx.state => {
                let ex = Exchange::new(tx, code, iss, id_token, f.purpose, self.epoch);
                self.step_exchange(id, ex, Input::Start).map(Flow::Exchange)
            }
            (Ok(Response::Error { error, description, iss, .. }), Some(tx)) => {
                let e = self.believed_error(&error, description, iss, &tx);
                self.complete(f.purpose, Err(e));
                None
            }
            (Ok(_), _) => {
                self.complete(f.purpose, Err(Error::new(code::STATE_MISMATCH, "the answer is another login's")));
                None
            }
            (Err(e), _) => {
                self.complete(f.purpose, Err(e));
                None
            }
        }
    }

    /// Opens the iframe or popup at `url`, and starts the login's timeout.
    fn open_frame(&mut self, id: u32, f: &mut FrameLogin, url: &str) {
        f.frame_req = self.request(id, Expect::Frame);
        let w = fx("frame")
            .int("req", f.frame_req.into())
            .int("call", f.call.into())
            .bool("popup", f.mode == Mode::Popup)
            .str("url", url)
            .int("poll", POPUP_POLL_MS);
        self.emit(w);
        f.timeout_req = self.timer(id, i64::from(f.timeout_secs) * 1000);
    }

    /// The answer to this login, if the message is one. Taken only from the window the SDK
    /// opened (`MessageEvent.source`) or the same-origin hand-off channel; then only from the
    /// authorization endpoint's origin (`web_message`, OAuth 2.0 Web Message Response Mode)
    /// or from this origin's callback page (a hand-off); and only with this login's `state`.
    /// Anything else is ignored. Origins are compared by the browser, in the form it
    /// serialises them (lowercase, no default port, IDN in ASCII), so a provider whose URL
    /// is written otherwise still gets its answer through.
    fn answer_of(&self, f: &FrameLogin, m: &super::wire::FrameMessage) -> Option<Result<Response>> {
        if !(m.from_frame || m.via_channel) {
            return None;
        }
        let state = &f.tx.as_ref()?.state;
        let kind = m.data.get("type").and_then(Value::as_str)?;
        if !m.via_channel && m.from_provider && kind == "authorization_response" {
            let Value::Object(members) = m.data.get("response")? else {
                return None;
            };
            let mut pairs = Vec::new();
            for (k, v) in members {
                if let Some(v) = v.as_str() {
                    pairs.push((k.clone(), v.to_owned()));
                }
            }
            let ours = pairs.iter().find(|(k, _)| k == "state").is_some_and(|(_, v)| v == state);
            return ours.then(|| callback::from_pairs(&pairs));
        }
        if (m.via_channel || m.origin == self.own_origin) && kind == "spa-auth:handoff" {
            let url = m.data.get("url").and_then(Value::as_str)?;
            return (callback::states(url).first() == Some(state)).then(|| callback::parse(url));
        }
        None
    }

    /// Finishes what a login was for.
    pub(crate) fn complete(&mut self, purpose: Purpose, result: Result<Option<String>>) {
        match purpose {
            Purpose::Callback(index) => {
                let outcome = result.map(|app_state| match app_state {
                    Some(s) => ObjectWriter::default().raw("appState", &s).finish(),
                    None => "{}".to_owned(),
                });
                let call = self.callbacks[index].first;
                self.settle(call, outcome);
            }
            Purpose::CheckSession(call) => match result {
                // OIDC Core 3.1.2.6: these only mean "no session at the provider".
                Err(e) if callback::is_no_session(e.code()) => self.resolve(call, "null"),
                other => self.settle(call, other.map(|_| "null".to_owned())),
            },
            Purpose::Popup(call) => self.settle(call, result.map(|_| "null".to_owned())),
            Purpose::PopupToken(call, audience, scope) => {
                let token = result.and_then(|_| {
                    self.token_result(audience.as_deref(), &scope, false)
                        .map(|t| super::tokens::token_json(&t, false, None))
                        .ok_or_else(|| Error::new(code::LOGIN_REQUIRED, "no access token is cached"))
                });
                self.settle(call, token);
            }
            Purpose::Fallback(parent) => self.run(parent, Input::Child(result)),
        }
    }

    pub(crate) fn step_exchange(&mut self, id: u32, mut f: Exchange, input: Input) -> Option<Exchange> {
        let phase = std::mem::replace(&mut f.phase, Phase::Done);
        let outcome: Result<()> = match (phase, input) {
            (Phase::Meta, Input::Start | Input::Meta(Ok(()))) => {
                let Some(metadata) = self.metadata(id) else {
                    f.phase = Phase::Meta;
                    return Some(f);
                };
                // RFC 9207 §2.4: before the code is used.
                let hybrid_token = f.hybrid && f.front_raw.is_some();
                match callback::check_iss(f.iss.as_deref(), &self.config.issuer, metadata.iss_parameter_supported, hybrid_token) {
                    Err(e) => Err(e),
                    // OIDC Core 3.3.2.8-12: the hybrid flow's front-channel ID token is verified,
                    // and bound to the code by c_hash, before the code is exchanged.
                    Ok(()) if f.hybrid => match f.front_raw.take() {
                        None => Err(Error::new(code::INVALID_CALLBACK, "the hybrid response lacks id_token").at("id_token")),
                        Some(raw) => match self.verify_start(&raw, Some(f.code.secret())) {
                            Err(e) => Err(e),
                            Ok(v) => return self.advance_front(id, f, v, Input::Start),
                        },
                    },
                    Ok(()) => {
                        self.send_code(id, &mut f);
                        return Some(f);
                    }
                }
            }
            (Phase::Meta, Input::Meta(Err(e))) => Err(e),
            (Phase::Front(v), input) => return self.advance_front(id, f, v, input),
            (Phase::Token, Input::Http(reply)) => {
                let processed = reply.and_then(|r| self.process_tokens(r));
                match processed {
                    Err(e) => Err(e),
                    Ok(mut response) => match response.id_token.take() {
                        // OIDC Core 3.1.3.3: an authentication response must carry an ID token.
                        None => Err(Error::new(code::INVALID_RESPONSE, "the token response has no id_token").at("id_token")),
                        Some(raw) => match self.verify_start(&raw, Some(response.access_token.secret())) {
                            Err(e) => Err(e),
                            Ok(v) => return self.advance_id(id, f, v, response, raw, Input::Start),
                        },
                    },
                }
            }
            (Phase::Id(parts), input) => {
                let (v, response, raw) = *parts;
                return self.advance_id(id, f, v, response, raw, input);
            }
            (phase, _) => {
                f.phase = phase;
                return Some(f);
            }
        };
        if let Err(e) = outcome {
            self.complete(f.purpose, Err(e));
        }
        None
    }

    fn expectations(&self, f: &Exchange) -> Expectations<'_> {
        Expectations {
            issuer: &self.config.issuer,
            client_id: &self.config.client_id,
            nonce: None,
            max_age: f.max_age,
            organization: None,
            sub: None,
            leeway: self.config.leeway,
            now: self.now(),
        }
    }

    fn check_login_claims(&self, f: &Exchange, claims: &Claims) -> Result<()> {
        let expect = Expectations { nonce: Some(&f.nonce), organization: f.organization.as_deref(), ..self.expectations(f) };
        id_token::validate(claims, &expect)
    }

    fn advance_front(&mut self, id: u32, mut f: Exchange, mut v: Verify, input: Input) -> Option<Exchange> {
        let result = match self.verify_advance(id, &mut v, input) {
            None => {
                f.phase = Phase::Front(v);
                return Some(f);
            }
            Some(r) => r,
        };
        let checked = result.and_then(|()| {
            self.check_login_claims(&f, &v.jwt.claims)?;
            id_token::check_hashes(&v.jwt.claims, Some(&v.digest), None)
        });
        match checked {
            Ok(()) => {
                f.front = Some(v.jwt.claims);
                self.send_code(id, &mut f);
                Some(f)
            }
            Err(e) => {
                self.complete(f.purpose, Err(e));
                None
            }
        }
    }

    fn send_code(&mut self, id: u32, f: &mut Exchange) {
        let Some(verifier) = f.verifier.take() else {
            return;
        };
        let Some(endpoint) = self.metadata.as_ref().map(|m| m.token_endpoint.clone()) else {
            return;
        };
        let body = token::authorization_code_body(&self.config.client_id, &f.code, verifier, &f.redirect_uri);
        let req = self.request(id, Expect::Http);
        self.fetch(req, "POST", &endpoint, Some(&body));
        // The keys the answer's ID token will need, fetched alongside it (a JWK Set held and
        // fresh is used as it is). Sent after the code, not before: on a cold connection the
        // exchange goes first, and the set, which the provider answers faster, still lands
        // before the tokens (the bench: the callback 1.19 × oidc-client-ts's, against 1.63 ×
        // with the keys fetched first, at `init`).
        let _ = self.jwks(0, false);
        f.phase = Phase::Token;
    }

    #[allow(clippy::too_many_arguments)]
    fn advance_id(
        &mut self,
        id: u32,
        mut f: Exchange,
        mut v: Verify,
        response: TokenResponse,
        raw: IdToken,
        input: Input,
    ) -> Option<Exchange> {
        let result = match self.verify_advance(id, &mut v, input) {
            None => {
                f.phase = Phase::Id(Box::new((v, response, raw)));
                return Some(f);
            }
            Some(r) => r,
        };
        let checked = result.and_then(|()| {
            self.check_login_claims(&f, &v.jwt.claims)?;
            id_token::check_hashes(&v.jwt.claims, None, Some(&v.digest))?;
            // OIDC Core 3.3.3.6: both ID tokens of a hybrid login are for the same user, by the same issuer.
            if f.front.as_ref().is_some_and(|fr| fr.iss != v.jwt.claims.iss || fr.sub != v.jwt.claims.sub) {
                return Err(Error::new(code::INVALID_ID_TOKEN, "the two ID tokens name other subjects").at("sub"));
            }
            // A logout since the login started wins: the answer is dropped, never stored.
            if f.epoch != self.epoch {
                return Err(Error::new(code::LOGIN_REQUIRED, "the session ended during the login"));
            }
            Ok(())
        });
        match checked {
            Ok(()) => {
                let now = self.now();
                self.session.clear();
                self.session.store(f.audience.as_deref(), &f.scope, response, Some((raw, *v.jwt)), now);
                self.publish("login");
                let app_state = f.app_state.take();
                self.complete(f.purpose, Ok(app_state));
            }
            Err(e) => self.complete(f.purpose, Err(e)),
        }
        None
    }

    /// Decodes an ID token and checks its header against the algorithm policy. Nothing in
    /// it is trusted until [`Engine::verify_advance`] has the signature checked. `bound` is
    /// the code (a front-channel token, whose `c_hash` is required) or the access token
    /// (whose `at_hash` is checked whenever present, OIDC Core 3.1.3.8).
    pub(crate) fn verify_start(&self, raw: &IdToken, bound: Option<&str>) -> Result<Verify> {
        let jwt = id_token::decode(raw.secret())?;
        let advertised = self.metadata.as_ref().and_then(|m| m.id_token_signing_algs.as_deref());
        let allowed = jws::allowed_algs(advertised, self.config.id_token_signing_algs.as_deref());
        let (alg, kid) = jws::check_header(&jwt.header, &allowed)?;
        let needed = jwt.claims.c_hash.is_some() || jwt.claims.at_hash.is_some();
        let hash_of = bound.filter(|_| needed).map(str::to_owned);
        Ok(Verify { jwt: Box::new(jwt), alg, kid, refetched: false, hash_of, digest: Vec::new() })
    }

    /// Advances a signature check: the JWK Set (shared, fetched once), the key (an unknown
    /// `kid` refetches the set at most once a minute), then WebCrypto's verdict.
    /// `None` while waiting.
    pub(crate) fn verify_advance(&mut self, id: u32, v: &mut Verify, input: Input) -> Option<Result<()>> {
        match input {
            Input::Verified(Ok(true), digest) => {
                v.digest = digest.unwrap_or_default();
                return Some(Ok(()));
            }
            Input::Verified(Ok(false), _) => {
                return Some(Err(Error::new(code::INVALID_ID_TOKEN, "the ID token's signature is not valid").at("signature")))
            }
            Input::Verified(Err(()), _) => {
                return Some(Err(Error::new(
                    code::INVALID_ID_TOKEN,
                    text::cat(&["the provider's key cannot be used for ", v.alg.name(), " in this browser"]),
                )
                .at("key")));
            }
            Input::Jwks(Err(e)) => return Some(Err(e)),
            Input::Start | Input::Jwks(Ok(())) => {}
            _ => return None,
        }
        let set = match self.jwks(id, false) {
            Err(e) => return Some(Err(e)),
            Ok(None) => return None,
            Ok(Some(set)) => set,
        };
        let key = match jws::select_key(&set, v.alg, v.kid.as_deref()) {
            Err(e) => return Some(Err(e)),
            Ok(k) => k,
        };
        let Some(key) = key else {
            if !v.refetched && self.jwks_age_ms() >= super::JWKS_REFETCH_MS {
                v.refetched = true;
                return match self.jwks(id, true) {
                    Err(e) => Some(Err(e)),
                    Ok(_) => None,
                };
            }
            return Some(Err(Error::new(code::INVALID_ID_TOKEN, "no key matches the ID token").at("kid")));
        };
        let (import, verify) = webcrypto_params(v.alg);
        let req = self.request(id, Expect::Verify);
        let sig = crate::core::base64url::encode(&v.jwt.signature);
        let w = fx("verify")
            .int("req", req.into())
            .raw("jwk", &key.json)
            .raw("import", &import)
            .raw("params", &verify)
            .str("data", &v.jwt.signing_input)
            .str("sig", &sig)
            .opt_str("digest", v.hash_of.as_deref())
            .str("hash", hash_name(v.alg));
        self.emit(w);
        None
    }
}
