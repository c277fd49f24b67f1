//! The sparse index of a segment: building it by scanning, and keeping it beside the
//! segment so that opening a large binlog reads a few small files instead of every byte.
//!
//! File layout (little endian), written to a temporary name then renamed:
//! `"RHBIDX01"`, segment length, entries, first and last entry (present flag, epoch, seq,
//! repl offset, end repl offset), point count, points (seq, offset, repl offset), CRC32 of
//! everything before it. The index is stale (and rebuilt) when the recorded segment
//! length differs from the file's.

use std::fs::{self, File};
use std::io::{self, Write};
use std::path::Path;

use super::format::{self, Decoded};
use super::segment::{EntryMeta, IndexPoint};
use crate::opid::OpId;

const MAGIC: &[u8; 8] = b"RHBIDX01";

/// A segment's contents as far as they could be read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Summary {
    /// Bytes holding complete, valid entries.
    pub len: u64,
    pub entries: u64,
    pub first: Option<EntryMeta>,
    pub last: Option<EntryMeta>,
    pub index: Vec<IndexPoint>,
}

/// Where a scan stopped before the end of the buffer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Damage {
    pub offset: u64,
    pub reason: &'static str,
    /// The bad bytes run to the end and no valid entry follows them: a torn write.
    pub torn: bool,
}

/// Records an index point when `offset` is at least `interval` bytes past the last one.
pub(crate) fn maybe_point(index: &mut Vec<IndexPoint>, interval: u64, meta: &EntryMeta, offset: u64) {
    if index.last().is_none_or(|p| offset >= p.offset + interval) {
        index.push(IndexPoint { seq: meta.opid.seq, offset, repl_offset: meta.repl_offset });
    }
}

/// Reads every entry of `buf`, verifying CRCs and order, building the sparse index.
pub(crate) fn scan(buf: &[u8], interval: u64) -> (Summary, Option<Damage>) {
    let mut s = Summary::default();
    let mut at = 0usize;
    while at < buf.len() {
        let reason = match format::decode(&buf[at..]) {
            Decoded::Entry(e, n) => {
                let meta = EntryMeta { opid: e.opid, repl_offset: e.repl_offset, end_repl_offset: e.end_repl_offset() };
                if s.last.is_some_and(|l| l.opid.seq >= meta.opid.seq || l.end_repl_offset > meta.repl_offset) {
                    // A complete, valid entry in the wrong place is never a torn write.
                    return (s, Some(Damage { offset: at as u64, reason: "entry out of order", torn: false }));
                } else {
                    maybe_point(&mut s.index, interval, &meta, at as u64);
                    s.first.get_or_insert(meta);
                    s.last = Some(meta);
                    s.entries += 1;
                    at += n;
                    s.len = at as u64;
                    continue;
                }
            }
            Decoded::Incomplete => "incomplete entry",
            Decoded::Corrupt(r) => r,
        };
        let torn = format::next_valid_entry(buf, at).is_none();
        return (s, Some(Damage { offset: at as u64, reason, torn }));
    }
    (s, None)
}

/// Writes the index of a complete segment beside it, durably.
pub(crate) fn save(path: &Path, s: &Summary) -> io::Result<()> {
    let mut b = Vec::with_capacity(128 + s.index.len() * 24);
    b.extend_from_slice(MAGIC);
    for v in [s.len, s.entries] {
        b.extend_from_slice(&v.to_le_bytes());
    }
    for m in [s.first, s.last] {
        let m = m.map_or([0u64; 5], |m| [1, m.opid.epoch, m.opid.seq, m.repl_offset, m.end_repl_offset]);
        m.iter().for_each(|v| b.extend_from_slice(&v.to_le_bytes()));
    }
    b.extend_from_slice(&(s.index.len() as u64).to_le_bytes());
    for p in &s.index {
        for v in [p.seq, p.offset, p.repl_offset] {
            b.extend_from_slice(&v.to_le_bytes());
        }
    }
    b.extend_from_slice(&crc32fast::hash(&b).to_le_bytes());
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let mut f = File::create(&tmp)?;
    f.write_all(&b)?;
    f.sync_data()?;
    fs::rename(&tmp, path)
}

