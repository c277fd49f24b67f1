//! Serving replicas (Redis's `replication.c`, master half): SYNC/PSYNC, full syncs from a
//! point-in-time snapshot of the live keyspace (disk or diskless form), the feeder that
//! streams the backlog to each replica's socket, REPLCONF ACK, WAIT, the replication
//! cron (PING, repl-timeout, min-replicas, repl-backlog-ttl).
//!
//! A connection that sends SYNC or PSYNC stops being an ordinary client: the command
//! registers a [`ReplicaLink`] and the connection loop hands its socket to
//! [`serve_replica`], which owns it until the replica leaves.

use std::io::{Read, Write};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use rhodium_protocol::{Limits, RequestParser};
use rhodium_replication::primary::{decide, History, Psync, ReplicaState};
use rhodium_replication::ReplOffset;
use rhodium_storage::rdb::{self, ReplInfo, SaveInfo};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::{mpsc, oneshot};

use super::{Handoff, ReplState, ReplicaLink};
use crate::error::CommandError;
use crate::net::clients::ClientState;
use crate::state::Server;
use crate::{log_notice, log_warning};

/// Bytes copied from the backlog per socket write.
const FEED_CHUNK: usize = 64 * 1024;

/// A full-sync transfer handed to a replica when its snapshot starts.
#[derive(Debug)]
pub struct SyncStart {
    pub replid: String,
    pub offset: ReplOffset,
    pub payload: Payload,
}

/// How the RDB reaches the replica.
#[derive(Debug)]
pub enum Payload {
    /// Written to a file first, then sent as `$<len>\r\n` + bytes (repl-diskless-sync no,
    /// or a replica without `capa eof`). `Err` when the save failed.
    Disk(oneshot::Receiver<Result<Arc<TempRdb>, ()>>),
    /// Streamed while the snapshot is written, in the `$EOF:<mark>` form; an `Err` item
    /// means the transfer failed.
    Diskless { mark: String, chunks: mpsc::Receiver<Result<Bytes, ()>> },
}

/// An RDB file made for replication, removed when the last replica is done with it.
#[derive(Debug)]
pub struct TempRdb {
    path: std::path::PathBuf,
    len: u64,
}

