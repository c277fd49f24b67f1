//! The list type (Redis's `t_list.c` semantics, without clients). Redis 7.0 keeps every list
//! in a quicklist; here a ring buffer of compact byte strings gives O(1) pushes and pops at
//! both ends and O(n) index access, which is what the commands' complexities promise.
//! Elements up to 22 bytes live inline in their 24-byte slot (no allocation of their own).

use std::collections::VecDeque;

use crate::bytes_small::SmallBytes;
use crate::error::OpError;
use crate::value::Value;

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

/// A list value. Never empty while stored: commands delete a key whose list empties.
#[derive(Clone, Debug, Default)]
pub struct List {
    items: VecDeque<SmallBytes>,
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
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    pub fn push(&mut self, end: End, element: &[u8]) {
        let e = SmallBytes::new(element);
        match end {
            End::Left => self.items.push_front(e),
            End::Right => self.items.push_back(e),
        }
    }

    pub fn pop(&mut self, end: End) -> Option<SmallBytes> {
        match end {
            End::Left => self.items.pop_front(),
            End::Right => self.items.pop_back(),
        }
    }

    /// Elements from head to tail.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &[u8]> + ExactSizeIterator {
        self.items.iter().map(SmallBytes::as_bytes)
    }

    /// Resolves a possibly negative index (from the tail) to a position.
    fn position(&self, index: i64) -> Option<usize> {
        let len = self.items.len() as i64;
        let i = if index < 0 { len.checked_add(index)? } else { index };
        (0..len).contains(&i).then_some(i as usize)
    }

    /// LINDEX.
    pub fn get(&self, index: i64) -> Option<&[u8]> {
        self.position(index).map(|i| self.items[i].as_bytes())
    }

    /// LSET: `OutOfRange` when the index is outside the list.
    pub fn set(&mut self, index: i64, element: &[u8]) -> Result<(), OpError> {
        let i = self.position(index).ok_or(OpError::OutOfRange)?;
        self.items[i] = SmallBytes::new(element);
        Ok(())
    }

    /// LINSERT: inserts next to the first occurrence of `pivot` (scanning from the head);
    /// false when the pivot is absent.
    pub fn insert(&mut self, after: bool, pivot: &[u8], element: &[u8]) -> bool {
        let Some(i) = self.items.iter().position(|e| e.as_bytes() == pivot) else {
            return false;
        };
        self.items.insert(if after { i + 1 } else { i }, SmallBytes::new(element));
        true
    }

    /// LTRIM: keeps `start..=end` (already normalised) or nothing; returns how many were
    /// removed.
    pub fn trim(&mut self, keep: Option<(usize, usize)>) -> usize {
        let before = self.items.len();
        match keep {
            None => self.items.clear(),
            Some((start, end)) => {
                self.items.truncate(end + 1);
                self.items.drain(..start);
            }
        }
        before - self.items.len()
    }

    /// LREM: removes up to `count` occurrences from the head (`count > 0`), from the tail
    /// (`count < 0`) or all (`0`); returns how many were removed.
    pub fn remove(&mut self, count: i64, element: &[u8]) -> usize {
        let limit = if count == 0 { usize::MAX } else { usize::try_from(count.unsigned_abs()).unwrap_or(usize::MAX) };
        let mut removed = 0usize;
        if count >= 0 {
            self.items.retain(|e| {
                if removed < limit && e.as_bytes() == element {
                    removed += 1;
                    false
                } else {
                    true
                }
            });
        } else {
            let mut keep = vec![true; self.items.len()];
            for (i, e) in self.items.iter().enumerate().rev() {
                if removed >= limit {
                    break;
                }
                if e.as_bytes() == element {
                    keep[i] = false;
                    removed += 1;
                }
            }
            let mut flags = keep.into_iter();
            self.items.retain(|_| flags.next().unwrap_or(true));
        }
        removed
    }

    /// LPOS: indexes of matches of `element`, skipping the first `rank - 1` matches
    /// (searching from the tail when `from_tail`), stopping after `count` results (0: no
    /// limit) and after `maxlen` compared elements (0: no limit).
    pub fn positions(&self, element: &[u8], rank: u64, from_tail: bool, count: usize, maxlen: usize) -> Vec<usize> {
        let len = self.items.len();
        let limit = if maxlen == 0 { len } else { maxlen.min(len) };
        let mut out = Vec::new();
        let mut matches = 0u64;
        for step in 0..limit {
            let i = if from_tail { len - 1 - step } else { step };
            if self.items[i].as_bytes() != element {
                continue;
            }
            matches += 1;
            if matches >= rank {
                out.push(i);
                if count != 0 && out.len() >= count {
                    break;
                }
            }
        }
        out
    }

    /// Heap bytes owned (memory accounting): the ring buffer plus out-of-line elements.
    pub fn heap_size(&self) -> usize {
        std::mem::size_of::<List>() + self.items.capacity() * std::mem::size_of::<SmallBytes>() + self.items.iter().map(SmallBytes::heap_size).sum::<usize>()
    }
}

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
}
