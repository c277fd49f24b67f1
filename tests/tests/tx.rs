//! Transactions: MULTI/EXEC/DISCARD/WATCH/UNWATCH, differential against redis-server, and
//! a concurrency test that no reader ever sees a half-done transaction.

use std::time::Duration;

use rhodium_it::diff::{self, split, Pair};
use rhodium_it::{wait_until, TestServer};

/// Runs a script whose lines start with a connection number (`1 SET k v`) on the same
/// number of connections to each server, comparing every reply byte for byte.
fn check_multi(pair: &Pair, script: &str) {
    let mut ours = Vec::new();
    let mut theirs = Vec::new();
    for (i, line) in script.lines().map(str::trim).enumerate().filter(|(_, l)| !l.is_empty() && !l.starts_with('#')) {
        let (n, cmd) = line.split_once(' ').expect("connection number");
        let n: usize = n.parse().expect("connection number");
        while ours.len() < n {
            ours.push(pair.ours.raw());
            theirs.push(pair.theirs.raw());
        }
        let argv = split(cmd);
        let a = ours[n - 1].cmd_bytes(&argv).unwrap_or_else(|e| panic!("rhodium failed on `{line}`: {e}\nlog:\n{}", pair.ours.log()));
        let b = theirs[n - 1].cmd_bytes(&argv).unwrap_or_else(|e| panic!("redis failed on `{line}`: {e}"));
        assert_eq!(String::from_utf8_lossy(&a), String::from_utf8_lossy(&b), "reply differs for `{line}` at script line {i} (left: rhodium, right: redis)");
    }
}

#[test]
fn multi_exec_discard_and_their_errors() {
    diff::check(
        r#"
        EXEC
        DISCARD
        MULTI
        MULTI
        WATCH x
        SET a 1
        INCR a
        LPUSH a x
        GET a
        SELECT 2
        SET a 2
        EXEC
        GET a
        SELECT 0
        GET a
        MULTI extra
        MULTI
        SET a 1
        FOO bar
        EXEC
        MULTI
        GET
        SET a 2
        EXEC
        GET a
        MULTI
        SET a 3
        DISCARD
        GET a
        DISCARD
        MULTI
        EXEC
        MULTI
        PING
        ECHO hi
        DISCARD extra
        EXEC
        MULTI
        CONFIG NOSUCH
        EXEC
        MULTI
        UNWATCH
        WATCH a
        EXEC
        "#,
    );
}

#[test]
fn no_multi_commands_and_resp3_replies() {
    diff::check(
        r#"
        MULTI
        SHUTDOWN NOSAVE
        EXEC
        HELLO 3
        WATCH k
        SET k 1
        MULTI
        GET k
        EXEC
        MULTI
        SET k 2
        GET k
        ZADD z 1 a
        ZSCORE z a
        BLPOP nothing 0
        EXEC
        "#,
    );
}

#[test]
fn runtime_errors_inside_exec_do_not_abort_the_rest() {
    diff::check(
        r#"
        SET s notanumber
        MULTI
        INCR s
        SET t 1
        LPUSH s x
        INCRBY t 5
        GET t
        EXEC
        "#,
    );
}

