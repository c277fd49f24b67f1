//! Hash commands, differential against redis-server 7.0: every command, option and error
//! case, encoding conversions, digests, and properties of the random replies.

use std::collections::BTreeSet;

use rhodium_it::{diff, Reply, TestServer};

#[test]
fn set_get_and_errors() {
    diff::check(
        r#"
        HSET h a 1 b 2 c 3
        HSET h a 10 d 4
        HGET h a
        HGET h nofield
        HGET nokey a
        HMGET h a nofield d
        HMGET nokey a b
        HMSET h e 5 f 6
        HSETNX h a 99
        HSETNX h g 7
        HSETNX newkey f v
        HLEN h
        HLEN nokey
        HSTRLEN h a
        HSTRLEN h nofield
        HSTRLEN nokey a
        HEXISTS h a
        HEXISTS h nofield
        HEXISTS nokey a
        HKEYS h
        HVALS h
        HGETALL h
        HKEYS nokey
        HVALS nokey
        HGETALL nokey
        HDEL h a nofield a b
        HDEL h nofield
        HDEL nokey a
        HGETALL h
        HSET h a again
        HGETALL h
        HDEL h c d e f g a
        EXISTS h
        HSET h "" ""
        HGET h ""
        HSET bin "a\x00b" "\r\n"
        HGETALL bin
        HSET h a
        HSET h a 1 b
        HMSET h a
        HMSET h a 1 b
        HSET h
        HSETNX h a
        HGET h
        HMGET h
        HDEL h
        HLEN
        HGETALL
        HSTRLEN h
        HEXISTS h
        SET s v
        HSET s a 1
        HMSET s a 1
        HSETNX s a 1
        HGET s a
        HMGET s a
        HDEL s a
        HLEN s
        HSTRLEN s a
        HEXISTS s a
        HKEYS s
        HVALS s
        HGETALL s
        HINCRBY s a 1
        HINCRBYFLOAT s a 1
        HRANDFIELD s
        HRANDFIELD s 1
        HSCAN s 0
        GET s
        TYPE h
        TYPE bin
        OBJECT ENCODING h
        "#,
    );
}

#[test]
fn incr_and_float_formatting() {
    diff::check(
        r#"
        HINCRBY h n 5
        HINCRBY h n -10
        HINCRBY h n x
        HINCRBY h n 1.5
        HINCRBY h n 9223372036854775807
        HINCRBY h n 99999999999999999999
        HSET h big 9223372036854775807
        HINCRBY h big 1
        HINCRBY h big 0
        HSET h min -9223372036854775808
        HINCRBY h min -1
        HSET h s abc
        HINCRBY h s 1
        HINCRBYFLOAT h s 1
        HSET h sp " 1"
        HINCRBY h sp 1
        HINCRBYFLOAT h f 10.5
        HINCRBYFLOAT h f 0.1
        HINCRBYFLOAT h f -5.0e3
        HINCRBYFLOAT h f 1e20
        HINCRBYFLOAT h n 3.0
        HINCRBYFLOAT h f x
        HINCRBYFLOAT h f inf
        HINCRBYFLOAT h f -inf
        HINCRBYFLOAT h f nan
        HINCRBYFLOAT h f 1e4932
        HINCRBYFLOAT hg g 1e4931
        HINCRBYFLOAT hg g 1e4931
        HINCRBYFLOAT hg g 1e4931
        HINCRBYFLOAT h e 1.23e-5
        HINCRBYFLOAT h f ""
        HINCRBYFLOAT h f " 1"
        HMGET h n big min s sp f e
        HINCRBY newh n 7
        HINCRBYFLOAT newf f 1.5
        HGETALL newh
        HGETALL newf
        HINCRBY h n
        HINCRBYFLOAT h n
        OBJECT ENCODING h
        OBJECT ENCODING hg
        HLEN hg
        "#,
    );
}

