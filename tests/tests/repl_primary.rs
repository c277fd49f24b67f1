//! Rhodium as a replication master, proven with redis-server 7.0 as its replica: full
//! syncs (diskless and disk), the command stream for every type, partial resync after a
//! cut link under write load, WAIT, redis-cli --rdb, and INFO/ROLE against redis-server
//! as master in the same setup.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use rhodium_it::raw::{RawConn, Reply};
use rhodium_it::repl::{info_field, replication_section, wait_link_up, wait_same_digest, Proxy};
use rhodium_it::{diff, redis_available, wait_until, TestServer};

const LONG: Duration = Duration::from_secs(30);

fn ok(c: &mut RawConn, args: &[&str]) -> Reply {
    let r = c.cmd(args).expect("reply");
    assert!(!r.is_error(), "{args:?} -> {r:?}");
    r
}

/// Writes touching every type, expiry, transactions, scripts and several databases.
fn write_every_type(c: &mut RawConn, i: u64) {
    let n = i.to_string();
    let k = |p: &str| format!("{p}:{}", i % 50);
    ok(c, &["SELECT", if i.is_multiple_of(3) { "1" } else { "0" }]);
    ok(c, &["SET", &k("str"), &n]);
    ok(c, &["INCRBYFLOAT", &k("flt"), "1.5"]);
    ok(c, &["APPEND", &k("str"), "x"]);
    ok(c, &["SET", &k("ttl"), &n, "EX", "1000"]);
    ok(c, &["RPUSH", &k("list"), &n, "b", "c"]);
    ok(c, &["LPOP", &k("list")]);
    ok(c, &["HSET", &k("hash"), "f", &n, "g", "1"]);
    ok(c, &["HINCRBY", &k("hash"), "g", "2"]);
    ok(c, &["SADD", &k("set"), &n, "m"]);
    ok(c, &["SPOP", &k("set")]);
    ok(c, &["ZADD", &k("zset"), &n, "a", "2", &n]);
    ok(c, &["ZINCRBY", &k("zset"), "1", "a"]);
    ok(c, &["XADD", &k("stream"), "*", "f", &n]);
    ok(c, &["PFADD", &k("hll"), &n, "z"]);
    ok(c, &["SETBIT", &k("bits"), &(i % 64).to_string(), "1"]);
    ok(c, &["GEOADD", &k("geo"), "13.36", "38.11", &n]);
    ok(c, &["EXPIRE", &k("list"), "5000"]);
    ok(c, &["EVAL", "redis.call('set', KEYS[1], ARGV[1]); return redis.call('incr', KEYS[1])", "1", &k("lua"), &n]);
    ok(c, &["MULTI"]);
    c.cmd(&["LPUSH", &k("txl"), &n]).expect("queued");
    c.cmd(&["SELECT", "2"]).expect("queued");
    c.cmd(&["SET", &k("txs"), &n]).expect("queued");
    ok(c, &["EXEC"]);
    if i % 10 == 9 {
        ok(c, &["DEL", &k("str"), &k("hash")]);
    }
}

/// A Rhodium master with one redis-server replica, linked.
fn master_and_replica(master_args: &[&str]) -> Option<(TestServer, TestServer)> {
    if !redis_available() {
        return None;
    }
    let mut args = vec!["--repl-diskless-sync-delay", "0"];
    args.extend_from_slice(master_args);
    let m = TestServer::start(&args);
    let mut c = m.raw();
    for i in 0..120 {
        write_every_type(&mut c, i);
    }
    let port = m.port.to_string();
    let r = TestServer::start_redis(&["--replicaof", "127.0.0.1", &port]);
    wait_link_up(&r, LONG);
    Some((m, r))
}