#[test]
fn watch_detects_changes_from_other_clients() {
    let Some(pair) = Pair::start(&[]) else {
        return;
    };
    check_multi(
        &pair,
        r#"
        1 SET k 1
        1 WATCH k
        2 SET k 2
        1 MULTI
        1 SET k 3
        1 EXEC
        1 GET k
        # No change: the transaction runs.
        1 WATCH k
        2 GET k
        1 MULTI
        1 SET k 4
        1 EXEC
        # A change by the same client before MULTI also counts.
        1 WATCH k
        1 SET k 5
        1 MULTI
        1 EXEC
        # UNWATCH forgets it.
        1 WATCH k
        2 SET k 6
        1 UNWATCH
        1 MULTI
        1 GET k
        1 EXEC
        # DISCARD unwatches too.
        1 WATCH k
        2 SET k 7
        1 MULTI
        1 DISCARD
        1 MULTI
        1 GET k
        1 EXEC
        # Several keys, one changed; a missing key created; a key deleted.
        1 WATCH a b k
        2 SET b 1
        1 MULTI
        1 PING
        1 EXEC
        1 WATCH nokey
        2 SET nokey x
        1 MULTI
        1 PING
        1 EXEC
        1 WATCH nokey
        2 DEL nokey
        1 MULTI
        1 PING
        1 EXEC
        # A command that changes nothing does not touch.
        1 WATCH k
        2 SET k 8 NX
        2 DEL nothere
        2 EXPIRE nothere 10
        1 MULTI
        1 PING
        1 EXEC
        # Every kind of write counts.
        1 WATCH k
        2 EXPIRE k 100
        1 MULTI
        1 EXEC
        1 WATCH k
        2 PERSIST k
        1 MULTI
        1 EXEC
        1 WATCH k
        2 RENAME k k2
        1 MULTI
        1 EXEC
        1 WATCH k2
        2 MOVE k2 3
        1 MULTI
        1 EXEC
        2 SET src v
        1 WATCH dst
        2 COPY src dst
        1 MULTI
        1 EXEC
        1 WATCH src
        2 COPY src dst2
        1 MULTI
        1 EXEC
        2 RPUSH l a b
        1 WATCH l
        2 LPOP l
        1 MULTI
        1 EXEC
        # In another database only the same (db, key) counts.
        1 WATCH k
        2 SELECT 5
        2 SET k x
        1 MULTI
        1 EXEC
        2 SELECT 0
        "#,
    );
}

#[test]
fn watch_and_whole_database_commands() {
    let Some(pair) = Pair::start(&[]) else {
        return;
    };
    check_multi(
        &pair,
        r#"
        1 SET k 1
        1 WATCH k
        2 FLUSHDB
        1 MULTI
        1 EXEC
        # Flushing a database without the key does not touch it.
        1 WATCH k
        2 SELECT 1
        2 FLUSHDB
        1 MULTI
        1 EXEC
        1 SET k 1
        1 WATCH k
        2 FLUSHALL
        1 MULTI
        1 EXEC
        # FLUSHALL with the watched key missing.
        1 WATCH k
        2 FLUSHALL
        1 MULTI
        1 EXEC
        # SWAPDB: invalidates if the key exists in either database.
        2 SET k in1
        1 WATCH k
        2 SWAPDB 0 1
        1 MULTI
        1 EXEC
        1 WATCH other
        2 SWAPDB 0 1
        1 MULTI
        1 EXEC
        1 WATCH k
        2 SWAPDB 0 0
        1 MULTI
        1 EXEC
        "#,
    );
}

#[test]
fn watched_key_expiring_aborts_exec() {
    let Some(pair) = Pair::start(&[]) else {
        return;
    };
    check_multi(
        &pair,
        r#"
        1 DEBUG SET-ACTIVE-EXPIRE 0
        1 SET k 1 PX 200
        1 WATCH k
        1 DEBUG SLEEP 0.3
        1 MULTI
        1 PING
        1 EXEC
        # Still live at EXEC: it runs.
        1 SET k 1 PX 100000
        1 WATCH k
        1 MULTI
        1 PING
        1 EXEC
        # A key already expired when watched: its deletion is no change.
        1 SET e 1 PX 1
        1 DEBUG SLEEP 0.05
        1 WATCH e
        1 MULTI
        1 PING
        1 EXEC
        1 SET e 1 PX 1
        1 DEBUG SLEEP 0.05
        1 WATCH e
        2 GET e
        1 MULTI
        1 PING
        1 EXEC
        # ... but recreating it is.
        1 SET e 1 PX 1
        1 DEBUG SLEEP 0.05
        1 WATCH e
        2 SET e 2
        1 MULTI
        1 PING
        1 EXEC
        "#,
    );
}

