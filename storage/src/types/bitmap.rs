//! Bit operations on string values (Redis's `bitops.c` semantics, without clients):
//! population count, first set/clear bit, BITOP and the BITFIELD integer codec with its
//! overflow rules. Bit 0 is the most significant bit of the first byte, as in Redis.

use std::borrow::Cow;

use crate::error::OpError;
use crate::value::Value;

/// Number of set bits in `s`.
pub fn popcount(s: &[u8]) -> u64 {
    let mut chunks = s.chunks_exact(8);
    let mut n: u64 = chunks.by_ref().map(|c| u64::from(u64::from_ne_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]).count_ones())).sum();
    n += chunks.remainder().iter().map(|b| u64::from(b.count_ones())).sum::<u64>();
    n
}

/// Redis's `redisBitpos`: the position of the first bit equal to `bit` in `s`. Looking for
/// a clear bit in a string of set bits answers `s.len() * 8` (the string is taken as
/// zero-padded on the right); looking for a set bit in a string of zeros answers -1.
pub fn first_bit(s: &[u8], bit: bool) -> i64 {
    let skip = if bit { 0u8 } else { 0xff };
    match s.iter().position(|&b| b != skip) {
        Some(i) => {
            let b = s[i];
            let inner = if bit { b.leading_zeros() } else { b.leading_ones() };
            (i as i64) * 8 + i64::from(inner)
        }
        None if bit => -1,
        None => s.len() as i64 * 8,
    }
}

/// Normalises an inclusive `start..=end` range as BITCOUNT and BITPOS do: negative
/// indexes count from the end of `total` units, then both are clamped. `end` may end up
/// below `start` (an empty range).
fn clamp(start: i64, end: i64, total: i64) -> (i64, i64) {
    let mut start = if start < 0 { total.saturating_add(start) } else { start };
    let mut end = if end < 0 { total.saturating_add(end) } else { end };
    start = start.max(0);
    end = end.max(0);
    if end >= total {
        end = total - 1;
    }
    (start, end)
}

/// The masks of the bits outside a bit range in its first and last byte, and the range
/// in bytes (Redis's `first_byte_neg_mask` / `last_byte_neg_mask`).
fn bit_range_to_bytes(start: i64, end: i64) -> (u8, u8, i64, i64) {
    let first = !((1u32 << (8 - (start & 7))) - 1) as u8;
    let last = ((1u32 << (7 - (end & 7))) - 1) as u8;
    (first, last, start >> 3, end >> 3)
}

/// BITCOUNT over `s` with an optional inclusive range (`bits`: the range is in bits).
pub fn count_range(s: &[u8], range: Option<(i64, i64, bool)>) -> u64 {
    let Some((start, end, bits)) = range else { return popcount(s) };
    if start < 0 && end < 0 && start > end {
        return 0;
    }
    let total = if bits { (s.len() as i64) << 3 } else { s.len() as i64 };
    let (mut start, mut end) = clamp(start, end, total);
    let (mut first_mask, mut last_mask) = (0u8, 0u8);
    if bits && start <= end {
        (first_mask, last_mask, start, end) = bit_range_to_bytes(start, end);
    }
    if start > end {
        return 0;
    }
    let (a, b) = (start as usize, end as usize);
    let mut n = popcount(&s[a..=b]);
    // The edge bits outside the range were counted with their bytes: take them back.
    n -= u64::from((s[a] & first_mask).count_ones()) + u64::from((s[b] & last_mask).count_ones());
    n
}