fn full_sync_then_stream(master_args: &[&str]) {
    let Some((m, r)) = master_and_replica(master_args) else { return };
    wait_same_digest(&m, &r, LONG);
    let mut c = m.raw();
    for i in 120..300 {
        write_every_type(&mut c, i);
    }
    ok(&mut c, &["FLUSHDB"]);
    for i in 300..320 {
        write_every_type(&mut c, i);
    }
    wait_same_digest(&m, &r, LONG);
    assert_eq!(info_field(&m, "sync_full").as_deref(), Some("1"));
    assert_eq!(info_field(&m, "sync_partial_ok").as_deref(), Some("0"));
    wait_until(LONG, "replica acknowledged the whole stream", || {
        let off = info_field(&m, "master_repl_offset");
        info_field(&m, "slave0").is_some_and(|s| off.is_some_and(|o| s.contains(&format!("offset={o},"))))
    });
}

#[test]
fn redis_replica_full_sync_diskless_then_every_type_streams() {
    full_sync_then_stream(&[]);
}

#[test]
fn redis_replica_full_sync_from_disk_then_every_type_streams() {
    full_sync_then_stream(&["--repl-diskless-sync", "no"]);
}

/// A writer thread that keeps writing until stopped.
fn load(m: &TestServer) -> (Arc<AtomicBool>, Arc<AtomicU64>, std::thread::JoinHandle<()>) {
    let stop = Arc::new(AtomicBool::new(false));
    let done = Arc::new(AtomicU64::new(0));
    let (s2, d2) = (stop.clone(), done.clone());
    let mut c = m.raw();
    let h = std::thread::spawn(move || {
        let mut i = 1000;
        while !s2.load(Ordering::Acquire) {
            write_every_type(&mut c, i);
            i += 1;
            d2.fetch_add(1, Ordering::AcqRel);
        }
    });
    (stop, done, h)
}

#[test]
fn cut_link_resumes_with_partial_resync_under_write_load() {
    let Some((m, r)) = master_and_replica(&[]) else { return };
    wait_same_digest(&m, &r, LONG);
    let (stop, done, h) = load(&m);
    wait_until(LONG, "some writes", || done.load(Ordering::Acquire) > 20);
    let killed = m.raw().cmd(&["CLIENT", "KILL", "TYPE", "replica"]).expect("kill");
    assert_eq!(killed, Reply::Int(1));
    wait_until(LONG, "partial resync", || info_field(&m, "sync_partial_ok").as_deref() == Some("1"));
    let at = done.load(Ordering::Acquire);
    wait_until(LONG, "more writes after the resync", || done.load(Ordering::Acquire) > at + 20);
    stop.store(true, Ordering::Release);
    h.join().expect("writer");
    wait_same_digest(&m, &r, LONG);
    assert_eq!(info_field(&m, "sync_full").as_deref(), Some("1"));
    assert_eq!(info_field(&m, "sync_partial_err").as_deref(), Some("0"));
    assert!(m.log().contains("Partial resynchronization request from 127.0.0.1:"), "{}", m.log());
}

#[test]
fn link_cut_by_a_proxy_resumes_with_partial_resync() {
    if !redis_available() {
        return;
    }
    let m = TestServer::start(&["--repl-diskless-sync-delay", "0"]);
    let proxy = Proxy::start(m.port);
    let port = proxy.port.to_string();
    let r = TestServer::start_redis(&["--replicaof", "127.0.0.1", &port]);
    wait_link_up(&r, LONG);
    let (stop, done, h) = load(&m);
    wait_until(LONG, "some writes", || done.load(Ordering::Acquire) > 20);
    proxy.cut();
    wait_until(LONG, "reconnection", || proxy.accepted.load(Ordering::Acquire) >= 2 && info_field(&m, "sync_partial_ok").as_deref() == Some("1"));
    stop.store(true, Ordering::Release);
    h.join().expect("writer");
    wait_same_digest(&m, &r, LONG);
    assert_eq!(info_field(&m, "sync_full").as_deref(), Some("1"));
}

