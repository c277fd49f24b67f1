//! The keyspace: numbered databases, each split into independently locked stripes.
//!
//! Lock order rule: a command locks all the stripes it needs up front, sorted by
//! `(db, stripe)`, through [`Keyspace::lock`]; nothing takes a stripe lock while holding
//! one of a higher order. Whole-database operations lock stripes one at a time or all of
//! a database in order. Keys are routed to a stripe by the top bits of their hash and to
//! a bucket within it by the low bits.
//!
//! Expiry: a key whose time has passed is invisible to reads. On a primary, a write
//! lookup deletes it on the spot and reports it in [`Locked::take_expired`] so the
//! caller can propagate a DEL; a read lookup reports it so the caller can delete it
//! under a write lock afterwards. A replica never deletes on its own.

mod dict;
mod expire;
mod stripe;

use std::sync::OnceLock;

use parking_lot::{RwLock, RwLockReadGuard, RwLockWriteGuard};
use smallvec::SmallVec;

pub use dict::{Dict, Entry};
pub use expire::{ActiveExpire, CycleStats, Effort};
pub use stripe::{SetExpiry, Stripe};

use crate::clock::{lru_clock, UnixMillis};
use crate::value::Value;

/// Index of a database (`SELECT n`).
pub type DbIndex = usize;

/// Stripes per database (a power of two).
pub const STRIPES: usize = 64;
const STRIPE_BITS: u32 = STRIPES.trailing_zeros();

static HASHER: OnceLock<ahash::RandomState> = OnceLock::new();

/// The keyspace hash of a key: random-seeded per process (hash flooding resistance).
#[inline]
pub fn hash_key(key: &[u8]) -> u64 {
    HASHER.get_or_init(ahash::RandomState::new).hash_one(key)
}

#[inline]
fn stripe_of(hash: u64) -> usize {
    (hash >> (64 - STRIPE_BITS)) as usize
}

/// One database: its stripes.
pub struct Db {
    stripes: Box<[RwLock<Stripe>]>,
}

impl Db {
    fn new() -> Self {
        Db { stripes: (0..STRIPES).map(|_| RwLock::new(Stripe::default())).collect() }
    }
}

/// All databases.
pub struct Keyspace {
    dbs: Box<[Db]>,
    /// The BGSAVE snapshot in progress: writers dump a stripe before changing it.
    snapshot: crate::snapshot::Active,
}

/// Whether a command reads or writes the keys it locks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockMode {
    Read,
    Write,
}

/// How lookups treat keys whose time has passed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExpiryMode {
    /// Delete them (a primary).
    Delete,
    /// Only hide them; the upstream's DEL will come (a replica).
    HideOnly,
    /// Treat them as live: the commands of a replica's master apply to keys as the master
    /// sees them, whatever the replica's clock says (Redis's `expireIfNeeded` returns 0
    /// for the master client).
    Ignore,
}

impl Keyspace {
    pub fn new(databases: usize) -> Self {
        Keyspace { dbs: (0..databases.max(1)).map(|_| Db::new()).collect(), snapshot: Default::default() }
    }

    pub fn databases(&self) -> usize {
        self.dbs.len()
    }

    fn db(&self, db: DbIndex) -> &Db {
        &self.dbs[db.min(self.dbs.len() - 1)]
    }

