//! Server commands: SHUTDOWN, TIME, INFO (built in info.rs).

use rhodium_protocol::{Args, ReplyWriter};

use super::spec::{acl, flags as f, CommandSpec, Group};
use crate::dispatch::ExecCtx;
use crate::error::{CmdResult, CommandError};
use crate::state::ShutdownKind;

pub fn specs() -> &'static [CommandSpec] {
    const S: CommandSpec = CommandSpec { group: Group::Server, ..CommandSpec::DEFAULT };
    static SPECS: &[CommandSpec] = &[
        CommandSpec { name: "shutdown", arity: -1, flags: f::ADMIN | f::NOSCRIPT | f::LOADING | f::STALE | f::NO_MULTI | f::SENTINEL | f::ALLOW_BUSY | f::NO_WORLD, handler: Some(shutdown), ..S },
        CommandSpec { name: "time", since: "2.6.0", arity: 1, flags: f::LOADING | f::STALE | f::FAST, tips: &["nondeterministic_output"], handler: Some(time), ..S },
        CommandSpec {
            name: "info",
            arity: -1,
            flags: f::LOADING | f::STALE | f::SENTINEL,
            acl: acl::DANGEROUS,
            tips: &["nondeterministic_output", "request_policy:all_shards", "response_policy:special"],
            handler: Some(super::info::info),
            ..S
        },
    ];
    SPECS
}

/// SHUTDOWN [NOSAVE|SAVE] [NOW] [FORCE] [ABORT] (Redis 7.0 `shutdownCommand`). Without
/// replicas to wait for, a shutdown is never left in progress, so ABORT always fails.
fn shutdown(ctx: &mut ExecCtx, args: &mut Args, _out: &mut ReplyWriter) -> CmdResult {
    let (mut nosave, mut save, mut abort, mut other) = (false, false, false, false);
    for a in args.by_ref() {
        if a.eq_ignore_ascii_case(b"NOSAVE") {
            nosave = true;
        } else if a.eq_ignore_ascii_case(b"SAVE") {
            save = true;
        } else if a.eq_ignore_ascii_case(b"NOW") || a.eq_ignore_ascii_case(b"FORCE") {
            other = true;
        } else if a.eq_ignore_ascii_case(b"ABORT") {
            abort = true;
        } else {
            return Err(CommandError::Arg(rhodium_protocol::ArgError::Syntax));
        }
    }
    if (abort && (nosave || save || other)) || (nosave && save) {
        return Err(CommandError::Arg(rhodium_protocol::ArgError::Syntax));
    }
    if abort {
        return Err(CommandError::err("No shutdown in progress."));
    }
    let kind = if nosave {
        ShutdownKind::NoSave
    } else if save {
        ShutdownKind::Save
    } else {
        ShutdownKind::Default
    };
    crate::log_warning!("User requested shutdown...");
    // Save here rather than at exit so a failed save is reported and the server stays up,
    // as Redis's prepareForShutdown does.
    let cfg = ctx.server.config();
    let save = kind == ShutdownKind::Save || (kind == ShutdownKind::Default && crate::persistence::has_save_points(&cfg));
    drop(cfg);
    if save && !crate::persistence::save_for_shutdown(ctx.server) {
        return Err(CommandError::err("Errors trying to SHUTDOWN. Check logs."));
    }
    ctx.server.request_shutdown(if save { ShutdownKind::NoSave } else { kind });
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
