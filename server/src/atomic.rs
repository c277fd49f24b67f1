//! Atomic sections: MULTI/EXEC, scripts and whole-keyspace commands run with no other
//! command executing anywhere, and propagate everything they did as one unit.
//!
//! The world lock (`Server::world`, a [`WorldLock`]) is process-wide: every ordinary
//! command holds it shared while it runs (dispatch), an atomic section holds it
//! exclusively. Inside the section commands still lock their key stripes as usual
//! (uncontended), so handlers need not know whether they run alone.
//!
//! Shared holds are on the hot path of every command, so the lock is a "big reader" lock:
//! a reader bumps a counter in its thread's own cache line instead of one shared word (a
//! `parking_lot::RwLock` read costs ~25 ns alone and ~55 ns with two threads contending
//! for its line; a slot costs a few). The writer raises a flag, then waits for every slot
//! to drain; readers that see the flag step back and wait on the writer's mutex.
//!
//! A connection never waits inside the lock for a section (a script may run for
//! seconds, and Redis answers -BUSY meanwhile): dispatch only *tries* to take it, and on
//! contention hands the request back to the connection loop, which waits asynchronously
//! for [`WorldLock::released`] and asks again. Commands that open their own section
//! (EXEC, EVAL, FCALL) get the exclusive hold from dispatch the same way; the section the
//! handler then opens on that thread takes the hold over (see [`WorldLock::write`]).
//!
//! Propagation: a unit has one database. A section whose effects span several databases
//! carries `SELECT n` commands inside its unit where the database changes, and ends with
//! a `SELECT` back to the unit's database if it left it, so the stream is in the unit's
//! database after every unit, as it is after a single command.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use bytes::Bytes;
use parking_lot::{Mutex, MutexGuard};
use rhodium_protocol::Argv;
use rhodium_storage::{DbIndex, UnixMillis};

use crate::state::Server;

pub use crate::dispatch::execute_in_atomic;

/// Reader slots: threads share a slot only beyond this many.
const SLOTS: usize = 64;

/// One reader counter on its own cache line.
#[repr(align(128))]
#[derive(Default)]
struct Slot(AtomicUsize);

/// The world lock: shared by every command, exclusive for atomic sections.
pub struct WorldLock {
    slots: Box<[Slot]>,
    /// Set while a writer holds or wants the lock.
    writer: AtomicBool,
    /// Held by the writer for its whole section; readers wait on it.
    exclusive: Mutex<()>,
    /// The thread holding `exclusive` ([`thread_token`]; 0 for none).
    owner: AtomicUsize,
    /// Signalled whenever an exclusive hold ends, for connections waiting asynchronously.
    released: tokio::sync::Notify,
}

impl Default for WorldLock {
    fn default() -> Self {
        WorldLock {
            slots: (0..SLOTS).map(|_| Slot::default()).collect(),
            writer: AtomicBool::new(false),
            exclusive: Mutex::new(()),
            owner: AtomicUsize::new(0),
            released: tokio::sync::Notify::new(),
        }
    }
}

thread_local! {
    static MY_SLOT: usize = {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        NEXT.fetch_add(1, Ordering::Relaxed) % SLOTS
    };
    static MY_TOKEN: usize = {
        static NEXT: AtomicUsize = AtomicUsize::new(1);
        NEXT.fetch_add(1, Ordering::Relaxed)
    };
}

/// A number naming the current thread, never 0.
fn thread_token() -> usize {
    MY_TOKEN.with(|t| *t)
}

/// A shared hold on the world lock.
pub struct WorldRead<'a> {
    slot: &'a AtomicUsize,
}

impl Drop for WorldRead<'_> {
    fn drop(&mut self) {
        self.slot.fetch_sub(1, Ordering::Release);
    }
}

/// The exclusive hold of an atomic section.
pub struct WorldWrite<'a> {
    lock: &'a WorldLock,
    /// `None` for a hold taken inside one the thread already has: the outer one releases.
    exclusive: Option<MutexGuard<'a, ()>>,
}

impl Drop for WorldWrite<'_> {
    fn drop(&mut self) {
        if self.exclusive.is_some() {
            self.lock.owner.store(0, Ordering::SeqCst);
            self.lock.writer.store(false, Ordering::SeqCst);
            // Readers that wake now find the flag down; the mutex goes right after.
            self.lock.released.notify_waiters();
        }
    }
}

