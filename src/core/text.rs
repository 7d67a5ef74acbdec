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

/// `s` up to the first byte of `stops` (all of `s` when there is none).
pub fn until<'a>(s: &'a str, stops: &[u8]) -> &'a str {
    let end = s.bytes().position(|b| stops.contains(&b)).unwrap_or(s.len());
    &s[..end]
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
    fn integers_and_parts() {
        for n in [0, 7, -7, 42, 1_700_000_000_000, i64::MAX, i64::MIN, -1] {
            assert_eq!(int(n), n.to_string());
        }
        assert_eq!(cat(&["a", "", "bc", &int(5)]), "abc5");
        assert_eq!(cat(&[]), "");
        assert_eq!((trim_slashes("https://i//"), trim_slashes("/"), trim_slashes("a")), ("https://i", "", "a"));
        assert_eq!((until("host:1/p?q", b"/?#"), until("host", b"/?#")), ("host:1", "host"));
    }
}
