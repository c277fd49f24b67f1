//! XINFO STREAM / GROUPS / CONSUMERS / HELP (Redis's `xinfoCommand`).

use bytes::Bytes;
use rhodium_protocol::{Args, ReplyWriter};
use rhodium_storage::types::stream::{Group as CGroup, Stream, StreamId};
use rhodium_storage::OpError;

use super::group::subcommand_error;
use super::{int_arg, read_stream, write_entry, write_id};
use crate::commands::spec::{acl, flags as f, keyflags as k, CommandSpec, Group, KeySpec};
use crate::dispatch::ExecCtx;
use crate::error::{CmdResult, CommandError};

const HELP: &[&str] = &[
    "CONSUMERS <key> <groupname>",
    "    Show consumers of <groupname>.",
    "GROUPS <key>",
    "    Show the stream consumer groups.",
    "STREAM <key> [FULL [COUNT <count>]",
    "    Show information about the stream.",
];

const XI: CommandSpec = CommandSpec { group: Group::Stream, since: "5.0.0", acl: acl::STREAM, ..CommandSpec::DEFAULT };
static RO_ACCESS: [KeySpec; 1] = [KeySpec::single(2, k::RO | k::ACCESS)];

/// XINFO's subcommands.
pub static XINFO_SUBS: &[CommandSpec] = &[
    CommandSpec { name: "consumers", arity: 4, flags: f::READONLY, tips: &["nondeterministic_output"], key_specs: &RO_ACCESS, handler: Some(consumers), ..XI },
    CommandSpec { name: "groups", arity: 3, flags: f::READONLY, key_specs: &RO_ACCESS, handler: Some(groups), ..XI },
    CommandSpec { name: "stream", arity: -3, flags: f::READONLY, key_specs: &RO_ACCESS, handler: Some(stream), ..XI },
    CommandSpec { name: "help", arity: 2, flags: f::LOADING | f::STALE, handler: Some(help), ..XI },
];

fn help(_ctx: &mut ExecCtx, _args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    crate::commands::client::write_help(out, "XINFO", HELP);
    Ok(())
}

/// The stream under argv[2]; `ERR no such key` when missing.
fn lookup<'a>(ctx: &'a mut ExecCtx, key: &[u8]) -> Result<&'a Stream, CommandError> {
    read_stream(ctx, key)?.ok_or(CommandError::Op(OpError::NoSuchKey))
}

fn write_opt_int(out: &mut ReplyWriter, v: Option<u64>) {
    match v {
        Some(v) => out.integer(v as i64),
        None => out.null(),
    }
}

fn consumers(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    let a: Vec<Bytes> = args.argv().to_vec();
    let now = ctx.now;
    let s = lookup(ctx, &a[2])?;
    let Some(g) = s.group(&a[3]) else {
        return Err(CommandError::raw(format!(
            "NOGROUP No such consumer group '{}' for key name '{}'",
            String::from_utf8_lossy(&a[3]),
            String::from_utf8_lossy(&a[2])
        )));
    };
    out.array(g.consumers.len());
    for c in g.consumers.values() {
        out.map(3);
        out.bulk(b"name");
        out.bulk(&c.name);
        out.bulk(b"pending");
        out.integer(c.pel.len() as i64);
        out.bulk(b"idle");
        out.integer((now - c.seen_time).max(0));
    }
    Ok(())
}

fn groups(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    let a: Vec<Bytes> = args.argv().to_vec();
    let s = lookup(ctx, &a[2])?;
    let gs: Vec<(&Box<[u8]>, &CGroup)> = s.groups.iter().flat_map(|g| g.iter()).collect();
    out.array(gs.len());
    for (name, g) in gs {
        out.map(6);
        out.bulk(b"name");
        out.bulk(name);
        out.bulk(b"consumers");
        out.integer(g.consumers.len() as i64);
        out.bulk(b"pending");
        out.integer(g.pel.len() as i64);
        out.bulk(b"last-delivered-id");
        write_id(out, g.last_id);
        out.bulk(b"entries-read");
        write_opt_int(out, g.entries_read);
        out.bulk(b"lag");
        write_opt_int(out, s.group_lag(g));
    }
    Ok(())
}

