//! Set commands (Redis 7.0's `t_set.c`): parsing and replies here, the set itself in
//! `rhodium_storage::types::set`. Results of SINTER/SUNION/SDIFF are built the way Redis
//! builds them (starting from an empty intset), so reply order and stored encodings match.

use bytes::Bytes;
use rhodium_protocol::number::parse_i64;
use rhodium_protocol::{ArgError, Args, ReplyWriter};
use rhodium_storage::glob::glob_match;
use rhodium_storage::keyspace::SetExpiry;
use rhodium_storage::types::set::{as_set, as_set_mut, SetValue, DEFAULT_MAX_INTSET_ENTRIES};
use rhodium_storage::Value;

use super::spec::{acl, flags as f, keyflags as k, BeginSearch, CommandSpec, FindKeys, Group, KeySpec};
use crate::dispatch::ExecCtx;
use crate::error::{CmdResult, CommandError};
use crate::notify::class as ev;

pub fn specs() -> &'static [CommandSpec] {
    const S: CommandSpec = CommandSpec { group: Group::Set, acl: acl::SET, ..CommandSpec::DEFAULT };
    const RF: u32 = f::READONLY | f::FAST;
    const WF: u32 = f::WRITE | f::FAST;
    const ORDER: &[&str] = &["nondeterministic_output_order"];
    const RANDOM: &[&str] = &["nondeterministic_output"];
    static RO: [KeySpec; 1] = [KeySpec::single(1, k::RO)];
    static RO_ACCESS: [KeySpec; 1] = [KeySpec::single(1, k::RO | k::ACCESS)];
    static RW_INSERT: [KeySpec; 1] = [KeySpec::single(1, k::RW | k::INSERT)];
    static RW_DELETE: [KeySpec; 1] = [KeySpec::single(1, k::RW | k::DELETE)];
    static RW_ACCESS_DELETE: [KeySpec; 1] = [KeySpec::single(1, k::RW | k::ACCESS | k::DELETE)];
    static SMOVE_KS: [KeySpec; 2] = [KeySpec::single(1, k::RW | k::ACCESS | k::DELETE), KeySpec::single(2, k::RW | k::INSERT)];
    static ALL_RO: [KeySpec; 1] = [KeySpec::range(1, -1, 1, k::RO | k::ACCESS)];
    static CARD_KS: [KeySpec; 1] = [KeySpec { notes: "", flags: k::RO | k::ACCESS, begin: BeginSearch::Index(1), find: FindKeys::Keynum { keynumidx: 0, firstkey: 1, step: 1 } }];
    static INTERSTORE_KS: [KeySpec; 2] = [KeySpec::single(1, k::RW | k::UPDATE), KeySpec::range(2, -1, 1, k::RO | k::ACCESS)];
    static STORE_KS: [KeySpec; 2] = [KeySpec::single(1, k::OW | k::UPDATE), KeySpec::range(2, -1, 1, k::RO | k::ACCESS)];
    static SPECS: &[CommandSpec] = &[
        CommandSpec { name: "sadd", arity: -3, flags: f::WRITE | f::DENYOOM | f::FAST, key_specs: &RW_INSERT, handler: Some(sadd), ..S },
        CommandSpec { name: "srem", arity: -3, flags: WF, key_specs: &RW_DELETE, handler: Some(srem), ..S },
        CommandSpec { name: "scard", arity: 2, flags: RF, key_specs: &RO, handler: Some(scard), ..S },
        CommandSpec { name: "sismember", arity: 3, flags: RF, key_specs: &RO, handler: Some(sismember), ..S },
        CommandSpec { name: "smismember", since: "6.2.0", arity: -3, flags: RF, key_specs: &RO_ACCESS, handler: Some(smismember), ..S },
        CommandSpec { name: "smembers", arity: 2, flags: f::READONLY, tips: ORDER, key_specs: &RO_ACCESS, handler: Some(sinter), ..S },
        CommandSpec { name: "srandmember", arity: -2, flags: f::READONLY, tips: RANDOM, key_specs: &RO_ACCESS, handler: Some(srandmember), ..S },
        CommandSpec { name: "spop", arity: -2, flags: WF, tips: RANDOM, key_specs: &RW_ACCESS_DELETE, handler: Some(spop), ..S },
        CommandSpec { name: "smove", arity: 4, flags: WF, key_specs: &SMOVE_KS, handler: Some(smove), ..S },
        CommandSpec { name: "sinter", arity: -2, flags: f::READONLY, tips: ORDER, key_specs: &ALL_RO, handler: Some(sinter), ..S },
        CommandSpec { name: "sintercard", since: "7.0.0", arity: -3, flags: f::READONLY, key_specs: &CARD_KS, handler: Some(sintercard), ..S },
        CommandSpec { name: "sinterstore", arity: -3, flags: f::WRITE | f::DENYOOM, key_specs: &INTERSTORE_KS, handler: Some(sinterstore), ..S },
        CommandSpec { name: "sunion", arity: -2, flags: f::READONLY, tips: ORDER, key_specs: &ALL_RO, handler: Some(sunion), ..S },
        CommandSpec { name: "sunionstore", arity: -3, flags: f::WRITE | f::DENYOOM, key_specs: &STORE_KS, handler: Some(sunionstore), ..S },
        CommandSpec { name: "sdiff", arity: -2, flags: f::READONLY, tips: ORDER, key_specs: &ALL_RO, handler: Some(sdiff), ..S },
        CommandSpec { name: "sdiffstore", arity: -3, flags: f::WRITE | f::DENYOOM, key_specs: &STORE_KS, handler: Some(sdiffstore), ..S },
        CommandSpec { name: "sscan", since: "2.8.0", arity: -3, flags: f::READONLY, tips: RANDOM, key_specs: &RO_ACCESS, handler: Some(sscan), ..S },
    ];
    SPECS
}

