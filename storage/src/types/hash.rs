//! The hash type (Redis's `t_hash.c` semantics, without clients).
//!
//! Two encodings, as OBJECT ENCODING reports them: `listpack`, a vector of pairs kept in
//! insertion order (Redis appends new fields to its listpack and deletes in place, so
//! HGETALL of a small hash lists fields in the same order as Redis), and `hashtable` once
//! the hash holds more than `hash-max-listpack-entries` fields or a field or value longer
//! than `hash-max-listpack-value` bytes. Conversion is one-way, as in Redis.
//!
//! The `hashtable` form is ordered by the fields' hashes (buckets in a B-tree keyed by the
//! 63-bit hash), so an HSCAN cursor is simply "the next hash to visit": every field present
//! for the whole scan is returned whatever is inserted or deleted between calls.

use std::collections::BTreeMap;

use rand::Rng;

use crate::keyspace::hash_key;

/// The conversion thresholds (`hash-max-listpack-entries`, `hash-max-listpack-value`).
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub entries: usize,
    pub value: usize,
}

impl Default for Limits {
    /// Redis 7.0's defaults.
    fn default() -> Self {
        Limits { entries: 512, value: 64 }
    }
}

type Pair = (Box<[u8]>, Box<[u8]>);

#[derive(Debug, Clone)]
enum Enc {
    Listpack(Vec<Pair>),
    Table { buckets: BTreeMap<u64, Vec<Pair>>, len: usize },
}

/// A hash value.
#[derive(Debug, Clone)]
pub struct Hash {
    enc: Enc,
}

impl Default for Hash {
    fn default() -> Self {
        Hash::new()
    }
}

/// The bucket of a field in the `hashtable` form: 63 bits, so a cursor of `hash + 1`
/// never wraps to 0 (which means "scan finished").
fn bucket_of(field: &[u8]) -> u64 {
    hash_key(field) >> 1
}

impl Hash {
    /// An empty hash in the `listpack` encoding (Redis's `createHashObject`).
    pub fn new() -> Hash {
        Hash { enc: Enc::Listpack(Vec::new()) }
    }

    /// Number of fields.
    pub fn len(&self) -> usize {
        match &self.enc {
            Enc::Listpack(v) => v.len(),
            Enc::Table { len, .. } => *len,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// OBJECT ENCODING's answer.
    pub fn encoding_name(&self) -> &'static str {
        match self.enc {
            Enc::Listpack(_) => "listpack",
            Enc::Table { .. } => "hashtable",
        }
    }

    pub fn is_listpack(&self) -> bool {
        matches!(self.enc, Enc::Listpack(_))
    }

    /// The value of a field.
    pub fn get(&self, field: &[u8]) -> Option<&[u8]> {
        match &self.enc {
            Enc::Listpack(v) => v.iter().find(|(f, _)| f.as_ref() == field).map(|(_, v)| v.as_ref()),
            Enc::Table { buckets, .. } => buckets.get(&bucket_of(field))?.iter().find(|(f, _)| f.as_ref() == field).map(|(_, v)| v.as_ref()),
        }
    }

    pub fn contains(&self, field: &[u8]) -> bool {
        self.get(field).is_some()
    }

    /// Converts to `hashtable` (Redis's `hashTypeConvert`); no-op if already there.
    pub fn convert_to_table(&mut self) {
        if let Enc::Listpack(v) = &mut self.enc {
            let pairs = std::mem::take(v);
            let len = pairs.len();
            let mut buckets: BTreeMap<u64, Vec<Pair>> = BTreeMap::new();
            for p in pairs {
                buckets.entry(bucket_of(&p.0)).or_default().push(p);
            }
            self.enc = Enc::Table { buckets, len };
        }
    }

    /// Redis's `hashTypeTryConversion`: HSET/HMSET convert before writing when any of the
    /// given fields or values is longer than the value limit.
    pub fn try_conversion<'a>(&mut self, args: impl IntoIterator<Item = &'a [u8]>, limits: Limits) {
        if self.is_listpack() && args.into_iter().any(|a| a.len() > limits.value) {
            self.convert_to_table();
        }
    }

