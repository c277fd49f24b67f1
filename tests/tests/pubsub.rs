//! Pub/Sub and keyspace notifications, differential against redis-server with real
//! subscribers: other connections of the same test read the messages.

use std::time::{Duration, Instant};

use rhodium_it::diff::{split, Pair};
use rhodium_it::raw::{RawConn, Reply};
use rhodium_it::{wait_until, TestServer};

/// One server's connections, numbered from 1 in scripts.
struct Conns(Vec<RawConn>);

impl Conns {
    fn open(s: &TestServer, n: usize) -> Conns {
        Conns((0..n).map(|_| s.raw()).collect())
    }
}

/// What one script step produced on one server.
fn step(c: &mut Conns, line: &str) -> String {
    let (who, rest) = line.split_at(1);
    let i: usize = who.parse::<usize>().expect("connection number") - 1;
    let op = &rest[..1];
    let cmd = rest[1..].trim();
    let conn = &mut c.0[i];
    match op {
        // Send and read one reply.
        ">" => String::from_utf8_lossy(&conn.cmd_bytes(&split(cmd)).expect("reply")).into_owned(),
        // Read one more frame.
        "<" => String::from_utf8_lossy(&conn.read_reply_bytes().expect("frame")).into_owned(),
        // Send and read one array reply, compared with its elements sorted (hash order).
        "~" => match conn.cmd(&split(cmd)).expect("reply") {
            Reply::Array(Some(items)) => {
                let mut v: Vec<String> = items.iter().map(Reply::as_str).collect();
                v.sort();
                format!("{v:?}")
            }
            other => format!("{other:?}"),
        },
        _ => panic!("bad script line {line}"),
    }
}

/// Runs a script of `N> CMD` (send on connection N, read a reply), `N<` (read the next
/// frame on N) and `N~ CMD` (array reply compared sorted) lines on both servers in
/// lockstep, asserting identical bytes.
fn script(p: &Pair, conns: usize, text: &str) {
    let mut a = Conns::open(&p.ours, conns);
    let mut b = Conns::open(&p.theirs, conns);
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')) {
        let ra = step(&mut a, line);
        let rb = step(&mut b, line);
        assert_eq!(ra, rb, "differs at `{line}` (left: rhodium, right: redis)\nlog:\n{}", p.ours.log());
    }
}

#[test]
fn subscribe_publish_unsubscribe_resp2() {
    let Some(p) = Pair::start(&[]) else { return };
    script(
        &p,
        3,
        r#"
        1> SUBSCRIBE foo bar
        1<
        2> PUBLISH foo hello
        1<
        2> PUBLISH bar "with space"
        1<
        2> PUBLISH nobody x
        1> SUBSCRIBE foo
        1> PSUBSCRIBE f* b?r
        1<
        2> PUBLISH foo both
        1<
        1<
        2> PUBLISH fx pat
        1<
        2> PUBLISH bar two
        1<
        1<
        1> UNSUBSCRIBE foo nosuch
        1<
        1> PUNSUBSCRIBE f*
        1> PUNSUBSCRIBE
        1> UNSUBSCRIBE
        1> UNSUBSCRIBE
        1> PUNSUBSCRIBE
        1> SUNSUBSCRIBE
        1> UNSUBSCRIBE a b
        1<
        1> GET x
        3> PUBLISH foo gone
        "#,
    );
}

#[test]
fn subscribed_mode_allows_only_subscription_commands_in_resp2() {
    let Some(p) = Pair::start(&[]) else { return };
    script(
        &p,
        2,
        r#"
        1> SUBSCRIBE ch
        1> GET k
        1> SET k v
        1> PUBLISH ch x
        1> CLIENT ID
        1> CONFIG GET port
        1> NOSUCH cmd
        1> GET
        1> PING
        1> PING hello
        1> PING a b
        1> PSUBSCRIBE p*
        1> SSUBSCRIBE s
        1> SUNSUBSCRIBE s
        1> PUNSUBSCRIBE p*
        1> UNSUBSCRIBE ch
        1> GET k
        1> PING
        1> SSUBSCRIBE s1
        1> GET k
        1> RESET
        1> GET k
        2> PUBSUB SHARDCHANNELS
        2> PUBSUB NUMSUB ch
        1> PSUBSCRIBE x
        1> QUIT
        "#,
    );
}

#[test]
fn resp3_push_frames_and_own_messages_first() {
    let Some(p) = Pair::start(&[]) else { return };
    script(
        &p,
        2,
        r#"
        1> HELLO 3 SETNAME s
        1> SUBSCRIBE ch
        1> PSUBSCRIBE c*
        1> SET k v
        1> GET k
        1> PING
        2> PUBLISH ch from-other
        1<
        1<
        1> PUBLISH ch mine
        1<
        1<
        1> UNSUBSCRIBE
        1> PUNSUBSCRIBE
        1> UNSUBSCRIBE
        1> SSUBSCRIBE sh
        2> SPUBLISH sh shard
        1<
        1> SPUBLISH sh self
        1<
        1> SPUBLISH nobody x
        1> HELLO 2
        1> PING
        2> SPUBLISH sh now-resp2
        1<
        "#,
    );
}

