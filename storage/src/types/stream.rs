//! The stream (Redis's `t_stream.c` type API): entries ordered by ID in nodes that mirror
//! Redis's radix tree of listpacks, plus consumer groups.
//!
//! Nodes are kept in a `BTreeMap` keyed by their master ID (the first ID ever added to
//! the node), so a lookup or a range start is O(log n) and a range of k entries costs
//! O(log n + k). Each node tracks the byte size Redis's listpack would have, and deleted
//! entries stay in their node as tombstones, because the node boundaries are visible to
//! clients: approximate trimming (`MAXLEN ~`) removes whole nodes only, and XINFO reports
//! the radix tree's keys and nodes.

pub mod group;
pub mod id;
pub mod listpack;

use std::collections::BTreeMap;

pub use group::{Consumer, Group, Nack};
pub use id::{parse_id, parse_interval, Seq, StreamId};

/// Longest total length of the fields and values of one entry (`STREAM_LISTPACK_MAX_SIZE`).
pub const LISTPACK_MAX_SIZE: usize = 1 << 30;

/// Why an entry could not be added.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddError {
    /// The ID is not greater than the last ID.
    NotGreater,
    /// The fields and values are too large for one node.
    TooLarge,
}

/// Node size limits (`stream-node-max-bytes`, `stream-node-max-entries`; 0 = no limit).
#[derive(Debug, Clone, Copy)]
pub struct NodeLimits {
    pub max_bytes: usize,
    pub max_entries: usize,
}

impl Default for NodeLimits {
    fn default() -> Self {
        NodeLimits { max_bytes: 4096, max_entries: 100 }
    }
}

/// How to trim.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trim {
    MaxLen(u64),
    MinId(StreamId),
}

/// One entry of a node: its ID, whether it is a tombstone, and its fields and values
/// encoded as length-prefixed byte strings (only the values when the entry has the same
/// fields as the node's master entry).
#[derive(Clone, Debug)]
struct Entry {
    id: StreamId,
    deleted: bool,
    same_fields: bool,
    data: Box<[u8]>,
}

/// A node: what one listpack holds in Redis.
#[derive(Clone, Debug)]
struct Node {
    master_fields: Vec<Box<[u8]>>,
    entries: Vec<Entry>,
    live: usize,
    deleted: usize,
    /// Listpack bytes except the live and deleted counters (whose sizes vary).
    body_bytes: usize,
}

impl Node {
    /// The size of the listpack Redis would hold for this node.
    fn lp_bytes(&self) -> usize {
        self.body_bytes + listpack::int_size(self.live as i64) + listpack::int_size(self.deleted as i64)
    }

    /// Index of the entry with `id`, if present (tombstone or not).
    fn find(&self, id: StreamId) -> Option<usize> {
        self.entries.binary_search_by(|e| e.id.cmp(&id)).ok()
    }
}

fn push_bytes(out: &mut Vec<u8>, b: &[u8]) {
    let mut n = b.len();
    loop {
        let byte = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            out.push(byte);
            break;
        }
        out.push(byte | 0x80);
    }
    out.extend_from_slice(b);
}

/// Splits length-prefixed byte strings.
struct Chunks<'a>(&'a [u8]);

impl<'a> Iterator for Chunks<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        if self.0.is_empty() {
            return None;
        }
        let mut n = 0usize;
        let mut shift = 0;
        let mut i = 0;
        while i < self.0.len() {
            let b = self.0[i];
            n |= usize::from(b & 0x7f) << shift;
            shift += 7;
            i += 1;
            if b & 0x80 == 0 {
                break;
            }
        }
        let end = (i + n).min(self.0.len());
        let s = &self.0[i..end];
        self.0 = &self.0[end..];
        Some(s)
    }
}

/// A live entry seen through an iterator: its ID and field/value pairs.
#[derive(Clone, Copy)]
pub struct EntryRef<'a> {
    node: &'a Node,
    entry: &'a Entry,
}

