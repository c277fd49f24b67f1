//! Blocking list and sorted-set commands, differential against redis-server: errors,
//! immediate results, several blocked clients served in order, timeouts, wakeups from
//! every kind of write, MULTI, CLIENT UNBLOCK and disconnection while blocked.

use std::time::Duration;

use rhodium_it::diff;
use rhodium_it::raw::RawConn;
use rhodium_it::session::{blocked, check_session};
use rhodium_it::{wait_until, TestServer};

#[test]
fn errors_and_immediate_results() {
    diff::check(
        r#"
        BLPOP l abc
        BLPOP l -1
        BLPOP l -0.5
        BLPOP l nan
        BLPOP l 1e16
        BLPOP l inf
        BLPOP
        BLMPOP 0.01 0 l LEFT
        BLMPOP 0.01 1 l MIDDLE
        BLMPOP x 1 l LEFT
        BLMPOP 0.01 1 l LEFT COUNT 0
        BLMPOP 0.01 1 l LEFT COUNT 2 COUNT 3
        BLMPOP 0.01 1 l LEFT COUNT
        BLMPOP 0.01 3 l LEFT
        BZMPOP 0.01 1 l MIN COUNT 0
        BZMPOP 0.01 1 l UP
        BLMOVE a b UP LEFT 0
        BLMOVE a b LEFT LEFT -1
        BLMOVE a b LEFT LEFT x
        BRPOPLPUSH a b x
        BZPOPMIN z x
        SET s x
        BLPOP s 0
        BLPOP nothere s 0
        BZPOPMIN s 0
        BLMOVE s b LEFT LEFT 0
        RPUSH l2 a
        BLMOVE l2 s LEFT LEFT 0.01
        BLMPOP 0 1 s LEFT
        BZMPOP 0 1 s MIN
        RPUSH l a b c d e f g
        BLPOP nothere l 0
        BRPOP l nothere 0
        BLMOVE l m LEFT RIGHT 0
        BRPOPLPUSH l m 0
        BLMOVE l l RIGHT LEFT 0
        LRANGE l 0 -1
        BLMPOP 0 2 x l RIGHT COUNT 2
        BLMPOP 0 1 l LEFT COUNT 100
        EXISTS l
        ZADD z 1 a 2 b 3 c 4 d 5 e
        BZPOPMIN x z 0
        BZPOPMAX z 0
        BZMPOP 0 1 z MIN COUNT 2
        BZMPOP 0 2 x z MAX COUNT 100
        EXISTS z
        BLPOP l 0.01
        BZPOPMAX z 0.01
        BLMOVE l x LEFT LEFT 0.01
        BRPOPLPUSH l x 0.01
        BLMPOP 0.01 1 l LEFT
        BZMPOP 0.01 1 z MIN
        HELLO 3
        BLPOP l 0.01
        BZMPOP 0.01 1 z MIN
        ZADD z 1.5 a
        BZPOPMIN z 0
        "#,
    );
}

#[test]
fn blocking_commands_inside_multi_do_not_block() {
    diff::check(
        r#"
        MULTI
        BLPOP l 0
        BRPOP l 10
        BLMOVE l m LEFT RIGHT 0
        BRPOPLPUSH l m 0
        BLMPOP 0 1 l LEFT
        BZPOPMIN z 0
        BZMPOP 0 1 z MAX
        LPUSH l a
        BLPOP l 0
        EXEC
        "#,
    );
}

#[test]
fn clients_are_served_first_blocked_first() {
    check_session(
        r#"
        1> BLPOP k 0
        blocked 1
        2> BLPOP other k 0
        blocked 2
        3> BRPOP k 0
        blocked 3
        4 RPUSH k a b
        1<
        2<
        blocked 1
        4 RPUSH k c d e
        3<
        blocked 0
        4 LRANGE k 0 -1
        "#,
    );
}

