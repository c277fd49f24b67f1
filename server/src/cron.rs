//! Periodic work, `hz` times a second (Redis's `serverCron`): idle client timeouts and
//! other housekeeping.

use std::sync::Arc;

use crate::state::Server;

/// Runs forever, ticking at the configured `hz`.
pub async fn run(server: Arc<Server>) {
    loop {
        let hz = server.config().hz.max(1);
        tokio::time::sleep(std::time::Duration::from_millis(1000 / u64::from(hz))).await;
        tick(&server);
    }
}

/// One cron tick.
pub fn tick(server: &Server) {
    close_idle_clients(server);
}

/// Closes clients idle for longer than `timeout` seconds (0 disables).
fn close_idle_clients(server: &Server) {
    let timeout = server.config().timeout;
    if timeout == 0 {
        return;
    }
    let now = rhodium_storage::clock::now_ms();
    for c in server.clients.all() {
        let idle = now - c.last_interaction_ms.load(std::sync::atomic::Ordering::Relaxed);
        if idle > (timeout as i64) * 1000 {
            crate::log_verbose!("Closing idle client");
            c.kill();
        }
    }
}
