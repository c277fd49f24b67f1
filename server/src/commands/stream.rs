//! Stream commands (Redis's `t_stream.c`): parsing and replies here, semantics in
//! `rhodium_storage::types::stream`. Consumer groups are in [`group`], XREAD and
//! XREADGROUP in [`read`], XINFO in [`info`].

mod group;
mod info;
pub mod read;

use bytes::Bytes;
use rhodium_protocol::number::parse_i64;
use rhodium_protocol::{Args, Argv, ReplyWriter};
use rhodium_storage::keyspace::SetExpiry;
use rhodium_storage::types::stream::{parse_id, parse_interval, AddError, EntryRef, NodeLimits, Seq, Stream, StreamId, Trim};
use rhodium_storage::{OpError, Value};

use super::spec::{acl, flags as f, keyflags as k, BeginSearch, CommandSpec, FindKeys, Group, KeySpec};
use crate::dispatch::ExecCtx;
use crate::error::{CmdResult, CommandError};

pub fn specs() -> &'static [CommandSpec] {
    const S: CommandSpec = CommandSpec { group: Group::Stream, since: "5.0.0", acl: acl::STREAM, ..CommandSpec::DEFAULT };
    const ND: &[&str] = &["nondeterministic_output"];
    static XADD_KS: [KeySpec; 1] = [KeySpec { notes: "UPDATE instead of INSERT because of the optional trimming feature", ..KeySpec::single(1, k::RW | k::UPDATE) }];
    static RO_ACCESS: [KeySpec; 1] = [KeySpec::single(1, k::RO | k::ACCESS)];
    static RO: [KeySpec; 1] = [KeySpec::single(1, k::RO)];
    static RW_DELETE: [KeySpec; 1] = [KeySpec::single(1, k::RW | k::DELETE)];
    static RW_UPDATE: [KeySpec; 1] = [KeySpec::single(1, k::RW | k::UPDATE)];
    static XREAD_KS: [KeySpec; 1] = [KeySpec {
        notes: "",
        flags: k::RO | k::ACCESS,
        begin: BeginSearch::Keyword { keyword: "STREAMS", startfrom: 1 },
        find: FindKeys::Range { lastkey: -1, step: 1, limit: 2 },
    }];
    static XREADGROUP_KS: [KeySpec; 1] = [KeySpec {
        notes: "",
        flags: k::RO | k::ACCESS,
        begin: BeginSearch::Keyword { keyword: "STREAMS", startfrom: 4 },
        find: FindKeys::Range { lastkey: -1, step: 1, limit: 2 },
    }];
    static SPECS: &[CommandSpec] = &[
        CommandSpec { name: "xadd", arity: -5, flags: f::WRITE | f::DENYOOM | f::FAST, tips: ND, key_specs: &XADD_KS, handler: Some(xadd), ..S },
        CommandSpec { name: "xrange", arity: -4, flags: f::READONLY, key_specs: &RO_ACCESS, handler: Some(xrange), ..S },
        CommandSpec { name: "xrevrange", arity: -4, flags: f::READONLY, key_specs: &RO_ACCESS, handler: Some(xrevrange), ..S },
        CommandSpec { name: "xlen", arity: 2, flags: f::READONLY | f::FAST, key_specs: &RO, handler: Some(xlen), ..S },
        CommandSpec { name: "xdel", arity: -3, flags: f::WRITE | f::FAST, key_specs: &RW_DELETE, handler: Some(xdel), ..S },
        CommandSpec { name: "xtrim", since: "5.0.0", arity: -4, flags: f::WRITE, tips: ND, key_specs: &RW_DELETE, handler: Some(xtrim), ..S },
        CommandSpec { name: "xread", arity: -4, flags: f::READONLY | f::BLOCKING | f::MOVABLE_KEYS, key_specs: &XREAD_KS, handler: Some(read::xread), ..S },
        CommandSpec {
            name: "xreadgroup",
            arity: -7,
            flags: f::WRITE | f::BLOCKING | f::MOVABLE_KEYS,
            key_specs: &XREADGROUP_KS,
            handler: Some(read::xreadgroup),
            ..S
        },
        CommandSpec { name: "xgroup", arity: -2, acl: 0, subcommands: group::XGROUP_SUBS, ..S },
        CommandSpec { name: "xack", arity: -4, flags: f::WRITE | f::FAST, key_specs: &RW_UPDATE, handler: Some(group::xack), ..S },
        CommandSpec { name: "xpending", arity: -3, flags: f::READONLY, tips: ND, key_specs: &RO_ACCESS, handler: Some(group::xpending), ..S },
        CommandSpec { name: "xclaim", arity: -6, flags: f::WRITE | f::FAST, tips: ND, key_specs: &RW_UPDATE, handler: Some(group::xclaim), ..S },
        CommandSpec {
            name: "xautoclaim",
            since: "6.2.0",
            arity: -6,
            flags: f::WRITE | f::FAST,
            tips: ND,
            key_specs: &RW_DELETE,
            handler: Some(group::xautoclaim),
            ..S
        },
        CommandSpec { name: "xinfo", since: "5.0.0", arity: -2, acl: 0, subcommands: info::XINFO_SUBS, ..S },
        CommandSpec { name: "xsetid", arity: -3, flags: f::WRITE | f::DENYOOM | f::FAST, key_specs: &RW_UPDATE, handler: Some(xsetid), ..S },
    ];
    SPECS
}

