//! Following an upstream master (Redis's replica side of `replication.c`): REPLICAOF
//! starts a link thread that connects, shakes hands, PSYNCs, loads a full sync and applies
//! the command stream as the master client; the state here is what INFO, ROLE, dispatch
//! (-READONLY, -MASTERDOWN, expiry) and the RDB aux fields read.
//!
//! The link runs on its own OS thread with blocking sockets, as Redis's handshake is
//! synchronous: the master's commands then wait on locks like any command without tying
//! up the async runtime.
//!
//! Until the master side's shared replication state exists, the upstream replication id
//! and offsets live here; the places to join the two are marked `wiring:`.

mod link;
mod load;
mod report;

use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use parking_lot::{Mutex, MutexGuard};
use rhodium_storage::rdb::ReplInfo;

use crate::commands::spec::{flags, CommandSpec};
use crate::config::Config;
use crate::net::clients::{ClientHandle, ClientState};
use crate::state::Server;
use crate::{log_notice, log_warning};

pub use report::{role_reply, write_info};

/// Where the link to the master stands (Redis's `repl_state`, handshake states folded).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkState {
    /// Not a replica.
    None,
    /// Must connect (after a failure, before the next attempt).
    Connect,
    /// TCP connect and PING in progress.
    Connecting,
    /// AUTH / REPLCONF / PSYNC exchanged.
    Handshake,
    /// Receiving (or loading) the RDB of a full sync.
    Transfer,
    /// Streaming commands.
    Connected,
}

/// What a partial resynchronization needs of a former master (Redis's `cached_master`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CachedMaster {
    pub replid: String,
    /// Processed offset: the next PSYNC asks for `offset + 1`.
    pub offset: i64,
    /// The database the master's stream had selected.
    pub db: usize,
}

struct Inner {
    master: Option<(String, u16)>,
    state: LinkState,
    /// Bumped by every REPLICAOF: a link thread of an older generation stops.
    generation: u64,
    /// The upstream's replication id (this server's `master_replid` while a replica).
    replid: String,
    cached: Option<CachedMaster>,
    /// Unix seconds when the link went down (0: never up since REPLICAOF).
    down_since: i64,
    /// The link's socket, so REPLICAOF can interrupt a blocked read.
    socket: Option<TcpStream>,
    /// The master client while the link is up (CLIENT LIST flag `M`).
    master_client: Option<Arc<ClientHandle>>,
}

/// The replica side's state, one per server.
pub struct ReplicaState {
    /// Following a master (Redis's `server.masterhost != NULL`): one relaxed load on the
    /// hot path for servers that are not replicas.
    active: AtomicBool,
    /// The link is up (`repl_state == REPL_STATE_CONNECTED`).
    link_up: AtomicBool,
    inner: Mutex<Inner>,
    /// Held while one master command is applied and the offset advanced, so that a save
    /// records data and offset from the same point.
    apply: Mutex<()>,
    /// Held by the running link thread for its whole life: a new link starts only after
    /// the previous one stopped applying and cached its master.
    link_lock: Mutex<()>,
    /// Offset of the commands applied (`master->reploff`) and of the bytes read
    /// (`read_reploff`), for the current or cached master.
    reploff: AtomicI64,
    read_reploff: AtomicI64,
    /// The database the master's stream has selected.
    master_db: AtomicUsize,
    /// Unix milliseconds of the last byte from the master.
    last_io_ms: AtomicI64,
    /// Full-sync transfer progress (`repl_transfer_size/read/lastio`).
    transfer_size: AtomicI64,
    transfer_read: AtomicI64,
    transfer_lastio_ms: AtomicI64,
    /// Replication info read from the RDB loaded at startup (id, offset, stream db).
    loaded_aux: Mutex<Option<CachedMaster>>,
    /// Full syncs loaded and partial resyncs accepted, for tests and logs.
    pub full_syncs: AtomicU64,
    pub partial_syncs: AtomicU64,
}

impl Default for ReplicaState {
    fn default() -> Self {
        ReplicaState {
            active: AtomicBool::new(false),
            link_up: AtomicBool::new(false),
            inner: Mutex::new(Inner { master: None, state: LinkState::None, generation: 0, replid: String::new(), cached: None, down_since: 0, socket: None, master_client: None }),
            apply: Mutex::new(()),
            link_lock: Mutex::new(()),
            reploff: AtomicI64::new(0),
            read_reploff: AtomicI64::new(0),
            master_db: AtomicUsize::new(0),
            last_io_ms: AtomicI64::new(0),
            transfer_size: AtomicI64::new(-1),
            transfer_read: AtomicI64::new(0),
            transfer_lastio_ms: AtomicI64::new(0),
            loaded_aux: Mutex::new(None),
            full_syncs: AtomicU64::new(0),
            partial_syncs: AtomicU64::new(0),
        }
    }
}

