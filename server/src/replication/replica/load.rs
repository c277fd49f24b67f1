//! A full sync's payload (Redis's `readSyncBulkPayload`): the `$len` or `$EOF:<mark>`
//! preamble, the RDB received to a temp file (`repl-diskless-load disabled`, then renamed
//! to `dbfilename` and loaded) or to memory (`on-empty-db` with an empty dataset,
//! `swapdb`), and the load itself. While it loads, `server.loading` makes clients get
//! -LOADING; with `swapdb` and the same replication history, the old data keeps being
//! served and the new one is swapped in whole.

use std::io::{ErrorKind, Write};
use std::sync::atomic::Ordering;

use rhodium_replication::replica::{self as proto, Preamble};
use rhodium_storage::keyspace::{ExpiryMode, SetExpiry};
use rhodium_storage::rdb::{self, RdbError};
use rhodium_storage::{Keyspace, LockMode};

use super::link::Link;
use super::{setting, LinkState};
use crate::state::Server;
use crate::{log_notice, log_warning};

/// Receives and loads the payload; returns the database the master's stream has
/// selected (`repl-stream-db` of the payload, else 0).
pub(super) fn full_sync(server: &Server, generation: u64, link: &mut Link, replid: &str, offset: i64) -> Result<usize, ()> {
    let st = &server.replica;
    st.set_state(LinkState::Transfer);
    let now_ms = rhodium_storage::clock::now_ms;
    st.transfer_size.store(-1, Ordering::Relaxed);
    st.transfer_read.store(0, Ordering::Relaxed);
    st.transfer_lastio_ms.store(now_ms(), Ordering::Relaxed);
    let preamble = loop {
        let line = link.read_line().map_err(|e| transfer_error(&e))?;
        st.transfer_lastio_ms.store(now_ms(), Ordering::Relaxed);
        match proto::parse_preamble(&line) {
            // A newline works as a PING while the master prepares the payload.
            Preamble::KeepAlive => continue,
            p => break p,
        }
    };
    let (size, mark) = match preamble {
        Preamble::Size(n) => (Some(n), None),
        Preamble::Eof(m) => (None, Some(m)),
        Preamble::Error(e) => {
            log_warning!("MASTER aborted replication with an error: {}", e);
            return Err(());
        }
        Preamble::Bad(msg) => {
            log_warning!("{}", msg);
            return Err(());
        }
        Preamble::KeepAlive => return Err(()),
    };
    let cfg = server.config();
    let mode = setting(&cfg, "repl-diskless-load");
    let empty = (0..server.keyspace.databases()).all(|d| server.keyspace.dbsize(d) == 0);
    let diskless = mode == "swapdb" || (mode == "on-empty-db" && empty);
    let dest = if diskless { "to parser" } else { "to disk" };
    match size {
        Some(n) => log_notice!("MASTER <-> REPLICA sync: receiving {} bytes from master {}", n, dest),
        None => log_notice!("MASTER <-> REPLICA sync: receiving streamed RDB from master with EOF {}", dest),
    }
    st.transfer_size.store(size.map_or(0, |n| n as i64), Ordering::Relaxed);
    let tmp = std::path::PathBuf::from(format!("temp-{}.{}.rdb", now_ms() / 1000, std::process::id()));
    let mut file = if diskless {
        None
    } else {
        match std::fs::File::create(&tmp) {
            Ok(f) => Some(f),
            Err(e) => {
                log_warning!("Opening the temp file needed for MASTER <-> REPLICA synchronization: {}", e);
                return Err(());
            }
        }
    };
    // A diskless load other than swapdb empties the dataset first and loads while the
    // payload arrives: clients get -LOADING for the whole transfer, as from Redis.
    let swap = mode == "swapdb";
    let streaming_load = diskless && !swap;
    if streaming_load {
        server.loading.store(true, Ordering::Release);
        flush_old_data(server);
        log_notice!("MASTER <-> REPLICA sync: Loading DB in memory");
    }
    let received = receive(server, link, size, mark.as_ref(), file.as_mut());
    let data = match received {
        Ok(d) => d,
        Err(()) => {
            drop(file);
            let _ = std::fs::remove_file(&tmp);
            server.loading.store(false, Ordering::Release);
            return Err(());
        }
    };
    if !st.current(generation) {
        let _ = std::fs::remove_file(&tmp);
        server.loading.store(false, Ordering::Release);
        return Err(());
    }
    let data = match file {
        Some(f) => {
            let _ = f.sync_all();
            drop(f);
            let target = crate::persistence::rdb_path(&cfg);
            if let Err(e) = std::fs::rename(&tmp, &target) {
                log_warning!("Failed trying to rename the temp DB into {} in MASTER <-> REPLICA synchronization: {}", target.display(), e);
                let _ = std::fs::remove_file(&tmp);
                return Err(());
            }
            match std::fs::read(&target) {
                Ok(d) => d,
                Err(e) => {
                    log_warning!("Failed trying to load the MASTER synchronization DB from disk: {}", e);
                    return Err(());
                }
            }
        }
        None => data,
    };
    drop(cfg);
    // Redis serves the old data during a swapdb load only when the payload continues the
    // history it already has (same replication id).
    let same_history = swap && st.inner.lock().replid == replid;
    let loaded = if swap {
        load_swapdb(server, &data, same_history)
    } else if streaming_load {
        let r = load_into(server, &server.keyspace, &data);
        server.loading.store(false, Ordering::Release);
        r
    } else {
        load_in_place(server, &data)
    };
    let db = match loaded {
        Ok(db) => db,
        Err(e) => {
            log_warning!("Failed trying to load the MASTER synchronization DB from {}: {}", if diskless { "socket" } else { "disk" }, e);
            // A half-loaded dataset is discarded; swapdb still has the old one in place.
            if !swap {
                server.keyspace.flush_all_then(|_| ());
            }
            server.loading.store(false, Ordering::Release);
            return Err(());
        }
    };
    {
        let mut inner = st.inner.lock();
        inner.replid = replid.to_string();
        inner.cached = None;
    }
    // The dataset was replaced: tracking clients drop their whole cache, as on FLUSHALL.
    server.tracking.flushed(server);
    // The upstream's history becomes this server's: replid2 cleared, a fresh backlog at
    // `offset`, sub-replicas disconnected (they must sync again).
    server.repl.set_upstream(server, replid, offset as u64);
    st.reploff.store(offset, Ordering::Relaxed);
    st.read_reploff.store(offset, Ordering::Relaxed);
    st.full_syncs.fetch_add(1, Ordering::Relaxed);
    if mark.is_some() {
        // A diskless master puts the replica online on its first ACK: send it now.
        let _ = link.send(&proto::ack_command(offset));
    }
    log_notice!("MASTER <-> REPLICA sync: Finished with success");
    Ok(db)
}

