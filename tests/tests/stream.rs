//! Stream commands, differential against redis-server 7.0: every command, option and error
//! case, consumer-group lifecycles, XINFO (with times masked), approximate trimming on
//! the same node boundaries, and DEBUG DIGEST after seeded random operations.

use rhodium_it::diff::{self, split, Pair};
use rhodium_it::TestServer;

/// Replaces every integer reply of 12 or more digits (Unix milliseconds) by `:T`, and
/// every integer of a line marked `?` by `:N`, so replies with times can be compared.
fn mask(reply: &[u8], all_ints: bool) -> String {
    let text = String::from_utf8_lossy(reply).into_owned();
    text.split("\r\n")
        .map(|l| {
            if let Some(n) = l.strip_prefix(':') {
                if all_ints || n.trim_start_matches('-').len() >= 12 {
                    return ":N".to_string();
                }
            }
            l.to_string()
        })
        .collect::<Vec<_>>()
        .join("\r\n")
}

/// Like [`Pair::check`], with two line prefixes: `~` masks Unix times in the reply,
/// `?` masks every integer (idle times).
fn check_masked(p: &Pair, script: &str) {
    let mut a = p.ours.raw();
    let mut b = p.theirs.raw();
    for line in script.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')) {
        let (mode, cmd) = match line.as_bytes()[0] {
            b'~' => (1, &line[1..]),
            b'?' => (2, &line[1..]),
            _ => (0, line),
        };
        let argv = split(cmd);
        let ra = a.cmd_bytes(&argv).unwrap_or_else(|e| panic!("rhodium failed on `{line}`: {e}\nlog:\n{}", p.ours.log()));
        let rb = b.cmd_bytes(&argv).unwrap_or_else(|e| panic!("redis failed on `{line}`: {e}"));
        let (ma, mb) = if mode == 0 {
            (String::from_utf8_lossy(&ra).into_owned(), String::from_utf8_lossy(&rb).into_owned())
        } else {
            (mask(&ra, mode == 2), mask(&rb, mode == 2))
        };
        if ma != mb {
            // Show where the replies part, which matters for long XINFO replies.
            let at = ma.bytes().zip(mb.bytes()).take_while(|(x, y)| x == y).count();
            let from = at.saturating_sub(200);
            panic!(
                "reply differs for `{line}` at byte {at}\nrhodium: ...{:?}\nredis:   ...{:?}",
                &ma[from..(at + 200).min(ma.len())],
                &mb[from..(at + 200).min(mb.len())]
            );
        }
    }
}

fn masked(script: &str) {
    if let Some(p) = Pair::start(&[]) {
        check_masked(&p, script);
    }
}

#[test]
fn xadd_ids_and_errors() {
    diff::check(
        r#"
        XADD s 1-1 a 1
        XADD s 1-1 a 1
        XADD s 1-0 a 1
        XADD s 1-2 a 1 b 2
        XADD s 1-* c 3
        XADD s 2-* c 3
        XADD s 2-* c 3
        XADD s 5 f v
        XADD s 0-0 a 1
        XADD s 0-* a 1
        XADD s 0 a 1
        XADD new 0-0 a 1
        EXISTS new
        XADD new 0-* a 1
        XADD new 0-* a 1
        XADD s abc a 1
        XADD s 1-a a 1
        XADD s - a 1
        XADD s + a 1
        XADD s -1 a 1
        XADD s 1- a 1
        XADD s 10-1-1 a 1
        XADD s 18446744073709551616-0 a 1
        XADD s 18446744073709551615-18446744073709551615 a 1
        XADD s * a 1
        XADD s 18446744073709551615-* a 1
        XADD s2 18446744073709551615-18446744073709551614 a 1
        XADD s2 18446744073709551615-* a 1
        XADD s2 18446744073709551615-* a 1
        XADD s 100 a
        XADD s 100 a 1 b
        XADD s 100
        XADD s
        XADD s NOMKSTREAM
        XADD s MAXLEN
        XADD nokey NOMKSTREAM 1-1 a 1
        EXISTS nokey
        XADD s NOMKSTREAM 1000-1 a 1
        XADD s nomkstream maxlen 3 2000-1 a 1
        XLEN s
        XADD s MAXLEN -1 3000-1 a 1
        XADD s MAXLEN abc 3000-1 a 1
        XADD s MAXLEN 1 MINID 1 3000-1 a 1
        XADD s MINID 1 MAXLEN 1 3000-1 a 1
        XADD s LIMIT 10 3000-1 a 1
        XADD s MAXLEN 2 LIMIT 10 3000-1 a 1
        XADD s MAXLEN = 2 LIMIT 10 3000-1 a 1
        XADD s MAXLEN ~ 2 LIMIT -1 3000-1 a 1
        XADD s MAXLEN ~ 2 LIMIT abc 3000-1 a 1
        XADD s MINID abc 3000-1 a 1
        XADD s MINID - 3000-1 a 1
        XADD s MAXLEN ~ 2 LIMIT 10 3000-1 a 1
        XLEN s
        XRANGE s - +
        XADD s MAXLEN = 2 3001-1 a 1
        XRANGE s - +
        XADD s MINID 3001-1 3002-1 a 1
        XRANGE s - +
        XADD s MINID = 3002 3003-1 a 1
        XRANGE s - +
        XADD s MAXLEN 0 3004-1 a 1
        XLEN s
        EXISTS s
        XADD s 4000-1 "" ""
        XADD s 4000-2 "a\x00b" "\r\n"
        XRANGE s - +
        SET str v
        XADD str 1-1 a 1
        XADD str NOMKSTREAM 1-1 a 1
        XLEN str
        TYPE s
        OBJECT ENCODING s
        XADD s 4000-3 a 1 a 2
        XRANGE s 4000-3 4000-3
        "#,
    );
}

