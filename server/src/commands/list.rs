//! List commands (Redis's `t_list.c`), without the blocking ones: parsing and replies
//! here, semantics in `rhodium_storage::types::list`. A list that becomes empty is
//! deleted, as in Redis.

use bytes::Bytes;
use rhodium_protocol::number::parse_i64;
use rhodium_protocol::{ArgError, Args, ReplyWriter};
use rhodium_storage::keyspace::SetExpiry;
use rhodium_storage::types::clamp_range;
use rhodium_storage::types::list::{as_list, as_list_mut, End, List};
use rhodium_storage::Value;

use super::spec::{acl, flags as f, keyflags as k, BeginSearch, CommandSpec, FindKeys, Group, KeySpec};
use crate::dispatch::ExecCtx;
use crate::error::{CmdResult, CommandError};
use crate::notify::class as ev;

pub fn specs() -> &'static [CommandSpec] {
    const S: CommandSpec = CommandSpec { group: Group::List, acl: acl::LIST, ..CommandSpec::DEFAULT };
    const W: u32 = f::WRITE | f::DENYOOM;
    const WF: u32 = f::WRITE | f::DENYOOM | f::FAST;
    static RW_INSERT: [KeySpec; 1] = [KeySpec::single(1, k::RW | k::INSERT)];
    static RW_ACCESS_DELETE: [KeySpec; 1] = [KeySpec::single(1, k::RW | k::ACCESS | k::DELETE)];
    static RO: [KeySpec; 1] = [KeySpec::single(1, k::RO)];
    static RO_ACCESS: [KeySpec; 1] = [KeySpec::single(1, k::RO | k::ACCESS)];
    static RW_UPDATE: [KeySpec; 1] = [KeySpec::single(1, k::RW | k::UPDATE)];
    static RW_DELETE: [KeySpec; 1] = [KeySpec::single(1, k::RW | k::DELETE)];
    static MOVE_KS: [KeySpec; 2] = [KeySpec::single(1, k::RW | k::ACCESS | k::DELETE), KeySpec::single(2, k::RW | k::INSERT)];
    static LMPOP_KS: [KeySpec; 1] = [KeySpec { notes: "", flags: k::RW | k::ACCESS | k::DELETE, begin: BeginSearch::Index(1), find: FindKeys::Keynum { keynumidx: 0, firstkey: 1, step: 1 } }];
    static SPECS: &[CommandSpec] = &[
        CommandSpec { name: "lpush", arity: -3, flags: WF, key_specs: &RW_INSERT, handler: Some(lpush), ..S },
        CommandSpec { name: "rpush", arity: -3, flags: WF, key_specs: &RW_INSERT, handler: Some(rpush), ..S },
        CommandSpec { name: "lpushx", since: "2.2.0", arity: -3, flags: WF, key_specs: &RW_INSERT, handler: Some(lpushx), ..S },
        CommandSpec { name: "rpushx", since: "2.2.0", arity: -3, flags: WF, key_specs: &RW_INSERT, handler: Some(rpushx), ..S },
        CommandSpec { name: "lpop", arity: -2, flags: f::WRITE | f::FAST, key_specs: &RW_ACCESS_DELETE, handler: Some(lpop), ..S },
        CommandSpec { name: "rpop", arity: -2, flags: f::WRITE | f::FAST, key_specs: &RW_ACCESS_DELETE, handler: Some(rpop), ..S },
        CommandSpec { name: "llen", arity: 2, flags: f::READONLY | f::FAST, key_specs: &RO, handler: Some(llen), ..S },
        CommandSpec { name: "lindex", arity: 3, flags: f::READONLY, key_specs: &RO_ACCESS, handler: Some(lindex), ..S },
        CommandSpec { name: "lset", arity: 4, flags: W, key_specs: &RW_UPDATE, handler: Some(lset), ..S },
        CommandSpec { name: "linsert", since: "2.2.0", arity: 5, flags: W, key_specs: &RW_INSERT, handler: Some(linsert), ..S },
        CommandSpec { name: "lrange", arity: 4, flags: f::READONLY, key_specs: &RO_ACCESS, handler: Some(lrange), ..S },
        CommandSpec { name: "ltrim", arity: 4, flags: f::WRITE, key_specs: &RW_DELETE, handler: Some(ltrim), ..S },
        CommandSpec { name: "lrem", arity: 4, flags: f::WRITE, key_specs: &RW_DELETE, handler: Some(lrem), ..S },
        CommandSpec { name: "lpos", since: "6.0.6", arity: -3, flags: f::READONLY, key_specs: &RO_ACCESS, handler: Some(lpos), ..S },
        CommandSpec { name: "lmove", since: "6.2.0", arity: 5, flags: W, key_specs: &MOVE_KS, handler: Some(lmove), ..S },
        CommandSpec { name: "rpoplpush", since: "1.2.0", arity: 3, flags: W, key_specs: &MOVE_KS, handler: Some(rpoplpush), ..S },
        CommandSpec { name: "lmpop", since: "7.0.0", arity: -4, flags: f::WRITE, key_specs: &LMPOP_KS, handler: Some(lmpop), ..S },
    ];
    SPECS
}

