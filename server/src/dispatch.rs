//! The one choke point every command passes through (Redis's `processCommand` + `call`):
//! lookup, arity and auth checks from the spec, key locking from the key specs, the
//! handler, propagation of its effects while the locks are held, then stats.

use std::sync::atomic::Ordering;

use bytes::Bytes;
use rhodium_protocol::{Args, Argv, ReplyWriter};
use rhodium_storage::keyspace::{ExpiryMode, SetExpiry};
use rhodium_storage::{DbIndex, LockMode, Locked, UnixMillis, Value};

use crate::commands::keys::key_positions;
use crate::commands::spec::{flags, CommandSpec};
use crate::commands::table::{Lookup, Resolved};
use crate::error::CommandError;
use crate::net::clients::ClientState;
use crate::state::{Server, Stats};

/// What a handler works with: the server, its client, the locked keys, one "now", and the
/// effects it records for propagation.
pub struct ExecCtx<'a> {
    pub server: &'a Server,
    pub client: &'a mut ClientState,
    /// The database selected when the command started.
    pub db: DbIndex,
    /// The one time this command sees.
    pub now: UnixMillis,
    /// The keys named by the command's key specs, locked.
    pub keys: Locked<'a>,
    pub command: Resolved,
    effects: Vec<Argv>,
    dirty: u64,
    suppress: bool,
}

impl<'a> ExecCtx<'a> {
    /// Records that the command changed `n` things; with no explicit effect, the request
    /// itself is propagated.
    pub fn mark_dirty(&mut self, n: u64) {
        self.dirty += n;
    }

    /// Records an explicit effect to propagate instead of the request (e.g. `SET k v PXAT t`
    /// for `SET k v EX 10`). Several effects form one atomic unit.
    pub fn effect(&mut self, argv: Argv) {
        self.effects.push(argv);
    }

    /// Builds an effect from string-like parts.
    pub fn effect_parts<A: AsRef<[u8]>>(&mut self, parts: &[A]) {
        self.effects.push(parts.iter().map(|p| Bytes::copy_from_slice(p.as_ref())).collect());
    }

    /// The command changed data but must not be propagated.
    pub fn no_propagate(&mut self) {
        self.suppress = true;
    }

    /// A key's value for reading, counting a keyspace hit or miss.
    pub fn lookup_read(&mut self, key: &[u8]) -> Result<Option<&Value>, CommandError> {
        let v = self.keys.get(self.db, key)?;
        let counter = if v.is_some() { &self.server.stats.keyspace_hits } else { &self.server.stats.keyspace_misses };
        Stats::incr(counter, 1);
        Ok(v)
    }

    /// A key's value for modification (no hit/miss accounting, like Redis's lookupKeyWrite).
    pub fn lookup_write(&mut self, key: &[u8]) -> Result<Option<&mut Value>, CommandError> {
        Ok(self.keys.get_mut(self.db, key)?)
    }

    /// Stores a value in the current database.
    pub fn set_key(&mut self, key: &[u8], value: Value, expiry: SetExpiry) -> Result<(), CommandError> {
        Ok(self.keys.set(self.db, key, value, expiry)?)
    }

    /// Deletes a key of the current database; true if it existed.
    pub fn delete_key(&mut self, key: &[u8]) -> Result<bool, CommandError> {
        Ok(self.keys.remove(self.db, key)?.is_some())
    }
}

/// Formats Redis's unknown-command error.
fn unknown_command(argv: &[Bytes]) -> String {
    let mut args = String::new();
    for a in argv.iter().skip(1) {
        if args.len() >= 128 {
            break;
        }
        let room = 128 - args.len();
        let text = String::from_utf8_lossy(a);
        let cut: String = text.chars().take(room).collect();
        args.push('\'');
        args.push_str(&cut);
        args.push_str("' ");
    }
    let name: String = String::from_utf8_lossy(argv.first().map(|b| b.as_ref()).unwrap_or(b"")).chars().take(128).collect();
    format!("ERR unknown command '{name}', with args beginning with: {args}")
}

/// Runs one request and writes its reply.
pub fn execute(server: &Server, client: &mut ClientState, argv: Argv, out: &mut ReplyWriter) {
    let lookup = server.table.lookup(&argv);
    execute_looked_up(server, client, argv, lookup, out);
}

