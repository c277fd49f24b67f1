//! List commands, differential against redis-server 7.0: every command, option and error
//! case in RESP2 and RESP3, encodings, digests, what writes propagate (through a replica),
//! and a seeded random model test.

use rhodium_it::diff::{self, Pair};

/// Runs `script` on RESP3 connections to both servers, comparing replies byte for byte.
fn check_resp3(p: &Pair, script: &str) {
    let mut a = p.ours.raw();
    let mut b = p.theirs.raw();
    // HELLO's reply names the server and client id, which differ: only later replies compare.
    a.cmd(&["HELLO", "3"]).expect("HELLO 3");
    b.cmd(&["HELLO", "3"]).expect("HELLO 3");
    for line in script.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')) {
        let argv = diff::split(line);
        let ra = a.cmd_bytes(&argv).expect("rhodium reply");
        let rb = b.cmd_bytes(&argv).expect("redis reply");
        assert_eq!(String::from_utf8_lossy(&ra), String::from_utf8_lossy(&rb), "RESP3 reply differs for `{line}`");
    }
}

const PUSH_POP: &str = r#"
    LPUSH l a b c
    RPUSH l d e
    LRANGE l 0 -1
    LPUSHX l x
    RPUSHX l y z
    LPUSHX nokey x
    RPUSHX nokey x
    EXISTS nokey
    LLEN l
    LLEN nokey
    LPOP l
    RPOP l
    LPOP l 2
    RPOP l 2
    LPOP l 0
    RPOP l 0
    LPOP l 100
    EXISTS l
    LPOP l
    RPOP l
    LPOP l 0
    LPOP l 3
    RPOP l 3
    RPUSH l 1 2 3
    LPOP l -1
    RPOP l -5
    LPOP l abc
    LPOP l 1.5
    LPOP l 9223372036854775808
    LPOP l 1 2
    RPOP l 1 2
    LPOP
    RPUSH
    RPUSH l
    LPUSHX l
    LPOP l 9223372036854775807
    EXISTS l
    RPUSH n 1 -2 0123 12345678901234567890 "" "with space"
    LRANGE n 0 -1
    TYPE n
    OBJECT ENCODING n
"#;

#[test]
fn push_pop_len() {
    let Some(p) = Pair::start(&[]) else { return };
    p.check(PUSH_POP);
    check_resp3(&p, &format!("FLUSHALL\n{PUSH_POP}"));
}

const INDEX_SET_RANGE: &str = r#"
    RPUSH l a b c d e f
    LINDEX l 0
    LINDEX l -1
    LINDEX l 5
    LINDEX l 6
    LINDEX l -6
    LINDEX l -7
    LINDEX l -9223372036854775808
    LINDEX l 9223372036854775807
    LINDEX l abc
    LINDEX nokey abc
    LINDEX nokey 0
    LSET l 0 A
    LSET l -1 F
    LSET l 6 x
    LSET l -7 x
    LSET l abc x
    LSET nokey 0 x
    LSET nokey abc x
    LRANGE l 0 -1
    LRANGE l 1 2
    LRANGE l -2 -1
    LRANGE l -100 100
    LRANGE l 3 2
    LRANGE l 6 10
    LRANGE l -9223372036854775808 9223372036854775807
    LRANGE l 0 abc
    LRANGE nokey 0 -1
    LRANGE nokey x 1
    LINSERT l BEFORE c C1
    LINSERT l after c C2
    LINSERT l AFTER F last
    LINSERT l before A first
    LINSERT l BEFORE nosuch x
    LINSERT l MIDDLE c x
    LINSERT nokey BEFORE a x
    LINSERT nokey MIDDLE a x
    LRANGE l 0 -1
    EXISTS nokey
"#;

#[test]
fn index_set_range_insert() {
    let Some(p) = Pair::start(&[]) else { return };
    p.check(INDEX_SET_RANGE);
    check_resp3(&p, &format!("FLUSHALL\n{INDEX_SET_RANGE}"));
}

#[test]
fn trim_and_rem() {
    diff::check(
        r#"
        RPUSH l a b c d e f
        LTRIM l 1 -2
        LRANGE l 0 -1
        LTRIM l 0 100
        LTRIM l -100 1
        LRANGE l 0 -1
        LTRIM l abc 1
        LTRIM l 0 x
        LTRIM nokey 0 1
        LTRIM l 5 10
        EXISTS l
        RPUSH l a b c
        LTRIM l 2 1
        EXISTS l
        RPUSH r a b a c a b a
        LREM r 2 a
        LRANGE r 0 -1
        LREM r -1 a
        LRANGE r 0 -1
        LREM r 0 b
        LRANGE r 0 -1
        LREM r 0 zz
        LREM r x a
        LREM nokey 0 a
        LREM r 0 a
        LREM r 0 c
        EXISTS r
        "#,
    );
}

