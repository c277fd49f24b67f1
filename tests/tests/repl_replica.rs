//! Rhodium as a replica of a real redis-server 7.0: full sync (disk `$len` and diskless EOF
//! payloads), the command stream of every type, partial resync after the link is cut
//! from either side, -LOADING during a slow full sync, -READONLY and -MASTERDOWN compared
//! with a redis-server replica in the same setup, replica expiry, and a restart that
//! resumes with a partial resync.

use std::time::Duration;

use rhodium_it::diff::split;
use rhodium_it::replication::{digest, info_field, sync_count, wait_link_up, wait_same_digest, Restarted};
use rhodium_it::{redis_available, wait_until, RawConn, Reply, TestServer};

fn run(c: &mut RawConn, script: &str) {
    for line in script.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')) {
        let r = c.cmd(&split(line)).unwrap_or_else(|e| panic!("`{line}` failed: {e}"));
        assert!(!r.is_error(), "`{line}` -> {r:?}");
    }
}

/// A redis-server master that starts a sync at once; `diskless` picks the payload form.
fn master(diskless: bool) -> Option<TestServer> {
    if !redis_available() {
        eprintln!("redis-server not installed: replication test skipped");
        return None;
    }
    Some(TestServer::start_redis(&["--repl-diskless-sync", if diskless { "yes" } else { "no" }, "--repl-diskless-sync-delay", "0"]))
}

fn replicaof(replica: &TestServer, master: &TestServer) {
    let r = replica.raw().cmd(&["REPLICAOF", "127.0.0.1", &master.port.to_string()]).unwrap();
    assert_eq!(r, Reply::Simple("OK".into()));
}

const SEED: &str = "
SET s hello
SET n 10
RPUSH l a b c d
HSET h f1 v1 f2 v2
SADD st a b c 1 2 3
ZADD z 1 a 2 b 3.5 c
XADD x 1-1 f v
XADD x 2-1 g w
SET e v EX 1000
PFADD hll a b c
SETBIT bm 7 1
SELECT 5
SET k5 in-five
LPUSH l5 x
SELECT 0
";

const WRITES: &str = "
APPEND s -world
INCRBY n 5
INCRBYFLOAT n 1.5
LPOP l
RPUSH l e f
LSET l 0 z
HSET h f3 v3
HDEL h f1
HINCRBY h cnt 3
SREM st a
SADD st 4
ZINCRBY z 10 a
ZREM z b
XADD x 3-1 h u
XTRIM x MAXLEN 2
XGROUP CREATE x grp 0
PFADD hll d
SETBIT bm 9 1
EXPIRE s 5000
PERSIST e
RENAME n n2
MULTI
SET m1 1
INCR m1
EXEC
EVAL \"redis.call('set','lua','1') return redis.call('incr','lua')\" 0
SELECT 5
SET k5b other
DEL k5
SELECT 9
SET k9 nine
SELECT 0
GETDEL s
SET s again PX 900000
";

fn check_stream_of_every_type(diskless: bool) {
    let Some(m) = master(diskless) else { return };
    let mut mc = m.raw();
    run(&mut mc, SEED);
    let r = TestServer::start(&[]);
    replicaof(&r, &m);
    wait_link_up(r.port);
    wait_same_digest(m.port, r.port);
    run(&mut mc, WRITES);
    wait_same_digest(m.port, r.port);
    // WAIT's REPLCONF GETACK is answered with the replica's offset.
    assert_eq!(mc.cmd(&["WAIT", "1", "5000"]).unwrap(), Reply::Int(1));
    // The processed offset reaches the master's.
    wait_until(Duration::from_secs(10), "offsets equal", || info_field(m.port, "replication", "master_repl_offset") == info_field(r.port, "replication", "slave_repl_offset"));
    let form = if diskless { "receiving streamed RDB from master with EOF to disk" } else { "bytes from master to disk" };
    let log = r.log();
    for line in ["Connecting to MASTER 127.0.0.1:", "MASTER <-> REPLICA sync started", "Trying a partial resynchronization (request ", "Full resync from master: ", form, "MASTER <-> REPLICA sync: Finished with success"] {
        assert!(log.contains(line), "log lacks `{line}`:\n{log}");
    }
    assert_eq!(sync_count(m.port, "sync_full"), 1);
}