/// `set-max-intset-entries`.
fn max_intset(ctx: &ExecCtx) -> usize {
    ctx.server.config().other.get("set-max-intset-entries").and_then(|v| v.parse::<i64>().ok()).map_or(DEFAULT_MAX_INTSET_ENTRIES, |v| usize::try_from(v).unwrap_or(0))
}

/// A key's set for reading (WRONGTYPE for other types), counting a hit or miss.
fn read_set<'c>(ctx: &'c mut ExecCtx, key: &[u8]) -> Result<Option<&'c SetValue>, CommandError> {
    match ctx.lookup_read(key)? {
        None => Ok(None),
        Some(v) => Ok(Some(as_set(v)?)),
    }
}

/// A key's set again, without hit/miss accounting (for second passes over checked keys).
fn peek_set<'c>(ctx: &'c mut ExecCtx, key: &[u8]) -> Result<Option<&'c SetValue>, CommandError> {
    let db = ctx.db;
    match ctx.keys.get(db, key)? {
        None => Ok(None),
        Some(v) => Ok(Some(as_set(v)?)),
    }
}

fn reply_members(out: &mut ReplyWriter, set: &SetValue) {
    out.set(set.len());
    for m in set.iter() {
        out.bulk(&m);
    }
}

fn sadd(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    let key = args.next_arg()?;
    let members = args.rest().to_vec();
    let max = max_intset(ctx);
    let mut added = 0i64;
    match ctx.lookup_write(&key)? {
        Some(v) => {
            let set = as_set_mut(v)?;
            for m in &members {
                added += i64::from(set.add(m, max));
            }
        }
        None => {
            let mut set = SetValue::for_member(&members[0]);
            for m in &members {
                added += i64::from(set.add(m, max));
            }
            ctx.set_key(&key, Value::Set(Box::new(set)), SetExpiry::Clear)?;
        }
    }
    ctx.mark_dirty(added as u64);
    if added > 0 {
        ctx.notify(ev::SET, "sadd", &key);
    }
    out.integer(added);
    Ok(())
}

fn srem(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    let key = args.next_arg()?;
    let members = args.rest().to_vec();
    let Some(v) = ctx.lookup_write(&key)? else {
        out.integer(0);
        return Ok(());
    };
    let set = as_set_mut(v)?;
    let mut deleted = 0i64;
    for m in &members {
        if set.remove(m) {
            deleted += 1;
            if set.is_empty() {
                break;
            }
        }
    }
    let empty = set.is_empty();
    if deleted > 0 {
        ctx.notify(ev::SET, "srem", &key);
    }
    if empty {
        ctx.delete_key(&key)?;
        ctx.notify(ev::GENERIC, "del", &key);
    }
    ctx.mark_dirty(deleted as u64);
    out.integer(deleted);
    Ok(())
}

