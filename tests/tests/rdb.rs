//! RDB files between Rhodium and redis-server 7.0: each loads the other's (every type in
//! every encoding, expiries, several databases) with identical DEBUG DIGEST, redis-check-rdb
//! accepts Rhodium's files, SAVE / SHUTDOWN / SIGTERM / DEBUG RELOAD persist the dataset,
//! files of older versions built from the documented format load in both, and a corrupt
//! file stops startup with the file and offset in the log.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use rhodium_it::raw::Reply;
use rhodium_it::{redis_available, rhodium_bin, wait_until, Flavor, TestServer};
use rhodium_storage::rdb::{crc64::crc64, listpack::LpEntry, opcodes, types, write::write_string, ziplist, zipmap};

/// Commands that build every type in every encoding Redis 7.0 has, in three databases.
const DATASET: &str = r#"
SET int 12345
SET negint -9223372036854775808
SET bigint 123456789012345678
SET short hello
SET compressible aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
SET uncompressible "q9w8e7r6t5y4u3i2o1p0a9s8d7f6g5h4j3k2l1"
SET empty ""
SET ttl "with a ttl" PX 100000000
RPUSH smalllist a b 1 2 -3 300000 "a longer element that is more than twenty bytes"
SADD intset 1 2 3 -5 70000 4000000000
SADD strset a b c 1
HSET smallhash f1 v1 f2 2 f3 "a value"
ZADD smallzset 1 a 2.5 b -3 c inf d -inf e 0 f
XADD st 1-1 a 1 b 2
XADD st 1-2 a 3 b 4
XADD st 2-0 c 5
XADD st 3-0 a 6 b 7
XADD st 3-1 a "a value longer than twenty bytes" b 9
XDEL st 1-2
XGROUP CREATE st g1 0
XGROUP CREATE st 42 $ ENTRIESREAD 3
XREADGROUP GROUP g1 alice COUNT 2 STREAMS st >
XREADGROUP GROUP g1 bob COUNT 1 STREAMS st >
XGROUP CREATECONSUMER st g1 idle
XADD emptied MAXLEN 0 5-5 f v
XGROUP CREATE made grp $ MKSTREAM
SELECT 2
SET other "in db 2"
HSET h2 a 1
EXPIRE h2 100000
SELECT 15
SADD s15 x
SELECT 0
"#;

fn run_script(s: &TestServer, script: &str) {
    let mut c = s.raw();
    for line in script.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let argv = rhodium_it::diff::split(line);
        let r = c.cmd(&argv).unwrap();
        assert!(!r.is_error(), "`{line}` failed: {r:?}");
    }
}

