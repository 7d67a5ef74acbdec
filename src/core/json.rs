//! A small, strict JSON reader and string writer (RFC 8259).
//!
//! The SDK reads three kinds of JSON: provider metadata, token responses and
//! JWT parts. A hand-written reader keeps `core::fmt` float formatting and
//! serde's error paths out of the wasm (about 17 KB gzipped measured), and is
//! strict where the specs ask for it:
//! - duplicate member names are rejected (RFC 7519 §4, RFC 7515 §5.2 allow it);
//! - numbers keep their source text, so no float parsing is compiled in;
//! - nesting is bounded, so hostile input cannot overflow the stack.

/// Nesting depth beyond which input is refused.
const MAX_DEPTH: usize = 32;

/// A parsed JSON value. Objects keep their member order. A value may be a token
/// response, so its `Debug` is redacted.
#[derive(Clone, PartialEq, Eq)]
pub enum Value {
    /// `null`
    Null,
    /// `true` or `false`
    Bool(bool),
    /// A number, as its validated source text.
    Number(String),
    /// A string, unescaped.
    String(String),
    /// An array.
    Array(Vec<Value>),
    /// An object, members in source order, names unique.
    Object(Vec<(String, Value)>),
}

crate::redacted_debug!(Value);

impl Value {
    /// The member `name` of an object; `None` for a missing member or a non-object.
    pub fn get(&self, name: &str) -> Option<&Value> {
        match self {
            Value::Object(members) => members.iter().find(|(k, _)| k == name).map(|(_, v)| v),
            _ => None,
        }
    }

    /// The string, if this is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// The boolean, if this is one.
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// The number as a whole `i64`, if this is a number with no exponent that fits.
    /// A fraction is dropped toward zero (`1.9` → `1`): NumericDate may carry one (RFC 7519 §2).
    pub fn as_i64(&self) -> Option<i64> {
        let Value::Number(text) = self else {
            return None;
        };
        if crate::core::text::split_once(text, b"eE").is_some() {
            return None;
        }
        parse_int(crate::core::text::until(text, b"."))
    }

    /// Every element as a string, if this is an array of strings only.
    pub fn as_strings(&self) -> Option<Vec<String>> {
        let mut out = Vec::new();
        for x in self.as_array()? {
            out.push(x.as_str()?.to_owned());
        }
        Some(out)
    }

    /// The elements, if this is an array.
    pub fn as_array(&self) -> Option<&[Value]> {
        match self {
            Value::Array(items) => Some(items),
            _ => None,
        }
    }
}

/// A decimal integer, optionally negative: the one integer parser of the SDK (JSON
/// numbers, lock names, `Retry-After`, numbers sent as strings). `None` for anything
/// else, or on overflow.
pub fn parse_int(text: &str) -> Option<i64> {
    let (negative, digits) = match text.strip_prefix("-") {
        Some(d) => (true, d),
        None => (false, text),
    };
    if digits.is_empty() {
        return None;
    }
    let mut n: i64 = 0;
    for b in digits.bytes() {
        if !b.is_ascii_digit() {
            return None;
        }
        // Overflow refused without `checked_mul`, which wasm32 computes as a 128-bit product.
        let d = i64::from(b - b'0');
        if n > (i64::MAX - d) / 10 {
            return None;
        }
        n = n * 10 + d;
    }
    Some(if negative { -n } else { n })
}

/// A member that is present with the wrong type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WrongType;

/// Typed members, with one policy for every reader in the SDK (metadata, token
/// responses, JWT claims, JWKs, options, tab messages, stored transactions):
/// - a missing member and `null` are absent: `Ok(None)`;
/// - an empty string is absent too, since no protocol value is the empty string;
/// - a member of another type is `Err(WrongType)`, never silently absent.
///
/// Each reader turns `WrongType` into its own typed error, naming the member.
impl Value {
    /// A string member.
    pub fn str_of(&self, k: &str) -> Result<Option<&str>, WrongType> {
        match self.get(k) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok((!s.is_empty()).then_some(s.as_str())),
            Some(_) => Err(WrongType),
        }
    }

    /// A string member, owned.
    pub fn string_of(&self, k: &str) -> Result<Option<String>, WrongType> {
        self.str_of(k).map(|s| s.map(str::to_owned))
    }

    /// A whole-number member ([`Value::as_i64`]); a number that does not fit is the wrong type.
    pub fn int_of(&self, k: &str) -> Result<Option<i64>, WrongType> {
        match self.get(k) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => v.as_i64().map(Some).ok_or(WrongType),
        }
    }

    /// A boolean member.
    pub fn bool_of(&self, k: &str) -> Result<Option<bool>, WrongType> {
        match self.get(k) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => v.as_bool().map(Some).ok_or(WrongType),
        }
    }

    /// Whether the member `k`, an array of strings, holds `item`; `None` when it is absent
    /// or not an array of strings only (as [`Value::strings_of`], but nothing is copied).
    pub fn lists(&self, k: &str, item: &str) -> Option<bool> {
        let mut found = false;
        for x in self.get(k)?.as_array()? {
            found |= x.as_str()? == item;
        }
        Some(found)
    }

    /// An array-of-strings member.
    pub fn strings_of(&self, k: &str) -> Result<Option<Vec<String>>, WrongType> {
        match self.get(k) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => v.as_strings().map(Some).ok_or(WrongType),
        }
    }
}

