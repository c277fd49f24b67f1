//! Reading RDB files of versions 1 to 10 and DUMP payloads, as Redis 7.0's `rdbLoadRio` and
//! `rdbLoadObject` do: every type and encoding Redis 7.0 reads (ziplists, zipmaps, intsets,
//! quicklists v1 and v2, listpacks), aux fields, function libraries, module aux data that
//! can be skipped, LRU/LFU hints. Values are rebuilt in the encodings Redis would pick for
//! the configured thresholds.
//!
//! Nothing here trusts the input: every length is checked against the bytes left, every
//! embedded blob is validated whole, and every failure is an [`RdbError`] naming the
//! offset where the failing item starts.

use std::borrow::Cow;

use super::error::{RdbError, RdbErrorKind};
use super::listpack::LpEntry;
use super::stream::{build_group, decode_node, id_from_be};
use super::{crc64::crc64, intset, listpack, lzf, opcodes, types, ziplist, zipmap, QUICKLIST_NODE_PACKED, QUICKLIST_NODE_PLAIN, RDB_VERSION};
use crate::types::hash::{Hash, Limits as HashLimits};
use crate::types::list::{End, List};
use crate::types::dense::Dense;
use crate::types::intset::Intset;
use crate::types::set::{HashMembers, SetValue};
use crate::types::stream::{LoadNodeError, Stream, StreamId};
use crate::types::zset::ZSet;
use crate::value::Value;

/// The encoding thresholds values are rebuilt with, and load-time checks.
#[derive(Debug, Clone, Copy)]
pub struct LoadLimits {
    pub hash: HashLimits,
    pub zset_entries: usize,
    pub zset_value: usize,
    pub set_intset_entries: usize,
    /// `databases`: a SELECTDB beyond it is an error.
    pub databases: usize,
    /// `rdbchecksum`: verify the trailing CRC-64 (skipped anyway when the file has 0).
    pub verify_checksum: bool,
}

impl Default for LoadLimits {
    /// Redis 7.0's defaults.
    fn default() -> Self {
        LoadLimits { hash: HashLimits::default(), zset_entries: 128, zset_value: 64, set_intset_entries: 512, databases: 16, verify_checksum: true }
    }
}

/// One key read from a file.
#[derive(Debug)]
pub struct LoadedKey {
    pub db: usize,
    pub key: Vec<u8>,
    pub value: Value,
    /// Absolute expiry in Unix milliseconds.
    pub expire_ms: Option<i64>,
    /// Seconds idle (RDB_OPCODE_IDLE), written when the saver used an LRU policy.
    pub idle_secs: Option<u64>,
    /// LFU counter (RDB_OPCODE_FREQ), written when the saver used an LFU policy.
    pub freq: Option<u8>,
}

/// What a load found besides keys.
#[derive(Debug, Default)]
pub struct LoadSummary {
    pub version: u16,
    /// Aux fields in file order.
    pub aux: Vec<(Vec<u8>, Vec<u8>)>,
    /// Function library code (FUNCTION2), kept raw for the scripting engine to load.
    pub functions: Vec<Vec<u8>>,
    pub keys_loaded: u64,
    /// Empty collections found and skipped, as Redis 7.0 does.
    pub empty_keys_skipped: u64,
    /// Module aux sections skipped (Rhodium has no modules).
    pub module_aux_skipped: u64,
    /// Where the RDB ends in the input (an AOF with an RDB preamble continues with
    /// commands there).
    pub end: usize,
}

impl LoadSummary {
    /// An aux field's value.
    pub fn aux_value(&self, key: &[u8]) -> Option<&[u8]> {
        self.aux.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v.as_slice())
    }
}

type Result<T> = std::result::Result<T, RdbError>;

