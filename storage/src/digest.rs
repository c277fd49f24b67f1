//! DEBUG DIGEST / DIGEST-VALUE: Redis's dataset digest (debug.c `xorDigest`, `mixDigest`,
//! `xorObjectDigest`, `computeDatasetDigest`), computed exactly as Redis 7.0 does so test
//! suites can compare a Rhodium dataset with a Redis one.
//!
//! The digest is order independent: each key's own digest is XORed into the database's,
//! and each non-empty database first mixes in its id.

use sha1::{Digest as _, Sha1};

use crate::types::stream::StreamId;
use crate::value::Value;

/// A 20-byte digest.
pub type Digest20 = [u8; 20];

/// XORs SHA1(`data`) into `digest` (Redis's `xorDigest`).
pub fn xor_digest(digest: &mut Digest20, data: &[u8]) {
    let hash = Sha1::digest(data);
    for (d, h) in digest.iter_mut().zip(hash.iter()) {
        *d ^= h;
    }
}

/// XORs SHA1(`data`) in, then replaces the digest with its own SHA1 (Redis's `mixDigest`),
/// which makes the result depend on the order of mixed elements.
pub fn mix_digest(digest: &mut Digest20, data: &[u8]) {
    xor_digest(digest, data);
    let next = Sha1::digest(&digest[..]);
    digest.copy_from_slice(&next);
}

/// Redis's `OBJ_*` type number for a value.
fn type_code(value: &Value) -> u32 {
    match value {
        Value::Int(_) | Value::Inline { .. } | Value::Emb(_) | Value::Raw(_) => 0,
        Value::List(_) => 1,
        Value::Hash(_) => 4,
        Value::Set(_) => 2,
        Value::ZSet(_) => 3,
        Value::Stream(_) => 6,
    }
}

/// Mixes a value (and the expire marker) into `digest` (Redis's `xorObjectDigest`).
/// Every value type adds its own branch here.
pub fn mix_value(digest: &mut Digest20, value: &Value, has_expire: bool) {
    mix_digest(digest, &type_code(value).to_be_bytes());
    match value {
        Value::Int(_) | Value::Inline { .. } | Value::Emb(_) | Value::Raw(_) => {
            let bytes = value.string_bytes().unwrap_or_default();
            mix_digest(digest, &bytes);
        }
        // Elements from head to tail, each mixed (order matters).
        Value::List(l) => l.iter().for_each(|e| mix_digest(digest, e)),
        Value::Hash(h) => {
            // Each pair digests on its own (field then value mixed), XORed in: order-free.
            for (field, val) in h.iter() {
                let mut ele = [0u8; 20];
                mix_digest(&mut ele, field);
                mix_digest(&mut ele, val);
                xor_digest(digest, &ele);
            }
        }
        // Members are XORed in, so their order does not matter.
        Value::Set(s) => {
            for m in s.iter() {
                xor_digest(digest, &m);
            }
        }
        Value::ZSet(z) => {
            // Each element digests as mix(member) then mix("%.17g" score), XORed in.
            for (score, member) in z.iter() {
                let mut ele = [0u8; 20];
                mix_digest(&mut ele, member);
                mix_digest(&mut ele, rhodium_protocol::number::format_f64_17g(score).as_bytes());
                xor_digest(digest, &ele);
            }
        }
        // Each entry mixes "<ms>.<seq>" (a dot, as debug.c formats it), then each field
        // and value, in ID order; consumer groups are not part of the digest.
        Value::Stream(s) => {
            for e in s.range(StreamId::MIN, StreamId::MAX, false) {
                let id = e.id();
                mix_digest(digest, format!("{}.{}", id.ms, id.seq).as_bytes());
                for (f, v) in e.pairs() {
                    mix_digest(digest, f);
                    mix_digest(digest, v);
                }
            }
        }
    }
    if has_expire {
        xor_digest(digest, b"!!expire!!");
    }
}

/// The digest of one value, as DEBUG DIGEST-VALUE reports it (the key is not mixed in).
pub fn value_digest(value: &Value, has_expire: bool) -> Digest20 {
    let mut d = [0u8; 20];
    mix_value(&mut d, value, has_expire);
    d
}

/// Accumulates the dataset digest database by database (Redis's `computeDatasetDigest`).
#[derive(Default)]
pub struct DatasetDigest {
    total: Digest20,
}

impl DatasetDigest {
    /// Starts a non-empty database: its id is mixed in so the same data in another
    /// database digests differently. Empty databases must be skipped by the caller.
    pub fn begin_db(&mut self, db: u32) {
        mix_digest(&mut self.total, &db.to_be_bytes());
    }

    /// Adds one key of the current database.
    pub fn add(&mut self, key: &[u8], value: &Value, has_expire: bool) {
        let mut d = [0u8; 20];
        mix_digest(&mut d, key);
        mix_value(&mut d, value, has_expire);
        xor_digest(&mut self.total, &d);
    }

    /// The final 20 bytes.
    pub fn finish(&self) -> Digest20 {
        self.total
    }
}

/// Lower-case hex of a digest, as Redis prints it.
pub fn hex(d: &Digest20) -> String {
    let mut s = String::with_capacity(40);
    for b in d {
        s.push(char::from_digit(u32::from(b >> 4), 16).unwrap_or('0'));
        s.push(char::from_digit(u32::from(b & 15), 16).unwrap_or('0'));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_is_zero() {
        assert_eq!(hex(&DatasetDigest::default().finish()), "0".repeat(40));
    }

    /// Values taken from redis-server 7.0.15 after `SET a b`.
    #[test]
    fn matches_redis_for_one_string() {
        let v = Value::string(b"b");
        assert_eq!(hex(&value_digest(&v, false)), "b78559cd22bce6e6df712eb99ce7f3b08e8f8f1f");
        let mut d = DatasetDigest::default();
        d.begin_db(0);
        d.add(b"a", &v, false);
        assert_eq!(hex(&d.finish()), "479783d7290f02957dfbe3408a858ba13eea1709");
    }

    /// Values taken from redis-server 7.0.15: db0 {a=b, e="empty-ish" with a TTL,
    /// n=12345}, db3 {a=b, ""=""}.
    #[test]
    fn matches_redis_with_expiry_ints_and_several_dbs() {
        let a = Value::string(b"b");
        let e = Value::string(b"empty-ish");
        let n = Value::string(b"12345");
        let empty = Value::string(b"");
        assert_eq!(hex(&value_digest(&e, true)), "3cb77f1826b1d8d962f0397603fa2ce5eab32730");
        assert_eq!(hex(&value_digest(&n, false)), "e1cf90774e995ae03de66e8109dc5cb9d9c2dc83");
        assert_eq!(hex(&value_digest(&empty, false)), "8b3447c33a834b810e3e181b6fd6a2ee1020921c");
        let mut d = DatasetDigest::default();
        d.begin_db(0);
        // Order within a database does not matter.
        d.add(b"n", &n, false);
        d.add(b"e", &e, true);
        d.add(b"a", &a, false);
        d.begin_db(3);
        d.add(b"", &empty, false);
        d.add(b"a", &a, false);
        assert_eq!(hex(&d.finish()), "62aeff6c42142170636d9b6c21fd6f5b57b86bad");
    }
}
