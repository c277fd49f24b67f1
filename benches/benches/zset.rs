//! Sorted-set micro-benchmarks on a 1M-member set in the `skiplist` encoding: the rank
//! of a member (ZRANK), the member at a rank (ZRANGE by rank), the count below a score
//! (ZCOUNT), and an insert + remove pair (ZADD / ZREM), all expected O(log n).

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use rhodium_storage::types::zset::ZSet;

const MEMBERS: usize = 1_000_000;

fn member(i: usize) -> Vec<u8> {
    format!("member:{i:09}").into_bytes()
}

fn zset(c: &mut Criterion) {
    let mut z = ZSet::with_hint(MEMBERS, 16, 128, 64);
    // Scores in a different order from the names, with ties.
    let score = |i: usize| ((i * 7919) % 100_003) as f64;
    for i in 0..MEMBERS {
        z.insert(score(i), &member(i), 128, 64);
    }
    let names: Vec<Vec<u8>> = (0..4096).map(|k| member((k * 104_729) % MEMBERS)).collect();
    let mut g = c.benchmark_group("zset_1m");
    let mut i = 0usize;
    g.bench_function("zrank", |b| {
        b.iter(|| {
            i = (i + 1) & 4095;
            black_box(z.rank(&names[i]))
        })
    });
    let mut r = 0usize;
    g.bench_function("member_at_rank", |b| {
        b.iter(|| {
            r = (r + 499_979) % MEMBERS;
            black_box(z.get(r).map(|(s, _)| s))
        })
    });
    let mut t = 0usize;
    g.bench_function("zcount_prefix", |b| {
        b.iter(|| {
            t = (t + 7) % 100_003;
            let limit = t as f64;
            black_box(z.count_before(|s, _| s < limit))
        })
    });
    let extra = member(MEMBERS + 1);
    g.bench_function("zadd_zrem", |b| {
        b.iter(|| {
            z.insert(50_000.5, &extra, 128, 64);
            black_box(z.remove(&extra))
        })
    });
    g.finish();
}

criterion_group!(benches, zset);
criterion_main!(benches);
