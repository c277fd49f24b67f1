//! Sorted set commands (Redis's `t_zset.c`), without the blocking ones: parsing and
//! replies here, the structure in `rhodium_storage::types::zset`.

use rhodium_protocol::number::parse_f64;
use rhodium_protocol::{ArgError, Args, ReplyWriter, Resp};
use rhodium_storage::keyspace::SetExpiry;
use rhodium_storage::types::zset::ZSet;
use rhodium_storage::{OpError, Value};

use super::spec::{acl, flags as f, keyflags as k, BeginSearch, CommandSpec, FindKeys, Group, KeySpec};
use crate::dispatch::ExecCtx;
use crate::error::{CmdResult, CommandError};
use crate::notify::class as ev;

mod range;
mod setops;

use range::{LexBound, ScoreRange};

const fn keynum(index: i32, flags: u32) -> KeySpec {
    KeySpec { notes: "", flags, begin: BeginSearch::Index(index), find: FindKeys::Keynum { keynumidx: 0, firstkey: 1, step: 1 } }
}

pub fn specs() -> &'static [CommandSpec] {
    const S: CommandSpec = CommandSpec { group: Group::SortedSet, acl: acl::SORTEDSET, ..CommandSpec::DEFAULT };
    const WF: u32 = f::WRITE | f::DENYOOM | f::FAST;
    const RF: u32 = f::READONLY | f::FAST;
    const R: u32 = f::READONLY;
    const RM: u32 = f::READONLY | f::MOVABLE_KEYS;
    const WM: u32 = f::WRITE | f::DENYOOM | f::MOVABLE_KEYS;
    static RW_UPDATE: [KeySpec; 1] = [KeySpec::single(1, k::RW | k::UPDATE)];
    static RW_ACCESS_UPDATE: [KeySpec; 1] = [KeySpec::single(1, k::RW | k::ACCESS | k::UPDATE)];
    static RW_DELETE: [KeySpec; 1] = [KeySpec::single(1, k::RW | k::DELETE)];
    static RW_ACCESS_DELETE: [KeySpec; 1] = [KeySpec::single(1, k::RW | k::ACCESS | k::DELETE)];
    static RO: [KeySpec; 1] = [KeySpec::single(1, k::RO)];
    static RO_ACCESS: [KeySpec; 1] = [KeySpec::single(1, k::RO | k::ACCESS)];
    static STORE_RANGE: [KeySpec; 2] = [KeySpec::single(1, k::OW | k::UPDATE), KeySpec::single(2, k::RO | k::ACCESS)];
    static STORE_KEYNUM: [KeySpec; 2] = [KeySpec::single(1, k::OW | k::UPDATE), keynum(2, k::RO | k::ACCESS)];
    static RO_KEYNUM: [KeySpec; 1] = [keynum(1, k::RO | k::ACCESS)];
    static ZMPOP_KS: [KeySpec; 1] = [keynum(1, k::RW | k::ACCESS | k::DELETE)];
    const ND: &[&str] = &["nondeterministic_output"];
    static SPECS: &[CommandSpec] = &[
        CommandSpec { name: "zadd", since: "1.2.0", arity: -4, flags: WF, key_specs: &RW_UPDATE, handler: Some(zadd), ..S },
        CommandSpec { name: "zincrby", since: "1.2.0", arity: 4, flags: WF, key_specs: &RW_ACCESS_UPDATE, handler: Some(zincrby), ..S },
        CommandSpec { name: "zrem", since: "1.2.0", arity: -3, flags: f::WRITE | f::FAST, key_specs: &RW_DELETE, handler: Some(zrem), ..S },
        CommandSpec { name: "zcard", since: "1.2.0", arity: 2, flags: RF, key_specs: &RO, handler: Some(zcard), ..S },
        CommandSpec { name: "zscore", since: "1.2.0", arity: 3, flags: RF, key_specs: &RO_ACCESS, handler: Some(zscore), ..S },
        CommandSpec { name: "zmscore", since: "6.2.0", arity: -3, flags: RF, key_specs: &RO_ACCESS, handler: Some(zmscore), ..S },
        CommandSpec { name: "zcount", since: "2.0.0", arity: 4, flags: RF, key_specs: &RO_ACCESS, handler: Some(zcount), ..S },
        CommandSpec { name: "zrank", since: "2.0.0", arity: 3, flags: RF, key_specs: &RO_ACCESS, handler: Some(zrank), ..S },
        CommandSpec { name: "zrevrank", since: "2.0.0", arity: 3, flags: RF, key_specs: &RO_ACCESS, handler: Some(zrevrank), ..S },
        CommandSpec { name: "zrange", since: "1.2.0", arity: -4, flags: R, key_specs: &RO_ACCESS, handler: Some(zrange), ..S },
        CommandSpec { name: "zrevrange", since: "1.2.0", arity: -4, flags: R, key_specs: &RO_ACCESS, handler: Some(zrevrange), ..S },
        CommandSpec { name: "zrangebyscore", since: "1.0.5", arity: -4, flags: R, key_specs: &RO_ACCESS, handler: Some(zrangebyscore), ..S },
        CommandSpec { name: "zrevrangebyscore", since: "2.2.0", arity: -4, flags: R, key_specs: &RO_ACCESS, handler: Some(zrevrangebyscore), ..S },
        CommandSpec { name: "zrangebylex", since: "2.8.9", arity: -4, flags: R, key_specs: &RO_ACCESS, handler: Some(zrangebylex), ..S },
        CommandSpec { name: "zrevrangebylex", since: "2.8.9", arity: -4, flags: R, key_specs: &RO_ACCESS, handler: Some(zrevrangebylex), ..S },
        CommandSpec { name: "zlexcount", since: "2.8.9", arity: 4, flags: RF, key_specs: &RO_ACCESS, handler: Some(zlexcount), ..S },
        CommandSpec { name: "zrangestore", since: "6.2.0", arity: -5, flags: f::WRITE | f::DENYOOM, key_specs: &STORE_RANGE, handler: Some(zrangestore), ..S },
        CommandSpec { name: "zremrangebyrank", since: "2.0.0", arity: 4, flags: f::WRITE, key_specs: &RW_DELETE, handler: Some(zremrangebyrank), ..S },
        CommandSpec { name: "zremrangebyscore", since: "1.2.0", arity: 4, flags: f::WRITE, key_specs: &RW_DELETE, handler: Some(zremrangebyscore), ..S },
        CommandSpec { name: "zremrangebylex", since: "2.8.9", arity: 4, flags: f::WRITE, key_specs: &RW_DELETE, handler: Some(zremrangebylex), ..S },
        CommandSpec { name: "zpopmin", since: "5.0.0", arity: -2, flags: f::WRITE | f::FAST, key_specs: &RW_ACCESS_DELETE, handler: Some(zpopmin), ..S },
        CommandSpec { name: "zpopmax", since: "5.0.0", arity: -2, flags: f::WRITE | f::FAST, key_specs: &RW_ACCESS_DELETE, handler: Some(zpopmax), ..S },
        CommandSpec { name: "zmpop", since: "7.0.0", arity: -4, flags: f::WRITE | f::MOVABLE_KEYS, key_specs: &ZMPOP_KS, handler: Some(zmpop), ..S },
        CommandSpec { name: "zunion", since: "6.2.0", arity: -3, flags: RM, key_specs: &RO_KEYNUM, handler: Some(setops::zunion), ..S },
        CommandSpec { name: "zinter", since: "6.2.0", arity: -3, flags: RM, key_specs: &RO_KEYNUM, handler: Some(setops::zinter), ..S },
        CommandSpec { name: "zdiff", since: "6.2.0", arity: -3, flags: RM, key_specs: &RO_KEYNUM, handler: Some(setops::zdiff), ..S },
        CommandSpec { name: "zunionstore", since: "2.0.0", arity: -4, flags: WM, key_specs: &STORE_KEYNUM, handler: Some(setops::zunionstore), ..S },
        CommandSpec { name: "zinterstore", since: "2.0.0", arity: -4, flags: WM, key_specs: &STORE_KEYNUM, handler: Some(setops::zinterstore), ..S },
        CommandSpec { name: "zdiffstore", since: "6.2.0", arity: -4, flags: WM, key_specs: &STORE_KEYNUM, handler: Some(setops::zdiffstore), ..S },
        CommandSpec { name: "zintercard", since: "7.0.0", arity: -3, flags: RM, key_specs: &RO_KEYNUM, handler: Some(setops::zintercard), ..S },
        CommandSpec { name: "zrandmember", since: "6.2.0", arity: -2, flags: R, key_specs: &RO_ACCESS, tips: ND, handler: Some(zrandmember), ..S },
        CommandSpec { name: "zscan", since: "2.8.0", arity: -3, flags: R, key_specs: &RO_ACCESS, tips: ND, handler: Some(zscan), ..S },
    ];
    SPECS
}

