//! Listpack, the blob Redis 7.0 stores small hashes, sorted sets and quicklist nodes in
//! (Redis's `listpack.c`): a 4-byte total length, a 2-byte element count, entries each
//! followed by their length encoded backwards, and a 0xFF terminator.

use rhodium_protocol::number::parse_i64;

/// An entry as stored: a string or an integer Redis chose to encode as one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LpEntry<'a> {
    Str(&'a [u8]),
    Int(i64),
}

impl LpEntry<'_> {
    /// The entry as the bytes a client sees.
    pub fn to_bytes(self) -> Vec<u8> {
        match self {
            LpEntry::Str(s) => s.to_vec(),
            LpEntry::Int(i) => itoa::Buffer::new().format(i).as_bytes().to_vec(),
        }
    }
}

const HEADER: usize = 6;
const EOF: u8 = 0xFF;

/// Builds a listpack by appending entries (Redis's `lpAppend`).
#[derive(Debug, Clone)]
pub struct ListpackBuilder {
    buf: Vec<u8>,
    count: usize,
}

impl Default for ListpackBuilder {
    fn default() -> Self {
        ListpackBuilder::new()
    }
}

impl ListpackBuilder {
    pub fn new() -> ListpackBuilder {
        ListpackBuilder { buf: vec![0; HEADER], count: 0 }
    }

    /// Bytes the finished listpack will take.
    pub fn bytes(&self) -> usize {
        self.buf.len() + 1
    }

    /// Entries so far.
    pub fn count(&self) -> usize {
        self.count
    }

    /// Appends a string, integer-encoded when it is a canonical integer, as Redis does.
    pub fn push(&mut self, s: &[u8]) {
        let start = self.buf.len();
        match (s.len() <= 20).then(|| parse_i64(s)).flatten() {
            Some(v) => encode_int(&mut self.buf, v),
            None => encode_str(&mut self.buf, s),
        }
        let entry_len = self.buf.len() - start;
        encode_backlen(&mut self.buf, entry_len);
        self.count += 1;
    }

    /// Appends an integer.
    pub fn push_int(&mut self, v: i64) {
        let start = self.buf.len();
        encode_int(&mut self.buf, v);
        let entry_len = self.buf.len() - start;
        encode_backlen(&mut self.buf, entry_len);
        self.count += 1;
    }

    /// The finished listpack.
    pub fn finish(mut self) -> Vec<u8> {
        self.buf.push(EOF);
        let total = self.buf.len() as u32;
        self.buf[0..4].copy_from_slice(&total.to_le_bytes());
        let n = u16::try_from(self.count).unwrap_or(u16::MAX);
        self.buf[4..6].copy_from_slice(&n.to_le_bytes());
        self.buf
    }
}

fn encode_int(buf: &mut Vec<u8>, v: i64) {
    if (0..=127).contains(&v) {
        buf.push(v as u8);
    } else if (-4096..=4095).contains(&v) {
        let u = if v < 0 { (1i64 << 13) + v } else { v } as u16;
        buf.push(((u >> 8) as u8) | 0xC0);
        buf.push(u as u8);
    } else if (-32768..=32767).contains(&v) {
        buf.push(0xF1);
        buf.extend_from_slice(&(v as i16).to_le_bytes());
    } else if (-8_388_608..=8_388_607).contains(&v) {
        buf.push(0xF2);
        buf.extend_from_slice(&(v as i32).to_le_bytes()[..3]);
    } else if (i64::from(i32::MIN)..=i64::from(i32::MAX)).contains(&v) {
        buf.push(0xF3);
        buf.extend_from_slice(&(v as i32).to_le_bytes());
    } else {
        buf.push(0xF4);
        buf.extend_from_slice(&v.to_le_bytes());
    }
}

fn encode_str(buf: &mut Vec<u8>, s: &[u8]) {
    let len = s.len();
    if len < 64 {
        buf.push(0x80 | len as u8);
    } else if len < 4096 {
        buf.push(0xE0 | (len >> 8) as u8);
        buf.push(len as u8);
    } else {
        buf.push(0xF0);
        buf.extend_from_slice(&(len as u32).to_le_bytes());
    }
    buf.extend_from_slice(s);
}

/// Redis's `lpEncodeBacklen`: the entry length, most significant 7 bits first, every
/// byte but the first with its high bit set.
fn encode_backlen(buf: &mut Vec<u8>, l: usize) {
    if l <= 127 {
        buf.push(l as u8);
    } else if l < 16383 {
        buf.extend_from_slice(&[(l >> 7) as u8, ((l & 127) | 128) as u8]);
    } else if l < 2_097_151 {
        buf.extend_from_slice(&[(l >> 14) as u8, (((l >> 7) & 127) | 128) as u8, ((l & 127) | 128) as u8]);
    } else if l < 268_435_455 {
        buf.extend_from_slice(&[(l >> 21) as u8, (((l >> 14) & 127) | 128) as u8, (((l >> 7) & 127) | 128) as u8, ((l & 127) | 128) as u8]);
    } else {
        buf.extend_from_slice(&[(l >> 28) as u8, (((l >> 21) & 127) | 128) as u8, (((l >> 14) & 127) | 128) as u8, (((l >> 7) & 127) | 128) as u8, ((l & 127) | 128) as u8]);
    }
}

