//! The one ordered propagation pipeline. Commands call [`Propagator::propagate`] while
//! they still hold their key locks, so the order of units agrees with every key's own
//! execution order. Sinks (AOF, binlog, replica streams) see units in OpID order.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

use parking_lot::{Mutex, RwLock};
use rhodium_protocol::Argv;
use rhodium_storage::DbIndex;

use crate::opid::OpId;

/// One atomic unit of effects: a single command, or several that replicas must apply
/// as one (they are wrapped in MULTI/EXEC on the wire).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unit {
    pub opid: OpId,
    /// Id of the server where the write was accepted.
    pub origin: u64,
    pub db: DbIndex,
    pub commands: Vec<Argv>,
}

/// A consumer of propagated units.
pub trait Sink: Send + Sync {
    fn append(&self, unit: &Unit);
}

/// Assigns OpIDs and hands units to every sink in order.
pub struct Propagator {
    epoch: AtomicU64,
    seq: AtomicU64,
    origin: u64,
    has_sinks: AtomicBool,
    sinks: RwLock<Vec<Arc<dyn Sink>>>,
    order: Mutex<()>,
}

impl Propagator {
    pub fn new(origin: u64) -> Self {
        Propagator {
            epoch: AtomicU64::new(1),
            seq: AtomicU64::new(0),
            origin,
            has_sinks: AtomicBool::new(false),
            sinks: RwLock::new(Vec::new()),
            order: Mutex::new(()),
        }
    }

    /// The last OpID assigned.
    pub fn last(&self) -> OpId {
        OpId { epoch: self.epoch.load(Ordering::Acquire), seq: self.seq.load(Ordering::Acquire) }
    }

    pub fn add_sink(&self, sink: Arc<dyn Sink>) {
        let _order = self.order.lock();
        self.sinks.write().push(sink);
        self.has_sinks.store(true, Ordering::Release);
    }

    /// Propagates one unit of effects executed in `db`. Must be called before the key
    /// locks of the command that produced them are released.
    pub fn propagate(&self, db: DbIndex, commands: Vec<Argv>) -> OpId {
        if commands.is_empty() {
            return self.last();
        }
        if !self.has_sinks.load(Ordering::Acquire) {
            let seq = self.seq.fetch_add(1, Ordering::AcqRel) + 1;
            return OpId { epoch: self.epoch.load(Ordering::Acquire), seq };
        }
        let _order = self.order.lock();
        let seq = self.seq.fetch_add(1, Ordering::AcqRel) + 1;
        let unit = Unit { opid: OpId { epoch: self.epoch.load(Ordering::Acquire), seq }, origin: self.origin, db, commands };
        for s in self.sinks.read().iter() {
            s.append(&unit);
        }
        unit.opid
    }
}

/// A sink that keeps every unit in memory (tests, DEBUG introspection).
#[derive(Default)]
pub struct Recorder {
    units: Mutex<Vec<Unit>>,
}

impl Recorder {
    pub fn units(&self) -> Vec<Unit> {
        self.units.lock().clone()
    }

    /// Removes and returns every unit recorded so far.
    pub fn take(&self) -> Vec<Unit> {
        std::mem::take(&mut *self.units.lock())
    }
}

impl Sink for Recorder {
    fn append(&self, unit: &Unit) {
        self.units.lock().push(unit.clone());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    #[test]
    fn assigns_increasing_opids_in_order() {
        let p = Propagator::new(7);
        let rec = Arc::new(Recorder::default());
        p.add_sink(rec.clone());
        let a = p.propagate(0, vec![vec![Bytes::from_static(b"SET")]]);
        let b = p.propagate(1, vec![vec![Bytes::from_static(b"DEL")]]);
        assert!(a < b);
        let units = rec.units();
        assert_eq!(units.len(), 2);
        assert_eq!(units[1].db, 1);
        assert_eq!(units[0].origin, 7);
    }
}
