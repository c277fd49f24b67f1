//! Keyspace notifications, differential against redis-server: a subscriber connection
//! collects every `__keyspace@*` / `__keyevent@*` message each command produces, and the
//! replies and messages must be byte-identical.

use rhodium_it::diff::{split, Pair};
use rhodium_it::raw::RawConn;
use rhodium_it::TestServer;

/// The tail of the marker message that ends one command's events.
const MARK: &[u8] = b"$3\r\nend\r\n$1\r\nx\r\n";

/// A command connection and a subscriber watching every keyspace channel.
struct Watch {
    cmd: RawConn,
    sub: RawConn,
}

impl Watch {
    fn open(s: &TestServer, flags: &str, resp3: bool) -> Watch {
        let mut cmd = s.raw();
        assert_eq!(cmd.cmd(&["CONFIG", "SET", "notify-keyspace-events", flags]).unwrap().as_str(), "OK");
        let mut sub = s.raw();
        if resp3 {
            sub.cmd(&["HELLO", "3"]).unwrap();
        }
        sub.cmd(&["PSUBSCRIBE", "__key*__:*"]).unwrap();
        sub.cmd(&["SUBSCRIBE", "end"]).unwrap();
        Watch { cmd, sub }
    }

    /// Runs one command; returns its reply and the messages it caused, in order. A line
    /// starting with `?` has a random reply (SPOP): only its messages are compared.
    fn run(&mut self, line: &str) -> String {
        let (random, line) = match line.strip_prefix('?') {
            Some(rest) => (true, rest.trim()),
            None => (false, line),
        };
        let reply = self.cmd.cmd_bytes(&split(line)).expect("reply");
        let mut text = if random { "<random>".to_string() } else { String::from_utf8_lossy(&reply).into_owned() };
        self.cmd.cmd(&["PUBLISH", "end", "x"]).unwrap();
        loop {
            let frame = self.sub.read_reply_bytes().expect("message");
            if frame.ends_with(MARK) {
                break;
            }
            text.push_str(" | ");
            text.push_str(&String::from_utf8_lossy(&frame));
        }
        text
    }

    /// Reads the next message without sending anything (events the server makes alone).
    fn next(&mut self) -> String {
        String::from_utf8_lossy(&self.sub.read_reply_bytes().expect("message")).into_owned()
    }
}

/// Runs `script` with notifications set to `flags` on both servers, comparing each
/// command's reply and messages.
fn check_events(p: &Pair, flags: &str, resp3: bool, script: &str) {
    let mut a = Watch::open(&p.ours, flags, resp3);
    let mut b = Watch::open(&p.theirs, flags, resp3);
    for line in script.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')) {
        let ra = a.run(line);
        let rb = b.run(line);
        assert_eq!(ra, rb, "flags {flags}: differs at `{line}` (left: rhodium, right: redis)");
    }
}

const STRINGS: &str = r#"
    SET s v
    SET s v2 EX 100
    SET s v3 KEEPTTL
    SET s v NX
    SET s v XX GET
    SET nx v XX
    SETNX s v
    SETNX s2 v
    SETEX s3 100 v
    PSETEX s4 100000 v
    MSET m1 a m2 b
    MSETNX m1 a m3 c
    MSETNX m4 a m5 b
    GETSET s x
    GETDEL s
    GETDEL s
    SET g v
    GETEX g
    GETEX g EX 100
    GETEX g PERSIST
    GETEX g PERSIST
    GETEX g PXAT 1
    APPEND a x
    APPEND a y
    INCR n
    DECR n
    INCRBY n 5
    DECRBY n 2
    INCRBYFLOAT f 1.5
    INCR s3
    SETRANGE r 2 ab
    SETRANGE r 0 ""
    SETRANGE missing 0 ""
    GET nokey
    MGET nokey m1
    STRLEN nokey
"#;

