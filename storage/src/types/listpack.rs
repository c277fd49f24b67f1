//! A packed sequence of entries in one allocation, after Redis's listpack: the small form
//! of hashes and sorted sets and the nodes of lists. An entry is a varint header (a
//! string's length, or a small integer inline), the string's bytes, and the entry's size
//! written backwards so the sequence can be walked from either end:
//!
//! `[header varint][bytes][size varint, reversed]`
//!
//! A string shorter than 64 bytes costs two bytes more than its contents and an integer
//! within ±31 two bytes in all, as in Redis. Lookups are linear scans, which is what the
//! small encodings promise; the buffer grows by allocator size classes, not doubling.

use super::dense::reserve_class;

/// One decoded entry, borrowing the buffer.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Item<'a> {
    /// A byte string.
    Str(&'a [u8]),
    /// An integer (only within [`INT_MAX`] in magnitude).
    Int(i64),
}

/// Largest magnitude an [`Item::Int`] may have (the header keeps a tag bit and a sign bit).
pub const INT_MAX: i64 = (1 << 61) - 1;

/// A packed list of entries.
#[derive(Clone, Debug, Default)]
pub struct Listpack {
    buf: Vec<u8>,
    count: usize,
}

fn varint_len(mut v: u64) -> usize {
    let mut n = 1;
    while v >= 0x80 {
        v >>= 7;
        n += 1;
    }
    n
}

fn write_varint(out: &mut [u8], mut v: u64) {
    let mut i = 0;
    while v >= 0x80 {
        out[i] = (v as u8) | 0x80;
        v >>= 7;
        i += 1;
    }
    out[i] = v as u8;
}

/// Reads a varint at `at`; returns it and its length.
fn read_varint(buf: &[u8], at: usize) -> (u64, usize) {
    let (mut v, mut shift, mut i) = (0u64, 0, at);
    while let Some(&b) = buf.get(i) {
        v |= u64::from(b & 0x7f) << shift;
        i += 1;
        if b & 0x80 == 0 || shift >= 63 {
            break;
        }
        shift += 7;
    }
    (v, i - at)
}

/// Reads a reversed varint ending just before `end`; returns it and its length.
fn read_varint_back(buf: &[u8], end: usize) -> (u64, usize) {
    let (mut v, mut shift, mut i) = (0u64, 0, end);
    while i > 0 {
        i -= 1;
        let b = buf[i];
        v |= u64::from(b & 0x7f) << shift;
        if b & 0x80 == 0 || shift >= 63 {
            break;
        }
        shift += 7;
    }
    (v, end - i)
}

fn header_of(item: Item<'_>) -> u64 {
    match item {
        Item::Str(s) => (s.len() as u64) << 1,
        Item::Int(i) => {
            let z = ((i << 1) ^ (i >> 63)) as u64;
            (z << 1) | 1
        }
    }
}

/// Bytes an entry takes in the buffer.
pub fn encoded_len(item: Item<'_>) -> usize {
    let h = header_of(item);
    let body = varint_len(h) + if let Item::Str(s) = item { s.len() } else { 0 };
    body + varint_len(body as u64)
}

/// Writes an entry into `out`, which is exactly `encoded_len(item)` long.
fn encode(out: &mut [u8], item: Item<'_>) {
    let h = header_of(item);
    let hl = varint_len(h);
    write_varint(out, h);
    let mut body = hl;
    if let Item::Str(s) = item {
        out[hl..hl + s.len()].copy_from_slice(s);
        body += s.len();
    }
    let bl = varint_len(body as u64);
    let mut tmp = [0u8; 10];
    write_varint(&mut tmp, body as u64);
    for k in 0..bl {
        out[body + k] = tmp[bl - 1 - k];
    }
}

impl Listpack {
    /// An empty listpack.
    pub fn new() -> Listpack {
        Listpack::default()
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.count
    }

    /// Whether it holds no entry.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Bytes used by entries (the offset just past the last one).
    pub fn bytes(&self) -> usize {
        self.buf.len()
    }

    /// Bytes allocated.
    pub fn heap_size(&self) -> usize {
        self.buf.capacity()
    }

    /// The entry starting at `off` and the offset of the next; `None` at the end.
    pub fn next_at(&self, off: usize) -> Option<(Item<'_>, usize)> {
        if off >= self.buf.len() {
            return None;
        }
        let (h, hl) = read_varint(&self.buf, off);
        let start = off + hl;
        let (item, end) = if h & 1 == 1 {
            let z = h >> 1;
            (Item::Int(((z >> 1) as i64) ^ -((z & 1) as i64)), start)
        } else {
            let end = (start + (h >> 1) as usize).min(self.buf.len());
            (Item::Str(&self.buf[start..end]), end)
        };
        let bl = varint_len((end - off) as u64);
        Some((item, end + bl))
    }

    /// The entry ending just before `end` and its starting offset; `None` at the start.
    pub fn prev_at(&self, end: usize) -> Option<(Item<'_>, usize)> {
        if end == 0 || end > self.buf.len() {
            return None;
        }
        let (body, bl) = read_varint_back(&self.buf, end);
        let start = end.checked_sub(bl + body as usize)?;
        self.next_at(start).map(|(item, _)| (item, start))
    }