/// Adds the large encodings: a multi-node quicklist, hash tables, a skiplist, a big intset
/// turned hash table.
fn add_large(s: &TestServer) {
    let mut c = s.raw();
    let mut push = |cmd: &[&[u8]]| assert!(!c.cmd(cmd).unwrap().is_error());
    for chunk in 0..10 {
        let mut l: Vec<Vec<u8>> = vec![b"RPUSH".to_vec(), b"biglist".to_vec()];
        let mut h: Vec<Vec<u8>> = vec![b"HSET".to_vec(), b"bighash".to_vec()];
        let mut z: Vec<Vec<u8>> = vec![b"ZADD".to_vec(), b"bigzset".to_vec()];
        let mut si: Vec<Vec<u8>> = vec![b"SADD".to_vec(), b"bigintset".to_vec()];
        let mut ss: Vec<Vec<u8>> = vec![b"SADD".to_vec(), b"bigset".to_vec()];
        for i in chunk * 100..(chunk + 1) * 100 {
            l.push(format!("element-{i}").into_bytes());
            l.push(i.to_string().into_bytes());
            h.push(format!("field-{i}").into_bytes());
            h.push(format!("value-{i}").into_bytes());
            z.push(format!("{}", f64::from(i) / 7.0).into_bytes());
            z.push(format!("member-{i}").into_bytes());
            si.push((i * 3).to_string().into_bytes());
            ss.push(format!("m{i}").into_bytes());
        }
        for v in [&l, &h, &z, &si, &ss] {
            let argv: Vec<&[u8]> = v.iter().map(|x| x.as_slice()).collect();
            push(&argv);
        }
    }
    let big = "x".repeat(20000);
    push(&[b"RPUSH", b"biglist", big.as_bytes()]);
    // A stream of several nodes, with tombstones from XDEL and an exact trim, entries
    // whose fields differ from their node's master entry, and a group with a PEL.
    for i in 1..=260u64 {
        let (ms, seq) = ((1000 + i / 4).to_string(), (i % 4).to_string());
        let id = format!("{ms}-{seq}");
        let v = format!("value number {i} of the big stream");
        let n = (i * 37).to_string();
        if i % 7 == 0 {
            push(&[b"XADD", b"bigstream", id.as_bytes(), b"other", v.as_bytes()]);
        } else {
            push(&[b"XADD", b"bigstream", id.as_bytes(), b"field", v.as_bytes(), b"n", n.as_bytes()]);
        }
    }
    push(&[b"XDEL", b"bigstream", b"1010-2", b"1020-0", b"1030-1", b"1040-3"]);
    push(&[b"XTRIM", b"bigstream", b"MAXLEN", b"230"]);
    push(&[b"XGROUP", b"CREATE", b"bigstream", b"readers", b"0"]);
    push(&[b"XREADGROUP", b"GROUP", b"readers", b"r1", b"COUNT", b"20", b"STREAMS", b"bigstream", b">"]);
    push(&[b"XREADGROUP", b"GROUP", b"readers", b"r2", b"COUNT", b"5", b"STREAMS", b"bigstream", b">"]);
    push(&[b"XACK", b"bigstream", b"readers", b"1010-0", b"1010-1"]);
    push(&[b"HSET", b"longvalhash", b"f", "v".repeat(100).as_bytes()]);
    push(&[b"ZADD", b"longzset", b"1", "m".repeat(100).as_bytes()]);
}

fn bulk(r: Reply) -> String {
    r.as_str()
}

/// DEBUG DIGEST, and DEBUG DIGEST-VALUE + OBJECT ENCODING of every key of every database.
fn fingerprint(s: &TestServer) -> Vec<String> {
    let mut c = s.raw();
    let mut out = vec![bulk(c.cmd(&["DEBUG", "DIGEST"]).unwrap())];
    for db in ["0", "2", "15"] {
        c.cmd(&["SELECT", db]).unwrap();
        let keys = match c.cmd(&["KEYS", "*"]).unwrap() {
            Reply::Array(Some(v)) => v.into_iter().map(|r| r.as_str()).collect::<Vec<_>>(),
            r => panic!("KEYS: {r:?}"),
        };
        let mut keys = keys;
        keys.sort();
        for k in keys {
            let d = bulk(c.cmd(&["DEBUG", "DIGEST-VALUE", &k]).unwrap());
            let e = bulk(c.cmd(&["OBJECT", "ENCODING", &k]).unwrap());
            let ttl = match c.cmd(&["TTL", &k]).unwrap() {
                Reply::Int(t) => t > 0,
                _ => false,
            };
            out.push(format!("{db}/{k}: {d} {e} ttl={ttl}"));
            if e == "stream" {
                // Every field of the stream, its groups, PELs (with delivery times) and
                // consumers (with seen times): both servers read the same times from
                // the same file, so nothing is masked.
                out.push(format!("{:?}", c.cmd(&["XINFO", "STREAM", &k, "FULL"]).unwrap()));
            }
        }
    }
    out
}

fn save(s: &TestServer) {
    assert_eq!(s.raw().cmd(&["SAVE"]).unwrap(), Reply::Simple("OK".into()));
}

/// Starts `flavor` on a copy of `file` (as `dump.rdb` in a fresh directory).
fn start_on(flavor: Flavor, file: &Path, extra: &[&str]) -> (TestServer, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(file, dir.path().join("dump.rdb")).unwrap();
    let d = dir.path().to_str().unwrap().to_string();
    let mut args = vec!["--dir", d.as_str()];
    args.extend_from_slice(extra);
    (TestServer::start_flavor(flavor, &args), dir)
}