fn transfer_error(e: &std::io::Error) {
    if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) {
        log_warning!("Timeout receiving bulk data from MASTER... If the problem persists try to set the 'repl-timeout' parameter in redis.conf to a larger value.");
    } else {
        log_warning!("I/O error trying to sync with MASTER: {}", e);
    }
}

/// Reads the payload: exactly `size` bytes, or up to the EOF mark (removed). Written to
/// `file` when given (and an empty vector returned), else collected in memory.
fn receive(server: &Server, link: &mut Link, size: Option<u64>, mark: Option<&[u8; proto::RUN_ID_SIZE]>, mut file: Option<&mut std::fs::File>) -> Result<Vec<u8>, ()> {
    let st = &server.replica;
    let mut data = Vec::new();
    let mut got: u64 = 0;
    // The last bytes seen, to find the EOF mark when the payload goes to a file.
    let mut tail: Vec<u8> = Vec::new();
    let mut first = std::mem::take(&mut link.buf);
    loop {
        let mut chunk = if first.is_empty() {
            match link.fill() {
                Ok(_) => std::mem::take(&mut link.buf),
                Err(e) => {
                    transfer_error(&e);
                    return Err(());
                }
            }
        } else {
            std::mem::take(&mut first)
        };
        if let Some(n) = size {
            let want = (n - got) as usize;
            if chunk.len() > want {
                // The stream's first bytes: kept for the command parser.
                link.buf = chunk.split_off(want);
            }
        }
        got += chunk.len() as u64;
        st.transfer_read.store(got as i64, Ordering::Relaxed);
        st.transfer_lastio_ms.store(rhodium_storage::clock::now_ms(), Ordering::Relaxed);
        let done = match (size, mark) {
            (Some(n), _) => got >= n,
            (None, Some(m)) => {
                tail.extend_from_slice(&chunk);
                if tail.len() > proto::RUN_ID_SIZE {
                    tail.drain(..tail.len() - proto::RUN_ID_SIZE);
                }
                proto::ends_with_mark(&tail, m)
            }
            (None, None) => true,
        };
        match file.as_deref_mut() {
            Some(f) => {
                if let Err(e) = f.write_all(&chunk) {
                    log_warning!("Write error or short write writing to the DB dump file needed for MASTER <-> REPLICA synchronization: {}", e);
                    return Err(());
                }
            }
            None => data.extend_from_slice(&chunk),
        }
        if done {
            break;
        }
    }
    if mark.is_some() {
        // Drop the mark itself.
        match file {
            Some(f) => {
                let len = got.saturating_sub(proto::RUN_ID_SIZE as u64);
                if f.set_len(len).is_err() {
                    return Err(());
                }
            }
            None => data.truncate(data.len().saturating_sub(proto::RUN_ID_SIZE)),
        }
    }
    Ok(data)
}

