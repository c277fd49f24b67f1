//! The OpID binlog: every propagated unit, in order, on disk, with its OpID, its origin
//! and its replication offset, so any node can resume a replica from any entry it still
//! holds (by OpID, or by plain PSYNC offset).
//!
//! * [`format`]: one entry = an `#OP:` annotation line + the exact replication-stream
//!   bytes; segments stay valid Redis 7.0 AOF incremental files.
//! * [`Binlog`] (the single writer, owned by the propagation side): `append`, `flush`,
//!   `sync`, rotation at `segment_size`, recovery at [`Binlog::open`].
//! * [`BinlogHandle`] (cheap to clone, any thread): [`BinlogHandle::find`],
//!   [`BinlogHandle::find_by_repl_offset`], [`BinlogHandle::reader`], pins and retention.
//!
//! Readers only ever see bytes the writer has handed to the OS (`flush`), and never hold
//! the state lock while reading a file, so a lookup or a catch-up read never stalls an
//! append.

pub mod format;
mod index;
mod lookup;
mod reader;
mod recover;
pub mod retention;
mod segment;
mod writer;

use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use parking_lot::RwLock;

pub use format::Entry;
pub use lookup::{Hit, LookupError};
pub use reader::Reader;
pub use recover::{Recovery, Truncation};
pub use retention::{RemovalReason, RetentionConfig, RetentionEvent};
pub use segment::{EntryMeta, IndexPoint};
pub use writer::Binlog;

use crate::opid::OpId;
use segment::Segment;

/// How the binlog is laid out and kept. Directive names are those `redis.conf` will use.
#[derive(Debug, Clone)]
pub struct BinlogConfig {
    /// Segment file name prefix: segments are `<prefix>.<n>.incr.aof`. With the AOF on,
    /// this is `appendfilename`, so the segments are the AOF's incremental files.
    pub prefix: String,
    /// `binlog-segment-size` (default 64mb): a segment is sealed and a new one started at
    /// the first append after it reaches this size.
    pub segment_size: u64,
    /// Bytes between sparse-index points (default 64kb): a lookup scans at most this much
    /// of a segment after its index search.
    pub index_interval: u64,
    /// `binlog-max-size`, `binlog-max-age`, `binlog-hard-max-size`.
    pub retention: RetentionConfig,
}

impl Default for BinlogConfig {
    fn default() -> Self {
        BinlogConfig {
            prefix: "binlog".to_string(),
            segment_size: 64 << 20,
            index_interval: 64 << 10,
            retention: RetentionConfig::default(),
        }
    }
}

/// A place in the binlog: byte `offset` of segment `segment` (an entry boundary).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Position {
    pub segment: u64,
    pub offset: u64,
}

/// Failures of the binlog's files and of its callers' ordering.
#[derive(Debug, thiserror::Error)]
pub enum BinlogError {
    #[error("binlog I/O error on {path}: {source}")]
    Io { path: PathBuf, source: io::Error },
    #[error("corrupt binlog entry in {path} at offset {offset}: {reason}")]
    Corrupt { path: PathBuf, offset: u64, reason: &'static str },
    #[error("binlog append out of order: last {last} at repl offset {last_end}, got {got} at {got_offset}")]
    OutOfOrder { last: OpId, last_end: u64, got: OpId, got_offset: u64 },
    #[error("binlog segment {segment} was removed before it was read")]
    Gone { segment: u64 },
}

impl BinlogError {
    pub(crate) fn io(path: &Path) -> impl FnOnce(io::Error) -> BinlogError + '_ {
        move |source| BinlogError::Io { path: path.to_path_buf(), source }
    }
}

/// State shared by the writer and every handle.
pub(crate) struct Shared {
    pub dir: PathBuf,
    pub config: BinlogConfig,
    pub state: RwLock<State>,
}

pub(crate) struct State {
    /// In id order; the last one may be the writer's active segment.
    pub segments: Vec<Segment>,
    /// Consumers (replica links) and the last OpID each has: retention keeps the entry
    /// at that seq and everything after it.
    pub pins: BTreeMap<String, OpId>,
    /// Id the writer's next new segment gets (where a reader of an empty log waits).
    pub next_id: u64,
}

impl State {
    pub fn segment(&self, id: u64) -> Option<&Segment> {
        self.segments.binary_search_by_key(&id, |s| s.id).ok().map(|i| &self.segments[i])
    }
}

/// A cloneable, thread-safe view of the binlog for lookups, readers, pins and retention.
#[derive(Clone)]
pub struct BinlogHandle {
    pub(crate) shared: Arc<Shared>,
}

/// Totals for INFO.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Stats {
    pub segments: usize,
    pub bytes: u64,
    pub first: Option<EntryMeta>,
    pub last: Option<EntryMeta>,
}

impl BinlogHandle {
    /// Directory holding the segments.
    pub fn dir(&self) -> &Path {
        &self.shared.dir
    }

    /// Segment count, size, and the first and last entries readers can see.
    pub fn stats(&self) -> Stats {
        let st = self.shared.state.read();
        Stats {
            segments: st.segments.len(),
            bytes: st.segments.iter().map(|s| s.len).sum(),
            first: st.segments.iter().find_map(|s| s.first),
            last: st.segments.iter().rev().find_map(|s| s.last),
        }
    }

    /// Position of the oldest entry still held (where a reader of everything starts).
    pub fn start(&self) -> Position {
        let st = self.shared.state.read();
        Position { segment: st.segments.first().map_or(st.next_id, |s| s.id), offset: 0 }
    }

    /// Paths of the segment files, oldest first (for an AOF manifest).
    pub fn segment_paths(&self) -> Vec<PathBuf> {
        self.shared.state.read().segments.iter().map(|s| s.path.clone()).collect()
    }

    /// Registers (or moves) `consumer`'s pin: retention keeps the entry at `last.seq`
    /// and everything after it, unless `binlog-hard-max-size` is exceeded.
    pub fn pin(&self, consumer: &str, last: OpId) {
        self.shared.state.write().pins.insert(consumer.to_string(), last);
    }

    /// Forgets `consumer`'s pin (the replica went away for good).
    pub fn unpin(&self, consumer: &str) {
        self.shared.state.write().pins.remove(consumer);
    }

    /// A reader streaming entries from `from` onwards.
    pub fn reader(&self, from: Position) -> Reader {
        Reader::new(self.shared.clone(), from)
    }
}
