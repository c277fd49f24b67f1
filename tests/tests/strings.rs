//! String commands, differential against redis-server 7.0: every command, option and
//! error case whose reply does not depend on the clock.

use std::time::Duration;

use rhodium_it::{diff, wait_until, Reply, TestServer};

#[test]
fn get_set_and_options() {
    diff::check(
        r#"
        GET missing
        SET k v
        GET k
        SET k v2 NX
        SET k v3 XX
        GET k
        SET n v NX
        SET n2 v XX
        GET n2
        SET k v4 GET
        SET k v5 get GET
        SET nokey v GET
        SET k v6 NX GET
        SET k v7 XX GET
        SET nokey2 v XX GET
        SET k v KEEPTTL
        SET k v KEEPTTL GET
        SET k v NX XX
        SET k v XX NX
        SET k v EX 10 PX 100
        SET k v EX 10 EX 20
        SET k v EX 10 KEEPTTL
        SET k v KEEPTTL EX 10
        SET k v PX 100 EXAT 100
        SET k v EXAT 100 PXAT 100
        SET k v EX
        SET k v PX
        SET k v FOO
        SET k v EX 0
        SET k v EX -1
        SET k v PX 0
        SET k v EXAT 0
        SET k v PXAT -5
        SET k v EX abc
        SET k v EX 1.5
        SET k v EX 9223372036854775
        SET k v EX 9223372036854776
        SET k v PX 9223372036854775807
        SET k v EXAT 9223372036854775807
        SET k v PXAT 9223372036854775807
        GET k
        SET k v EX 1000
        GET k
        SET k v2 PX 100000 GET
        SET k v3 EXAT 99999999999
        SET k v4 PXAT 99999999999999 NX
        SET k v4 PXAT 99999999999999 XX GET
        GET k
        SET
        SET k
        GET a b
        SET "" ""
        GET ""
        SET bin "a\x00b\r\n"
        GET bin
        "#,
    );
}

#[test]
fn past_absolute_expiry_hides_the_key() {
    diff::check(
        r#"
        SET k v EXAT 1
        GET k
        EXISTS k
        SET k v PXAT 1 GET
        GET k
        SET k v
        SET k v2 PXAT 1 GET
        GET k
        "#,
    );
}

#[test]
fn setnx_setex_psetex() {
    diff::check(
        r#"
        SETNX k v
        SETNX k v2
        GET k
        SETNX k
        SETEX k 100 v
        GET k
        SETEX k 0 v
        SETEX k -1 v
        SETEX k abc v
        SETEX k 9223372036854776 v
        SETEX k 10
        PSETEX k 100000 pv
        GET k
        PSETEX k 0 v
        PSETEX k -10 v
        PSETEX k 1.5 v
        PSETEX k 9223372036854775807 v
        "#,
    );
}

#[test]
fn mget_mset_msetnx() {
    diff::check(
        r#"
        MSET a 1 b 2 c 3
        MGET a b c missing
        MGET missing
        MSET a 1 b
        MSET a
        MSETNX a 1 x 2
        MGET a x
        MSETNX x 1 y 2
        MGET x y
        MSETNX x 1 y
        MSETNX z 1 z 2
        GET z
        MSET dup 1 dup 2
        GET dup
        MGET
        "#,
    );
}

#[test]
fn getset_getdel_getex() {
    diff::check(
        r#"
        GETSET k v
        GETSET k v2
        GET k
        GETSET k
        GETDEL k
        GETDEL k
        EXISTS k
        GETDEL
        SET k v
        GETEX k
        GETEX missing
        GETEX missing EX abc
        GETEX k EX 100
        GETEX k PX 100000
        GETEX k EXAT 99999999999
        GETEX k PXAT 99999999999999
        GETEX k PERSIST
        GETEX k PERSIST
        GETEX k EX 0
        GETEX k EX -1
        GETEX k PX abc
        GETEX k EX 9223372036854776
        GETEX k PX 9223372036854775807
        GETEX k EX 10 PX 10
        GETEX k EX 10 PERSIST
        GETEX k PERSIST EX 10
        GETEX k PERSIST PERSIST
        GETEX k EX 10 EX 20
        GETEX k NX
        GETEX k GET
        GETEX k KEEPTTL
        GETEX k EX
        GETEX k FOO
        GET k
        GETEX k EXAT 1
        GET k
        EXISTS k
        SET k v
        GETEX k PXAT 1
        EXISTS k
        GETEX
        "#,
    );
}