/// Why a text is not acceptable JSON. Carries no input, so it can never leak a secret.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ParseError;

/// Parses a complete JSON text.
pub fn parse(text: &str) -> Result<Value, ParseError> {
    let mut p = Parser { s: text.as_bytes(), i: 0 };
    let v = p.value(0)?;
    p.ws();
    if p.i != p.s.len() {
        return Err(ParseError);
    }
    Ok(v)
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
}

impl Parser<'_> {
    fn ws(&mut self) {
        while matches!(self.s.get(self.i), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.i += 1;
        }
    }

    fn eat(&mut self, b: u8) -> bool {
        if self.s.get(self.i) == Some(&b) {
            self.i += 1;
            true
        } else {
            false
        }
    }

    fn literal(&mut self, word: &[u8], v: Value) -> Result<Value, ParseError> {
        if self.s[self.i..].starts_with(word) {
            self.i += word.len();
            Ok(v)
        } else {
            Err(ParseError)
        }
    }

    fn value(&mut self, depth: usize) -> Result<Value, ParseError> {
        if depth > MAX_DEPTH {
            return Err(ParseError);
        }
        self.ws();
        match self.s.get(self.i).ok_or(ParseError)? {
            b'{' => {
                self.i += 1;
                let mut members: Vec<(String, Value)> = Vec::new();
                self.ws();
                if self.eat(b'}') {
                    return Ok(Value::Object(members));
                }
                loop {
                    self.ws();
                    let name = self.string()?;
                    self.ws();
                    if !self.eat(b':') {
                        return Err(ParseError);
                    }
                    let v = self.value(depth + 1)?;
                    members.push((name, v));
                    self.ws();
                    if self.eat(b'}') {
                        return if unique_names(&members) { Ok(Value::Object(members)) } else { Err(ParseError) };
                    }
                    if !self.eat(b',') {
                        return Err(ParseError);
                    }
                }
            }
            b'[' => {
                self.i += 1;
                let mut items = Vec::new();
                self.ws();
                if self.eat(b']') {
                    return Ok(Value::Array(items));
                }
                loop {
                    items.push(self.value(depth + 1)?);
                    self.ws();
                    if self.eat(b']') {
                        return Ok(Value::Array(items));
                    }
                    if !self.eat(b',') {
                        return Err(ParseError);
                    }
                }
            }
            b'"' => self.string().map(Value::String),
            b't' => self.literal(b"true", Value::Bool(true)),
            b'f' => self.literal(b"false", Value::Bool(false)),
            b'n' => self.literal(b"null", Value::Null),
            _ => self.number(),
        }
    }

    fn digits(&mut self) -> usize {
        let start = self.i;
        while matches!(self.s.get(self.i), Some(b'0'..=b'9')) {
            self.i += 1;
        }
        self.i - start
    }

    fn number(&mut self) -> Result<Value, ParseError> {
        let start = self.i;
        self.eat(b'-');
        match self.s.get(self.i) {
            Some(b'0') => self.i += 1,
            Some(b'1'..=b'9') => {
                self.digits();
            }
            _ => return Err(ParseError),
        }
        if self.eat(b'.') && self.digits() == 0 {
            return Err(ParseError);
        }
        if self.eat(b'e') || self.eat(b'E') {
            let _ = self.eat(b'+') || self.eat(b'-');
            if self.digits() == 0 {
                return Err(ParseError);
            }
        }
        // The bytes are ASCII digits and signs, so this cannot fail.
        Ok(Value::Number(crate::core::text::utf8(self.s[start..self.i].to_vec()).ok_or(ParseError)?))
    }

    fn hex4(&mut self) -> Result<u32, ParseError> {
        let hex = self.s.get(self.i..self.i + 4).ok_or(ParseError)?;
        let mut n = 0;
        for &h in hex {
            n = n * 16 + (h as char).to_digit(16).ok_or(ParseError)?;
        }
        self.i += 4;
        Ok(n)
    }

    fn string(&mut self) -> Result<String, ParseError> {
        if !self.eat(b'"') {
            return Err(ParseError);
        }
        let mut out = Vec::new();
        loop {
            let b = *self.s.get(self.i).ok_or(ParseError)?;
            self.i += 1;
            match b {
                b'"' => return crate::core::text::utf8(out).ok_or(ParseError),
                b'\\' => {
                    let e = *self.s.get(self.i).ok_or(ParseError)?;
                    self.i += 1;
                    let c = match e {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => {
                            let hi = self.hex4()?;
                            let cp = if (0xD800..0xDC00).contains(&hi) {
                                if !(self.eat(b'\\') && self.eat(b'u')) {
                                    return Err(ParseError);
                                }
                                let lo = self.hex4()?;
                                if !(0xDC00..0xE000).contains(&lo) {
                                    return Err(ParseError);
                                }
                                0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)
                            } else {
                                hi
                            };
                            char::from_u32(cp).ok_or(ParseError)?
                        }
                        _ => return Err(ParseError),
                    };
                    let mut buf = [0; 4];
                    out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                }
                0..=0x1f => return Err(ParseError),
                _ => out.push(b),
            }
        }
    }
}

