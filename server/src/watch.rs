//! WATCH bookkeeping (Redis's `multi.c` watched keys): which clients watch which keys,
//! and marking them dirty (CLIENT_DIRTY_CAS) when a watched key changes.
//!
//! The write path calls [`Watches::touch`] only while some client watches or blocks
//! (`Server::tracks_keys`, one relaxed load), so nobody pays for WATCH unless it is used.

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use bytes::Bytes;
use parking_lot::Mutex;
use rhodium_storage::keyspace::ExpiryMode;
use rhodium_storage::{DbIndex, LockMode, UnixMillis};

use crate::net::clients::ClientHandle;
use crate::state::Server;

/// One client watching one key.
struct Watcher {
    client: Arc<ClientHandle>,
    /// The key was already logically expired when WATCH ran (Redis 7.0's `wk->expired`):
    /// its deletion is then not a change.
    expired: bool,
}

/// Every watched key of every database.
#[derive(Default)]
pub struct Watches {
    map: Mutex<HashMap<(DbIndex, Bytes), Vec<Watcher>>>,
}

impl Watches {
    /// Starts watching `key` for `client` (a key watched twice is watched once). `expired`
    /// says whether the key was present but past its time. Call with the key's stripe
    /// locked, so writers that lock it afterwards see `Server::tracks_keys`.
    pub fn watch(&self, server: &Server, client: &Arc<ClientHandle>, db: DbIndex, key: Bytes, expired: bool) -> bool {
        let mut map = self.map.lock();
        let list = map.entry((db, key)).or_default();
        if list.iter().any(|w| w.client.id == client.id) {
            return false;
        }
        list.push(Watcher { client: client.clone(), expired });
        server.key_interest.fetch_add(1, Ordering::Relaxed);
        true
    }

    /// Stops watching the given keys for a client (UNWATCH, EXEC, DISCARD, disconnect).
    pub fn unwatch(&self, server: &Server, client_id: u64, keys: &[(DbIndex, Bytes)]) {
        if keys.is_empty() {
            return;
        }
        let mut map = self.map.lock();
        for k in keys {
            let Some(list) = map.get_mut(k) else {
                continue;
            };
            let before = list.len();
            list.retain(|w| w.client.id != client_id);
            server.key_interest.fetch_sub(before - list.len(), Ordering::Relaxed);
            if list.is_empty() {
                map.remove(k);
            }
        }
    }

    /// Whether a key the client watched while it was live has expired since (Redis 7.0's
    /// `isWatchedKeyExpired`: such an EXEC fails even if nothing deleted the key yet).
    pub fn any_expired(&self, server: &Server, client_id: u64, keys: &[(DbIndex, Bytes)], now: UnixMillis) -> bool {
        if keys.is_empty() {
            return false;
        }
        let candidates: Vec<&(DbIndex, Bytes)> = {
            let map = self.map.lock();
            keys.iter().filter(|k| map.get(*k).is_some_and(|l| l.iter().any(|w| w.client.id == client_id && !w.expired))).collect()
        };
        candidates.into_iter().any(|(db, key)| key_present(server, *db, key, now).1)
    }

    /// A watched key changed: its watchers' transactions will fail (Redis's
    /// `touchWatchedKey`), except a watcher that saw the key already expired, for whom
    /// the deletion of that expired key is no change.
    pub fn touch(&self, server: &Server, db: DbIndex, key: &[u8]) {
        let mut map = self.map.lock();
        let Some(list) = map.get_mut(&(db, Bytes::copy_from_slice(key))) else {
            return;
        };
        let mut live: Option<bool> = None;
        for w in list.iter_mut() {
            if w.expired {
                let exists = *live.get_or_insert_with(|| key_exists(server, db, key, rhodium_storage::clock::now_ms()));
                if !exists {
                    w.expired = false;
                    continue;
                }
            }
            w.client.dirty_cas.store(true, Ordering::Release);
        }
    }

    /// A database is being emptied (FLUSHDB, FLUSHALL) or swapped with `replaced_with`
    /// (SWAPDB): watchers of keys that exist in it, or in the database replacing it, are
    /// dirtied (Redis's `touchAllWatchedKeysInDb`). Call before the change, in an atomic
    /// section.
    pub fn touch_db(&self, server: &Server, emptied: DbIndex, replaced_with: Option<DbIndex>) {
        let mut map = self.map.lock();
        if map.is_empty() {
            return;
        }
        let now = rhodium_storage::clock::now_ms();
        for ((db, key), list) in map.iter_mut() {
            if *db != emptied {
                continue;
            }
            let in_emptied = key_present(server, emptied, key, now);
            let in_replacement = replaced_with.map(|r| key_present(server, r, key, now));
            if !in_emptied.0 && !in_replacement.is_some_and(|p| p.0) {
                continue;
            }
            for w in list.iter_mut() {
                if w.expired {
                    match in_replacement {
                        None | Some((false, _)) => {
                            // The expired key is now deleted: no logical change.
                            w.expired = false;
                            continue;
                        }
                        Some((true, true)) => continue,
                        Some((true, false)) => {}
                    }
                } else if !in_emptied.0 && in_replacement.is_some_and(|p| p.1) {
                    // A missing key replaced by an expired one.
                    w.expired = true;
                    continue;
                }
                w.client.dirty_cas.store(true, Ordering::Release);
            }
        }
    }
}

/// Whether a key is live (present and not past its time), read without side effects.
fn key_exists(server: &Server, db: DbIndex, key: &[u8], now: UnixMillis) -> bool {
    let mut l = server.keyspace.lock([(db, key)], LockMode::Read, now, ExpiryMode::HideOnly);
    l.exists(db, key).unwrap_or(false)
}

/// Whether a key is physically present, and whether it is past its time.
fn key_present(server: &Server, db: DbIndex, key: &[u8], now: UnixMillis) -> (bool, bool) {
    let mut l = server.keyspace.lock([(db, key)], LockMode::Read, now, ExpiryMode::HideOnly);
    let live = l.exists(db, key).unwrap_or(false);
    let expired = !l.take_expired().is_empty();
    (live || expired, expired)
}