fn stream(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    let a: Vec<Bytes> = args.argv().to_vec();
    let s = lookup(ctx, &a[2])?;
    let opts = &a[3..];
    let mut full = false;
    let mut count: i64 = 10;
    if !opts.is_empty() {
        if opts.len() != 1 && opts.len() != 3 {
            return Err(subcommand_error(&a));
        }
        if !opts[0].eq_ignore_ascii_case(b"full") {
            return Err(subcommand_error(&a));
        }
        if opts.len() == 3 {
            if !opts[1].eq_ignore_ascii_case(b"count") {
                return Err(subcommand_error(&a));
            }
            count = int_arg(&opts[2])?;
            if count < 0 {
                count = 10;
            }
        }
        full = true;
    }
    out.map(if full { 9 } else { 10 });
    out.bulk(b"length");
    out.integer(s.len() as i64);
    out.bulk(b"radix-tree-keys");
    out.integer(s.node_count() as i64);
    out.bulk(b"radix-tree-nodes");
    out.integer(s.rax_nodes() as i64);
    out.bulk(b"last-generated-id");
    write_id(out, s.last_id);
    out.bulk(b"max-deleted-entry-id");
    write_id(out, s.max_deleted_id);
    out.bulk(b"entries-added");
    out.integer(s.entries_added as i64);
    out.bulk(b"recorded-first-entry-id");
    write_id(out, s.first_id);
    if !full {
        out.bulk(b"groups");
        out.integer(s.group_count() as i64);
        out.bulk(b"first-entry");
        match s.range(StreamId::MIN, StreamId::MAX, false).next() {
            Some(e) => write_entry(out, &e),
            None => out.null(),
        }
        out.bulk(b"last-entry");
        match s.range(StreamId::MIN, StreamId::MAX, true).next() {
            Some(e) => write_entry(out, &e),
            None => out.null(),
        }
        return Ok(());
    }
    let limit = if count == 0 { usize::MAX } else { count as usize };
    out.bulk(b"entries");
    let entries: Vec<_> = s.range(StreamId::MIN, StreamId::MAX, false).take(limit).collect();
    out.array(entries.len());
    for e in &entries {
        write_entry(out, e);
    }
    out.bulk(b"groups");
    let gs: Vec<(&Box<[u8]>, &CGroup)> = s.groups.iter().flat_map(|g| g.iter()).collect();
    out.array(gs.len());
    for (name, g) in gs {
        out.map(7);
        out.bulk(b"name");
        out.bulk(name);
        out.bulk(b"last-delivered-id");
        write_id(out, g.last_id);
        out.bulk(b"entries-read");
        write_opt_int(out, g.entries_read);
        out.bulk(b"lag");
        write_opt_int(out, s.group_lag(g));
        out.bulk(b"pel-count");
        out.integer(g.pel.len() as i64);
        out.bulk(b"pending");
        let pel: Vec<_> = g.pel.iter().take(limit).collect();
        out.array(pel.len());
        for (id, n) in pel {
            out.array(4);
            write_id(out, *id);
            out.bulk(&n.consumer);
            out.integer(n.delivery_time);
            out.integer(n.delivery_count as i64);
        }
        out.bulk(b"consumers");
        out.array(g.consumers.len());
        for c in g.consumers.values() {
            out.map(4);
            out.bulk(b"name");
            out.bulk(&c.name);
            out.bulk(b"seen-time");
            out.integer(c.seen_time);
            out.bulk(b"pel-count");
            out.integer(c.pel.len() as i64);
            out.bulk(b"pending");
            let pel: Vec<_> = c.pel.iter().take(limit).collect();
            out.array(pel.len());
            for id in pel {
                let (t, n) = g.pel.get(id).map_or((0, 0), |n| (n.delivery_time, n.delivery_count));
                out.array(3);
                write_id(out, *id);
                out.integer(t);
                out.integer(n as i64);
            }
        }
    }
    Ok(())
}
