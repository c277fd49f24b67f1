//! The binlog through its public API: appends, rotation, lookups, readers, recovery after
//! a torn write, corruption reports, retention, and loading its segments with Redis.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use proptest::prelude::*;
use rhodium_replication::binlog::{
    Binlog, BinlogConfig, BinlogError, BinlogHandle, LookupError, Position, RetentionConfig, RetentionEvent,
};
use rhodium_replication::OpId;

fn op(epoch: u64, seq: u64) -> OpId {
    OpId { epoch, seq }
}

/// `SET k<seq> <value>` as the replication stream carries it.
fn set_cmd(seq: u64, value_len: usize) -> Vec<u8> {
    let key = format!("k{seq}");
    let val: String = (0..value_len).map(|i| char::from(b'a' + ((seq as usize + i) % 26) as u8)).collect();
    format!("*3\r\n$3\r\nSET\r\n${}\r\n{}\r\n${}\r\n{}\r\n", key.len(), key, val.len(), val).into_bytes()
}

fn config(segment_size: u64, index_interval: u64) -> BinlogConfig {
    BinlogConfig { segment_size, index_interval, ..BinlogConfig::default() }
}

/// Appends seqs `from..=to` in `epoch`, each payload right after the previous one.
fn fill(b: &mut Binlog, epoch: u64, from: u64, to: u64, mut repl: u64) -> u64 {
    for seq in from..=to {
        let p = set_cmd(seq, (seq % 37) as usize);
        b.append(op(epoch, seq), 0x5eed, repl, &p).unwrap();
        repl += p.len() as u64;
    }
    repl
}

fn read_all(h: &BinlogHandle, from: Position) -> Vec<(OpId, u64, Vec<u8>)> {
    let mut r = h.reader(from);
    let mut out = Vec::new();
    while let Some(e) = r.next_entry().unwrap() {
        assert_eq!(e.origin, 0x5eed);
        out.push((e.opid, e.repl_offset, e.payload.to_vec()));
    }
    out
}

fn segments(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).filter(|p| p.to_string_lossy().ends_with(".incr.aof")).collect();
    v.sort_by_key(|p| p.file_name().unwrap().to_string_lossy().split('.').nth(1).and_then(|n| n.parse::<u64>().ok()));
    v
}

#[test]
fn appends_read_back_and_survive_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let (mut b, rec) = Binlog::open(dir.path(), config(1 << 20, 4096)).unwrap();
    assert_eq!(rec.last, None);
    let end = fill(&mut b, 1, 1, 100, 1000);
    let h = b.handle();
    assert!(read_all(&h, h.start()).is_empty(), "unflushed entries are invisible");
    b.flush().unwrap();
    let all = read_all(&h, h.start());
    assert_eq!(all.len(), 100);
    assert_eq!(all[0].0, op(1, 1));
    assert_eq!(all[0].1, 1000);
    assert_eq!(all[99].2, set_cmd(100, 100 % 37));
    b.sync().unwrap();
    drop(b);
    let (mut b, rec) = Binlog::open(dir.path(), config(1 << 20, 4096)).unwrap();
    assert_eq!(rec.truncated, None);
    let last = rec.last.unwrap();
    assert_eq!((last.opid, last.end_repl_offset), (op(1, 100), end));
    fill(&mut b, 1, 101, 110, end);
    b.flush().unwrap();
    assert_eq!(read_all(&b.handle(), b.handle().start()).len(), 110);
}

#[test]
fn appends_out_of_order_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (mut b, _) = Binlog::open(dir.path(), BinlogConfig::default()).unwrap();
    b.append(op(1, 5), 1, 100, b"*1\r\n$4\r\nPING\r\n").unwrap();
    assert!(matches!(b.append(op(1, 5), 1, 200, b"x"), Err(BinlogError::OutOfOrder { .. })));
    assert!(matches!(b.append(op(1, 6), 1, 110, b"x"), Err(BinlogError::OutOfOrder { .. })));
    b.append(op(2, 9), 1, 500, b"*1\r\n$4\r\nPING\r\n").unwrap();
}

