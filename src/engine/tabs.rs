//! One session across the tabs of an origin, with no token in storage.
//!
//! - **One refresh for all tabs.** A refresh runs under a Web Lock named for the issuer
//!   and client. Each tab also holds a *shared* lock named for the generation of its
//!   tokens, so the lock holder sees in `navigator.locks.query()` whether another tab
//!   holds newer tokens, and takes those over the channel instead of refreshing.
//! - **Joining.** A new tab asks the live tabs for the session before it reports signed
//!   out; it waits at most [`JOIN_MS`], and only when some tab holds a session.
//! - **Logout** in one tab clears every tab; its epoch drops whatever was in flight.
//!
//! The messages themselves (and their strict parsing) are [`crate::core::tabs`].

use super::login::Verify;
use super::tokens::Waiter;
use super::{fx, CacheMode, Engine, Expect, Flow, Input, TokenRequest};
use crate::core::cache::Session;
use crate::core::callback;
use crate::core::id_token::{self, Expectations};
use crate::core::json::Value;
use crate::core::secret::RefreshToken;
use crate::core::tabs::{self as messages, Message};
use crate::core::text;

/// How long a new tab waits for a live tab's session.
pub const JOIN_MS: i64 = 200;

/// Generations are the clock of the tab that got the tokens, and the tabs of a browser
/// share one clock: a generation further ahead than this is forged, and taking it would
/// freeze every later update.
pub const GENERATION_AHEAD_MS: i64 = 60_000;

/// The channel of this client, when it shares its session.
#[derive(Default, Debug)]
pub(crate) struct TabState {
    pub(crate) channel: Option<String>,
}

/// A call waiting for the session to reach a generation (joining), or a timer.
pub(crate) struct Wait {
    call: u32,
    target: i64,
}

/// A session from another tab, held back until its ID token is verified like a new
/// one: signature first, then `iss`, `aud` and `exp` (OIDC Core 3.1.3.7).
pub(crate) struct Adopt {
    session: Session,
    verify: Option<Verify>,
    epoch: u32,
}

/// `persistSession` at start: the stored refresh token read back, then one refresh (under
/// the tabs' lock, so tabs that reload together make one), before `createAuthClient`
/// resolves.
pub(crate) struct Restore {
    call: u32,
}

/// The shared lock that says a tab holds tokens of `generation`.
pub(crate) fn generation_lock(channel: &str, generation: i64) -> String {
    text::cat(&[channel, ":gen:", &text::int(generation)])
}

impl Engine {
    /// `createAuthClient`'s second half: the page's origin; the hand-off of a callback
    /// page inside an iframe or popup; the channel; joining the session of live tabs.
    pub(crate) fn init(&mut self, call: u32, ev: &Value) {
        self.own_origin = ev.get("origin").and_then(Value::as_str).unwrap_or_default().to_owned();
        // In a silent-login iframe or a login popup, this page only hands the answer back.
        let mut handoff = false;
        if let Some(href) = ev.get("href").and_then(Value::as_str) {
            let href = href.to_owned();
            handoff = callback::is_handoff(&href);
            if handoff {
                self.emit(fx("handoff").str("url", &href));
            } else if self.answers_pending_login(&href) {
                // This page is the callback of a login of this tab: the exchange will need the
                // metadata, so it is taken from this tab's storage or fetched now, alongside
                // the app's start, rather than inside handleRedirectCallback (the keys follow
                // the code: `send_code`). No request is added: it is one the callback makes
                // anyway.
                self.stored_metadata();
                if self.metadata.is_none() {
                    self.metadata(0);
                }
            }
        }
        let can = ev.get("locks").and_then(Value::as_bool) == Some(true) && ev.get("channel").and_then(Value::as_bool) == Some(true);
        let name = messages::channel_name(&self.config.issuer, &self.config.client_id);
        // The DPoP key pair is the loop's, stored under this client's name so that every
        // tab signs with the same one; made now, while the app starts.
        if self.config.use_dpop {
            self.emit(fx("dpop").str("name", &name));
        }
        if self.config.cross_tab && can {
            self.emit(fx("channel").str("name", &name));
            self.tabs.channel = Some(name);
        }
        let newest = self.newest_generation(&super::wire::lock_names(ev));
        if newest > self.session.generation() {
            self.post_sync();
            self.add_flow(Flow::Wait(Wait { call, target: newest }));
        } else if self.config.persist_session && !handoff {
            self.add_flow(Flow::Restore(Restore { call }));
        } else {
            self.resolve(call, "null");
        }
    }