fn transfer(from: Flavor, to: Flavor, extra: &[&str]) -> (TestServer, TestServer, tempfile::TempDir) {
    let src = TestServer::start_flavor(from, extra);
    run_script(&src, DATASET);
    add_large(&src);
    save(&src);
    let file = src.dir.path().join("dump.rdb");
    let (dst, dir) = start_on(to, &file, extra);
    (src, dst, dir)
}

#[test]
fn redis_files_load_in_rhodium() {
    if !redis_available() {
        return;
    }
    for extra in [&[][..], &["--rdbcompression", "no"][..], &["--rdbchecksum", "no"][..]] {
        let (redis, ours, _dir) = transfer(Flavor::Redis, Flavor::Rhodium, extra);
        assert_eq!(fingerprint(&ours), fingerprint(&redis), "with {extra:?}");
        assert!(ours.log().contains("DB loaded from disk: "), "{}", ours.log());
        assert!(ours.log().contains("Loading RDB produced by version 7.0.15"));
    }
}

#[test]
fn rhodium_files_load_in_redis_and_pass_check_rdb() {
    if !redis_available() {
        return;
    }
    for extra in [&[][..], &["--rdbcompression", "no"][..], &["--rdbchecksum", "no"][..]] {
        let (ours, redis, dir) = transfer(Flavor::Rhodium, Flavor::Redis, extra);
        assert_eq!(fingerprint(&redis), fingerprint(&ours), "with {extra:?}");
        let out = Command::new("redis-check-rdb").arg(dir.path().join("dump.rdb")).output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success() && text.contains("RDB looks OK"), "{text}");
        assert!(text.contains("redis-ver = '7.0.15'"), "{text}");
    }
}

#[test]
fn save_lastsave_and_info_counters() {
    let s = TestServer::start(&[]);
    let mut c = s.raw();
    run_script(&s, DATASET);
    let changes = |c: &mut rhodium_it::raw::RawConn| {
        let info = c.cmd(&["INFO", "persistence"]).unwrap().as_str();
        info.lines().find_map(|l| l.strip_prefix("rdb_changes_since_last_save:")).unwrap().trim().parse::<u64>().unwrap()
    };
    assert!(changes(&mut c) > 0);
    let before = match c.cmd(&["LASTSAVE"]).unwrap() {
        Reply::Int(t) => t,
        r => panic!("{r:?}"),
    };
    save(&s);
    assert_eq!(changes(&mut c), 0);
    let after = match c.cmd(&["LASTSAVE"]).unwrap() {
        Reply::Int(t) => t,
        r => panic!("{r:?}"),
    };
    assert!(after >= before);
    let info = c.cmd(&["INFO", "persistence"]).unwrap().as_str();
    assert!(info.contains("rdb_saves:1"), "{info}");
    assert!(s.dir.path().join("dump.rdb").exists());
    assert!(s.log().contains("DB saved on disk"));
}

#[test]
fn debug_reload_keeps_the_dataset() {
    let s = TestServer::start(&[]);
    run_script(&s, DATASET);
    add_large(&s);
    let before = fingerprint(&s);
    assert_eq!(s.raw().cmd(&["DEBUG", "RELOAD"]).unwrap(), Reply::Simple("OK".into()));
    assert_eq!(fingerprint(&s), before);
    assert!(s.log().contains("DB reloaded by DEBUG RELOAD"));
}

