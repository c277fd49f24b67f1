//! Black-box test harness: starts the real `rhodium-server` (and Debian's `redis-server`
//! as the reference) on free loopback ports in temp dirs, and talks to them with real
//! clients and a raw RESP socket. Servers are stopped when their handle drops.

pub mod diff;
pub mod raw;
pub mod replication;
pub mod repl;
pub mod session;

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

pub use raw::{Reply, RawConn};

/// Path of the workspace root.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().map(Path::to_path_buf).unwrap_or_default()
}

/// The server binary: `$RHODIUM_BIN`, or `target/debug/rhodium-server` built on first use.
pub fn rhodium_bin() -> PathBuf {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        if let Ok(p) = std::env::var("RHODIUM_BIN") {
            return PathBuf::from(p);
        }
        let root = workspace_root();
        let status = Command::new(env!("CARGO"))
            .args(["build", "-p", "rhodium-server", "--bin", "rhodium-server"])
            .current_dir(&root)
            .status()
            .expect("cargo build of rhodium-server could not run");
        assert!(status.success(), "cargo build of rhodium-server failed");
        root.join("target/debug/rhodium-server")
    })
    .clone()
}

/// Whether Debian's `redis-server` is installed (the differential oracle).
pub fn redis_available() -> bool {
    Command::new("redis-server").arg("--version").stdout(Stdio::null()).stderr(Stdio::null()).status().map(|s| s.success()).unwrap_or(false)
}

/// A free TCP port on 127.0.0.1.
pub fn free_port() -> u16 {
    // Bind to port 0 to have the kernel pick; keep a process-wide set so two servers
    // started by the same test binary never get the same port.
    static USED: OnceLock<std::sync::Mutex<std::collections::HashSet<u16>>> = OnceLock::new();
    let used = USED.get_or_init(Default::default);
    loop {
        let l = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let port = l.local_addr().expect("local addr").port();
        if used.lock().map(|mut u| u.insert(port)).unwrap_or(true) {
            return port;
        }
    }
}

/// Which program a [`TestServer`] runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavor {
    Rhodium,
    Redis,
}

/// A running server, killed on drop.
pub struct TestServer {
    child: Option<Child>,
    pub port: u16,
    pub dir: tempfile::TempDir,
    pub flavor: Flavor,
}

impl TestServer {
    /// Starts rhodium-server with extra `--directive value` arguments.
    pub fn start(extra: &[&str]) -> TestServer {
        Self::start_flavor(Flavor::Rhodium, extra)
    }

    /// Starts Debian's redis-server with the same defaults.
    pub fn start_redis(extra: &[&str]) -> TestServer {
        Self::start_flavor(Flavor::Redis, extra)
    }

    pub fn start_flavor(flavor: Flavor, extra: &[&str]) -> TestServer {
        // Another test process may grab the port between our probe and the server's bind;
        // a server that exits during startup is retried on a fresh port.
        let mut last_log = String::new();
        for _ in 0..5 {
            match Self::try_start(flavor, extra) {
                Ok(s) => return s,
                Err(log) => last_log = log,
            }
        }
        panic!("server could not start; last log:\n{last_log}");
    }

    fn try_start(flavor: Flavor, extra: &[&str]) -> Result<TestServer, String> {
        let dir = tempfile::tempdir().expect("tempdir");
        let port = free_port();
        let bin = match flavor {
            Flavor::Rhodium => rhodium_bin(),
            Flavor::Redis => PathBuf::from("redis-server"),
        };
        let port_s = port.to_string();
        let mut args: Vec<&str> = vec!["--port", &port_s, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--enable-debug-command", "yes"];
        args.extend_from_slice(extra);
        let log = std::fs::File::create(dir.path().join("server.log")).expect("log file");
        let log2 = log.try_clone().expect("log clone");
        let child = Command::new(&bin)
            .args(&args)
            .current_dir(dir.path())
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(log2)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", bin.display()));
        let mut s = TestServer { child: Some(child), port, dir, flavor };
        s.wait_ready()?;
        Ok(s)
    }

    fn wait_ready(&mut self) -> Result<(), String> {
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Some(c) = self.child.as_mut() {
                if let Ok(Some(_)) = c.try_wait() {
                    return Err(self.log());
                }
            }
            if let Ok(mut c) = RawConn::connect(self.port) {
                // A server still loading its dataset answers -LOADING: not ready yet. The
                // same connection asks again, so tests see the client ids Redis would give.
                while Instant::now() < deadline {
                    match c.cmd(&["PING"]) {
                        Ok(r) if r.as_str().starts_with("LOADING") => std::thread::sleep(Duration::from_millis(5)),
                        Ok(_) => return Ok(()),
                        Err(_) => break,
                    }
                }
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("server did not answer PING within 30s; log:\n{}", self.log());
    }

    /// The server's log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default()
    }

    /// A raw RESP connection.
    pub fn raw(&self) -> RawConn {
        RawConn::connect(self.port).expect("connect")
    }

    /// A `redis` crate connection.
    pub fn client(&self) -> redis::Connection {
        let c = redis::Client::open(format!("redis://127.0.0.1:{}/", self.port)).expect("client");
        c.get_connection().expect("connection")
    }

    /// Runs redis-cli against this server with `args`, returning its stdout.
    pub fn cli(&self, args: &[&str]) -> String {
        let out = Command::new("redis-cli").args(["-p", &self.port.to_string()]).args(args).output().expect("redis-cli");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.as_ref().map(|c| c.id()).unwrap_or(0)
    }

    /// Waits for the process to exit on its own (after SHUTDOWN or a signal), with a deadline.
    pub fn wait_exit(&mut self, within: Duration) -> Option<std::process::ExitStatus> {
        let deadline = Instant::now() + within;
        let child = self.child.as_mut()?;
        while Instant::now() < deadline {
            if let Ok(Some(st)) = child.try_wait() {
                return Some(st);
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        None
    }

    /// Sends a signal to the process.
    pub fn signal(&self, sig: &str) {
        let _ = Command::new("kill").args([&format!("-{sig}"), &self.pid().to_string()]).status();
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// Waits until `cond` holds or panics after `within`.
pub fn wait_until(within: Duration, what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + within;
    while Instant::now() < deadline {
        if cond() {
            return;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    panic!("timed out waiting for {what}");
}
