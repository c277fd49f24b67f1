//! The client registry: what other connections may see of a client (CLIENT LIST, KILL,
//! INFO clients) and the per-connection state only its own task touches.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;

use bytes::Bytes;
use dashmap::DashMap;
use parking_lot::Mutex;
use rhodium_protocol::Resp;

/// A client's address as CLIENT LIST shows it.
#[derive(Debug, Clone)]
pub enum Peer {
    Tcp(SocketAddr),
    Unix(String),
}

impl Peer {
    pub fn display(&self) -> String {
        match self {
            Peer::Tcp(a) => a.to_string(),
            Peer::Unix(p) => format!("{p}:0"),
        }
    }

    pub fn is_loopback(&self) -> bool {
        match self {
            Peer::Tcp(a) => a.ip().is_loopback(),
            Peer::Unix(_) => true,
        }
    }
}

/// The part of a client other connections can read.
pub struct ClientHandle {
    pub id: u64,
    pub addr: Peer,
    pub laddr: Peer,
    pub fd: i32,
    pub created_ms: i64,
    pub name: Mutex<Option<Bytes>>,
    pub db: AtomicUsize,
    pub last_interaction_ms: AtomicI64,
    /// Full name of the last command run (`client|list`), `NULL` before the first.
    pub last_cmd: Mutex<&'static str>,
    /// CLIENT NO-EVICT.
    pub no_evict: AtomicBool,
    pub resp: AtomicUsize,
    pub qbuf: AtomicU64,
    pub omem: AtomicU64,
    pub kill: AtomicBool,
    pub kill_notify: tokio::sync::Notify,
    /// Pub/Sub messages queued for this client and its subscription counts.
    pub outbox: crate::pubsub::Outbox,
    /// Commands queued in MULTI, -1 outside MULTI (CLIENT LIST `multi=`, flag `x`).
    pub multi: AtomicI64,
    /// A watched key changed (CLIENT_DIRTY_CAS, flag `d`): the next EXEC fails.
    pub dirty_cas: AtomicBool,
    /// Blocked in a blocking command (flag `b`).
    pub blocked: AtomicBool,
    /// CLIENT TRACKING state (flags, redirect, BCAST prefixes).
    pub tracking: crate::tracking::HandleTracking,
    /// What replication made of the connection: [`REPL_KIND_NONE`], [`REPL_KIND_REPLICA`]
    /// (flag `S`, type `slave`) or [`REPL_KIND_MASTER`] (flag `M`, type `master`).
    pub repl_kind: std::sync::atomic::AtomicU8,
}

/// An ordinary client.
pub const REPL_KIND_NONE: u8 = 0;
/// A replica attached to this server.
pub const REPL_KIND_REPLICA: u8 = 1;
/// This replica's link to its master.
pub const REPL_KIND_MASTER: u8 = 2;

impl ClientHandle {
    /// A new client record as a connection starts.
    pub fn new(id: u64, addr: Peer, laddr: Peer, fd: i32) -> ClientHandle {
        let now = rhodium_storage::clock::now_ms();
        ClientHandle {
            id,
            addr,
            laddr,
            fd,
            created_ms: now,
            name: Mutex::new(None),
            db: AtomicUsize::new(0),
            last_interaction_ms: AtomicI64::new(now),
            last_cmd: Mutex::new("NULL"),
            no_evict: AtomicBool::new(false),
            resp: AtomicUsize::new(2),
            qbuf: AtomicU64::new(0),
            omem: AtomicU64::new(0),
            kill: AtomicBool::new(false),
            kill_notify: tokio::sync::Notify::new(),
            outbox: crate::pubsub::Outbox::default(),
            multi: AtomicI64::new(-1),
            dirty_cas: AtomicBool::new(false),
            blocked: AtomicBool::new(false),
            tracking: Default::default(),
            repl_kind: std::sync::atomic::AtomicU8::new(REPL_KIND_NONE),
        }
    }

    /// Asks the client's connection to close.
    pub fn kill(&self) {
        self.kill.store(true, Ordering::Release);
        self.kill_notify.notify_one();
    }