/// `zset-max-listpack-entries` and `zset-max-listpack-value`.
pub(crate) fn limits(ctx: &ExecCtx) -> (usize, usize) {
    let cfg = ctx.server.config();
    let get = |name: &str, default: usize| cfg.other.get(name).and_then(|v| v.parse::<usize>().ok()).unwrap_or(default);
    (get("zset-max-listpack-entries", 128), get("zset-max-listpack-value", 64))
}

/// The sorted set under `key` for reading; WRONGTYPE for other types.
pub(crate) fn read<'a>(ctx: &'a mut ExecCtx, key: &[u8]) -> Result<Option<&'a ZSet>, CommandError> {
    match ctx.lookup_read(key)? {
        None => Ok(None),
        Some(Value::ZSet(z)) => Ok(Some(z)),
        Some(_) => Err(OpError::WrongType.into()),
    }
}

/// The sorted set under `key` for writing; WRONGTYPE for other types.
pub(crate) fn write<'a>(ctx: &'a mut ExecCtx, key: &[u8]) -> Result<Option<&'a mut ZSet>, CommandError> {
    match ctx.lookup_write(key)? {
        None => Ok(None),
        Some(Value::ZSet(z)) => Ok(Some(z)),
        Some(_) => Err(OpError::WrongType.into()),
    }
}

