//! CLIENT and its subcommands: ID, SETNAME, GETNAME, LIST, INFO, KILL, PAUSE, UNPAUSE,
//! REPLY, NO-EVICT, HELP; TRACKING, CACHING, GETREDIR and TRACKINGINFO are in
//! `client_tracking.rs`.

use std::sync::atomic::Ordering;

use bytes::Bytes;
use rhodium_protocol::{ArgError, Args, ReplyWriter};

use super::spec::{acl, flags as f, CommandSpec, Group};
use crate::dispatch::ExecCtx;
use crate::error::{CmdResult, CommandError};
use crate::net::clients::{ClientHandle, Peer, ReplyMode};

pub fn specs() -> &'static [CommandSpec] {
    const SUB: CommandSpec = CommandSpec { group: Group::Connection, acl: acl::CONNECTION, flags: f::NOSCRIPT | f::LOADING | f::STALE, ..CommandSpec::DEFAULT };
    const ADM: CommandSpec = CommandSpec { flags: f::ADMIN | f::NOSCRIPT | f::LOADING | f::STALE, ..SUB };
    const ND: &[&str] = &["nondeterministic_output"];
    static SUBS: &[CommandSpec] = &[
        CommandSpec { name: "id", since: "5.0.0", arity: 2, handler: Some(id), ..SUB },
        CommandSpec { name: "setname", since: "2.6.9", arity: 3, handler: Some(setname), ..SUB },
        CommandSpec { name: "getname", since: "2.6.9", arity: 2, handler: Some(getname), ..SUB },
        CommandSpec { name: "list", since: "2.4.0", arity: -2, tips: ND, handler: Some(list), ..ADM },
        CommandSpec { name: "info", since: "6.2.0", arity: 2, tips: ND, handler: Some(info), ..SUB },
        CommandSpec { name: "kill", since: "2.4.0", arity: -3, handler: Some(kill), ..ADM },
        CommandSpec { name: "pause", since: "2.9.50", arity: -3, handler: Some(pause), ..ADM },
        CommandSpec { name: "unpause", since: "6.2.0", arity: 2, handler: Some(unpause), ..ADM },
        CommandSpec { name: "reply", since: "3.2.0", arity: 3, handler: Some(reply), ..SUB },
        CommandSpec { name: "no-evict", since: "7.0.0", arity: 3, handler: Some(no_evict), ..ADM },
        CommandSpec { name: "unblock", since: "5.0.0", arity: -3, handler: Some(super::blocking::client_unblock), ..ADM },
        CommandSpec { name: "tracking", since: "6.0.0", arity: -3, handler: Some(super::client_tracking::tracking), ..SUB },
        CommandSpec { name: "caching", since: "6.0.0", arity: 3, handler: Some(super::client_tracking::caching), ..SUB },
        CommandSpec { name: "getredir", since: "6.0.0", arity: 2, handler: Some(super::client_tracking::getredir), ..SUB },
        CommandSpec { name: "trackinginfo", since: "6.2.0", arity: 2, handler: Some(super::client_tracking::trackinginfo), ..SUB },
        CommandSpec { name: "help", since: "5.0.0", arity: 2, flags: f::LOADING | f::STALE, handler: Some(help), ..SUB },
    ];
    static SPECS: &[CommandSpec] = &[CommandSpec { name: "client", group: Group::Connection, since: "2.4.0", arity: -2, subcommands: SUBS, ..CommandSpec::DEFAULT }];
    SPECS
}

fn syntax() -> CommandError {
    CommandError::Arg(ArgError::Syntax)
}

fn id(ctx: &mut ExecCtx, _args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    out.integer(ctx.client.id() as i64);
    Ok(())
}

/// Validates and sets a client name (Redis's `clientSetNameOrReply`); an empty name
/// removes it. Shared with HELLO SETNAME.
pub fn set_name(handle: &ClientHandle, name: Bytes) -> CmdResult {
    if name.iter().any(|&c| !(b'!'..=b'~').contains(&c)) {
        return Err(CommandError::err("Client names cannot contain spaces, newlines or special characters."));
    }
    *handle.name.lock() = if name.is_empty() { None } else { Some(name) };
    Ok(())
}

fn setname(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    args.seek(2);
    set_name(&ctx.client.handle, args.next_arg()?)?;
    out.ok();
    Ok(())
}

fn getname(ctx: &mut ExecCtx, _args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    match ctx.client.handle.name.lock().as_ref() {
        Some(n) => out.bulk(n),
        None => out.null(),
    }
    Ok(())
}