const GENERIC: &str = r#"
    SET k v
    DEL k nokey
    SET a 1
    SET b 2
    UNLINK a b
    SET src v
    RENAME src dst
    RENAME dst dst
    SET other x
    RENAMENX dst other
    RENAMENX dst fresh
    RENAME nosuch x
    SET e v
    EXPIRE e 100
    PEXPIRE e 100000
    EXPIREAT e 9999999999
    PEXPIREAT e 9999999999000
    EXPIRE e 100 NX
    EXPIRE e 50 LT
    PERSIST e
    PERSIST e
    EXPIRE e -1
    EXISTS e
    SET e2 v
    PEXPIREAT e2 1
    SET mv v
    MOVE mv 1
    SELECT 1
    MOVE mv 0
    SELECT 0
    SET c1 v
    COPY c1 c2
    COPY c1 c2
    COPY c1 c2 REPLACE
    COPY c1 c2 DB 2
    TYPE nokey
    TTL nokey
    TOUCH nokey
    FLUSHDB
"#;

const LISTS: &str = r#"
    LPUSH l a b c
    RPUSH l d
    LPUSHX nol a
    RPUSHX l e
    LINSERT l BEFORE a x
    LINSERT l BEFORE nosuch x
    LSET l 0 y
    LPOP l
    RPOP l 2
    LPOP l 0
    LREM l 0 nosuch
    LREM l 1 a
    LTRIM l 0 0
    LTRIM l 1 0
    RPUSH l a b c
    LMOVE l l2 LEFT RIGHT
    RPOPLPUSH l l2
    LMOVE l l RIGHT LEFT
    LMOVE l l2 LEFT LEFT
    LMPOP 2 nol l2 RIGHT COUNT 5
    LPOP nol
    LRANGE nol 0 -1
    LINDEX nol 0
"#;

const HASHES: &str = r#"
    HSET h a 1 b 2
    HSET h a 1
    HMSET h c 3
    HSETNX h a 9
    HSETNX h z 9
    HDEL h nosuch
    HDEL h a b
    HINCRBY h n 5
    HINCRBYFLOAT h f 1.5
    HDEL h c z n f
    HGET nokey f
    HGETALL nokey
"#;

const SETS: &str = r#"
    SADD s a b c
    SADD s a
    SREM s nosuch
    SREM s a
    SMOVE s s2 b
    SMOVE s s2 nosuch
    SMOVE s2 s2 b
    SMOVE s s2 c
    ?SPOP s2
    SADD p a b c d e
    SPOP p 0
    ?SPOP p 1
    ?SPOP p 10
    SADD x1 a b c
    SADD x2 b c d
    SINTERSTORE d1 x1 x2
    SUNIONSTORE d2 x1 x2
    SDIFFSTORE d3 x1 x2
    SINTERSTORE d1 x1 nosuch
    SDIFFSTORE d3 x1 x1
    SUNIONSTORE d9 nosuch
    SMEMBERS nokey
    SISMEMBER nokey a
"#;

