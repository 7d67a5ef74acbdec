//! The `#[wasm_bindgen]` surface: JS options in, JS values and `Error`s out.
//! No protocol logic lives here; every method forwards to [`AuthClient`].
//!
//! Options are read with `Reflect.get` rather than serde-wasm-bindgen, which
//! keeps serde's error paths and float formatting out of the wasm.

use crate::browser::frames::{self, Surface};
use crate::browser::location;
use crate::client::{AuthClient, CacheMode, TokenRequest, TokenResult};
use crate::core::config::{AuthorizeParams, Options};
use crate::core::error::{code, Error};
use crate::core::id_token::PROTOCOL_CLAIMS;
use crate::core::logout::LogoutParams;
use js_sys::{Object, Promise, Reflect, JSON};
use std::cell::RefCell;
use std::future::Future;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::{future_to_promise, JsFuture};

/// A JS `Error` named as in auth0-spa-js, with stable `error` and `error_description`.
fn to_js(e: Error) -> JsValue {
    let err = js_sys::Error::new(e.description());
    err.set_name(e.kind().js_name());
    let _ = Reflect::set(&err, &"error".into(), &e.code().into());
    let _ = Reflect::set(&err, &"error_description".into(), &e.description().into());
    err.into()
}

fn bad_option(what: &str) -> Error {
    Error::new(code::INVALID_OPTIONS, what.to_owned())
}

fn get(obj: &JsValue, key: &str) -> JsValue {
    if obj.is_object() {
        Reflect::get(obj, &key.into()).unwrap_or(JsValue::UNDEFINED)
    } else {
        JsValue::UNDEFINED
    }
}

/// `String(v)` by way of `v.toString()`: numbers, booleans, `URL` objects. No float
/// formatting is compiled into the wasm for it.
fn to_string(v: &JsValue) -> String {
    v.as_string().unwrap_or_else(|| String::from(Object::to_string(v.unchecked_ref::<Object>())))
}

fn is_set(v: &JsValue) -> bool {
    !v.is_undefined() && !v.is_null()
}

fn opt_string(obj: &JsValue, key: &str) -> Result<Option<String>, Error> {
    let v = get(obj, key);
    if !is_set(&v) {
        return Ok(None);
    }
    v.as_string().map(Some).ok_or_else(|| bad_option(&format!("{key} must be a string")))
}

fn opt_bool(obj: &JsValue, key: &str) -> Result<Option<bool>, Error> {
    let v = get(obj, key);
    if !is_set(&v) {
        return Ok(None);
    }
    v.as_bool().map(Some).ok_or_else(|| bad_option(&format!("{key} must be a boolean")))
}

fn opt_seconds(obj: &JsValue, key: &str) -> Result<Option<u32>, Error> {
    let v = get(obj, key);
    if !is_set(&v) {
        return Ok(None);
    }
    match v.as_f64() {
        Some(n) if (0.0..=86_400.0).contains(&n) && n == n.trunc() => Ok(Some(n as u32)),
        _ => Err(bad_option(&format!("{key} must be a whole number of seconds from 0 to 86400"))),
    }
}

/// `authorizationParams`: the three the SDK keys on, and every other one in order,
/// numbers and booleans as their text.
fn authorize_params(obj: &JsValue) -> Result<AuthorizeParams, Error> {
    let mut params = AuthorizeParams::default();
    if !is_set(obj) {
        return Ok(params);
    }
    if !obj.is_object() {
        return Err(bad_option("authorizationParams must be an object"));
    }
    for entry in Object::entries(obj.unchecked_ref()).iter() {
        let k = Reflect::get_u32(&entry, 0).ok().and_then(|k| k.as_string()).unwrap_or_default();
        let v = Reflect::get_u32(&entry, 1).unwrap_or(JsValue::UNDEFINED);
        if !is_set(&v) {
            continue;
        }
        let text = if let Some(s) = v.as_string() {
            s
        } else if v.as_f64().is_some() || v.as_bool().is_some() {
            to_string(&v)
        } else {
            return Err(bad_option(&format!("authorizationParams.{k} must be a string, a number or a boolean")));
        };
        match k.as_str() {
            "redirect_uri" => params.redirect_uri = Some(text),
            "audience" => params.audience = Some(text),
            "scope" => params.scope = Some(text),
            _ => params.extra.push((k, text)),
        }
    }
    Ok(params)
}

