//! Set commands, differential against redis-server 7.0: every command, option and error
//! case. Intset replies are compared byte for byte (they are sorted); hash-table replies
//! are compared as sorted member lists; random replies are checked for their properties.

use rhodium_it::{diff, Reply, TestServer};

#[test]
fn intset_commands_and_errors() {
    diff::check(
        r#"
        SADD s 3 1 2 -5 10
        SADD s 1 2 4
        SADD s
        SMEMBERS s
        SCARD s
        SCARD nokey
        SISMEMBER s 3
        SISMEMBER s 03
        SISMEMBER s x
        SISMEMBER nokey 1
        SMISMEMBER s 1 x 4 99
        SMISMEMBER nokey a b
        SMISMEMBER s
        OBJECT ENCODING s
        TYPE s
        SREM s 1 1 99
        SREM nokey 1
        SREM s
        SMEMBERS s
        SMEMBERS nokey
        SREM s -5 2 3 4 10
        EXISTS s
        SET str v
        SADD str a
        SREM str a
        SCARD str
        SISMEMBER str a
        SMISMEMBER str a
        SMEMBERS str
        SRANDMEMBER str
        SRANDMEMBER str 3
        SPOP str
        SPOP str 2
        SSCAN str 0
        SINTER str
        SUNION str
        SDIFF str
        SINTERCARD 1 str
        SMOVE str s a
        SADD a 1 2 3 4 5
        SADD b 4 5 6 7
        SADD c 5 7 9
        SINTER a b
        SINTER a b c
        SINTER a nokey
        SINTER a b str
        SINTER nokey str
        SINTERCARD 2 a b
        SINTERCARD 3 a b c
        SINTERCARD 2 a b LIMIT 1
        SINTERCARD 2 a b LIMIT 0
        SINTERCARD 2 a b limit 1 LIMIT 5
        SINTERCARD 2 a nokey
        SINTERCARD 0 a
        SINTERCARD -1 a
        SINTERCARD x a
        SINTERCARD 3 a b
        SINTERCARD 1 a LIMIT -1
        SINTERCARD 1 a LIMIT x
        SINTERCARD 1 a LIMIT
        SINTERCARD 1 a FOO
        SUNION a b c
        SUNION a nokey
        SUNION nokey
        SDIFF a b
        SDIFF a b c
        SDIFF a a
        SDIFF nokey a
        SDIFF a nokey
        SDIFF b a c
        SINTERSTORE d a b
        SMEMBERS d
        OBJECT ENCODING d
        SUNIONSTORE d a b c
        SMEMBERS d
        SDIFFSTORE d a b
        SMEMBERS d
        SINTERSTORE d a nokey
        EXISTS d
        SET d x
        SUNIONSTORE d nokey
        EXISTS d
        SET d x
        SDIFFSTORE d a
        TYPE d
        SDIFFSTORE d a str
        SDIFFSTORE str a
        TYPE str
        SET str v
        SINTERSTORE a a
        SMEMBERS a
        "#,
    );
}

#[test]
fn smove_spop_srandmember_sscan_shapes() {
    diff::check(
        r#"
        SADD a 1 2 3
        SMOVE a b 2
        SMOVE a b 2
        SMOVE a a 1
        SMOVE a a 9
        SMOVE nokey b 1
        SMEMBERS a
        SMEMBERS b
        SMOVE a b x
        SADD b 1
        SMOVE a b 1
        SMEMBERS b
        SMOVE a b 3
        EXISTS a
        SET str v
        SMOVE b str 1
        SMOVE str b 1
        SMOVE nokey str 1
        SMEMBERS b
        SADD one 7
        SPOP one
        EXISTS one
        SPOP nokey
        SPOP nokey 3
        SPOP b 0
        SPOP b -1
        SPOP b x
        SPOP b 1 2
        SADD one 7
        SRANDMEMBER one
        SRANDMEMBER one 1
        SRANDMEMBER one -3
        SRANDMEMBER one 5
        SRANDMEMBER nokey
        SRANDMEMBER nokey 5
        SRANDMEMBER nokey -5
        SRANDMEMBER one 0
        SRANDMEMBER one x
        SRANDMEMBER one 1 2
        SRANDMEMBER one -9223372036854775808
        SADD b 10 20 30
        SRANDMEMBER b 100
        SPOP b 100
        EXISTS b
        SADD s 1 2 3 10 11 12 100
        SSCAN s 0
        SSCAN s 5
        SSCAN s 0 MATCH 1*
        SSCAN s 0 COUNT 1
        SSCAN s 0 COUNT 0
        SSCAN s 0 COUNT x
        SSCAN s 0 TYPE set
        SSCAN s 0 MATCH
        SSCAN s x
        SSCAN s -1
        SSCAN s 18446744073709551616
        SSCAN nokey 0
        SSCAN nokey 0 COUNT 0
        SSCAN s 0 match 1? count 100
        "#,
    );
}

