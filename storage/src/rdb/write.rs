//! Writing RDB version 10 as Redis 7.0 does (`rdb.c` `rdbSaveRio`, `rdbSaveObject`): the same
//! aux fields, opcodes, type bytes and encoding choices (integer-encoded short strings, LZF
//! for longer ones when `rdbcompression` is on, listpacks for small hashes and sorted sets,
//! intsets, quicklist nodes of listpacks), so `redis-check-rdb` and redis-server accept the
//! result and DUMP payloads move between the two servers.

use std::io::{self, Write};

use super::{crc64::crc64, intset, listpack::ListpackBuilder, lzf, opcodes, types, QUICKLIST_NODE_PACKED, RDB_VERSION};
use crate::types::set::SetValue;
use crate::value::Value;

/// The settings that change the bytes written.
#[derive(Debug, Clone, Copy)]
pub struct WriteOptions {
    /// `rdbcompression`: LZF-compress strings longer than 20 bytes when it helps.
    pub compress: bool,
    /// `list-max-listpack-size`: how full a quicklist node gets (negative: a byte limit
    /// of 4 KiB << (-fill - 1); positive: an element count).
    pub list_fill: i64,
}

impl Default for WriteOptions {
    fn default() -> Self {
        WriteOptions { compress: true, list_fill: -2 }
    }
}

/// The replication fields of the header, written when the server has a replication
/// history (Redis's `rdbSaveInfo`).
#[derive(Debug, Clone)]
pub struct ReplInfo {
    pub stream_db: i64,
    pub replid: String,
    pub offset: i64,
}

/// What the header's aux fields say.
#[derive(Debug, Clone)]
pub struct SaveInfo {
    /// `redis-ver`: the Redis version the server reports in INFO.
    pub redis_ver: String,
    /// `ctime`: Unix seconds of the save.
    pub ctime: i64,
    /// `used-mem`: bytes in use.
    pub used_mem: u64,
    pub repl: Option<ReplInfo>,
    /// `aof-base`: whether this file is the base of an AOF.
    pub aof_base: bool,
}

/// Flushes its buffer to the sink every this many bytes.
const FLUSH_AT: usize = 64 * 1024;

/// A streaming RDB writer: the running CRC-64 covers every byte written.
pub struct Writer<W: Write> {
    out: W,
    buf: Vec<u8>,
    crc: u64,
    written: u64,
    opts: WriteOptions,
}

impl<W: Write> Writer<W> {
    /// Starts a file: the magic `REDIS0010`.
    pub fn new(out: W, opts: WriteOptions) -> Writer<W> {
        let mut w = Writer { out, buf: Vec::with_capacity(FLUSH_AT * 2), crc: 0, written: 0, opts };
        w.buf.extend_from_slice(format!("REDIS{RDB_VERSION:04}").as_bytes());
        w
    }

    /// Bytes produced so far.
    pub fn written(&self) -> u64 {
        self.written + self.buf.len() as u64
    }

    fn maybe_flush(&mut self) -> io::Result<()> {
        if self.buf.len() >= FLUSH_AT {
            self.flush_buf()?;
        }
        Ok(())
    }

    fn flush_buf(&mut self) -> io::Result<()> {
        self.crc = crc64(self.crc, &self.buf);
        self.out.write_all(&self.buf)?;
        self.written += self.buf.len() as u64;
        self.buf.clear();
        Ok(())
    }

    /// One aux field (opcode 250, two strings).
    pub fn aux(&mut self, key: &[u8], value: &[u8]) -> io::Result<()> {
        self.buf.push(opcodes::AUX);
        write_string(&mut self.buf, key, self.opts.compress);
        write_string(&mut self.buf, value, self.opts.compress);
        self.maybe_flush()
    }

    /// The aux fields Redis 7.0 writes after the magic, in its order.
    pub fn header(&mut self, info: &SaveInfo) -> io::Result<()> {
        self.aux(b"redis-ver", info.redis_ver.as_bytes())?;
        self.aux(b"redis-bits", b"64")?;
        self.aux(b"ctime", info.ctime.to_string().as_bytes())?;
        self.aux(b"used-mem", info.used_mem.to_string().as_bytes())?;
        if let Some(r) = &info.repl {
            self.aux(b"repl-stream-db", r.stream_db.to_string().as_bytes())?;
            self.aux(b"repl-id", r.replid.as_bytes())?;
            self.aux(b"repl-offset", r.offset.to_string().as_bytes())?;
        }
        self.aux(b"aof-base", if info.aof_base { b"1" } else { b"0" })
    }

    /// A function library's code (opcode FUNCTION2), written before the databases.
    pub fn function(&mut self, code: &[u8]) -> io::Result<()> {
        self.buf.push(opcodes::FUNCTION2);
        write_string(&mut self.buf, code, self.opts.compress);
        self.maybe_flush()
    }

    /// SELECTDB then RESIZEDB with the database's key and TTL counts.
    pub fn select_db(&mut self, db: usize, keys: usize, expires: usize) -> io::Result<()> {
        self.buf.push(opcodes::SELECTDB);
        write_len(&mut self.buf, db as u64);
        self.buf.push(opcodes::RESIZEDB);
        write_len(&mut self.buf, keys as u64);
        write_len(&mut self.buf, expires as u64);
        self.maybe_flush()
    }

