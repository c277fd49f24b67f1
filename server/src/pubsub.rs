//! Pub/Sub delivery (Redis's `pubsub.c` low-level half): the server-wide registry of
//! channel, pattern and shard-channel subscribers, each client's own subscriptions, and the
//! per-client outbox that publishers append messages to and the client's connection task
//! drains concurrently with reading requests.
//!
//! A client that never subscribed pays nothing: its connection loop only looks at the
//! outbox once `ClientState::pubsub` exists. Publishers take a registry read lock and
//! each subscriber's outbox lock; nothing takes a registry lock while holding an outbox.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;

use bytes::Bytes;
use dashmap::DashMap;
use parking_lot::{Mutex, RwLock};
use rhodium_protocol::{ReplyWriter, Resp};
use rhodium_storage::glob::glob_match;

use crate::config::Config;
use crate::net::clients::{ClientHandle, ClientState};

/// Subscribers of one channel or pattern, by client id.
type Subscribers = HashMap<u64, Arc<ClientHandle>>;

/// Which kind of subscription (Redis's `pubsubtype` plus patterns).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Channel,
    Pattern,
    Shard,
}

impl Kind {
    fn subscribe_word(self) -> &'static [u8] {
        match self {
            Kind::Channel => b"subscribe",
            Kind::Pattern => b"psubscribe",
            Kind::Shard => b"ssubscribe",
        }
    }

    fn unsubscribe_word(self) -> &'static [u8] {
        match self {
            Kind::Channel => b"unsubscribe",
            Kind::Pattern => b"punsubscribe",
            Kind::Shard => b"sunsubscribe",
        }
    }
}

/// One class of `client-output-buffer-limit`: bytes and seconds (0 disables).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ObufLimit {
    pub hard: u64,
    pub soft: u64,
    pub soft_secs: i64,
}

/// Index of the pub/sub class in [`ObufLimit`] arrays (Redis's `CLIENT_TYPE_PUBSUB`).
const CLASS_NORMAL: usize = 0;
const CLASS_PUBSUB: usize = 2;

/// Parses the canonical `client-output-buffer-limit` value (`normal h s secs slave ...`).
pub fn parse_obuf_limits(v: &str) -> [ObufLimit; 3] {
    let mut out = [ObufLimit::default(); 3];
    let parts: Vec<&str> = v.split(' ').collect();
    for (i, group) in parts.chunks(4).enumerate().take(3) {
        if let [_, h, s, secs] = group {
            out[i] = ObufLimit { hard: h.parse().unwrap_or(0), soft: s.parse().unwrap_or(0), soft_secs: secs.parse().unwrap_or(0) };
        }
    }
    out
}

/// Messages waiting for a subscriber's connection task. Bytes queued or being written are
/// counted in the client's `omem` (CLIENT LIST), which the output buffer limit checks.
#[derive(Default)]
pub struct Outbox {
    buf: Mutex<Vec<u8>>,
    /// Wakes the connection task when something was queued.
    pub notify: tokio::sync::Notify,
    /// Unix seconds when the soft limit was first exceeded, 0 when under it.
    soft_since: AtomicI64,
    /// Set once the client is scheduled to close: further messages are dropped.
    closing: AtomicBool,
    /// The client is in pub/sub mode (Redis's `CLIENT_PUBSUB`): CLIENT LIST flag `P`,
    /// type `pubsub`, and the pubsub output-buffer class.
    pub pubsub_mode: AtomicBool,
    /// Subscription counts for CLIENT LIST (`sub=`, `psub=`, `ssub=`).
    pub subs: AtomicUsize,
    pub psubs: AtomicUsize,
    pub ssubs: AtomicUsize,
}

