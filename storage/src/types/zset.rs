//! The sorted set (Redis's `t_zset.c` type API): members ordered by (score, member bytes),
//! with O(1) member lookup in the `skiplist` encoding.
//!
//! Ordering is kept in a list of sorted chunks of bounded size, each chunk carrying its
//! length, so rank lookups walk chunk lengths (n/CHUNK steps) and then index into one
//! chunk, and inserts/removes shift at most one chunk. The `listpack` encoding is the same
//! structure without the member map (lookups scan at most `zset-max-listpack-entries`);
//! conversion to `skiplist` builds the map, one way, as Redis does.

use std::cmp::Ordering;
use std::collections::HashMap;

/// Largest chunk before it is split in two.
const CHUNK_MAX: usize = 256;

/// One member and its score.
pub type Entry = (f64, Box<[u8]>);

/// Compares two (score, member) pairs in sorted-set order. Scores are never NaN.
pub fn cmp_entry(a_score: f64, a_member: &[u8], b_score: f64, b_member: &[u8]) -> Ordering {
    a_score.partial_cmp(&b_score).unwrap_or(Ordering::Equal).then_with(|| a_member.cmp(b_member))
}

/// A sorted set.
#[derive(Clone, Debug, Default)]
pub struct ZSet {
    chunks: Vec<Vec<Entry>>,
    len: usize,
    /// Sum of member lengths, so memory accounting is O(1).
    member_bytes: usize,
    /// Member → score; present exactly when the encoding is `skiplist`.
    dict: Option<HashMap<Box<[u8]>, f64>>,
}

impl ZSet {
    /// An empty set in the encoding Redis's `zsetTypeCreate` picks for the size hints.
    pub fn with_hint(size: usize, max_member_len: usize, max_entries: usize, max_value: usize) -> ZSet {
        let mut z = ZSet::default();
        if size > max_entries || max_member_len > max_value || max_entries == 0 {
            z.dict = Some(HashMap::new());
        }
        z
    }

    /// Number of members.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// True in the `listpack` encoding.
    pub fn is_listpack(&self) -> bool {
        self.dict.is_none()
    }