impl<'a> EntryRef<'a> {
    pub fn id(&self) -> StreamId {
        self.entry.id
    }

    /// The field/value pairs in insertion order.
    pub fn pairs(&self) -> Vec<(&'a [u8], &'a [u8])> {
        let mut out = Vec::new();
        let mut chunks = Chunks(&self.entry.data);
        if self.entry.same_fields {
            for f in &self.node.master_fields {
                let v = chunks.next().unwrap_or(b"");
                out.push((&f[..], v));
            }
        } else {
            while let Some(f) = chunks.next() {
                let v = chunks.next().unwrap_or(b"");
                out.push((f, v));
            }
        }
        out
    }
}

/// A stream.
#[derive(Clone, Debug, Default)]
pub struct Stream {
    nodes: BTreeMap<StreamId, Node>,
    length: u64,
    pub last_id: StreamId,
    /// The first live entry's ID (`0-0` when empty), as Redis records it.
    pub first_id: StreamId,
    pub max_deleted_id: StreamId,
    pub entries_added: u64,
    /// Consumer groups by name (created on demand, like Redis's `cgroups`).
    pub groups: Option<Box<BTreeMap<Box<[u8]>, Group>>>,
    /// Bytes of entry data, for memory accounting.
    data_bytes: usize,
    entry_slots: usize,
}

impl Stream {
    pub fn new() -> Stream {
        Stream::default()
    }

    /// Number of live entries.
    pub fn len(&self) -> u64 {
        self.length
    }

    pub fn is_empty(&self) -> bool {
        self.length == 0
    }

