//! Value types and their pure operations, one file per type (Redis's "type API").
//! Commands call these under the key's stripe lock; they know nothing of clients.

pub mod set;
pub mod string;
pub mod list;
pub mod hash;
pub mod zset;
pub mod bitmap;
pub mod hll;
pub mod geohash;
pub mod stream;
pub mod dense;
pub mod listpack;
pub mod intset;

/// Normalises a `start..=end` index range as Redis does for LRANGE, LTRIM and the rank
/// forms of ZRANGE/ZREMRANGEBYRANK: negative counts from the end, clamped to the length;
/// `None` when empty.
pub fn clamp_range(start: i64, end: i64, len: usize) -> Option<(usize, usize)> {
    let llen = len as i64;
    let mut start = if start < 0 { llen.saturating_add(start) } else { start };
    let mut end = if end < 0 { llen.saturating_add(end) } else { end };
    if start < 0 {
        start = 0;
    }
    if start > end || start >= llen {
        return None;
    }
    if end >= llen {
        end = llen - 1;
    }
    Some((start as usize, end as usize))
}
