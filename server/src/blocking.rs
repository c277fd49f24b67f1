//! Clients blocked on keys (BLPOP, BZPOPMIN, ... and later XREAD BLOCK, WAIT): a per-key
//! waiter registry, the "key ready" signal from the write path, and serving waiters in
//! the order they blocked (Redis's `blocked.c`).
//!
//! A blocking command that finds nothing registers a [`Waiter`] while it still holds its
//! key locks (so a writer that locks the key afterwards sees the waiter through
//! `Server::tracks_keys`) and its connection task parks on it without holding a runtime
//! thread. A write that touches a key with waiters marks it ready; after that command (or
//! atomic section) finishes, the writer's thread serves the ready keys: for each waiter of
//! the key in FIFO order it re-executes the waiter's command on the waiter's behalf, told
//! which key is ready (Redis 7.0 serves from the key that became ready), and hands the
//! reply to the parked task. A waiter whose command still finds nothing stays in place.
//!
//! The registry is generic: a waiter is a command to re-run plus the keys it waits on.
//! To block another command (XREAD BLOCK, XREADGROUP BLOCK): when it finds nothing, call
//! [`Blocking::block`] from the handler with the keys and the argv to re-run (rewritten if
//! it must not change meaning when re-run, e.g. XREAD's `$` replaced by the last ID seen),
//! set `ctx.client.block.parked`, and write no reply; when re-run with
//! `ctx.client.block.serving` set and still nothing to give, set `not_served` instead.
//! Writes to the keys wake it with no further work. A waiter that waits on no key (WAIT)
//! is completed by whoever knows it is done through [`Blocking::complete`].

use std::cell::Cell;
use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicUsize, Ordering};
use std::sync::Arc;

use bytes::Bytes;
use parking_lot::Mutex;
use rhodium_protocol::{Argv, ReplyWriter, Resp};
use rhodium_storage::{DbIndex, UnixMillis};

use crate::net::clients::{ClientHandle, ClientState};
use crate::state::Server;

const WAITING: u8 = 0;
const SERVING: u8 = 1;
const DONE: u8 = 2;
const CANCELLED: u8 = 3;

/// A blocked client: the command to re-run, the keys it waits on, and its outcome.
pub struct Waiter {
    pub client: Arc<ClientHandle>,
    pub db: DbIndex,
    pub keys: Vec<Bytes>,
    argv: Argv,
    resp: Resp,
    authenticated: bool,
    /// Absolute deadline, 0 for none.
    pub deadline_ms: UnixMillis,
    /// What the client gets on timeout (a null array in its protocol).
    timeout_reply: Vec<u8>,
    state: AtomicU8,
    reply: Mutex<Option<Vec<u8>>>,
    /// Signalled on every change of state (served, unblocked, a serving attempt ended).
    pub notify: tokio::sync::Notify,
}

impl Waiter {
    /// Takes the reply once the waiter is done.
    pub fn take_reply(&self) -> Option<Vec<u8>> {
        if self.state.load(Ordering::Acquire) == DONE {
            self.reply.lock().take()
        } else {
            None
        }
    }
}

/// Per-connection blocking state, in `ClientState`.
#[derive(Default)]
pub struct ClientBlock {
    /// Set while the command is re-executed for a waiter: the key that became ready.
    pub serving: Option<Bytes>,
    /// Set by a re-executed command that found nothing to serve.
    pub not_served: bool,
    /// With `not_served`: the key holds a value of another type than the command waits
    /// for, so later waiters (of another command) may still be served from it.
    pub other_type: bool,
    /// Set by a command that blocked: the connection parks on it.
    pub parked: Option<Arc<Waiter>>,
}

#[derive(Default)]
struct Inner {
    keys: HashMap<(DbIndex, Bytes), VecDeque<Arc<Waiter>>>,
    ready: Vec<(DbIndex, Bytes)>,
    ready_set: HashSet<(DbIndex, Bytes)>,
    by_client: HashMap<u64, Arc<Waiter>>,
}

/// Every blocked client, by the keys it waits on.
#[derive(Default)]
pub struct Blocking {
    inner: Mutex<Inner>,
    has_ready: AtomicBool,
    serve_lock: Mutex<()>,
    blocked: AtomicUsize,
}

thread_local! {
    /// True while this thread serves waiters: commands it re-executes leave the ready keys
    /// they create to the loop already running.
    static SERVING_HERE: Cell<bool> = const { Cell::new(false) };
}

/// Why a blocked client stops waiting other than by being served.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unblock {
    /// As if its timeout had passed.
    Timeout,
    /// With -UNBLOCKED.
    Error,
}

impl Blocking {
    /// Number of blocked clients (INFO `blocked_clients`).
    pub fn blocked_clients(&self) -> usize {
        self.blocked.load(Ordering::Relaxed)
    }