#[test]
fn encodings_and_conversions() {
    diff::check(
        r#"
        SADD s 1
        OBJECT ENCODING s
        SADD s a
        OBJECT ENCODING s
        SREM s a
        OBJECT ENCODING s
        SADD t 007
        OBJECT ENCODING t
        SADD u -0
        OBJECT ENCODING u
        SADD v 9223372036854775807 -9223372036854775808
        OBJECT ENCODING v
        SMEMBERS v
        SADD w 9223372036854775808
        OBJECT ENCODING w
        CONFIG SET set-max-intset-entries 3
        SADD x 1 2 3
        OBJECT ENCODING x
        SADD x 4
        OBJECT ENCODING x
        SUNIONSTORE y x
        OBJECT ENCODING y
        SADD z 1 2
        SUNIONSTORE y z
        OBJECT ENCODING y
        SMEMBERS y
        CONFIG SET set-max-intset-entries 0
        SADD q 1
        OBJECT ENCODING q
        "#,
    );
}

#[test]
fn keyspace_commands_see_sets() {
    diff::check(
        r#"
        SADD s 1 2 3
        SET str v
        TYPE s
        TYPE str
        SCAN 0 TYPE set COUNT 100
        SCAN 0 TYPE string
        SADD h a
        COPY s s2
        SMEMBERS s2
        RENAME s2 s3
        SMEMBERS s3
        MOVE s3 1
        SELECT 1
        SMEMBERS s3
        OBJECT ENCODING s3
        SELECT 0
        DEBUG DIGEST-VALUE s h
        DEBUG DIGEST
        EXPIRE s 1000
        DEBUG DIGEST
        "#,
    );
}

/// Runs `argv` on both servers and returns both replies.
fn both(ours: &mut rhodium_it::RawConn, theirs: &mut rhodium_it::RawConn, argv: &[&str]) -> (Reply, Reply) {
    (ours.cmd(argv).expect("rhodium reply"), theirs.cmd(argv).expect("redis reply"))
}

/// The members of an array reply, sorted.
fn sorted(r: &Reply) -> Vec<Vec<u8>> {
    let items = match r {
        Reply::Array(Some(items)) => items.clone(),
        other => panic!("not an array: {other:?}"),
    };
    let mut v: Vec<Vec<u8>> = items.into_iter().map(|i| match i {
        Reply::Bulk(Some(b)) => b,
        other => panic!("not a bulk: {other:?}"),
    }).collect();
    v.sort();
    v
}

#[test]
fn hashtable_sets_compare_as_sets() {
    let Some(p) = diff::Pair::start(&[]) else { return };
    let (mut a, mut b) = (p.ours.raw(), p.theirs.raw());
    for (key, members) in [("h1", "a b c d e 1 2 3"), ("h2", "c d e f 2 3 4"), ("h3", "d e x y 3")] {
        let mut argv = vec!["SADD", key];
        argv.extend(members.split(' '));
        let (x, y) = both(&mut a, &mut b, &argv);
        assert_eq!(x, y);
    }
    for argv in [
        &["SMEMBERS", "h1"][..],
        &["SINTER", "h1", "h2"],
        &["SINTER", "h1", "h2", "h3"],
        &["SUNION", "h1", "h2", "h3"],
        &["SDIFF", "h1", "h2"],
        &["SDIFF", "h1", "h2", "h3"],
    ] {
        let (x, y) = both(&mut a, &mut b, argv);
        assert_eq!(sorted(&x), sorted(&y), "{argv:?}");
    }
    for argv in [&["SINTERSTORE", "d", "h1", "h2"][..], &["SUNIONSTORE", "d", "h1", "h3"], &["SDIFFSTORE", "d", "h1", "h3"]] {
        assert_eq!(both(&mut a, &mut b, argv), both(&mut a, &mut b, argv));
        let (x, y) = both(&mut a, &mut b, &["SMEMBERS", "d"]);
        assert_eq!(sorted(&x), sorted(&y), "{argv:?}");
        assert_eq!(both(&mut a, &mut b, &["OBJECT", "ENCODING", "d"]).0, both(&mut a, &mut b, &["OBJECT", "ENCODING", "d"]).1);
    }
    let (x, y) = both(&mut a, &mut b, &["DEBUG", "DIGEST"]);
    assert_eq!(x, y);
}

