//! Persistence commands: SAVE, BGSAVE, LASTSAVE, and DEBUG RELOAD's work (Redis's `rdb.c`
//! `saveCommand`, `lastsaveCommand`, debug.c `reload`). The file handling is in
//! `crate::persistence`.

use std::sync::atomic::Ordering;

use bytes::Bytes;
use rhodium_protocol::{Args, ReplyWriter};

use super::spec::{acl, flags as f, CommandSpec, Group};
use crate::dispatch::ExecCtx;
use crate::error::{CmdResult, CommandError};
use crate::persistence;

pub fn specs() -> &'static [CommandSpec] {
    const S: CommandSpec = CommandSpec { group: Group::Server, ..CommandSpec::DEFAULT };
    static SPECS: &[CommandSpec] = &[
        CommandSpec { name: "save", arity: 1, flags: f::ADMIN | f::NOSCRIPT | f::NO_ASYNC_LOADING | f::NO_MULTI, handler: Some(save), ..S },
        CommandSpec { name: "bgsave", arity: -1, flags: f::ADMIN | f::NOSCRIPT | f::NO_ASYNC_LOADING, handler: Some(bgsave), ..S },
        CommandSpec { name: "bgrewriteaof", arity: 1, flags: f::ADMIN | f::NOSCRIPT | f::NO_ASYNC_LOADING, handler: Some(bgrewriteaof), ..S },
        CommandSpec { name: "lastsave", arity: 1, flags: f::LOADING | f::STALE | f::FAST, acl: acl::ADMIN | acl::DANGEROUS, tips: &["nondeterministic_output"], handler: Some(lastsave), ..S },
    ];
    SPECS
}

/// SAVE: writes the dataset synchronously; `-ERR` when the save failed (the reason is in
/// the log, as in Redis).
fn save(ctx: &mut ExecCtx, _args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    if ctx.server.persistence.bgsave_in_progress.load(Ordering::Acquire) {
        return Err(CommandError::err("Background save already in progress"));
    }
    match persistence::save(ctx.server) {
        Ok(()) => {
            out.ok();
            Ok(())
        }
        Err(_) => Err(CommandError::raw("ERR")),
    }
}

/// BGSAVE [SCHEDULE]: a forkless point-in-time save in the background.
fn bgsave(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    let argv = args.argv();
    if argv.len() > 2 || (argv.len() == 2 && !argv[1].eq_ignore_ascii_case(b"SCHEDULE")) {
        return Err(CommandError::Arg(rhodium_protocol::ArgError::Syntax));
    }
    match persistence::bgsave(ctx.server) {
        Ok(()) => {
            out.simple("Background saving started");
            Ok(())
        }
        Err(e) => Err(CommandError::err(e)),
    }
}

/// BGREWRITEAOF: a forkless AOF rewrite in the background (scheduled after a running
/// BGSAVE, as Redis does).
fn bgrewriteaof(ctx: &mut ExecCtx, _args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    match crate::aof::bgrewriteaof(ctx.server) {
        Ok(crate::aof::BgRewrite::Started) => out.simple("Background append only file rewriting started"),
        Ok(crate::aof::BgRewrite::Scheduled) => out.simple("Background append only file rewriting scheduled"),
        Err(e) => return Err(CommandError::err(e)),
    }
    Ok(())
}

fn lastsave(ctx: &mut ExecCtx, _args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    out.integer(ctx.server.lastsave_secs.load(Ordering::Relaxed));
    Ok(())
}

/// DEBUG RELOAD [MERGE] [NOFLUSH] [NOSAVE]: save (unless NOSAVE), empty the keyspace
/// (unless NOFLUSH), load the file back (MERGE lets its keys replace existing ones).
pub fn debug_reload(ctx: &mut ExecCtx, opts: &[Bytes], out: &mut ReplyWriter) -> CmdResult {
    let (mut merge, mut noflush, mut nosave) = (false, false, false);
    for o in opts {
        if o.eq_ignore_ascii_case(b"MERGE") {
            merge = true;
        } else if o.eq_ignore_ascii_case(b"NOFLUSH") {
            noflush = true;
        } else if o.eq_ignore_ascii_case(b"NOSAVE") {
            nosave = true;
        } else {
            return Err(CommandError::err("DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options."));
        }
    }
    if !nosave && persistence::save(ctx.server).is_err() {
        return Err(CommandError::raw("ERR"));
    }
    if !noflush {
        ctx.server.keyspace.flush_all_then(|_| ());
        crate::scripting::flush_libraries(ctx.server);
        ctx.server.tracking.flushed(ctx.server);
    }
    match persistence::load(ctx.server, merge) {
        Ok(None) => Err(CommandError::err("Error trying to load the RDB dump")),
        Ok(Some(_)) => {
            crate::log_notice!("DB reloaded by DEBUG RELOAD");
            out.ok();
            Ok(())
        }
        Err(e) => {
            crate::log_warning!("Error loading the RDB for DEBUG RELOAD: {}", e);
            Err(CommandError::err("Error trying to load the RDB dump"))
        }
    }
}