/// A bounds-checked cursor over the input.
struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn corrupt(&self, at: usize, reason: impl Into<String>) -> RdbError {
        RdbError::new(RdbErrorKind::Corrupt, at, reason)
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        match self.pos.checked_add(n).filter(|&e| e <= self.data.len()) {
            Some(end) => {
                let s = &self.data[self.pos..end];
                self.pos = end;
                Ok(s)
            }
            None => Err(RdbError::new(RdbErrorKind::Truncated, self.pos, "Short read or unexpected end of file")),
        }
    }

    fn u8(&mut self) -> Result<u8> {
        Ok(self.take(1)?[0])
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N]> {
        let mut a = [0u8; N];
        a.copy_from_slice(self.take(N)?);
        Ok(a)
    }

    fn remaining(&self) -> usize {
        self.data.len() - self.pos
    }

    /// A length or a special string encoding (Redis's `rdbLoadLenByRef`).
    fn len_or_enc(&mut self) -> Result<(u64, bool)> {
        let b = self.u8()?;
        Ok(match b >> 6 {
            0 => (u64::from(b & 0x3f), false),
            1 => (u64::from(b & 0x3f) << 8 | u64::from(self.u8()?), false),
            3 => (u64::from(b & 0x3f), true),
            _ => match b {
                0x80 => (u64::from(u32::from_be_bytes(self.array()?)), false),
                0x81 => (u64::from_be_bytes(self.array()?), false),
                _ => return Err(self.corrupt(self.pos - 1, format!("Unknown length encoding {b} in rdbLoadLen()"))),
            },
        })
    }

    fn len(&mut self) -> Result<u64> {
        let at = self.pos;
        match self.len_or_enc()? {
            (n, false) => Ok(n),
            (_, true) => Err(self.corrupt(at, "Unexpected string encoding where a length was expected")),
        }
    }

    /// A length used as a count of following items: it cannot exceed the bytes left.
    fn count(&mut self) -> Result<usize> {
        let at = self.pos;
        let n = self.len()?;
        if n > self.remaining() as u64 {
            return Err(RdbError::new(RdbErrorKind::Truncated, at, format!("Length {n} larger than the rest of the input")));
        }
        Ok(n as usize)
    }

    /// A string in any encoding (Redis's `rdbGenericLoadStringObject`).
    fn string(&mut self) -> Result<Cow<'a, [u8]>> {
        let at = self.pos;
        let (n, encoded) = self.len_or_enc()?;
        if !encoded {
            let n = usize::try_from(n).map_err(|_| self.corrupt(at, "String length out of range"))?;
            return Ok(Cow::Borrowed(self.take(n)?));
        }
        let int = match n {
            0 => i64::from(self.u8()? as i8),
            1 => i64::from(i16::from_le_bytes(self.array()?)),
            2 => i64::from(i32::from_le_bytes(self.array()?)),
            3 => {
                let clen = self.len()?;
                let ulen = self.len()?;
                // LZF expands at most ~90 times; a larger claim is corruption, and
                // checking it first keeps a forged length from allocating gigabytes.
                if clen > self.remaining() as u64 || ulen > clen.saturating_mul(100).saturating_add(64) || ulen == 0 {
                    return Err(self.corrupt(at, "Invalid LZF compressed string"));
                }
                let comp = self.take(clen as usize)?;
                return lzf::decompress(comp, ulen as usize).map(Cow::Owned).ok_or_else(|| self.corrupt(at, "Invalid LZF compressed string"));
            }
            _ => return Err(self.corrupt(at, format!("Unknown RDB string encoding type {n}"))),
        };
        Ok(Cow::Owned(itoa::Buffer::new().format(int).as_bytes().to_vec()))
    }

    /// A score of the old ZSET type: a length byte, or 253/254/255 for nan/+inf/-inf.
    fn string_double(&mut self) -> Result<f64> {
        let at = self.pos;
        let n = self.u8()?;
        match n {
            253 => Ok(f64::NAN),
            254 => Ok(f64::INFINITY),
            255 => Ok(f64::NEG_INFINITY),
            _ => {
                let s = self.take(n as usize)?;
                std::str::from_utf8(s).ok().and_then(|t| t.parse::<f64>().ok()).ok_or_else(|| self.corrupt(at, "Bad double value"))
            }
        }
    }

    fn binary_double(&mut self) -> Result<f64> {
        Ok(f64::from_le_bytes(self.array()?))
    }
}

