//! Segment files: naming, listing in order, and what is known about each one.
//!
//! A segment is named `<prefix>.<id>.incr.aof`, the shape of Redis 7's AOF incremental
//! files (with `prefix` = `appendfilename` the segments are the AOF's incr files), and
//! `id` grows by one per rotation, so listing the directory gives the order: no manifest
//! of our own is needed. Its sparse index lives beside it as `<segment name>.idx`.

use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};

use super::BinlogError;

use crate::opid::OpId;

/// Where one entry sits in the whole history.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EntryMeta {
    pub opid: OpId,
    /// Replication offset where the entry's payload starts.
    pub repl_offset: u64,
    /// Replication offset just after the payload.
    pub end_repl_offset: u64,
}

/// One sparse-index point: the entry with `seq` starts at byte `offset` of its segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IndexPoint {
    pub seq: u64,
    pub offset: u64,
    pub repl_offset: u64,
}

/// What the binlog knows about one segment.
#[derive(Debug, Clone)]
pub(crate) struct Segment {
    pub id: u64,
    pub path: PathBuf,
    /// Bytes readers may see (written to the file by the writer).
    pub len: u64,
    /// No more entries will be added (rotated away from, or found complete at open).
    pub sealed: bool,
    pub first: Option<EntryMeta>,
    pub last: Option<EntryMeta>,
    pub entries: u64,
    pub index: Vec<IndexPoint>,
}

/// File name of segment `id`.
pub(crate) fn file_name(prefix: &str, id: u64) -> String {
    format!("{prefix}.{id}.incr.aof")
}

/// Path of the sparse index kept beside a segment.
pub(crate) fn index_path(segment: &Path) -> PathBuf {
    let mut s = segment.as_os_str().to_owned();
    s.push(".idx");
    PathBuf::from(s)
}

fn parse_id(prefix: &str, name: &str) -> Option<u64> {
    let digits = name.strip_prefix(prefix)?.strip_prefix('.')?.strip_suffix(".incr.aof")?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// Every segment in `dir`, in id order.
pub(crate) fn list(dir: &Path, prefix: &str) -> io::Result<Vec<(u64, PathBuf)>> {
    let mut out = Vec::new();
    for ent in std::fs::read_dir(dir)? {
        let ent = ent?;
        if let Some(id) = ent.file_name().to_str().and_then(|n| parse_id(prefix, n)) {
            out.push((id, ent.path()));
        }
    }
    out.sort_by_key(|(id, _)| *id);
    Ok(out)
}

/// Maps the first `len` bytes of a segment for reading (`None` when `len` is 0).
pub(crate) fn map(path: &Path, len: u64) -> Result<Option<memmap2::Mmap>, BinlogError> {
    if len == 0 {
        return Ok(None);
    }
    let file = File::open(path).map_err(BinlogError::io(path))?;
    let len = usize::try_from(len).map_err(|_| BinlogError::Io { path: path.to_path_buf(), source: io::ErrorKind::InvalidInput.into() })?;
    // SAFETY: segment files are only ever appended to while mapped (the writer appends,
    // retention unlinks, which keeps existing maps valid); the one truncation (of a torn
    // tail) happens in `Binlog::open`, before any reader exists. Only the first `len`
    // bytes, already written, are mapped.
    let m = unsafe { memmap2::MmapOptions::new().len(len).map(&file) }.map_err(BinlogError::io(path))?;
    Ok(Some(m))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_parse_back() {
        assert_eq!(file_name("binlog", 12), "binlog.12.incr.aof");
        assert_eq!(parse_id("binlog", "binlog.12.incr.aof"), Some(12));
        assert_eq!(parse_id("appendonly.aof", "appendonly.aof.3.incr.aof"), Some(3));
        assert_eq!(parse_id("binlog", "binlog.12.incr.aof.idx"), None);
        assert_eq!(parse_id("binlog", "binlog..incr.aof"), None);
        assert_eq!(parse_id("binlog", "binlog.1x.incr.aof"), None);
        assert_eq!(parse_id("binlog", "other.1.incr.aof"), None);
        assert_eq!(index_path(Path::new("/d/binlog.1.incr.aof")), PathBuf::from("/d/binlog.1.incr.aof.idx"));
    }
}
