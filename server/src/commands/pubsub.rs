//! Pub/Sub commands (Redis's `pubsub.c` command half): SUBSCRIBE, UNSUBSCRIBE,
//! PSUBSCRIBE, PUNSUBSCRIBE, PUBLISH, SSUBSCRIBE, SUNSUBSCRIBE, SPUBLISH and the PUBSUB
//! introspection container. Delivery lives in `crate::pubsub`.

use rhodium_protocol::{Args, ReplyWriter};

use super::spec::{flags as f, keyflags as k, CommandSpec, Group, KeySpec};
use crate::dispatch::ExecCtx;
use crate::error::{CmdResult, CommandError};
use crate::pubsub::Kind;

pub fn specs() -> &'static [CommandSpec] {
    const P: CommandSpec = CommandSpec { group: Group::Pubsub, since: "2.0.0", ..CommandSpec::DEFAULT };
    const SUB: u32 = f::PUBSUB | f::NOSCRIPT | f::LOADING | f::STALE;
    const PUB: u32 = f::PUBSUB | f::LOADING | f::STALE | f::FAST;
    const INTRO: u32 = f::PUBSUB | f::LOADING | f::STALE;
    static SHARD_ALL: [KeySpec; 1] = [KeySpec::range(1, -1, 1, k::NOT_KEY)];
    static SHARD_ONE: [KeySpec; 1] = [KeySpec::single(1, k::NOT_KEY)];
    static SUBS: &[CommandSpec] = &[
        CommandSpec { name: "channels", since: "2.8.0", arity: -2, flags: INTRO, handler: Some(channels), ..P },
        CommandSpec { name: "numsub", since: "2.8.0", arity: -2, flags: INTRO, handler: Some(numsub), ..P },
        CommandSpec { name: "numpat", since: "2.8.0", arity: 2, flags: INTRO, handler: Some(numpat), ..P },
        CommandSpec { name: "shardchannels", since: "7.0.0", arity: -2, flags: INTRO, handler: Some(shardchannels), ..P },
        CommandSpec { name: "shardnumsub", since: "7.0.0", arity: -2, flags: INTRO, handler: Some(shardnumsub), ..P },
        CommandSpec { name: "help", since: "6.2.0", arity: 2, flags: f::LOADING | f::STALE, handler: Some(help), ..P },
    ];
    static SPECS: &[CommandSpec] = &[
        CommandSpec { name: "subscribe", arity: -2, flags: SUB, handler: Some(subscribe), ..P },
        CommandSpec { name: "unsubscribe", arity: -1, flags: SUB, handler: Some(unsubscribe), ..P },
        CommandSpec { name: "psubscribe", arity: -2, flags: SUB, handler: Some(psubscribe), ..P },
        CommandSpec { name: "punsubscribe", arity: -1, flags: SUB, handler: Some(punsubscribe), ..P },
        CommandSpec { name: "publish", arity: 3, flags: PUB, handler: Some(publish), ..P },
        CommandSpec { name: "ssubscribe", since: "7.0.0", arity: -2, flags: SUB, key_specs: &SHARD_ALL, handler: Some(ssubscribe), ..P },
        CommandSpec { name: "sunsubscribe", since: "7.0.0", arity: -1, flags: SUB, key_specs: &SHARD_ALL, handler: Some(sunsubscribe), ..P },
        CommandSpec { name: "spublish", since: "7.0.0", arity: 3, flags: PUB, key_specs: &SHARD_ONE, handler: Some(spublish), ..P },
        CommandSpec { name: "pubsub", since: "2.8.0", arity: -2, subcommands: SUBS, ..P },
    ];
    SPECS
}

/// Commands a RESP2 client in pub/sub mode may run (Redis's `processCommand` check).
pub fn allowed_in_subscribed_mode(fullname: &str) -> bool {
    matches!(fullname, "ping" | "subscribe" | "ssubscribe" | "unsubscribe" | "sunsubscribe" | "psubscribe" | "punsubscribe" | "quit" | "reset")
}

fn do_subscribe(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter, kind: Kind) -> CmdResult {
    let server = ctx.server;
    server.pubsub.subscribe(ctx.client, kind, &args.argv()[1..], out);
    Ok(())
}

fn do_unsubscribe(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter, kind: Kind) -> CmdResult {
    let server = ctx.server;
    server.pubsub.unsubscribe(ctx.client, kind, &args.argv()[1..], Some(out));
    Ok(())
}

fn subscribe(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    do_subscribe(ctx, args, out, Kind::Channel)
}

fn psubscribe(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    do_subscribe(ctx, args, out, Kind::Pattern)
}

