//! Writing an AOF base file from a point-in-time snapshot: an RDB (`aof-use-rdb-preamble
//! yes`, with the `aof-base` aux field set) or the commands that rebuild the dataset, as
//! Redis's `rewriteAppendOnlyFileRio` writes them (batches of 64 items, PEXPIREAT for
//! TTLs, streams rebuilt with XADD/XSETID/XGROUP/XCLAIM).

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

use bytes::Bytes;
use rhodium_storage::aof::encode;
use rhodium_storage::keyspace::STRIPES;
use rhodium_storage::rdb::{self, SaveInfo};
use rhodium_storage::snapshot::Snapshot;
use rhodium_storage::types::stream::StreamId;
use rhodium_storage::Value;

use crate::persistence;
use crate::state::Server;

/// Items per command when a collection is rewritten (Redis's AOF_REWRITE_ITEMS_PER_CMD).
const ITEMS_PER_CMD: usize = 64;

/// Writes the base to `path` (created, flushed and fsynced); returns its size.
pub(crate) fn write(server: &Server, snap: &Snapshot, functions: &[Vec<u8>], path: &Path, preamble: bool) -> std::io::Result<u64> {
    let cfg = server.config();
    let every = (super::opt(&cfg, "aof-rewrite-incremental-fsync") == "yes").then_some(AUTOSYNC_BYTES);
    let file = AutoSync { file: File::create(path)?, since: 0, every };
    let file = if preamble {
        let mut w = rdb::Writer::new(BufWriter::with_capacity(1 << 16, file), persistence::write_options(&cfg));
        let (used_mem, _, _) = crate::commands::info::jemalloc_stats();
        w.header(&SaveInfo { redis_ver: crate::REDIS_VERSION.into(), ctime: rhodium_storage::clock::now_ms() / 1000, used_mem, repl: None, aof_base: true })?;
        for code in functions {
            w.function(code)?;
        }
        for db in 0..snap.databases() {
            let (keys, expires) = snap.counts(db);
            if keys == 0 {
                continue;
            }
            w.select_db(db, keys, expires)?;
            for s in 0..STRIPES {
                w.raw_records(&server.keyspace.snapshot_stripe(snap, db, s))?;
            }
        }
        let checksum = persistence::load_limits(&cfg).verify_checksum;
        w.finish(checksum)?.into_inner().map_err(|e| e.into_error())?
    } else {
        let mut out = BufWriter::with_capacity(1 << 16, file);
        let mut buf = Vec::new();
        for code in functions {
            encode::command(&mut buf, &[b"FUNCTION".as_slice(), b"LOAD", code]);
        }
        let limits = persistence::load_limits(&cfg);
        for db in 0..snap.databases() {
            if snap.counts(db).0 == 0 {
                continue;
            }
            encode::select(&mut buf, db);
            for s in 0..STRIPES {
                let records = server.keyspace.snapshot_stripe(snap, db, s);
                if records.is_empty() {
                    continue;
                }
                // The stripe's records become a small RDB to decode them back to values.
                let mut r = Vec::with_capacity(records.len() + 20);
                r.extend_from_slice(b"REDIS0010");
                r.extend_from_slice(&records);
                r.push(rdb::opcodes::EOF);
                r.extend_from_slice(&[0u8; 8]);
                let no_crc = rdb::LoadLimits { verify_checksum: false, ..limits };
                rdb::load(&r, &no_crc, |k| {
                    rewrite_key(&mut buf, &k.key, &k.value, k.expire_ms);
                    Ok(())
                })
                .map_err(|e| std::io::Error::other(e.to_string()))?;
                out.write_all(&buf)?;
                buf.clear();
            }
        }
        out.write_all(&buf)?;
        out.into_inner().map_err(|e| e.into_error())?
    };
    file.file.sync_all()?;
    Ok(file.file.metadata()?.len())
}

/// `aof-rewrite-incremental-fsync`: fsync every 4 MiB written (Redis's
/// REDIS_AUTOSYNC_BYTES), so the final fsync does not stall on a huge dirty page cache.
const AUTOSYNC_BYTES: u64 = 4 << 20;

struct AutoSync {
    file: File,
    since: u64,
    every: Option<u64>,
}

impl Write for AutoSync {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.file.write(buf)?;
        self.since += n as u64;
        if self.every.is_some_and(|e| self.since >= e) {
            self.file.sync_data()?;
            self.since = 0;
        }
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.file.flush()
    }
}

fn b(s: &[u8]) -> Bytes {
    Bytes::copy_from_slice(s)
}

