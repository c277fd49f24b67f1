//! Transactions (Redis's `multi.c`): MULTI, EXEC, DISCARD, WATCH, UNWATCH.
//!
//! MULTI makes dispatch queue the client's commands (after checking them, so an unknown
//! command or a wrong arity dooms the transaction); EXEC runs the queue inside one atomic
//! section, so no other client sees it half done and its effects propagate as one unit.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use bytes::Bytes;
use rhodium_protocol::{Args, Argv, ReplyWriter};
use rhodium_storage::DbIndex;

use super::spec::{acl, flags as f, keyflags as k, CommandSpec, Group, KeySpec};
use crate::dispatch::{begin_atomic, execute_in_atomic, ExecCtx};
use crate::error::{CmdResult, CommandError};
use crate::net::clients::{ClientHandle, ClientState};
use crate::state::Server;

/// Most queued commands a transaction may hold: a client cannot grow the queue without
/// bound (Redis limits it only by client-query-buffer and maxmemory).
const MAX_QUEUED: usize = 1 << 20;

pub fn specs() -> &'static [CommandSpec] {
    const T: CommandSpec = CommandSpec { group: Group::Transactions, acl: acl::TRANSACTION, flags: f::NOSCRIPT | f::LOADING | f::STALE | f::FAST | f::ALLOW_BUSY, arity: 1, ..CommandSpec::DEFAULT };
    static WATCH_KS: [KeySpec; 1] = [KeySpec::range(1, -1, 1, k::RO)];
    static SPECS: &[CommandSpec] = &[
        CommandSpec { name: "multi", since: "1.2.0", flags: T.flags | f::NO_WORLD, handler: Some(multi), ..T },
        CommandSpec { name: "exec", since: "1.2.0", flags: f::NOSCRIPT | f::LOADING | f::STALE | f::SKIP_SLOWLOG | f::SELF_ATOMIC, handler: Some(exec), ..T },
        CommandSpec { name: "discard", since: "2.0.0", handler: Some(discard), ..T },
        CommandSpec { name: "watch", since: "2.2.0", arity: -2, key_specs: &WATCH_KS, handler: Some(watch), ..T },
        CommandSpec { name: "unwatch", since: "2.2.0", handler: Some(unwatch), ..T },
    ];
    SPECS
}

/// A client's transaction state: the MULTI queue and the keys it WATCHes.
#[derive(Default)]
pub struct TxState {
    /// `Some` between MULTI and EXEC/DISCARD.
    queue: Option<Vec<Argv>>,
    /// A command was refused while queueing (CLIENT_DIRTY_EXEC): EXEC aborts.
    error: bool,
    watched: Vec<(DbIndex, Bytes)>,
}

impl TxState {
    pub fn in_multi(&self) -> bool {
        self.queue.is_some()
    }

    /// Queues a checked command (dispatch replies +QUEUED).
    /// The commands queued so far (none outside MULTI).
    pub fn queued(&self) -> &[Argv] {
        self.queue.as_deref().unwrap_or_default()
    }

    pub fn queue(&mut self, handle: &ClientHandle, argv: Argv) {
        if let Some(q) = self.queue.as_mut() {
            if q.len() >= MAX_QUEUED {
                self.error = true;
                return;
            }
            q.push(argv);
            handle.multi.store(q.len() as i64, Ordering::Relaxed);
        }
    }

    /// A command was refused inside MULTI: the transaction will abort.
    pub fn flag_error(&mut self) {
        if self.queue.is_some() {
            self.error = true;
        }
    }
}

/// Whether a command runs at once inside MULTI instead of being queued (Redis's
/// `processCommand` exceptions).
pub fn runs_inside_multi(fullname: &str) -> bool {
    matches!(fullname, "exec" | "discard" | "multi" | "watch" | "quit" | "reset")
}

/// Ends a transaction and forgets every watched key (Redis's `discardTransaction`; also
/// RESET and disconnection).
pub fn discard_transaction(server: &Server, client: &mut ClientState) {
    client.tx.queue = None;
    client.tx.error = false;
    client.handle.multi.store(-1, Ordering::Relaxed);
    unwatch_all(server, client);
}

/// Forgets every watched key and clears the dirty flag.
pub fn unwatch_all(server: &Server, client: &mut ClientState) {
    let keys = std::mem::take(&mut client.tx.watched);
    server.watches.unwatch(server, client.id(), &keys);
    client.handle.dirty_cas.store(false, Ordering::Release);
}

fn multi(ctx: &mut ExecCtx, _args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    if ctx.client.tx.in_multi() {
        return Err(CommandError::err("MULTI calls can not be nested"));
    }
    ctx.client.tx.queue = Some(Vec::new());
    ctx.client.tx.error = false;
    ctx.client.handle.multi.store(0, Ordering::Relaxed);
    out.ok();
    Ok(())
}

