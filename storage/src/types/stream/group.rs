//! Consumer groups: the group's pending entries list (PEL), its consumers with their own
//! PELs, and the delivery bookkeeping of XREADGROUP, XACK and XCLAIM.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use super::StreamId;

/// A pending (delivered, not yet acknowledged) entry.
#[derive(Clone, Debug)]
pub struct Nack {
    /// Unix time in milliseconds of the last delivery.
    pub delivery_time: i64,
    pub delivery_count: u64,
    /// The owning consumer's name.
    pub consumer: Arc<[u8]>,
}

/// A consumer of a group.
#[derive(Clone, Debug)]
pub struct Consumer {
    pub name: Arc<[u8]>,
    /// Unix time in milliseconds the consumer was last seen (read or claimed).
    pub seen_time: i64,
    /// IDs of the entries pending for this consumer.
    pub pel: BTreeSet<StreamId>,
}

/// A consumer group.
#[derive(Clone, Debug)]
pub struct Group {
    pub last_id: StreamId,
    /// The logical read counter; `None` when unknown.
    pub entries_read: Option<u64>,
    pub pel: BTreeMap<StreamId, Nack>,
    pub consumers: BTreeMap<Arc<[u8]>, Consumer>,
}

impl Group {
    pub fn new(last_id: StreamId, entries_read: Option<u64>) -> Group {
        Group { last_id, entries_read, pel: BTreeMap::new(), consumers: BTreeMap::new() }
    }

    /// Creates a consumer if missing; true if created.
    pub fn create_consumer(&mut self, name: &[u8], now: i64) -> bool {
        if self.consumers.contains_key(name) {
            return false;
        }
        let name: Arc<[u8]> = Arc::from(name);
        self.consumers.insert(name.clone(), Consumer { name, seen_time: now, pel: BTreeSet::new() });
        true
    }

    /// Deletes a consumer and its pending entries; the number pending, `None` if absent.
    pub fn delete_consumer(&mut self, name: &[u8]) -> Option<usize> {
        let c = self.consumers.remove(name)?;
        for id in &c.pel {
            self.pel.remove(id);
        }
        Some(c.pel.len())
    }

    /// Removes `id` from the PELs; true if it was pending.
    pub fn ack(&mut self, id: StreamId) -> bool {
        let Some(nack) = self.pel.remove(&id) else {
            return false;
        };
        if let Some(c) = self.consumers.get_mut(&nack.consumer) {
            c.pel.remove(&id);
        }
        true
    }

    /// Records the delivery of `id` to `consumer` by XREADGROUP: a new pending entry, or
    /// an existing one moved to `consumer` with its count reset to 1.
    pub fn deliver(&mut self, id: StreamId, consumer: &[u8], now: i64) {
        let Some(name) = self.consumers.get(consumer).map(|c| c.name.clone()) else {
            return;
        };
        if let Some(old) = self.pel.get(&id).map(|n| n.consumer.clone()) {
            if let Some(c) = self.consumers.get_mut(&old) {
                c.pel.remove(&id);
            }
        }
        self.pel.insert(id, Nack { delivery_time: now, delivery_count: 1, consumer: name.clone() });
        if let Some(c) = self.consumers.get_mut(&name) {
            c.pel.insert(id);
        }
    }

    /// Gives the pending entry `id` to `consumer` (XCLAIM/XAUTOCLAIM), creating the
    /// pending entry if `create`. Sets the delivery time, and the count to `retry` if
    /// given, else increments it unless `justid`. Returns the resulting entry, or `None`
    /// if `id` is not pending and not created.
    pub fn claim(&mut self, id: StreamId, consumer: &[u8], time: i64, retry: Option<u64>, justid: bool) -> Option<&Nack> {
        let name = self.consumers.get(consumer)?.name.clone();
        let old = self.pel.get(&id)?.consumer.clone();
        if old != name {
            if let Some(c) = self.consumers.get_mut(&old) {
                c.pel.remove(&id);
            }
        }
        if let Some(c) = self.consumers.get_mut(&name) {
            c.pel.insert(id);
        }
        let nack = self.pel.get_mut(&id)?;
        nack.delivery_time = time;
        match retry {
            Some(r) => nack.delivery_count = r,
            None if !justid => nack.delivery_count += 1,
            None => {}
        }
        nack.consumer = name;
        Some(nack)
    }

    /// Creates an unowned-yet pending entry for FORCE (owned by `consumer` right after).
    pub fn force_pending(&mut self, id: StreamId, consumer: &[u8], now: i64) -> bool {
        if self.pel.contains_key(&id) {
            return false;
        }
        let Some(name) = self.consumers.get(consumer).map(|c| c.name.clone()) else {
            return false;
        };
        // Like Redis's `streamCreateNACK`: one delivery, then the claim that follows
        // counts another unless JUSTID or RETRYCOUNT say otherwise.
        self.pel.insert(id, Nack { delivery_time: now, delivery_count: 1, consumer: name.clone() });
        if let Some(c) = self.consumers.get_mut(&name) {
            c.pel.insert(id);
        }
        true
    }

    /// Heap bytes owned (approximate).
    pub fn heap_size(&self) -> usize {
        std::mem::size_of::<Group>()
            + self.pel.len() * (std::mem::size_of::<Nack>() + 16 + 16)
            + self.consumers.values().map(|c| c.name.len() * 2 + std::mem::size_of::<Consumer>() + c.pel.len() * 24).sum::<usize>()
    }
}
