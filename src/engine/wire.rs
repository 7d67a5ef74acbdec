//! The JSON that crosses between the engine and the JS effect loop.
//!
//! Events in:
//! - a call: `{"call":id,"op":"getToken",…arguments}`; `init` first, with the page's
//!   `href`, `origin`, whether Web Locks and BroadcastChannel exist, and the names of the
//!   locks held (queried while the wasm loaded);
//! - a result: `{"req":r,…}`: `status`, `body`, `www` for a fetch (or `error`:
//!   `timeout`, `network`, `offline`, `too_big`); `ok` for a verify; `held` for a lock
//!   query; `origin`, `via`, `data` for a message to an open frame; `closed` for a popup;
//!   nothing else for a lock granted, a timer or a navigation done;
//! - a message from another tab: `{"tab":"…"}`.
//!
//! Effects out: a JSON array of `{"do":kind,…}`, performed in order.
//!
//! Options arrive as the app's options object through `JSON.stringify`: functions and
//! windows stay on the JS side.

use super::Expect;
use super::Input;
use crate::core::config::{AuthorizeParams, Options};
use crate::core::error::{code, Error, Result};
use crate::core::json::{self, ObjectWriter, Value};
use crate::core::text;

/// An HTTP answer. Its body may hold tokens, so its `Debug` is redacted.
#[derive(Clone)]
pub struct Reply {
    /// The status.
    pub status: u16,
    /// The body text, at most 1 MB.
    pub body: String,
    /// `WWW-Authenticate`, when present.
    pub www: Option<String>,
    /// `Retry-After`, when present and exposed to the page.
    pub retry_after: Option<String>,
}

/// A message that reached the page while a frame or popup login is open (it may carry
/// a code, so its `Debug` is redacted).
pub struct FrameMessage {
    /// `MessageEvent.origin`; empty for the hand-off channel.
    pub origin: String,
    /// Whether it came over the hand-off `BroadcastChannel` (same origin by construction).
    pub via_channel: bool,
    /// Whether `MessageEvent.source` is the window the SDK opened for this login.
    pub from_frame: bool,
    /// Whether `MessageEvent.origin` is the origin of the URL the frame was opened at (the
    /// authorization endpoint's), as the browser serialises both.
    pub from_provider: bool,
    /// The message data, as JSON.
    pub data: Value,
}

crate::redacted_debug!(Reply, FrameMessage);

/// Parses an event; `None` for anything that is not a JSON object.
pub fn parse_event(text: &str) -> Option<Value> {
    json::parse(text).ok().filter(|v| matches!(v, Value::Object(_)))
}

/// The input a result event means for a request of kind `expect`.
pub(crate) fn input_of(expect: Expect, req: u32, mut ev: Value, timeout_secs: u32) -> Input {
    let error = ev.get("error").and_then(Value::as_str);
    match expect {
        Expect::Http => Input::Http(match error {
            Some(kind) => Err(transport_error(kind, timeout_secs)),
            None => Ok(Reply {
                status: ev.get("status").and_then(Value::as_i64).unwrap_or(0).clamp(0, 999) as u16,
                body: ev.get("body").and_then(Value::as_str).unwrap_or_default().to_owned(),
                www: ev.get("www").and_then(Value::as_str).map(str::to_owned),
                retry_after: ev.get("retry").and_then(Value::as_str).map(str::to_owned),
            }),
        }),
        Expect::Verify => Input::Verified(
            match ev.get("ok").and_then(Value::as_bool) {
                Some(ok) if error.is_none() => Ok(ok),
                _ => Err(()),
            },
            ev.get("hash").and_then(Value::as_str).and_then(crate::core::base64url::decode),
        ),
        Expect::Stored => Input::Stored(ev.string_of("rt").ok().flatten()),
        Expect::Granted => Input::Granted,
        Expect::Timer => Input::Timer(req),
        Expect::Query => Input::Held(lock_names(&ev)),
        Expect::Open => Input::Opened(match error {
            None => Ok(()),
            Some(_) => Err(Error::new(code::BROWSER_ERROR, "openUrl failed")),
        }),
        Expect::Frame => {
            if ev.get("closed").is_some() {
                Input::Closed
            } else if error.is_some() {
                Input::Opened(Err(Error::of_kind(crate::core::error::Kind::PopupOpen, code::POPUP_OPEN, "the popup was blocked")))
            } else {
                Input::Message(FrameMessage {
                    origin: ev.get("origin").and_then(Value::as_str).unwrap_or_default().to_owned(),
                    via_channel: ev.get("via").and_then(Value::as_str) == Some("channel"),
                    from_frame: ev.get("source").and_then(Value::as_bool) == Some(true),
                    from_provider: ev.get("provider").and_then(Value::as_bool) == Some(true),
                    // Moved out of the event, not copied.
                    data: match &mut ev {
                        Value::Object(m) => m.iter().position(|(k, _)| k == "data").map(|i| m.swap_remove(i).1),
                        _ => None,
                    }
                    .unwrap_or(Value::Null),
                })
            }
        }
    }
}