#[test]
fn rotation_and_lookups_across_segments() {
    let dir = tempfile::tempdir().unwrap();
    let (mut b, _) = Binlog::open(dir.path(), config(4096, 256)).unwrap();
    let mut offsets = vec![0u64];
    let mut repl = 0;
    for seq in 1..=2000 {
        if seq == 1 {
            assert!(b.next_append_starts_segment());
        }
        let p = set_cmd(seq, (seq % 37) as usize);
        b.append(op(3, seq), 0x5eed, repl, &p).unwrap();
        repl += p.len() as u64 + if seq % 10 == 0 { 14 } else { 0 }; // a PING's gap now and then
        offsets.push(repl);
    }
    b.flush().unwrap();
    let h = b.handle();
    assert!(segments(dir.path()).len() > 20, "{} segments", segments(dir.path()).len());
    let check = |h: &BinlogHandle| {
        for seq in (1..=2000).step_by(7).chain([1, 2000]) {
            let hit = h.find(op(3, seq)).unwrap();
            assert_eq!(hit.meta.opid, op(3, seq));
            assert_eq!(hit.meta.repl_offset, offsets[seq as usize - 1]);
            let mut r = h.reader(hit.next);
            match r.next_entry().unwrap() {
                Some(e) => assert_eq!(e.opid.seq, seq + 1),
                None => assert_eq!(seq, 2000),
            }
            let pos = h.find_by_repl_offset(offsets[seq as usize - 1]).unwrap();
            assert_eq!(pos, hit.entry);
            assert_eq!(h.reader(pos).next_entry().unwrap().unwrap().opid.seq, seq);
        }
        let end = h.find_by_repl_offset(offsets[2000] - 14).unwrap();
        assert!(h.reader(end).next_entry().unwrap().is_none());
        assert!(matches!(h.find_by_repl_offset(offsets[5] + 1), Err(LookupError::NotAtBoundary { .. })));
        assert!(matches!(h.find(op(3, 2001)), Err(LookupError::Ahead { last }) if last == op(3, 2000)));
        assert!(matches!(h.find(op(2, 500)), Err(LookupError::Diverged { ours }) if ours == op(3, 500)));
        assert_eq!(read_all(h, h.start()).len(), 2000);
    };
    check(&h);
    drop(b);
    // Reopened: indexes come from the .idx files.
    let (b, rec) = Binlog::open(dir.path(), config(4096, 256)).unwrap();
    assert!(rec.rebuilt_indexes.is_empty());
    check(&b.handle());
    drop(b);
    // Lost or stale indexes are rebuilt from the segments.
    let segs = segments(dir.path());
    fs::remove_file(format!("{}.idx", segs[3].display())).unwrap();
    fs::write(format!("{}.idx", segs[5].display()), b"RHBIDX01 garbage").unwrap();
    let (b, rec) = Binlog::open(dir.path(), config(4096, 256)).unwrap();
    assert_eq!(rec.rebuilt_indexes, vec![segs[3].clone(), segs[5].clone()]);
    check(&b.handle());
}

#[test]
fn reset_drops_the_history_and_accepts_any_opid() {
    let dir = tempfile::tempdir().unwrap();
    let (mut b, _) = Binlog::open(dir.path(), config(1024, 128)).unwrap();
    fill(&mut b, 1, 1, 100, 0);
    b.flush().unwrap();
    let h = b.handle();
    let removed = b.reset().unwrap();
    assert_eq!(removed.len(), segments(dir.path()).len() + removed.len());
    assert!(b.last().is_none());
    assert!(matches!(h.find(op(1, 50)), Err(LookupError::Empty)));
    let mut r = h.reader(h.start());
    assert!(r.next_entry().unwrap().is_none());
    fill(&mut b, 2, 40, 60, 500);
    b.sync().unwrap();
    let mut seen = 0;
    while let Some(e) = r.next_entry().unwrap() {
        assert_eq!(e.opid, op(2, 40 + seen));
        seen += 1;
    }
    assert_eq!(seen, 21);
    drop(b);
    let (b, rec) = Binlog::open(dir.path(), config(1024, 128)).unwrap();
    assert_eq!(rec.last.unwrap().opid, op(2, 60));
    let all = read_all(&b.handle(), b.handle().start());
    assert_eq!((all.len(), all[0].0), (21, op(2, 40)));
}