    /// Blocks the client of `client` on `keys` of `db` until one of them is served, the
    /// deadline (0: none) passes, or it is unblocked. Call from the command's handler,
    /// with the keys still locked.
    pub fn block(&self, server: &Server, client: &ClientState, keys: Vec<Bytes>, argv: Argv, deadline_ms: UnixMillis) -> Arc<Waiter> {
        let mut timeout = ReplyWriter::new(client.resp);
        timeout.null_array();
        let waiter = Arc::new(Waiter {
            client: client.handle.clone(),
            db: client.db,
            keys,
            argv,
            resp: client.resp,
            authenticated: client.authenticated,
            deadline_ms,
            timeout_reply: timeout.as_bytes().to_vec(),
            state: AtomicU8::new(WAITING),
            reply: Mutex::new(None),
            notify: tokio::sync::Notify::new(),
        });
        let mut inner = self.inner.lock();
        for k in &waiter.keys {
            inner.keys.entry((waiter.db, k.clone())).or_default().push_back(waiter.clone());
        }
        inner.by_client.insert(waiter.client.id, waiter.clone());
        server.key_interest.fetch_add(waiter.keys.len(), Ordering::Relaxed);
        self.blocked.fetch_add(1, Ordering::Relaxed);
        waiter.client.blocked.store(true, Ordering::Relaxed);
        waiter
    }

    /// Takes a waiter out of the registry (once its state left WAITING for good).
    fn remove(&self, server: &Server, w: &Arc<Waiter>) {
        let mut inner = self.inner.lock();
        for k in &w.keys {
            let key = (w.db, k.clone());
            if let Some(q) = inner.keys.get_mut(&key) {
                q.retain(|x| !Arc::ptr_eq(x, w));
                if q.is_empty() {
                    inner.keys.remove(&key);
                }
            }
        }
        if inner.by_client.get(&w.client.id).is_some_and(|x| Arc::ptr_eq(x, w)) {
            inner.by_client.remove(&w.client.id);
        }
        drop(inner);
        server.key_interest.fetch_sub(w.keys.len(), Ordering::Relaxed);
        self.blocked.fetch_sub(1, Ordering::Relaxed);
        w.client.blocked.store(false, Ordering::Relaxed);
    }

    /// The parked task gives up waiting (timeout, disconnection). Returns false when the
    /// waiter is being served right now or already done: the task then waits for the
    /// notification and takes the reply.
    pub fn cancel(&self, server: &Server, w: &Arc<Waiter>) -> bool {
        if w.state.compare_exchange(WAITING, CANCELLED, Ordering::AcqRel, Ordering::Acquire).is_ok() {
            self.remove(server, w);
            return true;
        }
        w.state.load(Ordering::Acquire) == CANCELLED
    }

    /// The reply for a waiter whose deadline passed, if it could be cancelled.
    pub fn time_out(&self, server: &Server, w: &Arc<Waiter>) -> Option<Vec<u8>> {
        self.cancel(server, w).then(|| w.timeout_reply.clone())
    }

    /// CLIENT UNBLOCK: ends a client's wait with a timeout or an error; false if it is not
    /// blocked (or is being served right now).
    pub fn unblock(&self, server: &Server, client_id: u64, how: Unblock) -> bool {
        let Some(w) = self.inner.lock().by_client.get(&client_id).cloned() else {
            return false;
        };
        if w.state.compare_exchange(WAITING, SERVING, Ordering::AcqRel, Ordering::Acquire).is_err() {
            return false;
        }
        let reply = match how {
            Unblock::Timeout => w.timeout_reply.clone(),
            Unblock::Error => {
                let mut out = ReplyWriter::new(w.resp);
                out.error("UNBLOCKED client unblocked via CLIENT UNBLOCK");
                // Counted as an error reply of the unblocked client, as Redis does.
                let (_, code) = out.take_errors();
                crate::state::Stats::incr(&server.stats.total_error_replies, 1);
                if let Some(code) = code {
                    *server.stats.errors_by_code.lock().entry(code).or_insert(0) += 1;
                }
                out.as_bytes().to_vec()
            }
        };
        self.finish(server, &w, reply);
        true
    }

    /// Ends a wait with the given reply (for waiters completed by something other than a
    /// key, such as WAIT's replica acknowledgements). False if it was no longer waiting.
    pub fn complete(&self, server: &Server, w: &Arc<Waiter>, reply: Vec<u8>) -> bool {
        if w.state.compare_exchange(WAITING, SERVING, Ordering::AcqRel, Ordering::Acquire).is_err() {
            return false;
        }
        self.finish(server, w, reply);
        true
    }