/// The lock names of a `held` list (held and pending locks of this origin); anything that
/// is not a string is skipped.
pub(crate) fn lock_names(ev: &Value) -> Vec<String> {
    let mut names = Vec::new();
    for n in ev.get("held").and_then(Value::as_array).unwrap_or(&[]) {
        if let Some(n) = n.as_str() {
            names.push(n.to_owned());
        }
    }
    names
}

/// A failed `fetch`, as the loop reports it.
fn transport_error(kind: &str, timeout_secs: u32) -> Error {
    match kind {
        "timeout" => Error::new(code::TIMEOUT, text::cat(&["the request did not complete within ", &text::int(timeout_secs.into()), " s"])),
        "too_big" => Error::new(code::INVALID_RESPONSE, "the response is larger than 1 MB").at("size"),
        "offline" => Error::new(code::NETWORK_ERROR, "the browser is offline"),
        "redirect" => Error::new(code::REDIRECT_NOT_FOLLOWED, "the API answered with a redirect"),
        _ => Error::new(code::NETWORK_ERROR, "the request failed (network, DNS or CORS)"),
    }
}

/// `{"kind":…,"error":…,"error_description":…,"check":…}` for the JS error the loop throws
/// (`kind`: the class, as [`crate::core::error::Kind`]'s index).
pub fn error_json(e: &Error) -> String {
    let mut w = ObjectWriter::default()
        .int("kind", e.kind() as i64)
        .str("error", e.code())
        .str("error_description", e.description())
        .opt_str("check", Some(e.check()).filter(|c| !c.is_empty()));
    for (k, v) in e.fields() {
        w = if *k == "appState" { w.raw(k, v) } else { w.str(k, v) };
    }
    w.finish()
}

fn bad(what: &str) -> Error {
    Error::new(code::INVALID_OPTIONS, what.to_owned())
}

/// A string option ([`Value::str_of`]'s policy: absent, `null` and `""` are `None`).
pub fn opt_string(v: &Value, key: &'static str) -> Result<Option<String>> {
    v.string_of(key).map_err(|_| bad(&text::cat(&[key, " must be a string"])).at(key))
}

/// A boolean option, `None` when absent or `null`.
pub fn opt_bool(v: &Value, key: &'static str) -> Result<Option<bool>> {
    v.bool_of(key).map_err(|_| bad(&text::cat(&[key, " must be a boolean"])).at(key))
}

/// A call's `timeoutInSeconds` (the popup config's, or `getTokenSilently`'s).
pub(crate) fn timeout_secs(ev: &Value) -> Result<Option<u32>> {
    opt_seconds(ev, "timeoutInSeconds")
}

/// A whole number of seconds from 0 to one day.
fn opt_seconds(v: &Value, key: &'static str) -> Result<Option<u32>> {
    match v.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) if text::split_once(n, b".eE").is_none() => match json::parse_int(n) {
            Some(s @ 0..=86_400) => Ok(Some(s as u32)),
            _ => Err(bad(&text::cat(&[key, " must be whole seconds, 0 to 86400"])).at(key)),
        },
        Some(_) => Err(bad(&text::cat(&[key, " must be whole seconds, 0 to 86400"])).at(key)),
    }
}

