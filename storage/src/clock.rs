//! Time as the keyspace sees it: one "now" per command, injected by the caller.

/// Milliseconds since the Unix epoch. Signed because Redis accepts (and replies with)
/// negative and far-future times in EXPIREAT and friends.
pub type UnixMillis = i64;

/// The wall clock as (seconds, nanoseconds) since the Unix epoch, read straight from the
/// vDSO: every command reads it, and `SystemTime::duration_since` adds a checked
/// subtraction per call that shows up in profiles.
fn realtime() -> (i64, i64) {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `ts` is a valid, writable timespec; CLOCK_REALTIME always exists on Linux,
    // so the call cannot fail.
    unsafe { libc::clock_gettime(libc::CLOCK_REALTIME, &mut ts) };
    (ts.tv_sec as i64, ts.tv_nsec as i64)
}

/// The wall clock in milliseconds.
pub fn now_ms() -> UnixMillis {
    let (s, ns) = realtime();
    s * 1000 + ns / 1_000_000
}

/// The wall clock in microseconds.
pub fn now_us() -> i64 {
    let (s, ns) = realtime();
    s * 1_000_000 + ns / 1000
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn realtime_agrees_with_system_time() {
        let before = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i64;
        let ms = now_ms();
        let us = now_us();
        let after = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i64;
        assert!(before <= ms && ms <= after, "{before} <= {ms} <= {after}");
        assert!(before * 1000 <= us && us <= (after + 1) * 1000);
    }
}
