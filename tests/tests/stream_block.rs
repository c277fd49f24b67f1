//! XREAD BLOCK and XREADGROUP BLOCK, differential against redis-server: `$` resolved at
//! call time, several waiters served first-blocked-first, timeouts, the PEL after a
//! served XREADGROUP, BLOCK inside MULTI, CLIENT UNBLOCK, and a waiting XREADGROUP whose
//! group or key goes away.

use std::time::Duration;

use rhodium_it::diff::{split, Pair};
use rhodium_it::raw::RawConn;
use rhodium_it::{wait_until, TestServer};

/// Number of blocked clients a server reports.
fn blocked(conn: &mut RawConn) -> usize {
    let info = conn.cmd(&["INFO", "clients"]).unwrap().as_str();
    info.lines().find_map(|l| l.strip_prefix("blocked_clients:")).and_then(|v| v.trim().parse().ok()).unwrap_or(usize::MAX)
}

/// One server's side of a scripted session over several connections.
struct Side {
    conns: Vec<RawConn>,
    admin: RawConn,
    port: u16,
}

impl Side {
    fn conn(&mut self, n: usize) -> &mut RawConn {
        while self.conns.len() < n {
            self.conns.push(RawConn::connect(self.port).unwrap());
        }
        &mut self.conns[n - 1]
    }

    /// Runs one script line, returning what it read (if anything).
    ///
    /// - `N CMD`: send on connection N and read the reply;
    /// - `N> CMD`: send without reading (the command blocks);
    /// - `N<`: read connection N's pending reply;
    /// - `blocked K`: wait until the server reports K blocked clients;
    /// - `close N`: drop connection N.
    fn step(&mut self, line: &str) -> Option<String> {
        let (head, rest) = line.split_once(' ').unwrap_or((line, ""));
        if head == "blocked" {
            let want: usize = rest.parse().unwrap();
            let admin = &mut self.admin;
            wait_until(Duration::from_secs(10), "blocked clients", || blocked(admin) == want);
            return None;
        }
        if head == "close" {
            let n: usize = rest.parse().unwrap();
            self.conns[n - 1] = RawConn::connect(self.port).unwrap();
            return None;
        }
        if let Some(n) = head.strip_suffix('>') {
            self.conn(n.parse().unwrap()).send(&split(rest)).unwrap();
            return None;
        }
        if let Some(n) = head.strip_suffix('<') {
            let bytes = self.conn(n.parse().unwrap()).read_reply_bytes().unwrap();
            return Some(String::from_utf8_lossy(&bytes).into_owned());
        }
        let bytes = self.conn(head.parse().unwrap()).cmd_bytes(&split(rest)).unwrap();
        Some(String::from_utf8_lossy(&bytes).into_owned())
    }
}

/// Runs a multi-connection script (see [`Side::step`]) on both servers, comparing every
/// reply read.
fn check_session(script: &str) {
    let Some(pair) = Pair::start(&[]) else {
        return;
    };
    let side = |s: &TestServer| Side { conns: Vec::new(), admin: s.raw(), port: s.port };
    let (mut ours, mut theirs) = (side(&pair.ours), side(&pair.theirs));
    for (i, line) in script.lines().map(str::trim).enumerate().filter(|(_, l)| !l.is_empty() && !l.starts_with('#')) {
        let a = ours.step(line);
        let b = theirs.step(line);
        assert_eq!(a, b, "reply differs for `{line}` at script line {i} (left: rhodium, right: redis)\nlog:\n{}", pair.ours.log());
    }
}

#[test]
fn xread_waiters_with_dollar_are_served_in_order() {
    check_session(
        r#"
        4 XADD s 1-1 f v
        1> XREAD BLOCK 0 STREAMS s $
        blocked 1
        2> XREAD COUNT 1 BLOCK 0 STREAMS other s $ $
        blocked 2
        3> XREAD BLOCK 0 STREAMS s 0-0
        3<
        3> XREAD BLOCK 0 STREAMS s $
        blocked 3
        4 XADD s 2-1 a b
        1<
        2<
        3<
        blocked 0
        # `$` is the last ID when called: entries added meanwhile in MULTI are all served.
        1> XREAD BLOCK 0 STREAMS s $
        blocked 1
        4 MULTI
        4 XADD s 3-1 a b
        4 XADD s 4-1 c d
        4 EXEC
        1<
        # A missing key waits from 0-0; a key of another type keeps XREAD waiting.
        1> XREAD BLOCK 0 STREAMS nokey $
        blocked 1
        4 SET nokey x
        4 DEL nokey
        4 XADD nokey 7-7 f v
        1<
        1> XREAD BLOCK 0 STREAMS s 9-0
        blocked 1
        4 XADD s 5-1 f v
        4 DEL s
        4 XADD s 10-1 f v
        1<
        "#,
    );
}

