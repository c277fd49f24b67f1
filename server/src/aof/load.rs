//! Loading the AOF at startup (Redis's `loadAppendOnlyFiles`): the manifest, then the base
//! (an RDB preamble or commands), then every incremental file in order, each command run
//! through dispatch by an internal client that nothing propagates. A torn tail of the
//! last file is cut under `aof-load-truncated yes`; anything else wrong stops startup with
//! the file and offset in the log. Then the AOF is opened for appending, creating the base
//! and the first incremental file when the directory holds none (Redis 7.0's
//! `aofOpenIfNeededOnServerStart`).

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use rhodium_protocol::{ReplyWriter, Resp};
use rhodium_storage::aof::{Manifest, ReadError, Reader};

use super::{dir_path, manifest_path, opt, persist_manifest, prefix};
use crate::commands::table::Lookup;
use crate::net::clients::{ClientHandle, ClientState, Peer};
use crate::state::Server;
use crate::{log_notice, log_warning};

/// Reads the manifest if the AOF directory has one (also when `appendonly` is off, so a
/// later rewrite continues its sequence numbers). Err with the message to log.
pub fn read_manifest(server: &Server) -> Result<Option<Manifest>, String> {
    let cfg = server.config();
    let path = manifest_path(&cfg);
    match std::fs::read(&path) {
        Ok(data) => Manifest::parse(&data).map(Some).map_err(|e| format!("{} in the AOF manifest file {}", e, path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(format!("Can't open the AOF manifest file {}: {}", path.display(), e)),
    }
}

/// Loads the AOF into the (empty) keyspace and opens it for appending. False when startup
/// must stop (the reason is logged).
pub fn load_at_startup(server: &Server) -> bool {
    if let Err(e) = upgrade_old_style(server) {
        log_warning!("{}", e);
        return false;
    }
    let manifest = match read_manifest(server) {
        Ok(m) => m.unwrap_or_default(),
        Err(e) => {
            log_warning!("{}", e);
            return false;
        }
    };
    if !manifest.is_empty() && !load_files(server, &manifest) {
        return false;
    }
    *server.aof.files.lock() = manifest;
    open_on_start(server)
}

/// A Redis 6 single-file AOF (`appendfilename` in `dir`, no manifest) becomes the base
/// of a multi-part AOF under its own name, as Redis 7.0's `aofUpgradePrepare` does.
fn upgrade_old_style(server: &Server) -> Result<(), String> {
    let cfg = server.config();
    let old = std::path::PathBuf::from(prefix(&cfg));
    if manifest_path(&cfg).exists() || !old.is_file() {
        return Ok(());
    }
    let dir = dir_path(&cfg);
    std::fs::create_dir_all(&dir).map_err(|e| format!("Can't open or create append-only dir {}: {}", dir.display(), e))?;
    let name = prefix(&cfg);
    let m = Manifest { base: Some(rhodium_storage::aof::AofFile { name: name.clone(), seq: 1, kind: rhodium_storage::aof::FileKind::Base }), base_seq: 1, ..Manifest::default() };
    std::fs::rename(&old, dir.join(&name)).map_err(|e| format!("Error trying to move the old AOF file {} into dir {}: {}", name, dir.display(), e))?;
    persist_manifest(&cfg, &m).map_err(|e| format!("Can't persist the AOF manifest: {e}"))?;
    log_notice!("Successfully migrated an old-style AOF file ({}) into the AOF directory ({}).", name, dir.display());
    Ok(())
}

/// Sizes of the files to load, for INFO's loading fields.
fn total_size(server: &Server, m: &Manifest) -> u64 {
    let dir = dir_path(&server.config());
    m.base.iter().chain(m.incrs.iter()).filter_map(|f| std::fs::metadata(dir.join(&f.name)).ok()).map(|md| md.len()).sum()
}

fn load_files(server: &Server, m: &Manifest) -> bool {
    let start = Instant::now();
    let dir = dir_path(&server.config());
    server.persistence.loading_begin(total_size(server, m));
    let mut client = loader_client(server);
    let mut done_bytes = 0u64;
    if let Some(base) = &m.base {
        let t = Instant::now();
        let path = dir.join(&base.name);
        let data = match std::fs::read(&path) {
            Ok(d) => Bytes::from(d),
            Err(e) => {
                log_warning!("Fatal error: can't open the base AOF file {} for reading: {}", base.name, e);
                return false;
            }
        };
        // Commands start after the RDB preamble, if any (a Redis 6 single-file AOF has both).
        let mut commands_at = 0;
        if data.starts_with(b"REDIS") {
            log_notice!("Reading RDB base file on AOF loading...");
            match crate::persistence::load_rdb_data(server, &data, &base.name, false) {
                Ok(r) => commands_at = r.end,
                Err(e) => {
                    log_warning!("Fatal error loading the DB: {}. Exiting.", e);
                    return false;
                }
            }
        }
        if commands_at < data.len() && !replay(server, &mut client, data.clone(), commands_at, &base.name, m.incrs.is_empty(), done_bytes) {
            return false;
        }
        done_bytes += data.len() as u64;
        log_notice!("DB loaded from base file {}: {:.3} seconds", base.name, t.elapsed().as_secs_f64());
    }
    for (i, f) in m.incrs.iter().enumerate() {
        let t = Instant::now();
        let data = match std::fs::read(dir.join(&f.name)) {
            Ok(d) => Bytes::from(d),
            Err(e) => {
                log_warning!("Fatal error: can't open the incr AOF file {} for reading: {}", f.name, e);
                return false;
            }
        };
        let len = data.len() as u64;
        if !replay(server, &mut client, data, 0, &f.name, i + 1 == m.incrs.len(), done_bytes) {
            return false;
        }
        done_bytes += len;
        log_notice!("DB loaded from incr file {}: {:.3} seconds", f.name, t.elapsed().as_secs_f64());
    }
    crate::commands::tx::discard_transaction(server, &mut client);
    // Replaying is not a change since the last save.
    server.dirty.store(0, Ordering::Relaxed);
    log_notice!("DB loaded from append only file: {:.3} seconds", start.elapsed().as_secs_f64());
    true
}

/// The internal client replaying the file: authenticated, allowed while loading, never
/// propagated, not listed by CLIENT LIST.
fn loader_client(server: &Server) -> ClientState {
    let peer = Peer::Unix("aof".into());
    let mut c = ClientState::new(Arc::new(ClientHandle::new(server.clients.next_id(), peer.clone(), peer, -1)), true);
    c.replaying = true;
    c
}

/// Runs every command of one file. A torn tail is cut when allowed (`last` file and
/// `aof-load-truncated yes`); false when startup must stop.
fn replay(server: &Server, client: &mut ClientState, data: Bytes, start: usize, name: &str, last: bool, done_bytes: u64) -> bool {
    let mut r = Reader::new(data, start);
    let mut out = ReplyWriter::new(Resp::V2);
    let mut before_multi: Option<usize> = None;
    let delay = opt(&server.config(), "key-load-delay").parse::<i64>().unwrap_or(0);
    let mut n = 0u64;
    let stop_at = loop {
        match r.next_command() {
            Ok(Some(cmd)) => {
                let lookup = server.table.lookup(&cmd.argv);
                if matches!(lookup, Lookup::Unknown) {
                    log_warning!("Unknown command '{}' reading the append only file {}", String::from_utf8_lossy(&cmd.argv[0]), name);
                    return false;
                }
                let name_is = |s: &[u8]| cmd.argv[0].eq_ignore_ascii_case(s);
                if name_is(b"MULTI") {
                    before_multi = Some(cmd.start);
                } else if name_is(b"EXEC") || name_is(b"DISCARD") {
                    before_multi = None;
                }
                crate::dispatch::execute_looked_up(server, client, cmd.argv, lookup, &mut out);
                out.clear();
                n += 1;
                if n.is_multiple_of(1024) {
                    server.persistence.loading_progress(done_bytes + cmd.end as u64);
                }
                crate::persistence::debug_delay(delay);
            }
            Ok(None) => match before_multi {
                // A transaction without its EXEC is a torn tail too (Redis reverts it).
                Some(at) => {
                    log_warning!("Revert incomplete MULTI/EXEC transaction in AOF file {}", name);
                    break at;
                }
                None => {
                    server.persistence.loading_progress(done_bytes + r.len() as u64);
                    return true;
                }
            },
            Err(ReadError::Truncated { valid_up_to }) => break before_multi.unwrap_or(valid_up_to),
            Err(ReadError::Format { offset, reason }) => {
                log_warning!("Bad file format reading the append only file {}: make a backup of your AOF file, then use ./redis-check-aof --fix <filename.manifest>", name);
                log_warning!("AOF {} is corrupt at offset {}: {}", name, offset, reason);
                return false;
            }
        }
    };
    // The transaction's queued commands never ran.
    crate::commands::tx::discard_transaction(server, client);
    if !last {
        log_warning!("Unexpected end of file reading the append only file {} at offset {}", name, stop_at);
        log_warning!("Fatal error: the truncated file is not the last file");
        return false;
    }
    if opt(&server.config(), "aof-load-truncated") != "yes" {
        log_warning!("Unexpected end of file reading the append only file {}. You can: 1) Make a backup of your AOF file, then use ./redis-check-aof --fix <filename.manifest>. 2) Alternatively you can set the 'aof-load-truncated' configuration option to yes and restart the server.", name);
        log_warning!("AOF {} ends in an incomplete command after offset {}", name, stop_at);
        return false;
    }
    log_warning!("!!! Warning: short read while loading the AOF file {}!!!", name);
    log_warning!("!!! Truncating the AOF {} at offset {} !!!", name, stop_at);
    let path = dir_path(&server.config()).join(name);
    let cut = std::fs::OpenOptions::new().write(true).open(&path).and_then(|f| {
        f.set_len(stop_at as u64)?;
        f.sync_all()
    });
    if let Err(e) = cut {
        log_warning!("Error truncating the AOF file {}: {}", name, e);
        return false;
    }
    log_warning!("AOF {} loaded anyway because aof-load-truncated is enabled", name);
    true
}

/// Opens the AOF for appending after the load: the last incremental file if there is one,
/// else a new one; with no base either, a base is first written from the dataset.
fn open_on_start(server: &Server) -> bool {
    let cfg = server.config();
    let dir = dir_path(&cfg);
    if let Err(e) = std::fs::create_dir_all(&dir) {
        log_warning!("Can't open or create append-only dir {}: {}", dir.display(), e);
        return false;
    }
    let pre = prefix(&cfg);
    let mut m = server.aof.files.lock();
    if m.is_empty() {
        let preamble = opt(&cfg, "aof-use-rdb-preamble") == "yes";
        let name = m.new_base(&pre, preamble);
        match super::rewrite::base_from_dataset(server, &dir.join(&name), preamble) {
            Ok(size) => server.aof.base_size.store(size, Ordering::Relaxed),
            Err(e) => {
                log_warning!("Can't create the AOF base file {}: {}", name, e);
                return false;
            }
        }
        log_notice!("Creating AOF base file {} on server start", name);
    }
    let (name, created) = match m.incrs.last() {
        Some(f) => (f.name.clone(), false),
        None => (m.new_incr(&pre), true),
    };
    let file = std::fs::OpenOptions::new().create(true).append(true).open(dir.join(&name));
    let file = match file {
        Ok(f) => f,
        Err(e) => {
            log_warning!("Can't open the append-only file {}: {}", name, e);
            return false;
        }
    };
    if created {
        log_notice!("Creating AOF incr file {} on server start", name);
    } else {
        log_notice!("Opening AOF incr file {} on server start", name);
    }
    if let Err(e) = persist_manifest(&cfg, &m) {
        log_warning!("Can't persist the AOF manifest: {}", e);
        return false;
    }
    let sizes = |f: &rhodium_storage::aof::AofFile| std::fs::metadata(dir.join(&f.name)).map_or(0, |md| md.len());
    let base = m.base.as_ref().map_or(0, sizes);
    let incr_total: u64 = m.incrs.iter().map(sizes).sum();
    drop(m);
    delete_history(server);
    // Redis counts the whole AOF as the base after a load, so a restart does not trigger
    // an automatic rewrite at once.
    server.aof.base_size.store(base + incr_total, Ordering::Relaxed);
    server.aof.enabled.store(true, Ordering::Release);
    if let Err(e) = server.aof.start_writer(server, file, base + incr_total) {
        log_warning!("Can't start the AOF writer: {}", e);
        return false;
    }
    true
}

/// Removes the files the manifest lists as history and drops them from it.
pub(crate) fn delete_history(server: &Server) {
    let cfg = server.config();
    let dir = dir_path(&cfg);
    let mut m = server.aof.files.lock();
    if m.history.is_empty() {
        return;
    }
    let old = std::mem::take(&mut m.history);
    if let Err(e) = persist_manifest(&cfg, &m) {
        log_warning!("Can't persist the AOF manifest: {}", e);
        m.history = old;
        return;
    }
    for f in old {
        log_notice!("Removing the history file {} in the background", f.name);
        let _ = std::fs::remove_file(dir.join(&f.name));
    }
}
