//! The large form of hashes, sets and sorted sets: entries kept densely in one vector,
//! found by a hash index of 32-bit positions (4 bytes and a control byte a slot), so an
//! element costs its own entry plus about ten bytes, against Redis's 24-byte `dictEntry`
//! and 8-byte bucket. Positions make a random element and an index-based scan cursor O(1).
//! (Positions are 32-bit: a collection of 2^32 elements would need over 100 GB anyway.)
//!
//! Removal swaps the last entry into the hole (O(1)); a scan that walks positions from the
//! top down therefore returns every element present for the whole scan: a swap only
//! moves an already visited entry (or a later one that is not owed) into a lower slot.

use hashbrown::HashTable;

use crate::keyspace::hash_key;

/// An entry that holds its own key bytes.
pub trait Keyed {
    /// The bytes identifying the entry (the member, or the field of a hash).
    fn key(&self) -> &[u8];
}

impl Keyed for Box<[u8]> {
    fn key(&self) -> &[u8] {
        self
    }
}

/// Dense entries plus a hash index of positions.
#[derive(Clone, Debug)]
pub struct Dense<E> {
    entries: Vec<E>,
    index: HashTable<u32>,
}

impl<E> Default for Dense<E> {
    fn default() -> Self {
        Dense { entries: Vec::new(), index: HashTable::new() }
    }
}

/// The jemalloc size class `n` bytes are rounded up to (four classes per doubling above
/// 128 bytes, 16-byte steps below), so growth can ask for exactly what would be charged.
pub fn size_class(n: usize) -> usize {
    if n <= 8 {
        return 8;
    }
    if n <= 128 {
        return n.div_ceil(16) * 16;
    }
    let k = usize::BITS - 1 - (n - 1).leading_zeros();
    let step = 1usize << (k - 2);
    n.div_ceil(step) * step
}

/// Grows `v` to hold `extra` more items, to the next allocator size class rather than
/// double: an amortised O(1) push that wastes at most a quarter of the allocation.
pub fn reserve_class<T>(v: &mut Vec<T>, extra: usize) {
    let need = v.len() + extra;
    if need <= v.capacity() {
        return;
    }
    let size = std::mem::size_of::<T>().max(1);
    let cap = size_class((need * size).max(v.capacity() * size + 1)) / size;
    v.reserve_exact(cap.max(need) - v.len());
}

impl<E: Keyed> Dense<E> {
    /// An empty table with room for `n` entries.
    pub fn with_capacity(n: usize) -> Self {
        Dense { entries: Vec::with_capacity(n), index: HashTable::with_capacity(n) }
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Position of the entry whose key is `key`.
    pub fn position(&self, key: &[u8]) -> Option<usize> {
        let entries = &self.entries;
        self.index.find(hash_key(key), |&i| entries[i as usize].key() == key).map(|&i| i as usize)
    }

    /// The entry whose key is `key`.
    pub fn get(&self, key: &[u8]) -> Option<&E> {
        self.position(key).map(|i| &self.entries[i])
    }

    /// Whether an entry has key `key`.
    pub fn contains(&self, key: &[u8]) -> bool {
        self.position(key).is_some()
    }

    /// The entry at `pos`.
    pub fn get_index(&self, pos: usize) -> Option<&E> {
        self.entries.get(pos)
    }

    /// The entry at `pos`, mutably. Its key must not change.
    pub fn get_index_mut(&mut self, pos: usize) -> Option<&mut E> {
        self.entries.get_mut(pos)
    }

    /// Appends an entry whose key is known to be absent; returns its position.
    pub fn push_new(&mut self, entry: E) -> usize {
        let pos = self.entries.len();
        let h = hash_key(entry.key());
        reserve_class(&mut self.entries, 1);
        self.entries.push(entry);
        let entries = &self.entries;
        self.index.insert_unique(h, pos as u32, |&i| hash_key(entries[i as usize].key()));
        pos
    }

    /// Inserts `entry` unless its key is present; true if it was added.
    pub fn insert(&mut self, entry: E) -> bool {
        if self.contains(entry.key()) {
            return false;
        }
        self.push_new(entry);
        true
    }

    /// Removes the entry at `pos`, moving the last entry into its place.
    pub fn swap_remove_index(&mut self, pos: usize) -> Option<E> {
        let last = self.entries.len().checked_sub(1)?;
        if pos > last {
            return None;
        }
        let h = hash_key(self.entries[pos].key());
        if let Ok(slot) = self.index.find_entry(h, |&i| i as usize == pos) {
            slot.remove();
        }
        if pos != last {
            let hl = hash_key(self.entries[last].key());
            if let Some(slot) = self.index.find_mut(hl, |&i| i as usize == last) {
                *slot = pos as u32;
            }
        }
        let e = self.entries.swap_remove(pos);
        self.shrink_if_sparse();
        Some(e)
    }

    /// Removes the entry whose key is `key`.
    pub fn swap_remove(&mut self, key: &[u8]) -> Option<E> {
        let pos = self.position(key)?;
        self.swap_remove_index(pos)
    }

    /// Gives memory back once three quarters of it is unused, as Redis shrinks its dicts.
    fn shrink_if_sparse(&mut self) {
        let len = self.entries.len();
        if self.entries.capacity() > 16 && len < self.entries.capacity() / 4 {
            let size = std::mem::size_of::<E>().max(1);
            self.entries.shrink_to(size_class(len * 2 * size) / size);
        }
        if self.index.capacity() > 16 && len < self.index.capacity() / 4 {
            let entries = &self.entries;
            self.index.shrink_to(len * 2, |&i| hash_key(entries[i as usize].key()));
        }
    }

    /// Entries in position order.
    pub fn iter(&self) -> std::slice::Iter<'_, E> {
        self.entries.iter()
    }

    /// Entries in position order, mutably. Keys must not change.
    pub fn iter_mut(&mut self) -> std::slice::IterMut<'_, E> {
        self.entries.iter_mut()
    }

    /// Bytes of the vector and the index (not what entries point to).
    pub fn table_bytes(&self) -> usize {
        self.entries.capacity() * std::mem::size_of::<E>() + self.index.allocation_size()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_follow_jemalloc() {
        let want = [(1, 8), (9, 16), (17, 32), (33, 48), (100, 112), (129, 160), (257, 320), (1025, 1280), (8193, 10240)];
        for (n, c) in want {
            assert_eq!(size_class(n), c, "{n}");
        }
    }

    #[test]
    fn insert_find_remove() {
        let mut d: Dense<Box<[u8]>> = Dense::default();
        for i in 0..1000 {
            assert!(d.insert(format!("m{i}").into_bytes().into()));
        }
        assert!(!d.insert(b"m5".to_vec().into()));
        assert_eq!(d.len(), 1000);
        for i in (0..1000).step_by(2) {
            assert!(d.swap_remove(format!("m{i}").as_bytes()).is_some());
        }
        assert_eq!(d.len(), 500);
        for i in 0..1000 {
            assert_eq!(d.contains(format!("m{i}").as_bytes()), i % 2 == 1);
        }
        for (p, e) in d.iter().enumerate() {
            assert_eq!(d.position(e), Some(p));
        }
        while let Some(e) = d.get_index(0).cloned() {
            assert!(d.swap_remove(&e).is_some());
        }
        assert!(d.is_empty());
    }
}
