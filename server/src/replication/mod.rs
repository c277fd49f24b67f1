//! Replication state shared by the master side (serving replicas, `primary.rs`) and the
//! replica side (following an upstream): the replication IDs and offset, the backlog, the
//! stream encoder and the attached replicas. It is the propagation [`Sink`] that turns
//! units into stream bytes.
//!
//! Cost on the propagation hot path: nothing is registered with the propagator until the
//! first replica attaches (Redis creates its backlog then); afterwards a unit costs one
//! relaxed load while no backlog exists, and otherwise an encode and a copy into the
//! backlog under a short lock, then one wake-up of the feeder tasks, which write from the
//! backlog to their sockets on their own, so a slow replica never blocks a writer.

pub mod primary;
pub mod replica;

use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, AtomicU8, Ordering};
use std::sync::Arc;

use parking_lot::{Mutex, MutexGuard};
use rhodium_replication::primary::{ReplicaState, NO_REPLID};
use rhodium_replication::{Backlog, ReplOffset, Sink, StreamEncoder, Unit};
use rhodium_storage::rdb::ReplInfo;

use crate::net::clients::ClientHandle;
use crate::pubsub::ObufLimit;
use crate::state::random_hex;

/// What a client said with REPLCONF before SYNC/PSYNC (kept in its `ClientState`).
#[derive(Debug, Clone, Default)]
pub struct ReplConf {
    /// `REPLCONF listening-port`.
    pub listening_port: u16,
    /// `REPLCONF ip-address`.
    pub ip_address: Option<String>,
    /// `REPLCONF capa eof`: understands the diskless `$EOF:` transfer.
    pub capa_eof: bool,
    /// `REPLCONF capa psync2`: understands `+CONTINUE <replid>`.
    pub capa_psync2: bool,
    /// `REPLCONF rdb-only 1`: wants the RDB and nothing after it (redis-cli --rdb).
    pub rdb_only: bool,
    /// `REPLCONF rdb-filter-only functions`: the RDB without any key.
    pub functions_only: bool,
}

/// What a connection that sent SYNC or PSYNC becomes; the connection loop hands its
/// socket to [`primary::serve_replica`].
#[derive(Clone)]
pub struct Handoff {
    pub link: Arc<ReplicaLink>,
}

/// One attached replica, shared by its connection task and the replication state.
pub struct ReplicaLink {
    pub handle: Arc<ClientHandle>,
    /// Address INFO and ROLE show (REPLCONF ip-address or the peer's IP).
    pub ip: String,
    pub port: u16,
    pub conf: ReplConf,
    /// Sent SYNC rather than PSYNC (no `+FULLRESYNC` line, never acknowledges).
    pub old_protocol: bool,
    state: AtomicU8,
    /// The next stream byte to send (pins the backlog from there).
    next: AtomicU64,
    pub ack_off: AtomicU64,
    /// Unix seconds of the last REPLCONF ACK (or of the attach).
    pub ack_time: AtomicI64,
    /// Unix seconds since when the soft output limit has been exceeded (0: not).
    soft_since: AtomicI64,
    /// The full-sync transfer this replica was given, once it starts.
    start: Mutex<Option<primary::SyncStart>>,
    pub start_notify: tokio::sync::Notify,
    /// Set by the first REPLCONF ACK after a diskless transfer: streaming may begin.
    pub acked: AtomicBool,
    pub ack_notify: tokio::sync::Notify,
}