#[test]
fn writes_in_the_same_pipeline_run_after_the_waiter_is_served() {
    check_session(
        r#"
        1> BLPOP k 0
        blocked 1
        # The transaction's own LPOP takes the element: the waiter stays blocked.
        2 MULTI
        2 RPUSH k a
        2 LPOP k
        2 EXEC
        blocked 1
        2 MULTI
        2 RPUSH k b c
        2 LPOP k
        2 EXEC
        1<
        1> BLPOP k 0
        blocked 1
        2 RPUSH k x
        2 LPOP k
        1<
        "#,
    );
}

#[test]
fn every_kind_of_write_wakes_waiters() {
    check_session(
        r#"
        # LPUSH, RPUSH, LMOVE, RPOPLPUSH, LPUSHX (no), LINSERT (no: needs a list)
        1> BLPOP k 0
        blocked 1
        2 LPUSH k a
        1<
        1> BRPOP k 0
        blocked 1
        2 RPUSH src x y
        2 LMOVE src k LEFT LEFT
        1<
        1> BLPOP k 0
        blocked 1
        2 RPOPLPUSH src k
        1<
        # RENAME, MOVE, COPY
        2 RPUSH tmp r
        1> BLPOP k 0
        blocked 1
        2 LPUSHX k nothing
        2 RENAME tmp k
        1<
        2 SELECT 3
        2 RPUSH k m
        1> BLPOP k 0
        blocked 1
        2 MOVE k 0
        1<
        2 SELECT 0
        2 RPUSH c1 c
        1> BLPOP k 0
        blocked 1
        2 COPY c1 k
        1<
        # SWAPDB
        2 SELECT 5
        2 RPUSH k fromdb5
        2 SELECT 0
        1> BLPOP k 0
        blocked 1
        2 SWAPDB 0 5
        1<
        # Sorted sets: ZADD, ZINCRBY, ZUNIONSTORE, ZRANGESTORE
        1> BZPOPMIN z 0
        blocked 1
        2 ZADD z 1 a
        1<
        1> BZPOPMAX z 0
        blocked 1
        2 ZINCRBY z 3 b
        1<
        2 ZADD s1 1 x 2 y
        1> BZMPOP 0 1 z MIN COUNT 5
        blocked 1
        2 ZUNIONSTORE z 1 s1
        1<
        1> BZPOPMIN z 0
        blocked 1
        2 ZRANGESTORE z s1 0 0
        1<
        # A write of another type does not serve; the waiter stays.
        1> BLPOP k 0
        blocked 1
        2 SET k str
        2 DEL k
        blocked 1
        2 RPUSH k finally
        1<
        blocked 0
        "#,
    );
}

#[test]
fn blmove_and_blmpop_when_served() {
    check_session(
        r#"
        1> BLMOVE k k RIGHT LEFT 0
        blocked 1
        2 RPUSH k a b
        1<
        2 LRANGE k 0 -1
        2 DEL k
        1> BRPOPLPUSH k dst 0
        blocked 1
        2 RPUSH k a b
        1<
        2 LRANGE dst 0 -1
        1> BLMPOP 0 2 e1 e2 RIGHT COUNT 5
        blocked 1
        2 RPUSH e2 1 2 3
        1<
        # A destination of the wrong type.
        2 SET str x
        1> BLMOVE e3 str LEFT LEFT 0
        blocked 1
        2 RPUSH e3 v
        1<
        2 LRANGE e3 0 -1
        "#,
    );
}

#[test]
fn timeouts_and_client_unblock() {
    check_session(
        r#"
        1 BLPOP k 0.05
        1 BZMPOP 0.05 1 z MIN
        1 CLIENT ID
        2 CLIENT UNBLOCK 5
        1> BLPOP k 0
        blocked 1
        2 CLIENT UNBLOCK 5 TIMEOUT
        1<
        1> BZPOPMIN k 0
        blocked 1
        2 CLIENT UNBLOCK 5 ERROR
        1<
        2 CLIENT UNBLOCK 5
        2 CLIENT UNBLOCK abc
        2 CLIENT UNBLOCK 5 FOO
        2 CLIENT UNBLOCK 5 error x
        2 INFO errorstats
        # A waiter with a timeout served before it.
        1> BLPOP k 10
        blocked 1
        2 RPUSH k v
        1<
        "#,
    );
}