    /// Sets a field (Redis's `hashTypeSet`); true if the field is new. Converts when the
    /// field or value is too long for a listpack, or the hash grows past the entry limit.
    pub fn set(&mut self, field: &[u8], value: &[u8], limits: Limits) -> bool {
        if self.is_listpack() && (field.len() > limits.value || value.len() > limits.value) {
            self.convert_to_table();
        }
        let new = match &mut self.enc {
            Enc::Listpack(v) => match v.iter_mut().find(|(f, _)| f.as_ref() == field) {
                Some(slot) => {
                    slot.1 = value.into();
                    false
                }
                None => {
                    v.push((field.into(), value.into()));
                    true
                }
            },
            Enc::Table { buckets, len } => {
                let bucket = buckets.entry(bucket_of(field)).or_default();
                match bucket.iter_mut().find(|(f, _)| f.as_ref() == field) {
                    Some(slot) => {
                        slot.1 = value.into();
                        false
                    }
                    None => {
                        bucket.push((field.into(), value.into()));
                        *len += 1;
                        true
                    }
                }
            }
        };
        if self.is_listpack() && self.len() > limits.entries {
            self.convert_to_table();
        }
        new
    }

    /// Deletes a field; true if it existed. Listpacks keep the order of the others.
    pub fn remove(&mut self, field: &[u8]) -> bool {
        match &mut self.enc {
            Enc::Listpack(v) => match v.iter().position(|(f, _)| f.as_ref() == field) {
                Some(i) => {
                    v.remove(i);
                    true
                }
                None => false,
            },
            Enc::Table { buckets, len } => {
                let h = bucket_of(field);
                let Some(bucket) = buckets.get_mut(&h) else { return false };
                let Some(i) = bucket.iter().position(|(f, _)| f.as_ref() == field) else { return false };
                bucket.swap_remove(i);
                if bucket.is_empty() {
                    buckets.remove(&h);
                }
                *len -= 1;
                true
            }
        }
    }

