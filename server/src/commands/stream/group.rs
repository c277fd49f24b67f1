//! Consumer group commands: XGROUP and its subcommands, XACK, XPENDING, XCLAIM and
//! XAUTOCLAIM (Redis's `xgroupCommand` and friends).

use bytes::Bytes;
use rhodium_protocol::{ArgError, Args, Argv, ReplyWriter};
use rhodium_storage::keyspace::SetExpiry;
use rhodium_storage::types::stream::{parse_id, Stream, StreamId};
use rhodium_storage::Value;

use super::read::{setid_effect, xclaim_effect};
use super::{int_arg, int_arg_or, invalid_id, range_end, range_start, read_for_write, scratch, strict_id, write_entry, write_id, write_stream};
use crate::commands::spec::{acl, flags as f, keyflags as k, CommandSpec, Group, KeySpec};
use crate::dispatch::ExecCtx;
use crate::notify::class as ev;
use crate::error::{CmdResult, CommandError};

const HELP: &[&str] = &[
    "CREATE <key> <groupname> <id|$> [option]",
    "    Create a new consumer group. Options are:",
    "    * MKSTREAM",
    "      Create the empty stream if it does not exist.",
    "    * ENTRIESREAD entries_read",
    "      Set the group's entries_read counter (internal use).",
    "CREATECONSUMER <key> <groupname> <consumer>",
    "    Create a new consumer in the specified group.",
    "DELCONSUMER <key> <groupname> <consumer>",
    "    Remove the specified consumer.",
    "DESTROY <key> <groupname>",
    "    Remove the specified group.",
    "SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]",
    "    Set the current group ID and entries_read counter.",
];

const XG: CommandSpec = CommandSpec { group: Group::Stream, since: "5.0.0", acl: acl::STREAM, ..CommandSpec::DEFAULT };
static RW_INSERT: [KeySpec; 1] = [KeySpec::single(2, k::RW | k::INSERT)];
static RW_UPDATE: [KeySpec; 1] = [KeySpec::single(2, k::RW | k::UPDATE)];
static RW_DELETE: [KeySpec; 1] = [KeySpec::single(2, k::RW | k::DELETE)];

/// XGROUP's subcommands.
pub static XGROUP_SUBS: &[CommandSpec] = &[
    CommandSpec { name: "create", arity: -5, flags: f::WRITE | f::DENYOOM, key_specs: &RW_INSERT, handler: Some(xgroup), ..XG },
    CommandSpec { name: "setid", arity: -5, flags: f::WRITE, key_specs: &RW_UPDATE, handler: Some(xgroup), ..XG },
    CommandSpec { name: "destroy", arity: 4, flags: f::WRITE, key_specs: &RW_DELETE, handler: Some(xgroup), ..XG },
    CommandSpec { name: "createconsumer", since: "6.2.0", arity: 5, flags: f::WRITE | f::DENYOOM, key_specs: &RW_INSERT, handler: Some(xgroup), ..XG },
    CommandSpec { name: "delconsumer", arity: 5, flags: f::WRITE, key_specs: &RW_DELETE, handler: Some(xgroup), ..XG },
    CommandSpec { name: "help", arity: 2, flags: f::LOADING | f::STALE, handler: Some(help), ..XG },
];

fn help(_ctx: &mut ExecCtx, _args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    crate::commands::client::write_help(out, "XGROUP", HELP);
    Ok(())
}

/// Redis's `addReplySubcommandSyntaxError`.
pub(crate) fn subcommand_error(a: &[Bytes]) -> CommandError {
    let cmd = String::from_utf8_lossy(&a[0]).to_ascii_uppercase();
    let sub: String = String::from_utf8_lossy(&a[1]).chars().take(128).collect();
    CommandError::err(format!("unknown subcommand or wrong number of arguments for '{sub}'. Try {cmd} HELP."))
}

fn nogroup_for_key(group: &[u8], key: &[u8]) -> CommandError {
    CommandError::raw(format!(
        "NOGROUP No such consumer group '{}' for key name '{}'",
        String::from_utf8_lossy(group),
        String::from_utf8_lossy(key)
    ))
}

/// The error of commands that need both the key and the group.
pub(crate) fn nogroup(key: &[u8], group: &[u8]) -> CommandError {
    CommandError::raw(format!("NOGROUP No such key '{}' or consumer group '{}'", String::from_utf8_lossy(key), String::from_utf8_lossy(group)))
}