/// Empties the dataset and loads the payload into it, answering -LOADING meanwhile.
fn load_in_place(server: &Server, data: &[u8]) -> Result<usize, RdbError> {
    server.loading.store(true, Ordering::Release);
    flush_old_data(server);
    log_notice!("MASTER <-> REPLICA sync: Loading DB in memory");
    let r = load_into(server, &server.keyspace, data);
    server.loading.store(false, Ordering::Release);
    r
}

/// Empties every database before a load, invalidating WATCHes.
fn flush_old_data(server: &Server) {
    log_notice!("MASTER <-> REPLICA sync: Flushing old data");
    for d in 0..server.keyspace.databases() {
        server.watches.touch_db(server, d, None);
    }
    server.keyspace.flush_all_then(|_| ());
}

/// `swapdb`: loads into a fresh keyspace while the old one keeps serving (or answers
/// -LOADING when the history changed), then swaps them.
fn load_swapdb(server: &Server, data: &[u8], async_loading: bool) -> Result<usize, RdbError> {
    if !async_loading {
        server.loading.store(true, Ordering::Release);
    }
    log_notice!("MASTER <-> REPLICA sync: Loading DB in memory");
    let fresh = Keyspace::new(server.keyspace.databases());
    let r = load_into(server, &fresh, data);
    if r.is_ok() {
        log_notice!("MASTER <-> REPLICA sync: Swapping the loaded data with the old data");
        for d in 0..server.keyspace.databases() {
            server.watches.touch_db(server, d, None);
        }
        server.keyspace.swap_all_with(&fresh);
    }
    server.loading.store(false, Ordering::Release);
    // The old data goes out of scope here, outside any lock.
    drop(fresh);
    r
}

/// Loads an RDB image into `ks`. A replica keeps keys already past their time: the
/// master's DEL for each will come in the stream.
fn load_into(server: &Server, ks: &Keyspace, data: &[u8]) -> Result<usize, RdbError> {
    let cfg = server.config();
    let now = rhodium_storage::clock::now_ms();
    let summary = rdb::load(data, &crate::persistence::load_limits(&cfg), |k| {
        let mut l = ks.lock([(k.db, &k.key)], LockMode::Write, now, ExpiryMode::Ignore);
        let expiry = k.expire_ms.map_or(SetExpiry::Clear, SetExpiry::At);
        l.set(k.db, &k.key, k.value, expiry).map_err(|e| e.to_string())
    })?;
    crate::persistence::log_rdb_origin(&summary, now);
    log_notice!("Done loading RDB, keys loaded: {}, keys expired: 0.", summary.keys_loaded);
    // The master's libraries replace this node's, as a full sync does in Redis.
    crate::scripting::flush_libraries(server);
    crate::scripting::restore_libraries(server, summary.functions.clone(), true).map_err(|e| RdbError::new(rhodium_storage::rdb::RdbErrorKind::Corrupt, 0, e))?;
    server.persistence.last_load_keys_loaded.store(summary.keys_loaded, Ordering::Relaxed);
    server.persistence.last_load_keys_expired.store(0, Ordering::Relaxed);
    let db = summary.aux_value(b"repl-stream-db").and_then(rhodium_protocol::number::parse_i64).filter(|d| *d >= 0).unwrap_or(0);
    Ok(db as usize)
}