#[test]
fn append_strlen() {
    diff::check(
        r#"
        APPEND k hello
        APPEND k " world"
        GET k
        STRLEN k
        STRLEN missing
        SET n 12
        APPEND n 34
        GET n
        INCR n
        APPEND n ""
        STRLEN n
        SET e ""
        STRLEN e
        APPEND e ""
        APPEND new ""
        EXISTS new
        SET i -123
        STRLEN i
        APPEND k
        STRLEN
        "#,
    );
}

#[test]
fn incr_decr_family() {
    diff::check(
        r#"
        INCR c
        INCR c
        DECR c
        DECR d
        INCRBY c 10
        INCRBY c -20
        DECRBY c 5
        DECRBY c -5
        INCRBY c abc
        INCRBY c 1.5
        INCRBY c 9223372036854775808
        DECRBY c -9223372036854775808
        DECRBY c 9223372036854775807
        SET big 9223372036854775807
        INCR big
        INCRBY big 0
        SET small -9223372036854775808
        DECR small
        INCRBY small -1
        INCRBY small 1
        SET s abc
        INCR s
        DECR s
        SET s " 1"
        INCR s
        SET s "1 "
        INCR s
        SET s "01"
        INCR s
        SET s "+1"
        INCR s
        SET s "-0"
        INCR s
        SET s ""
        INCR s
        SET s 1.0
        INCR s
        SET s 99999999999999999999
        INCR s
        SET s 10
        INCR s
        GET s
        APPEND s 5
        INCR s
        GET s
        INCR
        INCRBY c
        DECRBY c 1 2
        "#,
    );
}

#[test]
fn incrbyfloat_formatting() {
    diff::check(
        r#"
        SET f 10.50
        INCRBYFLOAT f 0.1
        INCRBYFLOAT f -5
        SET f 5.0e3
        INCRBYFLOAT f 2.0e2
        INCRBYFLOAT f 3.0e-3
        INCRBYFLOAT nf 1.5
        INCRBYFLOAT nf2 3
        INCRBYFLOAT nf2 0.1
        INCRBYFLOAT nf2 0.2
        INCRBYFLOAT nf2 -0.3
        SET f 1e20
        INCRBYFLOAT f 1
        INCRBYFLOAT f 1e20
        SET f 1.7976931348623157e308
        INCRBYFLOAT f 1
        INCRBYFLOAT f 1e4000
        SET f 123456789012345678901234567890
        INCRBYFLOAT f 0
        SET f 0.1
        INCRBYFLOAT f 0.00000000000000001
        INCRBYFLOAT f 1e-30
        INCRBYFLOAT f -0.1
        SET f -1e-20
        INCRBYFLOAT f 0
        SET f 3.14159265358979323846264338327950288
        INCRBYFLOAT f 1
        SET f 9007199254740993
        INCRBYFLOAT f 1
        SET f 18446744073709551617
        INCRBYFLOAT f 0.5
        SET f 100
        INCRBYFLOAT f 0x10
        INCRBYFLOAT f 0x1.8p1
        INCRBYFLOAT f 1e
        INCRBYFLOAT f .5
        INCRBYFLOAT f 5.
        INCRBYFLOAT f +2
        INCRBYFLOAT f " 1"
        INCRBYFLOAT f "1 "
        INCRBYFLOAT f abc
        INCRBYFLOAT f nan
        INCRBYFLOAT f inf
        INCRBYFLOAT f -inf
        INCRBYFLOAT f 1e99999
        INCRBYFLOAT f 1e-99999
        INCRBYFLOAT f ""
        SET f abc
        INCRBYFLOAT f 1
        SET f inf
        INCRBYFLOAT f 1
        SET f 1e5000
        INCRBYFLOAT f 1
        SET f 7
        INCRBYFLOAT f 1.1
        INCR f
        SET f 1.5
        INCR f
        INCRBYFLOAT
        INCRBYFLOAT f
        "#,
    );
}