/// Loads a whole RDB file held in memory, handing each key to `on_key` (which may refuse
/// it, e.g. a duplicate, with a reason). Keys already past their expiry are handed over
/// too: the caller decides.
pub fn load(data: &[u8], limits: &LoadLimits, mut on_key: impl FnMut(LoadedKey) -> std::result::Result<(), String>) -> Result<LoadSummary> {
    let mut r = Reader { data, pos: 0 };
    let magic = r.take(9).map_err(|e| RdbError { reason: "Wrong signature trying to load DB from file".into(), ..e })?;
    if &magic[..5] != b"REDIS" {
        return Err(r.corrupt(0, "Wrong signature trying to load DB from file"));
    }
    let version = std::str::from_utf8(&magic[5..]).ok().and_then(|v| v.parse::<u16>().ok()).unwrap_or(0);
    if !(1..=RDB_VERSION).contains(&version) {
        return Err(r.corrupt(5, format!("Can't handle RDB format version {version}")));
    }
    let mut summary = LoadSummary { version, ..LoadSummary::default() };
    let mut db = 0usize;
    let mut expire: Option<i64> = None;
    let mut idle: Option<u64> = None;
    let mut freq: Option<u8> = None;
    loop {
        let at = r.pos;
        let t = r.u8()?;
        match t {
            opcodes::EXPIRETIME => {
                expire = Some(i64::from(i32::from_le_bytes(r.array()?)) * 1000);
            }
            opcodes::EXPIRETIME_MS => expire = Some(i64::from_le_bytes(r.array()?)),
            opcodes::FREQ => freq = Some(r.u8()?),
            opcodes::IDLE => idle = Some(r.len()?),
            opcodes::EOF => break,
            opcodes::SELECTDB => {
                let n = r.len()?;
                if n >= limits.databases as u64 {
                    return Err(r.corrupt(at, format!("FATAL: Data file was created with a Redis server configured to handle more than {} databases", limits.databases)));
                }
                db = n as usize;
            }
            opcodes::RESIZEDB => {
                r.len()?;
                r.len()?;
            }
            opcodes::AUX => {
                let k = r.string()?.into_owned();
                let v = r.string()?.into_owned();
                summary.aux.push((k, v));
            }
            opcodes::MODULE_AUX => {
                skip_module_aux(&mut r)?;
                summary.module_aux_skipped += 1;
            }
            opcodes::FUNCTION_PRE_GA => return Err(r.corrupt(at, "Pre-release function format not supported")),
            opcodes::FUNCTION2 => summary.functions.push(r.string()?.into_owned()),
            _ => {
                let key = r.string()?.into_owned();
                match read_value(&mut r, t, at, limits)? {
                    Some(value) => {
                        let k = LoadedKey { db, key, value, expire_ms: expire, idle_secs: idle, freq };
                        on_key(k).map_err(|reason| r.corrupt(at, reason))?;
                        summary.keys_loaded += 1;
                    }
                    None => summary.empty_keys_skipped += 1,
                }
                expire = None;
                idle = None;
                freq = None;
            }
        }
    }
    if version >= 5 {
        let at = r.pos;
        let expected = u64::from_le_bytes(r.array()?);
        if limits.verify_checksum && expected != 0 {
            let got = crc64(0, &data[..at]);
            if got != expected {
                return Err(r.corrupt(at, format!("Wrong RDB checksum expected: ({expected:x}) got ({got:x}). Aborting now.")));
            }
        }
    }
    summary.end = r.pos;
    Ok(summary)
}

/// Skips a module aux section in the self-describing format of module API v2 (Redis's
/// `rdbLoadCheckModuleValue`).
fn skip_module_aux(r: &mut Reader<'_>) -> Result<()> {
    let at = r.pos;
    let module_id = r.len()?;
    if module_id & 1023 != 2 {
        return Err(r.corrupt(at, "Module aux data in a format that cannot be skipped"));
    }
    let when_opcode = r.len()?;
    if when_opcode != 2 {
        return Err(r.corrupt(at, "bad when_opcode"));
    }
    r.len()?;
    skip_module_value(r)
}

fn skip_module_value(r: &mut Reader<'_>) -> Result<()> {
    loop {
        let at = r.pos;
        match r.len()? {
            0 => return Ok(()),
            1 | 2 => {
                r.len()?;
            }
            3 => {
                r.take(4)?;
            }
            4 => {
                r.take(8)?;
            }
            5 => {
                r.string()?;
            }
            op => return Err(r.corrupt(at, format!("Unknown module opcode {op}"))),
        }
    }
}

