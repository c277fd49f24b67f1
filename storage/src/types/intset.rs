//! The `intset` encoding of small all-integer sets (Redis's `intset.c`): sorted integers
//! packed at the narrowest width that holds them all (1, 2, 4 or 8 bytes), widened for
//! the whole set when a larger value arrives, so a set of small numbers costs a byte or two
//! per member. Lookups are binary searches.

use super::dense::reserve_class;

/// A sorted set of distinct integers.
#[derive(Clone, Debug, Default)]
pub struct Intset {
    data: Vec<u8>,
    /// Bytes per value: 1, 2, 4 or 8 (0 while empty).
    width: u8,
}

fn width_for(v: i64) -> u8 {
    if i8::try_from(v).is_ok() {
        1
    } else if i16::try_from(v).is_ok() {
        2
    } else if i32::try_from(v).is_ok() {
        4
    } else {
        8
    }
}

fn read(bytes: &[u8]) -> i64 {
    match bytes.len() {
        1 => i64::from(bytes[0] as i8),
        2 => i64::from(i16::from_le_bytes([bytes[0], bytes[1]])),
        4 => i64::from(i32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]])),
        _ => {
            let mut b = [0u8; 8];
            b.copy_from_slice(&bytes[..8]);
            i64::from_le_bytes(b)
        }
    }
}

fn write(out: &mut [u8], v: i64) {
    let w = out.len();
    out.copy_from_slice(&v.to_le_bytes()[..w]);
}

impl Intset {
    /// An empty intset.
    pub fn new() -> Intset {
        Intset::default()
    }

    /// Number of values.
    pub fn len(&self) -> usize {
        if self.width == 0 { 0 } else { self.data.len() / self.width as usize }
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// The value at `index` in ascending order.
    pub fn get(&self, index: usize) -> Option<i64> {
        let w = self.width as usize;
        (index < self.len()).then(|| read(&self.data[index * w..index * w + w]))
    }

    /// Where `v` is (`Ok`) or would go (`Err`), as `slice::binary_search`.
    pub fn binary_search(&self, v: i64) -> Result<usize, usize> {
        let (mut lo, mut hi) = (0, self.len());
        while lo < hi {
            let mid = (lo + hi) / 2;
            match self.get(mid).unwrap_or(0).cmp(&v) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => return Ok(mid),
            }
        }
        Err(lo)
    }

    /// Whether `v` is present.
    pub fn contains(&self, v: i64) -> bool {
        self.binary_search(v).is_ok()
    }

    /// Adds `v`; true if it was new.
    pub fn insert(&mut self, v: i64) -> bool {
        let Err(pos) = self.binary_search(v) else {
            return false;
        };
        let need = width_for(v).max(self.width);
        if need != self.width {
            let old: Vec<i64> = self.iter().collect();
            self.width = need;
            self.data = Vec::new();
            reserve_class(&mut self.data, (old.len() + 1) * need as usize);
            for x in old {
                self.data.extend_from_slice(&x.to_le_bytes()[..need as usize]);
            }
        }
        let w = self.width as usize;
        let at = pos * w;
        let old_len = self.data.len();
        reserve_class(&mut self.data, w);
        self.data.resize(old_len + w, 0);
        self.data.copy_within(at..old_len, at + w);
        write(&mut self.data[at..at + w], v);
        true
    }

    /// Removes `v`; true if it was present.
    pub fn remove(&mut self, v: i64) -> bool {
        let Ok(pos) = self.binary_search(v) else {
            return false;
        };
        let w = self.width as usize;
        self.data.drain(pos * w..pos * w + w);
        true
    }

    /// Values in ascending order.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = i64> + ExactSizeIterator + '_ {
        self.data.chunks_exact(self.width.max(1) as usize).map(read)
    }

    /// Heap bytes allocated.
    pub fn heap_size(&self) -> usize {
        self.data.capacity()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Behaves as a sorted set of i64 through widenings.
        #[test]
        fn matches_btreeset(ops in proptest::collection::vec((any::<bool>(), prop_oneof![-200i64..200, any::<i64>(), -70000i64..70000]), 0..200)) {
            let mut s = Intset::new();
            let mut m = std::collections::BTreeSet::new();
            for (add, v) in ops {
                if add { prop_assert_eq!(s.insert(v), m.insert(v)); } else { prop_assert_eq!(s.remove(v), m.remove(&v)); }
            }
            prop_assert!(s.iter().eq(m.iter().copied()));
            prop_assert_eq!(s.len(), m.len());
            for (i, v) in m.iter().enumerate() {
                prop_assert_eq!(s.get(i), Some(*v));
                prop_assert!(s.contains(*v));
            }
        }
    }
}
