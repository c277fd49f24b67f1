//! Ziplist, the compact blob of Redis 3.2 to 6.2 (lists in quicklist nodes, small hashes and
//! sorted sets). Rhodium only reads it: Redis 7.0 converts ziplists to listpacks on load.
//!
//! Layout: 4-byte total length, 4-byte tail offset, 2-byte count, entries, 0xFF. Each entry
//! holds the previous entry's length (1 byte, or 0xFE and 4 bytes), an encoding, the data.

use super::listpack::LpEntry;

/// Decodes and validates a whole ziplist.
pub fn decode(zl: &[u8]) -> Result<Vec<LpEntry<'_>>, String> {
    if zl.len() < 11 {
        return Err("ziplist too short".into());
    }
    let total = u32::from_le_bytes([zl[0], zl[1], zl[2], zl[3]]) as usize;
    if total != zl.len() {
        return Err("ziplist length mismatch".into());
    }
    let tail = u32::from_le_bytes([zl[4], zl[5], zl[6], zl[7]]) as usize;
    let count = u16::from_le_bytes([zl[8], zl[9]]) as usize;
    let end = zl.len() - 1;
    let mut p = 10;
    let mut prev_len = 0usize;
    let mut last_start = 10;
    let mut out = Vec::with_capacity(count.min(zl.len()));
    let err = |m: &str| Err(m.to_string());
    while p < end {
        let start = p;
        let need = |n: usize| if start.checked_add(n).is_some_and(|x| x <= end) { Ok(()) } else { Err("ziplist entry out of range".to_string()) };
        need(1)?;
        let (stored_prev, mut q) = if zl[p] < 0xFE {
            (zl[p] as usize, p + 1)
        } else if zl[p] == 0xFE {
            need(5)?;
            (u32::from_le_bytes([zl[p + 1], zl[p + 2], zl[p + 3], zl[p + 4]]) as usize, p + 5)
        } else {
            return err("ziplist bad prevlen");
        };
        if stored_prev != prev_len {
            return err("ziplist prevlen mismatch");
        }
        need(q - p + 1)?;
        let b = zl[q];
        let entry = match b >> 6 {
            0 => {
                let n = (b & 0x3f) as usize;
                q += 1;
                need(q - p + n)?;
                let e = LpEntry::Str(&zl[q..q + n]);
                q += n;
                e
            }
            1 => {
                need(q - p + 2)?;
                let n = (((b & 0x3f) as usize) << 8) | zl[q + 1] as usize;
                q += 2;
                need(q - p + n)?;
                let e = LpEntry::Str(&zl[q..q + n]);
                q += n;
                e
            }
            2 => {
                if b != 0x80 {
                    return err("ziplist bad string encoding");
                }
                need(q - p + 5)?;
                let n = u32::from_be_bytes([zl[q + 1], zl[q + 2], zl[q + 3], zl[q + 4]]) as usize;
                q += 5;
                need((q - p).checked_add(n).ok_or("ziplist entry out of range")?)?;
                let e = LpEntry::Str(&zl[q..q + n]);
                q += n;
                e
            }
            _ => {
                let size = match b {
                    0xC0 => 2,
                    0xD0 => 4,
                    0xE0 => 8,
                    0xF0 => 3,
                    0xFE => 1,
                    0xF1..=0xFD => 0,
                    _ => return err("ziplist bad integer encoding"),
                };
                q += 1;
                need(q - p + size)?;
                let d = &zl[q..q + size];
                let v = match b {
                    0xC0 => i64::from(i16::from_le_bytes([d[0], d[1]])),
                    0xD0 => i64::from(i32::from_le_bytes([d[0], d[1], d[2], d[3]])),
                    0xE0 => i64::from_le_bytes([d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7]]),
                    0xF0 => i64::from(i32::from_le_bytes([0, d[0], d[1], d[2]]) >> 8),
                    0xFE => i64::from(d[0] as i8),
                    _ => i64::from(b & 0x0f) - 1,
                };
                q += size;
                LpEntry::Int(v)
            }
        };
        out.push(entry);
        prev_len = q - p;
        last_start = p;
        p = q;
    }
    if p != end || zl[end] != 0xFF {
        return err("ziplist bad terminator");
    }
    if !out.is_empty() && tail != last_start {
        return err("ziplist bad tail offset");
    }
    if count != u16::MAX as usize && count != out.len() {
        return err("ziplist count mismatch");
    }
    Ok(out)
}

/// Builds a ziplist (for tests and fixtures of old RDB files: Rhodium never writes one).
pub fn encode(items: &[LpEntry<'_>]) -> Vec<u8> {
    let mut body = Vec::new();
    let mut prev = 0usize;
    let mut tail = 10;
    for it in items {
        let start = body.len();
        tail = 10 + start;
        if prev < 254 {
            body.push(prev as u8);
        } else {
            body.push(0xFE);
            body.extend_from_slice(&(prev as u32).to_le_bytes());
        }
        match *it {
            LpEntry::Str(s) => {
                if s.len() < 64 {
                    body.push(s.len() as u8);
                } else if s.len() < 16384 {
                    body.push(0x40 | (s.len() >> 8) as u8);
                    body.push(s.len() as u8);
                } else {
                    body.push(0x80);
                    body.extend_from_slice(&(s.len() as u32).to_be_bytes());
                }
                body.extend_from_slice(s);
            }
            LpEntry::Int(v) => {
                if (0..=12).contains(&v) {
                    body.push(0xF1 + v as u8);
                } else if let Ok(x) = i8::try_from(v) {
                    body.push(0xFE);
                    body.push(x as u8);
                } else if let Ok(x) = i16::try_from(v) {
                    body.push(0xC0);
                    body.extend_from_slice(&x.to_le_bytes());
                } else if (-8_388_608..=8_388_607).contains(&v) {
                    body.push(0xF0);
                    body.extend_from_slice(&(v as i32).to_le_bytes()[..3]);
                } else if let Ok(x) = i32::try_from(v) {
                    body.push(0xD0);
                    body.extend_from_slice(&x.to_le_bytes());
                } else {
                    body.push(0xE0);
                    body.extend_from_slice(&v.to_le_bytes());
                }
            }
        }
        prev = body.len() - start;
    }
    let mut zl = Vec::with_capacity(body.len() + 11);
    zl.extend_from_slice(&((body.len() + 11) as u32).to_le_bytes());
    zl.extend_from_slice(&(tail as u32).to_le_bytes());
    zl.extend_from_slice(&(items.len().min(u16::MAX as usize) as u16).to_le_bytes());
    zl.extend_from_slice(&body);
    zl.push(0xFF);
    zl
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn round_trip_all_encodings() {
        let big = vec![b'x'; 300];
        let huge = vec![b'y'; 17000];
        let items = [LpEntry::Str(b"a"), LpEntry::Int(5), LpEntry::Int(-100), LpEntry::Int(1000), LpEntry::Int(100_000), LpEntry::Int(1 << 30), LpEntry::Int(1 << 40), LpEntry::Str(&big), LpEntry::Str(&huge), LpEntry::Int(0)];
        let zl = encode(&items);
        assert_eq!(decode(&zl).unwrap(), items.to_vec());
        assert_eq!(decode(&encode(&[])).unwrap(), vec![]);
    }

    proptest! {
        #[test]
        fn decode_never_panics(data in proptest::collection::vec(any::<u8>(), 0..100)) {
            let _ = decode(&data);
        }
    }
}
