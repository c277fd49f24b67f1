//! The sorted set (Redis's `t_zset.c` type API): members ordered by (score, member bytes),
//! with O(1) member lookup in the `skiplist` encoding.
//!
//! The `listpack` encoding packs member and score entries in one [`Listpack`] in order,
//! as Redis does (integral scores take a few bytes, others eight). The `skiplist`
//! encoding keeps each member once, with its score, in a [`Dense`] table (O(1) lookup),
//! and the order as sorted chunks of table positions of bounded size, with a Fenwick
//! tree over the chunk lengths ([`fenwick`]): a rank is found, and a member's rank
//! computed, in O(log n) (a binary search over the chunks' last members or the tree, then
//! one within a chunk); inserts and removes shift at most one chunk. Chunks split when
//! they outgrow [`CHUNK_MAX`] and merge with a neighbour when they shrink below
//! [`CHUNK_MIN`], so there are O(n / CHUNK_MIN) of them whatever the history.
//! Conversion to `skiplist` is one way, as in Redis.
//!
//! A set that must report `listpack` but is larger than [`PACKED_MAX`] (only possible
//! with raised limits, or for the unlimited working copies of ZUNION and friends) is kept
//! in the table form anyway, so no operation degrades to a linear scan of a large buffer.

use std::cmp::Ordering;

mod fenwick;

use super::dense::{reserve_class, Dense, Keyed};
use super::listpack::{Item, Listpack};
use fenwick::Fenwick;

/// Largest chunk before it is split in two.
const CHUNK_MAX: usize = 256;

/// A chunk shorter than this merges with a neighbour when together they hold at most
/// [`MERGED_MAX`]; far from the split size, so no sequence of operations alternates
/// splits and merges.
const CHUNK_MIN: usize = CHUNK_MAX / 8;

/// Largest chunk a merge makes.
const MERGED_MAX: usize = CHUNK_MAX * 3 / 4;

/// Most members kept packed; beyond this the table form is used whatever the encoding.
pub const PACKED_MAX: usize = 1024;

/// One member and its score.
pub type Entry = (f64, Box<[u8]>);

/// Compares two (score, member) pairs in sorted-set order. Scores are never NaN.
pub fn cmp_entry(a_score: f64, a_member: &[u8], b_score: f64, b_member: &[u8]) -> Ordering {
    a_score.partial_cmp(&b_score).unwrap_or(Ordering::Equal).then_with(|| a_member.cmp(b_member))
}

/// Largest integral score stored as a listpack integer (exactly representable in f64).
const INT_SCORE_MAX: f64 = 9_007_199_254_740_992.0;

/// A score as a listpack entry: an integer when integral, else its eight bytes.
fn score_item(score: f64, buf: &mut [u8; 8]) -> Item<'_> {
    if score.fract() == 0.0 && score.abs() <= INT_SCORE_MAX {
        Item::Int(score as i64)
    } else {
        *buf = score.to_le_bytes();
        Item::Str(&buf[..])
    }
}

fn score_of(item: Item<'_>) -> f64 {
    match item {
        Item::Int(i) => i as f64,
        Item::Str(b) => b.try_into().map(f64::from_le_bytes).unwrap_or(0.0),
    }
}

fn member_of(item: Item<'_>) -> &[u8] {
    match item {
        Item::Str(s) => s,
        Item::Int(_) => &[],
    }
}

/// The (score, member) pairs of a packed set with each pair's byte range.
fn lp_pairs(lp: &Listpack) -> impl Iterator<Item = (usize, &[u8], f64, usize)> + '_ {
    let mut off = 0;
    std::iter::from_fn(move || {
        let (m, soff) = lp.next_at(off)?;
        let (s, end) = lp.next_at(soff)?;
        let start = off;
        off = end;
        Some((start, member_of(m), score_of(s), end))
    })
}

