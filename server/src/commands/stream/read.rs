//! XREAD and XREADGROUP (Redis's `xreadCommand`). Parsing produces a [`ReadRequest`];
//! [`try_serve`] answers it from what the streams hold now and reports when nothing is
//! available, which is when a BLOCK request parks (see `crate::blocking`) until a write to
//! one of its keys serves it: the waiter's command is re-run then, told which key is
//! ready, and answers from that key only, as Redis 7.0's `serveClientsBlockedOnStreamKey`.

use bytes::Bytes;
use rhodium_protocol::{Args, Argv, ReplyWriter, Resp};
use rhodium_storage::types::stream::{Stream, StreamId};
use rhodium_storage::{OpError, Value};

use super::{argv, int_arg, read_stream, scratch, strict_id, write_entry, write_id};
use crate::dispatch::ExecCtx;
use crate::error::{CmdResult, CommandError};

/// Where reading starts for one stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadFrom {
    /// Entries with IDs greater than this (XREAD, or a consumer's history in XREADGROUP).
    After(StreamId),
    /// XREADGROUP's `>`: entries never delivered to the group.
    NewToGroup,
}

/// A parsed XREAD / XREADGROUP.
#[derive(Debug, Clone)]
pub struct ReadRequest {
    pub keys: Vec<Bytes>,
    pub from: Vec<ReadFrom>,
    /// Most entries per stream; 0 means no limit.
    pub count: usize,
    /// BLOCK's timeout in milliseconds (0 = forever), if given.
    pub block: Option<i64>,
    /// XREADGROUP's group and consumer.
    pub group: Option<(Bytes, Bytes)>,
    pub noack: bool,
    /// Index in argv of the first ID (after STREAMS and the keys).
    pub ids_at: usize,
}

/// Parses the arguments (`xreadCommand`'s loop) and resolves `$` against the streams.
fn parse(ctx: &mut ExecCtx, args: &Args, xreadgroup: bool) -> Result<ReadRequest, CommandError> {
    let a: Vec<Bytes> = args.argv().to_vec();
    let argc = a.len();
    let mut req = ReadRequest { keys: Vec::new(), from: Vec::new(), count: 0, block: None, group: None, noack: false, ids_at: 0 };
    let mut streams_arg = 0;
    let mut streams_count = 0;
    let mut i = 1;
    while i < argc {
        let more = argc - i - 1;
        let o = &a[i];
        if o.eq_ignore_ascii_case(b"BLOCK") && more > 0 {
            i += 1;
            let t = super::int_arg_or(&a[i], "timeout is not an integer or out of range")?;
            if t < 0 {
                return Err(CommandError::err("timeout is negative"));
            }
            req.block = Some(t);
        } else if o.eq_ignore_ascii_case(b"COUNT") && more > 0 {
            i += 1;
            req.count = int_arg(&a[i])?.max(0) as usize;
        } else if o.eq_ignore_ascii_case(b"STREAMS") && more > 0 {
            streams_arg = i + 1;
            streams_count = argc - streams_arg;
            if streams_count % 2 != 0 {
                // Redis 7.0 names XREAD and '$' for XREADGROUP too.
                return Err(CommandError::err("Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified."));
            }
            streams_count /= 2;
            break;
        } else if o.eq_ignore_ascii_case(b"GROUP") && more >= 2 {
            if !xreadgroup {
                return Err(CommandError::err("The GROUP option is only supported by XREADGROUP. You called XREAD instead."));
            }
            req.group = Some((a[i + 1].clone(), a[i + 2].clone()));
            i += 2;
        } else if o.eq_ignore_ascii_case(b"NOACK") {
            if !xreadgroup {
                return Err(CommandError::err("The NOACK option is only supported by XREADGROUP. You called XREAD instead."));
            }
            req.noack = true;
        } else {
            return Err(rhodium_protocol::ArgError::Syntax.into());
        }
        i += 1;
    }
    if streams_arg == 0 {
        return Err(rhodium_protocol::ArgError::Syntax.into());
    }
    if xreadgroup && req.group.is_none() {
        return Err(CommandError::err("Missing GROUP option for XREADGROUP"));
    }
    req.ids_at = streams_arg + streams_count;
    // Re-run for a waiter: `$` was already resolved and the ready key is checked later.
    let serving = ctx.client.block.serving.is_some();
    for n in 0..streams_count {
        let key = a[streams_arg + n].clone();
        let id_arg = &a[streams_arg + streams_count + n];
        let s = if serving { None } else { read_stream(ctx, &key)? };
        if let Some((g, _)) = req.group.as_ref().filter(|_| !serving) {
            if s.and_then(|s| s.group(g)).is_none() {
                return Err(CommandError::raw(format!(
                    "NOGROUP No such key '{}' or consumer group '{}' in XREADGROUP with GROUP option",
                    String::from_utf8_lossy(&key),
                    String::from_utf8_lossy(g)
                )));
            }
        }
        let from = if id_arg.as_ref() == b"$" {
            if xreadgroup {
                return Err(CommandError::err(
                    "The $ ID is meaningless in the context of XREADGROUP: you want to read the history of this consumer by specifying a proper ID, or use the > ID to get new messages. The $ ID would just return an empty result set.",
                ));
            }
            ReadFrom::After(s.map_or(StreamId::MIN, |s| s.last_id))
        } else if id_arg.as_ref() == b">" {
            if !xreadgroup {
                return Err(CommandError::err("The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option."));
            }
            ReadFrom::NewToGroup
        } else {
            let id = strict_id(id_arg)?;
            // Redis marks `>` with the maximum ID: an explicit maximum means the same.
            if xreadgroup && id == StreamId::MAX {
                ReadFrom::NewToGroup
            } else {
                ReadFrom::After(id)
            }
        };
        req.keys.push(key);
        req.from.push(from);
    }
    Ok(req)
}

