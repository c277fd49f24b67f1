//! RDB persistence glue: where the file lives, saving through a temp file, fsync and
//! rename as Redis's `rdbSave` does, loading at startup and for DEBUG RELOAD, and the
//! counters INFO persistence reports. The format itself is `rhodium_storage::rdb`.

use std::fs::File;
use std::io::BufWriter;
use std::path::PathBuf;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::Instant;

use parking_lot::Mutex;
use rhodium_storage::keyspace::{ExpiryMode, SetExpiry};
use rhodium_storage::rdb::{self, LoadLimits, RdbError, RdbErrorKind, SaveInfo, WriteOptions};
use rhodium_storage::types::hash::Limits as HashLimits;
use rhodium_storage::LockMode;

use crate::config::Config;
use crate::state::Server;
use crate::{log_notice, log_warning};

/// Persistence state shared by SAVE, the loader and INFO.
pub struct PersistState {
    /// Held while a save runs, so two saves never write the same temp file.
    pub save_lock: Mutex<()>,
    /// Successful saves since startup (`rdb_saves`).
    pub saves: AtomicU64,
    /// Keys loaded / skipped as expired by the last load.
    pub last_load_keys_loaded: AtomicU64,
    pub last_load_keys_expired: AtomicU64,
    /// Whether the last save failed, and when it was tried (Unix seconds).
    pub last_save_failed: std::sync::atomic::AtomicBool,
    pub last_save_attempt: AtomicI64,
    /// A BGSAVE is running (`rdb_bgsave_in_progress`), since when.
    pub bgsave_in_progress: std::sync::atomic::AtomicBool,
    pub bgsave_started: Mutex<Option<Instant>>,
    /// The last BGSAVE failed (`rdb_last_bgsave_status:err`); its duration in seconds.
    pub last_bgsave_failed: std::sync::atomic::AtomicBool,
    pub last_bgsave_secs: AtomicI64,
    /// Unix seconds of the last BGSAVE attempt (the cron retries failures after 5 s).
    pub last_bgsave_try: AtomicI64,
    /// The load in progress (INFO's loading_* fields): Unix seconds it started, bytes to
    /// load and loaded so far, `used-mem` of the RDB being loaded.
    pub loading_start_time: AtomicI64,
    pub loading_started: Mutex<Option<Instant>>,
    pub loading_total_bytes: AtomicU64,
    pub loading_loaded_bytes: AtomicU64,
    pub loading_rdb_used_mem: AtomicU64,
}

impl Default for PersistState {
    fn default() -> Self {
        PersistState {
            save_lock: Mutex::new(()),
            saves: AtomicU64::new(0),
            last_load_keys_loaded: AtomicU64::new(0),
            last_load_keys_expired: AtomicU64::new(0),
            last_save_failed: Default::default(),
            last_save_attempt: AtomicI64::new(0),
            bgsave_in_progress: Default::default(),
            bgsave_started: Mutex::new(None),
            last_bgsave_failed: Default::default(),
            last_bgsave_secs: AtomicI64::new(-1),
            last_bgsave_try: AtomicI64::new(0),
            loading_start_time: AtomicI64::new(0),
            loading_started: Mutex::new(None),
            loading_total_bytes: AtomicU64::new(0),
            loading_loaded_bytes: AtomicU64::new(0),
            loading_rdb_used_mem: AtomicU64::new(0),
        }
    }
}

impl PersistState {
    /// A load of `total` bytes starts.
    pub fn loading_begin(&self, total: u64) {
        self.loading_start_time.store(rhodium_storage::clock::now_ms() / 1000, Ordering::Relaxed);
        *self.loading_started.lock() = Some(Instant::now());
        self.loading_total_bytes.store(total, Ordering::Relaxed);
        self.loading_loaded_bytes.store(0, Ordering::Relaxed);
        self.loading_rdb_used_mem.store(0, Ordering::Relaxed);
    }

    /// `loaded` bytes of the load are done.
    pub fn loading_progress(&self, loaded: u64) {
        self.loading_loaded_bytes.store(loaded, Ordering::Relaxed);
    }