/// Byte offset of the pair of rank `rank` in a packed set (the end for `rank == len`).
fn lp_offset(lp: &Listpack, rank: usize) -> usize {
    if rank == 0 {
        return 0;
    }
    lp_pairs(lp).nth(rank - 1).map_or(lp.bytes(), |p| p.3)
}

/// A member with its score: a table entry.
#[derive(Clone, Debug)]
struct Scored {
    score: f64,
    member: Box<[u8]>,
}

impl Keyed for Scored {
    fn key(&self) -> &[u8] {
        &self.member
    }
}

/// The table form.
#[derive(Clone, Debug, Default)]
struct Big {
    table: Dense<Scored>,
    /// Table positions in (score, member) order; no chunk is empty.
    chunks: Vec<Vec<u32>>,
    /// Prefix sums of the chunk lengths.
    index: Fenwick,
    /// Sum of member lengths, so memory accounting is O(1).
    member_bytes: usize,
    /// The encoding is `skiplist` (a table may still report `listpack`, see above).
    skiplist: bool,
}

impl Big {
    fn entry(&self, pos: u32) -> (f64, &[u8]) {
        match self.table.get_index(pos as usize) {
            Some(e) => (e.score, &e.member),
            None => (0.0, &[]),
        }
    }

    fn less(&self, pos: u32, score: f64, member: &[u8]) -> bool {
        let (s, m) = self.entry(pos);
        cmp_entry(s, m, score, member) == Ordering::Less
    }

    /// Recomputes the index after chunks were added or removed.
    fn reindex(&mut self) {
        self.index.rebuild(self.chunks.iter().map(Vec::len));
    }

    /// Rank of the first member of chunk `ci`.
    fn chunk_start(&self, ci: usize) -> usize {
        self.index.prefix(ci)
    }

    /// Index of the chunk and offset where (score, member) is or would go.
    fn locate(&self, score: f64, member: &[u8]) -> (usize, usize) {
        let ci = self.chunks.partition_point(|c| c.last().is_some_and(|&p| self.less(p, score, member)));
        if ci == self.chunks.len() {
            return (ci, 0);
        }
        let off = self.chunks[ci].partition_point(|&p| self.less(p, score, member));
        (ci, off)
    }

    /// Inserts a member known to be absent.
    fn insert_new(&mut self, score: f64, member: &[u8]) {
        let (mut ci, mut off) = self.locate(score, member);
        let pos = self.table.push_new(Scored { score, member: member.into() }) as u32;
        self.member_bytes += member.len();
        if self.chunks.is_empty() {
            self.chunks.push(vec![pos]);
            self.reindex();
            return;
        }
        if ci == self.chunks.len() {
            ci = self.chunks.len() - 1;
            off = self.chunks[ci].len();
        }
        let chunk = &mut self.chunks[ci];
        reserve_class(chunk, 1);
        chunk.insert(off, pos);
        if chunk.len() > CHUNK_MAX {
            let tail = chunk.split_off(CHUNK_MAX / 2);
            chunk.shrink_to_fit();
            self.chunks.insert(ci + 1, tail);
            self.reindex();
        } else {
            self.index.add(ci, 1);
        }
    }

    /// Removes the table entry at `pos`, already taken out of the order, re-pointing
    /// the order at the entry the removal moves into `pos`.
    fn remove_pos(&mut self, pos: usize) -> Option<Scored> {
        let last = self.table.len().checked_sub(1)?;
        if pos != last {
            let (s, m) = self.entry(last as u32);
            let (ci, off) = self.locate(s, m);
            if let Some(slot) = self.chunks.get_mut(ci).and_then(|c| c.get_mut(off)) {
                *slot = pos as u32;
            }
        }
        let e = self.table.swap_remove_index(pos)?;
        self.member_bytes -= e.member.len();
        Some(e)
    }