    /// Number of nodes (Redis's radix tree keys).
    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }

    /// Number of radix tree nodes Redis's rax would hold for the node keys (a compressed
    /// trie over the 16-byte big-endian master IDs).
    pub fn rax_nodes(&self) -> usize {
        let keys: Vec<[u8; 16]> = self.nodes.keys().map(|k| k.to_be_bytes()).collect();
        if keys.is_empty() {
            return 1;
        }
        rax_count(&keys, 0)
    }

    /// The ID the next entry gets: `requested` is an explicit ID (possibly `<ms>-*`),
    /// `None` for `*` (from the clock `now_ms`, never going back).
    pub fn next_id(&self, requested: Option<(StreamId, Seq)>, now_ms: u64) -> Result<StreamId, AddError> {
        let id = match requested {
            Some((id, Seq::Given)) => id,
            Some((id, Seq::Auto)) => {
                if self.last_id.ms == id.ms {
                    if self.last_id.seq == u64::MAX {
                        return Err(AddError::NotGreater);
                    }
                    StreamId::new(id.ms, self.last_id.seq + 1)
                } else {
                    id
                }
            }
            None => {
                if now_ms > self.last_id.ms {
                    StreamId::new(now_ms, 0)
                } else {
                    // Wraps at the end of the sequence space, and is then refused below.
                    StreamId::new(self.last_id.ms, self.last_id.seq.wrapping_add(1))
                }
            }
        };
        if id <= self.last_id {
            return Err(AddError::NotGreater);
        }
        Ok(id)
    }

    /// Appends an entry with `id` (from [`Stream::next_id`]) and the `pairs` (field,
    /// value, field, value...), starting a new node where Redis would.
    pub fn append<B: AsRef<[u8]>>(&mut self, id: StreamId, pairs: &[B], limits: NodeLimits) -> Result<(), AddError> {
        if id <= self.last_id {
            return Err(AddError::NotGreater);
        }
        let total: usize = pairs.iter().map(|p| p.as_ref().len()).sum();
        if total > LISTPACK_MAX_SIZE {
            return Err(AddError::TooLarge);
        }
        let numfields = pairs.len() / 2;
        let mut max_bytes = limits.max_bytes;
        if max_bytes == 0 || max_bytes > LISTPACK_MAX_SIZE {
            max_bytes = LISTPACK_MAX_SIZE;
        }
        let tail_fits = match self.nodes.last_key_value() {
            None => false,
            Some((_, n)) => {
                !(n.lp_bytes() + total >= max_bytes || (limits.max_entries > 0 && n.live + n.deleted >= limits.max_entries))
            }
        };
        if !tail_fits {
            let master_fields: Vec<Box<[u8]>> = pairs.iter().step_by(2).map(|f| Box::from(f.as_ref())).collect();
            let mut body = listpack::OVERHEAD + listpack::int_size(numfields as i64) + listpack::int_size(0);
            body += master_fields.iter().map(|f| listpack::elem_size(f)).sum::<usize>();
            self.data_bytes += master_fields.iter().map(|f| f.len()).sum::<usize>();
            let node = Node { master_fields, entries: Vec::new(), live: 0, deleted: 0, body_bytes: body };
            self.nodes.insert(id, node);
        }
        let Some(mut last) = self.nodes.last_entry() else {
            return Err(AddError::TooLarge);
        };
        let master = *last.key();
        let node = last.get_mut();
        let same = numfields == node.master_fields.len() && pairs.iter().step_by(2).zip(&node.master_fields).all(|(a, b)| a.as_ref() == &b[..]);
        let mut data = Vec::with_capacity(total + pairs.len() * 2);
        let mut bytes = listpack::int_size(if same { 2 } else { 0 })
            + listpack::u64_size(id.ms.wrapping_sub(master.ms))
            + listpack::u64_size(id.seq.wrapping_sub(master.seq));
        let mut lp_count = numfields as i64 + 3;
        if !same {
            bytes += listpack::int_size(numfields as i64);
            lp_count += numfields as i64 + 1;
        }
        for (i, p) in pairs.iter().enumerate() {
            if i % 2 == 1 || !same {
                push_bytes(&mut data, p.as_ref());
                bytes += listpack::elem_size(p.as_ref());
            }
        }
        bytes += listpack::int_size(lp_count);
        node.body_bytes += bytes;
        node.live += 1;
        self.data_bytes += data.len();
        self.entry_slots += 1;
        node.entries.push(Entry { id, deleted: false, same_fields: same, data: data.into_boxed_slice() });
        self.length += 1;
        self.entries_added += 1;
        self.last_id = id;
        if self.length == 1 {
            self.first_id = id;
        }
        Ok(())
    }

    /// Live entries with `start <= id <= end`, forward or reversed.
    pub fn range(&self, start: StreamId, end: StreamId, rev: bool) -> Box<dyn Iterator<Item = EntryRef<'_>> + '_> {
        if start > end {
            return Box::new(std::iter::empty());
        }
        fn live<'a>((n, e): (&'a Node, &'a Entry)) -> Option<EntryRef<'a>> {
            if e.deleted {
                None
            } else {
                Some(EntryRef { node: n, entry: e })
            }
        }
        if !rev {
            let first = self.nodes.range(..=start).next_back().map_or(start, |(k, _)| *k);
            Box::new(
                self.nodes
                    .range(first..=end)
                    .flat_map(move |(_, n)| {
                        // Binary search inside the node, so a range costs O(log n + k).
                        let from = n.entries.partition_point(|e| e.id < start);
                        n.entries[from..].iter().map(move |e| (n, e))
                    })
                    .take_while(move |(_, e)| e.id <= end)
                    .filter_map(live),
            )
        } else {
            Box::new(
                self.nodes
                    .range(..=end)
                    .rev()
                    .flat_map(move |(_, n)| {
                        let to = n.entries.partition_point(|e| e.id <= end);
                        n.entries[..to].iter().rev().map(move |e| (n, e))
                    })
                    .take_while(move |(_, e)| e.id >= start)
                    .filter_map(live),
            )
        }
    }

    /// The live entry with `id`.
    pub fn get(&self, id: StreamId) -> Option<EntryRef<'_>> {
        let (_, node) = self.nodes.range(..=id).next_back()?;
        let e = &node.entries[node.find(id)?];
        if e.deleted {
            None
        } else {
            Some(EntryRef { node, entry: e })
        }
    }

    /// Whether a live entry with `id` exists.
    pub fn contains(&self, id: StreamId) -> bool {
        self.get(id).is_some()
    }

    /// The last live entry's ID.
    pub fn last_live_id(&self) -> Option<StreamId> {
        self.range(StreamId::MIN, StreamId::MAX, true).next().map(|e| e.id())
    }

    /// The first entry's ID including tombstones (`streamGetEdgeID(s,1,0)`), or the
    /// maximum ID when there is none.
    pub fn first_id_with_tombstones(&self) -> StreamId {
        self.nodes.values().flat_map(|n| n.entries.first()).next().map_or(StreamId::MAX, |e| e.id)
    }

    /// Turns the entry with `id` into a tombstone; drops its node once no live entry is
    /// left. Does not update `first_id` / `max_deleted_id` (see [`Stream::delete_ids`]).
    fn delete_one(&mut self, id: StreamId) -> bool {
        let Some((&key, node)) = self.nodes.range_mut(..=id).next_back() else {
            return false;
        };
        let Some(i) = node.find(id) else {
            return false;
        };
        if node.entries[i].deleted {
            return false;
        }
        if node.live == 1 {
            self.drop_node(key);
        } else {
            node.entries[i].deleted = true;
            node.live -= 1;
            node.deleted += 1;
        }
        self.length -= 1;
        true
    }

    fn drop_node(&mut self, key: StreamId) {
        if let Some(n) = self.nodes.remove(&key) {
            self.data_bytes -= n.entries.iter().map(|e| e.data.len()).sum::<usize>() + n.master_fields.iter().map(|f| f.len()).sum::<usize>();
            self.entry_slots -= n.entries.len();
        }
    }

    /// XDEL: deletes the live entries among `ids`, returning how many were deleted, and
    /// keeps the first and maximum deleted IDs as Redis does.
    pub fn delete_ids(&mut self, ids: &[StreamId]) -> usize {
        let mut deleted = 0;
        let mut first_entry = false;
        for &id in ids {
            if self.delete_one(id) {
                if id == self.first_id {
                    first_entry = true;
                }
                if id > self.max_deleted_id {
                    self.max_deleted_id = id;
                }
                deleted += 1;
            }
        }
        if deleted > 0 {
            if self.length == 0 {
                self.first_id = StreamId::MIN;
            } else if first_entry {
                self.first_id = self.first_live_id().unwrap_or(StreamId::MAX);
            }
        }
        deleted
    }

    fn first_live_id(&self) -> Option<StreamId> {
        self.range(StreamId::MIN, StreamId::MAX, false).next().map(|e| e.id())
    }

    /// Trims from the head (`streamTrim`): whole nodes first; with `approx` only whole
    /// nodes; `limit` (0 = none) caps the entries removed. Returns the number removed.
    pub fn trim(&mut self, how: Trim, approx: bool, limit: u64) -> u64 {
        let mut deleted: u64 = 0;
        loop {
            if let Trim::MaxLen(max) = how {
                if self.length <= max {
                    break;
                }
            }
            let Some((&key, node)) = self.nodes.first_key_value() else {
                break;
            };
            let entries = node.live as u64;
            if limit > 0 && deleted + entries > limit {
                break;
            }
            let remove = match how {
                Trim::MaxLen(max) => self.length - entries >= max,
                Trim::MinId(min) => node.entries.last().is_some_and(|e| e.id < min),
            };
            if remove {
                self.drop_node(key);
                self.length -= entries;
                deleted += entries;
                continue;
            }
            if approx {
                break;
            }
            let Some(node) = self.nodes.get_mut(&key) else {
                break;
            };
            let mut from_node = 0;
            for e in node.entries.iter_mut() {
                let stop = match how {
                    Trim::MaxLen(max) => self.length <= max,
                    Trim::MinId(min) => e.id >= min,
                };
                if stop {
                    break;
                }
                if !e.deleted {
                    e.deleted = true;
                    from_node += 1;
                    self.length -= 1;
                }
            }
            node.live -= from_node;
            node.deleted += from_node;
            deleted += from_node as u64;
            break;
        }
        if self.length == 0 {
            self.first_id = StreamId::MIN;
        } else if deleted > 0 {
            self.first_id = self.first_live_id().unwrap_or(StreamId::MAX);
        }
        deleted
    }

    /// Whether a tombstone may lie within `start..=end` (`streamRangeHasTombstones`).
    pub fn range_has_tombstones(&self, start: StreamId, end: StreamId) -> bool {
        if self.length == 0 || self.max_deleted_id.is_zero() {
            return false;
        }
        // Every tombstone lies before the first entry: none can be in range.
        if self.first_id > self.max_deleted_id {
            return false;
        }
        start <= self.max_deleted_id && self.max_deleted_id <= end
    }

    /// The number of entries from the first ever added up to `id`, when it can be known
    /// (Redis 7.0's `streamEstimateDistanceFromFirstEverEntry`, which unlike later
    /// versions does not give up on IDs before the last tombstone); `None` when it cannot.
    pub fn estimate_distance(&self, id: StreamId) -> Option<u64> {
        if self.entries_added == 0 {
            return Some(0);
        }
        if self.length == 0 && id <= self.last_id {
            return Some(self.entries_added);
        }
        match id.cmp(&self.last_id) {
            std::cmp::Ordering::Equal => return Some(self.entries_added),
            std::cmp::Ordering::Greater => return None,
            std::cmp::Ordering::Less => {}
        }
        if self.max_deleted_id.is_zero() || self.max_deleted_id < self.first_id {
            match id.cmp(&self.first_id) {
                // Unsigned arithmetic as in Redis (XSETID can set odd counters).
                std::cmp::Ordering::Less => return Some(self.entries_added.wrapping_sub(self.length)),
                std::cmp::Ordering::Equal => return Some(self.entries_added.wrapping_sub(self.length).wrapping_add(1)),
                std::cmp::Ordering::Greater => {}
            }
        }
        None
    }

    /// A consumer group's lag, `None` when it cannot be computed (`streamReplyWithCGLag`).
    pub fn group_lag(&self, g: &Group) -> Option<u64> {
        if self.entries_added == 0 {
            return Some(0);
        }
        if let Some(read) = g.entries_read {
            if !self.range_has_tombstones(g.last_id, StreamId::MAX) {
                return Some(self.entries_added.wrapping_sub(read));
            }
        }
        self.estimate_distance(g.last_id).map(|read| self.entries_added.wrapping_sub(read))
    }

    /// A group by name.
    pub fn group(&self, name: &[u8]) -> Option<&Group> {
        self.groups.as_ref()?.get(name)
    }

    /// A group by name, for changes.
    pub fn group_mut(&mut self, name: &[u8]) -> Option<&mut Group> {
        self.groups.as_mut()?.get_mut(name)
    }

    /// Number of consumer groups.
    pub fn group_count(&self) -> usize {
        self.groups.as_ref().map_or(0, |g| g.len())
    }

    /// Creates a group; false if the name is taken.
    pub fn create_group(&mut self, name: &[u8], last_id: StreamId, entries_read: Option<u64>) -> bool {
        let groups = self.groups.get_or_insert_with(Default::default);
        if groups.contains_key(name) {
            return false;
        }
        groups.insert(Box::from(name), Group::new(last_id, entries_read));
        true
    }

    /// Destroys a group; false if there was none.
    pub fn destroy_group(&mut self, name: &[u8]) -> bool {
        self.groups.as_mut().is_some_and(|g| g.remove(name).is_some())
    }

    /// Heap bytes owned (approximate, for memory accounting).
    pub fn heap_size(&self) -> usize {
        let groups: usize = self.groups.as_ref().map_or(0, |g| g.values().map(Group::heap_size).sum());
        std::mem::size_of::<Stream>()
            + self.data_bytes
            + self.entry_slots * std::mem::size_of::<Entry>()
            + self.nodes.len() * (std::mem::size_of::<Node>() + 32)
            + groups
    }
}

