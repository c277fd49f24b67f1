//! String commands.

use bytes::Bytes;
use rhodium_protocol::{Args, ReplyWriter};
use rhodium_storage::keyspace::SetExpiry;
use rhodium_storage::{OpError, Value};

use super::spec::{acl, flags as f, keyflags as k, CommandSpec, Group, KeySpec};
use crate::dispatch::ExecCtx;
use crate::error::{CmdResult, CommandError};

pub fn specs() -> &'static [CommandSpec] {
    const S: CommandSpec = CommandSpec { group: Group::String, acl: acl::STRING, ..CommandSpec::DEFAULT };
    static GET_KS: [KeySpec; 1] = [KeySpec::single(1, k::RO | k::ACCESS)];
    static SET_KS: [KeySpec; 1] = [KeySpec { notes: "RW and ACCESS due to the optional `GET` argument", flags: k::RW | k::ACCESS | k::UPDATE | k::VARIABLE_FLAGS, ..KeySpec::single(1, 0) }];
    static INCR_KS: [KeySpec; 1] = [KeySpec::single(1, k::RW | k::ACCESS | k::UPDATE)];
    static MSET_KS: [KeySpec; 1] = [KeySpec::range(1, -1, 2, k::OW | k::UPDATE)];
    static SPECS: &[CommandSpec] = &[
        CommandSpec { name: "get", arity: 2, flags: f::READONLY | f::FAST, key_specs: &GET_KS, handler: Some(get), ..S },
        CommandSpec { name: "set", arity: -3, flags: f::WRITE | f::DENYOOM, key_specs: &SET_KS, handler: Some(set), ..S },
        CommandSpec { name: "incr", arity: 2, flags: f::WRITE | f::DENYOOM | f::FAST, key_specs: &INCR_KS, handler: Some(incr), ..S },
        CommandSpec { name: "mset", since: "1.0.1", arity: -3, flags: f::WRITE | f::DENYOOM, key_specs: &MSET_KS, tips: &["request_policy:multi_shard", "response_policy:all_succeeded"], handler: Some(mset), ..S },
    ];
    SPECS
}

fn get(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    let key = args.next_arg()?;
    match ctx.lookup_read(&key)? {
        None => out.null(),
        Some(v) => out.bulk(&v.string_bytes().ok_or(OpError::WrongType)?),
    }
    Ok(())
}

fn set(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    let key = args.next_arg()?;
    let val = args.next_arg()?;
    args.finish()?;
    ctx.set_key(&key, Value::string(&val), SetExpiry::Clear)?;
    ctx.mark_dirty(1);
    out.ok();
    Ok(())
}

fn incr(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    let key = args.next_arg()?;
    let new = match ctx.lookup_write(&key)? {
        Some(Value::Int(i)) => {
            *i = i.checked_add(1).ok_or(OpError::Overflow)?;
            *i
        }
        Some(v) => {
            let b = v.string_bytes().ok_or(OpError::WrongType)?;
            let cur = rhodium_protocol::number::parse_i64(&b).ok_or(OpError::NotInteger)?;
            let n = cur.checked_add(1).ok_or(OpError::Overflow)?;
            *v = Value::Int(n);
            n
        }
        None => {
            ctx.set_key(&key, Value::Int(1), SetExpiry::Clear)?;
            1
        }
    };
    ctx.mark_dirty(1);
    out.integer(new);
    Ok(())
}

fn mset(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    if args.argc() % 2 == 0 {
        return Err(CommandError::WrongArity("mset".into()));
    }
    let pairs: Vec<Bytes> = args.rest().to_vec();
    for kv in pairs.chunks(2) {
        ctx.set_key(&kv[0], Value::string(&kv[1]), SetExpiry::Clear)?;
    }
    ctx.mark_dirty(pairs.len() as u64 / 2);
    out.ok();
    Ok(())
}
