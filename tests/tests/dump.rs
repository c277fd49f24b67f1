//! DUMP and RESTORE against redis-server 7.0: identical payload bytes where the encoding is
//! deterministic, payloads restored across servers in both directions for every type and
//! encoding, and every option and error of RESTORE compared reply for reply.

use rhodium_it::raw::{RawConn, Reply};
use rhodium_it::{diff, Flavor, TestServer};
use rhodium_storage::rdb::crc64::crc64;

/// Writes a value as a double-quoted redis-cli argument with `\xHH` escapes.
fn quoted(bytes: &[u8]) -> String {
    let mut s = String::from("\"");
    for b in bytes {
        s.push_str(&format!("\\x{b:02x}"));
    }
    s.push('"');
    s
}

/// A payload with a correct footer around `body` (type byte + value).
fn payload(body: &[u8], version: u16) -> Vec<u8> {
    let mut p = body.to_vec();
    p.extend_from_slice(&version.to_le_bytes());
    let crc = crc64(0, &p);
    p.extend_from_slice(&crc.to_le_bytes());
    p
}

#[test]
fn restore_options_and_errors_match_redis() {
    let good = quoted(&payload(&[0, 5, b'h', b'e', b'l', b'l', b'o'], 10));
    let newer = quoted(&payload(&[0, 1, b'x'], 11));
    let truncated = quoted(&payload(&[0, 9, b'h'], 10));
    let badtype = quoted(&payload(&[42, 1, b'x'], 10));
    let emptylist = quoted(&payload(&[1, 0], 10));
    let stream = quoted(&payload(&[15, 0, 0], 10));
    let mut bad_crc = payload(&[0, 1, b'x'], 10);
    let n = bad_crc.len();
    bad_crc[n - 1] ^= 1;
    let bad_crc = quoted(&bad_crc);
    diff::check(&format!(
        r#"
        SET k v
        RESTORE k 0 {good}
        RESTORE k 0 {good} REPLACE
        GET k
        TTL k
        RESTORE k 0 garbage REPLACE
        RESTORE k -1 {good} REPLACE
        RESTORE k notanumber {good} REPLACE
        RESTORE k 0 {good} REPLACE IDLETIME -1
        RESTORE k 0 {good} REPLACE IDLETIME x
        RESTORE k 0 {good} REPLACE FREQ 256
        RESTORE k 0 {good} REPLACE FREQ -1
        RESTORE k 0 {good} REPLACE IDLETIME 10 FREQ 5
        RESTORE k 0 {good} REPLACE FREQ 5 IDLETIME 10
        RESTORE k 0 {good} REPLACE IDLETIME
        RESTORE k 0 {good} REPLACE BOGUS
        RESTORE k 0 {good} REPLACE FREQ 5
        RESTORE n 0 {newer}
        RESTORE n 0 {truncated}
        RESTORE n 0 {badtype}
        RESTORE n 0 {emptylist}
        RESTORE n 0 {stream}
        RESTORE n 0 {bad_crc}
        RESTORE n 0 ""
        EXISTS n
        RESTORE t 100000 {good}
        TTL t
        RESTORE a 4000000000000 {good} ABSTTL
        PEXPIRETIME a
        RESTORE past 1 {good} ABSTTL
        EXISTS past
        RESTORE k 1 {good} ABSTTL REPLACE
        EXISTS k
        RESTORE i 0 {good} IDLETIME 1000
        OBJECT IDLETIME i
        DUMP nosuchkey
        DUMP t
        RESTORE
        RESTORE k 0
        "#
    ));
}

/// Builds keys of every type in every encoding.
const DATASET: &[&str] = &[
    "SET int 12345",
    "SET bigint 123456789012345678",
    "SET short hello",
    "SET compressible aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
    "SET uncompressible q9w8e7r6t5y4u3i2o1p0a9s8d7f6g5h4j3k2l1",
    "SET empty \"\"",
    "RPUSH smalllist a b 1 2 -3 300000 \"a longer element that is more than twenty bytes\"",
    "SADD intset 1 2 3 -5 70000 4000000000",
    "SADD strset a b c 1",
    "HSET smallhash f1 v1 f2 2 f3 \"a value\"",
    "ZADD smallzset 1 a 2.5 b -3 c inf d -inf e 0 f 1e300 g",
    "XADD stream 1-1 a 1 b 2",
    "XADD stream 1-2 a 3 b 4",
    "XADD stream 2-0 c 5",
    "XADD stream 3-0 a 6 b \"a value longer than twenty bytes\"",
    "XADD stream 4-0 a 7 b 8",
    "XDEL stream 1-2",
    "XTRIM stream MINID 2-0",
    "XGROUP CREATE stream g1 0 ENTRIESREAD 1",
    "XGROUP CREATE stream 7 $",
    "XADD pelstream 1-1 a 1",
    "XADD pelstream 1-2 a 2",
    "XADD pelstream 2-0 a 3 x y",
    "XGROUP CREATE pelstream readers 0",
    "XREADGROUP GROUP readers consumer-one COUNT 3 STREAMS pelstream >",
    "XCLAIM pelstream readers consumer-one 0 1-1 1-2 2-0 TIME 1700000000000 RETRYCOUNT 3",
    "XCLAIM pelstream readers consumer-two 0 1-2 TIME 1700000000500 RETRYCOUNT 5",
    "XADD emptystream MAXLEN 0 9-9 f v",
];

/// Stream keys whose consumers' seen times come from each server's clock.
const CONSUMERS: &[&str] = &["consumer-one", "consumer-two"];

