//! FUNCTION LOAD|DELETE|LIST|DUMP|RESTORE|FLUSH|STATS|KILL|HELP and FCALL, FCALL_RO
//! (Redis 7.0's `functions.c` command side). Libraries live in `crate::scripting::functions`.

use std::sync::atomic::Ordering;

use rhodium_protocol::number::parse_i64;
use rhodium_protocol::{Args, ReplyWriter};

use super::client::write_help;
use super::scripting::{kill, run_keys, split_keys, RUN_FLAGS};
use super::spec::{acl, flags as f, CommandSpec, Group};
use crate::dispatch::ExecCtx;
use crate::error::{CmdResult, CommandError};
use crate::scripting::host::with_section;
use crate::scripting::run::{self, Invocation};
use crate::scripting::shebang::sflags;

const ALL_SHARDS: &[&str] = &["request_policy:all_shards", "response_policy:all_succeeded"];

pub fn specs() -> &'static [CommandSpec] {
    const S: CommandSpec = CommandSpec { group: Group::Scripting, acl: acl::SCRIPTING, since: "7.0.0", ..CommandSpec::DEFAULT };
    static SUBS: &[CommandSpec] = &[
        CommandSpec { name: "load", arity: -3, flags: f::WRITE | f::DENYOOM | f::NOSCRIPT, tips: ALL_SHARDS, handler: Some(load), ..S },
        CommandSpec { name: "delete", arity: 3, flags: f::WRITE | f::NOSCRIPT, tips: ALL_SHARDS, handler: Some(delete), ..S },
        CommandSpec { name: "flush", arity: -2, flags: f::WRITE | f::NOSCRIPT, tips: ALL_SHARDS, handler: Some(flush), ..S },
        CommandSpec { name: "kill", arity: 2, flags: f::NOSCRIPT | f::ALLOW_BUSY | f::NO_WORLD, tips: &["request_policy:all_shards", "response_policy:one_succeeded"], handler: Some(function_kill), ..S },
        CommandSpec { name: "restore", arity: -3, flags: f::WRITE | f::DENYOOM | f::NOSCRIPT, tips: ALL_SHARDS, handler: Some(restore), ..S },
        CommandSpec { name: "help", arity: 2, flags: f::LOADING | f::STALE, handler: Some(help), ..S },
        CommandSpec { name: "list", arity: -2, flags: f::NOSCRIPT, tips: &["nondeterministic_output_order"], handler: Some(list), ..S },
        CommandSpec { name: "dump", arity: 2, flags: f::NOSCRIPT, handler: Some(dump), ..S },
        CommandSpec {
            name: "stats",
            arity: 2,
            flags: f::NOSCRIPT | f::ALLOW_BUSY | f::NO_WORLD,
            tips: &["nondeterministic_output", "request_policy:all_shards", "response_policy:special"],
            handler: Some(stats),
            ..S
        },
    ];
    static SPECS: &[CommandSpec] = &[
        CommandSpec { name: "function", arity: -2, acl: 0, subcommands: SUBS, ..S },
        CommandSpec { name: "fcall", arity: -3, flags: RUN_FLAGS, key_specs: run_keys(false, true), handler: Some(fcall), ..S },
        CommandSpec { name: "fcall_ro", arity: -3, flags: RUN_FLAGS | f::READONLY, key_specs: run_keys(true, true), handler: Some(fcall_ro), ..S },
    ];
    SPECS
}

fn fcall(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    fcall_generic(ctx, args, out, false)
}

fn fcall_ro(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    fcall_generic(ctx, args, out, true)
}