#[test]
fn full_sync_from_disk_then_every_type_streams() {
    check_stream_of_every_type(false);
}

#[test]
fn full_sync_diskless_then_every_type_streams() {
    check_stream_of_every_type(true);
}

#[test]
fn info_and_client_list_on_a_replica() {
    let Some(m) = master(true) else { return };
    let r = TestServer::start(&[]);
    let mut rc = r.raw();
    let before = rc.cmd(&["INFO", "replication"]).unwrap().as_str();
    assert!(before.starts_with("# Replication\r\nrole:master\r\n"), "{before}");
    replicaof(&r, &m);
    wait_link_up(r.port);
    let info = rc.cmd(&["INFO", "replication"]).unwrap().as_str();
    let names: Vec<&str> = info.lines().filter_map(|l| l.split(':').next()).take(13).collect();
    assert_eq!(names, ["# Replication", "role", "master_host", "master_port", "master_link_status", "master_last_io_seconds_ago", "master_sync_in_progress", "slave_read_repl_offset", "slave_repl_offset", "slave_priority", "slave_read_only", "replica_announced", "connected_slaves"]);
    assert!(info.contains(&format!("master_host:127.0.0.1\r\nmaster_port:{}\r\nmaster_link_status:up\r\n", m.port)), "{info}");
    let list = rc.cmd(&["CLIENT", "LIST", "TYPE", "master"]).unwrap().as_str();
    assert!(list.contains(&format!("addr=127.0.0.1:{} ", m.port)) && list.contains(" flags=M "), "{list}");
    // Same master again: nothing happens.
    let again = rc.cmd_bytes(&["REPLICAOF", "127.0.0.1", &m.port.to_string()]).unwrap();
    assert_eq!(String::from_utf8_lossy(&again), "+OK Already connected to specified master\r\n");
    assert_eq!(sync_count(m.port, "sync_full"), 1);
}

#[test]
fn partial_resync_after_the_link_is_cut_from_either_side() {
    let Some(m) = master(true) else { return };
    let mut mc = m.raw();
    run(&mut mc, SEED);
    let r = TestServer::start(&[]);
    replicaof(&r, &m);
    wait_link_up(r.port);
    wait_same_digest(m.port, r.port);
    // Cut by the replica.
    let killed = r.raw().cmd(&["CLIENT", "KILL", "TYPE", "master"]).unwrap();
    assert_eq!(killed, Reply::Int(1));
    run(&mut mc, "SET during-cut 1\nRPUSH l more");
    wait_until(Duration::from_secs(20), "first partial resync", || sync_count(m.port, "sync_partial_ok") == 1);
    wait_same_digest(m.port, r.port);
    // Cut by the master.
    assert_eq!(mc.cmd(&["CLIENT", "KILL", "TYPE", "replica"]).unwrap(), Reply::Int(1));
    run(&mut mc, "INCR counter\nHSET h late 1");
    wait_until(Duration::from_secs(20), "second partial resync", || sync_count(m.port, "sync_partial_ok") == 2);
    wait_same_digest(m.port, r.port);
    assert_eq!(sync_count(m.port, "sync_full"), 1);
    let log = r.log();
    assert!(log.contains("Successful partial resynchronization with master."), "{log}");
    assert!(log.contains("MASTER <-> REPLICA sync: Master accepted a Partial Resynchronization."), "{log}");
}

