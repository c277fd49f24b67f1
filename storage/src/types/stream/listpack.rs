//! Byte sizes of listpack elements, so a stream node knows the size Redis's listpack of the
//! same entries would have. Redis starts a new node when the tail listpack would reach
//! `stream-node-max-bytes`, and approximate trimming removes whole nodes only: matching
//! the node boundaries exactly needs the exact sizes (Redis's `listpack.c` encodings).

use rhodium_protocol::number::parse_i64;

/// Listpack header (total bytes + element count) plus the end marker.
pub const OVERHEAD: usize = 6 + 1;

/// Bytes of the back-length field for an element whose encoding takes `len` bytes.
fn backlen_size(len: usize) -> usize {
    match len {
        0..=127 => 1,
        128..=16382 => 2,
        16383..=2097150 => 3,
        2097151..=268435454 => 4,
        _ => 5,
    }
}

/// Bytes of an integer element (`lpEncodeIntegerGetType` + back-length).
pub fn int_size(v: i64) -> usize {
    let enc = match v {
        0..=127 => 1,
        -4096..=4095 => 2,
        -32768..=32767 => 3,
        -8388608..=8388607 => 4,
        -2147483648..=2147483647 => 5,
        _ => 9,
    };
    enc + 1
}

/// Bytes of an element holding `s`: strings that are canonical integers are stored as
/// integers, as `lpEncodeGetType` does.
pub fn elem_size(s: &[u8]) -> usize {
    if let Some(v) = parse_i64(s) {
        return int_size(v);
    }
    let enc = match s.len() {
        0..=63 => 1 + s.len(),
        64..=4095 => 2 + s.len(),
        _ => 5 + s.len(),
    };
    enc + backlen_size(enc)
}

/// Bytes of an element holding an unsigned difference stored through `int64_t`.
pub fn u64_size(v: u64) -> usize {
    int_size(v as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(elem_size(b"1"), 2);
        assert_eq!(elem_size(b"a"), 3);
        assert_eq!(elem_size(b"01"), 4);
        assert_eq!(elem_size(&[b'x'; 64]), 66 + 1);
        assert_eq!(elem_size(&[b'x'; 200]), 202 + 2);
        assert_eq!(int_size(-1), 3);
        assert_eq!(int_size(1 << 40), 10);
    }
}
