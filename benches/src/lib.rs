//! Benchmarks live in `benches/`; see `benches/README.md`. End-to-end throughput against
//! redis-server is measured with `../shared/tools/bench-vs-redis.sh`.