impl Outbox {
    /// Moves the queued bytes to the end of `dst`; returns how many moved. The caller
    /// subtracts them from `omem` once they are written.
    pub fn take_into(&self, dst: &mut Vec<u8>) -> usize {
        let mut b = self.buf.lock();
        let n = b.len();
        if n > 0 {
            dst.extend_from_slice(&b);
            b.clear();
            if b.capacity() > 64 * 1024 {
                b.shrink_to(4096);
            }
        }
        n
    }
}

/// The calling client, when a publish may reach it: its own messages go into the reply
/// being built so they precede the command's reply, as in Redis.
pub struct SelfSink<'a> {
    pub id: u64,
    pub resp: Resp,
    pub buf: &'a mut Vec<u8>,
}

/// A client's own subscriptions (Redis's `c->pubsub_channels`, `pubsub_patterns`,
/// `pubsubshard_channels`).
#[derive(Default)]
pub struct Subscriptions {
    channels: HashSet<Bytes>,
    /// Patterns in subscription order (Redis 7.0 keeps a list), with a set for lookups.
    patterns: Vec<Bytes>,
    pattern_set: HashSet<Bytes>,
    shard: HashSet<Bytes>,
}

impl Subscriptions {
    /// Channels plus patterns (Redis's `clientSubscriptionsCount`).
    fn count(&self) -> usize {
        self.channels.len() + self.patterns.len()
    }

    fn total(&self) -> usize {
        self.count() + self.shard.len()
    }
}

/// The server-wide registry.
#[derive(Default)]
pub struct PubSub {
    channels: DashMap<Bytes, Subscribers>,
    shard: DashMap<Bytes, Subscribers>,
    patterns: RwLock<HashMap<Bytes, Subscribers>>,
    /// Number of distinct patterns, so PUBLISH skips the pattern lock when there are none.
    npatterns: AtomicUsize,
    limits: RwLock<[ObufLimit; 3]>,
    /// `notify-keyspace-events` as Redis's NOTIFY_* bits (see `crate::notify`).
    pub notify_flags: AtomicU32,
    /// The normal class's hard limit, read once per batch of replies by connections.
    normal_hard: AtomicU64,
}

impl PubSub {
    /// Takes the settings this module acts on from a new configuration.
    pub fn apply_config(&self, cfg: &Config) {
        let d = crate::config::registry::lookup("client-output-buffer-limit");
        if let Some(d) = d {
            let limits = parse_obuf_limits(&cfg.get(d));
            self.normal_hard.store(limits[CLASS_NORMAL].hard, Ordering::Relaxed);
            *self.limits.write() = limits;
        }
        // The stored form, which keeps `n` next to `A` (the printed form drops it).
        let events = cfg.other.get("notify-keyspace-events").map(String::as_str).unwrap_or("");
        self.notify_flags.store(crate::notify::parse_flags(events), Ordering::Relaxed);
    }

    /// Number of channels with subscribers (INFO `pubsub_channels`).
    pub fn channel_count(&self) -> usize {
        self.channels.len()
    }

    /// Number of distinct patterns (INFO `pubsub_patterns`, PUBSUB NUMPAT).
    pub fn pattern_count(&self) -> usize {
        self.npatterns.load(Ordering::Relaxed)
    }

    /// Number of shard channels with subscribers (INFO `pubsubshard_channels`).
    pub fn shard_channel_count(&self) -> usize {
        self.shard.len()
    }

    fn map(&self, kind: Kind) -> &DashMap<Bytes, Subscribers> {
        if kind == Kind::Shard {
            &self.shard
        } else {
            &self.channels
        }
    }

    /// Active channels (or shard channels) matching `pattern`, in no particular order.
    pub fn list(&self, kind: Kind, pattern: Option<&[u8]>) -> Vec<Bytes> {
        self.map(kind).iter().filter(|e| pattern.is_none_or(|p| glob_match(p, e.key(), false))).map(|e| e.key().clone()).collect()
    }

    /// Subscribers of one channel (PUBSUB NUMSUB / SHARDNUMSUB; patterns excluded).
    pub fn numsub(&self, kind: Kind, channel: &[u8]) -> usize {
        self.map(kind).get(channel).map(|s| s.len()).unwrap_or(0)
    }