#[test]
fn encoding_transitions() {
    diff::check(
        r#"
        CONFIG SET hash-max-listpack-entries 4
        HSET h a 1 b 2 c 3 d 4
        OBJECT ENCODING h
        HSET h a 5
        OBJECT ENCODING h
        HSET h e 5
        OBJECT ENCODING h
        HDEL h a b c d
        OBJECT ENCODING h
        HGETALL h
        HSET v f 0123456789012345678901234567890123456789012345678901234567890123
        OBJECT ENCODING v
        HSET v f 01234567890123456789012345678901234567890123456789012345678901234
        OBJECT ENCODING v
        HSET k 01234567890123456789012345678901234567890123456789012345678901234 x
        OBJECT ENCODING k
        HSET n a 1
        HSETNX n a 01234567890123456789012345678901234567890123456789012345678901234
        OBJECT ENCODING n
        HSETNX n b 01234567890123456789012345678901234567890123456789012345678901234
        OBJECT ENCODING n
        HSET i a 1
        HINCRBY i 01234567890123456789012345678901234567890123456789012345678901234 1
        OBJECT ENCODING i
        HSET j a 1
        HINCRBYFLOAT j 01234567890123456789012345678901234567890123456789012345678901234 1
        OBJECT ENCODING j
        HSET m a 1 b 2 c 3 d 4 e 5
        OBJECT ENCODING m
        CONFIG SET hash-max-listpack-value 3
        HSET p a 1234
        OBJECT ENCODING p
        HMSET q a 123
        OBJECT ENCODING q
        HMSET q a 1234
        OBJECT ENCODING q
        CONFIG SET hash-max-listpack-entries 0
        HSET z a 1
        OBJECT ENCODING z
        "#,
    );
}

/// HGETALL, HKEYS and HVALS of a listpack list fields in Redis's order (insertion order,
/// updates in place, deletes close the gap), so even RESP3 maps compare byte for byte.
#[test]
fn listpack_order_and_resp3() {
    diff::check(
        r#"
        HSET h z 1 y 2 x 3 w 4
        HSET h y 20 v 5
        HDEL h x
        HSET h x 30
        HGETALL h
        HKEYS h
        HVALS h
        HSCAN h 0
        HSCAN h 0 MATCH x*
        HSCAN h 0 match * count 1
        HSCAN h 123 COUNT 1000
        HSCAN h 0 COUNT 0
        HSCAN h 0 COUNT -1
        HSCAN h 0 COUNT x
        HSCAN h 0 MATCH
        HSCAN h 0 TYPE string
        HSCAN h 0 foo bar
        HSCAN h x
        HSCAN h -1
        HSCAN nokey 0
        HSCAN nokey 0 COUNT x
        HSCAN nokey x
        HSCAN h
        HRANDFIELD h 100
        HRANDFIELD h 5 WITHVALUES
        HRANDFIELD h 0
        HRANDFIELD h 0 WITHVALUES
        HRANDFIELD h 1 WITHVALUE
        HRANDFIELD h 1 WITHVALUES x
        HRANDFIELD h x
        HRANDFIELD h -9223372036854775808
        HRANDFIELD h -4611686018427387904 WITHVALUES
        HRANDFIELD nokey
        HRANDFIELD nokey 5
        HRANDFIELD nokey -5 WITHVALUES
        HRANDFIELD nokey x
        HSET one f v
        HRANDFIELD one
        HRANDFIELD one -3
        HRANDFIELD one -3 WITHVALUES
        HRANDFIELD one 1 WITHVALUES
        HELLO 3
        HRANDFIELD one -3 WITHVALUES
        HRANDFIELD one 2 WITHVALUES
        HRANDFIELD one -2
        HGETALL h
        HGETALL nokey
        HRANDFIELD h 100 WITHVALUES
        HRANDFIELD h 100
        HSCAN h 0
        HELLO 2
        "#,
    );
}

#[test]
fn keyspace_commands_on_hashes() {
    diff::check(
        r#"
        HSET h a 1 b 2
        TYPE h
        SCAN 0 TYPE hash
        SCAN 0 TYPE string
        COPY h h2
        HGETALL h2
        HSET h2 c 3
        HGETALL h
        RENAME h2 h3
        HGETALL h3
        MOVE h3 1
        SELECT 1
        HGETALL h3
        OBJECT ENCODING h3
        DEBUG DIGEST-VALUE h3
        SELECT 0
        DEBUG DIGEST
        DEBUG DIGEST-VALUE h
        SET h b
        DEBUG DIGEST
        "#,
    );
}

