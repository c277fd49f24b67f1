//! Keyspace ("generic") commands, differential against redis-server 7.0.

use std::collections::BTreeSet;
use std::time::Duration;

use rhodium_it::{diff, wait_until, RawConn, Reply, TestServer};

#[test]
fn del_unlink_exists_touch_type() {
    diff::check(
        r#"
        SET a 1
        SET b 2
        SET c 3
        EXISTS a b nokey a
        TOUCH a nokey b
        TYPE a
        TYPE nokey
        DEL a nokey a
        UNLINK b c nokey
        EXISTS a b c
        DBSIZE
        DEL
        UNLINK
        EXISTS
        TOUCH
        TYPE
        TYPE a b
        "#,
    );
}

#[test]
fn rename_and_renamenx() {
    diff::check(
        r#"
        RENAME nokey b
        RENAMENX nokey b
        SET a 1
        RENAME a a
        RENAMENX a a
        PEXPIREAT a 99999999999999
        RENAME a b
        EXISTS a
        GET b
        PEXPIRETIME b
        SET c x
        RENAMENX b c
        RENAMENX b d
        PEXPIRETIME d
        RENAME d c
        GET c
        PEXPIRETIME c
        SET plain 1
        RENAME plain c
        PEXPIRETIME c
        RENAME a
        RENAMENX a b c
        "#,
    );
}

#[test]
fn move_between_databases() {
    diff::check(
        r#"
        SET k v
        MOVE k 0
        MOVE k 16
        MOVE k -1
        MOVE k x
        MOVE k 2147483648
        MOVE nokey 1
        PEXPIREAT k 99999999999999
        MOVE k 3
        EXISTS k
        SELECT 3
        GET k
        PEXPIRETIME k
        SET k other
        SELECT 0
        SET k mine
        SELECT 3
        MOVE k 0
        GET k
        SELECT 0
        GET k
        MOVE k
        "#,
    );
}

#[test]
fn copy_with_db_and_replace() {
    diff::check(
        r#"
        SET s hello
        COPY s s
        COPY s s DB 0
        COPY s s DB 1
        COPY s t DB 99
        COPY s t DB x
        COPY s t DB 2147483648
        COPY s t DB
        COPY s t FOO
        COPY nokey t
        COPY s t
        COPY s t
        COPY s t REPLACE
        GET t
        PEXPIREAT s 99999999999999
        COPY s u REPLACE REPLACE
        PEXPIRETIME u
        SELECT 1
        GET s
        PEXPIRETIME s
        COPY s s DB 0
        SELECT 0
        SET n 12
        COPY n n2
        OBJECT ENCODING n2
        GET n2
        COPY s
        "#,
    );
}

#[test]
fn swapdb_flush_and_dbsize() {
    diff::check(
        r#"
        SET a 1
        SELECT 1
        SET b 2
        SET c 3
        DBSIZE
        SWAPDB 0 1
        DBSIZE
        GET a
        SELECT 0
        DBSIZE
        GET a
        SWAPDB 0 0
        SWAPDB 0 16
        SWAPDB -1 0
        SWAPDB x 0
        SWAPDB 0 x
        SWAPDB 2147483648 0
        SWAPDB 0
        FLUSHDB FOO
        FLUSHDB ASYNC SYNC
        FLUSHDB ASYNC
        DBSIZE
        SELECT 1
        DBSIZE
        FLUSHALL FOO
        FLUSHALL SYNC
        DBSIZE
        SELECT 0
        DBSIZE
        SET z 1
        FLUSHDB sync
        FLUSHALL async
        FLUSHALL
        FLUSHDB
        DBSIZE x
        "#,
    );
}

#[test]
fn keys_scan_randomkey_on_small_databases() {
    diff::check(
        r#"
        KEYS *
        SCAN 0
        RANDOMKEY
        SET hello 1
        KEYS *
        KEYS h?llo
        KEYS h[ae]llo
        KEYS h[^e]llo
        KEYS h[a-f]llo
        KEYS h\ello
        KEYS *llo
        KEYS nomatch*
        KEYS
        RANDOMKEY
        RANDOMKEY x
        SCAN 0 COUNT 1000
        SCAN 0 MATCH h* COUNT 1000
        SCAN 0 MATCH x* COUNT 1000
        SCAN 0 TYPE string COUNT 1000
        SCAN 0 TYPE STRING COUNT 1000
        SCAN 0 TYPE list COUNT 1000
        SCAN 0 TYPE foo COUNT 1000
        SCAN "" COUNT 1000
        SCAN +0 COUNT 1000
        SCAN x
        SCAN -
        SCAN " 0"
        SCAN 18446744073709551616
        SCAN 0 COUNT 0
        SCAN 0 COUNT -1
        SCAN 0 COUNT x
        SCAN 0 MATCH
        SCAN 0 COUNT
        SCAN 0 TYPE
        SCAN 0 FOO bar
        SCAN x COUNT 0
        SCAN
        "#,
    );
}

