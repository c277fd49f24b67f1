//! Active expiry: Redis's adaptive slow cycle (`activeExpireCycle` in `expire.c`), run by
//! the server's cron. Each database with volatile keys is sampled a batch at a time; a
//! batch's expired keys are deleted under their stripe's write lock (the caller's callback
//! propagates the DEL there, so it is ordered with the key's other writes), and sampling
//! goes on while more than the acceptable share of a batch was expired, within a time
//! budget. Where it stopped (database, stripe, position) is kept for the next cycle, so
//! a large keyspace is walked fairly across ticks.

use std::time::{Duration, Instant};

use super::{DbIndex, Keyspace, STRIPES};
use crate::clock::UnixMillis;

/// Keys sampled per batch at effort 1 (Redis's `ACTIVE_EXPIRE_CYCLE_KEYS_PER_LOOP`).
pub const KEYS_PER_LOOP: usize = 20;
/// Percentage of a cron tick the slow cycle may use at effort 1
/// (`ACTIVE_EXPIRE_CYCLE_SLOW_TIME_PERC`).
pub const SLOW_TIME_PERC: u32 = 25;
/// Acceptable percentage of expired keys in a batch at effort 1
/// (`ACTIVE_EXPIRE_CYCLE_ACCEPTABLE_STALE`).
pub const ACCEPTABLE_STALE: usize = 10;

/// The cycle's tuning derived from `active-expire-effort` (1..=10), as Redis derives it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Effort {
    pub keys_per_loop: usize,
    pub acceptable_stale: usize,
    pub time_perc: u32,
}

impl Effort {
    pub fn from_config(effort: u32) -> Effort {
        let e = effort.clamp(1, 10) - 1;
        Effort {
            keys_per_loop: KEYS_PER_LOOP + KEYS_PER_LOOP / 4 * e as usize,
            acceptable_stale: ACCEPTABLE_STALE - e as usize,
            time_perc: SLOW_TIME_PERC + 2 * e,
        }
    }

    /// The time budget of one cycle when the cron runs `hz` times a second.
    pub fn budget(&self, hz: u32) -> Duration {
        Duration::from_micros(1_000_000 * u64::from(self.time_perc) / u64::from(hz.max(1)) / 100)
    }
}

/// Where sampling of one database resumes.
#[derive(Debug, Clone, Copy, Default)]
struct Cursor {
    stripe: usize,
    offset: usize,
}

/// What one cycle did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CycleStats {
    pub sampled: usize,
    pub expired: usize,
    /// The budget ran out before every database was done.
    pub timed_out: bool,
}

/// The active expiry state kept between cycles.
#[derive(Debug, Default)]
pub struct ActiveExpire {
    cursors: Vec<Cursor>,
    next_db: usize,
}

impl ActiveExpire {
    pub fn new() -> Self {
        Self::default()
    }

    /// One slow cycle at time `now`, stopping once `budget` has elapsed. `on_delete(db, key)`
    /// runs for each deleted key while its stripe is write-locked.
    pub fn run(&mut self, ks: &Keyspace, now: UnixMillis, effort: Effort, budget: Duration, mut on_delete: impl FnMut(DbIndex, &[u8])) -> CycleStats {
        let started = Instant::now();
        let dbs = ks.databases();
        if self.cursors.len() != dbs {
            self.cursors.resize(dbs, Cursor::default());
        }
        let mut stats = CycleStats::default();
        for i in 0..dbs {
            let db = (self.next_db + i) % dbs;
            if ks.volatile_count(db) == 0 {
                continue;
            }
            loop {
                let (sampled, expired) = self.sample(ks, db, now, effort.keys_per_loop, &mut on_delete);
                stats.sampled += sampled;
                stats.expired += expired;
                if started.elapsed() >= budget {
                    // Resume with this database next time: it may still hold expired keys.
                    self.next_db = db;
                    stats.timed_out = true;
                    return stats;
                }
                if sampled == 0 || expired * 100 / sampled <= effort.acceptable_stale {
                    break;
                }
            }
        }
        self.next_db = 0;
        stats
    }