#[test]
fn gaps_and_empty_log() {
    let dir = tempfile::tempdir().unwrap();
    let (mut b, _) = Binlog::open(dir.path(), config(1 << 20, 64)).unwrap();
    let h = b.handle();
    assert!(matches!(h.find(op(1, 1)), Err(LookupError::Empty)));
    let repl = fill(&mut b, 1, 10, 20, 0);
    fill(&mut b, 2, 40, 50, repl + 1000);
    b.flush().unwrap();
    assert!(matches!(h.find(op(1, 5)), Err(LookupError::Gone { first }) if first == op(1, 10)));
    assert!(matches!(h.find(op(1, 30)), Err(LookupError::Missing { seq: 30 })));
    assert_eq!(h.find(op(2, 40)).unwrap().meta.repl_offset, repl + 1000);
    assert!(matches!(h.find_by_repl_offset(repl + 10), Err(LookupError::NotAtBoundary { .. })));
}

/// Writes entries 1..=n, syncs, and returns the last segment's path and where its last
/// entry starts.
fn torn_fixture(dir: &Path, n: u64) -> (PathBuf, u64, u64) {
    let (mut b, _) = Binlog::open(dir, config(1 << 20, 128)).unwrap();
    let end = fill(&mut b, 1, 1, n - 1, 0);
    let last_at = b.append(op(1, n), 0x5eed, end, &set_cmd(n, 20)).unwrap();
    b.sync().unwrap();
    (segments(dir)[0].clone(), last_at.offset, end)
}

#[test]
fn torn_tail_is_cut_at_every_byte() {
    let dir = tempfile::tempdir().unwrap();
    let (seg, last_at, end) = torn_fixture(dir.path(), 20);
    let full = fs::read(&seg).unwrap();
    for cut in last_at..full.len() as u64 {
        fs::write(&seg, &full[..cut as usize]).unwrap();
        let (mut b, rec) = Binlog::open(dir.path(), config(1 << 20, 128)).unwrap();
        let last = rec.last.unwrap();
        assert_eq!((last.opid, last.end_repl_offset), (op(1, 19), end), "cut at {cut}");
        if cut == last_at {
            assert_eq!(rec.truncated, None);
        } else {
            let t = rec.truncated.unwrap();
            assert_eq!((t.path.as_path(), t.offset, t.dropped), (seg.as_path(), last_at, cut - last_at), "cut at {cut}");
        }
        assert_eq!(fs::metadata(&seg).unwrap().len(), last_at);
        // The writer carries on from the durable position.
        b.append(op(1, 20), 0x5eed, end, &set_cmd(20, 20)).unwrap();
        b.flush().unwrap();
        assert_eq!(read_all(&b.handle(), b.handle().start()).len(), 20);
    }
    assert_eq!(fs::read(&seg).unwrap(), full);
}

#[test]
fn zero_filled_tail_is_torn() {
    let dir = tempfile::tempdir().unwrap();
    let (seg, _, _) = torn_fixture(dir.path(), 10);
    let len = fs::metadata(&seg).unwrap().len();
    let mut bytes = fs::read(&seg).unwrap();
    bytes.extend([0u8; 4096]);
    fs::write(&seg, &bytes).unwrap();
    let (_, rec) = Binlog::open(dir.path(), BinlogConfig::default()).unwrap();
    assert_eq!(rec.truncated.unwrap().offset, len);
    assert_eq!(rec.last.unwrap().opid, op(1, 10));
}

#[test]
fn corruption_in_the_middle_names_file_and_offset() {
    let dir = tempfile::tempdir().unwrap();
    let (seg, _, _) = torn_fixture(dir.path(), 20);
    let (b, _) = Binlog::open(dir.path(), config(1 << 20, 128)).unwrap();
    let at = b.handle().find(op(1, 7)).unwrap().entry.offset;
    drop(b);
    let mut bytes = fs::read(&seg).unwrap();
    let flip = at as usize + 60; // inside entry 7's payload
    bytes[flip] ^= 0x20;
    fs::write(&seg, &bytes).unwrap();
    match Binlog::open(dir.path(), config(1 << 20, 128)) {
        Err(BinlogError::Corrupt { path, offset, reason }) => {
            assert_eq!((path, offset, reason), (seg.clone(), at, "CRC mismatch"));
        }
        Err(e) => panic!("{e}"),
        Ok(_) => panic!("corruption went unnoticed"),
    }
    assert_eq!(fs::read(&seg).unwrap(), bytes, "nothing was truncated");
}