#[test]
fn wait_counts_replicas_that_acknowledged() {
    let Some((m, r)) = master_and_replica(&[]) else { return };
    let mut c = m.raw();
    ok(&mut c, &["SET", "w", "1"]);
    assert_eq!(c.cmd(&["WAIT", "1", "5000"]).unwrap(), Reply::Int(1));
    ok(&mut c, &["SET", "w", "2"]);
    // More replicas than exist: the timeout answers with those that acknowledged.
    let t = std::time::Instant::now();
    assert_eq!(c.cmd(&["WAIT", "2", "300"]).unwrap(), Reply::Int(1));
    assert!(t.elapsed() >= Duration::from_millis(250));
    // Inside MULTI WAIT does not block.
    ok(&mut c, &["MULTI"]);
    c.cmd(&["WAIT", "5", "0"]).unwrap();
    assert_eq!(c.cmd(&["EXEC"]).unwrap(), Reply::Array(Some(vec![Reply::Int(1)])));
    assert_eq!(r.raw().cmd(&["GET", "w"]).unwrap().as_str(), "2");
    // A replica that is gone no longer counts.
    drop(r);
    ok(&mut c, &["SET", "w", "3"]);
    assert_eq!(c.cmd(&["WAIT", "1", "200"]).unwrap(), Reply::Int(0));
}

#[test]
fn redis_cli_rdb_gets_a_valid_rdb() {
    if !redis_available() {
        return;
    }
    for mode in ["yes", "no"] {
        let m = TestServer::start(&["--repl-diskless-sync-delay", "0", "--repl-diskless-sync", mode]);
        let mut c = m.raw();
        for i in 0..50 {
            write_every_type(&mut c, i);
        }
        let file = m.dir.path().join("cli.rdb");
        let out = std::process::Command::new("redis-cli").args(["-p", &m.port.to_string(), "--rdb"]).arg(&file).output().expect("redis-cli");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let check = std::process::Command::new("redis-check-rdb").arg(&file).output().expect("redis-check-rdb");
        let text = String::from_utf8_lossy(&check.stdout);
        assert!(check.status.success() && text.contains("RDB looks OK"), "{text}");
        // Loaded by redis-server, it holds the same data.
        let copy = TestServer::start_redis(&["--dbfilename", "cli.rdb", "--dir", &m.dir.path().display().to_string()]);
        assert_eq!(rhodium_it::repl::digest(&copy), rhodium_it::repl::digest(&m));
        assert_eq!(info_field(&m, "connected_slaves").as_deref(), Some("0"));
    }
}

/// Replaces values that differ between runs (IDs, offsets, ports) by their shape.
fn shape(v: &str) -> String {
    if v.len() == 40 && v.bytes().all(|b| b.is_ascii_hexdigit()) {
        return if v.bytes().all(|b| b == b'0') { "zeros".into() } else { "replid".into() };
    }
    if v.parse::<i64>().is_ok() {
        return "int".into();
    }
    v.split(',').map(|kv| kv.split_once('=').map_or(kv.to_string(), |(k, v)| format!("{k}={}", shape(v)))).collect::<Vec<_>>().join(",")
}

fn role_shape(r: &Reply) -> String {
    match r {
        Reply::Array(Some(items)) => format!("[{}]", items.iter().map(role_shape).collect::<Vec<_>>().join(",")),
        Reply::Bulk(Some(b)) => format!("bulk:{}", shape(&String::from_utf8_lossy(b))),
        Reply::Int(_) => "int".into(),
        other => format!("{other:?}"),
    }
}

#[test]
fn info_replication_and_role_have_redis_shape() {
    let Some((m, r)) = master_and_replica(&[]) else { return };
    let rm = TestServer::start_redis(&["--repl-diskless-sync-delay", "0"]);
    let port = rm.port.to_string();
    let rr = TestServer::start_redis(&["--replicaof", "127.0.0.1", &port]);
    wait_link_up(&rr, LONG);
    ok(&mut rm.raw(), &["SET", "a", "1"]);
    ok(&mut m.raw(), &["SET", "a", "1"]);
    let (ours, theirs) = (&m, &rm);
    wait_until(LONG, "replicas online and acknowledged", || {
        let ack = |s: &TestServer| info_field(s, "slave0").is_some_and(|v| v.contains("state=online") && !v.contains("offset=0,"));
        ack(ours) && ack(theirs)
    });
    let a: Vec<_> = replication_section(ours).into_iter().map(|(k, v)| format!("{k}:{}", shape(&v))).collect();
    let b: Vec<_> = replication_section(theirs).into_iter().map(|(k, v)| format!("{k}:{}", shape(&v))).collect();
    assert_eq!(a, b);
    let ra = ours.raw().cmd(&["ROLE"]).unwrap();
    let rb = theirs.raw().cmd(&["ROLE"]).unwrap();
    assert_eq!(role_shape(&ra), role_shape(&rb));
    drop(r);
    drop(rr);
}