/// Whether no two members share a name. Sorting keeps this O(n log n): a pairwise scan
/// took 22.9 s on a 960 KB body of 80,000 members, long enough to freeze a tab.
fn unique_names(members: &[(String, Value)]) -> bool {
    let mut names: Vec<&str> = members.iter().map(|(k, _)| k.as_str()).collect();
    names.sort_unstable();
    names.windows(2).all(|w| w[0] != w[1])
}

/// Appends `s` to `out` as a quoted JSON string.
pub fn write_str(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                out.push_str("\\u00");
                out.push(HEX[(c as usize) >> 4] as char);
                out.push(HEX[(c as usize) & 15] as char);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Serializes a parsed value back to JSON text.
pub fn stringify(v: &Value) -> String {
    let mut out = String::new();
    write_value(&mut out, v);
    out
}

fn write_value(out: &mut String, v: &Value) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(n),
        Value::String(s) => write_str(out, s),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_value(out, item);
            }
            out.push(']');
        }
        Value::Object(members) => {
            out.push('{');
            for (i, (k, item)) in members.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_str(out, k);
                out.push(':');
                write_value(out, item);
            }
            out.push('}');
        }
    }
}

/// Builds a JSON object text member by member.
#[derive(Default)]
pub struct ObjectWriter(String);