    /// Subscribes the client, writing one confirmation per argument.
    pub fn subscribe(&self, client: &mut ClientState, kind: Kind, names: &[Bytes], out: &mut ReplyWriter) {
        let handle = client.handle.clone();
        let subs = client.pubsub.get_or_insert_with(Default::default);
        for name in names {
            let added = match kind {
                Kind::Channel => subs.channels.insert(name.clone()),
                Kind::Shard => subs.shard.insert(name.clone()),
                Kind::Pattern => {
                    let added = subs.pattern_set.insert(name.clone());
                    if added {
                        subs.patterns.push(name.clone());
                    }
                    added
                }
            };
            if added {
                if kind == Kind::Pattern {
                    let mut p = self.patterns.write();
                    p.entry(name.clone()).or_default().insert(handle.id, handle.clone());
                    self.npatterns.store(p.len(), Ordering::Relaxed);
                } else {
                    self.map(kind).entry(name.clone()).or_default().insert(handle.id, handle.clone());
                }
            }
            let count = if kind == Kind::Shard { subs.shard.len() } else { subs.count() };
            confirmation(out, kind.subscribe_word(), Some(name), count);
        }
        sync_counts(&handle, subs);
        handle.outbox.pubsub_mode.store(true, Ordering::Relaxed);
        client.in_pubsub = true;
    }

    /// Unsubscribes from `names`, or from everything of `kind` when empty; writes the
    /// confirmations when `reply` is set (RESET and disconnection do not reply).
    pub fn unsubscribe(&self, client: &mut ClientState, kind: Kind, names: &[Bytes], mut reply: Option<&mut ReplyWriter>) {
        let handle = client.handle.clone();
        let Some(subs) = client.pubsub.as_mut() else {
            if let Some(out) = reply {
                let list: Vec<Bytes> = names.to_vec();
                if list.is_empty() {
                    confirmation(out, kind.unsubscribe_word(), None, 0);
                }
                for n in &list {
                    confirmation(out, kind.unsubscribe_word(), Some(n), 0);
                }
            }
            return;
        };
        let all = names.is_empty();
        let targets: Vec<Bytes> = if all {
            match kind {
                Kind::Channel => subs.channels.iter().cloned().collect(),
                Kind::Shard => subs.shard.iter().cloned().collect(),
                Kind::Pattern => subs.patterns.clone(),
            }
        } else {
            names.to_vec()
        };
        let mut removed_any = false;
        for name in &targets {
            let removed = match kind {
                Kind::Channel => subs.channels.remove(name),
                Kind::Shard => subs.shard.remove(name),
                Kind::Pattern => {
                    let r = subs.pattern_set.remove(name);
                    if r {
                        subs.patterns.retain(|p| p != name);
                    }
                    r
                }
            };
            if removed {
                removed_any = true;
                if kind == Kind::Pattern {
                    let mut p = self.patterns.write();
                    if let Some(s) = p.get_mut(name) {
                        s.remove(&handle.id);
                        if s.is_empty() {
                            p.remove(name);
                        }
                    }
                    self.npatterns.store(p.len(), Ordering::Relaxed);
                } else {
                    let map = self.map(kind);
                    map.remove_if_mut(name, |_, s| {
                        s.remove(&handle.id);
                        s.is_empty()
                    });
                }
            }
            if let Some(out) = reply.as_deref_mut() {
                let count = if kind == Kind::Shard { subs.shard.len() } else { subs.count() };
                confirmation(out, kind.unsubscribe_word(), Some(name), count);
            }
        }
        if all && !removed_any {
            if let Some(out) = reply {
                let count = if kind == Kind::Shard { subs.shard.len() } else { subs.count() };
                confirmation(out, kind.unsubscribe_word(), None, count);
            }
        }
        sync_counts(&handle, subs);
        if subs.total() == 0 {
            handle.outbox.pubsub_mode.store(false, Ordering::Relaxed);
            client.in_pubsub = false;
        }
    }