#[test]
fn ranges_and_counts() {
    diff::check(
        r#"
        XADD s 1-0 a 1
        XADD s 1-1 b 2
        XADD s 2-0 c 3
        XADD s 2-5 d 4
        XADD s 3-0 e 5
        XRANGE s - +
        XREVRANGE s + -
        XRANGE s 1 2
        XRANGE s 1-1 2-0
        XRANGE s (1-0 +
        XRANGE s - (3-0
        XRANGE s (1-1 (2-5
        XRANGE s (1 (3
        XREVRANGE s (3-0 (1-0
        XREVRANGE s 2 1
        XRANGE s - + COUNT 2
        XRANGE s - + COUNT 0
        XRANGE s - + COUNT -1
        XRANGE s - + count 1 COUNT 3
        XREVRANGE s + - COUNT 2
        XRANGE s - + COUNT
        XRANGE s - + COUNT abc
        XRANGE s - + FOO 1
        XRANGE s - + COUNT 1 extra
        XRANGE s 3 1
        XRANGE s abc +
        XRANGE s - abc
        XRANGE s (- +
        XRANGE s - (+
        XRANGE s (18446744073709551615-18446744073709551615 +
        XRANGE s - (0-0
        XRANGE s ( +
        XRANGE s - (
        XRANGE s 0 0
        XRANGE s 2-0 2-0
        XRANGE nokey - +
        XRANGE nokey - + COUNT 0
        XRANGE nokey abc +
        XREVRANGE nokey + -
        XRANGE s -
        XLEN s
        XLEN nokey
        XLEN s extra
        SET str v
        XRANGE str - +
        XRANGE str - + COUNT 0
        XREVRANGE str + -
        XLEN str
        XRANGE s 01 +
        XRANGE s " 1" +
        XRANGE s +1 +
        XRANGE s 1-+1 +
        XRANGE s "1- 1" +
        XRANGE s 1--1 +
        XRANGE s 1--01 +
        "#,
    );
}

#[test]
fn xdel_and_xtrim() {
    diff::check(
        r#"
        XADD s 1-0 a 1
        XADD s 2-0 a 2
        XADD s 3-0 a 3
        XADD s 4-0 a 4
        XADD s 5-0 a 5
        XDEL s 2-0 9-9 2-0
        XDEL s abc
        XDEL s 3-0 abc
        XLEN s
        XDEL s -
        XDEL s 1
        XRANGE s - +
        XDEL nokey abc
        XDEL nokey 1-1
        XTRIM s MAXLEN 2
        XRANGE s - +
        XTRIM s MAXLEN 10
        XTRIM s MINID 5
        XRANGE s - +
        XTRIM s
        XTRIM s FOO
        XTRIM s MAXLEN
        XTRIM s MAXLEN -1
        XTRIM s MAXLEN 1 MINID 1
        XTRIM s LIMIT 5
        XTRIM s MAXLEN 1 LIMIT 5
        XTRIM s MAXLEN ~ 1 LIMIT 5 extra
        XTRIM s MAXLEN ~ 0 LIMIT 5
        XTRIM s MINID ~ 100 LIMIT 0
        XTRIM nokey MAXLEN 1
        XTRIM nokey FOO 1
        XTRIM s MAXLEN = 0
        EXISTS s
        SET str v
        XDEL str 1-1
        XTRIM str MAXLEN 1
        XADD e 1-1 a 1
        XDEL e 1-1
        EXISTS e
        XLEN e
        XRANGE e - +
        XADD e 1-1 a 1
        XADD e 1-2 a 1
        "#,
    );
}

/// Approximate trimming removes whole nodes only; the nodes must split where Redis's
/// listpacks do (entry count and byte size limits).
#[test]
fn approximate_trimming_follows_node_boundaries() {
    let mut script = String::new();
    for i in 1..=350 {
        script.push_str(&format!("XADD s {i}-0 f v{i}\n"));
    }
    script.push_str("XTRIM s MAXLEN ~ 120\nXLEN s\nXRANGE s - + COUNT 1\nXADD s MAXLEN ~ 10 351-0 f v\nXLEN s\n");
    script.push_str("XTRIM s MINID ~ 300\nXLEN s\nXTRIM s MINID ~ 345\nXLEN s\nXTRIM s MAXLEN ~ 0 LIMIT 1\nXLEN s\n");
    // Big values: nodes split on stream-node-max-bytes (4096).
    for i in 1..=60 {
        let v = "x".repeat(150 + i * 7);
        script.push_str(&format!("XADD b {i}-{i} field{} {v} n {i}\n", i % 3));
    }
    script.push_str("XTRIM b MAXLEN ~ 30\nXLEN b\nXRANGE b - + COUNT 1\nXINFO STREAM b\n");
    // Deleted entries still count towards a node's size and entries.
    for i in 1..=250 {
        script.push_str(&format!("XADD d {i}-0 a {i} b 2\n"));
        if i % 3 == 0 {
            script.push_str(&format!("XDEL d {}-0\n", i - 1));
        }
    }
    script.push_str("XINFO STREAM d\nXTRIM d MAXLEN ~ 50\nXLEN d\nXINFO STREAM d\n");
    script.push_str("CONFIG SET stream-node-max-entries 7\n");
    for i in 1..=40 {
        script.push_str(&format!("XADD c {i}-0 a {i}\n"));
    }
    script.push_str("XINFO STREAM c\nXTRIM c MAXLEN ~ 20\nXLEN c\nXTRIM c MINID ~ 33\nXLEN c\nXINFO STREAM c\n");
    diff::check(&script);
}

#[test]
fn xsetid() {
    diff::check(
        r#"
        XSETID nokey 1-1
        XADD s 5-0 a 1
        XSETID s 4-0
        XSETID s 5-0
        XSETID s 10-0
        XINFO STREAM s
        XSETID s 10-0 ENTRIESADDED 0
        XSETID s 10-0 ENTRIESADDED -1
        XSETID s 10-0 ENTRIESADDED abc
        XSETID s 10-0 ENTRIESADDED 7 MAXDELETEDID 3-0
        XSETID s 10-0 MAXDELETEDID 11-0
        XSETID s 10-0 MAXDELETEDID abc
        XSETID s 10-0 FOO
        XSETID s 10-0 ENTRIESADDED
        XSETID s abc
        XSETID s -
        XINFO STREAM s
        XSETID s 2-0
        XADD s 10-0 a 1
        XADD s 10-* a 1
        XDEL s 5-0 10-1
        XSETID s 9-0
        XSETID s 10-0
        XSETID s 11-0 ENTRIESADDED 100 MAXDELETEDID 11-0
        XINFO STREAM s
        SET str v
        XSETID str 1-1
        XADD e 1-1 a 1
        XDEL e 1-1
        XSETID e 0-5
        XSETID e 1-1
        XSETID e 0-0
        XGROUP CREATE e g 0 ENTRIESREAD 9223372036854775807
        XINFO GROUPS e
        XSETID e 5-0 ENTRIESADDED 0
        XINFO GROUPS e
        XINFO STREAM e
        XADD e 6-0 a 1
        XINFO GROUPS e
        XREADGROUP GROUP g c STREAMS e >
        XINFO GROUPS e
        "#,
    );
}

#[test]
fn xread_non_blocking() {
    diff::check(
        r#"
        XREAD STREAMS s 0
        XADD s 1-0 a 1
        XADD s 2-0 b 2
        XADD t 1-5 c 3
        XREAD STREAMS s 0
        XREAD STREAMS s 1
        XREAD STREAMS s 2-0
        XREAD STREAMS s $
        XREAD COUNT 1 STREAMS s t 0 0
        XREAD COUNT 0 STREAMS s t 0 0
        XREAD COUNT -5 STREAMS s t 0 0
        XREAD STREAMS s t nokey 0 0 0
        XREAD STREAMS nokey $
        XREAD STREAMS s t 0
        XREAD STREAMS s >
        XREAD STREAMS s abc
        XREAD STREAMS s -
        XREAD GROUP g c STREAMS s 0
        XREAD NOACK STREAMS s 0
        XREAD COUNT abc STREAMS s 0
        XREAD FOO STREAMS s 0
        XREAD COUNT 1 s 0
        XREAD BLOCK abc STREAMS s 0
        XREAD BLOCK -1 STREAMS s 0
        XREAD BLOCK 0 STREAMS s 0
        XREAD BLOCK 9223372036854775807 STREAMS s 0
        XREAD BLOCK 9223372036854775808 STREAMS s 0
        XREAD BLOCK 1.5 STREAMS s 0
        XREAD STREAMS
        XREAD streams s (0
        XREAD STREAMS s s 0 1-0
        XREAD COUNT 1 STREAMS s s 0 0
        XADD s 3-0 c 3
        XREAD STREAMS s 2-0
        SET str v
        XREAD STREAMS str 0
        XREAD STREAMS s str 0 0
        XDEL s 2-0
        XREAD STREAMS s 1-0
        XREAD STREAMS s 0
        HELLO 3
        XREAD STREAMS s t 0 0
        XREAD STREAMS s 5
        "#,
    );
}

#[test]
fn consumer_groups_lifecycle() {
    masked(
        r#"
        XGROUP CREATE s g 0
        XGROUP CREATE s g 0 MKSTREAM
        XGROUP CREATE s g $ MKSTREAM
        XINFO STREAM s
        XGROUP CREATE s g $
        XGROUP CREATE s g2 0 ENTRIESREAD 5
        XGROUP CREATE s g3 abc
        XGROUP CREATE s g3 - MKSTREAM
        XGROUP CREATE s g3 0 ENTRIESREAD -2
        XGROUP CREATE s g3 0 ENTRIESREAD abc
        XGROUP CREATE s g3 0 FOO
        XGROUP CREATE s g3 0 ENTRIESREAD
        XGROUP CREATE s g3 0 MKSTREAM MKSTREAM ENTRIESREAD 1
        XGROUP CREATE s g3 0 ENTRIESREAD -1
        XINFO GROUPS s
        XADD s 1-0 a 1
        XADD s 2-0 b 2
        XADD s 3-0 c 3
        XINFO GROUPS s
        XGROUP SETID s g 1-0
        XGROUP SETID s g $ ENTRIESREAD 3
        XGROUP SETID s g + 
        XGROUP SETID s g -
        XGROUP SETID s g 0 ENTRIESREAD 0
        XGROUP SETID s g abc
        XGROUP SETID s nog 0
        XGROUP SETID nokey g 0
        XGROUP SETID s g 0 MKSTREAM
        XGROUP SETID s g 0 ENTRIESREAD
        XGROUP SETID s g 0 ENTRIESREAD 1 extra
        XINFO GROUPS s
        XGROUP CREATECONSUMER s g alice
        XGROUP CREATECONSUMER s g alice
        XGROUP CREATECONSUMER s nog alice
        XGROUP CREATECONSUMER nokey g alice
        ?XINFO CONSUMERS s g
        XREADGROUP GROUP g alice COUNT 2 STREAMS s >
        XREADGROUP GROUP g bob STREAMS s >
        XREADGROUP GROUP g bob STREAMS s >
        XREADGROUP GROUP g alice STREAMS s 0
        XREADGROUP GROUP g alice COUNT 1 STREAMS s 0
        XREADGROUP GROUP g alice STREAMS s 1-0
        XREADGROUP GROUP g bob STREAMS s 0
        XREADGROUP GROUP g carol STREAMS s 0
        ?XINFO CONSUMERS s g
        ?XPENDING s g
        ?XPENDING s g - + 10
        ?XPENDING s g - + 10 alice
        ?XPENDING s g - + 10 nobody
        ?XPENDING s g IDLE 0 - + 10
        ?XPENDING s g IDLE 100000000 - + 10
        ?XPENDING s g (1-0 + 10
        ?XPENDING s g - (3-0 1
        XPENDING s g - + 0
        XPENDING s g - + -1
        XPENDING s g - +
        XPENDING s g - + abc
        XPENDING s g IDLE abc - + 10
        XPENDING s g IDLE 10 - +
        XPENDING s g abc + 10
        XPENDING s g - abc 10
        XPENDING s nog
        XPENDING nokey g
        XPENDING s g - + 10 alice x y z
        XACK s g 1-0 1-0 9-0
        XACK s g abc
        XACK s g 2-0 abc
        XACK s nog abc
        XACK nokey g abc
        XPENDING s g
        XGROUP DELCONSUMER s g bob
        XGROUP DELCONSUMER s g bob
        XGROUP DELCONSUMER s nog bob
        XPENDING s g
        XINFO GROUPS s
        XGROUP DESTROY s g
        XGROUP DESTROY s g
        XGROUP DESTROY nokey g
        XGROUP DESTROY s g extra
        XGROUP FOO s g
        XGROUP
        XGROUP HELP
        XGROUP HELP extra
        XGROUP help
        XINFO GROUPS s
        SET str v
        XGROUP CREATE str g 0
        XGROUP CREATE str g 0 MKSTREAM
        XREADGROUP GROUP g c STREAMS str >
        XACK str g 1-0
        XPENDING str g
        XINFO STREAM str
        XINFO GROUPS str
        "#,
    );
}

#[test]
fn xreadgroup_options_and_errors() {
    masked(
        r#"
        XADD s 1-0 a 1
        XADD s 2-0 b 2
        XGROUP CREATE s g 0
        XREADGROUP GROUP g c STREAMS s $
        XREADGROUP STREAMS s >
        XREADGROUP GROUP g c STREAMS s
        XREADGROUP GROUP g c STREAMS s t >
        XREADGROUP GROUP nog c STREAMS s >
        XREADGROUP GROUP g c STREAMS nokey >
        XREADGROUP GROUP g c STREAMS s abc
        XREADGROUP GROUP g c COUNT abc STREAMS s >
        XREADGROUP GROUP g c FOO STREAMS s >
        XREADGROUP GROUP g STREAMS s >
        XREADGROUP GROUP g c NOACK COUNT 1 STREAMS s >
        XPENDING s g
        XREADGROUP GROUP g c STREAMS s 0
        XREADGROUP GROUP g c STREAMS s >
        XREADGROUP GROUP g c STREAMS s >
        XPENDING s g
        XADD s 3-0 c 3
        XADD s 4-0 d 4
        XDEL s 3-0
        XREADGROUP GROUP g c STREAMS s 0
        XINFO GROUPS s
        XREADGROUP GROUP g c2 STREAMS s >
        XINFO GROUPS s
        XREADGROUP GROUP g c2 STREAMS s 0
        XDEL s 4-0
        XREADGROUP GROUP g c2 STREAMS s 0
        ~XINFO STREAM s FULL
        XGROUP CREATE s g2 0
        XGROUP CREATE t g2 0 MKSTREAM
        XADD t 1-0 x 1
        XREADGROUP GROUP g2 c COUNT 1 STREAMS s t > >
        XREADGROUP GROUP g2 c STREAMS s t > >
        XREADGROUP GROUP g2 c STREAMS s t 0 0
        XREADGROUP GROUP g2 d STREAMS s s 0 0
        XGROUP SETID s g2 0
        XREADGROUP GROUP g2 d STREAMS s s > >
        XREADGROUP GROUP g2 d STREAMS s s 0 0
        XADD s 10-0 m 1
        XREADGROUP GROUP g2 d STREAMS s >
        HELLO 3
        XREADGROUP GROUP g2 c STREAMS s t 0 0
        XREADGROUP GROUP g2 c STREAMS s t > >
        "#,
    );
}

#[test]
fn lag_and_entries_read() {
    masked(
        r#"
        XADD s 1-0 a 1
        XADD s 2-0 a 1
        XADD s 3-0 a 1
        XADD s 4-0 a 1
        XADD s 5-0 a 1
        XGROUP CREATE s g 0
        XGROUP CREATE s g2 $
        XGROUP CREATE s g3 3-0
        XGROUP CREATE s g4 0 ENTRIESREAD 2
        XINFO GROUPS s
        XREADGROUP GROUP g c COUNT 1 STREAMS s >
        XINFO GROUPS s
        XDEL s 3-0
        XINFO GROUPS s
        XREADGROUP GROUP g c COUNT 1 STREAMS s >
        XINFO GROUPS s
        XREADGROUP GROUP g c COUNT 1 STREAMS s >
        XINFO GROUPS s
        XREADGROUP GROUP g3 c STREAMS s >
        XREADGROUP GROUP g4 c COUNT 2 STREAMS s >
        XINFO GROUPS s
        XADD s 6-0 a 1
        XINFO GROUPS s
        XTRIM s MAXLEN 2
        XINFO GROUPS s
        XREADGROUP GROUP g c STREAMS s >
        XINFO GROUPS s
        XINFO STREAM s
        XADD e 1-0 a 1
        XDEL e 1-0
        XGROUP CREATE e g 0
        XINFO GROUPS e
        XGROUP CREATE e2 g $ MKSTREAM
        XINFO GROUPS e2
        XINFO STREAM e2
        XGROUP SETID s g 0
        XINFO GROUPS s
        XREADGROUP GROUP g c STREAMS s >
        XINFO GROUPS s
        XADD t 1-0 a 1
        XADD t 2-0 a 1
        XADD t 3-0 a 1
        XTRIM t MAXLEN 2
        XGROUP CREATE t g 0 ENTRIESREAD 0
        XREADGROUP GROUP g c COUNT 1 STREAMS t >
        XINFO GROUPS t
        XGROUP SETID t g 0 ENTRIESREAD 1
        XDEL t 2-0
        XREADGROUP GROUP g c COUNT 1 STREAMS t >
        XINFO GROUPS t
        "#,
    );
}

#[test]
fn xclaim_and_xautoclaim() {
    masked(
        r#"
        XADD s 1-0 a 1
        XADD s 2-0 b 2
        XADD s 3-0 c 3
        XADD s 4-0 d 4
        XGROUP CREATE s g 0
        XREADGROUP GROUP g alice STREAMS s >
        XCLAIM s g bob 0 1-0 2-0 9-0
        ?XPENDING s g - + 10
        XCLAIM s g bob 100000000 3-0
        XCLAIM s g bob 0 3 JUSTID
        ?XPENDING s g - + 10
        XCLAIM s g carol 0 4-0 RETRYCOUNT 7 IDLE 5000
        ?XPENDING s g - + 10
        XCLAIM s g carol 0 1-0 TIME 1000 JUSTID
        XCLAIM s g bob 0 1-0 IDLE 10 RETRYCOUNT -1
        ?XPENDING s g - + 10
        XCLAIM s g bob 0 1-0 FOO
        XCLAIM s g bob 0 1-0 IDLE abc
        XCLAIM s g bob 0 1-0 TIME abc
        XCLAIM s g bob 0 1-0 RETRYCOUNT abc
        XCLAIM s g bob 0 1-0 LASTID abc
        XCLAIM s g bob abc 1-0
        XCLAIM s nog bob abc 1-0
        XCLAIM nokey g bob 0 1-0
        XCLAIM s g bob 0 abc
        XCLAIM s g bob 0 1-0 IDLE
        XCLAIM s g bob -5 1-0 JUSTID
        XACK s g 1-0
        XCLAIM s g bob 0 1-0
        XCLAIM s g bob 0 1-0 FORCE JUSTID
        ?XPENDING s g - + 10
        XCLAIM s g bob 0 9-0 FORCE
        XCLAIM s g dave 0 2-0 LASTID 100-0 JUSTID
        XINFO GROUPS s
        XCLAIM s g dave 0 1-0 LASTID 200-0
        XINFO GROUPS s
        XDEL s 2-0
        XCLAIM s g erin 0 2-0 3-0
        ?XPENDING s g - + 10
        ?XINFO CONSUMERS s g
        XADD s 5-0 e 5
        XADD s 6-0 f 6
        XADD s 7-0 g 7
        XGROUP SETID s g 4-0
        XREADGROUP GROUP g alice STREAMS s >
        XDEL s 6-0
        XAUTOCLAIM s g zed 0 0
        XAUTOCLAIM s g zed 0 0 COUNT 1
        XAUTOCLAIM s g zed 0 0 COUNT 2 JUSTID
        XAUTOCLAIM s g zed 0 (3-0 COUNT 1
        XAUTOCLAIM s g zed 100000000 0
        ?XPENDING s g - + 10
        XAUTOCLAIM s g zed 0 0 COUNT 0
        XAUTOCLAIM s g zed 0 0 COUNT -1
        XAUTOCLAIM s g zed 0 0 COUNT abc
        XAUTOCLAIM s g zed 0 0 COUNT 1152921504606846976
        XAUTOCLAIM s g zed 0 0 FOO
        XAUTOCLAIM s g zed abc 0
        XAUTOCLAIM s g zed 0 abc
        XAUTOCLAIM s g zed 0 (18446744073709551615-18446744073709551615
        XAUTOCLAIM s nog zed 0 0
        XAUTOCLAIM nokey g zed 0 0
        XAUTOCLAIM s g zed -1 - JUSTID
        XADD s2 1-0 a 1
        XADD s2 2-0 a 1
        XGROUP CREATE s2 g 0
        XREADGROUP GROUP g c STREAMS s2 >
        XDEL s2 1-0
        XCLAIM s2 g d 100000 1-0 2-0
        XPENDING s2 g
        ?XINFO CONSUMERS s2 g
        XAUTOCLAIM s2 g e 100000 0
        ?XINFO CONSUMERS s2 g
        XCLAIM s2 g f 0 2-0 FORCE
        ?XINFO CONSUMERS s2 g
        SET str v
        XCLAIM str g c 0 1-0
        XAUTOCLAIM str g c 0 0
        XAUTOCLAIM str g c abc 0
        "#,
    );
}

/// XAUTOCLAIM reports entries deleted from the stream (third element) and drops them from
/// the PEL, counting them against COUNT.
#[test]
fn xautoclaim_with_deleted_entries() {
    let mut script = String::from("XGROUP CREATE s g 0 MKSTREAM\n");
    for i in 1..=30 {
        script.push_str(&format!("XADD s {i}-0 f {i}\n"));
    }
    script.push_str("XREADGROUP GROUP g c STREAMS s >\n");
    for i in (2..=30).step_by(3) {
        script.push_str(&format!("XDEL s {i}-0\n"));
    }
    script.push_str("XAUTOCLAIM s g d 0 0 COUNT 4\nXAUTOCLAIM s g d 0 5-0 COUNT 4 JUSTID\nXAUTOCLAIM s g d 0 0 COUNT 100\nXPENDING s g\n");
    script.push_str("XDEL s 1-0 3-0 4-0\nXAUTOCLAIM s g d 0 0 COUNT 1\nXAUTOCLAIM s g d 0 0 COUNT 2\nXPENDING s g\n");
    diff::check(&script);
}

#[test]
fn xinfo() {
    masked(
        r#"
        XINFO STREAM nokey
        XINFO GROUPS nokey
        XINFO CONSUMERS nokey g
        XINFO HELP
        XINFO help
        XINFO HELP extra
        XINFO FOO s
        XINFO
        XADD s 1-0 a 1 b 2
        XADD s 2-0 a 3 b 4
        XADD s 3-0 c 5
        XINFO STREAM s
        XINFO STREAM s FULL
        XINFO STREAM s FULL COUNT 1
        XINFO STREAM s FULL COUNT 0
        XINFO STREAM s FULL COUNT -3
        XINFO STREAM s FULL COUNT abc
        XINFO STREAM s FOO
        XINFO STREAM s FULL FOO 1
        XINFO STREAM s FULL COUNT
        XINFO STREAM s FULL COUNT 1 extra
        XINFO CONSUMERS s nog
        XINFO CONSUMERS s
        XINFO GROUPS s extra
        XGROUP CREATE s g1 0
        XGROUP CREATE s g0 $
        XREADGROUP GROUP g1 c1 COUNT 2 STREAMS s >
        XREADGROUP GROUP g1 c0 STREAMS s >
        XGROUP CREATECONSUMER s g1 idle
        ~XINFO STREAM s FULL
        ~XINFO STREAM s FULL COUNT 1
        XINFO GROUPS s
        ?XINFO CONSUMERS s g1
        XDEL s 1-0 2-0 3-0
        XINFO STREAM s
        ~XINFO STREAM s FULL
        HELLO 3
        XINFO STREAM s
        ~XINFO STREAM s FULL
        XINFO GROUPS s
        ?XINFO CONSUMERS s g1
        SET str v
        XINFO STREAM str
        XINFO CONSUMERS str g
        "#,
    );
}

#[test]
fn keyspace_integration() {
    diff::check(
        r#"
        XADD s 1-0 a 1
        XGROUP CREATE s g 0
        TYPE s
        OBJECT ENCODING s
        SCAN 0 TYPE stream
        COPY s s2
        XRANGE s2 - +
        XINFO GROUPS s2
        XADD s 2-0 b 2
        XLEN s2
        DEBUG DIGEST-VALUE s s2
        RENAME s2 s3
        XLEN s3
        DEL s3
        EXISTS s3
        GET s
        LPUSH s x
        HSET s f v
        SADD s m
        ZADD s 1 m
        INCR s
        "#,
    );
}

/// A seeded random sequence of stream writes with explicit IDs leaves both servers with
/// the same dataset digest, the same entries and the same XINFO.
#[test]
fn digest_after_random_operations() {
    let Some(p) = Pair::start(&[]) else { return };
    let mut seed: u64 = 0x5eed_1234_abcd;
    let mut rnd = |n: u64| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed % n
    };
    let mut script = String::new();
    let mut next = [1u64; 3];
    for _ in 0..1500 {
        let k = rnd(3) as usize;
        let key = format!("s{k}");
        match rnd(10) {
            0..=5 => {
                next[k] += 1 + rnd(3);
                let nf = 1 + rnd(3);
                let mut fields = String::new();
                for f in 0..nf {
                    let v = if rnd(4) == 0 { "x".repeat(rnd(300) as usize) } else { rnd(1000).to_string() };
                    fields.push_str(&format!(" f{} \"{v}\"", (f + rnd(2)) % 3));
                }
                let trim = match rnd(8) {
                    0 => format!(" MAXLEN ~ {}", rnd(200)),
                    1 => format!(" MAXLEN {}", 50 + rnd(200)),
                    _ => String::new(),
                };
                script.push_str(&format!("XADD {key}{trim} {}-{}{fields}\n", next[k] / 3, next[k] % 3));
            }
            6 => script.push_str(&format!("XDEL {key} {}-{} {}-{}\n", rnd(next[k] / 3 + 1), rnd(3), rnd(next[k] / 3 + 1), rnd(3))),
            7 => script.push_str(&format!("XTRIM {key} MINID ~ {}\n", rnd(next[k] / 3 + 1))),
            8 => script.push_str(&format!("XTRIM {key} MAXLEN {}\n", 100 + rnd(300))),
            _ => script.push_str(&format!("XRANGE {key} {} + COUNT 3\n", rnd(next[k] / 3 + 1))),
        }
    }
    script.push_str("DEBUG DIGEST\nDEBUG DIGEST-VALUE s0 s1 s2\nXINFO STREAM s0\nXINFO STREAM s1\nXINFO STREAM s2\nXRANGE s1 - +\n");
    p.check(&script);
}

/// Radix tree node counts (XINFO's `radix-tree-nodes`) match Redis's rax for many node
/// key layouts, including after nodes were removed.
#[test]
fn radix_tree_nodes() {
    let mut script = String::from("CONFIG SET stream-node-max-entries 2\n");
    let ids = [1u64, 2, 3, 255, 256, 257, 65535, 65536, 1 << 20, (1 << 20) + 1, 1 << 33, u64::MAX / 3];
    for (i, ms) in ids.iter().enumerate() {
        for seq in 0..3 {
            script.push_str(&format!("XADD s {ms}-{seq} a 1\nXINFO STREAM s\n"));
            if i % 4 == 3 && seq == 2 {
                script.push_str(&format!("XDEL s {ms}-0 {ms}-1 {ms}-2\nXINFO STREAM s\n"));
            }
        }
    }
    script.push_str("XTRIM s MAXLEN 9\nXINFO STREAM s\nXTRIM s MAXLEN 3\nXINFO STREAM s\nXTRIM s MAXLEN 0\nXINFO STREAM s\n");
    diff::check(&script);
}

/// `*` IDs come from the clock, never go back, and are refused once the sequence space
/// of the last millisecond is exhausted.
#[test]
fn auto_ids() {
    let s = TestServer::start(&[]);
    let mut c = s.raw();
    let first = c.cmd(&["XADD", "s", "*", "a", "1"]).unwrap().as_str();
    let (ms, seq) = first.split_once('-').unwrap();
    let ms: u64 = ms.parse().unwrap();
    assert_eq!(seq, "0");
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as u64;
    assert!(ms <= now && now - ms < 60_000, "{ms} vs {now}");
    let mut last = (ms, 0u64);
    for _ in 0..50 {
        let id = c.cmd(&["XADD", "s", "*", "a", "1"]).unwrap().as_str();
        let (m, q) = id.split_once('-').unwrap();
        let cur = (m.parse::<u64>().unwrap(), q.parse::<u64>().unwrap());
        assert!(cur > last, "{cur:?} after {last:?}");
        last = cur;
    }
    let future = format!("{}-5", now + 10_000_000);
    c.cmd(&["XADD", "f", &future, "a", "1"]).unwrap();
    let id = c.cmd(&["XADD", "f", "*", "a", "1"]).unwrap().as_str();
    assert_eq!(id, format!("{}-6", now + 10_000_000));
    c.cmd(&["XADD", "x", "5-18446744073709551615", "a", "1"]).unwrap();
    let r = c.cmd(&["XADD", "x", "5-*", "a", "1"]).unwrap();
    assert!(r.is_error() && r.as_str().contains("equal or smaller"), "{}", r.as_str());
    c.cmd(&["XSETID", "x", "18446744073709551615-18446744073709551615"]).unwrap();
    let r = c.cmd(&["XADD", "x", "*", "a", "1"]).unwrap();
    assert!(r.as_str().contains("exhausted"), "{}", r.as_str());
}

/// A seeded random mix of entry and consumer-group operations (explicit IDs, zero idle
/// times) gives the same replies on both servers; replies with times are masked.
#[test]
fn random_groups_against_redis() {
    for seed in [0x0bad_cafe_f00d_u64, 0x1234_5678_9abc, 0xfeed_beef_0001] {
        random_groups(seed, 700);
    }
}

fn random_groups(mut seed: u64, ops: usize) {
    let Some(p) = Pair::start(&[]) else { return };
    let mut rnd = |n: u64| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed % n
    };
    let mut script = String::from("CONFIG SET stream-node-max-entries 5\nCONFIG SET stream-node-max-bytes 1kb\nCONFIG GET stream-node-max-bytes\n");
    let mut next = 1u64;
    for _ in 0..ops {
        let key = format!("k{}", rnd(2));
        let group = format!("g{}", rnd(3));
        let consumer = format!("c{}", rnd(3));
        let id = |r: u64| format!("{}-{}", r / 2, r % 2);
        let line = match rnd(20) {
            0..=5 => {
                next += 1 + rnd(2);
                let v = "v".repeat(rnd(120) as usize);
                format!("XADD {key} {} f{} x{v}", id(next), rnd(2))
            }
            6 => format!("XGROUP CREATE {key} {group} {} MKSTREAM", if rnd(2) == 0 { "$".to_string() } else { id(rnd(next + 1)) }),
            7 => format!("XGROUP SETID {key} {group} {}", id(rnd(next + 1))),
            8..=9 => format!("XREADGROUP GROUP {group} {consumer} COUNT {} {}STREAMS {key} {}", 1 + rnd(4), if rnd(4) == 0 { "NOACK " } else { "" }, if rnd(3) == 0 { "0".to_string() } else { ">".to_string() }),
            10 => format!("XACK {key} {group} {} {}", id(rnd(next + 1)), id(rnd(next + 1))),
            11 => format!("XDEL {key} {}", id(rnd(next + 1))),
            12 => format!("XCLAIM {key} {group} {consumer} 0 {} {}{}", id(rnd(next + 1)), id(rnd(next + 1)), if rnd(2) == 0 { " JUSTID" } else { "" }),
            13 => format!("XAUTOCLAIM {key} {group} {consumer} 0 {} COUNT {}{}", id(rnd(next + 1)), 1 + rnd(3), if rnd(2) == 0 { " JUSTID" } else { "" }),
            14 => format!("XINFO GROUPS {key}"),
            15 => format!("?XPENDING {key} {group} - + 5{}", if rnd(2) == 0 { format!(" {consumer}") } else { String::new() }),
            16 => format!("XTRIM {key} {} {}", if rnd(2) == 0 { "MAXLEN ~" } else { "MAXLEN" }, rnd(30)),
            17 => format!("XGROUP DELCONSUMER {key} {group} {consumer}"),
            18 => format!("~XINFO STREAM {key} FULL COUNT 3"),
            _ => format!("XPENDING {key} {group}"),
        };
        script.push_str(&line);
        script.push('\n');
    }
    script.push_str("DEBUG DIGEST\nXINFO STREAM k0\nXINFO STREAM k1\n~XINFO STREAM k0 FULL COUNT 0\n~XINFO STREAM k1 FULL COUNT 0\n");
    check_masked(&p, &script);
}

/// Stream commands count keyspace hits and misses where Redis does (reads yes, writes no;
/// XREAD looks every key up twice).
#[test]
fn keyspace_hits_and_misses() {
    let Some(p) = Pair::start(&[]) else { return };
    let script = [
        "XADD s 1-0 a 1", "XADD s 2-0 a 1", "XRANGE s - +", "XRANGE nokey - +", "XREVRANGE s + -", "XLEN s", "XLEN nokey",
        "XREAD STREAMS s nokey 0 0", "XREAD STREAMS s 5", "XGROUP CREATE s g 0", "XREADGROUP GROUP g c STREAMS s >",
        "XACK s g 1-0", "XACK nokey g 1-0", "XPENDING s g", "XCLAIM s g c 0 2-0", "XAUTOCLAIM s g c 0 0", "XINFO STREAM s",
        "XINFO GROUPS s", "XINFO CONSUMERS s g", "XINFO STREAM nokey", "XDEL s 1-0", "XTRIM s MAXLEN 5", "XSETID s 9-0",
    ];
    let stats = |srv: &TestServer| {
        let mut c = srv.raw();
        for line in script {
            c.cmd_bytes(&split(line)).unwrap();
        }
        let info = c.cmd(&["INFO", "stats"]).unwrap().as_str();
        info.lines().filter(|l| l.starts_with("keyspace_")).map(str::to_string).collect::<Vec<_>>()
    };
    let ours = stats(&p.ours);
    assert_eq!(ours.len(), 2, "{ours:?}");
    assert_eq!(ours, stats(&p.theirs));
}

/// WRONGTYPE for the group subcommands, and the RESP3 forms of nulls, maps and arrays.
#[test]
fn wrongtype_and_resp3() {
    masked(
        r#"
        SET str v
        XGROUP SETID str g 0
        XGROUP DESTROY str g
        XGROUP CREATECONSUMER str g c
        XGROUP DELCONSUMER str g c
        XINFO GROUPS str
        HELLO 3
        XADD nokey NOMKSTREAM 1-0 a 1
        XADD s 1-0 a 1 b 2
        XRANGE s - + COUNT 0
        XRANGE s - +
        XREAD STREAMS s 5
        XREAD STREAMS s 0
        XGROUP CREATE s g 0
        XPENDING s g
        XPENDING s g - + 10
        XREADGROUP GROUP g c STREAMS s >
        XREADGROUP GROUP g c STREAMS s >
        XPENDING s g
        ?XPENDING s g - + 10
        XAUTOCLAIM s g d 0 0
        XAUTOCLAIM s g d 0 0 JUSTID
        XCLAIM s g c 0 1-0 JUSTID
        XINFO STREAM s
        ~XINFO STREAM s FULL
        XINFO GROUPS s
        ?XINFO CONSUMERS s g
        XDEL s 1-0
        XREADGROUP GROUP g c STREAMS s 0
        XINFO STREAM s
        XGROUP HELP
        XINFO HELP
        "#,
    );
}
