//! Helpers for replication tests: INFO fields, DEBUG DIGEST, waiting for a replica's
//! link and for digests to converge, and a TCP proxy whose links can be cut.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::{wait_until, TestServer};

/// One field of INFO (all sections), if present.
pub fn info_field(s: &TestServer, field: &str) -> Option<String> {
    let mut c = s.raw();
    let info = c.cmd(&["INFO", "everything"]).ok()?.as_str();
    info.lines().find_map(|l| l.strip_prefix(&format!("{field}:")).map(str::to_string))
}

/// INFO's `# Replication` section as `(field, value)` lines in order.
pub fn replication_section(s: &TestServer) -> Vec<(String, String)> {
    let info = s.raw().cmd(&["INFO", "replication"]).map(|r| r.as_str()).unwrap_or_default();
    info.lines().filter_map(|l| l.split_once(':')).map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

/// DEBUG DIGEST of the whole dataset.
pub fn digest(s: &TestServer) -> String {
    s.raw().cmd(&["DEBUG", "DIGEST"]).map(|r| r.as_str()).unwrap_or_default()
}

/// Waits until `replica` reports its master link up.
pub fn wait_link_up(replica: &TestServer, within: Duration) {
    wait_until(within, "replica link up", || info_field(replica, "master_link_status").as_deref() == Some("up"));
}

/// Waits until both datasets have the same digest.
pub fn wait_same_digest(a: &TestServer, b: &TestServer, within: Duration) {
    let deadline = std::time::Instant::now() + within;
    loop {
        let (da, db) = (digest(a), digest(b));
        if da == db && !da.is_empty() {
            return;
        }
        assert!(std::time::Instant::now() < deadline, "digests still differ: {da} vs {db}\nprimary log:\n{}\nreplica log:\n{}", a.log(), b.log());
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A TCP proxy from a local port to `target`; [`Proxy::cut`] drops every live link (new
/// connections are still accepted).
pub struct Proxy {
    pub port: u16,
    links: Arc<Mutex<Vec<TcpStream>>>,
    stop: Arc<AtomicBool>,
    /// Links accepted so far.
    pub accepted: Arc<AtomicU64>,
}

impl Proxy {
    pub fn start(target: u16) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind proxy");
        let port = listener.local_addr().expect("proxy addr").port();
        let links: Arc<Mutex<Vec<TcpStream>>> = Arc::default();
        let stop = Arc::new(AtomicBool::new(false));
        let accepted = Arc::new(AtomicU64::new(0));
        let (l2, s2, a2) = (links.clone(), stop.clone(), accepted.clone());
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                if s2.load(Ordering::Acquire) {
                    return;
                }
                let Ok(client) = conn else { continue };
                let Ok(server) = TcpStream::connect(("127.0.0.1", target)) else { continue };
                a2.fetch_add(1, Ordering::AcqRel);
                if let (Ok(c2), Ok(s2)) = (client.try_clone(), server.try_clone()) {
                    if let Ok(mut l) = l2.lock() {
                        l.push(c2);
                        l.push(s2);
                    }
                }
                pipe(client.try_clone().ok(), server.try_clone().ok());
                pipe(server.try_clone().ok(), client.try_clone().ok());
            }
        });
        Proxy { port, links, stop, accepted }
    }

    /// Drops every live link.
    pub fn cut(&self) {
        if let Ok(mut l) = self.links.lock() {
            for s in l.drain(..) {
                let _ = s.shutdown(Shutdown::Both);
            }
        }
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Release);
        self.cut();
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

fn pipe(from: Option<TcpStream>, to: Option<TcpStream>) {
    let (Some(mut from), Some(mut to)) = (from, to) else { return };
    std::thread::spawn(move || {
        let mut buf = [0u8; 16 * 1024];
        loop {
            match from.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    if to.write_all(&buf[..n]).is_err() {
                        break;
                    }
                }
            }
        }
        let _ = to.shutdown(Shutdown::Both);
        let _ = from.shutdown(Shutdown::Both);
    });
}