/// BITPOS over `s`: the first bit equal to `bit` in the range (`start`, optional `end`,
/// `bits`: the range is in bits), or -1. Without an explicit end, a clear bit just past
/// the string counts (the string is zero-padded); with one, it does not.
pub fn bitpos(s: &[u8], bit: bool, range: Option<(i64, Option<i64>, bool)>) -> i64 {
    let (start, end, bits, end_given) = match range {
        None => (0, s.len() as i64 - 1, false, false),
        Some((start, end, bits)) => {
            let total = s.len() as i64;
            let end_given = end.is_some();
            let end = end.unwrap_or(total - 1);
            let total = if bits { total << 3 } else { total };
            let (start, end) = clamp(start, end, total);
            (start, end, bits, end_given)
        }
    };
    let (mut first_mask, mut last_mask, mut start, mut end) = (0u8, 0u8, start, end);
    if bits && start <= end {
        (first_mask, last_mask, start, end) = bit_range_to_bytes(start, end);
    }
    if start > end {
        return -1;
    }
    let mut bytes = end - start + 1;
    let pos = bitpos_bytes(s, bit, &mut start, &mut bytes, end, first_mask, last_mask);
    if end_given && !bit && pos == bytes << 3 {
        return -1;
    }
    if pos != -1 {
        pos + (start << 3)
    } else {
        pos
    }
}

/// The search part of Redis's `bitposCommand`: the first and last byte are searched
/// with their out-of-range bits forced to the opposite value. `start` and `bytes` are
/// left where the match was found, as the caller's adjustment expects.
fn bitpos_bytes(s: &[u8], bit: bool, start: &mut i64, bytes: &mut i64, end: i64, first_mask: u8, last_mask: u8) -> i64 {
    let force = |b: u8, mask: u8| if bit { b & !mask } else { b | mask };
    if first_mask != 0 {
        let mut c = force(s[*start as usize], first_mask);
        if last_mask != 0 && *bytes == 1 {
            c = force(c, last_mask);
        }
        let pos = first_bit(&[c], bit);
        if *bytes == 1 || (pos != -1 && pos != 8) {
            return pos;
        }
        *start += 1;
        *bytes -= 1;
    }
    let cur = *bytes - i64::from(last_mask != 0);
    if cur > 0 {
        let a = *start as usize;
        let pos = first_bit(&s[a..a + cur as usize], bit);
        if *bytes == cur || (pos != -1 && pos != cur << 3) {
            return pos;
        }
        *start += cur;
        *bytes -= cur;
    }
    first_bit(&[force(s[end as usize], last_mask)], bit)
}

/// A BITOP operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BitOp {
    And,
    Or,
    Xor,
    Not,
}

