//! REPLICAOF and its old name SLAVEOF (Redis's `replicaofCommand`): follow a master, or
//! `NO ONE` to stop following and become a master keeping the data. The link itself is
//! `crate::replication::replica`.

use rhodium_protocol::{Args, ReplyWriter};

use super::command_docs::*;
use super::spec::{flags as f, CommandSpec, Group};
use crate::dispatch::ExecCtx;
use crate::error::{CmdResult, CommandError};
use crate::log_notice;
use crate::replication::replica;

pub fn specs() -> &'static [CommandSpec] {
    const S: CommandSpec = CommandSpec { group: Group::Server, arity: 3, flags: f::ADMIN | f::NOSCRIPT | f::STALE | f::NO_ASYNC_LOADING, handler: Some(replicaof), ..CommandSpec::DEFAULT };
    static SPECS: &[CommandSpec] = &[CommandSpec { name: "replicaof", since: "5.0.0", ..S }, CommandSpec { name: "slaveof", since: "1.0.0", ..S }];
    SPECS
}

const ARGS: &[Arg] = &[oneof("args", &[block("host-port", &[string("host"), integer("port")]), block("no-one", &[pure_token("no", "NO"), pure_token("one", "ONE")])])];

/// COMMAND DOCS of both names.
pub const DOCS: &[(&str, Doc)] = &[
    ("replicaof", Doc { summary: "Make the server a replica of another instance, or promote it as master.", complexity: "O(1)", args: ARGS, ..Doc::DEFAULT }),
    (
        "slaveof",
        Doc {
            summary: "Make the server a replica of another instance, or promote it as master.",
            complexity: "O(1)",
            doc_flags: &["deprecated"],
            deprecated_since: "5.0.0",
            replaced_by: "`REPLICAOF`",
            args: ARGS,
            ..Doc::DEFAULT
        },
    ),
];

/// The client as the log names it (`user request from '<CLIENT LIST line>'`).
fn who(ctx: &ExecCtx) -> String {
    super::client::info_line(&ctx.client.handle, rhodium_storage::clock::now_ms())
}

fn replicaof(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    let argv = args.argv();
    let (host, port) = (argv[1].clone(), argv[2].clone());
    if host.eq_ignore_ascii_case(b"no") && port.eq_ignore_ascii_case(b"one") {
        if ctx.server.replica.is_replica() {
            replica::unset_master(ctx.server);
            log_notice!("MASTER MODE enabled (user request from '{}')", who(ctx));
        }
        out.ok();
        return Ok(());
    }
    let port = rhodium_protocol::number::parse_i64(&port).filter(|p| (0..=65535).contains(p)).ok_or_else(|| CommandError::err("Invalid master port"))? as u16;
    let host = String::from_utf8_lossy(&host).into_owned();
    if let Some((h, p)) = ctx.server.replica.master() {
        if h.eq_ignore_ascii_case(&host) && p == port {
            log_notice!("REPLICAOF would result into synchronization with the master we are already connected with. No operation performed.");
            out.simple("OK Already connected to specified master");
            return Ok(());
        }
    }
    replica::set_master(ctx.server, &host, port);
    log_notice!("REPLICAOF {}:{} enabled (user request from '{}')", host, port, who(ctx));
    out.ok();
    Ok(())
}
