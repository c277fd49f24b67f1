//! String operations on [`Value`]s (Redis's `t_string.c` semantics, without clients).

mod long_double;

use std::borrow::Cow;

pub use long_double::LongDouble;
use rhodium_protocol::number::parse_i64;

use crate::error::OpError;
use crate::value::Value;

/// Redis's `proto-max-bulk-len` default; the largest string a value may grow to.
pub const STRING_MAX_LEN: usize = 512 * 1024 * 1024;

/// Longest string `string2ld` accepts (Redis's `MAX_LONG_DOUBLE_CHARS`).
const MAX_LONG_DOUBLE_CHARS: usize = 5 * 1024;

/// The bytes of a string value, or WRONGTYPE.
pub fn bytes(v: &Value) -> Result<Cow<'_, [u8]>, OpError> {
    v.string_bytes().ok_or(OpError::WrongType)
}

/// A value as an integer (`getLongLongFromObject`): WRONGTYPE for other types.
pub fn as_i64(v: &Value) -> Result<i64, OpError> {
    match v {
        Value::Int(i) => Ok(*i),
        other => parse_i64(&bytes(other)?).ok_or(OpError::NotInteger),
    }
}

/// INCRBY's new value for a key holding `current` (`None`: missing, counts as 0).
pub fn incr_by(current: Option<&Value>, delta: i64) -> Result<i64, OpError> {
    let old = match current {
        None => 0,
        Some(v) => as_i64(v)?,
    };
    old.checked_add(delta).ok_or(OpError::Overflow)
}

/// INCRBYFLOAT's new value as Redis stores and replies it: the sum computed in x87
/// `long double` and printed with `%.17Lf`, trailing zeros removed.
pub fn incr_by_float(current: Option<&Value>, incr: &[u8]) -> Result<String, OpError> {
    let old = match current {
        None => LongDouble::from_i64(0),
        Some(Value::Int(i)) => LongDouble::from_i64(*i),
        Some(v) => parse_long_double(&bytes(v)?).ok_or(OpError::NotFloat)?,
    };
    let delta = parse_long_double(incr).ok_or(OpError::NotFloat)?;
    let sum = old.plus(delta);
    if !sum.is_finite() {
        return Err(OpError::NanOrInfinity);
    }
    Ok(sum.to_human_string())
}

/// Redis's `string2ld`.
pub fn parse_long_double(s: &[u8]) -> Option<LongDouble> {
    if s.len() >= MAX_LONG_DOUBLE_CHARS {
        return None;
    }
    LongDouble::parse(s)
}

/// Appends to a string value in place (it becomes `raw`, as `dbUnshareStringValue`
/// makes it); returns the new length. Fails before copying if the result would exceed
/// `max_len`.
pub fn append(v: &mut Value, extra: &[u8], max_len: usize) -> Result<usize, OpError> {
    let cur_len = v.string_len().ok_or(OpError::WrongType)?;
    let total = cur_len.saturating_add(extra.len());
    if total > max_len {
        return Err(OpError::StringTooLong);
    }
    match v {
        Value::Raw(buf) => buf.extend_from_slice(extra),
        other => {
            let mut buf = Vec::with_capacity(total);
            buf.extend_from_slice(&bytes(other)?);
            buf.extend_from_slice(extra);
            *other = Value::raw(buf);
        }
    }
    Ok(total)
}

/// SETRANGE on an existing value: overwrites `data` at `offset`, zero-padding; an empty
/// `data` changes nothing. Returns the resulting length. The length check happens before
/// any allocation, so a 512MB offset fails fast.
pub fn set_range(v: &mut Value, offset: usize, data: &[u8], max_len: usize) -> Result<usize, OpError> {
    let cur_len = v.string_len().ok_or(OpError::WrongType)?;
    if data.is_empty() {
        return Ok(cur_len);
    }
    let end = offset.checked_add(data.len()).ok_or(OpError::StringTooLong)?;
    if end > max_len {
        return Err(OpError::StringTooLong);
    }
    if !matches!(v, Value::Raw(_)) {
        *v = Value::raw(bytes(v)?.into_owned());
    }
    let Value::Raw(buf) = v else { return Err(OpError::WrongType) };
    if buf.len() < end {
        buf.resize(end, 0);
    }
    buf[offset..end].copy_from_slice(data);
    Ok(buf.len())
}