/// Polls GET on `port` until a -LOADING reply shows up; returns its exact bytes.
fn first_loading_reply(port: u16) -> String {
    let mut c = RawConn::connect(port).unwrap();
    let mut seen = String::new();
    wait_until(Duration::from_secs(30), "a -LOADING reply", || {
        let r = c.cmd_bytes(&["GET", "key:1"]).unwrap_or_default();
        seen = String::from_utf8_lossy(&r).into_owned();
        seen.starts_with("-LOADING")
    });
    seen
}

#[test]
fn loading_error_during_a_slow_full_sync_matches_redis() {
    let Some(m) = master(true) else { return };
    let mut mc = m.raw();
    run(&mut mc, "DEBUG POPULATE 3000 key 10\nCONFIG SET rdb-key-save-delay 1000");
    // Redis answers clients during a load only every so many bytes: make it often.
    let theirs = TestServer::start_redis(&["--repl-diskless-load", "on-empty-db", "--loading-process-events-interval-bytes", "1024"]);
    replicaof(&theirs, &m);
    let expected = first_loading_reply(theirs.port);
    wait_link_up(theirs.port);
    let ours = TestServer::start(&["--repl-diskless-load", "on-empty-db"]);
    replicaof(&ours, &m);
    let got = first_loading_reply(ours.port);
    assert_eq!(got, expected);
    assert_eq!(got, "-LOADING Redis is loading the dataset in memory\r\n");
    // INFO runs while loading and shows the transfer.
    let info = ours.raw().cmd(&["INFO", "replication"]).unwrap().as_str();
    assert!(info.contains("master_link_status:down") && info.contains("master_sync_in_progress:1\r\n"), "{info}");
    assert!(info.contains("master_sync_read_bytes:") && info.contains("master_sync_perc:"), "{info}");
    wait_link_up(ours.port);
    run(&mut mc, "CONFIG SET rdb-key-save-delay 0");
    wait_same_digest(m.port, ours.port);
    assert!(ours.log().contains("receiving streamed RDB from master with EOF to parser"));
}

#[test]
fn readonly_masterdown_and_no_one_match_a_redis_replica() {
    let Some(m) = master(true) else { return };
    let mut mc = m.raw();
    run(&mut mc, "SET a 1");
    let ours = TestServer::start(&[]);
    let theirs = TestServer::start_redis(&[]);
    for r in [&ours, &theirs] {
        replicaof(r, &m);
        wait_link_up(r.port);
        wait_same_digest(m.port, r.port);
    }
    let dead = rhodium_it::free_port().to_string();
    let script = [
        "SET x 1",
        "INCR a",
        "GET a",
        "MULTI",
        "SET x 2",
        "GET a",
        "EXEC",
        "EVAL \"return redis.call('get','a')\" 0",
        "EVAL \"#!lua\nreturn redis.call('get','a')\" 0",
        "EVAL \"#!lua flags=no-writes\nreturn redis.call('get','a')\" 0",
        "CONFIG SET replica-read-only no",
        "SET local 1",
        "CONFIG SET replica-read-only yes",
        "CONFIG SET replica-serve-stale-data no",
        "GET a",
        "PING",
        "ECHO hi",
        &format!("REPLICAOF 127.0.0.1 {dead}"),
        "GET a",
        "PING",
        "ECHO hi",
        "EVAL \"#!lua flags=no-writes\nreturn 1\" 0",
        "EVAL \"#!lua flags=no-writes,allow-stale\nreturn 1\" 0",
        "MULTI",
        "GET a",
        "DISCARD",
        "REPLICAOF 127.0.0.1 70000",
        "REPLICAOF 127.0.0.1 abc",
        "CONFIG GET replicaof",
        "REPLICAOF NO ONE",
        "CONFIG GET slaveof",
        "GET a",
        "SET x 3",
        "REPLICAOF NO ONE",
    ];
    let (mut a, mut b) = (ours.raw(), theirs.raw());
    for line in script {
        let argv = split(line);
        let ra = String::from_utf8_lossy(&a.cmd_bytes(&argv).unwrap()).into_owned();
        let rb = String::from_utf8_lossy(&b.cmd_bytes(&argv).unwrap()).into_owned();
        assert_eq!(ra, rb, "reply differs for `{line}` (left: rhodium, right: redis)");
    }
    assert_eq!(info_field(ours.port, "replication", "role").as_deref(), Some("master"));
}