/// Redis's `getRangeLongFromObjectOrReply`: `msg` (when given) replaces both the
/// not-an-integer and the out-of-range errors.
pub(crate) fn range_long(arg: &[u8], min: i64, max: i64, msg: Option<&str>) -> Result<i64, CommandError> {
    let fail = |default: String| CommandError::err(msg.map_or(default, str::to_string));
    let v = parse_i64(arg).ok_or_else(|| fail("value is not an integer or out of range".into()))?;
    if v < min || v > max {
        return Err(fail(format!("value is out of range, value must between {min} and {max}")));
    }
    Ok(v)
}

/// Redis's `getPositiveLongFromObjectOrReply`.
fn positive_long(arg: &[u8], msg: Option<&str>) -> Result<i64, CommandError> {
    range_long(arg, 0, i64::MAX, Some(msg.unwrap_or("value is out of range, must be positive")))
}

/// A key's list for reading; `None` when missing, WRONGTYPE for other types.
fn read_list<'c>(ctx: &'c mut ExecCtx, key: &[u8]) -> Result<Option<&'c List>, CommandError> {
    match ctx.lookup_read(key)? {
        None => Ok(None),
        Some(v) => Ok(Some(as_list(v)?)),
    }
}

/// A key's list for writing; `None` when missing, WRONGTYPE for other types.
pub(crate) fn write_list<'c>(ctx: &'c mut ExecCtx, key: &[u8]) -> Result<Option<&'c mut List>, CommandError> {
    match ctx.lookup_write(key)? {
        None => Ok(None),
        Some(v) => Ok(Some(as_list_mut(v)?)),
    }
}

/// Deletes `key` if its list emptied (Redis never stores an empty list).
fn delete_if_empty(ctx: &mut ExecCtx, key: &[u8]) -> CmdResult {
    if write_list(ctx, key)?.is_some_and(|l| l.is_empty()) {
        ctx.delete_key(key)?;
        ctx.notify(ev::GENERIC, "del", key);
    }
    Ok(())
}

/// Pushes `elements` at `end` of the list at `key`, creating it unless `only_existing`;
/// returns the new length (0 when nothing was pushed because the key is missing).
fn push_elements(ctx: &mut ExecCtx, key: &[u8], end: End, elements: &[Bytes], only_existing: bool) -> Result<usize, CommandError> {
    if let Some(l) = write_list(ctx, key)? {
        elements.iter().for_each(|e| l.push(end, e));
        return Ok(l.len());
    }
    if only_existing {
        return Ok(0);
    }
    let mut l = List::new();
    elements.iter().for_each(|e| l.push(end, e));
    let len = l.len();
    ctx.set_key(key, Value::List(Box::new(l)), SetExpiry::Clear)?;
    Ok(len)
}

/// Redis's `pushGenericCommand`.
fn push_generic(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter, end: End, only_existing: bool) -> CmdResult {
    let key = args.next_arg()?;
    let elements = args.rest().to_vec();
    let len = push_elements(ctx, &key, end, &elements, only_existing)?;
    if len > 0 {
        ctx.mark_dirty(elements.len() as u64);
        ctx.notify(ev::LIST, push_event(end), &key);
    }
    out.integer(len as i64);
    Ok(())
}

fn lpush(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    push_generic(ctx, args, out, End::Left, false)
}

fn rpush(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    push_generic(ctx, args, out, End::Right, false)
}

