//! Replication commands, master side: REPLCONF, SYNC, PSYNC, WAIT, ROLE (Redis's
//! `replication.c` `replconfCommand`, `syncCommand`, `waitCommand`, `roleCommand`). The
//! work is in `crate::replication`.

use std::sync::atomic::Ordering;

use rhodium_protocol::{ArgError, Args, ReplyWriter};
use rhodium_replication::primary::ReplicaState;

use super::spec::{acl, flags as f, CommandSpec, Group};
use crate::dispatch::ExecCtx;
use crate::error::{CmdResult, CommandError};
use crate::replication::primary;

pub fn specs() -> &'static [CommandSpec] {
    const S: CommandSpec = CommandSpec { group: Group::Server, ..CommandSpec::DEFAULT };
    static SPECS: &[CommandSpec] = &[
        CommandSpec { name: "replconf", since: "3.0.0", arity: -1, flags: f::ADMIN | f::NOSCRIPT | f::LOADING | f::STALE | f::ALLOW_BUSY, handler: Some(replconf), ..S },
        CommandSpec { name: "psync", since: "2.8.0", arity: -3, flags: f::ADMIN | f::NOSCRIPT | f::NO_ASYNC_LOADING | f::NO_MULTI, handler: Some(psync), ..S },
        CommandSpec { name: "sync", since: "1.0.0", arity: 1, flags: f::ADMIN | f::NOSCRIPT | f::NO_ASYNC_LOADING | f::NO_MULTI, handler: Some(sync), ..S },
        CommandSpec {
            name: "wait",
            group: Group::Generic,
            since: "3.0.0",
            arity: 3,
            flags: f::NOSCRIPT,
            acl: acl::CONNECTION,
            tips: &["request_policy:all_shards", "response_policy:agg_min"],
            handler: Some(wait),
            ..S
        },
        CommandSpec { name: "role", since: "2.8.12", arity: 1, flags: f::NOSCRIPT | f::LOADING | f::STALE | f::FAST, acl: acl::ADMIN | acl::DANGEROUS, handler: Some(role), ..S },
    ];
    SPECS
}

/// Longest `REPLCONF ip-address` accepted (Redis's NET_HOST_STR_LEN).
const MAX_IP_LEN: usize = 256;

/// REPLCONF <option> <value> ...: what a replica says about itself before SYNC/PSYNC,
/// and ACK/GETACK once it streams.
fn replconf(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    let argv = args.argv();
    if argv.len().is_multiple_of(2) {
        return Err(ArgError::Syntax.into());
    }
    for pair in argv[1..].chunks_exact(2) {
        let (opt, val) = (pair[0].to_ascii_lowercase(), &pair[1]);
        let conf = &mut ctx.client.replconf;
        match opt.as_slice() {
            b"listening-port" => {
                let port = rhodium_protocol::number::parse_i64(val).ok_or(ArgError::NotInteger)?;
                conf.listening_port = u16::try_from(port).unwrap_or(0);
            }
            b"ip-address" => {
                if val.len() >= MAX_IP_LEN {
                    return Err(CommandError::err(format!("REPLCONF ip-address provided by replica instance is too long: {} bytes", val.len())));
                }
                conf.ip_address = Some(String::from_utf8_lossy(val).into_owned());
            }
            b"capa" => {
                if val.eq_ignore_ascii_case(b"eof") {
                    conf.capa_eof = true;
                } else if val.eq_ignore_ascii_case(b"psync2") {
                    conf.capa_psync2 = true;
                }
            }
            // ACKs of a streaming replica are read by its feeder; an ordinary client's
            // ACK and a master's GETACK get no reply, as in Redis.
            b"ack" | b"getack" => return Ok(()),
            b"rdb-only" => {
                let v = rhodium_protocol::number::parse_i64(val).ok_or(ArgError::NotInteger)?;
                if !(0..=1).contains(&v) {
                    return Err(CommandError::err("value is out of range, value must between 0 and 1"));
                }
                conf.rdb_only = v == 1;
            }
            b"rdb-filter-only" => {
                let mut functions = false;
                for word in val.split(|&b| b == b' ').filter(|w| !w.is_empty()) {
                    if word.eq_ignore_ascii_case(b"functions") {
                        functions = true;
                    } else {
                        return Err(CommandError::err(format!("Unsupported rdb-filter-only option: {}", String::from_utf8_lossy(word))));
                    }
                }
                conf.functions_only = functions;
            }
            _ => return Err(CommandError::err(format!("Unrecognized REPLCONF option: {}", String::from_utf8_lossy(&pair[0])))),
        }
    }
    out.ok();
    Ok(())
}

/// PSYNC replid offset.
fn psync(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    let argv = args.argv();
    primary::attach(ctx.server, ctx.client, Some((&argv[1], &argv[2])), out)
}

/// SYNC: the pre-PSYNC protocol, always a full sync without a `+FULLRESYNC` line.
fn sync(ctx: &mut ExecCtx, _args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    primary::attach(ctx.server, ctx.client, None, out)
}

/// WAIT numreplicas timeout: blocks until that many replicas acknowledged this client's
/// writes, or the timeout (ms, 0: forever) passes; replies how many did.
fn wait(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    let st = &ctx.server.repl;
    if st.is_replica() {
        return Err(CommandError::err("WAIT cannot be used with replica instances. Please also note that since Redis 4.0 if a replica is configured to be writable (which is not the default) writes to replicas are just local and are not propagated."));
    }
    let numreplicas = args.next_i64()?;
    let timeout = rhodium_protocol::number::parse_i64(&args.next_arg()?).ok_or_else(|| CommandError::err("timeout is not an integer or out of range"))?;
    if timeout < 0 {
        return Err(CommandError::err("timeout is negative"));
    }
    let woff = ctx.client.woff;
    let acked = st.count_acks(woff);
    if acked >= numreplicas || ctx.in_atomic() {
        out.integer(acked);
        return Ok(());
    }
    let waiter = ctx.server.blocking.block(ctx.server, ctx.client, Vec::new(), args.argv().to_vec(), 0);
    ctx.client.block.parked = Some(waiter.clone());
    st.add_wait(ctx.server, waiter, woff, numreplicas, timeout);
    Ok(())
}

/// ROLE: `master`, the offset, and each online replica's ip, port and acknowledged offset.
fn role(ctx: &mut ExecCtx, _args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    if crate::replication::replica::role_reply(ctx.server, out) {
        return Ok(());
    }
    let r = ctx.server.repl.snapshot();
    let online: Vec<_> = r.replicas.iter().filter(|l| l.state() == ReplicaState::Online).collect();
    out.array(3);
    out.bulk(b"master");
    out.integer(r.offset as i64);
    out.array(online.len());
    for l in online {
        out.array(3);
        out.bulk(l.ip.as_bytes());
        out.bulk(l.port.to_string().as_bytes());
        out.bulk(l.ack_off.load(Ordering::Relaxed).to_string().as_bytes());
    }
    Ok(())
}
