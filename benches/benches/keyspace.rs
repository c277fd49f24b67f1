//! Keyspace micro-benchmarks: the lock + set/get path every string command takes.

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use rhodium_storage::keyspace::{ExpiryMode, SetExpiry};
use rhodium_storage::{Keyspace, LockMode, Value};

const KEYS: usize = 100_000;

fn key(i: usize) -> Vec<u8> {
    format!("key:{i:012}").into_bytes()
}

fn keyspace(c: &mut Criterion) {
    let ks = Keyspace::new(16);
    let keys: Vec<Vec<u8>> = (0..KEYS).map(key).collect();
    let now = rhodium_storage::clock::now_ms();
    for k in &keys {
        let mut l = ks.lock([(0, k)], LockMode::Write, now, ExpiryMode::Delete);
        let _ = l.set(0, k, Value::string(b"xxx"), SetExpiry::Clear);
    }
    let mut g = c.benchmark_group("keyspace");
    let mut i = 0usize;
    g.bench_function("set_existing", |b| {
        b.iter(|| {
            i = (i + 7919) % KEYS;
            let k = &keys[i];
            let mut l = ks.lock([(0, k)], LockMode::Write, now, ExpiryMode::Delete);
            l.set(0, k, Value::string(b"yyy"), SetExpiry::Clear).is_ok()
        })
    });
    g.bench_function("get_hit", |b| {
        b.iter(|| {
            i = (i + 7919) % KEYS;
            let k = &keys[i];
            let mut l = ks.lock([(0, k)], LockMode::Read, now, ExpiryMode::Delete);
            matches!(l.get(0, k), Ok(Some(v)) if black_box(v).is_string())
        })
    });
    let missing = key(KEYS + 1);
    g.bench_function("get_miss", |b| {
        b.iter(|| {
            let mut l = ks.lock([(0, &missing)], LockMode::Read, now, ExpiryMode::Delete);
            matches!(l.get(0, &missing), Ok(None))
        })
    });
    g.bench_function("set_new_then_delete", |b| {
        b.iter(|| {
            let mut l = ks.lock([(0, &missing)], LockMode::Write, now, ExpiryMode::Delete);
            let _ = l.set(0, &missing, Value::string(b"v"), SetExpiry::Clear);
            l.remove(0, &missing).ok().flatten().is_some()
        })
    });
    g.finish();
}

criterion_group!(benches, keyspace);
criterion_main!(benches);