impl Drop for TempRdb {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

fn repl(server: &Server) -> &Arc<ReplState> {
    &server.repl
}

fn cfg_num(cfg: &crate::config::Config, name: &str, default: i64) -> i64 {
    cfg.other.get(name).and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn cfg_yes(cfg: &crate::config::Config, name: &str, default: bool) -> bool {
    cfg.other.get(name).map_or(default, |v| v == "yes")
}

fn now_secs() -> i64 {
    rhodium_storage::clock::now_ms() / 1000
}

// ----- SYNC / PSYNC -----

/// SYNC (`psync` None) or PSYNC replid offset: decides between a partial and a full
/// resync, registers the replica and marks the connection for the hand-off. Writes
/// `+CONTINUE` itself; `+FULLRESYNC` is written when the transfer starts.
pub fn attach(server: &Server, client: &mut ClientState, psync: Option<(&[u8], &[u8])>, out: &mut rhodium_protocol::ReplyWriter) -> Result<(), CommandError> {
    if client.handoff.is_some() {
        return Ok(());
    }
    let st = repl(server);
    if server.replica.is_replica() && !server.replica.link_up() {
        return Err(CommandError::raw("NOMASTERLINK Can't SYNC while not connected with my master"));
    }
    let parsed = match psync {
        Some((id, off)) => {
            let off = rhodium_protocol::number::parse_i64(off).ok_or(CommandError::Arg(rhodium_protocol::ArgError::NotInteger))?;
            Some((String::from_utf8_lossy(id).into_owned(), off))
        }
        None => None,
    };
    let link = Arc::new(ReplicaLink::new(client.handle.clone(), client.replconf.clone(), parsed.is_none()));
    log_notice!("Replica {} asks for synchronization", link.name());
    if let Some((id, off)) = &parsed {
        let mut g = st.lock();
        let h = History { replid: &g.replid, replid2: &g.replid2, second_offset: g.second_offset, backlog: g.backlog.as_ref().map(|b| (b.first_byte_offset(), b.end())) };
        match decide(&h, &link.name(), id, *off) {
            Psync::Continue { offset } => {
                link.next.store(offset, Ordering::Release);
                link.set_state(ReplicaState::Online);
                let replid = g.replid.clone();
                let end = g.offset;
                g.replicas.push(link.clone());
                drop(g);
                st.sync_partial_ok.fetch_add(1, Ordering::Relaxed);
                if link.conf.capa_psync2 {
                    out.raw(format!("+CONTINUE {replid}\r\n").as_bytes());
                } else {
                    out.raw(b"+CONTINUE\r\n");
                }
                log_notice!("Partial resynchronization request from {} accepted. Sending {} bytes of backlog starting from offset {}.", link.name(), end + 1 - offset, offset);
                if let Some(me) = server.arc() {
                    st.start_cron(&me);
                }
                mark_replica(client, link);
                return Ok(());
            }
            Psync::Full { reason } => {
                drop(g);
                match reason {
                    Some(r) => {
                        log_notice!("{}", r);
                        st.sync_partial_err.fetch_add(1, Ordering::Relaxed);
                    }
                    None => log_notice!("Full resync requested by replica {}", link.name()),
                }
            }
        }
    }
    st.sync_full.fetch_add(1, Ordering::Relaxed);
    let Some(me) = server.arc() else {
        return Err(CommandError::err("server is shutting down"));
    };
    st.ensure_backlog(server);
    st.lock().replicas.push(link.clone());
    st.start_cron(&me);
    request_full_sync(me, link.clone());
    mark_replica(client, link);
    Ok(())
}

fn mark_replica(client: &mut ClientState, link: Arc<ReplicaLink>) {
    client.handle.repl_kind.store(crate::net::clients::REPL_KIND_REPLICA, Ordering::Relaxed);
    client.handoff = Some(Handoff { link });
}

// ----- full sync -----

/// Queues a replica for the next transfer, scheduling one if none is (replicas arriving
/// within repl-diskless-sync-delay share it).
fn request_full_sync(server: Arc<Server>, link: Arc<ReplicaLink>) {
    let st = repl(&server).clone();
    let mut g = st.lock();
    g.pending_full.push(link);
    if g.transfer_scheduled {
        return;
    }
    g.transfer_scheduled = true;
    drop(g);
    schedule_transfer(server);
}

/// Waits for the diskless delay and for any running snapshot, then starts a transfer for
/// the waiting replicas that want the same RDB (with or without data).
fn schedule_transfer(server: Arc<Server>) {
    let st = repl(&server).clone();
    tokio::spawn(async move {
        let cfg = server.config();
        let diskless_cfg = cfg_yes(&cfg, "repl-diskless-sync", true);
        let delay = cfg_num(&cfg, "repl-diskless-sync-delay", 5).max(0) as u64;
        let max = cfg_num(&cfg, "repl-diskless-sync-max-replicas", 0).max(0) as usize;
        drop(cfg);
        let all_eof = || st.lock().pending_full.iter().all(|l| l.conf.capa_eof);
        if diskless_cfg && delay > 0 && all_eof() {
            log_notice!("Delay next BGSAVE for diskless SYNC");
            let until = std::time::Instant::now() + Duration::from_secs(delay);
            while std::time::Instant::now() < until && !(max > 0 && st.lock().pending_full.len() >= max) {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
        // One snapshot at a time: a BGSAVE or an earlier transfer finishes first.
        while server.keyspace.snapshot_running() {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let mut g = st.lock();
        g.pending_full.retain(|l| !l.handle.killed());
        let exclude_data = g.pending_full.first().is_some_and(|l| l.conf.functions_only);
        let (batch, rest): (Vec<_>, Vec<_>) = std::mem::take(&mut g.pending_full).into_iter().partition(|l| l.conf.functions_only == exclude_data);
        g.pending_full = rest;
        let again = !g.pending_full.is_empty();
        g.transfer_scheduled = again;
        drop(g);
        if !batch.is_empty() {
            let diskless = diskless_cfg && batch.iter().all(|l| l.conf.capa_eof);
            let srv = server.clone();
            let spawned = std::thread::Builder::new().name("rhodium-replsync".into()).spawn(move || run_transfer(&srv, batch, diskless, exclude_data));
            if let Err(e) = spawned {
                log_warning!("Can't start the replication transfer: {}", e);
            }
        }
        if again {
            schedule_transfer(server);
        }
    });
}

/// Adapts the RDB writer to the diskless transfer: every flushed chunk goes to each
/// replica still listening (waiting for the slowest, as Redis's pipe does). A replica
/// that takes nothing for repl-timeout seconds is disconnected, so one stuck replica
/// cannot hold the snapshot forever.
struct Fanout {
    senders: Receivers,
    timeout: Duration,
}

/// The replicas of a diskless transfer and their channels.
type Receivers = Arc<parking_lot::Mutex<Vec<(Arc<ReplicaLink>, ChunkSender)>>>;

/// One replica's end of a diskless transfer (`Err`: the transfer failed).
type ChunkSender = mpsc::Sender<Result<Bytes, ()>>;

impl Write for Fanout {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let chunk = Bytes::copy_from_slice(buf);
        let mut senders = self.senders.lock();
        senders.retain(|(link, s)| {
            let started = std::time::Instant::now();
            let mut item = Ok(chunk.clone());
            loop {
                match s.try_send(item) {
                    Ok(()) => return true,
                    Err(mpsc::error::TrySendError::Closed(_)) => return false,
                    Err(mpsc::error::TrySendError::Full(back)) => {
                        if started.elapsed() > self.timeout {
                            log_warning!("Disconnecting timedout replica (full sync): {}", link.name());
                            link.handle.kill();
                            return false;
                        }
                        item = back;
                        std::thread::sleep(Duration::from_millis(1));
                    }
                }
            }
        });
        if senders.is_empty() {
            return Err(std::io::Error::new(std::io::ErrorKind::BrokenPipe, "no replica left"));
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Takes the snapshot for a batch of replicas and writes the RDB (a background thread).
fn run_transfer(server: &Arc<Server>, batch: Vec<Arc<ReplicaLink>>, diskless: bool, exclude_data: bool) {
    let st = repl(server).clone();
    let opts = crate::persistence::write_options(&server.config());
    // Taken with no command running (the world held exclusively), so the snapshot and the
    // stream offset describe the same instant even for EXEC and scripts, whose units are
    // propagated when their section ends.
    let (snap, replid, offset, stream_db) = loop {
        // On a replica, no master command is between being applied and being fed.
        let apply = server.replica.apply_guard();
        let world = server.world.write();
        let mut at = None;
        let snap = server.keyspace.start_snapshot(opts, || {
            let mut g = st.lock();
            let off = g.offset;
            let db = if server.replica.is_replica() { server.replica.master_db() } else { g.encoder.db() };
            g.encoder.force_select();
            for l in &batch {
                l.next.store(off + 1, Ordering::Release);
                l.set_state(ReplicaState::WaitBgsaveEnd);
            }
            at = Some((g.replid.clone(), off, db));
            server.dirty.load(Ordering::Relaxed)
        });
        drop(world);
        drop(apply);
        match (snap, at) {
            (Some(s), Some((id, off, db))) => break (s, id, off, db),
            (Some(_), None) => {
                server.keyspace.end_snapshot();
                return;
            }
            _ => std::thread::sleep(Duration::from_millis(50)),
        }
    };
    log_notice!("Starting BGSAVE for SYNC with target: {}", if diskless { "replicas sockets" } else { "disk" });
    let info = SaveInfo {
        redis_ver: crate::REDIS_VERSION.into(),
        ctime: now_secs(),
        used_mem: crate::commands::info::jemalloc_stats().0,
        repl: Some(ReplInfo { stream_db: stream_db as i64, replid: replid.clone(), offset: offset as i64 }),
        aof_base: false,
    };
    let checksum = cfg_yes(&server.config(), "rdbchecksum", true);
    if diskless {
        let mark = crate::state::random_hex(40);
        let mut senders = Vec::new();
        for l in &batch {
            let (tx, rx) = mpsc::channel(16);
            senders.push((l.clone(), tx));
            give_start(l, SyncStart { replid: replid.clone(), offset, payload: Payload::Diskless { mark: mark.clone(), chunks: rx } });
        }
        let senders = Arc::new(parking_lot::Mutex::new(senders));
        let timeout = Duration::from_secs(cfg_num(&server.config(), "repl-timeout", 60).max(1) as u64);
        let mut w = rdb::Writer::new(Fanout { senders: senders.clone(), timeout }, opts);
        let result = write_rdb(server, &snap, &info, exclude_data, &mut w).and_then(|_| w.finish(checksum));
        server.keyspace.end_snapshot();
        match result {
            Ok(_) => log_notice!("Diskless rdb transfer, done reading from pipe, {} replicas still up.", batch.iter().filter(|l| !l.handle.killed()).count()),
            Err(e) => {
                log_warning!("Diskless rdb transfer failed: {}", e);
                for (l, s) in senders.lock().iter() {
                    if s.try_send(Err(())).is_err() {
                        l.handle.kill();
                    }
                }
            }
        }
        // Dropping the senders closes every channel: the replicas see the end.
        senders.lock().clear();
    } else {
        static N: AtomicU64 = AtomicU64::new(0);
        let path = std::path::PathBuf::from(format!("temp-repl-{}-{}.rdb", std::process::id(), N.fetch_add(1, Ordering::Relaxed)));
        let mut txs = Vec::new();
        for l in &batch {
            let (tx, rx) = oneshot::channel();
            txs.push(tx);
            give_start(l, SyncStart { replid: replid.clone(), offset, payload: Payload::Disk(rx) });
        }
        let result = std::fs::File::create(&path).and_then(|f| {
            let mut w = rdb::Writer::new(std::io::BufWriter::with_capacity(1 << 16, f), opts);
            write_rdb(server, &snap, &info, exclude_data, &mut w)?;
            let f = w.finish(checksum)?.into_inner().map_err(|e| e.into_error())?;
            Ok(f.metadata()?.len())
        });
        server.keyspace.end_snapshot();
        let file = match result {
            Ok(len) => {
                log_notice!("Background RDB transfer terminated with success");
                Ok(Arc::new(TempRdb { path, len }))
            }
            Err(e) => {
                let _ = std::fs::remove_file(&path);
                log_warning!("Write error saving DB on disk for replication: {}", e);
                Err(())
            }
        };
        for tx in txs {
            let _ = tx.send(file.clone());
        }
    }
}

/// The RDB of a full sync: header with the replication fields, functions, then the
/// snapshot's databases (none with `rdb-filter-only functions`).
fn write_rdb<W: Write>(server: &Server, snap: &rhodium_storage::snapshot::Snapshot, info: &SaveInfo, exclude_data: bool, w: &mut rdb::Writer<W>) -> std::io::Result<()> {
    w.header(info)?;
    for code in crate::scripting::library_codes(server) {
        w.function(&code)?;
    }
    for db in 0..snap.databases() {
        let (keys, expires) = snap.counts(db);
        if keys == 0 || exclude_data {
            continue;
        }
        w.select_db(db, keys, expires)?;
        for s in 0..rhodium_storage::keyspace::STRIPES {
            w.raw_records(&server.keyspace.snapshot_stripe(snap, db, s))?;
        }
    }
    Ok(())
}

fn give_start(l: &ReplicaLink, s: SyncStart) {
    *l.start.lock() = Some(s);
    l.start_notify.notify_one();
}

// ----- the replica's connection -----

/// Serves a replica connection until it leaves or is disconnected: the full-sync
/// transfer if it needs one, then the stream; meanwhile its REPLCONF ACKs are read.
pub async fn serve_replica<S: AsyncRead + AsyncWrite + Unpin>(server: &Arc<Server>, stream: &mut S, rbuf: &mut BytesMut, client: &mut ClientState, handoff: Handoff) {
    let link = handoff.link;
    let (mut rd, mut wr) = tokio::io::split(stream);
    let handle = client.handle.clone();
    tokio::select! {
        _ = read_acks(server, &mut rd, rbuf, &link) => {}
        _ = feed(server, &mut wr, &link) => {}
        _ = handle.kill_notify.notified() => {}
    }
    let _ = wr.flush().await;
    detach(server, &link);
}

/// Forgets a replica that left.
fn detach(server: &Server, link: &Arc<ReplicaLink>) {
    let st = repl(server);
    let mut g = st.lock();
    g.replicas.retain(|r| !Arc::ptr_eq(r, link));
    g.pending_full.retain(|r| !Arc::ptr_eq(r, link));
    if g.replicas.is_empty() {
        g.no_replicas_since = now_secs();
    }
    drop(g);
    log_notice!("Connection with replica {} lost.", link.name());
    st.refresh_good_replicas();
    st.check_waits();
}

/// Reads what the replica sends: REPLCONF ACK <offset> [FACK <offset>] updates its
/// acknowledged offset; anything else is ignored (a replica gets no replies).
async fn read_acks<R: AsyncRead + Unpin>(server: &Server, rd: &mut R, rbuf: &mut BytesMut, link: &ReplicaLink) {
    let mut parser = RequestParser::new();
    let limits = Limits { max_bulk_len: 1 << 20, authenticated: true };
    loop {
        loop {
            match parser.next(rbuf, &limits) {
                Ok(Some(argv)) => {
                    if argv.len() >= 3 && argv[0].eq_ignore_ascii_case(b"replconf") && argv[1].eq_ignore_ascii_case(b"ack") {
                        if let Some(off) = rhodium_protocol::number::parse_i64(&argv[2]).filter(|o| *o >= 0) {
                            link.ack_off.fetch_max(off as u64, Ordering::AcqRel);
                            link.handle.last_interaction_ms.store(rhodium_storage::clock::now_ms(), Ordering::Relaxed);
                            link.ack_time.store(now_secs(), Ordering::Release);
                            if !link.acked.swap(true, Ordering::AcqRel) {
                                link.ack_notify.notify_one();
                            }
                            repl(server).check_waits();
                        }
                    }
                }
                Ok(None) => break,
                Err(_) => return,
            }
        }
        if rbuf.len() > 1 << 20 {
            return;
        }
        if rbuf.capacity() - rbuf.len() < 4096 {
            rbuf.reserve(16 * 1024);
        }
        match rd.read_buf(rbuf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => crate::state::Stats::incr(&server.stats.net_input_bytes, n as u64),
        }
    }
}

/// The writing side: the transfer (if any), then the stream from the backlog.
async fn feed<W: AsyncWrite + Unpin>(server: &Server, wr: &mut W, link: &Arc<ReplicaLink>) {
    if link.state() != ReplicaState::Online {
        let Some(diskless) = full_sync(server, wr, link).await else {
            return;
        };
        if link.conf.rdb_only {
            log_notice!("Streamed RDB transfer with replica {} succeeded (rdb-only); closing the connection.", link.name());
            return;
        }
        if diskless {
            // A replica reading an EOF-marked RDB in big chunks could swallow stream bytes
            // glued after the mark, so Redis streams only after its first ACK.
            log_notice!("Streamed RDB transfer with replica {} succeeded (socket). Waiting for REPLCONF ACK from replica to enable streaming", link.name());
            loop {
                let acked = link.ack_notify.notified();
                tokio::pin!(acked);
                acked.as_mut().enable();
                if link.acked.load(Ordering::Acquire) {
                    break;
                }
                acked.await;
            }
        }
        log_notice!("Synchronization with replica {} succeeded", link.name());
    }
    stream(server, wr, link).await;
}

/// Waits for the transfer and sends `+FULLRESYNC` and the RDB; newlines keep the link
/// alive meanwhile, as Redis sends them. `None` when the replica must go, otherwise
/// whether the transfer was diskless.
async fn full_sync<W: AsyncWrite + Unpin>(server: &Server, wr: &mut W, link: &Arc<ReplicaLink>) -> Option<bool> {
    let start = loop {
        if let Some(s) = link.take_start() {
            break s;
        }
        tokio::select! {
            _ = link.start_notify.notified() => {}
            _ = tokio::time::sleep(Duration::from_secs(1)) => {
                wr.write_all(b"\n").await.ok()?;
            }
        }
    };
    if !link.old_protocol {
        let line = format!("+FULLRESYNC {} {}\r\n", start.replid, start.offset);
        wr.write_all(line.as_bytes()).await.ok()?;
    }
    let mut sent = 0u64;
    let diskless = matches!(start.payload, Payload::Diskless { .. });
    match start.payload {
        Payload::Disk(rx) => {
            tokio::pin!(rx);
            let file = loop {
                tokio::select! {
                    r = &mut rx => break r.ok().and_then(Result::ok),
                    _ = tokio::time::sleep(Duration::from_secs(1)) => {
                        wr.write_all(b"\n").await.ok()?;
                    }
                }
            };
            link.set_state(ReplicaState::SendBulk);
            let file = file?;
            if !send_file(wr, &file, &mut sent).await {
                return None;
            }
        }
        Payload::Diskless { mark, mut chunks } => {
            link.set_state(ReplicaState::SendBulk);
            wr.write_all(format!("$EOF:{mark}\r\n").as_bytes()).await.ok()?;
            let mut any = false;
            while let Some(item) = chunks.recv().await {
                let c = item.ok()?;
                wr.write_all(&c).await.ok()?;
                sent += c.len() as u64;
                any = true;
            }
            if !any {
                return None;
            }
            wr.write_all(mark.as_bytes()).await.ok()?;
        }
    }
    wr.flush().await.ok()?;
    crate::state::Stats::incr(&server.stats.net_output_bytes, sent);
    link.set_state(ReplicaState::Online);
    link.ack_time.store(now_secs(), Ordering::Release);
    Some(diskless)
}

/// Sends an RDB file as `$<len>\r\n` + its bytes.
async fn send_file<W: AsyncWrite + Unpin>(wr: &mut W, file: &TempRdb, sent: &mut u64) -> bool {
    if wr.write_all(format!("${}\r\n", file.len).as_bytes()).await.is_err() {
        return false;
    }
    let Ok(mut f) = std::fs::File::open(&file.path) else {
        return false;
    };
    let mut buf = vec![0u8; FEED_CHUNK];
    loop {
        // Local page-cache reads of at most 64 KiB between socket writes.
        let n = match f.read(&mut buf) {
            Ok(0) => return *sent == file.len,
            Ok(n) => n,
            Err(_) => return false,
        };
        if wr.write_all(&buf[..n]).await.is_err() {
            return false;
        }
        *sent += n as u64;
    }
}

/// Streams the backlog from the replica's position until it leaves.
async fn stream<W: AsyncWrite + Unpin>(server: &Server, wr: &mut W, link: &Arc<ReplicaLink>) {
    let st = repl(server);
    let mut buf = Vec::with_capacity(FEED_CHUNK);
    loop {
        let notified = st.data.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        buf.clear();
        let read = {
            let g = st.lock();
            match g.backlog.as_ref() {
                Some(b) => b.read(link.next(), FEED_CHUNK, &mut buf),
                None => Err(rhodium_replication::backlog::OutOfRange),
            }
        };
        let n = match read {
            Ok(n) => n,
            Err(_) => {
                log_warning!("Replica {} is no longer covered by the replication backlog; disconnecting it", link.name());
                return;
            }
        };
        if n == 0 {
            if wr.flush().await.is_err() {
                return;
            }
            notified.await;
            // Let writers on other threads add more before the next copy, so a busy
            // stream goes out in fewer, larger writes.
            tokio::task::yield_now().await;
            continue;
        }
        let next = link.next.fetch_add(n as u64, Ordering::AcqRel) + n as u64;
        link.handle.omem.store((st.offset() + 1).saturating_sub(next), Ordering::Relaxed);
        if wr.write_all(&buf).await.is_err() {
            return;
        }
        crate::state::Stats::incr(&server.stats.net_output_bytes, n as u64);
    }
}

// ----- WAIT, cron -----

impl ReplState {
    /// Online replicas that acknowledged at least `offset` (Redis's
    /// `replicationCountAcksByOffset`).
    pub fn count_acks(&self, offset: ReplOffset) -> i64 {
        self.lock().replicas.iter().filter(|r| r.state() == ReplicaState::Online && !r.old_protocol && r.ack_off.load(Ordering::Acquire) >= offset).count() as i64
    }

    /// Blocks a WAIT: completed by ACKs or by its timer. Asks every replica for an ACK
    /// (`REPLCONF GETACK *` in the stream, as Redis does before returning to its loop).
    pub fn add_wait(self: &Arc<Self>, server: &Server, waiter: Arc<crate::blocking::Waiter>, offset: ReplOffset, numreplicas: i64, timeout_ms: i64) {
        self.waits.lock().push(super::WaitEntry { waiter: waiter.clone(), offset, numreplicas });
        self.request_acks();
        if timeout_ms > 0 {
            let st = self.clone();
            let Some(me) = server.arc() else {
                return;
            };
            tokio::spawn(async move {
                tokio::time::sleep(Duration::from_millis(timeout_ms as u64)).await;
                let entry = {
                    let mut w = st.waits.lock();
                    let i = w.iter().position(|e| Arc::ptr_eq(&e.waiter, &waiter));
                    i.map(|i| w.swap_remove(i))
                };
                if let Some(e) = entry {
                    let n = st.count_acks(e.offset);
                    me.blocking.complete(&me, &e.waiter, format!(":{n}\r\n").into_bytes());
                }
            });
        }
    }

    /// Feeds `REPLCONF GETACK *` once per batch of WAITs.
    fn request_acks(&self) {
        let mut g = self.lock();
        if g.backlog.is_none() || g.replicas.is_empty() || g.getack_at == g.offset {
            return;
        }
        let mut bytes = Vec::new();
        g.encoder.encode_no_db(&["REPLCONF", "GETACK", "*"], &mut bytes);
        self.append_locked(&mut g, &bytes);
        g.getack_at = g.offset;
        drop(g);
        self.data.notify_waiters();
    }

    /// Completes the WAITs their replicas acknowledged (and drops those whose client left).
    pub fn check_waits(&self) {
        let mut waits = self.waits.lock();
        if waits.is_empty() {
            return;
        }
        let mut done = Vec::new();
        waits.retain(|e| {
            let n = self.count_acks(e.offset);
            if n >= e.numreplicas {
                done.push((e.waiter.clone(), n));
                false
            } else {
                !e.waiter.client.killed() && Arc::strong_count(&e.waiter) > 1
            }
        });
        drop(waits);
        if done.is_empty() {
            return;
        }
        // The blocking registry lives in the server; completing goes through it.
        if let Some(server) = self.server.get().and_then(std::sync::Weak::upgrade) {
            for (w, n) in done {
                server.blocking.complete(&server, &w, format!(":{n}\r\n").into_bytes());
            }
        }
    }

    /// Starts the replication cron once (when the first replica attaches).
    fn start_cron(self: &Arc<Self>, server: &Arc<Server>) {
        if self.cron_started.swap(true, Ordering::AcqRel) {
            return;
        }
        let _ = self.server.set(Arc::downgrade(server));
        tokio::spawn(cron(Arc::downgrade(server)));
    }
}

/// Once a second (Redis's `replicationCron`): PING into the stream every
/// repl-ping-replica-period, disconnect replicas silent for repl-timeout, count the good
/// replicas for min-replicas-to-write, free the backlog after repl-backlog-ttl without
/// replicas.
async fn cron(server: std::sync::Weak<Server>) {
    let mut ticks: u64 = 0;
    loop {
        tokio::time::sleep(Duration::from_secs(1)).await;
        let Some(server) = server.upgrade() else {
            return;
        };
        ticks += 1;
        let st = repl(&server);
        let cfg = server.config();
        let period = cfg_num(&cfg, "repl-ping-replica-period", 10).max(1) as u64;
        let timeout = cfg_num(&cfg, "repl-timeout", 60).max(1);
        let ttl = cfg_num(&cfg, "repl-backlog-ttl", 3600);
        drop(cfg);
        let now = now_secs();
        let mut g = st.lock();
        let replicas = g.replicas.clone();
        if !st.is_replica() && !replicas.is_empty() && ticks.is_multiple_of(period) {
            let mut bytes = Vec::new();
            g.encoder.encode_no_db(&["PING"], &mut bytes);
            st.append_locked(&mut g, &bytes);
        }
        if !st.is_replica() && replicas.is_empty() && ttl > 0 && g.backlog.is_some() && now - g.no_replicas_since > ttl {
            g.backlog = None;
            st.active.store(false, Ordering::Release);
            g.replid = crate::state::random_hex(40);
            g.replid2 = rhodium_replication::primary::NO_REPLID.into();
            g.second_offset = -1;
            log_notice!("Replication backlog freed after {} seconds without connected replicas.", ttl);
        }
        drop(g);
        st.data.notify_waiters();
        for r in &replicas {
            if r.state() != ReplicaState::Online || r.old_protocol {
                continue;
            }
            if now - r.ack_time.load(Ordering::Acquire) > timeout {
                log_warning!("Disconnecting timedout replica (streaming sync): {}", r.name());
                r.handle.kill();
            }
        }
        st.refresh_good_replicas();
        st.check_waits();
    }
}
