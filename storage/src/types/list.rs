//! The list type (Redis's `t_list.c` semantics, without clients). Redis 7.0 keeps every list
//! in a quicklist; so does this: a ring of nodes, each a [`Listpack`] of at most
//! [`NODE_BYTES`] bytes (Redis's default `list-max-listpack-size -2`), so a 16-byte
//! element costs 18 bytes. Pushes and pops at both ends are O(1) (they touch one node of
//! bounded size); an index is found by binary search over the nodes' starting positions
//! and a walk inside one node.

use std::collections::VecDeque;

use super::listpack::{Item, Listpack};
use crate::bytes_small::SmallBytes;
use crate::error::OpError;
use crate::value::Value;

/// Largest node, in bytes of entries, before a new one is started (one larger element
/// gets a node of its own).
pub const NODE_BYTES: usize = 8192;

/// Position given to the first element of a new list: pushes to the left count down
/// from it, so node starts stay absolute and only the end nodes' starts ever change.
const BASE: u64 = 1 << 62;

/// Which end of a list (Redis's `LIST_HEAD` / `LIST_TAIL`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    Left,
    Right,
}

impl End {
    /// Parses `LEFT` / `RIGHT` (case-insensitive), as `getListPositionFromObjectOrReply`.
    pub fn parse(arg: &[u8]) -> Option<End> {
        if arg.eq_ignore_ascii_case(b"left") {
            Some(End::Left)
        } else if arg.eq_ignore_ascii_case(b"right") {
            Some(End::Right)
        } else {
            None
        }
    }
}

/// One node: a listpack and the absolute position of its first element.
#[derive(Clone, Debug, Default)]
struct Node {
    lp: Listpack,
    start: u64,
}

/// A list value. Never empty while stored: commands delete a key whose list empties.
#[derive(Clone, Debug, Default)]
pub struct List {
    /// Non-empty nodes; the first one's start is the head's absolute position.
    nodes: VecDeque<Node>,
}


fn str_of(item: Item<'_>) -> &[u8] {
    match item {
        Item::Str(s) => s,
        Item::Int(_) => &[],
    }
}

/// Byte offset of entry `k` of a node, walking from the nearer end.
fn offset_in(lp: &Listpack, k: usize) -> usize {
    if k <= lp.len() / 2 {
        let mut off = 0;
        for _ in 0..k {
            off = lp.skip(off);
        }
        off
    } else {
        let mut end = lp.bytes();
        for _ in k..lp.len() {
            end = lp.prev_at(end).map_or(0, |(_, s)| s);
        }
        end
    }
}

/// The list inside a value, or WRONGTYPE.
pub fn as_list(v: &Value) -> Result<&List, OpError> {
    match v {
        Value::List(l) => Ok(l),
        _ => Err(OpError::WrongType),
    }
}

/// The mutable list inside a value, or WRONGTYPE.
pub fn as_list_mut(v: &mut Value) -> Result<&mut List, OpError> {
    match v {
        Value::List(l) => Ok(l),
        _ => Err(OpError::WrongType),
    }
}

impl List {
    /// An empty list (to be filled before it is stored).
    pub fn new() -> List {
        List::default()
    }

