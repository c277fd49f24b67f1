//! The value stored under a key. Strings keep Redis's three encodings (int, embstr,
//! raw) so OBJECT ENCODING answers as Redis does; later types add variants that box
//! their own compact structures. A value is 24 bytes.

use std::borrow::Cow;

use rhodium_protocol::number::parse_i64;

/// Longest string Redis stores with the `embstr` encoding.
pub const EMBSTR_MAX: usize = 44;
/// Bytes kept inline for short strings.
pub const STR_INLINE_CAP: usize = 22;

#[derive(Clone, Debug)]
pub enum Value {
    /// A string that is the canonical decimal form of an i64 (`int` encoding).
    Int(i64),
    /// A short string kept inline (`embstr` encoding).
    Inline { len: u8, data: [u8; STR_INLINE_CAP] },
    /// A string of at most 44 bytes (`embstr` encoding).
    Emb(Box<[u8]>),
    /// A string modified in place (APPEND, SETRANGE) or longer than 44 bytes (`raw`).
    Raw(Box<Vec<u8>>),
    /// A list (reported as `quicklist`, as Redis 7.0 reports every list).
    List(Box<crate::types::list::List>),
    /// A hash (`listpack` or `hashtable` encoding).
    Hash(Box<crate::types::hash::Hash>),
    /// A set (`intset` or `hashtable` encoding).
    Set(Box<crate::types::set::SetValue>),
    /// A sorted set (`listpack` or `skiplist` encoding).
    ZSet(Box<crate::types::zset::ZSet>),
    /// A stream (`stream` encoding).
    Stream(Box<crate::types::stream::Stream>),
}

const _: () = assert!(std::mem::size_of::<Value>() == 24);

/// The type name TYPE replies with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueType {
    String,
    List,
    Set,
    ZSet,
    Hash,
    Stream,
}

impl ValueType {
    pub fn name(self) -> &'static str {
        match self {
            ValueType::String => "string",
            ValueType::List => "list",
            ValueType::Set => "set",
            ValueType::ZSet => "zset",
            ValueType::Hash => "hash",
            ValueType::Stream => "stream",
        }
    }

    /// Parses a TYPE name as SCAN's TYPE option accepts it (case-insensitive).
    pub fn from_name(name: &[u8]) -> Option<ValueType> {
        let all = [ValueType::String, ValueType::List, ValueType::Set, ValueType::ZSet, ValueType::Hash, ValueType::Stream];
        all.into_iter().find(|t| name.eq_ignore_ascii_case(t.name().as_bytes()))
    }
}

impl Value {
    /// A string value encoded as Redis's `tryObjectEncoding` would: int if the bytes are a
    /// canonical integer of at most 20 characters, embstr up to 44 bytes, raw beyond.
    pub fn string(bytes: &[u8]) -> Value {
        if bytes.len() <= 20 {
            if let Some(i) = parse_i64(bytes) {
                return Value::Int(i);
            }
        }
        Value::string_no_int(bytes)
    }

    /// A string value that is never int-encoded (embstr or raw by length).
    pub fn string_no_int(bytes: &[u8]) -> Value {
        if bytes.len() <= STR_INLINE_CAP {
            let mut data = [0u8; STR_INLINE_CAP];
            data[..bytes.len()].copy_from_slice(bytes);
            Value::Inline { len: bytes.len() as u8, data }
        } else if bytes.len() <= EMBSTR_MAX {
            Value::Emb(bytes.into())
        } else {
            Value::Raw(Box::new(bytes.to_vec()))
        }
    }

    /// A raw-encoded string (the result of APPEND or SETRANGE).
    pub fn raw(bytes: Vec<u8>) -> Value {
        Value::Raw(Box::new(bytes))
    }

    pub fn value_type(&self) -> ValueType {
        match self {
            Value::Int(_) | Value::Inline { .. } | Value::Emb(_) | Value::Raw(_) => ValueType::String,
            Value::List(_) => ValueType::List,
            Value::Hash(_) => ValueType::Hash,
            Value::Set(_) => ValueType::Set,
            Value::ZSet(_) => ValueType::ZSet,
            Value::Stream(_) => ValueType::Stream,
        }
    }

    pub fn is_string(&self) -> bool {
        self.value_type() == ValueType::String
    }

    /// OBJECT ENCODING's answer.
    pub fn encoding_name(&self) -> &'static str {
        match self {
            Value::Int(_) => "int",
            Value::Inline { .. } | Value::Emb(_) => "embstr",
            Value::Raw(_) => "raw",
            Value::List(_) => "quicklist",
            Value::Hash(h) => h.encoding_name(),
            Value::Set(s) => s.encoding_name(),
            Value::ZSet(z) => z.encoding_name(),
            Value::Stream(_) => "stream",
        }
    }

    /// The bytes of a string value; `None` for other types.
    pub fn string_bytes(&self) -> Option<Cow<'_, [u8]>> {
        match self {
            Value::Int(i) => {
                let mut b = itoa::Buffer::new();
                Some(Cow::Owned(b.format(*i).as_bytes().to_vec()))
            }
            Value::Inline { len, data } => Some(Cow::Borrowed(&data[..*len as usize])),
            Value::Emb(b) => Some(Cow::Borrowed(b)),
            Value::Raw(v) => Some(Cow::Borrowed(v.as_slice())),
            Value::List(_) | Value::Hash(_) | Value::Set(_) | Value::ZSet(_) | Value::Stream(_) => None,
        }
    }

    /// Length in bytes of a string value.
    pub fn string_len(&self) -> Option<usize> {
        match self {
            Value::Int(i) => {
                let mut b = itoa::Buffer::new();
                Some(b.format(*i).len())
            }
            Value::Inline { len, .. } => Some(*len as usize),
            Value::Emb(b) => Some(b.len()),
            Value::Raw(v) => Some(v.len()),
            Value::List(_) | Value::Hash(_) | Value::Set(_) | Value::ZSet(_) | Value::Stream(_) => None,
        }
    }

    /// Heap bytes owned by the value beyond its 24 inline bytes (memory accounting).
    pub fn heap_size(&self) -> usize {
        match self {
            Value::Int(_) | Value::Inline { .. } => 0,
            Value::Emb(b) => b.len(),
            Value::Raw(v) => v.capacity() + std::mem::size_of::<Vec<u8>>(),
            Value::List(l) => l.heap_size(),
            Value::Hash(h) => h.heap_size(),
            Value::Set(s) => s.heap_size() + std::mem::size_of::<crate::types::set::SetValue>(),
            Value::ZSet(z) => z.heap_size(),
            Value::Stream(s) => s.heap_size(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodings_follow_redis() {
        assert_eq!(Value::string(b"123").encoding_name(), "int");
        assert_eq!(Value::string(b"-9223372036854775808").encoding_name(), "int");
        assert_eq!(Value::string(b"0123").encoding_name(), "embstr");
        assert_eq!(Value::string(&[b'a'; 44]).encoding_name(), "embstr");
        assert_eq!(Value::string(&[b'a'; 45]).encoding_name(), "raw");
        assert_eq!(Value::string(b"abc").string_bytes().unwrap().as_ref(), b"abc");
        assert_eq!(Value::string(b"-5").string_bytes().unwrap().as_ref(), b"-5");
    }
}
