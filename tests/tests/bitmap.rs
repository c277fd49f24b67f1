//! Bitmap commands, differential against redis-server 7.0: every command, option and
//! error case, the growth and encoding of the strings they write, a seeded random
//! BITFIELD sequence with every overflow mode, and DEBUG DIGEST equality.

use rhodium_it::diff::{self, Pair};

#[test]
fn setbit_getbit_and_errors() {
    diff::check(
        r#"
        SETBIT b 7 1
        GET b
        SETBIT b 7 1
        SETBIT b 7 0
        SETBIT b 100 1
        STRLEN b
        GET b
        OBJECT ENCODING b
        GETBIT b 7
        GETBIT b 100
        GETBIT b 101
        GETBIT b 100000
        GETBIT nokey 5
        SETBIT b -1 1
        SETBIT b x 1
        SETBIT b 1.5 1
        SETBIT b 0 2
        SETBIT b 0 -1
        SETBIT b 0 x
        SETBIT b 0 ""
        SETBIT b 4294967296 1
        SETBIT b 99999999999999999999 1
        GETBIT b -1
        GETBIT b #1
        SETBIT b #1 1
        GETBIT b 007
        GETBIT b +7
        GETBIT b 4294967296
        GETBIT b x
        SETBIT b " 1" 1
        SET i 123
        GETBIT i 2
        GETBIT i 3
        SETBIT i 0 0
        OBJECT ENCODING i
        GET i
        SET e abc
        SETBIT e 1 1
        OBJECT ENCODING e
        SETBIT e 30 1
        GET e
        LPUSH l a
        SETBIT l 0 1
        GETBIT l 0
        SETBIT
        GETBIT b
        SETBIT b 1
        SET t v EX 100
        SETBIT t 0 1
        TTL t
        CONFIG SET proto-max-bulk-len 1mb
        SETBIT big 8388607 1
        SETBIT big 8388608 1
        GETBIT big 8388608
        STRLEN big
        CONFIG SET proto-max-bulk-len 512mb
        "#,
    );
}

#[test]
fn bitcount_ranges_and_units() {
    diff::check(
        r#"
        SET s foobar
        BITCOUNT s
        BITCOUNT s 0 0
        BITCOUNT s 1 1
        BITCOUNT s 1 1 BYTE
        BITCOUNT s 5 30 BIT
        BITCOUNT s 5 30 bit
        BITCOUNT s 0 -1
        BITCOUNT s -3 -1
        BITCOUNT s -1 -3
        BITCOUNT s -100 100
        BITCOUNT s 100 200
        BITCOUNT s -1 -1 BIT
        BITCOUNT s -8 -1 BIT
        BITCOUNT s -100 -50 BIT
        BITCOUNT s 0 1000 BIT
        BITCOUNT s 3 2 BIT
        BITCOUNT s 0
        BITCOUNT s 0 1 BIT x
        BITCOUNT s 0 1 FOO
        BITCOUNT s x 1
        BITCOUNT s 0 x
        BITCOUNT s x 1 FOO
        BITCOUNT s 0 x FOO
        BITCOUNT s 9223372036854775807 -9223372036854775808
        BITCOUNT s -9223372036854775808 9223372036854775807 BIT
        BITCOUNT nokey
        BITCOUNT nokey 0 -1
        BITCOUNT nokey 0 -1 BIT
        BITCOUNT nokey x y
        BITCOUNT nokey 0
        BITCOUNT nokey 0 1 FOO
        SET n 12345
        BITCOUNT n
        BITCOUNT n 1 2 BIT
        SET empty ""
        BITCOUNT empty
        BITCOUNT empty 0 -1
        BITCOUNT empty 0 -1 BIT
        LPUSH l a
        BITCOUNT l
        BITCOUNT l 0 1
        BITCOUNT l x 1
        "#,
    );
}

