//! Text building without `core::fmt`: the SDK builds its URLs, keys and error
//! descriptions from `&str` parts and integers, so the formatting machinery behind
//! `format!` (about 2 KB of the wasm) is never linked.

/// The parts, concatenated.
pub fn cat(parts: &[&str]) -> String {
    let mut out = String::with_capacity(parts.iter().map(|p| p.len()).sum());
    for p in parts {
        out.push_str(p);
    }
    out
}

/// `s` without its trailing slashes.
pub fn trim_slashes(s: &str) -> &str {
    let mut end = s.len();
    while end > 0 && s.as_bytes()[end - 1] == b'/' {
        end -= 1;
    }
    &s[..end]
}

/// Whether `bytes` holds `b`: a plain loop, since `<[u8]>::contains` links `memchr`'s
/// word-at-a-time search (about 0.2 KB of the wasm) for strings of a few dozen bytes.
#[allow(clippy::manual_contains)] // `contains` is what this replaces, for its size
pub fn has(bytes: &[u8], b: u8) -> bool {
    bytes.iter().any(|&x| x == b)
}

/// Where the first byte of `stops` is in `s`: one plain loop that every search here
/// shares, rather than an iterator adapter compiled for each caller's closure.
pub fn find(s: &str, stops: &[u8]) -> Option<usize> {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if has(stops, b[i]) {
            return Some(i);
        }
        i += 1;
    }
    None
}

/// Where the last byte of `stops` is in `s`.
pub fn rfind(s: &str, stops: &[u8]) -> Option<usize> {
    let b = s.as_bytes();
    let mut i = b.len();
    while i > 0 {
        i -= 1;
        if has(stops, b[i]) {
            return Some(i);
        }
    }
    None
}

/// `s` up to the first byte of `stops` (all of `s` when there is none).
pub fn until<'a>(s: &'a str, stops: &[u8]) -> &'a str {
    &s[..find(s, stops).unwrap_or(s.len())]
}

/// The pieces of `s` between any of the ASCII bytes `seps`: `str::split` for ASCII
/// separators, without the `char` pattern searchers (an ASCII byte never occurs inside
/// a multi-byte UTF-8 sequence, so every piece is whole text).
pub fn split<'a>(s: &'a str, seps: &'a [u8]) -> Split<'a> {
    Split { rest: Some(s), seps }
}

/// The iterator of [`split`].
pub struct Split<'a> {
    rest: Option<&'a str>,
    seps: &'a [u8],
}

impl<'a> Iterator for Split<'a> {
    type Item = &'a str;
    fn next(&mut self) -> Option<&'a str> {
        let s = self.rest?;
        Some(match split_once(s, self.seps) {
            Some((piece, rest)) => {
                self.rest = Some(rest);
                piece
            }
            None => {
                self.rest = None;
                s
            }
        })
    }
}

/// `s` before and after the first of the ASCII bytes `seps`: `str::split_once` for ASCII.
pub fn split_once<'a>(s: &'a str, seps: &[u8]) -> Option<(&'a str, &'a str)> {
    let i = find(s, seps)?;
    Some((&s[..i], &s[i + 1..]))
}

/// `s` without every leading and trailing `byte` (ASCII): `trim_matches` for one ASCII char.
pub fn trim_byte(s: &str, byte: u8) -> &str {
    let b = s.as_bytes();
    let start = b.iter().position(|c| *c != byte).unwrap_or(b.len());
    let end = b.iter().rposition(|c| *c != byte).map_or(start, |i| i + 1);
    &s[start..end]
}

/// `bytes` as text, if they are UTF-8 as RFC 3629 §4 defines it (no overlong forms, no
/// surrogates, nothing past U+10FFFF): `String::from_utf8`, without core's
/// word-at-a-time validator (0.3 KB of the wasm) for texts of a few hundred bytes.
#[allow(unsafe_code)]
pub fn utf8(bytes: Vec<u8>) -> Option<String> {
    let mut i = 0;
    while i < bytes.len() {
        // How many continuation bytes follow the lead byte, and the range of the first
        // one (RFC 3629 §4's `UTF8-2`, `UTF8-3` and `UTF8-4`); every later one is 80-BF.
        let (more, lo, hi) = match bytes[i] {
            0..=0x7f => (0, 0, 0),
            0xc2..=0xdf => (1, 0x80, 0xbf),
            0xe0 => (2, 0xa0, 0xbf),
            0xed => (2, 0x80, 0x9f),
            0xe1..=0xef => (2, 0x80, 0xbf),
            0xf0 => (3, 0x90, 0xbf),
            0xf1..=0xf3 => (3, 0x80, 0xbf),
            0xf4 => (3, 0x80, 0x8f),
            _ => return None,
        };
        for k in 1..=more {
            let c = *bytes.get(i + k)?;
            let (l, h) = if k == 1 { (lo, hi) } else { (0x80, 0xbf) };
            if c < l || c > h {
                return None;
            }
        }
        i += 1 + more;
    }
    // SAFETY: every byte sequence was checked above against RFC 3629's grammar, which is
    // exactly what `str` requires (the tests compare this with `String::from_utf8` on
    // every 1- and 2-byte input, every 3-byte input from a lead byte on, and the 4-byte
    // boundaries).
    Some(unsafe { String::from_utf8_unchecked(bytes) })
}