/// Redis's error for an ID argument it cannot parse.
pub(crate) fn invalid_id() -> CommandError {
    CommandError::err("Invalid stream ID specified as stream command argument")
}

/// An ID where `-` and `+` are not allowed (`streamParseStrictIDOrReply`).
pub(crate) fn strict_id(arg: &[u8]) -> Result<StreamId, CommandError> {
    parse_id(arg, 0, true, false).map(|(id, _)| id).ok_or_else(invalid_id)
}

/// A range start: `(` makes it exclusive, an incomplete ID starts at sequence 0.
pub(crate) fn range_start(arg: &[u8]) -> Result<StreamId, CommandError> {
    let (id, ex) = parse_interval(arg, 0).ok_or_else(invalid_id)?;
    if ex {
        return id.next().ok_or_else(|| CommandError::err("invalid start ID for the interval"));
    }
    Ok(id)
}

/// A range end: `(` makes it exclusive, an incomplete ID ends at the last sequence.
pub(crate) fn range_end(arg: &[u8]) -> Result<StreamId, CommandError> {
    let (id, ex) = parse_interval(arg, u64::MAX).ok_or_else(invalid_id)?;
    if ex {
        return id.prev().ok_or_else(|| CommandError::err("invalid end ID for the interval"));
    }
    Ok(id)
}

/// An integer argument (`getLongLongFromObjectOrReply`).
pub(crate) fn int_arg(arg: &[u8]) -> Result<i64, CommandError> {
    parse_i64(arg).ok_or(CommandError::Arg(rhodium_protocol::ArgError::NotInteger))
}

/// An integer argument with Redis's custom error text.
pub(crate) fn int_arg_or(arg: &[u8], msg: &str) -> Result<i64, CommandError> {
    parse_i64(arg).ok_or_else(|| CommandError::err(msg))
}

/// The stream under `key` for reading (counting a hit or miss); WRONGTYPE for others.
pub(crate) fn read_stream<'a>(ctx: &'a mut ExecCtx, key: &[u8]) -> Result<Option<&'a Stream>, CommandError> {
    match ctx.lookup_read(key)? {
        None => Ok(None),
        Some(Value::Stream(s)) => Ok(Some(s)),
        Some(_) => Err(OpError::WrongType.into()),
    }
}

/// The stream under `key` for writing; WRONGTYPE for other types.
pub(crate) fn write_stream<'a>(ctx: &'a mut ExecCtx, key: &[u8]) -> Result<Option<&'a mut Stream>, CommandError> {
    match ctx.lookup_write(key)? {
        None => Ok(None),
        Some(Value::Stream(s)) => Ok(Some(s)),
        Some(_) => Err(OpError::WrongType.into()),
    }
}

/// The stream under `key` for writing, counting a hit or miss like Redis's
/// `lookupKeyRead` (used by the group commands that read before they write).
pub(crate) fn read_for_write<'a>(ctx: &'a mut ExecCtx, key: &[u8]) -> Result<Option<&'a mut Stream>, CommandError> {
    read_stream(ctx, key)?;
    write_stream(ctx, key)
}

/// Writes one entry as `[id, [field, value, ...]]`.
pub(crate) fn write_entry(out: &mut ReplyWriter, e: &EntryRef<'_>) {
    out.array(2);
    out.bulk(e.id().to_string().as_bytes());
    let pairs = e.pairs();
    out.array(pairs.len() * 2);
    for (fld, v) in pairs {
        out.bulk(fld);
        out.bulk(v);
    }
}

