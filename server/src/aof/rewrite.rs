//! BGREWRITEAOF without fork and without stopping writers for the save (Redis's
//! `rewriteAppendOnlyFileBackground` and `backgroundRewriteDoneHandler`).
//!
//! A rewrite thread first creates the next incremental file and lists it in the manifest
//! (so a crash during the rewrite still loads everything), then, for an instant while no
//! command runs (the world lock), starts a point-in-time snapshot and tells the sink that
//! later units go to the new file. What the snapshot holds is exactly what the files
//! before the switch hold, so no write is lost or doubled. It then writes the snapshot as
//! the new base, renames it into place, replaces the manifest atomically and removes the
//! old files. Turning the AOF on at runtime is the same rewrite, its incremental file
//! kept under a temporary name until the base exists.

use std::path::Path;
use std::sync::atomic::Ordering;
use std::time::Instant;

use super::{dir_path, opt, persist_manifest, prefix};
use crate::state::Server;
use crate::{log_notice, log_warning};

/// What BGREWRITEAOF did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BgRewrite {
    Started,
    /// A background save runs: the rewrite starts after it (`aof_rewrite_scheduled`).
    Scheduled,
}

/// BGREWRITEAOF. Errors are Redis's reply texts (without `ERR `).
pub fn bgrewriteaof(server: &Server) -> Result<BgRewrite, String> {
    if server.aof.rewrite_in_progress.load(Ordering::Acquire) {
        return Err("Background append only file rewriting already in progress".into());
    }
    if server.persistence.bgsave_in_progress.load(Ordering::Acquire) || server.keyspace.snapshot_running() {
        server.aof.rewrite_scheduled.store(true, Ordering::Release);
        return Ok(BgRewrite::Scheduled);
    }
    start(server, false).map(|()| BgRewrite::Started).map_err(|_| "Can't execute an AOF background rewriting. Please check the server logs for more information.".into())
}

/// The cron's part: a scheduled rewrite once no save runs, and `auto-aof-rewrite-percentage`
/// growth over `auto-aof-rewrite-min-size`.
pub fn cron(server: &Server) {
    let aof = &server.aof;
    if aof.rewrite_in_progress.load(Ordering::Acquire) || server.persistence.bgsave_in_progress.load(Ordering::Acquire) || server.keyspace.snapshot_running() {
        return;
    }
    if aof.rewrite_scheduled.load(Ordering::Acquire) {
        let _ = start(server, false);
        return;
    }
    if !aof.enabled.load(Ordering::Acquire) || !aof.writing() {
        return;
    }
    let cfg = server.config();
    let perc: u64 = opt(&cfg, "auto-aof-rewrite-percentage").parse().unwrap_or(0);
    let min: u64 = opt(&cfg, "auto-aof-rewrite-min-size").parse().unwrap_or(64 << 20);
    drop(cfg);
    let size = aof.shared.current_size.load(Ordering::Relaxed);
    if perc == 0 || size <= min {
        return;
    }
    let base = aof.base_size.load(Ordering::Relaxed).max(1);
    let growth = (size.saturating_sub(base)) * 100 / base;
    if growth >= perc {
        log_notice!("Starting automatic rewriting of AOF on {}% growth", growth);
        let _ = start(server, false);
    }
}