/// A parameter's value as sent: strings as given, numbers and booleans as their text,
/// `null` as absent.
pub(crate) fn param_text(k: &str, v: &Value) -> Result<Option<String>> {
    Ok(Some(match v {
        Value::Null => return Ok(None),
        Value::String(s) => s.clone(),
        Value::Number(n) => n.clone(),
        Value::Bool(b) => (if *b { "true" } else { "false" }).to_owned(),
        _ => return Err(bad(&text::cat(&[k, " must be a string, a number or a boolean"])).at("authorizationParams")),
    }))
}

/// `authorizationParams`: the three the SDK keys on, and every other one in order,
/// numbers and booleans as their text.
pub fn authorize_params(v: Option<&Value>) -> Result<AuthorizeParams> {
    let mut params = AuthorizeParams::default();
    let members = match v {
        None | Some(Value::Null) => return Ok(params),
        Some(Value::Object(m)) => m,
        Some(_) => return Err(bad("authorizationParams must be an object").at("authorizationParams")),
    };
    for (k, v) in members {
        let Some(text) = param_text(k, v)? else {
            continue;
        };
        match k.as_str() {
            "redirect_uri" => params.redirect_uri = Some(text),
            "audience" => params.audience = Some(text),
            "scope" => params.scope = Some(text),
            _ => params.extra.push((k.clone(), text)),
        }
    }
    Ok(params)
}

/// Every option of `createAuthClient`: those the client honours (`index.d.ts` documents
/// each) with `""`, and the auth0-spa-js options spa-auth deliberately does not support
/// with what to do instead. Those, and any other name, are refused with
/// `invalid_options`: nothing an app passes is silently ignored.
const OPTIONS: [(&str, &str); 23] = [
    ("domain", ""),
    ("clientId", ""),
    ("issuer", ""),
    ("authorizationParams", ""),
    ("useRefreshTokens", ""),
    ("leeway", ""),
    ("httpTimeoutInSeconds", ""),
    ("endpoints", ""),
    ("idTokenSigningAlgs", ""),
    ("crossTab", ""),
    ("authorizeTimeoutInSeconds", ""),
    ("useRefreshTokensFallback", ""),
    ("allowedOrigins", ""),
    ("cacheLocation", ""),
    ("cache", IN_MEMORY),
    ("useCookiesForTransactions", NO_COOKIES),
    ("cookieDomain", NO_COOKIES),
    ("legacySameSiteCookie", NO_COOKIES),
    ("sessionCheckExpiryDays", NO_COOKIES),
    ("useFormData", "token requests are always forms"),
    ("useDpop", ""),
    ("usePar", ""),
    ("persistSession", ""),
];
const NO_COOKIES: &str = "spa-auth sets no cookies";
const IN_MEMORY: &str = "tokens stay in memory; to survive a reload, use persistSession with useDpop";

