//! Keyspace commands (Redis's "generic" group, `db.c` and `expire.c`): existence, type,
//! deletion, renaming and moving keys, whole-database operations, iteration and TTLs.

use bytes::Bytes;
use rhodium_protocol::{number::parse_i64, Args, Argv, ReplyWriter};
use rhodium_storage::glob::glob_match;
use rhodium_storage::keyspace::SetExpiry;
use rhodium_storage::{DbIndex, OpError, UnixMillis};

use super::spec::{acl, flags as f, keyflags as k, CommandSpec, Group, KeySpec};
use crate::dispatch::ExecCtx;
use crate::error::{CmdResult, CommandError};
use crate::notify::class as ev;
use crate::state::Stats;

/// SCAN's default COUNT.
const SCAN_DEFAULT_COUNT: usize = 10;

pub fn specs() -> &'static [CommandSpec] {
    const G: CommandSpec = CommandSpec { group: Group::Generic, acl: acl::KEYSPACE, ..CommandSpec::DEFAULT };
    const SRV: CommandSpec = CommandSpec { group: Group::Server, ..G };
    static DEL_KS: [KeySpec; 1] = [KeySpec::range(1, -1, 1, k::RM | k::DELETE)];
    static RO_ALL_KS: [KeySpec; 1] = [KeySpec::range(1, -1, 1, k::RO)];
    static RO_KS: [KeySpec; 1] = [KeySpec::single(1, k::RO)];
    static RO_ACCESS_KS: [KeySpec; 1] = [KeySpec::single(1, k::RO | k::ACCESS)];
    static RW_UPDATE_KS: [KeySpec; 1] = [KeySpec::single(1, k::RW | k::UPDATE)];
    static RENAME_KS: [KeySpec; 2] = [KeySpec::single(1, k::RW | k::ACCESS | k::DELETE), KeySpec::single(2, k::OW | k::UPDATE)];
    static RENAMENX_KS: [KeySpec; 2] = [KeySpec::single(1, k::RW | k::ACCESS | k::DELETE), KeySpec::single(2, k::OW | k::INSERT)];
    static MOVE_KS: [KeySpec; 1] = [KeySpec::single(1, k::RW | k::ACCESS | k::UPDATE)];
    static COPY_KS: [KeySpec; 2] = [KeySpec::single(1, k::RO | k::ACCESS), KeySpec::single(2, k::OW | k::UPDATE)];
    const MULTI: &[&str] = &["request_policy:multi_shard", "response_policy:agg_sum"];
    const FLUSH_TIPS: &[&str] = &["request_policy:all_shards", "response_policy:all_succeeded"];
    const ND: &[&str] = &["nondeterministic_output"];
    static SPECS: &[CommandSpec] = &[
        CommandSpec { name: "del", arity: -2, flags: f::WRITE, key_specs: &DEL_KS, tips: MULTI, handler: Some(del), ..G },
        CommandSpec { name: "unlink", since: "4.0.0", arity: -2, flags: f::WRITE | f::FAST, key_specs: &DEL_KS, tips: MULTI, handler: Some(del), ..G },
        CommandSpec { name: "exists", arity: -2, flags: f::READONLY | f::FAST, key_specs: &RO_ALL_KS, tips: MULTI, handler: Some(exists), ..G },
        CommandSpec { name: "touch", since: "3.2.1", arity: -2, flags: f::READONLY | f::FAST, key_specs: &RO_ALL_KS, tips: MULTI, handler: Some(touch), ..G },
        CommandSpec { name: "type", arity: 2, flags: f::READONLY | f::FAST, key_specs: &RO_KS, handler: Some(type_cmd), ..G },
        CommandSpec { name: "rename", arity: 3, flags: f::WRITE, key_specs: &RENAME_KS, handler: Some(rename), ..G },
        CommandSpec { name: "renamenx", arity: 3, flags: f::WRITE | f::FAST, key_specs: &RENAMENX_KS, handler: Some(renamenx), ..G },
        CommandSpec { name: "move", arity: 3, flags: f::WRITE | f::FAST, key_specs: &MOVE_KS, handler: Some(move_cmd), ..G },
        CommandSpec { name: "copy", since: "6.2.0", arity: -3, flags: f::WRITE | f::DENYOOM, key_specs: &COPY_KS, handler: Some(copy), ..G },
        CommandSpec { name: "swapdb", since: "4.0.0", arity: 3, flags: f::WRITE | f::FAST | f::EXCLUSIVE, acl: acl::KEYSPACE | acl::DANGEROUS, handler: Some(swapdb), ..SRV },
        CommandSpec { name: "dbsize", arity: 1, flags: f::READONLY | f::FAST, tips: &["request_policy:all_shards", "response_policy:agg_sum"], handler: Some(dbsize), ..SRV },
        CommandSpec { name: "flushall", arity: -1, flags: f::WRITE | f::EXCLUSIVE, acl: acl::KEYSPACE | acl::DANGEROUS, tips: FLUSH_TIPS, handler: Some(flushall), ..SRV },
        CommandSpec { name: "flushdb", arity: -1, flags: f::WRITE | f::EXCLUSIVE, acl: acl::KEYSPACE | acl::DANGEROUS, tips: FLUSH_TIPS, handler: Some(flushdb), ..SRV },
        CommandSpec { name: "keys", arity: 2, flags: f::READONLY, acl: acl::KEYSPACE | acl::DANGEROUS, tips: &["request_policy:all_shards", "nondeterministic_output_order"], handler: Some(keys), ..G },
        CommandSpec { name: "scan", since: "2.8.0", arity: -2, flags: f::READONLY, tips: &["nondeterministic_output", "request_policy:special"], handler: Some(scan), ..G },
        CommandSpec { name: "randomkey", arity: 1, flags: f::READONLY, tips: &["request_policy:all_shards", "nondeterministic_output"], handler: Some(randomkey), ..G },
        CommandSpec { name: "expire", arity: -3, flags: f::WRITE | f::FAST, key_specs: &RW_UPDATE_KS, handler: Some(expire), ..G },
        CommandSpec { name: "pexpire", since: "2.6.0", arity: -3, flags: f::WRITE | f::FAST, key_specs: &RW_UPDATE_KS, handler: Some(pexpire), ..G },
        CommandSpec { name: "expireat", since: "1.2.0", arity: -3, flags: f::WRITE | f::FAST, key_specs: &RW_UPDATE_KS, handler: Some(expireat), ..G },
        CommandSpec { name: "pexpireat", since: "2.6.0", arity: -3, flags: f::WRITE | f::FAST, key_specs: &RW_UPDATE_KS, handler: Some(pexpireat), ..G },
        CommandSpec { name: "ttl", arity: 2, flags: f::READONLY | f::FAST, key_specs: &RO_ACCESS_KS, tips: ND, handler: Some(ttl), ..G },
        CommandSpec { name: "pttl", since: "2.6.0", arity: 2, flags: f::READONLY | f::FAST, key_specs: &RO_ACCESS_KS, tips: ND, handler: Some(pttl), ..G },
        CommandSpec { name: "expiretime", since: "7.0.0", arity: 2, flags: f::READONLY | f::FAST, key_specs: &RO_ACCESS_KS, handler: Some(expiretime), ..G },
        CommandSpec { name: "pexpiretime", since: "7.0.0", arity: 2, flags: f::READONLY | f::FAST, key_specs: &RO_ACCESS_KS, handler: Some(pexpiretime), ..G },
        CommandSpec { name: "persist", since: "2.2.0", arity: 2, flags: f::WRITE | f::FAST, key_specs: &RW_UPDATE_KS, handler: Some(persist), ..G },
    ];
    SPECS
}