/// Deletes `key` if its sorted set became empty (Redis never keeps empty keys).
pub(crate) fn delete_if_empty(ctx: &mut ExecCtx, key: &[u8]) -> CmdResult {
    if matches!(ctx.lookup_write(key)?, Some(Value::ZSet(z)) if z.is_empty()) {
        ctx.delete_key(key)?;
        ctx.notify(ev::GENERIC, "del", key);
    }
    Ok(())
}

/// Replies with (member, score) pairs as Redis's zrange result handler does: flat in
/// RESP2, an array of [member, double] pairs in RESP3 when scores are included.
pub(crate) fn reply_entries(out: &mut ReplyWriter, items: &[(f64, &[u8])], withscores: bool) {
    let nested = withscores && out.resp() == Resp::V3;
    out.array(if withscores && !nested { items.len() * 2 } else { items.len() });
    for (s, m) in items {
        if nested {
            out.array(2);
        }
        out.bulk(m);
        if withscores {
            out.double(*s);
        }
    }
}

/// Redis's `getDoubleFromObject` for scores: strtod over the whole string, no NaN.
fn parse_score(a: &[u8]) -> Result<f64, CommandError> {
    parse_double(a).ok_or_else(|| ArgError::NotFloat.into())
}

/// A double as `getDoubleFromObject` reads it, hexadecimal forms included.
pub(crate) fn parse_double(a: &[u8]) -> Option<f64> {
    let v = parse_f64(a).or_else(|| range::parse_hex_f64(a))?;
    // strtod's ERANGE (overflow to ±inf, underflow to 0) is an error for Redis.
    let body = a.strip_prefix(b"-").or_else(|| a.strip_prefix(b"+")).unwrap_or(a);
    if v.is_infinite() && !body.get(..3).is_some_and(|p| p.eq_ignore_ascii_case(b"inf")) {
        return None;
    }
    let hex = body.len() > 1 && body[1].eq_ignore_ascii_case(&b'x');
    let mantissa = body.iter().skip(if hex { 2 } else { 0 }).take_while(|c| !(if hex { c.eq_ignore_ascii_case(&b'p') } else { c.eq_ignore_ascii_case(&b'e') }));
    if v == 0.0 && mantissa.clone().any(|c| c.is_ascii_hexdigit() && *c != b'0') {
        return None;
    }
    Some(v)
}