/// An entry of a node as stored, for serialisation ([`Stream::nodes`]) and for
/// rebuilding a stream from a file ([`Stream::load_node`]).
#[derive(Clone, Debug)]
pub struct RawEntry<'a> {
    pub id: StreamId,
    pub deleted: bool,
    /// The entry has the master entry's fields: `items` holds the values only.
    pub same_fields: bool,
    /// The values (`same_fields`) or field, value, field, value...
    pub items: Vec<&'a [u8]>,
}

/// A node as stored: what one of Redis's listpacks holds.
#[derive(Clone, Debug)]
pub struct RawNode<'a> {
    /// The radix tree key: the ID of the first entry ever added to the node.
    pub master: StreamId,
    pub master_fields: Vec<&'a [u8]>,
    pub live: usize,
    pub deleted: usize,
    pub entries: Vec<RawEntry<'a>>,
}

/// Why a node could not be added by [`Stream::load_node`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoadNodeError {
    /// The node has no entry.
    Empty,
    /// An entry ID is not above the previous one (or below the master ID), or the node
    /// does not come after the previous node.
    Order,
    /// A same-fields entry's value count differs from the master fields, or a
    /// field/value list is odd.
    Fields,
}

impl Stream {
    /// The nodes in ID order, as stored.
    pub fn raw_nodes(&self) -> impl Iterator<Item = RawNode<'_>> + '_ {
        self.nodes.iter().map(|(&master, n)| RawNode {
            master,
            master_fields: n.master_fields.iter().map(|f| &f[..]).collect(),
            live: n.live,
            deleted: n.deleted,
            entries: n.entries.iter().map(|e| RawEntry { id: e.id, deleted: e.deleted, same_fields: e.same_fields, items: Chunks(&e.data).collect() }).collect(),
        })
    }