/// Writes an ID as a bulk string.
pub(crate) fn write_id(out: &mut ReplyWriter, id: StreamId) {
    out.bulk(id.to_string().as_bytes());
}

/// An empty writer speaking `out`'s protocol, for replies whose length is known only
/// at the end (no up-front buffer, unlike [`ReplyWriter::new`]).
pub(crate) fn scratch(out: &ReplyWriter) -> ReplyWriter {
    let mut w = ReplyWriter::default();
    w.set_resp(out.resp());
    w
}

/// Builds an argv from parts.
pub(crate) fn argv(parts: &[&[u8]]) -> Argv {
    parts.iter().map(|p| Bytes::copy_from_slice(p)).collect()
}

/// `stream-node-max-bytes` and `stream-node-max-entries`.
fn node_limits(ctx: &ExecCtx) -> NodeLimits {
    let cfg = ctx.server.config();
    let d = NodeLimits::default();
    let get = |name: &str, default: usize| cfg.other.get(name).and_then(|v| v.parse::<usize>().ok()).unwrap_or(default);
    NodeLimits { max_bytes: get("stream-node-max-bytes", d.max_bytes), max_entries: get("stream-node-max-entries", d.max_entries) }
}

/// The parsed options of XADD and XTRIM (`streamAddTrimArgs`).
struct AddTrimArgs {
    id: Option<(StreamId, Seq)>,
    /// Position of the ID argument (XADD).
    id_pos: usize,
    no_mkstream: bool,
    trim: Option<Trim>,
    /// Position of the MAXLEN/MINID value, for rewriting the propagated command.
    trim_arg_pos: usize,
    approx: bool,
    limit: u64,
}

/// Parses XADD (`xadd`) or XTRIM options (`streamParseAddOrTrimArgsOrReply`).
fn parse_add_trim(ctx: &ExecCtx, a: &[Bytes], xadd: bool) -> Result<AddTrimArgs, CommandError> {
    let mut p = AddTrimArgs { id: None, id_pos: 0, no_mkstream: false, trim: None, trim_arg_pos: 0, approx: false, limit: 0 };
    let mut limit_given = false;
    let argc = a.len();
    let mut i = 2;
    while i < argc {
        let more = argc - 1 - i;
        let opt = &a[i];
        if xadd && opt.as_ref() == b"*" {
            break;
        } else if (opt.eq_ignore_ascii_case(b"maxlen") || opt.eq_ignore_ascii_case(b"minid")) && more > 0 {
            if p.trim.is_some() {
                return Err(CommandError::err("syntax error, MAXLEN and MINID options at the same time are not compatible"));
            }
            let maxlen = opt.eq_ignore_ascii_case(b"maxlen");
            p.approx = false;
            let next = &a[i + 1];
            if more >= 2 && next.as_ref() == b"~" {
                p.approx = true;
                i += 1;
            } else if more >= 2 && next.as_ref() == b"=" {
                i += 1;
            }
            if maxlen {
                let n = int_arg(&a[i + 1])?;
                if n < 0 {
                    return Err(CommandError::err("The MAXLEN argument must be >= 0."));
                }
                p.trim = Some(Trim::MaxLen(n as u64));
            } else {
                p.trim = Some(Trim::MinId(strict_id(&a[i + 1])?));
            }
            i += 1;
            p.trim_arg_pos = i;
        } else if opt.eq_ignore_ascii_case(b"limit") && more > 0 {
            let n = int_arg(&a[i + 1])?;
            if n < 0 {
                return Err(CommandError::err("The LIMIT argument must be >= 0."));
            }
            p.limit = n as u64;
            limit_given = true;
            i += 1;
        } else if xadd && opt.eq_ignore_ascii_case(b"nomkstream") {
            p.no_mkstream = true;
        } else if xadd {
            let (id, seq) = parse_id(opt, 0, true, true).ok_or_else(invalid_id)?;
            p.id = Some((id, seq));
            break;
        } else {
            return Err(rhodium_protocol::ArgError::Syntax.into());
        }
        i += 1;
    }
    p.id_pos = i;
    if p.limit > 0 && p.trim.is_none() {
        return Err(CommandError::err("syntax error, LIMIT cannot be used without specifying a trimming strategy"));
    }
    if !xadd && p.trim.is_none() {
        return Err(CommandError::err("syntax error, XTRIM must be called with a trimming strategy"));
    }
    if limit_given {
        if !p.approx {
            return Err(CommandError::err("syntax error, LIMIT cannot be used without the special ~ option"));
        }
    } else if p.approx {
        // At most 100 nodes' worth of work unless told otherwise, clamped both ways.
        let max_entries = node_limits(ctx).max_entries as i64;
        let mut limit = max_entries.saturating_mul(100);
        if limit <= 0 {
            limit = 10_000;
        }
        p.limit = limit.min(1_000_000) as u64;
    } else {
        p.limit = 0;
    }
    Ok(p)
}