fn ssubscribe(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    do_subscribe(ctx, args, out, Kind::Shard)
}

fn unsubscribe(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    do_unsubscribe(ctx, args, out, Kind::Channel)
}

fn punsubscribe(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    do_unsubscribe(ctx, args, out, Kind::Pattern)
}

fn sunsubscribe(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    do_unsubscribe(ctx, args, out, Kind::Shard)
}

/// PUBLISH/SPUBLISH: deliver, propagate to replicas as Redis forces it, reply receivers.
fn do_publish(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter, kind: Kind) -> CmdResult {
    let channel = args.next_arg()?;
    let message = args.next_arg()?;
    let server = ctx.server;
    let receivers = server.pubsub.publish(kind, &channel, &message, Some(ctx.self_sink()));
    ctx.force_propagation();
    out.integer(receivers as i64);
    Ok(())
}

fn publish(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    do_publish(ctx, args, out, Kind::Channel)
}

fn spublish(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    do_publish(ctx, args, out, Kind::Shard)
}

/// Redis's `addReplySubcommandSyntaxError` for a PUBSUB subcommand with a bad argc.
fn syntax(args: &Args) -> CommandError {
    let sub = args.argv().get(1).map(|s| String::from_utf8_lossy(s).into_owned()).unwrap_or_default();
    CommandError::err(format!("unknown subcommand or wrong number of arguments for '{sub}'. Try PUBSUB HELP."))
}

fn list_channels(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter, kind: Kind) -> CmdResult {
    if args.argc() > 3 {
        return Err(syntax(args));
    }
    let pattern = args.argv().get(2).cloned();
    let names = ctx.server.pubsub.list(kind, pattern.as_deref());
    out.array(names.len());
    for n in &names {
        out.bulk(n);
    }
    Ok(())
}

fn count_subscribers(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter, kind: Kind) -> CmdResult {
    let names = &args.argv()[2..];
    out.array(names.len() * 2);
    for n in names {
        out.bulk(n);
        out.integer(ctx.server.pubsub.numsub(kind, n) as i64);
    }
    Ok(())
}

fn channels(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    list_channels(ctx, args, out, Kind::Channel)
}

fn shardchannels(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    list_channels(ctx, args, out, Kind::Shard)
}

fn numsub(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    count_subscribers(ctx, args, out, Kind::Channel)
}

fn shardnumsub(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    count_subscribers(ctx, args, out, Kind::Shard)
}

fn numpat(ctx: &mut ExecCtx, _args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    out.integer(ctx.server.pubsub.pattern_count() as i64);
    Ok(())
}

const HELP: &[&str] = &[
    "CHANNELS [<pattern>]",
    "    Return the currently active channels matching a <pattern> (default: '*').",
    "NUMPAT",
    "    Return number of subscriptions to patterns.",
    "NUMSUB [<channel> ...]",
    "    Return the number of subscribers for the specified channels, excluding",
    "    pattern subscriptions(default: no channels).",
    "SHARDCHANNELS [<pattern>]",
    "    Return the currently active shard level channels matching a <pattern> (default: '*').",
    "SHARDNUMSUB [<shardchannel> ...]",
    "    Return the number of subscribers for the specified shard level channel(s)",
];

fn help(_ctx: &mut ExecCtx, _args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    super::client::write_help(out, "PUBSUB", HELP);
    Ok(())
}

/// What PUBLISH propagates, checked through a capturing sink on a real server.
#[cfg(test)]
mod tests {
    use crate::testkit::Harness;

    #[test]
    fn publish_is_propagated_even_without_receivers() {
        let mut h = Harness::new();
        assert_eq!(h.run("PUBLISH ch hello"), ":0\r\n");
        assert_eq!(h.run("SPUBLISH sh hi"), ":0\r\n");
        assert_eq!(h.run("PUBSUB NUMPAT"), ":0\r\n");
        assert_eq!(h.take(), vec![(0, "PUBLISH ch hello".to_string()), (0, "SPUBLISH sh hi".to_string())]);
    }

    #[test]
    fn own_messages_precede_the_reply() {
        let mut h = Harness::new();
        h.run("SUBSCRIBE ch");
        // RESP2 subscribed mode refuses PUBLISH (and HELLO); RESP3 allows it.
        assert!(h.run("PUBLISH ch x").starts_with("-ERR Can't execute 'publish'"));
        assert!(h.run("HELLO 3").starts_with("-ERR Can't execute 'hello'"));
        h.run("RESET");
        h.run("HELLO 3");
        h.run("SUBSCRIBE ch");
        assert_eq!(h.run("PUBLISH ch x"), ">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$1\r\nx\r\n:1\r\n");
    }
}