    pub fn len(&self) -> usize {
        match (self.nodes.front(), self.nodes.back()) {
            (Some(f), Some(b)) => (b.start + b.lp.len() as u64 - f.start) as usize,
            _ => 0,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// Absolute position of the head element.
    fn base(&self) -> u64 {
        self.nodes.front().map_or(BASE, |n| n.start)
    }

    /// Recomputes node starts after a change in the middle.
    fn renumber(&mut self) {
        let mut at = self.base();
        self.nodes.retain(|n| !n.lp.is_empty());
        for n in &mut self.nodes {
            n.start = at;
            at += n.lp.len() as u64;
        }
    }

    /// Room for one more node, growing the ring by allocator size classes (most lists
    /// have a node or two, and a doubled ring would be mostly empty).
    fn reserve_node(&mut self) {
        let (len, cap) = (self.nodes.len(), self.nodes.capacity());
        if len == cap {
            let size = std::mem::size_of::<Node>();
            let want = super::dense::size_class((cap + 1) * size) / size;
            self.nodes.reserve_exact(want.max(cap + 1) - len);
        }
    }

    pub fn push(&mut self, end: End, element: &[u8]) {
        let item = Item::Str(element);
        let need = super::listpack::encoded_len(item);
        let fits = |n: &Node| n.lp.bytes() + need <= NODE_BYTES;
        match end {
            End::Left => {
                let base = self.base() - 1;
                match self.nodes.front_mut() {
                    Some(n) if fits(n) => {
                        n.lp.insert_at(0, item);
                        n.start -= 1;
                    }
                    _ => {
                        let mut n = Node { lp: Listpack::new(), start: base };
                        n.lp.push(item);
                        self.reserve_node();
                        self.nodes.push_front(n);
                    }
                }
            }
            End::Right => match self.nodes.back_mut() {
                Some(n) if fits(n) => n.lp.push(item),
                _ => {
                    let mut n = Node { lp: Listpack::new(), start: self.base() + self.len() as u64 };
                    n.lp.push(item);
                    self.reserve_node();
                    self.nodes.push_back(n);
                }
            },
        }
    }

    pub fn pop(&mut self, end: End) -> Option<SmallBytes> {
        let popped = match end {
            End::Left => {
                let n = self.nodes.front_mut()?;
                let (item, next) = n.lp.next_at(0)?;
                let e = SmallBytes::new(str_of(item));
                n.lp.remove_range(0, next, 1);
                n.start += 1;
                if n.lp.is_empty() {
                    self.nodes.pop_front();
                }
                e
            }
            End::Right => {
                let n = self.nodes.back_mut()?;
                let (item, start) = n.lp.prev_at(n.lp.bytes())?;
                let e = SmallBytes::new(str_of(item));
                let end = n.lp.bytes();
                n.lp.remove_range(start, end, 1);
                if n.lp.is_empty() {
                    self.nodes.pop_back();
                }
                e
            }
        };
        Some(popped)
    }

    /// Elements from head to tail.
    pub fn iter(&self) -> Iter<'_> {
        let back = match self.nodes.back() {
            Some(n) => (self.nodes.len() - 1, n.lp.bytes()),
            None => (0, 0),
        };
        Iter { nodes: &self.nodes, front: (0, 0), back, remaining: self.len() }
    }

    /// Resolves a possibly negative index (from the tail) to a position.
    fn position(&self, index: i64) -> Option<usize> {
        let len = self.len() as i64;
        let i = if index < 0 { len.checked_add(index)? } else { index };
        (0..len).contains(&i).then_some(i as usize)
    }

    /// The node holding position `i` (< len) and the entry's byte offset in it.
    fn locate(&self, i: usize) -> (usize, usize) {
        let abs = self.base() + i as u64;
        let ni = self.nodes.partition_point(|n| n.start <= abs).saturating_sub(1);
        let n = &self.nodes[ni];
        (ni, offset_in(&n.lp, (abs - n.start) as usize))
    }

    /// LINDEX.
    pub fn get(&self, index: i64) -> Option<&[u8]> {
        let i = self.position(index)?;
        let (ni, off) = self.locate(i);
        self.nodes[ni].lp.next_at(off).map(|(item, _)| str_of(item))
    }

    /// LSET: `OutOfRange` when the index is outside the list.
    pub fn set(&mut self, index: i64, element: &[u8]) -> Result<(), OpError> {
        let i = self.position(index).ok_or(OpError::OutOfRange)?;
        let (ni, off) = self.locate(i);
        self.nodes[ni].lp.replace(off, Item::Str(element));
        self.split_if_big(ni);
        Ok(())
    }

    /// Splits node `ni` in two once it holds more than twice the node size.
    fn split_if_big(&mut self, ni: usize) {
        let n = &mut self.nodes[ni];
        if n.lp.bytes() <= 2 * NODE_BYTES || n.lp.len() < 2 {
            return;
        }
        let half = n.lp.len() / 2;
        let cut = offset_in(&n.lp, half);
        let mut tail = Listpack::new();
        n.lp.iter().skip(half).for_each(|item| tail.push(item));
        let end = n.lp.bytes();
        n.lp.remove_range(cut, end, n.lp.len() - half);
        let start = n.start + half as u64;
        self.nodes.insert(ni + 1, Node { lp: tail, start });
    }

    /// LINSERT: inserts next to the first occurrence of `pivot` (scanning from the head);
    /// false when the pivot is absent.
    pub fn insert(&mut self, after: bool, pivot: &[u8], element: &[u8]) -> bool {
        let mut found = None;
        'nodes: for (ni, n) in self.nodes.iter().enumerate() {
            let mut off = 0;
            while let Some((item, next)) = n.lp.next_at(off) {
                if str_of(item) == pivot {
                    found = Some((ni, if after { next } else { off }));
                    break 'nodes;
                }
                off = next;
            }
        }
        let Some((ni, off)) = found else {
            return false;
        };
        self.nodes[ni].lp.insert_at(off, Item::Str(element));
        self.split_if_big(ni);
        self.renumber();
        true
    }