pub fn xread(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    let req = parse(ctx, args, false)?;
    run(ctx, args, &req, out)
}

pub fn xreadgroup(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    let req = parse(ctx, args, true)?;
    run(ctx, args, &req, out)
}

/// Serves now, or blocks when BLOCK was given, or replies null. Inside an atomic section
/// (MULTI, a script) BLOCK acts as if it timed out at once, as Redis does.
fn run(ctx: &mut ExecCtx, args: &Args, req: &ReadRequest, out: &mut ReplyWriter) -> CmdResult {
    let mut effects: Vec<Argv> = Vec::new();
    let served = try_serve(ctx, req, out, &mut effects)?;
    if !served {
        match req.block {
            Some(ms) if !ctx.in_atomic() => park(ctx, args, req, ms),
            _ => out.null_array(),
        }
    }
    if req.group.is_some() {
        // XREADGROUP propagates only the effects it recorded, never itself.
        if effects.is_empty() {
            ctx.no_propagate();
        }
        for e in effects {
            ctx.effect(e);
        }
    }
    Ok(())
}

/// Nothing to serve under BLOCK: a first call blocks on the request's keys; a re-run for
/// a waiter reports "not served". Waiters of a stream key wait for different IDs, so one
/// that finds nothing never stops the queue behind it (hence `other_type`).
fn park(ctx: &mut ExecCtx, args: &Args, req: &ReadRequest, ms: i64) {
    if ctx.client.block.serving.is_some() {
        ctx.client.block.not_served = true;
        ctx.client.block.other_type = true;
        return;
    }
    let deadline = if ms == 0 { 0 } else { ctx.now.saturating_add(ms) };
    // `$` means the last ID at the time of the call, not at wake-up: re-run with it.
    let mut av: Argv = args.argv().to_vec();
    for (n, from) in req.from.iter().enumerate() {
        if let (Some(a), ReadFrom::After(id)) = (av.get_mut(req.ids_at + n), from) {
            if a.as_ref() == b"$" {
                *a = Bytes::from(id.to_string());
            }
        }
    }
    let mut keys: Vec<Bytes> = Vec::with_capacity(req.keys.len());
    for k in &req.keys {
        if !keys.contains(k) {
            keys.push(k.clone());
        }
    }
    let waiter = ctx.server.blocking.block(ctx.server, ctx.client, keys, av, deadline);
    ctx.client.block.parked = Some(waiter);
}

