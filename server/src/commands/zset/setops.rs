//! ZUNION, ZINTER, ZDIFF, their STORE forms and ZINTERCARD (Redis's
//! `zunionInterDiffGenericCommand`).

use std::collections::HashMap;

use rhodium_protocol::{ArgError, Args, ReplyWriter};
use rhodium_storage::types::zset::{cmp_entry, ZSet};

use rhodium_storage::{OpError, Value};

use super::{reply_entries, store_result};
use crate::dispatch::ExecCtx;
use crate::error::{CmdResult, CommandError};

#[derive(Clone, Copy, PartialEq, Eq)]
enum Op {
    Union,
    Inter,
    Diff,
}

#[derive(Clone, Copy)]
enum Aggregate {
    Sum,
    Min,
    Max,
}

/// Redis's `zunionInterAggregate`: a NaN sum (inf + -inf) becomes 0.
fn aggregate(target: &mut f64, val: f64, how: Aggregate) {
    match how {
        Aggregate::Sum => {
            *target += val;
            if target.is_nan() {
                *target = 0.0;
            }
        }
        Aggregate::Min => *target = target.min(val),
        Aggregate::Max => *target = target.max(val),
    }
}

/// One input: its entries (None for a missing key) and weight.
struct Src {
    set: Option<ZSet>,
    weight: f64,
}

impl Src {
    fn len(&self) -> usize {
        self.set.as_ref().map_or(0, ZSet::len)
    }
}

/// An input of ZUNION/ZINTER/ZDIFF: a sorted set, or a plain set whose members all
/// score 1 (as Redis's `zuiInitIterator` reads sets); anything else is WRONGTYPE.
fn read_input(ctx: &mut ExecCtx, key: &[u8]) -> Result<Option<ZSet>, CommandError> {
    match ctx.lookup_read(key)? {
        None => Ok(None),
        Some(Value::ZSet(z)) => Ok(Some((**z).clone())),
        Some(Value::Set(set)) => {
            // A working copy only: no encoding limits apply to it.
            let mut z = ZSet::with_hint(set.len(), 0, usize::MAX, usize::MAX);
            for m in set.iter() {
                z.insert(1.0, &m, usize::MAX, usize::MAX);
            }
            Ok(Some(z))
        }
        Some(_) => Err(OpError::WrongType.into()),
    }
}