/// Verifies a DUMP payload's footer (Redis's `verifyDumpPayload`): an RDB version Rhodium
/// reads and, unless skipped, a matching CRC-64.
pub fn verify_dump_payload(p: &[u8], skip_checksum: bool) -> bool {
    if p.len() < 10 {
        return false;
    }
    let footer = &p[p.len() - 10..];
    let version = u16::from_le_bytes([footer[0], footer[1]]);
    if version > RDB_VERSION {
        return false;
    }
    if skip_checksum {
        return true;
    }
    let crc = u64::from_le_bytes([footer[2], footer[3], footer[4], footer[5], footer[6], footer[7], footer[8], footer[9]]);
    crc64(0, &p[..p.len() - 8]) == crc
}

/// Reads the value of a verified DUMP payload (type byte + value + footer).
/// An empty collection is an error here, as RESTORE answers "Bad data format".
pub fn load_dump_payload(p: &[u8], limits: &LoadLimits) -> Result<Value> {
    // The reader sees the footer too, as Redis's does: a value that claims more bytes than
    // its body has reads into the footer instead of failing.
    let mut r = Reader { data: p, pos: 0 };
    let t = r.u8()?;
    read_value(&mut r, t, 0, limits)?.ok_or_else(|| r.corrupt(0, "Empty keys are not allowed"))
}

