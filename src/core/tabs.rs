//! The messages tabs of one origin exchange over a `BroadcastChannel` to share one
//! session without storage: the session itself (after a login or a refresh), a request
//! for a newer one, and logout. Parsing is strict: anything else is ignored.
//!
//! A message carries tokens, so it goes only to same-origin tabs of the same issuer and
//! client (the channel's name); it is never written anywhere.

use super::cache::{CurrentIdToken, Entry, Session};
use super::id_token;
use super::json::{self, ObjectWriter, Value};
use super::secret::{AccessToken, IdToken, RefreshToken};
use crate::core::text;

/// A message between tabs.
#[derive(Debug)]
pub enum Message {
    /// A tab's session, at its generation: adopt it if it is newer than yours.
    Session(Session),
    /// A tab asks for any session newer than `generation`.
    Sync {
        /// The asker's generation.
        generation: i64,
    },
    /// A tab signed out: forget the session.
    Logout,
}

/// The channel and lock name for one issuer and client.
pub fn channel_name(issuer: &str, client_id: &str) -> String {
    // Without the trailing slash: an origin issuer may gain or lose it at discovery.
    text::cat(&["spa-auth:", text::trim_slashes(issuer), ":", client_id])
}

/// The `session` message for `session`.
pub fn session_message(session: &Session) -> String {
    let mut entries = String::from("[");
    for (i, e) in session.entries().iter().enumerate() {
        if i > 0 {
            entries.push(',');
        }
        let entry = ObjectWriter::default()
            .opt_str("audience", e.audience.as_deref())
            .str("scope", &e.scope)
            .str("granted_scope", &e.granted_scope)
            .str("access_token", e.access_token.secret())
            .int("expires_at", e.expires_at)
            .int("lifetime", e.lifetime)
            .bool("dpop", e.dpop)
            .finish();
        entries.push_str(&entry);
    }
    entries.push(']');
    ObjectWriter::default()
        .str("type", "session")
        .int("generation", session.generation())
        .opt_str("refresh_token", session.refresh_token().map(|t| t.secret()))
        .opt_str("id_token", session.id_token().map(|t| t.raw.secret()))
        .raw("entries", &entries)
        .finish()
}

/// The `sync` message.
pub fn sync_message(generation: i64) -> String {
    ObjectWriter::default().str("type", "sync").int("generation", generation).finish()
}

/// The `logout` message.
pub fn logout_message() -> String {
    ObjectWriter::default().str("type", "logout").finish()
}

/// Parses a message; `None` for anything malformed or unknown.
pub fn parse(text: &str) -> Option<Message> {
    let v = json::parse(text).ok()?;
    match v.get("type")?.as_str()? {
        "logout" => Some(Message::Logout),
        "sync" => Some(Message::Sync { generation: v.int_of("generation").ok()?? }),
        "session" => parse_session(&v).map(Message::Session),
        _ => None,
    }
}

fn parse_session(v: &Value) -> Option<Session> {
    let generation = v.int_of("generation").ok()?.filter(|g| *g > 0)?;
    let refresh_token = v.string_of("refresh_token").ok()?.map(RefreshToken::new);
    let id_token = match v.string_of("id_token").ok()? {
        None => None,
        Some(raw) => {
            let jwt = id_token::decode(&raw).ok()?;
            Some(CurrentIdToken { raw: IdToken::new(raw), claims_json: jwt.payload_json, sub: jwt.claims.sub })
        }
    };
    let mut entries = Vec::new();
    for e in v.get("entries")?.as_array()? {
        entries.push(Entry {
            audience: e.string_of("audience").ok()?,
            scope: e.string_of("scope").ok()??,
            granted_scope: e.string_of("granted_scope").ok()??,
            access_token: AccessToken::new(e.string_of("access_token").ok()??),
            expires_at: e.int_of("expires_at").ok()??,
            lifetime: e.int_of("lifetime").ok()??,
            dpop: e.bool_of("dpop").ok()?.unwrap_or(false),
        });
    }
    Some(Session::restore(entries, refresh_token, id_token, generation))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::id_token::tests::token;
    use crate::core::token::TokenResponse;

    fn session() -> Session {
        let mut s = Session::default();
        let raw = token(r#"{"iss":"https://i/","sub":"u1","aud":"c","exp":2000,"iat":1000}"#);
        let jwt = id_token::decode(&raw).unwrap();
        let response = TokenResponse {
            access_token: AccessToken::new("at \"1\"".into()),
            expires_in: 300,
            id_token: None,
            refresh_token: Some(RefreshToken::new("rt".into())),
            scope: Some("openid read".into()),
            dpop: true,
        };
        s.store(Some("https://api/"), "openid read", response, Some((IdToken::new(raw), jwt)), 1000);
        s.set_generation(1_700_000_000_000);
        s
    }

    #[test]
    fn a_session_crosses_intact() {
        let s = session();
        let Some(Message::Session(back)) = parse(&session_message(&s)) else { panic!("not a session") };
        assert_eq!(back.generation(), s.generation());
        assert_eq!(back.refresh_token().unwrap().secret(), "rt");
        assert_eq!(back.id_token().unwrap().sub, "u1");
        let e = back.get(Some("https://api/"), "read", 1000, 60).unwrap();
        assert_eq!((e.access_token.secret(), e.expires_at, e.granted_scope.as_str(), e.dpop), ("at \"1\"", 1300, "openid read", true));
    }

    #[test]
    fn other_messages() {
        assert!(matches!(parse(&sync_message(42)), Some(Message::Sync { generation: 42 })));
        assert!(matches!(parse(&logout_message()), Some(Message::Logout)));
        assert_eq!(channel_name("https://i/", "c"), "spa-auth:https://i:c");
        assert_eq!(channel_name("https://i", "c"), channel_name("https://i/", "c"), "an origin issuer with or without its slash");
    }

    #[test]
    fn malformed_messages_are_ignored() {
        let good = session_message(&session());
        for bad in [
            String::new(),
            "null".into(),
            "{}".into(),
            r#"{"type":"hello"}"#.into(),
            r#"{"type":"sync"}"#.into(),
            r#"{"type":"sync","generation":"1"}"#.into(),
            good.replace("\"generation\":1700000000000", "\"generation\":0"),
            good.replace("\"refresh_token\":\"rt\"", "\"refresh_token\":5"),
            good.replace("\"expires_at\":1300", "\"expires_at\":\"1300\""),
            good.replace("\"access_token\":\"at \\\"1\\\"\"", "\"access_token\":\"\""),
            good.replace("\"id_token\":\"", "\"id_token\":\"x"),
            good.replace("\"entries\":[", "\"entries\":{").replace("}]}", "}}}"),
        ] {
            assert!(parse(&bad).is_none(), "{bad}");
        }
    }
}