impl ReplicaLink {
    /// A replica just attached (state `wait_bgsave` until its stream position is known).
    pub fn new(handle: Arc<ClientHandle>, conf: ReplConf, old_protocol: bool) -> ReplicaLink {
        let ip = conf.ip_address.clone().unwrap_or_else(|| match &handle.addr {
            crate::net::clients::Peer::Tcp(a) => a.ip().to_string(),
            crate::net::clients::Peer::Unix(_) => "127.0.0.1".into(),
        });
        let now = rhodium_storage::clock::now_ms() / 1000;
        ReplicaLink {
            handle,
            ip,
            port: conf.listening_port,
            conf,
            old_protocol,
            state: AtomicU8::new(ReplicaState::WaitBgsaveStart as u8),
            next: AtomicU64::new(0),
            ack_off: AtomicU64::new(0),
            ack_time: AtomicI64::new(now),
            soft_since: AtomicI64::new(0),
            start: Mutex::new(None),
            start_notify: tokio::sync::Notify::new(),
            acked: AtomicBool::new(false),
            ack_notify: tokio::sync::Notify::new(),
        }
    }

    pub fn state(&self) -> ReplicaState {
        ReplicaState::from_u8(self.state.load(Ordering::Acquire))
    }

    pub fn set_state(&self, s: ReplicaState) {
        self.state.store(s as u8, Ordering::Release);
    }

    /// The next stream byte this replica needs.
    pub fn next(&self) -> ReplOffset {
        self.next.load(Ordering::Acquire)
    }

    /// Redis's `replicationGetSlaveName`: `ip:port`, or the client id without a port.
    pub fn name(&self) -> String {
        if self.port != 0 {
            format!("{}:{}", self.ip, self.port)
        } else {
            format!("client id #{}", self.handle.id)
        }
    }

    /// Takes the transfer handed to this replica, if it started.
    pub fn take_start(&self) -> Option<primary::SyncStart> {
        self.start.lock().take()
    }
}

struct Inner {
    replid: String,
    replid2: String,
    second_offset: i64,
    /// `master_repl_offset`.
    offset: ReplOffset,
    backlog: Option<Backlog>,
    encoder: StreamEncoder,
    scratch: Vec<u8>,
    replicas: Vec<Arc<ReplicaLink>>,
    /// Replicas waiting for a full-sync transfer to start, and whether one is scheduled.
    pending_full: Vec<Arc<ReplicaLink>>,
    transfer_scheduled: bool,
    /// Unix seconds since when no replica is attached (repl-backlog-ttl).
    no_replicas_since: i64,
    /// The replica class of client-output-buffer-limit.
    limit: ObufLimit,
    /// `master_repl_offset` after the last `REPLCONF GETACK *` fed, to send one per batch.
    getack_at: ReplOffset,
}

/// A client blocked in WAIT.
struct WaitEntry {
    waiter: Arc<crate::blocking::Waiter>,
    offset: ReplOffset,
    numreplicas: i64,
}

/// The replication state (replaces a bare replication ID in `Server`).
pub struct ReplState {
    inner: Mutex<Inner>,
    /// A backlog exists: the sink encodes units.
    active: AtomicBool,
    /// This server follows an upstream: local units are not fed (the upstream's raw bytes
    /// are, through [`ReplState::feed_raw`]).
    replica_mode: AtomicBool,
    /// A replica's link with its upstream is up (PSYNC from sub-replicas is refused with
    /// -NOMASTERLINK otherwise).
    upstream_linked: AtomicBool,
    /// `master_repl_offset`, readable without the lock.
    offset: AtomicU64,
    /// New stream bytes were appended.
    pub data: tokio::sync::Notify,
    sink_added: AtomicBool,
    cron_started: AtomicBool,
    /// min-replicas-to-write is not met: writes get -NOREPLICAS.
    not_enough_replicas: AtomicBool,
    /// `min-replicas-to-write` and `min-replicas-max-lag`.
    min_replicas: AtomicI64,
    min_replicas_lag: AtomicI64,
    waits: Mutex<Vec<WaitEntry>>,
    /// The server, for completing WAITs from ACK processing (set with the cron).
    server: std::sync::OnceLock<std::sync::Weak<crate::state::Server>>,
    pub sync_full: AtomicU64,
    pub sync_partial_ok: AtomicU64,
    pub sync_partial_err: AtomicU64,
}