    /// INFO's loading_* fields, in Redis's order (shown while `loading:1`).
    pub fn loading_fields(&self) -> Vec<(&'static str, String)> {
        let total = self.loading_total_bytes.load(Ordering::Relaxed);
        let loaded = self.loading_loaded_bytes.load(Ordering::Relaxed);
        let elapsed = self.loading_started.lock().map_or(0.0, |t| t.elapsed().as_secs_f64());
        let perc = if total > 0 { loaded as f64 * 100.0 / total as f64 } else { 0.0 };
        // Redis: elapsed * remaining / loaded, 1 before anything is loaded.
        let eta = if loaded > 0 { (elapsed * total.saturating_sub(loaded) as f64 / loaded as f64) as i64 } else { 1 };
        vec![
            ("loading_start_time", self.loading_start_time.load(Ordering::Relaxed).to_string()),
            ("loading_total_bytes", total.to_string()),
            ("loading_rdb_used_mem", self.loading_rdb_used_mem.load(Ordering::Relaxed).to_string()),
            ("loading_loaded_bytes", loaded.to_string()),
            ("loading_loaded_perc", format!("{perc:.2}")),
            ("loading_eta_seconds", eta.to_string()),
        ]
    }
}

/// `key-load-delay`: microseconds to wait per key loaded (a test knob, Redis's
/// `debugDelay`: negative values spin briefly instead).
pub fn debug_delay(usec: i64) {
    if usec > 0 {
        std::thread::sleep(std::time::Duration::from_micros(usec as u64));
    } else if usec < 0 {
        for _ in 0..usec.unsigned_abs().min(1_000_000) {
            std::hint::spin_loop();
        }
    }
}