#[test]
fn bitpos_ranges_and_end_semantics() {
    diff::check(
        r#"
        SET s "\xff\xf0\x00"
        BITPOS s 0
        BITPOS s 1
        BITPOS s 0 1
        BITPOS s 1 2
        BITPOS s 1 2 -1
        BITPOS s 0 0 0
        BITPOS s 0 -1
        BITPOS s 1 -1
        SET ones "\xff\xff\xff"
        BITPOS ones 0
        BITPOS ones 0 0
        BITPOS ones 0 0 -1
        BITPOS ones 0 0 -1 BIT
        BITPOS ones 0 1 2 BYTE
        BITPOS ones 1
        BITPOS ones 1 1 1
        SET zeros "\x00\x00\x00"
        BITPOS zeros 1
        BITPOS zeros 0
        BITPOS zeros 1 0 -1
        BITPOS zeros 1 0 -1 BIT
        BITPOS zeros 0 5 5 BIT
        SET m "\x00\xff\xf0"
        BITPOS m 1 7 15 BIT
        BITPOS m 1 7 7 BIT
        BITPOS m 1 9 9 BIT
        BITPOS m 0 8 11 BIT
        BITPOS m 0 8 19 BIT
        BITPOS m 0 8 20 BIT
        BITPOS m 0 3 20 BIT
        BITPOS m 0 9 -1 BIT
        BITPOS m 1 -10 -1 BIT
        BITPOS m 1 -1 -10 BIT
        BITPOS m 0 -100 -1 BIT
        BITPOS m 1 20 100 BIT
        BITPOS m 0 1 2 bit
        BITPOS m 1 2 2 BYTE
        BITPOS m 0 2 2 BYTE
        BITPOS m 0 2
        BITPOS m 1 100
        BITPOS m 0 100
        BITPOS m 0 -100
        BITPOS m 2
        BITPOS m -1
        BITPOS m x
        BITPOS m 1 x
        BITPOS m 1 0 x
        BITPOS m 1 0 1 FOO
        BITPOS m 2 0 1 FOO
        BITPOS m 1 x 1 FOO
        BITPOS m 1 0 1 BIT extra
        BITPOS nokey 0
        BITPOS nokey 1
        BITPOS nokey 0 5 10
        BITPOS nokey 1 0 -1 BIT
        BITPOS nokey 3
        BITPOS nokey 1 x FOO
        BITPOS nokey 0 1 2 FOO
        SET n 1
        BITPOS n 1
        BITPOS n 0
        SET empty ""
        BITPOS empty 0
        BITPOS empty 1
        BITPOS empty 0 0 -1
        LPUSH l a
        BITPOS l 1
        BITPOS l 1 x
        BITPOS
        BITPOS m
        "#,
    );
}

#[test]
fn bitop_all_operations() {
    diff::check(
        r#"
        SET a "\xff\x0f\xaa"
        SET b "\x0f"
        SET c abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMN
        SET d zyxwvutsrqponmlkjihgfedcba9876543210NMLKJIHGFEDCBA
        BITOP AND dest a b
        GET dest
        OBJECT ENCODING dest
        BITOP OR dest a b
        GET dest
        BITOP XOR dest a b
        GET dest
        BITOP NOT dest a
        GET dest
        BITOP and dest c d a
        GET dest
        BITOP or dest c d
        GET dest
        BITOP xor dest c d b
        GET dest
        BITOP not dest c
        GET dest
        BITOP AND dest a nokey
        GET dest
        BITOP OR dest nokey a
        GET dest
        BITOP AND dest nokey nokey2
        EXISTS dest
        BITOP AND dest nokey
        SET dest x EX 100
        BITOP OR dest a
        TTL dest
        BITOP NOT dest a b
        BITOP NOT dest
        BITOP FOO dest a
        BITOP NOTT dest a
        SET n 123
        BITOP OR dest n
        GET dest
        LPUSH l x
        BITOP OR dest a l
        BITOP OR dest nokey l
        BITOP OR l a
        TYPE l
        SET empty ""
        BITOP OR dest empty
        EXISTS dest
        BITOP AND dest a
        GET dest
        "#,
    );
}