#[test]
fn shutdown_and_sigterm_save_when_save_points_are_set() {
    for how in ["SHUTDOWN", "SIGTERM", "SHUTDOWN NOSAVE", "SHUTDOWN SAVE"] {
        let save_points: &[&str] = if how == "SHUTDOWN SAVE" { &["--save", ""] } else { &["--save", "3600", "1"] };
        let mut s = TestServer::start(save_points);
        run_script(&s, DATASET);
        let before = fingerprint(&s);
        let file = s.dir.path().join("dump.rdb");
        match how {
            "SIGTERM" => s.signal("TERM"),
            _ => {
                let argv: Vec<&str> = how.split(' ').collect();
                let mut c = s.raw();
                c.send(&argv).unwrap();
                assert!(c.is_closed(Duration::from_secs(10)));
            }
        }
        let st = s.wait_exit(Duration::from_secs(20)).expect("server exits");
        assert!(st.success(), "{how}: {st:?}");
        if how == "SHUTDOWN NOSAVE" {
            assert!(!file.exists());
            continue;
        }
        assert!(s.log().contains("Saving the final RDB snapshot before exiting."), "{how}: {}", s.log());
        let (again, _d) = start_on(Flavor::Rhodium, &file, &[]);
        assert_eq!(fingerprint(&again), before, "{how}");
    }
}

#[test]
fn expired_keys_in_a_file_are_not_loaded() {
    let mut body = vec![opcodes::SELECTDB, 0, opcodes::EXPIRETIME_MS];
    body.extend_from_slice(&1000i64.to_le_bytes());
    body.extend(entry(types::STRING, b"gone", &s(b"x")));
    body.extend(entry(types::STRING, b"stays", &s(b"y")));
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("x.rdb");
    std::fs::write(&file, old_file(10, &body)).unwrap();
    let (t, _d) = start_on(Flavor::Rhodium, &file, &[]);
    assert_eq!(t.raw().cmd(&["DBSIZE"]).unwrap(), Reply::Int(1));
    let info = t.raw().cmd(&["INFO", "persistence"]).unwrap().as_str();
    assert!(info.contains("rdb_last_load_keys_expired:1") && info.contains("rdb_last_load_keys_loaded:1"), "{info}");
}

/// Runs the server binary on `file` and returns (exit success, log text).
fn start_expecting_failure(file: &[u8]) -> (bool, String) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("dump.rdb"), file).unwrap();
    let port = rhodium_it::free_port().to_string();
    let out = Command::new(rhodium_bin()).args(["--port", &port, "--bind", "127.0.0.1", "--save", "", "--dir", dir.path().to_str().unwrap()]).output().unwrap();
    (out.status.success(), format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)))
}

#[test]
fn corrupt_files_stop_startup_naming_file_and_offset() {
    let s = TestServer::start(&[]);
    run_script(&s, DATASET);
    save(&s);
    let good = std::fs::read(s.dir.path().join("dump.rdb")).unwrap();
    // A flipped byte in the middle: the checksum (or a structure check) fails.
    let mut flipped = good.clone();
    let mid = flipped.len() / 2;
    flipped[mid] ^= 0x5a;
    let (ok, log) = start_expecting_failure(&flipped);
    assert!(!ok, "{log}");
    assert!(log.contains("Fatal error loading the DB") && log.contains("file dump.rdb, offset "), "{log}");
    // Truncated: the offset is where reading stopped.
    let (ok, log) = start_expecting_failure(&good[..good.len() - 20]);
    assert!(!ok && log.contains("file dump.rdb, offset "), "{log}");
    // A bad signature.
    let (ok, log) = start_expecting_failure(b"NOTANRDBFILE");
    assert!(!ok && log.contains("Wrong signature trying to load DB from file (file dump.rdb, offset 0)"), "{log}");
}

/// An RDB file of `version` built from the documented format, with a checksum when the
/// version has one.
fn old_file(version: u16, body: &[u8]) -> Vec<u8> {
    let mut f = format!("REDIS{version:04}").into_bytes();
    f.extend_from_slice(body);
    f.push(opcodes::EOF);
    if version >= 5 {
        let crc = crc64(0, &f);
        f.extend_from_slice(&crc.to_le_bytes());
    }
    f
}

fn s(b: &[u8]) -> Vec<u8> {
    let mut v = Vec::new();
    write_string(&mut v, b, false);
    v
}

fn entry(t: u8, key: &[u8], body: &[u8]) -> Vec<u8> {
    let mut v = vec![t];
    v.extend(s(key));
    v.extend_from_slice(body);
    v
}