/// Runs one request whose command the caller already looked up (the connection loop
/// needs it before dispatch for CLIENT PAUSE and CLIENT LIST's `cmd`).
pub fn execute_looked_up(server: &Server, client: &mut ClientState, argv: Argv, lookup: Lookup, out: &mut ReplyWriter) {
    let resolved = match lookup {
        Lookup::Found(r) => r,
        Lookup::Unknown => {
            reject(server, out, &unknown_command(&argv));
            return;
        }
        Lookup::UnknownSub(container) => {
            let sub: String = String::from_utf8_lossy(&argv[1]).chars().take(128).collect();
            let msg = format!("ERR unknown subcommand '{}'. Try {} HELP.", sub, container.spec.name.to_ascii_uppercase());
            reject(server, out, &msg);
            return;
        }
    };
    let spec: &'static CommandSpec = resolved.spec;
    let stats = &server.table.stats[resolved.id];
    if !spec.arity_ok(argv.len()) {
        stats.rejected_calls.fetch_add(1, Ordering::Relaxed);
        reject(server, out, &CommandError::WrongArity(resolved.fullname.to_string()).to_string());
        return;
    }
    if !client.authenticated && !spec.has(flags::NO_AUTH) {
        stats.rejected_calls.fetch_add(1, Ordering::Relaxed);
        reject(server, out, "NOAUTH Authentication required.");
        return;
    }
    let Some(handler) = spec.handler else {
        stats.rejected_calls.fetch_add(1, Ordering::Relaxed);
        reject(server, out, &CommandError::WrongArity(resolved.fullname.to_string()).to_string());
        return;
    };

    let now = rhodium_storage::clock::now_ms();
    let db = client.db;
    let mode = if spec.has(flags::WRITE) { LockMode::Write } else { LockMode::Read };
    // A script's keys are locked by the commands it calls, inside its exclusive section.
    let positions = if (spec.key_specs.is_empty() && spec.getkeys.is_none()) || crate::scripting::runs_script(spec) { Vec::new() } else { key_positions(spec, &argv) };
    let keys = server.keyspace.lock(positions.iter().map(|&i| (db, &argv[i])), mode, now, ExpiryMode::Delete);
    let mut ctx = ExecCtx { server, client, db, now, keys, command: resolved, effects: Vec::new(), dirty: 0, suppress: false };
    let mut args = Args::new(argv);
    let started = std::time::Instant::now();
    if let Err(e) = handler(&mut ctx, &mut args, out) {
        out.error(&e.to_string());
    }
    let elapsed = started.elapsed().as_micros() as u64;

    // Propagate while the key locks are still held.
    let expired = ctx.keys.take_expired();
    let mut unit: Vec<Argv> = Vec::new();
    let mut hidden = Vec::new();
    for e in expired {
        if e.deleted {
            Stats::incr(&server.stats.expired_keys, 1);
            unit.push(vec![Bytes::from_static(b"DEL"), Bytes::from(e.key)]);
        } else {
            hidden.push(e);
        }
    }
    let dirty = ctx.dirty;
    if !ctx.suppress {
        if !ctx.effects.is_empty() {
            unit.append(&mut ctx.effects);
        } else if dirty > 0 && spec.has(flags::WRITE) {
            unit.push(args.into_argv());
        }
    }
    if dirty > 0 {
        server.dirty.fetch_add(dirty, Ordering::Relaxed);
    }
    if !unit.is_empty() {
        server.propagator.propagate(db, unit);
    }
    drop(ctx);

    // Keys a read found expired are deleted now, under their own write lock.
    for e in hidden {
        let key = Bytes::from(e.key);
        server.keyspace.delete_if_expired_then(e.db, &key, now, || {
            Stats::incr(&server.stats.expired_keys, 1);
            server.propagator.propagate(e.db, vec![vec![Bytes::from_static(b"DEL"), key.clone()]]);
        });
    }

    stats.calls.fetch_add(1, Ordering::Relaxed);
    stats.usec.fetch_add(elapsed, Ordering::Relaxed);
    Stats::incr(&server.stats.total_commands_processed, 1);
    let (errors, code) = out.take_errors();
    if errors > 0 {
        stats.failed_calls.fetch_add(1, Ordering::Relaxed);
    }
    count_errors(server, errors, code);
}

/// Writes an error for a command that was not executed, counting it.
fn reject(server: &Server, out: &mut ReplyWriter, msg: &str) {
    out.error(msg);
    let (n, code) = out.take_errors();
    count_errors(server, n, code);
}

fn count_errors(server: &Server, n: u32, code: Option<String>) {
    if n == 0 {
        return;
    }
    Stats::incr(&server.stats.total_error_replies, u64::from(n));
    if let Some(code) = code {
        *server.stats.errors_by_code.lock().entry(code).or_insert(0) += u64::from(n);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_command_text() {
        let argv: Vec<Bytes> = ["foo", "a", "b"].iter().map(|s| Bytes::copy_from_slice(s.as_bytes())).collect();
        assert_eq!(unknown_command(&argv), "ERR unknown command 'foo', with args beginning with: 'a' 'b' ");
    }
}
