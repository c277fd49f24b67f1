//! Client-side caching (Redis's `tracking.c`): the tracking table of keys read by
//! tracking clients, the prefix table of BCAST clients, each client's tracking state, and
//! the invalidation messages sent when tracked keys change.
//!
//! Keys are tracked by name across all databases, as Redis does. Nobody pays for tracking
//! unless it is used: reads consult a per-thread "current client" only while some client
//! tracks, and writes learn about changed keys through the same `key_interest` gate as
//! WATCH and blocked clients, raised only while the tracking or prefix table holds
//! something.

use std::cell::Cell;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicUsize, Ordering};

use bytes::Bytes;
use parking_lot::Mutex;

use crate::net::clients::{ClientHandle, ClientState};
use crate::state::Server;

/// Per-client tracking flags (Redis's `CLIENT_TRACKING*` bits).
pub mod flag {
    pub const ON: u32 = 1;
    pub const BCAST: u32 = 1 << 1;
    pub const OPTIN: u32 = 1 << 2;
    pub const OPTOUT: u32 = 1 << 3;
    pub const NOLOOP: u32 = 1 << 4;
    pub const BROKEN_REDIR: u32 = 1 << 5;
    /// CLIENT CACHING yes (OPTIN) or no (OPTOUT) was given for the next command.
    pub const CACHING: u32 = 1 << 6;
}

/// A client's tracking state, on its handle so invalidations and CLIENT LIST read it.
#[derive(Default)]
pub struct HandleTracking {
    flags: AtomicU32,
    /// Client id invalidations are redirected to (0: none).
    redirect: AtomicU64,
    /// BCAST prefixes, sorted (Redis keeps them in a radix tree).
    prefixes: Mutex<BTreeSet<Bytes>>,
}

impl HandleTracking {
    /// The flag bits (see [`flag`]).
    #[inline]
    pub fn flags(&self) -> u32 {
        self.flags.load(Ordering::Relaxed)
    }

    /// Whether CLIENT TRACKING is on: the one check the command path makes.
    #[inline]
    pub fn is_on(&self) -> bool {
        self.flags() & flag::ON != 0
    }

    /// The redirect id while tracking is on, -1 otherwise (CLIENT GETREDIR, `redir=`).
    pub fn redirect_shown(&self) -> i64 {
        if self.is_on() {
            self.redirect.load(Ordering::Relaxed) as i64
        } else {
            -1
        }
    }

    /// The client's BCAST prefixes in order.
    pub fn prefixes(&self) -> Vec<Bytes> {
        self.prefixes.lock().iter().cloned().collect()
    }

    /// CLIENT CACHING was given: the next command (or transaction) follows it.
    pub fn set_caching(&self) {
        self.set(flag::CACHING);
    }

    fn set(&self, bits: u32) {
        self.flags.fetch_or(bits, Ordering::Relaxed);
    }

    fn clear(&self, bits: u32) {
        self.flags.fetch_and(!bits, Ordering::Relaxed);
    }
}

/// One BCAST prefix: the keys changed under it since the last broadcast (with the id of
/// the client that changed each last, for NOLOOP) and the clients subscribed to it.
#[derive(Default)]
struct Bcast {
    keys: BTreeMap<Bytes, u64>,
    clients: BTreeSet<u64>,
}

#[derive(Default)]
struct Tables {
    /// Key name → ids of the clients that may cache it.
    keys: HashMap<Bytes, BTreeSet<u64>>,
    prefixes: BTreeMap<Bytes, Bcast>,
}

/// The server-wide tracking state.
#[derive(Default)]
pub struct Tracking {
    tables: Mutex<Tables>,
    /// Clients with tracking on (INFO `tracking_clients`).
    clients: AtomicUsize,
    /// Mirrors of the table sizes for INFO and the cheap checks.
    total_keys: AtomicUsize,
    total_items: AtomicU64,
    total_prefixes: AtomicUsize,
    /// The tables hold something, so writes must report their keys (counts once in
    /// `Server::key_interest`).
    armed: AtomicBool,
    /// Some BCAST prefix has changed keys waiting to be broadcast.
    bcast_pending: AtomicBool,
    /// Redis's `timeout_counter` of `trackingLimitUsedSlots`: effort grows while the
    /// table stays over its limit.
    limit_rounds: AtomicU32,
}

