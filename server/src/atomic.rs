//! Atomic sections: MULTI/EXEC, scripts and whole-keyspace commands run with no other
//! command executing anywhere, and propagate everything they did as one unit.
//!
//! The world lock (`Server::world`) is a process-wide `RwLock<()>`: every ordinary command
//! holds it shared while it runs (dispatch), an atomic section holds it exclusively. Inside
//! the section commands still lock their key stripes as usual (uncontended), so handlers
//! need not know whether they run alone.
//!
//! Propagation: a unit has one database. A section whose effects span several databases
//! carries `SELECT n` commands inside its unit where the database changes, and ends with
//! a `SELECT` back to the unit's database if it left it, so the stream is in the unit's
//! database after every unit, as it is after a single command.

use bytes::Bytes;
use parking_lot::RwLockWriteGuard;
use rhodium_protocol::Argv;
use rhodium_storage::{DbIndex, UnixMillis};

use crate::state::Server;

pub use crate::dispatch::execute_in_atomic;

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
    world: Option<RwLockWriteGuard<'s, ()>>,
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
    pub fn commit(mut self) {
        self.finish();
        crate::blocking::serve_ready(self.server);
    }

    /// Commits once; a section dropped without `commit` (an early return) still
    /// propagates what it did, since its writes are in the keyspace.
    fn finish(&mut self) {
        let Some(world) = self.world.take() else {
            return;
        };
        let server = self.server;
        let effects = std::mem::take(&mut self.log.effects);
        if let Some((db, unit)) = build_unit(effects) {
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
        self.finish();
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
