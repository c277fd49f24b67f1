//! String commands (Redis's `t_string.c`): parsing and replies here, semantics in
//! `rhodium_storage::types::string`.

use bytes::Bytes;
use rhodium_protocol::number::parse_i64;
use rhodium_protocol::{ArgError, Args, ReplyWriter};
use rhodium_storage::keyspace::SetExpiry;
use rhodium_storage::types::string as st;
use rhodium_storage::{OpError, UnixMillis, Value};

use super::spec::{acl, flags as f, keyflags as k, CommandSpec, Group, KeySpec};
use crate::dispatch::ExecCtx;
use crate::error::{CmdResult, CommandError};
use crate::notify::class as ev;

pub fn specs() -> &'static [CommandSpec] {
    const S: CommandSpec = CommandSpec { group: Group::String, acl: acl::STRING, ..CommandSpec::DEFAULT };
    const W: u32 = f::WRITE | f::DENYOOM;
    const WF: u32 = f::WRITE | f::DENYOOM | f::FAST;
    const RF: u32 = f::READONLY | f::FAST;
    static RO_ACCESS: [KeySpec; 1] = [KeySpec::single(1, k::RO | k::ACCESS)];
    static RO: [KeySpec; 1] = [KeySpec::single(1, k::RO)];
    static SET_KS: [KeySpec; 1] = [KeySpec { notes: "RW and ACCESS due to the optional `GET` argument", flags: k::RW | k::ACCESS | k::UPDATE | k::VARIABLE_FLAGS, ..KeySpec::single(1, 0) }];
    static GETEX_KS: [KeySpec; 1] = [KeySpec { notes: "RW and UPDATE because it changes the TTL", flags: k::RW | k::ACCESS | k::UPDATE, ..KeySpec::single(1, 0) }];
    static RW_ACCESS_UPDATE: [KeySpec; 1] = [KeySpec::single(1, k::RW | k::ACCESS | k::UPDATE)];
    static RW_ACCESS_DELETE: [KeySpec; 1] = [KeySpec::single(1, k::RW | k::ACCESS | k::DELETE)];
    static RW_INSERT: [KeySpec; 1] = [KeySpec::single(1, k::RW | k::INSERT)];
    static RW_UPDATE: [KeySpec; 1] = [KeySpec::single(1, k::RW | k::UPDATE)];
    static OW_INSERT: [KeySpec; 1] = [KeySpec::single(1, k::OW | k::INSERT)];
    static OW_UPDATE: [KeySpec; 1] = [KeySpec::single(1, k::OW | k::UPDATE)];
    static MGET_KS: [KeySpec; 1] = [KeySpec::range(1, -1, 1, k::RO | k::ACCESS)];
    static MSET_KS: [KeySpec; 1] = [KeySpec::range(1, -1, 2, k::OW | k::UPDATE)];
    static MSETNX_KS: [KeySpec; 1] = [KeySpec::range(1, -1, 2, k::OW | k::INSERT)];
    static LCS_KS: [KeySpec; 1] = [KeySpec::range(1, 1, 1, k::RO | k::ACCESS)];
    static SPECS: &[CommandSpec] = &[
        CommandSpec { name: "get", arity: 2, flags: RF, key_specs: &RO_ACCESS, handler: Some(get), ..S },
        CommandSpec { name: "set", arity: -3, flags: W, key_specs: &SET_KS, handler: Some(set), ..S },
        CommandSpec { name: "setnx", arity: 3, flags: WF, key_specs: &OW_INSERT, handler: Some(setnx), ..S },
        CommandSpec { name: "setex", since: "2.0.0", arity: 4, flags: W, key_specs: &OW_UPDATE, handler: Some(setex), ..S },
        CommandSpec { name: "psetex", since: "2.6.0", arity: 4, flags: W, key_specs: &OW_UPDATE, handler: Some(psetex), ..S },
        CommandSpec { name: "mget", arity: -2, flags: RF, key_specs: &MGET_KS, tips: &["request_policy:multi_shard"], handler: Some(mget), ..S },
        CommandSpec { name: "mset", since: "1.0.1", arity: -3, flags: W, key_specs: &MSET_KS, tips: &["request_policy:multi_shard", "response_policy:all_succeeded"], handler: Some(mset), ..S },
        CommandSpec { name: "msetnx", since: "1.0.1", arity: -3, flags: W, key_specs: &MSETNX_KS, tips: &["request_policy:multi_shard", "response_policy:agg_min"], handler: Some(msetnx), ..S },
        CommandSpec { name: "getset", arity: 3, flags: WF, key_specs: &RW_ACCESS_UPDATE, handler: Some(getset), ..S },
        CommandSpec { name: "getdel", since: "6.2.0", arity: 2, flags: f::WRITE | f::FAST, key_specs: &RW_ACCESS_DELETE, handler: Some(getdel), ..S },
        CommandSpec { name: "getex", since: "6.2.0", arity: -2, flags: f::WRITE | f::FAST, key_specs: &GETEX_KS, handler: Some(getex), ..S },
        CommandSpec { name: "append", since: "2.0.0", arity: 3, flags: WF, key_specs: &RW_INSERT, handler: Some(append), ..S },
        CommandSpec { name: "strlen", since: "2.2.0", arity: 2, flags: RF, key_specs: &RO, handler: Some(strlen), ..S },
        CommandSpec { name: "incr", arity: 2, flags: WF, key_specs: &RW_ACCESS_UPDATE, handler: Some(incr), ..S },
        CommandSpec { name: "decr", arity: 2, flags: WF, key_specs: &RW_ACCESS_UPDATE, handler: Some(decr), ..S },
        CommandSpec { name: "incrby", arity: 3, flags: WF, key_specs: &RW_ACCESS_UPDATE, handler: Some(incrby), ..S },
        CommandSpec { name: "decrby", arity: 3, flags: WF, key_specs: &RW_ACCESS_UPDATE, handler: Some(decrby), ..S },
        CommandSpec { name: "incrbyfloat", since: "2.6.0", arity: 3, flags: WF, key_specs: &RW_ACCESS_UPDATE, handler: Some(incrbyfloat), ..S },
        CommandSpec { name: "getrange", since: "2.4.0", arity: 4, flags: f::READONLY, key_specs: &RO_ACCESS, handler: Some(getrange), ..S },
        CommandSpec { name: "substr", arity: 4, flags: f::READONLY, key_specs: &RO_ACCESS, handler: Some(getrange), ..S },
        CommandSpec { name: "setrange", since: "2.2.0", arity: 4, flags: W, key_specs: &RW_UPDATE, handler: Some(setrange), ..S },
        CommandSpec { name: "lcs", since: "7.0.0", arity: -3, flags: f::READONLY, key_specs: &LCS_KS, handler: Some(lcs), ..S },
    ];
    SPECS
}

