//! The append-only file against redis-server 7.0: the same commands give the same
//! incremental file byte for byte, each server starts from the other's AOF directory with
//! the same DEBUG DIGEST, redis-check-aof accepts Rhodium's files, BGREWRITEAOF under
//! writes loses and doubles nothing, kill -9 under `appendfsync always` keeps every
//! acknowledged write, torn and corrupt files are cut or refused as configured, and
//! clients get -LOADING while a dataset loads.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rhodium_it::raw::{RawConn, Reply};
use rhodium_it::{free_port, redis_available, rhodium_bin, wait_until, Flavor, TestServer};

const AOF: &[&str] = &["--appendonly", "yes"];

/// Commands whose propagated form does not depend on the clock.
const SCRIPT: &[&[&str]] = &[
    &["SET", "a", "1"],
    &["SET", "b", "2", "EXAT", "4000000000"],
    &["SELECT", "3"],
    &["INCR", "c"],
    &["SELECT", "0"],
    &["MULTI"],
    &["SET", "x", "1"],
    &["INCR", "x"],
    &["EXEC"],
    &["EXPIREAT", "a", "4000000001"],
    &["INCRBYFLOAT", "f", "1.5"],
    &["RPUSH", "l", "a", "b", "c"],
    &["LPOP", "l"],
    &["HSET", "h", "f1", "v1", "f2", "v2"],
    &["SADD", "s", "m1", "m2", "3"],
    &["ZADD", "z", "1.5", "a", "-2", "b"],
    &["XADD", "st", "1-1", "f", "v"],
    &["XGROUP", "CREATE", "st", "g", "0"],
    &["DEL", "nothing", "h"],
    &["SELECT", "5"],
    &["SET", "five", "5"],
    &["FLUSHDB"],
    &["SET", "five", "again"],
];

fn run(c: &mut RawConn, script: &[&[&str]]) {
    for cmd in script {
        let r = c.cmd(cmd).unwrap();
        assert!(!r.is_error(), "{cmd:?}: {r:?}");
    }
}

fn digest(s: &TestServer) -> String {
    s.raw().cmd(&["DEBUG", "DIGEST"]).unwrap().as_str()
}

fn aof_dir(s: &TestServer) -> PathBuf {
    s.dir.path().join("appendonlydir")
}

fn read(p: &Path) -> Vec<u8> {
    std::fs::read(p).unwrap_or_default()
}

fn manifest(s: &TestServer) -> String {
    manifest_in(s.dir.path())
}

fn manifest_in(dir: &Path) -> String {
    String::from_utf8_lossy(&read(&dir.join("appendonlydir").join("appendonly.aof.manifest"))).into_owned()
}

/// The files the manifest names, as (name, type letter).
fn manifest_files(s: &TestServer) -> Vec<(String, String)> {
    manifest(s).lines().filter_map(|l| {
        let w: Vec<&str> = l.split(' ').collect();
        (w.len() == 6).then(|| (w[1].to_string(), w[5].to_string()))
    }).collect()
}

fn last_incr(s: &TestServer) -> PathBuf {
    let f = manifest_files(s).into_iter().rfind(|(_, t)| t == "i").expect("an incr file");
    aof_dir(s).join(f.0)
}

fn info(c: &mut RawConn) -> String {
    c.cmd(&["INFO", "persistence"]).unwrap().as_str()
}

fn field(info: &str, name: &str) -> String {
    info.lines().find_map(|l| l.strip_prefix(&format!("{name}:"))).unwrap_or("").trim().to_string()
}

/// Shuts a server down without saving and waits for it to exit.
fn stop(s: &mut TestServer) {
    let _ = s.raw().send(&["SHUTDOWN", "NOSAVE"]);
    assert!(s.wait_exit(Duration::from_secs(20)).is_some(), "server did not exit");
}

/// Starts a server of `flavor` whose working directory is `dir` (so it finds the AOF the
/// other one left there).
fn start_in(flavor: Flavor, dir: &Path, extra: &[&str]) -> TestServer {
    let d = dir.to_string_lossy().into_owned();
    let mut args = vec!["--dir", d.as_str()];
    args.extend_from_slice(extra);
    TestServer::start_flavor(flavor, &args)
}