    /// Removes `k` elements from the head.
    fn drop_front(&mut self, mut k: usize) {
        while k > 0 {
            let Some(n) = self.nodes.front_mut() else { break };
            if n.lp.len() <= k {
                k -= n.lp.len();
                self.nodes.pop_front();
            } else {
                let cut = offset_in(&n.lp, k);
                n.lp.remove_range(0, cut, k);
                n.start += k as u64;
                k = 0;
            }
        }
    }

    /// Removes `k` elements from the tail.
    fn drop_back(&mut self, mut k: usize) {
        while k > 0 {
            let Some(n) = self.nodes.back_mut() else { break };
            if n.lp.len() <= k {
                k -= n.lp.len();
                self.nodes.pop_back();
            } else {
                let keep = n.lp.len() - k;
                let cut = offset_in(&n.lp, keep);
                let end = n.lp.bytes();
                n.lp.remove_range(cut, end, k);
                k = 0;
            }
        }
    }

    /// LTRIM: keeps `start..=end` (already normalised) or nothing; returns how many were
    /// removed.
    pub fn trim(&mut self, keep: Option<(usize, usize)>) -> usize {
        let before = self.len();
        match keep {
            None => *self = List::new(),
            Some((start, end)) => {
                let end = end.min(before.saturating_sub(1));
                self.drop_back(before - 1 - end);
                self.drop_front(start.min(self.len()));
            }
        }
        if self.is_empty() {
            *self = List::new();
        }
        before - self.len()
    }

    /// LREM: removes up to `count` occurrences from the head (`count > 0`), from the tail
    /// (`count < 0`) or all (`0`); returns how many were removed.
    pub fn remove(&mut self, count: i64, element: &[u8]) -> usize {
        let limit = if count == 0 { usize::MAX } else { usize::try_from(count.unsigned_abs()).unwrap_or(usize::MAX) };
        let mut removed = 0usize;
        let order: Vec<usize> = if count >= 0 { (0..self.nodes.len()).collect() } else { (0..self.nodes.len()).rev().collect() };
        for ni in order {
            if removed >= limit {
                break;
            }
            let lp = &self.nodes[ni].lp;
            let items: Vec<&[u8]> = lp.iter().map(str_of).collect();
            let mut drop = vec![false; items.len()];
            let idx: Vec<usize> = if count >= 0 { (0..items.len()).collect() } else { (0..items.len()).rev().collect() };
            let mut hit = false;
            for i in idx {
                if removed >= limit {
                    break;
                }
                if items[i] == element {
                    drop[i] = true;
                    removed += 1;
                    hit = true;
                }
            }
            if hit {
                let mut kept = Listpack::new();
                for (i, e) in items.iter().enumerate() {
                    if !drop[i] {
                        kept.push(Item::Str(e));
                    }
                }
                self.nodes[ni].lp = kept;
            }
        }
        if removed > 0 {
            self.renumber();
        }
        removed
    }

    /// LPOS: indexes of matches of `element`, skipping the first `rank - 1` matches
    /// (searching from the tail when `from_tail`), stopping after `count` results (0: no
    /// limit) and after `maxlen` compared elements (0: no limit).
    pub fn positions(&self, element: &[u8], rank: u64, from_tail: bool, count: usize, maxlen: usize) -> Vec<usize> {
        let len = self.len();
        let limit = if maxlen == 0 { len } else { maxlen.min(len) };
        let mut out = Vec::new();
        let mut matches = 0u64;
        let mut consider = |step: usize, e: &[u8]| {
            if e != element {
                return true;
            }
            matches += 1;
            if matches >= rank {
                out.push(if from_tail { len - 1 - step } else { step });
                if count != 0 && out.len() >= count {
                    return false;
                }
            }
            true
        };
        if from_tail {
            for (step, e) in self.iter().rev().take(limit).enumerate() {
                if !consider(step, e) {
                    break;
                }
            }
        } else {
            for (step, e) in self.iter().take(limit).enumerate() {
                if !consider(step, e) {
                    break;
                }
            }
        }
        out
    }

    /// Heap bytes owned (memory accounting): the node ring and the nodes' buffers.
    pub fn heap_size(&self) -> usize {
        std::mem::size_of::<List>() + self.nodes.capacity() * std::mem::size_of::<Node>() + self.nodes.iter().map(|n| n.lp.heap_size()).sum::<usize>()
    }
}

/// The elements of a list, from either end.
#[derive(Clone)]
pub struct Iter<'a> {
    nodes: &'a VecDeque<Node>,
    /// (node, byte offset of the next element).
    front: (usize, usize),
    /// (node, byte offset just past the next element from the back).
    back: (usize, usize),
    remaining: usize,
}