fn options(js: &JsValue) -> Result<Options, Error> {
    if !js.is_object() {
        return Err(bad_option("createAuthClient needs an options object"));
    }
    let endpoints_js = get(js, "endpoints");
    let mut endpoints = Vec::new();
    for name in ["authorization_endpoint", "token_endpoint", "end_session_endpoint", "revocation_endpoint", "jwks_uri"] {
        if let Some(v) = opt_string(&endpoints_js, name)? {
            endpoints.push((name.to_owned(), v));
        }
    }
    Ok(Options {
        domain: opt_string(js, "domain")?.unwrap_or_default(),
        client_id: opt_string(js, "clientId")?.unwrap_or_default(),
        issuer: opt_string(js, "issuer")?,
        authorization_params: authorize_params(&get(js, "authorizationParams"))?,
        use_refresh_tokens: opt_bool(js, "useRefreshTokens")?,
        leeway: opt_seconds(js, "leeway")?,
        http_timeout_in_seconds: opt_seconds(js, "httpTimeoutInSeconds")?,
        endpoints,
        id_token_signing_algs: string_list(js, "idTokenSigningAlgs")?,
        cross_tab: opt_bool(js, "crossTab")?,
        authorize_timeout_in_seconds: opt_seconds(js, "authorizeTimeoutInSeconds")?,
        use_refresh_tokens_fallback: opt_bool(js, "useRefreshTokensFallback")?,
    })
}

fn string_list(obj: &JsValue, key: &str) -> Result<Option<Vec<String>>, Error> {
    let v = get(obj, key);
    if !is_set(&v) {
        return Ok(None);
    }
    let bad = || bad_option(&format!("{key} must be an array of strings"));
    let arr = v.dyn_ref::<js_sys::Array>().ok_or_else(bad)?;
    arr.iter().map(|x| x.as_string().ok_or_else(bad)).collect::<Result<Vec<_>, _>>().map(Some)
}

fn token_request(js: &JsValue) -> Result<TokenRequest, Error> {
    let params = authorize_params(&get(js, "authorizationParams"))?;
    let cache_mode = match opt_string(js, "cacheMode")?.as_deref() {
        None | Some("on") => CacheMode::On,
        Some("off") => CacheMode::Off,
        Some("cache-only") => CacheMode::CacheOnly,
        Some(other) => return Err(bad_option(&format!("cacheMode must be 'on', 'off' or 'cache-only', not '{other}'"))),
    };
    Ok(TokenRequest { audience: params.audience, scope: params.scope, cache_mode })
}

/// A boxed future, so that every method shares one `future_to_promise` instance
/// instead of monomorphizing the executor glue once per method (several KB of wasm).
type Task = std::pin::Pin<Box<dyn Future<Output = Result<JsValue, JsValue>>>>;

/// Runs `f` as a JS promise that rejects with a converted [`Error`].
fn promise<F, T>(f: F) -> Promise
where
    F: Future<Output = Result<T, Error>> + 'static,
    T: Into<JsValue>,
{
    let task: Task = Box::pin(async move { f.await.map(Into::into).map_err(to_js) });
    future_to_promise(task)
}

/// Calls the app's `openUrl(url)`, awaiting it when it returns a promise, or navigates.
async fn open(open_url: JsValue, url: String) -> Result<(), Error> {
    let Some(f) = open_url.dyn_ref::<js_sys::Function>() else { return location::assign(&url) };
    let opened = f.call1(&JsValue::UNDEFINED, &url.into()).map_err(|_| Error::new(code::BROWSER_ERROR, "openUrl threw"))?;
    if let Some(p) = opened.dyn_ref::<Promise>() {
        JsFuture::from(p.clone()).await.map_err(|_| Error::new(code::BROWSER_ERROR, "openUrl rejected"))?;
    }
    Ok(())
}

/// The window the app opened for a popup login: `popup` in the options or, as
/// auth0-spa-js has it, in the config.
fn popup_window(options_js: &JsValue, config_js: &JsValue) -> Option<web_sys::Window> {
    [get(options_js, "popup"), get(config_js, "popup")].into_iter().find(is_set).map(JsCast::unchecked_into)
}