/// Starts rhodium-server in `dir` without waiting for it (to watch it load); returns the
/// child and its port.
fn spawn_in(dir: &Path, extra: &[&str]) -> (std::process::Child, u16) {
    let port = free_port();
    let log = std::fs::File::create(dir.join("spawned.log")).unwrap();
    let child = Command::new(rhodium_bin())
        .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--save", "", "--enable-debug-command", "yes", "--dir", &dir.to_string_lossy()])
        .args(extra)
        .stdin(Stdio::null())
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .unwrap();
    (child, port)
}

#[test]
fn incremental_file_and_manifest_match_redis_byte_for_byte() {
    if !redis_available() {
        return;
    }
    let rh = TestServer::start(AOF);
    let rd = TestServer::start_redis(AOF);
    for s in [&rh, &rd] {
        run(&mut s.raw(), SCRIPT);
    }
    wait_until(Duration::from_secs(10), "the same incr file", || {
        let a = read(&aof_dir(&rh).join("appendonly.aof.1.incr.aof"));
        !a.is_empty() && a == read(&aof_dir(&rd).join("appendonly.aof.1.incr.aof"))
    });
    assert_eq!(manifest(&rh), manifest(&rd));
    assert_eq!(manifest(&rh), "file appendonly.aof.1.base.rdb seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n");
    assert!(rh.log().contains("Creating AOF base file appendonly.aof.1.base.rdb on server start"));
    assert!(rh.log().contains("Creating AOF incr file appendonly.aof.1.incr.aof on server start"));
}

#[test]
fn rhodium_aof_restarts_passes_redis_check_aof_and_loads_in_redis() {
    let mut s = TestServer::start(AOF);
    let mut c = s.raw();
    run(&mut c, SCRIPT);
    assert_eq!(c.cmd(&["BGREWRITEAOF"]).unwrap(), Reply::Simple("Background append only file rewriting started".into()));
    wait_until(Duration::from_secs(20), "the rewrite", || field(&info(&mut c), "aof_rewrite_in_progress") == "0" && field(&info(&mut c), "aof_rewrites") == "1");
    run(&mut c, &[&["SET", "after", "rewrite"], &["SELECT", "7"], &["LPUSH", "q", "1", "2"], &["SELECT", "0"], &["HSET", "h2", "a", "b"]]);
    let i = info(&mut c);
    assert_eq!(field(&i, "aof_enabled"), "1");
    assert_eq!(field(&i, "aof_last_bgrewrite_status"), "ok");
    assert_eq!(field(&i, "aof_last_write_status"), "ok");
    let files = manifest_files(&s);
    assert_eq!(files, vec![("appendonly.aof.2.base.rdb".to_string(), "b".to_string()), ("appendonly.aof.2.incr.aof".to_string(), "i".to_string())]);
    // The old files are gone.
    assert!(!aof_dir(&s).join("appendonly.aof.1.base.rdb").exists());
    assert!(!aof_dir(&s).join("appendonly.aof.1.incr.aof").exists());
    let before = digest(&s);
    stop(&mut s);
    let again = start_in(Flavor::Rhodium, s.dir.path(), AOF);
    assert_eq!(digest(&again), before);
    let log = again.log();
    assert!(log.contains("RDB is base AOF"), "{log}");
    assert!(log.contains("DB loaded from base file appendonly.aof.2.base.rdb"), "{log}");
    assert!(log.contains("DB loaded from incr file appendonly.aof.2.incr.aof"), "{log}");
    assert!(log.contains("DB loaded from append only file"), "{log}");
    assert!(log.contains("Opening AOF incr file appendonly.aof.2.incr.aof on server start"), "{log}");
    drop(again);
    if !redis_available() {
        return;
    }
    let out = Command::new("redis-check-aof").arg(aof_dir(&s).join("appendonly.aof.manifest")).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success() && text.contains("All AOF files and manifest are valid"), "{text}");
    let redis = start_in(Flavor::Redis, s.dir.path(), AOF);
    assert_eq!(digest(&redis), before);
}

