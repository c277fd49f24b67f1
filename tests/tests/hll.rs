//! HyperLogLog commands, differential against redis-server 7.0: replies, errors, and the
//! exact bytes GET returns (sparse, dense, across the sparse-to-dense promotion, with the
//! cached cardinality), union counts, merges, PFDEBUG, and DEBUG DIGEST equality.

use rhodium_it::diff::{self, Pair};

/// `PFADD key` lines adding `n` elements named `prefix0..`, `per` to a line.
fn adds(key: &str, prefix: &str, n: usize, per: usize) -> String {
    let mut s = String::new();
    for chunk in (0..n).collect::<Vec<_>>().chunks(per) {
        s.push_str("PFADD ");
        s.push_str(key);
        for i in chunk {
            s.push_str(&format!(" {prefix}{i}"));
        }
        s.push('\n');
    }
    s
}

#[test]
fn pfadd_pfcount_and_errors() {
    diff::check(
        r#"
        PFADD h a b c
        PFADD h a
        PFADD h
        PFADD h2
        EXISTS h2
        GET h2
        PFADD h2
        GET h
        STRLEN h
        OBJECT ENCODING h
        PFCOUNT h
        GET h
        PFCOUNT h
        PFADD h d
        GET h
        PFCOUNT h
        PFCOUNT h h2
        PFCOUNT nokey
        PFCOUNT nokey nokey2
        PFCOUNT h nokey
        PFADD h "" "\x00" "\xff\xfe"
        PFCOUNT h
        SET s foo
        PFADD s a
        PFCOUNT s
        PFCOUNT h s
        PFMERGE s h
        PFMERGE h s
        PFDEBUG ENCODING s
        SET i 123
        PFADD i a
        PFCOUNT i
        SET short HYLL
        PFADD short a
        LPUSH l a
        PFADD l a
        PFCOUNT l
        PFCOUNT h l
        PFMERGE l h
        PFMERGE h l
        PFDEBUG GETREG l
        PFADD
        PFCOUNT
        PFMERGE
        PFSELFTEST x
        PFSELFTEST
        "#,
    );
}

#[test]
fn hll_bytes_match_redis_sparse_dense_and_promotion() {
    let mut script = String::new();
    script.push_str(&adds("small", "e", 40, 7));
    script.push_str("GET small\nPFDEBUG DECODE small\nPFCOUNT small\nGET small\nPFDEBUG ENCODING small\n");
    // Grow one key element by element past hll-sparse-max-bytes (3000 by default),
    // checking the bytes at every step near the promotion.
    script.push_str(&adds("grow", "x", 1500, 50));
    script.push_str("GET grow\nPFDEBUG ENCODING grow\n");
    for i in 1500..2800 {
        script.push_str(&format!("PFADD grow x{i}\n"));
        if i % 25 == 0 {
            script.push_str("PFDEBUG ENCODING grow\nSTRLEN grow\n");
        }
    }
    script.push_str("GET grow\nPFDEBUG ENCODING grow\nPFCOUNT grow\nGET grow\n");
    script.push_str(&adds("big", "y", 20000, 500));
    script.push_str("PFCOUNT big\nGET big\nPFADD big y1 y2\nPFCOUNT big\n");
    // Registers above 32 force a promotion with few elements: many random-looking ones.
    script.push_str(&adds("wide", "w", 300, 100));
    script.push_str("GET wide\nPFCOUNT wide\n");
    script.push_str("PFCOUNT small grow big wide nokey\nPFCOUNT small wide\n");
    script.push_str("DEBUG DIGEST\nDEBUG DIGEST-VALUE small grow big wide\n");
    diff::check(&script);
}

#[test]
fn pfcount_estimates_match_at_many_cardinalities() {
    let mut script = String::new();
    let mut n = 0;
    for target in [1, 2, 5, 10, 50, 100, 300, 700, 1000, 2000, 5000, 10000, 30000, 60000] {
        let mut line = String::from("PFADD card");
        while n < target {
            line.push_str(&format!(" m{n}"));
            n += 1;
            if line.len() > 8000 {
                script.push_str(&line);
                script.push('\n');
                line = String::from("PFADD card");
            }
        }
        script.push_str(&line);
        script.push_str("\nPFCOUNT card\nPFCOUNT card other\nPFADD other z");
        script.push_str(&n.to_string());
        script.push('\n');
    }
    script.push_str("GET card\nGET other\n");
    diff::check(&script);
}

#[test]
fn pfmerge_sparse_dense_and_destinations() {
    let mut script = String::new();
    script.push_str(&adds("s1", "a", 30, 10));
    script.push_str(&adds("s2", "b", 50, 10));
    script.push_str(&adds("s3", "a", 10, 10));
    script.push_str(&adds("d1", "c", 4000, 400));
    script.push_str(
        "PFMERGE m1 s1 s2\nGET m1\nPFCOUNT m1\nPFDEBUG ENCODING m1\n\
         PFMERGE m1 s3\nGET m1\n\
         PFMERGE s1 s2 s3 nokey\nGET s1\nPFCOUNT s1\n\
         PFMERGE m2 s1 d1\nGET m2\nPFCOUNT m2\nPFDEBUG ENCODING m2\n\
         PFMERGE d1 s2\nGET d1\nPFCOUNT d1\n\
         PFMERGE m3 nokey\nGET m3\nPFCOUNT m3\n\
         PFMERGE m4\nGET m4\n\
         PFMERGE m4 m4\nGET m4\n\
         SET t x EX 100\nSET t2 x\n\
         PFMERGE s1 s1\nGET s1\n\
         PFCOUNT s1 s2 s3 d1 m1 m2\n\
         DEBUG DIGEST\n",
    );
    diff::check(&script);
}