/// A handled callback, remembered so a second call with the same URL (React
/// StrictMode runs effects twice) gets the same promise instead of a second exchange.
struct HandledCallback {
    url: String,
    cleaned: Option<String>,
    promise: Promise,
}

/// The spa-auth client, as JS sees it. Create it with `createAuthClient`.
#[wasm_bindgen(js_name = AuthClient)]
pub struct JsAuthClient {
    client: AuthClient,
    callbacks: Rc<RefCell<Vec<HandledCallback>>>,
}

#[wasm_bindgen(js_class = AuthClient)]
impl JsAuthClient {
    /// Validates the options; throws a `GenericError` (`invalid_options`) when they are wrong.
    #[wasm_bindgen(constructor)]
    pub fn new(options_js: JsValue) -> Result<JsAuthClient, JsValue> {
        let client = options(&options_js).and_then(AuthClient::new).map_err(to_js)?;
        Ok(JsAuthClient { client, callbacks: Rc::default() })
    }

    /// Creates a client and, when other tabs of this origin hold a session, takes it
    /// (waiting at most 200 ms, and only when some tab holds one). `createAuthClient` calls this.
    pub fn create(options_js: JsValue) -> Promise {
        // In a silent-login iframe or a login popup, this page only hands the answer back.
        if let Ok(href) = location::href() {
            frames::hand_off(&href);
        }
        let made = JsAuthClient::new(options_js);
        let task: Task = Box::pin(async move {
            let client = made?;
            client.client.join().await;
            Ok(JsValue::from(client))
        });
        future_to_promise(task)
    }

    /// Listens for `sessionchange`: `event.detail` is `{ reason, otherTab, isAuthenticated }`,
    /// `reason` one of `login`, `refresh`, `revoke`, `logout`.
    #[wasm_bindgen(js_name = addEventListener)]
    pub fn add_event_listener(&self, kind: &str, listener: &js_sys::Function) -> Result<(), JsValue> {
        self.client.events().add_event_listener_with_callback(kind, listener)
    }

    /// Stops listening.
    #[wasm_bindgen(js_name = removeEventListener)]
    pub fn remove_event_listener(&self, kind: &str, listener: &js_sys::Function) -> Result<(), JsValue> {
        self.client.events().remove_event_listener_with_callback(kind, listener)
    }

    /// Whether this client shares its session with the other tabs of this origin: `false`
    /// when `crossTab: false` was passed or the browser lacks Web Locks or BroadcastChannel.
    #[wasm_bindgen(getter, js_name = sharesAcrossTabs)]
    pub fn shares_across_tabs(&self) -> bool {
        self.client.shares_across_tabs()
    }

    /// Redirects to the provider's login page.
    #[wasm_bindgen(js_name = loginWithRedirect)]
    pub fn login_with_redirect(&self, options_js: JsValue) -> Promise {
        let client = self.client.clone();
        promise(async move {
            let params = authorize_params(&get(&options_js, "authorizationParams"))?;
            let app_state = get(&options_js, "appState");
            let app_state = if app_state.is_undefined() {
                None
            } else {
                let text = JSON::stringify(&app_state).map_err(|_| bad_option("appState must be JSON-serializable"))?;
                Some(String::from(text))
            };
            let url = client.login_url(&params, app_state).await?;
            open(get(&options_js, "openUrl"), url).await?;
            Ok(JsValue::UNDEFINED)
        })
    }