#[test]
fn object_subcommands() {
    diff::check(
        r#"
        SET small 12
        SET big 123456
        SET neg -5
        SET str hello
        SET long aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
        OBJECT ENCODING small
        OBJECT ENCODING big
        OBJECT ENCODING str
        OBJECT ENCODING long
        OBJECT ENCODING nokey
        OBJECT REFCOUNT small
        OBJECT REFCOUNT big
        OBJECT REFCOUNT neg
        OBJECT REFCOUNT str
        OBJECT REFCOUNT nokey
        # OBJECT IDLETIME of a present key depends on when each server stored it: see
        # idle_time_and_what_counts_as_access for its semantics.
        OBJECT IDLETIME nokey
        OBJECT FREQ small
        OBJECT FREQ nokey
        OBJECT HELP
        object help
        OBJECT HELP x
        OBJECT FOO
        OBJECT
        OBJECT ENCODING
        OBJECT ENCODING a b
        "#,
    );
}

/// Parses an array reply of bulk strings into a sorted set.
fn key_set(r: Reply) -> BTreeSet<Vec<u8>> {
    match r {
        Reply::Array(Some(items)) => items
            .into_iter()
            .filter_map(|i| match i {
                Reply::Bulk(Some(b)) => Some(b),
                _ => None,
            })
            .collect(),
        other => panic!("not an array: {other:?}"),
    }
}

/// Every SCAN reply's keys until the cursor comes back to 0.
fn scan_all(c: &mut RawConn, extra: &[&str]) -> (BTreeSet<Vec<u8>>, usize) {
    let mut cursor = "0".to_string();
    let mut seen = BTreeSet::new();
    let mut calls = 0;
    loop {
        let mut argv = vec!["SCAN", cursor.as_str()];
        argv.extend_from_slice(extra);
        let Reply::Array(Some(mut parts)) = c.cmd(&argv).unwrap() else { panic!("bad SCAN reply") };
        let keys = parts.pop().unwrap();
        seen.extend(key_set(keys));
        cursor = parts.pop().unwrap().as_str();
        calls += 1;
        assert!(calls < 100_000, "SCAN does not terminate");
        if cursor == "0" {
            return (seen, calls);
        }
    }
}

#[test]
fn keys_and_scan_match_redis_on_many_keys() {
    let Some(p) = diff::Pair::start(&[]) else { return };
    let names: Vec<String> = (0..300)
        .map(|i| format!("user:{i}"))
        .chain((0..50).map(|i| format!("h{}llo", (b'a' + (i % 26) as u8) as char)))
        .chain(["a*b", "a?b", "a[b", "a\\b", "", "x-y", "]"].iter().map(|s| s.to_string()))
        .collect();
    let patterns = [
        "*", "user:*", "user:1?", "user:[12]*", "user:[^1]?", "user:[1-3]0", "user:[3-1]0", "h[a-e]llo", "h[^a-e]llo", "a\\*b", "a\\?b", "a[[]b",
        "a\\\\b", "*\\**", "[", "a[b", "[a-]", "x[-]y", "*:*:*", "**", "?", "", "user:\\1*", "h*l*o", "[]]",
    ];
    for s in [&p.ours, &p.theirs] {
        let mut c = s.raw();
        for n in &names {
            c.cmd(&["SET", n.as_str(), "1"]).unwrap();
        }
    }
    let (mut a, mut b) = (p.ours.raw(), p.theirs.raw());
    for pat in patterns {
        let ra = key_set(a.cmd(&["KEYS", pat]).unwrap());
        let rb = key_set(b.cmd(&["KEYS", pat]).unwrap());
        assert_eq!(ra, rb, "KEYS {pat}");
        let (sa, _) = scan_all(&mut a, &["MATCH", pat]);
        let (sb, _) = scan_all(&mut b, &["MATCH", pat]);
        assert_eq!(sa, sb, "SCAN MATCH {pat}");
        assert_eq!(sa, ra, "SCAN and KEYS agree for {pat}");
    }
}

#[test]
fn scan_returns_keys_present_for_the_whole_iteration() {
    let s = TestServer::start(&[]);
    let mut c = s.raw();
    for i in 0..2000 {
        c.cmd(&["SET", &format!("stay:{i}"), "1"]).unwrap();
    }
    // Grow the database while iterating: keys present throughout must all come back.
    let mut cursor = "0".to_string();
    let mut seen = BTreeSet::new();
    let mut added = 0;
    loop {
        let Reply::Array(Some(mut parts)) = c.cmd(&["SCAN", &cursor, "COUNT", "17"]).unwrap() else { panic!() };
        seen.extend(key_set(parts.pop().unwrap()));
        cursor = parts.pop().unwrap().as_str();
        for _ in 0..20 {
            c.cmd(&["SET", &format!("new:{added}"), "1"]).unwrap();
            added += 1;
        }
        if cursor == "0" {
            break;
        }
    }
    for i in 0..2000 {
        assert!(seen.contains(format!("stay:{i}").as_bytes()), "stay:{i} missing");
    }
    // TYPE filters and COUNT bounds work on a large database too.
    let (strings, calls) = scan_all(&mut c, &["TYPE", "string", "COUNT", "1000"]);
    assert_eq!(strings.len(), 2000 + added);
    assert!(calls >= 2);
    let (lists, _) = scan_all(&mut c, &["TYPE", "list"]);
    assert!(lists.is_empty());
}