/// Rewrites an approximate trim as the exact one it turned out to be
/// (`streamRewriteApproxSpecifier` + `streamRewriteTrimArgument`), so replicas and the
/// AOF trim to the same entries.
fn rewrite_trim(argv: &mut Argv, s: &Stream, p: &AddTrimArgs) {
    if !p.approx {
        return;
    }
    argv[p.trim_arg_pos - 1] = Bytes::from_static(b"=");
    argv[p.trim_arg_pos] = match p.trim {
        Some(Trim::MaxLen(_)) => Bytes::from(s.len().to_string()),
        _ => Bytes::from(s.first_id_with_tombstones().to_string()),
    };
}

fn xadd(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    let a: Vec<Bytes> = args.argv().to_vec();
    let p = parse_add_trim(ctx, &a, true)?;
    let field_pos = p.id_pos + 1;
    if a.len() < field_pos + 2 || (a.len() - field_pos) % 2 == 1 {
        return Err(CommandError::WrongArity(ctx.command.fullname.to_string()));
    }
    if let Some((id, Seq::Given)) = p.id {
        if id.is_zero() {
            return Err(CommandError::err("The ID specified in XADD must be greater than 0-0"));
        }
    }
    let key = a[1].clone();
    let limits = node_limits(ctx);
    let now = ctx.now.max(0) as u64;
    let created = match write_stream(ctx, &key)? {
        Some(_) => false,
        None if p.no_mkstream => {
            out.null();
            return Ok(());
        }
        None => {
            ctx.set_key(&key, Value::Stream(Box::default()), SetExpiry::Clear)?;
            true
        }
    };
    let Some(s) = write_stream(ctx, &key)? else {
        return Ok(());
    };
    if s.last_id == StreamId::MAX {
        return Err(CommandError::err("The stream has exhausted the last possible ID, unable to add more items"));
    }
    let added = s.next_id(p.id, now).and_then(|id| s.append(id, &a[field_pos..], limits).map(|_| id));
    let id = match added {
        Ok(id) => id,
        Err(e) => {
            if created {
                ctx.delete_key(&key)?;
            }
            return Err(CommandError::err(match e {
                AddError::NotGreater => "The ID specified in XADD is equal or smaller than the target stream top item",
                AddError::TooLarge => "Elements are too large to be stored",
            }));
        }
    };
    let mut effect = a.clone();
    let mut trimmed = false;
    if let Some(how) = p.trim {
        trimmed = s.trim(how, p.approx, p.limit) > 0;
        rewrite_trim(&mut effect, s, &p);
    }
    if !matches!(p.id, Some((_, Seq::Given))) {
        effect[p.id_pos] = Bytes::from(id.to_string());
    }
    write_id(out, id);
    ctx.mark_dirty(1);
    ctx.notify(crate::notify::class::STREAM, "xadd", &key);
    if trimmed {
        ctx.notify(crate::notify::class::STREAM, "xtrim", &key);
    }
    ctx.effect(effect);
    Ok(())
}

/// XRANGE and XREVRANGE (`xrangeGenericCommand`).
fn range_generic(ctx: &mut ExecCtx, args: &mut Args, rev: bool, out: &mut ReplyWriter) -> CmdResult {
    let a: Vec<Bytes> = args.argv().to_vec();
    let (start_arg, end_arg) = if rev { (&a[3], &a[2]) } else { (&a[2], &a[3]) };
    let start = range_start(start_arg)?;
    let end = range_end(end_arg)?;
    let mut count: i64 = -1;
    let mut j = 4;
    while j < a.len() {
        if a[j].eq_ignore_ascii_case(b"COUNT") && j + 1 < a.len() {
            count = int_arg(&a[j + 1])?.max(0);
            j += 2;
        } else {
            return Err(rhodium_protocol::ArgError::Syntax.into());
        }
    }
    let Some(s) = read_stream(ctx, &a[1])? else {
        out.array(0);
        return Ok(());
    };
    if count == 0 {
        out.null_array();
        return Ok(());
    }
    let limit = if count < 0 { usize::MAX } else { count as usize };
    let entries: Vec<EntryRef> = s.range(start, end, rev).take(limit).collect();
    out.array(entries.len());
    for e in &entries {
        write_entry(out, e);
    }
    Ok(())
}