// ZADD input flags (Redis's ZADD_IN_*).
const NX: u8 = 1;
const XX: u8 = 2;
const GT: u8 = 4;
const LT: u8 = 8;
const INCR: u8 = 16;

/// What one zsetAdd did.
enum AddOutcome {
    Added(f64),
    Updated(f64),
    Same(f64),
    Nop,
    Nan,
}

/// Redis's `zsetAdd` on an existing set.
fn zset_add(z: &mut ZSet, score: f64, member: &[u8], flags: u8, lim: (usize, usize)) -> AddOutcome {
    match z.score(member) {
        Some(cur) => {
            if flags & NX != 0 {
                return AddOutcome::Nop;
            }
            let new = if flags & INCR != 0 { cur + score } else { score };
            if new.is_nan() {
                return AddOutcome::Nan;
            }
            if (flags & GT != 0 && new <= cur) || (flags & LT != 0 && new >= cur) {
                return AddOutcome::Nop;
            }
            if new != cur {
                z.insert(new, member, lim.0, lim.1);
                AddOutcome::Updated(new)
            } else {
                AddOutcome::Same(new)
            }
        }
        None => {
            if flags & XX != 0 {
                return AddOutcome::Nop;
            }
            z.insert(score, member, lim.0, lim.1);
            AddOutcome::Added(score)
        }
    }
}

/// Redis's `zaddGenericCommand`; `flags` carries INCR for ZINCRBY.
fn zadd_generic(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter, mut flags: u8) -> CmdResult {
    let key = args.next_arg()?;
    let mut ch = false;
    while let Some(a) = args.peek() {
        let bit = match a.to_ascii_uppercase().as_slice() {
            b"NX" => NX,
            b"XX" => XX,
            b"GT" => GT,
            b"LT" => LT,
            b"INCR" => INCR,
            b"CH" => 0,
            _ => break,
        };
        if bit == 0 {
            ch = true;
        }
        flags |= bit;
        args.next();
    }
    let rest = args.rest().to_vec();
    if rest.is_empty() || !rest.len().is_multiple_of(2) {
        return Err(ArgError::Syntax.into());
    }
    if flags & NX != 0 && flags & XX != 0 {
        return Err(CommandError::err("XX and NX options at the same time are not compatible"));
    }
    if (flags & (GT | LT) != 0 && flags & NX != 0) || (flags & GT != 0 && flags & LT != 0) {
        return Err(CommandError::err("GT, LT, and/or NX options at the same time are not compatible"));
    }
    if flags & INCR != 0 && rest.len() > 2 {
        return Err(CommandError::err("INCR option supports a single increment-element pair"));
    }
    let mut pairs = Vec::with_capacity(rest.len() / 2);
    for p in rest.chunks(2) {
        pairs.push((parse_score(&p[0])?, p[1].clone()));
    }
    let lim = limits(ctx);
    if write(ctx, &key)?.is_none() {
        if flags & XX != 0 {
            return reply_zadd(out, flags, ch, 0, 0, None);
        }
        // Redis 7.0 picks the encoding from the first member's length alone.
        let first_len = pairs.first().map_or(0, |(_, m)| m.len());
        let z = ZSet::with_hint(0, first_len, lim.0, lim.1);
        ctx.set_key(&key, Value::ZSet(Box::new(z)), SetExpiry::Clear)?;
    }
    let Some(z) = write(ctx, &key)? else { return Ok(()) };
    let (mut added, mut updated, mut last) = (0i64, 0i64, None);
    let mut nan = false;
    for (score, member) in &pairs {
        match zset_add(z, *score, member, flags, lim) {
            AddOutcome::Added(s) => {
                added += 1;
                last = Some(s);
            }
            AddOutcome::Updated(s) => {
                updated += 1;
                last = Some(s);
            }
            AddOutcome::Same(s) => last = Some(s),
            AddOutcome::Nop => {}
            AddOutcome::Nan => {
                nan = true;
                break;
            }
        }
    }
    ctx.mark_dirty((added + updated) as u64);
    if added + updated > 0 {
        ctx.notify(ev::ZSET, if flags & INCR != 0 { "zincr" } else { "zadd" }, &key);
    }
    if nan {
        return Err(CommandError::err("resulting score is not a number (NaN)"));
    }
    reply_zadd(out, flags, ch, added, updated, last)
}

