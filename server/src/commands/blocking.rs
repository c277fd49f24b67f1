//! The blocking list and sorted-set commands (Redis's `blockingPopGenericCommand`,
//! `blmoveGenericCommand`, `blmpop`, `bzpop*`, `bzmpop`): BLPOP, BRPOP, BLMOVE, BRPOPLPUSH,
//! BLMPOP, BZPOPMIN, BZPOPMAX, BZMPOP. They reuse the pop and move logic of `list.rs` and
//! `zset.rs`; when nothing is there they block (see `crate::blocking`), except inside an
//! atomic section (MULTI/EXEC, scripts) where they reply as on timeout.
//!
//! What they propagate is the non-blocking equivalent Redis 7.0 writes: LPOP/RPOP key,
//! LMOVE (with the request's LEFT/RIGHT words, or lower-case ones when served after
//! blocking), RPOPLPUSH, LPOP/RPOP key n, ZPOPMIN/ZPOPMAX key [n].

use bytes::Bytes;
use rhodium_protocol::{ArgError, Args, ReplyWriter};
use rhodium_storage::types::list::End;
use rhodium_storage::{OpError, Value};

use super::list::{lmove_generic, pop_elements, range_long};
use super::spec::{acl, flags as f, keyflags as k, BeginSearch, CommandSpec, FindKeys, Group, KeySpec};
use super::zset;
use crate::blocking::Unblock;
use crate::dispatch::ExecCtx;
use crate::error::{CmdResult, CommandError};

pub fn specs() -> &'static [CommandSpec] {
    const L: CommandSpec = CommandSpec { group: Group::List, acl: acl::LIST, ..CommandSpec::DEFAULT };
    const Z: CommandSpec = CommandSpec { group: Group::SortedSet, acl: acl::SORTEDSET, ..CommandSpec::DEFAULT };
    const B: u32 = f::WRITE | f::NOSCRIPT | f::BLOCKING;
    static POP_KS: [KeySpec; 1] = [KeySpec::range(1, -2, 1, k::RW | k::ACCESS | k::DELETE)];
    static MOVE_KS: [KeySpec; 2] = [KeySpec::single(1, k::RW | k::ACCESS | k::DELETE), KeySpec::single(2, k::RW | k::INSERT)];
    static MPOP_KS: [KeySpec; 1] = [KeySpec { notes: "", flags: k::RW | k::ACCESS | k::DELETE, begin: BeginSearch::Index(2), find: FindKeys::Keynum { keynumidx: 0, firstkey: 1, step: 1 } }];
    static SPECS: &[CommandSpec] = &[
        CommandSpec { name: "blpop", since: "2.0.0", arity: -3, flags: B, key_specs: &POP_KS, handler: Some(blpop), ..L },
        CommandSpec { name: "brpop", since: "2.0.0", arity: -3, flags: B, key_specs: &POP_KS, handler: Some(brpop), ..L },
        CommandSpec { name: "blmove", since: "6.2.0", arity: 6, flags: B | f::DENYOOM, key_specs: &MOVE_KS, handler: Some(blmove), ..L },
        CommandSpec { name: "brpoplpush", since: "2.2.0", arity: 4, flags: B | f::DENYOOM, key_specs: &MOVE_KS, handler: Some(brpoplpush), ..L },
        CommandSpec { name: "blmpop", since: "7.0.0", arity: -5, flags: f::WRITE | f::BLOCKING, key_specs: &MPOP_KS, handler: Some(blmpop), ..L },
        CommandSpec { name: "bzpopmin", since: "5.0.0", arity: -3, flags: B | f::FAST, key_specs: &POP_KS, handler: Some(bzpopmin), ..Z },
        CommandSpec { name: "bzpopmax", since: "5.0.0", arity: -3, flags: B | f::FAST, key_specs: &POP_KS, handler: Some(bzpopmax), ..Z },
        CommandSpec { name: "bzmpop", since: "7.0.0", arity: -5, flags: f::WRITE | f::BLOCKING, key_specs: &MPOP_KS, handler: Some(bzmpop), ..Z },
    ];
    SPECS
}