fn xrange(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    range_generic(ctx, args, false, out)
}

fn xrevrange(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    range_generic(ctx, args, true, out)
}

fn xlen(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    let key = args.next_arg()?;
    let n = read_stream(ctx, &key)?.map_or(0, Stream::len);
    out.integer(n as i64);
    Ok(())
}

fn xdel(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    let key = args.next_arg()?;
    let raw: Vec<Bytes> = args.rest().to_vec();
    if write_stream(ctx, &key)?.is_none() {
        out.integer(0);
        return Ok(());
    }
    let ids = raw.iter().map(|r| strict_id(r)).collect::<Result<Vec<_>, _>>()?;
    let Some(s) = write_stream(ctx, &key)? else {
        return Ok(());
    };
    let deleted = s.delete_ids(&ids);
    if deleted > 0 {
        ctx.mark_dirty(deleted as u64);
        ctx.notify(crate::notify::class::STREAM, "xdel", &key);
    }
    out.integer(deleted as i64);
    Ok(())
}

fn xtrim(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    let a: Vec<Bytes> = args.argv().to_vec();
    let p = parse_add_trim(ctx, &a, false)?;
    let Some(s) = write_stream(ctx, &a[1])? else {
        out.integer(0);
        return Ok(());
    };
    let Some(how) = p.trim else {
        return Err(rhodium_protocol::ArgError::Syntax.into());
    };
    let deleted = s.trim(how, p.approx, p.limit);
    if deleted > 0 {
        let mut effect = a.clone();
        rewrite_trim(&mut effect, s, &p);
        ctx.mark_dirty(deleted);
        ctx.effect(effect);
        ctx.notify(crate::notify::class::STREAM, "xtrim", &a[1]);
    }
    out.integer(deleted as i64);
    Ok(())
}