/// The largest string a command may build (`proto-max-bulk-len`).
fn max_len(ctx: &ExecCtx) -> usize {
    usize::try_from(ctx.server.config().proto_max_bulk_len).unwrap_or(st::STRING_MAX_LEN)
}

/// Replies with a key's string value or null (Redis's `getGenericCommand`).
fn reply_get(ctx: &mut ExecCtx, key: &[u8], out: &mut ReplyWriter) -> CmdResult {
    match ctx.lookup_read(key)? {
        None => out.null(),
        Some(v) => out.bulk(&st::bytes(v)?),
    }
    Ok(())
}

fn get(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    let key = args.next_arg()?;
    reply_get(ctx, &key, out)
}

// Option flags of SET and GETEX (Redis's OBJ_* flags).
const NX: u32 = 1 << 0;
const XX: u32 = 1 << 1;
const EX: u32 = 1 << 2;
const PX: u32 = 1 << 3;
const KEEPTTL: u32 = 1 << 4;
const GET: u32 = 1 << 5;
const EXAT: u32 = 1 << 6;
const PXAT: u32 = 1 << 7;
const PERSIST: u32 = 1 << 8;
const ANY_EXPIRE: u32 = EX | PX | EXAT | PXAT;

/// Parsed options of SET/GETEX: flags and the raw expire argument.
struct ExtOptions {
    flags: u32,
    expire: Option<Bytes>,
}

