//! EXPIRE and friends, TTL reporting, and active expiry. Replies that depend on the clock
//! use far-future absolute times (deterministic through EXPIRETIME) or are compared with
//! a tolerance.

use std::time::Duration;

use rhodium_it::{diff, wait_until, Reply, TestServer};

#[test]
fn expire_options_and_errors() {
    diff::check(
        r#"
        SET k v
        EXPIRE k 10 NX XX
        EXPIRE k 10 NX GT
        EXPIRE k 10 NX LT
        EXPIRE k 10 GT LT
        EXPIRE k 10 FOO
        EXPIRE k abc FOO
        EXPIRE k abc NX XX
        EXPIRE k abc
        EXPIRE k 9223372036854775807
        EXPIRE k -9223372036854775808
        EXPIRE k 9223372036854775
        PEXPIRE k 9223372036854775807
        EXPIREAT k 9223372036854775807
        EXPIREAT k -9223372036854775808
        PEXPIREAT k abc
        EXPIRE k
        PEXPIRE k
        EXPIREAT k
        PEXPIREAT k
        EXPIRE nokey 100
        EXPIRE nokey 100 NX
        PEXPIREAT nokey 99999999999999
        TTL k
        PTTL k
        EXPIRETIME k
        PEXPIRETIME k
        "#,
    );
}

#[test]
fn nx_xx_gt_lt_with_absolute_times() {
    diff::check(
        r#"
        SET k v
        EXPIREAT k 4000000000 XX
        EXPIREAT k 4000000000 GT
        EXPIREAT k 4000000000 LT
        PEXPIRETIME k
        EXPIREAT k 4000000000 NX
        EXPIRETIME k
        EXPIREAT k 4000000001 NX
        EXPIREAT k 4000000000 GT
        EXPIREAT k 4000000001 GT
        EXPIRETIME k
        EXPIREAT k 4000000001 LT
        EXPIREAT k 4000000000 LT
        EXPIRETIME k
        PEXPIREAT k 4000000000500 xx gt
        PEXPIRETIME k
        EXPIRETIME k
        PEXPIREAT k 4000000000499 XX LT
        EXPIRETIME k
        PEXPIREAT k 4000000000001 lt xx
        PEXPIRETIME k
        PEXPIREAT k 9223372036854775807
        PEXPIRETIME k
        EXPIRETIME k
        PERSIST k
        PERSIST k
        PERSIST nokey
        TTL k
        PTTL k
        EXPIRETIME k
        PEXPIRETIME k
        EXPIRETIME nokey
        PEXPIRETIME nokey
        TTL nokey
        PTTL nokey
        PERSIST
        TTL
        TTL a b
        "#,
    );
}

#[test]
fn past_times_delete_the_key() {
    diff::check(
        r#"
        SET a 1
        SET b 1
        SET c 1
        SET d 1
        SET e 1
        EXPIRE a 0
        PEXPIRE b -5
        EXPIREAT c 1
        PEXPIREAT d -1
        EXPIRE e -9223372036854775
        EXISTS a b c d e
        DBSIZE
        SET f 1
        EXPIREAT f 1 GT
        EXPIREAT f 1 LT
        EXISTS f
        SET g 1
        EXPIREAT g 4000000000
        EXPIREAT g 1 LT
        EXISTS g
        "#,
    );
}

#[test]
fn writes_and_renames_keep_or_clear_ttls() {
    diff::check(
        r#"
        SET k v
        PEXPIREAT k 4000000000123
        SET k v2
        PEXPIRETIME k
        PEXPIREAT k 4000000000123
        RENAME k k2
        PEXPIRETIME k2
        COPY k2 k3
        PEXPIRETIME k3
        MOVE k3 5
        SELECT 5
        PEXPIRETIME k3
        "#,
    );
}

#[test]
fn relative_ttls_count_down() {
    let s = TestServer::start(&[]);
    let mut c = s.raw();
    c.cmd(&["SET", "k", "v"]).unwrap();
    assert_eq!(c.cmd(&["EXPIRE", "k", "100"]).unwrap(), Reply::Int(1));
    let Reply::Int(ttl) = c.cmd(&["TTL", "k"]).unwrap() else { panic!() };
    assert!((99..=100).contains(&ttl), "{ttl}");
    let Reply::Int(pttl) = c.cmd(&["PTTL", "k"]).unwrap() else { panic!() };
    assert!((98_000..=100_000).contains(&pttl), "{pttl}");
    let now_ms = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i64;
    let Reply::Int(at) = c.cmd(&["PEXPIRETIME", "k"]).unwrap() else { panic!() };
    assert!((at - (now_ms + 100_000)).abs() < 2_000, "{at} vs {now_ms}");
    let Reply::Int(at_s) = c.cmd(&["EXPIRETIME", "k"]).unwrap() else { panic!() };
    assert_eq!(at_s, (at + 500) / 1000);
    assert_eq!(c.cmd(&["PEXPIRE", "k", "50000", "LT"]).unwrap(), Reply::Int(1));
    let Reply::Int(pttl) = c.cmd(&["PTTL", "k"]).unwrap() else { panic!() };
    assert!((48_000..=50_000).contains(&pttl), "{pttl}");
    assert_eq!(c.cmd(&["EXPIRE", "k", "100", "LT"]).unwrap(), Reply::Int(0));
    assert_eq!(c.cmd(&["PEXPIRE", "k", "200", "GT"]).unwrap(), Reply::Int(0));
    // A key whose time passes is gone for every command.
    c.cmd(&["SET", "short", "v"]).unwrap();
    assert_eq!(c.cmd(&["PEXPIRE", "short", "30"]).unwrap(), Reply::Int(1));
    wait_until(Duration::from_secs(5), "short to expire", || c.cmd(&["GET", "short"]).unwrap() == Reply::Bulk(None));
    assert_eq!(c.cmd(&["TTL", "short"]).unwrap(), Reply::Int(-2));
    assert_eq!(c.cmd(&["EXISTS", "short"]).unwrap(), Reply::Int(0));
}

/// SET then PEXPIRE, pipelined.
fn set_px(c: &mut rhodium_it::RawConn, key: &str, ms: &str) {
    c.send(&["SET", key, "v"]).unwrap();
    c.send(&["PEXPIRE", key, ms]).unwrap();
    assert_eq!(c.read_reply().unwrap(), Reply::Simple("OK".into()));
    assert_eq!(c.read_reply().unwrap(), Reply::Int(1));
}

#[test]
fn active_expiry_removes_untouched_keys() {
    let s = TestServer::start(&["--hz", "10"]);
    let mut c = s.raw();
    for i in 0..3000 {
        set_px(&mut c, &format!("short:{i}"), "50");
    }
    for i in 0..100 {
        set_px(&mut c, &format!("long:{i}"), "1000000");
        c.cmd(&["SET", &format!("plain:{i}"), "v"]).unwrap();
    }
    c.cmd(&["SELECT", "7"]).unwrap();
    for i in 0..500 {
        set_px(&mut c, &format!("db7:{i}"), "50");
    }
    // Nothing reads those keys: only the cron's cycle can make DBSIZE shrink.
    wait_until(Duration::from_secs(20), "db 7 to be emptied by active expiry", || c.cmd(&["DBSIZE"]).unwrap() == Reply::Int(0));
    c.cmd(&["SELECT", "0"]).unwrap();
    wait_until(Duration::from_secs(20), "db 0 to keep only live keys", || c.cmd(&["DBSIZE"]).unwrap() == Reply::Int(200));
}
