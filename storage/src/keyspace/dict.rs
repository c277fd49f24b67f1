//! The hash table under each keyspace stripe: power-of-two buckets of chained entries, as
//! Redis's `dict`, so that SCAN's reverse-binary cursor returns every key present for the
//! whole iteration even when the table grows or shrinks between calls.

use std::sync::atomic::{AtomicU32, Ordering};

use crate::bytes_small::SmallBytes;
use crate::value::Value;

/// Flag bit in [`Entry::meta`]: the key has a TTL in the stripe's expires map.
pub const META_HAS_EXPIRE: u32 = 1 << 31;
/// Bits of [`Entry::meta`] holding the LRU clock (or LFU data).
pub const META_LRU_MASK: u32 = (1 << 24) - 1;

/// One key and its value. 64 bytes.
pub struct Entry {
    next: Option<Box<Entry>>,
    /// LRU clock (low 24 bits) and flags. Updated under a read lock on access, so atomic.
    meta: AtomicU32,
    pub key: SmallBytes,
    pub value: Value,
}

const _: () = assert!(std::mem::size_of::<Entry>() == 64);

impl Entry {
    pub fn lru(&self) -> u32 {
        self.meta.load(Ordering::Relaxed) & META_LRU_MASK
    }

    /// Records an access; callable under a shared lock.
    pub fn touch(&self, lru: u32) {
        let m = self.meta.load(Ordering::Relaxed);
        let new = (m & !META_LRU_MASK) | (lru & META_LRU_MASK);
        if new != m {
            self.meta.store(new, Ordering::Relaxed);
        }
    }

    pub fn set_lru(&mut self, lru: u32) {
        let m = self.meta.get_mut();
        *m = (*m & !META_LRU_MASK) | (lru & META_LRU_MASK);
    }

    pub fn has_expire(&self) -> bool {
        self.meta.load(Ordering::Relaxed) & META_HAS_EXPIRE != 0
    }

    pub(crate) fn set_has_expire(&mut self, on: bool) {
        let m = self.meta.get_mut();
        if on {
            *m |= META_HAS_EXPIRE;
        } else {
            *m &= !META_HAS_EXPIRE;
        }
    }
}

/// A chained hash table keyed by precomputed hashes.
#[derive(Default)]
pub struct Dict {
    table: Vec<Option<Box<Entry>>>,
    len: usize,
}

/// Smallest non-empty table.
const MIN_SIZE: usize = 4;

impl Dict {
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Number of buckets.
    pub fn buckets(&self) -> usize {
        self.table.len()
    }

    #[inline]
    fn slot(&self, hash: u64) -> usize {
        (hash as usize) & (self.table.len() - 1)
    }

    pub fn get(&self, hash: u64, key: &[u8]) -> Option<&Entry> {
        if self.table.is_empty() {
            return None;
        }
        let mut cur = self.table[self.slot(hash)].as_deref();
        while let Some(e) = cur {
            if e.key.as_bytes() == key {
                return Some(e);
            }
            cur = e.next.as_deref();
        }
        None
    }

    pub fn get_mut(&mut self, hash: u64, key: &[u8]) -> Option<&mut Entry> {
        if self.table.is_empty() {
            return None;
        }
        let slot = self.slot(hash);
        let mut cur = self.table[slot].as_deref_mut();
        while let Some(e) = cur {
            if e.key.as_bytes() == key {
                return Some(e);
            }
            cur = e.next.as_deref_mut();
        }
        None
    }

    /// Inserts a key known to be absent and returns its entry.
    pub fn insert_new(&mut self, hash: u64, key: &[u8], value: Value, lru: u32, rehash: impl Fn(&[u8]) -> u64) -> &mut Entry {
        if self.len >= self.table.len() {
            let target = (self.table.len() * 2).max(MIN_SIZE);
            self.resize(target, &rehash);
        }
        let slot = self.slot(hash);
        let next = self.table[slot].take();
        self.table[slot] = Some(Box::new(Entry { next, meta: AtomicU32::new(lru & META_LRU_MASK), key: SmallBytes::new(key), value }));
        self.len += 1;
        match self.table[slot].as_deref_mut() {
            Some(e) => e,
            None => unreachable!("slot was just filled"),
        }
    }

    /// Removes a key, returning its entry.
    pub fn remove(&mut self, hash: u64, key: &[u8], rehash: impl Fn(&[u8]) -> u64) -> Option<Box<Entry>> {
        if self.table.is_empty() {
            return None;
        }
        let slot = self.slot(hash);
        let mut link = &mut self.table[slot];
        loop {
            match link {
                None => return None,
                Some(e) if e.key.as_bytes() == key => {
                    let mut removed = link.take()?;
                    *link = removed.next.take();
                    self.len -= 1;
                    self.maybe_shrink(&rehash);
                    return Some(removed);
                }
                Some(e) => link = &mut e.next,
            }
        }
    }

    /// Drops every entry.
    pub fn clear(&mut self) {
        // Unlink chains iteratively so a long chain cannot overflow the stack on drop.
        for slot in self.table.iter_mut() {
            let mut cur = slot.take();
            while let Some(mut e) = cur {
                cur = e.next.take();
            }
        }
        self.table = Vec::new();
        self.len = 0;
    }