fn backlen_size(l: usize) -> usize {
    match l {
        0..=127 => 1,
        128..=16382 => 2,
        16383..=2_097_150 => 3,
        2_097_151..=268_435_454 => 4,
        _ => 5,
    }
}

/// Decodes and validates a whole listpack: header length, every entry inside the blob,
/// back lengths, the count in the header (unless saturated) and the terminator.
pub fn decode(lp: &[u8]) -> Result<Vec<LpEntry<'_>>, String> {
    if lp.len() < HEADER + 1 {
        return Err("listpack too short".into());
    }
    let total = u32::from_le_bytes([lp[0], lp[1], lp[2], lp[3]]) as usize;
    if total != lp.len() {
        return Err("listpack length mismatch".into());
    }
    let count = u16::from_le_bytes([lp[4], lp[5]]) as usize;
    let mut out = Vec::with_capacity(count.min(lp.len()));
    let mut p = HEADER;
    let end = lp.len() - 1;
    while p < end {
        let start = p;
        let b = lp[p];
        let need = |n: usize| if start + n <= end { Ok(()) } else { Err("listpack entry out of range".to_string()) };
        let (entry, len) = if b & 0x80 == 0 {
            (LpEntry::Int(i64::from(b & 0x7f)), 1)
        } else if b & 0xC0 == 0x80 {
            let n = (b & 0x3f) as usize;
            need(1 + n)?;
            (LpEntry::Str(&lp[p + 1..p + 1 + n]), 1 + n)
        } else if b & 0xE0 == 0xC0 {
            need(2)?;
            let u = ((u16::from(b & 0x1f)) << 8) | u16::from(lp[p + 1]);
            let v = if u >= 1 << 12 { i64::from(u) - (1 << 13) } else { i64::from(u) };
            (LpEntry::Int(v), 2)
        } else if b & 0xF0 == 0xE0 {
            need(2)?;
            let n = (((b & 0x0f) as usize) << 8) | lp[p + 1] as usize;
            need(2 + n)?;
            (LpEntry::Str(&lp[p + 2..p + 2 + n]), 2 + n)
        } else {
            match b {
                0xF0 => {
                    need(5)?;
                    let n = u32::from_le_bytes([lp[p + 1], lp[p + 2], lp[p + 3], lp[p + 4]]) as usize;
                    need(5usize.checked_add(n).ok_or("listpack entry out of range")?)?;
                    (LpEntry::Str(&lp[p + 5..p + 5 + n]), 5 + n)
                }
                0xF1 => {
                    need(3)?;
                    (LpEntry::Int(i64::from(i16::from_le_bytes([lp[p + 1], lp[p + 2]]))), 3)
                }
                0xF2 => {
                    need(4)?;
                    let v = i32::from_le_bytes([0, lp[p + 1], lp[p + 2], lp[p + 3]]) >> 8;
                    (LpEntry::Int(i64::from(v)), 4)
                }
                0xF3 => {
                    need(5)?;
                    (LpEntry::Int(i64::from(i32::from_le_bytes([lp[p + 1], lp[p + 2], lp[p + 3], lp[p + 4]]))), 5)
                }
                0xF4 => {
                    need(9)?;
                    let mut a = [0u8; 8];
                    a.copy_from_slice(&lp[p + 1..p + 9]);
                    (LpEntry::Int(i64::from_le_bytes(a)), 9)
                }
                _ => return Err("listpack bad entry encoding".into()),
            }
        };
        let bl = backlen_size(len);
        need(len + bl)?;
        let mut expect = Vec::with_capacity(5);
        encode_backlen(&mut expect, len);
        if lp[p + len..p + len + bl] != expect[..] {
            return Err("listpack bad back length".into());
        }
        p += len + bl;
        out.push(entry);
    }
    if p != end || lp[end] != EOF {
        return Err("listpack bad terminator".into());
    }
    if count != u16::MAX as usize && count != out.len() {
        return Err("listpack count mismatch".into());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn known_bytes() {
        let mut b = ListpackBuilder::new();
        b.push(b"a");
        b.push(b"1");
        b.push(b"-1");
        let lp = b.finish();
        // Same bytes as redis-server's listpack for RPUSH k a 1 -1.
        assert_eq!(lp, [0x0F, 0, 0, 0, 3, 0, 0x81, b'a', 2, 1, 1, 0xDF, 0xFF, 2, 0xFF]);
    }

    proptest! {
        #[test]
        fn round_trip(items in proptest::collection::vec(prop_oneof![
            any::<i64>().prop_map(|i| i.to_string().into_bytes()),
            (-5000i64..5000).prop_map(|i| i.to_string().into_bytes()),
            proptest::collection::vec(any::<u8>(), 0..70),
            proptest::collection::vec(any::<u8>(), 4090..4100),
        ], 0..20)) {
            let mut b = ListpackBuilder::new();
            for i in &items { b.push(i); }
            let lp = b.finish();
            let back: Vec<Vec<u8>> = decode(&lp).unwrap().into_iter().map(LpEntry::to_bytes).collect();
            prop_assert_eq!(back, items);
        }

        #[test]
        fn decode_never_panics(data in proptest::collection::vec(any::<u8>(), 0..100)) {
            let _ = decode(&data);
        }
    }
}