#[test]
fn rhodium_loads_an_aof_directory_written_by_redis() {
    if !redis_available() {
        return;
    }
    let mut r = TestServer::start_redis(AOF);
    let mut c = r.raw();
    run(&mut c, SCRIPT);
    assert_eq!(c.cmd(&["BGREWRITEAOF"]).unwrap(), Reply::Simple("Background append only file rewriting started".into()));
    wait_until(Duration::from_secs(20), "redis's rewrite", || field(&info(&mut c), "aof_rewrite_in_progress") == "0" && field(&info(&mut c), "aof_rewrites") == "1");
    run(&mut c, &[&["SET", "after", "rewrite"], &["MULTI"], &["INCR", "n"], &["SELECT", "2"], &["SADD", "s2", "x"], &["EXEC"], &["ZADD", "z2", "3", "m"]]);
    let before = digest(&r);
    stop(&mut r);
    let rh = start_in(Flavor::Rhodium, r.dir.path(), AOF);
    assert_eq!(digest(&rh), before);
    // And the plain-commands base Redis writes without the preamble.
    let mut r2 = TestServer::start_redis(&["--appendonly", "yes", "--aof-use-rdb-preamble", "no"]);
    let mut c2 = r2.raw();
    run(&mut c2, SCRIPT);
    c2.cmd(&["BGREWRITEAOF"]).unwrap();
    wait_until(Duration::from_secs(20), "redis's rewrite", || field(&info(&mut c2), "aof_rewrites") == "1" && field(&info(&mut c2), "aof_rewrite_in_progress") == "0");
    let before2 = digest(&r2);
    stop(&mut r2);
    assert!(aof_dir(&r2).join("appendonly.aof.2.base.aof").exists());
    let rh2 = start_in(Flavor::Rhodium, r2.dir.path(), AOF);
    assert_eq!(digest(&rh2), before2);
}

#[test]
fn plain_command_base_without_preamble_round_trips() {
    let mut s = TestServer::start(&["--appendonly", "yes", "--aof-use-rdb-preamble", "no"]);
    let mut c = s.raw();
    run(&mut c, SCRIPT);
    // Enough elements for several batched commands, and a consumer with pending entries.
    let mut big = vec!["RPUSH", "big"];
    let items: Vec<String> = (0..300).map(|i| i.to_string()).collect();
    big.extend(items.iter().map(String::as_str));
    run(&mut c, &[&["SELECT", "0"], &big, &["XREADGROUP", "GROUP", "g", "alice", "STREAMS", "st", ">"], &["XGROUP", "CREATECONSUMER", "st", "g", "bob"], &["PEXPIREAT", "big", "4000000000000"]]);
    c.cmd(&["BGREWRITEAOF"]).unwrap();
    wait_until(Duration::from_secs(20), "the rewrite", || field(&info(&mut c), "aof_rewrites") == "1" && field(&info(&mut c), "aof_rewrite_in_progress") == "0");
    assert!(aof_dir(&s).join("appendonly.aof.2.base.aof").exists(), "{}", manifest(&s));
    let before = digest(&s);
    let pending = c.cmd(&["XPENDING", "st", "g"]).unwrap();
    stop(&mut s);
    let again = start_in(Flavor::Rhodium, s.dir.path(), AOF);
    assert_eq!(digest(&again), before);
    assert_eq!(again.raw().cmd(&["XPENDING", "st", "g"]).unwrap(), pending);
    drop(again);
    if redis_available() {
        let r = start_in(Flavor::Redis, s.dir.path(), AOF);
        assert_eq!(digest(&r), before);
    }
}