    /// After chunk `ci` shrank: drops it if empty, or merges it with its smaller
    /// neighbour if both are small enough. True when chunks were removed (the caller
    /// then reindexes).
    fn shrunk(&mut self, ci: usize) -> bool {
        let len = self.chunks[ci].len();
        if len == 0 {
            self.chunks.remove(ci);
            return true;
        }
        if len >= CHUNK_MIN {
            return false;
        }
        let prev = ci.checked_sub(1).map(|p| self.chunks[p].len());
        let next = self.chunks.get(ci + 1).map(Vec::len);
        // The left one of the pair to merge.
        let left = match (prev, next) {
            (Some(p), Some(n)) if p <= n => ci - 1,
            (Some(_), Some(_)) | (None, Some(_)) => ci,
            (Some(_), None) => ci - 1,
            (None, None) => return false,
        };
        if self.chunks[left].len() + self.chunks[left + 1].len() > MERGED_MAX {
            return false;
        }
        let right = self.chunks.remove(left + 1);
        let chunk = &mut self.chunks[left];
        reserve_class(chunk, right.len());
        chunk.extend_from_slice(&right);
        true
    }

    fn remove(&mut self, member: &[u8]) -> Option<f64> {
        let pos = self.table.position(member)?;
        let score = self.table.get_index(pos)?.score;
        let (ci, off) = self.locate(score, member);
        self.chunks[ci].remove(off);
        if self.shrunk(ci) {
            self.reindex();
        } else {
            self.index.add(ci, -1);
        }
        self.remove_pos(pos);
        Some(score)
    }

    /// The chunk and offset of rank `rank`.
    fn at_rank(&self, rank: usize) -> Option<(usize, usize)> {
        self.index.find(rank)
    }

    fn remove_range(&mut self, start: usize, end: usize) -> usize {
        let Some((first, mut lo)) = self.at_rank(start) else {
            return 0;
        };
        let mut removed: Vec<u32> = Vec::with_capacity(end - start);
        let mut ci = first;
        while removed.len() < end - start && ci < self.chunks.len() {
            let hi = (lo + (end - start - removed.len())).min(self.chunks[ci].len());
            removed.extend(self.chunks[ci].drain(lo..hi));
            self.index.add(ci, -((hi - lo) as i32));
            lo = 0;
            ci += 1;
        }
        // Only the first and the last chunk touched can keep members.
        let mut changed = false;
        if self.chunks[first..ci].iter().any(Vec::is_empty) {
            let kept: Vec<Vec<u32>> = self.chunks.drain(first..ci).filter(|c| !c.is_empty()).collect();
            self.chunks.splice(first..first, kept);
            changed = true;
        }
        // The two now side by side may be small: right one first, so `first` stays valid.
        for at in [first + 1, first] {
            if at < self.chunks.len() {
                changed |= self.shrunk(at);
            }
        }
        if changed {
            self.reindex();
        }
        // Highest positions first: every entry a removal moves down is one that stays.
        removed.sort_unstable_by(|a, b| b.cmp(a));
        for &pos in &removed {
            self.remove_pos(pos as usize);
        }
        removed.len()
    }

    /// Checks every structural invariant (tests): chunks non-empty and bounded, the
    /// index matching their lengths, the order sorted and covering the table once.
    #[cfg(test)]
    fn check(&self) {
        assert!(self.chunks.iter().all(|c| !c.is_empty() && c.len() <= CHUNK_MAX));
        let mut fresh = Fenwick::default();
        fresh.rebuild(self.chunks.iter().map(Vec::len));
        assert_eq!(self.index.len(), self.chunks.len());
        for i in 0..=self.chunks.len() {
            assert_eq!(self.index.prefix(i), fresh.prefix(i));
        }
        let order: Vec<u32> = self.chunks.iter().flatten().copied().collect();
        assert_eq!(order.len(), self.table.len());
        let mut seen = vec![false; order.len()];
        for &p in &order {
            assert!(!std::mem::replace(&mut seen[p as usize], true));
        }
        for w in order.windows(2) {
            let ((s1, m1), (s2, m2)) = (self.entry(w[0]), self.entry(w[1]));
            assert_eq!(cmp_entry(s1, m1, s2, m2), Ordering::Less);
        }
        assert_eq!(self.member_bytes, order.iter().map(|&p| self.entry(p).1.len()).sum::<usize>());
        // A run of small chunks would have merged.
        for w in self.chunks.windows(2) {
            assert!(w[0].len() >= CHUNK_MIN || w[1].len() >= CHUNK_MIN || w[0].len() + w[1].len() > MERGED_MAX, "{} {}", w[0].len(), w[1].len());
        }
    }
}

