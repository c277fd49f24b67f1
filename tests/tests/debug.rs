//! DEBUG: digests equal to Redis's for the same data, the test hooks, and the
//! enable-debug-command gate. (Digests of keys with a TTL are checked against Redis's
//! values in storage/src/digest.rs until commands that set TTLs exist.)

use std::time::{Duration, Instant};

use rhodium_it::raw::Reply;
use rhodium_it::{diff, TestServer};

#[test]
fn digest_matches_redis_across_dbs() {
    diff::check(
        r#"
        DEBUG DIGEST
        DEBUG DIGEST-VALUE nokey
        SET a b
        DEBUG DIGEST
        SET n 12345
        SET neg -7
        SET big 123456789012345678
        SET long "a string longer than forty-four bytes, stored raw"
        DEBUG DIGEST
        DEBUG DIGEST-VALUE a n nokey long
        SELECT 3
        SET a b
        DEBUG DIGEST
        SET "" ""
        DEBUG DIGEST
        DEBUG DIGEST-VALUE a ""
        SELECT 0
        DEL a
        DEBUG DIGEST
        FLUSHALL
        DEBUG DIGEST
        "#,
    );
}

#[test]
fn populate_object_protocol_and_errors() {
    diff::check(
        r#"
        DEBUG POPULATE 10
        DBSIZE
        GET key:0
        GET key:9
        DEBUG POPULATE 3 pre 12
        GET pre:2
        DEBUG POPULATE 2 pre 3
        GET pre:1
        DEBUG POPULATE 12 pre 3
        GET pre:11
        DEBUG DIGEST
        DEBUG POPULATE -1
        DEBUG POPULATE abc
        DEBUG POPULATE 0
        DEBUG POPULATE 1 k -5
        DEBUG POPULATE 1 k 0 x
        DEBUG OBJECT nokey
        DEBUG FOO
        DEBUG SLEEP 0 x
        DEBUG SLEEP 0
        DEBUG SLEEP abc
        DEBUG SET-ACTIVE-EXPIRE
        DEBUG SET-ACTIVE-EXPIRE 0
        DEBUG SET-ACTIVE-EXPIRE 1
        DEBUG LOG
        DEBUG LOG "hello log"
        DEBUG CHANGE-REPL-ID
        DEBUG CHANGE-REPL-ID x
        DEBUG DIGEST x
        DEBUG QUICKLIST-PACKED-THRESHOLD abc
        DEBUG QUICKLIST-PACKED-THRESHOLD 5gb
        DEBUG QUICKLIST-PACKED-THRESHOLD -1
        DEBUG QUICKLIST-PACKED-THRESHOLD 1k
        DEBUG QUICKLIST-PACKED-THRESHOLD 0
        DEBUG PAUSE-CRON 1
        DEBUG PAUSE-CRON 0
        DEBUG PAUSE-CRON
        DEBUG SET-SKIP-CHECKSUM-VALIDATION 1
        DEBUG SET-SKIP-CHECKSUM-VALIDATION 0
        DEBUG SET-DISABLE-DENY-SCRIPTS 1
        DEBUG SET-DISABLE-DENY-SCRIPTS 0
        DEBUG REPLYBUFFER PEAK-RESET-TIME never
        DEBUG REPLYBUFFER PEAK-RESET-TIME reset
        DEBUG REPLYBUFFER PEAK-RESET-TIME 100
        DEBUG REPLYBUFFER PEAK-RESET-TIME abc
        DEBUG REPLYBUFFER RESIZING 0
        DEBUG REPLYBUFFER RESIZING 1
        DEBUG REPLYBUFFER foo 1
        DEBUG REPLYBUFFER
        DEBUG PROTOCOL foo
        DEBUG PROTOCOL string
        DEBUG PROTOCOL integer
        DEBUG PROTOCOL double
        DEBUG PROTOCOL bignum
        DEBUG PROTOCOL null
        DEBUG PROTOCOL array
        DEBUG PROTOCOL set
        DEBUG PROTOCOL map
        DEBUG PROTOCOL true
        DEBUG PROTOCOL false
        DEBUG PROTOCOL verbatim
        DEBUG PROTOCOL push
        DEBUG PROTOCOL attrib
        HELLO 3
        DEBUG PROTOCOL string
        DEBUG PROTOCOL integer
        DEBUG PROTOCOL double
        DEBUG PROTOCOL bignum
        DEBUG PROTOCOL null
        DEBUG PROTOCOL array
        DEBUG PROTOCOL set
        DEBUG PROTOCOL map
        DEBUG PROTOCOL true
        DEBUG PROTOCOL false
        DEBUG PROTOCOL verbatim
        "#,
    );
}