impl Default for ReplState {
    fn default() -> Self {
        ReplState {
            inner: Mutex::new(Inner {
                replid: random_hex(40),
                replid2: NO_REPLID.into(),
                second_offset: -1,
                offset: 0,
                backlog: None,
                encoder: StreamEncoder::default(),
                scratch: Vec::new(),
                replicas: Vec::new(),
                pending_full: Vec::new(),
                transfer_scheduled: false,
                no_replicas_since: rhodium_storage::clock::now_ms() / 1000,
                limit: ObufLimit { hard: 256 << 20, soft: 64 << 20, soft_secs: 60 },
                getack_at: u64::MAX,
            }),
            active: AtomicBool::new(false),
            replica_mode: AtomicBool::new(false),
            upstream_linked: AtomicBool::new(false),
            offset: AtomicU64::new(0),
            data: tokio::sync::Notify::new(),
            sink_added: AtomicBool::new(false),
            cron_started: AtomicBool::new(false),
            not_enough_replicas: AtomicBool::new(false),
            min_replicas: AtomicI64::new(0),
            min_replicas_lag: AtomicI64::new(10),
            waits: Mutex::new(Vec::new()),
            server: std::sync::OnceLock::new(),
            sync_full: AtomicU64::new(0),
            sync_partial_ok: AtomicU64::new(0),
            sync_partial_err: AtomicU64::new(0),
        }
    }
}

/// What INFO replication and ROLE show of the master side.
pub struct Snapshot {
    pub replid: String,
    pub replid2: String,
    pub second_offset: i64,
    pub offset: ReplOffset,
    /// `(size, first byte offset, histlen)` when a backlog exists.
    pub backlog: Option<(u64, ReplOffset, u64)>,
    pub backlog_memory: u64,
    pub replicas: Vec<Arc<ReplicaLink>>,
}

impl ReplState {
    /// The state of a server starting with `cfg`.
    pub fn new(cfg: &crate::config::Config) -> ReplState {
        let st = ReplState::default();
        st.apply_config(cfg);
        st
    }

    /// Takes the settings this module acts on from a new configuration (startup and
    /// CONFIG SET): backlog size, the replica output limit, min-replicas-*.
    pub fn apply_config(&self, cfg: &crate::config::Config) {
        let num = |name: &str, d: i64| cfg.other.get(name).and_then(|v| v.parse::<i64>().ok()).unwrap_or(d);
        self.min_replicas.store(num("min-replicas-to-write", 0), Ordering::Relaxed);
        self.min_replicas_lag.store(num("min-replicas-max-lag", 10), Ordering::Relaxed);
        let limits = crate::pubsub::parse_obuf_limits(&crate::config::registry::lookup("client-output-buffer-limit").map(|d| cfg.get(d)).unwrap_or_default());
        let mut g = self.inner.lock();
        g.limit = limits[1];
        if let Some(b) = g.backlog.as_mut() {
            b.resize(backlog_size(cfg));
        }
        drop(g);
        self.refresh_good_replicas();
    }

    /// Counts the replicas whose last ACK is at most min-replicas-max-lag seconds old and
    /// decides whether writes are refused (Redis's `refreshGoodSlavesCount`).
    pub fn refresh_good_replicas(&self) {
        let (min, lag) = (self.min_replicas.load(Ordering::Relaxed), self.min_replicas_lag.load(Ordering::Relaxed));
        if self.is_replica() || min <= 0 || lag <= 0 {
            self.not_enough_replicas.store(false, Ordering::Relaxed);
            return;
        }
        let now = rhodium_storage::clock::now_ms() / 1000;
        let good = self.inner.lock().replicas.iter().filter(|r| r.state() == ReplicaState::Online && !r.old_protocol && now - r.ack_time.load(Ordering::Acquire) <= lag).count() as i64;
        self.not_enough_replicas.store(good < min, Ordering::Relaxed);
    }