// ---------------------------------------------------------------------------------------
// Shared helpers

/// Whether a live key exists, without touching its LRU clock but counting a keyspace hit
/// or miss (Redis's `lookupKeyReadWithFlags(.., LOOKUP_NOTOUCH)`).
pub(crate) fn exists_notouch(ctx: &mut ExecCtx, key: &[u8]) -> Result<bool, CommandError> {
    let found = ctx.keys.get_entry(ctx.db, key, false)?.is_some();
    let counter = if found { &ctx.server.stats.keyspace_hits } else { &ctx.server.stats.keyspace_misses };
    Stats::incr(counter, 1);
    if !found {
        ctx.notify(ev::KEY_MISS, "keymiss", key);
    }
    Ok(found)
}

/// A database index argument as `getIntFromObjectOrReply` + `selectDb` check it
/// (`not_int` replaces both of the integer errors when given).
fn parse_db(ctx: &ExecCtx, arg: &[u8], not_int: Option<&str>) -> Result<DbIndex, CommandError> {
    let bad = || match not_int {
        Some(msg) => CommandError::err(msg),
        None => CommandError::Op(OpError::NotInteger),
    };
    let id = parse_i64(arg).ok_or_else(bad)?;
    if i32::try_from(id).is_err() {
        return Err(not_int.map(CommandError::err).unwrap_or_else(|| CommandError::err("value is out of range, value must between -2147483648 and 2147483647")));
    }
    if id < 0 || id as usize >= ctx.server.keyspace.databases() {
        return Err(CommandError::err("DB index is out of range"));
    }
    Ok(id as usize)
}

