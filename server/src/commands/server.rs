//! Server commands: SHUTDOWN, TIME, INFO, CONFIG.

use rhodium_protocol::{Args, ReplyWriter};

use super::spec::{acl, flags as f, CommandSpec, Group};
use crate::dispatch::ExecCtx;
use crate::error::{CmdResult, CommandError};
use crate::state::ShutdownKind;

pub fn specs() -> &'static [CommandSpec] {
    const S: CommandSpec = CommandSpec { group: Group::Server, ..CommandSpec::DEFAULT };
    static SPECS: &[CommandSpec] = &[
        CommandSpec { name: "shutdown", arity: -1, flags: f::ADMIN | f::NOSCRIPT | f::LOADING | f::STALE | f::NO_MULTI | f::SENTINEL | f::ALLOW_BUSY, handler: Some(shutdown), ..S },
        CommandSpec { name: "time", since: "2.6.0", arity: 1, flags: f::LOADING | f::STALE | f::FAST, tips: &["nondeterministic_output"], handler: Some(time), ..S },
        CommandSpec { name: "info", arity: -1, flags: f::LOADING | f::STALE | f::SENTINEL, acl: acl::DANGEROUS, tips: &["nondeterministic_output", "request_policy:all_shards", "response_policy:special"], handler: Some(info), ..S },
    ];
    SPECS
}

fn shutdown(ctx: &mut ExecCtx, args: &mut Args, _out: &mut ReplyWriter) -> CmdResult {
    let mut kind = ShutdownKind::Default;
    while let Some(a) = args.next() {
        if a.eq_ignore_ascii_case(b"NOSAVE") {
            kind = ShutdownKind::NoSave;
        } else if a.eq_ignore_ascii_case(b"SAVE") {
            kind = ShutdownKind::Save;
        } else if a.eq_ignore_ascii_case(b"NOW") || a.eq_ignore_ascii_case(b"FORCE") {
        } else {
            return Err(CommandError::Arg(rhodium_protocol::ArgError::Syntax));
        }
    }
    crate::log_warning!("User requested shutdown...");
    ctx.server.request_shutdown(kind);
    ctx.client.close_after_reply = true;
    Ok(())
}

fn time(_ctx: &mut ExecCtx, _args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    let us = rhodium_storage::clock::now_us();
    out.array(2);
    out.bulk_int(us / 1_000_000);
    out.bulk_int(us % 1_000_000);
    Ok(())
}

fn info(ctx: &mut ExecCtx, _args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    let s = &ctx.server;
    let mut text = String::new();
    text.push_str("# Server\r\n");
    text.push_str(&format!("redis_version:{}\r\n", crate::REDIS_VERSION));
    text.push_str(&format!("process_id:{}\r\n", std::process::id()));
    text.push_str(&format!("run_id:{}\r\n", s.run_id));
    text.push_str(&format!("tcp_port:{}\r\n", s.config().port));
    text.push_str(&format!("uptime_in_seconds:{}\r\n", s.uptime_secs()));
    text.push_str("\r\n# Keyspace\r\n");
    for db in 0..s.keyspace.databases() {
        let n = s.keyspace.dbsize(db);
        if n > 0 {
            text.push_str(&format!("db{}:keys={},expires={},avg_ttl=0\r\n", db, n, s.keyspace.volatile_count(db)));
        }
    }
    out.verbatim("txt", text.as_bytes());
    Ok(())
}