fn other_num(cfg: &Config, name: &str, default: i64) -> i64 {
    cfg.other.get(name).and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn other_yes(cfg: &Config, name: &str, default: bool) -> bool {
    cfg.other.get(name).map_or(default, |v| v == "yes")
}

/// The encoding thresholds values are rebuilt with.
pub fn load_limits(cfg: &Config) -> LoadLimits {
    let n = |name: &str, d: usize| usize::try_from(other_num(cfg, name, d as i64)).unwrap_or(d);
    let hd = HashLimits::default();
    LoadLimits {
        hash: HashLimits { entries: n("hash-max-listpack-entries", hd.entries), value: n("hash-max-listpack-value", hd.value) },
        zset_entries: n("zset-max-listpack-entries", 128),
        zset_value: n("zset-max-listpack-value", 64),
        set_intset_entries: n("set-max-intset-entries", 512),
        databases: cfg.databases,
        verify_checksum: other_yes(cfg, "rdbchecksum", true),
    }
}

/// `rdbcompression` and `list-max-listpack-size`.
pub fn write_options(cfg: &Config) -> WriteOptions {
    WriteOptions { compress: other_yes(cfg, "rdbcompression", true), list_fill: other_num(cfg, "list-max-listpack-size", -2) }
}

/// `dbfilename` (relative to `dir`, the working directory, as in Redis).
pub fn rdb_path(cfg: &Config) -> PathBuf {
    PathBuf::from(&cfg.dbfilename)
}

/// Whether `save` points are configured (SHUTDOWN and SIGTERM then save).
pub fn has_save_points(cfg: &Config) -> bool {
    !cfg.save.trim().is_empty()
}

/// Writes the whole dataset to `dbfilename` as Redis's `rdbSave`: a `temp-<pid>.rdb`,
/// flushed and fsynced, renamed over the target, the directory fsynced. The keyspace is
/// read-locked for the duration, so the file is a point-in-time image.
pub fn save(server: &Server) -> Result<(), String> {
    if server.persistence.bgsave_in_progress.load(Ordering::Acquire) {
        return Err("Background save already in progress".into());
    }
    let _one_at_a_time = server.persistence.save_lock.lock();
    let cfg = server.config();
    let now = rhodium_storage::clock::now_ms();
    server.persistence.last_save_attempt.store(now / 1000, Ordering::Relaxed);
    // A replica records its master's id and offset, with master commands held back so
    // the image and the offset agree.
    let (repl, _hold) = crate::replication::replica::rdb_save_info(server);
    let result = save_to(server, &cfg, &rdb_path(&cfg), repl, |w| {
        let view = server.keyspace.read_all();
        let dirty_before = server.dirty.load(Ordering::Relaxed);
        for db in 0..view.databases() {
            let size = view.dbsize(db);
            if size == 0 {
                continue;
            }
            w.select_db(db, size, view.volatile_count(db))?;
            view.try_for_each(db, |e, at| w.key(e.key.as_bytes(), &e.value, at))?;
        }
        Ok(dirty_before)
    });
    match &result {
        Ok(dirty_before) => {
            log_notice!("DB saved on disk");
            server.dirty.fetch_sub((*dirty_before).min(server.dirty.load(Ordering::Relaxed)), Ordering::Relaxed);
            server.lastsave_secs.store(now / 1000, Ordering::Relaxed);
            server.persistence.saves.fetch_add(1, Ordering::Relaxed);
            server.persistence.last_save_failed.store(false, Ordering::Relaxed);
        }
        Err(e) => {
            log_warning!("{}", e);
            server.persistence.last_save_failed.store(true, Ordering::Relaxed);
        }
    }
    result.map(|_| ())
}

type FileWriter = rdb::Writer<BufWriter<File>>;

/// Saves to `target`, `body` writing the databases; returns the dirty counter as it was
/// when the image was taken (as `body` reports it).
fn save_to(server: &Server, cfg: &Config, target: &std::path::Path, repl: Option<rdb::ReplInfo>, body: impl FnOnce(&mut FileWriter) -> std::io::Result<u64>) -> Result<u64, String> {
    let tmp = PathBuf::from(format!("temp-{}.rdb", std::process::id()));
    let cwd = || std::env::current_dir().map(|p| p.display().to_string()).unwrap_or_else(|_| "unknown".into());
    let file = File::create(&tmp).map_err(|e| format!("Failed opening the temp RDB file {} (in server root dir {}) for saving: {}", tmp.display(), cwd(), e))?;
    let write = || -> std::io::Result<(File, u64)> {
        let mut w = rdb::Writer::new(BufWriter::with_capacity(1 << 16, file), write_options(cfg));
        let (used_mem, _, _) = crate::commands::info::jemalloc_stats();
        w.header(&SaveInfo { redis_ver: crate::REDIS_VERSION.into(), ctime: rhodium_storage::clock::now_ms() / 1000, used_mem, repl, aof_base: false })?;
        // The libraries loaded when the file is written (a BGSAVE's are those of a moment
        // after its snapshot: libraries are not part of the keyspace snapshot).
        for code in crate::scripting::library_codes(server) {
            w.function(&code)?;
        }
        let dirty_before = body(&mut w)?;
        let buf = w.finish(other_yes(cfg, "rdbchecksum", true))?;
        let file = buf.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()?;
        Ok((file, dirty_before))
    };
    let (file, dirty_before) = match write() {
        Ok(x) => x,
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            return Err(format!("Write error saving DB on disk: {e}"));
        }
    };
    drop(file);
    if let Err(e) = std::fs::rename(&tmp, target) {
        let _ = std::fs::remove_file(&tmp);
        return Err(format!("Error moving temp DB file {} on the final destination {} (in server root dir {}): {}", tmp.display(), target.display(), cwd(), e));
    }
    // Make the rename itself durable.
    let dir = target.parent().filter(|p| !p.as_os_str().is_empty()).map_or_else(|| PathBuf::from("."), PathBuf::from);
    if let Ok(d) = File::open(&dir) {
        let _ = d.sync_all();
    }
    Ok(dirty_before)
}

/// How a load went.
pub struct LoadReport {
    pub keys_loaded: u64,
    pub keys_expired: u64,
    pub seconds: f64,
    /// Where the RDB ended in the data (commands may follow in an AOF).
    pub end: usize,
}

/// Loads `dbfilename` into the keyspace (which the caller has emptied, unless `merge`,
/// where a key in the file replaces the one in memory). `Ok(None)` when there is no file.
pub fn load(server: &Server, merge: bool) -> Result<Option<LoadReport>, RdbError> {
    let cfg = server.config();
    let path = rdb_path(&cfg);
    let name = path.display().to_string();
    let data = match std::fs::read(&path) {
        Ok(d) => d,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(RdbError::new(RdbErrorKind::Io, 0, e.to_string()).in_file(&name)),
    };
    server.persistence.loading_begin(data.len() as u64);
    load_rdb_data(server, &data, &name, merge).map(Some)
}