    /// Appends a node read from a file after the nodes already loaded. The stream's
    /// length counts its live entries; `last_id`, `first_id`, `max_deleted_id`,
    /// `entries_added` and the groups are the loader's to set.
    pub fn load_node(&mut self, node: &RawNode<'_>) -> Result<(), LoadNodeError> {
        let first = node.entries.first().ok_or(LoadNodeError::Empty)?;
        if first.id < node.master {
            return Err(LoadNodeError::Order);
        }
        if let Some(prev) = self.nodes.last_key_value().and_then(|(_, n)| n.entries.last()) {
            if node.master <= prev.id {
                return Err(LoadNodeError::Order);
            }
        }
        let master_fields: Vec<Box<[u8]>> = node.master_fields.iter().map(|f| Box::from(*f)).collect();
        let mut body = listpack::OVERHEAD + listpack::int_size(master_fields.len() as i64) + listpack::int_size(0);
        body += master_fields.iter().map(|f| listpack::elem_size(f)).sum::<usize>();
        let mut data_bytes = master_fields.iter().map(|f| f.len()).sum::<usize>();
        let mut entries = Vec::with_capacity(node.entries.len());
        let (mut live, mut deleted) = (0, 0);
        let mut prev: Option<StreamId> = None;
        for e in &node.entries {
            if prev.is_some_and(|p| e.id <= p) {
                return Err(LoadNodeError::Order);
            }
            prev = Some(e.id);
            let numfields = if e.same_fields {
                if e.items.len() != master_fields.len() {
                    return Err(LoadNodeError::Fields);
                }
                e.items.len()
            } else {
                if e.items.len() % 2 != 0 {
                    return Err(LoadNodeError::Fields);
                }
                e.items.len() / 2
            };
            let mut bytes = listpack::int_size(if e.same_fields { 2 } else { 0 })
                + listpack::u64_size(e.id.ms.wrapping_sub(node.master.ms))
                + listpack::u64_size(e.id.seq.wrapping_sub(node.master.seq));
            let mut lp_count = numfields as i64 + 3;
            if !e.same_fields {
                bytes += listpack::int_size(numfields as i64);
                lp_count += numfields as i64 + 1;
            }
            let mut data = Vec::new();
            for item in &e.items {
                push_bytes(&mut data, item);
                bytes += listpack::elem_size(item);
            }
            bytes += listpack::int_size(lp_count);
            body += bytes;
            data_bytes += data.len();
            if e.deleted {
                deleted += 1;
            } else {
                live += 1;
            }
            entries.push(Entry { id: e.id, deleted: e.deleted, same_fields: e.same_fields, data: data.into_boxed_slice() });
        }
        self.data_bytes += data_bytes;
        self.entry_slots += entries.len();
        self.length += live as u64;
        self.nodes.insert(node.master, Node { master_fields, entries, live, deleted, body_bytes: body });
        Ok(())
    }