#[test]
fn replica_hides_expired_keys_until_the_master_deletes_them() {
    let Some(m) = master(true) else { return };
    let mut mc = m.raw();
    run(&mut mc, "DEBUG SET-ACTIVE-EXPIRE 0\nSET keep 1");
    let ours = TestServer::start(&[]);
    let theirs = TestServer::start_redis(&[]);
    for r in [&ours, &theirs] {
        replicaof(r, &m);
        wait_link_up(r.port);
    }
    run(&mut mc, "SET short v PX 50");
    for r in [&ours, &theirs] {
        wait_until(Duration::from_secs(10), "the key replicated", || r.raw().cmd(&["DBSIZE"]).unwrap() == Reply::Int(2));
        wait_until(Duration::from_secs(10), "the key hidden", || r.raw().cmd(&["GET", "short"]).unwrap() == Reply::Bulk(None));
        // SCAN skips it without deleting it: the replica waits for its master's DEL.
        let scan = r.raw().cmd(&["SCAN", "0", "COUNT", "100"]).unwrap();
        assert_eq!(scan, Reply::Array(Some(vec![Reply::Bulk(Some(b"0".to_vec())), Reply::Array(Some(vec![Reply::Bulk(Some(b"keep".to_vec()))]))])), "{:?}", r.flavor);
        assert_eq!(r.raw().cmd(&["DBSIZE"]).unwrap(), Reply::Int(2), "{:?}", r.flavor);
        assert_eq!(r.raw().cmd(&["EXISTS", "short"]).unwrap(), Reply::Int(0));
    }
    // The master expires it on access and the DEL flows.
    assert_eq!(mc.cmd(&["GET", "short"]).unwrap(), Reply::Bulk(None));
    for r in [&ours, &theirs] {
        wait_until(Duration::from_secs(10), "the master's DEL", || r.raw().cmd(&["DBSIZE"]).unwrap() == Reply::Int(1));
    }
    assert_eq!(digest(ours.port), digest(m.port));
}

#[test]
fn restart_resumes_with_a_partial_resync() {
    let Some(m) = master(false) else { return };
    let mut mc = m.raw();
    run(&mut mc, SEED);
    let mport = m.port.to_string();
    let mut first = TestServer::start(&["--replicaof", "127.0.0.1", &mport]);
    wait_link_up(first.port);
    run(&mut mc, "SET before-restart 1");
    wait_same_digest(m.port, first.port);
    let mut c = first.raw();
    c.send(&["SHUTDOWN", "SAVE"]).unwrap();
    assert!(first.wait_exit(Duration::from_secs(20)).is_some(), "replica did not exit");
    run(&mut mc, "SET while-down 1\nINCR n");
    let again = Restarted::start(first.dir.path(), first.port, &["--replicaof", "127.0.0.1", &mport]);
    wait_link_up(again.port);
    wait_same_digest(m.port, again.port);
    assert_eq!(sync_count(m.port, "sync_full"), 1);
    assert_eq!(sync_count(m.port, "sync_partial_ok"), 1);
    let log = first.log();
    assert!(log.contains("Trying a partial resynchronization (request "), "{log}");
}

#[test]
fn silent_master_times_out_and_resumes_partially() {
    let Some(m) = master(true) else { return };
    // The master pings every 10 s by default: a 1 s repl-timeout sees it silent.
    let r = TestServer::start(&["--repl-timeout", "1"]);
    replicaof(&r, &m);
    wait_link_up(r.port);
    wait_until(Duration::from_secs(20), "a timeout then a partial resync", || sync_count(m.port, "sync_partial_ok") >= 1);
    assert!(r.log().contains("MASTER timeout: no data nor PING received..."));
    run(&mut m.raw(), "SET after-timeout 1");
    wait_same_digest(m.port, r.port);
    assert_eq!(sync_count(m.port, "sync_full"), 1);
}