#[derive(Clone, Debug)]
enum Form {
    Packed(Listpack),
    Big(Box<Big>),
}

/// A sorted set.
#[derive(Clone, Debug)]
pub struct ZSet {
    form: Form,
}

impl Default for ZSet {
    fn default() -> Self {
        ZSet { form: Form::Packed(Listpack::new()) }
    }
}

/// Where an iteration is: a byte offset in a packed set, a (chunk, offset) in a table.
#[derive(Clone, Copy)]
enum Cursor {
    Packed(usize),
    Big(usize, usize),
}

/// An iterator over a rank range of a sorted set, from either end.
pub struct Iter<'a> {
    set: &'a ZSet,
    front: Cursor,
    back: Cursor,
    remaining: usize,
}

impl<'a> Iterator for Iter<'a> {
    type Item = (f64, &'a [u8]);

    fn next(&mut self) -> Option<Self::Item> {
        if self.remaining == 0 {
            return None;
        }
        self.remaining -= 1;
        match (&self.set.form, &mut self.front) {
            (Form::Packed(lp), Cursor::Packed(off)) => {
                let (m, soff) = lp.next_at(*off)?;
                let (s, end) = lp.next_at(soff)?;
                *off = end;
                Some((score_of(s), member_of(m)))
            }
            (Form::Big(b), Cursor::Big(ci, off)) => {
                while *off >= b.chunks.get(*ci)?.len() {
                    *ci += 1;
                    *off = 0;
                }
                let pos = b.chunks[*ci][*off];
                *off += 1;
                Some(b.entry(pos))
            }
            _ => None,
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.remaining, Some(self.remaining))
    }
}

impl DoubleEndedIterator for Iter<'_> {
    fn next_back(&mut self) -> Option<Self::Item> {
        if self.remaining == 0 {
            return None;
        }
        self.remaining -= 1;
        match (&self.set.form, &mut self.back) {
            (Form::Packed(lp), Cursor::Packed(end)) => {
                let (s, soff) = lp.prev_at(*end)?;
                let (m, start) = lp.prev_at(soff)?;
                *end = start;
                Some((score_of(s), member_of(m)))
            }
            (Form::Big(b), Cursor::Big(ci, off)) => {
                while *off == 0 {
                    *ci = ci.checked_sub(1)?;
                    *off = b.chunks.get(*ci)?.len();
                }
                *off -= 1;
                Some(b.entry(b.chunks[*ci][*off]))
            }
            _ => None,
        }
    }
}

impl ZSet {
    /// An empty set in the encoding Redis's `zsetTypeCreate` picks for the size hints.
    pub fn with_hint(size: usize, max_member_len: usize, max_entries: usize, max_value: usize) -> ZSet {
        if size > max_entries || max_member_len > max_value || max_entries == 0 {
            ZSet { form: Form::Big(Box::new(Big { skiplist: true, ..Big::default() })) }
        } else {
            ZSet::default()
        }
    }

    /// Number of members.
    pub fn len(&self) -> usize {
        match &self.form {
            Form::Packed(lp) => lp.len() / 2,
            Form::Big(b) => b.table.len(),
        }
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// True in the `listpack` encoding.
    pub fn is_listpack(&self) -> bool {
        match &self.form {
            Form::Packed(_) => true,
            Form::Big(b) => !b.skiplist,
        }
    }

    /// OBJECT ENCODING's answer.
    pub fn encoding_name(&self) -> &'static str {
        if self.is_listpack() {
            "listpack"
        } else {
            "skiplist"
        }
    }