fn lpushx(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    push_generic(ctx, args, out, End::Left, true)
}

fn rpushx(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    push_generic(ctx, args, out, End::Right, true)
}

/// The keyspace event of a push at `end`.
fn push_event(end: End) -> &'static str {
    if end == End::Left {
        "lpush"
    } else {
        "rpush"
    }
}

/// The keyspace event of a pop from `end`.
fn pop_event(end: End) -> &'static str {
    if end == End::Left {
        "lpop"
    } else {
        "rpop"
    }
}

/// Pops up to `count` elements from `end`, in popping order, deleting the key if emptied.
pub(crate) fn pop_elements(ctx: &mut ExecCtx, key: &[u8], end: End, count: usize) -> Result<Vec<rhodium_storage::SmallBytes>, CommandError> {
    let Some(l) = write_list(ctx, key)? else { return Ok(Vec::new()) };
    let n = count.min(l.len());
    let popped: Vec<_> = (0..n).filter_map(|_| l.pop(end)).collect();
    if n > 0 {
        ctx.notify(ev::LIST, pop_event(end), key);
    }
    delete_if_empty(ctx, key)?;
    Ok(popped)
}

/// Redis's `popGenericCommand`: without a count a bulk string (or null), with one an array
/// (null array for a missing key, empty array for a count of 0).
fn pop_generic(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter, end: End) -> CmdResult {
    if args.argc() > 3 {
        return Err(CommandError::WrongArity(ctx.command.fullname.to_string()));
    }
    let key = args.next_arg()?;
    let count = match args.next() {
        Some(c) => Some(positive_long(&c, None)? as usize),
        None => None,
    };
    let Some(l) = write_list(ctx, &key)? else {
        if count.is_some() {
            out.null_array();
        } else {
            out.null();
        }
        return Ok(());
    };
    let len = l.len();
    match count {
        Some(0) => out.array(0),
        None => {
            let popped = pop_elements(ctx, &key, end, 1)?;
            ctx.mark_dirty(1);
            match popped.first() {
                Some(e) => out.bulk(e.as_bytes()),
                None => out.null(),
            }
        }
        Some(n) => {
            let popped = pop_elements(ctx, &key, end, n.min(len))?;
            ctx.mark_dirty(popped.len() as u64);
            out.array(popped.len());
            popped.iter().for_each(|e| out.bulk(e.as_bytes()));
        }
    }
    Ok(())
}

fn lpop(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    pop_generic(ctx, args, out, End::Left)
}

fn rpop(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    pop_generic(ctx, args, out, End::Right)
}

fn llen(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    let key = args.next_arg()?;
    let len = read_list(ctx, &key)?.map_or(0, List::len);
    out.integer(len as i64);
    Ok(())
}

fn lindex(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    let key = args.next_arg()?;
    let index_arg = args.next_arg()?;
    let Some(l) = read_list(ctx, &key)? else {
        out.null();
        return Ok(());
    };
    // The type is checked before the index is parsed, as in Redis.
    let index = parse_i64(&index_arg).ok_or(ArgError::NotInteger)?;
    match l.get(index) {
        Some(e) => out.bulk(e),
        None => out.null(),
    }
    Ok(())
}

fn lset(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    let key = args.next_arg()?;
    let index_arg = args.next_arg()?;
    let element = args.next_arg()?;
    let l = write_list(ctx, &key)?.ok_or(rhodium_storage::OpError::NoSuchKey)?;
    let index = parse_i64(&index_arg).ok_or(ArgError::NotInteger)?;
    l.set(index, &element)?;
    ctx.mark_dirty(1);
    ctx.notify(ev::LIST, "lset", &key);
    out.ok();
    Ok(())
}

fn linsert(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    let key = args.next_arg()?;
    let place = args.next_arg()?;
    let pivot = args.next_arg()?;
    let element = args.next_arg()?;
    let after = if place.eq_ignore_ascii_case(b"after") {
        true
    } else if place.eq_ignore_ascii_case(b"before") {
        false
    } else {
        return Err(ArgError::Syntax.into());
    };
    let Some(l) = write_list(ctx, &key)? else {
        out.integer(0);
        return Ok(());
    };
    if l.insert(after, &pivot, &element) {
        let len = l.len();
        ctx.mark_dirty(1);
        ctx.notify(ev::LIST, "linsert", &key);
        out.integer(len as i64);
    } else {
        out.integer(-1);
    }
    Ok(())
}

