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
    }
}
