//! COMMAND and its subcommands, served from the declared specs (Redis's `commandCommand`
//! family): INFO from [`super::spec`], DOCS from [`super::docs`], GETKEYS from
//! [`super::keys`].

use bytes::Bytes;
use rhodium_protocol::{Args, ReplyWriter};

use super::command_docs::{subcommands_of, write_docs};
use super::keys::{key_positions_with_flags, legacy_range};
use super::spec::{acl, flags as f, keyflags, BeginSearch, CommandSpec, FindKeys, Group};
use super::table::{CommandTable, Lookup, Resolved};
use crate::dispatch::ExecCtx;
use crate::error::{CmdResult, CommandError};

pub fn specs() -> &'static [CommandSpec] {
    const S: CommandSpec = CommandSpec { group: Group::Server, since: "2.8.13", arity: -2, flags: f::LOADING | f::STALE, acl: acl::CONNECTION, ..CommandSpec::DEFAULT };
    const NDO: &[&str] = &["nondeterministic_output_order"];
    static SUBS: &[CommandSpec] = &[
        CommandSpec { name: "count", arity: 2, handler: Some(count), ..S },
        CommandSpec { name: "docs", since: "7.0.0", tips: NDO, handler: Some(docs), ..S },
        CommandSpec { name: "getkeys", arity: -4, handler: Some(getkeys), ..S },
        CommandSpec { name: "getkeysandflags", since: "7.0.0", arity: -4, handler: Some(getkeysandflags), ..S },
        CommandSpec { name: "help", since: "5.0.0", arity: 2, handler: Some(help), ..S },
        CommandSpec { name: "info", tips: NDO, handler: Some(info), ..S },
        CommandSpec { name: "list", since: "7.0.0", tips: NDO, handler: Some(list), ..S },
    ];
    static SPECS: &[CommandSpec] = &[CommandSpec { name: "command", arity: -1, tips: NDO, subcommands: SUBS, handler: Some(all), ..S }];
    SPECS
}

/// `COMMAND`: every command in COMMAND INFO form.
fn all(ctx: &mut ExecCtx, _args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    let table = &ctx.server.table;
    let top: Vec<Resolved> = table.top_level().collect();
    out.array(top.len());
    for r in top {
        write_info(table, r, out);
    }
    Ok(())
}

fn count(ctx: &mut ExecCtx, _args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    out.integer(ctx.server.table.count() as i64);
    Ok(())
}

/// `COMMAND INFO [name ...]`: unknown names get a nil entry.
fn info(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    if args.argc() == 2 {
        return all(ctx, args, out);
    }
    let table = &ctx.server.table;
    let names = &args.argv()[2..];
    out.array(names.len());
    for name in names {
        match table.by_name(name) {
            Some(r) => write_info(table, r, out),
            None => out.null(),
        }
    }
    Ok(())
}

/// `COMMAND DOCS [name ...]`: unknown names are left out.
fn docs(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    let table = &ctx.server.table;
    let found: Vec<Resolved> = if args.argc() == 2 {
        table.top_level().collect()
    } else {
        args.argv()[2..].iter().filter_map(|n| table.by_name(n)).collect()
    };
    out.map(found.len());
    for r in found {
        out.bulk(r.fullname.as_bytes());
        write_docs(table, r, out);
    }
    Ok(())
}

/// `COMMAND LIST [FILTERBY MODULE m|ACLCAT c|PATTERN p]`: full names, subcommands included.
fn list(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    let argv = args.argv();
    let table = &ctx.server.table;
    let keep: Box<dyn Fn(&Resolved) -> bool> = match argv.len() {
        2 => Box::new(|_| true),
        5 if argv[2].eq_ignore_ascii_case(b"FILTERBY") => {
            let what = &argv[3];
            let arg = argv[4].clone();
            if what.eq_ignore_ascii_case(b"MODULE") {
                Box::new(|_| false)
            } else if what.eq_ignore_ascii_case(b"ACLCAT") {
                let cat = acl::NAMES.iter().find(|(_, n)| n.as_bytes().eq_ignore_ascii_case(&arg)).map(|(c, _)| *c);
                Box::new(move |r: &Resolved| cat.is_some_and(|c| r.spec.acl_categories() & c != 0))
            } else if what.eq_ignore_ascii_case(b"PATTERN") {
                Box::new(move |r: &Resolved| rhodium_storage::glob::glob_match(&arg, r.fullname.as_bytes(), true))
            } else {
                return Err(CommandError::Arg(rhodium_protocol::ArgError::Syntax));
            }
        }
        _ => return Err(CommandError::Arg(rhodium_protocol::ArgError::Syntax)),
    };
    let names: Vec<&str> = table.all.iter().filter(|r| keep(r)).map(|r| r.fullname).collect();
    out.array(names.len());
    for n in names {
        out.bulk(n.as_bytes());
    }
    Ok(())
}

fn getkeys(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    getkeys_impl(&ctx.server.table, args.argv(), false, out)
}

fn getkeysandflags(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    getkeys_impl(&ctx.server.table, args.argv(), true, out)
}

