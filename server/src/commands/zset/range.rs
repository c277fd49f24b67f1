//! Score, lex and rank ranges (Redis's `zslParseRange`, `zslParseLexRange`) and the
//! ZRANGE family's shared argument rules (`zrangeGenericCommand`).

use std::ops::Range;

use bytes::Bytes;
use rhodium_protocol::number::{parse_f64, parse_i64};
use rhodium_protocol::{ArgError, Args, ReplyWriter};
use rhodium_storage::types::zset::ZSet;

use super::{read, reply_entries, store_result};
use crate::dispatch::ExecCtx;
use crate::error::{CmdResult, CommandError};

/// A score interval with exclusive flags.
pub struct ScoreRange {
    min: f64,
    max: f64,
    minex: bool,
    maxex: bool,
}

/// One bound as strtod reads it: the whole string must be consumed, an empty one is 0.
fn bound(a: &[u8]) -> Option<(f64, bool)> {
    let (ex, rest) = match a.first() {
        Some(b'(') => (true, &a[1..]),
        _ => (false, a),
    };
    // strtod skips leading whitespace, but converting nothing leaves the end pointer at
    // the start, so only the empty string reads as 0.
    let trimmed = rest.trim_ascii_start();
    let v = if rest.is_empty() {
        0.0
    } else if trimmed.is_empty() {
        return None;
    } else {
        parse_f64(trimmed).or_else(|| parse_hex_f64(trimmed))?
    };
    (!v.is_nan()).then_some((v, ex))
}

impl ScoreRange {
    /// Parses `min max`; Redis's error text otherwise.
    pub fn parse(min: &[u8], max: &[u8]) -> Result<ScoreRange, CommandError> {
        let err = || CommandError::err("min or max is not a float");
        let (min, minex) = bound(min).ok_or_else(err)?;
        let (max, maxex) = bound(max).ok_or_else(err)?;
        Ok(ScoreRange { min, max, minex, maxex })
    }

    /// The ascending ranks inside the range.
    pub fn ranks(&self, z: &ZSet) -> Range<usize> {
        let start = z.count_before(|s, _| if self.minex { s <= self.min } else { s < self.min });
        let end = z.count_before(|s, _| if self.maxex { s < self.max } else { s <= self.max });
        start..end.max(start)
    }
}

/// One end of a lex range.
pub enum LexBound {
    Min,
    Max,
    Incl(Bytes),
    Excl(Bytes),
}

impl LexBound {
    fn parse(a: &Bytes) -> Option<LexBound> {
        match a.first()? {
            b'+' if a.len() == 1 => Some(LexBound::Max),
            b'-' if a.len() == 1 => Some(LexBound::Min),
            b'(' => Some(LexBound::Excl(a.slice(1..))),
            b'[' => Some(LexBound::Incl(a.slice(1..))),
            _ => None,
        }
    }

    /// Parses `min max`; Redis's error text otherwise.
    pub fn parse_range(min: &Bytes, max: &Bytes) -> Result<(LexBound, LexBound), CommandError> {
        match (LexBound::parse(min), LexBound::parse(max)) {
            (Some(a), Some(b)) => Ok((a, b)),
            _ => Err(CommandError::err("min or max not valid string range item")),
        }
    }

    fn gte_min(&self, m: &[u8]) -> bool {
        match self {
            LexBound::Min => true,
            LexBound::Max => false,
            LexBound::Incl(x) => m >= x.as_ref(),
            LexBound::Excl(x) => m > x.as_ref(),
        }
    }

    fn lte_max(&self, m: &[u8]) -> bool {
        match self {
            LexBound::Min => false,
            LexBound::Max => true,
            LexBound::Incl(x) => m <= x.as_ref(),
            LexBound::Excl(x) => m < x.as_ref(),
        }
    }
}

/// The ascending ranks inside a lex range (members assumed to share one score).
pub fn lex_ranks(z: &ZSet, min: &LexBound, max: &LexBound) -> Range<usize> {
    let start = z.count_before(|_, m| !min.gte_min(m));
    let end = z.count_before(|_, m| max.lte_max(m));
    start..end.max(start)
}

/// Redis's rank sanitising (negative from the end, clamped); empty when out of range.
pub fn rank_span(len: usize, start: i64, end: i64) -> Range<usize> {
    rhodium_storage::types::clamp_range(start, end, len).map_or(0..0, |(s, e)| s..e + 1)
}

/// Which kind of range a ZRANGE-family command reads.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Auto,
    Rank,
    Score,
    Lex,
}