const LPOS: &str = r#"
    RPUSH l a b c a b c a
    LPOS l a
    LPOS l c
    LPOS l zz
    LPOS l a RANK 2
    LPOS l a RANK -1
    LPOS l a RANK -3
    LPOS l a RANK 4
    LPOS l a RANK -4
    LPOS l a COUNT 0
    LPOS l a COUNT 2
    LPOS l a COUNT 2 RANK 2
    LPOS l a COUNT 0 RANK -1
    LPOS l a COUNT 10 RANK -2
    LPOS l zz COUNT 2
    LPOS l a MAXLEN 1
    LPOS l b MAXLEN 1
    LPOS l a COUNT 0 MAXLEN 4
    LPOS l a RANK -1 MAXLEN 1 COUNT 0
    LPOS l c RANK -1 MAXLEN 1
    LPOS l a RANK 0
    LPOS l a RANK abc
    LPOS l a RANK -9223372036854775808
    LPOS l a RANK -9223372036854775808 COUNT 1
    LPOS l a RANK -9223372036854775808 COUNT 2 MAXLEN 4
    LPOS l b RANK -9223372036854775808 COUNT 0
    LPOS l a RANK 9223372036854775807
    LPOS l a RANK -9223372036854775807
    LPOS l a COUNT -1
    LPOS l a COUNT abc
    LPOS l a MAXLEN -1
    LPOS l a MAXLEN abc
    LPOS l a RANK
    LPOS l a COUNT
    LPOS l a FOO 1
    LPOS l a rank 1 count 1 maxlen 0
    LPOS nokey a
    LPOS nokey a COUNT 1
    LPOS nokey a RANK 0
    LPOS l
"#;

#[test]
fn lpos_options_and_errors() {
    let Some(p) = Pair::start(&[]) else { return };
    p.check(LPOS);
    check_resp3(&p, &format!("FLUSHALL\n{LPOS}"));
}

const MOVE: &str = r#"
    RPUSH s a b c
    LMOVE s d LEFT RIGHT
    LMOVE s d RIGHT LEFT
    LMOVE s d left left
    LMOVE s d right right
    LRANGE d 0 -1
    EXISTS s
    LMOVE s d LEFT RIGHT
    LMOVE d d LEFT RIGHT
    LRANGE d 0 -1
    LMOVE d d RIGHT LEFT
    LRANGE d 0 -1
    RPOPLPUSH d d
    LRANGE d 0 -1
    RPOPLPUSH d e
    RPOPLPUSH nokey e
    LMOVE d e UP LEFT
    LMOVE d e LEFT DOWN
    LMOVE nokey e UP LEFT
    RPUSH one x
    LMOVE one one LEFT LEFT
    LRANGE one 0 -1
    SET str v
    LMOVE d str LEFT LEFT
    RPOPLPUSH d str
    LRANGE d 0 -1
    LMOVE str d LEFT LEFT
    RPOPLPUSH str d
    LMOVE nokey str LEFT LEFT
    RPOPLPUSH
    LMOVE a b LEFT
"#;

#[test]
fn lmove_and_rpoplpush() {
    let Some(p) = Pair::start(&[]) else { return };
    p.check(MOVE);
    check_resp3(&p, &format!("FLUSHALL\n{MOVE}"));
}

const LMPOP: &str = r#"
    RPUSH a 1 2 3
    RPUSH b 4 5 6 7
    LMPOP 2 nokey a LEFT
    LMPOP 2 nokey a RIGHT COUNT 10
    EXISTS a
    LMPOP 3 nokey a b RIGHT COUNT 2
    LMPOP 1 b left count 1
    LMPOP 2 nokey a LEFT
    LMPOP 1 nokey LEFT COUNT 1
    LMPOP 0 a LEFT
    LMPOP -1 a LEFT
    LMPOP abc a LEFT
    LMPOP 3 a b LEFT
    LMPOP 2 a b
    LMPOP 1 a MIDDLE
    LMPOP 1 a LEFT COUNT
    LMPOP 1 a LEFT COUNT 0
    LMPOP 1 a LEFT COUNT -1
    LMPOP 1 a LEFT COUNT abc
    LMPOP 1 a LEFT COUNT 1 COUNT 1
    LMPOP 1 a LEFT FOO
    LMPOP 9223372036854775807 a LEFT
    LMPOP 9223372036854775808 a LEFT
    SET str v
    LMPOP 2 str b LEFT
    LMPOP 2 b str LEFT
    LMPOP 2 nokey str LEFT
    LMPOP 1 a
    LMPOP 1
"#;

#[test]
fn lmpop_options_and_errors() {
    let Some(p) = Pair::start(&[]) else { return };
    p.check(LMPOP);
    check_resp3(&p, &format!("FLUSHALL\n{LMPOP}"));
}