/// The client whose command this thread runs (Redis's `server.current_client`), set only
/// while that client tracks.
#[derive(Clone, Copy, Default)]
struct Current {
    id: u64,
    /// Its reads are remembered: tracking on, not BCAST, and OPTIN/OPTOUT allow it.
    remember: bool,
}

thread_local! {
    static CURRENT: Cell<Current> = const { Cell::new(Current { id: 0, remember: false }) };
}

fn current() -> Current {
    CURRENT.with(|c| c.get())
}

/// Whether a client's next reads are remembered (Redis's check at the top of
/// `trackingRememberKeys`).
fn remembers(flags: u32) -> bool {
    if flags & flag::ON == 0 || flags & flag::BCAST != 0 {
        return false;
    }
    let caching = flags & flag::CACHING != 0;
    !((flags & flag::OPTIN != 0 && !caching) || (flags & flag::OPTOUT != 0 && caching))
}

/// Refreshes the current-client record after the client's tracking flags changed in the
/// middle of its own command (CLIENT TRACKING or CLIENT CACHING, possibly inside EXEC,
/// whose later reads then follow the new flags). A record set here by a command that
/// started while nobody tracked is cleared by the next command run on this thread (see
/// [`clear_current`]): tracking is on from now, so that command takes the tracking path.
pub fn refresh_current(handle: &ClientHandle) {
    CURRENT.with(|c| {
        let id = c.get().id;
        if id == handle.id || id == 0 {
            c.set(Current { id: handle.id, remember: remembers(handle.tracking.flags()) });
        }
    });
}

/// Forgets the current client after a command of a client that does not track.
pub fn clear_current() {
    CURRENT.with(|c| c.set(Current::default()));
}

/// Runs one command of a tracking client: its reads are remembered and it is the
/// "current client" for NOLOOP while it runs; afterwards the CACHING flag is spent
/// unless the client is in MULTI or ran a CLIENT subcommand (Redis's `resetClient`).
pub fn run_tracked<R>(client: &mut ClientState, client_command: bool, run: impl FnOnce(&mut ClientState) -> R) -> R {
    let handle = client.handle.clone();
    CURRENT.with(|c| c.set(Current { id: handle.id, remember: remembers(handle.tracking.flags()) }));
    let r = run(client);
    CURRENT.with(|c| c.set(Current::default()));
    if !client.tx.in_multi() && !client_command {
        handle.tracking.clear(flag::CACHING);
    }
    r
}

/// What an invalidation carries after the `invalidate` word, as RESP.
enum Payload<'a> {
    Key(&'a [u8]),
    Raw(&'a [u8]),
}

/// Where messages for the current client go when they must precede its reply.
pub struct SelfOut<'a> {
    pub id: u64,
    pub buf: &'a mut Vec<u8>,
}

impl Tracking {
    /// Clients with tracking on.
    pub fn clients(&self) -> usize {
        self.clients.load(Ordering::Relaxed)
    }

    /// INFO `tracking_total_keys`.
    pub fn total_keys(&self) -> usize {
        self.total_keys.load(Ordering::Relaxed)
    }

    /// INFO `tracking_total_items`.
    pub fn total_items(&self) -> u64 {
        self.total_items.load(Ordering::Relaxed)
    }

    /// INFO `tracking_total_prefixes`.
    pub fn total_prefixes(&self) -> usize {
        self.total_prefixes.load(Ordering::Relaxed)
    }

    /// Whether writes must tell this module about the keys they change.
    #[inline]
    pub fn armed(&self) -> bool {
        self.armed.load(Ordering::Relaxed)
    }

    /// Updates the size mirrors and `key_interest` after the tables changed. Called with
    /// the tables locked.
    fn sync(&self, server: &Server, t: &Tables) {
        self.total_keys.store(t.keys.len(), Ordering::Relaxed);
        self.total_prefixes.store(t.prefixes.len(), Ordering::Relaxed);
        let want = !t.keys.is_empty() || !t.prefixes.is_empty();
        if want != self.armed.load(Ordering::Relaxed) {
            self.armed.store(want, Ordering::Relaxed);
            if want {
                server.key_interest.fetch_add(1, Ordering::Relaxed);
            } else {
                server.key_interest.fetch_sub(1, Ordering::Relaxed);
            }
        }
    }