#[test]
fn bitfield_commands_and_errors() {
    diff::check(
        r#"
        BITFIELD bf SET i8 0 100
        BITFIELD bf GET i8 0 GET u8 0 GET i4 0 GET u4 4
        GET bf
        OBJECT ENCODING bf
        BITFIELD bf INCRBY i8 0 100
        BITFIELD bf OVERFLOW SAT INCRBY i8 0 100
        BITFIELD bf OVERFLOW FAIL INCRBY i8 0 100
        BITFIELD bf OVERFLOW WRAP INCRBY u8 0 200 OVERFLOW SAT INCRBY u8 0 200 OVERFLOW FAIL INCRBY u8 0 200
        BITFIELD bf SET u8 #1 255 GET u8 #1 SET u4 #5 9 GET u16 8
        BITFIELD bf INCRBY u2 100 1 OVERFLOW SAT INCRBY u2 102 1
        BITFIELD bf OVERFLOW fail SET i2 0 5 SET u2 0 5 SET u2 0 3
        BITFIELD bf OVERFLOW sat SET i2 0 5 SET i2 0 -5 SET u2 0 -1
        BITFIELD bf OVERFLOW wrap SET i2 0 5 SET i2 0 -5 SET u2 0 -1
        BITFIELD bf SET i64 0 -1 GET u63 0 GET i64 0 GET i63 1
        BITFIELD bf OVERFLOW WRAP INCRBY i64 0 -9223372036854775808
        BITFIELD bf OVERFLOW SAT INCRBY i64 0 -9223372036854775808
        BITFIELD bf SET i64 0 9223372036854775807 INCRBY i64 0 1
        BITFIELD bf OVERFLOW SAT SET i64 0 9223372036854775807 INCRBY i64 0 1
        BITFIELD bf SET u63 0 9223372036854775807 INCRBY u63 0 1 OVERFLOW SAT INCRBY u63 0 5
        BITFIELD bf GET i8 1000 GET u1 7
        STRLEN bf
        BITFIELD bf GET u64 0
        BITFIELD bf GET i65 0
        BITFIELD bf GET i0 0
        BITFIELD bf GET x8 0
        BITFIELD bf GET I8 0
        BITFIELD bf GET "" 0
        BITFIELD bf GET i 0
        BITFIELD bf GET "i8\x00x" 0
        BITFIELD bf GET "u\x008" 0
        BITFIELD bf GET i08 0
        BITFIELD bf GET i+8 0
        BITFIELD bf GET u8 #0 GET u8 '#'
        BITFIELD bf GET i8 -1
        BITFIELD bf GET i8 x
        BITFIELD bf GET i8 #-1
        BITFIELD bf GET i8 #x
        BITFIELD bf GET i8 ##1
        BITFIELD bf SET i8 0 x
        BITFIELD bf INCRBY i8 0 1.5
        BITFIELD bf SET i8 0
        BITFIELD bf GET i8
        BITFIELD bf OVERFLOW
        BITFIELD bf OVERFLOW FOO GET i8 0
        BITFIELD bf FOO i8 0
        BITFIELD bf GET i8 0 SET
        BITFIELD bf GET i8 4294967295
        BITFIELD bf GET i8 4294967296
        BITFIELD bf GET i8 #536870911
        BITFIELD bf GET i8 #536870912
        BITFIELD bf GET i64 #67108864
        BITFIELD bf GET i64 #200000000000000000
        BITFIELD bf
        BITFIELD nokey GET i8 0
        EXISTS nokey
        BITFIELD nokey OVERFLOW FAIL INCRBY u2 0 9
        EXISTS nokey
        GET nokey
        BITFIELD_RO bf GET i8 0 GET u4 #3
        BITFIELD_RO bf
        BITFIELD_RO bf GET i8 0 SET i8 0 1
        BITFIELD_RO bf INCRBY i8 0 1
        BITFIELD_RO bf OVERFLOW SAT
        BITFIELD_RO bf OVERFLOW FOO
        BITFIELD_RO nokey2 GET u8 0
        BITFIELD_RO bf GET u64 0
        SET n 42
        BITFIELD n GET u8 0 GET u16 0
        OBJECT ENCODING n
        BITFIELD n SET u8 0 52
        GET n
        OBJECT ENCODING n
        SET e abc
        BITFIELD e GET u8 8
        OBJECT ENCODING e
        LPUSH l x
        BITFIELD l GET u8 0
        BITFIELD l SET u8 0 1
        BITFIELD_RO l GET u8 0
        BITFIELD l OVERFLOW FOO
        BITFIELD
        BITFIELD_RO
        "#,
    );
}