impl WorldLock {
    /// Holds the world shared (an ordinary command). Must not be called by a thread that
    /// already holds it exclusively.
    pub fn read(&self) -> WorldRead<'_> {
        loop {
            if let Some(held) = self.try_read() {
                return held;
            }
            // Wait for the section to end.
            drop(self.exclusive.lock());
        }
    }

    /// Holds the world shared if no section holds or wants it, without waiting
    /// (background work that must not tie up a runtime thread behind a long script).
    pub fn try_read(&self) -> Option<WorldRead<'_>> {
        if self.writer.load(Ordering::SeqCst) {
            return None;
        }
        let slot = &self.slots[MY_SLOT.with(|s| *s)].0;
        slot.fetch_add(1, Ordering::SeqCst);
        // Dekker-style: either the writer sees this slot, or this sees its flag.
        if !self.writer.load(Ordering::SeqCst) {
            return Some(WorldRead { slot });
        }
        slot.fetch_sub(1, Ordering::SeqCst);
        None
    }

    /// Holds the world exclusively: waits for other sections, then for every command in
    /// progress to finish; new commands wait until the hold is dropped. On a thread that
    /// already holds it exclusively (dispatch took it for EXEC or a script), returns a
    /// nested hold at once.
    pub fn write(&self) -> WorldWrite<'_> {
        if let Some(nested) = self.nested() {
            return nested;
        }
        let exclusive = self.exclusive.lock();
        self.drain(exclusive)
    }

    /// [`WorldLock::write`] unless another section holds or is taking the lock (then
    /// `None` at once). Still waits for commands in progress, which are short.
    pub fn try_write(&self) -> Option<WorldWrite<'_>> {
        if let Some(nested) = self.nested() {
            return Some(nested);
        }
        let exclusive = self.exclusive.try_lock()?;
        Some(self.drain(exclusive))
    }

    /// Whether a section holds or is taking the lock.
    pub fn is_held(&self) -> bool {
        self.writer.load(Ordering::SeqCst)
    }

    /// Whether this thread holds the lock exclusively.
    pub fn held_by_me(&self) -> bool {
        self.owner.load(Ordering::SeqCst) == thread_token()
    }

    /// Resolves when an exclusive hold ends. Create it (and `enable` it) before checking
    /// [`WorldLock::is_held`], so a release between the two is not missed.
    pub fn released(&self) -> tokio::sync::futures::Notified<'_> {
        self.released.notified()
    }

    /// Blocks the thread until the current exclusive hold (if any) ends; for callers off
    /// the connection loop (tests, internal re-execution).
    pub fn wait_released(&self) {
        if self.is_held() && !self.held_by_me() {
            drop(self.exclusive.lock());
        }
    }

    fn nested(&self) -> Option<WorldWrite<'_>> {
        self.held_by_me().then_some(WorldWrite { lock: self, exclusive: None })
    }

    /// With `exclusive` held: raises the flag and waits for every shared hold to end.
    fn drain<'a>(&'a self, exclusive: MutexGuard<'a, ()>) -> WorldWrite<'a> {
        self.owner.store(thread_token(), Ordering::SeqCst);
        self.writer.store(true, Ordering::SeqCst);
        let mut spins = 0u32;
        while self.slots.iter().any(|s| s.0.load(Ordering::SeqCst) != 0) {
            spins += 1;
            if spins < 64 {
                std::hint::spin_loop();
            } else {
                std::thread::yield_now();
            }
        }
        WorldWrite { lock: self, exclusive: Some(exclusive) }
    }
}

/// What a section did so far: its effects in order, the keys it wrote, its one "now".
pub(crate) struct SectionLog {
    pub effects: Vec<(DbIndex, Argv)>,
    pub touched: Vec<(DbIndex, Vec<u8>)>,
    /// Redis 7.0 freezes time for a whole EXEC or script: keys do not expire midway.
    pub now: UnixMillis,
}

/// An atomic section: while it lives no other command executes anywhere.
pub struct Atomic<'s> {
    pub(crate) server: &'s Server,
    pub(crate) log: SectionLog,
    world: Option<WorldWrite<'s>>,
}

/// Waits until no other command is running and keeps every other command out until
/// commit.
pub fn begin_atomic(server: &Server) -> Atomic<'_> {
    let world = server.world.write();
    let log = SectionLog { effects: Vec::new(), touched: Vec::new(), now: rhodium_storage::clock::now_ms() };
    Atomic { server, log, world: Some(world) }
}

/// [`begin_atomic`] unless another section holds or is taking the world lock: `None` at
/// once instead of waiting for it.
pub fn try_begin_atomic(server: &Server) -> Option<Atomic<'_>> {
    let world = server.world.try_write()?;
    let log = SectionLog { effects: Vec::new(), touched: Vec::new(), now: rhodium_storage::clock::now_ms() };
    Some(Atomic { server, log, world: Some(world) })
}