#[test]
fn corruption_in_a_sealed_segment_is_reported_by_readers_and_lookups() {
    let dir = tempfile::tempdir().unwrap();
    let (mut b, _) = Binlog::open(dir.path(), config(2048, 64)).unwrap();
    fill(&mut b, 1, 1, 300, 0);
    b.flush().unwrap();
    let hit = b.handle().find(op(1, 3)).unwrap();
    drop(b);
    let seg = segments(dir.path())[0].clone();
    let mut bytes = fs::read(&seg).unwrap();
    bytes[hit.entry.offset as usize + 45] ^= 0x01;
    fs::write(&seg, &bytes).unwrap();
    // The sealed segment's index is trusted at open (no full read of a large binlog)...
    let (b, _) = Binlog::open(dir.path(), config(2048, 64)).unwrap();
    let h = b.handle();
    // ...but every read verifies the CRC.
    let mut r = h.reader(h.start());
    assert_eq!(r.next_entry().unwrap().unwrap().opid.seq, 1);
    assert_eq!(r.next_entry().unwrap().unwrap().opid.seq, 2);
    match r.next_entry() {
        Err(BinlogError::Corrupt { path, offset, .. }) => assert_eq!((path, offset), (seg.clone(), hit.entry.offset)),
        other => panic!("{:?}", other.map(|e| e.map(|e| e.opid))),
    }
    assert!(matches!(h.find(op(1, 3)), Err(LookupError::Io(BinlogError::Corrupt { offset, .. })) if offset == hit.entry.offset));
    drop(b);
    // Without its index, open scans the segment and refuses it.
    fs::remove_file(format!("{}.idx", seg.display())).unwrap();
    assert!(matches!(Binlog::open(dir.path(), config(2048, 64)), Err(BinlogError::Corrupt { offset, .. }) if offset == hit.entry.offset));
}

#[test]
fn tailing_reader_follows_the_writer_across_segments() {
    let dir = tempfile::tempdir().unwrap();
    let (mut b, _) = Binlog::open(dir.path(), config(1024, 128)).unwrap();
    let h = b.handle();
    let mut r = h.reader(h.start());
    assert!(r.next_entry().unwrap().is_none());
    let mut repl = 0;
    let mut seen = 0;
    for round in 0..20u64 {
        repl = fill(&mut b, 1, round * 10 + 1, round * 10 + 10, repl);
        // (A rotation flushes the sealed segment, so some may be visible already.)
        b.flush().unwrap();
        while let Some(e) = r.next_entry().unwrap() {
            seen += 1;
            assert_eq!(e.opid.seq, seen);
        }
        assert_eq!(seen, round * 10 + 10);
    }
    assert!(segments(dir.path()).len() > 5);
}

#[test]
fn retention_respects_pins_until_the_hard_cap() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(1024, 128);
    cfg.retention = RetentionConfig { max_size: 3000, max_age: None, hard_max_size: 0 };
    let (mut b, _) = Binlog::open(dir.path(), cfg.clone()).unwrap();
    fill(&mut b, 1, 1, 400, 0);
    b.flush().unwrap();
    let h = b.handle();
    let before = segments(dir.path()).len();
    h.pin("replica-a", op(1, 100));
    let mut early = h.reader(h.start());
    early.next_entry().unwrap();
    let ev = h.enforce_retention(SystemTime::now()).unwrap();
    let removed = ev.iter().filter(|e| matches!(e, RetentionEvent::Removed { .. })).count();
    assert!(removed > 0);
    assert!(matches!(ev.last(), Some(RetentionEvent::HeldForConsumer { consumer, pinned, .. }) if consumer == "replica-a" && *pinned == op(1, 100)));
    assert_eq!(segments(dir.path()).len(), before - removed);
    // The pinned consumer can still resume.
    let hit = h.find(op(1, 100)).unwrap();
    assert!(matches!(h.find(op(1, 1)), Err(LookupError::Gone { .. })));
    // A reader holding a removed segment finishes it, then finds its successor gone.
    let mut n = 1;
    let err = loop {
        match early.next_entry() {
            Ok(Some(_)) => n += 1,
            Ok(None) => panic!("reader ended without noticing the removal"),
            Err(e) => break e,
        }
    };
    assert!(matches!(err, BinlogError::Gone { .. }), "{err}");
    assert!(n > 1);
    // The pin moves on: retention catches up.
    h.pin("replica-a", op(1, 390));
    h.enforce_retention(SystemTime::now()).unwrap();
    assert!(h.stats().bytes <= 3000 + 1024, "{}", h.stats().bytes);
    drop(b);

    // Over the hard cap, the pin is overridden and reported.
    cfg.retention = RetentionConfig { max_size: 1000, max_age: None, hard_max_size: 1500 };
    let (b, _) = Binlog::open(dir.path(), cfg).unwrap();
    let h = b.handle();
    h.pin("replica-a", op(1, 100));
    let ev = h.enforce_retention(SystemTime::now()).unwrap();
    assert!(ev.iter().any(|e| matches!(e, RetentionEvent::PinOverridden { consumer, .. } if consumer == "replica-a")), "{ev:?}");
    assert!(h.stats().bytes <= 1500);
    assert!(h.find(hit.meta.opid).is_err());
    assert_eq!(h.stats().last.unwrap().opid, op(1, 400), "the newest segment stays");
}