    pub(crate) fn step_restore(&mut self, id: u32, f: Restore, input: Input) -> Option<Restore> {
        match input {
            Input::Start => {
                let req = self.request(id, Expect::Stored);
                self.emit(fx("restore").int("req", req.into()));
                return Some(f);
            }
            // Only into an empty session: another tab may have handed this one its own meanwhile.
            Input::Stored(Some(rt)) if self.session.refresh_token().is_none() => {
                self.session = Session::restore(Vec::new(), Some(RefreshToken::new(rt)), None, 0);
                // `On`: nothing is cached yet, so this refreshes, unless another tab's fresh
                // tokens arrive first (tabs reloaded together make one refresh).
                let request =
                    TokenRequest { audience: None, scope: None, cache_mode: CacheMode::On, extra: Vec::new(), timeout_secs: None };
                if self.token_or_join(request, Waiter::Flow(id)).is_none() {
                    return Some(f);
                }
            }
            Input::Stored(_) | Input::Token(_) => {}
            _ => return Some(f),
        }
        // Restored or not (a refused token has ended the session and wiped what was stored).
        self.resolve(f.call, "null");
        None
    }

    /// With `persistSession`, the refresh token as it is now goes to storage (or leaves
    /// it), queued before the tokens it came with are handed out.
    pub(crate) fn persist(&mut self) {
        if self.config.persist_session {
            let rt = self.session.refresh_token().map(|t| t.secret().to_owned());
            self.emit(fx("persist").opt_str("rt", rt.as_deref()));
        }
    }

    pub(crate) fn step_wait(&mut self, id: u32, f: Wait, input: Input) -> Option<Wait> {
        match input {
            Input::Start => {
                self.timer(id, JOIN_MS);
                Some(f)
            }
            // A session that arrived is still being verified: the join waits for its verdict.
            Input::Timer(_) if self.flows.iter().any(|(_, f)| matches!(&**f, Flow::Adopt(_))) => Some(f),
            Input::CaughtUp | Input::Timer(_) => {
                self.resolve(f.call, "null");
                None
            }
            _ => Some(f),
        }
    }

    pub(crate) fn step_adopt(&mut self, id: u32, mut f: Adopt, input: Input) -> Option<Adopt> {
        let verdict = match (f.verify.take(), input) {
            (None, Input::Start | Input::Meta(Ok(()))) => {
                if self.metadata(id).is_none() {
                    return Some(f);
                }
                let raw = f.session.id_token().map(|t| t.raw.clone())?;
                match self.verify_start(&raw, None) {
                    Ok(v) => return self.advance_adopt(id, f, v, Input::Start),
                    Err(e) => Err(e),
                }
            }
            (None, Input::Meta(Err(e))) => Err(e),
            (Some(v), input) => return self.advance_adopt(id, f, v, input),
            (None, _) => return Some(f),
        };
        self.adopted(f, verdict);
        None
    }

    fn advance_adopt(&mut self, id: u32, mut f: Adopt, mut v: Verify, input: Input) -> Option<Adopt> {
        let Some(result) = self.verify_advance(id, &mut v, input) else {
            f.verify = Some(v);
            return Some(f);
        };
        let expect = Expectations {
            issuer: &self.config.issuer,
            client_id: &self.config.client_id,
            leeway: self.config.leeway,
            now: self.now(),
            ..Expectations::default()
        };
        let verdict = result.and_then(|_| id_token::validate(&v.jwt.claims, &expect));
        self.adopted(f, verdict);
        None
    }