    fn maybe_shrink(&mut self, rehash: &impl Fn(&[u8]) -> u64) {
        // Like Redis: shrink when the fill drops under 10%.
        if self.table.len() > MIN_SIZE && self.len * 10 < self.table.len() {
            let target = self.len.next_power_of_two().max(MIN_SIZE);
            self.resize(target, rehash);
        }
    }

    fn resize(&mut self, size: usize, rehash: &impl Fn(&[u8]) -> u64) {
        let old = std::mem::take(&mut self.table);
        self.table.resize_with(size, || None);
        for mut slot in old {
            while let Some(mut e) = slot {
                slot = e.next.take();
                let s = (rehash(e.key.as_bytes()) as usize) & (size - 1);
                e.next = self.table[s].take();
                self.table[s] = Some(e);
            }
        }
    }

    /// Visits the entries of one or more buckets starting at `cursor` and returns the next
    /// cursor (0 when the iteration is complete), with Redis's reverse-binary increment.
    /// Stops once `limit` entries were visited or `limit * 10` empty buckets were passed.
    pub fn scan(&self, mut cursor: u64, limit: usize, mut visit: impl FnMut(&Entry)) -> u64 {
        if self.table.is_empty() {
            return 0;
        }
        let mask = (self.table.len() - 1) as u64;
        let mut seen = 0usize;
        let mut empty_budget = limit.saturating_mul(10).max(1);
        loop {
            let mut cur = self.table[(cursor & mask) as usize].as_deref();
            if cur.is_none() {
                empty_budget = empty_budget.saturating_sub(1);
            }
            while let Some(e) = cur {
                visit(e);
                seen += 1;
                cur = e.next.as_deref();
            }
            cursor |= !mask;
            cursor = cursor.reverse_bits().wrapping_add(1).reverse_bits();
            if cursor == 0 || seen >= limit || empty_budget == 0 {
                return cursor;
            }
        }
    }

    /// A random entry (uniform bucket, then uniform within the chain, as Redis does).
    pub fn random(&self, rng: &mut impl rand::Rng) -> Option<&Entry> {
        if self.len == 0 {
            return None;
        }
        loop {
            let slot = rng.gen_range(0..self.table.len());
            let mut chain = Vec::new();
            let mut cur = self.table[slot].as_deref();
            while let Some(e) = cur {
                chain.push(e);
                cur = e.next.as_deref();
            }
            if !chain.is_empty() {
                return Some(chain[rng.gen_range(0..chain.len())]);
            }
        }
    }

    /// Every entry, in bucket order.
    pub fn iter(&self) -> impl Iterator<Item = &Entry> {
        self.table.iter().flat_map(|slot| {
            let mut cur = slot.as_deref();
            std::iter::from_fn(move || {
                let e = cur?;
                cur = e.next.as_deref();
                Some(e)
            })
        })
    }

    /// Bytes used by the bucket array and the entries (not counting value heap data).
    pub fn overhead_bytes(&self) -> usize {
        self.table.capacity() * std::mem::size_of::<Option<Box<Entry>>>() + self.len * std::mem::size_of::<Entry>()
    }
}

impl Drop for Dict {
    fn drop(&mut self) {
        self.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    fn h(k: &[u8]) -> u64 {
        crate::keyspace::hash_key(k)
    }

    #[test]
    fn insert_get_remove() {
        let mut d = Dict::default();
        for i in 0..1000 {
            let k = format!("k{i}");
            d.insert_new(h(k.as_bytes()), k.as_bytes(), Value::Int(i), 0, h);
        }
        assert_eq!(d.len(), 1000);
        for i in 0..1000 {
            let k = format!("k{i}");
            assert!(matches!(d.get(h(k.as_bytes()), k.as_bytes()).map(|e| &e.value), Some(Value::Int(v)) if *v == i));
        }
        for i in 0..990 {
            let k = format!("k{i}");
            assert!(d.remove(h(k.as_bytes()), k.as_bytes(), h).is_some());
        }
        assert_eq!(d.len(), 10);
        assert!(d.buckets() < 128);
    }

    #[test]
    fn scan_returns_survivors_across_resizes() {
        let mut d = Dict::default();
        let keys: Vec<String> = (0..500).map(|i| format!("key:{i}")).collect();
        for k in &keys {
            d.insert_new(h(k.as_bytes()), k.as_bytes(), Value::Int(1), 0, h);
        }
        let mut seen = HashSet::new();
        let mut cursor = 0;
        let mut step = 0;
        loop {
            cursor = d.scan(cursor, 10, |e| {
                seen.insert(e.key.as_bytes().to_vec());
            });
            step += 1;
            // Grow and shrink the table while iterating; keys 0..100 stay throughout.
            if step == 3 {
                for i in 500..3000 {
                    let k = format!("key:{i}");
                    d.insert_new(h(k.as_bytes()), k.as_bytes(), Value::Int(1), 0, h);
                }
            }
            if step == 6 {
                for i in 100..3000 {
                    let k = format!("key:{i}");
                    d.remove(h(k.as_bytes()), k.as_bytes(), h);
                }
            }
            if cursor == 0 {
                break;
            }
        }
        for k in &keys[..100] {
            assert!(seen.contains(k.as_bytes()), "missing {k}");
        }
    }
}