#[test]
fn rewrite_under_concurrent_writes_loses_and_doubles_nothing() {
    let mut s = TestServer::start(&["--appendonly", "yes"]);
    let mut c = s.raw();
    assert!(!c.cmd(&["DEBUG", "POPULATE", "50000", "key", "50"]).unwrap().is_error());
    let stopflag = Arc::new(AtomicBool::new(false));
    let port = s.port;
    let writers: Vec<_> = (0..3)
        .map(|t| {
            let stopflag = stopflag.clone();
            std::thread::spawn(move || {
                let mut w = RawConn::connect(port).unwrap();
                let mut n = 0u64;
                while !stopflag.load(Ordering::Relaxed) || n < 200 {
                    w.cmd(&["INCR", &format!("counter:{t}")]).unwrap();
                    w.cmd(&["RPUSH", &format!("list:{t}"), &n.to_string()]).unwrap();
                    n += 1;
                }
                n
            })
        })
        .collect();
    for _ in 0..3 {
        assert!(!c.cmd(&["BGREWRITEAOF"]).unwrap().is_error());
        wait_until(Duration::from_secs(60), "a rewrite", || field(&info(&mut c), "aof_rewrite_in_progress") == "0");
    }
    stopflag.store(true, Ordering::Relaxed);
    let counts: Vec<u64> = writers.into_iter().map(|h| h.join().unwrap()).collect();
    assert_eq!(field(&info(&mut c), "aof_rewrites"), "3");
    let before = digest(&s);
    stop(&mut s);
    let again = start_in(Flavor::Rhodium, s.dir.path(), AOF);
    let mut a = again.raw();
    for (t, n) in counts.iter().enumerate() {
        assert_eq!(a.cmd(&["GET", &format!("counter:{t}")]).unwrap().as_str(), n.to_string());
        assert_eq!(a.cmd(&["LLEN", &format!("list:{t}")]).unwrap(), Reply::Int(*n as i64));
    }
    assert_eq!(digest(&again), before);
}

#[test]
fn kill_9_with_appendfsync_always_keeps_every_acknowledged_write() {
    let s = TestServer::start(&["--appendonly", "yes", "--appendfsync", "always"]);
    let port = s.port;
    let acked: Vec<_> = (0..4)
        .map(|t| {
            std::thread::spawn(move || {
                let mut w = RawConn::connect(port).unwrap();
                let mut last = 0i64;
                // Until the server dies under us.
                loop {
                    match w.cmd(&["INCR", &format!("c:{t}")]) {
                        Ok(Reply::Int(n)) => last = n,
                        _ => return last,
                    }
                }
            })
        })
        .collect();
    wait_until(Duration::from_secs(20), "some writes", || s.raw().cmd(&["GET", "c:0"]).unwrap().as_str().parse::<i64>().unwrap_or(0) > 200);
    s.signal("KILL");
    let acked: Vec<i64> = acked.into_iter().map(|h| h.join().unwrap()).collect();
    let again = start_in(Flavor::Rhodium, s.dir.path(), AOF);
    let mut a = again.raw();
    for (t, n) in acked.iter().enumerate() {
        let got: i64 = a.cmd(&["GET", &format!("c:{t}")]).unwrap().as_str().parse().unwrap_or(0);
        assert!(got >= *n, "c:{t}: acknowledged {n}, found {got}");
        assert!(got <= n + 1, "c:{t}: acknowledged {n}, found {got}");
    }
}

/// Cuts the last `n` bytes of the server's last incremental file.
fn tear(s: &TestServer, n: u64) -> (String, u64) {
    let p = last_incr(s);
    let len = std::fs::metadata(&p).unwrap().len();
    std::fs::OpenOptions::new().write(true).open(&p).unwrap().set_len(len - n).unwrap();
    (p.file_name().unwrap().to_string_lossy().into_owned(), len - n)
}

