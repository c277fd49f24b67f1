//! The hash type (Redis's `t_hash.c` semantics, without clients).
//!
//! Two encodings, as OBJECT ENCODING reports them: `listpack`, field and value entries
//! packed in one buffer in insertion order (Redis appends new fields to its listpack and
//! deletes in place, so HGETALL of a small hash lists fields in the same order as Redis),
//! and `hashtable` once the hash holds more than `hash-max-listpack-entries` fields or a
//! field or value longer than `hash-max-listpack-value` bytes. Conversion is one-way, as
//! in Redis.
//!
//! The `hashtable` form is a [`Dense`] table whose entries hold field and value in one
//! allocation. An HSCAN cursor counts the positions still to visit, walking down, so every
//! field present for the whole scan is returned whatever is inserted or deleted between
//! calls (see [`Dense`]).

use rand::Rng;

use super::dense::{size_class, Dense, Keyed};
use super::listpack::{Item, Listpack};

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

/// A field and its value in one allocation: `[field length varint][field][value]`.
#[derive(Debug, Clone)]
struct Pair(Box<[u8]>);

impl Pair {
    fn new(field: &[u8], value: &[u8]) -> Pair {
        let mut v = Vec::with_capacity(10 + field.len() + value.len());
        let mut n = field.len() as u64;
        while n >= 0x80 {
            v.push((n as u8) | 0x80);
            n >>= 7;
        }
        v.push(n as u8);
        v.extend_from_slice(field);
        v.extend_from_slice(value);
        Pair(v.into_boxed_slice())
    }

    fn split(&self) -> (&[u8], &[u8]) {
        let (mut n, mut shift, mut i) = (0usize, 0, 0);
        while let Some(&b) = self.0.get(i) {
            n |= usize::from(b & 0x7f) << shift;
            i += 1;
            if b & 0x80 == 0 || shift >= 56 {
                break;
            }
            shift += 7;
        }
        let end = (i + n).min(self.0.len());
        (&self.0[i..end], &self.0[end..])
    }
}

impl Keyed for Pair {
    fn key(&self) -> &[u8] {
        self.split().0
    }
}

#[derive(Debug, Clone)]
enum Enc {
    Listpack(Listpack),
    Table(Box<Dense<Pair>>),
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

fn str_of(item: Item<'_>) -> &[u8] {
    match item {
        Item::Str(s) => s,
        Item::Int(_) => &[],
    }
}

/// Field/value pairs of a listpack with the byte offsets of each field and value.
fn lp_pairs(lp: &Listpack) -> impl Iterator<Item = (usize, usize, usize, &[u8], &[u8])> + '_ {
    let mut off = 0;
    std::iter::from_fn(move || {
        let (f, voff) = lp.next_at(off)?;
        let (v, end) = lp.next_at(voff)?;
        let start = off;
        off = end;
        Some((start, voff, end, str_of(f), str_of(v)))
    })
}

impl Hash {
    /// An empty hash in the `listpack` encoding (Redis's `createHashObject`).
    pub fn new() -> Hash {
        Hash { enc: Enc::Listpack(Listpack::new()) }
    }

