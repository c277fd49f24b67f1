//! Streams in RDB files as Redis 7.0 writes and reads them (`rdb.c`, the `OBJ_STREAM`
//! branches of `rdbSaveObject` and `rdbLoadObject`): each node as its 16-byte master ID
//! and the listpack Redis would hold for it (`t_stream.c`'s layout), then the stream's
//! counters, then the consumer groups with their PELs and consumers.
//!
//! A node's listpack: the master entry (live count, deleted count, number of master
//! fields, the fields, a 0 terminator), then per entry its flags, ms and seq differences
//! from the master ID, the values only (same fields as the master) or the field count and
//! the fields and values, and the number of listpack elements the entry took.

use std::collections::BTreeSet;
use std::sync::Arc;

use super::listpack::{self, ListpackBuilder, LpEntry};
use super::write::{write_len, write_string};
use crate::types::stream::{Consumer, Group, Nack, RawEntry, RawNode, Stream, StreamId};

/// Entry flags in a node's listpack (`STREAM_ITEM_FLAG_*`).
const FLAG_DELETED: i64 = 1;
const FLAG_SAMEFIELDS: i64 = 2;

/// The listpack bytes Redis holds for `node`.
pub fn node_listpack(node: &RawNode<'_>) -> Vec<u8> {
    let mut lp = ListpackBuilder::new();
    lp.push_int(node.live as i64);
    lp.push_int(node.deleted as i64);
    lp.push_int(node.master_fields.len() as i64);
    for f in &node.master_fields {
        lp.push(f);
    }
    lp.push_int(0);
    for e in &node.entries {
        let mut flags = 0;
        if e.deleted {
            flags |= FLAG_DELETED;
        }
        if e.same_fields {
            flags |= FLAG_SAMEFIELDS;
        }
        lp.push_int(flags);
        // Redis stores the unsigned differences through `int64_t`.
        lp.push_int(e.id.ms.wrapping_sub(node.master.ms) as i64);
        lp.push_int(e.id.seq.wrapping_sub(node.master.seq) as i64);
        let numfields = if e.same_fields { e.items.len() } else { e.items.len() / 2 };
        let mut lp_count = numfields as i64 + 3;
        if !e.same_fields {
            lp.push_int(numfields as i64);
            lp_count += numfields as i64 + 1;
        }
        for item in &e.items {
            lp.push(item);
        }
        lp.push_int(lp_count);
    }
    lp.finish()
}

fn write_id(out: &mut Vec<u8>, id: StreamId) {
    write_len(out, id.ms);
    write_len(out, id.seq);
}

/// The body of a `STREAM_LISTPACKS_2` value.
pub fn write_stream(out: &mut Vec<u8>, s: &Stream, compress: bool) {
    write_len(out, s.node_count() as u64);
    for node in s.raw_nodes() {
        write_string(out, &node.master.to_be_bytes(), compress);
        write_string(out, &node_listpack(&node), compress);
    }
    write_len(out, s.len());
    write_id(out, s.last_id);
    write_id(out, s.first_id);
    write_id(out, s.max_deleted_id);
    write_len(out, s.entries_added);
    let Some(groups) = &s.groups else {
        write_len(out, 0);
        return;
    };
    write_len(out, groups.len() as u64);
    for (name, g) in groups.iter() {
        write_string(out, name, compress);
        write_id(out, g.last_id);
        // Redis keeps an unknown counter as -1 and saves it as a length.
        write_len(out, g.entries_read.unwrap_or(u64::MAX));
        write_len(out, g.pel.len() as u64);
        for (id, nack) in &g.pel {
            out.extend_from_slice(&id.to_be_bytes());
            out.extend_from_slice(&nack.delivery_time.to_le_bytes());
            write_len(out, nack.delivery_count);
        }
        write_len(out, g.consumers.len() as u64);
        for c in g.consumers.values() {
            write_string(out, &c.name, compress);
            out.extend_from_slice(&c.seen_time.to_le_bytes());
            write_len(out, c.pel.len() as u64);
            for id in &c.pel {
                out.extend_from_slice(&id.to_be_bytes());
            }
        }
    }
}

/// The ID a 16-byte big-endian key holds.
pub fn id_from_be(b: &[u8]) -> Option<StreamId> {
    let a: [u8; 16] = b.try_into().ok()?;
    let ms = u64::from_be_bytes(a[..8].try_into().ok()?);
    let seq = u64::from_be_bytes(a[8..].try_into().ok()?);
    Some(StreamId::new(ms, seq))
}