/// BITOP's result: as long as the longest source, missing bytes read as zero.
pub fn bitop(op: BitOp, srcs: &[Cow<'_, [u8]>]) -> Vec<u8> {
    let maxlen = srcs.iter().map(|s| s.len()).max().unwrap_or(0);
    let byte = |s: &[u8], j: usize| s.get(j).copied().unwrap_or(0);
    (0..maxlen)
        .map(|j| {
            let mut out = srcs.first().map(|s| byte(s, j)).unwrap_or(0);
            if op == BitOp::Not {
                return !out;
            }
            for s in &srcs[1..] {
                let b = byte(s, j);
                match op {
                    BitOp::And => out &= b,
                    BitOp::Or => out |= b,
                    BitOp::Xor | BitOp::Not => out ^= b,
                }
            }
            out
        })
        .collect()
}

/// The raw byte buffer of a string value, converting it to `raw` first (Redis's
/// `dbUnshareStringValue`), zero-padded to at least `min_len` bytes. Returns the buffer
/// and whether it grew.
pub fn raw_for_write(v: &mut Value, min_len: usize) -> Result<(&mut Vec<u8>, bool), OpError> {
    if !v.is_string() {
        return Err(OpError::WrongType);
    }
    if !matches!(v, Value::Raw(_)) {
        let bytes = v.string_bytes().ok_or(OpError::WrongType)?.into_owned();
        *v = Value::raw(bytes);
    }
    let Value::Raw(buf) = v else { return Err(OpError::WrongType) };
    let grown = buf.len() < min_len;
    if grown {
        buf.resize(min_len, 0);
    }
    Ok((buf, grown))
}

/// Bit `offset` of `s` (bits past the end are zero).
pub fn get_bit(s: &[u8], offset: u64) -> bool {
    let byte = offset >> 3;
    usize::try_from(byte).ok().and_then(|b| s.get(b)).is_some_and(|b| b & (1 << (7 - (offset & 7))) != 0)
}

/// Sets bit `offset` (which must be within `s`); returns the previous value.
pub fn set_bit(s: &mut [u8], offset: u64, on: bool) -> bool {
    let byte = (offset >> 3) as usize;
    let mask = 1u8 << (7 - (offset & 7));
    let old = s[byte] & mask != 0;
    if on {
        s[byte] |= mask;
    } else {
        s[byte] &= !mask;
    }
    old
}

/// Reads an unsigned `bits`-wide integer at bit `offset` (bits past the end are zero).
pub fn get_unsigned(s: &[u8], offset: u64, bits: u32) -> u64 {
    (0..u64::from(bits)).fold(0u64, |v, j| (v << 1) | u64::from(get_bit(s, offset + j)))
}

/// Reads a signed `bits`-wide integer at bit `offset` (two's complement, sign-extended).
pub fn get_signed(s: &[u8], offset: u64, bits: u32) -> i64 {
    let mut v = get_unsigned(s, offset, bits) as i64;
    if bits < 64 && v & (1i64 << (bits - 1)) != 0 {
        v |= -1i64 << bits;
    }
    v
}

/// Writes the low `bits` bits of `value` at bit `offset` (which must be within `s`).
pub fn set_unsigned(s: &mut [u8], offset: u64, bits: u32, value: u64) {
    for j in 0..u64::from(bits) {
        let on = value & (1u64 << (u64::from(bits) - 1 - j)) != 0;
        set_bit(s, offset + j, on);
    }
}

/// BITFIELD's overflow behaviour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Overflow {
    Wrap,
    Sat,
    Fail,
}

/// Redis's `checkUnsignedBitfieldOverflow`: `None` if `value + incr` fits in `bits`
/// unsigned bits, otherwise the value to store instead (`None` inside for FAIL).
pub fn unsigned_overflow(value: u64, incr: i64, bits: u32, ow: Overflow) -> Option<Option<u64>> {
    let max = if bits == 64 { u64::MAX } else { (1u64 << bits) - 1 };
    let maxincr = max.wrapping_sub(value) as i64;
    let minincr = value.wrapping_neg() as i64;
    let wrap = || {
        let mask = if bits >= 64 { 0 } else { u64::MAX << bits };
        value.wrapping_add(incr as u64) & !mask
    };
    let limit = if value > max || (incr > 0 && incr > maxincr) {
        max
    } else if incr < 0 && incr < minincr {
        0
    } else {
        return None;
    };
    Some(match ow {
        Overflow::Wrap => Some(wrap()),
        Overflow::Sat => Some(limit),
        Overflow::Fail => None,
    })
}