    /// Number of fields.
    pub fn len(&self) -> usize {
        match &self.enc {
            Enc::Listpack(lp) => lp.len() / 2,
            Enc::Table(t) => t.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// OBJECT ENCODING's answer.
    pub fn encoding_name(&self) -> &'static str {
        match self.enc {
            Enc::Listpack(_) => "listpack",
            Enc::Table(_) => "hashtable",
        }
    }

    pub fn is_listpack(&self) -> bool {
        matches!(self.enc, Enc::Listpack(_))
    }

    /// The value of a field.
    pub fn get(&self, field: &[u8]) -> Option<&[u8]> {
        match &self.enc {
            Enc::Listpack(lp) => lp_pairs(lp).find(|p| p.3 == field).map(|p| p.4),
            Enc::Table(t) => t.get(field).map(|p| p.split().1),
        }
    }

    pub fn contains(&self, field: &[u8]) -> bool {
        self.get(field).is_some()
    }

    /// Converts to `hashtable` (Redis's `hashTypeConvert`); no-op if already there.
    pub fn convert_to_table(&mut self) {
        if let Enc::Listpack(lp) = &self.enc {
            let mut t = Dense::with_capacity(lp.len() / 2);
            for (_, _, _, f, v) in lp_pairs(lp) {
                t.push_new(Pair::new(f, v));
            }
            self.enc = Enc::Table(Box::new(t));
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
            Enc::Listpack(lp) => {
                let found = lp_pairs(lp).find(|p| p.3 == field).map(|p| p.1);
                match found {
                    Some(voff) => {
                        lp.replace(voff, Item::Str(value));
                        false
                    }
                    None => {
                        lp.push(Item::Str(field));
                        lp.push(Item::Str(value));
                        true
                    }
                }
            }
            Enc::Table(t) => match t.position(field) {
                Some(pos) => {
                    if let Some(p) = t.get_index_mut(pos) {
                        *p = Pair::new(field, value);
                    }
                    false
                }
                None => {
                    t.push_new(Pair::new(field, value));
                    true
                }
            },
        };
        if self.is_listpack() && self.len() > limits.entries {
            self.convert_to_table();
        }
        new
    }

    /// Deletes a field; true if it existed. Listpacks keep the order of the others.
    pub fn remove(&mut self, field: &[u8]) -> bool {
        match &mut self.enc {
            Enc::Listpack(lp) => {
                let found = lp_pairs(lp).find(|p| p.3 == field).map(|p| (p.0, p.2));
                match found {
                    Some((start, end)) => {
                        lp.remove_range(start, end, 2);
                        true
                    }
                    None => false,
                }
            }
            Enc::Table(t) => t.swap_remove(field).is_some(),
        }
    }

    /// Every field and value: insertion order for listpacks, table order for tables.
    pub fn iter(&self) -> Box<dyn Iterator<Item = (&[u8], &[u8])> + '_> {
        match &self.enc {
            Enc::Listpack(lp) => Box::new(lp_pairs(lp).map(|p| (p.3, p.4))),
            Enc::Table(t) => Box::new(t.iter().map(Pair::split)),
        }
    }

    /// One HSCAN step from `cursor`: visits `count` fields and returns the next cursor, 0
    /// when done. A listpack is visited whole in one call, as Redis does. In a table the
    /// cursor is the number of positions still to visit (0 on the first call means all),
    /// walked downwards so a removal's swap never hides an unvisited field.
    pub fn scan(&self, cursor: u64, count: usize, mut visit: impl FnMut(&[u8], &[u8])) -> u64 {
        match &self.enc {
            Enc::Listpack(lp) => {
                for (_, _, _, f, v) in lp_pairs(lp) {
                    visit(f, v);
                }
                0
            }
            Enc::Table(t) => {
                let len = t.len() as u64;
                let mut at = if cursor == 0 || cursor > len { len } else { cursor };
                let mut taken = 0;
                while at > 0 && taken < count.max(1) {
                    at -= 1;
                    if let Some(p) = t.get_index(at as usize) {
                        let (f, v) = p.split();
                        visit(f, v);
                    }
                    taken += 1;
                }
                at
            }
        }
    }

    /// A field chosen uniformly at random.
    pub fn random(&self, rng: &mut impl Rng) -> Option<(&[u8], &[u8])> {
        let n = self.len();
        if n == 0 {
            return None;
        }
        let i = rng.gen_range(0..n);
        match &self.enc {
            Enc::Listpack(lp) => lp_pairs(lp).nth(i).map(|p| (p.3, p.4)),
            Enc::Table(t) => t.get_index(i).map(Pair::split),
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

    /// Heap bytes owned (memory accounting), with entries rounded to allocator classes.
    pub fn heap_size(&self) -> usize {
        std::mem::size_of::<Hash>()
            + match &self.enc {
                Enc::Listpack(lp) => lp.heap_size(),
                Enc::Table(t) => t.table_bytes() + t.iter().map(|p| size_class(p.0.len())).sum::<usize>(),
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
