//! Sorted set commands, differential against redis-server 7.0: every command, option and
//! error case, encodings and digests.

use rhodium_it::diff;

#[test]
fn zadd_flags_and_errors() {
    diff::check(
        r#"
        ZADD z 1 a 2 b 3 c
        ZADD z 1 a
        ZADD z CH 5 a 6 b 7 d
        ZADD z NX 10 a 11 e
        ZADD z XX 10 a 11 f
        ZADD z XX CH 12 a
        ZADD z GT 1 a
        ZADD z GT CH 20 a
        ZADD z LT CH 1 a 100 b
        ZADD z INCR 5 a
        ZADD z INCR NX 5 a
        ZADD z INCR XX 5 nosuch
        ZADD z INCR GT -1 a
        ZADD z NX XX 1 a
        ZADD z GT LT 1 a
        ZADD z GT NX 1 a
        ZADD z LT NX 1 a
        ZADD z INCR 1 a 2 b
        ZADD z 1
        ZADD z 1 a 2
        ZADD z nan a
        ZADD z abc a
        ZADD z inf a -inf b +inf c
        ZADD z 1e300 big -0 negzero 0.1 tenth 1.1 onepoint
        ZRANGE z 0 -1 WITHSCORES
        ZADD z INCR -inf c
        ZINCRBY z 1 newone
        ZINCRBY z 1.5 newone
        ZINCRBY z abc newone
        ZINCRBY z inf a
        ZINCRBY z -inf a
        ZSCORE z a
        ZSCORE z nosuch
        ZSCORE nokey a
        ZMSCORE z a b nosuch
        ZMSCORE nokey a b
        ZCARD z
        ZCARD nokey
        ZADD xx XX 1 a
        EXISTS xx
        SET s v
        ZADD s 1 a
        ZINCRBY s 1 a
        ZSCORE s a
        ZCARD s
        ZRANGE s 0 -1
        ZREM s a
        TYPE z
        OBJECT ENCODING z
        "#,
    );
}

