//! Stream entry IDs (`<ms>-<seq>`) and Redis's rules for parsing them from arguments
//! (`streamGenericParseIDOrReply`).

use std::fmt;

/// A stream entry ID: milliseconds and a sequence number, ordered as a 128-bit number.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct StreamId {
    pub ms: u64,
    pub seq: u64,
}

impl StreamId {
    /// The smallest ID, `0-0`.
    pub const MIN: StreamId = StreamId { ms: 0, seq: 0 };
    /// The largest ID, `18446744073709551615-18446744073709551615`.
    pub const MAX: StreamId = StreamId { ms: u64::MAX, seq: u64::MAX };

    pub const fn new(ms: u64, seq: u64) -> StreamId {
        StreamId { ms, seq }
    }

    /// True for `0-0`.
    pub fn is_zero(self) -> bool {
        self.ms == 0 && self.seq == 0
    }

    /// The next ID (`streamIncrID`); `None` past the maximum.
    pub fn next(self) -> Option<StreamId> {
        if self.seq == u64::MAX {
            if self.ms == u64::MAX {
                None
            } else {
                Some(StreamId::new(self.ms + 1, 0))
            }
        } else {
            Some(StreamId::new(self.ms, self.seq + 1))
        }
    }

    /// The previous ID (`streamDecrID`); `None` before the minimum.
    pub fn prev(self) -> Option<StreamId> {
        if self.seq == 0 {
            if self.ms == 0 {
                None
            } else {
                Some(StreamId::new(self.ms - 1, u64::MAX))
            }
        } else {
            Some(StreamId::new(self.ms, self.seq - 1))
        }
    }

    /// The 16-byte big-endian form Redis keys its radix trees with.
    pub fn to_be_bytes(self) -> [u8; 16] {
        let mut b = [0u8; 16];
        b[..8].copy_from_slice(&self.ms.to_be_bytes());
        b[8..].copy_from_slice(&self.seq.to_be_bytes());
        b
    }
}

impl fmt::Display for StreamId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.ms, self.seq)
    }
}

/// What an ID argument said about its sequence part.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Seq {
    /// The sequence was given (or defaulted from a missing part).
    Given,
    /// The `<ms>-*` form: the sequence is to be generated.
    Auto,
}

/// Parses an unsigned integer as Redis's `string2ull` does: `string2ll` first (negative
/// results are invalid), then C's `strtoull` over the whole string, which also takes
/// leading spaces, a sign (a `-` wraps around, as in C), and leading zeros.
fn parse_u64(s: &[u8]) -> Option<u64> {
    if let Some(v) = rhodium_protocol::number::parse_i64(s) {
        return u64::try_from(v).ok();
    }
    let mut i = 0;
    while i < s.len() && matches!(s[i], b' ' | b'\t' | b'\n' | b'\x0b' | b'\x0c' | b'\r') {
        i += 1;
    }
    let mut neg = false;
    if i < s.len() && (s[i] == b'+' || s[i] == b'-') {
        neg = s[i] == b'-';
        i += 1;
    }
    let digits = &s[i..];
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let mut v: u64 = 0;
    for &c in digits {
        v = v.checked_mul(10)?.checked_add(u64::from(c - b'0'))?;
    }
    Some(if neg { v.wrapping_neg() } else { v })
}

/// Parses `<ms>[-<seq>]`, `-` and `+` (unless `strict`), and `<ms>-*` when `allow_auto`.
/// A missing sequence takes `missing_seq`. `None` for anything Redis calls an invalid ID.
pub fn parse_id(arg: &[u8], missing_seq: u64, strict: bool, allow_auto: bool) -> Option<(StreamId, Seq)> {
    if arg.len() > 127 {
        return None;
    }
    // Redis copies the argument into a C string: an embedded NUL ends it.
    let arg = match arg.iter().position(|&b| b == 0) {
        Some(p) => &arg[..p],
        None => arg,
    };
    if arg == b"-" || arg == b"+" {
        if strict {
            return None;
        }
        return Some((if arg == b"-" { StreamId::MIN } else { StreamId::MAX }, Seq::Given));
    }
    match arg.iter().position(|&b| b == b'-') {
        Some(dash) => {
            let ms = parse_u64(&arg[..dash])?;
            let rest = &arg[dash + 1..];
            if allow_auto && rest == b"*" {
                return Some((StreamId::new(ms, 0), Seq::Auto));
            }
            Some((StreamId::new(ms, parse_u64(rest)?), Seq::Given))
        }
        None => Some((StreamId::new(parse_u64(arg)?, missing_seq), Seq::Given)),
    }
}

/// A range bound: `(` makes it exclusive (then `-`/`+` are invalid).
/// Returns the ID and whether it was exclusive.
pub fn parse_interval(arg: &[u8], missing_seq: u64) -> Option<(StreamId, bool)> {
    if arg.len() > 1 && arg[0] == b'(' {
        parse_id(&arg[1..], missing_seq, true, false).map(|(id, _)| (id, true))
    } else {
        parse_id(arg, missing_seq, false, false).map(|(id, _)| (id, false))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parsing() {
        assert_eq!(parse_id(b"1-2", 0, true, false), Some((StreamId::new(1, 2), Seq::Given)));
        assert_eq!(parse_id(b"5", 7, true, false), Some((StreamId::new(5, 7), Seq::Given)));
        assert_eq!(parse_id(b"5-*", 0, true, true), Some((StreamId::new(5, 0), Seq::Auto)));
        assert_eq!(parse_id(b"5-*", 0, true, false), None);
        assert_eq!(parse_id(b"-", 0, true, false), None);
        assert_eq!(parse_id(b"+", 0, false, false), Some((StreamId::MAX, Seq::Given)));
        assert_eq!(parse_id(b"1-", 0, false, false), None);
        assert_eq!(parse_id(b"-1", 0, false, false), None);
        assert_eq!(parse_id(b"01-+2", 0, false, false), Some((StreamId::new(1, 2), Seq::Given)));
        assert_eq!(parse_id(b"1--5", 0, false, false), None);
        assert_eq!(parse_id(b"18446744073709551615", 0, false, false), Some((StreamId::new(u64::MAX, 0), Seq::Given)));
        assert_eq!(parse_interval(b"(1-1", 0), Some((StreamId::new(1, 1), true)));
        assert_eq!(parse_interval(b"(-", 0), None);
        assert_eq!(StreamId::new(1, u64::MAX).next(), Some(StreamId::new(2, 0)));
        assert_eq!(StreamId::MAX.next(), None);
        assert_eq!(StreamId::MIN.prev(), None);
    }
}