fn scard(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    let key = args.next_arg()?;
    let n = read_set(ctx, &key)?.map_or(0, |s| s.len());
    out.integer(n as i64);
    Ok(())
}

fn sismember(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    let key = args.next_arg()?;
    let member = args.next_arg()?;
    let found = read_set(ctx, &key)?.is_some_and(|s| s.contains(&member));
    out.integer(i64::from(found));
    Ok(())
}

fn smismember(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    let key = args.next_arg()?;
    let members = args.rest().to_vec();
    let set = read_set(ctx, &key)?;
    out.array(members.len());
    for m in &members {
        out.integer(i64::from(set.is_some_and(|s| s.contains(m))));
    }
    Ok(())
}

fn srandmember(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    let key = args.next_arg()?;
    let count = match args.next() {
        None => None,
        Some(c) => {
            if args.remaining() > 0 {
                return Err(ArgError::Syntax.into());
            }
            let l = parse_i64(&c).ok_or(ArgError::NotInteger)?;
            if l == i64::MIN {
                return Err(CommandError::err("value is out of range, value must between -9223372036854775807 and 9223372036854775807"));
            }
            Some(l)
        }
    };
    let mut rng = rand::thread_rng();
    let Some(l) = count else {
        match read_set(ctx, &key)?.and_then(|s| s.random(&mut rng)) {
            Some(m) => out.bulk(&m),
            None => out.null(),
        }
        return Ok(());
    };
    let Some(set) = read_set(ctx, &key)? else {
        out.array(0);
        return Ok(());
    };
    let (count, uniq) = (l.unsigned_abs(), l >= 0);
    let size = set.len() as u64;
    if count == 0 {
        out.array(0);
    } else if !uniq || count == 1 {
        // Repeats allowed: each pick samples the whole set.
        out.array(count as usize);
        for _ in 0..count {
            if let Some(m) = set.random(&mut rng) {
                out.bulk(&m);
            }
        }
    } else if count >= size {
        out.array(set.len());
        for m in set.iter() {
            out.bulk(&m);
        }
    } else {
        let picked = rand::seq::index::sample(&mut rng, set.len(), count as usize);
        out.array(picked.len());
        for i in picked.iter() {
            if let Some(m) = set.get_index(i) {
                out.bulk(&m);
            }
        }
    }
    Ok(())
}

fn spop(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    let key = args.next_arg()?;
    let count = match args.next() {
        None => None,
        Some(c) => {
            if args.remaining() > 0 {
                return Err(ArgError::Syntax.into());
            }
            let positive = || CommandError::err("value is out of range, must be positive");
            Some(parse_i64(&c).filter(|n| *n >= 0).ok_or_else(positive)? as u64)
        }
    };
    let mut rng = rand::thread_rng();
    let max = max_intset(ctx);
    let Some(v) = ctx.lookup_write(&key)? else {
        if count.is_some() {
            out.set(0);
        } else {
            out.null();
        }
        return Ok(());
    };
    let set = as_set_mut(v)?;
    let Some(count) = count else {
        let Some(member) = set.random(&mut rng).map(|m| m.into_owned()) else {
            out.null();
            return Ok(());
        };
        set.remove(&member);
        let empty = set.is_empty();
        ctx.notify(ev::SET, "spop", &key);
        if empty {
            ctx.delete_key(&key)?;
            ctx.notify(ev::GENERIC, "del", &key);
        }
        ctx.mark_dirty(1);
        ctx.effect_parts(&[b"SREM".as_slice(), &key, &member]);
        out.bulk(&member);
        return Ok(());
    };
    if count == 0 {
        out.set(0);
        return Ok(());
    }
    let size = set.len() as u64;
    ctx.notify(ev::SET, "spop", &key);
    let Some(set) = ctx.lookup_write(&key)?.map(as_set_mut).transpose()? else { return Ok(()) };
    if count >= size {
        // The whole set, replied as SUNION of the one key would (rebuilt from an intset).
        let all = union_of(std::iter::once(&*set), max);
        reply_members(out, &all);
        ctx.delete_key(&key)?;
        ctx.notify(ev::GENERIC, "del", &key);
        ctx.mark_dirty(size);
        ctx.effect_parts(&[b"DEL".as_slice(), &key]);
        return Ok(());
    }
    let remaining = size - count;
    let mut popped: Vec<Vec<u8>> = Vec::with_capacity(count as usize);
    // Redis's SPOP_MOVE_STRATEGY_MUL: when most of the set goes, the members that stay are
    // picked into a new set instead (whose encoding is chosen afresh).
    if remaining * 5 > count {
        for _ in 0..count {
            if let Some(m) = set.random(&mut rng).map(|m| m.into_owned()) {
                set.remove(&m);
                popped.push(m);
            }
        }
    } else {
        let mut kept: Option<SetValue> = None;
        for _ in 0..remaining {
            if let Some(m) = set.random(&mut rng).map(|m| m.into_owned()) {
                kept.get_or_insert_with(|| SetValue::for_member(&m)).add(&m, max);
                set.remove(&m);
            }
        }
        popped = set.iter().map(|m| m.into_owned()).collect();
        if let Some(kept) = kept {
            *set = kept;
        }
    }
    out.set(popped.len());
    for m in &popped {
        out.bulk(m);
        ctx.effect_parts(&[b"SREM".as_slice(), &key, m]);
    }
    ctx.mark_dirty(count);
    Ok(())
}

