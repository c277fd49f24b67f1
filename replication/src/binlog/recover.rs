//! Opening a binlog after a clean stop or a kill -9: load or rebuild each segment's
//! index, check the last segment entry by entry, cut a torn last entry, and report the
//! last entry that is really there. Damage anywhere else is an error naming the file and
//! offset: recovery never guesses and never drops an entry that is followed by good ones.

use std::fs::{self, OpenOptions};
use std::path::{Path, PathBuf};

use super::index::{self, Summary};
use super::segment::{self, EntryMeta, Segment};
use super::{BinlogConfig, BinlogError};

/// A torn entry cut from the end of the last segment at open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Truncation {
    pub path: PathBuf,
    /// Where the torn entry started (the file's new length).
    pub offset: u64,
    /// Bytes removed.
    pub dropped: u64,
    pub reason: &'static str,
}

/// What [`super::Binlog::open`] found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Recovery {
    /// The last complete entry on disk: the node's durable position.
    pub last: Option<EntryMeta>,
    /// Set when a torn tail was cut (the owner logs it).
    pub truncated: Option<Truncation>,
    /// Segments whose index file was missing or stale and was rebuilt by a full scan.
    pub rebuilt_indexes: Vec<PathBuf>,
}

/// Segments found, and whether the last one is still open for appends.
pub(crate) struct Opened {
    pub segments: Vec<Segment>,
    pub recovery: Recovery,
    pub next_id: u64,
}

pub(crate) fn open(dir: &Path, config: &BinlogConfig) -> Result<Opened, BinlogError> {
    fs::create_dir_all(dir).map_err(BinlogError::io(dir))?;
    let files = segment::list(dir, &config.prefix).map_err(BinlogError::io(dir))?;
    let mut recovery = Recovery::default();
    let mut segments: Vec<Segment> = Vec::with_capacity(files.len());
    let count = files.len();
    for (i, (id, path)) in files.into_iter().enumerate() {
        let is_last = i + 1 == count;
        let len = fs::metadata(&path).map_err(BinlogError::io(&path))?.len();
        let idx_path = segment::index_path(&path);
        // A segment with a matching index was sealed (synced, then indexed) before the
        // stop; only the last, unsealed one can hold a torn write.
        let (summary, sealed) = match index::load(&idx_path, len) {
            Some(s) => (s, true),
            None => {
                let s = scan_file(&path, len, is_last, config, &mut recovery)?;
                if is_last {
                    // An index left from before a truncation would be stale; drop it.
                    let _ = fs::remove_file(&idx_path);
                } else {
                    index::save(&idx_path, &s).map_err(BinlogError::io(&idx_path))?;
                    recovery.rebuilt_indexes.push(path.clone());
                }
                (s, !is_last)
            }
        };
        if let (Some(prev), Some(first)) = (segments.iter().rev().find_map(|s| s.last), summary.first) {
            if first.opid.seq <= prev.opid.seq || first.repl_offset < prev.end_repl_offset {
                return Err(BinlogError::Corrupt { path, offset: 0, reason: "segment starts before the previous one ends" });
            }
        }
        let Summary { len, entries, first, last, index } = summary;
        segments.push(Segment { id, path, len, sealed, first, last, entries, index });
    }
    recovery.last = segments.iter().rev().find_map(|s| s.last);
    let next_id = segments.last().map_or(1, |s| s.id + 1);
    Ok(Opened { segments, recovery, next_id })
}

fn scan_file(path: &Path, len: u64, is_last: bool, config: &BinlogConfig, recovery: &mut Recovery) -> Result<Summary, BinlogError> {
    let Some(map) = segment::map(path, len)? else { return Ok(Summary::default()) };
    let (summary, damage) = index::scan(&map, config.index_interval);
    drop(map);
    let Some(d) = damage else { return Ok(summary) };
    if !(is_last && d.torn) {
        return Err(BinlogError::Corrupt { path: path.to_path_buf(), offset: d.offset, reason: d.reason });
    }
    let f = OpenOptions::new().write(true).open(path).map_err(BinlogError::io(path))?;
    f.set_len(d.offset).map_err(BinlogError::io(path))?;
    f.sync_all().map_err(BinlogError::io(path))?;
    recovery.truncated = Some(Truncation { path: path.to_path_buf(), offset: d.offset, dropped: len - d.offset, reason: d.reason });
    Ok(summary)
}