/// Redis 2.x to 6.x encodings (plain list, old ZSET, zipmap, ziplists, quicklist v1,
/// intset, second-resolution expiry), loaded by both servers with the same digest.
#[test]
fn older_versions_load_in_both_servers() {
    use LpEntry::{Int, Str};
    let mut body = vec![opcodes::SELECTDB, 0];
    let mut list = vec![2];
    list.extend(s(b"a"));
    list.extend(s(b"b"));
    body.extend(entry(types::LIST, b"plainlist", &list));
    let mut set = vec![2];
    set.extend(s(b"x"));
    set.extend(s(b"7"));
    body.extend(entry(types::SET, b"plainset", &set));
    let mut hash = vec![1];
    hash.extend(s(b"f"));
    hash.extend(s(b"v"));
    body.extend(entry(types::HASH, b"plainhash", &hash));
    let mut zset = vec![2];
    zset.extend(s(b"x"));
    zset.extend_from_slice(&[3, b'1', b'.', b'5']);
    zset.extend(s(b"y"));
    zset.push(254);
    body.extend(entry(types::ZSET, b"oldzset", &zset));
    body.extend(entry(types::HASH_ZIPMAP, b"zipmap", &s(&zipmap::encode(&[(b"f", b"v"), (b"n", b"1")]))));
    body.extend(entry(types::LIST_ZIPLIST, b"ziplist", &s(&ziplist::encode(&[Str(b"a"), Int(7), Int(-100000), Int(1 << 40)]))));
    body.extend(entry(types::HASH_ZIPLIST, b"hashzl", &s(&ziplist::encode(&[Str(b"f"), Int(1), Str(b"g"), Str(b"x")]))));
    body.extend(entry(types::ZSET_ZIPLIST, b"zsetzl", &s(&ziplist::encode(&[Str(b"m"), Int(2), Str(b"n"), Str(b"2.5")]))));
    body.extend(entry(types::SET_INTSET, b"intset", &s(&rhodium_storage::rdb::intset::encode(&[-2, 5, 70000]))));
    let mut ql = vec![2];
    ql.extend(s(&ziplist::encode(&[Str(b"q1"), Int(2)])));
    ql.extend(s(&ziplist::encode(&[Str(b"q3")])));
    body.extend(entry(types::LIST_QUICKLIST, b"quicklist", &ql));
    body.push(opcodes::EXPIRETIME);
    body.extend_from_slice(&2_000_000_000i32.to_le_bytes());
    body.extend(entry(types::STRING, b"withttl", &s(b"v")));
    body.extend_from_slice(&[opcodes::SELECTDB, 1]);
    body.extend(entry(types::STRING, b"db1", &s(b"1")));
    for version in [3u16, 6, 7, 9] {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("old.rdb");
        std::fs::write(&file, old_file(version, &body)).unwrap();
        let (ours, _d1) = start_on(Flavor::Rhodium, &file, &[]);
        let ours_fp = fingerprint(&ours);
        assert!(ours_fp.len() > 10, "{ours_fp:?}");
        if redis_available() {
            let (redis, _d2) = start_on(Flavor::Redis, &file, &[]);
            assert_eq!(ours_fp[0], fingerprint(&redis)[0], "version {version}");
        }
    }
}

#[test]
fn corrupt_streams_stop_startup_naming_file_and_offset() {
    // A node key of 15 bytes: the node count is at offset 14, the key at 15.
    let mut body = vec![opcodes::SELECTDB, 0];
    let mut value = vec![1];
    value.extend(s(&[0u8; 15]));
    body.extend(entry(types::STREAM_LISTPACKS_2, b"s", &value));
    let (ok, log) = start_expecting_failure(&old_file(10, &body));
    assert!(!ok && log.contains("Stream node key entry is not the size of a stream ID (file dump.rdb, offset 15)"), "{log}");
    // A consumer PEL entry missing from the group PEL, in a file Rhodium wrote.
    let ours = TestServer::start(&[]);
    run_script(&ours, "XADD st 1-1 a 1\nXGROUP CREATE st g 0\nXREADGROUP GROUP g c STREAMS st >");
    save(&ours);
    let mut file = std::fs::read(ours.dir.path().join("dump.rdb")).unwrap();
    // The last raw ID in the file is the consumer's PEL entry (1-1): make it 1-2.
    let pos = file.windows(16).rposition(|w| w == [0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1]).unwrap();
    file[pos + 15] = 2;
    let n = file.len();
    file[n - 8..].copy_from_slice(&[0; 8]);
    let (ok, log) = start_expecting_failure(&file);
    assert!(!ok && log.contains("Consumer entry not found in group global PEL (file dump.rdb, offset "), "{log}");
}

