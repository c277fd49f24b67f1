//! Keyspace commands (Redis's "generic" group).

use rhodium_protocol::{Args, ReplyWriter};

use super::spec::{acl, flags as f, keyflags as k, CommandSpec, Group, KeySpec};
use crate::dispatch::ExecCtx;
use crate::error::CmdResult;

pub fn specs() -> &'static [CommandSpec] {
    const G: CommandSpec = CommandSpec { group: Group::Generic, acl: acl::KEYSPACE, ..CommandSpec::DEFAULT };
    static DEL_KS: [KeySpec; 1] = [KeySpec::range(1, -1, 1, k::RM | k::DELETE)];
    static EXISTS_KS: [KeySpec; 1] = [KeySpec::range(1, -1, 1, k::RO)];
    static SPECS: &[CommandSpec] = &[
        CommandSpec { name: "del", arity: -2, flags: f::WRITE, key_specs: &DEL_KS, tips: &["request_policy:multi_shard", "response_policy:agg_sum"], handler: Some(del), ..G },
        CommandSpec { name: "exists", arity: -2, flags: f::READONLY | f::FAST, key_specs: &EXISTS_KS, tips: &["request_policy:multi_shard", "response_policy:agg_sum"], handler: Some(exists), ..G },
        CommandSpec { name: "dbsize", arity: 1, flags: f::READONLY | f::FAST, tips: &["request_policy:all_shards", "response_policy:agg_sum"], handler: Some(dbsize), group: Group::Server, ..G },
        CommandSpec { name: "flushall", arity: -1, flags: f::WRITE, acl: acl::KEYSPACE | acl::DANGEROUS, tips: &["request_policy:all_shards", "response_policy:all_succeeded"], handler: Some(flushall), group: Group::Server, ..G },
        CommandSpec { name: "flushdb", arity: -1, flags: f::WRITE, acl: acl::KEYSPACE | acl::DANGEROUS, tips: &["request_policy:all_shards", "response_policy:all_succeeded"], handler: Some(flushdb), group: Group::Server, ..G },
    ];
    SPECS
}

fn del(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    let keys = args.rest().to_vec();
    let mut n = 0;
    for key in &keys {
        if ctx.delete_key(key)? {
            n += 1;
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
        if ctx.keys.exists(ctx.db, key)? {
            n += 1;
        }
    }
    out.integer(n);
    Ok(())
}

fn dbsize(ctx: &mut ExecCtx, _args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    out.integer(ctx.server.keyspace.dbsize(ctx.db) as i64);
    Ok(())
}

fn flush_mode(args: &mut Args) -> CmdResult {
    if args.eat("ASYNC") || args.eat("SYNC") {}
    Ok(args.finish()?)
}

fn flushall(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    flush_mode(args)?;
    let n = ctx.server.keyspace.flush_all();
    ctx.mark_dirty(n as u64 + 1);
    ctx.effect_parts(&["FLUSHALL"]);
    out.ok();
    Ok(())
}

fn flushdb(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    flush_mode(args)?;
    let n = ctx.server.keyspace.flush_db(ctx.db);
    ctx.mark_dirty(n as u64 + 1);
    ctx.effect_parts(&["FLUSHDB"]);
    out.ok();
    Ok(())
}
