//! The engine's decisions, natively, with a fake clock and a fake network: each test
//! feeds events and asserts on the effects, in milliseconds.

use super::*;
use crate::core::base64url;
use crate::core::json::{self, Value};

pub(crate) const ISSUER: &str = "https://op.example/";
const TOKEN_ENDPOINT: &str = "https://op.example/token";
const JWKS_URI: &str = "https://op.example/jwks";

/// An engine and its world: the clock, and the effects of the last event.
pub(crate) struct World {
    pub e: Engine,
    pub now: f64,
    pub fx: Vec<Value>,
    next_call: u32,
    /// The `token_type` the fake provider answers with.
    pub token_type: &'static str,
    /// Whether its discovery lists `dpop_signing_alg_values_supported`.
    pub advertise_dpop: bool,
    /// More ID token claims, as JSON members (`,"at_hash":"…"`).
    pub extra_claims: String,
    /// Whether the fake WebCrypto answers the digest it is asked for.
    pub digests: bool,
}

pub(crate) fn discovery_body() -> String {
    format!(
        r#"{{"issuer":"{ISSUER}","authorization_endpoint":"https://op.example/auth","token_endpoint":"{TOKEN_ENDPOINT}","jwks_uri":"{JWKS_URI}","revocation_endpoint":"https://op.example/revoke","end_session_endpoint":"https://op.example/logout","response_modes_supported":["query","web_message"]}}"#
    )
}

