//! Helpers for replication tests: INFO fields, digests, waiting for a link, and starting
//! a rhodium-server again in the directory of one that stopped (restart tests).

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::{rhodium_bin, wait_until, RawConn};

/// One `field:value` of INFO `section`, if present.
pub fn info_field(port: u16, section: &str, field: &str) -> Option<String> {
    let mut c = RawConn::connect(port).ok()?;
    let text = c.cmd(&["INFO", section]).ok()?.as_str();
    let prefix = format!("{field}:");
    text.lines().find_map(|l| l.strip_prefix(&prefix).map(str::to_string))
}

/// DEBUG DIGEST of the whole dataset.
pub fn digest(port: u16) -> String {
    RawConn::connect(port).and_then(|mut c| c.cmd(&["DEBUG", "DIGEST"])).map(|r| r.as_str()).unwrap_or_default()
}

/// Waits until the replica on `port` reports its master link up.
pub fn wait_link_up(port: u16) {
    wait_until(Duration::from_secs(30), "master_link_status:up", || info_field(port, "replication", "master_link_status").as_deref() == Some("up"));
}

/// Waits until both servers hold the same data.
pub fn wait_same_digest(a: u16, b: u16) {
    wait_until(Duration::from_secs(30), "equal DEBUG DIGEST", || {
        let (x, y) = (digest(a), digest(b));
        !x.is_empty() && x == y
    });
}

/// A master's `sync_full` / `sync_partial_ok` counter.
pub fn sync_count(port: u16, field: &str) -> i64 {
    info_field(port, "stats", field).and_then(|v| v.parse().ok()).unwrap_or(-1)
}

/// A rhodium-server started in an existing directory on a given port, killed on drop.
pub struct Restarted {
    child: Child,
    pub port: u16,
}

impl Restarted {
    /// Starts rhodium-server in `dir` on `port` with the test defaults plus `extra`, and
    /// waits until it answers PING. Its log is appended to `dir/server.log`.
    pub fn start(dir: &Path, port: u16, extra: &[&str]) -> Restarted {
        let port_s = port.to_string();
        let mut args: Vec<&str> = vec!["--port", &port_s, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--enable-debug-command", "yes"];
        args.extend_from_slice(extra);
        let log = std::fs::OpenOptions::new().create(true).append(true).open(dir.join("server.log")).expect("log file");
        let log2 = log.try_clone().expect("log clone");
        let child = Command::new(rhodium_bin()).args(&args).current_dir(dir).stdin(Stdio::null()).stdout(log).stderr(log2).spawn().expect("start rhodium-server");
        // Owned before any wait, so a failure below still kills and reaps it.
        let started = Restarted { child, port };
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if RawConn::connect(port).and_then(|mut c| c.cmd(&["PING"])).is_ok() {
                return started;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("restarted server did not answer PING");
    }
}

impl Drop for Restarted {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