#[test]
fn config_directives() {
    let s = TestServer::start(&["--dbfilename", "other.rdb", "--rdbcompression", "no", "--enable-protected-configs", "yes"]);
    let mut c = s.raw();
    assert_eq!(c.cmd(&["CONFIG", "GET", "rdbcompression"]).unwrap(), Reply::Array(Some(vec![Reply::Bulk(Some(b"rdbcompression".to_vec())), Reply::Bulk(Some(b"no".to_vec()))])));
    run_script(&s, "SET k v");
    save(&s);
    assert!(s.dir.path().join("other.rdb").exists());
    let sub = s.dir.path().join("sub");
    std::fs::create_dir(&sub).unwrap();
    assert_eq!(c.cmd(&["CONFIG", "SET", "dir", sub.to_str().unwrap()]).unwrap(), Reply::Simple("OK".into()));
    assert_eq!(c.cmd(&["CONFIG", "SET", "dbfilename", "x.rdb"]).unwrap(), Reply::Simple("OK".into()));
    save(&s);
    wait_until(Duration::from_secs(5), "x.rdb", || sub.join("x.rdb").exists());
}

/// BGSAVE writes a point-in-time image while writes continue: the file holds the dataset
/// as it was when BGSAVE replied, whatever was written afterwards.
#[test]
fn bgsave_is_point_in_time_under_writes() {
    let s = TestServer::start(&[]);
    run_script(&s, DATASET);
    add_large(&s);
    let mut c = s.raw();
    let before = fingerprint(&s);
    c.cmd(&["SELECT", "0"]).unwrap();
    assert_eq!(c.cmd(&["BGSAVE"]).unwrap(), Reply::Simple("Background saving started".into()));
    // Writes during the save change every kind of key, delete some and flush a database.
    for i in 0..300 {
        c.cmd(&["SET", &format!("new{i}"), "x"]).unwrap();
        c.cmd(&["RPUSH", "biglist", "more"]).unwrap();
        c.cmd(&["HSET", "bighash", &format!("field-{i}"), "changed"]).unwrap();
    }
    c.cmd(&["DEL", "int", "smallzset"]).unwrap();
    c.cmd(&["SELECT", "2"]).unwrap();
    c.cmd(&["FLUSHDB"]).unwrap();
    wait_until(Duration::from_secs(30), "bgsave to finish", || c.cmd(&["INFO", "persistence"]).unwrap().as_str().contains("rdb_bgsave_in_progress:0"));
    let info = c.cmd(&["INFO", "persistence"]).unwrap().as_str();
    assert!(info.contains("rdb_last_bgsave_status:ok"), "{info}");
    assert!(s.log().contains("Background saving terminated with success"));
    let (again, _d) = start_on(Flavor::Rhodium, &s.dir.path().join("dump.rdb"), &[]);
    assert_eq!(fingerprint(&again), before);
    if redis_available() {
        let (redis, _d2) = start_on(Flavor::Redis, &s.dir.path().join("dump.rdb"), &[]);
        assert_eq!(fingerprint(&redis), before);
    }
}

#[test]
fn bgsave_errors_match_redis() {
    rhodium_it::diff::check("BGSAVE now\nBGSAVE SCHEDULE extra\n");
}

/// A save point that is met triggers a background save from the cron.
#[test]
fn save_points_trigger_a_background_save() {
    let s = TestServer::start(&["--save", "1", "1"]);
    run_script(&s, "SET k v");
    wait_until(Duration::from_secs(10), "a save-point BGSAVE", || s.dir.path().join("dump.rdb").exists() && s.log().contains("Background saving terminated with success"));
    assert!(s.log().contains("1 changes in 1 seconds. Saving..."), "{}", s.log());
}

