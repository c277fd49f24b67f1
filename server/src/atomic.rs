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
}

impl Default for WorldLock {
    fn default() -> Self {
        WorldLock { slots: (0..SLOTS).map(|_| Slot::default()).collect(), writer: AtomicBool::new(false), exclusive: Mutex::new(()) }
    }
}

thread_local! {
    static MY_SLOT: usize = {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        NEXT.fetch_add(1, Ordering::Relaxed) % SLOTS
    };
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
    _exclusive: MutexGuard<'a, ()>,
}

impl Drop for WorldWrite<'_> {
    fn drop(&mut self) {
        self.lock.writer.store(false, Ordering::SeqCst);
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
    /// progress to finish; new commands wait until the hold is dropped.
    pub fn write(&self) -> WorldWrite<'_> {
        let exclusive = self.exclusive.lock();
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
        WorldWrite { lock: self, _exclusive: exclusive }
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
            crate::dispatch::key_changed(server, *db, key);
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
}