fn lrange(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    let key = args.next_arg()?;
    let start = args.next_i64()?;
    let end = args.next_i64()?;
    let Some(l) = read_list(ctx, &key)? else {
        out.array(0);
        return Ok(());
    };
    match clamp_range(start, end, l.len()) {
        None => out.array(0),
        Some((s, e)) => {
            out.array(e - s + 1);
            l.iter().skip(s).take(e - s + 1).for_each(|el| out.bulk(el));
        }
    }
    Ok(())
}

fn ltrim(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    let key = args.next_arg()?;
    let start = args.next_i64()?;
    let end = args.next_i64()?;
    if let Some(l) = write_list(ctx, &key)? {
        let removed = l.trim(clamp_range(start, end, l.len()));
        ctx.notify(ev::LIST, "ltrim", &key);
        delete_if_empty(ctx, &key)?;
        ctx.mark_dirty(removed as u64);
    }
    out.ok();
    Ok(())
}

fn lrem(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    let key = args.next_arg()?;
    let count = args.next_i64()?;
    let element = args.next_arg()?;
    let Some(l) = write_list(ctx, &key)? else {
        out.integer(0);
        return Ok(());
    };
    let removed = l.remove(count, &element);
    if removed > 0 {
        ctx.notify(ev::LIST, "lrem", &key);
    }
    delete_if_empty(ctx, &key)?;
    ctx.mark_dirty(removed as u64);
    out.integer(removed as i64);
    Ok(())
}

fn lpos(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    let key = args.next_arg()?;
    let element = args.next_arg()?;
    let (mut rank, mut count, mut maxlen) = (1i64, None, 0i64);
    while let Some(opt) = args.next() {
        let value = args.peek().cloned();
        match value {
            Some(v) if opt.eq_ignore_ascii_case(b"RANK") => {
                rank = parse_i64(&v).ok_or(ArgError::NotInteger)?;
                if rank == 0 {
                    return Err(CommandError::err("RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list"));
                }
            }
            Some(v) if opt.eq_ignore_ascii_case(b"COUNT") => count = Some(positive_long(&v, Some("COUNT can't be negative"))?),
            Some(v) if opt.eq_ignore_ascii_case(b"MAXLEN") => maxlen = positive_long(&v, Some("MAXLEN can't be negative"))?,
            _ => return Err(ArgError::Syntax.into()),
        }
        args.next();
    }
    let Some(l) = read_list(ctx, &key)? else {
        if count.is_some() {
            out.array(0);
        } else {
            out.null();
        }
        return Ok(());
    };
    let want = match count {
        None => 1,
        Some(c) => usize::try_from(c).unwrap_or(usize::MAX),
    };
    // Redis 7.0 negates the rank in a C long: RANK -9223372036854775808 stays negative, so
    // every match qualifies (as rank 1) and the COUNT test never stops the search.
    let (rank_abs, want) = if rank == i64::MIN { (1, 0) } else { (rank.unsigned_abs(), want) };
    let found = l.positions(&element, rank_abs, rank < 0, want, usize::try_from(maxlen).unwrap_or(usize::MAX));
    match count {
        Some(_) => {
            out.array(found.len());
            found.iter().for_each(|&i| out.integer(i as i64));
        }
        None => match found.first() {
            Some(&i) => out.integer(i as i64),
            None => out.null(),
        },
    }
    Ok(())
}

/// Redis's `lmoveGenericCommand`: pops from `src` and pushes onto `dst` (possibly the same
/// list, which rotates it). The destination's type is checked before anything moves.
pub(crate) fn lmove_generic(ctx: &mut ExecCtx, src: &[u8], dst: &[u8], from: End, to: End, out: &mut ReplyWriter) -> CmdResult {
    if write_list(ctx, src)?.is_none_or(|l| l.is_empty()) {
        out.null();
        return Ok(());
    }
    if src != dst {
        write_list(ctx, dst)?;
    }
    let Some(value) = write_list(ctx, src)?.and_then(|l| l.pop(from)) else {
        out.null();
        return Ok(());
    };
    push_elements(ctx, dst, to, &[Bytes::copy_from_slice(value.as_bytes())], false)?;
    // Redis's order: the push, the pop, then the emptied source's deletion.
    ctx.notify(ev::LIST, push_event(to), dst);
    ctx.notify(ev::LIST, pop_event(from), src);
    if src != dst {
        delete_if_empty(ctx, src)?;
    }
    ctx.mark_dirty(1);
    out.bulk(value.as_bytes());
    Ok(())
}

