//! One stripe of a database: a [`Dict`] of entries plus the TTLs of its volatile keys.

use std::collections::HashMap;

use crate::bytes_small::SmallBytes;
use crate::clock::UnixMillis;
use crate::keyspace::dict::{Dict, Entry};
use crate::keyspace::hash_key;
use crate::value::Value;

/// What a write does to the key's TTL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetExpiry {
    /// Remove any TTL (plain SET).
    Clear,
    /// Keep the existing TTL (KEEPTTL, or an in-place update).
    Keep,
    /// Set this absolute time.
    At(UnixMillis),
}

#[derive(Default)]
pub struct Stripe {
    dict: Dict,
    expires: HashMap<SmallBytes, UnixMillis, ahash::RandomState>,
}

impl Stripe {
    pub fn len(&self) -> usize {
        self.dict.len()
    }

    pub fn is_empty(&self) -> bool {
        self.dict.is_empty()
    }

    pub fn volatile_count(&self) -> usize {
        self.expires.len()
    }

    pub fn dict(&self) -> &Dict {
        &self.dict
    }

    pub fn get(&self, hash: u64, key: &[u8]) -> Option<&Entry> {
        self.dict.get(hash, key)
    }

    pub fn get_mut(&mut self, hash: u64, key: &[u8]) -> Option<&mut Entry> {
        self.dict.get_mut(hash, key)
    }

    /// The absolute expiry of an entry of this stripe.
    pub fn expiry_of(&self, e: &Entry) -> Option<UnixMillis> {
        if e.has_expire() {
            self.expires.get(e.key.as_bytes()).copied()
        } else {
            None
        }
    }

    pub fn is_expired_entry(&self, e: &Entry, now: UnixMillis) -> bool {
        matches!(self.expiry_of(e), Some(at) if at <= now)
    }

    pub fn is_expired(&self, hash: u64, key: &[u8], now: UnixMillis) -> bool {
        self.dict.get(hash, key).is_some_and(|e| self.is_expired_entry(e, now))
    }

    pub fn delete_if_expired(&mut self, hash: u64, key: &[u8], now: UnixMillis) -> bool {
        if self.is_expired(hash, key, now) {
            self.remove(hash, key);
            true
        } else {
            false
        }
    }

    pub fn set(&mut self, hash: u64, key: &[u8], value: Value, expiry: SetExpiry, lru: u32) {
        let had_expire;
        match self.dict.get_mut(hash, key) {
            Some(e) => {
                e.value = value;
                e.set_lru(lru);
                had_expire = e.has_expire();
            }
            None => {
                self.dict.insert_new(hash, key, value, lru, hash_key);
                had_expire = false;
            }
        }
        match expiry {
            SetExpiry::Keep => {}
            SetExpiry::Clear => {
                if had_expire {
                    self.set_expiry(hash, key, None);
                }
            }
            SetExpiry::At(at) => {
                self.set_expiry(hash, key, Some(at));
            }
        }
    }

    /// Sets or clears a key's TTL; false if the key is absent.
    pub fn set_expiry(&mut self, hash: u64, key: &[u8], at: Option<UnixMillis>) -> bool {
        let Some(e) = self.dict.get_mut(hash, key) else {
            return false;
        };
        match at {
            Some(at) => {
                e.set_has_expire(true);
                self.expires.insert(SmallBytes::new(key), at);
            }
            None => {
                if e.has_expire() {
                    e.set_has_expire(false);
                    self.expires.remove(key);
                }
            }
        }
        true
    }

    /// Removes a key; returns its value and TTL.
    pub fn remove(&mut self, hash: u64, key: &[u8]) -> Option<(Value, Option<UnixMillis>)> {
        let e = self.dict.remove(hash, key, hash_key)?;
        let ttl = if e.has_expire() { self.expires.remove(key) } else { None };
        let e = *e;
        Some((e.value, ttl))
    }

    pub fn clear(&mut self) {
        self.dict.clear();
        self.expires = HashMap::default();
    }

    /// Active expiry sampling: looks at up to `n` volatile keys starting at position
    /// `offset` of the expires map's iteration order, removes those past `now` (calling
    /// `on_delete` for each while the stripe is still locked) and returns how many keys it
    /// looked at and how many it removed. Iteration order is stable while the map is not
    /// modified, so successive calls with a growing offset walk the whole map.
    pub fn expire_sample(&mut self, offset: usize, n: usize, now: UnixMillis, mut on_delete: impl FnMut(&[u8])) -> (usize, usize) {
        let mut examined = 0;
        let mut dead: Vec<SmallBytes> = Vec::new();
        for (k, at) in self.expires.iter().skip(offset).take(n) {
            examined += 1;
            if *at <= now {
                dead.push(k.clone());
            }
        }
        for k in &dead {
            let key = k.as_bytes();
            if self.remove(hash_key(key), key).is_some() {
                on_delete(key);
            }
        }
        (examined, dead.len())
    }
}
