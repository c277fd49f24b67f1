//! What a replica reports about its link: the start of INFO's replication section and
//! ROLE's replica form, field for field as Redis 7.0 writes them.

use std::fmt::Write;
use std::sync::atomic::Ordering;

use rhodium_protocol::ReplyWriter;

use super::{setting, LinkState};
use crate::state::Server;

/// Writes `role:` and, on a replica, the master link fields that follow it in INFO's
/// replication section (Redis's `genRedisInfoString`, up to `replica_announced`).
pub fn write_info(server: &Server, out: &mut String) {
    let st = &server.replica;
    if !st.is_replica() {
        let _ = write!(out, "role:master\r\n");
        return;
    }
    let inner = st.inner.lock();
    let (host, port) = inner.master.clone().unwrap_or_default();
    let state = inner.state;
    let down_since = inner.down_since;
    let has_master = inner.master_client.is_some();
    let has_cached = inner.cached.is_some();
    drop(inner);
    let now_ms = rhodium_storage::clock::now_ms();
    let now = now_ms / 1000;
    // Redis prints 1 for both offsets when there is neither a master nor a cached one.
    let (read_off, off) = if has_master || has_cached { (st.read_reploff.load(Ordering::Relaxed), st.reploff.load(Ordering::Relaxed)) } else { (1, 1) };
    let last_io = if has_master { (now - st.last_io_ms.load(Ordering::Relaxed) / 1000).max(0) } else { -1 };
    let _ = write!(
        out,
        "role:slave\r\nmaster_host:{host}\r\nmaster_port:{port}\r\nmaster_link_status:{}\r\nmaster_last_io_seconds_ago:{last_io}\r\nmaster_sync_in_progress:{}\r\nslave_read_repl_offset:{read_off}\r\nslave_repl_offset:{off}\r\n",
        if state == LinkState::Connected { "up" } else { "down" },
        i32::from(state == LinkState::Transfer),
    );
    if state == LinkState::Transfer {
        let size = st.transfer_size.load(Ordering::Relaxed).max(0);
        let read = st.transfer_read.load(Ordering::Relaxed);
        let perc = if size > 0 { read as f64 / size as f64 * 100.0 } else { 0.0 };
        let _ = write!(
            out,
            "master_sync_total_bytes:{size}\r\nmaster_sync_read_bytes:{read}\r\nmaster_sync_left_bytes:{}\r\nmaster_sync_perc:{perc:.2}\r\nmaster_sync_last_io_seconds_ago:{}\r\n",
            size - read,
            (now - st.transfer_lastio_ms.load(Ordering::Relaxed) / 1000).max(0),
        );
    }
    if state != LinkState::Connected {
        let _ = write!(out, "master_link_down_since_seconds:{}\r\n", if down_since > 0 { now - down_since } else { -1 });
    }
    let cfg = server.config();
    let yes = |name: &str| i32::from(setting(&cfg, name) == "yes");
    let _ = write!(out, "slave_priority:{}\r\nslave_read_only:{}\r\nreplica_announced:{}\r\n", setting(&cfg, "replica-priority"), yes("replica-read-only"), yes("replica-announced"));
}

/// ROLE on a replica: `slave`, host, port, link state, processed offset (-1 without a
/// connected master). False when the server is not a replica (the master form is the
/// caller's).
pub fn role_reply(server: &Server, out: &mut ReplyWriter) -> bool {
    let st = &server.replica;
    if !st.is_replica() {
        return false;
    }
    let inner = st.inner.lock();
    let (host, port) = inner.master.clone().unwrap_or_default();
    let state = match inner.state {
        LinkState::None => "none",
        LinkState::Connect => "connect",
        LinkState::Connecting => "connecting",
        LinkState::Handshake => "handshake",
        LinkState::Transfer => "sync",
        LinkState::Connected => "connected",
    };
    let offset = if inner.master_client.is_some() { st.reploff.load(Ordering::Relaxed) } else { -1 };
    drop(inner);
    out.array(5);
    out.bulk(b"slave");
    out.bulk(host.as_bytes());
    out.integer(i64::from(port));
    out.bulk(state.as_bytes());
    out.integer(offset);
    true
}