/// A payload with every consumer's 8-byte seen time (which follows the consumer's
/// name) and the checksum zeroed: all the rest must be byte-identical.
fn mask_seen_times(p: &[u8]) -> Vec<u8> {
    let mut p = p.to_vec();
    for name in CONSUMERS {
        let mut pat = vec![name.len() as u8];
        pat.extend_from_slice(name.as_bytes());
        let at = p.windows(pat.len()).rposition(|w| w == pat).unwrap_or_else(|| panic!("{name} not in payload")) + pat.len();
        p[at..at + 8].fill(0);
    }
    let n = p.len();
    p[n - 8..].fill(0);
    p
}

fn fill(c: &mut RawConn) {
    for line in DATASET {
        let r = c.cmd(&diff::split(line)).unwrap();
        assert!(!r.is_error(), "{line}: {r:?}");
    }
    for chunk in 0..6 {
        let mut l = vec!["RPUSH".to_string(), "biglist".into()];
        let mut h = vec!["HSET".to_string(), "bighash".into()];
        let mut z = vec!["ZADD".to_string(), "bigzset".into()];
        let mut si = vec!["SADD".to_string(), "bigintset".into()];
        let mut ss = vec!["SADD".to_string(), "bigset".into()];
        for i in chunk * 100..(chunk + 1) * 100 {
            l.extend([format!("element-{i}"), i.to_string()]);
            h.extend([format!("field-{i}"), format!("value-{i}")]);
            z.extend([format!("{}", f64::from(i) / 7.0), format!("member-{i}")]);
            si.push((i * 3).to_string());
            ss.push(format!("m{i}"));
        }
        for v in [l, h, z, si, ss] {
            assert!(!c.cmd(&v).unwrap().is_error());
        }
    }
    let big = "x".repeat(20000);
    assert!(!c.cmd(&["RPUSH", "biglist", big.as_str()]).unwrap().is_error());
    // Several nodes, tombstones in them, and a partly trimmed first node.
    for i in 1..=230u64 {
        let id = format!("{}-{}", 100 + i / 3, i % 3);
        let v = format!("value {i} of the big stream");
        let r = if i % 5 == 0 { c.cmd(&["XADD", "bigstream", &id, "odd", &v]) } else { c.cmd(&["XADD", "bigstream", &id, "f", &v, "n", &i.to_string()]) };
        assert!(!r.unwrap().is_error());
    }
    assert!(!c.cmd(&["XDEL", "bigstream", "110-1", "150-0", "170-2"]).unwrap().is_error());
    assert!(!c.cmd(&["XTRIM", "bigstream", "MAXLEN", "200"]).unwrap().is_error());
}

const KEYS: &[&str] = &["int", "bigint", "short", "compressible", "uncompressible", "empty", "smalllist", "intset", "strset", "smallhash", "smallzset", "biglist", "bighash", "bigzset", "bigintset", "bigset", "stream", "pelstream", "emptystream", "bigstream"];

/// Keys whose payload bytes depend only on the data (no hash-table order).
const DETERMINISTIC: &[&str] = &["int", "bigint", "short", "compressible", "uncompressible", "empty", "smalllist", "intset", "smallhash", "smallzset", "biglist", "bigzset", "stream", "emptystream", "bigstream"];

fn dump(c: &mut RawConn, key: &str) -> Vec<u8> {
    match c.cmd(&["DUMP", key]).unwrap() {
        Reply::Bulk(Some(b)) => b,
        r => panic!("DUMP {key}: {r:?}"),
    }
}

fn info(c: &mut RawConn, key: &str) -> (String, String) {
    (c.cmd(&["DEBUG", "DIGEST-VALUE", key]).unwrap().as_str(), c.cmd(&["OBJECT", "ENCODING", key]).unwrap().as_str())
}

#[test]
fn payloads_move_both_ways_for_every_encoding() {
    if !rhodium_it::redis_available() {
        return;
    }
    for extra in [&[][..], &["--rdbcompression", "no"][..]] {
        let ours = TestServer::start(extra);
        let redis = TestServer::start_flavor(Flavor::Redis, extra);
        let (mut a, mut b) = (ours.raw(), redis.raw());
        fill(&mut a);
        fill(&mut b);
        for key in KEYS {
            let pa = dump(&mut a, key);
            let pb = dump(&mut b, key);
            if DETERMINISTIC.contains(key) {
                assert_eq!(pa, pb, "DUMP {key} differs with {extra:?}");
            }
            if *key == "pelstream" {
                assert_eq!(mask_seen_times(&pa), mask_seen_times(&pb), "DUMP {key} differs with {extra:?}");
            }
            let copy = format!("{key}-copy");
            // Redis's payload into Rhodium and Rhodium's into Redis.
            assert_eq!(a.cmd(&[b"RESTORE".as_slice(), copy.as_bytes(), b"0", &pb]).unwrap(), Reply::Simple("OK".into()), "{key}");
            assert_eq!(b.cmd(&[b"RESTORE".as_slice(), copy.as_bytes(), b"0", &pa]).unwrap(), Reply::Simple("OK".into()), "{key}");
            let want = info(&mut b, key);
            assert_eq!(info(&mut a, &copy), want, "{key} restored in rhodium");
            assert_eq!(info(&mut b, &copy), want, "{key} restored in redis");
            if key.ends_with("stream") {
                // Each copy shows exactly what the server that dumped it shows.
                let full = |c: &mut RawConn, k: &str| c.cmd(&["XINFO", "STREAM", k, "FULL"]).unwrap();
                assert_eq!(full(&mut a, &copy), full(&mut b, key), "{key} restored in rhodium");
                assert_eq!(full(&mut b, &copy), full(&mut a, key), "{key} restored in redis");
            }
        }
        assert_eq!(a.cmd(&["DEBUG", "DIGEST"]).unwrap(), b.cmd(&["DEBUG", "DIGEST"]).unwrap());
    }
}