/// Redis's `parseExtendedStringArgumentsOrReply`: the same acceptance rules, so the
/// same combinations are syntax errors (e.g. a repeated EX is fine, EX with PX is not).
fn parse_ext(args: &[Bytes], for_set: bool) -> Result<ExtOptions, CommandError> {
    let mut flags = 0u32;
    let mut expire = None;
    let mut j = if for_set { 3 } else { 2 };
    while j < args.len() {
        let opt = &args[j];
        let has_next = j + 1 < args.len();
        let is = |s: &str| opt.eq_ignore_ascii_case(s.as_bytes());
        if is("NX") && flags & XX == 0 && for_set {
            flags |= NX;
        } else if is("XX") && flags & NX == 0 && for_set {
            flags |= XX;
        } else if is("GET") && for_set {
            flags |= GET;
        } else if is("KEEPTTL") && flags & (PERSIST | ANY_EXPIRE) == 0 && for_set {
            flags |= KEEPTTL;
        } else if is("PERSIST") && !for_set && flags & (ANY_EXPIRE | KEEPTTL) == 0 {
            flags |= PERSIST;
        } else if let Some(unit) = [("EX", EX), ("PX", PX), ("EXAT", EXAT), ("PXAT", PXAT)].iter().find(|(n, _)| is(n)).map(|(_, u)| *u) {
            let others = (ANY_EXPIRE & !unit) | KEEPTTL | PERSIST;
            if flags & others != 0 || !has_next {
                return Err(ArgError::Syntax.into());
            }
            flags |= unit;
            expire = Some(args[j + 1].clone());
            j += 1;
        } else {
            return Err(ArgError::Syntax.into());
        }
        j += 1;
    }
    Ok(ExtOptions { flags, expire })
}

/// Redis's `getExpireMillisecondsOrReply`: the absolute expiry in ms for an expire
/// argument of the given unit flag. `cmd` names the command in the error text.
fn expire_at(raw: &[u8], flags: u32, now: UnixMillis, cmd: &str) -> Result<UnixMillis, CommandError> {
    let invalid = || CommandError::err(format!("invalid expire time in '{cmd}' command"));
    let mut ms = parse_i64(raw).ok_or(ArgError::NotInteger)?;
    let seconds = flags & (EX | EXAT) != 0;
    if ms <= 0 || (seconds && ms > i64::MAX / 1000) {
        return Err(invalid());
    }
    if seconds {
        ms *= 1000;
    }
    if flags & (EX | PX) != 0 {
        // C's signed overflow wraps in practice; a wrapped result is caught below.
        ms = ms.wrapping_add(now);
    }
    if ms <= 0 {
        return Err(invalid());
    }
    Ok(ms)
}

/// What `setGenericCommand` replies when it sets, and when NX/XX prevent it.
struct SetReplies {
    ok: fn(&mut ReplyWriter),
    abort: fn(&mut ReplyWriter),
}

const SET_REPLIES: SetReplies = SetReplies { ok: |o| o.ok(), abort: |o| o.null() };

/// Redis's `setGenericCommand` for SET, SETNX, SETEX and PSETEX.
/// The key is `argv[1]` and the value `argv[val_idx]`.
fn set_generic(ctx: &mut ExecCtx, argv: &[Bytes], val_idx: usize, opts: &ExtOptions, cmd: &str, replies: SetReplies, out: &mut ReplyWriter) -> CmdResult {
    let (key, val) = (&argv[1], &argv[val_idx]);
    let flags = opts.flags;
    let at = match &opts.expire {
        Some(raw) => Some(expire_at(raw, flags, ctx.now, cmd)?),
        None => None,
    };
    if flags & GET != 0 {
        reply_get(ctx, key, out)?;
    }
    let found = ctx.lookup_write(key)?.is_some();
    if (flags & NX != 0 && found) || (flags & XX != 0 && !found) {
        if flags & GET == 0 {
            (replies.abort)(out);
        }
        return Ok(());
    }
    let expiry = match at {
        Some(t) => SetExpiry::At(t),
        None if flags & KEEPTTL != 0 => SetExpiry::Keep,
        None => SetExpiry::Clear,
    };
    ctx.set_key(key, Value::string(val), expiry)?;
    ctx.mark_dirty(1);
    ctx.notify(ev::STRING, "set", key);
    if let Some(t) = at {
        ctx.notify(ev::GENERIC, "expire", key);
        // Relative and absolute expiries propagate as one absolute form.
        ctx.effect_parts(&[b"SET".as_slice(), key, val, b"PXAT", itoa::Buffer::new().format(t).as_bytes()]);
    } else if flags & GET != 0 {
        // Replicas need no GET (which may be repeated, in any case).
        let kept: Vec<Bytes> = argv.iter().enumerate().filter(|(j, a)| *j < 3 || !a.eq_ignore_ascii_case(b"GET")).map(|(_, a)| a.clone()).collect();
        ctx.effect(kept);
    }
    if flags & GET == 0 {
        (replies.ok)(out);
    }
    Ok(())
}