    /// Drops every subscription without replies (RESET, disconnection).
    pub fn unsubscribe_all(&self, client: &mut ClientState) {
        if client.pubsub.is_none() {
            return;
        }
        for kind in [Kind::Channel, Kind::Shard, Kind::Pattern] {
            self.unsubscribe(client, kind, &[], None);
        }
    }

    /// Delivers a message to a channel's subscribers and, unless `kind` is `Shard`, to
    /// every matching pattern's; returns the number of deliveries (Redis's receivers).
    pub fn publish(&self, kind: Kind, channel: &[u8], message: &[u8], mut me: Option<SelfSink>) -> usize {
        let mut receivers = 0;
        let map = self.map(kind);
        // Read once per publish, not per subscriber.
        let mut limits = None;
        if let Some(subs) = map.get(channel) {
            let word: &[u8] = if kind == Kind::Shard { b"smessage" } else { b"message" };
            let frame = encode(&[word, channel, message]);
            let limits = limits.get_or_insert_with(|| *self.limits.read());
            for h in subs.values() {
                self.deliver(h, &frame, me.as_mut(), limits);
                receivers += 1;
            }
        }
        if kind == Kind::Shard || self.npatterns.load(Ordering::Relaxed) == 0 {
            return receivers;
        }
        let patterns = self.patterns.read();
        for (pat, subs) in patterns.iter() {
            if !glob_match(pat, channel, false) {
                continue;
            }
            let frame = encode(&[b"pmessage", pat, channel, message]);
            let limits = limits.get_or_insert_with(|| *self.limits.read());
            for h in subs.values() {
                self.deliver(h, &frame, me.as_mut(), limits);
                receivers += 1;
            }
        }
        receivers
    }

    /// Queues one frame (encoded as a RESP2 array) for a subscriber in its protocol,
    /// enforcing the output buffer limit of its class.
    fn deliver(&self, h: &ClientHandle, frame: &[u8], me: Option<&mut SelfSink>, limits: &[ObufLimit; 3]) {
        if let Some(me) = me {
            if me.id == h.id {
                me.buf.push(if me.resp == Resp::V3 { b'>' } else { b'*' });
                me.buf.extend_from_slice(&frame[1..]);
                return;
            }
        }
        let ob = &h.outbox;
        if ob.closing.load(Ordering::Relaxed) {
            return;
        }
        let head = if h.resp.load(Ordering::Relaxed) == 3 { b'>' } else { b'*' };
        // Counted under the outbox lock, so the connection can never take (and uncount)
        // bytes before they were counted.
        let used = {
            let mut b = ob.buf.lock();
            b.push(head);
            b.extend_from_slice(&frame[1..]);
            h.omem.fetch_add(frame.len() as u64, Ordering::Relaxed) + frame.len() as u64
        };
        ob.notify.notify_one();
        let class = if ob.pubsub_mode.load(Ordering::Relaxed) { CLASS_PUBSUB } else { CLASS_NORMAL };
        if over_limit(ob, limits[class], used) && !ob.closing.swap(true, Ordering::Relaxed) {
            let info = crate::commands::client::info_line(h, rhodium_storage::clock::now_ms());
            crate::log_warning!("Client {} scheduled to be closed ASAP for overcoming of output buffer limits.", info);
            h.kill();
        }
    }
}

impl PubSub {
    /// Queues one frame for a client outside any channel (client-side caching
    /// invalidations): written as a RESP2 array, sent as a push to RESP3 clients, counted
    /// against the client's output buffer limit like a published message.
    pub fn push_frame(&self, h: &ClientHandle, frame: &[u8]) {
        let limits = *self.limits.read();
        self.deliver(h, frame, None, &limits);
    }