impl ReplicaState {
    /// Whether this server follows a master.
    #[inline]
    /// The database the master's stream is in (`repl-stream-db` of a sub-replica's sync).
    pub fn master_db(&self) -> usize {
        self.master_db.load(Ordering::Relaxed)
    }

    /// Held while a master command is applied and its bytes fed to sub-replicas, so a
    /// sub-replica's snapshot never falls between the two.
    pub fn apply_guard(&self) -> MutexGuard<'_, ()> {
        self.apply.lock()
    }

    pub fn is_replica(&self) -> bool {
        self.active.load(Ordering::Relaxed)
    }

    /// Whether the link with the master is up.
    pub fn link_up(&self) -> bool {
        self.link_up.load(Ordering::Relaxed)
    }

    /// The configured master, if any.
    pub fn master(&self) -> Option<(String, u16)> {
        self.inner.lock().master.clone()
    }

    /// The link's state.
    pub fn state(&self) -> LinkState {
        self.inner.lock().state
    }

    fn set_state(&self, st: LinkState) {
        self.inner.lock().state = st;
        self.link_up.store(st == LinkState::Connected, Ordering::Relaxed);
    }

    fn current(&self, generation: u64) -> bool {
        self.inner.lock().generation == generation
    }
}

/// A directive's canonical value.
pub(crate) fn setting(cfg: &Config, name: &str) -> String {
    crate::config::registry::lookup(name).map(|d| cfg.get(d)).unwrap_or_default()
}

fn setting_i64(cfg: &Config, name: &str) -> i64 {
    setting(cfg, name).parse().unwrap_or(0)
}

/// This server's own replication id and offset, used to synthesize a cached master when
/// a master becomes a replica (Redis's `replicationCacheMasterUsingMyself`).
fn own_history(server: &Server) -> (String, i64) {
    (server.repl.replid(), server.repl.offset() as i64)
}

/// REPLICAOF host port (and the `replicaof` directive): follow `host:port`. A master first
/// turns its own history into a cached master so the new master may accept a partial
/// resync; a replica of another master keeps that master's state cached instead (the
/// old link thread caches it as it stops, before the new one starts).
///
/// Never waits for the link thread: REPLICAOF may run inside an atomic section that the
/// link thread's current command waits for.
pub fn set_master(server: &Server, host: &str, port: u16) {
    let st = &server.replica;
    let was_master = !st.is_replica();
    let mut inner = st.inner.lock();
    inner.generation += 1;
    if inner.state == LinkState::Connected {
        inner.down_since = rhodium_storage::clock::now_ms() / 1000;
    }
    if let Some(s) = inner.socket.take() {
        let _ = s.shutdown(std::net::Shutdown::Both);
    }
    if was_master {
        log_notice!("Before turning into a replica, using my own master parameters to synthesize a cached master: I may be able to synchronize with the new master with just a partial transfer.");
        let (replid, offset) = own_history(server);
        inner.cached = Some(CachedMaster { replid: replid.clone(), offset, db: 0 });
        inner.replid = replid;
        st.reploff.store(offset, Ordering::Relaxed);
        st.read_reploff.store(offset, Ordering::Relaxed);
    }
    inner.master = Some((host.to_string(), port));
    record_replicaof(server, format!("{host} {port}"));
    inner.state = LinkState::Connect;
    st.link_up.store(false, Ordering::Relaxed);
    st.active.store(true, Ordering::Relaxed);
    crate::log::set_role(b'S');
    let generation = inner.generation;
    drop(inner);
    // Local writes stop feeding sub-replicas (the upstream's bytes will), and they are
    // disconnected so they learn of the change, as Redis's replicationSetMaster does.
    server.repl.set_replica_mode(true);
    server.repl.disconnect_replicas();
    log_notice!("Connecting to MASTER {}:{}", host, port);
    spawn_link(server, generation);
}