#[test]
fn replication_command_errors_match_redis() {
    diff::check(
        r#"
        REPLCONF
        REPLCONF a
        REPLCONF foo bar
        REPLCONF listening-port x
        REPLCONF listening-port 7000 capa eof capa psync2
        REPLCONF rdb-only 2
        REPLCONF rdb-only 0
        REPLCONF rdb-filter-only x
        REPLCONF rdb-filter-only functions
        REPLCONF capa zzz
        PSYNC a b
        PSYNC a
        SYNC x
        WAIT x 1
        WAIT 1 x
        WAIT 1 -1
        WAIT 1 0.5
        WAIT 0 0
        WAIT -1 0
        ROLE
        ROLE x
        MULTI
        WAIT 5 100
        EXEC
        MULTI
        PSYNC ? -1
        DISCARD
        CONFIG SET min-replicas-to-write 1
        SET a 1
        GET a
        CONFIG SET min-replicas-to-write 0
        SET a 1
        "#,
    );
}

#[test]
fn debug_change_repl_id_forces_a_full_resync() {
    let Some((m, r)) = master_and_replica(&[]) else { return };
    let before = info_field(&m, "master_replid");
    ok(&mut m.raw(), &["DEBUG", "CHANGE-REPL-ID"]);
    assert_ne!(info_field(&m, "master_replid"), before);
    ok(&mut m.raw(), &["CLIENT", "KILL", "TYPE", "replica"]);
    wait_until(LONG, "second full sync", || info_field(&m, "sync_full").as_deref() == Some("2"));
    assert_eq!(info_field(&m, "sync_partial_err").as_deref(), Some("1"));
    wait_link_up(&r, LONG);
    ok(&mut m.raw(), &["SET", "after", "1"]);
    wait_same_digest(&m, &r, LONG);
}

/// Writes about `bytes` of stream in big values.
fn write_bytes(m: &TestServer, bytes: usize) {
    let mut c = m.raw();
    let v = "v".repeat(4096);
    for i in 0..bytes / 4096 + 1 {
        ok(&mut c, &["SET", &format!("big:{}", i % 64), &v]);
    }
}

#[test]
fn replica_behind_the_backlog_gets_a_full_resync() {
    let Some((m, r)) = master_and_replica(&["--repl-backlog-size", "16kb"]) else { return };
    wait_same_digest(&m, &r, LONG);
    r.signal("STOP");
    ok(&mut m.raw(), &["CLIENT", "KILL", "TYPE", "replica"]);
    write_bytes(&m, 200 * 1024);
    r.signal("CONT");
    wait_until(LONG, "second full sync", || info_field(&m, "sync_full").as_deref() == Some("2"));
    assert_eq!(info_field(&m, "sync_partial_err").as_deref(), Some("1"));
    assert!(m.log().contains("for lack of backlog"), "{}", m.log());
    let histlen: u64 = info_field(&m, "repl_backlog_histlen").and_then(|v| v.parse().ok()).unwrap_or(0);
    assert!(histlen <= 2 * 16 * 1024, "backlog trimmed to its size: {histlen}");
    wait_same_digest(&m, &r, LONG);
}

