//! EVAL, EVALSHA, EVAL_RO, EVALSHA_RO and SCRIPT LOAD|EXISTS|FLUSH|KILL|DEBUG|HELP
//! (Redis 7.0's `eval.c` command side). The engine is in `crate::scripting`.

use std::sync::atomic::Ordering;

use bytes::Bytes;
use rhodium_protocol::number::parse_i64;
use rhodium_protocol::{ArgError, Args, ReplyWriter};

use super::client::write_help;
use super::spec::{acl, flags as f, keyflags as kf, BeginSearch, CommandSpec, FindKeys, Group, KeySpec};
use crate::dispatch::ExecCtx;
use crate::error::{CmdResult, CommandError};
use crate::scripting::host::with_section;
use crate::scripting::run::{self, Invocation};
use crate::scripting::shebang::sflags;

const RW_KEYS: &[KeySpec] = &[KeySpec {
    notes: "We cannot tell how the keys will be used so we assume the worst, RW and UPDATE",
    flags: kf::RW | kf::ACCESS | kf::UPDATE,
    begin: BeginSearch::Index(2),
    find: FindKeys::Keynum { keynumidx: 0, firstkey: 1, step: 1 },
}];
const RW_KEYS_NO_NOTES: &[KeySpec] = &[KeySpec { notes: "", ..RW_KEYS[0] }];
const RO_KEYS: &[KeySpec] = &[KeySpec {
    notes: "We cannot tell how the keys will be used so we assume the worst, RO and ACCESS",
    flags: kf::RO | kf::ACCESS,
    begin: BeginSearch::Index(2),
    find: FindKeys::Keynum { keynumidx: 0, firstkey: 1, step: 1 },
}];
const RO_KEYS_NO_NOTES: &[KeySpec] = &[KeySpec { notes: "", ..RO_KEYS[0] }];

/// The flags EVAL and FCALL share.
pub const RUN_FLAGS: u32 = f::NOSCRIPT | f::STALE | f::SKIP_MONITOR | f::NO_MANDATORY_KEYS | f::SELF_ATOMIC;

/// The key specs of EVAL / FCALL and their read-only forms (shared with `function.rs`).
pub const fn run_keys(ro: bool, notes: bool) -> &'static [KeySpec] {
    match (ro, notes) {
        (false, true) => RW_KEYS,
        (false, false) => RW_KEYS_NO_NOTES,
        (true, true) => RO_KEYS,
        (true, false) => RO_KEYS_NO_NOTES,
    }
}

pub fn specs() -> &'static [CommandSpec] {
    const S: CommandSpec = CommandSpec { group: Group::Scripting, acl: acl::SCRIPTING, ..CommandSpec::DEFAULT };
    const SUB: CommandSpec = CommandSpec { flags: f::NOSCRIPT, ..S };
    static SUBS: &[CommandSpec] = &[
        CommandSpec { name: "debug", since: "3.2.0", arity: 3, handler: Some(script_debug), ..SUB },
        CommandSpec { name: "exists", since: "2.6.0", arity: -3, tips: &["request_policy:all_shards", "response_policy:agg_logical_and"], handler: Some(script_exists), ..SUB },
        CommandSpec { name: "flush", since: "2.6.0", arity: -2, tips: &["request_policy:all_nodes", "response_policy:all_succeeded"], handler: Some(script_flush), ..SUB },
        CommandSpec { name: "help", since: "5.0.0", arity: 2, flags: f::LOADING | f::STALE, handler: Some(script_help), ..S },
        CommandSpec { name: "kill", since: "2.6.0", arity: 2, flags: f::NOSCRIPT | f::ALLOW_BUSY | f::NO_WORLD, tips: &["request_policy:all_shards", "response_policy:one_succeeded"], handler: Some(script_kill), ..S },
        CommandSpec { name: "load", since: "2.6.0", arity: 3, flags: f::NOSCRIPT | f::STALE, tips: &["request_policy:all_nodes", "response_policy:all_succeeded"], handler: Some(script_load), ..S },
    ];
    static SPECS: &[CommandSpec] = &[
        CommandSpec { name: "eval", since: "2.6.0", arity: -3, flags: RUN_FLAGS, key_specs: run_keys(false, true), handler: Some(eval), ..S },
        CommandSpec { name: "evalsha", since: "2.6.0", arity: -3, flags: RUN_FLAGS, key_specs: run_keys(false, false), handler: Some(evalsha), ..S },
        CommandSpec { name: "eval_ro", since: "7.0.0", arity: -3, flags: RUN_FLAGS | f::READONLY, key_specs: run_keys(true, true), handler: Some(eval_ro), ..S },
        CommandSpec { name: "evalsha_ro", since: "7.0.0", arity: -3, flags: RUN_FLAGS | f::READONLY, key_specs: run_keys(true, false), handler: Some(evalsha_ro), ..S },
        CommandSpec { name: "script", since: "2.6.0", arity: -2, acl: 0, subcommands: SUBS, ..S },
    ];
    SPECS
}

fn eval(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    eval_generic(ctx, args, out, false, false)
}

fn evalsha(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    eval_generic(ctx, args, out, true, false)
}

fn eval_ro(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    eval_generic(ctx, args, out, false, true)
}

fn evalsha_ro(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    eval_generic(ctx, args, out, true, true)
}

const NOSCRIPT: &str = "NOSCRIPT No matching script. Please use EVAL.";

