//! The server's shared state: configuration, keyspace, command table, clients, stats and
//! the propagation pipeline. One `Arc<Server>` is shared by every connection.

use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;

use arc_swap::ArcSwap;
use parking_lot::Mutex;
use rhodium_replication::Propagator;
use rhodium_storage::Keyspace;

use crate::commands::table::CommandTable;
use crate::config::Config;
use crate::net::clients::ClientRegistry;

/// Server-wide counters read by INFO.
#[derive(Default)]
pub struct Stats {
    pub total_connections_received: AtomicU64,
    pub total_commands_processed: AtomicU64,
    pub rejected_connections: AtomicU64,
    pub expired_keys: AtomicU64,
    pub keyspace_hits: AtomicU64,
    pub keyspace_misses: AtomicU64,
    pub total_error_replies: AtomicU64,
    pub net_input_bytes: AtomicU64,
    pub net_output_bytes: AtomicU64,
    pub unexpected_error_replies: AtomicU64,
    /// Error replies per error code (`errorstat_ERR`, ...).
    pub errors_by_code: Mutex<std::collections::BTreeMap<String, u64>>,
}

impl Stats {
    pub fn incr(counter: &AtomicU64, by: u64) {
        counter.fetch_add(by, Ordering::Relaxed);
    }
}

/// Why the server is stopping.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShutdownKind {
    /// SIGTERM/SIGINT or SHUTDOWN with default save behaviour.
    Default,
    NoSave,
    Save,
}

pub struct Server {
    config: ArcSwap<Config>,
    pub keyspace: Keyspace,
    pub table: CommandTable,
    pub clients: ClientRegistry,
    pub stats: Stats,
    pub propagator: Propagator,
    /// Pub/Sub subscribers, keyspace-notification flags and output buffer limits.
    pub pubsub: crate::pubsub::PubSub,
    /// 40 hex characters, new at every start.
    pub run_id: String,
    /// Unix milliseconds at startup.
    pub started_ms: i64,
    /// Monotonic start, for uptime.
    pub started: std::time::Instant,
    shutdown_requested: AtomicBool,
    shutdown_kind: Mutex<Option<ShutdownKind>>,
    pub shutdown_notify: tokio::sync::Notify,
    /// Dirty counter: writes since the last save (Redis's `server.dirty`).
    pub dirty: AtomicU64,
    /// True while a dataset is loaded (startup, DEBUG RELOAD, a replica's full sync):
    /// commands not flagged `loading` are answered -LOADING.
    pub loading: AtomicBool,
    /// Whether the cron expires keys in the background (DEBUG SET-ACTIVE-EXPIRE).
    pub active_expire_enabled: AtomicBool,
    /// Knobs DEBUG sets for tests (read by the subsystems they slow down or relax).
    pub debug: DebugKnobs,
    /// CLIENT PAUSE in effect, if any.
    pub pause: Mutex<Option<Pause>>,
    /// True while `pause` may hold a pause (see [`Server::maybe_paused`]).
    pause_set: AtomicBool,
    /// Wakes paused clients when CLIENT UNPAUSE ends a pause early.
    pub pause_notify: tokio::sync::Notify,
    /// Replication: IDs, offset, backlog, attached replicas (see `crate::replication`).
    pub repl: Arc<crate::replication::ReplState>,
    /// Unix seconds of the last successful save (LASTSAVE, rdb_last_save_time).
    pub lastsave_secs: AtomicI64,
    /// RDB persistence: save lock, counters, loaded function libraries.
    pub persistence: crate::persistence::PersistState,
    /// The append-only file: its sink, writer, rewrite state and manifest.
    pub aof: crate::aof::Aof,
    /// The accept loops of the TCP listeners, replaced when CONFIG SET changes port/bind.
    pub tcp_accept_tasks: Mutex<Vec<tokio::task::JoinHandle<()>>>,
    /// The world lock: ordinary commands hold it shared, atomic sections exclusively
    /// (see `atomic.rs`).
    pub world: crate::atomic::WorldLock,
    /// Watched keys (WATCH).
    pub watches: crate::watch::Watches,
    /// Clients blocked on keys.
    pub blocking: crate::blocking::Blocking,
    /// Watched keys plus blocked-client keys: while zero, writes record nothing for them.
    pub key_interest: AtomicUsize,
    /// Client-side caching: tracking table, BCAST prefixes (CLIENT TRACKING).
    pub tracking: crate::tracking::Tracking,
    /// Lua scripting and functions: VMs, script cache, the running script's flags.
    pub scripting: crate::scripting::Scripting,
    /// The replica side: the master followed, the link, its offsets.
    pub replica: crate::replication::replica::ReplicaState,
    /// A handle to this server, for code that holds only `&Server` but must spawn tasks.
    me: std::sync::Weak<Server>,
}

/// Test hooks set by DEBUG subcommands.
pub struct DebugKnobs {
    /// DEBUG PAUSE-CRON: the cron skips its work while set.
    pub pause_cron: AtomicBool,
    /// DEBUG SET-SKIP-CHECKSUM-VALIDATION: RDB/RESTORE payloads skip the CRC check.
    pub skip_checksum_validation: AtomicBool,
    /// DEBUG SET-DISABLE-DENY-SCRIPTS: commands flagged noscript may run from scripts.
    pub disable_deny_scripts: AtomicBool,
    /// DEBUG QUICKLIST-PACKED-THRESHOLD: list elements at least this big are stored plain.
    pub quicklist_packed_threshold: AtomicU64,
}