#[test]
fn wrongtype_everywhere() {
    diff::check(
        r#"
        SET s v
        LPUSH s a
        RPUSH s a
        LPUSHX s a
        RPUSHX s a
        LPOP s
        RPOP s 2
        RPOP s 0
        RPOP s -1
        LLEN s
        LINDEX s 0
        LINDEX s abc
        LSET s 0 x
        LSET s abc x
        LINSERT s BEFORE a b
        LINSERT s MIDDLE a b
        LRANGE s 0 1
        LRANGE s a 1
        LTRIM s 0 1
        LREM s 0 a
        LPOS s a
        LPOS s a RANK 0
        LMOVE s d LEFT LEFT
        RPOPLPUSH s d
        LMPOP 1 s LEFT
        RPUSH l a
        GET l
        APPEND l x
        INCR l
        GET s
        "#,
    );
}

#[test]
fn keyspace_commands_on_lists() {
    diff::check(
        r#"
        RPUSH l a b 1 2
        TYPE l
        OBJECT ENCODING l
        SCAN 0 TYPE list
        SCAN 0 TYPE string
        COPY l l2
        LRANGE l2 0 -1
        OBJECT ENCODING l2
        RPUSH l2 x
        LRANGE l 0 -1
        RENAME l2 l3
        LRANGE l3 0 -1
        MOVE l3 1
        SELECT 1
        LRANGE l3 0 -1
        TYPE l3
        SELECT 0
        EXPIRE l 100
        RPUSH l z
        TTL l
        DEBUG DIGEST-VALUE l
        LPUSH big aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
        OBJECT ENCODING big
        DEBUG DIGEST-VALUE big
        DEBUG DIGEST
        DEL l big
        DEBUG DIGEST
        "#,
    );
}

/// A small seeded generator (xorshift), so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: u64) -> i64 {
        (self.next() % n) as i64
    }
}

/// Random list operations on a few keys with a small alphabet, compared reply by reply,
/// then the dataset digests compared.
#[test]
fn random_operations_match_redis() {
    let Some(p) = Pair::start(&[]) else { return };
    let mut rng = Rng(0x5eed_1157);
    let mut script = String::new();
    let keys = ["k1", "k2", "k3"];
    let elems = ["a", "b", "c", "1", "22", "-3", "long-element-that-does-not-fit-inline"];
    for _ in 0..1500 {
        let k = keys[rng.below(3) as usize];
        let k2 = keys[rng.below(3) as usize];
        let e = elems[rng.below(elems.len() as u64) as usize];
        let e2 = elems[rng.below(elems.len() as u64) as usize];
        let i = rng.below(14) - 7;
        let j = rng.below(14) - 7;
        let side = |r: &mut Rng| if r.below(2) == 0 { "LEFT" } else { "RIGHT" };
        let line = match rng.below(17) {
            0 => format!("LPUSH {k} {e} {e2}"),
            1 => format!("RPUSH {k} {e}"),
            2 => format!("LPUSHX {k} {e}"),
            3 => format!("RPOP {k} {}", rng.below(4)),
            4 => format!("LPOP {k}"),
            5 => format!("LINDEX {k} {i}"),
            6 => format!("LSET {k} {i} {e}"),
            7 => format!("LINSERT {k} {} {e} {e2}", if rng.below(2) == 0 { "BEFORE" } else { "AFTER" }),
            8 => format!("LRANGE {k} {i} {j}"),
            9 => format!("LTRIM {k} {i} {j}"),
            10 => format!("LREM {k} {i} {e}"),
            11 => format!("LPOS {k} {e} RANK {} COUNT {} MAXLEN {}", if i == 0 { 1 } else { i }, rng.below(3), rng.below(5)),
            12 => format!("LMOVE {k} {k2} {} {}", side(&mut rng), side(&mut rng)),
            13 => format!("RPOPLPUSH {k} {k2}"),
            14 => format!("LMPOP 2 {k} {k2} {} COUNT {}", side(&mut rng), rng.below(3) + 1),
            15 => format!("RPUSH {k} {e} {e2} {e}"),
            _ => format!("LLEN {k}"),
        };
        script.push_str(&line);
        script.push('\n');
    }
    script.push_str("DEBUG DIGEST\nDEBUG DIGEST-VALUE k1 k2 k3\n");
    for k in keys {
        script.push_str(&format!("LRANGE {k} 0 -1\n"));
    }
    p.check(&script);
}

#[test]
fn getkeys_of_list_commands() {
    let mut script = String::new();
    for req in [
        "LPUSH k a b",
        "RPUSHX k a",
        "LPOP k 2",
        "LLEN k",
        "LINDEX k 0",
        "LSET k 0 v",
        "LINSERT k BEFORE a b",
        "LRANGE k 0 1",
        "LTRIM k 0 1",
        "LREM k 0 a",
        "LPOS k a RANK 1",
        "LMOVE a b LEFT RIGHT",
        "RPOPLPUSH a b",
        "LMPOP 2 a b LEFT COUNT 2",
        "LMPOP 1 a RIGHT",
    ] {
        script.push_str(&format!("COMMAND GETKEYS {req}\nCOMMAND GETKEYSANDFLAGS {req}\n"));
    }
    diff::check(&script);
}
