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
                    run_admitted(&server, &mut client, argv, lookup, &mut out).await;
                    apply_reply_mode(&mut client, &mut out, mark);
                    if let Some(d) = client.sleep_after.take() {
                        tokio::time::sleep(d).await;
                    }
                    handle.last_interaction_ms.store(rhodium_storage::clock::now_ms(), Ordering::Relaxed);
                    if client.close_after_reply || handle.killed() {
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
        if !out.is_empty() {
            Stats::incr(&server.stats.net_output_bytes, out.len() as u64);
            if stream.write_all(out.as_bytes()).await.is_err() {
                break;
            }
            out.clear();
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
    let _ = stream.shutdown().await;
    server.clients.remove(handle.id);
}

/// Runs one command once a running script lets it: -BUSY past `busy-reply-threshold`,
/// otherwise under the world's shared lock so no command interleaves with a script.
/// STAND-IN until `dispatch::Atomic` replaces the world lock (see `scripting::host`).
async fn run_admitted(server: &Server, client: &mut ClientState, argv: rhodium_protocol::Argv, lookup: Lookup, out: &mut rhodium_protocol::ReplyWriter) {
    let Lookup::Found(r) = lookup else {
        dispatch::execute_looked_up(server, client, argv, lookup, out);
        return;
    };
    if crate::scripting::runs_script(r.spec) {
        // Takes the world exclusively itself; waits here rather than in a runtime thread.
        loop {
            match crate::scripting::admit(server, r.spec).await {
                crate::scripting::Admission::Busy(msg) => {
                    out.error(msg);
                    return;
                }
                crate::scripting::Admission::Go { .. } => {}
            }
            if !server.scripting.run.running.load(Ordering::Acquire) {
                // A script may run long: hand this worker's other tasks to another thread
                // so connections keep being served (-BUSY, SCRIPT KILL).
                tokio::task::block_in_place(|| dispatch::execute_looked_up(server, client, argv, lookup, out));
                return;
            }
        }
    }
    loop {
        match crate::scripting::admit(server, r.spec).await {
            crate::scripting::Admission::Busy(msg) => {
                out.error(msg);
                return;
            }
            crate::scripting::Admission::Go { unlocked: true } => {
                dispatch::execute_looked_up(server, client, argv, lookup, out);
                return;
            }
            crate::scripting::Admission::Go { unlocked: false } => {}
        }
        if let Some(guard) = server.scripting.world.try_shared() {
            dispatch::execute_looked_up(server, client, argv, Lookup::Found(r), out);
            drop(guard);
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(1)).await;
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