fn set(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    let argv = args.argv().to_vec();
    let opts = parse_ext(&argv, true)?;
    set_generic(ctx, &argv, 2, &opts, "set", SET_REPLIES, out)
}

fn setnx(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    let argv = args.argv().to_vec();
    let opts = ExtOptions { flags: NX, expire: None };
    set_generic(ctx, &argv, 2, &opts, "setnx", SetReplies { ok: |o| o.integer(1), abort: |o| o.integer(0) }, out)
}

fn setex_generic(ctx: &mut ExecCtx, args: &mut Args, unit: u32, cmd: &str, out: &mut ReplyWriter) -> CmdResult {
    let argv = args.argv().to_vec();
    let opts = ExtOptions { flags: unit, expire: Some(argv[2].clone()) };
    set_generic(ctx, &argv, 3, &opts, cmd, SET_REPLIES, out)
}

fn setex(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    setex_generic(ctx, args, EX, "setex", out)
}

fn psetex(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    setex_generic(ctx, args, PX, "psetex", out)
}

fn mget(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    let keys = args.rest().to_vec();
    out.array(keys.len());
    for key in &keys {
        match ctx.lookup_read(key)?.and_then(|v| v.string_bytes()) {
            Some(b) => out.bulk(&b),
            None => out.null(),
        }
    }
    Ok(())
}

fn mset_generic(ctx: &mut ExecCtx, args: &mut Args, nx: bool, out: &mut ReplyWriter) -> CmdResult {
    if args.argc().is_multiple_of(2) {
        let name = if nx { "msetnx" } else { "mset" };
        return Err(CommandError::WrongArity(name.into()));
    }
    let pairs: Vec<Bytes> = args.rest().to_vec();
    if nx {
        for kv in pairs.chunks(2) {
            if ctx.lookup_write(&kv[0])?.is_some() {
                out.integer(0);
                return Ok(());
            }
        }
    }
    for kv in pairs.chunks(2) {
        ctx.set_key(&kv[0], Value::string(&kv[1]), SetExpiry::Clear)?;
        ctx.notify(ev::STRING, "set", &kv[0]);
    }
    ctx.mark_dirty(pairs.len() as u64 / 2);
    if nx {
        out.integer(1);
    } else {
        out.ok();
    }
    Ok(())
}

fn mset(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    mset_generic(ctx, args, false, out)
}

fn msetnx(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    mset_generic(ctx, args, true, out)
}

fn getset(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    let key = args.next_arg()?;
    let val = args.next_arg()?;
    reply_get(ctx, &key, out)?;
    ctx.set_key(&key, Value::string(&val), SetExpiry::Clear)?;
    ctx.mark_dirty(1);
    ctx.notify(ev::STRING, "set", &key);
    ctx.effect_parts(&[b"SET".as_slice(), &key, &val]);
    Ok(())
}

fn getdel(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    let key = args.next_arg()?;
    reply_get(ctx, &key, out)?;
    if ctx.delete_key(&key)? {
        ctx.mark_dirty(1);
        ctx.notify(ev::GENERIC, "del", &key);
        ctx.effect_parts(&[b"DEL".as_slice(), &key]);
    }
    Ok(())
}

fn getex(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    let argv = args.argv().to_vec();
    let opts = parse_ext(&argv, false)?;
    let key = &argv[1];
    let Some(v) = ctx.lookup_read(key)? else {
        out.null();
        return Ok(());
    };
    let value = st::bytes(v)?.into_owned();
    let at = match &opts.expire {
        Some(raw) => Some(expire_at(raw, opts.flags, ctx.now, "getex")?),
        None => None,
    };
    out.bulk(&value);
    if let Some(t) = at {
        if opts.flags & (EXAT | PXAT) != 0 && t <= ctx.now {
            // An absolute time already past deletes the key, as Redis's GETEX does.
            ctx.delete_key(key)?;
            ctx.mark_dirty(1);
            ctx.notify(ev::GENERIC, "del", key);
            ctx.effect_parts(&[b"DEL".as_slice(), key]);
        } else {
            ctx.keys.set_expiry(ctx.db, key, t)?;
            ctx.mark_dirty(1);
            ctx.notify(ev::GENERIC, "expire", key);
            ctx.effect_parts(&[b"PEXPIREAT".as_slice(), key, itoa::Buffer::new().format(t).as_bytes()]);
        }
    } else if opts.flags & PERSIST != 0 && ctx.keys.persist(ctx.db, key)? {
        ctx.mark_dirty(1);
        ctx.notify(ev::GENERIC, "persist", key);
        ctx.effect_parts(&[b"PERSIST".as_slice(), key]);
    }
    Ok(())
}