fn same_object() -> CommandError {
    CommandError::err("source and destination objects are the same")
}

/// Propagates, right now and under the locks still held, the DELs of keys that lookups
/// found expired in a database other than the command's (dispatch propagates the rest
/// with the command's database).
fn propagate_foreign_expired(ctx: &mut ExecCtx) {
    let db = ctx.db;
    for e in ctx.keys.take_expired_where(|e| e.db != db && e.deleted) {
        Stats::incr(&ctx.server.stats.expired_keys, 1);
        ctx.notify_db(ev::EXPIRED, "expired", &e.key, e.db);
        ctx.propagate(e.db, vec![vec![Bytes::from_static(b"DEL"), Bytes::from(e.key)]]);
    }
}

fn ttl_expiry(ttl: Option<UnixMillis>) -> SetExpiry {
    ttl.map(SetExpiry::At).unwrap_or(SetExpiry::Clear)
}

// ---------------------------------------------------------------------------------------
// Existence, type, deletion

fn del(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    let keys = args.rest().to_vec();
    let mut n = 0;
    for key in &keys {
        if ctx.delete_key(key)? {
            n += 1;
            ctx.notify(ev::GENERIC, "del", key);
        }
    }
    ctx.mark_dirty(n);
    out.integer(n as i64);
    Ok(())
}

fn exists(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    let keys = args.rest().to_vec();
    let mut n = 0;
    for key in &keys {
        if exists_notouch(ctx, key)? {
            n += 1;
        }
    }
    out.integer(n);
    Ok(())
}

fn touch(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    let keys = args.rest().to_vec();
    let mut n = 0;
    for key in &keys {
        if ctx.lookup_read(key)?.is_some() {
            n += 1;
        }
    }
    out.integer(n);
    Ok(())
}

