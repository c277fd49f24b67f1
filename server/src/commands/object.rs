//! OBJECT and its subcommands (Redis's `objectCommand` in `object.c`): what a key's value
//! looks like inside the server.

use rhodium_protocol::{Args, ReplyWriter};
use rhodium_storage::clock::idle_seconds;
use rhodium_storage::keyspace::Entry;
use rhodium_storage::Value;

use super::spec::{acl, flags as f, keyflags as k, CommandSpec, Group, KeySpec};
use crate::dispatch::ExecCtx;
use crate::error::{CmdResult, CommandError};
use crate::state::Stats;

/// Redis shares the integers `0..OBJ_SHARED_INTEGERS` between keys and reports their
/// refcount as `OBJ_SHARED_REFCOUNT` (INT_MAX).
const OBJ_SHARED_INTEGERS: i64 = 10_000;
const OBJ_SHARED_REFCOUNT: i64 = i32::MAX as i64;

const HELP: &[&str] = &[
    "OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "ENCODING <key>",
    "    Return the kind of internal representation used in order to store the value",
    "    associated with a <key>.",
    "FREQ <key>",
    "    Return the access frequency index of the <key>. The returned integer is",
    "    proportional to the logarithm of the recent access frequency of the key.",
    "IDLETIME <key>",
    "    Return the idle time of the <key>, that is the approximated number of",
    "    seconds elapsed since the last access to the key.",
    "REFCOUNT <key>",
    "    Return the number of references of the value associated with the specified",
    "    <key>.",
    "HELP",
    "    Prints this help.",
];

pub fn specs() -> &'static [CommandSpec] {
    const O: CommandSpec = CommandSpec { group: Group::Generic, since: "2.2.3", acl: acl::KEYSPACE, ..CommandSpec::DEFAULT };
    static KEY2: [KeySpec; 1] = [KeySpec::single(2, k::RO)];
    const ND: &[&str] = &["nondeterministic_output"];
    static SUBS: &[CommandSpec] = &[
        CommandSpec { name: "encoding", arity: 3, flags: f::READONLY, key_specs: &KEY2, tips: ND, handler: Some(encoding), ..O },
        CommandSpec { name: "freq", since: "4.0.0", arity: 3, flags: f::READONLY, key_specs: &KEY2, tips: ND, handler: Some(freq), ..O },
        CommandSpec { name: "idletime", arity: 3, flags: f::READONLY, key_specs: &KEY2, tips: ND, handler: Some(idletime), ..O },
        CommandSpec { name: "refcount", arity: 3, flags: f::READONLY, key_specs: &KEY2, tips: ND, handler: Some(refcount), ..O },
        CommandSpec { name: "help", since: "6.2.0", arity: 2, flags: f::LOADING | f::STALE, handler: Some(help), ..O },
    ];
    static SPECS: &[CommandSpec] = &[CommandSpec { name: "object", arity: -2, acl: 0, subcommands: SUBS, ..O }];
    SPECS
}

/// The key's entry without touching its LRU clock (`objectCommandLookup`), counting a
/// keyspace hit or miss; on a miss the null reply is written and `None` returned.
fn lookup<'c>(ctx: &'c mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> Result<Option<&'c Entry>, CommandError> {
    args.next_arg()?;
    let key = args.next_arg()?;
    let db = ctx.db;
    let stats = &ctx.server.stats;
    let e = ctx.keys.get_entry(db, &key, false)?;
    Stats::incr(if e.is_some() { &stats.keyspace_hits } else { &stats.keyspace_misses }, 1);
    if e.is_none() {
        out.null();
    }
    Ok(e)
}

fn encoding(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    if let Some(e) = lookup(ctx, args, out)? {
        out.bulk(e.value.encoding_name().as_bytes());
    }
    Ok(())
}

fn refcount(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    if let Some(e) = lookup(ctx, args, out)? {
        let shared = matches!(e.value, Value::Int(i) if (0..OBJ_SHARED_INTEGERS).contains(&i));
        out.integer(if shared { OBJ_SHARED_REFCOUNT } else { 1 });
    }
    Ok(())
}

fn idletime(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    let now = ctx.now;
    if let Some(e) = lookup(ctx, args, out)? {
        out.integer(idle_seconds(now, e.lru()) as i64);
    }
    Ok(())
}

/// Access frequency is only tracked under an LFU maxmemory policy, which Rhodium does not
/// offer yet (the policy is always `noeviction`), so an existing key gets Redis's error.
fn freq(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    if lookup(ctx, args, out)?.is_some() {
        return Err(CommandError::err(
            "An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.",
        ));
    }
    Ok(())
}

fn help(_ctx: &mut ExecCtx, _args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    out.array(HELP.len());
    for line in HELP {
        out.simple(line);
    }
    Ok(())
}