/// Every XGROUP subcommand but HELP (`xgroupCommand`): shared option parsing and checks.
fn xgroup(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    let a: Vec<Bytes> = args.argv().to_vec();
    let argc = a.len();
    let sub = a[1].to_ascii_lowercase();
    let create = sub == b"create";
    let setid = sub == b"setid";
    let mut mkstream = false;
    let mut entries_read: i64 = -1;
    let mut i = 5;
    while i < argc {
        if create && a[i].eq_ignore_ascii_case(b"MKSTREAM") {
            mkstream = true;
            i += 1;
        } else if (create || setid) && a[i].eq_ignore_ascii_case(b"ENTRIESREAD") && i + 1 < argc {
            entries_read = int_arg(&a[i + 1])?;
            if entries_read < 0 && entries_read != -1 {
                return Err(CommandError::err("value for ENTRIESREAD must be positive or -1"));
            }
            i += 2;
        } else {
            return Err(subcommand_error(&a));
        }
    }
    let key = a[2].clone();
    let gname = a[3].clone();
    let exists = write_stream(ctx, &key)?.is_some();
    if !mkstream {
        if !exists {
            return Err(CommandError::err(
                "The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically.",
            ));
        }
        let has_group = write_stream(ctx, &key)?.is_some_and(|s| s.group(&gname).is_some());
        if !has_group && matches!(sub.as_slice(), b"setid" | b"createconsumer" | b"delconsumer") {
            return Err(nogroup_for_key(&gname, &key));
        }
    }
    let read = u64::try_from(entries_read).ok();
    let now = ctx.now;
    match sub.as_slice() {
        b"create" if (5..=8).contains(&argc) => {
            let id = if a[4].as_ref() == b"$" {
                write_stream(ctx, &key)?.map_or(StreamId::MIN, |s| s.last_id)
            } else {
                strict_id(&a[4])?
            };
            if !exists {
                ctx.set_key(&key, Value::Stream(Box::default()), SetExpiry::Clear)?;
            }
            let Some(s) = write_stream(ctx, &key)? else {
                return Ok(());
            };
            if s.create_group(&gname, id, read) {
                ctx.mark_dirty(1);
                ctx.notify(ev::STREAM, "xgroup-create", &key);
                out.ok();
            } else {
                return Err(CommandError::raw("BUSYGROUP Consumer Group name already exists"));
            }
        }
        b"setid" if argc == 5 || argc == 7 => {
            let Some(s) = write_stream(ctx, &key)? else {
                return Ok(());
            };
            let id = if a[4].as_ref() == b"$" { s.last_id } else { parse_id(&a[4], 0, false, false).map(|(id, _)| id).ok_or_else(invalid_id)? };
            if let Some(g) = s.group_mut(&gname) {
                g.last_id = id;
                g.entries_read = read;
            }
            ctx.mark_dirty(1);
            ctx.notify(ev::STREAM, "xgroup-setid", &key);
            out.ok();
        }
        b"destroy" if argc == 4 => {
            let destroyed = write_stream(ctx, &key)?.is_some_and(|s| s.destroy_group(&gname));
            if destroyed {
                ctx.mark_dirty(1);
                ctx.notify(ev::STREAM, "xgroup-destroy", &key);
            }
            out.integer(i64::from(destroyed));
        }
        b"createconsumer" if argc == 5 => {
            let created = write_stream(ctx, &key)?.and_then(|s| s.group_mut(&gname)).is_some_and(|g| g.create_consumer(&a[4], now));
            if created {
                ctx.mark_dirty(1);
                ctx.notify(ev::STREAM, "xgroup-createconsumer", &key);
            }
            out.integer(i64::from(created));
        }
        b"delconsumer" if argc == 5 => {
            let pending = write_stream(ctx, &key)?.and_then(|s| s.group_mut(&gname)).and_then(|g| g.delete_consumer(&a[4]));
            if pending.is_some() {
                ctx.mark_dirty(1);
                ctx.notify(ev::STREAM, "xgroup-delconsumer", &key);
            }
            out.integer(pending.unwrap_or(0) as i64);
        }
        _ => return Err(subcommand_error(&a)),
    }
    Ok(())
}