const ZSETS: &str = r#"
    ZADD z 1 a 2 b 3 c
    ZADD z 1 a
    ZADD z XX 5 a
    ZADD z NX 5 a
    ZADD z INCR 1 a
    ZINCRBY z 2 b
    ZADD nz XX 1 a
    ZREM z nosuch
    ZREM z a
    ZREMRANGEBYRANK z 5 6
    ZREMRANGEBYRANK z 0 0
    ZADD z 1 a 2 b 3 c 4 d
    ZREMRANGEBYSCORE z 1 1
    ZREMRANGEBYLEX z [b [b
    ZREMRANGEBYLEX z [x [y
    ZPOPMIN z
    ZPOPMAX z 5
    ZPOPMIN z
    ZADD y1 1 a 2 b
    ZADD y2 3 b 4 c
    ZUNIONSTORE u 2 y1 y2
    ZINTERSTORE i 2 y1 y2
    ZDIFFSTORE d 2 y1 y2
    ZRANGESTORE r y1 0 -1
    ZRANGESTORE r y1 5 6
    ZINTERSTORE i 2 y1 nosuch
    ZMPOP 2 nosuch y1 MIN COUNT 1
    ZMPOP 1 y1 MAX COUNT 9
    ZSCORE nokey a
    ZRANGE nokey 0 -1
"#;

const BITS_HLL_GEO_SORT: &str = r#"
    SETBIT b 7 1
    SETBIT b 7 1
    SETBIT b 100 0
    BITFIELD b SET u8 0 255 GET u8 0
    BITFIELD b GET u8 0
    BITFIELD bf OVERFLOW FAIL INCRBY u2 0 9
    BITOP OR bo b nosuch
    BITOP AND bo nosuch nosuch2
    PFADD h a b c
    PFADD h a
    PFADD h2 z
    PFMERGE hm h h2
    PFCOUNT h
    GEOADD g 13.361389 38.115556 Palermo 15.087269 37.502669 Catania
    GEOADD g XX CH 13.4 38.1 Palermo
    GEORADIUS g 15 37 200 km STORE gr
    GEORADIUSBYMEMBER g Palermo 300 km STOREDIST gd
    GEOSEARCHSTORE gs g FROMLONLAT 15 37 BYRADIUS 200 km
    GEOSEARCHSTORE gs g FROMLONLAT 0 0 BYRADIUS 1 km
    RPUSH l 3 1 2
    SORT l STORE ls
    SORT nosuch STORE ls
"#;

const STREAMS: &str = r#"
    XADD s 1-1 f v
    XADD s 2-1 f v
    XADD s 3-1 f v
    XADD s 1-1 f v
    XADD nos NOMKSTREAM 1-1 f v
    XADD s MAXLEN 2 4-1 f v
    XADD s MAXLEN 5 5-1 f v
    XTRIM s MAXLEN 10
    XTRIM s MAXLEN 2
    XTRIM nos MAXLEN 2
    XDEL s 9-9
    XDEL s 4-1
    XSETID s 10-1
    XSETID nos 10-1
    XGROUP CREATE s g 0
    XGROUP CREATE s g 0
    XGROUP CREATE m g $ MKSTREAM
    XGROUP CREATECONSUMER s g c1
    XGROUP CREATECONSUMER s g c1
    XGROUP SETID s g 0
    XREADGROUP GROUP g c2 COUNT 1 STREAMS s >
    XREADGROUP GROUP g c2 STREAMS s >
    XREADGROUP GROUP g c3 STREAMS s 0
    XCLAIM s g c4 0 5-1 JUSTID
    XCLAIM s g c5 0 9-9 JUSTID
    XAUTOCLAIM s g c6 0 0 COUNT 1
    XACK s g 5-1
    XGROUP DELCONSUMER s g c1
    XGROUP DELCONSUMER s g nosuch
    XGROUP DESTROY s g
    XGROUP DESTROY s g
    XREAD STREAMS s 0
    XDEL s 5-1
    XDEL s 3-1
    XLEN s
    DEL s
"#;

#[test]
fn every_command_with_all_classes() {
    let Some(p) = Pair::start(&[]) else { return };
    for script in [STRINGS, GENERIC, LISTS, HASHES, SETS, ZSETS, BITS_HLL_GEO_SORT, STREAMS] {
        check_events(&p, "KEA", false, script);
        p.ours.raw().cmd(&["FLUSHALL"]).unwrap();
        p.theirs.raw().cmd(&["FLUSHALL"]).unwrap();
    }
}

#[test]
fn class_subsets_key_miss_and_new() {
    let Some(p) = Pair::start(&[]) else { return };
    let all = [STRINGS, GENERIC, LISTS, HASHES, SETS, ZSETS, STREAMS].concat();
    for flags in ["K$", "Eg", "Kl", "Esh", "KEz", "Exg", "KEm", "En", "KEA", "Kgn", "A", "E", "", "Kt", "Et"] {
        check_events(&p, flags, false, &all);
        p.ours.raw().cmd(&["FLUSHALL"]).unwrap();
        p.theirs.raw().cmd(&["FLUSHALL"]).unwrap();
    }
}

#[test]
fn resp3_subscriber_gets_push_frames() {
    let Some(p) = Pair::start(&[]) else { return };
    check_events(&p, "KEA", true, &[STRINGS, LISTS].concat());
}

/// A RESP3 client subscribed to its own keys' events gets them before the reply.
#[test]
fn own_events_precede_the_reply() {
    let Some(p) = Pair::start(&["--notify-keyspace-events", "KEA"]) else { return };
    p.check(
        r#"
        HELLO 3
        SUBSCRIBE __keyevent@0__:set __keyspace@0__:k
        SET k v
        PING
        SET other v
        UNSUBSCRIBE
        "#,
    );
    // Each frame of those replies, one at a time.
    let mut a = p.ours.raw();
    let mut b = p.theirs.raw();
    for c in [&mut a, &mut b] {
        c.cmd(&["HELLO", "3"]).unwrap();
        c.cmd(&["SUBSCRIBE", "__keyevent@0__:del"]).unwrap();
    }
    for line in ["SET k v", "DEL k", "DEL k", "PING"] {
        let ra = a.cmd_bytes(&split(line)).unwrap();
        let rb = b.cmd_bytes(&split(line)).unwrap();
        assert_eq!(String::from_utf8_lossy(&ra), String::from_utf8_lossy(&rb), "at {line}");
    }
    // CLIENT REPLY OFF drops replies, not pushes.
    for c in [&mut a, &mut b] {
        c.send(&["SUBSCRIBE", "__keyevent@0__:set"]).unwrap();
        c.send(&["CLIENT", "REPLY", "OFF"]).unwrap();
        c.send(&["SET", "k", "v"]).unwrap();
        c.send(&["CLIENT", "REPLY", "ON"]).unwrap();
    }
    for _ in 0..3 {
        let ra = a.read_reply_bytes().unwrap();
        let rb = b.read_reply_bytes().unwrap();
        assert_eq!(String::from_utf8_lossy(&ra), String::from_utf8_lossy(&rb));
    }
}

#[test]
fn config_forms_of_notify_keyspace_events() {
    rhodium_it::diff::check(
        r#"
        CONFIG SET notify-keyspace-events KEA
        CONFIG GET notify-keyspace-events
        CONFIG SET notify-keyspace-events Kx
        CONFIG GET notify-keyspace-events
        CONFIG SET notify-keyspace-events nK
        CONFIG GET notify-keyspace-events
        CONFIG SET notify-keyspace-events AKEmn
        CONFIG GET notify-keyspace-events
        CONFIG SET notify-keyspace-events xEK
        CONFIG GET notify-keyspace-events
        CONFIG SET notify-keyspace-events g$lshzxetd
        CONFIG GET notify-keyspace-events
        CONFIG SET notify-keyspace-events Agn
        CONFIG GET notify-keyspace-events
        CONFIG SET notify-keyspace-events Q
        CONFIG SET notify-keyspace-events ""
        CONFIG GET notify-keyspace-events
        "#,
    );
}

/// `n` stays in effect next to `A` although CONFIG GET does not show it.
#[test]
fn new_flag_survives_next_to_a() {
    let Some(p) = Pair::start(&[]) else { return };
    check_events(&p, "AKn", false, "SET fresh v\nSET fresh w\nLPUSH l a");
}

#[test]
fn lazy_expiry_publishes_expired() {
    let Some(p) = Pair::start(&[]) else { return };
    let script = r#"
        DEBUG SET-ACTIVE-EXPIRE 0
        SET k v PXAT 1
        GET k
        SET k2 v
        PEXPIREAT k2 1
        SET k3 v PXAT 1
        SET k3 w
        SET k4 v PXAT 1
        LPUSH k4 a
        FLUSHDB
        SET k5 v PXAT 1
        SCAN 0 COUNT 100
        FLUSHDB
        SET k6 v PXAT 1
        RANDOMKEY
        EXISTS k6
        DEBUG SET-ACTIVE-EXPIRE 1
    "#;
    check_events(&p, "KEA", false, script);
    check_events(&p, "Ex", false, script);
}

#[test]
fn active_expiry_publishes_expired() {
    let Some(p) = Pair::start(&[]) else { return };
    let mut a = Watch::open(&p.ours, "KEA", false);
    let mut b = Watch::open(&p.theirs, "KEA", false);
    for w in [&mut a, &mut b] {
        w.run("SET k v PX 30");
    }
    let (ea, eb) = ((a.next(), a.next()), (b.next(), b.next()));
    assert_eq!(ea, eb);
    assert!(ea.0.contains("expired"), "{ea:?}");
    assert_eq!(a.run("PING"), b.run("PING"));
}
