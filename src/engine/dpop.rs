//! DPoP ([RFC 9449]): which requests carry a proof, what it claims, the servers' nonces,
//! and the one retry a `use_dpop_nonce` challenge earns.
//!
//! The key pair is the loop's: a non-extractable ES256 `CryptoKey` that never enters the
//! wasm. The engine decides every claim (`htm`, `htu`, `iat`, `jti`, `nonce`, `ath`) and
//! the loop signs them with that key (`dpop` in a `fetch` or `authfetch` effect, or a
//! `proof` effect for `generateDpopProof`). One key serves a session: a session's end
//! resets it (`dpopReset`), in this tab and every other.
//!
//! ```text
//! POST to the provider ─► fetch {dpop: claims}  ─► 400 use_dpop_nonce + DPoP-Nonce ─► once more, with the nonce
//! fetchWithAuth        ─► authfetch {dpop: claims + ath} ─► 401 DPoP error="use_dpop_nonce" ─► once more
//! ```
//!
//! [RFC 9449]: https://www.rfc-editor.org/rfc/rfc9449

use super::{fx, Engine};
use crate::core::error::{code, Error, Result};
use crate::core::json::{self, ObjectWriter, Value};
use crate::core::{base64url, config, hash, text, token};

/// A request sent, kept while it may still be retried with a new nonce.
pub(crate) struct Sent {
    pub req: u32,
    pub method: String,
    pub url: String,
    /// A form body (requests to the provider).
    pub body: Option<String>,
    /// `fetchWithAuth`: its call, and the access token it carries.
    pub call: u32,
    pub token: Option<String>,
    /// Whether it carries a proof (and so may be retried once with a nonce).
    pub proof: bool,
    pub retried: bool,
}

crate::redacted_debug!(Sent);

/// The nonce of the authorization server is kept under this id; a resource server's under
/// its origin (auth0-spa-js's `getDpopNonce(id)`).
const AUTH_SERVER: &str = "";

impl Sent {
    /// Whose nonce this request uses and updates: an API's, under its origin, or the
    /// provider's.
    fn nonce_id(&self) -> String {
        match self.token {
            Some(_) => config::origin_of(&self.url).unwrap_or_default(),
            None => AUTH_SERVER.to_owned(),
        }
    }
}

/// `htu` (RFC 9449 §4.2): the request URL without query and fragment.
fn htu(url: &str) -> &str {
    text::until(url, b"?#")
}

impl Engine {
    /// Performs `sent`: a `fetch` to the provider, or `fetchWithAuth`'s `authfetch`, with a
    /// proof when it needs one (every POST to the provider with `useDpop`, RFC 9449 §5; an
    /// API request with a DPoP-bound token, §7).
    pub(crate) fn send(&mut self, sent: Sent) {
        let claims = if sent.proof {
            let nonce = self.nonce(&sent.nonce_id()).map(str::to_owned);
            self.proof_claims(&sent.method, &sent.url, nonce.as_deref(), sent.token.as_deref())
        } else {
            None
        };
        let w = match &sent.token {
            None => fx("fetch")
                .int("req", sent.req.into())
                .str("method", &sent.method)
                .str("url", &sent.url)
                .opt_str("body", sent.body.as_deref())
                .int("timeout", i64::from(self.config.http_timeout_secs) * 1000)
                .int("max", token::MAX_RESPONSE_BYTES as i64),
            Some(t) => fx("authfetch")
                .int("req", sent.req.into())
                .int("call", sent.call.into())
                .str("token", t)
                .opt_str("scheme", sent.proof.then_some("DPoP")),
        };
        self.emit(match &claims {
            Some(c) => w.raw("dpop", c),
            None => w,
        });
        if sent.proof {
            self.sent.push(sent);
        }
    }

    /// A proof's claims (RFC 9449 §4.2), as JSON; `ath` binds it to `access_token` (§7.1).
    pub(crate) fn proof_claims(&self, method: &str, url: &str, nonce: Option<&str>, access_token: Option<&str>) -> Option<String> {
        let jti = super::random32().ok()?;
        let ath = access_token.map(|t| base64url::encode(&hash::sha256(t.as_bytes())));
        let w = ObjectWriter::default()
            .str("jti", &base64url::encode(&jti[..16]))
            .str("htm", method)
            .str("htu", htu(url))
            .int("iat", self.now())
            .opt_str("nonce", nonce)
            .opt_str("ath", ath.as_deref());
        Some(w.finish())
    }