    fn finish(&self, server: &Server, w: &Arc<Waiter>, reply: Vec<u8>) {
        *w.reply.lock() = Some(reply);
        w.state.store(DONE, Ordering::Release);
        self.remove(server, w);
        w.notify.notify_one();
    }

    /// A key that clients may wait on changed; they are served after the current command
    /// (or atomic section) finishes.
    pub fn signal(&self, db: DbIndex, key: &[u8]) {
        let mut inner = self.inner.lock();
        let k = (db, Bytes::copy_from_slice(key));
        if inner.keys.contains_key(&k) && inner.ready_set.insert(k.clone()) {
            inner.ready.push(k);
            self.has_ready.store(true, Ordering::Release);
        }
    }

    /// Every key of a database may have changed (SWAPDB).
    pub fn signal_db(&self, db: DbIndex) {
        let mut inner = self.inner.lock();
        let keys: Vec<_> = inner.keys.keys().filter(|(d, _)| *d == db).cloned().collect();
        for k in keys {
            if inner.ready_set.insert(k.clone()) {
                inner.ready.push(k);
                self.has_ready.store(true, Ordering::Release);
            }
        }
    }

    /// Puts keys that could not be served yet back in front of the ready list.
    fn requeue(&self, keys: impl Iterator<Item = (DbIndex, Bytes)>) {
        let mut inner = self.inner.lock();
        let inner = &mut *inner;
        let back: Vec<_> = keys.filter(|k| inner.ready_set.insert(k.clone())).collect();
        if !back.is_empty() {
            inner.ready.splice(0..0, back);
            self.has_ready.store(true, Ordering::Release);
        }
    }

    fn take_ready(&self) -> Vec<(DbIndex, Bytes)> {
        let mut inner = self.inner.lock();
        self.has_ready.store(false, Ordering::Release);
        inner.ready_set.clear();
        std::mem::take(&mut inner.ready)
    }

    /// The `i`th waiter of a key.
    fn nth(&self, db: DbIndex, key: &Bytes, i: usize) -> Option<Arc<Waiter>> {
        self.inner.lock().keys.get(&(db, key.clone())).and_then(|q| q.get(i).cloned())
    }
}

/// Serves the clients blocked on keys that became ready, in the order they blocked.
/// Called by dispatch after every command with no lock held; free when no key is ready.
/// While an atomic section (a script) holds the world, the keys not served yet stay
/// ready and the section's end serves them: no thread waits behind a long script.
pub fn serve_ready(server: &Server) {
    let reg = &server.blocking;
    if !reg.has_ready.load(Ordering::Acquire) || SERVING_HERE.with(Cell::get) || server.world.held_by_me() {
        return;
    }
    // One server at a time keeps each key's FIFO order.
    let _one = reg.serve_lock.lock();
    SERVING_HERE.with(|s| s.set(true));
    loop {
        let ready = reg.take_ready();
        if ready.is_empty() {
            break;
        }
        let mut left = ready.into_iter();
        while let Some((db, key)) = left.next() {
            if !serve_key(server, db, &key) {
                reg.requeue(std::iter::once((db, key)).chain(left));
                break;
            }
        }
        // Put back before this check: a section that ended before it found them
        // already gone, one that ends after it finds them ready.
        if server.world.is_held() {
            break;
        }
    }
    SERVING_HERE.with(|s| s.set(false));
}

/// Re-runs the commands of the waiters of one ready key, first blocked first, until one
/// finds nothing left. False when an atomic section holds the world: the key must be
/// served again later.
fn serve_key(server: &Server, db: DbIndex, key: &Bytes) -> bool {
    let reg = &server.blocking;
    let mut i = 0;
    while let Some(w) = reg.nth(db, key, i) {
        if w.state.compare_exchange(WAITING, SERVING, Ordering::AcqRel, Ordering::Acquire).is_err() {
            i += 1;
            continue;
        }
        let mut client = ClientState::new(w.client.clone(), w.authenticated);
        client.db = w.db;
        client.resp = w.resp;
        client.block.serving = Some(key.clone());
        let mut out = ReplyWriter::new(w.resp);
        let lookup = server.table.lookup(&w.argv);
        if crate::dispatch::try_execute_looked_up(server, &mut client, w.argv.clone(), lookup, &mut out).is_err() {
            w.state.store(WAITING, Ordering::Release);
            w.notify.notify_one();
            return false;
        }
        if client.block.not_served {
            w.state.store(WAITING, Ordering::Release);
            w.notify.notify_one();
            if !client.block.other_type {
                // The key is empty: the waiters behind would find nothing either.
                break;
            }
            i += 1;
            continue;
        }
        reg.finish(server, &w, out.as_bytes().to_vec());
    }
    true
}

