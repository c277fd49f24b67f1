//! The append-only file, Redis 7.0's multi-part layout: a manifest in `appenddirname`
//! naming a base file (RDB preamble or commands) and incremental files.
//!
//! Writes reach it as propagated units: [`sink::Shared`] is a `Sink` on the server's
//! propagator that encodes each unit into one in-memory buffer under a short lock (SELECT
//! when the database changes, MULTI/EXEC around multi-command units, `#TS:` annotations).
//! A writer thread ([`writer`]) moves the buffer to the current incremental file and
//! fsyncs it as `appendfsync` says. With `always`, connections hold their replies until
//! what was appended before them is on disk ([`Aof::reply_barrier`]); one fsync covers
//! every client waiting (group commit).
//!
//! Durable position for other subsystems (a binlog built on the incremental files):
//! [`Aof::appended`] is the byte position of everything handed to the AOF so far,
//! [`Aof::durable`] the position known to be fsynced, [`Aof::durable_opid`] the OpID of
//! the last unit fsynced, and [`Aof::wait_durable`] waits for a position.

mod base;
mod load;
mod rewrite;
mod sink;
mod writer;

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use parking_lot::Mutex;
use rhodium_replication::OpId;
use rhodium_storage::aof::Manifest;

use crate::config::{registry, Config};
use crate::state::Server;

pub use load::{load_at_startup, read_manifest};
pub use rewrite::{bgrewriteaof, cron, BgRewrite};
pub(crate) use sink::Shared;

/// `appendfsync`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FsyncPolicy {
    Always,
    EverySec,
    No,
}

impl FsyncPolicy {
    fn parse(s: &str) -> FsyncPolicy {
        match s {
            "always" => FsyncPolicy::Always,
            "no" => FsyncPolicy::No,
            _ => FsyncPolicy::EverySec,
        }
    }
}

/// The AOF's state, one per server.
pub struct Aof {
    pub(crate) shared: Arc<Shared>,
    /// Whether the sink was added to the propagator (done once, when first enabled, so
    /// a server without AOF pays nothing per write).
    registered: AtomicBool,
    /// The manifest as on disk, and the file the writer appends to.
    pub(crate) files: Mutex<Manifest>,
    /// The writer thread, while the AOF is on.
    writer: Mutex<Option<std::thread::JoinHandle<()>>>,
    /// `aof_enabled`: on, or waiting for the rewrite that turns it on.
    pub enabled: AtomicBool,
    pub rewrite_in_progress: AtomicBool,
    pub rewrite_scheduled: AtomicBool,
    pub(crate) rewrite_started: Mutex<Option<Instant>>,
    pub last_rewrite_secs: AtomicI64,
    pub last_rewrite_failed: AtomicBool,
    pub rewrites: AtomicU64,
    pub consecutive_failures: AtomicU64,
    /// Size of the AOF (base + incremental files) and of its base after the last
    /// rewrite or load, for INFO and `auto-aof-rewrite-percentage`.
    pub base_size: AtomicU64,
}

impl Default for Aof {
    fn default() -> Self {
        Aof {
            shared: Arc::new(Shared::default()),
            registered: AtomicBool::new(false),
            files: Mutex::new(Manifest::default()),
            writer: Mutex::new(None),
            enabled: AtomicBool::new(false),
            rewrite_in_progress: AtomicBool::new(false),
            rewrite_scheduled: AtomicBool::new(false),
            rewrite_started: Mutex::new(None),
            last_rewrite_secs: AtomicI64::new(-1),
            last_rewrite_failed: AtomicBool::new(false),
            rewrites: AtomicU64::new(0),
            consecutive_failures: AtomicU64::new(0),
            base_size: AtomicU64::new(0),
        }
    }
}

impl Aof {
    /// Bytes handed to the AOF since startup (a position, not a file offset).
    pub fn appended(&self) -> u64 {
        self.shared.appended.load(Ordering::Acquire)
    }

    /// Position up to which the AOF is fsynced.
    pub fn durable(&self) -> u64 {
        self.shared.durable.load(Ordering::Acquire)
    }