/// A small xorshift generator so the random sequences are the same on every run.
struct Rng(u64);

impl Rng {
    fn below(&mut self, m: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % m
    }

    fn signed(&mut self) -> i64 {
        match self.below(4) {
            0 => self.below(20) as i64 - 10,
            1 => (self.below(1 << 20) as i64) - (1 << 19),
            2 => [i64::MIN, i64::MAX, i64::MIN + 1, i64::MAX - 1, 0, -1][self.below(6) as usize],
            _ => (self.below(u64::MAX) as i64).wrapping_mul(7),
        }
    }
}

/// Seeded random BITFIELD requests (every type width, all overflow modes, `#N` offsets,
/// GETs past the end) and bit commands on a few keys, reply by reply, then the bytes and
/// DEBUG DIGEST.
#[test]
fn random_bitfield_sequence_against_redis() {
    let Some(p) = Pair::start(&[]) else { return };
    let mut r = Rng(0x9e37_79b9_7f4a_7c15);
    let mut script = String::new();
    for _ in 0..600 {
        let key = format!("k{}", r.below(3));
        let line = match r.below(10) {
            0 => format!("SETBIT {key} {} {}", r.below(300), r.below(2)),
            1 => format!("BITCOUNT {key} {} {} {}", r.signed() % 50, r.signed() % 50, ["BIT", "BYTE"][r.below(2) as usize]),
            2 => format!("BITPOS {key} {} {} {} {}", r.below(2), r.signed() % 60, r.signed() % 60, ["BIT", "BYTE"][r.below(2) as usize]),
            3 => format!("BITOP {} {key} k0 k1 k2", ["AND", "OR", "XOR"][r.below(3) as usize]),
            _ => {
                let mut line = format!("BITFIELD {key}");
                for _ in 0..=r.below(4) {
                    if r.below(4) == 0 {
                        line.push_str([" OVERFLOW WRAP", " OVERFLOW SAT", " OVERFLOW FAIL"][r.below(3) as usize]);
                    }
                    let signed = r.below(2) == 0;
                    let bits = 1 + r.below(if signed { 64 } else { 63 });
                    let ty = format!("{}{bits}", if signed { 'i' } else { 'u' });
                    let off = if r.below(3) == 0 { format!("#{}", r.below(8)) } else { r.below(200).to_string() };
                    match r.below(3) {
                        0 => line.push_str(&format!(" GET {ty} {off}")),
                        1 => line.push_str(&format!(" SET {ty} {off} {}", r.signed())),
                        _ => line.push_str(&format!(" INCRBY {ty} {off} {}", r.signed())),
                    }
                }
                line
            }
        };
        script.push_str(&line);
        script.push('\n');
    }
    script.push_str("GET k0\nGET k1\nGET k2\nDEBUG DIGEST\nDEBUG DIGEST-VALUE k0 k1 k2\n");
    p.check(&script);
}