/// SETRANGE on a missing key: the new raw value, or `None` when `data` is empty (Redis
/// replies 0 and creates nothing).
pub fn set_range_new(offset: usize, data: &[u8], max_len: usize) -> Result<Option<Value>, OpError> {
    if data.is_empty() {
        return Ok(None);
    }
    let end = offset.checked_add(data.len()).ok_or(OpError::StringTooLong)?;
    if end > max_len {
        return Err(OpError::StringTooLong);
    }
    let mut buf = vec![0u8; end];
    buf[offset..].copy_from_slice(data);
    Ok(Some(Value::raw(buf)))
}

/// GETRANGE's slice of `s` for inclusive `start`/`end` (negative: from the end).
pub fn get_range(s: &[u8], start: i64, end: i64) -> &[u8] {
    let len = s.len() as i64;
    if start < 0 && end < 0 && start > end {
        return &[];
    }
    let mut start = if start < 0 { len.saturating_add(start) } else { start };
    let mut end = if end < 0 { len.saturating_add(end) } else { end };
    start = start.max(0);
    end = end.max(0);
    if end >= len {
        end = len - 1;
    }
    if start > end || len == 0 {
        return &[];
    }
    &s[start as usize..=end as usize]
}

/// One matched range of LCS IDX: positions in a and b (inclusive) and its length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LcsMatch {
    pub a: (usize, usize),
    pub b: (usize, usize),
    pub len: usize,
}

/// The result of [`lcs`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LcsResult {
    /// The common subsequence itself (computed unless only the length was asked).
    pub string: Vec<u8>,
    pub len: usize,
    /// Matched ranges from the end of the strings backwards, as Redis emits them.
    pub matches: Vec<LcsMatch>,
}

/// Why LCS refused to run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LcsError {
    TooLong,
    TableTooBig,
}