    /// Whether a batch of `pending` reply bytes passes the normal class's hard limit
    /// (0 = unlimited, Redis's default); if so the client is logged as Redis logs it and
    /// must be closed. Checked once per batch, so replies cost no extra lock.
    pub fn normal_reply_over_limit(&self, h: &ClientHandle, pending: usize) -> bool {
        let hard = self.normal_hard.load(Ordering::Relaxed);
        if hard == 0 || (pending as u64) < hard || h.outbox.pubsub_mode.load(Ordering::Relaxed) {
            return false;
        }
        let info = crate::commands::client::info_line(h, rhodium_storage::clock::now_ms());
        crate::log_warning!("Client {} scheduled to be closed ASAP for overcoming of output buffer limits.", info);
        true
    }
}

/// Redis's `checkClientOutputBufferLimits`: the hard limit at once, the soft limit once
/// it has held for longer than its seconds.
fn over_limit(ob: &Outbox, limit: ObufLimit, used: u64) -> bool {
    let hard = limit.hard > 0 && used >= limit.hard;
    let mut soft = limit.soft > 0 && used >= limit.soft;
    if soft {
        let now = rhodium_storage::clock::now_ms() / 1000;
        let since = ob.soft_since.load(Ordering::Relaxed);
        if since == 0 {
            ob.soft_since.store(now, Ordering::Relaxed);
            soft = false;
        } else if now - since <= limit.soft_secs {
            soft = false;
        }
    } else {
        ob.soft_since.store(0, Ordering::Relaxed);
    }
    hard || soft
}

fn sync_counts(h: &ClientHandle, subs: &Subscriptions) {
    h.outbox.subs.store(subs.channels.len(), Ordering::Relaxed);
    h.outbox.psubs.store(subs.patterns.len(), Ordering::Relaxed);
    h.outbox.ssubs.store(subs.shard.len(), Ordering::Relaxed);
}

/// A subscribe/unsubscribe confirmation: a push frame (an array in RESP2) of the word, the
/// channel (null when there was none) and the subscription count.
fn confirmation(out: &mut ReplyWriter, word: &[u8], name: Option<&Bytes>, count: usize) {
    out.push(3);
    out.bulk(word);
    match name {
        Some(n) => out.bulk(n),
        None => out.null(),
    }
    out.integer(count as i64);
}

/// A RESP2 array of bulk strings; the first byte is swapped for `>` for RESP3 clients.
fn encode(parts: &[&[u8]]) -> Vec<u8> {
    let mut v = Vec::with_capacity(8 + parts.iter().map(|p| p.len() + 16).sum::<usize>());
    let mut num = itoa::Buffer::new();
    v.push(b'*');
    v.extend_from_slice(num.format(parts.len()).as_bytes());
    v.extend_from_slice(b"\r\n");
    for p in parts {
        v.push(b'$');
        v.extend_from_slice(num.format(p.len()).as_bytes());
        v.extend_from_slice(b"\r\n");
        v.extend_from_slice(p);
        v.extend_from_slice(b"\r\n");
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn obuf_limits_parse() {
        let l = parse_obuf_limits("normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60");
        assert_eq!(l[2], ObufLimit { hard: 33554432, soft: 8388608, soft_secs: 60 });
        assert_eq!(l[0], ObufLimit::default());
    }

    #[test]
    fn encode_is_a_resp2_array() {
        assert_eq!(encode(&[b"message", b"ch", b""]), b"*3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$0\r\n\r\n");
    }

    #[test]
    fn soft_limit_needs_time() {
        let ob = Outbox::default();
        let lim = ObufLimit { hard: 0, soft: 10, soft_secs: 60 };
        assert!(!over_limit(&ob, lim, 20));
        assert!(!over_limit(&ob, lim, 20));
        assert!(!over_limit(&ob, lim, 5));
        assert!(over_limit(&ob, ObufLimit { hard: 10, soft: 0, soft_secs: 0 }, 10));
    }
}