/// Splits `<numkeys> key... arg...` at `argv[at]` (shared with FCALL).
pub fn split_keys(argv: &[Bytes], at: usize) -> Result<(&[Bytes], &[Bytes]), CommandError> {
    let n = parse_i64(&argv[at]).ok_or(ArgError::NotInteger)?;
    let rest = &argv[at + 1..];
    if n > rest.len() as i64 {
        return Err(CommandError::err("Number of keys can't be greater than number of args"));
    }
    if n < 0 {
        return Err(CommandError::err("Number of keys can't be negative"));
    }
    Ok(rest.split_at(n as usize))
}

/// Redis's `evalGenericCommand`.
fn eval_generic(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter, evalsha: bool, ro: bool) -> CmdResult {
    let argv = args.argv();
    let (keys, rest) = split_keys(argv, 2)?;
    let server = ctx.server;
    let scripting = &server.scripting;
    let db = ctx.client.db;
    let result = with_section(ctx, |host| scripting.with_eval(|eng| -> CmdResult {
        let sha = if evalsha {
            if argv[1].len() != 40 {
                return Err(CommandError::raw(NOSCRIPT));
            }
            String::from_utf8_lossy(&argv[1]).to_ascii_lowercase()
        } else {
            eng.load(&argv[1]).map_err(CommandError::Msg)?
        };
        let Some(script) = eng.scripts.get(&sha) else {
            return Err(CommandError::raw(NOSCRIPT));
        };
        let (func, flags) = (script.func.clone(), script.flags);
        if flags & sflags::EVAL_COMPAT_MODE == 0 && flags & sflags::NO_WRITES == 0 && ro {
            return Err(CommandError::err("Can not execute a script with write flag using *_ro command."));
        }
        let inv = Invocation { name: &sha, keys, args: rest, readonly: ro || flags & sflags::NO_WRITES != 0, as_function: false, db };
        scripting.run.start(true);
        run::run(server, &eng.lua, &func, &inv, host, &scripting.run, out);
        scripting.run.finish();
        Ok(())
    }));
    result.map_err(CommandError::Msg)?
}

fn script_load(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    let body = args.argv()[2].clone();
    let sha = ctx.server.scripting.with_eval(|eng| eng.load(&body)).map_err(CommandError::Msg)?.map_err(CommandError::Msg)?;
    out.bulk(sha.as_bytes());
    Ok(())
}

fn script_exists(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    let shas = &args.argv()[2..];
    let found: Vec<bool> = ctx
        .server
        .scripting
        .with_eval(|eng| shas.iter().map(|s| std::str::from_utf8(s).is_ok_and(|s| eng.scripts.contains_key(s))).collect())
        .map_err(CommandError::Msg)?;
    out.array(found.len());
    for f in found {
        out.integer(i64::from(f));
    }
    Ok(())
}

fn script_flush(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    let argv = args.argv();
    let ok = match argv.len() {
        2 => true,
        3 => argv[2].eq_ignore_ascii_case(b"sync") || argv[2].eq_ignore_ascii_case(b"async"),
        _ => false,
    };
    if !ok {
        return Err(CommandError::err("SCRIPT FLUSH only support SYNC|ASYNC option"));
    }
    let scripting = &ctx.server.scripting;
    let run = scripting.run.clone();
    scripting.with_eval(|eng| eng.flush(&run)).map_err(CommandError::Msg)?.map_err(|e| CommandError::err(e.to_string()))?;
    out.ok();
    Ok(())
}

/// SCRIPT KILL and FUNCTION KILL (Redis's `scriptKill`).
pub fn kill(ctx: &mut ExecCtx, out: &mut ReplyWriter, eval: bool) -> CmdResult {
    let run = &ctx.server.scripting.run;
    if !run.running.load(Ordering::Acquire) {
        return Err(CommandError::raw("NOTBUSY No scripts in execution right now."));
    }
    if run.wrote.load(Ordering::Acquire) {
        return Err(CommandError::raw("UNKILLABLE Sorry the script already executed write commands against the dataset. You can either wait the script termination or kill the server in a hard way using the SHUTDOWN NOSAVE command."));
    }
    let running_eval = run.eval_mode.load(Ordering::Acquire);
    if running_eval != eval {
        return Err(CommandError::raw(crate::scripting::busy_error(running_eval)));
    }
    run.kill.store(true, Ordering::Release);
    out.ok();
    Ok(())
}

fn script_kill(ctx: &mut ExecCtx, _args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    kill(ctx, out, true)
}

fn script_debug(_ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    let mode = &args.argv()[2];
    if mode.eq_ignore_ascii_case(b"no") {
        out.ok();
        return Ok(());
    }
    if mode.eq_ignore_ascii_case(b"yes") || mode.eq_ignore_ascii_case(b"sync") {
        // Rhodium has no Lua debugger (LDB).
        return Err(CommandError::err("SCRIPT DEBUG is not supported"));
    }
    Err(CommandError::err("Use SCRIPT DEBUG YES/SYNC/NO"))
}

fn script_help(_ctx: &mut ExecCtx, _args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    const LINES: &[&str] = &[
        "DEBUG (YES|SYNC|NO)",
        "    Set the debug mode for subsequent scripts executed.",
        "EXISTS <sha1> [<sha1> ...]",
        "    Return information about the existence of the scripts in the script cache.",
        "FLUSH [ASYNC|SYNC]",
        "    Flush the Lua scripts cache. Very dangerous on replicas.",
        "    When called without the optional mode argument, the behavior is determined by the",
        "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
        "    * ASYNC: Asynchronously flush the scripts cache.",
        "    * SYNC: Synchronously flush the scripts cache.",
        "KILL",
        "    Kill the currently executing Lua script.",
        "LOAD <script>",
        "    Load a script into the scripts cache without executing it.",
    ];
    write_help(out, "SCRIPT", LINES);
    Ok(())
}
