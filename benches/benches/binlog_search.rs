//! Binlog micro-benchmarks: appends (the hot path of every write), OpID and replication
//! offset lookups in a multi-segment binlog, and sequential catch-up reads.
//!
//! The binlog is built in a temp dir before measuring: `RHODIUM_BINLOG_BENCH_MB` sets its
//! size (default 512; the lookup cost grows with the segment count, not the bytes, so
//! 10 GB needs only 160 segments of 64 MB). Without `--bench` (the `cargo test --benches`
//! smoke run) it builds 8 MB.

use std::time::Instant;

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use rhodium_replication::binlog::{Binlog, BinlogConfig};
use rhodium_replication::OpId;

/// `SET key:<12 digits> <400 bytes>` as the replication stream carries it.
fn payload() -> Vec<u8> {
    let val = "x".repeat(400);
    format!("*3\r\n$3\r\nSET\r\n$16\r\nkey:000000000042\r\n${}\r\n{}\r\n", val.len(), val).into_bytes()
}

fn target_mb() -> u64 {
    if !std::env::args().any(|a| a == "--bench") {
        return 8;
    }
    std::env::var("RHODIUM_BINLOG_BENCH_MB").ok().and_then(|v| v.parse().ok()).unwrap_or(512)
}

fn binlog(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temp dir");
    let p = payload();
    let n = target_mb() * (1 << 20) / (p.len() as u64 + 40);
    let t = Instant::now();
    let (mut b, _) = Binlog::open(dir.path(), BinlogConfig::default()).expect("open");
    for seq in 1..=n {
        b.append(OpId { epoch: 1, seq }, 1, seq * p.len() as u64, &p).expect("append");
    }
    b.flush().expect("flush");
    let h = b.handle();
    eprintln!("built {} MB in {} segments in {:?}", h.stats().bytes >> 20, h.stats().segments, t.elapsed());

    let mut g = c.benchmark_group("binlog");
    let mut i = 0u64;
    g.bench_function("find_opid", |bch| {
        bch.iter(|| {
            i = (i + 7_919_993) % n;
            black_box(h.find(OpId { epoch: 1, seq: i + 1 }).is_ok())
        })
    });
    g.bench_function("find_repl_offset", |bch| {
        bch.iter(|| {
            i = (i + 7_919_993) % n;
            black_box(h.find_by_repl_offset((i + 1) * p.len() as u64).is_ok())
        })
    });
    g.throughput(Throughput::Bytes(p.len() as u64));
    let mut seq = n;
    g.bench_function("append_400b", |bch| {
        bch.iter(|| {
            seq += 1;
            b.append(OpId { epoch: 1, seq }, 1, seq * p.len() as u64, black_box(&p)).is_ok()
        })
    });
    b.flush().expect("flush");
    let chunk = 10_000u64.min(n);
    g.throughput(Throughput::Bytes(chunk * p.len() as u64));
    g.bench_function("read_10k_entries", |bch| {
        bch.iter(|| {
            i = (i + 7_919_993) % (n - chunk + 1);
            let hit = h.find(OpId { epoch: 1, seq: i + 1 }).expect("find");
            let mut r = h.reader(hit.entry);
            let mut bytes = 0;
            for _ in 0..chunk {
                match r.next_entry() {
                    Ok(Some(e)) => bytes += e.payload.len(),
                    _ => break,
                }
            }
            black_box(bytes)
        })
    });
    g.finish();
}

criterion_group!(benches, binlog);
criterion_main!(benches);