fn reply_zadd(out: &mut ReplyWriter, flags: u8, ch: bool, added: i64, updated: i64, last: Option<f64>) -> CmdResult {
    if flags & INCR != 0 {
        match last {
            Some(s) => out.double(s),
            None => out.null(),
        }
    } else {
        out.integer(if ch { added + updated } else { added });
    }
    Ok(())
}

fn zadd(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    zadd_generic(ctx, args, out, 0)
}

fn zincrby(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    zadd_generic(ctx, args, out, INCR)
}

fn zrem(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    let key = args.next_arg()?;
    let members = args.rest().to_vec();
    let Some(z) = write(ctx, &key)? else {
        out.integer(0);
        return Ok(());
    };
    let mut deleted = 0;
    for m in &members {
        if z.remove(m).is_some() {
            deleted += 1;
            if z.is_empty() {
                break;
            }
        }
    }
    if deleted > 0 {
        ctx.notify(ev::ZSET, "zrem", &key);
    }
    delete_if_empty(ctx, &key)?;
    ctx.mark_dirty(deleted);
    out.integer(deleted as i64);
    Ok(())
}

fn zcard(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    let key = args.next_arg()?;
    let n = read(ctx, &key)?.map_or(0, ZSet::len);
    out.integer(n as i64);
    Ok(())
}

fn zscore(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    let key = args.next_arg()?;
    let member = args.next_arg()?;
    match read(ctx, &key)?.and_then(|z| z.score(&member)) {
        Some(s) => out.double(s),
        None => out.null(),
    }
    Ok(())
}

fn zmscore(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    let key = args.next_arg()?;
    let members = args.rest().to_vec();
    let z = read(ctx, &key)?;
    out.array(members.len());
    for m in &members {
        match z.and_then(|z| z.score(m)) {
            Some(s) => out.double(s),
            None => out.null(),
        }
    }
    Ok(())
}

fn zcount(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    let key = args.next_arg()?;
    let r = ScoreRange::parse(&args.next_arg()?, &args.next_arg()?)?;
    let n = read(ctx, &key)?.map_or(0, |z| r.ranks(z).len());
    out.integer(n as i64);
    Ok(())
}

fn zlexcount(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    let key = args.next_arg()?;
    let (min, max) = LexBound::parse_range(&args.next_arg()?, &args.next_arg()?)?;
    let n = read(ctx, &key)?.map_or(0, |z| range::lex_ranks(z, &min, &max).len());
    out.integer(n as i64);
    Ok(())
}

fn rank_generic(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter, rev: bool) -> CmdResult {
    let key = args.next_arg()?;
    let member = args.next_arg()?;
    match read(ctx, &key)?.and_then(|z| z.rank(&member).map(|(r, _)| if rev { z.len() - 1 - r } else { r })) {
        Some(r) => out.integer(r as i64),
        None => out.null(),
    }
    Ok(())
}

fn zrank(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    rank_generic(ctx, args, out, false)
}

fn zrevrank(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    rank_generic(ctx, args, out, true)
}

fn zrange(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    range::zrange_generic(ctx, args, out, None, range::Kind::Auto, None)
}

fn zrevrange(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    range::zrange_generic(ctx, args, out, None, range::Kind::Rank, Some(true))
}

fn zrangebyscore(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    range::zrange_generic(ctx, args, out, None, range::Kind::Score, Some(false))
}

