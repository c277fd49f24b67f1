//! The libraries Redis loads into its Lua VM, written in Rust from their documented
//! behaviour: LuaBitOp (`bit`), `struct`, lua-cjson (`cjson`) and lua-cmsgpack.
//! Functions report argument errors through [`super::vm::fail`], which the prelude raises
//! at the caller's level as `luaL_error` would.

pub mod bit;
pub mod cjson;
pub mod cmsgpack;
pub mod structlib;

use mlua::{Lua, Value};

use super::vm::type_name;

/// Lua's `tonumber` on a string: decimal or `0x` hex, surrounding spaces allowed.
pub fn str_to_number(s: &[u8]) -> Option<f64> {
    let t = std::str::from_utf8(s).ok()?.trim_matches(|c: char| c.is_ascii_whitespace());
    if t.is_empty() {
        return None;
    }
    let (neg, body) = match t.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, t.strip_prefix('+').unwrap_or(t)),
    };
    if let Some(h) = body.strip_prefix("0x").or_else(|| body.strip_prefix("0X")) {
        let v = u64::from_str_radix(h, 16).ok()? as f64;
        return Some(if neg { -v } else { v });
    }
    if t.chars().any(|c| c.is_ascii_alphabetic() && !matches!(c, 'e' | 'E')) {
        // strtod also accepts inf/nan spellings; Lua 5.1 does too, rarely used in scripts.
        return match t.to_ascii_lowercase().as_str() {
            "inf" | "+inf" | "infinity" => Some(f64::INFINITY),
            "-inf" | "-infinity" => Some(f64::NEG_INFINITY),
            "nan" | "-nan" => Some(f64::NAN),
            _ => None,
        };
    }
    t.parse::<f64>().ok()
}

/// `luaL_checknumber` for argument `n` (1-based) of function `fname`.
pub fn check_number(args: &[Value], n: usize, fname: &str) -> Result<f64, String> {
    let v = args.get(n - 1).unwrap_or(&Value::Nil);
    match v {
        Value::Integer(i) => Ok(*i as f64),
        Value::Number(x) => Ok(*x),
        Value::String(s) => str_to_number(&s.as_bytes()).ok_or_else(|| format!("bad argument #{n} to '{fname}' (number expected, got string)")),
        other => Err(format!("bad argument #{n} to '{fname}' (number expected, got {})", type_name(other))),
    }
}

/// `luaL_checklstring` for argument `n`: strings, and numbers in Lua's `%.14g` form.
pub fn check_bytes(lua: &Lua, args: &[Value], n: usize, fname: &str) -> Result<Vec<u8>, String> {
    let v = args.get(n - 1).unwrap_or(&Value::Nil);
    match v {
        Value::String(s) => Ok(s.as_bytes().to_vec()),
        Value::Integer(_) | Value::Number(_) => {
            lua.coerce_string(v.clone()).ok().flatten().map(|s| s.as_bytes().to_vec()).ok_or_else(|| format!("bad argument #{n} to '{fname}' (string expected, got number)"))
        }
        other => Err(format!("bad argument #{n} to '{fname}' (string expected, got {})", type_name(other))),
    }
}


/// C's `%.<prec>g`.
pub fn fmt_g(n: f64, prec: usize) -> String {
    if n.is_nan() {
        return if n.is_sign_negative() { "-nan".into() } else { "nan".into() };
    }
    if n.is_infinite() {
        return if n < 0.0 { "-inf".into() } else { "inf".into() };
    }
    if n == 0.0 {
        return if n.is_sign_negative() { "-0".into() } else { "0".into() };
    }
    let p = prec.max(1);
    // Exponent after rounding to p significant digits.
    let e_str = format!("{:.*e}", p - 1, n);
    let (mant, exp) = e_str.split_once('e').unwrap_or((&e_str, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    if exp < -4 || exp >= p as i32 {
        let mant = trim_zeros(mant);
        let sign = if exp < 0 { '-' } else { '+' };
        format!("{}e{}{:02}", mant, sign, exp.abs())
    } else {
        let decimals = (p as i32 - 1 - exp).max(0) as usize;
        trim_zeros(&format!("{:.*}", decimals, n)).to_string()
    }
}

fn trim_zeros(s: &str) -> &str {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.')
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn g_format() {
        assert_eq!(fmt_g(1e15, 14), "1e+15");
        assert_eq!(fmt_g(0.1, 14), "0.1");
        assert_eq!(fmt_g(100.0, 14), "100");
        assert_eq!(fmt_g(1.0 / 3.0, 14), "0.33333333333333");
        assert_eq!(fmt_g(123456789012345.0, 14), "1.2345678901234e+14");
        assert_eq!(fmt_g(0.0001, 14), "0.0001");
        assert_eq!(fmt_g(0.00001, 14), "1e-05");
        assert_eq!(fmt_g(-2.5, 14), "-2.5");
    }
}
