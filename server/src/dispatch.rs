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
pub use crate::atomic::{begin_atomic, Atomic};
use crate::atomic::SectionLog;
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
    /// The atomic section this command runs in, if any: its effects go there.
    section: Option<&'a mut SectionLog>,
    /// Keys changed outside the command's locks (see [`ExecCtx::expired_deleted`]),
    /// reported to watchers once those locks are released.
    pending_changes: Vec<(DbIndex, Vec<u8>)>,
    /// Propagate the request even though it changed no data (PUBLISH).
    forced: bool,
    /// Pub/Sub messages for this very client (its keyspace events, its own PUBLISH),
    /// placed before the command's reply as Redis writes them.
    pushes: Vec<u8>,
    /// How many of the keys lookups found expired already had their `expired` event.
    expired_notified: usize,
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

    /// Propagates `commands` as one unit executed in `db` now (commands that must order
    /// their effect with locks they take themselves, such as FLUSHALL or the DEL of an
    /// expired key in another database); inside an atomic section they join its unit.
    pub fn propagate(&mut self, db: DbIndex, commands: Vec<Argv>) {
        if commands.is_empty() {
            return;
        }
        match self.section.as_deref_mut() {
            Some(s) => s.effects.extend(commands.into_iter().map(|c| (db, c))),
            // A dataset being loaded (the AOF replayed) is not propagated again.
            None if self.server.loading.load(Ordering::Relaxed) => {}
            None => {
                self.server.propagator.propagate(db, commands);
            }
        }
    }

    /// A key found expired outside the command's own locks was deleted (SCAN, RANDOMKEY):
    /// its DEL is propagated (or joins the section) and watchers and blocked clients
    /// learn of the change. Call while the key's stripe is still locked.
    pub fn expired_deleted(&mut self, db: DbIndex, key: &Bytes) {
        self.propagate(db, vec![vec![Bytes::from_static(b"DEL"), key.clone()]]);
        match self.section.as_deref_mut() {
            Some(s) => {
                s.touched.push((db, key.to_vec()));
                tracking_changed(self.server, key);
            }
            None => self.pending_changes.push((db, key.to_vec())),
        }
    }

    /// Whether the command runs inside an atomic section (EXEC, a script): blocking
    /// commands then behave as their non-blocking forms.
    pub fn in_atomic(&self) -> bool {
        self.section.is_some()
    }

    /// The atomic section this command runs in (a script inside EXEC runs its commands
    /// in the EXEC's section rather than opening a nested one).
    pub(crate) fn section_log(&mut self) -> Option<&mut SectionLog> {
        self.section.as_deref_mut()
    }

    /// The command changed data but must not be propagated.
    pub fn no_propagate(&mut self) {
        self.suppress = true;
    }

    /// Propagates the request to replicas although it changed no data (Redis's
    /// `forceCommandPropagation`, used by PUBLISH).
    pub fn force_propagation(&mut self) {
        self.forced = true;
    }

    /// Publishes a keyspace event about `key` of the current database (Redis's
    /// `notifyKeyspaceEvent`); one relaxed load when the class is off.
    pub fn notify(&mut self, class: u32, event: &str, key: &[u8]) {
        let db = self.db;
        self.notify_db(class, event, key, db);
    }

    /// [`ExecCtx::notify`] for a key of another database (MOVE, COPY ... DB).
    pub fn notify_db(&mut self, class: u32, event: &str, key: &[u8], db: DbIndex) {
        let flags = self.server.pubsub.notify_flags.load(Ordering::Relaxed);
        if flags & class == 0 {
            return;
        }
        if flags & crate::notify::class::EXPIRED != 0 && class != crate::notify::class::EXPIRED {
            self.notify_expired();
        }
        let me = crate::pubsub::SelfSink { id: self.client.handle.id, resp: self.client.resp, buf: &mut self.pushes };
        crate::notify::emit(self.server, class, event, key, db, Some(me));
    }

    /// Publishes `expired` for keys lookups deleted since the last call, so they precede
    /// the command's own events as in Redis (which notifies inside the lookup).
    fn notify_expired(&mut self) {
        if self.server.pubsub.notify_flags.load(Ordering::Relaxed) & crate::notify::class::EXPIRED == 0 {
            return;
        }
        while let Some(e) = self.keys.expired().get(self.expired_notified) {
            self.expired_notified += 1;
            if e.deleted {
                let (key, db) = (e.key.clone(), e.db);
                self.notify_db(crate::notify::class::EXPIRED, "expired", &key, db);
            }
        }
    }

    /// Where this client's own pub/sub messages go while it runs a command.
    pub fn self_sink(&mut self) -> crate::pubsub::SelfSink<'_> {
        crate::pubsub::SelfSink { id: self.client.handle.id, resp: self.client.resp, buf: &mut self.pushes }
    }

    /// A key's value for reading, counting a keyspace hit or miss (and publishing the
    /// `keymiss` event, as Redis's `lookupKeyRead` does).
    pub fn lookup_read(&mut self, key: &[u8]) -> Result<Option<&Value>, CommandError> {
        let v = self.keys.get(self.db, key)?;
        let counter = if v.is_some() { &self.server.stats.keyspace_hits } else { &self.server.stats.keyspace_misses };
        Stats::incr(counter, 1);
        if v.is_none() && self.server.pubsub.notify_flags.load(Ordering::Relaxed) & crate::notify::class::KEY_MISS != 0 {
            let me = crate::pubsub::SelfSink { id: self.client.handle.id, resp: self.client.resp, buf: &mut self.pushes };
            crate::notify::emit(self.server, crate::notify::class::KEY_MISS, "keymiss", key, self.db, Some(me));
        }
        Ok(v)
    }

    /// A key's value for modification (no hit/miss accounting, like Redis's lookupKeyWrite).
    pub fn lookup_write(&mut self, key: &[u8]) -> Result<Option<&mut Value>, CommandError> {
        Ok(self.keys.get_mut(self.db, key)?)
    }

    /// Stores a value in the current database.
    pub fn set_key(&mut self, key: &[u8], value: Value, expiry: SetExpiry) -> Result<(), CommandError> {
        if self.server.pubsub.notify_flags.load(Ordering::Relaxed) & crate::notify::class::NEW != 0 && !self.keys.exists(self.db, key)? {
            self.notify(crate::notify::class::NEW, "new", key);
        }
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

/// Runs one request whose command the caller already looked up, blocking the thread
/// while an atomic section holds the world lock (callers off the connection loop:
/// tests, internal re-execution). See [`try_execute_looked_up`].
pub fn execute_looked_up(server: &Server, client: &mut ClientState, argv: Argv, lookup: Lookup, out: &mut ReplyWriter) -> usize {
    let mut attempt = try_execute_looked_up(server, client, argv, lookup, out);
    loop {
        match attempt {
            Ok(pushed) => return pushed,
            Err(d) => {
                server.world.wait_released();
                attempt = try_execute_looked_up(server, client, d.argv, Lookup::Found(d.resolved), out);
            }
        }
    }
}

/// A request handed back untouched because an atomic section holds the world lock: the
/// caller waits for [`crate::atomic::WorldLock::released`] (asynchronously, on the
/// connection loop) and tries again, so no thread is parked behind a long script.
pub struct Deferred {
    pub argv: Argv,
    pub resolved: Resolved,
}

/// Runs one request whose command the caller already looked up (the connection loop
/// needs it before dispatch for CLIENT PAUSE and CLIENT LIST's `cmd`), unless it would
/// have to wait for an atomic section. Returns how many bytes of pub/sub messages for
/// the client itself precede the reply (CLIENT REPLY OFF drops the reply, not those).
///
/// An ordinary command runs holding the world lock shared, so no atomic section runs
/// beside it; a command flagged EXCLUSIVE runs inside an atomic section of its own; one
/// flagged SELF_ATOMIC (EXEC, scripts) runs holding the world exclusively and its handler's
/// section takes that hold over; one flagged NO_WORLD (SCRIPT KILL, FUNCTION KILL,
/// SHUTDOWN) takes no world lock at all, so it runs beside a long script. Each of those
/// holds is only tried: on contention nothing has happened yet and the request comes back.
/// Inside MULTI, commands other than the transaction's own are queued.
pub fn try_execute_looked_up(server: &Server, client: &mut ClientState, argv: Argv, lookup: Lookup, out: &mut ReplyWriter) -> Result<usize, Deferred> {
    // Client-side caching costs one relaxed load per command while nobody tracks.
    let result = if server.tracking.clients() > 0 {
        execute_for_tracking(server, client, argv, lookup, out)
    } else {
        execute_checked(server, client, argv, lookup, out)
    };
    if result.is_ok() {
        crate::blocking::serve_ready(server);
    }
    result
}

/// [`try_execute_looked_up`] while some client tracks: the tracking table is kept within
/// its limit before the command (messages for this client precede its reply, as in
/// Redis), and a tracking client runs as the "current client" whose reads are remembered.
#[cold]
fn execute_for_tracking(server: &Server, client: &mut ClientState, argv: Argv, lookup: Lookup, out: &mut ReplyWriter) -> Result<usize, Deferred> {
    let mark = out.len();
    let me = crate::tracking::SelfOut { id: client.handle.id, buf: out.buffer_mut() };
    server.tracking.limit_used_slots(server, Some(me));
    let evicted = out.len() - mark;
    if !client.handle.tracking.is_on() {
        let pushed = execute_checked(server, client, argv, lookup, out);
        crate::tracking::clear_current();
        return pushed.map(|p| evicted + p);
    }
    let client_command = matches!(&lookup, Lookup::Found(r) if r.fullname.starts_with("client|"));
    let caching = client.handle.tracking.flags() & crate::tracking::flag::CACHING != 0;
    let result = crate::tracking::run_tracked(client, client_command, |client| execute_checked(server, client, argv, lookup, out));
    if result.is_err() && caching {
        // Nothing ran: the CLIENT CACHING yes|no still applies to the retried command.
        client.handle.tracking.set_caching();
    }
    result.map(|p| evicted + p)
}

/// Checks and runs one command (queueing it inside MULTI) under the right world hold;
/// hands it back untouched when an atomic section holds the world.
fn execute_checked(server: &Server, client: &mut ClientState, argv: Argv, lookup: Lookup, out: &mut ReplyWriter) -> Result<usize, Deferred> {
    let Some(resolved) = check(server, client, &argv, lookup, out) else {
        return Ok(0);
    };
    let spec = resolved.spec;
    if client.tx.in_multi() && !crate::commands::tx::runs_inside_multi(resolved.fullname) {
        client.tx.queue(&client.handle, argv);
        out.simple("QUEUED");
        return Ok(0);
    }
    // WAIT waits for the stream offset right after this client's last write (only
    // commands that may propagate move it; WAIT's own GETACK must not).
    let may_write = spec.has(flags::WRITE | flags::MAY_REPLICATE | flags::SELF_ATOMIC | flags::EXCLUSIVE);
    let offset_before = if may_write { server.repl.offset() } else { 0 };
    let pushed = if spec.has(flags::NO_WORLD) {
        call(server, client, argv, resolved, out, None)
    } else if spec.has(flags::SELF_ATOMIC) {
        let Some(world) = server.world.try_write() else {
            return Err(Deferred { argv, resolved });
        };
        let pushed = call(server, client, argv, resolved, out, None);
        drop(world);
        pushed
    } else if spec.has(flags::EXCLUSIVE) {
        let Some(mut section) = crate::atomic::try_begin_atomic(server) else {
            return Err(Deferred { argv, resolved });
        };
        let pushed = call(server, client, argv, resolved, out, Some(&mut section.log));
        section.commit();
        pushed
    } else {
        let Some(world) = server.world.try_read() else {
            return Err(Deferred { argv, resolved });
        };
        let pushed = call(server, client, argv, resolved, out, None);
        drop(world);
        pushed
    };
    if may_write {
        let offset_after = server.repl.offset();
        if offset_after != offset_before {
            client.woff = offset_after;
        }
    }
    Ok(pushed)
}

/// Runs one command inside an atomic section with all of dispatch's checks (arity, auth,
/// ...), its keys locked normally (uncontended, since nothing else runs), its effects and
/// lazy-expiry DELs appended to the section's unit instead of being propagated, its
/// touched keys kept for the section's commit, and the stats counted.
pub fn execute_in_atomic(atomic: &mut Atomic<'_>, client: &mut ClientState, argv: Argv, out: &mut ReplyWriter) {
    let server = atomic.server;
    execute_in_section(server, &mut atomic.log, client, argv, out);
}

/// [`execute_in_atomic`] given the section's log (a script run from inside EXEC reaches
/// the EXEC's section through its context, not through the `Atomic`).
pub(crate) fn execute_in_section(server: &Server, log: &mut SectionLog, client: &mut ClientState, argv: Argv, out: &mut ReplyWriter) {
    let lookup = server.table.lookup(&argv);
    let Some(resolved) = check(server, client, &argv, lookup, out) else {
        return;
    };
    call(server, client, argv, resolved, out, Some(log));
}

/// The checks before a command runs (Redis's `processCommand`): known command, arity,
/// authentication, commands refused inside MULTI, -LOADING. A refusal inside MULTI also dooms the
/// transaction (`flagTransaction`), so its EXEC replies -EXECABORT.
fn check(server: &Server, client: &mut ClientState, argv: &[Bytes], lookup: Lookup, out: &mut ReplyWriter) -> Option<Resolved> {
    let refuse = |client: &mut ClientState, out: &mut ReplyWriter, msg: &str| {
        reject(server, out, msg);
        client.tx.flag_error();
    };
    let resolved = match lookup {
        Lookup::Found(r) => r,
        Lookup::Unknown => {
            refuse(client, out, &unknown_command(argv));
            return None;
        }
        Lookup::UnknownSub(container) => {
            let sub: String = String::from_utf8_lossy(&argv[1]).chars().take(128).collect();
            let msg = format!("ERR unknown subcommand '{}'. Try {} HELP.", sub, container.spec.name.to_ascii_uppercase());
            refuse(client, out, &msg);
            return None;
        }
    };
    let spec: &'static CommandSpec = resolved.spec;
    let stats = &server.table.stats[resolved.id];
    if !spec.arity_ok(argv.len()) || spec.handler.is_none() {
        stats.rejected_calls.fetch_add(1, Ordering::Relaxed);
        refuse(client, out, &CommandError::WrongArity(resolved.fullname.to_string()).to_string());
        return None;
    }
    if !client.authenticated && !spec.has(flags::NO_AUTH) {
        stats.rejected_calls.fetch_add(1, Ordering::Relaxed);
        refuse(client, out, "NOAUTH Authentication required.");
        return None;
    }
    if client.tx.in_multi() && spec.has(flags::NO_MULTI) {
        stats.rejected_calls.fetch_add(1, Ordering::Relaxed);
        refuse(client, out, "ERR Command not allowed inside a transaction");
        return None;
    }
    if let Some(msg) = crate::replication::replica::readonly_error(server, client, spec, argv) {
        stats.rejected_calls.fetch_add(1, Ordering::Relaxed);
        refuse(client, out, msg);
        return None;
    }
    if client.in_pubsub && client.resp == rhodium_protocol::Resp::V2 && !crate::commands::pubsub::allowed_in_subscribed_mode(resolved.fullname) {
        stats.rejected_calls.fetch_add(1, Ordering::Relaxed);
        let msg = format!("ERR Can't execute '{}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context", resolved.fullname);
        refuse(client, out, &msg);
        return None;
    }
    if spec.has(flags::WRITE) && !server.replica.is_replica() && server.repl.refuses_writes() {
        stats.rejected_calls.fetch_add(1, Ordering::Relaxed);
        refuse(client, out, "NOREPLICAS Not enough good replicas to write.");
        return None;
    }
    if let Some(msg) = crate::replication::replica::masterdown_error(server, client, spec, argv) {
        stats.rejected_calls.fetch_add(1, Ordering::Relaxed);
        refuse(client, out, msg);
        return None;
    }
    if server.loading.load(Ordering::Relaxed) && !spec.has(flags::LOADING) && !client.replaying {
        stats.rejected_calls.fetch_add(1, Ordering::Relaxed);
        refuse(client, out, "LOADING Redis is loading the dataset in memory");
        return None;
    }
    Some(resolved)
}

/// Runs a checked command: locks its keys, calls the handler, then propagates its effects
/// (or appends them to `section`) while the key locks are still held, and counts it.
/// Returns how many bytes of the client's own pub/sub messages precede its reply.
fn call(server: &Server, client: &mut ClientState, argv: Argv, resolved: Resolved, out: &mut ReplyWriter, section: Option<&mut SectionLog>) -> usize {
    let spec = resolved.spec;
    let stats = &server.table.stats[resolved.id];
    let Some(handler) = spec.handler else {
        return 0;
    };
    let now = section.as_ref().map(|s| s.now).unwrap_or_else(rhodium_storage::clock::now_ms);
    let db = client.db;
    let mode = if spec.has(flags::WRITE) { LockMode::Write } else { LockMode::Read };
    // A command that opens its own atomic section locks its keys inside it: holding a
    // stripe while waiting for the world could deadlock with a command waiting for it.
    let positions = if spec.has(flags::SELF_ATOMIC) || (spec.key_specs.is_empty() && spec.getkeys.is_none()) { Default::default() } else { key_positions(spec, &argv) };
    // A replica never expires keys itself (the master's DEL comes in the stream): reads
    // hide them, and its master's commands see them as the master does.
    let replica = server.replica.is_replica();
    let expiry = match (replica, mode) {
        (false, _) => ExpiryMode::Delete,
        (true, _) if client.handle.repl_kind.load(Ordering::Relaxed) == crate::net::clients::REPL_KIND_MASTER => ExpiryMode::Ignore,
        (true, LockMode::Write) => ExpiryMode::Delete,
        (true, LockMode::Read) => ExpiryMode::HideOnly,
    };
    let mut keys = server.keyspace.lock(positions.iter().map(|&i| (db, &argv[i])), mode, now, expiry);
    // Checked with the stripes held: a WATCH or a blocked client that registered under
    // one of them is seen here (cheap when nobody watches or blocks: one relaxed load).
    let tracking = server.tracks_keys();
    if tracking && mode == LockMode::Write {
        keys.track_writes();
    }
    // For the `expired` events of keys deleted after the command (the section borrowed
    // with the client outlives the context).
    let (client_id, client_resp) = (client.handle.id, client.resp);
    let mut ctx = ExecCtx { server, client: &mut *client, db, now, keys, command: resolved, effects: Vec::new(), dirty: 0, suppress: false, section, pending_changes: Vec::new(), forced: false, pushes: Vec::new(), expired_notified: 0 };
    let mut args = Args::new(argv);
    let mark = out.len();
    let started = std::time::Instant::now();
    if let Err(e) = handler(&mut ctx, &mut args, out) {
        out.error(&e.to_string());
    }
    let elapsed = started.elapsed().as_micros() as u64;
    if !ctx.keys.expired().is_empty() {
        ctx.notify_expired();
    }

    // Propagate while the key locks are still held.
    let expired = ctx.keys.take_expired();
    let mut unit: Vec<Argv> = Vec::new();
    let mut hidden = Vec::new();
    // A key fetched for writing but left unchanged (SET NX on an existing key) is no
    // change: written keys count only when the command changed something, expired
    // deletions always.
    let mut touched = if tracking && ctx.dirty > 0 { ctx.keys.take_touched() } else { Vec::new() };
    for e in expired {
        if e.deleted {
            Stats::incr(&server.stats.expired_keys, 1);
            if tracking {
                touched.push((e.db, e.key.clone()));
            }
            unit.push(vec![Bytes::from_static(b"DEL"), Bytes::from(e.key)]);
        } else {
            hidden.push(e);
        }
    }
    // Client-side caching: a read-only command's keys are remembered for the tracking
    // client running it (or the script it runs from), while their stripes are held. Keys
    // it found expired are invalidated first, as Redis deletes them during the lookup,
    // so the read tracks them again.
    let remember = spec.has(flags::READONLY) && !spec.has(flags::PUBSUB) && server.tracking.clients() > 0;
    if remember {
        for e in &hidden {
            tracking_changed(server, &e.key);
        }
        let argv = args.argv();
        server.tracking.remember(server, positions.iter().filter_map(|&i| argv.get(i).map(|b| b.as_ref())));
    }
    let mut told = Vec::new();
    let dirty = ctx.dirty;
    if !ctx.suppress {
        if !ctx.effects.is_empty() {
            unit.append(&mut ctx.effects);
        } else if (dirty > 0 && spec.has(flags::WRITE)) || ctx.forced {
            unit.push(args.into_argv());
        }
    }
    if dirty > 0 {
        server.dirty.fetch_add(dirty, Ordering::Relaxed);
    }
    touched.append(&mut ctx.pending_changes);
    ctx.propagate(db, unit);
    let mut section = ctx.section.take();
    let mut pushes = std::mem::take(&mut ctx.pushes);
    drop(ctx);

    // Keys a read found expired are deleted now, under their own write lock (not on a
    // replica, which waits for its master's DEL).
    if replica {
        hidden.clear();
    }
    for e in hidden {
        let key = Bytes::from(e.key);
        server.keyspace.delete_if_expired_then(e.db, &key, now, || {
            Stats::incr(&server.stats.expired_keys, 1);
            let me = crate::pubsub::SelfSink { id: client_id, resp: client_resp, buf: &mut pushes };
            crate::notify::emit(server, crate::notify::class::EXPIRED, "expired", &key, e.db, Some(me));
            let del = vec![Bytes::from_static(b"DEL"), key.clone()];
            match section.as_deref_mut() {
                Some(s) => {
                    s.effects.push((e.db, del));
                    s.touched.push((e.db, key.to_vec()));
                    if !remember {
                        tracking_changed(server, &key);
                    }
                }
                None => {
                    if !server.loading.load(Ordering::Relaxed) {
                        server.propagator.propagate(e.db, vec![del]);
                    }
                    // Reported below, once the stripe is unlocked (watchers look it up).
                    if remember {
                        told.push((e.db, key.to_vec()));
                    } else {
                        touched.push((e.db, key.to_vec()));
                    }
                }
            }
        });
    }
    let pushed = pushes.len();
    if pushed > 0 {
        // The client's own messages come before its reply, as Redis writes them.
        out.buffer_mut().splice(mark..mark, pushes);
    }
    // Watchers are told before the world lock goes, so no EXEC runs between the write
    // and its invalidation; inside a section the commit does it.
    match section {
        Some(s) => {
            // Inside a section, tracking clients learn of a write when it happens, as in
            // Redis (a later read in the same transaction tracks the key again); watchers
            // and blocked clients at the commit.
            for (_, key) in &touched {
                tracking_changed(server, key);
            }
            s.touched.extend(touched);
        }
        None => {
            for (db, key) in &touched {
                key_changed(server, *db, key);
            }
            for (db, key) in &told {
                key_changed_for_watchers(server, *db, key);
            }
        }
    }

    // A blocking command counts once, when first called (Redis 7.0 serves a blocked client
    // outside call()): its re-executions for the waiter are not counted again.
    if client.block.serving.is_none() {
        stats.calls.fetch_add(1, Ordering::Relaxed);
        stats.usec.fetch_add(elapsed, Ordering::Relaxed);
        Stats::incr(&server.stats.total_commands_processed, 1);
    }
    let (errors, code) = out.take_errors();
    if errors > 0 {
        stats.failed_calls.fetch_add(1, Ordering::Relaxed);
    }
    count_errors(server, errors, code);
    pushed
}

/// A key changed outside any atomic section (a write, an expiry): WATCHes on it are
/// invalidated, clients blocked on it are told it may be ready, and clients that may
/// cache it get an invalidation. Free when nobody watches, blocks or tracks.
pub fn key_changed(server: &Server, db: DbIndex, key: &[u8]) {
    if !server.tracks_keys() {
        return;
    }
    tracking_changed(server, key);
    server.watches.touch(server, db, key);
    server.blocking.signal(db, key);
}

/// Client-side caching learns that a key changed (free while no client tracks).
#[inline]
fn tracking_changed(server: &Server, key: &[u8]) {
    if server.tracking.armed() {
        server.tracking.key_modified(server, key);
    }
}

/// [`key_changed`] for WATCH and blocked clients only, when tracking clients already
/// learned of the change (an atomic section's writes as they happened, keys a read found
/// expired before it was remembered).
pub fn key_changed_for_watchers(server: &Server, db: DbIndex, key: &[u8]) {
    if !server.tracks_keys() {
        return;
    }
    server.watches.touch(server, db, key);
    server.blocking.signal(db, key);
}

/// Refuses a command with -BUSY while a long script runs (Redis's `rejectCommand`:
/// counted as rejected, and it dooms the client's transaction; a refused EXEC discards
/// the transaction and says why, as `execCommandAbort` does).
pub fn reject_busy(server: &Server, client: &mut ClientState, resolved: Resolved, out: &mut ReplyWriter, msg: &str) {
    server.table.stats[resolved.id].rejected_calls.fetch_add(1, Ordering::Relaxed);
    if resolved.spec.name == "exec" {
        crate::commands::tx::discard_transaction(server, client);
        reject(server, out, &format!("EXECABORT Transaction discarded because of: {msg}"));
        return;
    }
    reject(server, out, msg);
    client.tx.flag_error();
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