fn zrevrangebyscore(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    range::zrange_generic(ctx, args, out, None, range::Kind::Score, Some(true))
}

fn zrangebylex(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    range::zrange_generic(ctx, args, out, None, range::Kind::Lex, Some(false))
}

fn zrevrangebylex(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    range::zrange_generic(ctx, args, out, None, range::Kind::Lex, Some(true))
}

fn zrangestore(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    let dst = args.next_arg()?;
    range::zrange_generic(ctx, args, out, Some(dst), range::Kind::Auto, None)
}

/// Stores `items` under `dst` (or deletes `dst` when empty) and replies with the count,
/// as Redis's store result handlers do.
pub(crate) fn store_result(ctx: &mut ExecCtx, dst: &[u8], items: Vec<(f64, Vec<u8>)>, out: &mut ReplyWriter) -> CmdResult {
    let lim = limits(ctx);
    let n = items.len();
    if n == 0 {
        if ctx.delete_key(dst)? {
            ctx.mark_dirty(1);
            ctx.notify(ev::GENERIC, "del", dst);
        }
    } else {
        let mut z = ZSet::with_hint(n, 0, lim.0, lim.1);
        for (s, m) in &items {
            z.insert(*s, m, lim.0, lim.1);
        }
        z.convert_to_listpack_if_fits(lim.0, lim.1);
        ctx.set_key(dst, Value::ZSet(Box::new(z)), SetExpiry::Clear)?;
        ctx.mark_dirty(1);
        // The event is the command's name (zrangestore, zunionstore, geosearchstore ...),
        // except that every GEORADIUS form announces `georadiusstore`, as Redis does.
        let event = match ctx.command.fullname {
            n if n.starts_with("georadius") => "georadiusstore",
            n => n,
        };
        ctx.notify(ev::ZSET, event, dst);
    }
    out.integer(n as i64);
    Ok(())
}

/// Redis's `zremrangeGenericCommand` once the range is resolved to ranks.
fn zremrange_finish(ctx: &mut ExecCtx, key: &[u8], pick: impl FnOnce(&ZSet) -> std::ops::Range<usize>, out: &mut ReplyWriter) -> CmdResult {
    let Some(z) = write(ctx, key)? else {
        out.integer(0);
        return Ok(());
    };
    let r = pick(z);
    let n = z.remove_range(r.start, r.end);
    if n > 0 {
        ctx.notify(ev::ZSET, ctx.command.fullname, key);
    }
    delete_if_empty(ctx, key)?;
    ctx.mark_dirty(n as u64);
    out.integer(n as i64);
    Ok(())
}

fn zremrangebyrank(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    let key = args.next_arg()?;
    let start = args.next_i64()?;
    let end = args.next_i64()?;
    zremrange_finish(ctx, &key, |z| range::rank_span(z.len(), start, end), out)
}

fn zremrangebyscore(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    let key = args.next_arg()?;
    let r = ScoreRange::parse(&args.next_arg()?, &args.next_arg()?)?;
    zremrange_finish(ctx, &key, |z| r.ranks(z), out)
}

fn zremrangebylex(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    let key = args.next_arg()?;
    let (min, max) = LexBound::parse_range(&args.next_arg()?, &args.next_arg()?)?;
    zremrange_finish(ctx, &key, |z| range::lex_ranks(z, &min, &max), out)
}

/// Pops up to `count` entries from one end.
pub(crate) fn pop(z: &mut ZSet, count: usize, max: bool) -> Vec<(f64, Vec<u8>)> {
    let n = count.min(z.len());
    let items: Vec<(f64, Vec<u8>)> = if max { z.iter().rev().take(n).map(|(s, m)| (s, m.to_vec())).collect() } else { z.iter().take(n).map(|(s, m)| (s, m.to_vec())).collect() };
    if max {
        z.remove_range(z.len() - n, z.len());
    } else {
        z.remove_range(0, n);
    }
    items
}