impl Default for DebugKnobs {
    fn default() -> Self {
        DebugKnobs {
            pause_cron: AtomicBool::new(false),
            skip_checksum_validation: AtomicBool::new(false),
            disable_deny_scripts: AtomicBool::new(false),
            quicklist_packed_threshold: AtomicU64::new(1 << 30),
        }
    }
}

/// A CLIENT PAUSE: until when, and whether every command or only writes wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pause {
    pub end_ms: i64,
    pub all: bool,
}

impl Server {
    pub fn new(config: Config) -> Arc<Server> {
        let run_id = random_hex(40);
        let origin = u64::from_str_radix(&run_id[..16], 16).unwrap_or(1);
        let pubsub = crate::pubsub::PubSub::default();
        pubsub.apply_config(&config);
        Arc::new_cyclic(|me| Server {
            me: me.clone(),
            replica: Default::default(),
            world: crate::atomic::WorldLock::default(),
            watches: crate::watch::Watches::default(),
            blocking: crate::blocking::Blocking::default(),
            key_interest: AtomicUsize::new(0),
            tracking: crate::tracking::Tracking::default(),
            scripting: crate::scripting::Scripting::default(),
            tcp_accept_tasks: Mutex::new(Vec::new()),
            persistence: crate::persistence::PersistState::default(),
            aof: crate::aof::Aof::default(),
            keyspace: Keyspace::new(config.databases),
            table: CommandTable::build(),
            clients: ClientRegistry::default(),
            stats: Stats::default(),
            propagator: Propagator::new(origin),
            pubsub,
            run_id,
            started_ms: rhodium_storage::clock::now_ms(),
            started: std::time::Instant::now(),
            shutdown_requested: AtomicBool::new(false),
            shutdown_kind: Mutex::new(None),
            shutdown_notify: tokio::sync::Notify::new(),
            dirty: AtomicU64::new(0),
            loading: AtomicBool::new(false),
            active_expire_enabled: AtomicBool::new(true),
            debug: DebugKnobs::default(),
            pause: Mutex::new(None),
            pause_set: AtomicBool::new(false),
            pause_notify: tokio::sync::Notify::new(),
            repl: Arc::new(crate::replication::ReplState::new(&config)),
            lastsave_secs: AtomicI64::new(rhodium_storage::clock::now_ms() / 1000),
            config: ArcSwap::from_pointee(config),
        })
    }

    /// An owning handle to this server (None only while it is being dropped).
    pub fn arc(&self) -> Option<Arc<Server>> {
        self.me.upgrade()
    }

    /// The current configuration snapshot.
    pub fn config(&self) -> arc_swap::Guard<Arc<Config>> {
        self.config.load()
    }

    /// Replaces the configuration (CONFIG SET applies all changes at once).
    pub fn set_config(&self, config: Config) {
        self.pubsub.apply_config(&config);
        self.repl.apply_config(&config);
        self.config.store(Arc::new(config));
    }

    /// Asks the main loop to shut down.
    pub fn request_shutdown(&self, kind: ShutdownKind) {
        *self.shutdown_kind.lock() = Some(kind);
        self.shutdown_requested.store(true, Ordering::Release);
        self.shutdown_notify.notify_waiters();
        self.shutdown_notify.notify_one();
    }

    pub fn shutdown_requested(&self) -> Option<ShutdownKind> {
        if self.shutdown_requested.load(Ordering::Acquire) {
            *self.shutdown_kind.lock()
        } else {
            None
        }
    }

    /// Starts or extends a CLIENT PAUSE: the later end and the stricter mode win, as in
    /// Redis.
    pub fn pause_clients(&self, end_ms: i64, all: bool) {
        let mut p = self.pause.lock();
        *p = Some(match *p {
            Some(old) => Pause { end_ms: old.end_ms.max(end_ms), all: old.all || all },
            None => Pause { end_ms, all },
        });
        self.pause_set.store(true, Ordering::Release);
    }

    /// Cheap check for the hot path: false when no CLIENT PAUSE has been set since the
    /// last one ended, so commands need not take the pause lock.
    pub fn maybe_paused(&self) -> bool {
        self.pause_set.load(Ordering::Acquire)
    }

    /// Ends any CLIENT PAUSE and wakes the clients waiting on it.
    pub fn unpause_clients(&self) {
        *self.pause.lock() = None;
        self.pause_set.store(false, Ordering::Release);
        self.pause_notify.notify_waiters();
    }

    /// The pause a command must wait for now, if any (expired pauses are cleared).
    pub fn current_pause(&self, now_ms: i64) -> Option<Pause> {
        let mut p = self.pause.lock();
        match *p {
            Some(x) if x.end_ms > now_ms => Some(x),
            Some(_) => {
                *p = None;
                self.pause_set.store(false, Ordering::Release);
                None
            }
            None => None,
        }
    }

    /// Whether a CLIENT PAUSE currently holds writes back. Redis also stops active expiry
    /// and eviction then, so the dataset does not change while paused; the cron asks this.
    pub fn writes_paused(&self) -> bool {
        self.current_pause(rhodium_storage::clock::now_ms()).is_some()
    }

    /// Whether some client watches or blocks on keys, so writes must report the keys they
    /// touch. One relaxed load: the hot path's only cost for WATCH and blocking.
    #[inline]
    pub fn tracks_keys(&self) -> bool {
        self.key_interest.load(Ordering::Relaxed) > 0
    }

    pub fn uptime_secs(&self) -> u64 {
        self.started.elapsed().as_secs()
    }
}

/// `n` random lowercase hex characters.
pub fn random_hex(n: usize) -> String {
    use rand::Rng;
    let mut rng = rand::thread_rng();
    (0..n).map(|_| char::from_digit(rng.gen_range(0..16), 16).unwrap_or('0')).collect()
}