/// Logs where an RDB being loaded comes from (version, age, memory when written), as
/// Redis does; returns its `used-mem`.
pub fn log_rdb_origin(summary: &rdb::LoadSummary, now_ms: i64) -> Option<i64> {
    if let Some(v) = summary.aux_value(b"redis-ver") {
        log_notice!("Loading RDB produced by version {}", String::from_utf8_lossy(v));
    }
    if let Some(ctime) = summary.aux_value(b"ctime").and_then(rhodium_protocol::number::parse_i64) {
        log_notice!("RDB age {} seconds", (now_ms / 1000 - ctime).max(0));
    }
    let mem = summary.aux_value(b"used-mem").and_then(rhodium_protocol::number::parse_i64);
    if let Some(mem) = mem {
        log_notice!("RDB memory usage when created {:.2} Mb", mem as f64 / (1024.0 * 1024.0));
    }
    mem
}

/// Loads an RDB held in memory (a `dbfilename` file, or an AOF base with an RDB preamble)
/// named `name` in errors and the log.
pub fn load_rdb_data(server: &Server, data: &[u8], name: &str, merge: bool) -> Result<LoadReport, RdbError> {
    let cfg = server.config();
    let delay = other_num(&cfg, "key-load-delay", 0);
    let total_keys_hint = data.len() as u64;
    let mut seen = 0u64;
    let start = Instant::now();
    let now = rhodium_storage::clock::now_ms();
    let mut expired = 0u64;
    let ks = &server.keyspace;
    // A replica (here, one configured by `replicaof`) keeps them: its master's DELs come.
    let primary = cfg.other.get("replicaof").is_none_or(|v| v.is_empty());
    let summary = rdb::load(data, &load_limits(&cfg), |k| {
        // Progress is estimated per key (the reader does not report offsets).
        seen += 1;
        if seen.is_multiple_of(1024) {
            let p = &server.persistence;
            let est = (seen * 64).min(total_keys_hint);
            p.loading_progress(est.max(p.loading_loaded_bytes.load(Ordering::Relaxed)));
        }
        debug_delay(delay);
        // A primary drops keys already past their time, as Redis does when loading.
        if primary && k.expire_ms.is_some_and(|at| at < now) {
            expired += 1;
            return Ok(());
        }
        let mut l = ks.lock([(k.db, &k.key)], LockMode::Write, now, ExpiryMode::Delete);
        if !merge && l.exists(k.db, &k.key).unwrap_or(false) {
            return Err(format!("RDB has duplicated key '{}' in DB {}", String::from_utf8_lossy(&k.key), k.db));
        }
        let expiry = k.expire_ms.map_or(SetExpiry::Clear, SetExpiry::At);
        l.set(k.db, &k.key, k.value, expiry).map_err(|e| e.to_string())?;
        // An idle time saved under an LRU policy becomes the key's access clock again
        // (Redis's objectSetLRUOrLFU).
        if let Some(idle) = k.idle_secs {
            let clock = i64::from(rhodium_storage::clock::lru_clock(now));
            let mut abs = clock - i64::try_from(idle).unwrap_or(i64::MAX).min(clock + 1);
            if abs < 0 {
                abs = (clock + i64::from(rhodium_storage::clock::LRU_CLOCK_MAX / 2)) % i64::from(rhodium_storage::clock::LRU_CLOCK_MAX);
            }
            if let Ok(Some(e)) = l.get_entry(k.db, &k.key, false) {
                e.touch(abs as u32);
            }
        }
        Ok(())
    })
    .map_err(|e| e.in_file(name))?;
    server.persistence.loading_progress(server.persistence.loading_loaded_bytes.load(Ordering::Relaxed).max(data.len() as u64));
    if let Some(mem) = log_rdb_origin(&summary, now) {
        server.persistence.loading_rdb_used_mem.store(mem.max(0) as u64, Ordering::Relaxed);
    }
    if summary.aux_value(b"aof-base").is_some_and(|v| v == b"1") {
        log_notice!("RDB is base AOF");
    }
    if summary.module_aux_skipped > 0 {
        log_warning!("Skipped {} module aux sections in {} (no modules are loaded)", summary.module_aux_skipped, name);
    }
    if summary.empty_keys_skipped > 0 {
        log_notice!("Done loading RDB, keys loaded: {}, keys expired: {}, empty keys skipped: {}.", summary.keys_loaded - expired, expired, summary.empty_keys_skipped);
    } else {
        log_notice!("Done loading RDB, keys loaded: {}, keys expired: {}.", summary.keys_loaded - expired, expired);
    }
    crate::replication::replica::note_loaded_aux(server, &summary.aux);
    crate::scripting::restore_libraries(server, summary.functions, merge).map_err(|e| RdbError::new(RdbErrorKind::Corrupt, 0, e).in_file(&name))?;
    let loaded = summary.keys_loaded - expired;
    server.persistence.last_load_keys_loaded.store(loaded, Ordering::Relaxed);
    server.persistence.last_load_keys_expired.store(expired, Ordering::Relaxed);
    Ok(LoadReport { keys_loaded: loaded, keys_expired: expired, seconds: start.elapsed().as_secs_f64(), end: summary.end })
}