#[test]
fn client_list_shows_multi_state() {
    let s = TestServer::start(&[]);
    let mut c = s.raw();
    let mut other = s.raw();
    let id = c.cmd(&["CLIENT", "ID"]).unwrap().as_str();
    let line = |other: &mut rhodium_it::raw::RawConn| other.cmd(&["CLIENT", "LIST", "ID", id.as_str()]).unwrap().as_str();
    assert!(line(&mut other).contains(" flags=N ") && line(&mut other).contains(" multi=-1 "));
    c.cmd(&["MULTI"]).unwrap();
    c.cmd(&["SET", "a", "1"]).unwrap();
    c.cmd(&["GET", "a"]).unwrap();
    let l = line(&mut other);
    assert!(l.contains(" flags=x ") && l.contains(" multi=2 "), "{l}");
    c.cmd(&["DISCARD"]).unwrap();
    c.cmd(&["WATCH", "a"]).unwrap();
    other.cmd(&["SET", "a", "2"]).unwrap();
    let l = line(&mut other);
    assert!(l.contains(" flags=d ") && l.contains(" multi=-1 "), "{l}");
}

#[test]
fn transfers_are_never_seen_half_done() {
    const ACCOUNTS: usize = 8;
    const INITIAL: i64 = 1000;
    let s = TestServer::start(&[]);
    let mut setup = s.raw();
    for i in 0..ACCOUNTS {
        setup.cmd(&["SET", &format!("acct:{i}"), &INITIAL.to_string()]).unwrap();
    }
    let keys: Vec<String> = (0..ACCOUNTS).map(|i| format!("acct:{i}")).collect();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut writers = Vec::new();
    for w in 0..4usize {
        let port = s.port;
        writers.push(std::thread::spawn(move || {
            let mut c = rhodium_it::raw::RawConn::connect(port).unwrap();
            for n in 0..300usize {
                let from = format!("acct:{}", (w + n) % ACCOUNTS);
                let to = format!("acct:{}", (w * 3 + n * 5 + 1) % ACCOUNTS);
                let amount = ((n % 7) + 1).to_string();
                c.cmd(&["MULTI"]).unwrap();
                c.cmd(&["DECRBY", &from, &amount]).unwrap();
                c.cmd(&["INCRBY", &to, &amount]).unwrap();
                let r = c.cmd(&["EXEC"]).unwrap();
                assert!(!r.is_error(), "{}", r.as_str());
            }
        }));
    }
    let mut readers = Vec::new();
    for _ in 0..3 {
        let port = s.port;
        let keys = keys.clone();
        let stop = stop.clone();
        readers.push(std::thread::spawn(move || {
            let mut c = rhodium_it::raw::RawConn::connect(port).unwrap();
            let mut seen = 0;
            let mut argv = vec!["MGET".to_string()];
            argv.extend(keys);
            while !stop.load(std::sync::atomic::Ordering::Relaxed) || seen == 0 {
                let r = c.cmd(&argv).unwrap();
                let rhodium_it::raw::Reply::Array(Some(values)) = &r else {
                    panic!("MGET replied {r:?}");
                };
                let sum: i64 = values.iter().map(|v| v.as_str().parse::<i64>().unwrap()).sum();
                assert_eq!(sum, INITIAL * ACCOUNTS as i64, "a half-done transfer was visible: {r:?}");
                seen += 1;
            }
            seen
        }));
    }
    for w in writers {
        w.join().unwrap();
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for r in readers {
        assert!(r.join().unwrap() > 0);
    }
    wait_until(Duration::from_secs(5), "final sum", || {
        let total: i64 = keys.iter().map(|k| setup.cmd(&["GET", k]).unwrap().as_str().parse::<i64>().unwrap()).sum();
        total == INITIAL * ACCOUNTS as i64
    });
}
