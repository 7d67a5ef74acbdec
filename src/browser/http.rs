//! `fetch` with a timeout, for discovery, token and revocation requests.
//!
//! A raw `fetch` binding rather than gloo-net's http feature: it is about 2.7 KB
//! smaller gzipped, and all the SDK needs is a status and a body. The timeout
//! is `AbortSignal.timeout()`, which aborts with a `TimeoutError` DOMException
//! covering both the headers and the body.

use super::window;
use crate::core::error::{code, Error, Result};
use crate::core::token::MAX_RESPONSE_BYTES;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortSignal, Headers, RequestInit, Response};

/// A status and a body, the only parts of a response the protocol reads.
pub struct Reply {
    /// The HTTP status.
    pub status: u16,
    /// The body text (at most [`MAX_RESPONSE_BYTES`]).
    pub body: String,
}

/// `GET url`, expecting JSON.
pub async fn get(url: &str, timeout_secs: u32) -> Result<Reply> {
    send(url, RequestInit::new(), timeout_secs).await
}

/// `POST url` with an `application/x-www-form-urlencoded` body (RFC 6749 §4.1.3).
/// Both headers are CORS-safelisted, so no preflight is needed.
pub async fn post_form(url: &str, body: &str, timeout_secs: u32) -> Result<Reply> {
    let init = RequestInit::new();
    init.set_method("POST");
    let headers = Headers::new().map_err(|_| super::api_error("Headers"))?;
    let _ = headers.set("Content-Type", "application/x-www-form-urlencoded");
    init.set_headers(&headers);
    init.set_body(&JsValue::from_str(body));
    send(url, init, timeout_secs).await
}

async fn send(url: &str, init: RequestInit, timeout_secs: u32) -> Result<Reply> {
    let signal = AbortSignal::timeout_with_u32(timeout_secs.saturating_mul(1000));
    init.set_signal(Some(&signal));
    let promise = window()?.fetch_with_str_and_init(url, &init);
    let response: Response = JsFuture::from(promise).await.map_err(|e| fetch_error(&e, Some(timeout_secs)))?.unchecked_into();
    let too_big = response
        .headers()
        .get("content-length")
        .ok()
        .flatten()
        .and_then(|l| l.trim().parse::<usize>().ok())
        .is_some_and(|l| l > MAX_RESPONSE_BYTES);
    if too_big {
        return Err(Error::new(code::INVALID_RESPONSE, "the response is larger than 1 MB"));
    }
    let text = response.text().map_err(|e| fetch_error(&e, Some(timeout_secs)))?;
    let body = JsFuture::from(text).await.map_err(|e| fetch_error(&e, Some(timeout_secs)))?.as_string().unwrap_or_default();
    if body.len() > MAX_RESPONSE_BYTES {
        return Err(Error::new(code::INVALID_RESPONSE, "the response is larger than 1 MB"));
    }
    Ok(Reply { status: response.status(), body })
}

/// A rejected `fetch`: a timeout (the signal's `TimeoutError`), the browser being
/// offline, or any other network failure (DNS, refused connection, CORS).
fn fetch_error(e: &JsValue, timeout_secs: Option<u32>) -> Error {
    let name = js_sys::Reflect::get(e, &JsValue::from_str("name")).ok().and_then(|n| n.as_string()).unwrap_or_default();
    match (name.as_str(), timeout_secs) {
        ("TimeoutError" | "AbortError", Some(secs)) => {
            return Error::new(code::TIMEOUT, format!("the request did not complete within {secs} s"));
        }
        ("TimeoutError" | "AbortError", None) => return Error::new(code::NETWORK_ERROR, "the request was aborted"),
        _ => {}
    }
    let offline = window().map(|w| !w.navigator().on_line()).unwrap_or(false);
    if offline {
        Error::new(code::NETWORK_ERROR, "the browser is offline")
    } else {
        Error::new(code::NETWORK_ERROR, "the request failed before an answer arrived (network, DNS or CORS)")
    }
}

/// Sends a copy of the app's `request` with `Authorization: Bearer {token}`
/// (RFC 6750 §2.1). A copy, so the original's body can be sent again on retry.
pub async fn send_with_bearer(request: &web_sys::Request, token: &str) -> Result<Response> {
    let copy = request.clone().map_err(|_| super::api_error("Request.clone (was its body already read?)"))?;
    copy.headers().set("Authorization", &format!("Bearer {token}")).map_err(|_| super::api_error("Headers.set"))?;
    let response = JsFuture::from(window()?.fetch_with_request(&copy)).await.map_err(|e| fetch_error(&e, None))?;
    Ok(response.unchecked_into())
}