/// Client types as CLIENT LIST/KILL TYPE name them (Redis's `getClientTypeByName`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ClientType {
    Normal,
    Replica,
    Master,
    Pubsub,
}

fn client_type(name: &[u8]) -> Result<ClientType, CommandError> {
    let t = match name.to_ascii_lowercase().as_slice() {
        b"normal" => ClientType::Normal,
        b"slave" | b"replica" => ClientType::Replica,
        b"master" => ClientType::Master,
        b"pubsub" => ClientType::Pubsub,
        _ => return Err(CommandError::err(format!("Unknown client type '{}'", String::from_utf8_lossy(name)))),
    };
    Ok(t)
}

/// The type of a connected client. Replication and pub/sub mark their clients on the
/// handle later; until then every client is normal.
fn type_of(c: &ClientHandle) -> ClientType {
    match c.repl_kind.load(Ordering::Relaxed) {
        crate::net::clients::REPL_KIND_REPLICA => return ClientType::Replica,
        crate::net::clients::REPL_KIND_MASTER => return ClientType::Master,
        _ => {}
    }
    if c.outbox.pubsub_mode.load(Ordering::Relaxed) {
        return ClientType::Pubsub;
    }
    ClientType::Normal
}

/// One CLIENT LIST line without the trailing newline (Redis 7.0's `catClientInfoString`:
/// same fields in the same order).
pub fn info_line(c: &ClientHandle, now_ms: i64) -> String {
    let name = c.name.lock().as_ref().map(|n| String::from_utf8_lossy(n).into_owned()).unwrap_or_default();
    let age = (now_ms - c.created_ms).max(0) / 1000;
    let idle = (now_ms - c.last_interaction_ms.load(Ordering::Relaxed)).max(0) / 1000;
    let mut flags = String::new();
    match c.repl_kind.load(Ordering::Relaxed) {
        crate::net::clients::REPL_KIND_REPLICA => flags.push('S'),
        crate::net::clients::REPL_KIND_MASTER => flags.push('M'),
        _ => {}
    }
    if c.outbox.pubsub_mode.load(Ordering::Relaxed) {
        flags.push('P');
    }
    let multi = c.multi.load(Ordering::Relaxed);
    if multi >= 0 {
        flags.push('x');
    }
    if c.blocked.load(Ordering::Relaxed) {
        flags.push('b');
    }
    let tracking = c.tracking.flags();
    if tracking & crate::tracking::flag::ON != 0 {
        flags.push('t');
    }
    if tracking & crate::tracking::flag::BROKEN_REDIR != 0 {
        flags.push('R');
    }
    if tracking & crate::tracking::flag::BCAST != 0 {
        flags.push('B');
    }
    if c.dirty_cas.load(Ordering::Relaxed) {
        flags.push('d');
    }
    if matches!(c.addr, Peer::Unix(_)) {
        flags.push('U');
    }
    if c.no_evict.load(Ordering::Relaxed) {
        flags.push('e');
    }
    if flags.is_empty() {
        flags.push('N');
    }
    let qbuf = c.qbuf.load(Ordering::Relaxed);
    let omem = c.omem.load(Ordering::Relaxed);
    let rbs: u64 = 16 * 1024;
    let qbuf_free = rbs.saturating_sub(qbuf);
    let tot_mem = rbs + qbuf + omem + 1024;
    format!(
        "id={} addr={} laddr={} fd={} name={} age={} idle={} flags={} db={} sub={} psub={} ssub={} multi={} qbuf={} qbuf-free={} argv-mem=0 multi-mem=0 rbs={} rbp={} obl=0 oll=0 omem={} tot-mem={} events=r cmd={} user=default redir={} resp={}",
        c.id,
        c.addr.display(),
        c.laddr.display(),
        c.fd,
        name,
        age,
        idle,
        flags,
        c.db.load(Ordering::Relaxed),
        c.outbox.subs.load(Ordering::Relaxed),
        c.outbox.psubs.load(Ordering::Relaxed),
        c.outbox.ssubs.load(Ordering::Relaxed),
        multi,
        qbuf,
        qbuf_free,
        rbs,
        rbs,
        omem,
        tot_mem,
        *c.last_cmd.lock(),
        c.tracking.redirect_shown(),
        c.resp.load(Ordering::Relaxed),
    )
}