impl Atomic<'_> {
    /// The one time every command of the section sees.
    pub fn now(&self) -> UnixMillis {
        self.log.now
    }

    /// Propagates everything the section did as one unit (wrapped in MULTI/EXEC on the
    /// wire when it holds more than one effect; SELECTs inserted where the db changes),
    /// then invalidates WATCHes and signals blocked clients for the keys it touched, then
    /// releases, then serves the blocked clients whose keys became ready.
    pub fn commit(self) {
        // Drop does the work, so a section left early (an error path) commits the same way.
        drop(self);
    }

    /// Commits once; a section dropped without `commit` (an early return) still
    /// propagates what it did, since its writes are in the keyspace.
    fn finish(&mut self) {
        let Some(world) = self.world.take() else {
            return;
        };
        let server = self.server;
        let effects = std::mem::take(&mut self.log.effects);
        // A dataset being loaded (the AOF replayed) is not propagated again.
        if let Some((db, unit)) = build_unit(effects).filter(|_| !server.loading.load(Ordering::Relaxed)) {
            server.propagator.propagate(db, unit);
        }
        let mut touched = std::mem::take(&mut self.log.touched);
        touched.sort_unstable();
        touched.dedup();
        for (db, key) in &touched {
            crate::dispatch::key_changed_for_watchers(server, *db, key);
        }
        drop(world);
    }
}

impl Drop for Atomic<'_> {
    fn drop(&mut self) {
        if self.world.is_some() {
            self.finish();
            crate::blocking::serve_ready(self.server);
        }
    }
}

/// One unit from a section's effects: the first effect's database, with SELECTs where
/// the database changes and one back at the end.
fn build_unit(effects: Vec<(DbIndex, Argv)>) -> Option<(DbIndex, Vec<Argv>)> {
    let first = effects.first()?.0;
    let mut current = first;
    let mut unit = Vec::with_capacity(effects.len());
    for (db, argv) in effects {
        if db != current {
            unit.push(select(db));
            current = db;
        }
        unit.push(argv);
    }
    if current != first {
        unit.push(select(first));
    }
    Some((first, unit))
}

