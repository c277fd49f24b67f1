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
        // -1 until the payload's size is known, 0 for an EOF-marked one, as in Redis.
        let size = st.transfer_size.load(Ordering::Relaxed);
        let read = st.transfer_read.load(Ordering::Relaxed);
        let perc = if size != 0 { read as f64 / size as f64 * 100.0 } else { 0.0 };
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

#[cfg(test)]
mod tests {
    use std::sync::atomic::Ordering;

    use rhodium_protocol::{ReplyWriter, Resp};

    use super::*;
    use crate::testkit::Harness;

    /// Marks the harness's server as a replica of a master that is not connected.
    fn as_replica(h: &Harness) {
        let st = &h.server.replica;
        st.active.store(true, Ordering::Relaxed);
        let mut inner = st.inner.lock();
        inner.master = Some(("10.0.0.1".into(), 6380));
        inner.state = LinkState::Connect;
    }

    #[test]
    fn role_and_info_of_a_replica() {
        let h = Harness::new();
        let mut out = ReplyWriter::new(Resp::V2);
        assert!(!role_reply(&h.server, &mut out));
        let mut info = String::new();
        write_info(&h.server, &mut info);
        assert_eq!(info, "role:master\r\n");
        as_replica(&h);
        assert!(role_reply(&h.server, &mut out));
        assert_eq!(String::from_utf8_lossy(out.as_bytes()), "*5\r\n$5\r\nslave\r\n$8\r\n10.0.0.1\r\n:6380\r\n$7\r\nconnect\r\n:-1\r\n");
        info.clear();
        write_info(&h.server, &mut info);
        assert_eq!(info, "role:slave\r\nmaster_host:10.0.0.1\r\nmaster_port:6380\r\nmaster_link_status:down\r\nmaster_last_io_seconds_ago:-1\r\nmaster_sync_in_progress:0\r\nslave_read_repl_offset:1\r\nslave_repl_offset:1\r\nmaster_link_down_since_seconds:-1\r\nslave_priority:100\r\nslave_read_only:1\r\nreplica_announced:1\r\n");
    }

    #[test]
    fn master_client_writes_and_sees_keys_its_master_has_not_expired() {
        let mut h = Harness::new();
        assert_eq!(h.run("SET k v PX 1"), "+OK\r\n");
        as_replica(&h);
        assert_eq!(h.run("SET x 1"), "-READONLY You can't write against a read only replica.\r\n");
        assert_eq!(h.run("CONFIG SET replica-serve-stale-data no"), "+OK\r\n");
        assert_eq!(h.run("GET x"), "-MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.\r\n");
        assert_eq!(h.run("CONFIG SET replica-serve-stale-data yes"), "+OK\r\n");
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        while h.run("GET k") != "$-1\r\n" && std::time::Instant::now() < deadline {}
        // Hidden from clients, not deleted: the master's DEL will come.
        assert_eq!(h.run("GET k"), "$-1\r\n");
        assert_eq!(h.run("DBSIZE"), ":1\r\n");
        h.client.handle.repl_kind.store(crate::net::clients::REPL_KIND_MASTER, Ordering::Relaxed);
        assert_eq!(h.run("APPEND k w"), ":2\r\n");
        assert_eq!(h.run("SET x 1"), "+OK\r\n");
    }
}