#[test]
fn pubsub_introspection() {
    let Some(p) = Pair::start(&[]) else { return };
    script(
        &p,
        4,
        r#"
        4> PUBSUB CHANNELS
        4> PUBSUB NUMPAT
        4> PUBSUB NUMSUB
        4> PUBSUB NUMSUB a b
        1> SUBSCRIBE news.tech news.art x
        1<
        1<
        2> SUBSCRIBE news.tech
        2> PSUBSCRIBE news.* news.*
        2<
        3> PSUBSCRIBE news.* other
        3<
        3> SSUBSCRIBE s1 s2
        3<
        4~ PUBSUB CHANNELS
        4~ PUBSUB CHANNELS news.*
        4~ PUBSUB CHANNELS nomatch*
        4> PUBSUB NUMSUB news.tech news.art x y
        4> PUBSUB NUMPAT
        4~ PUBSUB SHARDCHANNELS
        4~ PUBSUB SHARDCHANNELS s1
        4> PUBSUB SHARDNUMSUB s1 s2 s3
        4> PUBSUB SHARDNUMSUB
        4> PUBLISH news.tech m
        4> PUBLISH news.other m
        4> SPUBLISH s1 m
        1<
        2<
        2<
        2<
        3<
        3<
        3<
        4> PUBSUB HELP
        4> PUBSUB help
        4> PUBSUB
        4> PUBSUB FOO
        4> PUBSUB CHANNELS a b
        4> PUBSUB NUMPAT x
        4> PUBSUB HELP x
        4> SUBSCRIBE
        4> PSUBSCRIBE
        4> SSUBSCRIBE
        4> PUBLISH a
        4> SPUBLISH a b c
        2> PUNSUBSCRIBE
        4> PUBSUB NUMPAT
        3> RESET
        4> PUBSUB NUMPAT
        4~ PUBSUB SHARDCHANNELS
        "#,
    );
}

/// INFO stats counters and CLIENT LIST fields follow subscriptions.
#[test]
fn info_and_client_list_reflect_subscriptions() {
    let s = TestServer::start(&[]);
    let mut sub = s.raw();
    let mut c = s.raw();
    sub.cmd(&["SUBSCRIBE", "a", "b"]).unwrap();
    sub.read_reply().unwrap();
    sub.cmd(&["PSUBSCRIBE", "p*"]).unwrap();
    sub.cmd(&["SSUBSCRIBE", "s"]).unwrap();
    let info = c.cmd(&["INFO", "stats"]).unwrap().as_str();
    assert!(info.contains("pubsub_channels:2\r\n"), "{info}");
    assert!(info.contains("pubsub_patterns:1\r\n"), "{info}");
    assert!(info.contains("pubsubshard_channels:1\r\n"), "{info}");
    let list = c.cmd(&["CLIENT", "LIST", "TYPE", "pubsub"]).unwrap().as_str();
    assert_eq!(list.lines().count(), 1, "{list}");
    assert!(list.contains(" flags=P ") && list.contains(" sub=2 psub=1 ssub=1 "), "{list}");
    let normal = c.cmd(&["CLIENT", "LIST", "TYPE", "normal"]).unwrap().as_str();
    assert_eq!(normal.lines().count(), 1, "{normal}");
    drop(sub);
    wait_until(Duration::from_secs(10), "subscriber cleanup", || {
        let info = c.cmd(&["INFO", "stats"]).unwrap().as_str();
        info.contains("pubsub_channels:0\r\n") && info.contains("pubsub_patterns:0\r\n") && info.contains("pubsubshard_channels:0\r\n")
    });
}

/// A subscriber that never reads is closed once its queued messages pass the pubsub
/// hard limit; other clients keep getting prompt replies and the server stays up.
#[test]
fn slow_subscriber_is_disconnected_by_output_buffer_limit() {
    let s = TestServer::start(&[]);
    let mut admin = s.raw();
    assert_eq!(admin.cmd(&["CONFIG", "SET", "client-output-buffer-limit", "pubsub 1mb 512kb 60"]).unwrap().as_str(), "OK");
    let cfg = admin.cmd(&["CONFIG", "GET", "client-output-buffer-limit"]).unwrap();
    let Reply::Array(Some(kv)) = &cfg else { panic!("{cfg:?}") };
    assert!(kv[1].as_str().ends_with("pubsub 1048576 524288 60"), "{cfg:?}");
    let mut slow = s.raw();
    slow.cmd(&["SUBSCRIBE", "big"]).unwrap();
    let mut fast = s.raw();
    fast.cmd(&["SUBSCRIBE", "big"]).unwrap();
    let mut publisher = s.raw();
    let mut other = s.raw();
    let payload = vec![b'x'; 64 * 1024];
    let mut worst = Duration::ZERO;
    let mut published = 0;
    loop {
        let n = publisher.cmd(&[b"PUBLISH".as_slice(), b"big", &payload]).unwrap();
        published += 1;
        // The fast subscriber reads everything it is sent.
        match fast.read_reply().unwrap() {
            Reply::Array(Some(items)) => assert_eq!(items.len(), 3),
            other => panic!("unexpected {other:?}"),
        }
        let t = Instant::now();
        assert_eq!(other.cmd(&["PING"]).unwrap().as_str(), "PONG");
        worst = worst.max(t.elapsed());
        if n == Reply::Int(1) {
            break;
        }
        assert!(published < 4000, "slow subscriber was never disconnected");
    }
    assert!(worst < Duration::from_secs(2), "a PING took {worst:?}");
    // What the kernel had buffered still arrives, then the connection ends.
    let t = Instant::now();
    let mut frames = 0;
    let err = loop {
        match slow.read_reply() {
            Ok(_) => frames += 1,
            Err(e) => break e,
        }
    };
    assert!(err.kind() == std::io::ErrorKind::UnexpectedEof || err.kind() == std::io::ErrorKind::ConnectionReset, "{err:?}");
    assert!(t.elapsed() < Duration::from_secs(20) && frames < published, "{frames} of {published}");
    wait_until(Duration::from_secs(10), "log line", || s.log().contains("scheduled to be closed ASAP for overcoming of output buffer limits."));
    let list = other.cmd(&["CLIENT", "LIST"]).unwrap().as_str();
    assert_eq!(list.lines().count(), 4, "{list}");
    assert_eq!(other.cmd(&["PUBSUB", "NUMSUB", "big"]).unwrap(), Reply::Array(Some(vec![Reply::Bulk(Some(b"big".to_vec())), Reply::Int(1)])));
}

