//! Streaming entries from a position: across segments, through memory maps, up to what
//! the writer has flushed. At the end, `next` returns `None`; calling it again after the
//! writer flushes more returns the new entries (tailing).

use std::sync::Arc;

use memmap2::Mmap;

use super::format::{self, Decoded, Entry};
use super::segment;
use super::{BinlogError, Position, Shared};

/// A cursor over the binlog. Holds its current segment mapped, so retention removing that
/// file does not disturb it; a removed *next* segment ends the read with
/// [`BinlogError::Gone`].
pub struct Reader {
    shared: Arc<Shared>,
    pos: Position,
    map: Option<Mmap>,
    /// The mapped segment was sealed when mapped: its map holds all of it.
    map_complete: bool,
}

/// What to do to make progress, decided under the state lock.
enum Step {
    Remap { len: u64, sealed: bool, path: std::path::PathBuf },
    NextSegment,
    Wait,
}

impl Reader {
    pub(crate) fn new(shared: Arc<Shared>, pos: Position) -> Reader {
        Reader { shared, pos, map: None, map_complete: false }
    }

    /// Where the next entry will be read from.
    pub fn position(&self) -> Position {
        self.pos
    }

    /// The next entry, or `None` when every flushed entry has been read.
    pub fn next_entry(&mut self) -> Result<Option<Entry<'_>>, BinlogError> {
        loop {
            let mapped = self.map.as_ref().map_or(0, |m| m.len() as u64);
            if self.pos.offset < mapped {
                break;
            }
            match self.step(mapped)? {
                Step::Remap { len, sealed, path } => {
                    self.map = segment::map(&path, len).map_err(|e| match e {
                        BinlogError::Io { source, .. } if source.kind() == std::io::ErrorKind::NotFound => {
                            BinlogError::Gone { segment: self.pos.segment }
                        }
                        e => e,
                    })?;
                    self.map_complete = sealed;
                }
                Step::NextSegment => {
                    self.pos = Position { segment: self.pos.segment + 1, offset: 0 };
                    self.map = None;
                    self.map_complete = false;
                }
                Step::Wait => return Ok(None),
            }
        }
        let Some(map) = self.map.as_ref() else { return Ok(None) };
        let at = self.pos.offset as usize;
        let reason = match format::decode(&map[at..]) {
            Decoded::Entry(e, n) => {
                self.pos.offset += n as u64;
                return Ok(Some(e));
            }
            // Only whole entries are ever made visible, so a partial one is damage.
            Decoded::Incomplete => "incomplete entry",
            Decoded::Corrupt(r) => r,
        };
        let path = self.shared.state.read().segment(self.pos.segment).map(|s| s.path.clone()).unwrap_or_default();
        Err(BinlogError::Corrupt { path, offset: self.pos.offset, reason })
    }

    fn step(&self, mapped: u64) -> Result<Step, BinlogError> {
        let st = self.shared.state.read();
        let id = self.pos.segment;
        let has_next = st.segment(id + 1).is_some();
        match st.segment(id) {
            Some(seg) if seg.len > mapped && self.pos.offset < seg.len => {
                Ok(Step::Remap { len: seg.len, sealed: seg.sealed, path: seg.path.clone() })
            }
            Some(seg) if self.pos.offset >= seg.len && (seg.sealed || has_next) => {
                if has_next {
                    Ok(Step::NextSegment)
                } else if st.segments.iter().any(|s| s.id > id) {
                    Err(BinlogError::Gone { segment: id + 1 })
                } else {
                    Ok(Step::Wait)
                }
            }
            Some(_) => Ok(Step::Wait),
            // Removed: carry on only if everything it held has been read.
            None if self.map_complete && self.pos.offset >= mapped => {
                if has_next {
                    Ok(Step::NextSegment)
                } else {
                    Err(BinlogError::Gone { segment: id + 1 })
                }
            }
            None => {
                // A segment not created yet (waiting at the start of an empty log), or
                // one removed before we got to it.
                if id >= st.next_id && self.pos.offset == 0 {
                    Ok(Step::Wait)
                } else {
                    Err(BinlogError::Gone { segment: id })
                }
            }
        }
    }
}