    fn nonce(&self, id: &str) -> Option<&str> {
        self.nonces.iter().find(|(k, _)| k == id).map(|(_, n)| n.as_str())
    }

    fn set_nonce(&mut self, id: &str, nonce: &str) {
        self.nonces.retain(|(k, _)| k != id);
        self.nonces.push((id.to_owned(), nonce.to_owned()));
    }

    /// The answer to a request with a proof: the server's `DPoP-Nonce` replaces the one
    /// held for it (RFC 9449 §8.2); a `use_dpop_nonce` challenge that brought a nonce is
    /// retried once with it (§8 for the provider, §9 for an API). `true` when the request
    /// was sent again, and its answer is still to come.
    pub(crate) fn on_sent(&mut self, req: u32, ev: &Value) -> bool {
        let Some(i) = self.sent.iter().position(|s| s.req == req) else {
            return false;
        };
        let Some(nonce) = ev.str_of("nonce").ok().flatten() else {
            self.sent.swap_remove(i);
            return false;
        };
        let api = self.sent[i].token.is_some();
        let id = self.sent[i].nonce_id();
        self.set_nonce(&id, nonce);
        let status = ev.int_of("status").ok().flatten().unwrap_or(0);
        let challenged = if api {
            status == 401 && ev.str_of("www").ok().flatten().is_some_and(|w| token::is_challenge(w, "use_dpop_nonce"))
        } else {
            let body = ev.str_of("body").ok().flatten().unwrap_or_default();
            status == 400 && json::parse(body).is_ok_and(|b| b.str_of("error") == Ok(Some("use_dpop_nonce")))
        };
        let mut sent = self.sent.swap_remove(i);
        if !challenged || sent.retried {
            return false;
        }
        sent.retried = true;
        self.send(sent);
        true
    }

    /// `generateDpopProof`, `getDpopNonce` and `setDpopNonce`, with auth0-spa-js's shapes.
    pub(crate) fn call_dpop(&mut self, call: u32, op: &str, ev: &Value) -> Result<()> {
        if !self.config.use_dpop {
            return Err(Error::new(code::INVALID_OPTIONS, "DPoP needs useDpop: true").at("useDpop"));
        }
        let id = super::wire::opt_string(ev, "id")?.unwrap_or_default();
        match op {
            "getDpopNonce" => {
                let mut s = String::new();
                match self.nonce(&id) {
                    Some(n) => json::write_str(&mut s, n),
                    None => s.push_str("null"),
                }
                self.resolve(call, &s);
            }
            "setDpopNonce" => {
                let nonce = super::wire::opt_string(ev, "nonce")?
                    .ok_or_else(|| Error::new(code::INVALID_OPTIONS, "nonce is required").at("nonce"))?;
                self.set_nonce(&id, &nonce);
                self.resolve(call, "null");
            }
            _ => {
                let url = super::wire::opt_string(ev, "url")?.unwrap_or_default();
                if config::host_of(&url).is_none() {
                    return Err(Error::new(code::INVALID_OPTIONS, "url must be an absolute URL").at("url"));
                }
                let method = super::wire::opt_string(ev, "method")?.unwrap_or_else(|| "GET".to_owned());
                let nonce = super::wire::opt_string(ev, "nonce")?;
                let token = super::wire::opt_string(ev, "accessToken")?;
                let claims = self
                    .proof_claims(&method, &url, nonce.as_deref(), token.as_deref())
                    .ok_or_else(|| Error::new(code::BROWSER_ERROR, "crypto.getRandomValues failed"))?;
                self.emit(fx("proof").int("call", call.into()).raw("dpop", &claims));
            }
        }
        Ok(())
    }

    /// A session ended: its key goes too. The tab that ended it removes the stored key;
    /// the others only forget theirs, so a key another tab has made since survives.
    pub(crate) fn dpop_reset(&mut self, wipe: bool) {
        if self.config.use_dpop {
            self.emit(fx("dpopReset").bool("wipe", wipe));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::htu;

    #[test]
    fn htu_has_no_query_and_no_fragment() {
        assert_eq!(htu("https://as.example/token?x=1#f"), "https://as.example/token");
        assert_eq!(htu("https://api.example/a/b#f"), "https://api.example/a/b");
        assert_eq!(htu("https://api.example/a"), "https://api.example/a");
    }
}