pub fn xack(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    let a: Vec<Bytes> = args.argv().to_vec();
    let has_group = read_for_write(ctx, &a[1])?.is_some_and(|s| s.group(&a[2]).is_some());
    if !has_group {
        out.integer(0);
        return Ok(());
    }
    let ids = a[3..].iter().map(|r| strict_id(r)).collect::<Result<Vec<_>, _>>()?;
    let Some(g) = write_stream(ctx, &a[1])?.and_then(|s| s.group_mut(&a[2])) else {
        return Ok(());
    };
    let acked = ids.iter().filter(|id| g.ack(**id)).count();
    if acked > 0 {
        ctx.mark_dirty(acked as u64);
    }
    out.integer(acked as i64);
    Ok(())
}

pub fn xpending(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    let a: Vec<Bytes> = args.argv().to_vec();
    let argc = a.len();
    let justinfo = argc == 3;
    if argc != 3 && !(6..=9).contains(&argc) {
        return Err(ArgError::Syntax.into());
    }
    let mut range = (StreamId::MIN, StreamId::MAX);
    let mut count: i64 = 0;
    let mut minidle: i64 = 0;
    let mut consumer: Option<Bytes> = None;
    if argc >= 6 {
        let mut startidx = 3;
        if a[3].eq_ignore_ascii_case(b"IDLE") {
            minidle = int_arg(&a[4])?;
            if argc < 8 {
                return Err(ArgError::Syntax.into());
            }
            startidx += 2;
        }
        count = int_arg(&a[startidx + 2])?.max(0);
        range = (range_start(&a[startidx])?, range_end(&a[startidx + 1])?);
        if startidx + 3 < argc {
            consumer = Some(a[startidx + 3].clone());
        }
    }
    let now = ctx.now;
    let Some(g) = super::read_stream(ctx, &a[1])?.and_then(|s| s.group(&a[2])) else {
        return Err(nogroup(&a[1], &a[2]));
    };
    if justinfo {
        out.array(4);
        out.integer(g.pel.len() as i64);
        match (g.pel.keys().next(), g.pel.keys().next_back()) {
            (Some(first), Some(last)) => {
                write_id(out, *first);
                write_id(out, *last);
                let with: Vec<_> = g.consumers.values().filter(|c| !c.pel.is_empty()).collect();
                out.array(with.len());
                for c in with {
                    out.array(2);
                    out.bulk(&c.name);
                    out.bulk_int(c.pel.len() as i64);
                }
            }
            _ => {
                out.null();
                out.null();
                out.null_array();
            }
        }
        return Ok(());
    }
    let ids: Vec<StreamId> = match &consumer {
        Some(name) => match g.consumers.get(name.as_ref()) {
            Some(c) => c.pel.range(range.0..).copied().take_while(|id| *id <= range.1).collect(),
            None => {
                out.array(0);
                return Ok(());
            }
        },
        None => g.pel.range(range.0..).map(|(id, _)| *id).take_while(|id| *id <= range.1).collect(),
    };
    let mut rows = Vec::new();
    for id in ids {
        if count == 0 {
            break;
        }
        let Some(n) = g.pel.get(&id) else { continue };
        if minidle != 0 && now - n.delivery_time < minidle {
            continue;
        }
        count -= 1;
        rows.push((id, n));
    }
    out.array(rows.len());
    for (id, n) in rows {
        out.array(4);
        write_id(out, id);
        out.bulk(&n.consumer);
        out.integer((now - n.delivery_time).max(0));
        out.integer(n.delivery_count as i64);
    }
    Ok(())
}

/// Looks the claiming consumer up as Redis 7.0 does once it has something to claim:
/// created if missing (true when created), and marked seen now.
fn touch_consumer(g: &mut rhodium_storage::types::stream::Group, cname: &[u8], now: i64) -> bool {
    let created = g.create_consumer(cname, now);
    if let Some(c) = g.consumers.get_mut(cname) {
        c.seen_time = now;
    }
    created
}

/// Records effects, or stops the request itself from being propagated.
fn finish(ctx: &mut ExecCtx, effects: Vec<Argv>) {
    if effects.is_empty() {
        ctx.no_propagate();
    }
    for e in effects {
        ctx.effect(e);
    }
}