/// Starts a rewrite thread (`enabling`: CONFIG SET appendonly yes). Err when one runs or
/// the thread cannot start.
pub(crate) fn start(server: &Server, enabling: bool) -> Result<(), String> {
    let aof = &server.aof;
    if aof.rewrite_in_progress.swap(true, Ordering::AcqRel) {
        return Err("Background append only file rewriting already in progress".into());
    }
    let Some(me) = server.arc() else {
        aof.rewrite_in_progress.store(false, Ordering::Release);
        return Err("server is shutting down".into());
    };
    aof.rewrite_scheduled.store(false, Ordering::Release);
    *aof.rewrite_started.lock() = Some(Instant::now());
    aof.shared.rewriting.store(true, Ordering::Release);
    if enabling {
        aof.enabled.store(true, Ordering::Release);
    }
    let spawned = std::thread::Builder::new().name("rhodium-aofrw".into()).spawn(move || {
        let server = &*me;
        let started = Instant::now();
        let result = run(server, enabling);
        let aof = &server.aof;
        aof.last_rewrite_secs.store(started.elapsed().as_secs() as i64, Ordering::Relaxed);
        match result {
            Ok(()) => {
                aof.rewrites.fetch_add(1, Ordering::Relaxed);
                aof.consecutive_failures.store(0, Ordering::Relaxed);
                aof.last_rewrite_failed.store(false, Ordering::Relaxed);
                log_notice!("Background AOF rewrite finished successfully");
            }
            Err(e) => {
                log_warning!("{}", e);
                log_warning!("Background AOF rewrite terminated with error");
                aof.consecutive_failures.fetch_add(1, Ordering::Relaxed);
                aof.last_rewrite_failed.store(true, Ordering::Relaxed);
                if enabling {
                    aof.enabled.store(false, Ordering::Release);
                    aof.stop_writer();
                }
            }
        }
        *aof.rewrite_started.lock() = None;
        aof.shared.rewriting.store(false, Ordering::Release);
        aof.rewrite_in_progress.store(false, Ordering::Release);
    });
    if let Err(e) = spawned {
        aof.rewrite_in_progress.store(false, Ordering::Release);
        aof.shared.rewriting.store(false, Ordering::Release);
        *aof.rewrite_started.lock() = None;
        if enabling {
            aof.enabled.store(false, Ordering::Release);
        }
        log_warning!("Can't rewrite append only file in background: {}", e);
        return Err(e.to_string());
    }
    Ok(())
}

/// The temporary name of the incremental file written while the AOF is being turned on.
fn temp_incr_name(prefix: &str) -> String {
    format!("temp-{prefix}.incr")
}