fn append(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    let key = args.next_arg()?;
    let extra = args.next_arg()?;
    let max = max_len(ctx);
    let total = match ctx.lookup_write(&key)? {
        Some(v) => st::append(v, &extra, max)?,
        None => {
            ctx.set_key(&key, Value::string(&extra), SetExpiry::Clear)?;
            extra.len()
        }
    };
    ctx.mark_dirty(1);
    ctx.notify(ev::STRING, "append", &key);
    out.integer(total as i64);
    Ok(())
}

fn strlen(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    let key = args.next_arg()?;
    let n = match ctx.lookup_read(&key)? {
        None => 0,
        Some(v) => v.string_len().ok_or(OpError::WrongType)?,
    };
    out.integer(n as i64);
    Ok(())
}

/// Redis's `incrDecrCommand`: the result is stored int-encoded, keeping any TTL.
fn incr_decr(ctx: &mut ExecCtx, key: &[u8], delta: i64, out: &mut ReplyWriter) -> CmdResult {
    let new = match ctx.lookup_write(key)? {
        Some(v) => {
            let n = st::incr_by(Some(v), delta)?;
            *v = Value::Int(n);
            n
        }
        None => {
            let n = st::incr_by(None, delta)?;
            ctx.set_key(key, Value::Int(n), SetExpiry::Clear)?;
            n
        }
    };
    ctx.mark_dirty(1);
    ctx.notify(ev::STRING, "incrby", key);
    out.integer(new);
    Ok(())
}

fn incr(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    let key = args.next_arg()?;
    incr_decr(ctx, &key, 1, out)
}

fn decr(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    let key = args.next_arg()?;
    incr_decr(ctx, &key, -1, out)
}

fn incrby(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    let key = args.next_arg()?;
    let by = args.next_i64()?;
    incr_decr(ctx, &key, by, out)
}

fn decrby(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    let key = args.next_arg()?;
    let by = args.next_i64()?;
    if by == i64::MIN {
        return Err(CommandError::err("decrement would overflow"));
    }
    incr_decr(ctx, &key, -by, out)
}

fn incrbyfloat(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    let key = args.next_arg()?;
    let incr = args.next_arg()?;
    let text = match ctx.lookup_write(&key)? {
        Some(v) => {
            let text = st::incr_by_float(Some(v), &incr)?;
            *v = Value::string_no_int(text.as_bytes());
            text
        }
        None => {
            let text = st::incr_by_float(None, &incr)?;
            ctx.set_key(&key, Value::string_no_int(text.as_bytes()), SetExpiry::Clear)?;
            text
        }
    };
    ctx.mark_dirty(1);
    ctx.notify(ev::STRING, "incrbyfloat", &key);
    out.bulk(text.as_bytes());
    // The final value travels, so float formatting can never diverge on replicas.
    ctx.effect_parts(&[b"SET".as_slice(), &key, text.as_bytes(), b"KEEPTTL"]);
    Ok(())
}

fn getrange(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    let key = args.next_arg()?;
    let start = args.next_i64()?;
    let end = args.next_i64()?;
    match ctx.lookup_read(&key)? {
        None => out.bulk(b""),
        Some(v) => {
            let b = st::bytes(v)?;
            out.bulk(st::get_range(&b, start, end));
        }
    }
    Ok(())
}

fn setrange(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    let key = args.next_arg()?;
    let offset = args.next_i64()?;
    let data = args.next_arg()?;
    let offset = usize::try_from(offset).map_err(|_| CommandError::err("offset is out of range"))?;
    let max = max_len(ctx);
    let len = match ctx.lookup_write(&key)? {
        Some(v) => st::set_range(v, offset, &data, max)?,
        None => match st::set_range_new(offset, &data, max)? {
            Some(v) => {
                ctx.set_key(&key, v, SetExpiry::Clear)?;
                offset + data.len()
            }
            None => 0,
        },
    };
    if !data.is_empty() {
        ctx.mark_dirty(1);
        ctx.notify(ev::STRING, "setrange", &key);
    }
    out.integer(len as i64);
    Ok(())
}

