//! Query and form components, for authorize query strings, token request bodies and
//! callback parameters. Encoding is RFC 3986 percent-encoding of everything but the
//! unreserved characters (§2.1, §2.3), which every `application/x-www-form-urlencoded`
//! parser (WHATWG URL §5) reads back; decoding follows that format (`+` is a space).

use crate::core::text;

/// Percent-encodes everything but RFC 3986 §2.3 unreserved characters.
/// Spaces become `%20`, which both form decoders and strict URI parsers accept.
pub fn encode(out: &mut String, s: &str) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for &b in s.as_bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push('%');
            out.push(HEX[(b >> 4) as usize] as char);
            out.push(HEX[(b & 15) as usize] as char);
        }
    }
}

/// Decodes one form component: `+` is a space, `%XX` a byte; the result must be UTF-8.
/// `None` for a broken escape or invalid UTF-8.
pub fn decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = bytes.get(i + 1..i + 3)?;
                let hi = (hex[0] as char).to_digit(16)?;
                let lo = (hex[1] as char).to_digit(16)?;
                out.push((hi * 16 + lo) as u8);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    super::text::utf8(out)
}

/// Splits `a=1&b=2` into decoded pairs, in order, keeping duplicates.
/// `None` if any component fails to decode.
pub fn parse(query: &str) -> Option<Vec<(String, String)>> {
    let mut pairs = Vec::new();
    for pair in super::text::split(query, b"&").filter(|p| !p.is_empty()) {
        let (k, v) = super::text::split_once(pair, b"=").unwrap_or((pair, ""));
        pairs.push((decode(k)?, decode(v)?));
    }
    Some(pairs)
}

/// Builds `k=v&k=v` with both sides encoded.
#[derive(Default)]
pub struct Serializer(String);

impl Serializer {
    /// Appends one pair.
    pub fn pair(mut self, k: &str, v: &str) -> Self {
        if !self.0.is_empty() {
            self.0.push('&');
        }
        encode(&mut self.0, k);
        self.0.push('=');
        encode(&mut self.0, v);
        self
    }
    /// Appends one pair when `v` is `Some`.
    pub fn opt(self, k: &str, v: Option<&str>) -> Self {
        match v {
            Some(v) => self.pair(k, v),
            None => self,
        }
    }
    /// The finished string.
    pub fn finish(self) -> String {
        self.0
    }
}

/// Appends a query string to a URL that may already have one (OIDC Discovery allows
/// endpoints with a query; RFC 6749 §3.1 says it must be kept).
pub fn append_query(url: &str, query: &str) -> String {
    let (base, fragment) = super::text::split_once(url, b"#").map_or((url, None), |(b, f)| (b, Some(f)));
    let sep = if text::has(base.as_bytes(), b'?') {
        if base.ends_with("?") || base.ends_with("&") {
            ""
        } else {
            "&"
        }
    } else {
        "?"
    };
    let _ = fragment; // RFC 6749 §3.1: an endpoint URI must not have a fragment; it is dropped.
    text::cat(&[base, sep, query])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_reserved_and_unicode() {
        let mut s = String::new();
        encode(&mut s, "a b+c&d=é/~");
        assert_eq!(s, "a%20b%2Bc%26d%3D%C3%A9%2F~");
    }

    #[test]
    fn decodes_form_components() {
        assert_eq!(decode("a+b%20c%2B").as_deref(), Some("a b c+"));
        assert_eq!(decode("%C3%A9").as_deref(), Some("é"));
        for bad in ["%", "%4", "%zz", "%C3", "%FF"] {
            assert_eq!(decode(bad), None, "{bad}");
        }
    }

    #[test]
    fn parses_pairs_in_order() {
        let p = parse("a=1&&b=&c&a=2").unwrap();
        let want = [("a", "1"), ("b", ""), ("c", ""), ("a", "2")];
        assert_eq!(p.len(), want.len());
        for ((k, v), (wk, wv)) in p.iter().zip(want) {
            assert_eq!((k.as_str(), v.as_str()), (wk, wv));
        }
        assert_eq!(parse("a=%"), None);
    }

    #[test]
    fn round_trips_through_serializer() {
        let q = Serializer::default().pair("scope", "openid profile").opt("x", None).pair("k+", "ü&=").finish();
        assert_eq!(q, "scope=openid%20profile&k%2B=%C3%BC%26%3D");
        let back = parse(&q).unwrap();
        assert_eq!(back[1], ("k+".to_string(), "ü&=".to_string()));
    }

    #[test]
    fn appends_to_existing_queries() {
        assert_eq!(append_query("https://a/authorize", "x=1"), "https://a/authorize?x=1");
        assert_eq!(append_query("https://a/authorize?tenant=t", "x=1"), "https://a/authorize?tenant=t&x=1");
        assert_eq!(append_query("https://a/authorize?", "x=1"), "https://a/authorize?x=1");
        assert_eq!(append_query("https://a/authorize#frag", "x=1"), "https://a/authorize?x=1");
    }
}