#[test]
fn getrange_substr_setrange() {
    diff::check(
        r#"
        SET k "Hello World"
        GETRANGE k 0 4
        GETRANGE k -3 -1
        GETRANGE k 0 -1
        GETRANGE k 0 -100
        GETRANGE k -100 -50
        GETRANGE k 5 3
        GETRANGE k -1 -5
        GETRANGE k 100 200
        GETRANGE k 0 9223372036854775807
        GETRANGE k -9223372036854775808 -1
        GETRANGE k a 1
        GETRANGE k 1 b
        GETRANGE missing 0 -1
        GETRANGE missing a 1
        SUBSTR k 0 4
        SUBSTR k -5 -1
        SET n 12345
        GETRANGE n 1 3
        SET e ""
        GETRANGE e 0 -1
        GETRANGE e 0 0
        SETRANGE k 6 Redis
        GET k
        SETRANGE k 20 tail
        GET k
        SETRANGE k 0 ""
        SETRANGE new 5 x
        GET new
        SETRANGE new2 0 ""
        EXISTS new2
        SETRANGE new3 3 ""
        EXISTS new3
        SETRANGE k -1 x
        SETRANGE k abc x
        SETRANGE k 1.5 x
        SETRANGE k 536870912 x
        SETRANGE k 536870911 x
        SETRANGE k 536870911 ""
        SETRANGE k 9223372036854775807 x
        SETRANGE k 9223372036854775808 x
        SETRANGE nokey 536870912 x
        SETRANGE nokey 536870912 ""
        SETRANGE n 0 9
        GET n
        INCR n
        SETRANGE k 1
        GETRANGE k 1
        SUBSTR k
        "#,
    );
}

#[test]
fn lcs_all_options() {
    diff::check(
        r#"
        MSET key1 ohmytext key2 mynewtext
        LCS key1 key2
        LCS key1 key2 LEN
        LCS key1 key2 IDX
        LCS key1 key2 IDX MINMATCHLEN 4
        LCS key1 key2 IDX MINMATCHLEN 4 WITHMATCHLEN
        LCS key1 key2 IDX WITHMATCHLEN
        LCS key1 key2 IDX MINMATCHLEN -5
        LCS key1 key2 LEN WITHMATCHLEN
        LCS key1 key2 WITHMATCHLEN
        LCS key1 key2 MINMATCHLEN 2
        LCS key1 key2 LEN IDX
        LCS key1 key2 IDX LEN
        LCS key1 key2 MINMATCHLEN
        LCS key1 key2 MINMATCHLEN abc
        LCS key1 key2 FOO
        LCS key1 missing
        LCS missing key1 IDX
        LCS missing1 missing2 LEN
        LCS key1 key1 IDX WITHMATCHLEN
        MSET a 1234567890 b 0987654321
        LCS a b IDX WITHMATCHLEN
        MSET x abcabcabcXabc y abcYabcabcabcZ
        LCS x y IDX WITHMATCHLEN
        LCS x y IDX MINMATCHLEN 3 WITHMATCHLEN
        LCS key1
        "#,
    );
}

#[test]
fn lcs_table_limit_fails_fast() {
    let big_a = "a".repeat(12000);
    let big_b = "b".repeat(12000);
    diff::check(&format!("SET la {big_a}\nSET lb {big_b}\nLCS la lb LEN\nLCS la missing LEN\n"));
}

#[test]
fn resp3_replies() {
    let Some(pair) = diff::Pair::start(&[]) else { return };
    let mut a = pair.ours.raw();
    let mut b = pair.theirs.raw();
    // HELLO's reply holds the client id, which differs; only its success matters.
    assert!(!a.cmd(&["HELLO", "3"]).unwrap().is_error());
    assert!(!b.cmd(&["HELLO", "3"]).unwrap().is_error());
    let script = [
        "GET missing",
        "SET k v NX GET",
        "SET x v XX",
        "MSET key1 ohmytext key2 mynewtext",
        "LCS key1 key2 IDX WITHMATCHLEN",
        "MGET key1 missing",
        "GETEX missing",
        "INCRBYFLOAT f 1.5",
    ];
    for line in script {
        let argv = diff::split(line);
        let ra = a.cmd_bytes(&argv).unwrap();
        let rb = b.cmd_bytes(&argv).unwrap();
        assert_eq!(String::from_utf8_lossy(&ra), String::from_utf8_lossy(&rb), "reply differs for `{line}`");
    }
}