/// Digests and the big (hashtable) form: the same data digests the same whatever its
/// encoding or order.
#[test]
fn digests_of_large_hashes_match() {
    let Some(pair) = diff::Pair::start(&[]) else { return };
    let mut script = String::new();
    for i in 0..600 {
        script.push_str(&format!("HSET big f{i} v{}\n", i * 7));
        if i % 5 == 0 {
            script.push_str(&format!("HDEL big f{}\n", i / 2));
        }
        if i % 3 == 0 {
            script.push_str(&format!("HINCRBY big n{} {i}\n", i % 17));
        }
    }
    script.push_str("HLEN big\nOBJECT ENCODING big\nDEBUG DIGEST\nDEBUG DIGEST-VALUE big\nHEXISTS big f599\nHGET big f598\n");
    pair.check(&script);
    // HGETALL of a hashtable compares as a set of pairs, HSCAN likewise over a full scan.
    let ours = full_scan(&pair.ours, "big", &[]);
    let theirs = full_scan(&pair.theirs, "big", &[]);
    assert_eq!(ours, theirs);
    assert_eq!(ours.len(), pair.ours.cli(&["HLEN", "big"]).trim().parse::<usize>().unwrap_or(0));
    let m_ours = full_scan(&pair.ours, "big", &["MATCH", "f1*", "COUNT", "7"]);
    let m_theirs = full_scan(&pair.theirs, "big", &["MATCH", "f1*", "COUNT", "7"]);
    assert_eq!(m_ours, m_theirs);
    assert!(!m_ours.is_empty());
    let all = |s: &TestServer| -> BTreeSet<(Vec<u8>, Vec<u8>)> { pairs(&s.raw().cmd(&["HGETALL", "big"]).unwrap()) };
    assert_eq!(all(&pair.ours), all(&pair.theirs));
}

fn pairs(r: &Reply) -> BTreeSet<(Vec<u8>, Vec<u8>)> {
    let Reply::Array(Some(items)) = r else { panic!("not an array: {r:?}") };
    items.chunks(2).map(|c| (bulk(&c[0]), bulk(&c[1]))).collect()
}

fn bulk(r: &Reply) -> Vec<u8> {
    match r {
        Reply::Bulk(Some(b)) => b.clone(),
        other => panic!("not a bulk: {other:?}"),
    }
}

/// Every field/value an HSCAN iteration returns (no field twice).
fn full_scan(s: &TestServer, key: &str, opts: &[&str]) -> BTreeSet<(Vec<u8>, Vec<u8>)> {
    let mut c = s.raw();
    let mut cursor = b"0".to_vec();
    let mut seen = BTreeSet::new();
    for _ in 0..100_000 {
        let mut argv: Vec<Vec<u8>> = vec![b"HSCAN".to_vec(), key.as_bytes().to_vec(), cursor.clone()];
        argv.extend(opts.iter().map(|o| o.as_bytes().to_vec()));
        let r = c.cmd(&argv).unwrap();
        let Reply::Array(Some(parts)) = r else { panic!("bad HSCAN reply") };
        cursor = bulk(&parts[0]);
        for p in pairs(&parts[1]) {
            seen.insert(p);
        }
        if cursor == b"0" {
            return seen;
        }
    }
    panic!("HSCAN never finished");
}