    // ----- the API the replica side uses -----

    /// The current replication ID.
    pub fn replid(&self) -> String {
        self.inner.lock().replid.clone()
    }

    /// `master_repl_offset`.
    pub fn offset(&self) -> ReplOffset {
        self.offset.load(Ordering::Acquire)
    }

    /// Whether this server follows an upstream (local units are then not fed).
    pub fn is_replica(&self) -> bool {
        self.replica_mode.load(Ordering::Acquire)
    }

    /// Turns replica mode on (REPLICAOF host port) or off (REPLICAOF NO ONE: call
    /// [`ReplState::shift_replid`] too, as Redis's `replicationUnsetMaster`).
    pub fn set_replica_mode(&self, on: bool) {
        self.replica_mode.store(on, Ordering::Release);
        if !on {
            self.upstream_linked.store(false, Ordering::Release);
        }
    }

    /// Whether the replica's link with its upstream is up; while a replica's link is down
    /// its own replicas are refused with -NOMASTERLINK, as Redis does.
    pub fn set_upstream_linked(&self, up: bool) {
        self.upstream_linked.store(up, Ordering::Release);
    }

    /// Promotion (Redis's `shiftReplicationId`): the old ID stays valid as `replid2` up to
    /// the current offset, so former siblings continue with a partial resync; a new
    /// random ID starts. The next unit selects its database again.
    pub fn shift_replid(&self) {
        let mut g = self.inner.lock();
        g.replid2 = std::mem::replace(&mut g.replid, random_hex(40));
        g.second_offset = g.offset as i64 + 1;
        g.encoder.force_select();
        crate::log_notice!("Setting secondary replication ID to {}, valid up to offset: {}. New replication ID is {}", g.replid2, g.second_offset, g.replid);
    }

    /// A replica adopts its upstream's history after a full sync (Redis's
    /// `replicationCreateMasterClient` + the replid/offset copy): the ID and offset become
    /// the upstream's, `replid2` is cleared, replicas of this server are disconnected
    /// (they must full-sync again) and a fresh backlog starts at `offset`. The sink is
    /// registered too, so once promoted this server feeds its own writes to the backlog
    /// its former siblings continue from.
    pub fn set_upstream(self: &Arc<Self>, server: &crate::state::Server, replid: &str, offset: ReplOffset) {
        self.ensure_sink(server);
        let mut g = self.inner.lock();
        g.replid = replid.to_string();
        g.replid2 = NO_REPLID.into();
        g.second_offset = -1;
        g.offset = offset;
        let size = g.backlog.as_ref().map_or(1 << 20, Backlog::size);
        g.backlog = Some(Backlog::new(size, offset));
        g.encoder.force_select();
        for r in g.replicas.drain(..) {
            r.handle.kill();
        }
        self.offset.store(offset, Ordering::Release);
        self.active.store(true, Ordering::Release);
    }

    /// `+CONTINUE <new id>`: the upstream continues its history under a new ID (it was
    /// promoted). The old ID stays valid as `replid2` up to the current offset + 1 and
    /// replicas of this server are disconnected to learn the new one.
    pub fn continue_with_new_id(&self, new: &str) {
        let mut g = self.inner.lock();
        g.replid2 = std::mem::replace(&mut g.replid, new.to_string());
        g.second_offset = g.offset as i64 + 1;
        for r in g.replicas.drain(..) {
            r.handle.kill();
        }
    }

    /// Appends exact upstream stream bytes: the backlog and every attached replica get them
    /// verbatim, so chained replicas share this server's replication ID and offsets.
    pub fn feed_raw(&self, bytes: &[u8]) {
        let mut g = self.inner.lock();
        self.append_locked(&mut g, bytes);
        drop(g);
        self.data.notify_waiters();
    }

    /// Disconnects every attached replica (Redis's `disconnectSlaves`).
    pub fn disconnect_replicas(&self) {
        for r in self.inner.lock().replicas.iter() {
            r.handle.kill();
        }
    }