fn xsetid(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    let a: Vec<Bytes> = args.argv().to_vec();
    let id = strict_id(&a[2])?;
    let mut entries_added: Option<u64> = None;
    let mut max_xdel = StreamId::MIN;
    let mut i = 3;
    while i < a.len() {
        let more = a.len() - 1 - i;
        if a[i].eq_ignore_ascii_case(b"ENTRIESADDED") && more > 0 {
            let n = int_arg(&a[i + 1])?;
            if n < 0 {
                return Err(CommandError::err("entries_added must be positive"));
            }
            entries_added = Some(n as u64);
            i += 2;
        } else if a[i].eq_ignore_ascii_case(b"MAXDELETEDID") && more > 0 {
            max_xdel = strict_id(&a[i + 1])?;
            if id < max_xdel {
                return Err(CommandError::err("The ID specified in XSETID is smaller than the provided max_deleted_entry_id"));
            }
            i += 2;
        } else {
            return Err(rhodium_protocol::ArgError::Syntax.into());
        }
    }
    let Some(s) = write_stream(ctx, &a[1])? else {
        return Err(OpError::NoSuchKey.into());
    };
    if !s.is_empty() {
        if s.last_live_id().is_some_and(|top| id < top) {
            return Err(CommandError::err("The ID specified in XSETID is smaller than the target stream top item"));
        }
        if entries_added.is_some_and(|n| s.len() > n) {
            return Err(CommandError::err("The entries_added specified in XSETID is smaller than the target stream length"));
        }
    }
    s.last_id = id;
    if let Some(n) = entries_added {
        s.entries_added = n;
    }
    if !max_xdel.is_zero() {
        s.max_deleted_id = max_xdel;
    }
    ctx.mark_dirty(1);
    ctx.notify(crate::notify::class::STREAM, "xsetid", &a[1]);
    out.ok();
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::testkit::Harness;

    #[test]
    fn xadd_and_trims_propagate_their_effect() {
        let mut h = Harness::new();
        assert!(h.run("XADD s 7-* a 1").contains("7-0"));
        assert!(h.run("XADD s 5-* a 1").starts_with("-ERR The ID specified in XADD is equal or smaller"));
        for i in 10..=260 {
            h.run(&format!("XADD big {i}-0 f v"));
        }
        h.rec.take();
        h.run("XADD big MAXLEN ~ 100 300-* f v");
        h.run("XTRIM big MINID ~ 150");
        h.run("XTRIM big MAXLEN ~ 10 LIMIT 100");
        h.run("XTRIM big MAXLEN 1000");
        h.run("XADD big MINID ~ 240 301-0 f v");
        h.run("XDEL big 1-0");
        h.run("XDEL big 301-0 1-0");
        assert_eq!(
            h.take_units_timeless(),
            [
                "XADD big MAXLEN = 152 300-0 f v",
                "XTRIM big MAXLEN = 52 LIMIT 100",
                "XADD big MINID = 210-0 301-0 f v",
                "XDEL big 301-0 1-0",
            ]
        );
    }

    #[test]
    fn group_reads_propagate_as_claims() {
        let mut h = Harness::new();
        for cmd in ["XADD q 1-0 a 1", "XADD q 2-0 a 1", "XADD q 3-0 a 1", "XGROUP CREATE q g 0"] {
            h.run(cmd);
        }
        h.run("XGROUP CREATE g1 g $ MKSTREAM");
        h.rec.take();
        h.run("XREADGROUP GROUP g alice COUNT 2 STREAMS q >");
        h.run("XREADGROUP GROUP g bob NOACK STREAMS q >");
        h.run("XREADGROUP GROUP g carol STREAMS q >");
        h.run("XREADGROUP GROUP g alice STREAMS q 0");
        h.run("XDEL q 1-0");
        h.run("XCLAIM q g dave 0 1 2-0");
        h.run("XCLAIM q g dave 0 9-9 LASTID 50-0");
        h.run("XGROUP SETID q g 3-0");
        h.run("XADD q 4-0 a 1");
        h.run("XREADGROUP GROUP g erin STREAMS q >");
        h.run("XAUTOCLAIM q g zed 0 0");
        h.run("XACK q g 4-0 9-0");
        h.run("XACK q g 4-0");
        h.run("XGROUP CREATECONSUMER q g newc");
        h.run("XGROUP DELCONSUMER q g newc");
        h.run("XSETID q 10-0");
        assert_eq!(
            h.take_units_timeless(),
            [
                "XCLAIM q g alice 0 1-0 TIME T RETRYCOUNT 1 FORCE JUSTID LASTID 1-0 ; XCLAIM q g alice 0 2-0 TIME T RETRYCOUNT 1 FORCE JUSTID LASTID 2-0",
                "XGROUP CREATECONSUMER q g bob ; XGROUP SETID q g 3-0 ENTRIESREAD 3",
                "XDEL q 1-0",
                "XCLAIM q g alice 0 1 TIME T RETRYCOUNT 2 FORCE JUSTID LASTID 3-0 ; XCLAIM q g dave 0 2-0 TIME T RETRYCOUNT 3 FORCE JUSTID LASTID 3-0",
                "XGROUP SETID q g 50-0 ENTRIESREAD 3",
                "XGROUP SETID q g 3-0",
                "XADD q 4-0 a 1",
                "XCLAIM q g erin 0 4-0 TIME T RETRYCOUNT 1 FORCE JUSTID LASTID 4-0",
                "XCLAIM q g zed 0 2-0 TIME T RETRYCOUNT 4 FORCE JUSTID LASTID 4-0 ; XCLAIM q g zed 0 4-0 TIME T RETRYCOUNT 2 FORCE JUSTID LASTID 4-0",
                "XACK q g 4-0 9-0",
                "XGROUP CREATECONSUMER q g newc",
                "XGROUP DELCONSUMER q g newc",
                "XSETID q 10-0",
            ]
        );
    }

    #[test]
    fn auto_id_is_propagated_concretely() {
        let mut h = Harness::new();
        let reply = h.run("XADD s * a 1");
        let id = reply.split("\r\n").nth(1).unwrap_or_default().to_string();
        assert!(id.ends_with("-0"), "{reply}");
        assert_eq!(h.take_units_timeless(), [format!("XADD s {id} a 1")]);
    }
}