fn lmove(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    let src = args.next_arg()?;
    let dst = args.next_arg()?;
    let from = End::parse(&args.next_arg()?).ok_or(ArgError::Syntax)?;
    let to = End::parse(&args.next_arg()?).ok_or(ArgError::Syntax)?;
    lmove_generic(ctx, &src, &dst, from, to, out)
}

fn rpoplpush(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    let src = args.next_arg()?;
    let dst = args.next_arg()?;
    lmove_generic(ctx, &src, &dst, End::Right, End::Left, out)
}

/// Redis's `lmpopGenericCommand` + `mpopGenericCommand` (non-blocking): pops from the first
/// non-empty list and propagates the effect as `LPOP|RPOP key n`.
fn lmpop(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    let argv = args.argv().to_vec();
    let numkeys = range_long(&argv[1], 1, i64::MAX, Some("numkeys should be greater than 0"))?;
    let where_idx = usize::try_from(numkeys).ok().and_then(|n| n.checked_add(2)).filter(|&i| i < argv.len()).ok_or(ArgError::Syntax)?;
    let end = End::parse(&argv[where_idx]).ok_or(ArgError::Syntax)?;
    let mut count = None;
    let mut j = where_idx + 1;
    while j < argv.len() {
        if count.is_none() && argv[j].eq_ignore_ascii_case(b"COUNT") && j + 1 < argv.len() {
            count = Some(range_long(&argv[j + 1], 1, i64::MAX, Some("count should be greater than 0"))?);
            j += 2;
        } else {
            return Err(ArgError::Syntax.into());
        }
    }
    let count = usize::try_from(count.unwrap_or(1)).unwrap_or(usize::MAX);
    for key in &argv[2..where_idx] {
        if write_list(ctx, key)?.is_none_or(|l| l.is_empty()) {
            continue;
        }
        let popped = pop_elements(ctx, key, end, count)?;
        ctx.mark_dirty(popped.len() as u64);
        let n = itoa::Buffer::new().format(popped.len()).to_string();
        let cmd: &[u8] = if end == End::Left { b"LPOP" } else { b"RPOP" };
        ctx.effect_parts(&[cmd, key, n.as_bytes()]);
        out.array(2);
        out.bulk(key);
        out.array(popped.len());
        popped.iter().for_each(|e| out.bulk(e.as_bytes()));
        return Ok(());
    }
    out.null_array();
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::testkit::Harness;

    /// What each write propagates: the request itself, except LMPOP (rewritten as
    /// `LPOP|RPOP key n` with the number actually popped) and writes that changed nothing.
    #[test]
    fn propagated_effects() {
        let mut h = Harness::new();
        let cases: &[(&str, &[&str])] = &[
            ("LPUSHX l a", &[]),
            ("RPUSH l a b c d e", &["RPUSH l a b c d e"]),
            ("LPOP l 0", &[]),
            ("LPOP nokey 2", &[]),
            ("LPOP l 2", &["LPOP l 2"]),
            ("LTRIM l 0 -1", &[]),
            ("LREM l 0 zz", &[]),
            ("LINSERT l BEFORE zz x", &[]),
            ("LMOVE l m RIGHT LEFT", &["LMOVE l m RIGHT LEFT"]),
            ("RPOPLPUSH l m", &["RPOPLPUSH l m"]),
            ("LMPOP 2 nokey m RIGHT COUNT 10", &["RPOP m 2"]),
            ("LMPOP 1 nokey LEFT", &[]),
            ("LMPOP 1 l LEFT", &["LPOP l 1"]),
            ("RPOP l 5", &[]),
        ];
        for (cmd, want) in cases {
            h.run(cmd);
            let got: Vec<String> = h.take().into_iter().map(|(_, c)| c).collect();
            assert_eq!(got, *want, "after {cmd}");
        }
        assert!(h.value("l").is_none() && h.value("m").is_none(), "emptied lists are deleted");
    }
}
