//! The replication backlog: the recent propagated byte stream, addressed by Redis's byte
//! offsets (the first byte ever propagated is offset 1), so a replica that reconnects
//! can continue from the offset it reached (PSYNC) instead of a full sync.
//!
//! As in Redis 7.0 (one shared replication buffer, redis#9166) the backlog is also what
//! replicas are fed from: it keeps at least `size` bytes of history, and never drops
//! bytes an attached replica still has to send (the caller passes the lowest offset they
//! need), so replica output buffers cost no extra copy. The bytes are kept in blocks of
//! [`BLOCK`] bytes and dropped a whole block at a time, like Redis's `replBufBlock`s.

use std::collections::VecDeque;

/// Size of one block of the buffer (Redis's PROTO_REPLY_CHUNK_BYTES).
pub const BLOCK: usize = 16 * 1024;

/// A byte offset in the replication stream (Redis's `master_repl_offset`).
pub type ReplOffset = u64;

/// The ring of recent stream bytes.
#[derive(Debug)]
pub struct Backlog {
    blocks: VecDeque<Vec<u8>>,
    /// Offset of the first byte held (Redis's `repl_backlog->offset`).
    first: ReplOffset,
    /// Offset of the last byte appended (`master_repl_offset`).
    end: ReplOffset,
    /// `repl-backlog-size`: history kept even with no replica attached.
    size: u64,
}

/// A reader asked for bytes the backlog no longer (or never) held.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutOfRange;

impl Backlog {
    /// An empty backlog whose next byte will be `end + 1`.
    pub fn new(size: u64, end: ReplOffset) -> Backlog {
        Backlog { blocks: VecDeque::new(), first: end + 1, end, size: size.max(1) }
    }

    /// Offset of the last byte appended.
    pub fn end(&self) -> ReplOffset {
        self.end
    }

    /// Offset of the first byte held (`repl_backlog_first_byte_offset`).
    pub fn first_byte_offset(&self) -> ReplOffset {
        self.first
    }

    /// Bytes of history held (`repl_backlog_histlen`).
    pub fn histlen(&self) -> u64 {
        self.end + 1 - self.first
    }

    /// `repl-backlog-size`.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Memory held by the blocks (INFO `mem_replication_backlog`).
    pub fn allocated(&self) -> u64 {
        self.blocks.iter().map(|b| b.capacity() as u64).sum()
    }

    /// Changes `repl-backlog-size` (CONFIG SET); the next trim applies it.
    pub fn resize(&mut self, size: u64) {
        self.size = size.max(1);
    }

    /// Whether a reader may continue from `offset` (the next byte it needs): anything
    /// from the first byte held up to the byte after the last one.
    pub fn can_serve(&self, offset: ReplOffset) -> bool {
        offset >= self.first && offset <= self.end + 1
    }

    /// Appends stream bytes.
    pub fn append(&mut self, mut data: &[u8]) {
        self.end += data.len() as u64;
        while !data.is_empty() {
            if self.blocks.back().is_none_or(|b| b.len() == b.capacity()) {
                self.blocks.push_back(Vec::with_capacity(BLOCK));
            }
            let Some(last) = self.blocks.back_mut() else {
                return;
            };
            let room = last.capacity() - last.len();
            let n = room.min(data.len());
            last.extend_from_slice(&data[..n]);
            data = &data[n..];
        }
    }

    /// Copies up to `max` bytes starting at `offset` to `out`; returns how many (0 when the
    /// reader is up to date).
    pub fn read(&self, offset: ReplOffset, max: usize, out: &mut Vec<u8>) -> Result<usize, OutOfRange> {
        if !self.can_serve(offset) {
            return Err(OutOfRange);
        }
        let mut skip = offset - self.first;
        let mut copied = 0;
        for b in &self.blocks {
            if copied == max {
                break;
            }
            let len = b.len() as u64;
            if skip >= len {
                skip -= len;
                continue;
            }
            let from = skip as usize;
            skip = 0;
            let n = (b.len() - from).min(max - copied);
            out.extend_from_slice(&b[from..from + n]);
            copied += n;
        }
        Ok(copied)
    }

    /// Drops whole blocks from the front while more than `size` bytes of history would
    /// remain and no reader still needs them (`keep_from`: the lowest offset a replica has
    /// yet to send; `None` when no replica is attached). Redis's
    /// `incrementalTrimReplicationBacklog`; always keeps the last block.
    pub fn trim(&mut self, keep_from: Option<ReplOffset>) {
        while self.blocks.len() > 1 {
            let Some(front) = self.blocks.front() else {
                return;
            };
            let flen = front.len() as u64;
            if self.histlen() - flen <= self.size {
                return;
            }
            // The last byte of the front block must already be sent by every replica.
            if keep_from.is_some_and(|k| self.first + flen > k) {
                return;
            }
            self.blocks.pop_front();
            self.first += flen;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_all(b: &Backlog, from: ReplOffset) -> Vec<u8> {
        let mut out = Vec::new();
        b.read(from, usize::MAX, &mut out).unwrap();
        out
    }

    #[test]
    fn offsets_start_after_the_creation_offset() {
        let mut b = Backlog::new(100, 0);
        assert_eq!((b.first_byte_offset(), b.histlen(), b.end()), (1, 0, 0));
        b.append(b"hello");
        assert_eq!((b.first_byte_offset(), b.histlen(), b.end()), (1, 5, 5));
        assert_eq!(read_all(&b, 1), b"hello");
        assert_eq!(read_all(&b, 3), b"llo");
        assert_eq!(read_all(&b, 6), b"");
        assert_eq!(b.read(7, 10, &mut Vec::new()), Err(OutOfRange));
        assert_eq!(b.read(0, 10, &mut Vec::new()), Err(OutOfRange));
        let b2 = Backlog::new(100, 1000);
        assert_eq!((b2.first_byte_offset(), b2.histlen()), (1001, 0));
        assert!(b2.can_serve(1001) && !b2.can_serve(1000));
    }

    #[test]
    fn trims_whole_blocks_beyond_the_size_unless_a_reader_needs_them() {
        let mut b = Backlog::new(BLOCK as u64, 0);
        let data: Vec<u8> = (0..BLOCK * 3 + 10).map(|i| (i % 251) as u8).collect();
        b.append(&data);
        b.trim(Some(1));
        assert_eq!(b.first_byte_offset(), 1, "a replica at offset 1 pins everything");
        b.trim(Some(BLOCK as u64 + 1));
        assert_eq!(b.first_byte_offset(), BLOCK as u64 + 1);
        b.trim(None);
        // Without readers one more block goes (BLOCK + 10 bytes stay, more than the size);
        // dropping another would leave 10 bytes, less than the size.
        assert_eq!(b.first_byte_offset(), 2 * BLOCK as u64 + 1);
        assert_eq!(b.histlen(), BLOCK as u64 + 10);
        assert_eq!(read_all(&b, b.first_byte_offset()), &data[2 * BLOCK..]);
        let mut part = Vec::new();
        assert_eq!(b.read(b.end() - 4, 3, &mut part), Ok(3));
        assert_eq!(part, &data[data.len() - 5..data.len() - 2]);
    }
}
