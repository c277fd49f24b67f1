//! Time as the keyspace sees it: one "now" per command, injected by the caller.

/// Milliseconds since the Unix epoch. Signed because Redis accepts (and replies with)
/// negative and far-future times in EXPIREAT and friends.
pub type UnixMillis = i64;

/// The wall clock in milliseconds.
pub fn now_ms() -> UnixMillis {
    let d = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    d.as_millis() as i64
}

/// The wall clock in microseconds.
pub fn now_us() -> i64 {
    let d = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    d.as_micros() as i64
}

/// Redis's 24-bit LRU clock (seconds resolution) derived from `now`.
pub fn lru_clock(now: UnixMillis) -> u32 {
    ((now / 1000) as u64 & LRU_CLOCK_MAX as u64) as u32
}

/// Largest LRU clock value (24 bits).
pub const LRU_CLOCK_MAX: u32 = (1 << 24) - 1;

/// Seconds an object has been idle given its stored LRU clock, as Redis's
/// `estimateObjectIdleTime` computes it (wrapping at 24 bits).
pub fn idle_seconds(now: UnixMillis, lru: u32) -> u64 {
    let clock = lru_clock(now);
    if clock >= lru {
        u64::from(clock - lru)
    } else {
        u64::from(clock) + u64::from(LRU_CLOCK_MAX - lru)
    }
}
