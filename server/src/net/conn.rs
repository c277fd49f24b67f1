//! One client connection: read what arrived, run every complete request in it, write all
//! replies with one write (pipelining), repeat.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use bytes::BytesMut;
use rhodium_protocol::{Limits, ReplyWriter, RequestParser, Resp};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use super::clients::{ClientHandle, ClientState, ReplyMode};
use crate::commands::spec::{flags, CommandSpec};
use crate::commands::table::Lookup;
use crate::blocking::Waiter;
use crate::dispatch;
use crate::state::{Server, Stats};

const READ_CHUNK: usize = 16 * 1024;

/// Serves a connection until the client leaves, is killed, or sends garbage.
pub async fn serve<S: AsyncRead + AsyncWrite + Unpin>(server: Arc<Server>, mut stream: S, handle: Arc<ClientHandle>) {
    let authenticated = server.config().requirepass.is_none();
    let mut client = ClientState::new(handle.clone(), authenticated);
    let mut rbuf = BytesMut::with_capacity(READ_CHUNK);
    let mut parser = RequestParser::new();
    let mut out = ReplyWriter::new(Resp::V2);
    loop {
        let want = parser.bytes_wanted(rbuf.len()).max(READ_CHUNK);
        if rbuf.capacity() - rbuf.len() < want {
            rbuf.reserve(want);
        }
        let n = tokio::select! {
            biased;
            r = stream.read_buf(&mut rbuf) => match r {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            },
            _ = handle.kill_notify.notified() => break,
            // Only a client that ever subscribed, or speaks RESP3 (client-side caching
            // pushes), has messages to wait for.
            _ = handle.outbox.notify.notified(), if client.pubsub.is_some() || client.resp == Resp::V3 => {
                let taken = handle.outbox.take_into(out.buffer_mut());
                let ok = flush(&server, &mut stream, &handle, &mut out, taken).await;
                if !ok || handle.killed() {
                    break;
                }
                continue;
            }
        };
        if handle.killed() {
            break;
        }
        Stats::incr(&server.stats.net_input_bytes, n as u64);
        let cfg = server.config();
        let max_bulk_len = cfg.proto_max_bulk_len;
        let qlimit = cfg.client_query_buffer_limit as usize;
        drop(cfg);
        let mut close = false;
        let mut pushed = 0;
        loop {
            // Per request: an AUTH earlier in the same read lifts the unauthenticated limits.
            let limits = Limits { max_bulk_len, authenticated: client.authenticated };
            match parser.next(&mut rbuf, &limits) {
                Ok(Some(argv)) => {
                    let lookup = server.table.lookup(&argv);
                    let resolved = match lookup {
                        Lookup::Found(r) => Some(r),
                        _ => None,
                    };
                    if let Some(r) = resolved {
                        wait_while_paused(&server, &handle, r.spec).await;
                        if handle.killed() {
                            close = true;
                            break;
                        }
                    }
                    *handle.last_cmd.lock() = resolved.map(|r| r.fullname).unwrap_or("NULL");
                    out.set_resp(client.resp);
                    let mark = out.len();
                    let pushed_first = run_admitted(&server, &mut client, argv, lookup, &mut out).await;
                    if let Some(waiter) = client.block.parked.take() {
                        // The replies before the blocked command go out first, as Redis
                        // writes them before it waits.
                        if !flush(&server, &mut stream, &handle, &mut out, pushed).await {
                            server.blocking.cancel(&server, &waiter);
                            close = true;
                            break;
                        }
                        pushed = 0;
                        match park(&server, &mut stream, &mut rbuf, &handle, &waiter, qlimit).await {
                            Some(reply) => out.raw(&reply),
                            None => {
                                close = true;
                                break;
                            }
                        }
                        apply_reply_mode(&mut client, &mut out, 0);
                    } else {
                        apply_reply_mode(&mut client, &mut out, mark + pushed_first);
                    }
                    if client.pubsub.is_some() || (client.resp == Resp::V3 && handle.omem.load(Ordering::Relaxed) > 0) {
                        // Messages published meanwhile follow this command's reply.
                        pushed += handle.outbox.take_into(out.buffer_mut());
                    }
                    if let Some(d) = client.sleep_after.take() {
                        tokio::time::sleep(d).await;
                    }
                    handle.last_interaction_ms.store(rhodium_storage::clock::now_ms(), Ordering::Relaxed);
                    if client.close_after_reply || handle.killed() || client.handoff.is_some() {
                        close = true;
                        break;
                    }
                }
                Ok(None) => break,
                Err(e) => {
                    crate::log_verbose!("Protocol error ({}) from client: id={} addr={}", e, handle.id, handle.addr.display());
                    out.raw(&e.reply_line());
                    Stats::incr(&server.stats.total_error_replies, 1);
                    *server.stats.errors_by_code.lock().entry("ERR".into()).or_insert(0) += 1;
                    close = true;
                    break;
                }
            }
        }
        // Client-side caching BCAST messages for the keys this batch changed (Redis sends
        // them before it writes the replies); this client's own follow its replies.
        server.tracking.broadcast(&server);
        if client.resp == Resp::V3 && handle.omem.load(Ordering::Relaxed) > 0 {
            pushed += handle.outbox.take_into(out.buffer_mut());
        }
        if out.len() > READ_CHUNK && server.pubsub.normal_reply_over_limit(&handle, out.len()) {
            break;
        }
        if !flush(&server, &mut stream, &handle, &mut out, pushed).await {
            break;
        }
        // SYNC/PSYNC: the connection now belongs to the replication code.
        if let Some(h) = client.handoff.take() {
            crate::replication::primary::serve_replica(&server, &mut stream, &mut rbuf, &mut client, h).await;
            break;
        }
        if close {
            break;
        }
        if rbuf.len() > qlimit {
            crate::log_warning!("Closing client that reached max query buffer length: id={} addr={} qbuf={}", handle.id, handle.addr.display(), rbuf.len());
            break;
        }
        handle.qbuf.store(rbuf.len() as u64, Ordering::Relaxed);
    }
    server.pubsub.unsubscribe_all(&mut client);
    server.tracking.disable(&server, &handle);
    let _ = stream.shutdown().await;
    crate::commands::tx::discard_transaction(&server, &mut client);
    server.clients.remove(handle.id);
}