/// The client options, from the app's options object as JSON.
pub fn options(text: &str) -> Result<Options> {
    let js = json::parse(text).ok().filter(|v| matches!(v, Value::Object(_))).ok_or_else(|| bad("options must be an object"))?;
    if let Value::Object(members) = &js {
        for (k, v) in members {
            let (check, why) = match OPTIONS.iter().find(|(n, _)| n == k) {
                None => ("options", "unknown option"),
                Some((_, "")) => continue,
                Some((name, why)) => {
                    // `null`, and the value that asks for what spa-auth does anyway
                    // (`useFormData: true`, `useDpop: false`, …), are accepted.
                    let default = match v {
                        Value::Null => true,
                        Value::Bool(b) => *b == (*name == "useFormData"),
                        _ => false,
                    };
                    if default {
                        continue;
                    }
                    (*name, *why)
                }
            };
            return Err(bad(&text::cat(&[k, ": ", why])).at(check));
        }
    }
    // Tokens are in memory, shared across tabs: `cacheLocation: 'memory'` is the only one.
    if let Some(location) = opt_string(&js, "cacheLocation")?.filter(|l| l != "memory") {
        return Err(bad(&text::cat(&["cacheLocation ", &location, ": ", IN_MEMORY])).at("cacheLocation"));
    }
    let mut endpoints = Vec::new();
    if let Some(e) = js.get("endpoints") {
        for name in [
            "authorization_endpoint",
            "token_endpoint",
            "end_session_endpoint",
            "revocation_endpoint",
            "jwks_uri",
            "pushed_authorization_request_endpoint",
        ] {
            if let Some(v) = opt_string(e, name)? {
                endpoints.push((name, v));
            }
        }
    }
    let algs = js.strings_of("idTokenSigningAlgs").map_err(|_| bad("idTokenSigningAlgs must list strings").at("idTokenSigningAlgs"))?;
    Ok(Options {
        domain: opt_string(&js, "domain")?.unwrap_or_default(),
        client_id: opt_string(&js, "clientId")?.unwrap_or_default(),
        issuer: opt_string(&js, "issuer")?,
        authorization_params: authorize_params(js.get("authorizationParams"))?,
        use_refresh_tokens: opt_bool(&js, "useRefreshTokens")?,
        leeway: opt_seconds(&js, "leeway")?,
        http_timeout_in_seconds: opt_seconds(&js, "httpTimeoutInSeconds")?,
        endpoints,
        id_token_signing_algs: algs,
        cross_tab: opt_bool(&js, "crossTab")?,
        authorize_timeout_in_seconds: opt_seconds(&js, "authorizeTimeoutInSeconds")?,
        use_refresh_tokens_fallback: opt_bool(&js, "useRefreshTokensFallback")?,
        use_dpop: opt_bool(&js, "useDpop")?,
        use_par: opt_bool(&js, "usePar")?,
        persist_session: opt_bool(&js, "persistSession")?,
        allowed_origins: js.strings_of("allowedOrigins").map_err(|_| bad("allowedOrigins must list origins").at("allowedOrigins"))?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_option_is_honoured_or_refused_with_what_to_use_instead() {
        let with = |extra: &str| options(&format!(r#"{{"domain":"a.com","clientId":"c"{extra}}}"#));
        for fine in [
            r#","cacheLocation":"memory""#,
            r#","useFormData":true"#,
            r#","useCookiesForTransactions":false"#,
            r#","cache":null"#,
            r#","useDpop":true,"usePar":true"#,
        ] {
            assert!(with(fine).is_ok(), "{fine}");
        }
        for (refused, check) in [
            (r#","cacheLocation":"localstorage""#, "cacheLocation"),
            (r#","cache":{}"#, "cache"),
            (r#","useCookiesForTransactions":true"#, "useCookiesForTransactions"),
            (r#","useFormData":false"#, "useFormData"),
            (r#","cookieDomain":".example.com""#, "cookieDomain"),
            (r#","useDpop":"yes""#, "useDpop"),
            (r#","usePar":1"#, "usePar"),
            (r#","clientID":"typo""#, "options"),
        ] {
            let e = with(refused).unwrap_err();
            assert_eq!((e.code(), e.check()), (code::INVALID_OPTIONS, check), "{refused}");
        }
    }

    #[test]
    fn options_are_read_strictly() {
        let o =
            options(r#"{"domain":"a.com","clientId":"c","leeway":5,"authorizationParams":{"audience":"x","max_age":0,"x":true}}"#).unwrap();
        assert_eq!((o.domain.as_str(), o.leeway), ("a.com", Some(5)));
        assert_eq!(o.authorization_params.extra, vec![("max_age".to_owned(), "0".to_owned()), ("x".to_owned(), "true".to_owned())]);
        for bad in [
            "null",
            "[]",
            r#"{"domain":5}"#,
            r#"{"leeway":1.5}"#,
            r#"{"leeway":-1}"#,
            r#"{"leeway":"5"}"#,
            r#"{"crossTab":"no"}"#,
            r#"{"authorizationParams":{"a":{}}}"#,
            r#"{"idTokenSigningAlgs":"RS256"}"#,
        ] {
            assert_eq!(options(bad).unwrap_err().code(), code::INVALID_OPTIONS, "{bad}");
        }
    }
}