    /// Samples up to `n` volatile keys of `db` from its cursor on, deleting expired ones.
    fn sample(&mut self, ks: &Keyspace, db: DbIndex, now: UnixMillis, n: usize, on_delete: &mut impl FnMut(DbIndex, &[u8])) -> (usize, usize) {
        let cur = &mut self.cursors[db];
        let (mut sampled, mut expired) = (0, 0);
        let mut stripes_done = 0;
        while sampled < n && stripes_done < STRIPES {
            let want = n - sampled;
            let mut g = ks.db(db).stripes[cur.stripe % STRIPES].write();
            let (seen, dead) = g.expire_sample(cur.offset, want, now, |k| on_delete(db, k));
            drop(g);
            sampled += seen;
            expired += dead;
            // Removing keys leaves the others in place, so the survivors seen are skipped.
            cur.offset += seen - dead;
            if seen < want {
                cur.stripe = (cur.stripe + 1) % STRIPES;
                cur.offset = 0;
                stripes_done += 1;
            }
        }
        (sampled, expired)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keyspace::{ExpiryMode, LockMode, SetExpiry};
    use crate::value::Value;

    fn fill(ks: &Keyspace, db: DbIndex, n: usize, prefix: &str, at: Option<UnixMillis>) {
        for i in 0..n {
            let k = format!("{prefix}{i}");
            let mut l = ks.lock([(db, k.as_bytes())], LockMode::Write, 0, ExpiryMode::Delete);
            let e = at.map(SetExpiry::At).unwrap_or(SetExpiry::Clear);
            l.set(db, k.as_bytes(), Value::Int(1), e).unwrap();
        }
    }

    #[test]
    fn effort_follows_redis() {
        assert_eq!(Effort::from_config(1), Effort { keys_per_loop: 20, acceptable_stale: 10, time_perc: 25 });
        assert_eq!(Effort::from_config(10), Effort { keys_per_loop: 65, acceptable_stale: 1, time_perc: 43 });
        assert_eq!(Effort::from_config(1).budget(10), Duration::from_millis(25));
    }

    #[test]
    fn deletes_all_expired_and_keeps_live_keys() {
        let ks = Keyspace::new(4);
        fill(&ks, 0, 500, "dead", Some(100));
        fill(&ks, 2, 300, "dead", Some(100));
        fill(&ks, 2, 50, "live", Some(10_000));
        fill(&ks, 2, 50, "plain", None);
        let mut ae = ActiveExpire::new();
        let mut deleted = Vec::new();
        let st = ae.run(&ks, 200, Effort::from_config(1), Duration::from_secs(30), |db, k| deleted.push((db, k.to_vec())));
        assert!(!st.timed_out);
        assert_eq!(ks.dbsize(0), 0);
        assert_eq!(ks.dbsize(2), 100);
        assert_eq!(deleted.len(), 800);
        assert_eq!(st.expired, 800);
        assert!(deleted.iter().all(|(_, k)| k.starts_with(b"dead")));
    }

    #[test]
    fn stops_when_few_keys_are_expired() {
        let ks = Keyspace::new(1);
        fill(&ks, 0, 2000, "live", Some(1_000_000));
        let mut ae = ActiveExpire::new();
        let st = ae.run(&ks, 200, Effort::from_config(1), Duration::from_secs(30), |_, _| {});
        assert_eq!(st.sampled, 20, "one batch, nothing expired, so the cycle stops");
        assert_eq!(st.expired, 0);
        // Successive cycles walk on instead of resampling the same keys.
        let mut total = 0;
        for _ in 0..200 {
            total += ae.run(&ks, 200, Effort::from_config(1), Duration::from_secs(30), |_, _| {}).sampled;
        }
        assert_eq!(total, 4000);
    }

    #[test]
    fn zero_budget_resumes_where_it_stopped() {
        let ks = Keyspace::new(2);
        fill(&ks, 0, 400, "a", Some(1));
        fill(&ks, 1, 400, "b", Some(1));
        let mut ae = ActiveExpire::new();
        let mut cycles = 0;
        while ks.dbsize(0) + ks.dbsize(1) > 0 {
            let st = ae.run(&ks, 5, Effort::from_config(1), Duration::ZERO, |_, _| {});
            assert!(st.sampled <= 20);
            cycles += 1;
            assert!(cycles < 1000, "no progress");
        }
        assert!(cycles >= 40);
    }
}
