//! Hash commands (Redis's `t_hash.c`): parsing and replies here, semantics in
//! `rhodium_storage::types::hash`.

use bytes::Bytes;
use rhodium_protocol::number::parse_i64;
use rhodium_protocol::{ArgError, Args, ReplyWriter, Resp};
use rhodium_storage::glob::glob_match;
use rhodium_storage::keyspace::SetExpiry;
use rhodium_storage::types::hash::{Hash, Limits};
use rhodium_storage::types::string::{parse_long_double, LongDouble};
use rhodium_storage::{OpError, Value};

use super::keyspace::parse_cursor;
use super::spec::{acl, flags as f, keyflags as k, CommandSpec, Group, KeySpec};
use crate::dispatch::ExecCtx;
use crate::error::{CmdResult, CommandError};
use crate::notify::class as ev;

pub fn specs() -> &'static [CommandSpec] {
    const H: CommandSpec = CommandSpec { group: Group::Hash, since: "2.0.0", acl: acl::HASH, ..CommandSpec::DEFAULT };
    const WF: u32 = f::WRITE | f::DENYOOM | f::FAST;
    const RF: u32 = f::READONLY | f::FAST;
    const ORDER: &[&str] = &["nondeterministic_output_order"];
    const RANDOM: &[&str] = &["nondeterministic_output"];
    static RW_UPDATE: [KeySpec; 1] = [KeySpec::single(1, k::RW | k::UPDATE)];
    static RW_INSERT: [KeySpec; 1] = [KeySpec::single(1, k::RW | k::INSERT)];
    static RW_DELETE: [KeySpec; 1] = [KeySpec::single(1, k::RW | k::DELETE)];
    static RW_ACCESS_UPDATE: [KeySpec; 1] = [KeySpec::single(1, k::RW | k::ACCESS | k::UPDATE)];
    static RO_ACCESS: [KeySpec; 1] = [KeySpec::single(1, k::RO | k::ACCESS)];
    static RO: [KeySpec; 1] = [KeySpec::single(1, k::RO)];
    static SPECS: &[CommandSpec] = &[
        CommandSpec { name: "hset", arity: -4, flags: WF, key_specs: &RW_UPDATE, handler: Some(hset), ..H },
        CommandSpec { name: "hsetnx", arity: 4, flags: WF, key_specs: &RW_INSERT, handler: Some(hsetnx), ..H },
        CommandSpec { name: "hget", arity: 3, flags: RF, key_specs: &RO_ACCESS, handler: Some(hget), ..H },
        CommandSpec { name: "hmget", arity: -3, flags: RF, key_specs: &RO_ACCESS, handler: Some(hmget), ..H },
        CommandSpec { name: "hmset", arity: -4, flags: WF, key_specs: &RW_UPDATE, handler: Some(hmset), ..H },
        CommandSpec { name: "hdel", arity: -3, flags: f::WRITE | f::FAST, key_specs: &RW_DELETE, handler: Some(hdel), ..H },
        CommandSpec { name: "hlen", arity: 2, flags: RF, key_specs: &RO, handler: Some(hlen), ..H },
        CommandSpec { name: "hstrlen", since: "3.2.0", arity: 3, flags: RF, key_specs: &RO, handler: Some(hstrlen), ..H },
        CommandSpec { name: "hexists", arity: 3, flags: RF, key_specs: &RO, handler: Some(hexists), ..H },
        CommandSpec { name: "hkeys", arity: 2, flags: f::READONLY, tips: ORDER, key_specs: &RO_ACCESS, handler: Some(hkeys), ..H },
        CommandSpec { name: "hvals", arity: 2, flags: f::READONLY, tips: ORDER, key_specs: &RO_ACCESS, handler: Some(hvals), ..H },
        CommandSpec { name: "hgetall", arity: 2, flags: f::READONLY, tips: ORDER, key_specs: &RO_ACCESS, handler: Some(hgetall), ..H },
        CommandSpec { name: "hincrby", arity: 4, flags: WF, key_specs: &RW_ACCESS_UPDATE, handler: Some(hincrby), ..H },
        CommandSpec { name: "hincrbyfloat", since: "2.6.0", arity: 4, flags: WF, key_specs: &RW_ACCESS_UPDATE, handler: Some(hincrbyfloat), ..H },
        CommandSpec { name: "hrandfield", since: "6.2.0", arity: -2, flags: f::READONLY, tips: RANDOM, key_specs: &RO_ACCESS, handler: Some(hrandfield), ..H },
        CommandSpec { name: "hscan", since: "2.8.0", arity: -3, flags: f::READONLY, tips: RANDOM, key_specs: &RO_ACCESS, handler: Some(hscan), ..H },
    ];
    SPECS
}

