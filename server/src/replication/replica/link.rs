//! The link thread: connect, handshake and PSYNC as Redis 7.0's `syncWithMaster`, then
//! either load a full sync or resume the cached master, then apply the command stream as
//! the master client, acknowledging the offset every second.

use std::io::{ErrorKind, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rhodium_protocol::{ReplyWriter, Resp};
use rhodium_replication::replica::{self as proto, PsyncReply, StreamParser};

use super::{setting, setting_i64, CachedMaster, LinkState};
use crate::net::clients::{ClientHandle, ClientState, Peer};
use crate::state::{Server, Stats};
use crate::{log_notice, log_warning};

/// Why an attempt ended.
pub(super) enum End {
    /// The link was up and went down: cache the master and reconnect at once.
    Dropped,
    /// The master sent bytes that are not a command: reconnect without a cached master
    /// (Redis frees a master client with a protocol error instead of caching it).
    Corrupt,
    /// Connecting, the handshake or the transfer failed: retry after a second.
    Failed,
}

/// The link's socket with a buffer for line reads (bytes after a line stay for the next
/// read: the payload or the stream).
pub(super) struct Link {
    pub stream: TcpStream,
    pub buf: Vec<u8>,
}

/// Longest reply line accepted during the handshake.
const MAX_LINE: usize = 64 * 1024;

impl Link {
    /// Sends one command.
    pub fn send(&mut self, argv: &[Vec<u8>]) -> std::io::Result<()> {
        let mut out = Vec::new();
        rhodium_protocol::encode::encode_command(argv, &mut out);
        self.stream.write_all(&out)
    }

    /// Reads one line, without its CR LF (Redis's `connSyncReadLine`).
    pub fn read_line(&mut self) -> std::io::Result<Vec<u8>> {
        loop {
            if let Some(nl) = self.buf.iter().position(|&c| c == b'\n') {
                let mut line: Vec<u8> = self.buf.drain(..=nl).collect();
                line.pop();
                if line.last() == Some(&b'\r') {
                    line.pop();
                }
                return Ok(line);
            }
            if self.buf.len() > MAX_LINE {
                return Err(std::io::Error::new(ErrorKind::InvalidData, "line too long"));
            }
            self.fill()?;
        }
    }

    /// Reads more bytes into the buffer; an error at EOF.
    pub fn fill(&mut self) -> std::io::Result<usize> {
        let mut chunk = [0u8; 16 * 1024];
        let n = self.stream.read(&mut chunk)?;
        if n == 0 {
            return Err(std::io::Error::new(ErrorKind::UnexpectedEof, "connection lost"));
        }
        self.buf.extend_from_slice(&chunk[..n]);
        Ok(n)
    }
}

/// The thread's body: attempts until REPLICAOF moves on to another generation.
pub(super) fn run(server: Arc<Server>, generation: u64) {
    let st = &server.replica;
    let _only_link = st.link_lock.lock();
    loop {
        if !st.current(generation) {
            return;
        }
        let Some((host, port)) = st.master() else {
            return;
        };
        let end = attempt(&server, generation, &host, port);
        let apply = st.apply.lock();
        let mut inner = st.inner.lock();
        if inner.generation != generation {
            // Superseded by REPLICAOF (or shutdown): keep what a partial resync with the
            // next master needs.
            super::cache_connected_master(&server, &mut inner);
            return;
        }
        inner.socket = None;
        match end {
            End::Dropped | End::Corrupt => {
                log_warning!("Connection with master lost.");
                super::cache_connected_master(&server, &mut inner);
                if matches!(end, End::Corrupt) {
                    inner.cached = None;
                } else {
                    log_notice!("Caching the disconnected master state.");
                }
                inner.state = LinkState::Connect;
                inner.down_since = rhodium_storage::clock::now_ms() / 1000;
                st.link_up.store(false, Ordering::Relaxed);
                drop(inner);
                // Redis reconnects at once rather than in the next cron tick, so the
                // backlog has less time to move on.
                log_notice!("Reconnecting to MASTER {}:{}", host, port);
            }
            End::Failed => {
                inner.state = LinkState::Connect;
                st.link_up.store(false, Ordering::Relaxed);
                drop(inner);
                drop(apply);
                // The next attempt comes with replicationCron, once a second.
                let until = Instant::now() + Duration::from_secs(1);
                while Instant::now() < until {
                    if !st.current(generation) {
                        return;
                    }
                    std::thread::sleep(Duration::from_millis(50));
                }
                log_notice!("Connecting to MASTER {}:{}", host, port);
            }
        }
    }
}

/// Resolves and connects within `timeout`.
fn connect(host: &str, port: u16, timeout: Duration) -> std::io::Result<TcpStream> {
    let mut last = std::io::Error::new(ErrorKind::NotFound, "no address");
    for addr in (host, port).to_socket_addrs()? {
        match TcpStream::connect_timeout(&addr, timeout) {
            Ok(s) => return Ok(s),
            Err(e) => last = e,
        }
    }
    Err(last)
}

/// One connection: handshake, sync, stream.
fn attempt(server: &Server, generation: u64, host: &str, port: u16) -> End {
    let st = &server.replica;
    let cfg = server.config();
    let timeout = Duration::from_secs(setting_i64(&cfg, "repl-timeout").max(1) as u64);
    st.set_state(LinkState::Connecting);
    let stream = match connect(host, port, timeout) {
        Ok(s) => s,
        Err(e) => {
            log_warning!("Unable to connect to MASTER: {}", e);
            return End::Failed;
        }
    };
    log_notice!("MASTER <-> REPLICA sync started");
    {
        let mut inner = st.inner.lock();
        if inner.generation != generation {
            return End::Failed;
        }
        inner.socket = stream.try_clone().ok();
    }
    let _ = stream.set_nodelay(true);
    let _ = stream.set_read_timeout(Some(timeout));
    log_notice!("Non blocking connect for SYNC fired the event.");
    let mut link = Link { stream, buf: Vec::new() };
    let hs = proto::HandshakeConfig {
        listening_port: match setting_i64(&cfg, "replica-announce-port") {
            0 => cfg.port,
            p => p as u16,
        },
        announce_ip: Some(setting(&cfg, "replica-announce-ip")).filter(|s| !s.is_empty()),
        masteruser: Some(setting(&cfg, "masteruser")).filter(|s| !s.is_empty()).map(String::into_bytes),
        masterauth: Some(setting(&cfg, "masterauth")).filter(|s| !s.is_empty()).map(String::into_bytes),
    };
    drop(cfg);
    match handshake(&mut link, &hs) {
        Ok(true) => {}
        Ok(false) => return End::Failed,
        Err(e) => {
            log_warning!("Master closed the connection during the handshake: {}", e);
            return End::Failed;
        }
    }
    st.set_state(LinkState::Handshake);
    let cached = st.inner.lock().cached.clone();
    match &cached {
        Some(c) => log_notice!("Trying a partial resynchronization (request {}:{}).", c.replid, c.offset + 1),
        None => log_notice!("Partial resynchronization not possible (no cached master)"),
    }
    let line = match psync(&mut link, cached.as_ref()) {
        Ok(l) => l,
        Err(e) => {
            log_warning!("Error reading the PSYNC reply from master: {}", e);
            return End::Failed;
        }
    };
    let line_text = String::from_utf8_lossy(&line).into_owned();
    match proto::parse_psync_reply(&line_text) {
        PsyncReply::FullResync(id) => {
            let (replid, offset) = match id {
                Some((id, off)) => {
                    log_notice!("Full resync from master: {}:{}", id, off);
                    (id, off)
                }
                None => {
                    log_warning!("Master replied with wrong +FULLRESYNC syntax.");
                    ("0".repeat(proto::RUN_ID_SIZE), -1)
                }
            };
            if st.inner.lock().cached.take().is_some() {
                log_notice!("Discarding previously cached master state.");
            }
            match super::load::full_sync(server, generation, &mut link, &replid, offset) {
                Ok(db) => stream_commands(server, generation, link, db),
                Err(()) => End::Failed,
            }
        }
        PsyncReply::Continue(new_id) => {
            log_notice!("Successful partial resynchronization with master.");
            let Some(c) = cached else {
                return End::Failed;
            };
            // The shared history must be the cached master's (after a restart it is
            // not yet): otherwise it starts there with a fresh backlog.
            if server.repl.replid() != c.replid || server.repl.offset() != c.offset as u64 {
                server.repl.set_upstream(server, &c.replid, c.offset as u64);
            }
            let mut inner = st.inner.lock();
            inner.replid = c.replid.clone();
            if let Some(new) = new_id.filter(|n| *n != c.replid) {
                log_warning!("Master replication ID changed to {}", new);
                // The old id stays valid as replid2 up to offset+1; sub-replicas are
                // disconnected to learn the new one.
                server.repl.continue_with_new_id(&new);
                inner.replid = new;
            }
            inner.cached = None;
            drop(inner);
            st.reploff.store(c.offset, Ordering::Relaxed);
            st.read_reploff.store(c.offset, Ordering::Relaxed);
            st.partial_syncs.fetch_add(1, Ordering::Relaxed);
            log_notice!("MASTER <-> REPLICA sync: Master accepted a Partial Resynchronization.");
            stream_commands(server, generation, link, c.db)
        }
        PsyncReply::TryLater => {
            log_notice!("Master is currently unable to PSYNC but should be in the future: {}", line_text);
            End::Failed
        }
        PsyncReply::Wait => End::Failed,
        PsyncReply::NotSupported => {
            if line_text.starts_with("-ERR") {
                log_notice!("Master does not support PSYNC or is in error state (reply: {})", line_text);
            } else {
                log_warning!("Unexpected reply to PSYNC from master: {}", line_text);
            }
            End::Failed
        }
    }
}

/// PING, then the pipelined AUTH/REPLCONF; false (logged) when the master refuses.
fn handshake(link: &mut Link, hs: &proto::HandshakeConfig) -> std::io::Result<bool> {
    link.send(&[b"PING".to_vec()])?;
    let pong = String::from_utf8_lossy(&link.read_line()?).into_owned();
    if let Err(msg) = proto::judge_ping_reply(&pong) {
        log_warning!("{}", msg);
        return Ok(false);
    }
    log_notice!("Master replied to PING, replication can continue...");
    let steps = proto::handshake_commands(hs);
    let mut out = Vec::new();
    for (_, argv) in &steps {
        rhodium_protocol::encode::encode_command(argv, &mut out);
    }
    link.stream.write_all(&out)?;
    for (step, _) in &steps {
        let reply = String::from_utf8_lossy(&link.read_line()?).into_owned();
        match step.judge(&reply) {
            Ok(None) => {}
            Ok(Some(note)) => log_notice!("{}", note),
            Err(msg) => {
                log_warning!("{}", msg);
                return Ok(false);
            }
        }
    }
    Ok(true)
}

/// Sends PSYNC and returns the first non-empty reply line.
fn psync(link: &mut Link, cached: Option<&CachedMaster>) -> std::io::Result<Vec<u8>> {
    link.send(&proto::psync_command(cached.map(|c| (c.replid.as_str(), c.offset))))?;
    loop {
        let line = link.read_line()?;
        if !line.is_empty() {
            return Ok(line);
        }
    }
}

/// Applies the master's command stream until the link drops or REPLICAOF moves on.
fn stream_commands(server: &Server, generation: u64, mut link: Link, db: usize) -> End {
    let st = &server.replica;
    let peer = link.stream.peer_addr().map(Peer::Tcp).unwrap_or(Peer::Unix(String::new()));
    let local = link.stream.local_addr().map(Peer::Tcp).unwrap_or(Peer::Unix(String::new()));
    let fd = std::os::fd::AsRawFd::as_raw_fd(&link.stream);
    let handle = Arc::new(ClientHandle::new(server.clients.next_id(), peer, local, fd));
    handle.repl_kind.store(crate::net::clients::REPL_KIND_MASTER, Ordering::Relaxed);
    let mut client = ClientState::new(handle.clone(), true);
    client.select(db.min(server.keyspace.databases().saturating_sub(1)));
    {
        let _apply = st.apply.lock();
        let mut inner = st.inner.lock();
        if inner.generation != generation {
            return End::Failed;
        }
        server.clients.add(handle.clone());
        inner.master_client = Some(handle.clone());
        inner.state = LinkState::Connected;
        st.master_db.store(client.db, Ordering::Relaxed);
        st.link_up.store(true, Ordering::Relaxed);
    }
    let now_ms = rhodium_storage::clock::now_ms;
    st.last_io_ms.store(now_ms(), Ordering::Relaxed);
    let _ = link.stream.set_read_timeout(Some(Duration::from_millis(100)));
    let mut parser = StreamParser::new();
    parser.feed(&std::mem::take(&mut link.buf));
    let mut out = ReplyWriter::new(Resp::V2);
    let mut pending: i64 = 0;
    // The exact upstream bytes of the commands applied but not yet counted (a MULTI
    // block is counted at its EXEC).
    let mut pending_raw: Vec<bytes::Bytes> = Vec::new();
    let mut last_ack: Option<Instant> = None;
    let mut chunk = vec![0u8; 16 * 1024];
    loop {
        loop {
            let (argv, raw) = match parser.next_command() {
                Ok(Some(x)) => x,
                Ok(None) => break,
                Err(e) => {
                    log_warning!("Protocol error ({}) from client: id={} addr={} (master)", e, handle.id, handle.addr.display());
                    return End::Corrupt;
                }
            };
            if !wait_while_paused(server, &argv, generation) {
                return End::Failed;
            }
            let _apply = st.apply.lock();
            if !st.current(generation) {
                return End::Failed;
            }
            if handle.killed() {
                return End::Dropped;
            }
            if proto::is_getack(&argv) {
                // Answered with the offset before this very command, as Redis does (its
                // offset advances after the command).
                if link.send(&proto::ack_command(st.reploff.load(Ordering::Relaxed))).is_err() {
                    return End::Dropped;
                }
            } else {
                *handle.last_cmd.lock() = match server.table.lookup(&argv) {
                    crate::commands::table::Lookup::Found(r) => r.fullname,
                    _ => "NULL",
                };
                out.clear();
                // Its effects reach the AOF through the propagator; the replication sink
                // skips them in replica mode (sub-replicas get the upstream bytes below).
                crate::dispatch::execute(server, &mut client, argv, &mut out);
            }
            pending += raw.len() as i64;
            pending_raw.push(raw);
            // Inside MULTI the offset stays before it until EXEC (Redis's
            // commandProcessed), so a cached master never resumes mid-transaction.
            if !client.tx.in_multi() {
                // Exactly the upstream bytes go to the backlog and sub-replicas
                // (Redis's replicationFeedStreamFromMasterStream).
                for r in &pending_raw {
                    server.repl.feed_raw(r);
                }
                st.reploff.fetch_add(pending, Ordering::Relaxed);
                st.master_db.store(client.db, Ordering::Relaxed);
                pending = 0;
                pending_raw.clear();
            }
        }
        if handle.killed() {
            return End::Dropped;
        }
        if !st.current(generation) {
            return End::Failed;
        }
        if last_ack.is_none_or(|t| t.elapsed() >= Duration::from_secs(1)) {
            last_ack = Some(Instant::now());
            if link.send(&proto::ack_command(st.reploff.load(Ordering::Relaxed))).is_err() {
                return End::Dropped;
            }
        }
        let timeout_ms = setting_i64(&server.config(), "repl-timeout").max(1) * 1000;
        if now_ms() - st.last_io_ms.load(Ordering::Relaxed) > timeout_ms {
            log_warning!("MASTER timeout: no data nor PING received...");
            return End::Dropped;
        }
        match link.stream.read(&mut chunk) {
            Ok(0) => return End::Dropped,
            Ok(n) => {
                parser.feed(&chunk[..n]);
                st.read_reploff.fetch_add(n as i64, Ordering::Relaxed);
                let now = now_ms();
                st.last_io_ms.store(now, Ordering::Relaxed);
                handle.last_interaction_ms.store(now, Ordering::Relaxed);
                Stats::incr(&server.stats.net_input_bytes, n as u64);
            }
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut | ErrorKind::Interrupted) => {}
            Err(_) => return End::Dropped,
        }
    }
}

/// CLIENT PAUSE holds the master's commands back too (only replicas are exempt in
/// Redis): waits while a pause applies to `argv`; false if REPLICAOF moved on meanwhile.
fn wait_while_paused(server: &Server, argv: &[bytes::Bytes], generation: u64) -> bool {
    let mut waited = false;
    while server.maybe_paused() {
        let now = rhodium_storage::clock::now_ms();
        let Some(p) = server.current_pause(now) else {
            break;
        };
        let held = p.all || matches!(server.table.lookup(argv), crate::commands::table::Lookup::Found(r) if r.spec.has(crate::commands::spec::flags::WRITE | crate::commands::spec::flags::MAY_REPLICATE));
        if !held {
            break;
        }
        if !server.replica.current(generation) {
            return false;
        }
        waited = true;
        std::thread::sleep(Duration::from_millis((p.end_ms - now).clamp(1, 10) as u64));
    }
    if waited {
        // The master was not silent, this side was: no timeout for the wait.
        server.replica.last_io_ms.store(rhodium_storage::clock::now_ms(), Ordering::Relaxed);
    }
    true
}
