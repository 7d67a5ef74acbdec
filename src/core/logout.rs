//! Where logout navigates: the provider's `end_session_endpoint`
//! ([OpenID Connect RP-Initiated Logout 1.0 §2]), or Auth0's `/v2/logout`.
//!
//! [OpenID Connect RP-Initiated Logout 1.0 §2]: https://openid.net/specs/openid-connect-rpinitiated-1_0.html#RPLogout

use super::config::Config;
use super::discovery::Metadata;
use super::form::{self, Serializer};
use crate::core::text;

/// What the app passes as `logoutParams`.
#[derive(Clone, Debug, Default)]
pub struct LogoutParams {
    /// Where the provider sends the browser back (`post_logout_redirect_uri` / `returnTo`).
    pub return_to: Option<String>,
    /// Auth0: also sign out of the upstream identity provider (`/v2/logout` and `/oidc/logout`
    /// both take it).
    pub federated: bool,
    /// auth0-spa-js's `clientId`: `None` for the client's own, `Some(None)` (`clientId: null`)
    /// to send none.
    pub client_id: Option<Option<String>>,
    /// Every other `logoutParams` member, sent as given (`ui_locales`, `logout_hint`, …).
    pub extra: Vec<(String, String)>,
}

/// The logout URL. With an `end_session_endpoint` it carries `client_id`,
/// `post_logout_redirect_uri` and `id_token_hint`; without one, Auth0's
/// `/v2/logout?client_id&returnTo` on the domain (Auth0 tenants without
/// RP-initiated logout enabled publish no end-session endpoint).
pub fn url(config: &Config, metadata: &Metadata, params: &LogoutParams, id_token_hint: Option<&str>) -> String {
    let client_id = match &params.client_id {
        None => Some(config.client_id.as_str()),
        Some(id) => id.as_deref(),
    };
    let mut q = Serializer::default().opt("client_id", client_id);
    let endpoint = match &metadata.end_session_endpoint {
        Some(endpoint) => {
            q = q.opt("post_logout_redirect_uri", params.return_to.as_deref()).opt("id_token_hint", id_token_hint);
            endpoint.clone()
        }
        None => {
            q = q.opt("returnTo", params.return_to.as_deref());
            text::cat(&[&config.base_url, "/v2/logout"])
        }
    };
    for (k, v) in &params.extra {
        q = q.pair(k, v);
    }
    let mut q = q.finish();
    if params.federated {
        q.push_str(if q.is_empty() { "federated" } else { "&federated" });
    }
    form::append_query(&endpoint, &q)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::config::Options;

    #[test]
    fn end_session_and_auth0_forms() {
        let config = Config::new(Options { domain: "t.auth0.com".into(), client_id: "c".into(), ..Options::default() }).unwrap();
        let mut meta = crate::core::discovery::auth0_like(&config);
        let p = LogoutParams { return_to: Some("https://app/?x=1".into()), federated: true, ..LogoutParams::default() };
        assert_eq!(
            url(&config, &meta, &p, Some("h")),
            "https://t.auth0.com/v2/logout?client_id=c&returnTo=https%3A%2F%2Fapp%2F%3Fx%3D1&federated"
        );
        meta.end_session_endpoint = Some("https://t.auth0.com/oidc/logout".into());
        assert_eq!(
            url(&config, &meta, &p, Some("h.i.j")),
            "https://t.auth0.com/oidc/logout?client_id=c&post_logout_redirect_uri=https%3A%2F%2Fapp%2F%3Fx%3D1&id_token_hint=h.i.j&federated",
            "federated is kept with an end-session endpoint too (Auth0's /oidc/logout takes it)"
        );
        let other = LogoutParams { client_id: Some(None), extra: vec![("ui_locales".into(), "fr".into())], ..LogoutParams::default() };
        assert_eq!(url(&config, &meta, &other, None), "https://t.auth0.com/oidc/logout?ui_locales=fr");
        let named = LogoutParams { client_id: Some(Some("other".into())), ..LogoutParams::default() };
        assert_eq!(url(&config, &meta, &named, None), "https://t.auth0.com/oidc/logout?client_id=other");
        assert_eq!(url(&config, &meta, &LogoutParams::default(), None), "https://t.auth0.com/oidc/logout?client_id=c");
    }
}
