//! Logins answered in a hidden iframe (`checkSession`) or a popup (`loginWithPopup`),
//! and the callback page's side of them.
//!
//! An answer is accepted only if it carries the expected `state`, and only from:
//! - the provider's authorization endpoint origin, as a `web_message`
//!   (`{ type: 'authorization_response', response }`, OAuth 2.0 Web Message Response Mode);
//! - this origin's callback page, which hands the URL over by `postMessage` to its parent
//!   or opener, and over a `BroadcastChannel` for when COOP has cut `window.opener`.
//!
//! Anything else is ignored and never throws into the app. The iframe, the listeners, the
//! timers and the channel are always removed, whatever the outcome.

use super::{api_error, window};
use crate::core::error::{code, Error, Kind, Result};
use js_sys::{Object, Promise, Reflect};
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{BroadcastChannel, HtmlIFrameElement, MessageEvent};

/// The channel a callback page in a popup uses when it has no `window.opener`.
const HANDOFF_CHANNEL: &str = "spa-auth:handoff";
const HANDOFF_TYPE: &str = "spa-auth:handoff";
/// How long after a popup reads as closed an answer may still arrive (its last message,
/// or the BroadcastChannel fallback when COOP severed the window handle).
const CLOSED_GRACE_MS: i32 = 1000;
const POLL_MS: i32 = 250;

/// Where the login runs.
pub enum Surface {
    /// A hidden iframe.
    Frame,
    /// A popup: the app's own (opened in its click handler, to dodge blockers) or a new one.
    Popup(Option<web_sys::Window>),
}

/// What came back.
pub enum Answer {
    /// A `web_message` response's parameters.
    Pairs(Vec<(String, String)>),
    /// The callback URL a callback page handed over.
    Url(String),
}

/// The state a message answers, if it is an answer at all.
fn answer_of(e: &MessageEvent, provider_origin: &str, own_origin: &str) -> Option<(String, Answer)> {
    let data = e.data();
    let kind = Reflect::get(&data, &"type".into()).ok()?.as_string()?;
    if e.origin() == provider_origin && kind == "authorization_response" {
        let response = Reflect::get(&data, &"response".into()).ok().filter(JsValue::is_object)?;
        let pairs: Vec<(String, String)> = Object::entries(response.unchecked_ref())
            .iter()
            .filter_map(|entry| {
                let k = Reflect::get_u32(&entry, 0).ok()?.as_string()?;
                let v = Reflect::get_u32(&entry, 1).ok()?.as_string()?;
                Some((k, v))
            })
            .collect();
        let state = pairs.iter().find(|(k, _)| k == "state")?.1.clone();
        return Some((state, Answer::Pairs(pairs)));
    }
    handoff_of(&data, kind, own_origin, &e.origin())
}

fn handoff_of(data: &JsValue, kind: String, own_origin: &str, from: &str) -> Option<(String, Answer)> {
    if from != own_origin || kind != HANDOFF_TYPE {
        return None;
    }
    let url = Reflect::get(data, &"url".into()).ok()?.as_string()?;
    let state = crate::core::callback::states(&url).into_iter().next()?;
    Some((state, Answer::Url(url)))
}

