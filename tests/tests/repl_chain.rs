//! Chains and promotions: a replica serves its own replicas the upstream's exact stream
//! (same replication ID and offsets), so a node low in a chain can be re-pointed anywhere
//! with a partial resync, and a promoted replica lets its former siblings continue.
//! Mixed chains with redis-server converge.

use std::time::Duration;

use rhodium_it::raw::RawConn;
use rhodium_it::repl::{info_field, wait_link_up, wait_same_digest};
use rhodium_it::{redis_available, wait_until, Flavor, TestServer};

const LONG: Duration = Duration::from_secs(30);

fn ok(c: &mut RawConn, args: &[&str]) {
    let r = c.cmd(args).expect("reply");
    assert!(!r.is_error(), "{args:?} -> {r:?}");
}

/// A mix of writes: several databases, a transaction, a script, expiries.
fn write_batch(c: &mut RawConn, from: u64, to: u64) {
    for i in from..to {
        let n = i.to_string();
        ok(c, &["SELECT", if i % 3 == 0 { "1" } else { "0" }]);
        ok(c, &["SET", &format!("s:{}", i % 40), &n]);
        ok(c, &["RPUSH", &format!("l:{}", i % 7), &n]);
        ok(c, &["HINCRBY", "h", &format!("f{}", i % 5), "1"]);
        ok(c, &["ZADD", "z", &n, &format!("m{}", i % 30)]);
        ok(c, &["SET", &format!("t:{}", i % 9), &n, "EX", "1000"]);
        if i % 10 == 0 {
            ok(c, &["MULTI"]);
            c.cmd(&["INCR", "tx"]).expect("queued");
            c.cmd(&["SADD", "txset", &n]).expect("queued");
            ok(c, &["EXEC"]);
            ok(c, &["EVAL", "return redis.call('incrby', KEYS[1], ARGV[1])", "1", "lua", &n]);
        }
    }
}

fn start(flavor: Flavor, replicaof: Option<u16>) -> TestServer {
    let s = TestServer::start_flavor(flavor, &["--repl-diskless-sync-delay", "0", "--save", ""]);
    if let Some(p) = replicaof {
        ok(&mut s.raw(), &["REPLICAOF", "127.0.0.1", &p.to_string()]);
    }
    s
}

fn num(s: &TestServer, field: &str) -> i64 {
    info_field(s, field).and_then(|v| v.parse().ok()).unwrap_or(-1)
}

fn same_history(a: &TestServer, b: &TestServer) {
    wait_until(LONG, "same replication id and offset", || {
        info_field(a, "master_replid") == info_field(b, "master_replid") && num(a, "master_repl_offset") == num(b, "master_repl_offset")
    });
}

#[test]
fn chain_shares_the_upstream_history_and_re_points_partially() {
    if !redis_available() {
        return;
    }
    let master = start(Flavor::Rhodium, None);
    let r1 = start(Flavor::Rhodium, Some(master.port));
    wait_link_up(&r1, LONG);
    let r2 = start(Flavor::Rhodium, Some(r1.port));
    wait_link_up(&r2, LONG);
    let mut c = master.raw();
    write_batch(&mut c, 0, 300);
    wait_same_digest(&master, &r2, LONG);
    wait_same_digest(&master, &r1, LONG);
    // Every node of the chain carries the master's replication id and offset.
    same_history(&master, &r1);
    same_history(&master, &r2);
    assert_eq!(num(&master, "sync_full"), 1, "{}", master.log());
    assert_eq!(num(&r1, "sync_full"), 1, "{}", r1.log());

    // r2 moves from r1 to the master: a partial resync.
    let partial_before = num(&master, "sync_partial_ok");
    ok(&mut r2.raw(), &["REPLICAOF", "127.0.0.1", &master.port.to_string()]);
    wait_until(LONG, "r2 resynced with the master", || num(&master, "sync_partial_ok") == partial_before + 1 && info_field(&r2, "master_port").as_deref() == Some(&master.port.to_string()) && info_field(&r2, "master_link_status").as_deref() == Some("up"));
    assert_eq!(num(&master, "sync_full"), 1, "re-pointing r2 must not full-sync: {}", master.log());
    write_batch(&mut c, 300, 400);
    wait_same_digest(&master, &r2, LONG);
    wait_same_digest(&master, &r1, LONG);
}

#[test]
fn promoted_replica_lets_its_sibling_continue() {
    if !redis_available() {
        return;
    }
    let master = start(Flavor::Rhodium, None);
    let r1 = start(Flavor::Rhodium, Some(master.port));
    let r2 = start(Flavor::Rhodium, Some(master.port));
    wait_link_up(&r1, LONG);
    wait_link_up(&r2, LONG);
    let mut c = master.raw();
    write_batch(&mut c, 0, 200);
    wait_same_digest(&master, &r1, LONG);
    wait_same_digest(&master, &r2, LONG);
    same_history(&r1, &r2);
    let old_id = info_field(&master, "master_replid").unwrap_or_default();

    // Failover: r1 becomes the master, r2 follows it with a partial resync.
    ok(&mut r1.raw(), &["REPLICAOF", "NO", "ONE"]);
    assert_eq!(info_field(&r1, "master_replid2").as_deref(), Some(old_id.as_str()));
    ok(&mut r2.raw(), &["REPLICAOF", "127.0.0.1", &r1.port.to_string()]);
    wait_link_up(&r2, LONG);
    wait_until(LONG, "r2 continued from r1", || num(&r1, "sync_partial_ok") == 1);
    assert_eq!(num(&r1, "sync_full"), 0, "{}", r1.log());
    let mut c1 = r1.raw();
    write_batch(&mut c1, 200, 300);
    wait_same_digest(&r1, &r2, LONG);
    same_history(&r1, &r2);
}

#[test]
fn mixed_chain_with_redis_converges() {
    if !redis_available() {
        return;
    }
    let top = start(Flavor::Redis, None);
    let middle = start(Flavor::Rhodium, Some(top.port));
    wait_link_up(&middle, LONG);
    let bottom = start(Flavor::Redis, Some(middle.port));
    wait_link_up(&bottom, LONG);
    let mut c = top.raw();
    write_batch(&mut c, 0, 300);
    wait_same_digest(&top, &middle, LONG);
    wait_same_digest(&top, &bottom, LONG);
    same_history(&top, &bottom);
    // The bottom redis-server re-pointed at the top continues partially.
    let partial_before = num(&top, "sync_partial_ok");
    ok(&mut bottom.raw(), &["REPLICAOF", "127.0.0.1", &top.port.to_string()]);
    wait_until(LONG, "bottom continued from top", || num(&top, "sync_partial_ok") == partial_before + 1);
    write_batch(&mut c, 300, 350);
    wait_same_digest(&top, &bottom, LONG);
}