#[test]
fn a_client_that_disconnects_while_blocked_is_removed() {
    check_session(
        r#"
        1> BLPOP k 0
        2> BLPOP k 0
        blocked 2
        close 1
        blocked 1
        3 RPUSH k a b
        2<
        3 LRANGE k 0 -1
        close 2
        blocked 0
        3 RPUSH k c
        3 LRANGE k 0 -1
        # CLIENT KILL of a blocked client.
        4 CLIENT ID
        4> BLPOP other 0
        blocked 1
        3 CLIENT KILL ID 10
        blocked 0
        3 RPUSH other x
        3 LLEN other
        "#,
    );
}

#[test]
fn blocked_clients_are_exempt_from_the_idle_timeout() {
    let s = TestServer::start(&["--timeout", "1"]);
    let mut c = s.raw();
    let mut admin = s.raw();
    c.send(&["BLPOP", "k", "0"]).unwrap();
    wait_until(Duration::from_secs(10), "blocked", || blocked(&mut admin) == 1);
    // Idle clients are closed within a couple of seconds; the blocked one stays.
    let mut idle = s.raw();
    idle.cmd(&["PING"]).unwrap();
    assert!(idle.is_closed(Duration::from_secs(10)));
    assert_eq!(blocked(&mut s.raw()), 1);
    s.raw().cmd(&["RPUSH", "k", "v"]).unwrap();
    assert!(!c.read_reply().unwrap().is_error());
}

#[test]
fn client_list_shows_blocked_flag() {
    let s = TestServer::start(&[]);
    let mut c = s.raw();
    let mut admin = s.raw();
    let id = c.cmd(&["CLIENT", "ID"]).unwrap().as_str();
    c.send(&["BLPOP", "k", "0"]).unwrap();
    wait_until(Duration::from_secs(10), "blocked", || blocked(&mut admin) == 1);
    let line = admin.cmd(&["CLIENT", "LIST", "ID", &id]).unwrap().as_str();
    assert!(line.contains(" flags=b ") && line.contains(" cmd=blpop "), "{line}");
    admin.cmd(&["LPUSH", "k", "v"]).unwrap();
    assert_eq!(format!("{:?}", c.read_reply().unwrap()), format!("{:?}", rhodium_it::raw::Reply::Array(Some(vec![rhodium_it::raw::Reply::Bulk(Some(b"k".to_vec())), rhodium_it::raw::Reply::Bulk(Some(b"v".to_vec()))]))));
    let line = admin.cmd(&["CLIENT", "LIST", "ID", &id]).unwrap().as_str();
    assert!(line.contains(" flags=N "), "{line}");
    // Blocked then served counts as one call, as in Redis.
    let stats = admin.cmd(&["INFO", "commandstats"]).unwrap().as_str();
    assert!(stats.contains("cmdstat_blpop:calls=1,"), "{stats}");
}

#[test]
fn many_waiters_and_pushers_lose_nothing() {
    let s = TestServer::start(&[]);
    let port = s.port;
    const WAITERS: usize = 20;
    let mut handles = Vec::new();
    for _ in 0..WAITERS {
        handles.push(std::thread::spawn(move || {
            let mut c = RawConn::connect(port).unwrap();
            let mut got = Vec::new();
            for _ in 0..5 {
                let r = c.cmd(&["BLPOP", "q1", "q2", "0"]).unwrap();
                let rhodium_it::raw::Reply::Array(Some(v)) = r else { panic!("{r:?}") };
                got.push(v[1].as_str());
            }
            got
        }));
    }
    let mut p = s.raw();
    for i in 0..WAITERS * 5 {
        let key = if i % 2 == 0 { "q1" } else { "q2" };
        p.cmd(&["RPUSH", key, &i.to_string()]).unwrap();
    }
    let mut all: Vec<usize> = handles.into_iter().flat_map(|h| h.join().unwrap()).map(|v| v.parse().unwrap()).collect();
    all.sort_unstable();
    assert_eq!(all, (0..WAITERS * 5).collect::<Vec<_>>());
    wait_until(Duration::from_secs(5), "no blocked clients", || blocked(&mut p) == 0);
}