    /// Finishes a login on the page the provider redirected to. Resolves `{ appState }`.
    #[wasm_bindgen(js_name = handleRedirectCallback)]
    pub fn handle_redirect_callback(&self, url: Option<String>) -> Promise {
        let url = match url.map_or_else(location::href, Ok) {
            Ok(u) => u,
            Err(e) => return Promise::reject(&to_js(e)),
        };
        if let Some(seen) = self.callbacks.borrow().iter().find(|c| c.url == url || c.cleaned.as_deref() == Some(url.as_str())) {
            return seen.promise.clone();
        }
        // The answer to an iframe or popup login goes back to the page that started it.
        if frames::hand_off(&url) {
            let result = Object::new();
            let _ = Reflect::set(&result, &"appState".into(), &JsValue::UNDEFINED);
            return Promise::resolve(&JsValue::from(result));
        }
        // The synchronous half claims the transaction before anything is awaited.
        let before = location::href().ok();
        let claimed = self.client.claim_callback(&url);
        // Remember the address the cleanup left, so a second call on this page shares the promise.
        let after = location::href().ok();
        let cleaned = after.filter(|a| before.as_deref() == Some(url.as_str()) && *a != url);
        let client = self.client.clone();
        let p = promise(async move {
            let app_state = client.finish_callback(claimed?).await?;
            let result = Object::new();
            let value = match app_state {
                Some(text) => JSON::parse(&text).unwrap_or(JsValue::UNDEFINED),
                None => JsValue::UNDEFINED,
            };
            let _ = Reflect::set(&result, &"appState".into(), &value);
            Ok(JsValue::from(result))
        });
        self.callbacks.borrow_mut().push(HandledCallback { url, cleaned, promise: p.clone() });
        p
    }

    /// Restores the provider's session silently in a hidden iframe (`prompt=none`).
    /// Without one there, resolves and the client stays signed out.
    #[wasm_bindgen(js_name = checkSession)]
    pub fn check_session(&self, options_js: JsValue) -> Promise {
        let client = self.client.clone();
        promise(async move {
            let params = authorize_params(&get(&options_js, "authorizationParams"))?;
            client.check_session(&params).await?;
            Ok(JsValue::UNDEFINED)
        })
    }

    /// Signs in in a popup, keeping the page. `popup` (in `options` or, as auth0-spa-js
    /// has it, in `config`) is a window the app opened itself in its click handler.
    #[wasm_bindgen(js_name = loginWithPopup)]
    pub fn login_with_popup(&self, options_js: JsValue, config_js: JsValue) -> Promise {
        let client = self.client.clone();
        promise(async move {
            let params = authorize_params(&get(&options_js, "authorizationParams"))?;
            let popup = popup_window(&options_js, &config_js);
            client.login_in(Surface::Popup(popup), &params, None).await?;
            Ok(JsValue::UNDEFINED)
        })
    }

    /// As auth0-spa-js: signs in in a popup for `authorizationParams` (an audience and
    /// scope, say) and resolves the access token for them.
    #[wasm_bindgen(js_name = getTokenWithPopup)]
    pub fn get_token_with_popup(&self, options_js: JsValue, config_js: JsValue) -> Promise {
        let client = self.client.clone();
        promise(async move {
            let params = authorize_params(&get(&options_js, "authorizationParams"))?;
            let token = client.token_with_popup(popup_window(&options_js, &config_js), &params).await?;
            Ok(JsValue::from(token))
        })
    }

    /// Whether a user is signed in. Resolves a boolean.
    #[wasm_bindgen(js_name = isAuthenticated)]
    pub fn is_authenticated(&self) -> Promise {
        Promise::resolve(&JsValue::from_bool(self.client.is_authenticated()))
    }

    /// The user's profile claims from the ID token, without protocol claims; `undefined` when signed out.
    #[wasm_bindgen(js_name = getUser)]
    pub fn get_user(&self) -> Promise {
        Promise::resolve(&self.claims(false))
    }

    /// Every ID token claim, plus `__raw`; `undefined` when signed out.
    #[wasm_bindgen(js_name = getIdTokenClaims)]
    pub fn get_id_token_claims(&self) -> Promise {
        Promise::resolve(&self.claims(true))
    }

    fn claims(&self, all: bool) -> JsValue {
        let Some((raw, json)) = self.client.id_token() else { return JsValue::UNDEFINED };
        let Ok(claims) = JSON::parse(&json) else { return JsValue::UNDEFINED };
        if all {
            let _ = Reflect::set(&claims, &"__raw".into(), &raw.into());
        } else {
            for c in PROTOCOL_CLAIMS {
                let _ = Reflect::delete_property(claims.unchecked_ref::<Object>(), &JsValue::from_str(c));
            }
        }
        claims
    }