/// The rewrite itself.
fn run(server: &Server, enabling: bool) -> Result<(), String> {
    let aof = &server.aof;
    let cfg = server.config();
    let dir = dir_path(&cfg);
    let pre = prefix(&cfg);
    let preamble = opt(&cfg, "aof-use-rdb-preamble") == "yes";
    std::fs::create_dir_all(&dir).map_err(|e| format!("Can't open or create append-only dir {}: {}", dir.display(), e))?;
    // The incremental file the writes after the switch point go to.
    let switching = enabling || aof.writing();
    let incr = if enabling {
        let name = temp_incr_name(&pre);
        let f = std::fs::File::create(dir.join(&name)).map_err(|e| format!("Can't open the append-only file {name}: {e}"))?;
        log_notice!("Creating AOF incr file {} on background rewrite", name);
        Some(f)
    } else if switching {
        let mut m = aof.files.lock();
        let name = m.new_incr(&pre);
        let f = std::fs::OpenOptions::new().create(true).append(true).open(dir.join(&name));
        let f = match f.and_then(|f| persist_manifest(&cfg, &m).map(|()| f)) {
            Ok(f) => f,
            Err(e) => {
                m.incrs.pop();
                m.incr_seq -= 1;
                let _ = std::fs::remove_file(dir.join(&name));
                return Err(format!("Can't open the append-only file {name}: {e}"));
            }
        };
        log_notice!("Creating AOF incr file {} on background rewrite", name);
        Some(f)
    } else {
        None
    };
    // The switch point: no command runs (the world is held) and every stripe is locked
    // (inside the snapshot's start) while the sink switches files, so the snapshot and
    // the files before the switch hold exactly the same writes.
    let (snap, functions) = {
        let world = server.world.write();
        let mut incr = incr;
        let mut writer_err = None;
        let snap = server.keyspace.start_snapshot(crate::persistence::write_options(&cfg), || {
            if let Some(f) = incr.take() {
                if enabling {
                    writer_err = aof.start_writer(server, f, 0).err();
                } else {
                    aof.shared.switch_to(f);
                }
            }
            server.dirty.load(Ordering::Relaxed)
        });
        let functions: Vec<Vec<u8>> = crate::scripting::library_codes(server).iter().map(|c| c.to_vec()).collect();
        drop(world);
        let Some(snap) = snap else {
            return Err("Background AOF rewrite can't start: a background save is in progress".into());
        };
        if let Some(e) = writer_err {
            server.keyspace.end_snapshot();
            return Err(format!("Can't start the AOF writer: {e}"));
        }
        (snap, functions)
    };
    log_notice!("Background append only file rewriting started");
    let tmp = dir.join(format!("temp-rewriteaof-bg-{}.aof", std::process::id()));
    let written = super::base::write(server, &snap, &functions, &tmp, preamble);
    server.keyspace.end_snapshot();
    let base_size = match written {
        Ok(n) => n,
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            return Err(format!("Error writing the AOF base file: {e}"));
        }
    };
    log_notice!("Successfully created the temporary AOF base file {}", tmp.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default());
    if enabling && !aof.enabled.load(Ordering::Acquire) {
        let _ = std::fs::remove_file(&tmp);
        return Err("AOF was turned off during the rewrite".into());
    }
    // Install: rename the base, name the new incremental file, switch the manifest.
    let mut m = aof.files.lock();
    let old = m.clone();
    let kept_incr = if switching && !enabling { m.incrs.pop() } else { None };
    let base_name = m.new_base(&pre, preamble);
    let install = || -> std::io::Result<()> {
        std::fs::rename(&tmp, dir.join(&base_name))?;
        log_notice!("Successfully renamed the temporary AOF base file {} into {}", tmp.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default(), base_name);
        Ok(())
    };
    if let Err(e) = install() {
        *m = old;
        let _ = std::fs::remove_file(&tmp);
        return Err(format!("Error trying to rename the temporary AOF base file: {e}"));
    }
    if let Some(k) = kept_incr {
        m.incrs.push(k);
    }
    if enabling {
        let name = m.new_incr(&pre);
        let temp = temp_incr_name(&pre);
        if let Err(e) = std::fs::rename(dir.join(&temp), dir.join(&name)) {
            *m = old;
            return Err(format!("Error trying to rename the temporary AOF incr file {temp} into {name}: {e}"));
        }
        log_notice!("Successfully renamed the temporary AOF incr file {} into {}", temp, name);
    }
    if let Err(e) = persist_manifest(&cfg, &m) {
        *m = old;
        return Err(format!("Can't persist the AOF manifest: {e}"));
    }
    let incr_size: u64 = m.incrs.iter().filter_map(|f| std::fs::metadata(dir.join(&f.name)).ok()).map(|md| md.len()).sum();
    drop(m);
    super::fsync_dir(&dir);
    // As Redis: the size when the rewrite ended, the new incremental file included.
    aof.base_size.store(base_size + incr_size, Ordering::Relaxed);
    aof.shared.current_size.store(base_size + incr_size, Ordering::Relaxed);
    super::load::delete_history(server);
    Ok(())
}

/// Writes a base of the current dataset synchronously (the first start with
/// `appendonly yes` and no AOF); returns its size.
pub(crate) fn base_from_dataset(server: &Server, path: &Path, preamble: bool) -> std::io::Result<u64> {
    let cfg = server.config();
    let snap = server
        .keyspace
        .start_snapshot(crate::persistence::write_options(&cfg), || server.dirty.load(Ordering::Relaxed))
        .ok_or_else(|| std::io::Error::other("a background save is in progress"))?;
    let functions: Vec<Vec<u8>> = crate::scripting::library_codes(server).iter().map(|c| c.to_vec()).collect();
    let r = super::base::write(server, &snap, &functions, path, preamble);
    server.keyspace.end_snapshot();
    super::fsync_dir(path.parent().unwrap_or(Path::new(".")));
    r
}
