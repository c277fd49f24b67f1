//! RESP codec micro-benchmarks: request parsing (pipelined multibulk and inline), reply
//! writing in both protocol versions, and command encoding for propagation.

use bytes::BytesMut;
use criterion::{black_box, criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use rhodium_protocol::encode::encode_command;
use rhodium_protocol::{Limits, ReplyWriter, RequestParser, Resp};

/// The bytes of `n` pipelined `SET key:<i> <value>` commands, as redis-benchmark sends them.
fn set_pipeline(n: usize, value_len: usize) -> Vec<u8> {
    let value = vec![b'x'; value_len];
    let mut out = Vec::new();
    for i in 0..n {
        let key = format!("key:{i:012}");
        encode_command(&[&b"SET"[..], key.as_bytes(), &value], &mut out);
    }
    out
}

/// Parses every request in `input`, the way a connection drains its read buffer.
fn parse_all(parser: &mut RequestParser, buf: &mut BytesMut) -> usize {
    let limits = Limits::default();
    let mut n = 0;
    while let Ok(Some(argv)) = parser.next(buf, &limits) {
        n += argv.len();
        black_box(argv);
    }
    n
}

fn parse(c: &mut Criterion) {
    let mut g = c.benchmark_group("parse");
    for (name, input) in [
        ("pipeline_16_set_3b", set_pipeline(16, 3)),
        ("pipeline_16_set_1kb", set_pipeline(16, 1024)),
        ("inline_16_set", (0..16).flat_map(|i| format!("SET key:{i:012} xxx\r\n").into_bytes()).collect()),
    ] {
        g.throughput(Throughput::Bytes(input.len() as u64));
        // One parser for the whole run, as a connection keeps one.
        let mut parser = RequestParser::new();
        g.bench_function(name, |b| {
            b.iter_batched_ref(|| BytesMut::from(&input[..]), |buf| parse_all(&mut parser, buf), BatchSize::SmallInput)
        });
    }
    let big = set_pipeline(1, 1024 * 1024);
    g.throughput(Throughput::Bytes(big.len() as u64));
    g.bench_function("set_1mb_in_16kb_reads", |b| {
        b.iter(|| {
            let mut parser = RequestParser::new();
            let mut buf = BytesMut::with_capacity(big.len());
            let mut args = 0;
            for chunk in big.chunks(16 * 1024) {
                buf.extend_from_slice(chunk);
                args += parse_all(&mut parser, &mut buf);
            }
            args
        })
    });
    g.finish();
}

fn reply(c: &mut Criterion) {
    let mut g = c.benchmark_group("reply");
    let items: Vec<Vec<u8>> = (0..100).map(|i| format!("element:{i}").into_bytes()).collect();
    for resp in [Resp::V2, Resp::V3] {
        let mut w = ReplyWriter::new(resp);
        g.bench_function(format!("16_mixed_{resp:?}"), |b| {
            b.iter(|| {
                w.clear();
                for i in 0..4 {
                    w.ok();
                    w.bulk(b"some value");
                    w.integer(black_box(i * 1_000_003));
                    w.null();
                }
                w.len()
            })
        });
        g.bench_function(format!("array_100_bulks_{resp:?}"), |b| {
            b.iter(|| {
                w.clear();
                w.array(items.len());
                for it in &items {
                    w.bulk(it);
                }
                w.len()
            })
        });
        g.bench_function(format!("map_50_with_doubles_{resp:?}"), |b| {
            b.iter(|| {
                w.clear();
                w.map(50);
                for (i, it) in items.iter().take(50).enumerate() {
                    w.bulk(it);
                    w.double(black_box(i as f64 * 1.25));
                }
                w.len()
            })
        });
    }
    g.finish();
}

fn encode(c: &mut Criterion) {
    let value = vec![b'v'; 64];
    let mut out = Vec::with_capacity(1024);
    c.bench_function("encode/set_pxat", |b| {
        b.iter(|| {
            out.clear();
            encode_command(&[&b"SET"[..], b"key:000000000001", &value, b"PXAT", b"1700000000000"], &mut out);
            out.len()
        })
    });
}

criterion_group!(benches, parse, reply, encode);
criterion_main!(benches);