fn type_cmd(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    let key = args.next_arg()?;
    let db = ctx.db;
    let name = ctx.keys.get_entry(db, &key, false)?.map(|e| e.value.value_type().name());
    let counter = if name.is_some() { &ctx.server.stats.keyspace_hits } else { &ctx.server.stats.keyspace_misses };
    Stats::incr(counter, 1);
    if name.is_none() {
        ctx.notify(ev::KEY_MISS, "keymiss", &key);
    }
    out.simple(name.unwrap_or("none"));
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Renaming, moving, copying

fn rename(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    rename_generic(ctx, args, out, false)
}

fn renamenx(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    rename_generic(ctx, args, out, true)
}

fn rename_generic(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter, nx: bool) -> CmdResult {
    let src = args.next_arg()?;
    let dst = args.next_arg()?;
    let db = ctx.db;
    if !ctx.keys.exists(db, &src)? {
        return Err(OpError::NoSuchKey.into());
    }
    // Same name: nothing to do, but a missing key was still an error above.
    if src == dst {
        if nx {
            out.integer(0);
        } else {
            out.ok();
        }
        return Ok(());
    }
    if nx && ctx.keys.exists(db, &dst)? {
        out.integer(0);
        return Ok(());
    }
    let (value, ttl) = ctx.keys.take(db, &src)?.ok_or(OpError::NoSuchKey)?;
    ctx.keys.set(db, &dst, value, ttl_expiry(ttl))?;
    ctx.mark_dirty(1);
    ctx.notify(ev::NEW, "new", &dst);
    ctx.notify(ev::GENERIC, "rename_from", &src);
    ctx.notify(ev::GENERIC, "rename_to", &dst);
    if nx {
        out.integer(1);
    } else {
        out.ok();
    }
    Ok(())
}

fn move_cmd(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    let key = args.next_arg()?;
    let dbarg = args.next_arg()?;
    let dst = parse_db(ctx, &dbarg, None)?;
    let src = ctx.db;
    if dst == src {
        return Err(same_object());
    }
    ctx.keys.relock([(dst, &key)]);
    let moved = move_key(ctx, &key, src, dst);
    propagate_foreign_expired(ctx);
    let moved = moved?;
    if moved {
        ctx.mark_dirty(1);
        ctx.notify_db(ev::NEW, "new", &key, dst);
        ctx.notify_db(ev::GENERIC, "move_from", &key, src);
        ctx.notify_db(ev::GENERIC, "move_to", &key, dst);
    }
    out.integer(i64::from(moved));
    Ok(())
}

fn move_key(ctx: &mut ExecCtx, key: &[u8], src: DbIndex, dst: DbIndex) -> Result<bool, CommandError> {
    if !ctx.keys.exists(src, key)? || ctx.keys.exists(dst, key)? {
        return Ok(false);
    }
    let Some((value, ttl)) = ctx.keys.take(src, key)? else {
        return Ok(false);
    };
    ctx.keys.set(dst, key, value, ttl_expiry(ttl))?;
    Ok(true)
}

fn copy(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    let src_key = args.next_arg()?;
    let dst_key = args.next_arg()?;
    let src = ctx.db;
    let mut dst = src;
    let mut replace = false;
    while let Some(opt) = args.next() {
        if opt.eq_ignore_ascii_case(b"replace") {
            replace = true;
        } else if opt.eq_ignore_ascii_case(b"db") && args.remaining() >= 1 {
            let a = args.next_arg()?;
            dst = parse_db(ctx, &a, None)?;
        } else {
            return Err(rhodium_protocol::ArgError::Syntax.into());
        }
    }
    if src == dst && src_key == dst_key {
        return Err(same_object());
    }
    if dst != src {
        ctx.keys.relock([(dst, &dst_key)]);
    }
    let copied = copy_key(ctx, &src_key, &dst_key, dst, replace);
    propagate_foreign_expired(ctx);
    let copied = copied?;
    if copied {
        ctx.mark_dirty(1);
        ctx.notify_db(ev::NEW, "new", &dst_key, dst);
        ctx.notify_db(ev::GENERIC, "copy_to", &dst_key, dst);
    }
    out.integer(i64::from(copied));
    Ok(())
}

fn copy_key(ctx: &mut ExecCtx, src_key: &[u8], dst_key: &[u8], dst: DbIndex, replace: bool) -> Result<bool, CommandError> {
    let Some(value) = ctx.lookup_read(src_key)?.cloned() else {
        return Ok(false);
    };
    let ttl = ctx.keys.expiry(ctx.db, src_key)?;
    if ctx.keys.exists(dst, dst_key)? {
        if !replace {
            return Ok(false);
        }
        ctx.keys.remove(dst, dst_key)?;
    }
    ctx.keys.set(dst, dst_key, value, ttl_expiry(ttl))?;
    Ok(true)
}

// ---------------------------------------------------------------------------------------
// Whole databases

fn swapdb(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    let a = args.next_arg()?;
    let b = args.next_arg()?;
    let int = |v: &[u8], msg: &str| parse_i64(v).filter(|v| i32::try_from(*v).is_ok()).ok_or_else(|| CommandError::err(msg));
    let a = int(&a, "invalid first DB index")?;
    let b = int(&b, "invalid second DB index")?;
    let dbs = ctx.server.keyspace.databases() as i64;
    if a < 0 || a >= dbs || b < 0 || b >= dbs {
        return Err(CommandError::err("DB index is out of range"));
    }
    let argv: Argv = args.argv().to_vec();
    let (server, db) = (ctx.server, ctx.db);
    let (a, b) = (a as usize, b as usize);
    if a != b {
        server.watches.touch_db(server, a, Some(b));
        server.watches.touch_db(server, b, Some(a));
    }
    server.keyspace.swap_db_then(a, b, || ctx.propagate(db, vec![argv]));
    if a != b {
        // Clients blocked on keys of either database may find them filled now.
        server.blocking.signal_db(a);
        server.blocking.signal_db(b);
    }
    ctx.mark_dirty(1);
    ctx.no_propagate();
    out.ok();
    Ok(())
}

fn dbsize(ctx: &mut ExecCtx, _args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    out.integer(ctx.server.keyspace.dbsize(ctx.db) as i64);
    Ok(())
}

/// FLUSHALL/FLUSHDB's optional argument: exactly one of ASYNC or SYNC (both free
/// synchronously here; the keyspace drops stripes without a long pause either way).
fn flush_mode(args: &mut Args) -> CmdResult {
    if args.argc() == 2 && !(args.eat("ASYNC") || args.eat("SYNC")) {
        return Err(rhodium_protocol::ArgError::Syntax.into());
    }
    Ok(args.finish()?)
}

fn flushall(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    flush_mode(args)?;
    let argv: Argv = args.argv().to_vec();
    let (server, db) = (ctx.server, ctx.db);
    // Runs in an atomic section (EXCLUSIVE): watchers are told before the keys go.
    for d in 0..server.keyspace.databases() {
        server.watches.touch_db(server, d, None);
    }
    // Propagated even when nothing was removed (Redis forces it), before the locks go.
    server.tracking.flushed(server);
    let n = server.keyspace.flush_all_then(|_| ctx.propagate(db, vec![argv]));
    ctx.mark_dirty(n as u64 + 1);
    ctx.no_propagate();
    out.ok();
    Ok(())
}

fn flushdb(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    flush_mode(args)?;
    let argv: Argv = args.argv().to_vec();
    let (server, db) = (ctx.server, ctx.db);
    server.watches.touch_db(server, db, None);
    server.tracking.flushed(server);
    let n = server.keyspace.flush_db_then(db, |_| ctx.propagate(db, vec![argv]));
    ctx.mark_dirty(n as u64 + 1);
    ctx.no_propagate();
    out.ok();
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Iteration

fn keys(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    let pattern = args.next_arg()?;
    let all = pattern.as_ref() == b"*";
    let now = ctx.now;
    let mut found: Vec<Vec<u8>> = Vec::new();
    ctx.server.keyspace.for_each(ctx.db, |e, at| {
        let key = e.key.as_bytes();
        if (all || glob_match(&pattern, key, false)) && !matches!(at, Some(t) if t <= now) {
            found.push(key.to_vec());
        }
    });
    out.array(found.len());
    for k in &found {
        out.bulk(k);
    }
    Ok(())
}

/// The options of SCAN, HSCAN, SSCAN and ZSCAN (Redis's `scanGenericCommand`).
pub(crate) struct ScanOptions {
    pub count: usize,
    /// None for no pattern or `*` (everything matches).
    pub pattern: Option<Bytes>,
    /// SCAN's TYPE filter.
    pub type_name: Option<Bytes>,
}

impl ScanOptions {
    /// Parses `[MATCH p] [COUNT n]` (and `[TYPE t]` when `with_type`, for SCAN itself).
    pub(crate) fn parse(args: &mut Args, with_type: bool) -> Result<ScanOptions, CommandError> {
        let mut o = ScanOptions { count: SCAN_DEFAULT_COUNT, pattern: None, type_name: None };
        while let Some(opt) = args.next() {
            let more = args.remaining() >= 1;
            if opt.eq_ignore_ascii_case(b"count") && more {
                let n = args.next_i64()?;
                if n < 1 {
                    return Err(rhodium_protocol::ArgError::Syntax.into());
                }
                o.count = usize::try_from(n).unwrap_or(usize::MAX);
            } else if opt.eq_ignore_ascii_case(b"match") && more {
                let p = args.next_arg()?;
                o.pattern = if p.as_ref() == b"*" { None } else { Some(p) };
            } else if with_type && opt.eq_ignore_ascii_case(b"type") && more {
                o.type_name = Some(args.next_arg()?);
            } else {
                return Err(rhodium_protocol::ArgError::Syntax.into());
            }
        }
        Ok(o)
    }
}

/// Parses a SCAN cursor as Redis does with `strtoul`: an optional sign (a negative value
/// wraps), decimal digits, nothing else; an empty string is cursor 0.
pub(crate) fn parse_cursor(arg: &[u8]) -> Option<u64> {
    let (neg, digits) = match arg.first() {
        Some(b'-') => (true, &arg[1..]),
        Some(b'+') => (false, &arg[1..]),
        _ => (false, arg),
    };
    if digits.is_empty() {
        // strtoul consumed nothing: the end pointer is the string itself.
        return if arg.is_empty() { Some(0) } else { None };
    }
    let mut v: u64 = 0;
    for &c in digits {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v.checked_mul(10)?.checked_add(u64::from(c - b'0'))?;
    }
    Some(if neg { v.wrapping_neg() } else { v })
}

fn scan(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    let cursor = args.next_arg()?;
    let cursor = parse_cursor(&cursor).ok_or_else(|| CommandError::err("invalid cursor"))?;
    let ScanOptions { count, pattern, type_name } = ScanOptions::parse(args, true)?;
    let now = ctx.now;
    let mut found: Vec<Vec<u8>> = Vec::new();
    let mut expired: Vec<Vec<u8>> = Vec::new();
    let next = ctx.server.keyspace.scan(ctx.db, cursor, count, |e, at| {
        let key = e.key.as_bytes();
        if let Some(p) = &pattern {
            if !glob_match(p, key, false) {
                return;
            }
        }
        if matches!(at, Some(t) if t <= now) {
            expired.push(key.to_vec());
            return;
        }
        if let Some(t) = &type_name {
            if !t.eq_ignore_ascii_case(e.value.value_type().name().as_bytes()) {
                return;
            }
        }
        found.push(key.to_vec());
    });
    // Expired keys met on the way are deleted as Redis's expireIfNeeded would (not on a
    // replica, which waits for its master's DEL).
    let server = ctx.server;
    let db = ctx.db;
    let expired = if server.replica.is_replica() { Vec::new() } else { expired };
    for key in expired {
        let key = Bytes::from(key);
        server.keyspace.delete_if_expired_then(db, &key, now, || {
            Stats::incr(&server.stats.expired_keys, 1);
            ctx.notify_db(ev::EXPIRED, "expired", &key, db);
            ctx.expired_deleted(db, &key);
        });
    }
    out.array(2);
    let mut b = itoa::Buffer::new();
    out.bulk(b.format(next).as_bytes());
    out.array(found.len());
    for k in &found {
        out.bulk(k);
    }
    Ok(())
}

fn randomkey(ctx: &mut ExecCtx, _args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    let server = ctx.server;
    let (db, now) = (ctx.db, ctx.now);
    // Each round either returns a live key or deletes an expired one, so it ends; the cap
    // only bounds the work when most keys are expired.
    for _ in 0..1000 {
        let Some(key) = server.keyspace.random_key(db, now) else {
            out.null();
            return Ok(());
        };
        let key = Bytes::from(key);
        let deleted = server.keyspace.delete_if_expired_then(db, &key, now, || {
            Stats::incr(&server.stats.expired_keys, 1);
            ctx.notify_db(ev::EXPIRED, "expired", &key, db);
            ctx.expired_deleted(db, &key);
        });
        if !deleted {
            out.bulk(&key);
            return Ok(());
        }
    }
    out.null();
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Expiry

#[derive(Clone, Copy, PartialEq, Eq)]
enum Unit {
    Seconds,
    Millis,
}

fn expire(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    let base = ctx.now;
    expire_generic(ctx, args, out, base, Unit::Seconds)
}

fn pexpire(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    let base = ctx.now;
    expire_generic(ctx, args, out, base, Unit::Millis)
}

fn expireat(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    let base = 0;
    expire_generic(ctx, args, out, base, Unit::Seconds)
}

fn pexpireat(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    let base = 0;
    expire_generic(ctx, args, out, base, Unit::Millis)
}

const NX: u8 = 1;
const XX: u8 = 2;
const GT: u8 = 4;
const LT: u8 = 8;

/// NX/XX/GT/LT after the time, checked before the time itself (as Redis does).
fn expire_flags(args: &Args) -> Result<u8, CommandError> {
    let mut flags = 0;
    for opt in args.argv().iter().skip(3) {
        flags |= match opt.to_ascii_lowercase().as_slice() {
            b"nx" => NX,
            b"xx" => XX,
            b"gt" => GT,
            b"lt" => LT,
            _ => return Err(CommandError::err(format!("Unsupported option {}", String::from_utf8_lossy(opt)))),
        };
    }
    if flags & NX != 0 && flags & (XX | GT | LT) != 0 {
        return Err(CommandError::err("NX and XX, GT or LT options at the same time are not compatible"));
    }
    if flags & GT != 0 && flags & LT != 0 {
        return Err(CommandError::err("GT and LT options at the same time are not compatible"));
    }
    Ok(flags)
}

fn expire_generic(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter, base: UnixMillis, unit: Unit) -> CmdResult {
    let key = args.next_arg()?;
    let flags = expire_flags(args)?;
    let mut when = args.next_i64()?;
    let invalid = || CommandError::err(format!("invalid expire time in '{}' command", ctx.command.fullname));
    if unit == Unit::Seconds {
        when = when.checked_mul(1000).ok_or_else(invalid)?;
    }
    let when = when.checked_add(base).ok_or_else(invalid)?;
    let db = ctx.db;
    if !ctx.keys.exists(db, &key)? {
        out.integer(0);
        return Ok(());
    }
    if flags != 0 {
        let current = ctx.keys.expiry(db, &key)?;
        let refused = match current {
            None => flags & (XX | GT) != 0,
            Some(cur) => flags & NX != 0 || (flags & GT != 0 && when <= cur) || (flags & LT != 0 && when >= cur),
        };
        if refused {
            out.integer(0);
            return Ok(());
        }
    }
    if when <= ctx.now {
        // Already in the past: the key goes now, and replicas see a DEL.
        ctx.keys.remove(db, &key)?;
        ctx.mark_dirty(1);
        ctx.notify(ev::GENERIC, "del", &key);
        ctx.effect_parts(&[b"DEL".as_slice(), &key]);
        out.integer(1);
        return Ok(());
    }
    ctx.keys.set_expiry(db, &key, when)?;
    ctx.mark_dirty(1);
    ctx.notify(ev::GENERIC, "expire", &key);
    // Propagated as an absolute PEXPIREAT with the options as given; PEXPIREAT itself goes
    // out unchanged.
    if !(base == 0 && unit == Unit::Millis) {
        let mut argv: Argv = args.argv().to_vec();
        argv[0] = Bytes::from_static(b"PEXPIREAT");
        argv[2] = Bytes::copy_from_slice(itoa::Buffer::new().format(when).as_bytes());
        ctx.effect(argv);
    }
    out.integer(1);
    Ok(())
}

/// What TTL-family commands report.
#[derive(Clone, Copy)]
enum TtlOutput {
    RelativeSecs,
    RelativeMillis,
    AbsoluteSecs,
    AbsoluteMillis,
}

fn ttl(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    ttl_generic(ctx, args, out, TtlOutput::RelativeSecs)
}

fn pttl(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    ttl_generic(ctx, args, out, TtlOutput::RelativeMillis)
}

fn expiretime(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    ttl_generic(ctx, args, out, TtlOutput::AbsoluteSecs)
}

fn pexpiretime(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    ttl_generic(ctx, args, out, TtlOutput::AbsoluteMillis)
}

fn ttl_generic(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter, mode: TtlOutput) -> CmdResult {
    let key = args.next_arg()?;
    if !exists_notouch(ctx, &key)? {
        out.integer(-2);
        return Ok(());
    }
    let Some(at) = ctx.keys.expiry(ctx.db, &key)? else {
        out.integer(-1);
        return Ok(());
    };
    let v = match mode {
        TtlOutput::RelativeSecs | TtlOutput::RelativeMillis => (at - ctx.now).max(0),
        TtlOutput::AbsoluteSecs | TtlOutput::AbsoluteMillis => at.max(0),
    };
    let v = match mode {
        TtlOutput::RelativeMillis | TtlOutput::AbsoluteMillis => v,
        // Rounded to the nearest second; i128 so the far-future maximum does not overflow.
        TtlOutput::RelativeSecs | TtlOutput::AbsoluteSecs => ((i128::from(v) + 500) / 1000) as i64,
    };
    out.integer(v);
    Ok(())
}

fn persist(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    let key = args.next_arg()?;
    let removed = ctx.keys.persist(ctx.db, &key)?;
    if removed {
        ctx.mark_dirty(1);
        ctx.notify(ev::GENERIC, "persist", &key);
    }
    out.integer(i64::from(removed));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::parse_cursor;

    #[test]
    fn cursor_parses_like_strtoul() {
        assert_eq!(parse_cursor(b"0"), Some(0));
        assert_eq!(parse_cursor(b""), Some(0));
        assert_eq!(parse_cursor(b"+7"), Some(7));
        assert_eq!(parse_cursor(b"-1"), Some(u64::MAX));
        assert_eq!(parse_cursor(b"-18446744073709551615"), Some(1));
        assert_eq!(parse_cursor(b"18446744073709551615"), Some(u64::MAX));
        assert_eq!(parse_cursor(b"18446744073709551616"), None);
        assert_eq!(parse_cursor(b"-"), None);
        assert_eq!(parse_cursor(b" 0"), None);
        assert_eq!(parse_cursor(b"1x"), None);
    }
}

/// What keyspace commands propagate, checked through a capturing sink on a real server.
#[cfg(test)]
mod propagation_tests {
    use crate::testkit::Harness;

    #[test]
    fn expire_family_propagates_absolute_pexpireat() {
        let mut h = Harness::new();
        h.run("SET k v");
        h.take();
        h.run("EXPIREAT k 4000000000 NX");
        assert_eq!(h.take(), vec![(0, "PEXPIREAT k 4000000000000 NX".to_string())]);
        h.run("PEXPIREAT k 4000000000001");
        assert_eq!(h.take(), vec![(0, "PEXPIREAT k 4000000000001".to_string())]);
        assert_eq!(h.run("EXPIRE k 100"), ":1\r\n");
        let got = h.take();
        assert_eq!(got.len(), 1);
        let when: i64 = got[0].1.strip_prefix("PEXPIREAT k ").unwrap().parse().unwrap();
        assert!((when - rhodium_storage::clock::now_ms() - 100_000).abs() < 5_000);
        assert_eq!(h.run("PEXPIRE k 5000 lt"), ":1\r\n");
        assert!(h.take().first().is_some_and(|(_, c)| c.starts_with("PEXPIREAT k ") && c.ends_with(" lt")));
        // Refused by a flag or no key: nothing goes out.
        h.run("EXPIRE k 10 NX");
        h.run("EXPIRE nokey 10");
        assert_eq!(h.take(), vec![]);
        // In the past: a DEL.
        h.run("EXPIRE k -1");
        assert_eq!(h.take(), vec![(0, "DEL k".to_string())]);
    }

    #[test]
    fn move_and_whole_database_commands_propagate_as_sent() {
        let mut h = Harness::new();
        h.run("SET k v");
        h.take();
        h.run("MOVE k 3");
        h.run("MOVE k 3");
        assert_eq!(h.take(), vec![(0, "MOVE k 3".to_string())]);
        h.run("SWAPDB 0 3");
        h.run("FLUSHDB ASYNC");
        h.run("FLUSHALL");
        assert_eq!(h.take(), vec![(0, "SWAPDB 0 3".to_string()), (0, "FLUSHDB ASYNC".to_string()), (0, "FLUSHALL".to_string())]);
    }

    #[test]
    fn active_expiry_propagates_del_and_counts() {
        let mut h = Harness::new();
        h.run("SELECT 2");
        h.run("SET a 1");
        h.take();
        h.run("PEXPIREAT a 1000");
        // A time in the past deletes at once; a key that expires shortly is then left to
        // the cron's cycle, run here directly.
        assert_eq!(h.take(), vec![(2, "DEL a".to_string())]);
        h.run("SET b 1");
        h.run("PEXPIRE b 1");
        h.take();
        let before = h.server.stats.expired_keys.load(std::sync::atomic::Ordering::Relaxed);
        let mut state = rhodium_storage::keyspace::ActiveExpire::new();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        while h.server.keyspace.dbsize(2) > 0 && std::time::Instant::now() < deadline {
            crate::cron::active_expire_cycle(&h.server, &mut state);
        }
        assert_eq!(h.server.keyspace.dbsize(2), 0);
        assert_eq!(h.take(), vec![(2, "DEL b".to_string())]);
        assert_eq!(h.server.stats.expired_keys.load(std::sync::atomic::Ordering::Relaxed), before + 1);
    }
}
