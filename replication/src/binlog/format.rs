//! The on-disk form of one entry: an annotation line followed by the payload.
//!
//! ```text
//! #OP:<epoch>:<seq>:<origin hex>:<repl offset>:<len>:<crc32 hex, 8 digits>\r\n<payload>
//! ```
//!
//! Redis 7.0's AOF loader and `redis-check-aof` skip every line starting with `#`
//! (they read it with `fgets` into a 1024-byte buffer, so the line must stay shorter
//! than that; ours is at most ~115 bytes), and the payload is plain RESP commands, so a
//! segment is a valid AOF incremental file.
//!
//! The CRC32 covers the annotation's fields up to and including the `:` before the CRC
//! as well as the payload: a flipped digit in the seq or the length is caught like a
//! flipped payload byte, which a payload-only CRC would miss.

use crate::opid::OpId;

/// Every entry starts with these bytes.
pub const TAG: &[u8] = b"#OP:";

/// Longest annotation line we accept (Redis reads annotations into a 1024-byte buffer;
/// ours never exceed ~115 bytes, so anything longer is garbage).
pub const MAX_HEADER: usize = 160;

/// One decoded entry, borrowing its payload from the buffer it was decoded from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry<'a> {
    pub opid: OpId,
    /// Id of the server where the write was accepted.
    pub origin: u64,
    /// Replication byte offset where `payload` starts in the replication stream.
    pub repl_offset: u64,
    /// The exact replication-stream bytes of one propagated unit.
    pub payload: &'a [u8],
}

impl Entry<'_> {
    /// Replication offset just after this entry's payload.
    pub fn end_repl_offset(&self) -> u64 {
        self.repl_offset + self.payload.len() as u64
    }
}

/// Result of decoding at the start of a buffer.
#[derive(Debug, PartialEq, Eq)]
pub enum Decoded<'a> {
    /// A complete entry whose CRC matched, and its total size on disk.
    Entry(Entry<'a>, usize),
    /// The buffer ends before the entry does (a torn write, if at the end of a file).
    Incomplete,
    /// The bytes cannot be an entry.
    Corrupt(&'static str),
}

/// Appends the encoded entry to `out`. One pass: digits, CRC, one copy of the payload.
pub fn encode_into(out: &mut Vec<u8>, opid: OpId, origin: u64, repl_offset: u64, payload: &[u8]) {
    let start = out.len();
    out.extend_from_slice(TAG);
    let mut num = itoa::Buffer::new();
    out.extend_from_slice(num.format(opid.epoch).as_bytes());
    out.push(b':');
    out.extend_from_slice(num.format(opid.seq).as_bytes());
    out.push(b':');
    push_hex(out, origin, 1);
    out.push(b':');
    out.extend_from_slice(num.format(repl_offset).as_bytes());
    out.push(b':');
    out.extend_from_slice(num.format(payload.len()).as_bytes());
    out.push(b':');
    let mut crc = crc32fast::Hasher::new();
    crc.update(&out[start + TAG.len()..]);
    crc.update(payload);
    push_hex(out, u64::from(crc.finalize()), 8);
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(payload);
}

/// Size `encode_into` will add for this entry, without encoding it.
pub fn encoded_len(opid: OpId, origin: u64, repl_offset: u64, payload_len: usize) -> usize {
    let dec = |v: u64| itoa::Buffer::new().format(v).len();
    let hex = |v: u64| (64 - v.leading_zeros() as usize).div_ceil(4).max(1);
    TAG.len() + dec(opid.epoch) + dec(opid.seq) + hex(origin) + dec(repl_offset) + dec(payload_len as u64) + 5 + 8 + 2 + payload_len
}

fn push_hex(out: &mut Vec<u8>, v: u64, min_digits: usize) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let digits = (64 - v.leading_zeros() as usize).div_ceil(4).max(min_digits);
    for i in (0..digits).rev() {
        out.push(DIGITS[((v >> (i * 4)) & 0xf) as usize]);
    }
}

/// Decodes the entry at the start of `buf`, verifying its CRC.
pub fn decode(buf: &[u8]) -> Decoded<'_> {
    if buf.len() < TAG.len() {
        return if TAG.starts_with(buf) { Decoded::Incomplete } else { Decoded::Corrupt("missing #OP annotation") };
    }
    if !buf.starts_with(TAG) {
        return Decoded::Corrupt("missing #OP annotation");
    }
    let window = &buf[..buf.len().min(MAX_HEADER)];
    let Some(nl) = window.iter().position(|&b| b == b'\n') else {
        return if buf.len() < MAX_HEADER { Decoded::Incomplete } else { Decoded::Corrupt("annotation too long") };
    };
    if nl == 0 || buf[nl - 1] != b'\r' {
        return Decoded::Corrupt("annotation not ended by CRLF");
    }
    let line = &buf[TAG.len()..nl - 1];
    let mut fields = line.split(|&b| b == b':');
    let mut next = || fields.next().unwrap_or(b"");
    let (epoch, seq, origin, repl, len, crc) = (next(), next(), next(), next(), next(), next());
    if fields.next().is_some() {
        return Decoded::Corrupt("too many annotation fields");
    }
    if crc.len() != 8 {
        return Decoded::Corrupt("malformed annotation field");
    }
    let (Some(epoch), Some(seq), Some(origin), Some(repl), Some(len), Some(crc)) =
        (dec(epoch), dec(seq), hex(origin), dec(repl), dec(len), hex(crc))
    else {
        return Decoded::Corrupt("malformed annotation field");
    };
    let Ok(len) = usize::try_from(len) else { return Decoded::Corrupt("payload length too large") };
    let start = nl + 1;
    let Some(end) = start.checked_add(len) else { return Decoded::Corrupt("payload length too large") };
    if end > buf.len() {
        return Decoded::Incomplete;
    }
    let payload = &buf[start..end];
    // The CRC covers the fields before it, including the ':' that precedes it.
    let crc_field_at = nl - 1 - 8;
    let mut h = crc32fast::Hasher::new();
    h.update(&buf[TAG.len()..crc_field_at]);
    h.update(payload);
    if u64::from(h.finalize()) != crc {
        return Decoded::Corrupt("CRC mismatch");
    }
    Decoded::Entry(Entry { opid: OpId { epoch, seq }, origin, repl_offset: repl, payload }, end)
}