    /// One key: its absolute expiry if any, then type, key and value.
    pub fn key(&mut self, key: &[u8], value: &Value, expire_ms: Option<i64>) -> io::Result<()> {
        write_key(&mut self.buf, key, value, expire_ms, &self.opts);
        self.maybe_flush()
    }

    /// Key records serialised earlier with [`write_key`] (a snapshot's stripe).
    pub fn raw_records(&mut self, records: &[u8]) -> io::Result<()> {
        self.buf.extend_from_slice(records);
        self.maybe_flush()
    }

    /// EOF and the checksum (0 when `checksum` is off, as with `rdbchecksum no`); returns
    /// the sink.
    pub fn finish(mut self, checksum: bool) -> io::Result<W> {
        self.buf.push(opcodes::EOF);
        self.flush_buf()?;
        let crc = if checksum { self.crc } else { 0 };
        self.out.write_all(&crc.to_le_bytes())?;
        self.out.flush()?;
        Ok(self.out)
    }
}

/// One key record (expiry opcode if any, type, key, value) appended to `out`.
pub fn write_key(out: &mut Vec<u8>, key: &[u8], value: &Value, expire_ms: Option<i64>, opts: &WriteOptions) {
    if let Some(at) = expire_ms {
        out.push(opcodes::EXPIRETIME_MS);
        out.extend_from_slice(&at.to_le_bytes());
    }
    out.push(value_type_byte(value));
    write_string(out, key, opts.compress);
    write_value_body(out, value, opts);
}

/// A DUMP payload (Redis's `createDumpPayload`): type byte, value, the RDB version as two
/// little-endian bytes, and the CRC-64 of all that.
pub fn dump_payload(value: &Value, opts: &WriteOptions) -> Vec<u8> {
    let mut out = Vec::new();
    out.push(value_type_byte(value));
    write_value_body(&mut out, value, opts);
    out.extend_from_slice(&RDB_VERSION.to_le_bytes());
    let crc = crc64(0, &out);
    out.extend_from_slice(&crc.to_le_bytes());
    out
}

/// The type byte Redis 7.0 writes for a value in its current encoding.
pub fn value_type_byte(value: &Value) -> u8 {
    match value {
        Value::Int(_) | Value::Inline { .. } | Value::Emb(_) | Value::Raw(_) => types::STRING,
        Value::List(_) => types::LIST_QUICKLIST_2,
        Value::Set(s) => match **s {
            SetValue::Intset(_) => types::SET_INTSET,
            SetValue::Hash(_) => types::SET,
        },
        Value::Hash(h) => {
            if h.is_listpack() {
                types::HASH_LISTPACK
            } else {
                types::HASH
            }
        }
        Value::ZSet(z) => {
            if z.is_listpack() {
                types::ZSET_LISTPACK
            } else {
                types::ZSET_2
            }
        }
        Value::Stream(_) => types::STREAM_LISTPACKS_2,
    }
}

/// The value's bytes after its type byte (Redis's `rdbSaveObject`).
pub fn write_value_body(out: &mut Vec<u8>, value: &Value, opts: &WriteOptions) {
    let compress = opts.compress;
    match value {
        Value::Int(i) => write_int_string(out, *i),
        Value::Inline { .. } | Value::Emb(_) | Value::Raw(_) => {
            let bytes = value.string_bytes().unwrap_or_default();
            write_string(out, &bytes, compress);
        }
        Value::List(l) => {
            let nodes = quicklist_nodes(l.iter(), opts.list_fill);
            write_len(out, nodes.len() as u64);
            for node in nodes {
                write_len(out, QUICKLIST_NODE_PACKED);
                write_string(out, &node, compress);
            }
        }
        Value::Set(s) => match &**s {
            SetValue::Intset(v) => write_string(out, &intset::encode(&v.iter().collect::<Vec<i64>>()), compress),
            SetValue::Hash(h) => {
                write_len(out, h.len() as u64);
                for m in h.iter() {
                    write_string(out, m, compress);
                }
            }
        },
        Value::Hash(h) => {
            if h.is_listpack() {
                let mut lp = ListpackBuilder::new();
                for (f, v) in h.iter() {
                    lp.push(f);
                    lp.push(v);
                }
                write_string(out, &lp.finish(), compress);
            } else {
                write_len(out, h.len() as u64);
                for (f, v) in h.iter() {
                    write_string(out, f, compress);
                    write_string(out, v, compress);
                }
            }
        }
        Value::ZSet(z) => {
            if z.is_listpack() {
                let mut lp = ListpackBuilder::new();
                for (score, member) in z.iter() {
                    lp.push(member);
                    lp.push(d2string(score).as_bytes());
                }
                write_string(out, &lp.finish(), compress);
            } else {
                write_len(out, z.len() as u64);
                // Redis saves from the tail so that loading inserts at the head cheaply.
                for (score, member) in z.iter().rev() {
                    write_string(out, member, compress);
                    out.extend_from_slice(&score.to_le_bytes());
                }
            }
        }
        Value::Stream(s) => super::stream::write_stream(out, s, compress),
    }
}