fn list(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    let argc = args.argc();
    let now = rhodium_storage::clock::now_ms();
    let mut text = String::new();
    let a2 = args.argv().get(2).cloned().unwrap_or_default();
    if argc == 4 && a2.eq_ignore_ascii_case(b"type") {
        let t = client_type(&args.argv()[3])?;
        for c in ctx.server.clients.all().iter().filter(|c| type_of(c) == t) {
            text.push_str(&info_line(c, now));
            text.push('\n');
        }
    } else if argc > 3 && a2.eq_ignore_ascii_case(b"id") {
        let mut ids = Vec::with_capacity(argc - 3);
        for raw in &args.argv()[3..] {
            ids.push(rhodium_protocol::number::parse_i64(raw).ok_or_else(|| CommandError::err("Invalid client ID"))?);
        }
        for id in ids {
            if let Some(c) = u64::try_from(id).ok().and_then(|id| ctx.server.clients.get(id)) {
                text.push_str(&info_line(&c, now));
                text.push('\n');
            }
        }
    } else if argc != 2 {
        return Err(syntax());
    } else {
        for c in ctx.server.clients.all() {
            text.push_str(&info_line(&c, now));
            text.push('\n');
        }
    }
    out.verbatim("txt", text.as_bytes());
    Ok(())
}

fn info(ctx: &mut ExecCtx, _args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    let mut text = info_line(&ctx.client.handle, rhodium_storage::clock::now_ms());
    text.push('\n');
    out.verbatim("txt", text.as_bytes());
    Ok(())
}

/// CLIENT KILL's filters (Redis 7.0 `clientCommand` "kill").
#[derive(Default)]
struct KillFilter {
    addr: Option<Bytes>,
    laddr: Option<Bytes>,
    ctype: Option<ClientType>,
    id: Option<u64>,
    skipme: bool,
}

fn parse_kill(args: &[Bytes]) -> Result<KillFilter, CommandError> {
    let mut k = KillFilter { skipme: true, ..KillFilter::default() };
    let mut i = 2;
    while i < args.len() {
        let opt = &args[i];
        let Some(val) = args.get(i + 1) else {
            return Err(syntax());
        };
        match opt.to_ascii_lowercase().as_slice() {
            b"id" => {
                let n = rhodium_protocol::number::parse_i64(val).filter(|&n| n >= 1).ok_or_else(|| CommandError::err("client-id should be greater than 0"))?;
                k.id = Some(n as u64);
            }
            b"type" => k.ctype = Some(client_type(val)?),
            b"addr" => k.addr = Some(val.clone()),
            b"laddr" => k.laddr = Some(val.clone()),
            b"user" => {
                // Only the default user exists until ACL users do; it matches every client.
                if val.as_ref() != b"default" {
                    return Err(CommandError::err(format!("No such user '{}'", String::from_utf8_lossy(val))));
                }
            }
            b"skipme" => {
                k.skipme = if val.eq_ignore_ascii_case(b"yes") {
                    true
                } else if val.eq_ignore_ascii_case(b"no") {
                    false
                } else {
                    return Err(syntax());
                }
            }
            _ => return Err(syntax()),
        }
        i += 2;
    }
    Ok(k)
}

fn kill(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    let argv = args.argv();
    let old_form = argv.len() == 3;
    let filter = if old_form {
        // The old form may kill the caller itself.
        KillFilter { addr: Some(argv[2].clone()), skipme: false, ..KillFilter::default() }
    } else {
        parse_kill(argv)?
    };
    let me = ctx.client.id();
    let mut killed = 0i64;
    for c in ctx.server.clients.all() {
        if filter.addr.as_ref().is_some_and(|a| a.as_ref() != c.addr.display().as_bytes()) {
            continue;
        }
        if filter.laddr.as_ref().is_some_and(|a| a.as_ref() != c.laddr.display().as_bytes()) {
            continue;
        }
        if filter.ctype.is_some_and(|t| t != type_of(&c)) {
            continue;
        }
        if filter.id.is_some_and(|id| id != c.id) {
            continue;
        }
        if c.id == me && filter.skipme {
            continue;
        }
        if c.id == me {
            ctx.client.close_after_reply = true;
        } else {
            c.kill();
        }
        killed += 1;
    }
    if old_form {
        if killed == 0 {
            return Err(CommandError::err("No such client"));
        }
        out.ok();
    } else {
        out.integer(killed);
    }
    Ok(())
}