fn zpop_generic(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter, max: bool) -> CmdResult {
    let key = args.next_arg()?;
    if args.remaining() > 1 {
        return Err(ArgError::Syntax.into());
    }
    let count = match args.next() {
        Some(c) => {
            match rhodium_protocol::number::parse_i64(&c) {
                Some(n) if n >= 0 => Some(n as usize),
                _ => return Err(CommandError::err("value is out of range, must be positive")),
            }
        }
        None => None,
    };
    let Some(z) = write(ctx, &key)? else {
        out.array(0);
        return Ok(());
    };
    if count == Some(0) {
        out.array(0);
        return Ok(());
    }
    let items = pop(z, count.unwrap_or(1), max);
    if !items.is_empty() {
        ctx.notify(ev::ZSET, if max { "zpopmax" } else { "zpopmin" }, &key);
    }
    delete_if_empty(ctx, &key)?;
    ctx.mark_dirty(items.len() as u64);
    let nested = out.resp() == Resp::V3 && count.is_some();
    out.array(if nested { items.len() } else { items.len() * 2 });
    for (s, m) in &items {
        if nested {
            out.array(2);
        }
        out.bulk(m);
        out.double(*s);
    }
    Ok(())
}

fn zpopmin(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    zpop_generic(ctx, args, out, false)
}

fn zpopmax(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    zpop_generic(ctx, args, out, true)
}

/// A positive long in 1..=LONG_MAX, or the given error (Redis's `getRangeLongFromObjectOrReply`).
fn positive(a: &[u8], msg: &str) -> Result<i64, CommandError> {
    match rhodium_protocol::number::parse_i64(a) {
        Some(n) if n >= 1 => Ok(n),
        _ => Err(CommandError::err(msg)),
    }
}

fn zmpop(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    let argv = args.argv().to_vec();
    let numkeys = positive(&argv[1], "numkeys should be greater than 0")? as usize;
    let where_idx = numkeys.saturating_add(2);
    let Some(w) = argv.get(where_idx) else {
        return Err(ArgError::Syntax.into());
    };
    let max = if w.eq_ignore_ascii_case(b"MIN") {
        false
    } else if w.eq_ignore_ascii_case(b"MAX") {
        true
    } else {
        return Err(ArgError::Syntax.into());
    };
    let mut count: Option<i64> = None;
    let mut j = where_idx + 1;
    while j < argv.len() {
        if count.is_none() && argv[j].eq_ignore_ascii_case(b"COUNT") && j + 1 < argv.len() {
            count = Some(positive(&argv[j + 1], "count should be greater than 0")?);
            j += 2;
        } else {
            return Err(ArgError::Syntax.into());
        }
    }
    let count = count.unwrap_or(1) as usize;
    for key in &argv[2..where_idx] {
        let Some(z) = write(ctx, key)? else { continue };
        let items = pop(z, count, max);
        if !items.is_empty() {
            ctx.notify(ev::ZSET, if max { "zpopmax" } else { "zpopmin" }, key);
        }
        delete_if_empty(ctx, key)?;
        ctx.mark_dirty(items.len() as u64);
        // Replicas get the deterministic single-key form.
        let n = itoa::Buffer::new().format(count).to_string();
        ctx.effect_parts(&[if max { b"ZPOPMAX".as_slice() } else { b"ZPOPMIN" }, key, n.as_bytes()]);
        out.array(2);
        out.bulk(key);
        out.array(items.len());
        for (s, m) in &items {
            out.array(2);
            out.bulk(m);
            out.double(*s);
        }
        return Ok(());
    }
    out.null_array();
    Ok(())
}

