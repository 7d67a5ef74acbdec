//! Secret newtypes: their `Debug` and `Display` print `[redacted]`, so a secret
//! never reaches a log line, a panic message or an error description by accident.
//! Read the value with `secret()`, at the one place that must send it.

use std::fmt;

macro_rules! secret {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq)]
        pub struct $name(String);

        impl $name {
            /// Wraps a secret value.
            pub fn new(value: String) -> Self {
                $name(value)
            }
            /// The secret itself. Call it only where the value is sent on the wire.
            pub fn secret(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(concat!(stringify!($name), "([redacted])"))
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("[redacted]")
            }
        }
    };
}

/// `Debug` as `Name([redacted])` for a type that holds a token or a code somewhere inside
/// (a parsed body, a decoded JWT), so no build flag or `{:?}` can print it.
#[macro_export]
macro_rules! redacted_debug {
    ($($name:ty),*) => {$(
        impl std::fmt::Debug for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(concat!(stringify!($name), "([redacted])"))
            }
        }
    )*};
}

secret!(
    /// An OAuth 2.0 access token (RFC 6749 §1.4).
    AccessToken
);
secret!(
    /// An OAuth 2.0 refresh token (RFC 6749 §1.5). Rotated on every use where the provider rotates.
    RefreshToken
);
secret!(
    /// The compact serialization of an ID token (OIDC Core §2).
    IdToken
);
secret!(
    /// A one-time authorization code (RFC 6749 §4.1.2).
    AuthorizationCode
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_and_display_are_redacted() {
        let t = AccessToken::new("eyJ.secret.value".into());
        assert_eq!(format!("{t:?}"), "AccessToken([redacted])");
        assert_eq!(format!("{t}"), "[redacted]");
        assert_eq!(t.secret(), "eyJ.secret.value");
        let c = AuthorizationCode::new("abc".into());
        assert!(!format!("{c:?} {c}").contains("abc"));
    }
}