/// The most elements one HRANDFIELD reply may hold. Redis has no limit (it would try to
/// build a reply of 2^62 elements); Rhodium refuses such counts as out of range.
const HRANDFIELD_MAX_REPLY: u64 = 1 << 26;

/// The conversion thresholds from the config.
fn limits(ctx: &ExecCtx) -> Limits {
    let cfg = ctx.server.config();
    let get = |name: &str, default: usize| cfg.other.get(name).and_then(|v| v.parse().ok()).unwrap_or(default);
    let d = Limits::default();
    Limits { entries: get("hash-max-listpack-entries", d.entries), value: get("hash-max-listpack-value", d.value) }
}

/// A key's hash for reading: `None` if missing, WRONGTYPE for other types.
fn read<'c>(ctx: &'c mut ExecCtx, key: &[u8]) -> Result<Option<&'c Hash>, CommandError> {
    match ctx.lookup_read(key)? {
        None => Ok(None),
        Some(Value::Hash(h)) => Ok(Some(h)),
        Some(_) => Err(OpError::WrongType.into()),
    }
}

/// A key's hash for writing, created empty if missing (Redis's
/// `hashTypeLookupWriteOrCreate`). The caller must delete it again if it stays empty.
fn write_or_create<'c>(ctx: &'c mut ExecCtx, key: &[u8]) -> Result<&'c mut Hash, CommandError> {
    match ctx.lookup_write(key)? {
        Some(Value::Hash(_)) => {}
        Some(_) => return Err(OpError::WrongType.into()),
        None => ctx.set_key(key, Value::Hash(Box::default()), SetExpiry::Clear)?,
    }
    match ctx.lookup_write(key)? {
        Some(Value::Hash(h)) => Ok(h),
        _ => Err(OpError::WrongType.into()),
    }
}

/// A key's hash for writing without creating it.
fn write_existing<'c>(ctx: &'c mut ExecCtx, key: &[u8]) -> Result<Option<&'c mut Hash>, CommandError> {
    match ctx.lookup_write(key)? {
        None => Ok(None),
        Some(Value::Hash(h)) => Ok(Some(h)),
        Some(_) => Err(OpError::WrongType.into()),
    }
}

/// HSET and HMSET: the pairs after the key; returns the number of new fields.
fn set_pairs(ctx: &mut ExecCtx, args: &mut Args) -> Result<i64, CommandError> {
    if args.argc() % 2 == 1 {
        return Err(CommandError::WrongArity(ctx.command.fullname.to_string()));
    }
    let key = args.next_arg()?;
    let pairs: Vec<Bytes> = args.rest().to_vec();
    let l = limits(ctx);
    let h = write_or_create(ctx, &key)?;
    h.try_conversion(pairs.iter().map(|b| b.as_ref()), l);
    let mut created = 0;
    for p in pairs.chunks(2) {
        if h.set(&p[0], &p[1], l) {
            created += 1;
        }
    }
    ctx.mark_dirty(pairs.len() as u64 / 2);
    ctx.notify(ev::HASH, "hset", &key);
    Ok(created)
}

fn hset(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    let n = set_pairs(ctx, args)?;
    out.integer(n);
    Ok(())
}

fn hmset(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    set_pairs(ctx, args)?;
    out.ok();
    Ok(())
}

fn hsetnx(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    let key = args.next_arg()?;
    let field = args.next_arg()?;
    let value = args.next_arg()?;
    let l = limits(ctx);
    if let Some(h) = write_existing(ctx, &key)? {
        if h.contains(&field) {
            out.integer(0);
            return Ok(());
        }
    }
    let h = write_or_create(ctx, &key)?;
    h.try_conversion([field.as_ref(), value.as_ref()], l);
    h.set(&field, &value, l);
    ctx.mark_dirty(1);
    ctx.notify(ev::HASH, "hset", &key);
    out.integer(1);
    Ok(())
}

fn hget(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    let key = args.next_arg()?;
    let field = args.next_arg()?;
    match read(ctx, &key)?.and_then(|h| h.get(&field)) {
        Some(v) => out.bulk(v),
        None => out.null(),
    }
    Ok(())
}

fn hmget(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    let key = args.next_arg()?;
    let fields: Vec<Bytes> = args.rest().to_vec();
    let h = read(ctx, &key)?;
    out.array(fields.len());
    for f in &fields {
        match h.and_then(|h| h.get(f)) {
            Some(v) => out.bulk(v),
            None => out.null(),
        }
    }
    Ok(())
}