/// Decodes and validates a node's listpack (Redis's `streamValidateListpackIntegrity`
/// with deep checks): the master entry, every entry's flags, ID differences, fields and
/// element count, the counters against the flags. Integers stay as strings where the
/// listpack stored them as integers, as clients see them.
pub fn decode_node<'a>(master: StreamId, lp: &'a [u8], owned: &'a mut Vec<Vec<u8>>) -> Result<RawNode<'a>, String> {
    let items = listpack::decode(lp)?;
    if items.is_empty() {
        return Err("Empty listpack inside stream".into());
    }
    // Integer elements that are fields or values need their text form; keep it in
    // `owned` so the node can borrow it.
    let mut pos = 0usize;
    let int_at = |pos: &mut usize, what: &str| -> Result<i64, String> {
        let e = items.get(*pos).ok_or_else(|| format!("Stream listpack integrity check failed: missing {what}"))?;
        *pos += 1;
        match e {
            LpEntry::Int(i) => Ok(*i),
            LpEntry::Str(_) => Err(format!("Stream listpack integrity check failed: {what} is not an integer")),
        }
    };
    let count = int_at(&mut pos, "entry count")?;
    let deleted = int_at(&mut pos, "deleted count")?;
    let nfields = int_at(&mut pos, "master field count")?;
    if count < 0 || deleted < 0 || nfields < 0 || nfields as u64 > items.len() as u64 {
        return Err("Stream listpack integrity check failed: bad master entry".into());
    }
    let mut spans: Vec<(usize, usize)> = Vec::new();
    let master_span = (pos, nfields as usize);
    pos += nfields as usize;
    if int_at(&mut pos, "master terminator")? != 0 {
        return Err("Stream listpack integrity check failed: bad master terminator".into());
    }
    struct Parsed {
        id: StreamId,
        deleted: bool,
        same: bool,
        span: usize,
    }
    let mut parsed = Vec::new();
    let (mut live_seen, mut deleted_seen) = (0i64, 0i64);
    while pos < items.len() {
        let flags = int_at(&mut pos, "entry flags")?;
        let ms = int_at(&mut pos, "entry ID")? as u64;
        let seq = int_at(&mut pos, "entry ID")? as u64;
        let same = flags & FLAG_SAMEFIELDS != 0;
        let fields = if same { nfields } else { int_at(&mut pos, "entry field count")? };
        if fields < 0 || fields as u64 > items.len() as u64 {
            return Err("Stream listpack integrity check failed: bad field count".into());
        }
        let n = if same { fields as usize } else { fields as usize * 2 };
        if pos + n > items.len() {
            return Err("Stream listpack integrity check failed: entry out of range".into());
        }
        spans.push((pos, n));
        pos += n;
        let extra = if same { 3 } else { 3 + fields + 1 };
        if int_at(&mut pos, "entry element count")? != fields + extra {
            return Err("Stream listpack integrity check failed: bad entry element count".into());
        }
        let del = flags & FLAG_DELETED != 0;
        if del {
            deleted_seen += 1;
        } else {
            live_seen += 1;
        }
        let id = StreamId::new(master.ms.wrapping_add(ms), master.seq.wrapping_add(seq));
        parsed.push(Parsed { id, deleted: del, same, span: spans.len() - 1 });
    }
    if live_seen != count || deleted_seen != deleted {
        return Err("Stream listpack integrity check failed: entry counts do not match the master entry".into());
    }
    // Text forms of every integer element, so the node can borrow them.
    *owned = items.iter().map(|e| if let LpEntry::Int(i) = e { i.to_string().into_bytes() } else { Vec::new() }).collect();
    let owned: &'a Vec<Vec<u8>> = owned;
    let text = |i: usize| -> &'a [u8] {
        match items[i] {
            LpEntry::Str(s) => s,
            LpEntry::Int(_) => &owned[i],
        }
    };
    let master_fields = (master_span.0..master_span.0 + master_span.1).map(text).collect();
    let entries = parsed
        .iter()
        .map(|p| {
            let (start, n) = spans[p.span];
            RawEntry { id: p.id, deleted: p.deleted, same_fields: p.same, items: (start..start + n).map(text).collect() }
        })
        .collect();
    Ok(RawNode { master, master_fields, live: count as usize, deleted: deleted as usize, entries })
}

/// Builds a group from its PEL and consumers, checking them as Redis does: every
/// consumer PEL entry must be in the group PEL and appear in one consumer only, and
/// (Rhodium keeps an owner on every pending entry) every group PEL entry must have one.
pub fn build_group(last_id: StreamId, entries_read: Option<u64>, pel: Vec<(StreamId, i64, u64)>, consumers: Vec<(Vec<u8>, i64, Vec<StreamId>)>) -> Result<Group, String> {
    let mut g = Group::new(last_id, entries_read);
    let mut owner: std::collections::BTreeMap<StreamId, (i64, u64, Option<Arc<[u8]>>)> = std::collections::BTreeMap::new();
    for (id, time, count) in pel {
        if owner.insert(id, (time, count, None)).is_some() {
            return Err("Duplicated global PEL entry loading stream consumer group".into());
        }
    }
    for (name, seen, ids) in consumers {
        let name: Arc<[u8]> = Arc::from(name);
        if g.consumers.contains_key(&name) {
            return Err("Duplicate stream consumer detected".into());
        }
        let mut set = BTreeSet::new();
        for id in ids {
            let Some(slot) = owner.get_mut(&id) else {
                return Err("Consumer entry not found in group global PEL".into());
            };
            if slot.2.is_some() || !set.insert(id) {
                return Err("Duplicated consumer PEL entry loading a stream consumer group".into());
            }
            slot.2 = Some(name.clone());
        }
        g.consumers.insert(name.clone(), Consumer { name, seen_time: seen, pel: set });
    }
    for (id, (time, count, who)) in owner {
        let consumer = who.ok_or("Stream CG PEL entry without consumer")?;
        g.pel.insert(id, Nack { delivery_time: time, delivery_count: count, consumer });
    }
    Ok(g)
}