fn smove(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    let src = args.next_arg()?;
    let dst = args.next_arg()?;
    let member = args.next_arg()?;
    let max = max_intset(ctx);
    let Some(sv) = ctx.lookup_write(&src)? else {
        out.integer(0);
        return Ok(());
    };
    as_set(sv)?;
    if let Some(dv) = ctx.lookup_write(&dst)? {
        as_set(dv)?;
    }
    if src == dst {
        let found = peek_set(ctx, &src)?.is_some_and(|s| s.contains(&member));
        out.integer(i64::from(found));
        return Ok(());
    }
    let removed = match ctx.lookup_write(&src)? {
        Some(v) => as_set_mut(v)?.remove(&member),
        None => false,
    };
    if !removed {
        out.integer(0);
        return Ok(());
    }
    ctx.notify(ev::SET, "srem", &src);
    if peek_set(ctx, &src)?.is_some_and(|s| s.is_empty()) {
        ctx.delete_key(&src)?;
        ctx.notify(ev::GENERIC, "del", &src);
    }
    ctx.mark_dirty(1);
    let added = match ctx.lookup_write(&dst)? {
        Some(v) => as_set_mut(v)?.add(&member, max),
        None => {
            let mut set = SetValue::for_member(&member);
            set.add(&member, max);
            ctx.set_key(&dst, Value::Set(Box::new(set)), SetExpiry::Clear)?;
            true
        }
    };
    if added {
        ctx.mark_dirty(1);
        ctx.notify(ev::SET, "sadd", &dst);
    }
    out.integer(1);
    Ok(())
}

/// Checks every key's type first (Redis fails the whole command on any WRONGTYPE) and
/// returns each key's cardinality, `None` for missing keys.
fn sizes(ctx: &mut ExecCtx, keys: &[Bytes]) -> Result<Vec<Option<usize>>, CommandError> {
    let mut out = Vec::with_capacity(keys.len());
    for key in keys {
        out.push(read_set(ctx, key)?.map(|s| s.len()));
    }
    Ok(out)
}

/// Redis's `sinterGenericCommand` core: `None` when some key is missing (the result is
/// empty at once), else the members of the smallest set found in all the others, in that
/// set's order, stopping after `limit` when non-zero.
fn intersect(ctx: &mut ExecCtx, keys: &[Bytes], limit: usize) -> Result<Option<Vec<Vec<u8>>>, CommandError> {
    let sizes = sizes(ctx, keys)?;
    if sizes.iter().any(|s| s.is_none()) {
        return Ok(None);
    }
    let mut order: Vec<usize> = (0..keys.len()).collect();
    // Stable like glibc's merge-based qsort, so equal sizes keep argument order.
    order.sort_by_key(|&i| sizes[i]);
    let first = &keys[order[0]];
    let mut result: Vec<Vec<u8>> = Vec::new();
    let candidates: Vec<Vec<u8>> = peek_set(ctx, first)?.map(|s| s.iter().map(|m| m.into_owned()).collect()).unwrap_or_default();
    'next: for m in candidates {
        for &j in &order[1..] {
            if keys[j] == *first {
                continue;
            }
            if !peek_set(ctx, &keys[j])?.is_some_and(|s| s.contains(&m)) {
                continue 'next;
            }
        }
        result.push(m);
        if limit > 0 && result.len() >= limit {
            break;
        }
    }
    Ok(Some(result))
}