    pub fn killed(&self) -> bool {
        self.kill.load(Ordering::Acquire)
    }
}

/// All connected clients.
#[derive(Default)]
pub struct ClientRegistry {
    clients: DashMap<u64, Arc<ClientHandle>>,
    next_id: AtomicU64,
}

impl ClientRegistry {
    /// A new client id. Redis gives ids 1 and 2 to its two internal Lua clients, so its
    /// first connection is id 3; Rhodium numbers the same way.
    pub fn next_id(&self) -> u64 {
        self.next_id.fetch_add(1, Ordering::Relaxed) + 3
    }

    pub fn add(&self, h: Arc<ClientHandle>) {
        self.clients.insert(h.id, h);
    }

    pub fn remove(&self, id: u64) {
        self.clients.remove(&id);
    }

    pub fn len(&self) -> usize {
        self.clients.len()
    }

    pub fn is_empty(&self) -> bool {
        self.clients.is_empty()
    }

    pub fn get(&self, id: u64) -> Option<Arc<ClientHandle>> {
        self.clients.get(&id).map(|e| e.value().clone())
    }

    /// Every client, sorted by id.
    pub fn all(&self) -> Vec<Arc<ClientHandle>> {
        let mut v: Vec<_> = self.clients.iter().map(|e| e.value().clone()).collect();
        v.sort_by_key(|c| c.id);
        v
    }
}

/// CLIENT REPLY modes (Redis's CLIENT_REPLY_OFF / _SKIP_NEXT / _SKIP flags).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplyMode {
    On,
    Off,
    /// Set by CLIENT REPLY SKIP: the next command's reply is dropped.
    SkipNext,
    /// The current command's reply is dropped.
    Skip,
}

/// State owned by a connection's task.
pub struct ClientState {
    pub handle: Arc<ClientHandle>,
    pub db: usize,
    pub resp: Resp,
    pub authenticated: bool,
    /// Close the connection once the pending replies are written (QUIT).
    pub close_after_reply: bool,
    /// CLIENT REPLY state, applied by the connection loop after each command.
    pub reply: ReplyMode,
    /// A DEBUG SLEEP asked for: the connection task sleeps this long after the command,
    /// before its reply is written, so no runtime thread is blocked.
    pub sleep_after: Option<std::time::Duration>,
    /// Pub/Sub subscriptions; `None` until the first subscribe, after which the
    /// connection loop also drains the client's outbox.
    pub pubsub: Option<Box<crate::pubsub::Subscriptions>>,
    /// In pub/sub mode (Redis's `CLIENT_PUBSUB`): a RESP2 client may then run only the
    /// subscription commands, PING, QUIT and RESET.
    pub in_pubsub: bool,
    /// MULTI queue and WATCHed keys.
    pub tx: crate::commands::tx::TxState,
    /// Blocking-command state (parked waiter, re-execution for a waiter).
    pub block: crate::blocking::ClientBlock,
    /// The internal client replaying the AOF at startup: runs while the server loads.
    pub replaying: bool,
    /// What REPLCONF said before SYNC/PSYNC.
    pub replconf: crate::replication::ReplConf,
    /// Set by SYNC/PSYNC: the connection loop hands the socket to the replication code.
    pub handoff: Option<crate::replication::Handoff>,
    /// `master_repl_offset` after this client's last propagated write (WAIT waits for it).
    pub woff: u64,
}

impl ClientState {
    /// A fresh client in its default state.
    pub fn new(handle: Arc<ClientHandle>, authenticated: bool) -> ClientState {
        ClientState {
            handle,
            db: 0,
            resp: Resp::V2,
            authenticated,
            close_after_reply: false,
            reply: ReplyMode::On,
            sleep_after: None,
            pubsub: None,
            in_pubsub: false,
            tx: Default::default(),
            block: Default::default(),
            replaying: false,
            replconf: Default::default(),
            handoff: None,
            woff: 0,
        }
    }

    pub fn id(&self) -> u64 {
        self.handle.id
    }

    pub fn select(&mut self, db: usize) {
        self.db = db;
        self.handle.db.store(db, Ordering::Relaxed);
    }
}