/// Writes the pending output; `pushed` of its bytes were pub/sub messages, counted in
/// `omem` until written. A kill (e.g. for the output buffer limit) interrupts a write
/// to a client that stopped reading. False when the connection must close.
async fn flush<S: AsyncWrite + Unpin>(server: &Server, stream: &mut S, handle: &ClientHandle, out: &mut ReplyWriter, pushed: usize) -> bool {
    if out.is_empty() {
        return true;
    }
    // `appendfsync always`: no reply leaves before the writes appended so far are on
    // disk (one relaxed load under any other policy).
    if let Some(target) = server.aof.reply_barrier() {
        server.aof.wait_reply(target).await;
    }
    Stats::incr(&server.stats.net_output_bytes, out.len() as u64);
    let ok = tokio::select! {
        biased;
        r = stream.write_all(out.as_bytes()) => r.is_ok(),
        _ = handle.kill_notify.notified() => false,
    };
    out.clear();
    if pushed > 0 {
        handle.omem.fetch_sub(pushed as u64, Ordering::Relaxed);
    }
    ok
}

/// Waits, without holding a runtime thread, until a blocked command is served, times
/// out or is unblocked, and returns its reply; `None` when the client disconnects or is
/// killed meanwhile (it is then removed from the waiters). Bytes the client sends while
/// blocked are kept for after, as Redis does.
async fn park<S: AsyncRead + Unpin>(server: &Server, stream: &mut S, rbuf: &mut BytesMut, handle: &ClientHandle, waiter: &Arc<Waiter>, qlimit: usize) -> Option<Vec<u8>> {
    loop {
        let notified = waiter.notify.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        if let Some(reply) = waiter.take_reply() {
            return Some(reply);
        }
        let mut left = None;
        if waiter.deadline_ms > 0 {
            let now = rhodium_storage::clock::now_ms();
            if waiter.deadline_ms <= now {
                if let Some(reply) = server.blocking.time_out(server, waiter) {
                    return Some(reply);
                }
                // Being served right now: its reply is on the way.
                notified.await;
                continue;
            }
            left = Some(std::time::Duration::from_millis((waiter.deadline_ms - now) as u64));
        }
        if rbuf.capacity() - rbuf.len() < READ_CHUNK {
            rbuf.reserve(READ_CHUNK);
        }
        tokio::select! {
            _ = &mut notified => {}
            _ = tokio::time::sleep(left.unwrap_or_default()), if left.is_some() => {}
            r = stream.read_buf(rbuf) => match r {
                Ok(n) if n > 0 && rbuf.len() <= qlimit => Stats::incr(&server.stats.net_input_bytes, n as u64),
                _ => {
                    server.blocking.cancel(server, waiter);
                    return None;
                }
            },
            _ = handle.kill_notify.notified() => {
                server.blocking.cancel(server, waiter);
                return None;
            }
        }
    }
}