/// Redis's `fcallCommandGeneric`.
fn fcall_generic(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter, ro: bool) -> CmdResult {
    let argv = args.argv();
    let server = ctx.server;
    let db = ctx.client.db;
    // The functions lock is taken inside the section: FUNCTION LOAD takes it holding
    // the world shared, so the other order could deadlock.
    with_section(ctx, |host| {
        let scripting = &server.scripting;
        let mut fx = scripting.functions.lock();
        let name = String::from_utf8_lossy(&argv[1]).into_owned();
        let Some((func, flags)) = fx.get(&name) else {
            return Err(CommandError::err("Function not found"));
        };
        if parse_i64(&argv[2]).is_none() {
            return Err(CommandError::err("Bad number of keys provided"));
        }
        let (keys, rest) = split_keys(argv, 2)?;
        if flags & sflags::NO_WRITES == 0 && ro {
            return Err(CommandError::err("Can not execute a script with write flag using *_ro command."));
        }
        let lua = fx.lua().map_err(CommandError::err)?;
        let inv = Invocation { name: &name, keys, args: rest, readonly: ro || flags & sflags::NO_WRITES != 0, as_function: true, db };
        *scripting.run.current.lock() = Some((name.clone(), argv.to_vec()));
        scripting.run.start(false);
        run::run(server, lua, &func, &inv, host, &scripting.run, out);
        scripting.run.finish();
        *scripting.run.current.lock() = None;
        Ok(())
    })
}

fn load(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    let argv = args.argv();
    let (replace, code) = match argv.len() {
        3 => (false, &argv[2]),
        4 if argv[2].eq_ignore_ascii_case(b"replace") => (true, &argv[3]),
        4 => return Err(CommandError::err(format!("Unknown option given: {}", String::from_utf8_lossy(&argv[2])))),
        _ => return Err(CommandError::err("Wrong number of arguments")),
    };
    let name = ctx.server.scripting.functions.lock().load(code, replace).map_err(CommandError::err)?;
    ctx.mark_dirty(1);
    out.bulk(name.as_bytes());
    Ok(())
}

fn delete(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    let name = String::from_utf8_lossy(&args.argv()[2]).into_owned();
    if !ctx.server.scripting.functions.lock().remove(&name) {
        return Err(CommandError::err("Library not found"));
    }
    ctx.mark_dirty(1);
    out.ok();
    Ok(())
}

fn flush(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    let argv = args.argv();
    let ok = match argv.len() {
        2 => true,
        3 => argv[2].eq_ignore_ascii_case(b"sync") || argv[2].eq_ignore_ascii_case(b"async"),
        _ => false,
    };
    if !ok {
        return Err(CommandError::err("FUNCTION FLUSH only supports SYNC|ASYNC option"));
    }
    ctx.server.scripting.functions.lock().flush();
    ctx.mark_dirty(1);
    out.ok();
    Ok(())
}

fn function_kill(ctx: &mut ExecCtx, _args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    kill(ctx, out, false)
}

fn list(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    let argv = args.argv();
    let (mut withcode, mut pattern) = (false, None);
    let mut i = 2;
    while i < argv.len() {
        let a = &argv[i];
        if a.eq_ignore_ascii_case(b"withcode") && !withcode {
            withcode = true;
        } else if a.eq_ignore_ascii_case(b"libraryname") && pattern.is_none() {
            i += 1;
            match argv.get(i) {
                Some(p) => pattern = Some(p.clone()),
                None => return Err(CommandError::err("library name argument was not given")),
            }
        } else {
            return Err(CommandError::err(format!("Unknown argument {}", String::from_utf8_lossy(a))));
        }
        i += 1;
    }
    let fx = ctx.server.scripting.functions.lock();
    let libs: Vec<_> = fx.libraries.values().filter(|l| pattern.as_ref().is_none_or(|p| rhodium_storage::glob::glob_match(p, l.name.as_bytes(), false))).collect();
    out.array(libs.len());
    for lib in libs {
        out.map(if withcode { 4 } else { 3 });
        out.bulk(b"library_name");
        out.bulk(lib.name.as_bytes());
        out.bulk(b"engine");
        out.bulk(b"LUA");
        out.bulk(b"functions");
        out.array(lib.functions.len());
        for func in lib.functions.values() {
            out.map(3);
            out.bulk(b"name");
            out.bulk(func.name.as_bytes());
            out.bulk(b"description");
            match &func.description {
                Some(d) => out.bulk(d),
                None => out.null(),
            }
            out.bulk(b"flags");
            let names: Vec<&str> = sflags::NAMES.iter().filter(|(fl, _)| func.flags & fl != 0).map(|(_, n)| *n).collect();
            out.set(names.len());
            for n in names {
                out.simple(n);
            }
        }
        if withcode {
            out.bulk(b"library_code");
            out.bulk(&lib.code);
        }
    }
    Ok(())
}