    /// Moves a packed set to the table form (the encoding name is unchanged).
    fn unpack(&mut self) {
        if let Form::Packed(lp) = &self.form {
            let mut b = Big { table: Dense::with_capacity(lp.len() / 2), ..Big::default() };
            let mut chunk: Vec<u32> = Vec::new();
            for (_, m, s, _) in lp_pairs(lp) {
                let pos = b.table.push_new(Scored { score: s, member: m.into() }) as u32;
                b.member_bytes += m.len();
                chunk.push(pos);
                if chunk.len() == CHUNK_MAX {
                    b.chunks.push(std::mem::take(&mut chunk));
                }
            }
            if !chunk.is_empty() {
                b.chunks.push(chunk);
            }
            b.reindex();
            self.form = Form::Big(Box::new(b));
        }
    }

    /// Converts to `skiplist` (never back).
    pub fn convert_to_skiplist(&mut self) {
        self.unpack();
        if let Form::Big(b) = &mut self.form {
            b.skiplist = true;
        }
    }

    /// Converts to `listpack` if small enough (Redis's `zsetConvertToListpackIfNeeded`,
    /// used only for the destination of store commands).
    pub fn convert_to_listpack_if_fits(&mut self, max_entries: usize, max_value: usize) {
        let max_len = self.iter().map(|(_, m)| m.len()).max().unwrap_or(0);
        if self.len() <= max_entries && max_len <= max_value {
            if let Form::Big(b) = &mut self.form {
                b.skiplist = false;
            }
            if self.len() <= PACKED_MAX {
                if let Form::Big(_) = self.form {
                    let mut lp = Listpack::new();
                    let mut buf = [0u8; 8];
                    for (s, m) in self.iter() {
                        lp.push(Item::Str(m));
                        lp.push(score_item(s, &mut buf));
                    }
                    self.form = Form::Packed(lp);
                }
            }
        } else {
            self.convert_to_skiplist();
        }
    }

    /// The score of `member`.
    pub fn score(&self, member: &[u8]) -> Option<f64> {
        match &self.form {
            Form::Packed(lp) => lp_pairs(lp).find(|p| p.1 == member).map(|p| p.2),
            Form::Big(b) => b.table.get(member).map(|e| e.score),
        }
    }

    /// Inserts a member known to be absent, converting to `skiplist` when a limit is crossed.
    fn insert_new(&mut self, score: f64, member: &[u8], max_entries: usize, max_value: usize) {
        if self.is_listpack() && (self.len() + 1 > max_entries || member.len() > max_value) {
            self.convert_to_skiplist();
        }
        if self.len() + 1 > PACKED_MAX {
            self.unpack();
        }
        match &mut self.form {
            Form::Packed(lp) => {
                let off = lp_pairs(lp).find(|p| cmp_entry(p.2, p.1, score, member) != Ordering::Less).map_or(lp.bytes(), |p| p.0);
                let mut buf = [0u8; 8];
                let s = score_item(score, &mut buf);
                lp.insert_at(off, s);
                lp.insert_at(off, Item::Str(member));
            }
            Form::Big(b) => b.insert_new(score, member),
        }
    }

    /// Removes `member`; returns its score if it was present.
    pub fn remove(&mut self, member: &[u8]) -> Option<f64> {
        match &mut self.form {
            Form::Packed(lp) => {
                let (start, score, end) = lp_pairs(lp).find(|p| p.1 == member).map(|p| (p.0, p.2, p.3))?;
                lp.remove_range(start, end, 2);
                Some(score)
            }
            Form::Big(b) => b.remove(member),
        }
    }