/// An unsigned-looking RS256 token with these claims; the fake WebCrypto decides validity.
pub(crate) fn id_token(claims: &str) -> String {
    let b = |s: &str| base64url::encode(s.as_bytes());
    format!("{}.{}.{}", b(r#"{"alg":"RS256","kid":"k1"}"#), b(claims), b("sig"))
}

pub(crate) fn jwks_body() -> &'static str {
    r#"{"keys":[{"kty":"RSA","kid":"k1","n":"AQAB","e":"AQAB"}]}"#
}

impl World {
    pub fn new(extra: &str) -> World {
        let options = format!(
            r#"{{"domain":"{ISSUER}","clientId":"spa","authorizationParams":{{"redirect_uri":"https://app.example/cb","audience":"https://api/"}}{extra}}}"#
        );
        let e = Engine::new(wire::options(&options).unwrap(), Box::new(MemoryStore::default())).unwrap();
        let mut w = World {
            e,
            now: 1_700_000_000_000.0,
            fx: Vec::new(),
            next_call: 1,
            token_type: "Bearer",
            advertise_dpop: false,
            extra_claims: String::new(),
            digests: true,
        };
        w.send(r#"{"call":999,"op":"init","href":"https://app.example/","origin":"https://app.example","locks":true,"channel":true,"held":[]}"#);
        w
    }

    pub fn send(&mut self, event: &str) -> &[Value] {
        let out = self.e.handle(event, self.now);
        self.fx = json::parse(&out).unwrap().as_array().unwrap().to_vec();
        &self.fx
    }

    /// A call; returns its id.
    pub fn call(&mut self, op: &str, args: &str) -> u32 {
        let id = self.next_call;
        self.next_call += 1;
        let sep = if args.is_empty() { "" } else { "," };
        self.send(&format!(r#"{{"call":{id},"op":"{op}"{sep}{args}}}"#));
        id
    }

    pub fn kinds(&self) -> Vec<String> {
        self.fx.iter().map(|f| f.get("do").unwrap().as_str().unwrap().to_owned()).collect()
    }

    pub fn find(&self, kind: &str) -> Option<Value> {
        self.fx.iter().find(|f| f.get("do").unwrap().as_str() == Some(kind)).cloned()
    }

    pub fn all(&self, kind: &str) -> Vec<Value> {
        self.fx.iter().filter(|f| f.get("do").unwrap().as_str() == Some(kind)).cloned().collect()
    }

    pub fn req_of(&self, kind: &str) -> u32 {
        self.find(kind).unwrap_or_else(|| panic!("no {kind} in {:?}", self.kinds())).get("req").unwrap().as_i64().unwrap() as u32
    }

    /// The URLs of the last fetch effects, in order.
    pub fn fetch_urls(&self) -> Vec<String> {
        self.all("fetch").iter().map(|f| f.get("url").unwrap().as_str().unwrap().to_owned()).collect()
    }

    /// The fetch effect to `url`, if any.
    pub fn fetch_to(&self, url: &str) -> Option<Value> {
        self.all("fetch").into_iter().find(|f| f.get("url").unwrap().as_str() == Some(url))
    }

    pub fn reply(&mut self, req: u32, status: u16, body: &str) -> &[Value] {
        let mut b = String::new();
        json::write_str(&mut b, body);
        self.send(&format!(r#"{{"req":{req},"status":{status},"body":{b}}}"#))
    }

    /// The resolve or reject effect of `call` among the last effects.
    pub fn outcome(&self, call: u32) -> Option<std::result::Result<Value, String>> {
        self.fx.iter().find_map(|f| {
            if f.get("call").and_then(Value::as_i64) != Some(call.into()) {
                return None;
            }
            match f.get("do")?.as_str()? {
                "resolve" => Some(Ok(f.get("value").cloned().unwrap_or(Value::Null))),
                "reject" => Some(Err(f.get("error")?.get("error")?.as_str()?.to_owned())),
                _ => None,
            }
        })
    }

    /// Answers discovery, the JWK Set and every signature check with `valid`, as long as
    /// the engine asks for them; returns the effects of the last answer.
    pub fn serve_provider(&mut self, valid: bool) {
        for _ in 0..10 {
            if let Some(f) = self.fetch_to(&format!("{}.well-known/openid-configuration", ISSUER)) {
                let req = f.get("req").unwrap().as_i64().unwrap() as u32;
                let mut body = discovery_body();
                if self.advertise_dpop {
                    body = body.replace("\"jwks_uri\"", "\"dpop_signing_alg_values_supported\":[\"ES256\"],\"jwks_uri\"");
                }
                self.reply(req, 200, &body);
            } else if let Some(f) = self.fetch_to(JWKS_URI) {
                let req = f.get("req").unwrap().as_i64().unwrap() as u32;
                self.reply(req, 200, jwks_body());
            } else if let Some(f) = self.find("verify") {
                let req = f.get("req").unwrap().as_i64().unwrap() as u32;
                assert_eq!(f.get("hash").unwrap().as_str(), Some("SHA-256"), "RS256's hash");
                let hash = f
                    .get("digest")
                    .and_then(Value::as_str)
                    .filter(|_| self.digests)
                    .map(|d| format!(r#","hash":"{}""#, base64url::encode(&crate::core::hash::sha256(d.as_bytes()))));
                self.send(&format!(r#"{{"req":{req},"ok":{valid}{}}}"#, hash.unwrap_or_default()));
            } else {
                return;
            }
        }
    }

    /// Signs in through a redirect login and its callback; returns the effects of the
    /// token response's processing.
    pub fn sign_in(&mut self, expires_in: i64) {
        self.call("login", "");
        self.serve_provider(true);
        let open = self.find("open").expect("the login opens the authorize URL");
        let url = open.get("url").unwrap().as_str().unwrap().to_owned();
        let q = crate::core::form::parse(url.split_once('?').unwrap().1).unwrap();
        let get = |k: &str| q.iter().find(|(n, _)| n == k).unwrap().1.clone();
        let (state, nonce) = (get("state"), get("nonce"));
        self.send(&format!(r#"{{"req":{}}}"#, self.req_of("open")));
        let href = format!("https://app.example/cb?code=c1&state={state}");
        self.call("callback", &format!(r#""href":"{href}""#));
        let token = self.fetch_to(TOKEN_ENDPOINT).expect("the code is exchanged");
        // The keys, asked for with the code, answer first.
        self.serve_provider(true);
        let claims = format!(
            r#"{{"iss":"{ISSUER}","sub":"u1","aud":"spa","exp":{},"iat":{},"nonce":"{nonce}"{}}}"#,
            self.secs() + 600,
            self.secs(),
            self.extra_claims
        );
        let body = format!(
            r#"{{"access_token":"at1","token_type":"{}","expires_in":{expires_in},"refresh_token":"rt1","id_token":"{}"}}"#,
            self.token_type,
            id_token(&claims)
        );
        self.reply(token.get("req").unwrap().as_i64().unwrap() as u32, 200, &body);
        self.serve_provider(true);
        assert!(self.e.session.is_authenticated(), "signed in: {:?}", self.kinds());
    }

    pub fn secs(&self) -> i64 {
        (self.now / 1000.0) as i64
    }

    pub fn token_response(&self, at: &str, rt: Option<&str>, expires_in: i64) -> String {
        let rt = rt.map(|r| format!(r#","refresh_token":"{r}""#)).unwrap_or_default();
        format!(r#"{{"access_token":"{at}","token_type":"{}","expires_in":{expires_in}{rt}}}"#, self.token_type)
    }
}

#[test]
fn a_redirect_login_makes_one_exchange_and_signs_in() {
    let mut w = World::new("");
    w.sign_in(300);
    assert_eq!(w.e.cached(None, None, w.now).as_deref(), Some("at1"));
}

impl World {
    /// Runs out the clock by `secs`.
    fn wait(&mut self, secs: i64) {
        self.now += (secs * 1000) as f64;
    }

    fn token_fetches(&self) -> Vec<Value> {
        self.all("fetch").into_iter().filter(|f| f.get("url").unwrap().as_str() == Some(TOKEN_ENDPOINT)).collect()
    }

    /// Grants the refresh's Web Lock and answers its lock query with `held` (JSON names).
    fn grant_lock(&mut self, held: &str) {
        self.send(&format!(r#"{{"req":{}}}"#, self.req_of("lock")));
        self.send(&format!(r#"{{"req":{},"held":[{held}]}}"#, self.req_of("query")));
    }

    /// The login transactions in the tab's storage.
    fn tx_keys(&self) -> Vec<String> {
        self.e.store_ref().keys().into_iter().filter(|k| k.starts_with("spa-auth.tx.")).collect()
    }

    fn req(v: &Value) -> u32 {
        v.get("req").unwrap().as_i64().unwrap() as u32
    }
}

fn crossless() -> World {
    World::new(r#","crossTab":false,"leeway":60"#)
}

#[test]
fn concurrent_callers_share_one_refresh() {
    let mut w = crossless();
    w.sign_in(120);
    w.wait(100);
    let a = w.call("getToken", "");
    let fetch = w.token_fetches();
    assert_eq!(fetch.len(), 1, "the first caller starts the refresh");
    let b = w.call("getToken", "");
    let c = w.call("getToken", r#""cacheMode":"off""#);
    assert!(w.token_fetches().is_empty(), "the others join it");
    let body = w.token_response("at2", Some("rt2"), 120);
    w.reply(World::req(&fetch[0]), 200, &body);
    for call in [a, b, c] {
        assert_eq!(w.outcome(call).unwrap().unwrap().as_str(), Some("at2"), "call {call}");
    }
    assert_eq!(w.e.session.refresh_token().unwrap().secret(), "rt2", "rotated");
}

#[test]
fn a_token_shorter_than_the_leeway_is_served_from_the_cache() {
    let mut w = crossless();
    // 30-second tokens, leeway 60: before, every call refreshed.
    w.sign_in(30);
    for _ in 0..2 {
        let call = w.call("getToken", "");
        assert_eq!(w.outcome(call).unwrap().unwrap().as_str(), Some("at1"));
        assert!(w.token_fetches().is_empty());
    }
    w.wait(14);
    assert_eq!(w.e.cached(None, None, w.now).as_deref(), Some("at1"));
    w.wait(1);
    assert_eq!(w.e.cached(None, None, w.now), None, "stale at half its life");
    w.call("getToken", "");
    assert_eq!(w.token_fetches().len(), 1);
}

#[test]
fn a_logout_during_a_refresh_drops_the_late_answer() {
    let mut w = World::new(r#","leeway":0"#);
    w.sign_in(60);
    w.wait(61);
    let call = w.call("getToken", "");
    // The Web Lock, then the query: no other tab holds newer tokens.
    w.grant_lock("");
    let fetch = w.token_fetches().pop().expect("the refresh is sent");
    // Another tab logs out while the refresh is held at the provider.
    w.send(&format!(r#"{{"tab":{}}}"#, json_string(&crate::core::tabs::logout_message())));
    assert!(!w.e.session.is_authenticated());
    let body = w.token_response("at-late", Some("rt-late"), 60);
    w.reply(World::req(&fetch), 200, &body);
    assert_eq!(w.outcome(call).unwrap().unwrap_err(), "login_required");
    assert!(!w.e.session.is_authenticated(), "not signed in again");
    assert!(w.e.session.refresh_token().is_none());
    assert!(w.all("post").is_empty(), "nothing broadcast");
    assert!(w.find("unlock").is_some(), "the lock is released");
}

#[test]
fn a_logout_here_during_a_refresh_drops_the_late_answer_too() {
    let mut w = crossless();
    w.sign_in(60);
    w.wait(61);
    let call = w.call("getToken", "");
    let fetch = w.token_fetches().pop().unwrap();
    let out = w.call("logout", r#""openUrl":false"#);
    assert!(w.outcome(out).unwrap().is_ok());
    let body = w.token_response("at-late", Some("rt-late"), 60);
    w.reply(World::req(&fetch), 200, &body);
    assert_eq!(w.outcome(call).unwrap().unwrap_err(), "login_required");
    assert!(w.e.session.refresh_token().is_none() && w.e.cached(None, None, w.now).is_none());
}

fn json_string(s: &str) -> String {
    let mut out = String::new();
    json::write_str(&mut out, s);
    out
}

#[test]
fn invalid_grant_ends_the_session_in_every_tab() {
    let mut w = World::new("");
    w.sign_in(60);
    w.wait(61);
    let call = w.call("getToken", "");
    w.grant_lock("");
    let fetch = w.token_fetches().pop().unwrap();
    w.reply(World::req(&fetch), 400, r#"{"error":"invalid_grant"}"#);
    assert_eq!(w.outcome(call).unwrap().unwrap_err(), "login_required");
    let posts = w.all("post");
    assert!(posts.iter().any(|p| p.get("data").unwrap().as_str().unwrap().contains("logout")), "every tab is told");
    assert!(w.find("unlock").is_some());
}

/// Signed in with 60-second tokens, a minute later a `getToken` whose lock query shows
/// another tab holding `generation(mine)`; returns the world, the call and this tab's generation.
fn refresh_seeing_generation(generation: impl Fn(i64) -> i64) -> (World, u32, i64) {
    let mut w = World::new(r#","leeway":0"#);
    w.sign_in(60);
    let mine = w.e.session.generation();
    w.wait(61);
    let call = w.call("getToken", "");
    let channel = crate::core::tabs::channel_name(ISSUER, "spa");
    w.grant_lock(&format!(r#""{channel}:gen:{}""#, generation(mine)));
    (w, call, mine)
}

#[test]
fn the_tab_that_finds_newer_tokens_takes_them_instead_of_refreshing() {
    let (mut w, call, mine) = refresh_seeing_generation(|mine| mine + 5000);
    let newer = mine + 5000;
    assert!(w.token_fetches().is_empty(), "no refresh with a rotated token");
    assert!(w.all("post").iter().any(|p| p.get("data").unwrap().as_str().unwrap().contains("\"sync\"")));
    // The other tab answers with its session.
    let claims = format!(r#"{{"iss":"{ISSUER}","sub":"u1","aud":"spa","exp":{},"iat":{}}}"#, w.secs() + 600, w.secs());
    let msg = w.tab_session(&claims, "at-other", newer);
    w.send(&msg);
    // Its new ID token is verified like a login's before it is taken.
    assert!(w.outcome(call).is_none());
    w.serve_provider(true);
    assert_eq!(w.outcome(call).unwrap().unwrap().as_str(), Some("at-other"));
    assert!(w.token_fetches().is_empty());
    assert!(w.find("unlock").is_some());
}

#[test]
fn an_unknown_key_refetches_the_jwk_set_at_most_once_a_minute() {
    let mut w = crossless();
    w.sign_in(600);
    // A refresh whose ID token names a kid the set lacks, 10 s after the set was fetched.
    let refresh_with_kid = |w: &mut World, kid: &str| {
        w.call("getToken", r#""cacheMode":"off""#);
        let fetch = w.token_fetches().pop().unwrap();
        let b = |s: &str| base64url::encode(s.as_bytes());
        let claims = format!(r#"{{"iss":"{ISSUER}","sub":"u1","aud":"spa","exp":{},"iat":{}}}"#, w.secs() + 600, w.secs());
        let raw = format!("{}.{}.{}", b(&format!(r#"{{"alg":"RS256","kid":"{kid}"}}"#)), b(&claims), b("s"));
        let body = format!(r#"{{"access_token":"a","token_type":"Bearer","expires_in":600,"refresh_token":"r","id_token":"{raw}"}}"#);
        w.reply(World::req(&fetch), 200, &body);
    };
    w.wait(10);
    refresh_with_kid(&mut w, "rotated");
    assert!(w.fetch_to(JWKS_URI).is_none(), "no refetch within the minute");
    assert!(!w.e.session.is_authenticated(), "the unverifiable refresh ended the session");
    // Sign in again, and after the minute: exactly one refetch.
    w.sign_in(600);
    w.wait(61);
    refresh_with_kid(&mut w, "rotated");
    let refetch = w.fetch_to(JWKS_URI).expect("one refetch after the minute");
    let rotated = r#"{"keys":[{"kty":"RSA","kid":"rotated","n":"AQAB","e":"AQAB"}]}"#;
    w.reply(World::req(&refetch), 200, rotated);
    let verify = w.req_of("verify");
    w.send(&format!(r#"{{"req":{verify},"ok":true}}"#));
    assert!(w.e.session.is_authenticated());
}

#[test]
fn a_repeated_callback_shares_the_first_and_the_transaction_is_taken_at_once() {
    let mut w = crossless();
    w.call("login", "");
    w.serve_provider(true);
    let url = w.find("open").unwrap().get("url").unwrap().as_str().unwrap().to_owned();
    let q = crate::core::form::parse(url.split_once('?').unwrap().1).unwrap();
    let state = q.iter().find(|(k, _)| k == "state").unwrap().1.clone();
    assert_eq!(w.tx_keys().len(), 1);
    let href = format!("https://app.example/cb?code=c1&state={state}");
    let first = w.call("callback", &format!(r#""href":"{href}""#));
    assert!(w.tx_keys().is_empty(), "taken before anything is awaited");
    assert_eq!(w.find("replace").unwrap().get("url").unwrap().as_str(), Some("https://app.example/cb"));
    assert_eq!(w.token_fetches().len(), 1);
    // The exchange leaves first; the URL is cleaned in the same batch, after it.
    let kinds = w.kinds();
    let at = |k: &str| kinds.iter().position(|x| x == k).unwrap();
    assert!(at("fetch") < at("replace"), "{kinds:?}");
    // StrictMode: the same URL again, then the cleaned one.
    w.call("callback", &format!(r#""href":"{href}""#));
    assert_eq!(w.find("share").unwrap().get("with").unwrap().as_i64(), Some(first.into()));
    w.call("callback", r#""href":"https://app.example/cb""#);
    assert!(w.find("share").is_some());
    assert!(w.token_fetches().is_empty(), "one code exchange");
}

#[test]
fn a_popup_closed_by_the_user_is_cancelled_after_the_grace() {
    let mut w = crossless();
    let call = w.call("popup", "");
    w.serve_provider(true);
    let frame = w.req_of("frame");
    // A message from another origin, or with another state, is ignored.
    w.send(&format!(r#"{{"req":{frame},"origin":"https://evil.example","data":{{"type":"authorization_response","response":{{"code":"x","state":"y"}}}}}}"#));
    assert!(w.outcome(call).is_none());
    w.send(&format!(r#"{{"req":{frame},"origin":"https://op.example","source":true,"provider":true,"data":{{"type":"authorization_response","response":{{"code":"x","state":"h.forged"}}}}}}"#));
    assert!(w.outcome(call).is_none());
    w.send(&format!(r#"{{"req":{frame},"closed":1}}"#));
    let grace = w.req_of("timer");
    assert_eq!(w.find("timer").unwrap().get("ms").unwrap().as_i64(), Some(1000));
    w.send(&format!(r#"{{"req":{grace}}}"#));
    assert_eq!(w.outcome(call).unwrap().unwrap_err(), "cancelled");
    assert!(w.find("unframe").is_some());
}

#[test]
fn a_silent_login_without_a_session_resolves_signed_out() {
    let mut w = crossless();
    let call = w.call("checkSession", "");
    w.serve_provider(true);
    let frame_fx = w.find("frame").unwrap();
    let url = frame_fx.get("url").unwrap().as_str().unwrap().to_owned();
    assert!(url.contains("prompt=none") && url.contains("response_mode=web_message"));
    let state = crate::core::form::parse(url.split_once('?').unwrap().1).unwrap().into_iter().find(|(k, _)| k == "state").unwrap().1;
    let frame = World::req(&frame_fx);
    let answer = |source: bool| {
        format!(
            r#"{{"req":{frame},"origin":"https://op.example","source":{source},"provider":true,"data":{{"type":"authorization_response","response":{{"error":"login_required","state":"{state}"}}}}}}"#
        )
    };
    // The right origin and state, from a window other than the frame (another frame of the
    // provider's origin, say): ignored.
    w.send(&answer(false));
    assert!(w.outcome(call).is_none() && w.find("unframe").is_none());
    w.send(&answer(true));
    assert!(w.outcome(call).unwrap().is_ok());
    assert!(w.find("unframe").is_some());
}

/// A redirect login, then its callback page: a new page, a new engine, the same
/// sessionStorage, after `init` with the callback URL (returned, with the login's nonce).
/// `stored` may change the storage first (as an older page, or an attacker with the
/// storage, would have left it).
fn callback_page_with(stored: impl Fn(&mut dyn Store)) -> (World, String, String) {
    let mut w = crossless();
    w.call("login", "");
    w.serve_provider(true);
    let url = w.find("open").unwrap().get("url").unwrap().as_str().unwrap().to_owned();
    let q = crate::core::form::parse(url.split_once('?').unwrap().1).unwrap();
    let get = |k: &str| q.iter().find(|(n, _)| n == k).unwrap().1.clone();
    let (state, nonce) = (get("state"), get("nonce"));
    let mut store = std::mem::replace(&mut w.e.store, Box::new(MemoryStore::default()));
    stored(&mut *store);
    let options = wire::options(r#"{"domain":"https://op.example/","clientId":"spa","crossTab":false,"authorizationParams":{"redirect_uri":"https://app.example/cb"}}"#).unwrap();
    w.e = Engine::new(options, store).unwrap();
    let href = format!("https://app.example/cb?code=c1&state={state}");
    w.send(&format!(r#"{{"call":1,"op":"init","href":"{href}","origin":"https://app.example"}}"#));
    (w, href, nonce)
}

const META_KEY: &str = "spa-auth.meta.spa";

fn callback_page() -> (World, String, String) {
    callback_page_with(|_| {})
}

/// The callback page of a login, with no discovery document in the tab's storage.
fn callback_page_discovering() -> (World, String, String) {
    callback_page_with(|s| s.remove(META_KEY))
}

#[test]
fn a_callback_page_takes_the_metadata_its_login_page_fetched_and_asks_for_the_keys_after_the_code() {
    let (mut w, href, nonce) = callback_page();
    assert!(w.fetch_urls().is_empty(), "no discovery request: the login page's document is in sessionStorage");
    assert!(w.e.store_ref().get(META_KEY).is_none(), "taken: it serves one callback page");
    // The exchange leaves at once, and the keys' request right behind it: on a connection
    // still to be made, the request on the critical path goes first.
    w.call("callback", &format!(r#""href":"{href}""#));
    assert_eq!(w.fetch_urls(), [TOKEN_ENDPOINT, JWKS_URI]);
    let token = World::req(&w.fetch_to(TOKEN_ENDPOINT).unwrap());
    let keys = World::req(&w.fetch_to(JWKS_URI).unwrap());
    let claims = format!(r#"{{"iss":"{ISSUER}","sub":"u1","aud":"spa","exp":{},"iat":{},"nonce":"{nonce}"}}"#, w.secs() + 600, w.secs());
    w.reply(token, 200, &format!(r#"{{"access_token":"at1","token_type":"Bearer","expires_in":300,"id_token":"{}"}}"#, id_token(&claims)));
    w.reply(keys, 200, jwks_body());
    w.serve_provider(true);
    assert!(w.e.session.is_authenticated(), "{:?}", w.kinds());
    // A login started on this page stores no document: its callback page discovers.
    w.call("login", "");
    assert!(w.find("open").is_some() && w.e.store_ref().get(META_KEY).is_none());
}

#[test]
fn a_silent_login_asks_for_the_keys_with_the_code_and_not_again_while_they_are_fresh() {
    let mut w = crossless();
    // Opens the iframe and answers it with a code; returns the call and the login's nonce.
    let answered = |w: &mut World| {
        let call = w.call("checkSession", "");
        w.serve_provider(true);
        let frame = w.find("frame").expect("the iframe");
        let url = frame.get("url").unwrap().as_str().unwrap().to_owned();
        let q = crate::core::form::parse(url.split_once('?').unwrap().1).unwrap();
        let get = |k: &str| q.iter().find(|(n, _)| n == k).unwrap().1.clone();
        w.send(&format!(
            r#"{{"req":{},"origin":"https://op.example","source":true,"provider":true,"data":{{"type":"authorization_response","response":{{"code":"c1","state":"{}"}}}}}}"#,
            World::req(&frame),
            get("state")
        ));
        (call, get("nonce"))
    };
    let (call, nonce) = answered(&mut w);
    // The keys' request follows the code's at once, not the token response.
    assert_eq!(w.fetch_urls(), [TOKEN_ENDPOINT, JWKS_URI]);
    let token = World::req(&w.fetch_to(TOKEN_ENDPOINT).unwrap());
    w.serve_provider(true);
    let claims = format!(r#"{{"iss":"{ISSUER}","sub":"u1","aud":"spa","exp":{},"iat":{},"nonce":"{nonce}"}}"#, w.secs() + 600, w.secs());
    w.reply(token, 200, &format!(r#"{{"access_token":"at1","token_type":"Bearer","expires_in":300,"id_token":"{}"}}"#, id_token(&claims)));
    w.serve_provider(true);
    assert!(w.outcome(call).is_some_and(|r| r.is_ok()) && w.e.session.is_authenticated(), "{:?}", w.kinds());
    // A second exchange while the set is fresh asks for no keys.
    answered(&mut w);
    assert_eq!(w.fetch_urls(), [TOKEN_ENDPOINT]);
}

#[test]
fn a_stored_discovery_document_is_checked_like_a_fetched_one() {
    // Another issuer's document, or one that is not JSON, is not taken: the page discovers.
    for doc in [discovery_body().replace(ISSUER, "https://evil.example/"), "{".to_owned()] {
        let (w, _, _) = callback_page_with(|s| s.set(META_KEY, &doc).unwrap());
        let urls = w.fetch_urls();
        assert_eq!(urls, ["https://op.example/.well-known/openid-configuration"], "{doc}");
    }
    // A page that is no callback of a login of this tab leaves the document alone.
    let mut w = crossless();
    w.e.store().set(META_KEY, &discovery_body()).unwrap();
    w.send(r#"{"call":1,"op":"init","href":"https://app.example/cb?code=x&state=unknown","origin":"https://app.example"}"#);
    assert!(w.all("fetch").is_empty() && w.e.store_ref().get(META_KEY).is_some());
}

#[test]
fn a_callback_page_fetches_the_metadata_at_init_and_the_keys_with_the_code() {
    let (mut w, href, _) = callback_page_discovering();
    let discovery = w.fetch_to("https://op.example/.well-known/openid-configuration").expect("metadata at init");
    w.reply(World::req(&discovery), 200, &discovery_body());
    assert!(w.all("fetch").is_empty(), "the keys wait for the code: on the metadata's connection, behind it");
    // The callback then sends the code, and the keys' request behind it; no discovery again.
    w.call("callback", &format!(r#""href":"{href}""#));
    assert_eq!(w.fetch_urls(), [TOKEN_ENDPOINT, JWKS_URI]);
    // A page that is no callback of this tab fetches nothing.
    let mut plain = crossless();
    plain.send(r#"{"call":1,"op":"init","href":"https://app.example/cb?code=x&state=unknown","origin":"https://app.example"}"#);
    assert!(plain.all("fetch").is_empty());
}

#[test]
fn the_code_exchange_leaves_before_the_prefetched_keys() {
    // The order on a callback page that discovers: init asks for the metadata, the app
    // calls handleRedirectCallback at once, then the metadata arrives. The token request is
    // on the critical path, the keys are only needed once it answers: it is sent first.
    let (mut w, href, _) = callback_page_discovering();
    let discovery = w.fetch_to("https://op.example/.well-known/openid-configuration").expect("metadata at init");
    w.call("callback", &format!(r#""href":"{href}""#));
    assert!(w.all("fetch").is_empty(), "the callback waits for the metadata already asked for");
    w.reply(World::req(&discovery), 200, &discovery_body());
    let urls = w.fetch_urls();
    assert_eq!(urls, [TOKEN_ENDPOINT, JWKS_URI]);
}

/// A callback page whose token response arrives while the key prefetch is still in
/// flight: the exchange has joined the prefetch. Returns the prefetch's request.
fn token_before_prefetch() -> (World, u32) {
    let (mut w, href, nonce) = callback_page();
    w.call("callback", &format!(r#""href":"{href}""#));
    let prefetch = World::req(&w.fetch_to(JWKS_URI).unwrap());
    let token = World::req(&w.fetch_to(TOKEN_ENDPOINT).unwrap());
    let claims = format!(r#"{{"iss":"{ISSUER}","sub":"u1","aud":"spa","exp":{},"iat":{},"nonce":"{nonce}"}}"#, w.secs() + 600, w.secs());
    w.reply(token, 200, &format!(r#"{{"access_token":"at1","token_type":"Bearer","expires_in":300,"id_token":"{}"}}"#, id_token(&claims)));
    assert!(w.all("fetch").is_empty() && w.find("verify").is_none(), "the exchange waits for the keys in flight");
    (w, prefetch)
}

#[test]
fn a_failed_key_prefetch_that_a_code_exchange_joined_is_retried_once_for_it() {
    // The prefetch is a head start, not the exchange's own try: its failure gets the
    // exchange a request of its own, as it would have had without the prefetch.
    let (mut w, prefetch) = token_before_prefetch();
    w.reply(prefetch, 500, "oops");
    assert!(w.outcome(2).is_none(), "not failed by the prefetch: {:?}", w.kinds());
    let retry = w.fetch_to(JWKS_URI).expect("one request of the exchange's own");
    // That one failing fails the login.
    w.reply(World::req(&retry), 500, "oops");
    assert_eq!(w.outcome(2), Some(Err("invalid_jwks".to_owned())));
    assert!(w.all("fetch").is_empty(), "no third request");
}

#[test]
fn a_key_prefetch_retried_for_a_code_exchange_signs_in() {
    let (mut w, prefetch) = token_before_prefetch();
    w.reply(prefetch, 500, "oops");
    w.serve_provider(true);
    assert!(w.e.session.is_authenticated(), "{:?}", w.kinds());
}

impl World {
    /// The `state` of the authorize URL in the last `open` or `frame` effect.
    fn state_sent(&self) -> String {
        let f = self.find("open").or_else(|| self.find("frame")).expect("an authorize URL");
        let url = f.get("url").unwrap().as_str().unwrap().to_owned();
        crate::core::form::parse(url.split_once('?').unwrap().1).unwrap().into_iter().find(|(k, _)| k == "state").unwrap().1
    }

    fn callback_error(&mut self, query: &str) -> std::result::Result<Value, String> {
        let call = self.call("callback", &format!(r#""href":"https://app.example/cb?{query}""#));
        self.outcome(call).expect("a callback error settles at once")
    }
}

#[test]
fn a_provider_error_is_believed_only_for_a_pending_login_of_this_issuer() {
    let mut w = crossless();
    w.call("login", "");
    w.serve_provider(true);
    let state = w.state_sent();
    let forged = format!("error=access_denied&error_description=Call%20us&state={state}&iss=https%3A%2F%2Fevil.example%2F");
    assert_eq!(w.callback_error(&forged).unwrap_err(), "invalid_issuer");
    assert!(w.tx_keys().is_empty(), "the login it claimed to answer is over");
    assert_eq!(w.callback_error("error=access_denied&state=unknown").unwrap_err(), "missing_transaction");
    assert_eq!(w.callback_error("error=access_denied").unwrap_err(), "missing_transaction");
    w.call("login", "");
    w.serve_provider(true);
    let pending = w.state_sent();
    assert_eq!(w.callback_error("error=access_denied&state=other").unwrap_err(), "state_mismatch");
    // The provider's own error, with or without its iss, is the provider's.
    assert_eq!(w.callback_error(&format!("error=access_denied&state={pending}")).unwrap_err(), "access_denied");
    w.call("login", "");
    w.serve_provider(true);
    let s = w.state_sent();
    let mut iss = String::new();
    crate::core::form::encode(&mut iss, ISSUER);
    assert_eq!(w.callback_error(&format!("error=access_denied&state={s}&iss={iss}")).unwrap_err(), "access_denied");
}

#[test]
fn a_frame_error_naming_another_issuer_is_refused() {
    let mut w = crossless();
    let call = w.call("checkSession", "");
    w.serve_provider(true);
    let (state, frame) = (w.state_sent(), w.req_of("frame"));
    w.send(&format!(
        r#"{{"req":{frame},"origin":"https://op.example","source":true,"provider":true,"data":{{"type":"authorization_response","response":{{"error":"login_required","state":"{state}","iss":"https://evil.example/"}}}}}}"#
    ));
    assert_eq!(w.outcome(call).unwrap().unwrap_err(), "invalid_issuer");
}

#[test]
fn a_second_login_in_the_same_tick_leaves_one_transaction() {
    let mut w = crossless();
    w.call("login", "");
    let discovery = w.req_of("fetch");
    w.call("login", "");
    w.reply(discovery, 200, &discovery_body());
    let opens = w.all("open");
    assert_eq!(opens.len(), 2);
    let keys = w.tx_keys();
    assert_eq!(keys.len(), 1, "the superseded login's verifier is gone: {keys:?}");
    let last = opens[1].get("url").unwrap().as_str().unwrap().to_owned();
    let state = crate::core::form::parse(last.split_once('?').unwrap().1).unwrap().into_iter().find(|(k, _)| k == "state").unwrap().1;
    assert!(keys[0].ends_with(&format!(".{state}")), "the one kept answers the last navigation");
}

#[test]
fn a_generation_from_the_future_is_ignored() {
    // A forged lock name far ahead: the refresh goes ahead instead of waiting for it.
    let (mut w, call, mine) = refresh_seeing_generation(|_| i64::MAX);
    assert_eq!(w.token_fetches().len(), 1, "no wait for a generation that cannot exist");
    let fetch = w.token_fetches().pop().unwrap();
    w.reply(World::req(&fetch), 200, &w.token_response("at2", Some("rt2"), 60));
    w.send(&format!(r#"{{"req":{}}}"#, w.req_of("hold")));
    assert_eq!(w.outcome(call).unwrap().unwrap().as_str(), Some("at2"));
    // A session message stamped far ahead is not taken, so it cannot freeze later updates.
    let claims = format!(r#"{{"iss":"{ISSUER}","sub":"evil","aud":"spa","exp":{},"iat":{}}}"#, w.secs() + 600, w.secs());
    let msg = w.tab_session(&claims, "at-evil", i64::MAX);
    w.send(&msg);
    assert!(w.e.session.generation() > mine && w.e.session.generation() < i64::MAX);
    assert_eq!(w.e.session.id_token().unwrap().sub, "u1");
}

#[test]
fn nothing_that_holds_a_token_prints_it_under_debug() {
    use crate::core::{callback, id_token as jwt, tabs, token};
    let secret = "SECRET-VALUE";
    let raw = id_token(&format!(r#"{{"iss":"{ISSUER}","sub":"u","aud":"spa","exp":1,"iat":1,"x":"{secret}"}}"#));
    let body =
        format!(r#"{{"access_token":"{secret}","token_type":"Bearer","expires_in":60,"refresh_token":"{secret}","id_token":"{raw}"}}"#);
    let mut response = token::process_response(200, &body).unwrap();
    let id = response.id_token.take().unwrap();
    let decoded = jwt::decode(id.secret()).unwrap();
    let value = json::parse(&body).unwrap();
    let reply = wire::Reply { status: 200, body: body.clone(), www: None, retry_after: None };
    let message =
        wire::FrameMessage { origin: String::new(), via_channel: true, from_frame: false, from_provider: false, data: value.clone() };
    let mut session = crate::core::cache::Session::default();
    session.store(None, "openid", response, Some((id, jwt::decode(&raw).unwrap())), 0);
    let tab = tabs::parse(&tabs::session_message(&session));
    let answer = callback::parse(&format!("https://app/cb?code={secret}&state=s&id_token={raw}")).unwrap();
    let input = Input::Http(Ok(reply.clone()));
    let printed = format!("{decoded:?} {value:?} {reply:?} {message:?} {session:?} {tab:?} {answer:?} {input:?}");
    assert!(!printed.contains(secret), "{printed}");
    assert!(printed.contains("[redacted]"));
}

#[test]
fn a_jwk_set_older_than_five_minutes_is_fetched_again_and_a_withdrawn_key_fails() {
    let mut w = crossless();
    w.sign_in(600);
    let refresh = |w: &mut World| {
        w.call("getToken", r#""cacheMode":"off""#);
        let fetch = w.token_fetches().pop().unwrap();
        let claims = format!(r#"{{"iss":"{ISSUER}","sub":"u1","aud":"spa","exp":{},"iat":{}}}"#, w.secs() + 600, w.secs());
        let body = format!(
            r#"{{"access_token":"a","token_type":"Bearer","expires_in":600,"refresh_token":"r","id_token":"{}"}}"#,
            id_token(&claims)
        );
        w.reply(World::req(&fetch), 200, &body);
    };
    w.wait(299);
    refresh(&mut w);
    assert!(w.fetch_to(JWKS_URI).is_none(), "held for five minutes");
    w.send(&format!(r#"{{"req":{},"ok":true}}"#, w.req_of("verify")));
    w.wait(2);
    refresh(&mut w);
    let refetch = w.fetch_to(JWKS_URI).expect("older than five minutes: fetched again");
    // The provider has withdrawn k1 meanwhile.
    w.reply(World::req(&refetch), 200, r#"{"keys":[{"kty":"RSA","kid":"k2","n":"AQAB","e":"AQAB"}]}"#);
    assert!(w.find("verify").is_none(), "no check with a withdrawn key");
    assert!(!w.e.session.is_authenticated());
}

impl World {
    /// Another tab's session, at `generation`, with an ID token of `claims`.
    fn tab_session(&self, claims: &str, at: &str, generation: i64) -> String {
        let mut theirs = crate::core::cache::Session::default();
        let raw = id_token(claims);
        let jwt = crate::core::id_token::decode(&raw).unwrap();
        let response = crate::core::token::process_response(200, &self.token_response(at, Some("rt-t"), 60)).unwrap();
        let scope = self.e.config.effective_scope(None);
        theirs.store(Some("https://api/"), &scope, response, Some((crate::core::secret::IdToken::new(raw), jwt)), self.secs());
        theirs.set_generation(generation);
        format!(r#"{{"tab":{}}}"#, json_string(&crate::core::tabs::session_message(&theirs)))
    }
}

#[test]
fn a_session_from_another_tab_is_verified_before_it_is_shown() {
    let mut w = World::new("");
    let generation = w.now as i64;
    let (now, exp) = (w.secs(), w.secs() + 600);
    // A forged signature, an expired token, another issuer: none is taken.
    let forged = w.tab_session(&format!(r#"{{"iss":"{ISSUER}","sub":"mallory","aud":"spa","exp":{exp},"iat":{now}}}"#), "at-m", generation);
    w.send(&forged);
    w.serve_provider(false);
    assert!(!w.e.session.is_authenticated(), "a bad signature");
    let expired =
        w.tab_session(&format!(r#"{{"iss":"{ISSUER}","sub":"mallory","aud":"spa","exp":{},"iat":{now}}}"#, now - 3600), "at-m", generation);
    w.send(&expired);
    w.serve_provider(true);
    assert!(!w.e.session.is_authenticated(), "an expired ID token");
    assert!(w.e.claims(false).is_none());
    // A good one is taken once verified, and the app hears of it.
    let good = w.tab_session(&format!(r#"{{"iss":"{ISSUER}","sub":"u1","aud":"spa","exp":{exp},"iat":{now}}}"#), "at-good", generation);
    w.send(&good);
    assert!(!w.e.session.is_authenticated(), "not before the signature is checked");
    w.serve_provider(true);
    assert!(w.e.session.is_authenticated());
    assert!(w.find("event").is_some());
    assert_eq!(w.e.cached(None, None, w.now).as_deref(), Some("at-good"));
}

#[test]
fn a_joining_tab_waits_for_the_verdict_on_the_session_it_was_sent() {
    let mut w = World::new("");
    let channel = crate::core::tabs::channel_name(ISSUER, "spa");
    let generation = w.now as i64 - 1000;
    let joining = format!(
        r#"{{"call":50,"op":"init","href":"https://app.example/","origin":"https://app.example","locks":true,"channel":true,"held":["{channel}:gen:{generation}"]}}"#
    );
    w.send(&joining);
    let timer = w.req_of("timer");
    let (now, exp) = (w.secs(), w.secs() + 600);
    let good = w.tab_session(&format!(r#"{{"iss":"{ISSUER}","sub":"u1","aud":"spa","exp":{exp},"iat":{now}}}"#), "at-good", generation);
    w.send(&good);
    let discovery = w.req_of("fetch");
    // The join's 200 ms pass while the keys are fetched: it keeps waiting.
    w.send(&format!(r#"{{"req":{timer}}}"#));
    assert!(w.outcome(50).is_none());
    w.reply(discovery, 200, &discovery_body());
    w.serve_provider(true);
    assert!(w.outcome(50).unwrap().is_ok());
    assert!(w.e.session.is_authenticated(), "joined with the verified session");
}

#[test]
fn a_provider_written_with_an_idn_still_gets_its_web_message() {
    let mut w = crossless();
    let call = w.call("checkSession", "");
    let discovery = w.req_of("fetch");
    w.reply(discovery, 200, &discovery_body().replace("https://op.example/auth", "https://öp.example./auth"));
    let (state, frame) = (w.state_sent(), w.req_of("frame"));
    let answer = |origin: &str, provider: bool| {
        format!(
            r#"{{"req":{frame},"origin":"{origin}","source":true,"provider":{provider},"data":{{"type":"authorization_response","response":{{"error":"login_required","state":"{state}"}}}}}}"#
        )
    };
    // The browser says the message's origin is not the frame URL's: ignored, whatever the text.
    w.send(&answer("https://öp.example.", false));
    assert!(w.outcome(call).is_none());
    // It reports the frame's origin in its ASCII form, and says it is the frame URL's.
    w.send(&answer("https://xn--p-0ga.example.", true));
    assert!(w.outcome(call).unwrap().is_ok(), "taken as the provider's answer");
}

#[test]
fn fetch_with_auth_sends_the_token_only_to_allowed_origins() {
    let mut w = crossless();
    w.sign_in(600);
    let fetch = |w: &mut World, url: &str| {
        let call = w.call("fetch", &format!(r#""url":"{url}""#));
        (w.find("authfetch").is_some(), w.outcome(call).and_then(|o| o.err()))
    };
    assert_eq!(fetch(&mut w, "https://app.example/api/me"), (true, None), "the page's own origin by default");
    assert_eq!(fetch(&mut w, "https://APP.example:443/api"), (true, None));
    for refused in ["https://evil.example/steal", "http://app.example/api", "https://app.example.evil.example/", "javascript:alert(1)", ""]
    {
        assert_eq!(fetch(&mut w, refused), (false, Some("origin_not_allowed".to_owned())), "{refused}");
    }
    assert!(w.token_fetches().is_empty());
    let mut api = World::new(r#","crossTab":false,"allowedOrigins":["https://api.example","http://127.0.0.1:3000/"]"#);
    api.sign_in(600);
    assert_eq!(fetch(&mut api, "https://api.example/v1"), (true, None));
    assert_eq!(fetch(&mut api, "http://127.0.0.1:3000/x"), (true, None));
    assert_eq!(fetch(&mut api, "https://app.example/api").1.as_deref(), Some("origin_not_allowed"), "the list replaces the default");
    // A redirect answer is not followed with the token.
    let call = api.call("fetch", r#""url":"https://api.example/v1""#);
    let req = api.req_of("authfetch");
    api.send(&format!(r#"{{"req":{req},"error":"redirect"}}"#));
    assert_eq!(api.outcome(call).unwrap().unwrap_err(), "redirect_not_followed");
    for bad in [r#"["http://api.example"]"#, r#"["https://api.example/v1"]"#, r#""https://api.example""#, r#"[5]"#] {
        let options = format!(r#"{{"domain":"{ISSUER}","clientId":"spa","allowedOrigins":{bad}}}"#);
        let e = wire::options(&options).and_then(|o| Engine::new(o, Box::new(MemoryStore::default()))).err().unwrap();
        assert_eq!(e.code(), "invalid_options", "{bad}");
    }
}

#[test]
fn a_429_is_honoured_no_refresh_is_sent_before_retry_after_and_the_session_stays() {
    let mut w = crossless();
    w.sign_in(60);
    w.wait(61);
    let call = w.call("getToken", "");
    let fetch = w.token_fetches().pop().unwrap();
    w.send(&format!(r#"{{"req":{},"status":429,"body":"","retry":"2"}}"#, World::req(&fetch)));
    assert_eq!(w.outcome(call).unwrap().unwrap_err(), "too_many_requests");
    assert!(w.e.session.refresh_token().is_some(), "the session stays");
    let again = w.call("getToken", "");
    assert!(w.token_fetches().is_empty(), "not hammered");
    assert_eq!(w.outcome(again).unwrap().unwrap_err(), "too_many_requests");
    w.wait(2);
    let later = w.call("getToken", "");
    let fetch = w.token_fetches().pop().expect("after Retry-After, a refresh");
    w.reply(World::req(&fetch), 200, &w.token_response("at2", Some("rt2"), 60));
    assert_eq!(w.outcome(later).unwrap().unwrap().as_str(), Some("at2"));
    for (header, secs) in [(None, 5), (Some("0"), 1), (Some("86400"), 300), (Some("Wed, 21 Oct 2015 07:28:00 GMT"), 5), (Some(" 7 "), 7)] {
        assert_eq!(crate::core::token::retry_after_secs(header), secs, "{header:?}");
    }
}

#[test]
fn errors_carry_the_fields_of_their_auth0_class() {
    let mut w = crossless();
    w.call("login", r#""appState":{"returnTo":"/x"}"#);
    w.serve_provider(true);
    let state = w.state_sent();
    let call = w.call("callback", &format!(r#""href":"https://app.example/cb?error=access_denied&state={state}""#));
    let reject = w.fx.iter().find(|f| f.get("call").and_then(Value::as_i64) == Some(call.into())).unwrap().get("error").unwrap().clone();
    assert_eq!(reject.get("kind").unwrap().as_i64(), Some(crate::core::error::Kind::Authentication as i64));
    assert_eq!(reject.get("state").unwrap().as_str(), Some(state.as_str()));
    assert_eq!(json::stringify(reject.get("appState").unwrap()), r#"{"returnTo":"/x"}"#, "appState as the app gave it");
    let mfa =
        crate::core::token::process_response(403, r#"{"error":"mfa_required","error_description":"MFA","mfa_token":"m1"}"#).unwrap_err();
    assert_eq!((mfa.kind().js_name(), mfa.fields()), ("MfaRequiredError", &[("mfa_token", "m1".to_owned())][..]));
}

#[test]
fn offline_access_is_asked_for_only_where_the_provider_takes_it() {
    let scope_sent = |options: &str, scopes_supported: &str, login_scope: &str| {
        let mut w = World::new(options);
        w.call("login", login_scope);
        let discovery = w.req_of("fetch");
        let body = discovery_body().replace(r#""jwks_uri""#, &format!(r#"{scopes_supported}"jwks_uri""#));
        w.reply(discovery, 200, &body);
        let url = w.find("open").unwrap().get("url").unwrap().as_str().unwrap().to_owned();
        crate::core::form::parse(url.split_once('?').unwrap().1).unwrap().into_iter().find(|(k, _)| k == "scope").unwrap().1
    };
    assert_eq!(scope_sent("", "", ""), "openid profile email offline_access", "no list: asked for");
    assert_eq!(scope_sent("", r#""scopes_supported":["openid","offline_access"],"#, ""), "openid profile email offline_access");
    assert_eq!(scope_sent("", r#""scopes_supported":["openid","profile","email"],"#, ""), "openid profile email", "not listed: left out");
    let explicit = r#""authorizationParams":{"scope":"openid offline_access"}"#;
    assert_eq!(
        scope_sent("", r#""scopes_supported":["openid"],"#, explicit),
        "openid offline_access",
        "the app's own scope is sent as given"
    );
}

#[test]
fn a_revocation_endpoint_only_in_rfc_8414_metadata_is_found_there_once() {
    let revoke = |oauth_body: Option<&str>| {
        let mut w = crossless();
        w.call("login", "");
        let discovery = w.req_of("fetch");
        w.reply(discovery, 200, &discovery_body().replace(r#""revocation_endpoint":"https://op.example/revoke","#, ""));
        w.e.session.store(
            None,
            "openid",
            crate::core::token::process_response(200, &w.token_response("a", Some("rt"), 60)).unwrap(),
            None,
            0,
        );
        let call = w.call("revoke", "");
        let asked = w.fetch_to("https://op.example/.well-known/oauth-authorization-server").expect("RFC 8414 metadata is asked");
        w.reply(World::req(&asked), 200, oauth_body.unwrap_or("{}"));
        (w, call)
    };
    let (w, _) = revoke(Some(r#"{"issuer":"https://op.example/","revocation_endpoint":"https://op.example/oauth/revoke"}"#));
    let post = w.fetch_to("https://op.example/oauth/revoke").expect("revoked at the endpoint RFC 8414 names");
    assert!(post.get("body").unwrap().as_str().unwrap().contains("token=rt"));
    let (mut w, call) = revoke(None);
    assert_eq!(w.outcome(call).unwrap().unwrap_err(), "revocation_not_supported");
    let again = w.call("revoke", "");
    assert!(w.all("fetch").is_empty(), "asked once per client");
    assert_eq!(w.outcome(again).unwrap().unwrap_err(), "revocation_not_supported");
    // Another issuer's document is not believed.
    let (w, _) = revoke(Some(r#"{"issuer":"https://evil.example/","revocation_endpoint":"https://evil.example/revoke"}"#));
    assert!(w.fetch_to("https://evil.example/revoke").is_none());
    let c = |issuer: &str| {
        crate::core::config::Config::new(crate::core::config::Options {
            domain: issuer.into(),
            client_id: "c".into(),
            ..Default::default()
        })
        .unwrap()
    };
    assert_eq!(
        crate::core::discovery::oauth_metadata_url(&c("https://op.example/tenant/")).as_deref(),
        Some("https://op.example/.well-known/oauth-authorization-server/tenant")
    );
}

#[test]
fn per_call_options_are_honoured_timeouts_fragment_and_extra_parameters() {
    // A popup's `timeoutInSeconds` replaces authorizeTimeoutInSeconds for that login.
    let mut w = crossless();
    w.call("popup", r#""timeoutInSeconds":3"#);
    w.serve_provider(true);
    assert_eq!(w.find("timer").unwrap().get("ms").unwrap().as_i64(), Some(3000));
    // `fragment` rides on the authorize URL.
    let mut w = crossless();
    w.call("login", r#""fragment":"screen=signup""#);
    w.serve_provider(true);
    assert!(w.find("open").unwrap().get("url").unwrap().as_str().unwrap().ends_with("#screen=signup"));
    // Extra authorizationParams of getTokenSilently go with the refresh, as in auth0-spa-js.
    let mut w = crossless();
    w.sign_in(60);
    w.call("getToken", r#""cacheMode":"off","authorizationParams":{"organization":"org_1"}"#);
    let body = w.token_fetches().pop().unwrap().get("body").unwrap().as_str().unwrap().to_owned();
    assert!(body.ends_with("&organization=org_1"), "{body}");
    // With no refresh token and the fallback, the iframe gets them, and the call's timeout.
    let mut w = World::new(r#","crossTab":false,"useRefreshTokens":false"#);
    w.serve_provider(true);
    w.call("getToken", r#""timeoutInSeconds":4,"authorizationParams":{"ui_locales":"fr"}"#);
    w.serve_provider(true);
    let frame = w.find("frame").expect("a silent login renews");
    assert!(frame.get("url").unwrap().as_str().unwrap().contains("ui_locales=fr"));
    assert_eq!(w.find("timer").unwrap().get("ms").unwrap().as_i64(), Some(4000));
    let bad = w.call("getToken", r#""authorizationParams":{"state":"mine"}"#);
    assert_eq!(w.outcome(bad).unwrap().unwrap_err(), "invalid_options");
    // getTokenWithPopup takes `cacheMode` 'on' and 'off' (a popup's token is always fresh);
    // 'cache-only' would open no popup, and is refused.
    let cache_only = w.call("popupToken", r#""cacheMode":"cache-only""#);
    assert_eq!(w.outcome(cache_only).unwrap().unwrap_err(), "invalid_options");
    w.call("popupToken", r#""cacheMode":"off""#);
    assert!(w.find("frame").is_some() || w.find("fetch").is_some(), "a popup login starts");
}

impl World {
    fn dpop() -> World {
        let mut w = World::new(r#","crossTab":false,"useDpop":true"#);
        w.token_type = "DPoP";
        w.advertise_dpop = true;
        w
    }

    /// The proof claims of an effect.
    fn claims_of(f: &Value) -> Value {
        f.get("dpop").unwrap_or_else(|| panic!("no proof in {}", json::stringify(f))).clone()
    }

    /// Answers request `req` with `status`, `body` and a `DPoP-Nonce` header.
    fn reply_nonce(&mut self, req: u32, status: u16, body: &str, nonce: &str) {
        let mut b = String::new();
        json::write_str(&mut b, body);
        self.send(&format!(r#"{{"req":{req},"status":{status},"body":{b},"nonce":"{nonce}"}}"#));
    }
}

#[test]
fn with_use_dpop_every_post_to_the_provider_carries_a_proof_and_no_get_does() {
    let mut w = World::dpop();
    w.call("login", "");
    let discovery = w.fetch_to(&format!("{ISSUER}.well-known/openid-configuration")).unwrap();
    assert!(discovery.get("dpop").is_none(), "discovery is a GET without a proof");
    let mut w = World::dpop();
    w.sign_in(120);
    // The refresh: a proof for POST at the token endpoint, its nonce-less claims fresh.
    w.wait(100);
    w.call("getToken", "");
    let f = w.token_fetches().pop().expect("a refresh");
    let c = World::claims_of(&f);
    assert_eq!(c.get("htm").unwrap().as_str(), Some("POST"));
    assert_eq!(c.get("htu").unwrap().as_str(), Some(TOKEN_ENDPOINT));
    assert_eq!(c.get("iat").unwrap().as_i64(), Some(w.secs()));
    assert!(c.get("nonce").is_none() && c.get("ath").is_none());
    assert_eq!(base64url::decode(c.get("jti").unwrap().as_str().unwrap()).unwrap().len(), 16);
    w.reply(World::req(&f), 200, &w.token_response("at2", Some("rt2"), 120));
    assert!(w.e.session.entries()[0].dpop, "stored as DPoP-bound");
    // Without useDpop nothing carries a proof, and a DPoP token is refused.
    let mut plain = crossless();
    plain.sign_in(120);
    plain.wait(100);
    let call = plain.call("getToken", "");
    let f = plain.token_fetches().pop().unwrap();
    assert!(f.get("dpop").is_none());
    plain.token_type = "DPoP";
    let body = plain.token_response("at2", Some("rt2"), 120);
    plain.reply(World::req(&f), 200, &body);
    assert_eq!(plain.outcome(call).unwrap().unwrap_err(), "unsupported_token_type");
}

#[test]
fn a_bearer_answer_from_a_provider_that_advertises_dpop_is_a_downgrade() {
    let mut w = World::dpop();
    w.token_type = "Bearer";
    w.call("login", "");
    w.serve_provider(true);
    let open = w.find("open").unwrap();
    let url = open.get("url").unwrap().as_str().unwrap().to_owned();
    let q = crate::core::form::parse(url.split_once('?').unwrap().1).unwrap();
    let state = q.iter().find(|(n, _)| n == "state").unwrap().1.clone();
    w.send(&format!(r#"{{"req":{}}}"#, w.req_of("open")));
    let call = w.call("callback", &format!(r#""href":"https://app.example/cb?code=c1&state={state}""#));
    let f = w.fetch_to(TOKEN_ENDPOINT).unwrap();
    w.reply(World::req(&f), 200, &w.token_response("at1", Some("rt1"), 60));
    assert_eq!(w.outcome(call).unwrap().unwrap_err(), "dpop_downgrade");
    assert!(!w.e.session.is_authenticated(), "nothing is stored");
    // A provider that does not advertise DPoP may answer Bearer (RFC 9449 §5).
    let mut quiet = World::dpop();
    quiet.advertise_dpop = false;
    quiet.token_type = "Bearer";
    quiet.sign_in(60);
    assert!(!quiet.e.session.entries()[0].dpop);
}

#[test]
fn a_use_dpop_nonce_challenge_is_retried_once_with_the_nonce_which_is_kept() {
    let mut w = World::dpop();
    w.sign_in(120);
    w.wait(100);
    let call = w.call("getToken", "");
    let first = w.token_fetches().pop().unwrap();
    let req = World::req(&first);
    let challenge = r#"{"error":"use_dpop_nonce","error_description":"nonce required"}"#;
    w.reply_nonce(req, 400, challenge, "n1");
    let again = w.token_fetches().pop().expect("sent once more");
    assert_eq!(World::req(&again), req, "the same request, answered once");
    assert_eq!(World::claims_of(&again).get("nonce").unwrap().as_str(), Some("n1"));
    assert!(w.outcome(call).is_none());
    // A second challenge is the answer: no third request.
    w.reply_nonce(req, 400, challenge, "n2");
    assert!(w.token_fetches().is_empty());
    assert_eq!(w.outcome(call).unwrap().unwrap_err(), "use_dpop_nonce");
    // The newest nonce is used from then on, without a challenge.
    let call = w.call("getToken", "");
    let next = w.token_fetches().pop().unwrap();
    assert_eq!(World::claims_of(&next).get("nonce").unwrap().as_str(), Some("n2"));
    w.reply_nonce(World::req(&next), 200, &w.token_response("at3", Some("rt3"), 120), "n3");
    assert_eq!(w.outcome(call).unwrap().unwrap().as_str(), Some("at3"));
    let get = w.call("getDpopNonce", "");
    assert_eq!(w.outcome(get).unwrap().unwrap().as_str(), Some("n3"), "replaced by every answer that carries one");
}

#[test]
fn fetch_with_auth_sends_a_dpop_token_with_a_proof_bound_to_it_and_retries_an_api_nonce_once() {
    let mut w = World::dpop();
    w.sign_in(600);
    let call = w.call("fetch", r#""url":"https://app.example/api/me?x=1","method":"PUT""#);
    let f = w.find("authfetch").unwrap();
    assert_eq!(f.get("scheme").unwrap().as_str(), Some("DPoP"));
    let c = World::claims_of(&f);
    assert_eq!((c.get("htm").unwrap().as_str(), c.get("htu").unwrap().as_str()), (Some("PUT"), Some("https://app.example/api/me")));
    let ath = base64url::encode(&crate::core::hash::sha256(b"at1"));
    assert_eq!(c.get("ath").unwrap().as_str(), Some(ath.as_str()));
    let req = World::req(&f);
    w.send(&format!(r#"{{"req":{req},"status":401,"www":"DPoP error=\"use_dpop_nonce\"","nonce":"api-1"}}"#));
    let again = w.find("authfetch").expect("once more");
    assert_eq!(World::claims_of(&again).get("nonce").unwrap().as_str(), Some("api-1"));
    w.send(&format!(r#"{{"req":{req},"status":200}}"#));
    assert!(w.find("respond").is_some(), "{:?}", w.kinds());
    // The API's nonce is its own: the provider's is not it.
    let get = w.call("getDpopNonce", r#""id":"https://app.example""#);
    assert_eq!(w.outcome(get).unwrap().unwrap().as_str(), Some("api-1"));
    let get = w.call("getDpopNonce", "");
    assert_eq!(w.outcome(get).unwrap().unwrap(), Value::Null);
    let _ = call;
    // A Bearer session sends no proof.
    let mut plain = crossless();
    plain.sign_in(600);
    plain.call("fetch", r#""url":"https://app.example/api/me""#);
    let f = plain.find("authfetch").unwrap();
    assert!(f.get("dpop").is_none() && f.get("scheme").is_none());
}

#[test]
fn generate_dpop_proof_and_nonces_need_use_dpop_and_a_logout_resets_the_key() {
    let mut plain = crossless();
    let call = plain.call("generateDpopProof", r#""url":"https://api.example/x","method":"GET""#);
    assert_eq!(plain.outcome(call).unwrap().unwrap_err(), "invalid_options");
    let mut w = World::dpop();
    let call = w.call("generateDpopProof", r#""url":"https://api.example/x?q#f","method":"POST","nonce":"n","accessToken":"t""#);
    let p = w.find("proof").unwrap();
    assert_eq!(p.get("call").unwrap().as_i64(), Some(call.into()));
    let c = World::claims_of(&p);
    assert_eq!(c.get("htu").unwrap().as_str(), Some("https://api.example/x"));
    assert_eq!(c.get("nonce").unwrap().as_str(), Some("n"));
    assert!(c.get("ath").is_some());
    let bad = w.call("generateDpopProof", r#""url":"not a url","method":"GET""#);
    assert_eq!(w.outcome(bad).unwrap().unwrap_err(), "invalid_options");
    let set = w.call("setDpopNonce", r#""nonce":"x1","id":"https://api.example""#);
    assert!(w.outcome(set).unwrap().is_ok());
    w.sign_in(600);
    w.call("logout", r#""openUrl":false"#);
    let reset = w.find("dpopReset").expect("the key goes with the session");
    assert_eq!(reset.get("wipe").unwrap().as_bool(), Some(true));
    // Another tab's logout: this tab forgets its key, and leaves the stored one alone.
    let mut tab = World::new(r#","useDpop":true"#);
    tab.token_type = "DPoP";
    tab.advertise_dpop = true;
    assert!(tab.e.tabs.channel.is_some());
    tab.sign_in(600);
    tab.send(&format!(r#"{{"tab":{}}}"#, json_string(&crate::core::tabs::logout_message())));
    assert_eq!(tab.find("dpopReset").unwrap().get("wipe").unwrap().as_bool(), Some(false));
}

#[test]
fn a_pushed_request_carries_every_parameter_and_the_browser_gets_only_client_id_and_request_uri() {
    let par = "https://op.example/par";
    let mut w = World::new(&format!(r#","crossTab":false,"usePar":true,"endpoints":{{"pushed_authorization_request_endpoint":"{par}"}}"#));
    let call = w.call("login", r#""authorizationParams":{"organization":"org_1"},"fragment":"f""#);
    w.serve_provider(true);
    assert!(w.find("open").is_none(), "nothing opens before the push answers");
    let push = w.fetch_to(par).expect("the request is pushed");
    let body = crate::core::form::parse(push.get("body").unwrap().as_str().unwrap()).unwrap();
    let names: Vec<&str> = body.iter().map(|(k, _)| k.as_str()).collect();
    for n in [
        "client_id",
        "response_type",
        "redirect_uri",
        "scope",
        "audience",
        "state",
        "nonce",
        "code_challenge",
        "code_challenge_method",
        "organization",
    ] {
        assert!(names.contains(&n), "{n} in {names:?}");
    }
    w.reply(World::req(&push), 201, r#"{"request_uri":"urn:ietf:params:oauth:request_uri:abc","expires_in":60}"#);
    let open = w.find("open").unwrap();
    assert_eq!(
        open.get("url").unwrap().as_str(),
        Some("https://op.example/auth?client_id=spa&request_uri=urn%3Aietf%3Aparams%3Aoauth%3Arequest_uri%3Aabc#f")
    );
    assert!(w.outcome(call).is_none());
    // A PAR error rejects, opens nothing and leaves no transaction behind.
    for (status, body, want) in
        [(400, r#"{"error":"invalid_request"}"#, "invalid_request"), (503, "", "unexpected_status"), (201, "{}", "invalid_response")]
    {
        let mut w =
            World::new(&format!(r#","crossTab":false,"usePar":true,"endpoints":{{"pushed_authorization_request_endpoint":"{par}"}}"#));
        let call = w.call("login", "");
        w.serve_provider(true);
        let push = w.fetch_to(par).unwrap();
        w.reply(World::req(&push), status, body);
        assert_eq!(w.outcome(call).unwrap().unwrap_err(), want);
        assert!(w.find("open").is_none());
        assert!(w.tx_keys().is_empty(), "no transaction is left");
    }
    // Required by the provider: frames push too; without either, nothing is pushed.
    let mut w = World::new(r#","crossTab":false"#);
    w.call("checkSession", "");
    let body = discovery_body().replace(
        "\"jwks_uri\"",
        &format!(r#""pushed_authorization_request_endpoint":"{par}","require_pushed_authorization_requests":true,"jwks_uri""#),
    );
    let d = w.fetch_to(&format!("{ISSUER}.well-known/openid-configuration")).unwrap();
    w.reply(World::req(&d), 200, &body);
    let push = w.fetch_to(par).expect("checkSession pushes");
    assert!(w.find("frame").is_none());
    w.reply(World::req(&push), 201, r#"{"request_uri":"urn:x","expires_in":60}"#);
    assert!(w.find("frame").unwrap().get("url").unwrap().as_str().unwrap().ends_with("?client_id=spa&request_uri=urn%3Ax"));
    let mut plain = World::new(r#","crossTab":false"#);
    plain.call("login", "");
    plain.serve_provider(true);
    assert!(plain.find("open").is_some() && plain.all("fetch").is_empty());
}

#[test]
fn at_hash_is_checked_against_the_digest_webcrypto_computes_with_the_signature() {
    let half = |t: &str| base64url::encode(&crate::core::hash::sha256(t.as_bytes())[..16]);
    let mut w = crossless();
    w.extra_claims = format!(r#","at_hash":"{}""#, half("at1"));
    w.sign_in(60);
    // A wrong at_hash, or a digest that never came back, fails the login: nothing is stored.
    for (at_hash, digests) in [(half("another"), true), (half("at1"), false)] {
        let mut w = crossless();
        w.extra_claims = format!(r#","at_hash":"{at_hash}""#);
        w.digests = digests;
        w.call("login", "");
        w.serve_provider(true);
        let url = w.find("open").unwrap().get("url").unwrap().as_str().unwrap().to_owned();
        let q = crate::core::form::parse(url.split_once('?').unwrap().1).unwrap();
        let get = |k: &str| q.iter().find(|(n, _)| n == k).unwrap().1.clone();
        w.send(&format!(r#"{{"req":{}}}"#, w.req_of("open")));
        let call = w.call("callback", &format!(r#""href":"https://app.example/cb?code=c1&state={}""#, get("state")));
        let token = w.fetch_to(TOKEN_ENDPOINT).unwrap();
        w.serve_provider(true);
        let claims = format!(
            r#"{{"iss":"{ISSUER}","sub":"u1","aud":"spa","exp":{},"iat":{},"nonce":"{}","at_hash":"{at_hash}"}}"#,
            w.secs() + 600,
            w.secs(),
            get("nonce")
        );
        let body = format!(r#"{{"access_token":"at1","token_type":"Bearer","expires_in":60,"id_token":"{}"}}"#, id_token(&claims));
        w.reply(World::req(&token), 200, &body);
        let verify = w.find("verify").or_else(|| {
            w.serve_provider(true);
            None
        });
        if let Some(v) = verify {
            assert_eq!(v.get("digest").unwrap().as_str(), Some("at1"), "the access token is hashed by WebCrypto");
            w.serve_provider(true);
        }
        assert_eq!(w.outcome(call).unwrap().unwrap_err(), "invalid_id_token", "{at_hash} {digests}");
        assert!(!w.e.session.is_authenticated());
    }
}

#[test]
fn a_persisted_session_is_restored_by_one_refresh_whose_rotated_token_is_stored_before_init_resolves() {
    let options = r#","crossTab":false,"useDpop":true,"persistSession":true"#;
    let mut w = World::new(options);
    w.token_type = "DPoP";
    w.advertise_dpop = true;
    assert!(w.outcome(999).is_none(), "createAuthClient waits for the restore");
    let req = w.req_of("restore");
    w.send(&format!(r#"{{"req":{req},"rt":"rt0"}}"#));
    w.serve_provider(true);
    let f = w.token_fetches().pop().expect("one refresh");
    assert!(f.get("body").unwrap().as_str().unwrap().contains("refresh_token=rt0"));
    assert!(f.get("dpop").is_some(), "with a proof");
    let claims = format!(r#"{{"iss":"{ISSUER}","sub":"u1","aud":"spa","exp":{},"iat":{}}}"#, w.secs() + 600, w.secs());
    let body =
        format!(r#"{{"access_token":"at1","token_type":"DPoP","expires_in":60,"refresh_token":"rt1","id_token":"{}"}}"#, id_token(&claims));
    w.reply(World::req(&f), 200, &body);
    w.serve_provider(true);
    let kinds = w.kinds();
    let persist = kinds.iter().position(|k| k == "persist").expect("the rotated token is stored");
    let resolved = kinds.iter().position(|k| k == "resolve").unwrap();
    assert!(persist < resolved, "stored before the tokens are handed out: {kinds:?}");
    assert_eq!(w.find("persist").unwrap().get("rt").unwrap().as_str(), Some("rt1"));
    assert!(w.outcome(999).unwrap().is_ok());
    assert!(w.e.session.is_authenticated());
    assert_eq!(w.e.cached(None, None, w.now).as_deref(), Some("at1"));
    // A refused token ends the session and wipes what is stored; init still resolves.
    let mut w = World::new(options);
    let req = w.req_of("restore");
    w.send(&format!(r#"{{"req":{req},"rt":"rt-old"}}"#));
    w.serve_provider(true);
    let f = w.token_fetches().pop().unwrap();
    w.reply(World::req(&f), 400, r#"{"error":"invalid_grant"}"#);
    assert_eq!(w.find("dpopReset").unwrap().get("wipe").unwrap().as_bool(), Some(true));
    assert!(w.outcome(999).unwrap().is_ok() && !w.e.session.is_authenticated());
    // Nothing stored: no request at all.
    let mut w = World::new(options);
    let req = w.req_of("restore");
    w.send(&format!(r#"{{"req":{req}}}"#));
    assert!(w.outcome(999).unwrap().is_ok() && w.all("fetch").is_empty());
    // Without DPoP, persisting is refused.
    let o = format!(r#"{{"domain":"{ISSUER}","clientId":"spa","persistSession":true}}"#);
    let e = wire::options(&o).and_then(|o| Engine::new(o, Box::new(MemoryStore::default()))).err().unwrap();
    assert_eq!((e.code(), e.check()), ("invalid_options", "persistSession"));
    // Logout wipes, and revocation removes the stored token.
    let mut w = World::new(options);
    w.token_type = "DPoP";
    w.advertise_dpop = true;
    let req = w.req_of("restore");
    w.send(&format!(r#"{{"req":{req}}}"#));
    w.sign_in(60);
    assert_eq!(w.find("persist").unwrap().get("rt").unwrap().as_str(), Some("rt1"), "a login stores its refresh token");
    w.call("revoke", "");
    let f = w.fetch_to("https://op.example/revoke").unwrap();
    w.reply(World::req(&f), 200, "");
    assert!(w.find("persist").unwrap().get("rt").is_none(), "a revoked token leaves storage");
}

#[test]
fn a_pushed_request_that_times_out_rejects_before_navigating() {
    let par = "https://op.example/par";
    let mut w = World::new(&format!(r#","crossTab":false,"usePar":true,"endpoints":{{"pushed_authorization_request_endpoint":"{par}"}}"#));
    let call = w.call("login", "");
    w.serve_provider(true);
    let push = w.fetch_to(par).unwrap();
    w.send(&format!(r#"{{"req":{},"error":"timeout"}}"#, World::req(&push)));
    assert_eq!(w.outcome(call).unwrap().unwrap_err(), "timeout");
    assert!(w.find("open").is_none() && w.tx_keys().is_empty());
}