    // ----- the master side -----

    /// DEBUG CHANGE-REPL-ID: a new replication ID, `replid2` cleared.
    pub fn change_replid(&self) {
        let mut g = self.inner.lock();
        g.replid = random_hex(40);
        g.replid2 = NO_REPLID.into();
        g.second_offset = -1;
    }

    /// The replication fields of an RDB header (Redis's `rdbPopulateSaveInfo`): only while a
    /// backlog exists, since otherwise a replica must full-sync anyway.
    pub fn rdb_repl_info(&self) -> Option<ReplInfo> {
        let g = self.inner.lock();
        g.backlog.as_ref()?;
        Some(ReplInfo { stream_db: g.encoder.db() as i64, replid: g.replid.clone(), offset: g.offset as i64 })
    }

    /// What INFO and ROLE report.
    pub fn snapshot(&self) -> Snapshot {
        let g = self.inner.lock();
        Snapshot {
            replid: g.replid.clone(),
            replid2: g.replid2.clone(),
            second_offset: g.second_offset,
            offset: g.offset,
            backlog: g.backlog.as_ref().map(|b| (b.size(), b.first_byte_offset(), b.histlen())),
            backlog_memory: g.backlog.as_ref().map_or(0, Backlog::allocated),
            replicas: g.replicas.clone(),
        }
    }

    /// Writes get -NOREPLICAS (min-replicas-to-write not met). One relaxed load.
    #[inline]
    pub fn refuses_writes(&self) -> bool {
        self.not_enough_replicas.load(Ordering::Relaxed)
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock()
    }

    /// Appends stream bytes with the lock held: offsets, output limits, trimming.
    fn append_locked(&self, g: &mut Inner, bytes: &[u8]) {
        if bytes.is_empty() {
            return;
        }
        g.offset += bytes.len() as u64;
        self.offset.store(g.offset, Ordering::Release);
        let Some(b) = g.backlog.as_mut() else {
            return;
        };
        b.append(bytes);
        let end = b.end();
        let mut keep: Option<ReplOffset> = None;
        let now = rhodium_storage::clock::now_ms() / 1000;
        for r in &g.replicas {
            if r.state() == ReplicaState::WaitBgsaveStart || r.handle.killed() {
                continue;
            }
            let next = r.next();
            let pending = (end + 1).saturating_sub(next);
            if over_limit(&g.limit, &r.soft_since, pending, now) {
                crate::log_warning!(
                    "Client id={} addr={} laddr={} fd={} name= flags=S scheduled to be closed ASAP for overcoming of output buffer limits.",
                    r.handle.id,
                    r.handle.addr.display(),
                    r.handle.laddr.display(),
                    r.handle.fd
                );
                r.handle.kill();
                continue;
            }
            r.handle.omem.store(pending, Ordering::Relaxed);
            keep = Some(keep.map_or(next, |k: u64| k.min(next)));
        }
        b.trim(keep);
    }

    /// Registers this state as a propagation sink, once (not before a backlog is needed:
    /// with no sink the propagator's hot path stays lock-free).
    fn ensure_sink(self: &Arc<Self>, server: &crate::state::Server) {
        if !self.sink_added.swap(true, Ordering::AcqRel) {
            server.propagator.add_sink(self.clone());
        }
    }

    /// Creates the backlog if there is none (Redis does it when the first replica
    /// attaches: new replication ID, `replid2` cleared) and registers the sink.
    fn ensure_backlog(self: &Arc<Self>, server: &crate::state::Server) {
        self.ensure_sink(server);
        let mut g = self.lock();
        if g.backlog.is_none() {
            if !self.is_replica() {
                g.replid = random_hex(40);
                g.replid2 = NO_REPLID.into();
                g.second_offset = -1;
            }
            let size = backlog_size(&server.config());
            g.backlog = Some(Backlog::new(size, g.offset));
            g.encoder.force_select();
            self.active.store(true, Ordering::Release);
            crate::log_notice!("Replication backlog created, my new replication IDs are '{}' and '{}'", g.replid, g.replid2);
        }
    }
}