fn zrandmember(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    use rand::Rng;
    let key = args.next_arg()?;
    let Some(count_arg) = args.next() else {
        let mut rng = rand::thread_rng();
        match read(ctx, &key)? {
            Some(z) if !z.is_empty() => {
                let i = rng.gen_range(0..z.len());
                if let Some((_, m)) = z.get(i) {
                    out.bulk(m);
                }
            }
            _ => out.null(),
        }
        return Ok(());
    };
    let mut withscores = false;
    if let Some(a) = args.next() {
        if !a.eq_ignore_ascii_case(b"WITHSCORES") || args.remaining() > 0 {
            return Err(ArgError::Syntax.into());
        }
        withscores = true;
    }
    let l = rhodium_protocol::number::parse_i64(&count_arg).ok_or(ArgError::NotInteger)?;
    if l == i64::MIN && !withscores {
        return Err(CommandError::err("value is out of range, value must between -9223372036854775807 and 9223372036854775807"));
    }
    if l == i64::MIN || (withscores && !(-(i64::MAX / 2)..=i64::MAX / 2).contains(&l)) {
        return Err(CommandError::err("value is out of range"));
    }
    let Some(z) = read(ctx, &key)? else {
        out.array(0);
        return Ok(());
    };
    let mut rng = rand::thread_rng();
    if l < 0 {
        // Repeats allowed: streamed, so nothing but the reply grows with the count.
        let n = usize::try_from(l.unsigned_abs()).unwrap_or(usize::MAX);
        let nested = withscores && out.resp() == Resp::V3;
        out.array(if withscores && !nested { n.saturating_mul(2) } else { n });
        for _ in 0..n {
            if let Some((s, m)) = z.get(rng.gen_range(0..z.len())) {
                if nested {
                    out.array(2);
                }
                out.bulk(m);
                if withscores {
                    out.double(s);
                }
            }
        }
        return Ok(());
    }
    let picks: Vec<usize> = {
        let n = (l as usize).min(z.len());
        let mut all: Vec<usize> = (0..z.len()).collect();
        for i in 0..n {
            let j = rng.gen_range(i..all.len());
            all.swap(i, j);
        }
        all.truncate(n);
        all
    };
    let items: Vec<(f64, &[u8])> = picks.iter().filter_map(|&i| z.get(i)).collect();
    reply_entries(out, &items, withscores);
    Ok(())
}

fn zscan(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    let key = args.next_arg()?;
    let cursor = args.next_arg()?;
    let cursor = super::keyspace::parse_cursor(&cursor).ok_or_else(|| CommandError::err("invalid cursor"))?;
    let super::keyspace::ScanOptions { count, pattern, .. } = super::keyspace::ScanOptions::parse(args, false)?;
    let Some(z) = read(ctx, &key)? else {
        out.array(2);
        out.bulk(b"0");
        out.array(0);
        return Ok(());
    };
    // A listpack is returned whole, as Redis does; a skiplist is walked by rank.
    let (start, end) = if z.is_listpack() { (0, z.len()) } else { (usize::try_from(cursor).unwrap_or(usize::MAX).min(z.len()), usize::try_from(cursor).unwrap_or(usize::MAX).saturating_add(count).min(z.len())) };
    let next = if end >= z.len() { 0 } else { end as u64 };
    let items: Vec<(f64, &[u8])> = z.iter_from(start).take(end - start).filter(|(_, m)| pattern.as_ref().is_none_or(|p| rhodium_storage::glob::glob_match(p, m, false))).collect();
    out.array(2);
    out.bulk(itoa::Buffer::new().format(next).as_bytes());
    out.array(items.len() * 2);
    for (s, m) in &items {
        out.bulk(m);
        out.bulk(rhodium_protocol::number::format_f64_17g(*s).as_bytes());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::testkit::Harness;

    #[test]
    fn writes_propagate_as_redis_does() {
        let mut h = Harness::new();
        assert_eq!(h.run("ZADD z 1 a 2 b 3 c"), ":3\r\n");
        assert_eq!(h.run("ZADD z NX 5 a"), ":0\r\n");
        assert_eq!(h.run("ZMPOP 1 z MIN COUNT 2"), "*2\r\n$1\r\nz\r\n*2\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n*2\r\n$1\r\nb\r\n$1\r\n2\r\n");
        assert_eq!(h.run("ZRANGESTORE d z 0 -1"), ":1\r\n");
        let got: Vec<String> = h.take().into_iter().map(|(_, c)| c).collect();
        assert_eq!(got, ["ZADD z 1 a 2 b 3 c", "ZPOPMIN z 2", "ZRANGESTORE d z 0 -1"]);
    }
}
