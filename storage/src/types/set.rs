//! The set type (Redis 7.0's `t_set.c` semantics, without clients): an `intset` while every
//! member is a canonical integer and the set is small, a hash table otherwise. Conversion is
//! one way, as in Redis: a hash-table set never goes back to an intset.

use std::borrow::Cow;

use rand::Rng;
use rhodium_protocol::number::parse_i64;

use super::dense::{size_class, Dense};
use super::intset::Intset;
use crate::error::OpError;
use crate::value::Value;

/// Redis's default `set-max-intset-entries`.
pub const DEFAULT_MAX_INTSET_ENTRIES: usize = 512;

/// The hash-table form: members densely indexed so a random member is O(1), one
/// allocation each plus about ten bytes of index.
pub type HashMembers = Box<Dense<Box<[u8]>>>;

/// A set value.
#[derive(Clone, Debug)]
pub enum SetValue {
    /// Sorted ascending, no duplicates (Redis's `intset`).
    Intset(Intset),
    /// Any members (Redis's `hashtable`).
    Hash(HashMembers),
}

/// Redis's `isSdsRepresentableAsLongLong`: only canonical decimal forms count.
fn as_int(member: &[u8]) -> Option<i64> {
    parse_i64(member)
}

fn int_bytes(i: i64) -> Cow<'static, [u8]> {
    Cow::Owned(itoa::Buffer::new().format(i).as_bytes().to_vec())
}

impl SetValue {
    /// An empty set with the encoding Redis's `setTypeCreate` picks for its first member.
    pub fn for_member(member: &[u8]) -> SetValue {
        if as_int(member).is_some() {
            SetValue::Intset(Intset::new())
        } else {
            SetValue::Hash(HashMembers::default())
        }
    }

    /// An empty intset (Redis's `createIntsetObject`, the start of every set operation result).
    pub fn empty_intset() -> SetValue {
        SetValue::Intset(Intset::new())
    }

    /// Number of members.
    pub fn len(&self) -> usize {
        match self {
            SetValue::Intset(v) => v.len(),
            SetValue::Hash(h) => h.len(),
        }
    }

    /// Whether the set has no members (a stored set never is).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// OBJECT ENCODING's answer.
    pub fn encoding_name(&self) -> &'static str {
        match self {
            SetValue::Intset(_) => "intset",
            SetValue::Hash(_) => "hashtable",
        }
    }

    /// Whether `member` is in the set.
    pub fn contains(&self, member: &[u8]) -> bool {
        match self {
            SetValue::Intset(v) => as_int(member).is_some_and(|i| v.contains(i)),
            SetValue::Hash(h) => h.contains(member),
        }
    }

    /// Converts to the hash-table form (Redis's `setTypeConvert`).
    fn convert(&mut self) {
        if let SetValue::Intset(v) = self {
            let mut h = Dense::with_capacity(v.len() + 1);
            for i in v.iter() {
                h.insert(int_bytes(i).into_owned().into_boxed_slice());
            }
            *self = SetValue::Hash(Box::new(h));
        }
    }

    /// Adds a member; true if it was new (Redis's `setTypeAdd`). An intset that would hold a
    /// non-integer or more than `max_intset` members becomes a hash table.
    pub fn add(&mut self, member: &[u8], max_intset: usize) -> bool {
        if let SetValue::Intset(v) = self {
            match as_int(member) {
                Some(i) => {
                    if !v.insert(i) {
                        return false;
                    }
                    if v.len() > max_intset {
                        self.convert();
                    }
                    return true;
                }
                None => self.convert(),
            }
        }
        match self {
            SetValue::Hash(h) => h.insert(member.into()),
            SetValue::Intset(_) => false,
        }
    }

    /// Removes a member; true if it was there.
    pub fn remove(&mut self, member: &[u8]) -> bool {
        match self {
            SetValue::Intset(v) => as_int(member).is_some_and(|i| v.remove(i)),
            // swap_remove keeps removal O(1); SSCAN walks from the top so a moved member
            // is at worst returned twice, never missed.
            SetValue::Hash(h) => h.swap_remove(member).is_some(),
        }
    }

    /// The member at `index` in iteration order.
    pub fn get_index(&self, index: usize) -> Option<Cow<'_, [u8]>> {
        match self {
            SetValue::Intset(v) => v.get(index).map(int_bytes),
            SetValue::Hash(h) => h.get_index(index).map(|m| Cow::Borrowed(&m[..])),
        }
    }

    /// A uniformly random member (Redis's `setTypeRandomElement`); `None` when empty.
    pub fn random(&self, rng: &mut impl Rng) -> Option<Cow<'_, [u8]>> {
        if self.is_empty() {
            return None;
        }
        self.get_index(rng.gen_range(0..self.len()))
    }

    /// Members in iteration order (ascending for an intset).
    pub fn iter(&self) -> impl Iterator<Item = Cow<'_, [u8]>> + '_ {
        (0..self.len()).filter_map(move |i| self.get_index(i))
    }

    /// Heap bytes owned (memory accounting).
    pub fn heap_size(&self) -> usize {
        match self {
            SetValue::Intset(v) => v.heap_size(),
            SetValue::Hash(h) => h.iter().map(|m| size_class(m.len())).sum::<usize>() + h.table_bytes(),
        }
    }
}

/// A value as a set, or WRONGTYPE.
pub fn as_set(v: &Value) -> Result<&SetValue, OpError> {
    match v {
        Value::Set(s) => Ok(s),
        _ => Err(OpError::WrongType),
    }
}

/// A value as a mutable set, or WRONGTYPE.
pub fn as_set_mut(v: &mut Value) -> Result<&mut SetValue, OpError> {
    match v {
        Value::Set(s) => Ok(s),
        _ => Err(OpError::WrongType),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intset_stays_sorted_and_converts_one_way() {
        let mut s = SetValue::for_member(b"5");
        assert!(s.add(b"5", 3) && s.add(b"-1", 3) && s.add(b"3", 3) && !s.add(b"3", 3));
        assert_eq!(s.encoding_name(), "intset");
        let all: Vec<Vec<u8>> = s.iter().map(|m| m.into_owned()).collect();
        assert_eq!(all, vec![b"-1".to_vec(), b"3".to_vec(), b"5".to_vec()]);
        assert!(s.add(b"7", 3));
        assert_eq!(s.encoding_name(), "hashtable");
        assert!(s.remove(b"7") && s.remove(b"5"));
        assert_eq!(s.encoding_name(), "hashtable");
        assert!(s.contains(b"-1") && !s.contains(b"5"));
        let mut t = SetValue::for_member(b"007");
        assert_eq!(t.encoding_name(), "hashtable");
        assert!(t.add(b"007", 512) && !t.contains(b"7"));
    }
}