    /// Adds or updates `member` (no flag logic). Returns true when it was new.
    /// A stored -0 reads back as 0, as in Redis.
    pub fn insert(&mut self, score: f64, member: &[u8], max_entries: usize, max_value: usize) -> bool {
        let score = score + 0.0;
        match self.score(member) {
            Some(old) => {
                if old != score {
                    self.remove(member);
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
        match &self.form {
            Form::Packed(lp) => lp_pairs(lp).enumerate().find(|(_, p)| p.1 == member).map(|(i, p)| (i, p.2)),
            Form::Big(b) => {
                let score = b.table.get(member)?.score;
                let (ci, off) = b.locate(score, member);
                Some((b.chunk_start(ci) + off, score))
            }
        }
    }

    /// Number of entries for which `before` holds (a monotone predicate: true for a
    /// prefix of the order).
    pub fn count_before(&self, before: impl Fn(f64, &[u8]) -> bool) -> usize {
        match &self.form {
            Form::Packed(lp) => lp_pairs(lp).take_while(|p| before(p.2, p.1)).count(),
            Form::Big(b) => {
                let pred = |p: u32| {
                    let (s, m) = b.entry(p);
                    before(s, m)
                };
                let ci = b.chunks.partition_point(|c| c.last().is_some_and(|&p| pred(p)));
                let mut n = b.chunk_start(ci);
                if let Some(c) = b.chunks.get(ci) {
                    n += c.partition_point(|&p| pred(p));
                }
                n
            }
        }
    }

    /// Entry at ascending rank `rank`.
    pub fn get(&self, rank: usize) -> Option<(f64, &[u8])> {
        match &self.form {
            Form::Packed(lp) => lp_pairs(lp).nth(rank).map(|p| (p.2, p.1)),
            Form::Big(b) => {
                let (ci, off) = b.at_rank(rank)?;
                Some(b.entry(b.chunks[ci][off]))
            }
        }
    }

    /// The cursor at rank `rank` (`rank <= len`).
    fn cursor_at(&self, rank: usize) -> Cursor {
        match &self.form {
            Form::Packed(lp) => Cursor::Packed(lp_offset(lp, rank)),
            Form::Big(b) => {
                let (ci, off) = b.at_rank(rank).unwrap_or((b.chunks.len(), 0));
                Cursor::Big(ci, off)
            }
        }
    }

    /// Ascending iterator over ranks `lo..hi`.
    fn range_iter(&self, lo: usize, hi: usize) -> Iter<'_> {
        let hi = hi.min(self.len());
        let lo = lo.min(hi);
        let front = self.cursor_at(lo);
        let back = if hi == self.len() {
            match &self.form {
                Form::Packed(lp) => Cursor::Packed(lp.bytes()),
                Form::Big(b) => Cursor::Big(b.chunks.len(), 0),
            }
        } else {
            self.cursor_at(hi)
        };
        Iter { set: self, front, back, remaining: hi - lo }
    }

    /// Ascending iterator over all entries.
    pub fn iter(&self) -> Iter<'_> {
        self.range_iter(0, self.len())
    }

    /// Ascending iterator from rank `start`.
    pub fn iter_from(&self, start: usize) -> Iter<'_> {
        self.range_iter(start, self.len())
    }

