//! One session across the tabs of an origin, with no token in storage.
//!
//! - **One refresh for all tabs.** A refresh runs under a Web Lock named for the issuer
//!   and client. Before it refreshes, the lock holder checks whether another tab holds
//!   newer tokens (each tab holds a shared lock named for its tokens' generation, which
//!   `navigator.locks.query()` shows), and if so takes them over the channel instead.
//!   So N tabs make one refresh per expiry, and no tab sends a rotated refresh token.
//! - **Joining.** A new tab asks the live tabs for the session before it reports signed
//!   out; it waits at most [`JOIN_MS`], and only when some tab holds a session.
//! - **Logout** in one tab clears every tab.
//! - **Events.** `sessionchange` fires for each change, here or in another tab.
//!
//! What this does not protect against: script running in this origin (XSS) can call the
//! SDK, listen on the channel or read wasm memory, as it could read localStorage in a
//! storage-based SDK. What it adds over those: nothing token-bearing is written to disk,
//! and nothing survives the last tab.

use super::{AuthClient, Session};
use crate::browser::tabs::{sleep, Tabs};
use crate::core::id_token;
use crate::core::tabs::{self as messages, Message};
use js_sys::{Object, Reflect};
use std::rc::Rc;
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::spawn_local;

/// What changed, as `sessionchange` events' `detail.reason` names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Change {
    /// A user signed in.
    Login,
    /// The tokens were refreshed.
    Refresh,
    /// The refresh token was revoked.
    Revoke,
    /// The user signed out, or the session ended.
    Logout,
}

impl Change {
    fn name(self) -> &'static str {
        match self {
            Change::Login => "login",
            Change::Refresh => "refresh",
            Change::Revoke => "revoke",
            Change::Logout => "logout",
        }
    }
}

/// How long a new tab waits for a live tab's session.
pub const JOIN_MS: i32 = 200;
/// How long a tab about to refresh waits for the newer tokens another tab holds.
const CATCH_UP_MS: i32 = 1000;

impl AuthClient {
    /// Opens the channel; messages reach this client while it lives.
    pub(super) fn open_tabs(&self) {
        let weak = Rc::downgrade(&self.inner);
        let name = messages::channel_name(&self.config().issuer, &self.config().client_id);
        let tabs = Tabs::open(&name, move |text| {
            if let Some(inner) = weak.upgrade() {
                AuthClient { inner }.on_message(&text);
            }
        });
        *self.inner.tabs.borrow_mut() = tabs.map(Rc::new);
    }

    fn tabs(&self) -> Option<Rc<Tabs>> {
        self.inner.tabs.borrow().clone()
    }

    /// Whether this client shares its session with other tabs.
    pub fn shares_across_tabs(&self) -> bool {
        self.tabs().is_some()
    }

    fn generation(&self) -> i64 {
        self.inner.session.borrow().generation()
    }

    fn on_message(&self, text: &str) {
        match messages::parse(text) {
            Some(Message::Session(theirs)) => {
                if theirs.generation() <= self.generation() || !self.belongs_here(&theirs) {
                    return;
                }
                let was_authenticated = self.is_authenticated();
                let generation = theirs.generation();
                *self.inner.session.borrow_mut() = theirs;
                self.hold(generation);
                self.emit(if was_authenticated { Change::Refresh } else { Change::Login }, true);
            }
            Some(Message::Sync { generation }) => {
                let reply = {
                    let session = self.inner.session.borrow();
                    (session.generation() > generation && session.is_authenticated()).then(|| messages::session_message(&session))
                };
                if let (Some(text), Some(tabs)) = (reply, self.tabs()) {
                    tabs.post(&text);
                }
            }
            Some(Message::Logout) => {
                let was_authenticated = self.is_authenticated();
                self.inner.session.borrow_mut().clear();
                self.hold(0);
                if was_authenticated {
                    self.emit(Change::Logout, true);
                }
            }
            None => {}
        }
    }

    /// A session from another tab is taken only with an ID token of this issuer and client.
    fn belongs_here(&self, session: &Session) -> bool {
        let Some(t) = session.id_token() else { return false };
        let config = self.config();
        id_token::decode(t.raw.secret()).is_ok_and(|jwt| jwt.claims.iss == config.issuer && jwt.claims.aud.contains(&config.client_id))
    }

    fn hold(&self, generation: i64) {
        if let Some(tabs) = self.tabs() {
            spawn_local(async move {
                let _ = tabs.hold_generation(generation).await;
            });
        }
    }

    /// After this tab got tokens from the provider: stamp their generation, hold its lock
    /// (before the refresh lock is released), hand them to the other tabs, tell the app.
    pub(super) async fn publish(&self, change: Change) {
        let generation = (js_sys::Date::now() as i64).max(self.generation() + 1);
        self.inner.session.borrow_mut().set_generation(generation);
        if let Some(tabs) = self.tabs() {
            let _ = tabs.hold_generation(generation).await;
            tabs.post(&messages::session_message(&self.inner.session.borrow()));
        }
        self.emit(change, false);
    }

    /// After this tab's session ended: every other tab's ends too.
    pub(super) fn publish_logout(&self, was_authenticated: bool) {
        if let Some(tabs) = self.tabs() {
            tabs.post(&messages::logout_message());
            self.hold(0);
        }
        if was_authenticated {
            self.emit(Change::Logout, false);
        }
    }

    /// Inside the refresh lock: when another tab holds newer tokens, ask for them and wait.
    pub(super) async fn catch_up(&self, tabs: &Tabs) {
        let Ok(newest) = tabs.newest_generation().await else { return };
        let mine = self.generation();
        if newest > mine {
            tabs.post(&messages::sync_message(mine));
            self.wait_for_generation(newest, CATCH_UP_MS).await;
        }
    }

    async fn wait_for_generation(&self, target: i64, max_ms: i32) {
        let mut waited = 0;
        while self.generation() < target && waited < max_ms {
            sleep(10).await;
            waited += 10;
        }
    }

    /// A new tab, or one that lost its memory, takes the session a live tab holds, with
    /// no network request. Returns at once when no tab holds one.
    pub async fn join(&self) {
        let Some(tabs) = self.tabs() else { return };
        let Ok(newest) = tabs.newest_generation().await else { return };
        let mine = self.generation();
        if newest > mine {
            tabs.post(&messages::sync_message(mine));
            self.wait_for_generation(newest, JOIN_MS).await;
        }
    }

    /// Dispatches `sessionchange` with `detail: { reason, otherTab, isAuthenticated }`.
    fn emit(&self, change: Change, other_tab: bool) {
        let detail = Object::new();
        let _ = Reflect::set(&detail, &"reason".into(), &change.name().into());
        let _ = Reflect::set(&detail, &"otherTab".into(), &JsValue::from_bool(other_tab));
        let _ = Reflect::set(&detail, &"isAuthenticated".into(), &JsValue::from_bool(self.is_authenticated()));
        let init = web_sys::CustomEventInit::new();
        init.set_detail(&detail);
        if let Ok(event) = web_sys::CustomEvent::new_with_event_init_dict("sessionchange", &init) {
            let _ = self.inner.events.dispatch_event(&event);
        }
    }
}