    /// Locks the stripes of `keys` (each `(db, key)`) in the global order and returns a
    /// view through which those keys can be read and written.
    pub fn lock<'a, K: AsRef<[u8]>>(&'a self, keys: impl IntoIterator<Item = (DbIndex, K)>, mode: LockMode, now: UnixMillis, expiry: ExpiryMode) -> Locked<'a> {
        let mut wanted: SmallVec<[(DbIndex, usize); 4]> = keys.into_iter().map(|(db, k)| (db, stripe_of(hash_key(k.as_ref())))).collect();
        wanted.sort_unstable();
        wanted.dedup();
        let guards = wanted.into_iter().map(|(db, s)| (db, s, self.lock_stripe(db, s, mode))).collect();
        Locked { ks: self, guards, mode, now, lru: lru_clock(now), expiry, expired: Vec::new(), touched: None }
    }

    fn lock_stripe(&self, db: DbIndex, s: usize, mode: LockMode) -> Guard<'_> {
        let db = db.min(self.dbs.len() - 1);
        let lock = &self.dbs[db].stripes[s];
        match mode {
            LockMode::Read => Guard::Read(lock.read()),
            LockMode::Write => {
                let g = lock.write();
                self.snapshot.before_write(db, s, &g);
                Guard::Write(g)
            }
        }
    }

    /// Write-locks every stripe of a database in order, letting a running snapshot dump
    /// each first.
    fn write_db(&self, db: DbIndex) -> Vec<RwLockWriteGuard<'_, Stripe>> {
        let db = db.min(self.dbs.len() - 1);
        self.dbs[db]
            .stripes
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let g = s.write();
                self.snapshot.before_write(db, i, &g);
                g
            })
            .collect()
    }

    /// Starts a point-in-time snapshot (BGSAVE); `None` if one is running. `dirty` is read
    /// while every stripe is locked, so it matches the image.
    pub fn start_snapshot(&self, opts: crate::rdb::WriteOptions, dirty: impl FnOnce() -> u64) -> Option<std::sync::Arc<crate::snapshot::Snapshot>> {
        if self.snapshot.is_running() {
            return None;
        }
        let view = self.read_all();
        let counts = (0..view.databases()).map(|d| (view.dbsize(d), view.volatile_count(d))).collect();
        let snap = std::sync::Arc::new(crate::snapshot::Snapshot::new(opts, counts, dirty()));
        let installed = self.snapshot.install(snap.clone());
        drop(view);
        installed.then_some(snap)
    }

    /// The key records of one stripe as it was when `snap` started.
    pub fn snapshot_stripe(&self, snap: &crate::snapshot::Snapshot, db: DbIndex, s: usize) -> Vec<u8> {
        if let Some(st) = self.dbs.get(db).and_then(|d| d.stripes.get(s)) {
            let g = st.read();
            snap.dump_if_pending(db, s, &g);
        }
        snap.take(db, s)
    }

    /// Ends the running snapshot (done or abandoned).
    pub fn end_snapshot(&self) {
        self.snapshot.clear();
    }

    /// Whether a snapshot is running.
    pub fn snapshot_running(&self) -> bool {
        self.snapshot.is_running()
    }

    /// Removes every key of a database, running `then(removed)` while every stripe of the
    /// database is still locked (so the FLUSHDB it propagates is ordered with all writes).
    pub fn flush_db_then(&self, db: DbIndex, then: impl FnOnce(usize)) -> usize {
        let mut guards = self.write_db(db);
        let removed = clear_stripes(&mut guards);
        then(removed);
        removed
    }

    /// Removes every key of every database at once (all stripes locked in order), running
    /// `then(removed)` before any lock is released.
    pub fn flush_all_then(&self, then: impl FnOnce(usize)) -> usize {
        let mut guards: Vec<_> = (0..self.dbs.len()).flat_map(|d| self.write_db(d)).collect();
        let removed = clear_stripes(&mut guards);
        then(removed);
        removed
    }

    /// Replaces every database's contents with `fresh`'s (which receives the old ones),
    /// all stripes locked in order: a replica's `repl-diskless-load swapdb` loads a full
    /// sync into `fresh` while this keyspace keeps serving, then swaps.
    pub fn swap_all_with(&self, fresh: &Keyspace) {
        let mut mine: Vec<_> = (0..self.dbs.len()).flat_map(|d| self.write_db(d)).collect();
        let mut theirs: Vec<_> = (0..fresh.dbs.len().min(self.dbs.len())).flat_map(|d| fresh.write_db(d)).collect();
        for (x, y) in mine.iter_mut().zip(theirs.iter_mut()) {
            std::mem::swap(&mut **x, &mut **y);
        }
    }

    /// Swaps the contents of two databases atomically with respect to other commands,
    /// running `then()` while both databases are still locked.
    pub fn swap_db_then(&self, a: DbIndex, b: DbIndex, then: impl FnOnce()) {
        if a == b {
            let _g = self.write_db(a);
            then();
            return;
        }
        let (lo, hi) = if a < b { (a, b) } else { (b, a) };
        let mut lo_g = self.write_db(lo);
        let mut hi_g = self.write_db(hi);
        for (x, y) in lo_g.iter_mut().zip(hi_g.iter_mut()) {
            std::mem::swap(&mut **x, &mut **y);
        }
        then();
    }

    /// Number of keys in a database (expired-but-present keys included, as Redis's DBSIZE).
    pub fn dbsize(&self, db: DbIndex) -> usize {
        self.db(db).stripes.iter().map(|s| s.read().len()).sum()
    }

    /// Number of keys with a TTL in a database.
    pub fn volatile_count(&self, db: DbIndex) -> usize {
        self.db(db).stripes.iter().map(|s| s.read().volatile_count()).sum()
    }

    /// One SCAN step over a database. The cursor packs the stripe in its low bits and the
    /// stripe's reverse-binary bucket cursor above them. `visit` sees each entry with the
    /// expiry it has (if any). Returns the next cursor (0 when done).
    pub fn scan(&self, db: DbIndex, cursor: u64, count: usize, mut visit: impl FnMut(&Entry, Option<UnixMillis>)) -> u64 {
        let mut stripe = (cursor & (STRIPES as u64 - 1)) as usize;
        let mut inner = cursor >> STRIPE_BITS;
        let mut budget = count.max(1);
        while stripe < STRIPES {
            let g = self.db(db).stripes[stripe].read();
            let mut visited = 0;
            let next = g.dict().scan(inner, budget, |e| {
                visited += 1;
                visit(e, g.expiry_of(e));
            });
            budget = budget.saturating_sub(visited);
            if next != 0 {
                return (next << STRIPE_BITS) | stripe as u64;
            }
            stripe += 1;
            inner = 0;
            if budget == 0 {
                break;
            }
        }
        if stripe >= STRIPES {
            0
        } else {
            stripe as u64
        }
    }

    /// Visits every entry of a database, one stripe locked at a time (KEYS).
    pub fn for_each(&self, db: DbIndex, mut visit: impl FnMut(&Entry, Option<UnixMillis>)) {
        for s in self.db(db).stripes.iter() {
            let g = s.read();
            for e in g.dict().iter() {
                visit(e, g.expiry_of(e));
            }
        }
    }

    /// A random key of a database that has not expired at `now` (RANDOMKEY), trying a bounded
    /// number of times when most keys are logically expired, as Redis does.
    pub fn random_key(&self, db: DbIndex, now: UnixMillis) -> Option<Vec<u8>> {
        let mut rng = rand::thread_rng();
        let sizes: Vec<usize> = self.db(db).stripes.iter().map(|s| s.read().len()).collect();
        let total: usize = sizes.iter().sum();
        if total == 0 {
            return None;
        }
        let mut fallback = None;
        for _ in 0..100 {
            let mut pick = rand::Rng::gen_range(&mut rng, 0..total);
            let mut stripe = 0;
            while stripe < STRIPES && pick >= sizes[stripe] {
                pick -= sizes[stripe];
                stripe += 1;
            }
            let g = self.db(db).stripes[stripe.min(STRIPES - 1)].read();
            if let Some(e) = g.dict().random(&mut rng) {
                match g.expiry_of(e) {
                    Some(at) if at <= now => fallback = Some(e.key.as_bytes().to_vec()),
                    _ => return Some(e.key.as_bytes().to_vec()),
                }
            }
        }
        fallback
    }

    /// Deletes `key` if its time has passed (after a read lookup saw it expired). Returns
    /// true if this call deleted it.
    pub fn delete_if_expired(&self, db: DbIndex, key: &[u8], now: UnixMillis) -> bool {
        self.delete_if_expired_then(db, key, now, || ())
    }

    /// Like [`Keyspace::delete_if_expired`], running `on_delete` while the stripe is still
    /// locked (so the DEL it propagates is ordered with the key's other writes).
    pub fn delete_if_expired_then(&self, db: DbIndex, key: &[u8], now: UnixMillis, on_delete: impl FnOnce()) -> bool {
        let h = hash_key(key);
        let db = db.min(self.dbs.len() - 1);
        let mut g = self.dbs[db].stripes[stripe_of(h)].write();
        self.snapshot.before_write(db, stripe_of(h), &g);
        let deleted = g.delete_if_expired(h, key, now);
        if deleted {
            on_delete();
        }
        deleted
    }

    /// Runs `f` on each stripe of a database under its write lock, in order (active expiry,
    /// defragmentation-like maintenance). `f` returns false to stop early.
    pub fn each_stripe_mut(&self, db: DbIndex, start: usize, mut f: impl FnMut(usize, &mut Stripe) -> bool) {
        for i in 0..STRIPES {
            let idx = (start + i) % STRIPES;
            let mut g = self.db(db).stripes[idx].write();
            self.snapshot.before_write(db.min(self.dbs.len() - 1), idx, &g);
            if !f(idx, &mut g) {
                return;
            }
        }
    }

    /// Read-locks every stripe of every database, in the global order, for a consistent
    /// view of the whole dataset (SAVE, which Redis also runs with the world stopped).
    pub fn read_all(&self) -> ReadAll<'_> {
        ReadAll { dbs: self.dbs.iter().map(|d| d.stripes.iter().map(|s| s.read()).collect()).collect() }
    }

    /// Approximate bytes held by the keyspace structures (for INFO and MEMORY USAGE-like uses).
    pub fn overhead_bytes(&self) -> usize {
        self.dbs.iter().flat_map(|d| d.stripes.iter()).map(|s| s.read().dict().overhead_bytes()).sum()
    }
}