fn lcs(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    let argv = args.argv().to_vec();
    let not_string = || CommandError::err("The specified keys must contain string values");
    let a = match ctx.lookup_read(&argv[1])? {
        Some(v) => Some(v.string_bytes().ok_or_else(not_string)?.into_owned()),
        None => None,
    };
    let b = match ctx.lookup_read(&argv[2])? {
        Some(v) => Some(v.string_bytes().ok_or_else(not_string)?.into_owned()),
        None => None,
    };
    let (mut idx, mut len, mut withmatchlen, mut minmatchlen) = (false, false, false, 0i64);
    let mut j = 3;
    while j < argv.len() {
        let opt = &argv[j];
        let more = j + 1 < argv.len();
        if opt.eq_ignore_ascii_case(b"IDX") {
            idx = true;
        } else if opt.eq_ignore_ascii_case(b"LEN") {
            len = true;
        } else if opt.eq_ignore_ascii_case(b"WITHMATCHLEN") {
            withmatchlen = true;
        } else if opt.eq_ignore_ascii_case(b"MINMATCHLEN") && more {
            minmatchlen = parse_i64(&argv[j + 1]).ok_or(ArgError::NotInteger)?.max(0);
            j += 1;
        } else {
            return Err(ArgError::Syntax.into());
        }
        j += 1;
    }
    if len && idx {
        return Err(CommandError::err("If you want both the length and indexes, please just use IDX."));
    }
    let (a, b) = (a.unwrap_or_default(), b.unwrap_or_default());
    let limit = u64::try_from(ctx.server.config().proto_max_bulk_len).unwrap_or(0);
    let min = usize::try_from(minmatchlen).unwrap_or(usize::MAX);
    let r = st::lcs(&a, &b, idx || !len, min, limit).map_err(|e| match e {
        st::LcsError::TooLong => CommandError::err("String too long for LCS"),
        st::LcsError::TableTooBig => CommandError::err("Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len"),
    })?;
    if idx {
        out.map(2);
        out.bulk(b"matches");
        out.array(r.matches.len());
        for m in &r.matches {
            out.array(2 + usize::from(withmatchlen));
            out.array(2);
            out.integer(m.a.0 as i64);
            out.integer(m.a.1 as i64);
            out.array(2);
            out.integer(m.b.0 as i64);
            out.integer(m.b.1 as i64);
            if withmatchlen {
                out.integer(m.len as i64);
            }
        }
        out.bulk(b"len");
        out.integer(r.len as i64);
    } else if len {
        out.integer(r.len as i64);
    } else {
        out.bulk(&r.string);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::testkit::Harness;

    /// The absolute time in a propagated `... PXAT <ms>` or `PEXPIREAT k <ms>`.
    fn last_number(line: &str) -> i64 {
        line.rsplit(' ').next().and_then(|n| n.parse().ok()).unwrap_or(-1)
    }

    #[test]
    fn set_with_relative_expiry_propagates_absolute_pxat() {
        let mut h = Harness::new();
        let before = rhodium_storage::clock::now_ms();
        assert_eq!(h.run("SET k v EX 100"), "+OK\r\n");
        assert_eq!(h.run("SET k2 v PX 5000 GET"), "$-1\r\n");
        assert_eq!(h.run("SETEX k3 10 v"), "+OK\r\n");
        assert_eq!(h.run("PSETEX k4 10000 v"), "+OK\r\n");
        assert_eq!(h.run("SET k5 v EXAT 99999999999 NX"), "+OK\r\n");
        assert_eq!(h.run("SET k6 v PXAT 1"), "+OK\r\n");
        let p = h.propagated();
        assert_eq!(p.len(), 6);
        let checks = [("SET k v PXAT ", 100_000), ("SET k2 v PXAT ", 5000), ("SET k3 v PXAT ", 10_000), ("SET k4 v PXAT ", 10_000)];
        for (line, (prefix, ttl)) in p.iter().zip(checks) {
            assert!(line.starts_with(prefix), "{line}");
            let at = last_number(line);
            assert!(at >= before + ttl && at <= rhodium_storage::clock::now_ms() + ttl, "{line}");
        }
        assert_eq!(p[4], "SET k5 v PXAT 99999999999000");
        // Redis 7.0 propagates a past absolute time as is; the key then expires by DEL.
        assert_eq!(p[5], "SET k6 v PXAT 1");
        let (v, at) = h.value("k").unwrap();
        assert_eq!(v.encoding_name(), "embstr");
        assert_eq!(at, Some(last_number(&p[0])));
    }

    #[test]
    fn set_drops_get_and_keeps_other_flags() {
        let mut h = Harness::new();
        assert_eq!(h.run("set a 1 get GET"), "$-1\r\n");
        assert_eq!(h.run("SET a 2 KEEPTTL Get XX"), "$1\r\n1\r\n");
        assert_eq!(h.run("SET a 3 NX"), "$-1\r\n");
        assert_eq!(h.run("SET b 1"), "+OK\r\n");
        assert_eq!(h.propagated(), vec!["set a 1", "SET a 2 KEEPTTL XX", "SET b 1"]);
    }

    #[test]
    fn getex_getdel_getset_effects() {
        let mut h = Harness::new();
        h.run("SET k v");
        assert_eq!(h.run("GETEX k EX 100"), "$1\r\nv\r\n");
        assert_eq!(h.run("GETEX k PERSIST"), "$1\r\nv\r\n");
        assert_eq!(h.run("GETEX k PERSIST"), "$1\r\nv\r\n");
        assert_eq!(h.run("GETEX k"), "$1\r\nv\r\n");
        assert_eq!(h.run("GETEX k PXAT 1"), "$1\r\nv\r\n");
        assert!(h.value("k").is_none());
        h.run("SET g old");
        assert_eq!(h.run("GETSET g new"), "$3\r\nold\r\n");
        assert_eq!(h.run("GETDEL g"), "$3\r\nnew\r\n");
        assert_eq!(h.run("GETDEL g"), "$-1\r\n");
        let p = h.propagated();
        assert!(p[1].starts_with("PEXPIREAT k "), "{}", p[1]);
        assert_eq!(&p[2..], ["PERSIST k", "DEL k", "SET g old", "SET g new", "DEL g"]);
    }

    #[test]
    fn incrbyfloat_propagates_set_keepttl() {
        let mut h = Harness::new();
        h.run("SET f 10.50");
        assert_eq!(h.run("INCRBYFLOAT f 0.1"), "$4\r\n10.6\r\n");
        assert_eq!(h.run("INCRBYFLOAT f x"), "-ERR value is not a valid float\r\n");
        assert_eq!(h.propagated(), vec!["SET f 10.50", "SET f 10.6 KEEPTTL"]);
        assert_eq!(h.value("f").unwrap().0.encoding_name(), "embstr");
    }

    #[test]
    fn encodings_after_writes() {
        let mut h = Harness::new();
        h.run("SET i 12");
        assert_eq!(h.value("i").unwrap().0.encoding_name(), "int");
        h.run("APPEND i 3");
        assert_eq!(h.value("i").unwrap().0.encoding_name(), "raw");
        h.run("INCR i");
        assert_eq!(h.value("i").unwrap().0.encoding_name(), "int");
        h.run("APPEND fresh 5");
        assert_eq!(h.value("fresh").unwrap().0.encoding_name(), "int");
        h.run("SETRANGE s 0 abc");
        assert_eq!(h.value("s").unwrap().0.encoding_name(), "raw");
        h.run("SET e abc");
        h.run("GETEX e EX 100");
        assert_eq!(h.value("e").unwrap().0.encoding_name(), "embstr");
        h.run("GETSET e 77");
        assert_eq!(h.value("e").unwrap().0.encoding_name(), "int");
        h.run("SET t v PX 100000");
        h.run("INCRBYFLOAT n 1");
        h.run("SET t 5 KEEPTTL");
        h.run("INCR t");
        assert!(h.value("t").unwrap().1.is_some(), "INCR keeps the TTL");
        h.run("APPEND t x");
        assert!(h.value("t").unwrap().1.is_some(), "APPEND keeps the TTL");
    }

    #[test]
    fn failed_or_noop_writes_propagate_nothing() {
        let mut h = Harness::new();
        h.run("SET k abc");
        for cmd in ["SET k v NX", "SET x v XX", "INCR k", "SETRANGE k 0 ", "SETRANGE nokey 3 ", "MSETNX k 1 z 2", "SET k v EX 0", "GETEX nokey EX 10"] {
            h.run(cmd);
        }
        assert_eq!(h.propagated(), vec!["SET k abc"]);
    }
}