/// Redis 7.0's `d2string`: integral values in the exact range as integers, `-0`, `inf`,
/// `-inf`, otherwise `%.17g` (the form a listpack stores a score in).
pub fn d2string(v: f64) -> String {
    if v.is_nan() {
        "nan".into()
    } else if v.is_infinite() {
        if v < 0.0 { "-inf".into() } else { "inf".into() }
    } else if v == 0.0 {
        if v.is_sign_negative() { "-0".into() } else { "0".into() }
    } else if v > -4_503_599_627_370_495.0 && v < 4_503_599_627_370_496.0 && v == (v as i64) as f64 {
        (v as i64).to_string()
    } else {
        rhodium_protocol::number::format_f64_17g(v)
    }
}

/// Splits list elements into listpack nodes as Redis 7.0's quicklist fills them by pushing
/// at the tail (`_quicklistNodeAllowInsert`: the node's bytes plus the element plus an
/// 8-byte overestimate must stay within the fill's byte limit, or for a positive fill
/// within 8 KiB and the element count).
fn quicklist_nodes<'a>(items: impl Iterator<Item = &'a [u8]>, fill: i64) -> Vec<Vec<u8>> {
    const SIZE_SAFETY_LIMIT: usize = 8192;
    const SIZE_ESTIMATE_OVERHEAD: usize = 8;
    const OPTIMIZATION_LEVEL: [usize; 5] = [4096, 8192, 16384, 32768, 65536];
    let allow = |node: &ListpackBuilder, sz: usize| -> bool {
        let new_sz = node.bytes() + sz + SIZE_ESTIMATE_OVERHEAD;
        if fill < 0 {
            // Redis clamps the fill to -5 (`quicklistSetFill`).
            let offset = ((-fill - 1) as usize).min(OPTIMIZATION_LEVEL.len() - 1);
            return new_sz <= OPTIMIZATION_LEVEL[offset];
        }
        let count_limit = if fill == 0 { 1 } else { fill as usize };
        new_sz <= SIZE_SAFETY_LIMIT && node.count() < count_limit
    };
    let mut nodes = Vec::new();
    let mut cur: Option<ListpackBuilder> = None;
    for item in items {
        match &mut cur {
            Some(node) if allow(node, item.len()) => node.push(item),
            _ => {
                if let Some(done) = cur.take() {
                    nodes.push(done.finish());
                }
                let mut node = ListpackBuilder::new();
                node.push(item);
                cur = Some(node);
            }
        }
    }
    if let Some(done) = cur {
        nodes.push(done.finish());
    }
    nodes
}

/// An RDB length (Redis's `rdbSaveLen`).
pub fn write_len(out: &mut Vec<u8>, len: u64) {
    if len < 64 {
        out.push(len as u8);
    } else if len < 16384 {
        out.push(0x40 | (len >> 8) as u8);
        out.push(len as u8);
    } else if len <= u64::from(u32::MAX) {
        out.push(0x80);
        out.extend_from_slice(&(len as u32).to_be_bytes());
    } else {
        out.push(0x81);
        out.extend_from_slice(&len.to_be_bytes());
    }
}

/// Redis's `rdbEncodeInteger`: the special int8/16/32 string encodings.
fn encode_integer(out: &mut Vec<u8>, v: i64) -> bool {
    if let Ok(x) = i8::try_from(v) {
        out.push(0xC0);
        out.push(x as u8);
    } else if let Ok(x) = i16::try_from(v) {
        out.push(0xC1);
        out.extend_from_slice(&x.to_le_bytes());
    } else if let Ok(x) = i32::try_from(v) {
        out.push(0xC2);
        out.extend_from_slice(&x.to_le_bytes());
    } else {
        return false;
    }
    true
}

/// An int-encoded string object (Redis's `rdbSaveLongLongAsStringObject`).
fn write_int_string(out: &mut Vec<u8>, v: i64) {
    if !encode_integer(out, v) {
        let mut b = itoa::Buffer::new();
        let s = b.format(v).as_bytes();
        write_len(out, s.len() as u64);
        out.extend_from_slice(s);
    }
}

/// A string (Redis's `rdbSaveRawString`): int-encoded when it is a short canonical integer
/// that fits 32 bits, LZF-compressed when longer than 20 bytes and compression saves at
/// least 4 bytes, verbatim otherwise.
pub fn write_string(out: &mut Vec<u8>, s: &[u8], compress: bool) {
    if s.len() <= 11 {
        if let Some(v) = rhodium_protocol::number::parse_i64(s) {
            if encode_integer(out, v) {
                return;
            }
        }
    }
    if compress && s.len() > 20 {
        if let Some(c) = lzf::compress(s, s.len() - 4) {
            out.push(0xC3);
            write_len(out, c.len() as u64);
            write_len(out, s.len() as u64);
            out.extend_from_slice(&c);
            return;
        }
    }
    write_len(out, s.len() as u64);
    out.extend_from_slice(s);
}
