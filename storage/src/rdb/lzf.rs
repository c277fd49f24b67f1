//! LZF, the compression of RDB strings (liblzf's format, as Redis bundles it).
//!
//! Format: `000LLLLL` + L+1 literal bytes; `LLLooooo oooooooo` a back reference of L+2
//! bytes at distance o+1; `111ooooo LLLLLLLL oooooooo` a back reference of L+9 bytes.
//! The compressor follows liblzf's `lzf_compress` (HLOG 16, VERY_FAST) so its output is
//! the one Redis produces for the same input.

const HLOG: u32 = 16;
const HSIZE: usize = 1 << HLOG;
const MAX_LIT: usize = 1 << 5;
const MAX_OFF: usize = 1 << 13;
const MAX_REF: usize = (1 << 8) + (1 << 3);

#[inline]
fn idx(h: u32) -> usize {
    ((h >> (3 * 8 - HLOG)).wrapping_sub(h.wrapping_mul(5)) as usize) & (HSIZE - 1)
}

/// Compresses `input` into at most `max_out` bytes; `None` when it does not fit (the
/// caller then stores the string verbatim).
pub fn compress(input: &[u8], max_out: usize) -> Option<Vec<u8>> {
    let in_len = input.len();
    if in_len == 0 || max_out == 0 {
        return None;
    }
    // Positions + 1 (0 = empty slot), as liblzf's offsets from the input start.
    let mut htab = vec![0u32; HSIZE];
    let mut out: Vec<u8> = Vec::with_capacity(max_out + 1);
    let mut ip = 0usize;
    let mut lit: usize = 0;
    out.push(0); // start run
    let frst = |p: usize| (u32::from(input[p]) << 8) | u32::from(input[p + 1]);
    let next = |v: u32, p: usize| (v << 8) | u32::from(input[p + 2]);
    let mut hval = if in_len >= 2 { frst(0) } else { 0 };
    while in_len >= 3 && ip < in_len - 2 {
        hval = next(hval, ip);
        let slot = idx(hval);
        let refp = htab[slot];
        htab[slot] = ip as u32 + 1;
        let matched = refp > 1 && {
            let r = refp as usize - 1;
            let off = ip - r - 1;
            off < MAX_OFF && input[r + 2] == input[ip + 2] && input[r] == input[ip] && input[r + 1] == input[ip + 1]
        };
        if matched {
            let r = refp as usize - 1;
            let off = ip - r - 1;
            let mut len = 2usize;
            let maxlen = (in_len - ip - len).min(MAX_REF);
            // liblzf's exact test: stop when the output could not hold the reference.
            let op = out.len();
            if op + 3 + 1 >= max_out && op - usize::from(lit == 0) + 3 + 1 >= max_out {
                return None;
            }
            let run_start = op - lit - 1;
            out[run_start] = (lit as u8).wrapping_sub(1);
            if lit == 0 {
                out.pop();
            }
            loop {
                len += 1;
                if len >= maxlen || input[r + len] != input[ip + len] {
                    break;
                }
            }
            len -= 2;
            ip += 1;
            if len < 7 {
                out.push(((off >> 8) + (len << 5)) as u8);
            } else {
                out.push(((off >> 8) + (7 << 5)) as u8);
                out.push((len - 7) as u8);
            }
            out.push(off as u8);
            lit = 0;
            out.push(0); // start run
            ip += len + 1;
            if ip >= in_len - 2 {
                break;
            }
            ip -= 2;
            hval = frst(ip);
            hval = next(hval, ip);
            htab[idx(hval)] = ip as u32 + 1;
            ip += 1;
            hval = next(hval, ip);
            htab[idx(hval)] = ip as u32 + 1;
            ip += 1;
        } else {
            if out.len() >= max_out {
                return None;
            }
            lit += 1;
            out.push(input[ip]);
            ip += 1;
            if lit == MAX_LIT {
                let run_start = out.len() - lit - 1;
                out[run_start] = (lit - 1) as u8;
                lit = 0;
                out.push(0);
            }
        }
    }
    if out.len() + 3 > max_out {
        return None;
    }
    while ip < in_len {
        lit += 1;
        out.push(input[ip]);
        ip += 1;
        if lit == MAX_LIT {
            let run_start = out.len() - lit - 1;
            out[run_start] = (lit - 1) as u8;
            lit = 0;
            out.push(0);
        }
    }
    let run_start = out.len() - lit - 1;
    out[run_start] = (lit as u8).wrapping_sub(1);
    if lit == 0 {
        out.pop();
    }
    (out.len() <= max_out).then_some(out)
}

/// Decompresses `input` into exactly `out_len` bytes; `None` on any inconsistency
/// (a reference before the start, a run past either end, a length mismatch).
pub fn decompress(input: &[u8], out_len: usize) -> Option<Vec<u8>> {
    let mut out: Vec<u8> = Vec::with_capacity(out_len);
    let mut ip = 0usize;
    while ip < input.len() {
        let ctrl = input[ip] as usize;
        ip += 1;
        if ctrl < (1 << 5) {
            let n = ctrl + 1;
            if out.len() + n > out_len || ip + n > input.len() {
                return None;
            }
            out.extend_from_slice(&input[ip..ip + n]);
            ip += n;
        } else {
            let mut len = ctrl >> 5;
            if len == 7 {
                len += *input.get(ip)? as usize;
                ip += 1;
            }
            let back = ((ctrl & 0x1f) << 8) + *input.get(ip)? as usize + 1;
            ip += 1;
            let len = len + 2;
            if back > out.len() || out.len() + len > out_len {
                return None;
            }
            let start = out.len() - back;
            // Overlapping copies repeat bytes, so copy one at a time.
            for i in 0..len {
                let b = out[start + i];
                out.push(b);
            }
        }
    }
    (out.len() == out_len).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn compresses_repetitive_text() {
        let s = b"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
        let c = compress(s, s.len() - 4).unwrap();
        assert!(c.len() < 10);
        assert_eq!(decompress(&c, s.len()).unwrap(), s.to_vec());
        assert!(compress(b"abcdefghijklmnopqrstuvwxyz", 22).is_none());
    }

    proptest! {
        #[test]
        fn round_trip(data in proptest::collection::vec(0u8..4, 0..3000)) {
            if let Some(c) = compress(&data, data.len() + 64) {
                prop_assert_eq!(decompress(&c, data.len()).unwrap(), data);
            }
        }

        #[test]
        fn decompress_never_panics(data in proptest::collection::vec(any::<u8>(), 0..200), n in 0usize..1000) {
            let _ = decompress(&data, n);
        }
    }
}