    /// Turns tracking on for a client with already validated options (Redis's
    /// `enableTracking`): BCAST subscribes it to its prefixes (the empty prefix when none).
    pub fn enable(&self, server: &Server, h: &ClientHandle, redirect: u64, options: u32, prefixes: &[Bytes]) {
        if !h.tracking.is_on() {
            self.clients.fetch_add(1, Ordering::Relaxed);
        }
        h.tracking.set(flag::ON);
        h.tracking.clear(flag::BROKEN_REDIR | flag::BCAST | flag::OPTIN | flag::OPTOUT | flag::NOLOOP);
        h.tracking.redirect.store(redirect, Ordering::Relaxed);
        if options & flag::BCAST != 0 {
            h.tracking.set(flag::BCAST);
            let mut t = self.tables.lock();
            let mut mine = h.tracking.prefixes.lock();
            let empty = [Bytes::new()];
            let list = if prefixes.is_empty() { &empty[..] } else { prefixes };
            for p in list {
                let bs = t.prefixes.entry(p.clone()).or_default();
                if bs.clients.insert(h.id) {
                    mine.insert(p.clone());
                }
            }
            drop(mine);
            self.sync(server, &t);
        }
        h.tracking.set(options & (flag::OPTIN | flag::OPTOUT | flag::NOLOOP));
    }

    /// Turns tracking off (Redis's `disableTracking`): the client leaves its prefixes; its
    /// entries in the key table go lazily, when the keys are next invalidated.
    pub fn disable(&self, server: &Server, h: &ClientHandle) {
        if h.tracking.flags() & flag::BCAST != 0 {
            // Same lock order as `enable`: the tables, then the client's prefixes.
            let mut t = self.tables.lock();
            let mut mine = h.tracking.prefixes.lock();
            for p in mine.iter() {
                if let Some(bs) = t.prefixes.get_mut(p) {
                    bs.clients.remove(&h.id);
                    if bs.clients.is_empty() {
                        t.prefixes.remove(p);
                    }
                }
            }
            mine.clear();
            self.sync(server, &t);
        }
        if h.tracking.is_on() {
            self.clients.fetch_sub(1, Ordering::Relaxed);
            h.tracking.clear(flag::ON | flag::BROKEN_REDIR | flag::BCAST | flag::OPTIN | flag::OPTOUT | flag::CACHING | flag::NOLOOP);
        }
    }

