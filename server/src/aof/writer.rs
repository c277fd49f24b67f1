//! The AOF writer thread: takes the sink's buffer, appends it to the current incremental
//! file, switches files at a rewrite's switch point, and fsyncs as `appendfsync` says
//! (`always`: after every write, one fsync covering every unit taken, i.e. group commit;
//! `everysec`: once a second; `no`: never, the kernel decides).

use std::fs::File;
use std::io::Write;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::sink::Shared;
use crate::log_warning;

/// Runs until the sink is stopped, appending to `file`.
pub(crate) fn run(shared: Arc<Shared>, mut file: File) {
    let mut buf: Vec<u8> = Vec::new();
    let mut last_fsync = Instant::now();
    loop {
        let (switch, end, opid, stop) = {
            let mut p = shared.pending.lock();
            if p.buf.is_empty() && p.switch.is_none() && !p.stop {
                // Idle wake-ups drive the once-a-second fsync; `always` is woken per unit.
                let t = if shared.always.load(Ordering::Relaxed) { Duration::from_millis(100) } else { Duration::from_millis(10) };
                shared.wake.wait_for(&mut p, t);
            }
            std::mem::swap(&mut p.buf, &mut buf);
            (p.switch.take(), shared.appended.load(Ordering::Acquire), p.last_opid, p.stop)
        };
        match switch {
            Some((at, next)) => {
                let at = at.min(buf.len());
                write_all(&shared, &mut file, &buf[..at]);
                // The old file is complete: make it durable before leaving it.
                let _ = file.sync_data();
                file = next;
                write_all(&shared, &mut file, &buf[at..]);
            }
            None => write_all(&shared, &mut file, &buf),
        }
        shared.current_size.fetch_add(buf.len() as u64, Ordering::Relaxed);
        buf.clear();
        shared.written.store(end, Ordering::Release);
        let behind = shared.durable.load(Ordering::Acquire) < end;
        let skip = shared.no_fsync_on_rewrite.load(Ordering::Relaxed) && shared.rewriting.load(Ordering::Relaxed);
        if stop {
            let _ = file.sync_data();
            shared.publish(Some((end, opid)), end);
            return;
        }
        if shared.always.load(Ordering::Relaxed) {
            if behind && !skip {
                fsync(&shared, &file);
                shared.publish(Some((end, opid)), end);
            } else {
                // `no-appendfsync-on-rewrite`: replies go out without the fsync, as in Redis.
                shared.publish(None, end);
            }
            last_fsync = Instant::now();
        } else if behind && !skip && shared.everysec.load(Ordering::Relaxed) && last_fsync.elapsed() >= Duration::from_secs(1) {
            fsync(&shared, &file);
            shared.publish(Some((end, opid)), end);
            last_fsync = Instant::now();
        } else {
            shared.publish(None, end);
        }
    }
}

fn fsync(shared: &Shared, file: &File) {
    if let Err(e) = file.sync_data() {
        log_warning!("Error in fsync() on the AOF file: {}", e);
        shared.last_write_ok.store(false, Ordering::Relaxed);
    }
}

/// Writes `data`, retrying once a second while the disk refuses (Redis keeps the data
/// and retries too); gives up only when the AOF is being turned off.
fn write_all(shared: &Shared, file: &mut File, data: &[u8]) {
    if data.is_empty() {
        return;
    }
    let mut logged = false;
    loop {
        match file.write_all(data) {
            Ok(()) => {
                if !shared.last_write_ok.swap(true, Ordering::Relaxed) {
                    log_warning!("AOF write error looks solved, Redis can write again.");
                }
                return;
            }
            Err(e) => {
                if !logged {
                    log_warning!("Error writing to the AOF file: {}", e);
                    logged = true;
                }
                shared.last_write_ok.store(false, Ordering::Relaxed);
                if shared.pending.lock().stop {
                    return;
                }
                std::thread::sleep(Duration::from_secs(1));
            }
        }
    }
}