/// Removes the master client of a link that went down and turns its state into the
/// cached master (Redis's `replicationCacheMaster`), unless the server stopped following
/// or a cached master was set meanwhile. Call with the apply lock held, from the link
/// thread that owned the client.
fn cache_connected_master(server: &Server, inner: &mut Inner) {
    let st = &server.replica;
    let Some(c) = inner.master_client.take() else {
        return;
    };
    c.kill();
    server.clients.remove(c.id);
    if inner.master.is_some() && inner.cached.is_none() {
        inner.cached = Some(CachedMaster { replid: inner.replid.clone(), offset: st.reploff.load(Ordering::Relaxed), db: st.master_db.load(Ordering::Relaxed) });
        // Bytes read past the last complete command are dropped with the connection.
        st.read_reploff.store(st.reploff.load(Ordering::Relaxed), Ordering::Relaxed);
    }
}

/// Keeps the `replicaof` setting equal to the master followed, as Redis's CONFIG GET and
/// CONFIG REWRITE show it (Sentinel rewrites the file after SLAVEOF).
fn record_replicaof(server: &Server, value: String) {
    if let Some(d) = crate::config::registry::lookup("replicaof") {
        let mut cfg = (**server.config()).clone();
        cfg.store(d, value);
        server.set_config(cfg);
    }
}

fn spawn_link(server: &Server, generation: u64) {
    let Some(me) = server.arc() else {
        return;
    };
    let spawned = std::thread::Builder::new().name("rhodium-replica".into()).spawn(move || link::run(me, generation));
    if let Err(e) = spawned {
        log_warning!("Can't start the replication link: {}", e);
    }
}

/// REPLICAOF NO ONE: stop following, keep the data (Redis's `replicationUnsetMaster`).
pub fn unset_master(server: &Server) {
    let st = &server.replica;
    let mut inner = st.inner.lock();
    if inner.master.is_none() {
        return;
    }
    inner.generation += 1;
    if let Some(c) = &inner.master_client {
        log_notice!("Connection with master lost.");
        // The link thread removes it as it stops.
        c.kill();
    }
    if let Some(s) = inner.socket.take() {
        let _ = s.shutdown(std::net::Shutdown::Both);
    }
    inner.master = None;
    record_replicaof(server, String::new());
    inner.cached = None;
    inner.state = LinkState::None;
    inner.down_since = 0;
    st.link_up.store(false, Ordering::Relaxed);
    st.active.store(false, Ordering::Relaxed);
    drop(inner);
    // The upstream's id stays valid as replid2 up to this offset, so former siblings
    // continue with a partial resync; sub-replicas reconnect to learn the new id.
    server.repl.set_replica_mode(false);
    server.repl.shift_replid();
    server.repl.disconnect_replicas();
    crate::log::set_role(b'M');
}

/// Starts following the master named by the `replicaof` directive, using the replication
/// info of the RDB loaded at startup as the cached master (Redis's `loadDataFromDisk`).
pub fn start_from_config(server: &Server) {
    let v = setting(&server.config(), "replicaof");
    let mut parts = v.split(' ');
    let (Some(host), Some(port)) = (parts.next(), parts.next().and_then(|p| p.parse::<u16>().ok())) else {
        return;
    };
    let st = &server.replica;
    let loaded = st.loaded_aux.lock().take();
    {
        let mut inner = st.inner.lock();
        inner.generation += 1;
        if let Some(c) = &loaded {
            inner.replid = c.replid.clone();
            inner.cached = Some(c.clone());
            st.reploff.store(c.offset, Ordering::Relaxed);
            st.read_reploff.store(c.offset, Ordering::Relaxed);
            st.master_db.store(c.db, Ordering::Relaxed);
        }
        inner.master = Some((host.to_string(), port));
        inner.state = LinkState::Connect;
        st.active.store(true, Ordering::Relaxed);
        server.repl.set_replica_mode(true);
        crate::log::set_role(b'S');
        let generation = inner.generation;
        drop(inner);
        log_notice!("Connecting to MASTER {}:{}", host, port);
        spawn_link(server, generation);
    }
}

/// Keeps the replication aux fields of an RDB just loaded at startup, for
/// [`start_from_config`].
pub fn note_loaded_aux(server: &Server, aux: &[(Vec<u8>, Vec<u8>)]) {
    let get = |k: &[u8]| aux.iter().rev().find(|(n, _)| n == k).map(|(_, v)| String::from_utf8_lossy(v).into_owned());
    let (Some(id), Some(off), Some(db)) = (get(b"repl-id"), get(b"repl-offset"), get(b"repl-stream-db")) else {
        return;
    };
    let (Ok(offset), Ok(db)) = (off.parse::<i64>(), db.parse::<i64>()) else {
        return;
    };
    if id.len() != rhodium_replication::replica::RUN_ID_SIZE || offset < 0 || db < 0 {
        return;
    }
    *server.replica.loaded_aux.lock() = Some(CachedMaster { replid: id, offset, db: db as usize });
}