#[test]
fn zrem_rank_count() {
    diff::check(
        r#"
        ZADD z 1 a 2 b 3 c 4 d 5 e
        ZRANK z a
        ZRANK z e
        ZRANK z nosuch
        ZRANK nokey a
        ZREVRANK z a
        ZREVRANK z e
        ZCOUNT z -inf +inf
        ZCOUNT z (1 3
        ZCOUNT z 1 (3
        ZCOUNT z (1 (1
        ZCOUNT z 3 1
        ZCOUNT z a 1
        ZCOUNT z 1 (
        ZCOUNT z "" 3
        ZCOUNT nokey 0 1
        ZREM z a nosuch b
        ZREM z nosuch
        ZREM z c d e
        EXISTS z
        ZREM z a
        ZADD l 0 a 0 b 0 c 0 d 0 e
        ZLEXCOUNT l - +
        ZLEXCOUNT l [b (d
        ZLEXCOUNT l (b [d
        ZLEXCOUNT l + -
        ZLEXCOUNT l a b
        ZLEXCOUNT l [a ""
        ZLEXCOUNT l -x +
        "#,
    );
}

#[test]
fn zrange_family() {
    diff::check(
        r#"
        ZADD z 1 a 2 b 3 c 4 d 5 e 5 f
        ZRANGE z 0 -1
        ZRANGE z 0 -1 WITHSCORES
        ZRANGE z 1 2 withscores
        ZRANGE z -2 -1
        ZRANGE z 5 1
        ZRANGE z 10 20
        ZRANGE z -100 100
        ZRANGE z 0 -1 REV
        ZRANGE z 0 1 REV WITHSCORES
        ZRANGE z a 1
        ZRANGE z 0 1 LIMIT 0 1
        ZRANGE z (1 5 BYSCORE
        ZRANGE z -inf +inf BYSCORE WITHSCORES LIMIT 1 2
        ZRANGE z +inf -inf BYSCORE REV
        ZRANGE z 5 (2 BYSCORE REV LIMIT 0 2
        ZRANGE z 0 10 BYSCORE LIMIT -1 2
        ZRANGE z 0 10 BYSCORE LIMIT 1 -1
        ZRANGE z 0 10 BYSCORE LIMIT 6 1
        ZRANGE z 0 10 BYSCORE LIMIT 1 0
        ZRANGE z 0 10 BYSCORE LIMIT a 0
        ZRANGE z x 10 BYSCORE
        ZRANGE z - + BYLEX
        ZRANGE z - + BYLEX WITHSCORES
        ZRANGE z x + BYLEX
        ZRANGE z 0 1 BYLEX BYSCORE
        ZRANGE z 0 1 REV REV
        ZRANGE z 0 1 FOO
        ZRANGE z 0 1 LIMIT 1
        ZREVRANGE z 0 -1 WITHSCORES
        ZREVRANGE z 0 1 REV
        ZREVRANGE z 0 1 LIMIT 0 1
        ZRANGEBYSCORE z 2 4
        ZRANGEBYSCORE z (2 4 WITHSCORES LIMIT 1 5
        ZRANGEBYSCORE z 2 4 BYSCORE
        ZREVRANGEBYSCORE z 4 2
        ZREVRANGEBYSCORE z +inf -inf WITHSCORES LIMIT 2 2
        ZREVRANGEBYSCORE z 2 4
        ZRANGEBYSCORE nokey 0 1
        ZADD l 0 a 0 b 0 c 0 d 0 e
        ZRANGEBYLEX l - +
        ZRANGEBYLEX l [b (e LIMIT 1 10
        ZRANGEBYLEX l (a [c
        ZRANGEBYLEX l x y
        ZRANGEBYLEX l - + WITHSCORES
        ZREVRANGEBYLEX l + -
        ZREVRANGEBYLEX l [d [b
        ZREVRANGEBYLEX l + - LIMIT 1 2
        ZRANGESTORE dst z 0 -1
        ZRANGE dst 0 -1 WITHSCORES
        ZRANGESTORE dst z 1 1 REV
        ZRANGE dst 0 -1 WITHSCORES
        ZRANGESTORE dst z 2 4 BYSCORE LIMIT 1 1
        ZRANGESTORE dst l - + BYLEX
        ZRANGESTORE dst z 0 -1 WITHSCORES
        ZRANGESTORE dst nokey 0 -1
        EXISTS dst
        ZRANGESTORE dst z 10 20
        SET s v
        ZRANGE s 0 -1
        ZRANGESTORE dst s 0 -1
        "#,
    );
}

#[test]
fn zremrange_and_pop() {
    diff::check(
        r#"
        ZADD z 1 a 2 b 3 c 4 d 5 e 6 f 7 g
        ZREMRANGEBYRANK z 0 0
        ZREMRANGEBYRANK z -1 -1
        ZREMRANGEBYRANK z 10 20
        ZREMRANGEBYRANK z a 1
        ZRANGE z 0 -1
        ZREMRANGEBYSCORE z (2 3
        ZREMRANGEBYSCORE z x 3
        ZREMRANGEBYSCORE z 100 200
        ZREMRANGEBYSCORE nokey 0 1
        ZADD l 0 a 0 b 0 c 0 d
        ZREMRANGEBYLEX l [a (c
        ZREMRANGEBYLEX l x y
        ZREMRANGEBYLEX l - +
        EXISTS l
        ZRANGE z 0 -1 WITHSCORES
        ZADD p 1 a 2 b 3 c 4 d 5 e
        ZPOPMIN p
        ZPOPMAX p
        ZPOPMIN p 2
        ZPOPMIN p 0
        ZPOPMIN p -1
        ZPOPMIN p x
        ZPOPMIN p 1 2
        ZPOPMAX p 10
        EXISTS p
        ZPOPMIN p
        ZPOPMIN p 0
        ZADD m1 1 a 2 b
        ZADD m2 3 c
        ZMPOP 2 nokey m1 MIN
        ZMPOP 2 nokey m1 MAX COUNT 10
        ZMPOP 2 m1 m2 MIN COUNT 5
        ZMPOP 1 m2 MIN
        ZMPOP 0 m2 MIN
        ZMPOP -1 m2 MIN
        ZMPOP 1 m2 FOO
        ZMPOP 1 m2 MIN COUNT 0
        ZMPOP 1 m2 MIN COUNT
        ZMPOP 1 m2 MIN COUNT 1 COUNT 1
        ZMPOP 2 m2
        ZMPOP 5 m2 MIN
        ZMPOP a m2 MIN
        ZMPOP 1 m2 MIN COUNT x
        SET s v
        ZPOPMIN s
        ZMPOP 1 s MIN
        ZREMRANGEBYRANK s 0 1
        "#,
    );
}

#[test]
fn set_operations() {
    diff::check(
        r#"
        ZADD a 1 x 2 y 3 z
        ZADD b 10 y 20 z 30 w
        ZADD c inf x -inf y
        ZUNION 2 a b
        ZUNION 2 a b WITHSCORES
        ZUNION 2 a b WEIGHTS 2 3 WITHSCORES
        ZUNION 2 a b AGGREGATE MIN WITHSCORES
        ZUNION 2 a b AGGREGATE max WITHSCORES
        ZUNION 3 a b nokey WITHSCORES
        ZUNION 2 a c WEIGHTS 1 1 WITHSCORES
        ZUNION 2 c c WITHSCORES
        ZUNION 2 c a WEIGHTS 0 1 WITHSCORES
        ZINTER 2 a b WITHSCORES
        ZINTER 2 a b WEIGHTS 1 -1 AGGREGATE SUM WITHSCORES
        ZINTER 2 a nokey
        ZINTER 2 a c WITHSCORES
        ZDIFF 2 a b WITHSCORES
        ZDIFF 1 a
        ZDIFF 2 nokey a
        ZDIFF 2 a b WEIGHTS 1 2
        ZUNION 0 a
        ZUNION -1 a
        ZUNION 3 a b
        ZUNION x a
        ZUNION 2 a b WEIGHTS 1
        ZUNION 2 a b WEIGHTS 1 x
        ZUNION 2 a b AGGREGATE foo
        ZUNION 2 a b AGGREGATE
        ZUNION 2 a b FOO
        ZUNIONSTORE d 2 a b
        ZRANGE d 0 -1 WITHSCORES
        ZUNIONSTORE d 2 a b WITHSCORES
        ZINTERSTORE d 2 a b AGGREGATE MAX
        ZRANGE d 0 -1 WITHSCORES
        ZDIFFSTORE d 2 a b
        ZRANGE d 0 -1 WITHSCORES
        ZINTERSTORE d 2 a nokey
        EXISTS d
        ZUNIONSTORE d 0 a
        ZINTERCARD 2 a b
        ZINTERCARD 2 a b LIMIT 1
        ZINTERCARD 2 a b LIMIT 0
        ZINTERCARD 2 a b LIMIT -1
        ZINTERCARD 0 a
        ZINTERCARD 2 a b WITHSCORES
        ZINTERCARD 3 a b
        SET s v
        ZUNION 2 a s
        ZUNIONSTORE d 2 a s
        ZINTERCARD 2 s a
        "#,
    );
}

#[test]
fn randmember_scan_and_keyspace() {
    diff::check(
        r#"
        ZRANDMEMBER nokey
        ZRANDMEMBER nokey 5
        ZADD one 1 a
        ZRANDMEMBER one
        ZRANDMEMBER one 1
        ZRANDMEMBER one 1 WITHSCORES
        ZRANDMEMBER one -3 WITHSCORES
        ZRANDMEMBER one 0
        ZRANDMEMBER one 1 FOO
        ZRANDMEMBER one 1 WITHSCORES x
        ZRANDMEMBER one x
        ZRANDMEMBER one -9223372036854775808
        ZRANDMEMBER one -9223372036854775807 WITHSCORES
        ZADD z 1 a 2.5 b 3 c
        ZSCAN z 0
        ZSCAN z 0 MATCH a*
        ZSCAN z 0 COUNT 0
        ZSCAN z x
        ZSCAN z 0 FOO
        ZSCAN nokey 0
        SET s v
        ZSCAN s 0
        ZRANDMEMBER s
        TYPE z
        DEL one
        SCAN 0 TYPE zset
        COPY z z2
        ZRANGE z2 0 -1 WITHSCORES
        RENAME z2 z3
        ZRANGE z3 0 -1 WITHSCORES
        MOVE z3 1
        SELECT 1
        ZRANGE z3 0 -1 WITHSCORES
        "#,
    );
}

#[test]
fn resp3_replies() {
    diff::check(
        r#"
        HELLO 3
        ZADD z 1 a 2.5 b inf c
        ZSCORE z b
        ZMSCORE z a nosuch
        ZINCRBY z 1 a
        ZADD z INCR 1 a
        ZRANGE z 0 -1 WITHSCORES
        ZRANGE z 0 -1
        ZRANGEBYSCORE z -inf +inf WITHSCORES
        ZUNION 1 z WITHSCORES
        ZPOPMIN z
        ZPOPMIN z 1
        ZPOPMAX z 5
        ZADD m 1 a
        ZMPOP 1 m MIN
        ZADD one 1 a
        ZRANDMEMBER one 1 WITHSCORES
        ZSCAN one 0
        "#,
    );
}

#[test]
fn encodings_and_digest() {
    diff::check(
        r#"
        ZADD z 1 a
        OBJECT ENCODING z
        ZADD long 1 aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
        OBJECT ENCODING long
        CONFIG SET zset-max-listpack-entries 3
        ZADD z 2 b 3 c
        OBJECT ENCODING z
        ZADD z 4 d
        OBJECT ENCODING z
        ZREM z a b c
        OBJECT ENCODING z
        ZADD hint 1 a 2 b 3 c 4 d
        OBJECT ENCODING hint
        ZADD dup 1 a 1 a 1 a 1 a
        OBJECT ENCODING dup
        ZUNIONSTORE small 1 z
        OBJECT ENCODING small
        ZUNIONSTORE big 1 hint
        OBJECT ENCODING big
        ZRANGESTORE rs hint 0 1
        OBJECT ENCODING rs
        ZADD q 1.1 a -0 b 1e300 c inf d -inf e 3 "123"
        DEBUG DIGEST-VALUE q
        DEBUG DIGEST-VALUE hint
        EXPIRE hint 1000
        DEBUG DIGEST
        "#,
    );
}

/// A seeded random sequence of writes and reads on a few keys, crossing the listpack →
/// skiplist threshold, compared reply by reply and then by DEBUG DIGEST.
#[test]
fn random_model_matches_redis() {
    let Some(pair) = diff::Pair::start(&["--zset-max-listpack-entries", "16"]) else { return };
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = |n: u64| {
        seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (seed >> 33) % n
    };
    let mut script = String::new();
    for _ in 0..1500 {
        let key = ["k1", "k2", "k3"][next(3) as usize];
        let member = format!("m{}", next(40));
        let score = match next(6) {
            0 => "inf".to_string(),
            1 => format!("{}.5", next(10)),
            _ => format!("{}", next(20) as i64 - 5),
        };
        let line = match next(16) {
            0..=3 => format!("ZADD {key} {score} {member}"),
            4 => format!("ZADD {key} GT CH {score} {member} {} x{}", next(9), next(30)),
            5 => format!("ZINCRBY {key} {score} {member}"),
            6 => format!("ZREM {key} {member} m{}", next(40)),
            7 => format!("ZRANGE {key} {} {} WITHSCORES", next(10) as i64 - 5, next(10) as i64 - 3),
            8 => format!("ZRANGEBYSCORE {key} ({} {} WITHSCORES LIMIT {} {}", next(10), next(20), next(3), next(5) as i64 - 1),
            9 => format!("ZRANK {key} {member}"),
            10 => format!("ZREVRANGE {key} 0 {} WITHSCORES", next(8)),
            11 => format!("ZREMRANGEBYSCORE {key} {} ({}", next(10) as i64 - 5, next(10)),
            12 => format!("ZPOPMIN {key} {}", next(3)),
            13 => format!("ZUNIONSTORE k{} 2 k1 k2 WEIGHTS 2 1 AGGREGATE {}", next(3) + 1, ["SUM", "MIN", "MAX"][next(3) as usize]),
            14 => format!("ZINTER 2 {key} k3 WITHSCORES"),
            _ => format!("OBJECT ENCODING {key}"),
        };
        script.push_str(&line);
        script.push('\n');
    }
    script.push_str("DEBUG DIGEST\nDEBUG DIGEST-VALUE k1 k2 k3\n");
    pair.check(&script);
}

/// ZRANDMEMBER's replies are random: check their shape and membership instead of bytes.
#[test]
fn randmember_properties() {
    let s = rhodium_it::TestServer::start(&[]);
    let mut c = s.raw();
    let run = |c: &mut rhodium_it::raw::RawConn, line: &str| String::from_utf8_lossy(&c.cmd_bytes(&diff::split(line)).unwrap()).into_owned();
    run(&mut c, "ZADD z 1 a 2 b 3 c");
    let r = run(&mut c, "ZRANDMEMBER z 10");
    assert!(r.starts_with("*3\r\n") && r.contains("$1\r\na\r\n") && r.contains("$1\r\nb\r\n") && r.contains("$1\r\nc\r\n"), "{r}");
    let r = run(&mut c, "ZRANDMEMBER z -7 WITHSCORES");
    assert!(r.starts_with("*14\r\n"), "{r}");
    let r = run(&mut c, "ZRANDMEMBER z 2 WITHSCORES");
    assert!(r.starts_with("*4\r\n"), "{r}");
    let one = run(&mut c, "ZRANDMEMBER z");
    assert!(["$1\r\na\r\n", "$1\r\nb\r\n", "$1\r\nc\r\n"].contains(&one.as_str()), "{one}");
}

#[test]
fn more_edge_cases() {
    diff::check(
        r#"
        SET s v
        ZADD s nan a
        ZADD s XX 1 a
        ZADD z XX INCR 1 new
        ZADD z INCR 1 new
        ZADD z GT INCR 1 new
        ZADD z LT INCR 1 new
        ZADD z 1 "" 2 " "
        ZRANGE z 0 -1 WITHSCORES
        ZUNION 9999999999 a
        ZINTERCARD 9999999999 a
        ZMPOP 9999999999 a MIN
        ZUNIONSTORE d 9999999999 a
        ZADD c 1 x 2 y
        ZINTER 2 c c WEIGHTS 2 3 WITHSCORES
        ZINTERSTORE c 2 c c AGGREGATE MAX
        ZRANGE c 0 -1 WITHSCORES
        ZRANGESTORE c c 0 0
        ZRANGE c 0 -1 WITHSCORES
        ZCOUNT z " 1" 2
        ZCOUNT z 0x10 2
        ZCOUNT z 1e1 +inf
        ZCOUNT z -inf inf
        ZCOUNT z (-inf (+inf
        ZCOUNT z nan 1
        ZCOUNT z (nan 1
        ZADD z 0x10 hex
        ZADD z " 5" sp
        ZADD z "" empty
        ZADD z 1e400 huge
        ZADD z -1e400 huge
        ZADD z 1e-400 tiny
        ZADD z 0e5 zero
        ZADD z -INF ninf
        ZADD z 0x1p3 hexp
        ZRANGE z 0 -1 WITHSCORES
        ZUNION 1 z WEIGHTS 1e400
        "#,
    );
}

/// Lex ranges and rank ranges on a skiplist-encoded set of equal scores.
#[test]
fn lex_ranges_on_skiplist() {
    let mut script = String::from("CONFIG SET zset-max-listpack-entries 4\n");
    for i in 0..300 {
        script.push_str(&format!("ZADD l 0 m{i:03}\n"));
    }
    script.push_str(
        r#"
        OBJECT ENCODING l
        ZLEXCOUNT l [m100 (m200
        ZRANGEBYLEX l (m050 [m060
        ZREVRANGEBYLEX l [m060 (m050 LIMIT 2 3
        ZRANGE l [m290 + BYLEX LIMIT 1 100
        ZRANGE l 250 260 WITHSCORES
        ZRANGE l 5 -290 REV
        ZRANK l m299
        ZREVRANK l m000
        ZREMRANGEBYLEX l [m100 (m150
        ZREMRANGEBYRANK l 10 19
        ZCARD l
        ZRANGE l 95 105
        ZPOPMAX l 3
        DEBUG DIGEST-VALUE l
        "#,
    );
    diff::check(&script);
}

#[test]
fn plain_sets_are_inputs_with_score_one() {
    diff::check(
        r#"
        SADD ints 3 1 2
        SADD s a b 3
        ZADD z 5 a 2.5 x
        ZUNION 2 s z WITHSCORES
        ZUNION 2 ints z WEIGHTS 2 1 WITHSCORES
        ZINTER 2 s z WITHSCORES
        ZINTER 2 s z AGGREGATE MAX WITHSCORES
        ZDIFF 2 z s WITHSCORES
        ZINTERCARD 2 s z
        ZUNIONSTORE d 2 ints s
        ZRANGE d 0 -1 WITHSCORES
        OBJECT ENCODING d
        ZINTERSTORE d2 1 ints
        ZRANGE d2 0 -1 WITHSCORES
        SET str v
        ZUNION 2 s str
        "#,
    );
}
