//! The single writer: appends go into a buffer (one copy of the payload plus its CRC),
//! reach the file at `flush` (or when the buffer passes [`WRITE_CHUNK`]), and are made
//! durable by `sync`, which the owner calls according to its fsync policy.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

use parking_lot::RwLock;

use super::index::{self, Summary};
use super::recover::{self, Recovery};
use super::segment::{self, EntryMeta, Segment};
use super::{format, BinlogConfig, BinlogError, BinlogHandle, Position, Shared, State};
use crate::opid::OpId;

/// Buffered bytes that trigger a write to the file without waiting for `flush`, so the
/// buffer stays small however rarely the owner flushes.
pub const WRITE_CHUNK: usize = 256 << 10;

/// The binlog's writer. One per node, owned by whoever receives propagated units.
pub struct Binlog {
    shared: Arc<Shared>,
    active: Option<Active>,
    next_id: u64,
    last: Option<EntryMeta>,
    dir_dirty: bool,
}

struct Active {
    id: u64,
    path: PathBuf,
    file: File,
    /// Bytes already in the file.
    written: u64,
    buf: Vec<u8>,
    summary: Summary,
    /// Index points already published to the shared state.
    published: usize,
}

impl Binlog {
    /// Opens (creating if needed) the binlog in `dir`, recovering from an unclean stop:
    /// a torn last entry is cut and reported; damage elsewhere is an error.
    pub fn open(dir: impl Into<PathBuf>, config: BinlogConfig) -> Result<(Binlog, Recovery), BinlogError> {
        let dir = dir.into();
        let opened = recover::open(&dir, &config)?;
        let mut active = None;
        if let Some(seg) = opened.segments.last().filter(|s| !s.sealed) {
            let file = OpenOptions::new().append(true).open(&seg.path).map_err(BinlogError::io(&seg.path))?;
            let summary = Summary { len: seg.len, entries: seg.entries, first: seg.first, last: seg.last, index: seg.index.clone() };
            let published = summary.index.len();
            active = Some(Active { id: seg.id, path: seg.path.clone(), file, written: seg.len, buf: Vec::new(), summary, published });
        }
        let last = opened.recovery.last;
        let shared = Arc::new(Shared { dir, config, state: RwLock::new(State { segments: opened.segments, pins: Default::default(), next_id: opened.next_id }) });
        let binlog = Binlog { shared, active, next_id: opened.next_id, last, dir_dirty: false };
        Ok((binlog, opened.recovery))
    }

    /// A handle for lookups, readers, pins and retention on other threads.
    pub fn handle(&self) -> BinlogHandle {
        BinlogHandle { shared: self.shared.clone() }
    }

    /// The last entry appended (flushed or not).
    pub fn last(&self) -> Option<EntryMeta> {
        self.last
    }

    /// True when the next append opens a new segment. Redis's AOF loader starts every
    /// incremental file in db 0, so the owner must then begin that payload with a SELECT.
    pub fn next_append_starts_segment(&self) -> bool {
        self.active.as_ref().is_none_or(|a| self.is_full(a))
    }

    fn is_full(&self, a: &Active) -> bool {
        a.summary.entries > 0 && a.written + a.buf.len() as u64 >= self.shared.config.segment_size
    }

    /// Appends one propagated unit. `opid.seq` must grow and `repl_offset` must not go
    /// back (gaps are allowed: the stream may carry bytes the binlog does not, as PINGs).
    /// Returns where the entry starts.
    pub fn append(&mut self, opid: OpId, origin: u64, repl_offset: u64, payload: &[u8]) -> Result<Position, BinlogError> {
        if let Some(l) = self.last {
            if opid.seq <= l.opid.seq || repl_offset < l.end_repl_offset {
                return Err(BinlogError::OutOfOrder { last: l.opid, last_end: l.end_repl_offset, got: opid, got_offset: repl_offset });
            }
        }
        if self.next_append_starts_segment() {
            self.seal()?;
            self.start_segment()?;
        }
        let interval = self.shared.config.index_interval;
        let Some(a) = self.active.as_mut() else { return Err(BinlogError::Gone { segment: self.next_id }) };
        let offset = a.written + a.buf.len() as u64;
        let meta = EntryMeta { opid, repl_offset, end_repl_offset: repl_offset + payload.len() as u64 };
        format::encode_into(&mut a.buf, opid, origin, repl_offset, payload);
        index::maybe_point(&mut a.summary.index, interval, &meta, offset);
        a.summary.first.get_or_insert(meta);
        a.summary.last = Some(meta);
        a.summary.entries += 1;
        a.summary.len = a.written + a.buf.len() as u64;
        self.last = Some(meta);
        let pos = Position { segment: a.id, offset };
        if a.buf.len() >= WRITE_CHUNK {
            self.flush()?;
        }
        Ok(pos)
    }