/// Startup: loads the AOF when `appendonly` is on, else the RDB if present, and logs as
/// Redis does; false when the data could not be loaded, which is fatal (the caller exits
/// non-zero). The caller keeps `server.loading` set meanwhile, so connections get
/// -LOADING, and clears it once the server is ready.
pub fn load_at_startup(server: &Server) -> bool {
    if !loads_at_startup(server) {
        return true;
    }
    let ok = load_at_startup_inner(server);
    *server.persistence.loading_started.lock() = None;
    ok
}

/// Whether startup has anything to do before serving commands: with the AOF on, always
/// (its files are loaded, or created, before writes may reach it); else when the RDB file
/// or an AOF manifest exists. Clients connecting meanwhile are answered -LOADING.
pub fn loads_at_startup(server: &Server) -> bool {
    let cfg = server.config();
    cfg.appendonly || rdb_path(&cfg).exists() || crate::aof::manifest_path(&cfg).exists()
}

fn load_at_startup_inner(server: &Server) -> bool {
    if server.config().appendonly {
        return crate::aof::load_at_startup(server);
    }
    // The manifest is read anyway, so a BGREWRITEAOF continues its numbering.
    match crate::aof::read_manifest(server) {
        Ok(Some(m)) => *server.aof.files.lock() = m,
        Ok(None) => {}
        Err(e) => {
            log_warning!("{}", e);
            return false;
        }
    }
    match load(server, false) {
        Ok(Some(r)) => {
            log_notice!("DB loaded from disk: {:.3} seconds", r.seconds);
            true
        }
        Ok(None) => true,
        Err(e) => {
            log_warning!("Fatal error loading the DB: {}. Exiting.", e);
            false
        }
    }
}

/// The save at shutdown (SHUTDOWN [SAVE], SIGTERM), as Redis's `prepareForShutdown`;
/// false when it failed.
pub fn save_for_shutdown(server: &Server) -> bool {
    // A background save in progress finishes first (Redis kills its child instead; here
    // the thread cannot be killed, and its file is as good as a new one).
    let deadline = Instant::now() + std::time::Duration::from_secs(600);
    while server.persistence.bgsave_in_progress.load(Ordering::Acquire) && Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    log_notice!("Saving the final RDB snapshot before exiting.");
    let ok = save(server).is_ok();
    if !ok {
        log_warning!("Error trying to save the DB, can't exit.");
    }
    ok
}