#[test]
fn swapdb_keeps_serving_old_data_during_a_full_sync_of_the_same_history() {
    let Some(m) = master(true) else { return };
    let mut mc = m.raw();
    run(&mut mc, "CONFIG SET repl-backlog-size 16384\nDEBUG POPULATE 3000 key 10\nSET marker old");
    let r = TestServer::start(&["--repl-diskless-load", "swapdb"]);
    replicaof(&r, &m);
    wait_link_up(r.port);
    wait_same_digest(m.port, r.port);
    // Away long enough for the backlog to move past the replica's offset.
    let dead = rhodium_it::free_port().to_string();
    assert!(!r.raw().cmd(&["REPLICAOF", "127.0.0.1", &dead]).unwrap().is_error());
    let big = "x".repeat(40_000);
    for i in 0..3 {
        assert!(!mc.cmd(&["SET", &format!("big{i}"), &big]).unwrap().is_error());
    }
    run(&mut mc, "SET marker new\nCONFIG SET rdb-key-save-delay 300");
    replicaof(&r, &m);
    // Until the new data is swapped in, reads see the old data, never -LOADING.
    let mut c = r.raw();
    wait_until(Duration::from_secs(30), "the new data", || {
        let v = c.cmd(&["GET", "marker"]).unwrap();
        assert!(matches!(&v, Reply::Bulk(Some(b)) if b == b"old" || b == b"new"), "{v:?}");
        v == Reply::Bulk(Some(b"new".to_vec()))
    });
    run(&mut mc, "CONFIG SET rdb-key-save-delay 0");
    wait_same_digest(m.port, r.port);
    assert_eq!(sync_count(m.port, "sync_full"), 2);
    let log = r.log();
    assert!(log.contains("receiving streamed RDB from master with EOF to parser"), "{log}");
    assert!(log.contains("Swapping the loaded data with the old data"), "{log}");
}

#[test]
fn masterauth_and_masteruser_authenticate_the_link() {
    if !redis_available() {
        return;
    }
    let m = TestServer::start_redis(&["--repl-diskless-sync-delay", "0", "--requirepass", "pw"]);
    let wrong = TestServer::start(&["--masterauth", "nope"]);
    replicaof(&wrong, &m);
    wait_until(Duration::from_secs(10), "the AUTH refusal logged", || wrong.log().contains("Unable to AUTH to MASTER: -WRONGPASS"));
    assert_eq!(info_field(wrong.port, "replication", "master_link_status").as_deref(), Some("down"));
    let r = TestServer::start(&["--masteruser", "default", "--masterauth", "pw"]);
    replicaof(&r, &m);
    wait_link_up(r.port);
    let mut mc = m.raw();
    assert_eq!(mc.cmd(&["AUTH", "pw"]).unwrap(), Reply::Simple("OK".into()));
    run(&mut mc, "SET authed 1");
    wait_same_digest_auth(m.port, r.port);
}

/// [`wait_same_digest`] for a master that requires the password `pw`.
fn wait_same_digest_auth(master: u16, replica: u16) {
    let mut mc = RawConn::connect(master).unwrap();
    assert_eq!(mc.cmd(&["AUTH", "pw"]).unwrap(), Reply::Simple("OK".into()));
    wait_until(Duration::from_secs(20), "equal DEBUG DIGEST", || mc.cmd(&["DEBUG", "DIGEST"]).unwrap().as_str() == digest(replica));
}