#[test]
fn silent_replica_is_disconnected_after_repl_timeout() {
    let Some((m, r)) = master_and_replica(&["--repl-timeout", "2"]) else { return };
    wait_same_digest(&m, &r, LONG);
    r.signal("STOP");
    wait_until(LONG, "timeout disconnection", || m.log().contains("Disconnecting timedout replica (streaming sync): 127.0.0.1:"));
    wait_until(LONG, "replica gone", || info_field(&m, "connected_slaves").as_deref() == Some("0"));
    r.signal("CONT");
    wait_until(LONG, "replica back", || info_field(&m, "connected_slaves").as_deref() == Some("1"));
    ok(&mut m.raw(), &["SET", "after", "1"]);
    wait_same_digest(&m, &r, LONG);
}

#[test]
fn replica_over_its_output_limit_is_disconnected() {
    let Some((m, r)) = master_and_replica(&[]) else { return };
    ok(&mut m.raw(), &["CONFIG", "SET", "client-output-buffer-limit", "replica 256kb 0 0"]);
    wait_same_digest(&m, &r, LONG);
    r.signal("STOP");
    // More than the socket buffers of a stopped peer absorb.
    write_bytes(&m, 24 << 20);
    wait_until(LONG, "limit disconnection", || m.log().contains("scheduled to be closed ASAP for overcoming of output buffer limits"));
    r.signal("CONT");
    wait_link_up(&r, LONG);
    wait_same_digest(&m, &r, LONG);
}

#[test]
fn replicas_arriving_within_the_delay_share_one_transfer() {
    if !redis_available() {
        return;
    }
    let m = TestServer::start(&["--repl-diskless-sync-delay", "2"]);
    let mut c = m.raw();
    for i in 0..30 {
        write_every_type(&mut c, i);
    }
    let port = m.port.to_string();
    let r1 = TestServer::start_redis(&["--replicaof", "127.0.0.1", &port]);
    let r2 = TestServer::start_redis(&["--replicaof", "127.0.0.1", &port]);
    wait_link_up(&r1, LONG);
    wait_link_up(&r2, LONG);
    assert_eq!(m.log().matches("Starting BGSAVE for SYNC").count(), 1, "{}", m.log());
    assert_eq!(info_field(&m, "sync_full").as_deref(), Some("2"));
    write_every_type(&mut c, 99);
    wait_same_digest(&m, &r1, LONG);
    wait_same_digest(&m, &r2, LONG);
    // Both acknowledge: WAIT sees two replicas.
    assert_eq!(c.cmd(&["WAIT", "2", "5000"]).unwrap(), Reply::Int(2));
}

#[test]
fn min_replicas_to_write_is_met_by_a_live_replica() {
    let Some((m, r)) = master_and_replica(&[]) else { return };
    let mut c = m.raw();
    ok(&mut c, &["CONFIG", "SET", "min-replicas-to-write", "1"]);
    wait_until(LONG, "writes accepted", || !c.cmd(&["SET", "a", "1"]).unwrap().is_error());
    drop(r);
    wait_until(LONG, "writes refused", || c.cmd(&["SET", "a", "1"]).unwrap() == Reply::Error("NOREPLICAS Not enough good replicas to write.".into()));
    assert_eq!(c.cmd(&["GET", "a"]).unwrap().as_str(), "1");
}

#[test]
fn stuck_replica_does_not_hold_a_diskless_transfer() {
    if !redis_available() {
        return;
    }
    let m = TestServer::start(&["--repl-diskless-sync-delay", "0", "--repl-timeout", "2", "--rdbcompression", "no"]);
    let mut c = m.raw();
    // More than socket buffers and the transfer's queue hold.
    ok(&mut c, &["DEBUG", "POPULATE", "30000", "key", "1000"]);
    // A fake replica that asks for a full sync and never reads.
    let mut stuck = m.raw();
    ok(&mut stuck, &["REPLCONF", "capa", "eof"]);
    stuck.send(&["PSYNC", "?", "-1"]).unwrap();
    wait_until(LONG, "full-sync timeout", || m.log().contains("Disconnecting timedout replica (full sync)"));
    // The snapshot ended: BGSAVE runs again.
    wait_until(LONG, "bgsave accepted", || c.cmd(&["BGSAVE"]).unwrap().as_str() == "Background saving started");
}