/// HRANDFIELD's properties: distinct fields for a positive count (at most the size),
/// exactly |count| fields from the hash for a negative one, values matching fields.
#[test]
fn hrandfield_properties() {
    let s = TestServer::start(&[]);
    let mut c = s.raw();
    for (key, n) in [("small", 10usize), ("large", 700)] {
        for i in 0..n {
            c.cmd(&["HSET", key, &format!("f{i}"), &format!("v{i}")]).unwrap();
        }
        let fields: BTreeSet<Vec<u8>> = (0..n).map(|i| format!("f{i}").into_bytes()).collect();
        for count in [1i64, 3, 9, 10, 11, 500, 699, 700, 1000] {
            let Reply::Array(Some(items)) = c.cmd(&["HRANDFIELD", key, &count.to_string()]).unwrap() else { panic!() };
            assert_eq!(items.len(), (count as usize).min(n), "{key} {count}");
            let got: BTreeSet<Vec<u8>> = items.iter().map(bulk).collect();
            assert_eq!(got.len(), items.len(), "distinct");
            assert!(got.is_subset(&fields));
            let r = c.cmd(&["HRANDFIELD", key, &count.to_string(), "WITHVALUES"]).unwrap();
            let got = pairs(&r);
            assert_eq!(got.len(), (count as usize).min(n));
            for (f, v) in got {
                assert_eq!(&f[1..], &v[1..], "value of its field");
            }
        }
        for count in [-1i64, -5, -30, -2000] {
            let Reply::Array(Some(items)) = c.cmd(&["HRANDFIELD", key, &count.to_string()]).unwrap() else { panic!() };
            assert_eq!(items.len() as i64, -count);
            assert!(items.iter().all(|f| fields.contains(&bulk(f))));
            let Reply::Array(Some(items)) = c.cmd(&["HRANDFIELD", key, &count.to_string(), "WITHVALUES"]).unwrap() else { panic!() };
            assert_eq!(items.len() as i64, -2 * count);
        }
        // Without a count: one field of the hash; over many calls, more than one.
        let mut singles = BTreeSet::new();
        for _ in 0..50 {
            let f = bulk(&c.cmd(&["HRANDFIELD", key]).unwrap());
            assert!(fields.contains(&f));
            singles.insert(f);
        }
        assert!(singles.len() > 1);
    }
}

/// A seeded random sequence of hash commands on a few small keys: every reply, and the
/// final digest, equal Redis's (listpack order makes HGETALL comparable byte for byte).
#[test]
fn random_model_against_redis() {
    random_model(0x9e37_79b9_7f4a_7c15, None);
}

/// The same with tiny listpack limits, so keys convert to hashtable on the way; replies
/// whose order depends on the encoding are left out, the digest still covers the data.
#[test]
fn random_model_with_conversions() {
    random_model(0x2545_f491_4f6c_dd1d, Some(4));
}

fn random_model(mut seed: u64, max_entries: Option<u32>) {
    let Some(pair) = diff::Pair::start(&[]) else { return };
    let mut next = |m: u64| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed % m
    };
    let mut script = String::new();
    if let Some(n) = max_entries {
        script.push_str(&format!("CONFIG SET hash-max-listpack-entries {n}\nCONFIG SET hash-max-listpack-value 8\n"));
    }
    let ordered = max_entries.is_none();
    for _ in 0..1500 {
        let key = format!("k{}", next(3));
        let f = format!("f{}", next(12));
        let line = match next(12) {
            0 | 1 => format!("HSET {key} {f} v{} f{} {}", next(100), next(12), next(5)),
            2 => format!("HSETNX {key} {f} x{}", "y".repeat(next(12) as usize)),
            3 => format!("HDEL {key} {f} f{}", next(12)),
            4 => format!("HINCRBY {key} {f} {}", next(21) as i64 - 10),
            5 => format!("HINCRBYFLOAT {key} {f} {}.{}", next(5), next(100)),
            6 if ordered => format!("HGETALL {key}"),
            7 => format!("HMGET {key} {f} f{}", next(12)),
            8 if ordered => format!("HKEYS {key}"),
            10 if ordered => format!("HSCAN {key} 0 MATCH f1*"),
            9 => format!("HLEN {key}"),
            _ => format!("HSTRLEN {key} {f}"),
        };
        script.push_str(&line);
        script.push('\n');
        if next(50) == 0 {
            script.push_str(&format!("OBJECT ENCODING {key}\nDEBUG DIGEST-VALUE {key}\n"));
        }
    }
    script.push_str("DEBUG DIGEST\n");
    pair.check(&script);
}