fn discard(ctx: &mut ExecCtx, _args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    if !ctx.client.tx.in_multi() {
        return Err(CommandError::err("DISCARD without MULTI"));
    }
    discard_transaction(ctx.server, ctx.client);
    out.ok();
    Ok(())
}

fn exec(ctx: &mut ExecCtx, _args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    let Some(queue) = ctx.client.tx.queue.take() else {
        return Err(CommandError::err("EXEC without MULTI"));
    };
    let server = ctx.server;
    ctx.client.handle.multi.store(-1, Ordering::Relaxed);
    if std::mem::take(&mut ctx.client.tx.error) {
        unwatch_all(server, ctx.client);
        return Err(CommandError::raw("EXECABORT Transaction discarded because of previous errors."));
    }
    let mut section = begin_atomic(server);
    // Checked inside the section: no write can slip in between the check and the run.
    let watched = std::mem::take(&mut ctx.client.tx.watched);
    let expired = server.watches.any_expired(server, ctx.client.id(), &watched, section.now());
    ctx.client.tx.watched = watched;
    let dirty = expired || ctx.client.handle.dirty_cas.load(Ordering::Acquire);
    unwatch_all(server, ctx.client);
    if dirty {
        out.null_array();
        return Ok(());
    }
    out.array(queue.len());
    for argv in queue {
        out.set_resp(ctx.client.resp);
        execute_in_atomic(&mut section, ctx.client, argv, out);
    }
    section.commit();
    Ok(())
}

fn watch(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    if ctx.client.tx.in_multi() {
        return Err(CommandError::err("WATCH inside MULTI is not allowed"));
    }
    let db = ctx.db;
    let handle: Arc<ClientHandle> = ctx.client.handle.clone();
    for key in args.rest().to_vec() {
        // Read under the key's lock, so writes after this one see the watch.
        let live = ctx.keys.exists(db, &key)?;
        // WATCH only looks: an expired key it meets is not deleted (Redis's keyIsExpired).
        let expired = !live && !ctx.keys.take_expired_where(|e| e.db == db && e.key == key.as_ref()).is_empty();
        if ctx.server.watches.watch(ctx.server, &handle, db, key.clone(), expired) {
            ctx.client.tx.watched.push((db, key));
        }
    }
    out.ok();
    Ok(())
}

fn unwatch(ctx: &mut ExecCtx, _args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    unwatch_all(ctx.server, ctx.client);
    out.ok();
    Ok(())
}

/// What transactions propagate, checked through the in-process harness.
#[cfg(test)]
mod propagation_tests {
    use crate::testkit::Harness;

    #[test]
    fn exec_propagates_its_effects_as_one_unit() {
        let mut h = Harness::new();
        assert_eq!(h.run("MULTI"), "+OK\r\n");
        assert_eq!(h.run("SET a 1"), "+QUEUED\r\n");
        h.run("GET a");
        h.run("SELECT 2");
        h.run("SET b 1");
        h.run("EXPIRE b 100");
        h.run("SELECT 0");
        h.run("INCR a");
        let reply = h.run("EXEC");
        assert!(reply.starts_with("*7\r\n+OK\r\n$1\r\n1\r\n+OK\r\n+OK\r\n:1\r\n+OK\r\n:2\r\n"), "{reply}");
        let units = h.propagated();
        assert_eq!(units.len(), 1, "{units:?}");
        let u = &units[0];
        assert!(u.starts_with("SET a 1 ; SELECT 2 ; SET b 1 ; PEXPIREAT b "), "{u}");
        assert!(u.ends_with(" ; SELECT 0 ; INCR a"), "{u}");
    }

    #[test]
    fn read_only_or_failed_exec_propagates_nothing() {
        let mut h = Harness::new();
        h.run("MULTI");
        h.run("GET a");
        h.run("EXISTS a");
        assert_eq!(h.run("EXEC"), "*2\r\n$-1\r\n:0\r\n");
        h.run("MULTI");
        h.run("SET a 1");
        h.run("NOSUCH");
        assert_eq!(h.run("EXEC"), "-EXECABORT Transaction discarded because of previous errors.\r\n");
        // One write: a unit of one command.
        h.run("MULTI");
        h.run("SET a 1");
        h.run("GET a");
        h.run("EXEC");
        assert_eq!(h.propagated(), vec!["SET a 1".to_string()]);
    }

    #[test]
    fn flushall_inside_exec_stays_in_order() {
        let mut h = Harness::new();
        h.run("MULTI");
        h.run("SET a 1");
        h.run("FLUSHALL");
        h.run("SET b 2");
        h.run("EXEC");
        assert_eq!(h.propagated(), vec!["SET a 1 ; FLUSHALL ; SET b 2".to_string()]);
        assert!(h.value("a").is_none() && h.value("b").is_some());
        h.run("FLUSHDB");
        assert_eq!(h.propagated().last().map(String::as_str), Some("FLUSHDB"));
    }
}