fn select(db: DbIndex) -> Argv {
    vec![Bytes::from_static(b"SELECT"), Bytes::copy_from_slice(itoa::Buffer::new().format(db).as_bytes())]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn world_lock_excludes_readers_while_written() {
        use std::sync::Arc;
        let lock = Arc::new(WorldLock::default());
        let inside = Arc::new(AtomicUsize::new(0));
        let violations = Arc::new(AtomicUsize::new(0));
        let hs: Vec<_> = (0..4)
            .map(|t| {
                let (lock, inside, violations) = (lock.clone(), inside.clone(), violations.clone());
                std::thread::spawn(move || {
                    for i in 0..20_000 {
                        if (i + t) % 97 == 0 {
                            let _w = lock.write();
                            if inside.swap(1_000, Ordering::SeqCst) != 0 {
                                violations.fetch_add(1, Ordering::SeqCst);
                            }
                            inside.store(0, Ordering::SeqCst);
                        } else {
                            let _r = lock.read();
                            if inside.fetch_add(1, Ordering::SeqCst) >= 1_000 {
                                violations.fetch_add(1, Ordering::SeqCst);
                            }
                            inside.fetch_sub(1, Ordering::SeqCst);
                        }
                    }
                })
            })
            .collect();
        hs.into_iter().for_each(|h| h.join().unwrap());
        assert_eq!(violations.load(Ordering::SeqCst), 0);
    }

    fn cmd(s: &str) -> Argv {
        s.split(' ').map(|p| Bytes::copy_from_slice(p.as_bytes())).collect()
    }

    #[test]
    fn unit_selects_where_the_database_changes_and_returns() {
        assert_eq!(build_unit(vec![]), None);
        assert_eq!(build_unit(vec![(2, cmd("SET a 1"))]), Some((2, vec![cmd("SET a 1")])));
        let (db, unit) = build_unit(vec![(0, cmd("SET a 1")), (3, cmd("SET b 1")), (3, cmd("DEL c")), (0, cmd("INCR a"))]).unwrap();
        assert_eq!(db, 0);
        assert_eq!(unit, vec![cmd("SET a 1"), cmd("SELECT 3"), cmd("SET b 1"), cmd("DEL c"), cmd("SELECT 0"), cmd("INCR a")]);
        let (_, unit) = build_unit(vec![(1, cmd("SET a 1")), (5, cmd("SET b 1"))]).unwrap();
        assert_eq!(unit, vec![cmd("SET a 1"), cmd("SELECT 5"), cmd("SET b 1"), cmd("SELECT 1")]);
    }

    fn argv(line: &str) -> Argv {
        line.split(' ').map(|p| Bytes::copy_from_slice(p.as_bytes())).collect()
    }

    /// A second client of the harness's server.
    fn client(h: &crate::testkit::Harness) -> crate::net::clients::ClientState {
        use crate::net::clients::{ClientHandle, ClientState, Peer};
        let peer = Peer::Unix("other".into());
        ClientState::new(std::sync::Arc::new(ClientHandle::new(h.server.clients.next_id(), peer.clone(), peer, -1)), true)
    }

    #[test]
    fn dispatch_hands_requests_back_while_a_section_holds_the_world() {
        use crate::dispatch::try_execute_looked_up;
        use rhodium_protocol::{ReplyWriter, Resp};
        let h = crate::testkit::Harness::new();
        let server = h.server.clone();
        let section = begin_atomic(&server);
        let worker = {
            let server = server.clone();
            let mut c = client(&h);
            std::thread::spawn(move || {
                let mut out = ReplyWriter::new(Resp::V2);
                let mut deferred = Vec::new();
                // An ordinary command, an exclusive one, one that opens its own section;
                // MULTI runs beside the section and queueing needs no world either.
                let lines: [&[&str]; 6] = [&["SET", "k", "v"], &["FLUSHALL"], &["EVAL", "return 1", "0"], &["MULTI"], &["SET", "k", "w"], &["EXEC"]];
                for parts in lines {
                    let a: Argv = parts.iter().map(|p| Bytes::copy_from_slice(p.as_bytes())).collect();
                    let lookup = server.table.lookup(&a);
                    deferred.push(try_execute_looked_up(&server, &mut c, a, lookup, &mut out).is_err());
                }
                (deferred, String::from_utf8_lossy(out.as_bytes()).into_owned())
            })
        };
        let (deferred, replies) = worker.join().unwrap();
        assert_eq!(deferred, vec![true, true, true, false, false, true]);
        assert_eq!(replies, "+OK\r\n+QUEUED\r\n");
        drop(section);
        assert!(!server.world.is_held());
    }

    #[test]
    fn a_command_that_opens_its_own_section_takes_over_the_hold_of_dispatch() {
        let mut h = crate::testkit::Harness::new();
        assert_eq!(h.run("MULTI"), "+OK\r\n");
        assert_eq!(h.run("SET a 1"), "+QUEUED\r\n");
        assert_eq!(h.run("EXEC"), "*1\r\n+OK\r\n");
        assert!(!h.server.world.is_held());
        assert!(h.server.world.try_write().is_some());
    }

    #[test]
    fn blocked_clients_are_served_after_a_section_not_waited_for() {
        use rhodium_protocol::{ReplyWriter, Resp};
        let h = crate::testkit::Harness::new();
        let server = h.server.clone();
        let mut b = client(&h);
        let mut out = ReplyWriter::new(Resp::V2);
        crate::dispatch::execute(&server, &mut b, argv("BLPOP l 0"), &mut out);
        let waiter = b.block.parked.take().expect("BLPOP parks");
        // The list gets its element (written under its lock with no signal, as a write
        // that has not reported yet) and a section that does not touch it takes the world
        // before the waiter is served: serving must not wait for the section, and the
        // section's end must serve what was left.
        {
            use rhodium_storage::types::list::{End, List};
            use rhodium_storage::Value;
            let mut list = List::new();
            list.push(End::Right, b"v");
            let _w = server.world.read();
            let mut keys = server.keyspace.lock([(0, &b"l"[..])], rhodium_storage::LockMode::Write, 0, rhodium_storage::keyspace::ExpiryMode::Delete);
            keys.set(0, b"l", Value::List(Box::new(list)), rhodium_storage::keyspace::SetExpiry::Clear).unwrap();
        }
        let section = begin_atomic(&server);
        server.blocking.signal(0, b"l");
        let (tx, rx) = std::sync::mpsc::channel();
        let serving = {
            let server = server.clone();
            std::thread::spawn(move || {
                crate::blocking::serve_ready(&server);
                let _ = tx.send(());
            })
        };
        assert!(rx.recv_timeout(std::time::Duration::from_secs(10)).is_ok(), "serve_ready waited for the section");
        serving.join().unwrap();
        assert_eq!(waiter.take_reply(), None);
        // The section's end serves it.
        section.commit();
        assert_eq!(waiter.take_reply().map(|r| String::from_utf8_lossy(&r).into_owned()), Some("*2\r\n$1\r\nl\r\n$1\r\nv\r\n".to_string()));
    }
}