/// Redis's `zrangeGenericCommand`: `args` is positioned at the source key; `dst` is
/// ZRANGESTORE's destination; `rev` is fixed by the command name or `None` for ZRANGE.
pub fn zrange_generic(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter, dst: Option<Bytes>, mut kind: Kind, rev: Option<bool>) -> CmdResult {
    let key = args.next_arg()?;
    let mut min = args.next_arg()?;
    let mut max = args.next_arg()?;
    let store = dst.is_some();
    let (mut withscores, mut offset, mut limit) = (false, 0i64, -1i64);
    let mut reverse = rev;
    while let Some(a) = args.next() {
        let left = args.remaining();
        if !store && a.eq_ignore_ascii_case(b"withscores") {
            withscores = true;
        } else if a.eq_ignore_ascii_case(b"limit") && left >= 2 {
            offset = args.next_i64()?;
            limit = args.next_i64()?;
        } else if reverse.is_none() && a.eq_ignore_ascii_case(b"rev") {
            reverse = Some(true);
        } else if kind == Kind::Auto && a.eq_ignore_ascii_case(b"bylex") {
            kind = Kind::Lex;
        } else if kind == Kind::Auto && a.eq_ignore_ascii_case(b"byscore") {
            kind = Kind::Score;
        } else {
            return Err(ArgError::Syntax.into());
        }
    }
    let reverse = reverse.unwrap_or(false);
    if kind == Kind::Auto {
        kind = Kind::Rank;
    }
    if limit != -1 && kind == Kind::Rank {
        return Err(CommandError::err("syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX"));
    }
    if withscores && kind == Kind::Lex {
        return Err(CommandError::err("syntax error, WITHSCORES not supported in combination with BYLEX"));
    }
    if reverse && kind != Kind::Rank {
        std::mem::swap(&mut min, &mut max);
    }
    enum Parsed {
        Rank(i64, i64),
        Score(ScoreRange),
        Lex(LexBound, LexBound),
    }
    let parsed = match kind {
        Kind::Score => Parsed::Score(ScoreRange::parse(&min, &max)?),
        Kind::Lex => {
            let (a, b) = LexBound::parse_range(&min, &max)?;
            Parsed::Lex(a, b)
        }
        _ => Parsed::Rank(parse_i64(&min).ok_or(ArgError::NotInteger)?, parse_i64(&max).ok_or(ArgError::NotInteger)?),
    };
    let items: Vec<(f64, Vec<u8>)> = match read(ctx, &key)? {
        None => Vec::new(),
        Some(z) => {
            let (span, limited) = match &parsed {
                Parsed::Rank(s, e) => {
                    let n = z.len();
                    let r = rank_span(n, *s, *e);
                    // Reverse ranks count from the top.
                    (if reverse { n - r.end..n - r.start } else { r }, false)
                }
                Parsed::Score(r) => (r.ranks(z), true),
                Parsed::Lex(a, b) => (lex_ranks(z, a, b), true),
            };
            let span = if limited { apply_limit(span, z.len(), offset, limit, reverse) } else { span };
            if reverse {
                if span.is_empty() { Vec::new() } else { z.iter_rev_from(span.end - 1).take(span.len()).map(|(s, m)| (s, m.to_vec())).collect() }
            } else {
                z.iter_from(span.start).take(span.len()).map(|(s, m)| (s, m.to_vec())).collect()
            }
        }
    };
    match dst {
        Some(d) => store_result(ctx, &d, items, out),
        None => {
            let refs: Vec<(f64, &[u8])> = items.iter().map(|(s, m)| (*s, m.as_slice())).collect();
            reply_entries(out, &refs, withscores);
            Ok(())
        }
    }
}

/// LIMIT offset count over a range walked forwards or backwards: a negative offset (or
/// one past the set's size) gives nothing, a negative count means all.
fn apply_limit(span: Range<usize>, len: usize, offset: i64, limit: i64, reverse: bool) -> Range<usize> {
    if offset < 0 || (offset > 0 && offset as u64 >= len as u64) || limit == 0 {
        return 0..0;
    }
    let off = (offset as usize).min(span.len());
    let take = if limit < 0 { usize::MAX } else { limit as usize };
    let n = (span.len() - off).min(take);
    if reverse {
        span.end - off - n..span.end - off
    } else {
        span.start + off..span.start + off + n
    }
}

/// C's strtod for hexadecimal input (`0x1.8p3`), which Redis accepts wherever it reads a
/// double with strtod; `None` unless the whole string is consumed.
pub fn parse_hex_f64(a: &[u8]) -> Option<f64> {
    let (neg, rest) = match a.first() {
        Some(b'-') => (true, &a[1..]),
        Some(b'+') => (false, &a[1..]),
        _ => (false, a),
    };
    let rest = rest.strip_prefix(b"0x").or_else(|| rest.strip_prefix(b"0X"))?;
    let (mut mant, mut exp, mut digits, mut seen_dot) = (0f64, 0i64, 0usize, false);
    let mut i = 0;
    while i < rest.len() {
        let c = rest[i];
        if c == b'.' && !seen_dot {
            seen_dot = true;
        } else if let Some(d) = (c as char).to_digit(16) {
            mant = mant * 16.0 + f64::from(d);
            digits += 1;
            if seen_dot {
                exp -= 4;
            }
        } else {
            break;
        }
        i += 1;
    }
    if digits == 0 {
        return None;
    }
    if i < rest.len() {
        if rest[i] != b'p' && rest[i] != b'P' {
            return None;
        }
        let e = parse_i64(&rest[i + 1..]).filter(|_| rest.len() > i + 1 && rest[i + 1..].iter().all(|c| c.is_ascii_digit() || *c == b'-' || *c == b'+'))?;
        exp = exp.saturating_add(e.clamp(-100_000, 100_000));
    }
    let v = mant * 2f64.powi(exp.clamp(-100_000, 100_000) as i32);
    Some(if neg { -v } else { v })
}