    /// An access token for the API: from memory, or refreshed. With
    /// `detailedResponse: true`, `{ access_token, id_token, expires_in, scope, token_type }`.
    #[wasm_bindgen(js_name = getTokenSilently)]
    pub fn get_token_silently(&self, options_js: JsValue) -> Promise {
        // A cache hit answers at once, without the async machinery.
        if !get(&options_js, "detailedResponse").is_truthy() {
            if let Some(token) = token_request(&options_js).ok().and_then(|r| self.client.cached_access_token(&r)) {
                return Promise::resolve(&JsValue::from(token));
            }
        }
        let client = self.client.clone();
        promise(async move {
            let request = token_request(&options_js)?;
            let detailed = opt_bool(&options_js, "detailedResponse")?.unwrap_or(false);
            Ok(match client.get_token(request).await? {
                None => JsValue::UNDEFINED,
                Some(t) if detailed => {
                    let response = detailed_response(t);
                    if let Some(fp) = client.refresh_token_fingerprint().await {
                        let _ = Reflect::set(&response, &"refresh_token_fingerprint".into(), &fp.into());
                    }
                    response
                }
                Some(t) => t.access_token.into(),
            })
        })
    }

    /// Whether `scope` was granted (not just requested) for `{ audience }`.
    #[wasm_bindgen(js_name = hasScope)]
    pub fn has_scope(&self, scope: &str, options_js: JsValue) -> Result<bool, JsValue> {
        let audience = opt_string(&options_js, "audience").map_err(to_js)?;
        Ok(self.client.has_scope(scope, audience.as_deref()))
    }

    /// `fetch(input, init)` with the access token attached; on a 401 `invalid_token`
    /// challenge, refreshes once and retries. `options` are `getTokenSilently`'s.
    #[wasm_bindgen(js_name = fetchWithAuth)]
    pub fn fetch_with_auth(&self, input: JsValue, init: JsValue, options_js: JsValue) -> Promise {
        let client = self.client.clone();
        promise(async move {
            let init: web_sys::RequestInit = if is_set(&init) { init.unchecked_into() } else { web_sys::RequestInit::new() };
            let request = match input.dyn_ref::<web_sys::Request>() {
                Some(r) => web_sys::Request::new_with_request_and_init(r, &init),
                None => web_sys::Request::new_with_str_and_init(&to_string(&input), &init),
            }
            .map_err(|_| bad_option("fetchWithAuth: input and init do not make a valid Request"))?;
            let response = client.fetch_with_auth(&request, token_request(&options_js)?).await?;
            Ok(JsValue::from(response))
        })
    }

    /// Signs out: forgets the session in memory, then opens the provider's logout
    /// URL unless `openUrl` is `false`.
    pub fn logout(&self, options_js: JsValue) -> Promise {
        let client = self.client.clone();
        promise(async move {
            let open_url = get(&options_js, "openUrl");
            if open_url.as_bool() == Some(false) {
                client.clear();
                return Ok(JsValue::UNDEFINED);
            }
            let lp = get(&options_js, "logoutParams");
            let params = LogoutParams { return_to: opt_string(&lp, "returnTo")?, federated: opt_bool(&lp, "federated")?.unwrap_or(false) };
            let url = client.logout_url(&params).await?;
            open(open_url, url).await?;
            Ok(JsValue::UNDEFINED)
        })
    }

    /// Revokes the refresh token at the provider's revocation endpoint (RFC 7009).
    #[wasm_bindgen(js_name = revokeRefreshToken)]
    pub fn revoke_refresh_token(&self) -> Promise {
        let client = self.client.clone();
        promise(async move {
            client.revoke_refresh_token().await?;
            Ok(JsValue::UNDEFINED)
        })
    }
}

fn detailed_response(t: TokenResult) -> JsValue {
    let o = Object::new();
    let _ = Reflect::set(&o, &"access_token".into(), &t.access_token.into());
    if let Some(id) = t.id_token {
        let _ = Reflect::set(&o, &"id_token".into(), &id.into());
    }
    let _ = Reflect::set(&o, &"expires_in".into(), &JsValue::from(t.expires_in as f64));
    let _ = Reflect::set(&o, &"scope".into(), &t.scope.into());
    let _ = Reflect::set(&o, &"token_type".into(), &"Bearer".into());
    o.into()
}