/// Redis's `checkSignedBitfieldOverflow`, as [`unsigned_overflow`] for signed fields.
pub fn signed_overflow(value: i64, incr: i64, bits: u32, ow: Overflow) -> Option<Option<i64>> {
    let max = if bits == 64 { i64::MAX } else { (1i64 << (bits - 1)) - 1 };
    let min = -max - 1;
    let maxincr = (max as u64).wrapping_sub(value as u64) as i64;
    let minincr = min.wrapping_sub(value);
    let wrap = || {
        let mut c = (value as u64).wrapping_add(incr as u64);
        if bits < 64 {
            let mask = u64::MAX << bits;
            if c & (1u64 << (bits - 1)) != 0 {
                c |= mask;
            } else {
                c &= !mask;
            }
        }
        c as i64
    };
    let limit = if value > max || (bits != 64 && incr > maxincr) || (value >= 0 && incr > 0 && incr > maxincr) {
        max
    } else if value < min || (bits != 64 && incr < minincr) || (value < 0 && incr < 0 && incr < minincr) {
        min
    } else {
        return None;
    };
    Some(match ow {
        Overflow::Wrap => Some(wrap()),
        Overflow::Sat => Some(limit),
        Overflow::Fail => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_positions() {
        assert_eq!(popcount(b"foobar"), 26);
        assert_eq!(count_range(b"foobar", Some((1, 1, false))), 6);
        assert_eq!(count_range(b"foobar", Some((5, 30, true))), 17);
        assert_eq!(count_range(b"foobar", Some((-1, -2, false))), 0);
        assert_eq!(first_bit(&[0xff, 0xf0], false), 12);
        assert_eq!(first_bit(&[0xff, 0xff], false), 16);
        assert_eq!(first_bit(&[0, 0], true), -1);
        assert_eq!(bitpos(&[0xff, 0xf0, 0], false, None), 12);
        assert_eq!(bitpos(&[0xff, 0xff], false, None), 16);
        assert_eq!(bitpos(&[0xff, 0xff], false, Some((0, Some(-1), false))), -1);
        assert_eq!(bitpos(&[0, 0xff, 0xf0, 0], true, Some((2, Some(-1), false))), 16);
        assert_eq!(bitpos(&[0x00, 0xff, 0xf0], true, Some((7, Some(15), true))), 8);
        assert_eq!(bitpos(&[0x00, 0xff, 0xf0], true, Some((7, Some(7), true))), -1);
    }

    #[test]
    fn bitop_pads_with_zeros() {
        let a: Cow<[u8]> = Cow::Borrowed(b"\xff\x0f");
        let b: Cow<[u8]> = Cow::Borrowed(b"\x0f");
        assert_eq!(bitop(BitOp::And, &[a.clone(), b.clone()]), vec![0x0f, 0]);
        assert_eq!(bitop(BitOp::Or, &[a.clone(), b.clone()]), vec![0xff, 0x0f]);
        assert_eq!(bitop(BitOp::Xor, &[a.clone(), b]), vec![0xf0, 0x0f]);
        assert_eq!(bitop(BitOp::Not, &[a]), vec![0x00, 0xf0]);
    }

    #[test]
    fn bitfield_codec_and_overflow() {
        let mut s = vec![0u8; 2];
        set_unsigned(&mut s, 7, 5, 23);
        assert_eq!(s, vec![0b0000_0001, 0b0111_0000]);
        assert_eq!(get_unsigned(&s, 7, 5), 23);
        set_unsigned(&mut s, 0, 8, (-3i64) as u64);
        assert_eq!(get_signed(&s, 0, 8), -3);
        assert_eq!(get_unsigned(&s, 12, 8), 0);
        assert_eq!(unsigned_overflow(250, 10, 8, Overflow::Wrap), Some(Some(4)));
        assert_eq!(unsigned_overflow(250, 10, 8, Overflow::Sat), Some(Some(255)));
        assert_eq!(unsigned_overflow(5, -10, 8, Overflow::Sat), Some(Some(0)));
        assert_eq!(unsigned_overflow(5, -10, 8, Overflow::Fail), Some(None));
        assert_eq!(unsigned_overflow(5, 10, 8, Overflow::Fail), None);
        assert_eq!(signed_overflow(127, 1, 8, Overflow::Wrap), Some(Some(-128)));
        assert_eq!(signed_overflow(-128, -1, 8, Overflow::Sat), Some(Some(-128)));
        assert_eq!(signed_overflow(i64::MAX, 1, 64, Overflow::Wrap), Some(Some(i64::MIN)));
        assert_eq!(signed_overflow(-5, i64::MIN, 64, Overflow::Sat), Some(Some(i64::MIN)));
        assert_eq!(signed_overflow(100, -50, 8, Overflow::Fail), None);
    }
}