/// Runs one command once a running script lets it (see [`crate::scripting::admission`])
/// and the world lock is free: dispatch never waits in that lock, it hands the request
/// back and the wait happens here ([`crate::scripting::wait_turn`]), so a long script never
/// ties up the runtime's threads and -BUSY / SCRIPT KILL keep being served. A command that
/// runs a script (or an EXEC whose queue holds one) runs off the async workers.
async fn run_admitted(server: &Server, client: &mut ClientState, mut argv: rhodium_protocol::Argv, lookup: Lookup, out: &mut ReplyWriter) -> usize {
    let Lookup::Found(r) = lookup else {
        return dispatch::execute_looked_up(server, client, argv, lookup, out);
    };
    let runs_script = |spec: &CommandSpec| crate::scripting::runs_script(spec);
    loop {
        match crate::scripting::admission(server, r.spec, &argv) {
            crate::scripting::Admission::Go => {}
            crate::scripting::Admission::Wait => {
                crate::scripting::wait_turn(server).await;
                continue;
            }
            crate::scripting::Admission::Busy(msg) => {
                dispatch::reject_busy(server, client, r, out, msg);
                return 0;
            }
        }
        let long = runs_script(r.spec) || (r.spec.name == "exec" && client.tx.queued().iter().any(|a| matches!(server.table.lookup(a), Lookup::Found(q) if runs_script(q.spec))));
        let attempt = if long {
            // Hand this worker's other tasks to another thread while the script runs.
            tokio::task::block_in_place(|| dispatch::try_execute_looked_up(server, client, argv, Lookup::Found(r), out))
        } else {
            dispatch::try_execute_looked_up(server, client, argv, Lookup::Found(r), out)
        };
        match attempt {
            Ok(pushed) => return pushed,
            Err(d) => {
                argv = d.argv;
                crate::scripting::wait_turn(server).await;
            }
        }
    }
}

/// Waits, without blocking a runtime thread, while a CLIENT PAUSE applies to `spec`
/// (every command under ALL; writes and may-replicate commands under WRITE), as Redis
/// postpones paused clients. Returns when the pause ends, is lifted, or the client is killed.
async fn wait_while_paused(server: &Server, handle: &ClientHandle, spec: &CommandSpec) {
    if !server.maybe_paused() {
        return;
    }
    loop {
        // Registered before the check so an UNPAUSE between the two is not missed.
        let unpaused = server.pause_notify.notified();
        tokio::pin!(unpaused);
        unpaused.as_mut().enable();
        let now = rhodium_storage::clock::now_ms();
        let Some(p) = server.current_pause(now) else {
            return;
        };
        if !p.all && !spec.has(flags::WRITE | flags::MAY_REPLICATE) {
            return;
        }
        let left = std::time::Duration::from_millis((p.end_ms - now).max(1) as u64);
        tokio::select! {
            _ = unpaused => {}
            _ = tokio::time::sleep(left) => {}
            _ = handle.kill_notify.notified() => {
                // Re-arm the notification for the main loop's own check.
                handle.kill_notify.notify_one();
                return;
            }
        }
    }
}

/// Applies CLIENT REPLY OFF/SKIP to the reply just written (from `mark` on), then advances
/// SKIP NEXT to SKIP for the next command (Redis's `resetClient`).
fn apply_reply_mode(client: &mut ClientState, out: &mut ReplyWriter, mark: usize) {
    match client.reply {
        ReplyMode::Off => out.truncate(mark),
        ReplyMode::Skip => {
            out.truncate(mark);
            client.reply = ReplyMode::On;
        }
        ReplyMode::SkipNext => client.reply = ReplyMode::Skip,
        ReplyMode::On => {}
    }
}