fn pause(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    let argv = args.argv();
    if argv.len() > 4 {
        let sub: String = String::from_utf8_lossy(&argv[1]).chars().take(128).collect();
        return Err(CommandError::err(format!("unknown subcommand or wrong number of arguments for '{sub}'. Try CLIENT HELP.")));
    }
    let mut all = true;
    if let Some(mode) = argv.get(3) {
        if mode.eq_ignore_ascii_case(b"write") {
            all = false;
        } else if !mode.eq_ignore_ascii_case(b"all") {
            return Err(CommandError::err("CLIENT PAUSE mode must be WRITE or ALL"));
        }
    }
    let ms = rhodium_protocol::number::parse_i64(&argv[2]).ok_or_else(|| CommandError::err("timeout is not an integer or out of range"))?;
    if ms < 0 {
        return Err(CommandError::err("timeout is negative"));
    }
    let now = rhodium_storage::clock::now_ms();
    let end = if ms > 0 { now.checked_add(ms).ok_or_else(|| CommandError::err("timeout is out of range"))? } else { 0 };
    ctx.server.pause_clients(end, all);
    out.ok();
    Ok(())
}

fn unpause(ctx: &mut ExecCtx, _args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    ctx.server.unpause_clients();
    out.ok();
    Ok(())
}

fn reply(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    let mode = &args.argv()[2];
    if mode.eq_ignore_ascii_case(b"on") {
        ctx.client.reply = ReplyMode::On;
        out.ok();
    } else if mode.eq_ignore_ascii_case(b"off") {
        ctx.client.reply = ReplyMode::Off;
    } else if mode.eq_ignore_ascii_case(b"skip") {
        if ctx.client.reply != ReplyMode::Off {
            ctx.client.reply = ReplyMode::SkipNext;
        }
    } else {
        return Err(syntax());
    }
    Ok(())
}

fn no_evict(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    let v = &args.argv()[2];
    let on = if v.eq_ignore_ascii_case(b"on") {
        true
    } else if v.eq_ignore_ascii_case(b"off") {
        false
    } else {
        return Err(syntax());
    };
    ctx.client.handle.no_evict.store(on, Ordering::Relaxed);
    out.ok();
    Ok(())
}

/// Writes a HELP reply in Redis's format (`addReplyHelp`): a header line, the given
/// lines, and the HELP entry, as status strings.
pub fn write_help(out: &mut ReplyWriter, command: &str, lines: &[&str]) {
    out.array(lines.len() + 3);
    out.simple(&format!("{command} <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"));
    for l in lines {
        out.simple(l);
    }
    out.simple("HELP");
    out.simple("    Prints this help.");
}

const HELP: &[&str] = &[
    "CACHING (YES|NO)",
    "    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes.",
    "GETREDIR",
    "    Return the client ID we are redirecting to when tracking is enabled.",
    "GETNAME",
    "    Return the name of the current connection.",
    "ID",
    "    Return the ID of the current connection.",
    "INFO",
    "    Return information about the current client connection.",
    "KILL <ip:port>",
    "    Kill connection made from <ip:port>.",
    "KILL <option> <value> [<option> <value> [...]]",
    "    Kill connections. Options are:",
    "    * ADDR (<ip:port>|<unixsocket>:0)",
    "      Kill connections made from the specified address",
    "    * LADDR (<ip:port>|<unixsocket>:0)",
    "      Kill connections made to specified local address",
    "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
    "      Kill connections by type.",
    "    * USER <username>",
    "      Kill connections authenticated by <username>.",
    "    * SKIPME (YES|NO)",
    "      Skip killing current connection (default: yes).",
    "LIST [options ...]",
    "    Return information about client connections. Options:",
    "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
    "      Return clients of specified type.",
    "UNPAUSE",
    "    Stop the current client pause, resuming traffic.",
    "PAUSE <timeout> [WRITE|ALL]",
    "    Suspend all, or just write, clients for <timeout> milliseconds.",
    "REPLY (ON|OFF|SKIP)",
    "    Control the replies sent to the current connection.",
    "SETNAME <name>",
    "    Assign the name <name> to the current connection.",
    "UNBLOCK <clientid> [TIMEOUT|ERROR]",
    "    Unblock the specified blocked client.",
    "TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]",
    "         [OPTIN] [OPTOUT] [NOLOOP]",
    "    Control server assisted client side caching.",
    "TRACKINGINFO",
    "    Report tracking status for the current connection.",
    "NO-EVICT (ON|OFF)",
    "    Protect current client connection from eviction.",
];

fn help(_ctx: &mut ExecCtx, _args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    write_help(out, "CLIENT", HELP);
    Ok(())
}