fn dec(s: &[u8]) -> Option<u64> {
    if s.is_empty() || s.len() > 20 {
        return None;
    }
    s.iter().try_fold(0u64, |acc, &b| if b.is_ascii_digit() { acc.checked_mul(10)?.checked_add(u64::from(b - b'0')) } else { None })
}

fn hex(s: &[u8]) -> Option<u64> {
    if s.is_empty() || s.len() > 16 {
        return None;
    }
    s.iter().try_fold(0u64, |acc, &b| Some((acc << 4) | u64::from((b as char).to_digit(16)?)))
}

/// Offset of the first complete, CRC-valid entry starting after `from` at a line start, if
/// any. Recovery uses it to tell a torn tail (nothing valid follows) from damage in the
/// middle (a valid entry follows), so it never truncates good data.
pub fn next_valid_entry(buf: &[u8], from: usize) -> Option<usize> {
    let mut at = from + 1;
    while at + TAG.len() <= buf.len() {
        let rel = buf[at..].windows(TAG.len()).position(|w| w == TAG)?;
        let pos = at + rel;
        if buf[pos - 1] == b'\n' && matches!(decode(&buf[pos..]), Decoded::Entry(..)) {
            return Some(pos);
        }
        at = pos + 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enc(opid: OpId, origin: u64, off: u64, p: &[u8]) -> Vec<u8> {
        let mut v = Vec::new();
        encode_into(&mut v, opid, origin, off, p);
        v
    }

    #[test]
    fn round_trip() {
        let p = b"*1\r\n$4\r\nPING\r\n";
        let id = OpId { epoch: 3, seq: 42 };
        let v = enc(id, 0xabc, 1234, p);
        assert!(v.starts_with(b"#OP:3:42:abc:1234:14:"));
        assert_eq!(v.len(), encoded_len(id, 0xabc, 1234, p.len()));
        match decode(&v) {
            Decoded::Entry(e, n) => {
                assert_eq!(n, v.len());
                assert_eq!(e, Entry { opid: id, origin: 0xabc, repl_offset: 1234, payload: p });
                assert_eq!(e.end_repl_offset(), 1248);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn extremes_round_trip() {
        let id = OpId { epoch: u64::MAX, seq: u64::MAX };
        let v = enc(id, u64::MAX, u64::MAX - 5, b"");
        assert!(v.len() < MAX_HEADER);
        assert_eq!(v.len(), encoded_len(id, u64::MAX, u64::MAX - 5, 0));
        assert!(matches!(decode(&v), Decoded::Entry(e, _) if e.opid == id && e.origin == u64::MAX));
        let v = enc(OpId::default(), 0, 0, b"x");
        assert_eq!(v.len(), encoded_len(OpId::default(), 0, 0, 1));
    }

    #[test]
    fn every_prefix_is_incomplete() {
        let v = enc(OpId { epoch: 1, seq: 7 }, 1, 0, b"*1\r\n$4\r\nPING\r\n");
        for cut in 0..v.len() {
            assert_eq!(decode(&v[..cut]), Decoded::Incomplete, "cut at {cut}");
        }
    }

    #[test]
    fn every_flipped_byte_is_detected() {
        let v = enc(OpId { epoch: 1, seq: 7 }, 1, 9, b"*1\r\n$4\r\nPING\r\n");
        for i in 0..v.len() {
            let mut w = v.clone();
            w[i] ^= 0x01;
            // A flip may turn a length digit into one that needs more bytes: that is
            // reported as incomplete, which recovery handles by looking further.
            match decode(&w) {
                Decoded::Entry(e, _) => panic!("flip at {i} went unnoticed: {e:?}"),
                Decoded::Incomplete | Decoded::Corrupt(_) => {}
            }
        }
    }

    #[test]
    fn finds_next_valid_entry() {
        let mut v = enc(OpId { epoch: 1, seq: 1 }, 1, 0, b"*1\r\n$4\r\nPING\r\n");
        let second = v.len();
        v.extend(enc(OpId { epoch: 1, seq: 2 }, 1, 14, b"*1\r\n$4\r\nPING\r\n"));
        v[20] ^= 0xff;
        assert_eq!(next_valid_entry(&v, 0), Some(second));
        assert_eq!(next_valid_entry(&v, second), None);
    }
}