/// Reads an index file; `None` when it is missing, damaged, or not for a segment of
/// `segment_len` bytes.
pub(crate) fn load(path: &Path, segment_len: u64) -> Option<Summary> {
    let b = fs::read(path).ok()?;
    let body_len = b.len().checked_sub(4)?;
    let (body, crc) = b.split_at(body_len);
    if !body.starts_with(MAGIC) || crc32fast::hash(body).to_le_bytes() != crc {
        return None;
    }
    let mut words = body[MAGIC.len()..].chunks_exact(8).map(|c| u64::from_le_bytes(c.try_into().unwrap_or_default()));
    let mut next = || words.next();
    let len = next()?;
    let entries = next()?;
    let mut meta = || -> Option<Option<EntryMeta>> {
        let [present, epoch, seq, repl_offset, end_repl_offset] = [next()?, next()?, next()?, next()?, next()?];
        Some((present == 1).then_some(EntryMeta { opid: OpId { epoch, seq }, repl_offset, end_repl_offset }))
    };
    let (first, last) = (meta()?, meta()?);
    let n = usize::try_from(next()?).ok()?;
    if n > body_len / 24 {
        return None;
    }
    let mut index = Vec::with_capacity(n);
    for _ in 0..n {
        index.push(IndexPoint { seq: next()?, offset: next()?, repl_offset: next()? });
    }
    if len != segment_len || next().is_some() {
        return None;
    }
    Some(Summary { len, entries, first, last, index })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn build(n: u64) -> Vec<u8> {
        let mut v = Vec::new();
        let mut off = 100;
        for seq in 1..=n {
            let p = format!("*1\r\n${}\r\n{}\r\n", seq.to_string().len(), seq);
            format::encode_into(&mut v, OpId { epoch: 1, seq }, 7, off, p.as_bytes());
            off += p.len() as u64;
        }
        v
    }

    #[test]
    fn scan_builds_sparse_index() {
        let v = build(100);
        let (s, dmg) = scan(&v, 200);
        assert_eq!(dmg, None);
        assert_eq!(s.entries, 100);
        assert_eq!(s.len, v.len() as u64);
        assert_eq!(s.first.map(|m| m.opid.seq), Some(1));
        assert_eq!(s.last.map(|m| m.opid.seq), Some(100));
        assert!(s.index.len() > 5 && s.index.len() < 50, "{}", s.index.len());
        for p in &s.index {
            assert!(matches!(format::decode(&v[p.offset as usize..]), Decoded::Entry(e, _) if e.opid.seq == p.seq && e.repl_offset == p.repl_offset));
        }
    }

    #[test]
    fn save_and_load() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.idx");
        let (s, _) = scan(&build(50), 100);
        save(&p, &s).unwrap();
        assert_eq!(load(&p, s.len), Some(s.clone()));
        assert_eq!(load(&p, s.len + 1), None, "stale index");
        let mut b = fs::read(&p).unwrap();
        b[20] ^= 1;
        fs::write(&p, &b).unwrap();
        assert_eq!(load(&p, s.len), None, "damaged index");
        assert_eq!(load(&dir.path().join("missing"), 0), None);
    }

    #[test]
    fn out_of_order_is_damage() {
        let mut v = build(3);
        let at = v.len() as u64;
        format::encode_into(&mut v, OpId { epoch: 1, seq: 2 }, 7, 10_000, b"*1\r\n$1\r\nx\r\n");
        let (s, dmg) = scan(&v, 100);
        assert_eq!(s.entries, 3);
        assert_eq!(dmg.map(|d| (d.offset, d.reason)), Some((at, "entry out of order")));
    }
}