    /// Remembers that the current client read `keys` (Redis's `trackingRememberKeys`).
    /// Called with the keys' stripes still locked, so a write after the read sees the
    /// table armed.
    pub fn remember<'k>(&self, server: &Server, keys: impl Iterator<Item = &'k [u8]>) {
        let cur = current();
        if !cur.remember {
            return;
        }
        let mut t = self.tables.lock();
        let mut added = 0;
        for k in keys {
            let ids = match t.keys.get_mut(k) {
                Some(ids) => ids,
                None => t.keys.entry(Bytes::copy_from_slice(k)).or_default(),
            };
            if ids.insert(cur.id) {
                added += 1;
            }
        }
        self.total_items.fetch_add(added, Ordering::Relaxed);
        self.sync(server, &t);
    }

    /// A key changed (Redis's `trackingInvalidateKey` with `bcast` set): clients that may
    /// cache it are told, and BCAST prefixes matching it note it for the next broadcast.
    pub fn key_modified(&self, server: &Server, key: &[u8]) {
        self.invalidate(server, key, true, None);
    }

    fn invalidate(&self, server: &Server, key: &[u8], bcast: bool, mut me: Option<&mut SelfOut>) {
        let writer = current().id;
        let ids = {
            let mut t = self.tables.lock();
            if bcast && !t.prefixes.is_empty() {
                for (p, bs) in t.prefixes.iter_mut() {
                    if key.starts_with(p) {
                        bs.keys.insert(Bytes::copy_from_slice(key), writer);
                        self.bcast_pending.store(true, Ordering::Relaxed);
                    }
                }
            }
            let Some(ids) = t.keys.remove(key) else {
                return;
            };
            self.total_items.fetch_sub(ids.len() as u64, Ordering::Relaxed);
            self.sync(server, &t);
            ids
        };
        for id in ids {
            let Some(target) = server.clients.get(id) else {
                continue;
            };
            let f = target.tracking.flags();
            // A client that switched to BCAST keeps no pending per-key invalidations.
            if f & flag::ON == 0 || f & flag::BCAST != 0 {
                continue;
            }
            if f & flag::NOLOOP != 0 && id == writer {
                continue;
            }
            send(server, &target, Payload::Key(key), me.as_deref_mut());
        }
    }

    /// A database or all of them were flushed (Redis's `trackingInvalidateKeysOnFlush`):
    /// every tracking client gets a null invalidation ("everything"), and the key table
    /// is emptied.
    pub fn flushed(&self, server: &Server) {
        if self.clients() > 0 {
            for c in server.clients.all() {
                if c.tracking.is_on() {
                    let null: &[u8] = if c.resp.load(Ordering::Relaxed) == 3 { b"_\r\n" } else { b"$-1\r\n" };
                    send(server, &c, Payload::Raw(null), None);
                }
            }
        }
        let mut t = self.tables.lock();
        if !t.keys.is_empty() {
            t.keys = HashMap::new();
            self.total_items.store(0, Ordering::Relaxed);
            self.sync(server, &t);
        }
    }

    /// The BCAST broadcast of keys changed since the last one, one message per prefix.
    /// Redis sends it in `beforeSleep`, once per event-loop turn; Rhodium once per batch
    /// of requests a connection read (so a pipeline's keys share a message, as in Redis)
    /// and once per cron tick. One relaxed load when there is nothing to send.
    pub fn broadcast(&self, server: &Server) {
        if !self.bcast_pending.load(Ordering::Relaxed) {
            return;
        }
        let mut sends: Vec<(u64, Vec<u8>)> = Vec::new();
        {
            let mut t = self.tables.lock();
            self.bcast_pending.store(false, Ordering::Relaxed);
            for bs in t.prefixes.values_mut() {
                if bs.keys.is_empty() {
                    continue;
                }
                let keys = std::mem::take(&mut bs.keys);
                let all = broadcast_reply(&keys, None);
                for &id in &bs.clients {
                    let noloop = server.clients.get(id).is_some_and(|h| h.tracking.flags() & flag::NOLOOP != 0);
                    if noloop {
                        if let Some(own) = broadcast_reply(&keys, Some(id)) {
                            sends.push((id, own));
                        }
                    } else if let Some(all) = &all {
                        sends.push((id, all.clone()));
                    }
                }
            }
        }
        for (id, proto) in sends {
            if let Some(h) = server.clients.get(id) {
                send(server, &h, Payload::Raw(&proto), None);
            }
        }
    }

    /// Keeps the key table within `tracking-table-max-keys` (Redis's
    /// `trackingLimitUsedSlots`, run before each command while clients track): arbitrary
    /// keys are dropped from the table and their clients told, as if the keys changed.
    /// Messages for the client about to run a command precede its reply (`me`).
    pub fn limit_used_slots(&self, server: &Server, mut me: Option<SelfOut>) {
        if self.clients() == 0 || self.total_keys() == 0 {
            return;
        }
        let max = server.config().tracking_table_max_keys as usize;
        if max == 0 {
            return;
        }
        if self.total_keys() <= max {
            self.limit_rounds.store(0, Ordering::Relaxed);
            return;
        }
        let mut effort = 100 * (self.limit_rounds.load(Ordering::Relaxed) + 1);
        while effort > 0 {
            effort -= 1;
            let victim = self.tables.lock().keys.keys().next().cloned();
            let Some(key) = victim else {
                break;
            };
            self.invalidate(server, &key, false, me.as_mut());
            if self.total_keys() <= max {
                self.limit_rounds.store(0, Ordering::Relaxed);
                return;
            }
        }
        self.limit_rounds.fetch_add(1, Ordering::Relaxed);
    }
}