#[test]
fn retention_by_age() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(1024, 128);
    cfg.retention = RetentionConfig { max_size: 0, max_age: Some(Duration::from_secs(3600)), hard_max_size: 0 };
    let (mut b, _) = Binlog::open(dir.path(), cfg).unwrap();
    fill(&mut b, 1, 1, 100, 0);
    b.flush().unwrap();
    let h = b.handle();
    assert!(h.enforce_retention(SystemTime::now()).unwrap().is_empty());
    let later = SystemTime::now() + Duration::from_secs(7200);
    let ev = h.enforce_retention(later).unwrap();
    assert_eq!(segments(dir.path()).len(), 1, "{ev:?}");
    assert_eq!(h.stats().last.unwrap().opid, op(1, 100));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]
    #[test]
    fn random_logs_round_trip(
        entries in prop::collection::vec((1u64..4, 0u64..3, 1usize..300, 0u64..50), 1..300),
        segment_size in 200u64..5000,
        interval in 1u64..2000,
        flush_every in 1usize..50,
    ) {
        let dir = tempfile::tempdir().unwrap();
        let cfg = config(segment_size, interval);
        let (mut b, _) = Binlog::open(dir.path(), cfg.clone()).unwrap();
        let (mut seq, mut repl, mut epoch) = (0u64, 0u64, 1u64);
        let mut model = Vec::new();
        for (i, (seq_step, epoch_step, len, repl_gap)) in entries.into_iter().enumerate() {
            seq += seq_step;
            epoch += epoch_step;
            repl += repl_gap;
            let payload: Vec<u8> = (0..len).map(|j| (j as u64 * 31 + seq) as u8).collect();
            b.append(op(epoch, seq), 0x5eed, repl, &payload).unwrap();
            model.push((op(epoch, seq), repl, payload.clone()));
            repl += len as u64;
            if i % flush_every == 0 {
                b.flush().unwrap();
            }
        }
        b.sync().unwrap();
        drop(b);
        let (b, rec) = Binlog::open(dir.path(), cfg).unwrap();
        prop_assert_eq!(rec.truncated, None);
        prop_assert_eq!(rec.last.map(|l| l.opid), model.last().map(|m| m.0));
        let h = b.handle();
        prop_assert_eq!(read_all(&h, h.start()), model.clone());
        for (i, (id, off, _)) in model.iter().enumerate() {
            let hit = h.find(*id).unwrap();
            prop_assert_eq!(hit.meta.repl_offset, *off);
            let next = h.reader(hit.next).next_entry().unwrap().map(|e| e.opid);
            prop_assert_eq!(next, model.get(i + 1).map(|m| m.0));
            prop_assert_eq!(h.find_by_repl_offset(*off).unwrap(), hit.entry);
        }
    }
}