    /// OpID of the last unit known to be fsynced.
    pub fn durable_opid(&self) -> OpId {
        *self.shared.durable_opid.lock()
    }

    /// The manifest as last written: the base and the incremental files in order (the
    /// last one is the file being appended to).
    pub fn manifest(&self) -> Manifest {
        self.files.lock().clone()
    }

    /// Waits until everything up to `pos` is fsynced (or the AOF is turned off).
    pub async fn wait_durable(&self, pos: u64) {
        self.shared.wait(pos, |s| s.durable.load(Ordering::Acquire)).await
    }

    /// With `appendfsync always`, the position a reply must wait for before it is sent:
    /// everything appended so far (one relaxed load otherwise).
    #[inline]
    pub fn reply_barrier(&self) -> Option<u64> {
        if !self.shared.always.load(Ordering::Relaxed) {
            return None;
        }
        let target = self.appended();
        (self.shared.acked.load(Ordering::Acquire) < target).then_some(target)
    }

    /// Waits until replies up to `pos` may go out (fsynced, or the policy changed).
    pub async fn wait_reply(&self, pos: u64) {
        self.shared.wait(pos, |s| if s.always.load(Ordering::Acquire) { s.acked.load(Ordering::Acquire) } else { u64::MAX }).await
    }

    /// Applies the fsync-related directives (at start and after CONFIG SET).
    pub fn apply_config(&self, cfg: &Config) {
        let policy = FsyncPolicy::parse(&opt(cfg, "appendfsync"));
        self.shared.set_policy(policy);
        self.shared.timestamps.store(opt(cfg, "aof-timestamp-enabled") == "yes", Ordering::Relaxed);
        self.shared.no_fsync_on_rewrite.store(opt(cfg, "no-appendfsync-on-rewrite") == "yes", Ordering::Relaxed);
    }

    /// Registers the sink once.
    fn register(&self, server: &Server) {
        if !self.registered.swap(true, Ordering::AcqRel) {
            server.propagator.add_sink(self.shared.clone());
        }
    }

    /// Starts the writer thread appending to `file` (sink active from now on).
    pub(crate) fn start_writer(&self, server: &Server, file: std::fs::File, size: u64) -> std::io::Result<()> {
        self.apply_config(&server.config());
        self.register(server);
        self.shared.begin(size);
        let shared = self.shared.clone();
        let handle = std::thread::Builder::new().name("rhodium-aof".into()).spawn(move || writer::run(shared, file))?;
        *self.writer.lock() = Some(handle);
        Ok(())
    }

    /// Stops the writer after it flushed and fsynced what it holds (CONFIG SET appendonly
    /// no, shutdown).
    pub fn stop_writer(&self) {
        self.shared.stop();
        if let Some(h) = self.writer.lock().take() {
            let _ = h.join();
        }
    }

    /// Whether the writer runs.
    pub fn writing(&self) -> bool {
        self.writer.lock().is_some()
    }

    /// The INFO persistence fields about the AOF (from `aof_enabled` on, in Redis's order,
    /// up to `aof_last_cow_size`).
    pub fn info_fields(&self) -> Vec<(&'static str, String)> {
        let b = |a: &AtomicBool| u8::from(a.load(Ordering::Relaxed)).to_string();
        vec![
            ("aof_enabled", b(&self.enabled)),
            ("aof_rewrite_in_progress", b(&self.rewrite_in_progress)),
            ("aof_rewrite_scheduled", b(&self.rewrite_scheduled)),
            ("aof_last_rewrite_time_sec", self.last_rewrite_secs.load(Ordering::Relaxed).to_string()),
            ("aof_current_rewrite_time_sec", self.rewrite_started.lock().map_or(-1, |t| t.elapsed().as_secs() as i64).to_string()),
            ("aof_last_bgrewrite_status", if self.last_rewrite_failed.load(Ordering::Relaxed) { "err" } else { "ok" }.to_string()),
            ("aof_rewrites", self.rewrites.load(Ordering::Relaxed).to_string()),
            ("aof_rewrites_consecutive_failures", self.consecutive_failures.load(Ordering::Relaxed).to_string()),
            ("aof_last_write_status", if self.shared.last_write_ok.load(Ordering::Relaxed) { "ok" } else { "err" }.to_string()),
            ("aof_last_cow_size", "0".to_string()),
        ]
    }

