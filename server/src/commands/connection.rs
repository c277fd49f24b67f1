//! Connection commands: PING, ECHO, QUIT, RESET, SELECT, AUTH, HELLO.

use rhodium_protocol::{Args, ReplyWriter, Resp};

use super::spec::{acl, flags as f, CommandSpec, Group};
use crate::dispatch::ExecCtx;
use crate::error::{CmdResult, CommandError};

pub fn specs() -> &'static [CommandSpec] {
    const C: CommandSpec = CommandSpec { group: Group::Connection, acl: acl::CONNECTION, ..CommandSpec::DEFAULT };
    static SPECS: &[CommandSpec] = &[
        CommandSpec {
            name: "reset",
            since: "6.2.0",
            arity: 1,
            flags: f::NOSCRIPT | f::LOADING | f::STALE | f::FAST | f::NO_AUTH | f::ALLOW_BUSY,
            handler: Some(reset),
            ..C
        },
        CommandSpec { name: "ping", arity: -1, flags: f::FAST | f::SENTINEL, tips: &["request_policy:all_shards", "response_policy:all_succeeded"], handler: Some(ping), ..C },
        CommandSpec { name: "echo", arity: 2, flags: f::LOADING | f::STALE | f::FAST, handler: Some(echo), ..C },
        CommandSpec { name: "quit", arity: -1, flags: f::ALLOW_BUSY | f::NOSCRIPT | f::LOADING | f::STALE | f::FAST | f::NO_AUTH, handler: Some(quit), ..C },
        CommandSpec { name: "select", arity: 2, flags: f::LOADING | f::STALE | f::FAST, handler: Some(select), ..C },
        CommandSpec {
            name: "auth",
            arity: -2,
            flags: f::NOSCRIPT | f::LOADING | f::STALE | f::FAST | f::NO_AUTH | f::SENTINEL | f::ALLOW_BUSY,
            handler: Some(auth),
            ..C
        },
        CommandSpec {
            name: "hello",
            since: "6.0.0",
            arity: -1,
            flags: f::NOSCRIPT | f::LOADING | f::STALE | f::FAST | f::NO_AUTH | f::SENTINEL | f::ALLOW_BUSY,
            handler: Some(hello),
            ..C
        },
    ];
    SPECS
}

fn ping(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    if args.argc() > 2 {
        return Err(CommandError::WrongArity("ping".into()));
    }
    if ctx.client.in_pubsub && ctx.client.resp == Resp::V2 {
        // Redis answers a subscribed RESP2 client in the shape of a message.
        out.array(2);
        out.bulk(b"pong");
        out.bulk(&args.next().unwrap_or_default());
        return Ok(());
    }
    match args.next() {
        Some(msg) => out.bulk(&msg),
        None => out.simple("PONG"),
    }
    Ok(())
}

fn echo(_ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    out.bulk(&args.next_arg()?);
    Ok(())
}

fn quit(ctx: &mut ExecCtx, _args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    ctx.client.close_after_reply = true;
    out.ok();
    Ok(())
}

/// RESET: back to a fresh connection's state (Redis's `clearClientConnectionState`):
/// db 0, RESP2, default authentication, no name, replies on.
fn reset(ctx: &mut ExecCtx, _args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    crate::commands::tx::discard_transaction(ctx.server, ctx.client);
    ctx.server.pubsub.unsubscribe_all(ctx.client);
    ctx.server.tracking.disable(ctx.server, &ctx.client.handle);
    ctx.client.select(0);
    ctx.client.resp = Resp::V2;
    ctx.client.handle.resp.store(2, std::sync::atomic::Ordering::Relaxed);
    ctx.client.authenticated = ctx.server.config().requirepass.is_none();
    *ctx.client.handle.name.lock() = None;
    ctx.client.reply = crate::net::clients::ReplyMode::On;
    ctx.client.handle.no_evict.store(false, std::sync::atomic::Ordering::Relaxed);
    out.set_resp(Resp::V2);
    out.simple("RESET");
    Ok(())
}