#[test]
fn timeouts_errors_multi_and_client_unblock() {
    check_session(
        r#"
        1 XREAD BLOCK 50 STREAMS s $
        1 XREAD BLOCK -1 STREAMS s $
        1 XREAD BLOCK abc STREAMS s $
        1 HELLO 3
        1 XREAD BLOCK 30 STREAMS s $
        1 HELLO 2
        1 MULTI
        1 XREAD BLOCK 0 STREAMS s $
        1 XREADGROUP GROUP g c BLOCK 0 STREAMS s >
        1 EXEC
        1 XGROUP CREATE s g $ MKSTREAM
        1 MULTI
        1 XREADGROUP GROUP g c BLOCK 0 STREAMS s >
        1 EXEC
        1 CLIENT ID
        1> XREAD BLOCK 0 STREAMS s $
        blocked 1
        2 CLIENT UNBLOCK 5 TIMEOUT
        1<
        1> XREADGROUP GROUP g c BLOCK 0 STREAMS s >
        blocked 1
        2 CLIENT UNBLOCK 5 ERROR
        1<
        1> XREAD BLOCK 10000 STREAMS s $
        blocked 1
        2 XADD s 1-1 f v
        1<
        "#,
    );
}

#[test]
fn xreadgroup_served_after_blocking_updates_the_pel() {
    check_session(
        r#"
        4 XGROUP CREATE s g $ MKSTREAM
        1> XREADGROUP GROUP g alice BLOCK 0 STREAMS s >
        blocked 1
        2> XREADGROUP GROUP g bob COUNT 1 BLOCK 0 STREAMS s >
        blocked 2
        3> XREADGROUP GROUP g carol NOACK BLOCK 0 STREAMS s >
        blocked 3
        # Explicit IDs serve the consumer's history at once, even empty.
        4 XREADGROUP GROUP g dave BLOCK 0 STREAMS s 0
        4 XADD s 1-1 f v
        1<
        blocked 2
        4 MULTI
        4 XADD s 2-1 a b
        4 XADD s 3-1 c d
        4 EXEC
        2<
        3<
        blocked 0
        4 XPENDING s g
        # The extended XPENDING form carries idle milliseconds, which differ between
        # the servers by scheduling: bob's pending entries are read as his history instead.
        4 XREADGROUP GROUP g bob STREAMS s 0
        4 XINFO GROUPS s
        4 XREADGROUP GROUP g alice STREAMS s 0
        "#,
    );
}

#[test]
fn a_waiting_xreadgroup_ends_when_its_group_or_key_goes() {
    check_session(
        r#"
        4 XGROUP CREATE s g $ MKSTREAM
        1> XREADGROUP GROUP g c BLOCK 0 STREAMS s >
        blocked 1
        4 XGROUP DESTROY s g
        1<
        4 XGROUP CREATE s g $
        1> XREADGROUP GROUP g c BLOCK 0 STREAMS s >
        blocked 1
        4 DEL s
        1<
        4 XGROUP CREATE s g $ MKSTREAM
        1> XREADGROUP GROUP g c BLOCK 0 STREAMS s >
        blocked 1
        4 SET s x
        1<
        4 DEL s
        # Deleted and recreated in one transaction: served from the new stream.
        4 XGROUP CREATE s g $ MKSTREAM
        1> XREADGROUP GROUP g c BLOCK 0 STREAMS s >
        blocked 1
        4 MULTI
        4 DEL s
        4 XADD s 1-1 f v
        4 XGROUP CREATE s g 0
        4 EXEC
        1<
        4 INFO errorstats
        "#,
    );
}