/// Redis 7.0's `getTimeoutFromObjectOrReply` in seconds: a float (hex and exponents as
/// strtold takes them), times 1000 truncated to milliseconds; 0 blocks forever. Values
/// whose milliseconds do not fit a long long come out negative, as the C cast does.
/// Returns the absolute deadline, 0 for none.
pub(crate) fn parse_timeout(ctx: &ExecCtx, arg: &[u8]) -> Result<i64, CommandError> {
    let secs = super::zset::parse_double(arg).filter(|v| !v.is_nan()).ok_or_else(|| CommandError::err("timeout is not a float or out of range"))?;
    let ms = (secs * 1000.0).trunc();
    if !(ms > -1.0 && ms < 9.223_372_036_854_775e18) {
        return Err(CommandError::err("timeout is negative"));
    }
    let ms = ms as i64;
    if ms == 0 {
        return Ok(0);
    }
    Ok(ms.saturating_add(ctx.now))
}

/// How a blocking command ends when nothing is there: inside an atomic section it
/// replies as on timeout; re-executed for a waiter it reports "not served"; otherwise the
/// client blocks on `keys`.
pub(crate) fn nothing_there(ctx: &mut ExecCtx, args: &Args, keys: Vec<Bytes>, deadline: i64, out: &mut ReplyWriter) {
    if ctx.in_atomic() {
        // Redis replies a null bulk for the moving commands here, a null array on timeout.
        if matches!(ctx.command.fullname, "blmove" | "brpoplpush") {
            out.null();
        } else {
            out.null_array();
        }
        return;
    }
    if ctx.client.block.serving.is_some() {
        ctx.client.block.not_served = true;
        return;
    }
    let waiter = ctx.server.blocking.block(ctx.server, ctx.client, keys, args.argv().to_vec(), deadline);
    ctx.client.block.parked = Some(waiter);
}

/// The keys to try: all of them in order, or only the ready one when re-executed for a
/// waiter (Redis 7.0 serves a waiter from the key that became ready).
fn candidates(ctx: &ExecCtx, keys: &[Bytes]) -> Vec<Bytes> {
    match &ctx.client.block.serving {
        Some(ready) => keys.iter().filter(|k| *k == ready).take(1).cloned().collect(),
        None => keys.to_vec(),
    }
}

/// Whether a candidate key holds the wanted type: missing → false, other type → WRONGTYPE,
/// except when serving a waiter, where another type only means "not for this waiter".
fn holds(ctx: &mut ExecCtx, key: &[u8], zset: bool) -> Result<bool, CommandError> {
    let ok = match ctx.lookup_write(key)? {
        None => return Ok(false),
        Some(Value::List(l)) if !zset => !l.is_empty(),
        Some(Value::ZSet(z)) if zset => !z.is_empty(),
        Some(_) => {
            if ctx.client.block.serving.is_some() {
                ctx.client.block.other_type = true;
                return Ok(false);
            }
            return Err(OpError::WrongType.into());
        }
    };
    Ok(ok)
}

fn blpop(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    bpop_list(ctx, args, out, End::Left)
}

fn brpop(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    bpop_list(ctx, args, out, End::Right)
}

fn bpop_list(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter, end: End) -> CmdResult {
    let argv = args.argv().to_vec();
    let deadline = parse_timeout(ctx, &argv[argv.len() - 1])?;
    let keys = &argv[1..argv.len() - 1];
    for key in candidates(ctx, keys) {
        if !holds(ctx, &key, false)? {
            continue;
        }
        let popped = pop_elements(ctx, &key, end, 1)?;
        let Some(value) = popped.first() else { continue };
        ctx.mark_dirty(1);
        ctx.effect_parts(&[if end == End::Left { b"LPOP".as_slice() } else { b"RPOP" }, &key]);
        out.array(2);
        out.bulk(&key);
        out.bulk(value.as_bytes());
        return Ok(());
    }
    nothing_there(ctx, args, keys.to_vec(), deadline, out);
    Ok(())
}