/// Builds a set from members the way Redis builds a result set (from an empty intset).
fn build<'m>(members: impl IntoIterator<Item = &'m [u8]>, max: usize) -> SetValue {
    let mut set = SetValue::empty_intset();
    for m in members {
        set.add(m, max);
    }
    set
}

fn union_of<'s>(sets: impl IntoIterator<Item = &'s SetValue>, max: usize) -> SetValue {
    let mut out = SetValue::empty_intset();
    for s in sets {
        for m in s.iter() {
            out.add(&m, max);
        }
    }
    out
}

fn sinter(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    let keys = args.rest().to_vec();
    let members = intersect(ctx, &keys, 0)?.unwrap_or_default();
    out.set(members.len());
    for m in &members {
        out.bulk(m);
    }
    Ok(())
}

fn sintercard(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    let numkeys_err = || CommandError::err("numkeys should be greater than 0");
    let n = args.next_arg()?;
    let numkeys = parse_i64(&n).filter(|n| *n >= 1).ok_or_else(numkeys_err)?;
    if numkeys > args.remaining() as i64 {
        return Err(CommandError::err("Number of keys can't be greater than number of args"));
    }
    let mut keys = Vec::with_capacity(numkeys as usize);
    for _ in 0..numkeys {
        keys.push(args.next_arg()?);
    }
    let mut limit = 0usize;
    while let Some(opt) = args.next() {
        if opt.eq_ignore_ascii_case(b"limit") && args.remaining() > 0 {
            let l = args.next_arg()?;
            let l = parse_i64(&l).filter(|n| *n >= 0).ok_or_else(|| CommandError::err("LIMIT can't be negative"))?;
            limit = usize::try_from(l).unwrap_or(usize::MAX);
        } else {
            return Err(ArgError::Syntax.into());
        }
    }
    let n = intersect(ctx, &keys, limit)?.map_or(0, |m| m.len());
    out.integer(n as i64);
    Ok(())
}

/// Stores a *STORE result: the set when non-empty, else deletes the destination.
fn store(ctx: &mut ExecCtx, dst: &[u8], set: SetValue, out: &mut ReplyWriter) -> CmdResult {
    let n = set.len();
    if n > 0 {
        ctx.set_key(dst, Value::Set(Box::new(set)), SetExpiry::Clear)?;
        ctx.mark_dirty(1);
        // The event is the command's name (sinterstore, sunionstore, sdiffstore).
        ctx.notify(ev::SET, ctx.command.fullname, dst);
    } else if ctx.delete_key(dst)? {
        ctx.mark_dirty(1);
        ctx.notify(ev::GENERIC, "del", dst);
    }
    out.integer(n as i64);
    Ok(())
}

fn sinterstore(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    let dst = args.next_arg()?;
    let keys = args.rest().to_vec();
    let max = max_intset(ctx);
    let members = intersect(ctx, &keys, 0)?.unwrap_or_default();
    let set = build(members.iter().map(|m| m.as_slice()), max);
    store(ctx, &dst, set, out)
}

/// Redis's `sunionDiffGenericCommand` for SUNION(STORE).
fn union(ctx: &mut ExecCtx, keys: &[Bytes]) -> Result<SetValue, CommandError> {
    sizes(ctx, keys)?;
    let max = max_intset(ctx);
    let mut result = SetValue::empty_intset();
    for key in keys {
        if let Some(s) = peek_set(ctx, key)? {
            let members: Vec<Vec<u8>> = s.iter().map(|m| m.into_owned()).collect();
            for m in &members {
                result.add(m, max);
            }
        }
    }
    Ok(result)
}