/// A BGSAVE of a dataset large enough that writes land while it runs (including a
/// FLUSHALL): the file still digests as the dataset did when BGSAVE replied.
#[test]
fn bgsave_of_a_large_dataset_under_concurrent_writes() {
    let s = TestServer::start(&[]);
    let mut c = s.raw();
    assert!(!c.cmd(&["DEBUG", "POPULATE", "200000", "key", "100"]).unwrap().is_error());
    run_script(&s, DATASET);
    let before = c.cmd(&["DEBUG", "DIGEST"]).unwrap().as_str();
    assert_eq!(c.cmd(&["BGSAVE"]).unwrap(), Reply::Simple("Background saving started".into()));
    let mut saw_in_progress = false;
    for i in 0..2000 {
        c.cmd(&["SET", &format!("key:{}", i * 97 % 200_000), "overwritten"]).unwrap();
        if i % 100 == 0 {
            saw_in_progress |= c.cmd(&["INFO", "persistence"]).unwrap().as_str().contains("rdb_bgsave_in_progress:1");
        }
    }
    c.cmd(&["FLUSHALL"]).unwrap();
    wait_until(Duration::from_secs(120), "bgsave to finish", || c.cmd(&["INFO", "persistence"]).unwrap().as_str().contains("rdb_bgsave_in_progress:0"));
    assert!(c.cmd(&["INFO", "persistence"]).unwrap().as_str().contains("rdb_last_bgsave_status:ok"));
    let (again, _d) = start_on(Flavor::Rhodium, &s.dir.path().join("dump.rdb"), &[]);
    assert_eq!(again.raw().cmd(&["DEBUG", "DIGEST"]).unwrap().as_str(), before);
    eprintln!("writes overlapped the background save: {saw_in_progress}");
    // SAVE is refused while a BGSAVE runs, as in Redis.
    if c.cmd(&["BGSAVE"]).unwrap() == Reply::Simple("Background saving started".into()) {
        let r = c.cmd(&["SAVE"]).unwrap();
        assert!(r == Reply::Error("ERR Background save already in progress".into()) || r == Reply::Simple("OK".into()), "{r:?}");
    }
}

#[test]
fn debug_reload_options_match_redis() {
    rhodium_it::diff::check(
        "SET k v\nDEBUG RELOAD BOGUS\nDEBUG RELOAD NOSAVE\nDEBUG RELOAD\nGET k\nSET k2 v2\nDEBUG RELOAD NOSAVE\nGET k2\nSET k3 v3\nDEBUG RELOAD NOSAVE NOFLUSH MERGE\nGET k3\nDBSIZE\n",
    );
}

/// Keys saved by redis-server under an LRU policy carry their idle time, which Rhodium
/// restores (OBJECT IDLETIME).
#[test]
fn idle_times_in_a_file_are_restored() {
    if !redis_available() {
        return;
    }
    let redis = TestServer::start_redis(&["--maxmemory-policy", "allkeys-lru"]);
    let mut c = redis.raw();
    c.cmd(&["SET", "k", "v"]).unwrap();
    c.cmd(&["DEBUG", "OBJECT", "k"]).unwrap();
    let p = match c.cmd(&["DUMP", "k"]).unwrap() {
        Reply::Bulk(Some(p)) => p,
        r => panic!("{r:?}"),
    };
    c.cmd(&[b"RESTORE".as_slice(), b"old", b"0", &p, b"IDLETIME", b"5000"]).unwrap();
    save(&redis);
    let (ours, _d) = start_on(Flavor::Rhodium, &redis.dir.path().join("dump.rdb"), &[]);
    match ours.raw().cmd(&["OBJECT", "IDLETIME", "old"]).unwrap() {
        Reply::Int(n) => assert!((5000..5100).contains(&n), "{n}"),
        r => panic!("{r:?}"),
    }
}