fn blmove(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    let argv = args.argv().to_vec();
    let from = End::parse(&argv[3]).ok_or(ArgError::Syntax)?;
    let to = End::parse(&argv[4]).ok_or(ArgError::Syntax)?;
    let deadline = parse_timeout(ctx, &argv[5])?;
    bmove(ctx, args, out, from, to, deadline, false)
}

fn brpoplpush(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    let deadline = parse_timeout(ctx, &args.argv()[3])?;
    bmove(ctx, args, out, End::Right, End::Left, deadline, true)
}

fn end_word(end: End) -> &'static [u8] {
    if end == End::Left {
        b"left"
    } else {
        b"right"
    }
}

#[allow(clippy::too_many_arguments)]
fn bmove(ctx: &mut ExecCtx, args: &Args, out: &mut ReplyWriter, from: End, to: End, deadline: i64, rpoplpush: bool) -> CmdResult {
    let argv = args.argv().to_vec();
    let (src, dst) = (&argv[1], &argv[2]);
    if candidates(ctx, std::slice::from_ref(src)).is_empty() || !holds(ctx, src, false)? {
        nothing_there(ctx, args, vec![src.clone()], deadline, out);
        return Ok(());
    }
    let served = ctx.client.block.serving.is_some();
    let mark = out.len();
    lmove_generic(ctx, src, dst, from, to, out)?;
    if out.as_bytes().get(mark) != Some(&b'$') {
        return Ok(());
    }
    if rpoplpush {
        ctx.effect_parts(&[b"RPOPLPUSH".as_slice(), src, dst]);
    } else if served {
        ctx.effect_parts(&[b"LMOVE".as_slice(), src, dst, end_word(from), end_word(to)]);
    } else {
        ctx.effect_parts(&[b"LMOVE".as_slice(), src, dst, &argv[3], &argv[4]]);
    }
    Ok(())
}

/// BLMPOP/BZMPOP's arguments after the timeout: `numkeys key... LEFT|RIGHT|MIN|MAX [COUNT n]`.
fn parse_mpop<'a>(argv: &'a [Bytes], words: [&str; 2]) -> Result<(&'a [Bytes], bool, usize), CommandError> {
    let numkeys = range_long(&argv[2], 1, i64::MAX, Some("numkeys should be greater than 0"))?;
    let where_idx = usize::try_from(numkeys).ok().and_then(|n| n.checked_add(3)).filter(|&i| i < argv.len()).ok_or(ArgError::Syntax)?;
    let second = if argv[where_idx].eq_ignore_ascii_case(words[0].as_bytes()) {
        false
    } else if argv[where_idx].eq_ignore_ascii_case(words[1].as_bytes()) {
        true
    } else {
        return Err(ArgError::Syntax.into());
    };
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
    Ok((&argv[3..where_idx], second, count))
}

fn blmpop(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    let argv = args.argv().to_vec();
    let deadline = parse_timeout(ctx, &argv[1])?;
    let (keys, right, count) = parse_mpop(&argv, ["LEFT", "RIGHT"])?;
    let end = if right { End::Right } else { End::Left };
    for key in candidates(ctx, keys) {
        if !holds(ctx, &key, false)? {
            continue;
        }
        let popped = pop_elements(ctx, &key, end, count)?;
        ctx.mark_dirty(popped.len() as u64);
        let n = itoa::Buffer::new().format(popped.len()).to_string();
        ctx.effect_parts(&[if right { b"RPOP".as_slice() } else { b"LPOP" }, &key, n.as_bytes()]);
        out.array(2);
        out.bulk(&key);
        out.array(popped.len());
        popped.iter().for_each(|e| out.bulk(e.as_bytes()));
        return Ok(());
    }
    nothing_there(ctx, args, keys.to_vec(), deadline, out);
    Ok(())
}