/// Answers `req` from the streams' current content. Returns false, having written
/// nothing, when no stream has anything to serve (the caller then blocks or replies
/// null). Group deliveries are recorded as XCLAIM / XGROUP effects in `effects`.
pub fn try_serve(ctx: &mut ExecCtx, req: &ReadRequest, out: &mut ReplyWriter, effects: &mut Vec<Argv>) -> Result<bool, CommandError> {
    let mut body = scratch(out);
    let mut served = 0;
    let now = ctx.now;
    let ready = ctx.client.block.serving.clone();
    for (key, from) in req.keys.iter().zip(&req.from) {
        if let Some(r) = &ready {
            // A waiter is served from the key that became ready, once.
            if r != key {
                continue;
            }
        }
        // Redis looks every key up again here (another keyspace hit or miss).
        let found = ctx.lookup_read(key)?;
        let s = match found {
            Some(Value::Stream(s)) => s,
            // A waiting XREADGROUP whose key went away (or changed type) ends with an
            // error; a waiting XREAD keeps waiting.
            _ if ready.is_some() && req.group.is_some() => {
                return Err(CommandError::raw("UNBLOCKED the stream key no longer exists"));
            }
            None => continue,
            Some(_) if ready.is_some() => break,
            Some(_) => return Err(OpError::WrongType.into()),
        };
        let Some((gname, cname)) = &req.group else {
            let gt = match from {
                ReadFrom::After(id) => *id,
                ReadFrom::NewToGroup => StreamId::MAX,
            };
            if s.last_live_id().is_none_or(|max| max <= gt) {
                continue;
            }
            served += 1;
            if body.resp() == Resp::V2 {
                body.array(2);
            }
            body.bulk(key);
            let start = gt.next().unwrap_or(StreamId::MIN);
            let entries: Vec<_> = s.range(start, StreamId::MAX, false).take(limit(req.count)).collect();
            body.array(entries.len());
            for e in &entries {
                write_entry(&mut body, e);
            }
            continue;
        };
        let Some(Value::Stream(s)) = ctx.lookup_write(key)? else {
            return Err(OpError::WrongType.into());
        };
        let s: &mut Stream = s;
        let last_live = s.last_live_id();
        let Some(g) = s.group_mut(gname) else {
            if ready.is_some() {
                return Err(CommandError::raw("NOGROUP the consumer group this client was blocked on no longer exists"));
            }
            return Err(CommandError::raw(format!(
                "NOGROUP No such key '{}' or consumer group '{}' in XREADGROUP with GROUP option",
                String::from_utf8_lossy(key),
                String::from_utf8_lossy(gname)
            )));
        };
        let (serve, history, gt) = match from {
            ReadFrom::After(id) => (true, true, *id),
            ReadFrom::NewToGroup => match last_live {
                Some(max) if max > g.last_id => (true, false, g.last_id),
                _ => (false, false, StreamId::MAX),
            },
        };
        if ready.is_some() && !serve {
            // Still nothing new for the group: the waiter keeps waiting, untouched.
            break;
        }
        let mut created = false;
        if g.create_consumer(cname, now) {
            created = true;
            if req.noack {
                effects.push(argv(&[b"XGROUP", b"CREATECONSUMER", key, gname, cname]));
            }
        }
        if let Some(c) = g.consumers.get_mut(cname.as_ref()) {
            c.seen_time = now;
        }
        if serve {
            served += 1;
            if body.resp() == Resp::V2 {
                body.array(2);
            }
            body.bulk(key);
            // The range is inclusive: start right after `gt`.
            let start = gt.next().unwrap_or(StreamId::MIN);
            if history {
                serve_history(s, gname, cname, start, req.count, now, &mut body);
            } else {
                deliver_new(s, key, gname, cname, start, req, now, &mut body, effects);
            }
            ctx.mark_dirty(1);
        }
        if created {
            ctx.mark_dirty(1);
            ctx.notify(crate::notify::class::STREAM, "xgroup-createconsumer", key);
        }
    }
    if served == 0 {
        return Ok(false);
    }
    if out.resp() == Resp::V2 {
        out.array(served);
    } else {
        out.map(served);
    }
    out.raw(body.as_bytes());
    Ok(true)
}