    /// Every field and value: insertion order for listpacks, hash order for tables.
    pub fn iter(&self) -> Box<dyn Iterator<Item = (&[u8], &[u8])> + '_> {
        match &self.enc {
            Enc::Listpack(v) => Box::new(v.iter().map(|(f, v)| (f.as_ref(), v.as_ref()))),
            Enc::Table { buckets, .. } => Box::new(buckets.values().flatten().map(|(f, v)| (f.as_ref(), v.as_ref()))),
        }
    }

    /// One HSCAN step from `cursor`: visits at least `count` fields (whole buckets) and
    /// returns the next cursor, 0 when done. A listpack is visited whole in one call,
    /// as Redis does.
    pub fn scan(&self, cursor: u64, count: usize, mut visit: impl FnMut(&[u8], &[u8])) -> u64 {
        match &self.enc {
            Enc::Listpack(v) => {
                for (f, val) in v {
                    visit(f, val);
                }
                0
            }
            Enc::Table { buckets, .. } => {
                let mut seen = 0usize;
                for (h, bucket) in buckets.range(cursor..) {
                    for (f, val) in bucket {
                        visit(f, val);
                    }
                    seen += bucket.len();
                    if seen >= count.max(1) {
                        // Buckets hold 63-bit hashes, so h + 1 is never 0.
                        return if buckets.range(h + 1..).next().is_some() { h + 1 } else { 0 };
                    }
                }
                0
            }
        }
    }

    /// A field chosen at random (roughly uniformly: hashes spread evenly over the table).
    pub fn random(&self, rng: &mut impl Rng) -> Option<(&[u8], &[u8])> {
        match &self.enc {
            Enc::Listpack(v) => {
                if v.is_empty() {
                    return None;
                }
                let (f, val) = &v[rng.gen_range(0..v.len())];
                Some((f, val))
            }
            Enc::Table { buckets, .. } => {
                let r = rng.gen_range(0..=u64::MAX >> 1);
                let (_, bucket) = buckets.range(r..).next().or_else(|| buckets.iter().next())?;
                let (f, val) = &bucket[rng.gen_range(0..bucket.len())];
                Some((f, val))
            }
        }
    }

    /// `count` distinct fields chosen at random (`count` < len), in random order.
    pub fn random_distinct(&self, count: usize, rng: &mut impl Rng) -> Vec<(&[u8], &[u8])> {
        let mut all: Vec<(&[u8], &[u8])> = self.iter().collect();
        let n = count.min(all.len());
        // Partial Fisher-Yates: the first n slots end up a uniform sample.
        for i in 0..n {
            let j = rng.gen_range(i..all.len());
            all.swap(i, j);
        }
        all.truncate(n);
        all
    }

    /// Heap bytes owned (memory accounting).
    pub fn heap_size(&self) -> usize {
        let pair = |(f, v): &Pair| f.len() + v.len() + std::mem::size_of::<Pair>();
        std::mem::size_of::<Hash>()
            + match &self.enc {
                Enc::Listpack(v) => v.iter().map(pair).sum::<usize>(),
                Enc::Table { buckets, .. } => buckets.values().map(|b| 32 + b.iter().map(pair).sum::<usize>()).sum(),
            }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn listpack_keeps_insertion_order_and_converts() {
        let l = Limits { entries: 3, value: 4 };
        let mut h = Hash::new();
        assert!(h.set(b"b", b"1", l));
        assert!(h.set(b"a", b"2", l));
        assert!(!h.set(b"b", b"3", l));
        let fields: Vec<&[u8]> = h.iter().map(|(f, _)| f).collect();
        assert_eq!(fields, [b"b".as_slice(), b"a"]);
        assert!(h.remove(b"b"));
        assert!(!h.remove(b"b"));
        h.set(b"c", b"", l);
        h.set(b"d", b"", l);
        assert_eq!(h.encoding_name(), "listpack");
        h.set(b"e", b"", l);
        assert_eq!(h.encoding_name(), "hashtable");
        assert_eq!(h.len(), 4);
        assert_eq!(h.get(b"a"), Some(b"2".as_slice()));
        let mut h = Hash::new();
        h.set(b"f", b"12345", l);
        assert_eq!(h.encoding_name(), "hashtable");
    }

    proptest! {
        /// A full scan returns every field exactly once, whatever COUNT is.
        #[test]
        fn scan_visits_all(n in 0usize..300, count in 1usize..50) {
            let mut h = Hash::new();
            for i in 0..n {
                h.set(format!("f{i}").as_bytes(), b"v", Limits { entries: 8, value: 64 });
            }
            let mut got = Vec::new();
            let mut cursor = 0;
            loop {
                cursor = h.scan(cursor, count, |f, _| got.push(f.to_vec()));
                if cursor == 0 { break; }
            }
            let seen: std::collections::HashSet<_> = got.iter().cloned().collect();
            prop_assert_eq!(seen.len(), n);
            prop_assert_eq!(got.len(), n);
        }

        /// Fields present for the whole scan are returned even when others are added and
        /// deleted between calls (the SCAN guarantee).
        #[test]
        fn scan_survives_changes(n in 20usize..200, count in 1usize..20) {
            let l = Limits { entries: 8, value: 64 };
            let mut h = Hash::new();
            for i in 0..n {
                h.set(format!("keep{i}").as_bytes(), b"v", l);
                h.set(format!("tmp{i}").as_bytes(), b"v", l);
            }
            let mut seen = std::collections::HashSet::new();
            let (mut cursor, mut step) = (0, 0usize);
            loop {
                cursor = h.scan(cursor, count, |f, _| { seen.insert(f.to_vec()); });
                h.remove(format!("tmp{step}").as_bytes());
                h.set(format!("new{step}").as_bytes(), b"v", l);
                step += 1;
                if cursor == 0 { break; }
            }
            for i in 0..n {
                let want = format!("keep{i}").into_bytes();
                prop_assert!(seen.contains(&want));
            }
        }

        /// Random samples are distinct fields of the hash.
        #[test]
        fn random_distinct_is_a_sample(n in 1usize..100, count in 0usize..120, seed in any::<u64>()) {
            use rand::SeedableRng;
            let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
            let mut h = Hash::new();
            for i in 0..n {
                h.set(format!("f{i}").as_bytes(), b"v", Limits { entries: 16, value: 64 });
            }
            let s = h.random_distinct(count, &mut rng);
            prop_assert_eq!(s.len(), count.min(n));
            let set: std::collections::HashSet<_> = s.iter().map(|(f, _)| f.to_vec()).collect();
            prop_assert_eq!(set.len(), s.len());
            for (f, _) in &s { prop_assert!(h.contains(f)); }
            prop_assert!(h.random(&mut rng).is_some());
        }
    }
}
