//! Differential testing: the same command script against rhodium-server and Debian's
//! redis-server 7.0, comparing the exact reply bytes.

use crate::{redis_available, TestServer};

/// Splits a redis-cli style line into arguments (double/single quotes, `\xHH` escapes).
pub fn split(line: &str) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let b = line.as_bytes();
    let mut i = 0;
    while i < b.len() {
        while i < b.len() && b[i] == b' ' {
            i += 1;
        }
        if i >= b.len() {
            break;
        }
        let mut cur = Vec::new();
        if b[i] == b'"' || b[i] == b'\'' {
            let q = b[i];
            i += 1;
            while i < b.len() && b[i] != q {
                if q == b'"' && b[i] == b'\\' && i + 1 < b.len() {
                    i += 1;
                    match b[i] {
                        b'n' => cur.push(b'\n'),
                        b'r' => cur.push(b'\r'),
                        b't' => cur.push(b'\t'),
                        b'x' if i + 2 < b.len() => {
                            let h = u8::from_str_radix(&line[i + 1..i + 3], 16).unwrap_or(0);
                            cur.push(h);
                            i += 2;
                        }
                        c => cur.push(c),
                    }
                } else {
                    cur.push(b[i]);
                }
                i += 1;
            }
            i += 1;
        } else {
            while i < b.len() && b[i] != b' ' {
                cur.push(b[i]);
                i += 1;
            }
        }
        out.push(cur);
    }
    out
}

/// A pair of servers to compare.
pub struct Pair {
    pub ours: TestServer,
    pub theirs: TestServer,
}

impl Pair {
    /// Starts both with the same extra arguments. `None` when redis-server is not installed
    /// and `RHODIUM_REQUIRE_REDIS` is unset (the test command installs it, so CI always runs).
    pub fn start(extra: &[&str]) -> Option<Pair> {
        if !redis_available() {
            assert!(std::env::var_os("RHODIUM_REQUIRE_REDIS").is_none(), "redis-server is required but not installed");
            eprintln!("redis-server not installed: differential test skipped");
            return None;
        }
        Some(Pair { ours: TestServer::start(extra), theirs: TestServer::start_redis(extra) })
    }

    /// Runs every line of `script` on one connection to each server and asserts the
    /// replies are byte-identical. Lines starting with `#` are comments.
    pub fn check(&self, script: &str) {
        let mut a = self.ours.raw();
        let mut b = self.theirs.raw();
        for line in script.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')) {
            let argv = split(line);
            let ra = a.cmd_bytes(&argv).unwrap_or_else(|e| panic!("rhodium failed on `{line}`: {e}\nlog:\n{}", self.ours.log()));
            let rb = b.cmd_bytes(&argv).unwrap_or_else(|e| panic!("redis failed on `{line}`: {e}"));
            assert_eq!(
                String::from_utf8_lossy(&ra),
                String::from_utf8_lossy(&rb),
                "reply differs for `{line}` (left: rhodium, right: redis)"
            );
        }
    }
}

/// Runs `script` against both servers started with default arguments.
pub fn check(script: &str) {
    if let Some(p) = Pair::start(&[]) {
        p.check(script);
    }
}
