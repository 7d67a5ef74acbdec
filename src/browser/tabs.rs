//! Tabs of one origin: a `BroadcastChannel` to pass sessions and logouts, and Web Locks
//! (`navigator.locks`) to let one tab at a time refresh. The locks are reached through
//! `Reflect` because web-sys gates `LockManager` behind its unstable-API flag.
//!
//! Besides the exclusive refresh lock, each tab holds a *shared* lock named for the
//! generation of the tokens it has (`{name}:gen:{ms}`). `navigator.locks.query()` then
//! tells any tab, synchronously with the lock manager and without any storage, whether
//! some tab holds newer tokens than it does: so a tab never refreshes with a refresh token
//! another tab has already rotated, even when the other tab's broadcast is still in flight.

use super::{api_error, window};
use crate::core::error::Result;
use js_sys::{Function, Object, Promise, Reflect};
use std::cell::RefCell;
use std::future::Future;
use std::rc::Rc;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::{future_to_promise, JsFuture};
use web_sys::{BroadcastChannel, MessageEvent};

/// The channel and locks of one issuer and client, in this tab.
pub struct Tabs {
    name: String,
    locks: JsValue,
    channel: BroadcastChannel,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    /// Resolving this releases the shared generation lock this tab holds.
    release_generation: RefCell<Option<Function>>,
}

impl Tabs {
    /// Opens the channel named `name`; `on_message` gets each message's text. `None` when
    /// the browser lacks `BroadcastChannel` or Web Locks: the client then works as one tab.
    pub fn open(name: &str, mut on_message: impl FnMut(String) + 'static) -> Option<Tabs> {
        let window = window().ok()?;
        let locks = Reflect::get(&window.navigator(), &"locks".into()).ok().filter(|l| l.is_object())?;
        let channel = BroadcastChannel::new(name).ok()?;
        let handler = Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| {
            if let Some(text) = e.data().as_string() {
                on_message(text);
            }
        });
        channel.set_onmessage(Some(handler.as_ref().unchecked_ref()));
        Some(Tabs { name: name.to_owned(), locks, channel, _on_message: handler, release_generation: RefCell::new(None) })
    }

    /// Sends a message to every other tab of this channel.
    pub fn post(&self, text: &str) {
        let _ = self.channel.post_message(&JsValue::from_str(text));
    }

    fn request(&self, name: &str, shared: bool, callback: &JsValue) -> Result<Promise> {
        let request: Function = Reflect::get(&self.locks, &"request".into()).map_err(|_| api_error("navigator.locks"))?.unchecked_into();
        let options = Object::new();
        let _ = Reflect::set(&options, &"mode".into(), &(if shared { "shared" } else { "exclusive" }).into());
        let p = request.call3(&self.locks, &name.into(), &options, callback).map_err(|_| api_error("navigator.locks.request"))?;
        Ok(p.unchecked_into())
    }

    /// Runs `work` while holding this channel's exclusive lock: no other tab runs its
    /// own `exclusive` work meanwhile. A tab that closes releases the lock.
    pub async fn exclusive<T: 'static>(&self, work: impl Future<Output = T> + 'static) -> Result<T> {
        let out: Rc<RefCell<Option<T>>> = Rc::default();
        let slot = out.clone();
        let callback = Closure::once_into_js(move |_lock: JsValue| -> Promise {
            future_to_promise(async move {
                *slot.borrow_mut() = Some(work.await);
                Ok(JsValue::UNDEFINED)
            })
        });
        JsFuture::from(self.request(&self.name, false, &callback)?).await.map_err(|_| api_error("navigator.locks.request"))?;
        let result = out.borrow_mut().take();
        result.ok_or_else(|| api_error("navigator.locks.request"))
    }

    /// Holds the shared lock of `generation` (and drops the one held before), so other
    /// tabs can see that this tab has tokens that new. `0` holds none.
    pub async fn hold_generation(&self, generation: i64) -> Result<()> {
        if let Some(release) = self.release_generation.borrow_mut().take() {
            let _ = release.call0(&JsValue::UNDEFINED);
        }
        if generation <= 0 {
            return Ok(());
        }
        let mut release = None;
        let held = Promise::new(&mut |resolve, _| release = Some(resolve));
        let mut granted_fn = None;
        let granted = Promise::new(&mut |resolve, _| granted_fn = Some(resolve));
        let (Some(release), Some(granted_fn)) = (release, granted_fn) else { return Err(api_error("Promise")) };
        let callback = Closure::once_into_js(move |_lock: JsValue| -> Promise {
            let _ = granted_fn.call0(&JsValue::UNDEFINED);
            held
        });
        // The request's own promise settles only on release; the grant is what to wait for.
        let _ = self.request(&format!("{}:gen:{generation}", self.name), true, &callback)?;
        *self.release_generation.borrow_mut() = Some(release);
        JsFuture::from(granted).await.map_err(|_| api_error("navigator.locks.request"))?;
        Ok(())
    }

    /// The newest generation any tab of this channel holds (0 for none).
    pub async fn newest_generation(&self) -> Result<i64> {
        let query: Function = Reflect::get(&self.locks, &"query".into()).map_err(|_| api_error("navigator.locks"))?.unchecked_into();
        let snapshot = JsFuture::from(query.call0(&self.locks).map_err(|_| api_error("navigator.locks.query"))?.unchecked_into::<Promise>())
            .await
            .map_err(|_| api_error("navigator.locks.query"))?;
        let held: js_sys::Array = Reflect::get(&snapshot, &"held".into()).map_err(|_| api_error("navigator.locks.query"))?.unchecked_into();
        let prefix = format!("{}:gen:", self.name);
        Ok(held
            .iter()
            .filter_map(|l| Reflect::get(&l, &"name".into()).ok()?.as_string())
            .filter_map(|n| n.strip_prefix(&prefix)?.parse::<i64>().ok())
            .max()
            .unwrap_or(0))
    }
}

impl Drop for Tabs {
    fn drop(&mut self) {
        if let Some(release) = self.release_generation.borrow_mut().take() {
            let _ = release.call0(&JsValue::UNDEFINED);
        }
        self.channel.set_onmessage(None);
        self.channel.close();
    }
}

/// Resolves after `ms` milliseconds (`setTimeout`).
pub async fn sleep(ms: i32) {
    let promise = Promise::new(&mut |resolve, _| {
        if let Ok(w) = window() {
            let _ = w.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
        }
    });
    let _ = JsFuture::from(promise).await;
}