fn select(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    let raw = args.next_arg()?;
    let db = rhodium_protocol::number::parse_i64(&raw).ok_or_else(|| CommandError::err("value is not an integer or out of range"))?;
    if db < 0 || db as usize >= ctx.server.keyspace.databases() {
        return Err(CommandError::err("DB index is out of range"));
    }
    ctx.client.select(db as usize);
    out.ok();
    Ok(())
}

/// Checks a password against `requirepass` in constant time.
fn password_ok(ctx: &ExecCtx, user: Option<&[u8]>, pass: &[u8]) -> bool {
    let cfg = ctx.server.config();
    if let Some(u) = user {
        if u != b"default" {
            return false;
        }
    }
    match &cfg.requirepass {
        None => true,
        Some(p) => p.len() == pass.len() && p.iter().zip(pass).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0,
    }
}

fn auth(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    if args.argc() > 3 {
        return Err(CommandError::Arg(rhodium_protocol::ArgError::Syntax));
    }
    let (user, pass) = if args.argc() == 3 {
        (Some(args.next_arg()?), args.next_arg()?)
    } else {
        (None, args.next_arg()?)
    };
    if user.is_none() && ctx.server.config().requirepass.is_none() {
        return Err(CommandError::err(
            "AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?",
        ));
    }
    if password_ok(ctx, user.as_deref(), &pass) {
        ctx.client.authenticated = true;
        out.ok();
        Ok(())
    } else {
        Err(CommandError::raw("WRONGPASS invalid username-password pair or user is disabled."))
    }
}

fn hello(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    let mut ver = None;
    if let Some(v) = args.next() {
        let n = rhodium_protocol::number::parse_i64(&v);
        match n {
            Some(2) => ver = Some(Resp::V2),
            Some(3) => ver = Some(Resp::V3),
            Some(_) => return Err(CommandError::raw("NOPROTO unsupported protocol version")),
            None => return Err(CommandError::err("Protocol version is not an integer or out of range")),
        }
    }
    let mut setname = None;
    let mut credentials = None;
    while let Some(opt) = args.next() {
        let more = args.remaining();
        if opt.eq_ignore_ascii_case(b"AUTH") && more >= 2 {
            credentials = Some((args.next_arg()?, args.next_arg()?));
        } else if opt.eq_ignore_ascii_case(b"SETNAME") && more >= 1 {
            setname = Some(args.next_arg()?);
        } else {
            return Err(CommandError::err(format!("Syntax error in HELLO option '{}'", String::from_utf8_lossy(&opt))));
        }
    }
    if let Some((user, pass)) = credentials {
        if !password_ok(ctx, Some(&user), &pass) {
            return Err(CommandError::raw("WRONGPASS invalid username-password pair or user is disabled."));
        }
        ctx.client.authenticated = true;
    }
    if !ctx.client.authenticated {
        return Err(CommandError::raw("NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time"));
    }
    if let Some(name) = setname {
        super::client::set_name(&ctx.client.handle, name)?;
    }
    if let Some(v) = ver {
        ctx.client.resp = v;
        out.set_resp(v);
        ctx.client.handle.resp.store(if v == Resp::V3 { 3 } else { 2 }, std::sync::atomic::Ordering::Relaxed);
    }
    out.map(7);
    out.bulk(b"server");
    out.bulk(b"redis");
    out.bulk(b"version");
    out.bulk(crate::REDIS_VERSION.as_bytes());
    out.bulk(b"proto");
    out.integer(if ctx.client.resp == Resp::V3 { 3 } else { 2 });
    out.bulk(b"id");
    out.integer(ctx.client.id() as i64);
    out.bulk(b"mode");
    out.bulk(b"standalone");
    out.bulk(b"role");
    out.bulk(b"master");
    out.bulk(b"modules");
    out.array(0);
    Ok(())
}