impl<'a> Iterator for Iter<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        if self.remaining == 0 {
            return None;
        }
        loop {
            let n = self.nodes.get(self.front.0)?;
            if let Some((item, next)) = n.lp.next_at(self.front.1) {
                self.front.1 = next;
                self.remaining -= 1;
                return Some(str_of(item));
            }
            self.front = (self.front.0 + 1, 0);
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
        loop {
            let n = self.nodes.get(self.back.0)?;
            if let Some((item, start)) = n.lp.prev_at(self.back.1) {
                self.back.1 = start;
                self.remaining -= 1;
                return Some(str_of(item));
            }
            let prev = self.back.0.checked_sub(1)?;
            self.back = (prev, self.nodes.get(prev)?.lp.bytes());
        }
    }
}

impl ExactSizeIterator for Iter<'_> {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::clamp_range;

    fn list(items: &[&str]) -> List {
        let mut l = List::new();
        for i in items {
            l.push(End::Right, i.as_bytes());
        }
        l
    }

    fn items(l: &List) -> Vec<String> {
        l.iter().map(|e| String::from_utf8_lossy(e).into_owned()).collect()
    }

    #[test]
    fn ranges_follow_redis() {
        assert_eq!(clamp_range(0, -1, 3), Some((0, 2)));
        assert_eq!(clamp_range(-100, 100, 3), Some((0, 2)));
        assert_eq!(clamp_range(2, 1, 3), None);
        assert_eq!(clamp_range(3, 5, 3), None);
        assert_eq!(clamp_range(i64::MIN, i64::MAX, 3), Some((0, 2)));
        assert_eq!(clamp_range(0, 0, 0), None);
    }

    #[test]
    fn remove_from_both_ends() {
        let mut l = list(&["a", "b", "a", "c", "a"]);
        assert_eq!(l.remove(-2, b"a"), 2);
        assert_eq!(items(&l), ["a", "b", "c"]);
        let mut l = list(&["a", "b", "a", "c", "a"]);
        assert_eq!(l.remove(1, b"a"), 1);
        assert_eq!(items(&l), ["b", "a", "c", "a"]);
        assert_eq!(l.remove(0, b"a"), 2);
        assert_eq!(items(&l), ["b", "c"]);
    }

    #[test]
    fn trim_insert_positions() {
        let mut l = list(&["a", "b", "c", "d"]);
        assert_eq!(l.trim(clamp_range(1, -2, 4)), 2);
        assert_eq!(items(&l), ["b", "c"]);
        assert!(l.insert(true, b"b", b"x"));
        assert!(!l.insert(false, b"zz", b"x"));
        assert_eq!(items(&l), ["b", "x", "c"]);
        let l = list(&["a", "b", "a", "a"]);
        assert_eq!(l.positions(b"a", 2, false, 0, 0), [2, 3]);
        assert_eq!(l.positions(b"a", 1, true, 2, 0), [3, 2]);
        assert_eq!(l.positions(b"a", 1, false, 0, 2), [0]);
        assert_eq!(l.get(-1), Some(b"a".as_slice()));
        assert_eq!(l.get(i64::MIN), None);
    }

    #[test]
    fn many_nodes_both_ends() {
        let mut l = List::new();
        let mut model = std::collections::VecDeque::new();
        for i in 0..3000 {
            let e = format!("element-{i:05}-padding");
            if i % 3 == 0 {
                l.push(End::Left, e.as_bytes());
                model.push_front(e);
            } else {
                l.push(End::Right, e.as_bytes());
                model.push_back(e);
            }
        }
        assert!(l.nodes.len() > 5);
        for i in [0usize, 1, 400, 1500, 2999] {
            assert_eq!(l.get(i as i64), Some(model[i].as_bytes()));
        }
        assert!(l.iter().eq(model.iter().map(|s| s.as_bytes())));
        assert!(l.iter().rev().eq(model.iter().rev().map(|s| s.as_bytes())));
        for _ in 0..700 {
            assert_eq!(l.pop(End::Left).map(|e| e.as_bytes().to_vec()), model.pop_front().map(String::into_bytes));
            assert_eq!(l.pop(End::Right).map(|e| e.as_bytes().to_vec()), model.pop_back().map(String::into_bytes));
        }
        l.set(5, b"x").unwrap();
        model[5] = "x".into();
        assert!(l.insert(true, b"x", b"y"));
        model.insert(6, "y".into());
        assert_eq!(l.trim(Some((3, 1200))), model.len() - 1198);
        let kept: Vec<String> = model.iter().skip(3).take(1198).cloned().collect();
        assert!(l.iter().eq(kept.iter().map(|s| s.as_bytes())));
        for (i, e) in kept.iter().enumerate() {
            assert_eq!(l.get(i as i64), Some(e.as_bytes()));
        }
        assert_eq!(l.len(), kept.len());
    }
}