#[test]
fn scan_keys_randomkey_skip_expired_keys() {
    let s = TestServer::start(&[]);
    let mut c = s.raw();
    c.cmd(&["SET", "live", "1"]).unwrap();
    for i in 0..50 {
        c.cmd(&["SET", &format!("gone:{i}"), "1"]).unwrap();
        assert_eq!(c.cmd(&["PEXPIRE", &format!("gone:{i}"), "1"]).unwrap(), Reply::Int(1));
    }
    // Whether the cron or a lookup removes them first, none may be reported once expired.
    wait_until(Duration::from_secs(10), "short-lived keys to be invisible", || {
        let k = key_set(c.cmd(&["KEYS", "*"]).unwrap());
        k.len() == 1
    });
    let (seen, _) = scan_all(&mut c, &[]);
    assert_eq!(seen.into_iter().collect::<Vec<_>>(), vec![b"live".to_vec()]);
    assert_eq!(c.cmd(&["RANDOMKEY"]).unwrap().as_str(), "live");
}

#[test]
fn randomkey_returns_existing_keys() {
    let s = TestServer::start(&[]);
    let mut c = s.raw();
    for i in 0..20 {
        c.cmd(&["SET", &format!("k{i}"), "1"]).unwrap();
    }
    let mut seen = BTreeSet::new();
    for _ in 0..200 {
        let k = c.cmd(&["RANDOMKEY"]).unwrap().as_str();
        assert!(k.starts_with('k'), "{k}");
        seen.insert(k);
    }
    assert!(seen.len() > 5, "RANDOMKEY is not random: {seen:?}");
}

#[test]
fn object_idletime_grows_and_touch_resets_it() {
    let s = TestServer::start(&[]);
    let mut c = s.raw();
    c.cmd(&["SET", "k", "v"]).unwrap();
    wait_until(Duration::from_secs(10), "idle time to reach 1s", || c.cmd(&["OBJECT", "IDLETIME", "k"]).unwrap() == Reply::Int(1));
    // OBJECT, TYPE, EXISTS and TTL do not count as accesses; TOUCH does.
    c.cmd(&["TYPE", "k"]).unwrap();
    c.cmd(&["EXISTS", "k"]).unwrap();
    c.cmd(&["TTL", "k"]).unwrap();
    let Reply::Int(idle) = c.cmd(&["OBJECT", "IDLETIME", "k"]).unwrap() else { panic!() };
    assert!(idle >= 1);
    c.cmd(&["TOUCH", "k"]).unwrap();
    let Reply::Int(idle) = c.cmd(&["OBJECT", "IDLETIME", "k"]).unwrap() else { panic!() };
    assert!(idle <= 1);
}

#[test]
fn cross_database_commands_do_not_deadlock_with_swapdb() {
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    use std::sync::Arc;
    let s = TestServer::start(&[]);
    let done = Arc::new(AtomicUsize::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let port = s.port;
    let mut workers = Vec::new();
    for t in 0..3 {
        let (done, stop) = (done.clone(), stop.clone());
        workers.push(std::thread::spawn(move || {
            let mut c = RawConn::connect(port).unwrap();
            let mut i = 0u64;
            while !stop.load(Ordering::Relaxed) {
                let r = match (t, i % 4) {
                    (0, _) => c.cmd(&["SWAPDB", "0", "1"]),
                    (1, 0) => c.cmd(&["SET", "k", "v"]),
                    (1, 1) => c.cmd(&["MOVE", "k", "1"]),
                    (1, 2) => c.cmd(&["SELECT", "1"]).and_then(|_| c.cmd(&["MOVE", "k", "0"])),
                    (1, _) => c.cmd(&["SELECT", "0"]),
                    (_, 0) => c.cmd(&["SET", "src", "v"]),
                    (_, 1) => c.cmd(&["COPY", "src", "dst", "DB", "1", "REPLACE"]),
                    (_, 2) => c.cmd(&["SELECT", "1"]).and_then(|_| c.cmd(&["COPY", "dst", "src", "DB", "0", "REPLACE"])),
                    (_, _) => c.cmd(&["SELECT", "0"]),
                };
                assert!(!r.unwrap().is_error());
                done.fetch_add(1, Ordering::Relaxed);
                i += 1;
            }
        }));
    }
    wait_until(Duration::from_secs(30), "3000 interleaved MOVE/COPY/SWAPDB commands", || done.load(Ordering::Relaxed) >= 3000);
    stop.store(true, Ordering::Relaxed);
    for w in workers {
        w.join().unwrap();
    }
}