    /// The fields INFO adds while the AOF is on (after `module_fork_last_cow_size`).
    pub fn info_on_fields(&self) -> Vec<(&'static str, String)> {
        let pending = self.shared.pending.lock().buf.len();
        vec![
            ("aof_current_size", self.shared.current_size.load(Ordering::Relaxed).to_string()),
            ("aof_base_size", self.base_size.load(Ordering::Relaxed).to_string()),
            ("aof_pending_rewrite", u8::from(self.rewrite_scheduled.load(Ordering::Relaxed)).to_string()),
            ("aof_buffer_length", pending.to_string()),
            ("aof_pending_bio_fsync", "0".to_string()),
            ("aof_delayed_fsync", "0".to_string()),
        ]
    }
}

/// A directive's value as CONFIG GET shows it.
pub(crate) fn opt(cfg: &Config, name: &str) -> String {
    registry::lookup(name).map(|d| cfg.get(d)).unwrap_or_default()
}

/// `appenddirname`, relative to the working directory (`dir`).
pub(crate) fn dir_path(cfg: &Config) -> PathBuf {
    PathBuf::from(opt(cfg, "appenddirname"))
}

/// `appendfilename`: the prefix of every file name and of the manifest's.
pub(crate) fn prefix(cfg: &Config) -> String {
    opt(cfg, "appendfilename")
}

/// `<appenddirname>/<appendfilename>.manifest`.
pub fn manifest_path(cfg: &Config) -> PathBuf {
    dir_path(cfg).join(format!("{}.manifest", prefix(cfg)))
}

/// Writes the manifest atomically: a temp file, fsync, rename, directory fsync (Redis's
/// `persistAofManifest`).
pub(crate) fn persist_manifest(cfg: &Config, m: &Manifest) -> std::io::Result<()> {
    use std::io::Write;
    let dir = dir_path(cfg);
    let tmp = dir.join(format!("temp-{}.manifest", prefix(cfg)));
    let mut f = std::fs::File::create(&tmp)?;
    f.write_all(m.to_text().as_bytes())?;
    f.sync_all()?;
    drop(f);
    std::fs::rename(&tmp, manifest_path(cfg))?;
    fsync_dir(&dir);
    Ok(())
}

/// Makes renames and creations in `dir` durable.
pub(crate) fn fsync_dir(dir: &std::path::Path) {
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
}

/// CONFIG SET appendonly: turning it on starts a rewrite that creates the base (the AOF
/// counts as on from now, as Redis's `AOF_WAIT_REWRITE`); off stops the writer.
pub fn set_enabled(server: &Server, on: bool) -> Result<(), String> {
    let aof = &server.aof;
    if on {
        if aof.enabled.load(Ordering::Acquire) {
            return Ok(());
        }
        rewrite::start(server, true).inspect_err(|_| {
            crate::log_warning!("Redis needs to enable the AOF but can't trigger a background AOF rewrite operation. Check the above logs for more info about the error.");
        })
    } else {
        if !aof.enabled.swap(false, Ordering::AcqRel) {
            return Ok(());
        }
        aof.stop_writer();
        Ok(())
    }
}

/// Shutdown: the writer flushes and fsyncs what it holds (Redis's "Calling fsync() on
/// the AOF file.").
pub fn shutdown(server: &Server) {
    if server.aof.rewrite_in_progress.load(Ordering::Acquire) {
        // Its thread cannot be killed; its files are removed so nothing half-written stays.
        crate::log_warning!("There is a child rewriting the AOF. Killing it!");
        let cfg = server.config();
        let dir = dir_path(&cfg);
        let _ = std::fs::remove_file(dir.join(format!("temp-rewriteaof-bg-{}.aof", std::process::id())));
    }
    if server.aof.writing() {
        crate::log_notice!("Calling fsync() on the AOF file.");
        server.aof.stop_writer();
    }
}