fn generic(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter, op: Op, store: bool, card_only: bool) -> CmdResult {
    let argv = args.argv().to_vec();
    let name = String::from_utf8_lossy(&argv[0]).to_ascii_lowercase();
    let dst = if store { Some(argv[1].clone()) } else { None };
    let numkeys_idx = if store { 2 } else { 1 };
    let setnum = rhodium_protocol::number::parse_i64(&argv[numkeys_idx]).ok_or(ArgError::NotInteger)?;
    if setnum < 1 {
        return Err(CommandError::err(format!("at least 1 input key is needed for '{name}' command")));
    }
    if setnum as u64 > (argv.len() - numkeys_idx - 1) as u64 {
        return Err(ArgError::Syntax.into());
    }
    let setnum = setnum as usize;
    let mut srcs = Vec::with_capacity(setnum);
    for key in &argv[numkeys_idx + 1..numkeys_idx + 1 + setnum] {
        srcs.push(Src { set: read_input(ctx, key)?, weight: 1.0 });
    }
    let (mut how, mut withscores, mut limit) = (Aggregate::Sum, false, 0usize);
    let mut j = numkeys_idx + 1 + setnum;
    while j < argv.len() {
        let remaining = argv.len() - j;
        let a = &argv[j];
        if op != Op::Diff && !card_only && remaining > setnum && a.eq_ignore_ascii_case(b"weights") {
            for (i, src) in srcs.iter_mut().enumerate() {
                src.weight = super::parse_double(&argv[j + 1 + i]).ok_or_else(|| CommandError::err("weight value is not a float"))?;
            }
            j += 1 + setnum;
        } else if op != Op::Diff && !card_only && remaining >= 2 && a.eq_ignore_ascii_case(b"aggregate") {
            let v = &argv[j + 1];
            how = if v.eq_ignore_ascii_case(b"sum") {
                Aggregate::Sum
            } else if v.eq_ignore_ascii_case(b"min") {
                Aggregate::Min
            } else if v.eq_ignore_ascii_case(b"max") {
                Aggregate::Max
            } else {
                return Err(ArgError::Syntax.into());
            };
            j += 2;
        } else if !store && !card_only && a.eq_ignore_ascii_case(b"withscores") {
            withscores = true;
            j += 1;
        } else if card_only && remaining >= 2 && a.eq_ignore_ascii_case(b"limit") {
            let n = rhodium_protocol::number::parse_i64(&argv[j + 1]).ok_or(ArgError::NotInteger)?;
            if n < 0 {
                return Err(CommandError::err("LIMIT can't be negative"));
            }
            limit = n as usize;
            j += 2;
        } else {
            return Err(ArgError::Syntax.into());
        }
    }
    // Same input order as Redis (stable sort by size), so float sums add up identically.
    match op {
        Op::Diff => srcs[1..].sort_by_key(|s| std::cmp::Reverse(s.len())),
        _ => srcs.sort_by_key(Src::len),
    }
    let mut result: Vec<(f64, Vec<u8>)> = Vec::new();
    let mut cardinality = 0usize;
    match op {
        Op::Inter => {
            if let Some(first) = srcs[0].set.as_ref().filter(|s| !s.is_empty()) {
                for (s0, m) in first.iter() {
                    let mut score = srcs[0].weight * s0;
                    if score.is_nan() {
                        score = 0.0;
                    }
                    let mut all = true;
                    for src in &srcs[1..] {
                        match src.set.as_ref().and_then(|z| z.score(m)) {
                            Some(v) => aggregate(&mut score, v * src.weight, how),
                            None => {
                                all = false;
                                break;
                            }
                        }
                    }
                    if all {
                        cardinality += 1;
                        if card_only {
                            if limit != 0 && cardinality >= limit {
                                break;
                            }
                        } else {
                            result.push((score, m.to_vec()));
                        }
                    }
                }
            }
        }
        Op::Union => {
            let mut acc: HashMap<Vec<u8>, f64> = HashMap::new();
            for src in &srcs {
                let Some(z) = &src.set else { continue };
                for (s, m) in z.iter() {
                    let mut score = src.weight * s;
                    if score.is_nan() {
                        score = 0.0;
                    }
                    match acc.get_mut(m) {
                        Some(t) => aggregate(t, score, how),
                        None => {
                            acc.insert(m.to_vec(), score);
                        }
                    }
                }
            }
            result = acc.into_iter().map(|(m, s)| (s, m)).collect();
        }
        Op::Diff => {
            if let Some(first) = &srcs[0].set {
                for (s, m) in first.iter() {
                    if srcs[1..].iter().all(|o| o.set.as_ref().is_none_or(|z| z.score(m).is_none())) {
                        result.push((s, m.to_vec()));
                    }
                }
            }
        }
    }
    if card_only {
        out.integer(cardinality as i64);
        return Ok(());
    }
    result.sort_by(|a, b| cmp_entry(a.0, &a.1, b.0, &b.1));
    match dst {
        Some(d) => store_result(ctx, &d, result, out),
        None => {
            let refs: Vec<(f64, &[u8])> = result.iter().map(|(s, m)| (*s, m.as_slice())).collect();
            reply_entries(out, &refs, withscores);
            Ok(())
        }
    }
}

/// ZUNION numkeys key [key ...] [WEIGHTS ...] [AGGREGATE ...] [WITHSCORES]
pub fn zunion(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    generic(ctx, args, out, Op::Union, false, false)
}

/// ZINTER numkeys key [key ...] [WEIGHTS ...] [AGGREGATE ...] [WITHSCORES]
pub fn zinter(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    generic(ctx, args, out, Op::Inter, false, false)
}

/// ZDIFF numkeys key [key ...] [WITHSCORES]
pub fn zdiff(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    generic(ctx, args, out, Op::Diff, false, false)
}

/// ZUNIONSTORE destination numkeys key [key ...] [WEIGHTS ...] [AGGREGATE ...]
pub fn zunionstore(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    generic(ctx, args, out, Op::Union, true, false)
}

/// ZINTERSTORE destination numkeys key [key ...] [WEIGHTS ...] [AGGREGATE ...]
pub fn zinterstore(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    generic(ctx, args, out, Op::Inter, true, false)
}

/// ZDIFFSTORE destination numkeys key [key ...]
pub fn zdiffstore(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    generic(ctx, args, out, Op::Diff, true, false)
}

/// ZINTERCARD numkeys key [key ...] [LIMIT limit]
pub fn zintercard(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    generic(ctx, args, out, Op::Inter, false, true)
}