fn limit(count: usize) -> usize {
    if count == 0 {
        usize::MAX
    } else {
        count
    }
}

/// Serves a consumer's own pending entries from `start` (`streamReplyWithRangeFromConsumerPEL`):
/// deleted entries show as `[id, nil]`; each served entry counts one more delivery.
fn serve_history(s: &mut Stream, gname: &[u8], cname: &[u8], start: StreamId, count: usize, now: i64, out: &mut ReplyWriter) {
    let ids: Vec<StreamId> = s
        .group(gname)
        .and_then(|g| g.consumers.get(cname))
        .map(|c| c.pel.range(start..).take(limit(count)).copied().collect())
        .unwrap_or_default();
    out.array(ids.len());
    let mut delivered = Vec::new();
    for id in ids {
        match s.get(id) {
            Some(e) => {
                write_entry(out, &e);
                delivered.push(id);
            }
            None => {
                out.array(2);
                write_id(out, id);
                out.null_array();
            }
        }
    }
    if let Some(g) = s.group_mut(gname) {
        for id in delivered {
            if let Some(n) = g.pel.get_mut(&id) {
                n.delivery_time = now;
                n.delivery_count += 1;
            }
        }
    }
}

/// Delivers entries never delivered to the group (`streamReplyWithRange` with a group):
/// moves the group's last ID and read counter, adds pending entries unless NOACK, and
/// records the XCLAIM (or XGROUP SETID for NOACK) effects replicas need.
#[allow(clippy::too_many_arguments)]
fn deliver_new(
    s: &mut Stream,
    key: &[u8],
    gname: &[u8],
    cname: &[u8],
    start: StreamId,
    req: &ReadRequest,
    now: i64,
    out: &mut ReplyWriter,
    effects: &mut Vec<Argv>,
) {
    let ids: Vec<StreamId> = s.range(start, StreamId::MAX, false).take(limit(req.count)).map(|e| e.id()).collect();
    out.array(ids.len());
    let mut propagate_last_id = false;
    for id in ids {
        let (last_id, entries_read) = match s.group(gname) {
            Some(g) => (g.last_id, g.entries_read),
            None => return,
        };
        if id > last_id {
            // Redis 7.0's rule: only tombstones after the new ID invalidate the counter.
            let read = if entries_read.is_some() && !s.range_has_tombstones(id, StreamId::MAX) {
                entries_read.map(|r| r.wrapping_add(1))
            } else if s.entries_added > 0 {
                s.estimate_distance(id)
            } else {
                entries_read
            };
            if let Some(g) = s.group_mut(gname) {
                g.entries_read = read;
                g.last_id = id;
            }
            if req.noack {
                propagate_last_id = true;
            }
        }
        if let Some(e) = s.get(id) {
            write_entry(out, &e);
        }
        if !req.noack {
            let Some(g) = s.group_mut(gname) else {
                return;
            };
            g.deliver(id, cname, now);
            let (time, count) = g.pel.get(&id).map_or((now, 1), |n| (n.delivery_time, n.delivery_count));
            effects.push(xclaim_effect(key, gname, cname, id.to_string().as_bytes(), time, count, g.last_id));
        }
    }
    if propagate_last_id {
        if let Some(g) = s.group(gname) {
            effects.push(setid_effect(key, gname, g.last_id, g.entries_read));
        }
    }
}