    /// Hands buffered entries to the OS and makes them visible to readers.
    pub fn flush(&mut self) -> Result<(), BinlogError> {
        let Some(a) = self.active.as_mut() else { return Ok(()) };
        if a.buf.is_empty() {
            return Ok(());
        }
        if let Err(e) = a.file.write_all(&a.buf) {
            // Cut a partial write so the file ends on an entry; the buffer is kept for a
            // retry.
            let _ = a.file.set_len(a.written);
            return Err(BinlogError::Io { path: a.path.clone(), source: e });
        }
        a.written += a.buf.len() as u64;
        a.buf.clear();
        let mut st = self.shared.state.write();
        if let Some(seg) = st.segments.last_mut().filter(|s| s.id == a.id) {
            seg.len = a.written;
            seg.entries = a.summary.entries;
            seg.first = a.summary.first;
            seg.last = a.summary.last;
            seg.index.extend_from_slice(&a.summary.index[a.published..]);
            a.published = a.summary.index.len();
        }
        Ok(())
    }

    /// `flush`, then fdatasync the active segment (and the directory after a rotation).
    pub fn sync(&mut self) -> Result<(), BinlogError> {
        self.flush()?;
        if let Some(a) = &self.active {
            a.file.sync_data().map_err(BinlogError::io(&a.path))?;
        }
        if self.dir_dirty {
            let dir = &self.shared.dir;
            File::open(dir).and_then(|d| d.sync_all()).map_err(BinlogError::io(dir))?;
            self.dir_dirty = false;
        }
        Ok(())
    }

    /// Seals the active segment now (an AOF rewrite starts a new incremental file).
    pub fn rotate(&mut self) -> Result<(), BinlogError> {
        self.seal()
    }

    /// Drops the whole history (after a full sync replaced the dataset, the old entries
    /// describe another history): every segment is removed and the next append may carry
    /// any OpID. Save a divergent tail first (read it with a [`super::Reader`]). Readers
    /// already holding a segment finish it, then get [`BinlogError::Gone`].
    pub fn reset(&mut self) -> Result<Vec<PathBuf>, BinlogError> {
        self.seal()?;
        let removed: Vec<Segment> = std::mem::take(&mut self.shared.state.write().segments);
        self.last = None;
        let mut paths = Vec::with_capacity(removed.len());
        for seg in removed {
            std::fs::remove_file(&seg.path).map_err(BinlogError::io(&seg.path))?;
            let _ = std::fs::remove_file(segment::index_path(&seg.path));
            paths.push(seg.path);
        }
        self.dir_dirty = true;
        Ok(paths)
    }

    /// Flushes, syncs and indexes the active segment; the next append opens a new one.
    fn seal(&mut self) -> Result<(), BinlogError> {
        self.flush()?;
        let Some(a) = self.active.take() else { return Ok(()) };
        let res = a.file.sync_data().map_err(BinlogError::io(&a.path)).and_then(|()| {
            let idx = segment::index_path(&a.path);
            index::save(&idx, &a.summary).map_err(BinlogError::io(&idx))
        });
        if let Err(e) = res {
            self.active = Some(a);
            return Err(e);
        }
        if let Some(seg) = self.shared.state.write().segments.last_mut().filter(|s| s.id == a.id) {
            seg.sealed = true;
        }
        self.next_id = a.id + 1;
        Ok(())
    }

    fn start_segment(&mut self) -> Result<(), BinlogError> {
        let id = self.next_id;
        let path = self.shared.dir.join(segment::file_name(&self.shared.config.prefix, id));
        let file = OpenOptions::new().append(true).create_new(true).open(&path).map_err(BinlogError::io(&path))?;
        self.dir_dirty = true;
        let mut st = self.shared.state.write();
        st.next_id = id + 1;
        st.segments.push(Segment {
            id,
            path: path.clone(),
            len: 0,
            sealed: false,
            first: None,
            last: None,
            entries: 0,
            index: Vec::new(),
        });
        drop(st);
        self.active = Some(Active { id, path, file, written: 0, buf: Vec::with_capacity(WRITE_CHUNK + 4096), summary: Summary::default(), published: 0 });
        Ok(())
    }
}

impl Drop for Binlog {
    /// Buffered entries reach the OS on a clean drop; durability still needs `sync`.
    fn drop(&mut self) {
        let _ = self.flush();
    }
}
