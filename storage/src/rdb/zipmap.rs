//! Zipmap, the small-hash blob of Redis before 2.6 (read only): a count byte, then
//! key/value pairs, each length 1 byte (or 254 and 4 bytes), a value's free-space byte and
//! that many unused bytes after it, and a 0xFF terminator.

/// A field and its value.
pub type Pair<'a> = (&'a [u8], &'a [u8]);

/// Decodes a zipmap into its field/value pairs.
pub fn decode(zm: &[u8]) -> Result<Vec<Pair<'_>>, String> {
    let err = |m: &str| Err(m.to_string());
    if zm.len() < 2 {
        return err("zipmap too short");
    }
    let mut p = 1;
    let mut out = Vec::new();
    let len_at = |p: usize| -> Result<(usize, usize), String> {
        match zm.get(p) {
            Some(&b) if b < 254 => Ok((b as usize, 1)),
            Some(&254) if p + 5 <= zm.len() => Ok((u32::from_le_bytes([zm[p + 1], zm[p + 2], zm[p + 3], zm[p + 4]]) as usize, 5)),
            _ => Err("zipmap bad length".to_string()),
        }
    };
    loop {
        match zm.get(p) {
            None => return err("zipmap missing terminator"),
            Some(0xFF) => break,
            Some(_) => {}
        }
        let (klen, n) = len_at(p)?;
        p += n;
        let key = zm.get(p..p.checked_add(klen).ok_or("zipmap overflow")?).ok_or("zipmap key out of range")?;
        p += klen;
        let (vlen, n) = len_at(p)?;
        p += n;
        let free = *zm.get(p).ok_or("zipmap value out of range")? as usize;
        p += 1;
        let val = zm.get(p..p.checked_add(vlen).ok_or("zipmap overflow")?).ok_or("zipmap value out of range")?;
        p += vlen + free;
        out.push((key, val));
    }
    if p + 1 != zm.len() {
        return err("zipmap trailing bytes");
    }
    Ok(out)
}

/// Builds a zipmap (for fixtures of old RDB files only).
pub fn encode(pairs: &[(&[u8], &[u8])]) -> Vec<u8> {
    let mut out = vec![pairs.len().min(253) as u8];
    let len = |out: &mut Vec<u8>, l: usize| {
        if l < 254 {
            out.push(l as u8);
        } else {
            out.push(254);
            out.extend_from_slice(&(l as u32).to_le_bytes());
        }
    };
    for (k, v) in pairs {
        len(&mut out, k.len());
        out.extend_from_slice(k);
        len(&mut out, v.len());
        out.push(0);
        out.extend_from_slice(v);
    }
    out.push(0xFF);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let long = vec![b'v'; 300];
        let pairs: Vec<(&[u8], &[u8])> = vec![(b"a", b"1"), (b"bb", &long)];
        assert_eq!(decode(&encode(&pairs)).unwrap(), pairs);
        assert!(decode(&[1, 3, b'a']).is_err());
    }
}