/// BGSAVE: starts a point-in-time snapshot and writes it from a background thread while
/// commands keep running (see `rhodium_storage::snapshot`). Errors are Redis's replies.
pub fn bgsave(server: &Server) -> Result<(), String> {
    let st = &server.persistence;
    if server.aof.rewrite_in_progress.load(Ordering::Acquire) && !st.bgsave_in_progress.load(Ordering::Acquire) {
        return Err("Another child process is active (AOF?): can't BGSAVE right now. Use BGSAVE SCHEDULE in order to schedule a BGSAVE whenever possible.".into());
    }
    if st.bgsave_in_progress.swap(true, Ordering::AcqRel) {
        return Err("Background save already in progress".into());
    }
    let Some(me) = server.arc() else {
        st.bgsave_in_progress.store(false, Ordering::Release);
        return Err("server is shutting down".into());
    };
    let now = rhodium_storage::clock::now_ms();
    st.last_bgsave_try.store(now / 1000, Ordering::Relaxed);
    *st.bgsave_started.lock() = Some(Instant::now());
    let cfg = server.config();
    let (repl, hold) = crate::replication::replica::rdb_save_info(server);
    let snap = server.keyspace.start_snapshot(write_options(&cfg), || server.dirty.load(Ordering::Relaxed));
    drop(hold);
    let Some(snap) = snap else {
        st.bgsave_in_progress.store(false, Ordering::Release);
        return Err("Background save already in progress".into());
    };
    drop(cfg);
    log_notice!("Background saving started");
    let spawned = std::thread::Builder::new().name("rhodium-bgsave".into()).spawn(move || {
        let server = &*me;
        let started = Instant::now();
        let result = {
            let _one_at_a_time = server.persistence.save_lock.lock();
            let cfg = server.config();
            save_to(server, &cfg, &rdb_path(&cfg), repl, |w| {
                for db in 0..snap.databases() {
                    let (keys, expires) = snap.counts(db);
                    if keys == 0 {
                        continue;
                    }
                    w.select_db(db, keys, expires)?;
                    for s in 0..rhodium_storage::keyspace::STRIPES {
                        w.raw_records(&server.keyspace.snapshot_stripe(&snap, db, s))?;
                    }
                }
                Ok(snap.dirty_at_start)
            })
        };
        server.keyspace.end_snapshot();
        let st = &server.persistence;
        st.last_bgsave_secs.store(started.elapsed().as_secs() as i64, Ordering::Relaxed);
        match result {
            Ok(dirty_before) => {
                log_notice!("DB saved on disk");
                server.dirty.fetch_sub(dirty_before.min(server.dirty.load(Ordering::Relaxed)), Ordering::Relaxed);
                server.lastsave_secs.store(now / 1000, Ordering::Relaxed);
                st.saves.fetch_add(1, Ordering::Relaxed);
                st.last_bgsave_failed.store(false, Ordering::Relaxed);
                log_notice!("Background saving terminated with success");
            }
            Err(e) => {
                log_warning!("{}", e);
                st.last_bgsave_failed.store(true, Ordering::Relaxed);
                log_warning!("Background saving error");
            }
        }
        *st.bgsave_started.lock() = None;
        st.bgsave_in_progress.store(false, Ordering::Release);
    });
    if let Err(e) = spawned {
        server.keyspace.end_snapshot();
        st.bgsave_in_progress.store(false, Ordering::Release);
        return Err(format!("Can't save in background: {e}"));
    }
    Ok(())
}

/// The cron's save points (Redis's `serverCron`): BGSAVE when some `save <seconds>
/// <changes>` pair is met, retrying a failed one only after 5 seconds.
pub fn cron_save_points(server: &Server) {
    let st = &server.persistence;
    if st.bgsave_in_progress.load(Ordering::Acquire) {
        return;
    }
    let cfg = server.config();
    let nums: Vec<i64> = cfg.save.split_whitespace().filter_map(|n| n.parse().ok()).collect();
    let now = rhodium_storage::clock::now_ms() / 1000;
    let dirty = server.dirty.load(Ordering::Relaxed) as i64;
    let lastsave = server.lastsave_secs.load(Ordering::Relaxed);
    let retry_ok = now - st.last_bgsave_try.load(Ordering::Relaxed) > 5 || !st.last_bgsave_failed.load(Ordering::Relaxed);
    for pair in nums.chunks_exact(2) {
        let (seconds, changes) = (pair[0], pair[1]);
        if dirty >= changes && now - lastsave > seconds && retry_ok {
            log_notice!("{} changes in {} seconds. Saving...", changes, seconds);
            drop(cfg);
            let _ = bgsave(server);
            return;
        }
    }
}