/// The XCLAIM that recreates a pending entry on a replica (`streamPropagateXCLAIM`).
pub(crate) fn xclaim_effect(key: &[u8], group: &[u8], consumer: &[u8], id: &[u8], time: i64, count: u64, last_id: StreamId) -> Argv {
    argv(&[
        b"XCLAIM",
        key,
        group,
        consumer,
        b"0",
        id,
        b"TIME",
        time.to_string().as_bytes(),
        b"RETRYCOUNT",
        count.to_string().as_bytes(),
        b"FORCE",
        b"JUSTID",
        b"LASTID",
        last_id.to_string().as_bytes(),
    ])
}

/// The XGROUP SETID that moves a group's last ID on a replica (`streamPropagateGroupID`).
pub(crate) fn setid_effect(key: &[u8], group: &[u8], last_id: StreamId, entries_read: Option<u64>) -> Argv {
    let read = entries_read.map_or("-1".to_string(), |r| r.to_string());
    argv(&[b"XGROUP", b"SETID", key, group, last_id.to_string().as_bytes(), b"ENTRIESREAD", read.as_bytes()])
}

#[cfg(test)]
mod tests {
    use crate::testkit::Harness;

    /// A served XREADGROUP propagates the same XCLAIM as one that found the entry at once,
    /// after the XADD that woke it; blocking itself propagates nothing.
    #[test]
    fn a_served_xreadgroup_propagates_like_an_immediate_one() {
        let mut h = Harness::new();
        h.run("XGROUP CREATE s g $ MKSTREAM");
        h.run("XGROUP CREATECONSUMER s g c");
        h.rec.take();
        assert_eq!(h.run("XREADGROUP GROUP g c BLOCK 0 STREAMS s >"), "");
        let w = h.client.block.parked.take().expect("blocked");
        assert!(h.take_units_timeless().is_empty());
        h.run("XADD s 1-1 f v");
        assert_eq!(w.take_reply().as_deref(), Some(b"*1\r\n*2\r\n$1\r\ns\r\n*1\r\n*2\r\n$3\r\n1-1\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n".as_slice()));
        let served = h.take_units_timeless();
        h.run("XADD s 2-1 f v");
        h.rec.take();
        h.run("XREADGROUP GROUP g c BLOCK 0 STREAMS s >");
        let immediate = h.take_units_timeless();
        assert_eq!(served, vec!["XADD s 1-1 f v", "XCLAIM s g c 0 1-1 TIME T RETRYCOUNT 1 FORCE JUSTID LASTID 1-1"]);
        assert_eq!(immediate, vec!["XCLAIM s g c 0 2-1 TIME T RETRYCOUNT 1 FORCE JUSTID LASTID 2-1"]);
        assert_eq!(h.server.blocking.blocked_clients(), 0);
    }

    /// `$` is rewritten to the last ID at the time of the call in the command re-run.
    #[test]
    fn dollar_is_resolved_when_blocking() {
        let mut h = Harness::new();
        h.run("XADD s 5-1 f v");
        assert_eq!(h.run("XREAD BLOCK 0 STREAMS s $"), "");
        let w = h.client.block.parked.take().expect("blocked");
        h.run("MULTI");
        h.run("XADD s 6-1 a b");
        h.run("XADD s 7-1 c d");
        h.run("EXEC");
        let reply = String::from_utf8(w.take_reply().expect("served")).unwrap_or_default();
        assert!(reply.contains("6-1") && reply.contains("7-1") && !reply.contains("5-1"), "{reply}");
    }
}