/// A function library in a Redis file is kept (raw, for the scripting engine) and written
/// back by Rhodium's next save, so redis-server finds it again.
#[test]
fn function_libraries_survive_a_round_trip() {
    if !redis_available() {
        return;
    }
    let redis = TestServer::start_redis(&[]);
    let code = "#!lua name=mylib\nredis.register_function('myfunc', function(keys, args) return 42 end)";
    assert_eq!(redis.raw().cmd(&["FUNCTION", "LOAD", code]).unwrap(), Reply::Bulk(Some(b"mylib".to_vec())));
    run_script(&redis, "SET k v");
    save(&redis);
    let (ours, ours_dir) = start_on(Flavor::Rhodium, &redis.dir.path().join("dump.rdb"), &[]);
    save(&ours);
    let (back, _d2) = start_on(Flavor::Redis, &ours_dir.path().join("dump.rdb"), &[]);
    assert_eq!(back.raw().cmd(&["FCALL", "myfunc", "0"]).unwrap(), Reply::Int(42));
    assert_eq!(back.raw().cmd(&["GET", "k"]).unwrap(), Reply::Bulk(Some(b"v".to_vec())));
}

/// A Redis 5/6 stream (type 15: no first ID, maximum deleted ID, entries-added counter
/// or group read counters) loads in both servers with the same digest and the same
/// XINFO STREAM FULL, so what Rhodium derives for the missing fields is what Redis does.
#[test]
fn redis_6_streams_load_as_in_redis() {
    use rhodium_storage::rdb::{stream::node_listpack, write::write_len};
    use rhodium_storage::types::stream::{NodeLimits, Stream, StreamId};
    let mut st = Stream::new();
    let limits = NodeLimits { max_bytes: 4096, max_entries: 4 };
    for i in 1..=10u64 {
        let v = format!("v{i}");
        let pairs: [&[u8]; 4] = if i % 3 == 0 { [b"x", v.as_bytes(), b"y", b"1"] } else { [b"a", v.as_bytes(), b"b", b"2"] };
        st.append(StreamId::new(100 + i, 0), &pairs, limits).unwrap();
    }
    st.delete_ids(&[StreamId::new(101, 0), StreamId::new(106, 0)]);
    let mut v = Vec::new();
    write_len(&mut v, st.node_count() as u64);
    for n in st.raw_nodes() {
        v.extend(s(&n.master.to_be_bytes()));
        v.extend(s(&node_listpack(&n)));
    }
    write_len(&mut v, st.len());
    write_len(&mut v, st.last_id.ms);
    write_len(&mut v, st.last_id.seq);
    // Two groups: one before the tombstones, one after them, with a pending entry.
    write_len(&mut v, 2);
    for (name, last) in [(&b"early"[..], 100u64), (&b"late"[..], 108)] {
        v.extend(s(name));
        write_len(&mut v, last);
        write_len(&mut v, 0);
        if name == b"late" {
            write_len(&mut v, 1);
            v.extend_from_slice(&StreamId::new(108, 0).to_be_bytes());
            v.extend_from_slice(&1_600_000_000_000i64.to_le_bytes());
            write_len(&mut v, 2);
            write_len(&mut v, 1);
            v.extend(s(b"c"));
            v.extend_from_slice(&1_600_000_000_001i64.to_le_bytes());
            write_len(&mut v, 1);
            v.extend_from_slice(&StreamId::new(108, 0).to_be_bytes());
        } else {
            write_len(&mut v, 0);
            write_len(&mut v, 0);
        }
    }
    let mut body = vec![opcodes::SELECTDB, 0];
    body.extend(entry(types::STREAM_LISTPACKS, b"old", &v));
    body.extend(entry(types::STRING, b"k", &s(b"v")));
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("old.rdb");
    std::fs::write(&file, old_file(9, &body)).unwrap();
    let (ours, _d1) = start_on(Flavor::Rhodium, &file, &[]);
    let ours_fp = fingerprint(&ours);
    assert!(ours_fp.len() == 4 && ours_fp[2].ends_with(" stream ttl=false"), "{ours_fp:?}");
    if redis_available() {
        let (redis, _d2) = start_on(Flavor::Redis, &file, &[]);
        assert_eq!(ours_fp, fingerprint(&redis));
    }
}