/// Queued messages show in CLIENT LIST omem while the subscriber does not read.
#[test]
fn omem_counts_queued_messages() {
    let s = TestServer::start(&[]);
    let mut sub = s.raw();
    sub.cmd(&["SUBSCRIBE", "c"]).unwrap();
    let mut p = s.raw();
    let payload = vec![b'y'; 256 * 1024];
    let mut seen = 0u64;
    for _ in 0..200 {
        p.cmd(&[b"PUBLISH".as_slice(), b"c", &payload]).unwrap();
        let list = p.cmd(&["CLIENT", "LIST", "TYPE", "pubsub"]).unwrap().as_str();
        seen = list.split(' ').find_map(|f| f.strip_prefix("omem=")).and_then(|v| v.parse().ok()).unwrap_or(0);
        if seen > 0 {
            break;
        }
    }
    assert!(seen > 0, "omem never showed queued bytes");
}

/// The normal class's hard limit closes a client whose replies pass it, as Redis does.
#[test]
fn normal_client_output_limit() {
    let s = TestServer::start(&[]);
    let mut c = s.raw();
    assert_eq!(c.cmd(&["CONFIG", "SET", "client-output-buffer-limit", "normal 100kb 0 0"]).unwrap().as_str(), "OK");
    let big = vec![b'z'; 200 * 1024];
    assert_eq!(c.cmd(&[b"SET".as_slice(), b"big", &big]).unwrap().as_str(), "OK");
    assert_eq!(c.cmd(&["STRLEN", "big"]).unwrap(), Reply::Int(200 * 1024));
    c.send(&["GET", "big"]).unwrap();
    assert!(c.read_reply().is_err(), "the reply should not arrive");
    let mut other = s.raw();
    assert_eq!(other.cmd(&["PING"]).unwrap().as_str(), "PONG");
    wait_until(Duration::from_secs(10), "log line", || s.log().contains("scheduled to be closed ASAP for overcoming of output buffer limits."));
    assert_eq!(other.cmd(&["CONFIG", "SET", "client-output-buffer-limit", "normal 0 0 0"]).unwrap().as_str(), "OK");
    assert_eq!(other.cmd(&["GET", "big"]).unwrap(), Reply::Bulk(Some(big)));
}

/// CLIENT KILL TYPE pubsub closes subscribers only.
#[test]
fn client_kill_type_pubsub() {
    let s = TestServer::start(&[]);
    let mut sub = s.raw();
    sub.cmd(&["PSUBSCRIBE", "*"]).unwrap();
    let mut c = s.raw();
    assert_eq!(c.cmd(&["CLIENT", "KILL", "TYPE", "pubsub"]).unwrap(), Reply::Int(1));
    assert!(sub.is_closed(Duration::from_secs(10)));
    assert_eq!(c.cmd(&["PING"]).unwrap().as_str(), "PONG");
}

/// `timeout` closes idle clients but not subscribers, as in Redis.
#[test]
fn idle_timeout_spares_subscribers() {
    let s = TestServer::start(&["--timeout", "1"]);
    let mut sub = s.raw();
    sub.cmd(&["SUBSCRIBE", "c"]).unwrap();
    let mut idle = s.raw();
    assert_eq!(idle.cmd(&["PING"]).unwrap().as_str(), "PONG");
    assert!(idle.is_closed(Duration::from_secs(10)), "the idle client should be closed");
    let mut p = s.raw();
    assert_eq!(p.cmd(&["PUBLISH", "c", "still here"]).unwrap(), Reply::Int(1));
    match sub.read_reply().unwrap() {
        Reply::Array(Some(items)) => assert_eq!(items[2].as_str(), "still here"),
        other => panic!("unexpected {other:?}"),
    }
}