fn dump(ctx: &mut ExecCtx, _args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    let payload = ctx.server.scripting.functions.lock().dump();
    out.bulk(&payload);
    Ok(())
}

fn restore(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    let argv = args.argv();
    let policy = match argv.get(3) {
        None => "APPEND",
        Some(p) if argv.len() == 4 && p.eq_ignore_ascii_case(b"flush") => "FLUSH",
        Some(p) if argv.len() == 4 && p.eq_ignore_ascii_case(b"append") => "APPEND",
        Some(p) if argv.len() == 4 && p.eq_ignore_ascii_case(b"replace") => "REPLACE",
        Some(_) => return Err(CommandError::err("Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.")),
    };
    ctx.server.scripting.functions.lock().restore(&argv[2], policy).map_err(CommandError::err)?;
    ctx.mark_dirty(1);
    out.ok();
    Ok(())
}

fn stats(ctx: &mut ExecCtx, _args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    // Served without the functions lock: this runs beside a busy function.
    let run = &ctx.server.scripting.run;
    if run.running.load(Ordering::Acquire) && run.eval_mode.load(Ordering::Acquire) {
        return Err(CommandError::raw(crate::scripting::busy_error(true)));
    }
    out.map(2);
    out.bulk(b"running_script");
    let current = if run.running.load(Ordering::Acquire) { run.current.lock().clone() } else { None };
    match current {
        Some((name, argv)) => {
            out.map(3);
            out.bulk(b"name");
            out.bulk(name.as_bytes());
            out.bulk(b"command");
            out.array(argv.len());
            for a in &argv {
                out.bulk(a);
            }
            out.bulk(b"duration_ms");
            out.integer(rhodium_storage::clock::now_ms() - run.started_ms.load(Ordering::Acquire));
        }
        None => out.null(),
    }
    out.bulk(b"engines");
    out.map(1);
    out.bulk(b"LUA");
    out.map(2);
    out.bulk(b"libraries_count");
    out.integer(run.libraries.load(Ordering::Acquire) as i64);
    out.bulk(b"functions_count");
    out.integer(run.functions.load(Ordering::Acquire) as i64);
    Ok(())
}

fn help(_ctx: &mut ExecCtx, _args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    const LINES: &[&str] = &[
        "LOAD [REPLACE] <FUNCTION CODE>",
        "    Create a new library with the given library name and code.",
        "DELETE <LIBRARY NAME>",
        "    Delete the given library.",
        "LIST [LIBRARYNAME PATTERN] [WITHCODE]",
        "    Return general information on all the libraries:",
        "    * Library name",
        "    * The engine used to run the Library",
        "    * Library description",
        "    * Functions list",
        "    * Library code (if WITHCODE is given)",
        "    It also possible to get only function that matches a pattern using LIBRARYNAME argument.",
        "STATS",
        "    Return information about the current function running:",
        "    * Function name",
        "    * Command used to run the function",
        "    * Duration in MS that the function is running",
        "    If no function is running, return nil",
        "    In addition, returns a list of available engines.",
        "KILL",
        "    Kill the current running function.",
        "FLUSH [ASYNC|SYNC]",
        "    Delete all the libraries.",
        "    When called without the optional mode argument, the behavior is determined by the",
        "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
        "    * ASYNC: Asynchronously flush the libraries.",
        "    * SYNC: Synchronously flush the libraries.",
        "DUMP",
        "    Return a serialized payload representing the current libraries, can be restored using FUNCTION RESTORE command",
        "RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]",
        "    Restore the libraries represented by the given payload, it is possible to give a restore policy to",
        "    control how to handle existing libraries (default APPEND):",
        "    * FLUSH: delete all existing libraries.",
        "    * APPEND: appends the restored libraries to the existing libraries. On collision, abort.",
        "    * REPLACE: appends the restored libraries to the existing libraries, On collision, replace the old",
        "      libraries with the new libraries (notice that even on this option there is a chance of failure",
        "      in case of functions name collision with another library).",
    ];
    write_help(out, "FUNCTION", LINES);
    Ok(())
}