fn hdel(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    let key = args.next_arg()?;
    let fields: Vec<Bytes> = args.rest().to_vec();
    let Some(h) = write_existing(ctx, &key)? else {
        out.integer(0);
        return Ok(());
    };
    let mut deleted = 0;
    for f in &fields {
        if h.remove(f) {
            deleted += 1;
            if h.is_empty() {
                break;
            }
        }
    }
    let empty = h.is_empty();
    if deleted > 0 {
        ctx.notify(ev::HASH, "hdel", &key);
    }
    if empty {
        ctx.delete_key(&key)?;
        ctx.notify(ev::GENERIC, "del", &key);
    }
    if deleted > 0 {
        ctx.mark_dirty(deleted);
    }
    out.integer(deleted as i64);
    Ok(())
}

fn hlen(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    let key = args.next_arg()?;
    let n = read(ctx, &key)?.map_or(0, Hash::len);
    out.integer(n as i64);
    Ok(())
}

fn hstrlen(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    let key = args.next_arg()?;
    let field = args.next_arg()?;
    let n = read(ctx, &key)?.and_then(|h| h.get(&field)).map_or(0, <[u8]>::len);
    out.integer(n as i64);
    Ok(())
}

fn hexists(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    let key = args.next_arg()?;
    let field = args.next_arg()?;
    let found = read(ctx, &key)?.is_some_and(|h| h.contains(&field));
    out.integer(i64::from(found));
    Ok(())
}

/// HKEYS, HVALS and HGETALL (Redis's `genericHgetallCommand`).
fn getall(ctx: &mut ExecCtx, args: &mut Args, keys: bool, vals: bool, out: &mut ReplyWriter) -> CmdResult {
    let key = args.next_arg()?;
    let h = read(ctx, &key)?;
    let n = h.map_or(0, Hash::len);
    if keys && vals {
        out.map(n);
    } else {
        out.array(n);
    }
    for (f, v) in h.into_iter().flat_map(|h| h.iter()) {
        if keys {
            out.bulk(f);
        }
        if vals {
            out.bulk(v);
        }
    }
    Ok(())
}

fn hkeys(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    getall(ctx, args, true, false, out)
}

fn hvals(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    getall(ctx, args, false, true, out)
}

fn hgetall(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    getall(ctx, args, true, true, out)
}

fn hincrby(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    let key = args.next_arg()?;
    let field = args.next_arg()?;
    let incr = args.next_i64()?;
    let l = limits(ctx);
    let old = match write_existing(ctx, &key)?.and_then(|h| h.get(&field)) {
        Some(v) => parse_i64(v).ok_or_else(|| CommandError::err("hash value is not an integer"))?,
        None => 0,
    };
    let new = old.checked_add(incr).ok_or(OpError::Overflow)?;
    let mut b = itoa::Buffer::new();
    let text = b.format(new);
    write_or_create(ctx, &key)?.set(&field, text.as_bytes(), l);
    ctx.mark_dirty(1);
    ctx.notify(ev::HASH, "hincrby", &key);
    out.integer(new);
    Ok(())
}

fn hincrbyfloat(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    let key = args.next_arg()?;
    let field = args.next_arg()?;
    let raw = args.next_arg()?;
    let incr = parse_long_double(&raw).ok_or(OpError::NotFloat)?;
    if !incr.is_finite() {
        return Err(CommandError::err("value is NaN or Infinity"));
    }
    let l = limits(ctx);
    let old = match write_existing(ctx, &key)?.and_then(|h| h.get(&field)) {
        Some(v) => parse_long_double(v).ok_or_else(|| CommandError::err("hash value is not a float"))?,
        None => LongDouble::from_i64(0),
    };
    let sum = old.plus(incr);
    if !sum.is_finite() {
        return Err(OpError::NanOrInfinity.into());
    }
    let text = sum.to_human_string();
    write_or_create(ctx, &key)?.set(&field, text.as_bytes(), l);
    ctx.mark_dirty(1);
    ctx.notify(ev::HASH, "hincrbyfloat", &key);
    out.bulk(text.as_bytes());
    // The final value travels, so float formatting can never diverge on replicas.
    ctx.effect_parts(&[b"HSET".as_slice(), &key, &field, text.as_bytes()]);
    Ok(())
}

/// Writes one field (and value) of an HRANDFIELD reply; RESP3 pairs are arrays.
fn reply_pair(out: &mut ReplyWriter, f: &[u8], v: &[u8], withvalues: bool) {
    if withvalues && out.resp() == Resp::V3 {
        out.array(2);
    }
    out.bulk(f);
    if withvalues {
        out.bulk(v);
    }
}