/// Segments written with prefix `appendonly.aof` are Redis 7 AOF incremental files:
/// `redis-check-aof` accepts them and redis-server loads their data.
#[test]
fn redis_loads_binlog_segments_as_aof() {
    let dir = tempfile::tempdir().unwrap();
    let aofdir = dir.path().join("appendonlydir");
    let cfg = BinlogConfig { prefix: "appendonly.aof".into(), segment_size: 300, ..BinlogConfig::default() };
    let (mut b, _) = Binlog::open(&aofdir, cfg).unwrap();
    let mut repl = 0;
    for seq in 1..=20u64 {
        let mut p = Vec::new();
        // Every incremental file is loaded from db 0, so a new segment starts with SELECT.
        if b.next_append_starts_segment() {
            p.extend_from_slice(b"*2\r\n$6\r\nSELECT\r\n$1\r\n3\r\n");
        }
        if seq % 5 == 0 {
            p.extend_from_slice(b"*1\r\n$5\r\nMULTI\r\n");
            p.extend(set_cmd(seq, 3));
            p.extend(set_cmd(seq + 1000, 3));
            p.extend_from_slice(b"*1\r\n$4\r\nEXEC\r\n");
        } else {
            p.extend(set_cmd(seq, 3));
        }
        b.append(op(1, seq), 0x5eed, repl, &p).unwrap();
        repl += p.len() as u64;
    }
    b.sync().unwrap();
    let segs = b.handle().segment_paths();
    assert!(segs.len() > 2);
    drop(b);
    fs::write(aofdir.join("appendonly.aof.1.base.aof"), b"").unwrap();
    let mut manifest = String::from("file appendonly.aof.1.base.aof seq 1 type b\n");
    for (i, s) in segs.iter().enumerate() {
        manifest += &format!("file {} seq {} type i\n", s.file_name().unwrap().to_string_lossy(), i + 1);
    }
    fs::write(aofdir.join("appendonly.aof.manifest"), manifest).unwrap();

    let check = std::process::Command::new("redis-check-aof").arg(aofdir.join("appendonly.aof.manifest")).output().unwrap();
    let out = String::from_utf8_lossy(&check.stdout);
    assert!(check.status.success() && out.contains("is valid"), "{out}");

    let port = free_port();
    let status = std::process::Command::new("redis-server")
        .args(["--port", &port.to_string(), "--dir"])
        .arg(dir.path())
        .args(["--appendonly", "yes", "--save", "", "--daemonize", "yes", "--logfile"])
        .arg(dir.path().join("redis.log"))
        .status()
        .unwrap();
    assert!(status.success());
    let cli = |args: &[&str]| {
        let o = std::process::Command::new("redis-cli").args(["-p", &port.to_string()]).args(args).output().unwrap();
        String::from_utf8_lossy(&o.stdout).trim().to_string()
    };
    let deadline = Instant::now() + Duration::from_secs(10);
    while cli(&["ping"]) != "PONG" {
        assert!(Instant::now() < deadline, "{}", fs::read_to_string(dir.path().join("redis.log")).unwrap_or_default());
        std::thread::sleep(Duration::from_millis(20));
    }
    let size = cli(&["-n", "3", "dbsize"]);
    let k20 = cli(&["-n", "3", "get", "k20"]);
    let k1015 = cli(&["-n", "3", "get", "k1015"]);
    cli(&["shutdown", "nosave"]);
    assert_eq!((size.as_str(), k20.as_str(), k1015.as_str()), ("24", "uvw", "bcd"));
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A few hundred MB in 64MB segments: OpID and offset lookups must take milliseconds.
/// Run with `cargo test -p rhodium-replication --test binlog -- --ignored`.
#[test]
#[ignore]
fn lookups_in_a_large_binlog_take_milliseconds() {
    let dir = tempfile::tempdir().unwrap();
    let (mut b, _) = Binlog::open(dir.path(), BinlogConfig::default()).unwrap();
    let payload = set_cmd(1, 400);
    let n = 600_000u64; // ~270 MB
    for seq in 1..=n {
        b.append(op(1, seq), 0x5eed, seq * payload.len() as u64, &payload).unwrap();
    }
    b.sync().unwrap();
    drop(b);
    let t = Instant::now();
    let (b, _) = Binlog::open(dir.path(), BinlogConfig::default()).unwrap();
    eprintln!("open: {:?}", t.elapsed());
    let h = b.handle();
    let mut worst = Duration::ZERO;
    for i in 0..200u64 {
        let seq = 1 + (i * 7919 * 7919) % n;
        let t = Instant::now();
        let hit = h.find(op(1, seq)).unwrap();
        let pos = h.find_by_repl_offset(hit.meta.repl_offset).unwrap();
        worst = worst.max(t.elapsed());
        assert_eq!(pos, hit.entry);
    }
    eprintln!("worst find + find_by_repl_offset: {worst:?}");
    assert!(worst < Duration::from_millis(50), "{worst:?}");
}
