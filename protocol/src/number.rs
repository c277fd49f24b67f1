//! Number parsing and formatting with Redis's exact rules (`string2ll`, `string2ld`,
//! `%.17g`), shared by the argument cursor and the value types.

/// Parses a signed 64-bit integer the way Redis's `string2ll` does: no leading `+`,
/// no spaces, no leading zeros (except "0" itself), no "-0", at most 20 characters.
pub fn parse_i64(s: &[u8]) -> Option<i64> {
    if s.is_empty() || s.len() > 20 {
        return None;
    }
    if s == b"0" {
        return Some(0);
    }
    let (neg, digits) = if s[0] == b'-' { (true, &s[1..]) } else { (false, s) };
    if digits.is_empty() || !(b'1'..=b'9').contains(&digits[0]) {
        return None;
    }
    let mut v: u64 = 0;
    for &c in digits {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v.checked_mul(10)?.checked_add(u64::from(c - b'0'))?;
    }
    if neg {
        if v > (i64::MAX as u64) + 1 {
            None
        } else {
            Some((v as i64).wrapping_neg())
        }
    } else if v > i64::MAX as u64 {
        None
    } else {
        Some(v as i64)
    }
}

/// Parses an unsigned 64-bit integer with `string2ull`-like strictness (used by SCAN cursors).
pub fn parse_u64(s: &[u8]) -> Option<u64> {
    if s.is_empty() || s.len() > 20 {
        return None;
    }
    if s == b"0" {
        return Some(0);
    }
    if !(b'1'..=b'9').contains(&s[0]) {
        return None;
    }
    let mut v: u64 = 0;
    for &c in s {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v.checked_mul(10)?.checked_add(u64::from(c - b'0'))?;
    }
    Some(v)
}

/// Parses a double the way Redis's `getDoubleFromObject` does (`strtod` over the whole
/// string, no leading space, no NaN). Accepts `inf`, `+inf`, `-inf`, `infinity`.
pub fn parse_f64(s: &[u8]) -> Option<f64> {
    if s.is_empty() || s[0].is_ascii_whitespace() {
        return None;
    }
    let text = std::str::from_utf8(s).ok()?;
    let v = parse_c_double(text)?;
    if v.is_nan() {
        return None;
    }
    Some(v)
}

/// `strtod`-compatible parsing of a complete string: decimal and exponent forms,
/// `inf`/`infinity` in any case with optional sign, hexadecimal floats are rejected.
fn parse_c_double(text: &str) -> Option<f64> {
    let lower = text.to_ascii_lowercase();
    let unsigned = lower.trim_start_matches(['+', '-']);
    if lower.len() - unsigned.len() > 1 {
        return None;
    }
    if unsigned == "inf" || unsigned == "infinity" {
        return Some(if lower.starts_with('-') { f64::NEG_INFINITY } else { f64::INFINITY });
    }
    if unsigned.starts_with("nan") || unsigned.starts_with("0x") {
        return None;
    }
    // Rust's parser accepts the same decimal grammar as strtod, minus a trailing '.'
    // ("1." is valid for strtod) which we normalise first.
    let bytes = unsigned.as_bytes();
    if bytes.is_empty() || !bytes.iter().all(|c| c.is_ascii_digit() || matches!(c, b'.' | b'e' | b'-' | b'+')) {
        return None;
    }
    if !bytes[0].is_ascii_digit() && bytes[0] != b'.' {
        return None;
    }
    let mut owned;
    let mut candidate: &str = &lower;
    if let Some(pos) = lower.find('.') {
        let after = lower.as_bytes().get(pos + 1).copied();
        if after.is_none() || after == Some(b'e') {
            owned = lower.clone();
            owned.insert(pos + 1, '0');
            candidate = &owned;
            return candidate.parse::<f64>().ok();
        }
    }
    owned = String::new();
    let _ = &owned;
    candidate.parse::<f64>().ok()
}

/// Formats a double as Redis does for replies and stored values with `%.17g`
/// (used by INCRBYFLOAT and friends via `long double` with `%.17Lg`, with
/// trailing zeros removed). `inf`/`-inf` as Redis prints them.
pub fn format_f64_17g(v: f64) -> String {
    if v.is_infinite() {
        return if v > 0.0 { "inf".into() } else { "-inf".into() };
    }
    format_g(v, 17)
}

/// C's `%.<prec>g` for finite doubles.
pub fn format_g(v: f64, prec: usize) -> String {
    if v == 0.0 {
        return if v.is_sign_negative() { "-0".into() } else { "0".into() };
    }
    let prec = prec.max(1);
    // Round to `prec` significant digits in exponent form to learn the decimal exponent.
    let e_form = format!("{:.*e}", prec - 1, v);
    let (mantissa, exp) = match e_form.split_once('e') {
        Some((m, e)) => (m, e.parse::<i32>().unwrap_or(0)),
        None => (e_form.as_str(), 0),
    };
    if exp < -4 || exp >= prec as i32 {
        let m = strip_trailing_zeros(mantissa);
        let sign = if exp < 0 { '-' } else { '+' };
        format!("{}e{}{:02}", m, sign, exp.abs())
    } else {
        let decimals = (prec as i32 - 1 - exp).max(0) as usize;
        let f = format!("{:.*}", decimals, v);
        strip_trailing_zeros(&f).to_string()
    }
}

fn strip_trailing_zeros(s: &str) -> &str {
    if s.contains('.') {
        let t = s.trim_end_matches('0');
        t.trim_end_matches('.')
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn string2ll_rules() {
        assert_eq!(parse_i64(b"0"), Some(0));
        assert_eq!(parse_i64(b"-1"), Some(-1));
        assert_eq!(parse_i64(b"9223372036854775807"), Some(i64::MAX));
        assert_eq!(parse_i64(b"-9223372036854775808"), Some(i64::MIN));
        assert_eq!(parse_i64(b"9223372036854775808"), None);
        assert_eq!(parse_i64(b"-0"), None);
        assert_eq!(parse_i64(b"01"), None);
        assert_eq!(parse_i64(b"+1"), None);
        assert_eq!(parse_i64(b" 1"), None);
        assert_eq!(parse_i64(b""), None);
        assert_eq!(parse_i64(b"1a"), None);
    }

    #[test]
    fn doubles() {
        assert_eq!(parse_f64(b"1.5"), Some(1.5));
        assert_eq!(parse_f64(b"1."), Some(1.0));
        assert_eq!(parse_f64(b".5"), Some(0.5));
        assert_eq!(parse_f64(b"-inf"), Some(f64::NEG_INFINITY));
        assert_eq!(parse_f64(b"+inf"), Some(f64::INFINITY));
        assert_eq!(parse_f64(b"1e3"), Some(1000.0));
        assert_eq!(parse_f64(b"nan"), None);
        assert_eq!(parse_f64(b" 1"), None);
        assert_eq!(parse_f64(b"1 "), None);
        assert_eq!(parse_f64(b"abc"), None);
    }

    #[test]
    fn g17_format() {
        assert_eq!(format_f64_17g(10.5), "10.5");
        assert_eq!(format_f64_17g(3.0), "3");
        assert_eq!(format_f64_17g(0.1 + 0.2), "0.30000000000000004");
        assert_eq!(format_f64_17g(1e20), "1e+20");
        assert_eq!(format_f64_17g(1.5e-7), "1.4999999999999999e-07");
        assert_eq!(format_f64_17g(f64::INFINITY), "inf");
    }
}
