//! Scripted sessions over several connections per server, run on Rhodium and redis-server
//! side by side (blocking commands: one connection blocks, another wakes it).

use std::time::Duration;

use crate::diff::{split, Pair};
use crate::raw::RawConn;
use crate::{wait_until, TestServer};

/// Number of blocked clients a server reports.
pub fn blocked(conn: &mut RawConn) -> usize {
    let info = conn.cmd(&["INFO", "clients"]).unwrap().as_str();
    info.lines().find_map(|l| l.strip_prefix("blocked_clients:")).and_then(|v| v.trim().parse().ok()).unwrap_or(usize::MAX)
}

/// One server's side of a scripted session over several connections.
pub struct Side {
    conns: Vec<RawConn>,
    admin: RawConn,
    port: u16,
}

impl Side {
    pub fn conn(&mut self, n: usize) -> &mut RawConn {
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
    pub fn step(&mut self, line: &str) -> Option<String> {
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
pub fn check_session(script: &str) {
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