#[test]
fn resp3_push_and_attribute_are_followed_by_a_real_reply() {
    let Some(pair) = diff::Pair::start(&[]) else { return };
    let mut a = pair.ours.raw();
    let mut b = pair.theirs.raw();
    a.cmd(&["HELLO", "3"]).unwrap();
    b.cmd(&["HELLO", "3"]).unwrap();
    for kind in ["push", "attrib"] {
        let mut got = Vec::new();
        for c in [&mut a, &mut b] {
            c.send(&["DEBUG", "PROTOCOL", kind]).unwrap();
            let mut bytes = c.read_reply_bytes().unwrap();
            bytes.extend(c.read_reply_bytes().unwrap());
            got.push(String::from_utf8_lossy(&bytes).into_owned());
        }
        assert_eq!(got[0], got[1], "DEBUG PROTOCOL {kind}");
    }
}

/// The encoding and serialized length fields of DEBUG OBJECT (the address and LRU clock
/// differ between servers by nature).
fn object_fields(s: &TestServer, key: &str) -> String {
    let line = s.raw().cmd(&["DEBUG", "OBJECT", key]).unwrap().as_str();
    line.split(' ').filter(|f| f.starts_with("encoding:") || f.starts_with("serializedlength:") || f.starts_with("refcount:")).collect::<Vec<_>>().join(" ")
}

#[test]
fn debug_object_fields() {
    let Some(pair) = diff::Pair::start(&[]) else { return };
    for s in [&pair.ours, &pair.theirs] {
        let mut c = s.raw();
        for (k, v) in [("small", "v"), ("shared", "123"), ("int", "12345678901"), ("i16", "-300"), ("raw", &"x".repeat(50)), ("s100", &"ab".repeat(5))] {
            c.cmd(&["SET", k, v]).unwrap();
        }
    }
    for k in ["small", "shared", "int", "i16", "s100"] {
        assert_eq!(object_fields(&pair.ours, k), object_fields(&pair.theirs, k), "DEBUG OBJECT {k}");
    }
    let line = pair.ours.raw().cmd(&["DEBUG", "OBJECT", "raw"]).unwrap().as_str();
    assert!(line.starts_with("Value at:0x") && line.contains(" encoding:raw ") && line.contains(" lru_seconds_idle:"), "{line}");
}

#[test]
fn debug_sleep_delays_only_its_client() {
    let s = TestServer::start(&[]);
    let mut sleeper = s.raw();
    let mut other = s.raw();
    let started = Instant::now();
    sleeper.send(&["DEBUG", "SLEEP", "0.8"]).unwrap();
    // Another client is served while the first one sleeps.
    assert_eq!(other.cmd(&["PING"]).unwrap().as_str(), "PONG");
    assert!(started.elapsed() < Duration::from_millis(700), "other client waited for DEBUG SLEEP");
    assert_eq!(sleeper.read_reply().unwrap().as_str(), "OK");
    assert!(started.elapsed() >= Duration::from_millis(750));
}

#[test]
fn debug_log_writes_the_log() {
    let s = TestServer::start(&[]);
    assert_eq!(s.raw().cmd(&["DEBUG", "LOG", "marker-42"]).unwrap().as_str(), "OK");
    rhodium_it::wait_until(Duration::from_secs(5), "DEBUG LOG line", || s.log().contains("DEBUG LOG: marker-42"));
}

#[test]
fn debug_command_gate() {
    let Some(pair) = diff::Pair::start(&["--enable-debug-command", "no"]) else { return };
    pair.check(
        r#"
        DEBUG DIGEST
        DEBUG HELP
        "#,
    );
    let local = TestServer::start(&["--enable-debug-command", "local"]);
    assert_eq!(local.raw().cmd(&["DEBUG", "DIGEST"]).unwrap(), Reply::Simple("0".repeat(40)));
}

#[test]
fn debug_help_lines_are_redis_lines() {
    let Some(pair) = diff::Pair::start(&[]) else { return };
    let lines = |s: &TestServer| match s.raw().cmd(&["DEBUG", "HELP"]).unwrap() {
        Reply::Array(Some(items)) => items.iter().map(|i| i.as_str()).collect::<Vec<_>>(),
        other => panic!("{other:?}"),
    };
    let ours = lines(&pair.ours);
    let theirs = lines(&pair.theirs);
    assert_eq!(ours[0], theirs[0]);
    for l in &ours {
        assert!(theirs.contains(l), "{l:?} is not in Redis's DEBUG HELP");
    }
}

#[test]
fn debug_segfault_and_panic_end_the_process_like_redis() {
    use std::os::unix::process::ExitStatusExt;
    const SIGSEGV: i32 = 11;
    const SIGABRT: i32 = 6;
    for (sub, signal, line) in [("SEGFAULT", SIGSEGV, "crashed by signal: 11"), ("PANIC", SIGABRT, "Guru Meditation: DEBUG PANIC called at Unix time")] {
        let mut s = TestServer::start(&[]);
        let mut c = s.raw();
        c.send(&["DEBUG", sub]).unwrap();
        let status = s.wait_exit(Duration::from_secs(10)).expect("server did not die");
        assert_eq!(status.signal(), Some(signal), "DEBUG {sub}: {status}");
        let log = s.log();
        assert!(log.contains(line) && log.contains("=== REDIS BUG REPORT START"), "{log}");
    }
}
