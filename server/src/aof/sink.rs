//! The AOF's propagation sink: each unit becomes RESP commands appended to one shared
//! buffer under a short lock, in OpID order (the propagator calls sinks in order). The
//! writer thread takes the buffer whole.

use std::fs::File;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use parking_lot::{Condvar, Mutex};
use rhodium_replication::{OpId, Sink, Unit};
use rhodium_storage::aof::encode;

use super::FsyncPolicy;

/// What the sink appended and the writer has not taken yet.
#[derive(Default)]
pub(crate) struct Pending {
    pub buf: Vec<u8>,
    /// The database the file's last SELECT chose (`None`: the next unit selects).
    pub db: Option<usize>,
    /// Unix seconds of the last `#TS:` annotation.
    pub last_ts: i64,
    /// OpID of the last unit in `buf`.
    pub last_opid: Option<OpId>,
    /// A new incremental file that takes over from byte `at` of `buf` (a rewrite's
    /// switch point).
    pub switch: Option<(usize, File)>,
    /// The writer must flush, fsync and exit.
    pub stop: bool,
}

/// State shared by the sink, the writer thread and waiting connections.
pub struct Shared {
    pub(crate) pending: Mutex<Pending>,
    pub(crate) wake: Condvar,
    /// Units are taken (the AOF is on or waiting for its first rewrite).
    pub(crate) active: AtomicBool,
    /// Positions (bytes since startup): appended to the buffer, written to the file,
    /// fsynced, and allowed to be acknowledged under `always`.
    pub(crate) appended: AtomicU64,
    pub(crate) written: AtomicU64,
    pub(crate) durable: AtomicU64,
    pub(crate) acked: AtomicU64,
    pub(crate) durable_opid: Mutex<OpId>,
    /// Wakes connections waiting for `acked` / `durable`.
    pub(crate) notify: tokio::sync::Notify,
    pub(crate) always: AtomicBool,
    pub(crate) everysec: AtomicBool,
    pub(crate) timestamps: AtomicBool,
    pub(crate) no_fsync_on_rewrite: AtomicBool,
    pub(crate) rewriting: AtomicBool,
    pub(crate) last_write_ok: AtomicBool,
    /// Bytes in the AOF's files (base + incremental).
    pub(crate) current_size: AtomicU64,
}

impl Default for Shared {
    fn default() -> Self {
        Shared {
            pending: Mutex::new(Pending::default()),
            wake: Condvar::new(),
            active: AtomicBool::new(false),
            appended: AtomicU64::new(0),
            written: AtomicU64::new(0),
            durable: AtomicU64::new(0),
            acked: AtomicU64::new(0),
            durable_opid: Mutex::new(OpId { epoch: 0, seq: 0 }),
            notify: tokio::sync::Notify::new(),
            always: AtomicBool::new(false),
            everysec: AtomicBool::new(true),
            timestamps: AtomicBool::new(false),
            no_fsync_on_rewrite: AtomicBool::new(false),
            rewriting: AtomicBool::new(false),
            last_write_ok: AtomicBool::new(true),
            current_size: AtomicU64::new(0),
        }
    }
}

/// Above this many buffered bytes the writer is woken even when no client waits.
const WAKE_AT: usize = 1 << 20;

impl Shared {
    pub(crate) fn set_policy(&self, p: FsyncPolicy) {
        self.always.store(p == FsyncPolicy::Always, Ordering::Release);
        self.everysec.store(p == FsyncPolicy::EverySec, Ordering::Release);
        // Waiters re-check the policy.
        self.notify.notify_waiters();
        self.wake.notify_one();
    }

    /// The sink starts taking units; the file already holds `size` bytes.
    pub(crate) fn begin(&self, size: u64) {
        let mut p = self.pending.lock();
        p.stop = false;
        p.db = None;
        p.switch = None;
        p.last_ts = rhodium_storage::clock::now_ms() / 1000;
        self.current_size.fetch_add(size, Ordering::Relaxed);
        self.active.store(true, Ordering::Release);
    }

    /// Stops taking units and asks the writer to finish.
    pub(crate) fn stop(&self) {
        self.active.store(false, Ordering::Release);
        self.pending.lock().stop = true;
        self.wake.notify_one();
        self.notify.notify_waiters();
    }

    /// Hands the writer a new incremental file from this point on; the next unit selects
    /// its database again. Called while no command runs (the world is held).
    pub(crate) fn switch_to(&self, file: File) {
        let mut p = self.pending.lock();
        let at = p.buf.len();
        p.switch = Some((at, file));
        p.db = None;
        drop(p);
        self.wake.notify_one();
    }