/// Opens `url` in `surface` and waits for the answer for `state`, at most `timeout_secs`.
pub async fn authorize(surface: Surface, url: &str, provider_origin: &str, state: &str, timeout_secs: u32) -> Result<Answer> {
    let window = window()?;
    let own_origin = window.location().origin().map_err(|_| api_error("location.origin"))?;
    let is_popup = matches!(surface, Surface::Popup(_));

    // One settle point for every source: message, channel, timeout, closed popup.
    let answer: Rc<RefCell<Option<Result<Answer>>>> = Rc::default();
    let mut resolve_fn = None;
    let done = Promise::new(&mut |resolve, _| resolve_fn = Some(resolve));
    let resolve = resolve_fn.ok_or_else(|| api_error("Promise"))?;
    let settle = {
        let answer = answer.clone();
        Rc::new(move |result: Result<Answer>| {
            if answer.borrow().is_none() {
                *answer.borrow_mut() = Some(result);
                let _ = resolve.call0(&JsValue::UNDEFINED);
            }
        })
    };

    let on_message = {
        let (settle, provider_origin, own_origin, state) = (settle.clone(), provider_origin.to_owned(), own_origin.clone(), state.to_owned());
        Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| {
            if let Some((s, a)) = answer_of(&e, &provider_origin, &own_origin) {
                if s == state {
                    settle(Ok(a));
                }
            }
        })
    };
    window.add_event_listener_with_callback("message", on_message.as_ref().unchecked_ref()).map_err(|_| api_error("addEventListener"))?;

    let channel = BroadcastChannel::new(HANDOFF_CHANNEL).ok();
    let on_channel = {
        let (settle, own_origin, state) = (settle.clone(), own_origin.clone(), state.to_owned());
        Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| {
            let data = e.data();
            let kind = Reflect::get(&data, &"type".into()).ok().and_then(|k| k.as_string()).unwrap_or_default();
            // A channel only carries same-origin messages; the state is what matters.
            if let Some((s, a)) = handoff_of(&data, kind, &own_origin, &own_origin) {
                if s == state {
                    settle(Ok(a));
                }
            }
        })
    };
    if let Some(c) = &channel {
        c.set_onmessage(Some(on_channel.as_ref().unchecked_ref()));
    }

    let timeout_error = move || {
        let text = format!("the login did not answer within {timeout_secs} s");
        if is_popup { Error::of_kind(Kind::PopupTimeout, code::TIMEOUT, text) } else { Error::new(code::TIMEOUT, text) }
    };
    let on_timeout = {
        let settle = settle.clone();
        Closure::<dyn FnMut()>::new(move || settle(Err(timeout_error())))
    };
    let timer = window
        .set_timeout_with_callback_and_timeout_and_arguments_0(on_timeout.as_ref().unchecked_ref(), timeout_secs.saturating_mul(1000) as i32)
        .map_err(|_| api_error("setTimeout"))?;

    // Open the surface.
    let mut frame: Option<HtmlIFrameElement> = None;
    let mut popup: Option<web_sys::Window> = None;
    let mut poll: Option<(i32, Closure<dyn FnMut()>)> = None;
    let opened: Result<()> = (|| {
        match surface {
            Surface::Frame => {
                let document = window.document().ok_or_else(|| api_error("document"))?;
                let f: HtmlIFrameElement = document.create_element("iframe").map_err(|_| api_error("createElement"))?.unchecked_into();
                let _ = f.set_attribute("title", "spa-auth silent login");
                let _ = f.set_attribute("aria-hidden", "true");
                let _ = f.set_attribute("style", "display:none");
                f.set_src(url);
                document.body().ok_or_else(|| api_error("document.body"))?.append_child(&f).map_err(|_| api_error("appendChild"))?;
                frame = Some(f);
            }
            Surface::Popup(given) => {
                let p = match given {
                    Some(p) => {
                        p.location().set_href(url).map_err(|_| api_error("popup.location"))?;
                        Some(p)
                    }
                    None => window.open_with_url_and_target_and_features(url, "spa-auth:login", "popup,width=480,height=680").ok().flatten(),
                };
                let p = p.ok_or_else(|| Error::of_kind(Kind::PopupOpen, code::POPUP_OPEN, "the popup could not be opened (is a popup blocker on?)"))?;
                // A closed popup is a cancel, after a grace for answers already on their way.
                let closed_for = Rc::new(Cell::new(0));
                let (watched, settle) = (p.clone(), settle.clone());
                let tick = Closure::<dyn FnMut()>::new(move || {
                    if watched.closed().unwrap_or(true) {
                        closed_for.set(closed_for.get() + POLL_MS);
                        if closed_for.get() > CLOSED_GRACE_MS {
                            settle(Err(Error::of_kind(Kind::PopupCancelled, code::CANCELLED, "the popup was closed before the login finished")));
                        }
                    }
                });
                let id = window
                    .set_interval_with_callback_and_timeout_and_arguments_0(tick.as_ref().unchecked_ref(), POLL_MS)
                    .map_err(|_| api_error("setInterval"))?;
                poll = Some((id, tick));
                popup = Some(p);
            }
        }
        Ok(())
    })();
    if let Err(e) = opened {
        settle(Err(e));
    }

    let _ = JsFuture::from(done).await;

    // Always clean up, whatever settled it.
    window.clear_timeout_with_handle(timer);
    if let Some((id, _)) = &poll {
        window.clear_interval_with_handle(*id);
    }
    let _ = window.remove_event_listener_with_callback("message", on_message.as_ref().unchecked_ref());
    if let Some(c) = &channel {
        c.set_onmessage(None);
        c.close();
    }
    if let Some(f) = frame {
        f.remove();
    }
    if let Some(p) = popup {
        let _ = p.close();
    }
    drop((on_message, on_channel, on_timeout, poll));
    let result = answer.borrow_mut().take();
    result.unwrap_or_else(|| Err(api_error("login frame")))
}

/// On a callback page inside an iframe or popup: hands the callback URL to the page that
/// started the login (parent or opener, and the BroadcastChannel for when COOP cut the
/// opener), then closes a popup. `false` when `url` does not answer such a login.
pub fn hand_off(url: &str) -> bool {
    if !crate::core::callback::is_handoff(url) {
        return false;
    }
    let Ok(window) = window() else { return false };
    let Ok(origin) = window.location().origin() else { return false };
    let message = Object::new();
    let _ = Reflect::set(&message, &"type".into(), &HANDOFF_TYPE.into());
    let _ = Reflect::set(&message, &"url".into(), &url.into());
    let mut targets: Vec<web_sys::Window> = Vec::new();
    if let Ok(Some(parent)) = window.parent() {
        if parent != window {
            targets.push(parent);
        }
    }
    let opener = window.opener().ok().filter(|o| o.is_object());
    if let Some(o) = &opener {
        targets.push(o.clone().unchecked_into());
    }
    for t in targets {
        let _ = t.post_message(&message, &origin);
    }
    let channel = BroadcastChannel::new(HANDOFF_CHANNEL).ok();
    if let Some(c) = &channel {
        let _ = c.post_message(&message);
    }
    // A popup (named by the SDK, or with an opener) closes itself, a moment later so the
    // messages leave first; a frame is removed by its parent.
    let is_popup = opener.is_some() || window.name().is_ok_and(|n| n == "spa-auth:login");
    let w = window.clone();
    let later = Closure::once_into_js(move || {
        if let Some(c) = channel {
            c.close();
        }
        if is_popup {
            let _ = w.close();
        }
    });
    let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(later.unchecked_ref(), 100);
    true
}