    /// Descending iterator from ascending rank `start` down to rank 0.
    pub fn iter_rev_from(&self, start: usize) -> std::iter::Rev<Iter<'_>> {
        if start >= self.len() {
            return self.range_iter(0, 0).rev();
        }
        self.range_iter(0, start + 1).rev()
    }

    /// Removes ascending ranks `start..end`; returns how many were removed.
    pub fn remove_range(&mut self, start: usize, end: usize) -> usize {
        let end = end.min(self.len());
        if start >= end {
            return 0;
        }
        match &mut self.form {
            Form::Packed(lp) => {
                let (a, b) = (lp_offset(lp, start), lp_offset(lp, end));
                lp.remove_range(a, b, 2 * (end - start));
                end - start
            }
            Form::Big(b) => b.remove_range(start, end),
        }
    }

    /// Checks the table form's invariants (tests).
    #[cfg(test)]
    fn check(&self) {
        if let Form::Big(b) = &self.form {
            b.check();
        }
    }

    /// Heap bytes owned (memory accounting; an estimate for the table form).
    pub fn heap_size(&self) -> usize {
        std::mem::size_of::<ZSet>()
            + match &self.form {
                Form::Packed(lp) => lp.heap_size(),
                Form::Big(b) => b.table.table_bytes() + b.member_bytes + b.table.len() * 8 + b.chunks.iter().map(|c| 24 + c.capacity() * 4).sum::<usize>() + b.index.heap_size(),
            }
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

    #[test]
    fn packed_and_table_agree() {
        let mut small = ZSet::default();
        let mut big = ZSet::with_hint(10, 0, 0, 64);
        let scores = [1.5, -3.0, 0.0, 1e300, f64::INFINITY, f64::NEG_INFINITY, 7.0, 1.5, 2.25, -0.5];
        for round in 0..3 {
            for (i, s) in scores.iter().enumerate() {
                let m = format!("m{}", (i * 7 + round) % 13);
                assert_eq!(small.insert(*s + round as f64, m.as_bytes(), 128, 64), big.insert(*s + round as f64, m.as_bytes(), 128, 64));
            }
        }
        assert_eq!(small.encoding_name(), "listpack");
        assert_eq!(big.encoding_name(), "skiplist");
        let a: Vec<(f64, Vec<u8>)> = small.iter().map(|(s, m)| (s, m.to_vec())).collect();
        let b: Vec<(f64, Vec<u8>)> = big.iter().map(|(s, m)| (s, m.to_vec())).collect();
        assert_eq!(a, b);
        let ra: Vec<(f64, Vec<u8>)> = small.iter().rev().map(|(s, m)| (s, m.to_vec())).collect();
        let mut rb = b.clone();
        rb.reverse();
        assert_eq!(ra, rb);
        for (i, e) in a.iter().enumerate() {
            assert_eq!(small.iter_rev_from(i).count(), i + 1);
            assert_eq!(big.iter_from(i).next().map(|(s, m)| (s, m.to_vec())), Some(e.clone()));
            assert_eq!(small.rank(&e.1), Some((i, e.0)));
            assert_eq!(big.rank(&e.1), Some((i, e.0)));
        }
        assert_eq!(small.remove_range(2, 5), 3);
        assert_eq!(big.remove_range(2, 5), 3);
        let a: Vec<(f64, Vec<u8>)> = small.iter().map(|(s, m)| (s, m.to_vec())).collect();
        let b: Vec<(f64, Vec<u8>)> = big.iter().map(|(s, m)| (s, m.to_vec())).collect();
        assert_eq!(a, b);
        big.convert_to_listpack_if_fits(128, 64);
        assert_eq!(big.encoding_name(), "listpack");
        assert_eq!(big.iter().map(|(s, m)| (s, m.to_vec())).collect::<Vec<_>>(), a);
    }

    #[test]
    fn unlimited_listpack_stays_fast_and_ordered() {
        let mut z = ZSet::with_hint(5000, 0, usize::MAX, usize::MAX);
        for i in (0..5000).rev() {
            z.insert(f64::from(i), format!("m{i}").as_bytes(), usize::MAX, usize::MAX);
        }
        assert_eq!(z.encoding_name(), "listpack");
        assert!(z.iter().map(|(s, _)| s).eq((0..5000).map(f64::from)));
        for i in (0..5000).step_by(3) {
            assert_eq!(z.remove(format!("m{i}").as_bytes()), Some(f64::from(i)));
        }
        assert!(z.iter().map(|(s, _)| s).eq((0..5000).filter(|i| i % 3 != 0).map(f64::from)));
        for (r, (s, m)) in z.iter().enumerate() {
            assert_eq!(z.rank(m), Some((r, s)));
        }
    }

    /// Seeded random operations on a table-form set and on a sorted vector, compared
    /// after every step (ranks, entries at ranks, counts before a score, iteration from
    /// a rank both ways) and with the structure's invariants checked regularly. Sizes
    /// reach several thousand members so chunks split, empty and merge.
    #[test]
    fn table_form_matches_a_sorted_vector() {
        use rand::{Rng, SeedableRng};
        type Model = Vec<(f64, Vec<u8>)>;
        fn pos(model: &Model, score: f64, member: &[u8]) -> Result<usize, usize> {
            model.binary_search_by(|(s, m)| cmp_entry(*s, m, score, member))
        }
        for seed in 0..4u64 {
            let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
            let mut z = ZSet::with_hint(0, 0, 0, 64);
            let mut model: Model = Vec::new();
            let mut scores: std::collections::HashMap<Vec<u8>, f64> = std::collections::HashMap::new();
            let pool = 40_000;
            let steps = 40_000;
            for step in 0..steps {
                let growing = step < steps / 2;
                let r: f64 = rng.gen();
                let member = format!("m{}", rng.gen_range(0..pool)).into_bytes();
                if r < 0.01 {
                    let len = model.len();
                    let a = rng.gen_range(0..=len);
                    let span = if rng.gen_bool(0.2) { 700 } else { 20 };
                    let b = (a + rng.gen_range(0..span)).min(len + 3);
                    let expect = b.min(len).saturating_sub(a);
                    assert_eq!(z.remove_range(a, b), expect);
                    for (_, m) in model.drain(a..a + expect) {
                        scores.remove(&m);
                    }
                } else if r < if growing { 0.9 } else { 0.2 } {
                    // Few distinct scores, so equal scores order by member bytes.
                    let score = if rng.gen_bool(0.8) { f64::from(rng.gen_range(-20i32..20)) } else { rng.gen_range(-1e6..1e6) };
                    let old = scores.insert(member.clone(), score);
                    assert_eq!(z.insert(score, &member, 0, 64), old.is_none());
                    if let Some(old) = old {
                        let i = pos(&model, old, &member).unwrap();
                        model.remove(i);
                    }
                    let at = pos(&model, score, &member).unwrap_err();
                    model.insert(at, (score, member));
                } else {
                    let old = scores.remove(&member);
                    assert_eq!(z.remove(&member), old);
                    if let Some(old) = old {
                        let i = pos(&model, old, &member).unwrap();
                        model.remove(i);
                    }
                }
                assert_eq!(z.len(), model.len());
                if model.is_empty() {
                    continue;
                }
                let k = rng.gen_range(0..model.len());
                let (s, m) = &model[k];
                assert_eq!(z.rank(m), Some((k, *s)));
                assert_eq!(z.get(k).map(|(s, m)| (s, m.to_vec())), Some(model[k].clone()));
                assert_eq!(z.get(model.len()), None);
                let threshold = f64::from(rng.gen_range(-21i32..21));
                assert_eq!(z.count_before(|s, _| s < threshold), model.iter().take_while(|(s, _)| *s < threshold).count());
                let fwd: Model = z.iter_from(k).take(3).map(|(s, m)| (s, m.to_vec())).collect();
                assert_eq!(fwd, model[k..(k + 3).min(model.len())].to_vec());
                let back: Model = z.iter_rev_from(k).take(3).map(|(s, m)| (s, m.to_vec())).collect();
                let expect: Model = model[..=k].iter().rev().take(3).cloned().collect();
                assert_eq!(back, expect);
                if step % 500 == 0 {
                    z.check();
                    assert!(z.iter().map(|(s, m)| (s, m.to_vec())).eq(model.iter().cloned()));
                }
            }
            z.check();
        }
    }
}