    /// Takes a verified session, unless a logout or a newer session came first. A session
    /// that fails is dropped, and whoever waited for it stops waiting.
    fn adopted(&mut self, f: Adopt, verdict: crate::core::error::Result<()>) {
        if verdict.is_ok() && f.epoch == self.epoch && f.session.generation() > self.session.generation() {
            return self.adopt(f.session);
        }
        for id in self.flow_ids() {
            if matches!(self.flow_mut(id), Some(Flow::Wait(_))) {
                self.run(id, Input::CaughtUp);
            }
        }
    }

    /// The newest generation any tab of this channel holds, from the lock names (0: none).
    pub(crate) fn newest_generation(&self, names: &[String]) -> i64 {
        let Some(channel) = &self.tabs.channel else {
            return 0;
        };
        let prefix = text::cat(&[channel, ":gen:"]);
        names
            .iter()
            .filter_map(|n| crate::core::json::parse_int(n.strip_prefix(&prefix)?))
            .filter(|g| self.plausible(*g))
            .max()
            .unwrap_or(0)
    }

    /// Whether a generation from another tab can be real (see [`GENERATION_AHEAD_MS`]).
    fn plausible(&self, generation: i64) -> bool {
        generation <= (self.now_ms() as i64).saturating_add(GENERATION_AHEAD_MS)
    }

    pub(crate) fn post(&mut self, text: &str) {
        if self.tabs.channel.is_some() {
            self.emit(fx("post").str("data", text));
        }
    }

    pub(crate) fn post_sync(&mut self) {
        let text = messages::sync_message(self.session.generation());
        self.post(&text);
    }

    /// After this tab got tokens from the provider: stamp their generation, hold its lock,
    /// hand them to the other tabs, tell the app. Returns the hold's request.
    pub(crate) fn publish(&mut self, reason: &str) -> Option<u32> {
        self.persist();
        let generation = (self.now_ms() as i64).max(self.session.generation().saturating_add(1));
        self.session.set_generation(generation);
        let hold = self.hold(generation);
        let text = messages::session_message(&self.session);
        self.post(&text);
        self.event(reason, false);
        hold
    }

    /// A message from another tab of this channel.
    pub(crate) fn on_tab_message(&mut self, text: &str) {
        if self.tabs.channel.is_none() {
            return;
        }
        match messages::parse(text) {
            Some(Message::Session(theirs)) => {
                if theirs.generation() <= self.session.generation() || !self.plausible(theirs.generation()) || !self.belongs_here(&theirs) {
                    return;
                }
                // A refresh that kept the ID token this tab verified needs no second check.
                let known = |s: &Session| s.id_token().map(|t| t.raw.secret().to_owned());
                if known(&theirs) == known(&self.session) {
                    return self.adopt(theirs);
                }
                self.add_flow(Flow::Adopt(Adopt { session: theirs, verify: None, epoch: self.epoch }));
            }
            Some(Message::Sync { generation }) if self.session.generation() > generation && self.session.is_authenticated() => {
                let text = messages::session_message(&self.session);
                self.post(&text);
            }
            Some(Message::Sync { .. }) => {}
            Some(Message::Logout) => self.end_session(true),
            None => {}
        }
    }

    fn adopt(&mut self, theirs: Session) {
        let was_authenticated = self.session.is_authenticated();
        let generation = theirs.generation();
        self.session = theirs;
        self.hold(generation);
        self.event(if was_authenticated { "refresh" } else { "login" }, true);
        // Whoever waited for these tokens (a join, a refresh about to run) has them.
        for id in self.flow_ids() {
            let target = match self.flow_mut(id) {
                Some(Flow::Wait(w)) => Some(w.target),
                Some(Flow::Refresh(r)) => r.catching_up(),
                _ => None,
            };
            if target.is_some_and(|t| generation >= t) {
                self.run(id, Input::CaughtUp);
            }
        }
    }

    /// A session from another tab is considered only with an ID token of this issuer and client.
    fn belongs_here(&self, session: &Session) -> bool {
        let Some(t) = session.id_token() else {
            return false;
        };
        id_token::decode(t.raw.secret())
            .is_ok_and(|jwt| jwt.claims.iss == self.config.issuer && jwt.claims.aud.contains(&self.config.client_id))
    }
}