fn bzpopmin(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    bzpop(ctx, args, out, false)
}

fn bzpopmax(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    bzpop(ctx, args, out, true)
}

/// Pops up to `count` entries of the sorted set at `key`, deleting it if emptied, and
/// records the ZPOPMIN/ZPOPMAX effect (`with_count`: with the number popped).
fn zpop_key(ctx: &mut ExecCtx, key: &[u8], count: usize, max: bool, with_count: bool) -> Result<Vec<(f64, Vec<u8>)>, CommandError> {
    let Some(z) = zset::write(ctx, key)? else { return Ok(Vec::new()) };
    let items = zset::pop(z, count, max);
    zset::delete_if_empty(ctx, key)?;
    ctx.mark_dirty(items.len() as u64);
    let cmd: &[u8] = if max { b"ZPOPMAX" } else { b"ZPOPMIN" };
    if with_count {
        let n = itoa::Buffer::new().format(items.len()).to_string();
        ctx.effect_parts(&[cmd, key, n.as_bytes()]);
    } else {
        ctx.effect_parts(&[cmd, key]);
    }
    Ok(items)
}

fn bzpop(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter, max: bool) -> CmdResult {
    let argv = args.argv().to_vec();
    let deadline = parse_timeout(ctx, &argv[argv.len() - 1])?;
    let keys = &argv[1..argv.len() - 1];
    for key in candidates(ctx, keys) {
        if !holds(ctx, &key, true)? {
            continue;
        }
        let items = zpop_key(ctx, &key, 1, max, false)?;
        let Some((score, member)) = items.first() else { continue };
        out.array(3);
        out.bulk(&key);
        out.bulk(member);
        out.double(*score);
        return Ok(());
    }
    nothing_there(ctx, args, keys.to_vec(), deadline, out);
    Ok(())
}

fn bzmpop(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    let argv = args.argv().to_vec();
    let deadline = parse_timeout(ctx, &argv[1])?;
    let (keys, max, count) = parse_mpop(&argv, ["MIN", "MAX"])?;
    for key in candidates(ctx, keys) {
        if !holds(ctx, &key, true)? {
            continue;
        }
        let items = zpop_key(ctx, &key, count, max, true)?;
        out.array(2);
        out.bulk(&key);
        out.array(items.len());
        for (s, m) in &items {
            out.array(2);
            out.bulk(m);
            out.double(*s);
        }
        return Ok(());
    }
    nothing_there(ctx, args, keys.to_vec(), deadline, out);
    Ok(())
}