fn hrandfield(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    let argv = args.argv().to_vec();
    let key = &argv[1];
    if argv.len() == 2 {
        let mut rng = rand::thread_rng();
        match read(ctx, key)?.and_then(|h| h.random(&mut rng)) {
            Some((f, _)) => out.bulk(f),
            None => out.null(),
        }
        return Ok(());
    }
    let l = parse_i64(&argv[2]).ok_or(ArgError::NotInteger)?;
    if l == i64::MIN {
        return Err(CommandError::err("value is out of range, value must between -9223372036854775807 and 9223372036854775807"));
    }
    let withvalues = match argv.len() {
        3 => false,
        4 if argv[3].eq_ignore_ascii_case(b"withvalues") => true,
        _ => return Err(ArgError::Syntax.into()),
    };
    // Redis refuses the counts whose reply length would overflow.
    if withvalues && l < -(i64::MAX / 2) {
        return Err(CommandError::err("value is out of range"));
    }
    let Some(h) = read(ctx, key)? else {
        out.array(0);
        return Ok(());
    };
    let count = l.unsigned_abs();
    let per = if withvalues && out.resp() == Resp::V2 { 2 } else { 1 };
    let mut rng = rand::thread_rng();
    if l < 0 {
        if count.saturating_mul(per) > HRANDFIELD_MAX_REPLY {
            return Err(CommandError::err("value is out of range"));
        }
        out.array((count * per) as usize);
        for _ in 0..count {
            if let Some((f, v)) = h.random(&mut rng) {
                reply_pair(out, f, v, withvalues);
            }
        }
        return Ok(());
    }
    let len = h.len() as u64;
    if count >= len {
        // The whole hash, in its own order, as Redis's case 1.
        out.array((len * per) as usize);
        for (f, v) in h.iter() {
            reply_pair(out, f, v, withvalues);
        }
        return Ok(());
    }
    let picked = h.random_distinct(count as usize, &mut rng);
    out.array(picked.len() * per as usize);
    for (f, v) in picked {
        reply_pair(out, f, v, withvalues);
    }
    Ok(())
}

fn hscan(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    let key = args.next_arg()?;
    let cursor = args.next_arg()?;
    let cursor = parse_cursor(&cursor).ok_or_else(|| CommandError::err("invalid cursor"))?;
    if read(ctx, &key)?.is_none() {
        out.array(2);
        out.bulk(b"0");
        out.array(0);
        return Ok(());
    }
    let super::keyspace::ScanOptions { count, pattern, .. } = super::keyspace::ScanOptions::parse(args, false)?;
    // Looked up once above (hit/miss counted there); this read only borrows it again.
    let Some(Value::Hash(h)) = ctx.keys.get(ctx.db, &key)? else { return Ok(()) };
    let mut found: Vec<(Vec<u8>, Vec<u8>)> = Vec::new();
    let next = h.scan(cursor, count, |f, v| {
        if pattern.as_ref().is_none_or(|p| glob_match(p, f, false)) {
            found.push((f.to_vec(), v.to_vec()));
        }
    });
    out.array(2);
    out.bulk(itoa::Buffer::new().format(next).as_bytes());
    out.array(found.len() * 2);
    for (f, v) in &found {
        out.bulk(f);
        out.bulk(v);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::testkit::Harness;

    #[test]
    fn hincrbyfloat_propagates_hset_of_the_final_value() {
        let mut h = Harness::new();
        assert_eq!(h.run("HINCRBYFLOAT h f 10.50"), "$4\r\n10.5\r\n");
        assert_eq!(h.run("HINCRBYFLOAT h f 0.1"), "$4\r\n10.6\r\n");
        assert_eq!(h.run("HINCRBYFLOAT h f x"), "-ERR value is not a valid float\r\n");
        assert_eq!(h.propagated(), vec!["HSET h f 10.5", "HSET h f 10.6"]);
    }

    #[test]
    fn noop_writes_propagate_nothing() {
        let mut h = Harness::new();
        h.run("HSET h a 1");
        for cmd in ["HSETNX h a 2", "HDEL h nofield", "HDEL nokey a", "HINCRBY h a x", "HSET h a", "HINCRBYFLOAT h a inf"] {
            h.run(cmd);
        }
        assert_eq!(h.run("HDEL h a"), ":1\r\n");
        assert!(h.value("h").is_none(), "the last field deleted removes the key");
        assert_eq!(h.propagated(), vec!["HSET h a 1", "HDEL h a"]);
    }

    #[test]
    fn writes_propagate_as_requested() {
        let mut h = Harness::new();
        h.run("HMSET h a 1 b 2");
        h.run("HSETNX h c 3");
        h.run("HINCRBY h a 5");
        assert_eq!(h.propagated(), vec!["HMSET h a 1 b 2", "HSETNX h c 3", "HINCRBY h a 5"]);
        assert_eq!(h.value("h").map(|(v, _)| v.encoding_name()), Some("listpack"));
    }
}
