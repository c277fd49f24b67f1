//! Keyspace notifications (Redis's `notify.c`): the `notify-keyspace-events` classes and
//! the publishing of `__keyspace@<db>__:<key>` / `__keyevent@<db>__:<event>` messages.
//!
//! Commands call [`crate::dispatch::ExecCtx::notify`] at the points where Redis calls
//! `notifyKeyspaceEvent`; with notifications off that is one relaxed atomic load.

use rhodium_storage::DbIndex;

use crate::pubsub::{Kind, SelfSink};
use crate::state::Server;

/// Event classes (Redis's `NOTIFY_*` bits).
pub mod class {
    pub const KEYSPACE: u32 = 1 << 0;
    pub const KEYEVENT: u32 = 1 << 1;
    pub const GENERIC: u32 = 1 << 2;
    pub const STRING: u32 = 1 << 3;
    pub const LIST: u32 = 1 << 4;
    pub const SET: u32 = 1 << 5;
    pub const HASH: u32 = 1 << 6;
    pub const ZSET: u32 = 1 << 7;
    pub const EXPIRED: u32 = 1 << 8;
    pub const EVICTED: u32 = 1 << 9;
    pub const STREAM: u32 = 1 << 10;
    pub const KEY_MISS: u32 = 1 << 11;
    pub const LOADED: u32 = 1 << 12;
    pub const MODULE: u32 = 1 << 13;
    pub const NEW: u32 = 1 << 14;
    /// The `A` alias: every type class, not key-miss or new.
    pub const ALL: u32 = GENERIC | STRING | LIST | SET | HASH | ZSET | EXPIRED | EVICTED | STREAM | MODULE;
}

/// Class characters in the order Redis prints them (`keyspaceEventsFlagsToString`).
const TYPE_CHARS: &[(char, u32)] = &[
    ('g', class::GENERIC),
    ('$', class::STRING),
    ('l', class::LIST),
    ('s', class::SET),
    ('h', class::HASH),
    ('z', class::ZSET),
    ('x', class::EXPIRED),
    ('e', class::EVICTED),
    ('t', class::STREAM),
    ('d', class::MODULE),
    ('n', class::NEW),
];
const TAIL_CHARS: &[(char, u32)] = &[('K', class::KEYSPACE), ('E', class::KEYEVENT), ('m', class::KEY_MISS)];

/// Parses a class string (Redis's `keyspaceEventsStringToFlags`); `None` on a character
/// Redis rejects.
pub fn string_to_flags(s: &str) -> Option<u32> {
    let mut f = 0;
    for c in s.chars() {
        f |= match c {
            'A' => class::ALL,
            _ => TYPE_CHARS.iter().chain(TAIL_CHARS).find(|(ch, _)| *ch == c)?.1,
        };
    }
    Some(f)
}

/// Formats flags as Redis does (`keyspaceEventsFlagsToString`): `A` hides the type
/// classes and, as Redis does, `n` along with them.
pub fn flags_to_string(f: u32) -> String {
    let mut out = String::new();
    if f & class::ALL == class::ALL {
        out.push('A');
    } else {
        out.extend(TYPE_CHARS.iter().filter(|(_, b)| f & b != 0).map(|(c, _)| *c));
    }
    out.extend(TAIL_CHARS.iter().filter(|(_, b)| f & b != 0).map(|(c, _)| *c));
    out
}

/// The stored configuration form: [`flags_to_string`] plus a trailing `n` when `A` hid it.
pub fn flags_to_storage(f: u32) -> String {
    let mut s = flags_to_string(f);
    if f & class::ALL == class::ALL && f & class::NEW != 0 {
        s.push('n');
    }
    s
}

/// Flags from the stored configuration value (unknown characters were refused on input).
pub fn parse_flags(s: &str) -> u32 {
    string_to_flags(s).unwrap_or(0)
}

/// Publishes one keyspace event if its class is enabled (Redis's `notifyKeyspaceEvent`):
/// the event name on `__keyspace@<db>__:<key>`, then the key on `__keyevent@<db>__:<event>`.
/// `me` receives what the calling client itself is subscribed to.
pub fn emit(server: &Server, class: u32, event: &str, key: &[u8], db: DbIndex, mut me: Option<SelfSink>) {
    let flags = server.pubsub.notify_flags.load(std::sync::atomic::Ordering::Relaxed);
    if flags & class == 0 {
        return;
    }
    let mut dbbuf = itoa::Buffer::new();
    let dbs = dbbuf.format(db).as_bytes();
    if flags & class::KEYSPACE != 0 {
        let mut chan = Vec::with_capacity(16 + key.len());
        chan.extend_from_slice(b"__keyspace@");
        chan.extend_from_slice(dbs);
        chan.extend_from_slice(b"__:");
        chan.extend_from_slice(key);
        server.pubsub.publish(Kind::Channel, &chan, event.as_bytes(), me.as_mut().map(|m| SelfSink { id: m.id, resp: m.resp, buf: m.buf }));
    }
    if flags & class::KEYEVENT != 0 {
        let mut chan = Vec::with_capacity(16 + event.len());
        chan.extend_from_slice(b"__keyevent@");
        chan.extend_from_slice(dbs);
        chan.extend_from_slice(b"__:");
        chan.extend_from_slice(event.as_bytes());
        server.pubsub.publish(Kind::Channel, &chan, key, me);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_round_trip_like_redis() {
        let f = |s: &str| flags_to_string(string_to_flags(s).unwrap());
        assert_eq!(f("KEA"), "AKE");
        assert_eq!(f("Kx"), "xK");
        assert_eq!(f("nK"), "nK");
        assert_eq!(f("Agn"), "A");
        assert_eq!(f("AKEmn"), "AKEm");
        assert_eq!(f("xEK"), "xKE");
        assert_eq!(f("g$lshzxed"), "g$lshzxed");
        assert_eq!(f(""), "");
        assert!(string_to_flags("Q").is_none());
        assert_ne!(string_to_flags("An").unwrap() & class::NEW, 0);
    }
}
