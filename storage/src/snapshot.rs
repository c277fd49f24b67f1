//! A point-in-time image of the live keyspace without fork and without stopping writers
//! for the whole save (BGSAVE).
//!
//! Starting a snapshot read-locks every stripe once (waiting only for writes already in
//! flight), records each database's key counts and marks every stripe "pending". From then
//! on, the first writer to write-lock a pending stripe serialises it into RDB key records
//! before changing anything, so the records are the stripe as it was at the start; the
//! saver walks the stripes in order, serialising those still pending under a read lock and
//! taking the records writers already produced. A writer pays for at most one stripe, and
//! memory holds only the stripes dumped ahead of the saver.

use std::sync::Arc;

use parking_lot::Mutex;

use crate::keyspace::{DbIndex, Stripe, STRIPES};
use crate::rdb::write::{write_key, WriteOptions};

enum Slot {
    Pending,
    Dumped(Vec<u8>),
    Taken,
}

/// One running snapshot.
pub struct Snapshot {
    opts: WriteOptions,
    slots: Vec<Mutex<Slot>>,
    /// (keys, keys with a TTL) per database at the start.
    counts: Vec<(usize, usize)>,
    /// The caller's change counter at the start (Redis's `dirty` before the fork).
    pub dirty_at_start: u64,
}

impl Snapshot {
    pub(crate) fn new(opts: WriteOptions, counts: Vec<(usize, usize)>, dirty_at_start: u64) -> Snapshot {
        let slots = (0..counts.len() * STRIPES).map(|_| Mutex::new(Slot::Pending)).collect();
        Snapshot { opts, slots, counts, dirty_at_start }
    }

    /// Databases covered.
    pub fn databases(&self) -> usize {
        self.counts.len()
    }

    /// (keys, keys with a TTL) of a database when the snapshot started.
    pub fn counts(&self, db: DbIndex) -> (usize, usize) {
        self.counts.get(db).copied().unwrap_or((0, 0))
    }

    /// Serialises a stripe if it is still as it was at the start. The caller holds the
    /// stripe's lock (write for a writer about to change it, read for the saver).
    pub(crate) fn dump_if_pending(&self, db: DbIndex, stripe: usize, st: &Stripe) {
        let Some(slot) = self.slots.get(db * STRIPES + stripe) else {
            return;
        };
        let mut slot = slot.lock();
        if matches!(*slot, Slot::Pending) {
            let mut out = Vec::new();
            for e in st.dict().iter() {
                write_key(&mut out, e.key.as_bytes(), &e.value, st.expiry_of(e), &self.opts);
            }
            *slot = Slot::Dumped(out);
        }
    }

    /// The records of a stripe, once (the saver calls this after `dump_if_pending`).
    pub(crate) fn take(&self, db: DbIndex, stripe: usize) -> Vec<u8> {
        let Some(slot) = self.slots.get(db * STRIPES + stripe) else {
            return Vec::new();
        };
        match std::mem::replace(&mut *slot.lock(), Slot::Taken) {
            Slot::Dumped(v) => v,
            Slot::Pending | Slot::Taken => Vec::new(),
        }
    }
}

/// The keyspace's handle on the snapshot in progress, if any.
#[derive(Default)]
pub(crate) struct Active {
    flag: std::sync::atomic::AtomicBool,
    snap: Mutex<Option<Arc<Snapshot>>>,
}

impl Active {
    /// Called with a stripe write-locked, before it changes.
    #[inline]
    pub(crate) fn before_write(&self, db: DbIndex, stripe: usize, st: &Stripe) {
        if self.flag.load(std::sync::atomic::Ordering::Acquire) {
            let snap = self.snap.lock().clone();
            if let Some(snap) = snap {
                snap.dump_if_pending(db, stripe, st);
            }
        }
    }

    /// Installs a snapshot; false if one is already running.
    pub(crate) fn install(&self, snap: Arc<Snapshot>) -> bool {
        let mut cur = self.snap.lock();
        if cur.is_some() {
            return false;
        }
        *cur = Some(snap);
        self.flag.store(true, std::sync::atomic::Ordering::Release);
        true
    }

    pub(crate) fn clear(&self) {
        *self.snap.lock() = None;
        self.flag.store(false, std::sync::atomic::Ordering::Release);
    }

    pub(crate) fn is_running(&self) -> bool {
        self.flag.load(std::sync::atomic::Ordering::Acquire)
    }
}

#[cfg(test)]
mod tests {
    use crate::digest::{hex, DatasetDigest};
    use crate::keyspace::{ExpiryMode, Keyspace, LockMode, SetExpiry, STRIPES};
    use crate::rdb::{self, LoadLimits, WriteOptions};
    use crate::value::Value;

    fn digest(ks: &Keyspace) -> String {
        let mut d = DatasetDigest::default();
        for db in 0..ks.databases() {
            if ks.dbsize(db) == 0 {
                continue;
            }
            d.begin_db(db as u32);
            ks.for_each(db, |e, at| d.add(e.key.as_bytes(), &e.value, at.is_some()));
        }
        hex(&d.finish())
    }

    fn set(ks: &Keyspace, db: usize, k: &str, v: &str) {
        ks.lock([(db, k.as_bytes())], LockMode::Write, 0, ExpiryMode::Delete).set(db, k.as_bytes(), Value::string(v.as_bytes()), SetExpiry::Clear).unwrap();
    }

    /// Writes made after the snapshot started do not reach it: the file loads back to the
    /// dataset as it was at the start.
    #[test]
    fn snapshot_is_point_in_time_while_writes_continue() {
        let ks = Keyspace::new(2);
        for i in 0..2000 {
            set(&ks, i % 2, &format!("k{i}"), &format!("v{i}"));
        }
        let before = digest(&ks);
        let snap = ks.start_snapshot(WriteOptions::default(), || 7).unwrap();
        assert!(ks.start_snapshot(WriteOptions::default(), || 0).is_none());
        let mut w = rdb::Writer::new(Vec::new(), WriteOptions::default());
        for db in 0..snap.databases() {
            let (keys, expires) = snap.counts(db);
            w.select_db(db, keys, expires).unwrap();
            for s in 0..STRIPES {
                // Interleave writes with the saver: change keys, delete some, flush db 1
                // half way through.
                for i in 0..50 {
                    set(&ks, 0, &format!("k{}", (s * 50 + i) % 2000), "changed");
                }
                if db == 0 && s == STRIPES / 2 {
                    ks.flush_db_then(1, |_| ());
                }
                w.raw_records(&ks.snapshot_stripe(&snap, db, s)).unwrap();
            }
        }
        ks.end_snapshot();
        let file = w.finish(true).unwrap();
        let back = Keyspace::new(2);
        rdb::load(&file, &LoadLimits::default(), |k| {
            back.lock([(k.db, &k.key)], LockMode::Write, 0, ExpiryMode::Delete).set(k.db, &k.key, k.value, SetExpiry::Clear).map_err(|e| e.to_string())
        })
        .unwrap();
        assert_eq!(digest(&back), before);
        assert_ne!(digest(&ks), before);
        assert_eq!(snap.dirty_at_start, 7);
        assert!(!ks.snapshot_running());
    }
}