/// A value of type `t` whose type byte is at `type_at` (Redis's `rdbLoadObject`); `None`
/// for an empty collection, which Redis 7.0 skips.
fn read_value(r: &mut Reader<'_>, t: u8, type_at: usize, limits: &LoadLimits) -> Result<Option<Value>> {
    let at = r.pos;
    let value = match t {
        types::STRING => Some(Value::string(&r.string()?)),
        types::LIST => {
            let n = r.count()?;
            let mut l = List::new();
            for _ in 0..n {
                l.push(End::Right, &r.string()?);
            }
            list_value(l)
        }
        types::LIST_ZIPLIST => {
            let blob = r.string()?;
            let mut l = List::new();
            for e in ziplist::decode(&blob).map_err(|m| r.corrupt(at, m))? {
                l.push(End::Right, &e.to_bytes());
            }
            list_value(l)
        }
        types::LIST_QUICKLIST | types::LIST_QUICKLIST_2 => {
            let nodes = r.count()?;
            let mut l = List::new();
            for _ in 0..nodes {
                let node_at = r.pos;
                let container = if t == types::LIST_QUICKLIST_2 { r.len()? } else { QUICKLIST_NODE_PACKED };
                let blob = r.string()?;
                match container {
                    QUICKLIST_NODE_PLAIN => l.push(End::Right, &blob),
                    QUICKLIST_NODE_PACKED => {
                        let entries = if t == types::LIST_QUICKLIST { ziplist::decode(&blob) } else { listpack::decode(&blob) };
                        for e in entries.map_err(|m| r.corrupt(node_at, format!("Quicklist integrity check failed: {m}")))? {
                            l.push(End::Right, &e.to_bytes());
                        }
                    }
                    _ => return Err(r.corrupt(node_at, format!("Quicklist integrity check failed: unknown container {container}"))),
                }
            }
            list_value(l)
        }
        types::SET => {
            let n = r.count()?;
            let mut s = if n > limits.set_intset_entries { SetValue::Hash(HashMembers::default()) } else { SetValue::empty_intset() };
            for _ in 0..n {
                let m_at = r.pos;
                let m = r.string()?;
                if !s.add(&m, limits.set_intset_entries) {
                    return Err(r.corrupt(m_at, "Duplicate set members detected"));
                }
            }
            (!s.is_empty()).then(|| Value::Set(Box::new(s)))
        }
        types::SET_INTSET => {
            let blob = r.string()?;
            let members = intset::decode(&blob).map_err(|m| r.corrupt(at, format!("Intset integrity check failed: {m}")))?;
            if members.is_empty() {
                None
            } else if members.len() > limits.set_intset_entries {
                let mut h: HashMembers = Box::new(Dense::with_capacity(members.len()));
                for i in members {
                    h.insert(itoa::Buffer::new().format(i).as_bytes().into());
                }
                Some(Value::Set(Box::new(SetValue::Hash(h))))
            } else {
                // Decoded members are sorted and distinct: each insert appends.
                let mut set = Intset::new();
                for i in members {
                    set.insert(i);
                }
                Some(Value::Set(Box::new(SetValue::Intset(set))))
            }
        }
        types::HASH => {
            let n = r.count()?;
            let mut h = Hash::new();
            if n > limits.hash.entries {
                h.convert_to_table();
            }
            for _ in 0..n {
                let f_at = r.pos;
                let f = r.string()?;
                let v = r.string()?;
                if !h.set(&f, &v, limits.hash) {
                    return Err(r.corrupt(f_at, "Duplicate hash fields detected"));
                }
            }
            hash_value(h)
        }
        types::HASH_ZIPMAP => {
            let blob = r.string()?;
            let pairs = zipmap::decode(&blob).map_err(|m| r.corrupt(at, format!("Zipmap integrity check failed: {m}")))?;
            let mut h = Hash::new();
            for (f, v) in pairs {
                if !h.set(f, v, limits.hash) {
                    return Err(r.corrupt(at, "Duplicate hash fields detected"));
                }
            }
            hash_value(h)
        }
        types::HASH_ZIPLIST | types::HASH_LISTPACK => {
            let blob = r.string()?;
            let entries = decode_blob(t == types::HASH_ZIPLIST, &blob).map_err(|m| r.corrupt(at, format!("Hash listpack integrity check failed: {m}")))?;
            if entries.len() % 2 != 0 {
                return Err(r.corrupt(at, "Hash listpack integrity check failed: odd number of entries"));
            }
            let mut h = Hash::new();
            for pair in entries.chunks_exact(2) {
                if !h.set(&pair[0].to_bytes(), &pair[1].to_bytes(), limits.hash) {
                    return Err(r.corrupt(at, "Duplicate hash fields detected"));
                }
            }
            hash_value(h)
        }
        types::ZSET | types::ZSET_2 => {
            let n = r.count()?;
            let mut z = ZSet::default();
            z.convert_to_skiplist();
            for _ in 0..n {
                let m_at = r.pos;
                let m = r.string()?;
                let score = if t == types::ZSET { r.string_double()? } else { r.binary_double()? };
                if score.is_nan() {
                    return Err(r.corrupt(m_at, "Zset with NAN score detected"));
                }
                if z.score(&m).is_some() {
                    return Err(r.corrupt(m_at, "Duplicate zset fields detected"));
                }
                z.insert(score, &m, usize::MAX, usize::MAX);
            }
            z.convert_to_listpack_if_fits(limits.zset_entries, limits.zset_value);
            zset_value(z)
        }
        types::ZSET_ZIPLIST | types::ZSET_LISTPACK => {
            let blob = r.string()?;
            let entries = decode_blob(t == types::ZSET_ZIPLIST, &blob).map_err(|m| r.corrupt(at, format!("Zset listpack integrity check failed: {m}")))?;
            if entries.len() % 2 != 0 {
                return Err(r.corrupt(at, "Zset listpack integrity check failed: odd number of entries"));
            }
            let mut z = ZSet::default();
            if entries.len() / 2 > limits.zset_entries {
                z.convert_to_skiplist();
            }
            for pair in entries.chunks_exact(2) {
                let m = pair[0].to_bytes();
                let score = match pair[1] {
                    LpEntry::Int(i) => i as f64,
                    LpEntry::Str(s) => rhodium_protocol::number::parse_f64(s).ok_or_else(|| r.corrupt(at, "Zset listpack integrity check failed: bad score"))?,
                };
                if z.score(&m).is_some() {
                    return Err(r.corrupt(at, "Duplicate zset fields detected"));
                }
                z.insert(score, &m, usize::MAX, usize::MAX);
            }
            zset_value(z)
        }
        types::STREAM_LISTPACKS | types::STREAM_LISTPACKS_2 => Some(Value::Stream(Box::new(read_stream(r, t == types::STREAM_LISTPACKS_2)?))),
        types::MODULE | types::MODULE_2 => {
            return Err(RdbError::new(RdbErrorKind::Unsupported, type_at, "module value types are not supported"));
        }
        _ => return Err(r.corrupt(type_at, format!("Unknown RDB encoding type {t}"))),
    };
    Ok(value)
}

