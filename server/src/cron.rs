//! Periodic work, `hz` times a second (Redis's `serverCron`): idle client timeouts and
//! the active expiry cycle.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use bytes::Bytes;
use rhodium_storage::keyspace::{ActiveExpire, Effort};

use crate::state::{Server, Stats};

/// Runs forever, ticking at the configured `hz`.
pub async fn run(server: Arc<Server>) {
    let mut expire = ActiveExpire::new();
    loop {
        let hz = server.config().hz.max(1);
        tokio::time::sleep(std::time::Duration::from_millis(1000 / u64::from(hz))).await;
        tick(&server);
        // Bounded by its time budget (a quarter of a tick by default), so it runs inline.
        active_expire_cycle(&server, &mut expire);
        // BCAST clients hear of keys that expired without any command running.
        server.tracking.broadcast(&server);
    }
}

/// One cron tick's housekeeping other than expiry.
pub fn tick(server: &Server) {
    close_idle_clients(server);
    crate::persistence::cron_save_points(server);
    crate::aof::cron(server);
}

/// Redis's slow active expiry cycle (`databasesCron` → `activeExpireCycle`): deletes keys
/// whose time has passed without anyone touching them, propagating a DEL for each while
/// its stripe is locked.
pub fn active_expire_cycle(server: &Server, state: &mut ActiveExpire) {
    // A replica waits for its master's DELs (Redis runs only expireSlaveKeys there).
    if !server.active_expire_enabled.load(Ordering::Relaxed) || server.replica.is_replica() {
        return;
    }
    let cfg = server.config();
    let effort = Effort::from_config(cfg.active_expire_effort);
    let budget = effort.budget(cfg.hz);
    drop(cfg);
    // Shared like a command: no key expires in the middle of an atomic section. While a
    // section runs (a script may run long) the cycle is skipped rather than waiting on a
    // runtime thread; the next tick tries again.
    let Some(world) = server.world.try_read() else {
        return;
    };
    let now = rhodium_storage::clock::now_ms();
    let mut changed = Vec::new();
    state.run(&server.keyspace, now, effort, budget, |db, key| {
        Stats::incr(&server.stats.expired_keys, 1);
        crate::notify::emit(server, crate::notify::class::EXPIRED, "expired", key, db, None);
        server.propagator.propagate(db, vec![vec![Bytes::from_static(b"DEL"), Bytes::copy_from_slice(key)]]);
        if server.tracks_keys() {
            changed.push((db, key.to_vec()));
        }
    });
    // After the stripe locks are gone (watchers look the key up), before the world goes.
    for (db, key) in changed {
        crate::dispatch::key_changed(server, db, &key);
    }
    drop(world);
}

/// Closes clients idle for longer than `timeout` seconds (0 disables).
fn close_idle_clients(server: &Server) {
    let timeout = server.config().timeout;
    if timeout == 0 {
        return;
    }
    let now = rhodium_storage::clock::now_ms();
    for c in server.clients.all() {
        // A blocked client waits on purpose: Redis exempts it from the idle timeout.
        if c.blocked.load(std::sync::atomic::Ordering::Relaxed) {
            continue;
        }
        // Nor does it time out replicas or the link to a master.
        if c.repl_kind.load(std::sync::atomic::Ordering::Relaxed) != crate::net::clients::REPL_KIND_NONE {
            continue;
        }
        let idle = now - c.last_interaction_ms.load(std::sync::atomic::Ordering::Relaxed);
        // Pub/Sub clients wait for messages, so Redis never times them out.
        if idle > (timeout as i64) * 1000 && !c.outbox.pubsub_mode.load(std::sync::atomic::Ordering::Relaxed) {
            crate::log_verbose!("Closing idle client");
            c.kill();
        }
    }
}