#[test]
fn torn_tail_is_cut_with_aof_load_truncated_and_fatal_without() {
    let mut s = TestServer::start(AOF);
    let mut c = s.raw();
    run(&mut c, &[&["SET", "k1", "v1"], &["SET", "k2", "v2"], &["SET", "k3", "a-longer-value"]]);
    wait_until(Duration::from_secs(10), "the incr file", || read(&last_incr(&s)).ends_with(b"a-longer-value\r\n"));
    stop(&mut s);
    let (name, _) = tear(&s, 5);

    // no: a non-zero exit naming the file.
    let port = free_port();
    let out = Command::new(rhodium_bin())
        .args(["--port", &port.to_string(), "--save", "", "--appendonly", "yes", "--aof-load-truncated", "no", "--dir", &s.dir.path().to_string_lossy()])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{text}");
    assert!(text.contains(&format!("Unexpected end of file reading the append only file {name}")), "{text}");

    // yes (the default): cut at the last whole command, logged with file and offset.
    let again = start_in(Flavor::Rhodium, s.dir.path(), AOF);
    let log = again.log();
    assert!(log.contains(&format!("!!! Warning: short read while loading the AOF file {name}!!!")), "{log}");
    assert!(log.contains(&format!("!!! Truncating the AOF {name} at offset")), "{log}");
    assert!(log.contains("loaded anyway because aof-load-truncated is enabled"), "{log}");
    let mut a = again.raw();
    assert_eq!(a.cmd(&["GET", "k2"]).unwrap().as_str(), "v2");
    assert_eq!(a.cmd(&["GET", "k3"]).unwrap(), Reply::Bulk(None));
    // Writes after the cut append cleanly.
    a.cmd(&["SET", "k4", "v4"]).unwrap();
    let mut again = again;
    stop(&mut again);
    let third = start_in(Flavor::Rhodium, s.dir.path(), AOF);
    assert_eq!(third.raw().cmd(&["GET", "k4"]).unwrap().as_str(), "v4");
    assert!(!third.log().contains("short read"));
}