/// A stream (types 15 and 19; `v2` has the first ID, the maximum deleted ID, the
/// entries-added counter and the groups' read counters).
fn read_stream(r: &mut Reader<'_>, v2: bool) -> Result<Stream> {
    let mut s = Stream::new();
    let nodes = r.count()?;
    for _ in 0..nodes {
        let at = r.pos;
        let key = r.string()?;
        let master = id_from_be(&key).ok_or_else(|| r.corrupt(at, "Stream node key entry is not the size of a stream ID"))?;
        let lp_at = r.pos;
        let blob = r.string()?;
        let mut owned = Vec::new();
        let node = decode_node(master, &blob, &mut owned).map_err(|m| r.corrupt(lp_at, m))?;
        s.load_node(&node).map_err(|e| {
            r.corrupt(
                at,
                match e {
                    LoadNodeError::Empty => "Empty listpack inside stream",
                    LoadNodeError::Order => "Stream node entries out of order",
                    LoadNodeError::Fields => "Stream listpack integrity check failed: bad fields",
                },
            )
        })?;
    }
    let at = r.pos;
    let length = r.len()?;
    if length != s.len() {
        return Err(r.corrupt(at, "Stream length inconsistent with rax entries"));
    }
    let at = r.pos;
    s.last_id = read_id(r)?;
    if s.last_id_with_tombstones().is_some_and(|last| last > s.last_id) {
        return Err(r.corrupt(at, "Stream last ID lower than an entry ID"));
    }
    if v2 {
        s.first_id = read_id(r)?;
        s.max_deleted_id = read_id(r)?;
        s.entries_added = r.len()?;
    } else {
        // Redis 7.0 derives what older files lack.
        let first = s.range(StreamId::MIN, StreamId::MAX, false).next().map_or(StreamId::MIN, |e| e.id());
        s.first_id = first;
        s.entries_added = s.len();
    }
    let groups = r.count()?;
    for _ in 0..groups {
        let at = r.pos;
        let name = r.string()?.into_owned();
        let last_id = read_id(r)?;
        let entries_read = if v2 {
            Some(r.len()?).filter(|&n| n != u64::MAX)
        } else {
            s.estimate_distance(last_id)
        };
        let n = r.count()?;
        let mut pel = Vec::with_capacity(n.min(1 << 16));
        for _ in 0..n {
            let id = raw_id(r)?;
            let time = i64::from_le_bytes(r.array()?);
            let count = r.len()?;
            pel.push((id, time, count));
        }
        let n = r.count()?;
        let mut consumers = Vec::with_capacity(n.min(1 << 16));
        for _ in 0..n {
            let cname = r.string()?.into_owned();
            let seen = i64::from_le_bytes(r.array()?);
            let k = r.count()?;
            let mut ids = Vec::with_capacity(k.min(1 << 16));
            for _ in 0..k {
                ids.push(raw_id(r)?);
            }
            consumers.push((cname, seen, ids));
        }
        let g = build_group(last_id, entries_read, pel, consumers).map_err(|m| r.corrupt(at, m))?;
        if s.group(&name).is_some() {
            return Err(r.corrupt(at, "Duplicated consumer group name"));
        }
        s.create_group(&name, last_id, entries_read);
        if let Some(slot) = s.group_mut(&name) {
            *slot = g;
        }
    }
    Ok(s)
}

fn read_id(r: &mut Reader<'_>) -> Result<StreamId> {
    let ms = r.len()?;
    let seq = r.len()?;
    Ok(StreamId::new(ms, seq))
}

/// A 16-byte big-endian ID written raw (the PEL entries).
fn raw_id(r: &mut Reader<'_>) -> Result<StreamId> {
    let ms: [u8; 8] = r.array()?;
    let seq: [u8; 8] = r.array()?;
    Ok(StreamId::new(u64::from_be_bytes(ms), u64::from_be_bytes(seq)))
}

fn decode_blob(ziplist: bool, blob: &[u8]) -> std::result::Result<Vec<LpEntry<'_>>, String> {
    if ziplist {
        ziplist::decode(blob)
    } else {
        listpack::decode(blob)
    }
}

fn list_value(l: List) -> Option<Value> {
    (!l.is_empty()).then(|| Value::List(Box::new(l)))
}

fn hash_value(h: Hash) -> Option<Value> {
    (!h.is_empty()).then(|| Value::Hash(Box::new(h)))
}

fn zset_value(z: ZSet) -> Option<Value> {
    (!z.is_empty()).then(|| Value::ZSet(Box::new(z)))
}