/// Every stripe of every database read-locked (see [`Keyspace::read_all`]).
pub struct ReadAll<'a> {
    dbs: Vec<Vec<RwLockReadGuard<'a, Stripe>>>,
}

impl ReadAll<'_> {
    pub fn databases(&self) -> usize {
        self.dbs.len()
    }

    /// Keys in a database (expired-but-present ones included).
    pub fn dbsize(&self, db: DbIndex) -> usize {
        self.dbs.get(db).map_or(0, |d| d.iter().map(|s| s.len()).sum())
    }

    /// Keys with a TTL in a database.
    pub fn volatile_count(&self, db: DbIndex) -> usize {
        self.dbs.get(db).map_or(0, |d| d.iter().map(|s| s.volatile_count()).sum())
    }

    /// Visits every entry of a database with its expiry; stops at the first error.
    pub fn try_for_each<E>(&self, db: DbIndex, mut visit: impl FnMut(&Entry, Option<UnixMillis>) -> Result<(), E>) -> Result<(), E> {
        for s in self.dbs.get(db).into_iter().flatten() {
            for e in s.dict().iter() {
                visit(e, s.expiry_of(e))?;
            }
        }
        Ok(())
    }
}

/// Empties locked stripes; returns how many keys they held.
fn clear_stripes(guards: &mut [RwLockWriteGuard<'_, Stripe>]) -> usize {
    guards
        .iter_mut()
        .map(|g| {
            let n = g.len();
            g.clear();
            n
        })
        .sum()
}

enum Guard<'a> {
    Read(RwLockReadGuard<'a, Stripe>),
    Write(RwLockWriteGuard<'a, Stripe>),
}

impl Guard<'_> {
    fn stripe(&self) -> &Stripe {
        match self {
            Guard::Read(g) => g,
            Guard::Write(g) => g,
        }
    }

    fn stripe_mut(&mut self) -> Option<&mut Stripe> {
        match self {
            Guard::Read(_) => None,
            Guard::Write(g) => Some(g),
        }
    }
}

/// A key that a lookup found past its time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpiredKey {
    pub db: DbIndex,
    pub key: Vec<u8>,
    /// True if the lookup deleted it (write lock held); false if it only hid it.
    pub deleted: bool,
}