/// Whether a replica `pending` bytes behind passes client-output-buffer-limit replica.
fn over_limit(limit: &ObufLimit, soft_since: &AtomicI64, pending: u64, now: i64) -> bool {
    if limit.hard > 0 && pending >= limit.hard {
        return true;
    }
    if limit.soft > 0 && pending >= limit.soft {
        let since = soft_since.load(Ordering::Relaxed);
        if since == 0 {
            soft_since.store(now, Ordering::Relaxed);
            return false;
        }
        return now - since >= limit.soft_secs;
    }
    soft_since.store(0, Ordering::Relaxed);
    false
}

/// `repl-backlog-size` in bytes.
pub fn backlog_size(cfg: &crate::config::Config) -> u64 {
    cfg.other.get("repl-backlog-size").and_then(|v| v.parse::<i64>().ok()).filter(|v| *v > 0).map_or(1 << 20, |v| v as u64)
}

impl Sink for ReplState {
    fn append(&self, unit: &Unit) {
        if !self.active.load(Ordering::Relaxed) || self.replica_mode.load(Ordering::Relaxed) {
            return;
        }
        let mut g = self.lock();
        let inner = &mut *g;
        let mut scratch = std::mem::take(&mut inner.scratch);
        scratch.clear();
        inner.encoder.encode_unit(unit.db, &unit.commands, &mut scratch);
        self.append_locked(inner, &scratch);
        if scratch.capacity() > 1 << 20 {
            scratch = Vec::new();
        }
        inner.scratch = scratch;
        drop(g);
        self.data.notify_waiters();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;
    use rhodium_replication::OpId;

    fn unit(db: rhodium_storage::DbIndex, s: &str) -> Unit {
        Unit { opid: OpId::default(), origin: 1, db, commands: vec![s.split(' ').map(|p| Bytes::copy_from_slice(p.as_bytes())).collect()] }
    }

    #[test]
    fn sink_feeds_the_backlog_only_with_one_and_not_as_a_replica() {
        let server = crate::state::Server::new(crate::config::Config::default());
        let st = server.repl.clone();
        st.append(&unit(0, "set a 1"));
        assert_eq!(st.offset(), 0, "no backlog, nothing encoded");
        let upstream = "a".repeat(40);
        st.set_replica_mode(true);
        st.set_upstream(&server, &upstream, 100);
        st.append(&unit(0, "set a 1"));
        assert_eq!(st.offset(), 100, "a replica feeds its upstream's bytes, not its own units");
        st.feed_raw(b"*1\r\n$4\r\nPING\r\n");
        assert_eq!(st.offset(), 114);
        st.set_replica_mode(false);
        st.shift_replid();
        let s = st.snapshot();
        assert_eq!((s.replid2.as_str(), s.second_offset), (upstream.as_str(), 115));
        assert_ne!(s.replid, upstream);
        assert_eq!(s.backlog, Some((1 << 20, 101, 14)));
        // Once promoted, its own writes reach the backlog through the propagator.
        server.propagator.propagate(2, vec![unit(2, "set a 1").commands.remove(0)]);
        let selected = b"*2\r\n$6\r\nSELECT\r\n$1\r\n2\r\n*3\r\n$3\r\nset\r\n$1\r\na\r\n$1\r\n1\r\n";
        assert_eq!(st.offset(), 114 + selected.len() as u64);
        let mut out = Vec::new();
        st.lock().backlog.as_ref().unwrap().read(115, 1000, &mut out).unwrap();
        assert_eq!(out, selected);
        let info = st.rdb_repl_info().unwrap();
        assert_eq!((info.stream_db, info.offset), (2, st.offset() as i64));
    }
}