/// Redis's `sunionDiffGenericCommand` for SDIFF(STORE), choosing its algorithm the same way
/// (it decides whether the intermediate result grows past the intset limit).
fn diff(ctx: &mut ExecCtx, keys: &[Bytes]) -> Result<SetValue, CommandError> {
    let sizes = sizes(ctx, keys)?;
    let max = max_intset(ctx);
    let mut result = SetValue::empty_intset();
    let Some(first_size) = sizes[0] else {
        return Ok(result);
    };
    let (mut one, mut two) = (0u64, 0u64);
    for s in sizes.iter().flatten() {
        one += first_size as u64;
        two += *s as u64;
    }
    let first: Vec<Vec<u8>> = peek_set(ctx, &keys[0])?.map(|s| s.iter().map(|m| m.into_owned()).collect()).unwrap_or_default();
    if one / 2 <= two {
        let mut others: Vec<usize> = (1..keys.len()).collect();
        others.sort_by_key(|&i| std::cmp::Reverse(sizes[i].unwrap_or(0)));
        'next: for m in &first {
            for &j in &others {
                if keys[j] == keys[0] {
                    continue 'next;
                }
                if peek_set(ctx, &keys[j])?.is_some_and(|s| s.contains(m)) {
                    continue 'next;
                }
            }
            result.add(m, max);
        }
    } else {
        for m in &first {
            result.add(m, max);
        }
        for key in &keys[1..] {
            if result.is_empty() {
                break;
            }
            let members: Vec<Vec<u8>> = peek_set(ctx, key)?.map(|s| s.iter().map(|m| m.into_owned()).collect()).unwrap_or_default();
            for m in &members {
                result.remove(m);
            }
        }
    }
    Ok(result)
}

fn sunion(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    let keys = args.rest().to_vec();
    let set = union(ctx, &keys)?;
    reply_members(out, &set);
    Ok(())
}

fn sunionstore(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    let dst = args.next_arg()?;
    let keys = args.rest().to_vec();
    let set = union(ctx, &keys)?;
    store(ctx, &dst, set, out)
}

fn sdiff(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    let keys = args.rest().to_vec();
    let set = diff(ctx, &keys)?;
    reply_members(out, &set);
    Ok(())
}

fn sdiffstore(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    let dst = args.next_arg()?;
    let keys = args.rest().to_vec();
    let set = diff(ctx, &keys)?;
    store(ctx, &dst, set, out)
}

fn sscan(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    let key = args.next_arg()?;
    let cursor = args.next_arg()?;
    let cursor = super::keyspace::parse_cursor(&cursor).ok_or_else(|| CommandError::err("invalid cursor"))?;
    let Some(set) = read_set(ctx, &key)? else {
        out.array(2);
        out.bulk(b"0");
        out.array(0);
        return Ok(());
    };
    let super::keyspace::ScanOptions { count, pattern, .. } = super::keyspace::ScanOptions::parse(args, false)?;
    let mut found: Vec<Vec<u8>> = Vec::new();
    let next = match set {
        // Small encodings come back whole, with cursor 0, as in Redis.
        SetValue::Intset(_) => {
            found.extend(set.iter().map(|m| m.into_owned()));
            0
        }
        // The cursor is how many slots from the bottom are still to visit: walking down
        // means swap_remove only moves already-visited members, so none is missed.
        SetValue::Hash(_) => {
            let len = set.len() as u64;
            let mut at = if cursor == 0 || cursor > len { len } else { cursor };
            let mut taken = 0;
            while at > 0 && taken < count {
                at -= 1;
                if let Some(m) = set.get_index(at as usize) {
                    found.push(m.into_owned());
                }
                taken += 1;
            }
            at
        }
    };
    if let Some(p) = &pattern {
        found.retain(|m| glob_match(p, m, false));
    }
    out.array(2);
    out.bulk(itoa::Buffer::new().format(next).as_bytes());
    out.array(found.len());
    for m in &found {
        out.bulk(m);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::testkit::Harness;

    #[test]
    fn spop_propagates_srem_or_del() {
        let mut h = Harness::new();
        h.run("SADD s 1 2 3 4 5 6 7 8 9 10");
        h.take();
        let r = h.run("SPOP s");
        let m = r.lines().nth(1).unwrap_or_default().to_string();
        assert_eq!(h.take(), vec![(0, format!("SREM s {m}"))]);
        h.run("SPOP s 2");
        let props = h.take();
        assert_eq!(props.len(), 2);
        assert!(props.iter().all(|(_, c)| c.starts_with("SREM s ")));
        // Most of the set at once: the kept members go to a new set.
        h.run("SPOP s 6");
        assert_eq!(h.take().len(), 6);
        assert_eq!(h.run("SCARD s"), ":1\r\n");
        assert!(h.run("SPOP s 5").starts_with("*1\r\n"));
        assert_eq!(h.take(), vec![(0, "DEL s".to_string())]);
        assert_eq!(h.run("SPOP s 0"), "*0\r\n");
        assert!(h.take().is_empty());
    }
}