pub fn xclaim(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    let a: Vec<Bytes> = args.argv().to_vec();
    let (key, gname, cname) = (a[1].clone(), a[2].clone(), a[3].clone());
    let has_group = read_for_write(ctx, &key)?.is_some_and(|s| s.group(&gname).is_some());
    if !has_group {
        return Err(nogroup(&key, &gname));
    }
    let minidle = int_arg_or(&a[4], "Invalid min-idle-time argument for XCLAIM")?.max(0);
    let mut j = 5;
    let mut ids: Vec<(StreamId, Bytes)> = Vec::new();
    while j < a.len() {
        match parse_id(&a[j], 0, true, false) {
            Some((id, _)) => ids.push((id, a[j].clone())),
            None => break,
        }
        j += 1;
    }
    let now = ctx.now;
    let (mut force, mut justid) = (false, false);
    let mut retry: i64 = -1;
    let mut time: i64 = -1;
    let mut last_id = StreamId::MIN;
    while j < a.len() {
        let more = a.len() - 1 - j;
        let opt = &a[j];
        if opt.eq_ignore_ascii_case(b"FORCE") {
            force = true;
        } else if opt.eq_ignore_ascii_case(b"JUSTID") {
            justid = true;
        } else if opt.eq_ignore_ascii_case(b"IDLE") && more > 0 {
            j += 1;
            time = now.wrapping_sub(int_arg_or(&a[j], "Invalid IDLE option argument for XCLAIM")?);
        } else if opt.eq_ignore_ascii_case(b"TIME") && more > 0 {
            j += 1;
            time = int_arg_or(&a[j], "Invalid TIME option argument for XCLAIM")?;
        } else if opt.eq_ignore_ascii_case(b"RETRYCOUNT") && more > 0 {
            j += 1;
            retry = int_arg_or(&a[j], "Invalid RETRYCOUNT option argument for XCLAIM")?;
        } else if opt.eq_ignore_ascii_case(b"LASTID") && more > 0 {
            j += 1;
            last_id = strict_id(&a[j])?;
        } else {
            return Err(CommandError::err(format!("Unrecognized XCLAIM option '{}'", String::from_utf8_lossy(opt))));
        }
        j += 1;
    }
    let mut effects: Vec<Argv> = Vec::new();
    let mut dirty = 0;
    let Some(s) = write_stream(ctx, &key)? else {
        return Ok(());
    };
    let mut propagate_last_id = false;
    if let Some(g) = s.group_mut(&gname) {
        if last_id > g.last_id {
            g.last_id = last_id;
            propagate_last_id = true;
        }
    }
    // A bogus time (negative or in the future) means now, rather than an error.
    if time < 0 || time > now {
        time = now;
    }
    let Some(s) = write_stream(ctx, &key)? else {
        return Ok(());
    };
    let s: &mut Stream = s;
    let mut reply = scratch(out);
    let mut n = 0;
    let mut new_consumer = false;
    for (id, raw) in &ids {
        let exists = s.contains(*id);
        let Some(g) = s.group_mut(&gname) else { break };
        if !exists {
            // The entry is gone: its pending entry goes too, on replicas as well.
            if let Some(nack) = g.pel.get(id) {
                effects.push(xclaim_effect(&key, &gname, &nack.consumer, raw, nack.delivery_time, nack.delivery_count, g.last_id));
                propagate_last_id = false;
                dirty += 1;
                g.ack(*id);
            }
            continue;
        }
        let mut forced = false;
        if force && !g.pel.contains_key(id) {
            if touch_consumer(g, &cname, now) {
                dirty += 1;
                new_consumer = true;
            }
            forced = g.force_pending(*id, &cname, now);
        }
        let Some(nack) = g.pel.get(id) else { continue };
        if !forced && minidle > 0 && now - nack.delivery_time < minidle {
            continue;
        }
        if touch_consumer(g, &cname, now) {
            dirty += 1;
            new_consumer = true;
        }
        let retry = u64::try_from(retry).ok();
        let Some(nack) = g.claim(*id, &cname, time, retry, justid) else { continue };
        let (t, c) = (nack.delivery_time, nack.delivery_count);
        effects.push(xclaim_effect(&key, &gname, &cname, raw, t, c, g.last_id));
        propagate_last_id = false;
        dirty += 1;
        if justid {
            write_id(&mut reply, *id);
        } else if let Some(e) = s.get(*id) {
            write_entry(&mut reply, &e);
        }
        n += 1;
    }
    if propagate_last_id {
        if let Some(g) = s.group(&gname) {
            effects.push(setid_effect(&key, &gname, g.last_id, g.entries_read));
            dirty += 1;
        }
    }
    out.array(n);
    out.raw(reply.as_bytes());
    if dirty > 0 {
        ctx.mark_dirty(dirty);
    }
    if new_consumer {
        ctx.notify(ev::STREAM, "xgroup-createconsumer", &key);
    }
    finish(ctx, effects);
    Ok(())
}