    /// Waits until `pos(self) >= target`.
    pub(crate) async fn wait(&self, target: u64, pos: impl Fn(&Shared) -> u64) {
        loop {
            let n = self.notify.notified();
            tokio::pin!(n);
            n.as_mut().enable();
            if pos(self) >= target || !self.active.load(Ordering::Acquire) {
                return;
            }
            n.await;
        }
    }

    /// Publishes what the writer did: written up to `written`, fsynced up to `synced`
    /// (with the OpID of its last unit), acknowledgeable up to `acked`.
    pub(crate) fn publish(&self, synced: Option<(u64, Option<OpId>)>, acked: u64) {
        if let Some((pos, opid)) = synced {
            self.durable.fetch_max(pos, Ordering::AcqRel);
            if let Some(o) = opid {
                *self.durable_opid.lock() = o;
            }
        }
        self.acked.fetch_max(acked, Ordering::AcqRel);
        self.notify.notify_waiters();
    }
}

impl Sink for Shared {
    fn append(&self, unit: &Unit) {
        if !self.active.load(Ordering::Acquire) {
            return;
        }
        let mut p = self.pending.lock();
        let before = p.buf.len();
        if self.timestamps.load(Ordering::Relaxed) {
            let now = rhodium_storage::clock::now_ms() / 1000;
            if now > p.last_ts {
                encode::timestamp(&mut p.buf, now);
                p.last_ts = now;
            }
        }
        if p.db != Some(unit.db) {
            encode::select(&mut p.buf, unit.db);
            p.db = Some(unit.db);
        }
        let multi = unit.commands.len() > 1;
        if multi {
            encode::command(&mut p.buf, &[b"MULTI".as_slice()]);
        }
        for c in &unit.commands {
            encode::command(&mut p.buf, c);
            if c.len() == 2 && c[0].eq_ignore_ascii_case(b"SELECT") {
                if let Some(db) = std::str::from_utf8(&c[1]).ok().and_then(|s| s.parse().ok()) {
                    p.db = Some(db);
                }
            }
        }
        if multi {
            encode::command(&mut p.buf, &[b"EXEC".as_slice()]);
        }
        p.last_opid = Some(unit.opid);
        self.appended.fetch_add((p.buf.len() - before) as u64, Ordering::AcqRel);
        let wake = self.always.load(Ordering::Relaxed) || p.buf.len() >= WAKE_AT;
        drop(p);
        if wake {
            self.wake.notify_one();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    fn unit(seq: u64, db: usize, cmds: &[&str]) -> Unit {
        let commands = cmds.iter().map(|c| c.split(' ').map(|p| Bytes::copy_from_slice(p.as_bytes())).collect()).collect();
        Unit { opid: OpId { epoch: 1, seq }, origin: 0, db, commands }
    }

    fn text(s: &Shared) -> String {
        String::from_utf8_lossy(&s.pending.lock().buf).replace("\r\n", " ")
    }

    #[test]
    fn selects_once_per_database_and_wraps_multi_command_units() {
        let s = Shared::default();
        s.append(&unit(1, 0, &["SET a 1"]));
        assert_eq!(text(&s), "", "inactive sink takes nothing");
        s.begin(0);
        s.append(&unit(2, 0, &["SET a 1"]));
        s.append(&unit(3, 0, &["DEL a"]));
        s.append(&unit(4, 2, &["INCR n", "SELECT 4", "SET x y", "SELECT 2"]));
        s.append(&unit(5, 2, &["DEL n"]));
        assert_eq!(
            text(&s),
            "*2 $6 SELECT $1 0 *3 $3 SET $1 a $1 1 *2 $3 DEL $1 a *2 $6 SELECT $1 2 *1 $5 MULTI *2 $4 INCR $1 n *2 $6 SELECT $1 4 *3 $3 SET $1 x $1 y *2 $6 SELECT $1 2 *1 $4 EXEC *2 $3 DEL $1 n "
        );
        assert_eq!(s.appended.load(Ordering::Relaxed), s.pending.lock().buf.len() as u64);
        assert_eq!(s.pending.lock().last_opid, Some(OpId { epoch: 1, seq: 5 }));
        // A switch point makes the next unit select again.
        let f = tempfile_like();
        s.switch_to(f);
        let before = s.pending.lock().buf.len();
        s.append(&unit(6, 2, &["DEL n"]));
        assert!(String::from_utf8_lossy(&s.pending.lock().buf[before..]).starts_with("*2\r\n$6\r\nSELECT\r\n$1\r\n2\r\n"));
    }

    fn tempfile_like() -> File {
        let p = std::env::temp_dir().join(format!("rhodium-sink-test-{}", std::process::id()));
        let f = File::create(&p).unwrap();
        let _ = std::fs::remove_file(&p);
        f
    }
}