    /// Offset just past the entry at `off`.
    pub fn skip(&self, off: usize) -> usize {
        self.next_at(off).map_or(self.buf.len(), |(_, n)| n)
    }

    /// Inserts an entry at byte offset `off` (an entry boundary).
    pub fn insert_at(&mut self, off: usize, item: Item<'_>) {
        let n = encoded_len(item);
        let old = self.buf.len();
        reserve_class(&mut self.buf, n);
        self.buf.resize(old + n, 0);
        self.buf.copy_within(off..old, off + n);
        encode(&mut self.buf[off..off + n], item);
        self.count += 1;
    }

    /// Appends an entry.
    pub fn push(&mut self, item: Item<'_>) {
        self.insert_at(self.buf.len(), item);
    }

    /// Removes the `entries` entries that occupy bytes `start..end`.
    pub fn remove_range(&mut self, start: usize, end: usize, entries: usize) {
        self.buf.drain(start..end);
        self.count -= entries;
        if self.buf.capacity() > 64 && self.buf.len() < self.buf.capacity() / 2 {
            self.buf.shrink_to(super::dense::size_class(self.buf.len()));
        }
    }

    /// Replaces the entry at `off` with `item`.
    pub fn replace(&mut self, off: usize, item: Item<'_>) {
        let end = self.skip(off);
        let n = encoded_len(item);
        let old = end - off;
        if n > old {
            let len = self.buf.len();
            reserve_class(&mut self.buf, n - old);
            self.buf.resize(len + n - old, 0);
            self.buf.copy_within(end..len, off + n);
        } else if n < old {
            self.buf.copy_within(end.., off + n);
            self.buf.truncate(self.buf.len() - (old - n));
        }
        encode(&mut self.buf[off..off + n], item);
    }

    /// Removes every entry.
    pub fn clear(&mut self) {
        self.buf = Vec::new();
        self.count = 0;
    }

    /// Entries from the first.
    pub fn iter(&self) -> Iter<'_> {
        Iter { lp: self, front: 0, back: self.buf.len() }
    }
}

/// An iterator over a listpack's entries, from either end.
#[derive(Clone)]
pub struct Iter<'a> {
    lp: &'a Listpack,
    front: usize,
    back: usize,
}

impl<'a> Iterator for Iter<'a> {
    type Item = Item<'a>;

    fn next(&mut self) -> Option<Item<'a>> {
        if self.front >= self.back {
            return None;
        }
        let (item, next) = self.lp.next_at(self.front)?;
        self.front = next;
        Some(item)
    }
}

impl DoubleEndedIterator for Iter<'_> {
    fn next_back(&mut self) -> Option<Self::Item> {
        if self.front >= self.back {
            return None;
        }
        let (item, start) = self.lp.prev_at(self.back)?;
        self.back = start;
        Some(item)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn item(v: &(bool, i64, Vec<u8>)) -> Item<'_> {
        if v.0 {
            Item::Int(v.1)
        } else {
            Item::Str(&v.2)
        }
    }

    #[test]
    fn sizes_match_redis_for_small_entries() {
        assert_eq!(encoded_len(Item::Str(&[b'x'; 16])), 18);
        assert_eq!(encoded_len(Item::Str(&[b'x'; 63])), 65);
        assert_eq!(encoded_len(Item::Int(-31)), 2);
        assert_eq!(encoded_len(Item::Int(1000)), 3);
    }

    proptest! {
        /// Entries read back the same from both ends after inserts, replaces and removes.
        #[test]
        fn round_trip(vals in proptest::collection::vec((any::<bool>(), -INT_MAX..INT_MAX, proptest::collection::vec(any::<u8>(), 0..300)), 0..40), at in 0usize..40) {
            let mut lp = Listpack::new();
            for v in &vals { lp.push(item(v)); }
            let fwd: Vec<Item> = lp.iter().collect();
            prop_assert_eq!(fwd.len(), vals.len());
            for (a, v) in fwd.iter().zip(&vals) { prop_assert_eq!(*a, item(v)); }
            let mut back: Vec<Item> = lp.iter().rev().collect();
            back.reverse();
            prop_assert_eq!(&back, &fwd);
            let mut model: Vec<(bool, i64, Vec<u8>)> = vals.clone();
            if !model.is_empty() {
                let i = at % model.len();
                let mut off = 0;
                for _ in 0..i { off = lp.skip(off); }
                let new = (false, 0, vec![b'z'; at * 7]);
                lp.replace(off, item(&new));
                model[i] = new;
                let end = lp.skip(off);
                lp.remove_range(off, end, 1);
                model.remove(i);
                lp.insert_at(off, Item::Int(-5));
                model.insert(i, (true, -5, Vec::new()));
            }
            let got: Vec<Item> = lp.iter().collect();
            let want: Vec<Item> = model.iter().map(item).collect();
            prop_assert_eq!(got, want);
            prop_assert_eq!(lp.len(), model.len());
        }
    }
}