pub fn xautoclaim(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    let a: Vec<Bytes> = args.argv().to_vec();
    let (key, gname, cname) = (a[1].clone(), a[2].clone(), a[3].clone());
    let minidle = int_arg_or(&a[4], "Invalid min-idle-time argument for XAUTOCLAIM")?.max(0);
    let start = range_start(&a[5])?;
    let mut count: i64 = 100;
    let mut justid = false;
    let mut j = 6;
    // Redis caps COUNT so that its attempts (COUNT * 10) and ID buffer cannot overflow.
    let max_count = i64::MAX / 16;
    while j < a.len() {
        let more = a.len() - 1 - j;
        if a[j].eq_ignore_ascii_case(b"COUNT") && more > 0 {
            count = int_arg_or(&a[j + 1], "COUNT must be > 0")?;
            if !(1..=max_count).contains(&count) {
                return Err(CommandError::err("COUNT must be > 0"));
            }
            j += 1;
        } else if a[j].eq_ignore_ascii_case(b"JUSTID") {
            justid = true;
        } else {
            return Err(ArgError::Syntax.into());
        }
        j += 1;
    }
    let has_group = read_for_write(ctx, &key)?.is_some_and(|s| s.group(&gname).is_some());
    if !has_group {
        return Err(nogroup(&key, &gname));
    }
    let now = ctx.now;
    let Some(s) = write_stream(ctx, &key)? else {
        return Ok(());
    };
    let s: &mut Stream = s;
    let mut attempts = count.saturating_mul(10);
    let mut effects: Vec<Argv> = Vec::new();
    let mut deleted: Vec<StreamId> = Vec::new();
    let mut reply = scratch(out);
    let mut n = 0;
    let mut cursor = start;
    let mut next: Option<StreamId> = None;
    let mut created = 0;
    while let Some(g) = s.group(&gname) {
        let candidate = g.pel.range(cursor..).next().map(|(id, _)| *id);
        if attempts == 0 || count == 0 {
            next = candidate;
            break;
        }
        attempts -= 1;
        let Some(id) = candidate else { break };
        cursor = match id.next() {
            Some(c) => c,
            None => StreamId::MAX,
        };
        let exists = s.contains(id);
        let Some(g) = s.group_mut(&gname) else { break };
        if !exists {
            if let Some(nack) = g.pel.get(&id) {
                effects.push(xclaim_effect(&key, &gname, &nack.consumer, id.to_string().as_bytes(), nack.delivery_time, nack.delivery_count, g.last_id));
            }
            g.ack(id);
            deleted.push(id);
            count -= 1;
        } else {
            let Some(nack) = g.pel.get(&id) else { continue };
            if minidle > 0 && now - nack.delivery_time < minidle {
                if id == StreamId::MAX {
                    break;
                }
                continue;
            }
            if touch_consumer(g, &cname, now) {
                created += 1;
            }
            let Some(nack) = g.claim(id, &cname, now, None, justid) else { continue };
            let (t, c) = (nack.delivery_time, nack.delivery_count);
            effects.push(xclaim_effect(&key, &gname, &cname, id.to_string().as_bytes(), t, c, g.last_id));
            if justid {
                write_id(&mut reply, id);
            } else if let Some(e) = s.get(id) {
                write_entry(&mut reply, &e);
            }
            n += 1;
            count -= 1;
        }
        if id == StreamId::MAX {
            break;
        }
    }
    out.array(3);
    write_id(out, next.unwrap_or(StreamId::MIN));
    out.array(n);
    out.raw(reply.as_bytes());
    out.array(deleted.len());
    for id in &deleted {
        write_id(out, *id);
    }
    let dirty = effects.len() as u64 + created;
    if dirty > 0 {
        ctx.mark_dirty(dirty);
    }
    if created > 0 {
        ctx.notify(ev::STREAM, "xgroup-createconsumer", &key);
    }
    finish(ctx, effects);
    Ok(())
}