    /// The last entry's ID including tombstones, if any.
    pub fn last_id_with_tombstones(&self) -> Option<StreamId> {
        self.nodes.values().next_back().and_then(|n| n.entries.last()).map(|e| e.id)
    }
}

/// Nodes of a rax (compressed radix tree) holding the sorted, distinct, equal-length
/// `keys` below the trie position at `depth` (all keys share `keys[0][..depth]`): a
/// chain of single-child positions is one compressed node, a branching position is one
/// node, and each key ends in a leaf node.
fn rax_count(keys: &[[u8; 16]], depth: usize) -> usize {
    let (first, last) = (&keys[0], &keys[keys.len() - 1]);
    if keys.len() == 1 {
        return if depth == 16 { 1 } else { 2 };
    }
    let lcp = (depth..16).find(|&i| first[i] != last[i]).unwrap_or(16);
    if lcp > depth {
        return 1 + rax_count(keys, lcp);
    }
    let mut total = 1;
    let mut i = 0;
    while i < keys.len() {
        let b = keys[i][depth];
        let j = i + keys[i..].iter().take_while(|k| k[depth] == b).count();
        total += rax_count(&keys[i..j], depth + 1);
        i = j;
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;

    fn add(s: &mut Stream, ms: u64, seq: u64, pairs: &[&str]) {
        s.append(StreamId::new(ms, seq), pairs, NodeLimits::default()).unwrap();
    }

    #[test]
    fn append_range_delete() {
        let mut s = Stream::new();
        add(&mut s, 1, 1, &["a", "1", "b", "2"]);
        add(&mut s, 1, 2, &["a", "3", "b", "4"]);
        add(&mut s, 2, 0, &["c", "5"]);
        assert_eq!(s.len(), 3);
        let ids: Vec<_> = s.range(StreamId::MIN, StreamId::MAX, false).map(|e| e.id()).collect();
        assert_eq!(ids, vec![StreamId::new(1, 1), StreamId::new(1, 2), StreamId::new(2, 0)]);
        let e = s.get(StreamId::new(1, 2)).unwrap();
        assert_eq!(e.pairs(), vec![(&b"a"[..], &b"3"[..]), (&b"b"[..], &b"4"[..])]);
        assert_eq!(s.get(StreamId::new(2, 0)).unwrap().pairs(), vec![(&b"c"[..], &b"5"[..])]);
        assert_eq!(s.delete_ids(&[StreamId::new(1, 1)]), 1);
        assert_eq!(s.first_id, StreamId::new(1, 2));
        let rev: Vec<_> = s.range(StreamId::MIN, StreamId::MAX, true).map(|e| e.id()).collect();
        assert_eq!(rev, vec![StreamId::new(2, 0), StreamId::new(1, 2)]);
        assert_eq!(s.next_id(Some((StreamId::new(2, 0), Seq::Auto)), 0), Ok(StreamId::new(2, 1)));
        assert_eq!(s.next_id(Some((StreamId::new(2, 0), Seq::Given)), 0), Err(AddError::NotGreater));
    }

    #[test]
    fn nodes_split_by_entries() {
        let mut s = Stream::new();
        for i in 1..=250 {
            add(&mut s, i, 0, &["f", "v"]);
        }
        assert_eq!(s.node_count(), 3);
        assert_eq!(s.trim(Trim::MaxLen(120), true, 0), 100);
        assert_eq!(s.len(), 150);
        assert_eq!(s.trim(Trim::MaxLen(120), false, 0), 30);
        assert_eq!(s.first_id, StreamId::new(131, 0));
    }

    /// Random appends, deletes and trims agree with a plain ordered map of live entries.
    #[test]
    fn matches_a_simple_model() {
        let mut seed: u64 = 0x1234_5678;
        let mut rnd = |n: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % n
        };
        let limits = NodeLimits { max_bytes: 300, max_entries: 7 };
        let mut s = Stream::new();
        let mut model: BTreeMap<StreamId, Vec<u8>> = BTreeMap::new();
        let mut next = 0u64;
        for _ in 0..5000 {
            match rnd(10) {
                0..=5 => {
                    next += 1 + rnd(3);
                    let id = StreamId::new(next / 2, next % 2);
                    let v = vec![b'v'; rnd(40) as usize];
                    s.append(id, &[&b"f"[..], &v[..]], limits).unwrap();
                    model.insert(id, v);
                }
                6 | 7 => {
                    let id = StreamId::new(rnd(next / 2 + 1), rnd(2));
                    let n = s.delete_ids(&[id]);
                    assert_eq!(n, usize::from(model.remove(&id).is_some()));
                }
                8 => {
                    let max = rnd(60);
                    s.trim(Trim::MaxLen(max), false, 0);
                    while model.len() as u64 > max {
                        model.pop_first();
                    }
                }
                _ => {
                    let min = StreamId::new(rnd(next / 2 + 1), 0);
                    s.trim(Trim::MinId(min), false, 0);
                    model.retain(|k, _| *k >= min);
                }
            }
            assert_eq!(s.len(), model.len() as u64);
            let a = StreamId::new(rnd(next / 2 + 2), rnd(2));
            let b = StreamId::new(rnd(next / 2 + 2), rnd(2));
            let got: Vec<_> = s.range(a, b, false).map(|e| (e.id(), e.pairs()[0].1.to_vec())).collect();
            let want: Vec<_> = if a <= b { model.range(a..=b).map(|(k, v)| (*k, v.clone())).collect() } else { Vec::new() };
            assert_eq!(got, want);
            let rev: Vec<_> = s.range(a, b, true).map(|e| e.id()).collect();
            assert_eq!(rev, want.iter().rev().map(|(k, _)| *k).collect::<Vec<_>>());
            assert_eq!(s.first_id, model.keys().next().copied().unwrap_or(StreamId::MIN));
            assert_eq!(s.last_live_id(), model.keys().next_back().copied());
        }
    }

    /// DEBUG DIGEST-VALUE taken from redis-server 7.0.15 after `XADD s 1-1 a 1 b 2`,
    /// `XADD s 2-1 a 1`, `XADD s 3-1 a 1 c 2`, `XDEL s 2-1`.
    #[test]
    fn digest_matches_redis() {
        let mut s = Stream::new();
        add(&mut s, 1, 1, &["a", "1", "b", "2"]);
        add(&mut s, 2, 1, &["a", "1"]);
        add(&mut s, 3, 1, &["a", "1", "c", "2"]);
        s.delete_ids(&[StreamId::new(2, 1)]);
        let v = crate::Value::Stream(Box::new(s));
        assert_eq!(crate::digest::hex(&crate::digest::value_digest(&v, false)), "10fa00d3cc42d2d22fc97a4238a1bbf39cbfc523");
    }

    #[test]
    fn rax_node_counts() {
        assert_eq!(rax_count(&[StreamId::new(1, 1).to_be_bytes()], 0), 2);
        let two = [StreamId::new(1, 1).to_be_bytes(), StreamId::new(1, 2).to_be_bytes()];
        assert_eq!(rax_count(&two, 0), 4);
    }
}
