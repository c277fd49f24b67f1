//! Clients blocked on keys (BLPOP, BZPOPMIN, ... and later XREAD BLOCK): a per-key waiter
//! registry, the "key ready" signal from the write path, and serving waiters in the order
//! they blocked (Redis's `blocked.c`).

use rhodium_storage::DbIndex;

use crate::state::Server;

/// Every blocked client, by the keys it waits on.
#[derive(Default)]
pub struct Blocking {}

impl Blocking {
    /// A key that clients may wait on changed; they are served after the current command
    /// (or atomic section) finishes.
    pub fn signal(&self, _db: DbIndex, _key: &[u8]) {}

    /// Every key of a database may have changed (SWAPDB).
    pub fn signal_db(&self, _db: DbIndex) {}
}

/// Serves the clients blocked on keys that became ready, in the order they blocked.
pub fn serve_ready(_server: &Server) {}