/// Longest common subsequence by Redis's dynamic programming table, walking back from the
/// end to collect the string and ranges of at least `min_match_len` (0: all).
/// `max_table` is the byte limit of the table (proto-max-bulk-len).
pub fn lcs(a: &[u8], b: &[u8], want_string: bool, min_match_len: usize, max_table: u64) -> Result<LcsResult, LcsError> {
    if a.len() as u64 >= u64::from(u32::MAX) - 1 || b.len() as u64 >= u64::from(u32::MAX) - 1 {
        return Err(LcsError::TooLong);
    }
    let (alen, blen) = (a.len(), b.len());
    let cells = (alen as u64 + 1) * (blen as u64 + 1);
    if cells.saturating_mul(4) > max_table {
        return Err(LcsError::TableTooBig);
    }
    let w = blen + 1;
    let mut t = vec![0u32; cells as usize];
    for i in 1..=alen {
        for j in 1..=blen {
            t[i * w + j] = if a[i - 1] == b[j - 1] { t[(i - 1) * w + j - 1] + 1 } else { t[(i - 1) * w + j].max(t[i * w + j - 1]) };
        }
    }
    let len = t[alen * w + blen] as usize;
    let mut out = LcsResult { string: Vec::new(), len, matches: Vec::new() };
    if !want_string {
        return Ok(out);
    }
    let mut result = vec![0u8; len];
    let mut idx = len;
    let (mut i, mut j) = (alen, blen);
    // `arange_start == alen` means "no range open", as in Redis.
    let (mut as_, mut ae, mut bs, mut be) = (alen, 0usize, 0usize, 0usize);
    while i > 0 && j > 0 {
        let mut emit = false;
        if a[i - 1] == b[j - 1] {
            result[idx - 1] = a[i - 1];
            if as_ == alen {
                as_ = i - 1;
                ae = i - 1;
                bs = j - 1;
                be = j - 1;
            } else if as_ == i && bs == j {
                as_ -= 1;
                bs -= 1;
            } else {
                emit = true;
            }
            if as_ == 0 || bs == 0 {
                emit = true;
            }
            idx -= 1;
            i -= 1;
            j -= 1;
        } else {
            if t[(i - 1) * w + j] > t[i * w + j - 1] {
                i -= 1;
            } else {
                j -= 1;
            }
            if as_ != alen {
                emit = true;
            }
        }
        if emit {
            let match_len = ae.wrapping_sub(as_).wrapping_add(1);
            if min_match_len == 0 || match_len >= min_match_len {
                out.matches.push(LcsMatch { a: (as_, ae), b: (bs, be), len: match_len });
            }
            as_ = alen;
        }
    }
    out.string = result;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn incr_rules() {
        assert_eq!(incr_by(None, 5), Ok(5));
        assert_eq!(incr_by(Some(&Value::string(b"10")), -3), Ok(7));
        assert_eq!(incr_by(Some(&Value::string(b"abc")), 1), Err(OpError::NotInteger));
        assert_eq!(incr_by(Some(&Value::string(b" 1")), 1), Err(OpError::NotInteger));
        assert_eq!(incr_by(Some(&Value::Int(i64::MAX)), 1), Err(OpError::Overflow));
        assert_eq!(incr_by(Some(&Value::Int(i64::MIN)), -1), Err(OpError::Overflow));
    }

    #[test]
    fn incr_float_formatting() {
        assert_eq!(incr_by_float(Some(&Value::string(b"10.50")), b"0.1").as_deref(), Ok("10.6"));
        assert_eq!(incr_by_float(Some(&Value::string(b"1e20")), b"1").as_deref(), Ok("100000000000000000000"));
        assert_eq!(incr_by_float(None, b"3.0").as_deref(), Ok("3"));
        assert_eq!(incr_by_float(Some(&Value::Int(5)), b"-5").as_deref(), Ok("0"));
        assert_eq!(incr_by_float(Some(&Value::string(b"x")), b"1"), Err(OpError::NotFloat));
        assert_eq!(incr_by_float(None, b"x"), Err(OpError::NotFloat));
        assert_eq!(incr_by_float(None, b"inf"), Err(OpError::NanOrInfinity));
        let long = vec![b'1'; 5200];
        assert_eq!(incr_by_float(None, &long), Err(OpError::NotFloat));
    }

    #[test]
    fn append_and_setrange_make_raw() {
        let mut v = Value::string(b"12");
        assert_eq!(append(&mut v, b"ab", STRING_MAX_LEN), Ok(4));
        assert_eq!(v.encoding_name(), "raw");
        assert_eq!(bytes(&v).unwrap().as_ref(), b"12ab");
        let mut v = Value::string(b"hello");
        assert_eq!(set_range(&mut v, 7, b"xy", STRING_MAX_LEN), Ok(9));
        assert_eq!(v.encoding_name(), "raw");
        assert_eq!(bytes(&v).unwrap().as_ref(), b"hello\0\0xy");
        let mut v = Value::string(b"abc");
        assert_eq!(set_range(&mut v, 1, b"", STRING_MAX_LEN), Ok(3));
        assert_eq!(v.encoding_name(), "embstr");
        assert!(matches!(set_range_new(0, b"", STRING_MAX_LEN), Ok(None)));
        assert!(matches!(set_range_new(STRING_MAX_LEN, b"x", STRING_MAX_LEN), Err(OpError::StringTooLong)));
        assert_eq!(set_range(&mut v, usize::MAX, b"x", STRING_MAX_LEN), Err(OpError::StringTooLong));
        let mut big = Value::string(b"a");
        assert_eq!(append(&mut big, &[0u8; 8], 4), Err(OpError::StringTooLong));
    }

    #[test]
    fn encodings_of_results() {
        assert_eq!(Value::Int(incr_by(None, 1).unwrap()).encoding_name(), "int");
        let f = incr_by_float(None, b"3").unwrap();
        assert_eq!(Value::string_no_int(f.as_bytes()).encoding_name(), "embstr");
    }

    #[test]
    fn ranges() {
        assert_eq!(get_range(b"Hello World", 0, 4), b"Hello");
        assert_eq!(get_range(b"Hello World", -3, -1), b"rld");
        assert_eq!(get_range(b"Hello World", 0, -100), b"H");
        assert_eq!(get_range(b"Hello World", 5, 3), b"");
        assert_eq!(get_range(b"Hello World", 0, i64::MAX), b"Hello World");
        assert_eq!(get_range(b"Hello World", i64::MIN, -1), b"Hello World");
        assert_eq!(get_range(b"", 0, -1), b"");
        assert_eq!(get_range(b"abc", -1, -5), b"");
    }

    #[test]
    fn lcs_like_redis() {
        let r = lcs(b"ohmytext", b"mynewtext", true, 0, 1 << 29).unwrap();
        assert_eq!(r.string, b"mytext");
        assert_eq!(r.len, 6);
        assert_eq!(r.matches, vec![LcsMatch { a: (4, 7), b: (5, 8), len: 4 }, LcsMatch { a: (2, 3), b: (0, 1), len: 2 }]);
        let r = lcs(b"ohmytext", b"mynewtext", true, 4, 1 << 29).unwrap();
        assert_eq!(r.matches.len(), 1);
        assert_eq!(lcs(b"abc", b"abc", false, 0, 8), Err(LcsError::TableTooBig));
    }
}