/// CLIENT UNBLOCK id [TIMEOUT|ERROR]: ends another client's blocking command as if it
/// timed out, or with -UNBLOCKED; replies 1 if the client was blocked.
pub(crate) fn client_unblock(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    let argv = args.argv();
    if argv.len() > 4 {
        return Err(CommandError::err("unknown subcommand or wrong number of arguments for 'UNBLOCK'. Try CLIENT HELP."));
    }
    let id = rhodium_protocol::number::parse_i64(&argv[2]).ok_or_else(|| CommandError::err("value is not an integer or out of range"))?;
    let how = match argv.get(3) {
        None => Unblock::Timeout,
        Some(r) if r.eq_ignore_ascii_case(b"timeout") => Unblock::Timeout,
        Some(r) if r.eq_ignore_ascii_case(b"error") => Unblock::Error,
        Some(_) => return Err(CommandError::err("CLIENT UNBLOCK reason should be TIMEOUT or ERROR")),
    };
    let done = u64::try_from(id).is_ok_and(|id| ctx.server.blocking.unblock(ctx.server, id, how));
    out.integer(i64::from(done));
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::testkit::Harness;

    /// What each blocking command propagates when it finds data at once (the served-after-
    /// blocking forms are checked in the black-box tests).
    #[test]
    fn immediate_effects_are_the_non_blocking_forms() {
        let mut h = Harness::new();
        let cases: &[(&str, &[&str])] = &[
            ("RPUSH l a b c d e f", &["RPUSH l a b c d e f"]),
            ("BLPOP x l 0", &["LPOP l"]),
            ("BRPOP l 0", &["RPOP l"]),
            ("BLMOVE l m LEFT RIGHT 0", &["LMOVE l m LEFT RIGHT"]),
            ("BRPOPLPUSH l m 0", &["RPOPLPUSH l m"]),
            ("BLMPOP 0 2 x l RIGHT COUNT 5", &["RPOP l 2"]),
            ("ZADD z 1 a 2 b 3 c 4 d", &["ZADD z 1 a 2 b 3 c 4 d"]),
            ("BZPOPMIN z 0", &["ZPOPMIN z"]),
            ("BZPOPMAX z 0", &["ZPOPMAX z"]),
            ("BZMPOP 0 1 z MIN COUNT 5", &["ZPOPMIN z 2"]),
        ];
        for (cmd, want) in cases {
            h.run(cmd);
            let got: Vec<String> = h.take().into_iter().map(|(_, c)| c).collect();
            assert_eq!(got, *want, "after {cmd}");
        }
    }

    #[test]
    fn inside_exec_they_do_not_block() {
        let mut h = Harness::new();
        h.run("MULTI");
        h.run("BLPOP l 0");
        h.run("BZMPOP 0 1 z MIN");
        h.run("BLMOVE l m LEFT LEFT 0");
        assert_eq!(h.run("EXEC"), "*3\r\n*-1\r\n*-1\r\n$-1\r\n");
        assert_eq!(h.server.blocking.blocked_clients(), 0);
    }

    /// Served after blocking: the waiter's reply arrives through its `Waiter`, and the
    /// effects are the writer's command then the non-blocking form (lower-case LMOVE
    /// words, as Redis's served BLMOVE).
    #[test]
    fn served_waiters_propagate_after_the_write() {
        let mut h = Harness::new();
        assert_eq!(h.run("BLPOP k 0"), "");
        let w1 = h.client.block.parked.take().expect("blocked");
        assert_eq!(h.run("BLMOVE src dst RIGHT LEFT 0"), "");
        let w2 = h.client.block.parked.take().expect("blocked");
        assert_eq!(h.server.blocking.blocked_clients(), 2);
        h.run("RPUSH k a b");
        assert_eq!(w1.take_reply().as_deref(), Some(b"*2\r\n$1\r\nk\r\n$1\r\na\r\n".as_slice()));
        h.run("MULTI");
        h.run("RPUSH src x");
        h.run("RPUSH src y");
        h.run("EXEC");
        assert_eq!(w2.take_reply().as_deref(), Some(b"$1\r\ny\r\n".as_slice()));
        assert_eq!(h.propagated(), vec!["RPUSH k a b", "LPOP k", "RPUSH src x ; RPUSH src y", "LMOVE src dst right left"]);
        assert_eq!(h.server.blocking.blocked_clients(), 0);
        assert!(!h.server.tracks_keys());
    }

    #[test]
    fn a_waiter_of_another_type_does_not_stop_the_queue() {
        let mut h = Harness::new();
        h.run("BZPOPMIN k 0");
        let wz = h.client.block.parked.take().expect("blocked");
        h.run("BLPOP k 0");
        let wl = h.client.block.parked.take().expect("blocked");
        h.run("RPUSH k a");
        assert!(wz.take_reply().is_none());
        assert!(wl.take_reply().is_some());
        assert_eq!(h.server.blocking.blocked_clients(), 1);
        assert_eq!(h.server.blocking.time_out(&h.server, &wz).as_deref(), Some(b"*-1\r\n".as_slice()));
        assert_eq!(h.server.blocking.blocked_clients(), 0);
    }
}
