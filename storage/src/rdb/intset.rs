//! Intset, the blob of a small all-integer set: a 4-byte element width (2, 4 or 8), a
//! 4-byte count, then the members ascending, little-endian (Redis's `intset.c`).

/// Encodes sorted members with the narrowest width that holds them all, as Redis does.
pub fn encode(members: &[i64]) -> Vec<u8> {
    let width: usize = members
        .iter()
        .map(|&v| {
            if i16::try_from(v).is_ok() {
                2
            } else if i32::try_from(v).is_ok() {
                4
            } else {
                8
            }
        })
        .max()
        .unwrap_or(2);
    let mut out = Vec::with_capacity(8 + members.len() * width);
    out.extend_from_slice(&(width as u32).to_le_bytes());
    out.extend_from_slice(&(members.len() as u32).to_le_bytes());
    for &v in members {
        out.extend_from_slice(&v.to_le_bytes()[..width]);
    }
    out
}

/// Decodes an intset, checking the width, the exact size and the strict ascending order.
pub fn decode(blob: &[u8]) -> Result<Vec<i64>, String> {
    if blob.len() < 8 {
        return Err("intset too short".into());
    }
    let width = u32::from_le_bytes([blob[0], blob[1], blob[2], blob[3]]) as usize;
    if !matches!(width, 2 | 4 | 8) {
        return Err("intset bad encoding".into());
    }
    let count = u32::from_le_bytes([blob[4], blob[5], blob[6], blob[7]]) as usize;
    if count.checked_mul(width).and_then(|n| n.checked_add(8)) != Some(blob.len()) {
        return Err("intset length mismatch".into());
    }
    let mut out = Vec::with_capacity(count);
    for c in blob[8..].chunks_exact(width) {
        let v = match width {
            2 => i64::from(i16::from_le_bytes([c[0], c[1]])),
            4 => i64::from(i32::from_le_bytes([c[0], c[1], c[2], c[3]])),
            _ => i64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]),
        };
        if out.last().is_some_and(|&l| l >= v) {
            return Err("intset not sorted".into());
        }
        out.push(v);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widths_and_order() {
        let v = [-5, 3, 40000];
        let b = encode(&v);
        assert_eq!(&b[..4], &4u32.to_le_bytes());
        assert_eq!(decode(&b).unwrap(), v);
        assert!(decode(&encode(&[3, -5])).is_err());
        assert_eq!(decode(&encode(&[i64::MIN, 1])).unwrap(), [i64::MIN, 1]);
    }
}