/// The RESP array of the changed keys of one prefix, leaving out those last changed by
/// `skip` (a NOLOOP client); `None` when nothing is left (Redis's
/// `trackingBuildBroadcastReply`).
fn broadcast_reply(keys: &BTreeMap<Bytes, u64>, skip: Option<u64>) -> Option<Vec<u8>> {
    let count = keys.values().filter(|&&w| skip != Some(w)).count();
    if count == 0 {
        return None;
    }
    let mut num = itoa::Buffer::new();
    let mut v = Vec::with_capacity(count * 16 + 8);
    v.push(b'*');
    v.extend_from_slice(num.format(count).as_bytes());
    v.extend_from_slice(b"\r\n");
    for (k, w) in keys {
        if skip == Some(*w) {
            continue;
        }
        v.push(b'$');
        v.extend_from_slice(num.format(k.len()).as_bytes());
        v.extend_from_slice(b"\r\n");
        v.extend_from_slice(k);
        v.extend_from_slice(b"\r\n");
    }
    Some(v)
}

/// Sends one invalidation for tracking client `c` (Redis's `sendTrackingMessage`): to its
/// redirect client if it has one (as a `__redis__:invalidate` Pub/Sub message when that
/// client speaks RESP2 and is subscribed), else to itself as a RESP3 push. A redirect to
/// a client that is gone marks the redirect broken and tells a RESP3 client so.
fn send(server: &Server, c: &std::sync::Arc<ClientHandle>, payload: Payload, me: Option<&mut SelfOut>) {
    let redirect = c.tracking.redirect.load(Ordering::Relaxed);
    let mut target = c.clone();
    let mut redirected = false;
    if redirect != 0 {
        match server.clients.get(redirect) {
            Some(r) => {
                target = r;
                redirected = true;
            }
            None => {
                c.tracking.set(flag::BROKEN_REDIR);
                if c.resp.load(Ordering::Relaxed) == 3 {
                    let mut frame = b"*2\r\n$21\r\ntracking-redir-broken\r\n:".to_vec();
                    frame.extend_from_slice(itoa::Buffer::new().format(redirect).as_bytes());
                    frame.extend_from_slice(b"\r\n");
                    deliver(server, c, &frame, me);
                }
                return;
            }
        }
    }
    let mut frame = if target.resp.load(Ordering::Relaxed) == 3 {
        b"*2\r\n$10\r\ninvalidate\r\n".to_vec()
    } else if redirected && target.outbox.pubsub_mode.load(Ordering::Relaxed) {
        b"*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n".to_vec()
    } else {
        return;
    };
    match payload {
        Payload::Key(k) => {
            frame.extend_from_slice(b"*1\r\n$");
            frame.extend_from_slice(itoa::Buffer::new().format(k.len()).as_bytes());
            frame.extend_from_slice(b"\r\n");
            frame.extend_from_slice(k);
            frame.extend_from_slice(b"\r\n");
        }
        Payload::Raw(r) => frame.extend_from_slice(r),
    }
    deliver(server, &target, &frame, me);
}

/// Queues a frame (a RESP2 array header, turned into a push for RESP3 clients) for a
/// client, or writes it straight before the current client's reply when `me` is it.
fn deliver(server: &Server, h: &ClientHandle, frame: &[u8], me: Option<&mut SelfOut>) {
    if let Some(me) = me {
        if me.id == h.id {
            me.buf.push(if h.resp.load(Ordering::Relaxed) == 3 { b'>' } else { b'*' });
            me.buf.extend_from_slice(&frame[1..]);
            return;
        }
    }
    server.pubsub.push_frame(h, frame);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remember_rules_follow_optin_optout() {
        assert!(!remembers(0));
        assert!(remembers(flag::ON));
        assert!(!remembers(flag::ON | flag::BCAST));
        assert!(!remembers(flag::ON | flag::OPTIN));
        assert!(remembers(flag::ON | flag::OPTIN | flag::CACHING));
        assert!(remembers(flag::ON | flag::OPTOUT));
        assert!(!remembers(flag::ON | flag::OPTOUT | flag::CACHING));
    }

    #[test]
    fn broadcast_reply_skips_own_keys() {
        let mut keys = BTreeMap::new();
        keys.insert(Bytes::from_static(b"b"), 7);
        keys.insert(Bytes::from_static(b"a"), 0);
        assert_eq!(broadcast_reply(&keys, None).unwrap(), b"*2\r\n$1\r\na\r\n$1\r\nb\r\n");
        assert_eq!(broadcast_reply(&keys, Some(7)).unwrap(), b"*1\r\n$1\r\na\r\n");
        keys.remove(&Bytes::from_static(b"a"));
        assert!(broadcast_reply(&keys, Some(7)).is_none());
    }
}