/// The stripes one command holds, and key-level access through them.
pub struct Locked<'a> {
    ks: &'a Keyspace,
    /// Inline for the few stripes most commands lock: no allocation on the hot path.
    guards: SmallVec<[(DbIndex, usize, Guard<'a>); 4]>,
    mode: LockMode,
    now: UnixMillis,
    lru: u32,
    expiry: ExpiryMode,
    expired: Vec<ExpiredKey>,
    /// Keys written through this view, recorded only after [`Locked::track_writes`] (WATCH
    /// and blocked clients need them; nobody else pays for the list).
    touched: Option<Vec<(DbIndex, Vec<u8>)>>,
}

/// Why a key could not be reached through a [`Locked`] view.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum LockError {
    #[error("ERR internal error: key not locked for this command")]
    NotLocked,
    #[error("ERR internal error: key locked for reading only")]
    ReadOnly,
}

impl<'a> Locked<'a> {
    pub fn now(&self) -> UnixMillis {
        self.now
    }

    pub fn keyspace(&self) -> &'a Keyspace {
        self.ks
    }

    /// Starts recording the keys written through this view (see [`Locked::take_touched`]).
    /// Called with the stripes already locked, so a watcher that registered under one of
    /// them before is seen by the caller's check.
    pub fn track_writes(&mut self) {
        if self.touched.is_none() {
            self.touched = Some(Vec::new());
        }
    }

    /// The keys written (or fetched for writing) since [`Locked::track_writes`], each once.
    pub fn take_touched(&mut self) -> Vec<(DbIndex, Vec<u8>)> {
        let mut v = self.touched.as_mut().map(std::mem::take).unwrap_or_default();
        v.sort_unstable();
        v.dedup();
        v
    }

    #[inline]
    fn touch(&mut self, db: DbIndex, key: &[u8]) {
        if let Some(t) = self.touched.as_mut() {
            t.push((db, key.to_vec()));
        }
    }

    /// Keys found expired by lookups so far (and whether they were deleted).
    pub fn take_expired(&mut self) -> Vec<ExpiredKey> {
        std::mem::take(&mut self.expired)
    }

    /// Keys found expired by lookups so far, without taking them.
    pub fn expired(&self) -> &[ExpiredKey] {
        &self.expired
    }

    /// Takes only the expired keys `pick` selects (e.g. those of another database, which
    /// the caller propagates itself), leaving the others for [`Locked::take_expired`].
    pub fn take_expired_where(&mut self, mut pick: impl FnMut(&ExpiredKey) -> bool) -> Vec<ExpiredKey> {
        let (taken, kept) = std::mem::take(&mut self.expired).into_iter().partition(|e| pick(e));
        self.expired = kept;
        taken
    }

    /// Adds `extra` keys (possibly of other databases) to this view (MOVE and COPY ... DB,
    /// whose second database the key specs cannot name). Stripes already held are kept;
    /// new ones that all come after the held ones in the global order are simply taken.
    /// Otherwise, to respect the order, every lock is released and all are taken again,
    /// so other commands may run in between: call this before reading anything through
    /// the view.
    pub fn relock<K: AsRef<[u8]>>(&mut self, extra: impl IntoIterator<Item = (DbIndex, K)>) {
        let held: Vec<(DbIndex, usize)> = self.guards.iter().map(|(d, s, _)| (*d, *s)).collect();
        let mut new: Vec<(DbIndex, usize)> = extra.into_iter().map(|(db, k)| (db, stripe_of(hash_key(k.as_ref())))).filter(|w| !held.contains(w)).collect();
        if new.is_empty() {
            return;
        }
        new.sort_unstable();
        new.dedup();
        let ks = self.ks;
        let mode = self.mode;
        let max_held = held.iter().max().copied();
        if max_held.is_some_and(|m| new[0] < m) {
            let mut wanted = held;
            wanted.extend(new);
            wanted.sort_unstable();
            self.guards.clear();
            self.guards = wanted.into_iter().map(|(db, s)| (db, s, ks.lock_stripe(db, s, mode))).collect();
        } else {
            self.guards.extend(new.into_iter().map(|(db, s)| (db, s, ks.lock_stripe(db, s, mode))));
        }
    }

    /// Re-takes every held stripe for writing (PFCOUNT, a read command that may write
    /// back the cached cardinality Redis keeps inside the value). The locks are released
    /// in between, so other commands may run: look everything up again afterwards.
    pub fn upgrade_to_write(&mut self) {
        if self.mode == LockMode::Write {
            return;
        }
        let held: Vec<(DbIndex, usize)> = self.guards.iter().map(|(d, s, _)| (*d, *s)).collect();
        self.guards.clear();
        self.mode = LockMode::Write;
        let ks = self.ks;
        self.guards = held.into_iter().map(|(db, s)| (db, s, ks.lock_stripe(db, s, LockMode::Write))).collect();
    }

    /// Whether `key`'s stripe is held by this view (so it can be read without
    /// [`Locked::relock`]).
    pub fn holds(&self, db: DbIndex, key: &[u8]) -> bool {
        self.find(db, hash_key(key)).is_some()
    }

    fn find(&self, db: DbIndex, hash: u64) -> Option<usize> {
        let s = stripe_of(hash);
        self.guards.iter().position(|(d, st, _)| *d == db && *st == s)
    }

    fn stripe(&self, db: DbIndex, hash: u64) -> Result<&Stripe, LockError> {
        let i = self.find(db, hash).ok_or(LockError::NotLocked)?;
        Ok(self.guards[i].2.stripe())
    }

    fn stripe_mut(&mut self, db: DbIndex, hash: u64) -> Result<&mut Stripe, LockError> {
        let i = self.find(db, hash).ok_or(LockError::NotLocked)?;
        self.guards[i].2.stripe_mut().ok_or(LockError::ReadOnly)
    }

    /// Deletes `key` if it is past its time (in write mode, as a primary) and records it.
    fn expire_if_needed(&mut self, db: DbIndex, hash: u64, key: &[u8]) -> Result<(), LockError> {
        let now = self.now;
        let expiry = self.expiry;
        if expiry == ExpiryMode::Ignore {
            return Ok(());
        }
        let i = self.find(db, hash).ok_or(LockError::NotLocked)?;
        let guard = &mut self.guards[i].2;
        if !guard.stripe().is_expired(hash, key, now) {
            return Ok(());
        }
        match (guard.stripe_mut(), expiry) {
            (Some(st), ExpiryMode::Delete) => {
                st.remove(hash, key);
                self.expired.push(ExpiredKey { db, key: key.to_vec(), deleted: true });
                self.touch(db, key);
            }
            _ => self.expired.push(ExpiredKey { db, key: key.to_vec(), deleted: false }),
        }
        Ok(())
    }

    /// Reads a key's value (touching its LRU clock); `None` if missing or expired.
    pub fn get(&mut self, db: DbIndex, key: &[u8]) -> Result<Option<&Value>, LockError> {
        self.get_entry(db, key, true).map(|e| e.map(|e| &e.value))
    }

    /// Reads a key's entry; `touch` updates its LRU clock.
    pub fn get_entry(&mut self, db: DbIndex, key: &[u8], touch: bool) -> Result<Option<&Entry>, LockError> {
        let h = hash_key(key);
        self.expire_if_needed(db, h, key)?;
        let now = self.now;
        let lru = self.lru;
        let ignore = self.expiry == ExpiryMode::Ignore;
        let st = self.stripe(db, h)?;
        match st.get(h, key) {
            Some(e) if !ignore && st.is_expired_entry(e, now) => Ok(None),
            Some(e) => {
                if touch {
                    e.touch(lru);
                }
                Ok(Some(e))
            }
            None => Ok(None),
        }
    }

    /// A key's value for modification; `None` if missing (an expired key is deleted first).
    pub fn get_mut(&mut self, db: DbIndex, key: &[u8]) -> Result<Option<&mut Value>, LockError> {
        let h = hash_key(key);
        self.expire_if_needed(db, h, key)?;
        let lru = self.lru;
        if self.touched.is_some() && self.stripe(db, h)?.get(h, key).is_some() {
            self.touch(db, key);
        }
        let st = self.stripe_mut(db, h)?;
        Ok(st.get_mut(h, key).map(|e| {
            e.set_lru(lru);
            &mut e.value
        }))
    }

    /// Whether a live key exists (without touching its LRU clock).
    pub fn exists(&mut self, db: DbIndex, key: &[u8]) -> Result<bool, LockError> {
        Ok(self.get_entry(db, key, false)?.is_some())
    }

    /// Stores `value` under `key`, replacing any previous value; `expiry` says what happens
    /// to the TTL.
    pub fn set(&mut self, db: DbIndex, key: &[u8], value: Value, expiry: SetExpiry) -> Result<(), LockError> {
        let h = hash_key(key);
        self.expire_if_needed(db, h, key)?;
        let lru = self.lru;
        let st = self.stripe_mut(db, h)?;
        st.set(h, key, value, expiry, lru);
        self.touch(db, key);
        Ok(())
    }

    /// Removes a key; returns its value if it was live.
    pub fn remove(&mut self, db: DbIndex, key: &[u8]) -> Result<Option<Value>, LockError> {
        let h = hash_key(key);
        self.expire_if_needed(db, h, key)?;
        let st = self.stripe_mut(db, h)?;
        let removed = st.remove(h, key).map(|(v, _)| v);
        if removed.is_some() {
            self.touch(db, key);
        }
        Ok(removed)
    }

    /// Removes a key and returns its value and TTL (RENAME, MOVE).
    pub fn take(&mut self, db: DbIndex, key: &[u8]) -> Result<Option<(Value, Option<UnixMillis>)>, LockError> {
        let h = hash_key(key);
        self.expire_if_needed(db, h, key)?;
        let st = self.stripe_mut(db, h)?;
        let taken = st.remove(h, key);
        if taken.is_some() {
            self.touch(db, key);
        }
        Ok(taken)
    }

    /// A live key's absolute expiry time, if it has one.
    pub fn expiry(&mut self, db: DbIndex, key: &[u8]) -> Result<Option<UnixMillis>, LockError> {
        let h = hash_key(key);
        self.expire_if_needed(db, h, key)?;
        let st = self.stripe(db, h)?;
        Ok(st.get(h, key).and_then(|e| st.expiry_of(e)))
    }

    /// Sets the absolute expiry time of a live key; false if the key does not exist.
    pub fn set_expiry(&mut self, db: DbIndex, key: &[u8], at: UnixMillis) -> Result<bool, LockError> {
        let h = hash_key(key);
        self.expire_if_needed(db, h, key)?;
        let st = self.stripe_mut(db, h)?;
        let set = st.set_expiry(h, key, Some(at));
        if set {
            self.touch(db, key);
        }
        Ok(set)
    }

    /// Removes a key's TTL; true if it had one.
    pub fn persist(&mut self, db: DbIndex, key: &[u8]) -> Result<bool, LockError> {
        let h = hash_key(key);
        self.expire_if_needed(db, h, key)?;
        let st = self.stripe_mut(db, h)?;
        let had = st.get(h, key).map(|e| e.has_expire()).unwrap_or(false);
        if had {
            st.set_expiry(h, key, None);
            self.touch(db, key);
        }
        Ok(had)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_get_expire() {
        let ks = Keyspace::new(16);
        let mut l = ks.lock([(0, b"a")], LockMode::Write, 1000, ExpiryMode::Delete);
        l.set(0, b"a", Value::string(b"1"), SetExpiry::At(1500)).unwrap();
        assert!(l.get(0, b"a").unwrap().is_some());
        assert_eq!(l.expiry(0, b"a").unwrap(), Some(1500));
        drop(l);
        let mut l = ks.lock([(0, b"a")], LockMode::Read, 2000, ExpiryMode::Delete);
        assert!(l.get(0, b"a").unwrap().is_none());
        assert_eq!(l.take_expired(), vec![ExpiredKey { db: 0, key: b"a".to_vec(), deleted: false }]);
        drop(l);
        assert_eq!(ks.dbsize(0), 1);
        assert!(ks.delete_if_expired(0, b"a", 2000));
        assert_eq!(ks.dbsize(0), 0);
    }

    #[test]
    fn ignore_mode_sees_expired_keys_and_swap_replaces_everything() {
        let ks = Keyspace::new(2);
        let mut l = ks.lock([(0, b"a")], LockMode::Write, 1000, ExpiryMode::Delete);
        l.set(0, b"a", Value::string(b"1"), SetExpiry::At(1500)).unwrap();
        drop(l);
        // A replica's master client: the key is live whatever the clock says.
        let mut l = ks.lock([(0, b"a")], LockMode::Write, 2000, ExpiryMode::Ignore);
        assert!(l.get(0, b"a").unwrap().is_some());
        assert!(l.take_expired().is_empty());
        drop(l);
        let fresh = Keyspace::new(2);
        fresh.lock([(1, b"b")], LockMode::Write, 0, ExpiryMode::Delete).set(1, b"b", Value::string(b"2"), SetExpiry::Clear).unwrap();
        ks.swap_all_with(&fresh);
        assert_eq!((ks.dbsize(0), ks.dbsize(1)), (0, 1));
        assert_eq!((fresh.dbsize(0), fresh.dbsize(1)), (1, 0));
    }

    #[test]
    fn unlocked_key_is_an_error_not_a_panic() {
        let ks = Keyspace::new(1);
        let mut l = ks.lock([(0, b"a")], LockMode::Read, 0, ExpiryMode::Delete);
        let mut other = b"b".to_vec();
        // find a key in another stripe
        let mut i = 0;
        while stripe_of(hash_key(&other)) == stripe_of(hash_key(b"a")) {
            i += 1;
            other = format!("b{i}").into_bytes();
        }
        assert_eq!(l.get(0, &other).err(), Some(LockError::NotLocked));
        assert_eq!(l.set(0, b"a", Value::Int(1), SetExpiry::Clear).err(), Some(LockError::ReadOnly));
    }

    #[test]
    fn written_keys_are_recorded_only_when_tracking() {
        let ks = Keyspace::new(2);
        let mut l = ks.lock([(0, b"a"), (0, b"b")], LockMode::Write, 0, ExpiryMode::Delete);
        l.set(0, b"a", Value::Int(1), SetExpiry::Clear).unwrap();
        assert!(l.take_touched().is_empty());
        l.track_writes();
        assert!(l.get_mut(0, b"b").unwrap().is_none());
        assert!(l.remove(0, b"b").unwrap().is_none());
        assert!(l.take_touched().is_empty(), "missing keys are not changes");
        l.get_mut(0, b"a").unwrap();
        l.set_expiry(0, b"a", 10).unwrap();
        l.set(0, b"b", Value::Int(2), SetExpiry::Clear).unwrap();
        assert_eq!(l.take_touched(), vec![(0, b"a".to_vec()), (0, b"b".to_vec())]);
    }

    #[test]
    fn scan_visits_all_keys() {
        let ks = Keyspace::new(1);
        let keys: Vec<String> = (0..1000).map(|i| format!("k{i}")).collect();
        for k in &keys {
            let mut l = ks.lock([(0, k.as_bytes())], LockMode::Write, 0, ExpiryMode::Delete);
            l.set(0, k.as_bytes(), Value::Int(1), SetExpiry::Clear).unwrap();
        }
        let mut seen = std::collections::HashSet::new();
        let mut c = 0;
        loop {
            c = ks.scan(0, c, 10, |e, _| {
                seen.insert(e.key.as_bytes().to_vec());
            });
            if c == 0 {
                break;
            }
        }
        assert_eq!(seen.len(), 1000);
    }

    #[test]
    fn relock_adds_keys_of_other_databases() {
        let ks = Keyspace::new(4);
        let mut l = ks.lock([(2, b"k")], LockMode::Write, 100, ExpiryMode::Delete);
        l.set(2, b"k", Value::Int(1), SetExpiry::At(50)).unwrap();
        assert_eq!(l.set(0, b"k", Value::Int(1), SetExpiry::Clear).err(), Some(LockError::NotLocked));
        l.relock([(0, b"k".as_slice()), (3, b"other".as_slice())]);
        assert!(l.holds(0, b"k") && l.holds(3, b"other") && l.holds(2, b"k") && !l.holds(1, b"k"));
        l.set(0, b"k", Value::Int(2), SetExpiry::Clear).unwrap();
        l.set(3, b"other", Value::Int(3), SetExpiry::Clear).unwrap();
        // The key of db 2 is still reachable, and expired: the lookup reports it.
        assert!(!l.exists(2, b"k").unwrap());
        assert!(l.exists(0, b"k").unwrap());
        let foreign = l.take_expired_where(|e| e.db != 0);
        assert_eq!(foreign, vec![ExpiredKey { db: 2, key: b"k".to_vec(), deleted: true }]);
        assert!(l.take_expired().is_empty());
        drop(l);
        assert_eq!(ks.dbsize(0) + ks.dbsize(2) + ks.dbsize(3), 2);
    }

    #[test]
    fn flush_and_swap_run_their_callback_under_the_locks() {
        let ks = Keyspace::new(2);
        for (db, k) in [(0, b"a"), (1, b"b"), (1, b"c")] {
            ks.lock([(db, k)], LockMode::Write, 0, ExpiryMode::Delete).set(db, k, Value::Int(1), SetExpiry::Clear).unwrap();
        }
        let mut seen = None;
        ks.swap_db_then(0, 1, || seen = Some(ks.db(0).stripes[0].try_write().is_none()));
        assert_eq!(seen, Some(true));
        assert_eq!((ks.dbsize(0), ks.dbsize(1)), (2, 1));
        assert_eq!(ks.flush_db_then(0, |n| assert_eq!(n, 2)), 2);
        assert_eq!(ks.flush_all_then(|n| assert_eq!(n, 1)), 1);
        assert_eq!(ks.dbsize(1), 0);
    }
}