impl ObjectWriter {
    fn key(&mut self, k: &str) {
        self.0.push(if self.0.is_empty() { '{' } else { ',' });
        write_str(&mut self.0, k);
        self.0.push(':');
    }
    /// Adds a string member.
    pub fn str(mut self, k: &str, v: &str) -> Self {
        self.key(k);
        write_str(&mut self.0, v);
        self
    }
    /// Adds a string member when `v` is `Some`.
    pub fn opt_str(self, k: &str, v: Option<&str>) -> Self {
        match v {
            Some(v) => self.str(k, v),
            None => self,
        }
    }
    /// Adds a boolean member.
    pub fn bool(mut self, k: &str, v: bool) -> Self {
        self.key(k);
        self.0.push_str(if v { "true" } else { "false" });
        self
    }
    /// Adds an integer member.
    pub fn int(mut self, k: &str, v: i64) -> Self {
        self.key(k);
        self.0.push_str(&super::text::int(v));
        self
    }
    /// Adds a member whose value is already JSON text.
    pub fn raw(mut self, k: &str, json: &str) -> Self {
        self.key(k);
        self.0.push_str(json);
        self
    }
    /// The finished object.
    pub fn finish(mut self) -> String {
        if self.0.is_empty() {
            self.0.push('{');
        }
        self.0.push('}');
        self.0
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn strings_are_written_with_the_escapes_json_needs_and_nothing_else() {
        // Every ASCII byte, and text around multi-byte characters, read back by serde_json.
        let ascii: String = (0u8..0x80).map(char::from).collect();
        for t in [ascii.as_str(), "", "plain", "é\"ü\\\n😀\u{1f}x", "\u{2028}\u{7f}"] {
            let mut out = String::new();
            write_str(&mut out, t);
            assert_eq!(serde_json::from_str::<String>(&out).unwrap(), t);
            // Only `"`, `\\` and control characters are escaped (`\\` as two backslashes).
            let escapes = out.matches('\\').count();
            let expected = t.chars().filter(|c| matches!(c, '"' | '\\') || (*c as u32) < 0x20).count() + t.matches('\\').count();
            assert_eq!(escapes, expected, "{out}");
        }
    }

    use super::*;

    #[test]
    fn parses_values() {
        let v = parse(r#" {"a": [1, -2.5, 3e2, true, false, null], "b": "x\"\u00e9\ud83d\ude00\n"} "#).unwrap();
        let a = v.get("a").unwrap().as_array().unwrap();
        assert_eq!(a[0].as_i64(), Some(1));
        assert_eq!(a[1].as_i64(), Some(-2));
        assert_eq!(a[2].as_i64(), None);
        assert_eq!(a[3].as_bool(), Some(true));
        assert_eq!(a[5], Value::Null);
        assert_eq!(v.get("b").unwrap().as_str(), Some("x\"é😀\n"));
        assert_eq!(v.get("c"), None);
    }

    #[test]
    fn rejects_bad_text() {
        let deep = "[".repeat(100) + &"]".repeat(100);
        for bad in [
            "",
            "{",
            "}",
            "[1,]",
            "{\"a\":1,}",
            "{\"a\" 1}",
            "01",
            "1.",
            "-",
            "+1",
            "1e",
            ".5",
            "tru",
            "nul",
            "\"\\x\"",
            "\"\u{1}\"",
            "\"\\ud800\"",
            "\"\\ud800\\u0041\"",
            "{\"a\":1,\"a\":2}",
            "1 2",
            "<html>",
            "\"unterminated",
            &deep,
            "{1:2}",
            "NaN",
            "Infinity",
        ] {
            assert_eq!(parse(bad), Err(ParseError), "{bad:?}");
        }
    }

    #[test]
    fn a_repeated_name_is_found_among_many() {
        let members: Vec<String> = (0..5000).map(|i| format!("\"m{i}\":{i}")).collect();
        let unique = format!("{{{}}}", members.join(","));
        assert!(parse(&unique).is_ok());
        let repeated = format!("{{{},\"m0\":1}}", members.join(","));
        assert_eq!(parse(&repeated), Err(ParseError));
        assert_eq!(parse(r#"{"a":{"b":1,"b":2}}"#), Err(ParseError), "in a nested object too");
        assert!(parse(r#"{"a":{"b":1},"b":{"a":2}}"#).is_ok(), "names are per object");
    }

    #[test]
    fn members_follow_one_policy() {
        let v = parse(r#"{"s":"x","e":"","n":null,"i":42,"f":1.9,"b":true,"a":["p","q"],"mixed":["p",1],"big":1e3}"#).unwrap();
        assert_eq!(v.str_of("s"), Ok(Some("x")));
        for absent in ["e", "n", "missing"] {
            assert_eq!(v.str_of(absent), Ok(None), "{absent}");
        }
        assert_eq!((v.int_of("n"), v.bool_of("missing")), (Ok(None), Ok(None)));
        assert_eq!(v.str_of("i"), Err(WrongType));
        assert_eq!(v.int_of("i"), Ok(Some(42)));
        assert_eq!(v.int_of("f"), Ok(Some(1)), "NumericDate may carry a fraction");
        assert_eq!(v.int_of("s"), Err(WrongType));
        assert_eq!(v.int_of("big"), Err(WrongType));
        assert_eq!(v.bool_of("b"), Ok(Some(true)));
        assert_eq!(v.bool_of("s"), Err(WrongType));
        assert_eq!(v.strings_of("a"), Ok(Some(vec!["p".to_owned(), "q".to_owned()])));
        assert_eq!(v.strings_of("mixed"), Err(WrongType));
        assert_eq!(v.strings_of("n"), Ok(None));
        assert_eq!((v.lists("a", "q"), v.lists("a", "x")), (Some(true), Some(false)));
        for not_a_list in ["mixed", "n", "s", "missing"] {
            assert_eq!(v.lists(not_a_list, "p"), None, "{not_a_list}");
        }
    }

    #[test]
    fn huge_integers_do_not_overflow() {
        assert_eq!(parse("99999999999999999999").unwrap().as_i64(), None);
        assert_eq!(parse("9223372036854775807").unwrap().as_i64(), Some(i64::MAX));
        assert_eq!(parse("9223372036854775808").unwrap().as_i64(), None, "one past the largest");
        assert_eq!(parse_int("-9223372036854775807"), Some(-i64::MAX));
        assert_eq!(parse_int("922337203685477580"), Some(i64::MAX / 10));
        assert_eq!(parse_int("9223372036854775799"), Some(i64::MAX - 8));
    }

    #[test]
    fn writer_round_trips() {
        let tricky = "q\"uote\\ \u{1}\n\té";
        let text = ObjectWriter::default().str("s", tricky).int("n", -42).opt_str("none", None).raw("r", "[1]").finish();
        let v = parse(&text).unwrap();
        assert_eq!(v.get("s").unwrap().as_str(), Some(tricky));
        assert_eq!(v.get("n").unwrap().as_i64(), Some(-42));
        assert_eq!(v.get("none"), None);
        assert_eq!(ObjectWriter::default().finish(), "{}");
    }
}