fn id(i: StreamId) -> Bytes {
    Bytes::from(format!("{}-{}", i.ms, i.seq))
}

/// Writes `cmd key items...` in batches of [`ITEMS_PER_CMD`] items (each item being
/// `per` arguments).
fn batched(out: &mut Vec<u8>, cmd: &'static [u8], key: &[u8], items: impl Iterator<Item = Vec<Bytes>>, per: usize) {
    let head = || vec![Bytes::from_static(cmd), b(key)];
    let mut argv = head();
    for item in items {
        argv.extend(item);
        if argv.len() - 2 >= ITEMS_PER_CMD * per {
            encode::command(out, &argv);
            argv = head();
        }
    }
    if argv.len() > 2 {
        encode::command(out, &argv);
    }
}

/// The commands that rebuild one key.
pub(crate) fn rewrite_key(out: &mut Vec<u8>, key: &[u8], value: &Value, expire_ms: Option<i64>) {
    match value {
        Value::Int(_) | Value::Inline { .. } | Value::Emb(_) | Value::Raw(_) => {
            let v = value.string_bytes().unwrap_or_default();
            encode::command(out, &[b"SET".as_slice(), key, &v]);
        }
        Value::List(l) => batched(out, b"RPUSH", key, l.iter().map(|e| vec![b(e)]), 1),
        Value::Set(s) => batched(out, b"SADD", key, s.iter().map(|m| vec![b(&m)]), 1),
        Value::ZSet(z) => batched(out, b"ZADD", key, z.iter().map(|(score, m)| vec![Bytes::from(rhodium_protocol::number::format_f64_17g(score)), b(m)]), 2),
        Value::Hash(h) => batched(out, b"HMSET", key, h.iter().map(|(f, v)| vec![b(f), b(v)]), 2),
        Value::Stream(s) => {
            let k = b(key);
            if s.is_empty() {
                // An empty stream still exists: XADD MAXLEN 0 makes one (Redis's trick).
                encode::command(out, &[Bytes::from_static(b"XADD"), k.clone(), Bytes::from_static(b"MAXLEN"), Bytes::from_static(b"0"), id(s.last_id), Bytes::from_static(b"x"), Bytes::from_static(b"y")]);
            } else {
                for e in s.range(StreamId::MIN, StreamId::MAX, false) {
                    let mut argv = vec![Bytes::from_static(b"XADD"), k.clone(), id(e.id())];
                    for (f, v) in e.pairs() {
                        argv.push(b(f));
                        argv.push(b(v));
                    }
                    encode::command(out, &argv);
                }
            }
            encode::command(
                out,
                &[Bytes::from_static(b"XSETID"), k.clone(), id(s.last_id), Bytes::from_static(b"ENTRIESADDED"), Bytes::from(s.entries_added.to_string()), Bytes::from_static(b"MAXDELETEDID"), id(s.max_deleted_id)],
            );
            if let Some(groups) = &s.groups {
                for (name, g) in groups.iter() {
                    let read = g.entries_read.map_or(-1, |n| n as i64);
                    encode::command(out, &[Bytes::from_static(b"XGROUP"), Bytes::from_static(b"CREATE"), k.clone(), b(name), id(g.last_id), Bytes::from_static(b"ENTRIESREAD"), Bytes::from(read.to_string())]);
                    for (cname, c) in g.consumers.iter() {
                        if c.pel.is_empty() {
                            encode::command(out, &[Bytes::from_static(b"XGROUP"), Bytes::from_static(b"CREATECONSUMER"), k.clone(), b(name), b(cname)]);
                        }
                        for pid in &c.pel {
                            let Some(n) = g.pel.get(pid) else { continue };
                            encode::command(
                                out,
                                &[
                                    Bytes::from_static(b"XCLAIM"),
                                    k.clone(),
                                    b(name),
                                    b(cname),
                                    Bytes::from_static(b"0"),
                                    id(*pid),
                                    Bytes::from_static(b"TIME"),
                                    Bytes::from(n.delivery_time.to_string()),
                                    Bytes::from_static(b"RETRYCOUNT"),
                                    Bytes::from(n.delivery_count.to_string()),
                                    Bytes::from_static(b"JUSTID"),
                                    Bytes::from_static(b"FORCE"),
                                ],
                            );
                        }
                    }
                }
            }
        }
    }
    if let Some(at) = expire_ms {
        encode::command(out, &[b"PEXPIREAT".as_slice(), key, at.to_string().as_bytes()]);
    }
}