#[test]
fn random_replies_have_their_properties() {
    let s = TestServer::start(&[]);
    let mut c = s.raw();
    let members: Vec<String> = (0..50).map(|i| format!("m{i}")).collect();
    let mut argv = vec!["SADD".to_string(), "s".to_string()];
    argv.extend(members.iter().cloned());
    c.cmd(&argv).expect("sadd");
    let all: std::collections::HashSet<Vec<u8>> = members.iter().map(|m| m.as_bytes().to_vec()).collect();
    for count in ["5", "20", "49"] {
        let r = sorted(&c.cmd(&["SRANDMEMBER", "s", count]).expect("srandmember"));
        assert_eq!(r.len().to_string(), count);
        assert!(r.windows(2).all(|w| w[0] != w[1]), "unique");
        assert!(r.iter().all(|m| all.contains(m)));
    }
    let r = sorted(&c.cmd(&["SRANDMEMBER", "s", "-200"]).expect("srandmember"));
    assert_eq!(r.len(), 200);
    assert!(r.iter().all(|m| all.contains(m)));
    let mut left = all.clone();
    for count in ["3", "30"] {
        let popped = sorted(&c.cmd(&["SPOP", "s", count]).expect("spop"));
        assert_eq!(popped.len().to_string(), count);
        for m in popped {
            assert!(left.remove(&m), "popped twice or unknown");
        }
    }
    let rest = sorted(&c.cmd(&["SMEMBERS", "s"]).expect("smembers"));
    let mut expect: Vec<Vec<u8>> = left.into_iter().collect();
    expect.sort();
    assert_eq!(rest, expect);
    // SSCAN over a hash table returns every member present throughout.
    let mut seen = std::collections::HashSet::new();
    let mut cursor = "0".to_string();
    loop {
        let r = c.cmd(&["SSCAN", "s", &cursor, "COUNT", "3"]).expect("sscan");
        let Reply::Array(Some(parts)) = r else { panic!("bad sscan reply") };
        cursor = parts[0].as_str();
        seen.extend(sorted(&parts[1]));
        if cursor == "0" {
            break;
        }
    }
    assert_eq!(seen.len(), expect.len());
}

/// Seeded random operations on both servers: integer replies and encodings must agree
/// exactly, member lists as sets, and the dataset digest at the end.
#[test]
fn seeded_random_operations_match_redis() {
    let Some(p) = diff::Pair::start(&["--set-max-intset-entries", "8"]) else { return };
    let (mut a, mut b) = (p.ours.raw(), p.theirs.raw());
    let mut seed: u64 = 0x5e_ed0f_5e75;
    let mut next = |n: u64| {
        seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (seed >> 33) % n
    };
    let keys = ["k1", "k2", "k3", "k4"];
    let member = |r: u64| if r.is_multiple_of(4) { format!("s{}", r % 7) } else { (r % 13).to_string() };
    for _ in 0..600 {
        let k = keys[next(4) as usize];
        let k2 = keys[next(4) as usize];
        let k3 = keys[next(4) as usize];
        let m = member(next(1000));
        let m2 = member(next(1000));
        let argv: Vec<String> = match next(9) {
            0 | 1 => vec!["SADD".into(), k.into(), m, m2],
            2 => vec!["SREM".into(), k.into(), m, m2],
            3 => vec!["SMOVE".into(), k.into(), k2.into(), m],
            4 => vec!["SINTERSTORE".into(), k.into(), k2.into(), k3.into()],
            5 => vec!["SUNIONSTORE".into(), k.into(), k2.into(), k3.into()],
            6 => vec!["SDIFFSTORE".into(), k.into(), k2.into(), k3.into()],
            7 => vec!["SINTERCARD".into(), "2".into(), k.into(), k2.into()],
            _ => vec!["SISMEMBER".into(), k.into(), m],
        };
        let (x, y) = (a.cmd(&argv).expect("rhodium"), b.cmd(&argv).expect("redis"));
        assert_eq!(x, y, "{argv:?}");
        for cmd in [&["SCARD", k][..], &["OBJECT", "ENCODING", k]] {
            let (x, y) = both(&mut a, &mut b, cmd);
            assert_eq!(x, y, "{cmd:?} after {argv:?}");
        }
        let (x, y) = both(&mut a, &mut b, &["SMEMBERS", k]);
        assert_eq!(sorted(&x), sorted(&y), "SMEMBERS after {argv:?}");
    }
    let (x, y) = both(&mut a, &mut b, &["DEBUG", "DIGEST"]);
    assert_eq!(x, y);
}
