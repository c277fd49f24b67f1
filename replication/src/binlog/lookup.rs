//! Finding an entry: pick the segment by its first/last seq (or repl offset), binary
//! search its sparse index, then scan at most `index_interval` bytes of the mapped file,
//! verifying CRCs. The state lock is held only to copy out those few numbers.

use std::path::PathBuf;

use super::format::{self, Decoded, Entry};
use super::segment::{self, EntryMeta, IndexPoint, Segment};
use super::{BinlogError, BinlogHandle, Position};
use crate::opid::OpId;

/// An entry found by [`BinlogHandle::find`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hit {
    /// Where the entry starts.
    pub entry: Position,
    /// Where the entry after it starts: a replica that has this entry resumes here.
    pub next: Position,
    pub meta: EntryMeta,
}

/// Why a lookup has no answer to stream from.
#[derive(Debug, thiserror::Error)]
pub enum LookupError {
    #[error("the binlog is empty")]
    Empty,
    /// Retention removed it: a full sync is needed.
    #[error("binlog starts at {first}, after the requested position")]
    Gone { first: OpId },
    /// The asker has entries we do not (we lost writes, or it follows another history).
    #[error("binlog ends at {last}, before the requested position")]
    Ahead { last: OpId },
    /// The seq falls in a gap of our history (after a full sync from elsewhere).
    #[error("binlog has no entry with seq {seq}")]
    Missing { seq: u64 },
    /// We hold an entry at that seq from another epoch: the histories diverged there.
    #[error("histories diverged: ours is {ours} at that seq")]
    Diverged { ours: OpId },
    /// The offset is not where an entry starts (nor the end of the log).
    #[error("replication offset {offset} is not at an entry boundary")]
    NotAtBoundary { offset: u64 },
    #[error(transparent)]
    Io(#[from] BinlogError),
}

/// Which field a lookup compares.
#[derive(Clone, Copy)]
enum Key {
    Seq(u64),
    Repl(u64),
}

impl Key {
    fn of_meta(self, m: &EntryMeta) -> u64 {
        match self {
            Key::Seq(_) => m.opid.seq,
            Key::Repl(_) => m.repl_offset,
        }
    }
    /// The last value of this key a log ending with `m` covers.
    fn upper(self, m: &EntryMeta) -> u64 {
        match self {
            Key::Seq(_) => m.opid.seq,
            Key::Repl(_) => m.end_repl_offset,
        }
    }
    fn of_point(self, p: &IndexPoint) -> u64 {
        match self {
            Key::Seq(_) => p.seq,
            Key::Repl(_) => p.repl_offset,
        }
    }
    fn of_entry(self, e: &Entry<'_>) -> u64 {
        match self {
            Key::Seq(_) => e.opid.seq,
            Key::Repl(_) => e.repl_offset,
        }
    }
    fn value(self) -> u64 {
        match self {
            Key::Seq(v) | Key::Repl(v) => v,
        }
    }
}

/// A segment narrowed down under the lock, to be read without it.
struct Target {
    id: u64,
    path: PathBuf,
    len: u64,
    from: u64,
}

impl BinlogHandle {
    /// Finds the entry with `opid.seq` and checks that it has `opid.epoch`: the check a
    /// replica's resume offer needs.
    pub fn find(&self, opid: OpId) -> Result<Hit, LookupError> {
        let t = self.narrow(Key::Seq(opid.seq))?;
        let f = scan_to(&t, Key::Seq(opid.seq))?;
        if f.opid.epoch != opid.epoch {
            return Err(LookupError::Diverged { ours: f.opid });
        }
        Ok(Hit { entry: Position { segment: t.id, offset: f.at }, next: Position { segment: t.id, offset: f.at + f.size }, meta: f.meta })
    }

    /// Where to stream from for a plain `PSYNC` at replication offset `offset`: the
    /// entry starting there, or the end of the log when `offset` is just past it. (An
    /// entry with an empty payload shares its offset with the next one; propagated units
    /// are never empty.)
    pub fn find_by_repl_offset(&self, offset: u64) -> Result<Position, LookupError> {
        {
            let st = self.shared.state.read();
            if let Some(seg) = st.segments.iter().rev().find(|s| s.last.is_some()) {
                if seg.last.is_some_and(|l| l.end_repl_offset == offset) {
                    return Ok(Position { segment: seg.id, offset: seg.len });
                }
            }
        }
        let t = self.narrow(Key::Repl(offset))?;
        let f = scan_to(&t, Key::Repl(offset))?;
        Ok(Position { segment: t.id, offset: f.at })
    }

    fn narrow(&self, key: Key) -> Result<Target, LookupError> {
        let st = self.shared.state.read();
        let first = st.segments.iter().find_map(|s| s.first).ok_or(LookupError::Empty)?;
        let last = st.segments.iter().rev().find_map(|s| s.last).ok_or(LookupError::Empty)?;
        let v = key.value();
        if v < key.of_meta(&first) {
            return Err(LookupError::Gone { first: first.opid });
        }
        if v > key.upper(&last) {
            return Err(LookupError::Ahead { last: last.opid });
        }
        let seg: &Segment = st.segments.iter().rev().find(|s| s.first.is_some_and(|f| key.of_meta(&f) <= v)).ok_or(LookupError::Empty)?;
        if seg.last.is_some_and(|l| key.of_meta(&l) < v) {
            return Err(not_there(key));
        }
        let i = seg.index.partition_point(|p| key.of_point(p) <= v);
        let from = seg.index.get(i.wrapping_sub(1)).map_or(0, |p| p.offset);
        Ok(Target { id: seg.id, path: seg.path.clone(), len: seg.len, from })
    }
}

fn not_there(key: Key) -> LookupError {
    match key {
        Key::Seq(seq) => LookupError::Missing { seq },
        Key::Repl(offset) => LookupError::NotAtBoundary { offset },
    }
}

/// An entry located by a scan: where it starts, its size on disk, what it holds.
struct Found {
    at: u64,
    size: u64,
    opid: OpId,
    meta: EntryMeta,
}

/// Scans `t` from its index point to the entry whose key equals the wanted one.
fn scan_to(t: &Target, key: Key) -> Result<Found, LookupError> {
    let map = segment::map(&t.path, t.len).map_err(|e| match e {
        BinlogError::Io { source, .. } if source.kind() == std::io::ErrorKind::NotFound => BinlogError::Gone { segment: t.id },
        e => e,
    })?;
    let Some(map) = map else { return Err(not_there(key)) };
    let mut at = usize::try_from(t.from).unwrap_or(usize::MAX);
    while at < map.len() {
        let reason = match format::decode(&map[at..]) {
            Decoded::Entry(e, n) => {
                let k = key.of_entry(&e);
                if k == key.value() {
                    let meta = EntryMeta { opid: e.opid, repl_offset: e.repl_offset, end_repl_offset: e.end_repl_offset() };
                    return Ok(Found { at: at as u64, size: n as u64, opid: e.opid, meta });
                }
                if k > key.value() {
                    return Err(not_there(key));
                }
                at += n;
                continue;
            }
            Decoded::Incomplete => "incomplete entry",
            Decoded::Corrupt(reason) => reason,
        };
        return Err(BinlogError::Corrupt { path: t.path.clone(), offset: at as u64, reason }.into());
    }
    Err(not_there(key))
}