#[test]
fn pfdebug_subcommands() {
    let mut script = String::from("PFADD h a b c d e f g\n");
    script.push_str(
        "PFDEBUG ENCODING h\nPFDEBUG DECODE h\nPFDEBUG GETREG h\nPFDEBUG ENCODING h\nGET h\n\
         PFDEBUG DECODE h\nPFDEBUG TODENSE h\nPFDEBUG encoding h\n\
         PFADD h2 x\nPFDEBUG todense h2\nGET h2\nPFDEBUG TODENSE h2\nPFCOUNT h2\n\
         PFDEBUG GETREG nokey\nPFDEBUG FOO nokey\nPFDEBUG FOO h\nPFDEBUG\nPFDEBUG GETREG\nPFDEBUG GETREG h x\n\
         SET s foo\nPFDEBUG ENCODING s\nLPUSH l a\nPFDEBUG ENCODING l\n",
    );
    diff::check(&script);
}

#[test]
fn corrupt_and_foreign_hll_strings() {
    diff::check(
        r#"
        SET c1 "HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x7f\xff"
        PFCOUNT c1
        PFADD c1 a
        PFCOUNT c1 c1
        PFMERGE m c1
        PFDEBUG DECODE c1
        PFDEBUG GETREG c1
        SET c2 "HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x7f\xfe"
        PFCOUNT c2
        PFADD c2 a b c
        GET c2
        SET c3 "HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x40"
        PFDEBUG DECODE c3
        PFCOUNT c3
        SET c4 "HYLL\x02\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x7f\xff"
        PFCOUNT c4
        SET c5 "HYLL\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x7f\xff"
        PFCOUNT c5
        SET c6 "HYLX\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x7f\xff"
        PFCOUNT c6
        SET ok "HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x7f\xff"
        OBJECT ENCODING ok
        PFCOUNT ok
        OBJECT ENCODING ok
        SET ok2 "HYLL\x01\x00\x00\x00\x05\x00\x00\x00\x00\x00\x00\x00\x7f\xff"
        PFCOUNT ok2
        OBJECT ENCODING ok2
        PFADD ok2 a
        PFCOUNT ok2
        GET ok2
        SET ok3 "HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x4f\xff\x80\x40\x00\x3f\x7f"
        PFCOUNT ok3
        PFDEBUG DECODE ok3
        PFADD ok3 a b c d e f g h
        GET ok3
        "#,
    );
}

#[test]
fn sparse_limit_follows_config() {
    let Some(p) = Pair::start(&[]) else { return };
    let mut script = String::from("CONFIG SET hll-sparse-max-bytes 200\nCONFIG GET hll-sparse-max-bytes\n");
    for i in 0..150 {
        script.push_str(&format!("PFADD lim q{i}\nPFDEBUG ENCODING lim\n"));
    }
    script.push_str("GET lim\nCONFIG SET hll-sparse-max-bytes 0\nPFADD zero a\nPFDEBUG ENCODING zero\nGET zero\n");
    script.push_str("CONFIG SET hll-sparse-max-bytes 1kb\nCONFIG GET hll-sparse-max-bytes\n");
    script.push_str(&adds("kb", "k", 600, 20));
    script.push_str("PFDEBUG ENCODING kb\nGET kb\n");
    script.push_str("CONFIG SET hll-sparse-max-bytes 20000\n");
    script.push_str(&adds("roomy", "r", 4000, 200));
    script.push_str("PFDEBUG ENCODING roomy\nGET roomy\nPFCOUNT roomy\nPFMERGE rm roomy lim\nGET rm\n");
    p.check(&script);
}

#[test]
fn pfselftest_passes() {
    diff::check("PFSELFTEST\n");
}

/// A seeded random sequence of PFADD, PFCOUNT (single and union), PFMERGE and GET on a
/// few keys, compared reply by reply (bytes included), then DEBUG DIGEST.
#[test]
fn random_model_against_redis() {
    let Some(p) = Pair::start(&[]) else { return };
    let mut seed = 0x1234_5678_9abc_def1u64;
    let mut rnd = |m: u64| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed % m
    };
    let mut script = String::new();
    for _ in 0..400 {
        let key = format!("h{}", rnd(4));
        match rnd(8) {
            0..=3 => {
                script.push_str(&format!("PFADD {key}"));
                let many = rnd(5) == 0;
                let n = 1 + rnd(if many { 400 } else { 8 });
                let base = rnd(5000);
                for i in 0..n {
                    let step = 1 + rnd(3);
                    script.push_str(&format!(" e{}", base + i * step));
                }
            }
            4 => script.push_str(&format!("PFCOUNT {key}")),
            5 => {
                let (a, b) = (rnd(4), rnd(5));
                script.push_str(&format!("PFCOUNT {key} h{a} h{b}"));
            }
            6 => {
                let (a, b) = (rnd(5), rnd(4));
                script.push_str(&format!("PFMERGE {key} h{a} h{b}"));
            }
            _ => script.push_str(&format!("GET {key}")),
        }
        script.push('\n');
    }
    script.push_str("GET h0\nGET h1\nGET h2\nGET h3\nDEBUG DIGEST\n");
    p.check(&script);
}