    /// OBJECT ENCODING's answer.
    pub fn encoding_name(&self) -> &'static str {
        if self.is_listpack() { "listpack" } else { "skiplist" }
    }

    /// Converts to `skiplist` (never back).
    pub fn convert_to_skiplist(&mut self) {
        if self.dict.is_none() {
            self.dict = Some(self.iter().map(|(s, m)| (Box::from(m), s)).collect());
        }
    }

    /// Converts to `listpack` if small enough (Redis's `zsetConvertToListpackIfNeeded`,
    /// used only for the destination of store commands).
    pub fn convert_to_listpack_if_fits(&mut self, max_entries: usize, max_value: usize) {
        let max_len = self.iter().map(|(_, m)| m.len()).max().unwrap_or(0);
        if self.len <= max_entries && max_len <= max_value {
            self.dict = None;
        } else {
            self.convert_to_skiplist();
        }
    }

    /// The score of `member`.
    pub fn score(&self, member: &[u8]) -> Option<f64> {
        match &self.dict {
            Some(d) => d.get(member).copied(),
            None => self.iter().find(|(_, m)| *m == member).map(|(s, _)| s),
        }
    }

    /// Index of the chunk and offset where (score, member) is or would go.
    fn locate(&self, score: f64, member: &[u8]) -> (usize, usize) {
        let ci = self.chunks.partition_point(|c| c.last().is_some_and(|(s, m)| cmp_entry(*s, m, score, member) == Ordering::Less));
        if ci == self.chunks.len() {
            return (ci, 0);
        }
        let off = self.chunks[ci].partition_point(|(s, m)| cmp_entry(*s, m, score, member) == Ordering::Less);
        (ci, off)
    }

    /// Inserts a member known to be absent, converting to `skiplist` when a limit is crossed.
    fn insert_new(&mut self, score: f64, member: &[u8], max_entries: usize, max_value: usize) {
        if self.dict.is_none() && (self.len + 1 > max_entries || member.len() > max_value) {
            self.convert_to_skiplist();
        }
        let (mut ci, off) = self.locate(score, member);
        if ci == self.chunks.len() {
            if self.chunks.is_empty() {
                self.chunks.push(Vec::new());
            }
            ci = self.chunks.len() - 1;
            let end = self.chunks[ci].len();
            self.chunks[ci].insert(end, (score, member.into()));
        } else {
            self.chunks[ci].insert(off, (score, member.into()));
        }
        if self.chunks[ci].len() > CHUNK_MAX {
            let tail = self.chunks[ci].split_off(CHUNK_MAX / 2);
            self.chunks.insert(ci + 1, tail);
        }
        self.len += 1;
        self.member_bytes += member.len();
        if let Some(d) = &mut self.dict {
            d.insert(member.into(), score);
        }
    }

    /// Removes the entry at (chunk, offset).
    fn remove_at(&mut self, ci: usize, off: usize) -> Entry {
        let e = self.chunks[ci].remove(off);
        if self.chunks[ci].is_empty() {
            self.chunks.remove(ci);
        }
        self.len -= 1;
        self.member_bytes -= e.1.len();
        if let Some(d) = &mut self.dict {
            d.remove(&e.1);
        }
        e
    }

    /// Removes `member`; returns its score if it was present.
    pub fn remove(&mut self, member: &[u8]) -> Option<f64> {
        let score = self.score(member)?;
        let (ci, off) = self.locate(score, member);
        self.remove_at(ci, off);
        Some(score)
    }

    /// Adds or updates `member` (no flag logic). Returns true when it was new.
    /// A stored -0 reads back as 0, as in Redis.
    pub fn insert(&mut self, score: f64, member: &[u8], max_entries: usize, max_value: usize) -> bool {
        let score = score + 0.0;
        match self.score(member) {
            Some(old) => {
                if old != score {
                    let (ci, off) = self.locate(old, member);
                    self.remove_at(ci, off);
                    self.insert_new(score, member, max_entries, max_value);
                }
                false
            }
            None => {
                self.insert_new(score, member, max_entries, max_value);
                true
            }
        }
    }

    /// 0-based rank of `member` in ascending order, with its score.
    pub fn rank(&self, member: &[u8]) -> Option<(usize, f64)> {
        let score = self.score(member)?;
        let (ci, off) = self.locate(score, member);
        Some((self.chunks[..ci].iter().map(Vec::len).sum::<usize>() + off, score))
    }

    /// Number of entries for which `before` holds (a monotone predicate: true for a
    /// prefix of the order).
    pub fn count_before(&self, before: impl Fn(f64, &[u8]) -> bool) -> usize {
        let ci = self.chunks.partition_point(|c| c.last().is_some_and(|(s, m)| before(*s, m)));
        let mut n: usize = self.chunks[..ci].iter().map(Vec::len).sum();
        if let Some(c) = self.chunks.get(ci) {
            n += c.partition_point(|(s, m)| before(*s, m));
        }
        n
    }

    /// The chunk and offset of rank `rank`.
    fn at_rank(&self, mut rank: usize) -> Option<(usize, usize)> {
        for (ci, c) in self.chunks.iter().enumerate() {
            if rank < c.len() {
                return Some((ci, rank));
            }
            rank -= c.len();
        }
        None
    }

    /// Entry at ascending rank `rank`.
    pub fn get(&self, rank: usize) -> Option<(f64, &[u8])> {
        let (ci, off) = self.at_rank(rank)?;
        let (s, m) = &self.chunks[ci][off];
        Some((*s, m))
    }

    /// Ascending iterator over all entries.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = (f64, &[u8])> + '_ {
        self.chunks.iter().flat_map(|c| c.iter().map(|(s, m)| (*s, &m[..])))
    }

    /// Ascending iterator from rank `start`.
    pub fn iter_from(&self, start: usize) -> impl Iterator<Item = (f64, &[u8])> + '_ {
        let (ci, off) = self.at_rank(start).unwrap_or((self.chunks.len(), 0));
        self.chunks.iter().skip(ci).enumerate().flat_map(move |(i, c)| c[if i == 0 { off } else { 0 }..].iter().map(|(s, m)| (*s, &m[..])))
    }

    /// Descending iterator from ascending rank `start` down to rank 0.
    pub fn iter_rev_from(&self, start: usize) -> impl Iterator<Item = (f64, &[u8])> + '_ {
        let (ci, off) = self.at_rank(start).map(|(c, o)| (c + 1, o + 1)).unwrap_or((0, 0));
        self.chunks[..ci].iter().rev().enumerate().flat_map(move |(i, c)| c[..if i == 0 { off } else { c.len() }].iter().rev().map(|(s, m)| (*s, &m[..])))
    }

    /// Removes ascending ranks `start..end`; returns how many were removed.
    pub fn remove_range(&mut self, start: usize, end: usize) -> usize {
        let end = end.min(self.len);
        if start >= end {
            return 0;
        }
        let mut removed = Vec::with_capacity(end - start);
        let mut rank = 0;
        let mut ci = 0;
        while ci < self.chunks.len() && rank < end {
            let clen = self.chunks[ci].len();
            let lo = start.saturating_sub(rank).min(clen);
            let hi = (end - rank).min(clen);
            rank += clen;
            if lo < hi {
                removed.extend(self.chunks[ci].drain(lo..hi));
            }
            if self.chunks[ci].is_empty() {
                self.chunks.remove(ci);
            } else {
                ci += 1;
            }
        }
        self.len -= removed.len();
        self.member_bytes -= removed.iter().map(|(_, m)| m.len()).sum::<usize>();
        if let Some(d) = &mut self.dict {
            for (_, m) in &removed {
                d.remove(m);
            }
        }
        removed.len()
    }

    /// Heap bytes owned (memory accounting; an estimate).
    pub fn heap_size(&self) -> usize {
        let entries = self.member_bytes + self.len * std::mem::size_of::<Entry>();
        let dict = self.dict.as_ref().map_or(0, |d| d.capacity() * (std::mem::size_of::<(Box<[u8]>, f64)>() + 1) + entries);
        std::mem::size_of::<ZSet>() + entries + dict
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_rank_and_ranges() {
        let mut z = ZSet::default();
        for i in (0..1000).rev() {
            assert!(z.insert(f64::from(i % 10), format!("m{i:04}").as_bytes(), 128, 64));
        }
        assert_eq!(z.len(), 1000);
        assert_eq!(z.encoding_name(), "skiplist");
        let all: Vec<(f64, Vec<u8>)> = z.iter().map(|(s, m)| (s, m.to_vec())).collect();
        let mut sorted = all.clone();
        sorted.sort_by(|a, b| cmp_entry(a.0, &a.1, b.0, &b.1));
        assert_eq!(all, sorted);
        for (i, (s, m)) in all.iter().enumerate() {
            assert_eq!(z.rank(m), Some((i, *s)));
            assert_eq!(z.get(i).map(|(s, m)| (s, m.to_vec())), Some((*s, m.clone())));
        }
        let fwd: Vec<_> = z.iter_from(500).map(|(_, m)| m.to_vec()).collect();
        assert_eq!(fwd.len(), 500);
        let rev: Vec<_> = z.iter_rev_from(499).map(|(_, m)| m.to_vec()).collect();
        assert_eq!(rev.len(), 500);
        assert_eq!(rev[0], all[499].1);
        assert_eq!(z.count_before(|s, _| s < 5.0), 500);
        assert_eq!(z.remove_range(100, 900), 800);
        assert_eq!(z.len(), 200);
        assert_eq!(z.iter().count(), 200);
        assert_eq!(z.remove(&all[0].1), Some(all[0].0));
        assert_eq!(z.score(&all[500].1), None);
    }

    #[test]
    fn converts_one_way() {
        let mut z = ZSet::default();
        z.insert(1.0, b"a", 2, 64);
        z.insert(2.0, b"b", 2, 64);
        assert_eq!(z.encoding_name(), "listpack");
        z.insert(3.0, b"c", 2, 64);
        assert_eq!(z.encoding_name(), "skiplist");
        z.remove(b"c");
        assert_eq!(z.encoding_name(), "skiplist");
    }
}