#[test]
fn switching_to_a_sibling_continues_partially_and_works_inside_multi() {
    let Some(m) = master(true) else { return };
    let mut mc = m.raw();
    run(&mut mc, SEED);
    let sibling = TestServer::start_redis(&[]);
    replicaof(&sibling, &m);
    wait_link_up(sibling.port);
    let r = TestServer::start(&[]);
    replicaof(&r, &m);
    wait_link_up(r.port);
    run(&mut mc, "SET moved 1");
    wait_same_digest(m.port, r.port);
    wait_same_digest(m.port, sibling.port);
    // As Sentinel does it: SLAVEOF inside a transaction while the stream flows.
    let mut rc = r.raw();
    run(&mut mc, "MULTI\nINCR n\nINCR n\nEXEC");
    assert_eq!(rc.cmd(&["MULTI"]).unwrap(), Reply::Simple("OK".into()));
    for line in [&format!("SLAVEOF 127.0.0.1 {}", sibling.port), "CLIENT KILL TYPE normal SKIPME yes"] {
        assert_eq!(rc.cmd(&split(line)).unwrap(), Reply::Simple("QUEUED".into()));
    }
    let exec = rc.cmd(&["EXEC"]).unwrap();
    assert!(matches!(&exec, Reply::Array(Some(v)) if v[0] == Reply::Simple("OK".into())), "{exec:?}");
    wait_link_up(r.port);
    // PSYNC2: the sibling shares the master's history, so the replica continues.
    wait_until(Duration::from_secs(20), "a partial resync with the sibling", || sync_count(sibling.port, "sync_partial_ok") == 1);
    assert_eq!(sync_count(sibling.port, "sync_full"), 0);
    run(&mut mc, "SET through-sibling 1");
    wait_same_digest(m.port, r.port);
    assert_eq!(info_field(r.port, "replication", "master_port"), Some(sibling.port.to_string()));
}

#[test]
fn kill_9_restart_resumes_from_the_rdb_of_the_last_full_sync() {
    let Some(m) = master(true) else { return };
    let mut mc = m.raw();
    run(&mut mc, SEED);
    let mport = m.port.to_string();
    let mut first = TestServer::start(&["--replicaof", "127.0.0.1", &mport]);
    wait_link_up(first.port);
    run(&mut mc, "SET after-sync 1\nLPUSH l after");
    wait_same_digest(m.port, first.port);
    // The payload of the full sync was kept as dump.rdb, with the master's id and offset.
    assert!(first.dir.path().join("dump.rdb").exists());
    first.signal("KILL");
    assert!(first.wait_exit(Duration::from_secs(10)).is_some());
    run(&mut mc, "SET while-dead 1");
    let again = Restarted::start(first.dir.path(), first.port, &["--replicaof", "127.0.0.1", &mport]);
    wait_link_up(again.port);
    wait_same_digest(m.port, again.port);
    assert_eq!(sync_count(m.port, "sync_full"), 1);
    assert_eq!(sync_count(m.port, "sync_partial_ok"), 1);
}

#[test]
fn client_pause_write_holds_the_masters_commands_back() {
    let Some(m) = master(true) else { return };
    let mut mc = m.raw();
    let r = TestServer::start(&[]);
    replicaof(&r, &m);
    wait_link_up(r.port);
    let mut rc = r.raw();
    assert_eq!(rc.cmd(&["CLIENT", "PAUSE", "100000", "WRITE"]).unwrap(), Reply::Simple("OK".into()));
    run(&mut mc, "SET paused 1");
    // The master's write arrives but waits for the pause; reads of the replica go on.
    wait_until(Duration::from_secs(10), "the write read, not applied", || info_field(r.port, "replication", "slave_read_repl_offset") != info_field(r.port, "replication", "slave_repl_offset"));
    assert_eq!(rc.cmd(&["GET", "paused"]).unwrap(), Reply::Bulk(None));
    let before = info_field(r.port, "replication", "slave_repl_offset");
    assert_eq!(rc.cmd(&["CLIENT", "UNPAUSE"]).unwrap(), Reply::Simple("OK".into()));
    wait_same_digest(m.port, r.port);
    assert_ne!(info_field(r.port, "replication", "slave_repl_offset"), before);
}