#[test]
fn corrupt_files_stop_startup_naming_file_and_offset() {
    let mut s = TestServer::start(AOF);
    run(&mut s.raw(), &[&["SET", "k1", "v1"], &["SET", "k2", "v2"]]);
    wait_until(Duration::from_secs(10), "the incr file", || read(&last_incr(&s)).ends_with(b"v2\r\n"));
    stop(&mut s);
    let dir = s.dir.path().to_string_lossy().into_owned();
    // Runs the server expecting it to exit; one that keeps running counts as a success.
    let start = || {
        let log = s.dir.path().join("attempt.log");
        let f = std::fs::File::create(&log).unwrap();
        let mut child = Command::new(rhodium_bin())
            .args(["--port", &free_port().to_string(), "--save", "", "--appendonly", "yes", "--dir", &dir])
            .stdout(f.try_clone().unwrap())
            .stderr(f)
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(20);
        let status = loop {
            if let Ok(Some(st)) = child.try_wait() {
                break Some(st);
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        (status.is_none_or(|st| st.success()), std::fs::read_to_string(&log).unwrap_or_default())
    };
    // A flipped byte in the incremental file.
    let incr = last_incr(&s);
    let good = read(&incr);
    let mut bad = good.clone();
    let at = bad.iter().rposition(|&b| b == b'*').unwrap();
    bad[at] = b'!';
    std::fs::write(&incr, &bad).unwrap();
    let (ok, log) = start();
    assert!(!ok, "{log}");
    assert!(log.contains("Bad file format reading the append only file appendonly.aof.1.incr.aof"), "{log}");
    assert!(log.contains("appendonly.aof.1.incr.aof is corrupt at offset"), "{log}");
    std::fs::write(&incr, &good).unwrap();
    // A corrupt base.
    let base = aof_dir(&s).join("appendonly.aof.1.base.rdb");
    let good_base = read(&base);
    let mut bad_base = good_base.clone();
    bad_base[12] ^= 0xff;
    std::fs::write(&base, &bad_base).unwrap();
    let (ok, log) = start();
    assert!(!ok, "{log}");
    assert!(log.contains("appendonly.aof.1.base.rdb"), "{log}");
    std::fs::write(&base, &good_base).unwrap();
    // A corrupt manifest.
    let m = aof_dir(&s).join("appendonly.aof.manifest");
    let good_m = read(&m);
    std::fs::write(&m, b"file appendonly.aof.1.base.rdb seq 1 type b\nfile x seq\n").unwrap();
    let (ok, log) = start();
    assert!(!ok, "{log}");
    assert!(log.contains("Invalid AOF manifest file format (line 2)") && log.contains("appendonly.aof.manifest"), "{log}");
    std::fs::write(&m, good_m).unwrap();
    let again = start_in(Flavor::Rhodium, s.dir.path(), AOF);
    assert_eq!(again.raw().cmd(&["GET", "k2"]).unwrap().as_str(), "v2");
}

#[test]
fn config_set_appendonly_at_runtime() {
    let mut s = TestServer::start(&[]);
    let mut c = s.raw();
    run(&mut c, &[&["SET", "before", "1"], &["HSET", "h", "a", "1"]]);
    assert_eq!(field(&info(&mut c), "aof_enabled"), "0");
    assert!(!aof_dir(&s).exists());
    assert_eq!(c.cmd(&["CONFIG", "SET", "appendonly", "yes"]).unwrap(), Reply::Simple("OK".into()));
    assert_eq!(field(&info(&mut c), "aof_enabled"), "1");
    run(&mut c, &[&["SET", "during", "2"]]);
    wait_until(Duration::from_secs(20), "the first rewrite", || field(&info(&mut c), "aof_rewrites") == "1" && field(&info(&mut c), "aof_rewrite_in_progress") == "0");
    run(&mut c, &[&["SET", "after", "3"]]);
    assert_eq!(manifest_files(&s), vec![("appendonly.aof.1.base.rdb".to_string(), "b".to_string()), ("appendonly.aof.1.incr.aof".to_string(), "i".to_string())]);
    assert!(s.log().contains("Successfully renamed the temporary AOF incr file temp-appendonly.aof.incr into appendonly.aof.1.incr.aof"), "{}", s.log());
    let before = digest(&s);
    assert_eq!(c.cmd(&["CONFIG", "SET", "appendonly", "no"]).unwrap(), Reply::Simple("OK".into()));
    assert_eq!(field(&info(&mut c), "aof_enabled"), "0");
    run(&mut c, &[&["SET", "not", "logged"]]);
    stop(&mut s);
    let again = start_in(Flavor::Rhodium, s.dir.path(), AOF);
    assert_eq!(digest(&again), before);
    assert_eq!(again.raw().cmd(&["GET", "not"]).unwrap(), Reply::Bulk(None));
}

#[test]
fn timestamps_and_fsync_policies() {
    let mut s = TestServer::start(&["--appendonly", "yes", "--aof-timestamp-enabled", "yes", "--appendfsync", "no"]);
    let mut c = s.raw();
    assert_eq!(c.cmd(&["CONFIG", "GET", "appendfsync"]).unwrap().as_str(), "Array(Some([Bulk(Some([97, 112, 112, 101, 110, 100, 102, 115, 121, 110, 99])), Bulk(Some([110, 111]))]))");
    let t0 = Instant::now();
    c.cmd(&["SET", "a", "1"]).unwrap();
    // The next second's write carries a new annotation.
    wait_until(Duration::from_secs(5), "a second to pass", || t0.elapsed() > Duration::from_millis(1100));
    c.cmd(&["SET", "a", "2"]).unwrap();
    for p in ["everysec", "always", "no"] {
        assert_eq!(c.cmd(&["CONFIG", "SET", "appendfsync", p]).unwrap(), Reply::Simple("OK".into()));
        c.cmd(&["INCR", "n"]).unwrap();
    }
    wait_until(Duration::from_secs(10), "the writes in the file", || read(&last_incr(&s)).windows(4).any(|w| w == b"INCR"));
    let text = String::from_utf8_lossy(&read(&last_incr(&s))).into_owned();
    assert!(text.contains("#TS:"), "{text}");
    let before = digest(&s);
    stop(&mut s);
    let again = start_in(Flavor::Rhodium, s.dir.path(), AOF);
    assert_eq!(digest(&again), before);
    if redis_available() {
        drop(again);
        let r = start_in(Flavor::Redis, s.dir.path(), AOF);
        assert_eq!(digest(&r), before);
    }
}

#[test]
fn clients_get_loading_while_the_dataset_loads() {
    let mut s = TestServer::start(AOF);
    let mut c = s.raw();
    assert!(!c.cmd(&["DEBUG", "POPULATE", "3000"]).unwrap().is_error());
    c.cmd(&["BGREWRITEAOF"]).unwrap();
    wait_until(Duration::from_secs(20), "the rewrite", || field(&info(&mut c), "aof_rewrites") == "1" && field(&info(&mut c), "aof_rewrite_in_progress") == "0");
    stop(&mut s);
    // 1 ms per key: about 3 seconds of loading.
    let (mut child, port) = spawn_in(s.dir.path(), &["--appendonly", "yes", "--key-load-delay", "1000"]);
    let mut conn = None;
    wait_until(Duration::from_secs(20), "the listener", || {
        conn = RawConn::connect(port).ok();
        conn.is_some()
    });
    let mut conn = conn.unwrap();
    let r = conn.cmd(&["PING"]).unwrap();
    assert_eq!(r, Reply::Error("LOADING Redis is loading the dataset in memory".into()));
    let i = info(&mut conn);
    assert_eq!(field(&i, "loading"), "1", "{i}");
    let names: Vec<&str> = i.lines().filter_map(|l| l.split(':').next()).filter(|n| n.starts_with("loading_")).collect();
    assert_eq!(names, ["loading_start_time", "loading_total_bytes", "loading_rdb_used_mem", "loading_loaded_bytes", "loading_loaded_perc", "loading_eta_seconds"]);
    assert!(field(&i, "loading_total_bytes").parse::<u64>().unwrap() > 0);
    wait_until(Duration::from_secs(60), "the load", || conn.cmd(&["PING"]).unwrap() == Reply::Simple("PONG".into()));
    assert_eq!(conn.cmd(&["DBSIZE"]).unwrap(), Reply::Int(3000));
    assert_eq!(field(&info(&mut conn), "loading"), "0");
    let log = std::fs::read_to_string(s.dir.path().join("spawned.log")).unwrap();
    let loaded = log.find("DB loaded from append only file").expect("load line");
    let ready = log.find("Ready to accept connections").expect("ready line");
    assert!(loaded < ready, "{log}");
    let _ = child.kill();
    let _ = child.wait();
}

#[test]
fn info_persistence_field_names_match_redis() {
    if !redis_available() {
        return;
    }
    let names = |s: &TestServer| -> Vec<String> { info(&mut s.raw()).lines().filter_map(|l| l.split(':').next()).filter(|n| !n.is_empty()).map(str::to_string).collect() };
    for extra in [&[][..], AOF] {
        let rh = TestServer::start(extra);
        let rd = TestServer::start_redis(extra);
        assert_eq!(names(&rh), names(&rd));
    }
    let rh = TestServer::start(&[]);
    let rd = TestServer::start_redis(&[]);
    rd.raw().cmd(&["SET", "k", "v"]).unwrap();
    rh.raw().cmd(&["SET", "k", "v"]).unwrap();
    for s in [&rh, &rd] {
        let mut c = s.raw();
        assert_eq!(c.cmd(&["BGREWRITEAOF"]).unwrap(), Reply::Simple("Background append only file rewriting started".into()));
        wait_until(Duration::from_secs(20), "the rewrite", || field(&info(&mut c), "aof_rewrites") == "1" && field(&info(&mut c), "aof_rewrite_in_progress") == "0");
        // With the AOF off a rewrite leaves only a base.
        assert_eq!(manifest(s), "file appendonly.aof.1.base.rdb seq 1 type b\n");
    }
}

#[test]
fn automatic_rewrite_on_growth() {
    let s = TestServer::start(&["--appendonly", "yes", "--auto-aof-rewrite-min-size", "16kb", "--auto-aof-rewrite-percentage", "100"]);
    let mut c = s.raw();
    assert_eq!(field(&info(&mut c), "aof_rewrites"), "0");
    let value = "v".repeat(1000);
    for i in 0..40 {
        c.cmd(&["SET", &format!("k{}", i % 5), &value]).unwrap();
    }
    wait_until(Duration::from_secs(20), "an automatic rewrite", || field(&info(&mut c), "aof_rewrites") != "0" && field(&info(&mut c), "aof_rewrite_in_progress") == "0");
    assert!(s.log().contains("Starting automatic rewriting of AOF on"), "{}", s.log());
    // The new base holds 5 keys: far smaller than the 40 writes.
    let i = info(&mut c);
    assert!(field(&i, "aof_base_size").parse::<u64>().unwrap() < 16 * 1024, "{i}");
    assert!(field(&i, "aof_current_size").parse::<u64>().unwrap() < 16 * 1024, "{i}");
}

/// A Redis 6 single-file AOF (RDB preamble, then commands) in `dir` is moved into the
/// AOF directory as its base and loaded whole, as Redis 7.0 upgrades it.
#[test]
fn old_style_single_file_aof_is_migrated() {
    let mut s = TestServer::start(&[]);
    let mut c = s.raw();
    run(&mut c, &[&["SET", "from", "rdb"], &["RPUSH", "l", "1", "2"], &["SAVE"]]);
    stop(&mut s);
    let mut data = read(&s.dir.path().join("dump.rdb"));
    data.extend_from_slice(b"*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*3\r\n$3\r\nSET\r\n$4\r\nfrom\r\n$8\r\ncommands\r\n*3\r\n$5\r\nRPUSH\r\n$1\r\nl\r\n$1\r\n3\r\n");
    let make = |dir: &Path| {
        std::fs::remove_file(dir.join("dump.rdb")).ok();
        std::fs::write(dir.join("appendonly.aof"), &data).unwrap();
    };
    make(s.dir.path());
    let rh = start_in(Flavor::Rhodium, s.dir.path(), AOF);
    let mut a = rh.raw();
    assert_eq!(a.cmd(&["GET", "from"]).unwrap().as_str(), "commands");
    assert_eq!(a.cmd(&["LLEN", "l"]).unwrap(), Reply::Int(3));
    assert!(rh.log().contains("Successfully migrated an old-style AOF file (appendonly.aof) into the AOF directory (appendonlydir)."), "{}", rh.log());
    assert_eq!(manifest_in(s.dir.path()), "file appendonly.aof seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n");
    let ours = digest(&rh);
    drop(rh);
    if redis_available() {
        let r = TestServer::start_redis(&[]);
        std::fs::remove_dir_all(aof_dir(&r)).ok();
        make(r.dir.path());
        let r2 = start_in(Flavor::Redis, r.dir.path(), AOF);
        assert_eq!(digest(&r2), ours);
        assert_eq!(manifest_in(r.dir.path()), manifest_in(s.dir.path()));
    }
}

/// A transaction without its EXEC at the end of the last file is a torn tail: reverted
/// and cut before its MULTI, in both servers.
#[test]
fn incomplete_transaction_at_the_end_is_reverted() {
    let flavors: &[Flavor] = if redis_available() { &[Flavor::Rhodium, Flavor::Redis] } else { &[Flavor::Rhodium] };
    for &flavor in flavors {
        let mut s = TestServer::start_flavor(flavor, AOF);
        run(&mut s.raw(), &[&["SET", "k", "v"]]);
        wait_until(Duration::from_secs(10), "the incr file", || read(&last_incr(&s)).ends_with(b"v\r\n"));
        stop(&mut s);
        let incr = last_incr(&s);
        let whole = std::fs::metadata(&incr).unwrap().len();
        let mut f = std::fs::OpenOptions::new().append(true).open(&incr).unwrap();
        std::io::Write::write_all(&mut f, b"*1\r\n$5\r\nMULTI\r\n*3\r\n$3\r\nSET\r\n$1\r\nm\r\n$1\r\n1\r\n").unwrap();
        drop(f);
        let again = start_in(flavor, s.dir.path(), AOF);
        assert_eq!(again.raw().cmd(&["GET", "m"]).unwrap(), Reply::Bulk(None), "{flavor:?}");
        assert_eq!(again.raw().cmd(&["GET", "k"]).unwrap().as_str(), "v");
        assert!(again.log().contains("Revert incomplete MULTI/EXEC transaction in AOF file"), "{}", again.log());
        assert_eq!(std::fs::metadata(&incr).unwrap().len(), whole, "{flavor:?}");
    }
}