#[test]
fn huge_setrange_fails_without_allocating() {
    let s = TestServer::start(&[]);
    let mut c = s.raw();
    let started = std::time::Instant::now();
    let r = c.cmd(&["SETRANGE", "k", "536870911", "xy"]).unwrap();
    assert_eq!(r, Reply::Error("ERR string exceeds maximum allowed size (proto-max-bulk-len)".into()));
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_eq!(c.cmd(&["EXISTS", "k"]).unwrap(), Reply::Int(0));
}

#[test]
fn relative_expiry_takes_effect() {
    let s = TestServer::start(&[]);
    let mut c = s.raw();
    assert_eq!(c.cmd(&["SET", "k", "v", "PX", "50"]).unwrap().as_str(), "OK");
    assert_eq!(c.cmd(&["PSETEX", "k2", "50", "v"]).unwrap().as_str(), "OK");
    assert_eq!(c.cmd(&["SET", "k3", "v"]).unwrap().as_str(), "OK");
    assert_eq!(c.cmd(&["GETEX", "k3", "PX", "50"]).unwrap(), Reply::Bulk(Some(b"v".to_vec())));
    wait_until(Duration::from_secs(5), "keys to expire", || c.cmd(&["EXISTS", "k", "k2", "k3"]).map(|r| r == Reply::Int(0)).unwrap_or(false));
    // KEEPTTL keeps it, a plain SET clears it, GETEX PERSIST removes it.
    assert_eq!(c.cmd(&["SET", "t", "v", "PX", "100000"]).unwrap().as_str(), "OK");
    assert_eq!(c.cmd(&["SET", "t", "v2", "KEEPTTL"]).unwrap().as_str(), "OK");
    assert_eq!(c.cmd(&["GETEX", "t", "PERSIST"]).unwrap(), Reply::Bulk(Some(b"v2".to_vec())));
}

/// A small deterministic generator (no dependency needed for test data).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        self.0 >> 33
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    fn digits(&mut self, n: u64) -> String {
        (0..n).map(|_| char::from(b'0' + self.below(10) as u8)).collect()
    }

    /// Decimal numbers of every shape INCRBYFLOAT meets: integers, long fractions,
    /// exponents near the long double limits, tiny values.
    fn float(&mut self) -> String {
        let sign = if self.below(2) == 0 { "" } else { "-" };
        let body = match self.below(5) {
            0 => format!("{}", self.below(1 << 30) * self.below(1 << 30)),
            1 => {
                let (i, f) = (self.below(13), self.below(25) + 1);
                format!("{}{}.{}", self.below(9) + 1, self.digits(i), self.digits(f))
            }
            2 => format!("{}.{}e{}", self.below(9) + 1, self.below(1_000_000), self.below(81) as i64 - 40),
            3 => format!("{}.{}e{}", self.below(9) + 1, self.below(1000), self.below(9000) as i64 - 4500),
            _ => {
                let (z, d) = (self.below(20), self.below(18) + 1);
                format!("0.{}{}{}", "0".repeat(z as usize), self.below(9) + 1, self.digits(d))
            }
        };
        format!("{sign}{body}")
    }
}

#[test]
fn incrbyfloat_random_against_redis() {
    let mut g = Lcg(42);
    let mut script = String::new();
    for i in 0..1500 {
        let key = format!("f{}", i % 20);
        if g.below(3) == 0 {
            script.push_str(&format!("SET {key} {}\n", g.float()));
        }
        script.push_str(&format!("INCRBYFLOAT {key} {}\n", g.float()));
    }
    diff::check(&script);
}

#[test]
fn lcs_random_against_redis() {
    let mut g = Lcg(7);
    let mut script = String::new();
    let opts = ["", "LEN", "IDX", "IDX WITHMATCHLEN", "IDX MINMATCHLEN 2", "IDX MINMATCHLEN 3 WITHMATCHLEN"];
    for _ in 0..300 {
        let word = |g: &mut Lcg| -> String { (0..g.below(16)).map(|_| char::from(b'a' + g.below(3) as u8)).collect() };
        let (a, b) = (word(&mut g), word(&mut g));
        script.push_str(&format!("SET a \"{a}\"\nSET b \"{b}\"\nLCS a b {}\n", opts[g.below(opts.len() as u64) as usize]));
    }
    diff::check(&script);
}