/// The replication aux fields for an RDB being saved (Redis's `rdbPopulateSaveInfo` for a
/// replica), with a guard that keeps master commands from being applied while it is held,
/// so the image and the offset agree. If the link thread cannot be paused quickly (it may
/// wait on the world lock), no info is written: a later restart then full-syncs.
pub fn rdb_save_info(server: &Server) -> (Option<ReplInfo>, Option<MutexGuard<'_, ()>>) {
    let st = &server.replica;
    if !st.is_replica() {
        return (server.repl.rdb_repl_info(), None);
    }
    let Some(guard) = st.apply.try_lock_for(Duration::from_millis(200)) else {
        return (None, None);
    };
    let inner = st.inner.lock();
    let info = if inner.master_client.is_some() {
        Some(ReplInfo { stream_db: st.master_db.load(Ordering::Relaxed) as i64, replid: inner.replid.clone(), offset: st.reploff.load(Ordering::Relaxed) })
    } else {
        inner.cached.as_ref().map(|c| ReplInfo { stream_db: c.db as i64, replid: c.replid.clone(), offset: c.offset })
    };
    drop(inner);
    (info, Some(guard))
}

/// Stops the link before the final save at shutdown, so no command is half applied.
pub fn stop_for_shutdown(server: &Server) {
    let st = &server.replica;
    {
        let mut inner = st.inner.lock();
        inner.generation += 1;
        if let Some(s) = inner.socket.take() {
            let _ = s.shutdown(std::net::Shutdown::Both);
        }
    }
    // The link thread caches its master as it stops; a command it waits on cannot be
    // running any more, but do not hang the exit on it.
    drop(st.link_lock.try_lock_for(Duration::from_secs(2)));
}

/// Redis's read-only replica check in `processCommand`: a write from an ordinary client
/// of a `replica-read-only` replica.
pub fn readonly_error(server: &Server, client: &ClientState, spec: &CommandSpec, argv: &[bytes::Bytes]) -> Option<&'static str> {
    if !server.replica.is_replica() || client.handle.repl_kind.load(Ordering::Relaxed) == crate::net::clients::REPL_KIND_MASTER {
        return None;
    }
    let is_write = command_flags(spec, argv) & flags::WRITE != 0 || (spec.name == "exec" && client.tx.queued().iter().any(|a| matches!(server.table.lookup(a), crate::commands::table::Lookup::Found(r) if r.spec.has(flags::WRITE))));
    if is_write && setting(&server.config(), "replica-read-only") == "yes" {
        return Some("READONLY You can't write against a read only replica.");
    }
    None
}

/// Redis's stale-data check: with `replica-serve-stale-data no` and the link down, only
/// commands flagged `stale` run.
pub fn masterdown_error(server: &Server, client: &ClientState, spec: &CommandSpec, argv: &[bytes::Bytes]) -> Option<&'static str> {
    if !server.replica.is_replica() || server.replica.link_up() {
        return None;
    }
    let denied = command_flags(spec, argv) & flags::STALE == 0 || (spec.name == "exec" && client.tx.queued().iter().any(|a| matches!(server.table.lookup(a), crate::commands::table::Lookup::Found(r) if !r.spec.has(flags::STALE))));
    if denied && setting(&server.config(), "replica-serve-stale-data") == "no" {
        return Some("MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.");
    }
    None
}

/// A command's flags as these checks see them (Redis's `getCommandFlags`): an EVAL whose
/// script declares flags in a shebang takes `write` and `stale` from them instead of its
/// spec (`scriptFlagsToCmdFlags`).
fn command_flags(spec: &CommandSpec, argv: &[bytes::Bytes]) -> u32 {
    use crate::scripting::shebang::{self, sflags};
    if !matches!(spec.name, "eval" | "eval_ro") || argv.len() < 2 {
        return spec.flags;
    }
    let script = match shebang::parse(&argv[1], false) {
        Ok(s) if s.flags & sflags::EVAL_COMPAT_MODE == 0 => s.flags,
        _ => return spec.flags,
    };
    let mut f = spec.flags & !(flags::STALE | flags::WRITE);
    if script & sflags::NO_WRITES == 0 {
        f |= flags::WRITE;
    }
    if script & sflags::ALLOW_STALE != 0 {
        f |= flags::STALE;
    }
    f
}