/// A decimal integer.
pub fn int(n: i64) -> String {
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    let mut m = n.unsigned_abs();
    loop {
        i -= 1;
        digits[i] = b'0' + (m % 10) as u8;
        m /= 10;
        if m == 0 {
            break;
        }
    }
    let mut out = String::with_capacity(21);
    if n < 0 {
        out.push('-');
    }
    for &d in &digits[i..] {
        out.push(d as char);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn has_finds_a_byte_anywhere() {
        assert!(has(b"a#b", b'#') && has(b"#", b'#') && has(b"ab#", b'#'));
        assert!(!has(b"", b'#') && !has(b"abc", b'#'));
    }

    #[test]
    fn utf8_accepts_exactly_what_std_accepts() {
        let same = |b: &[u8]| assert_eq!(utf8(b.to_vec()), String::from_utf8(b.to_vec()).ok(), "{b:02x?}");
        same(b"");
        // Every input of 1 and 2 bytes, and every 3-byte input whose first byte is 0xC0 or
        // above (every input that can hold a 2- or 3-byte sequence at its start).
        for a in 0..=255u8 {
            same(&[a]);
            for b in 0..=255u8 {
                same(&[a, b]);
                if a >= 0xc0 {
                    for c in 0..=255u8 {
                        same(&[a, b, c]);
                    }
                }
            }
        }
        // 4-byte leads with every continuation boundary, alone and between ASCII.
        let edges = [0x00, 0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0, 0xff];
        for a in 0xf0..=0xff {
            for b in edges {
                for c in edges {
                    for d in edges {
                        same(&[a, b, c, d]);
                        same(&[b'x', a, b, c, d, b'y']);
                    }
                }
            }
        }
        for t in ["ü", "€", "𝄞", "aé€𝄞z", "\u{7f}\u{80}\u{7ff}\u{800}\u{ffff}\u{10000}\u{10ffff}"] {
            assert_eq!(utf8(t.as_bytes().to_vec()).as_deref(), Some(t));
        }
    }

    #[test]
    fn integers_and_parts() {
        for n in [0, 7, -7, 42, 1_700_000_000_000, i64::MAX, i64::MIN, -1] {
            assert_eq!(int(n), n.to_string());
        }
        assert_eq!(cat(&["a", "", "bc", &int(5)]), "abc5");
        // As `str::find` and `rfind` with the same ASCII bytes.
        for t in ["", ":", "a:b:c", "[::1]:8080", "é:ü", "abc"] {
            assert_eq!(find(t, b":]"), t.find([':', ']']), "{t:?}");
            assert_eq!(rfind(t, b":"), t.rfind(':'), "{t:?}");
        }
        assert_eq!(cat(&[]), "");
        assert_eq!((trim_slashes("https://i//"), trim_slashes("/"), trim_slashes("a")), ("https://i", "", "a"));
        assert_eq!((until("host:1/p?q", b"/?#"), until("host", b"/?#")), ("host:1", "host"));
        for t in ["", "\"", "\"\"", "\"a\"", "\"\"a\"b\"", "a", "ü\""] {
            assert_eq!(trim_byte(t, b'"'), t.trim_matches('"'), "{t:?}");
        }
        // As `str::split` and `split_once` with the same ASCII separators, on every edge.
        for t in ["", "a", "a b", " a  b ", "é ü", "a?b#c&d", "&&", "x=", "=y", "ü=ö&ä"] {
            for seps in [&b" "[..], b"?#&", b"="] {
                let chars: Vec<char> = seps.iter().map(|b| *b as char).collect();
                assert_eq!(split(t, seps).collect::<Vec<_>>(), t.split(&chars[..]).collect::<Vec<_>>(), "{t:?}");
                assert_eq!(split_once(t, seps), t.split_once(&chars[..]), "{t:?}");
            }
        }
    }
}