/// Redis's `getKeysSubcommandImpl`: resolve the embedded command, check it has keys and a
/// valid argument count, then report its keys (and their flags).
fn getkeys_impl(table: &CommandTable, argv: &[Bytes], with_flags: bool, out: &mut ReplyWriter) -> CmdResult {
    let inner = &argv[2..];
    let r = match table.lookup(inner) {
        Lookup::Found(r) => r,
        _ => return Err(CommandError::err("Invalid command specified")),
    };
    let spec = r.spec;
    if spec.key_specs.is_empty() && spec.getkeys.is_none() {
        return Err(CommandError::err("The command has no key arguments"));
    }
    if !spec.arity_ok(inner.len()) {
        return Err(CommandError::err("Invalid number of arguments specified for command"));
    }
    let keys = key_positions_with_flags(spec, inner);
    if keys.is_empty() {
        if spec.has(f::NO_MANDATORY_KEYS) {
            out.array(0);
            return Ok(());
        }
        return Err(CommandError::err("Invalid arguments specified for command"));
    }
    out.array(keys.len());
    for (pos, kflags) in keys {
        if with_flags {
            out.array(2);
            out.bulk(&inner[pos]);
            write_flag_set(keyflags::NAMES, kflags, out);
        } else {
            out.bulk(&inner[pos]);
        }
    }
    Ok(())
}

const HELP: &[&str] = &[
    "COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "(no subcommand)",
    "    Return details about all Redis commands.",
    "COUNT",
    "    Return the total number of commands in this Redis server.",
    "LIST",
    "    Return a list of all commands in this Redis server.",
    "INFO [<command-name> ...]",
    "    Return details about multiple Redis commands.",
    "    If no command names are given, documentation details for all",
    "    commands are returned.",
    "DOCS [<command-name> ...]",
    "    Return documentation details about multiple Redis commands.",
    "    If no command names are given, documentation details for all",
    "    commands are returned.",
    "GETKEYS <full-command>",
    "    Return the keys from a full Redis command.",
    "GETKEYSANDFLAGS <full-command>",
    "    Return the keys and the access flags from a full Redis command.",
    "HELP",
    "    Prints this help.",
];

fn help(_ctx: &mut ExecCtx, _args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    out.array(HELP.len());
    for line in HELP {
        out.simple(line);
    }
    Ok(())
}

/// Writes the set of names of the bits of `bits` (status strings, Redis's reply-flags form).
fn write_flag_set(names: &[(u32, &str)], bits: u32, out: &mut ReplyWriter) {
    let present: Vec<&str> = names.iter().filter(|(b, _)| bits & b != 0).map(|(_, n)| *n).collect();
    out.set(present.len());
    for n in present {
        out.simple(n);
    }
}

/// Writes one command's COMMAND INFO entry (Redis's `addReplyCommandInfo`).
pub fn write_info(table: &CommandTable, r: Resolved, out: &mut ReplyWriter) {
    let spec = r.spec;
    let legacy = legacy_range(spec);
    out.array(10);
    out.bulk(r.fullname.as_bytes());
    out.integer(i64::from(spec.arity));
    write_flag_set(f::NAMES, spec.flags | legacy.movable, out);
    out.integer(i64::from(legacy.first));
    out.integer(i64::from(legacy.last));
    out.integer(i64::from(legacy.step));
    let cats: Vec<String> = acl::NAMES.iter().filter(|(b, _)| spec.acl_categories() & b != 0).map(|(_, n)| format!("@{n}")).collect();
    out.set(cats.len());
    for c in &cats {
        out.simple(c);
    }
    out.set(spec.tips.len());
    for t in spec.tips {
        out.bulk(t.as_bytes());
    }
    out.set(spec.key_specs.len());
    for ks in spec.key_specs {
        out.map(3 + usize::from(!ks.notes.is_empty()));
        if !ks.notes.is_empty() {
            out.bulk(b"notes");
            out.bulk(ks.notes.as_bytes());
        }
        out.bulk(b"flags");
        write_flag_set(keyflags::NAMES, ks.flags, out);
        out.bulk(b"begin_search");
        out.map(2);
        out.bulk(b"type");
        match ks.begin {
            BeginSearch::Index(i) => {
                out.bulk(b"index");
                out.bulk(b"spec");
                out.map(1);
                out.bulk(b"index");
                out.integer(i64::from(i));
            }
            BeginSearch::Keyword { keyword, startfrom } => {
                out.bulk(b"keyword");
                out.bulk(b"spec");
                out.map(2);
                out.bulk(b"keyword");
                out.bulk(keyword.as_bytes());
                out.bulk(b"startfrom");
                out.integer(i64::from(startfrom));
            }
            BeginSearch::Unknown => {
                out.bulk(b"unknown");
                out.bulk(b"spec");
                out.map(0);
            }
        }
        out.bulk(b"find_keys");
        out.map(2);
        out.bulk(b"type");
        match ks.find {
            FindKeys::Range { lastkey, step, limit } => {
                out.bulk(b"range");
                out.bulk(b"spec");
                out.map(3);
                for (k, v) in [("lastkey", lastkey), ("keystep", step), ("limit", limit)] {
                    out.bulk(k.as_bytes());
                    out.integer(i64::from(v));
                }
            }
            FindKeys::Keynum { keynumidx, firstkey, step } => {
                out.bulk(b"keynum");
                out.bulk(b"spec");
                out.map(3);
                for (k, v) in [("keynumidx", keynumidx), ("firstkey", firstkey), ("keystep", step)] {
                    out.bulk(k.as_bytes());
                    out.integer(i64::from(v));
                }
            }
            FindKeys::Unknown => {
                out.bulk(b"unknown");
                out.bulk(b"spec");
                out.map(0);
            }
        }
    }
    let subs = subcommands_of(table, r);
    if subs.is_empty() {
        out.set(0);
    } else {
        out.array(subs.len());
        for s in subs {
            write_info(table, s, out);
        }
    }
}
