//! COMMAND and its subcommands, served from the declared specs.

use rhodium_protocol::{Args, ReplyWriter};

use super::spec::{acl, flags as f, CommandSpec, Group};
use crate::dispatch::ExecCtx;
use crate::error::CmdResult;

pub fn specs() -> &'static [CommandSpec] {
    const S: CommandSpec = CommandSpec { group: Group::Server, acl: acl::CONNECTION, ..CommandSpec::DEFAULT };
    static SUBS: &[CommandSpec] = &[CommandSpec { name: "count", since: "2.8.13", arity: 2, flags: f::LOADING | f::STALE, handler: Some(count), ..S }];
    static SPECS: &[CommandSpec] = &[CommandSpec {
        name: "command",
        since: "2.8.13",
        arity: -1,
        flags: f::LOADING | f::STALE,
        tips: &["nondeterministic_output_order"],
        subcommands: SUBS,
        handler: Some(count),
        ..S
    }];
    SPECS
}

fn count(ctx: &mut ExecCtx, _args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    out.integer(ctx.server.table.count() as i64);
    Ok(())
}
