//! One client connection: read what arrived, run every complete request in it, write all
//! replies with one write (pipelining), repeat.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use bytes::BytesMut;
use rhodium_protocol::{Limits, ReplyWriter, RequestParser, Resp};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use super::clients::{ClientHandle, ClientState};
use crate::dispatch;
use crate::state::{Server, Stats};

const READ_CHUNK: usize = 16 * 1024;

/// Serves a connection until the client leaves, is killed, or sends garbage.
pub async fn serve<S: AsyncRead + AsyncWrite + Unpin>(server: Arc<Server>, mut stream: S, handle: Arc<ClientHandle>) {
    let authenticated = server.config().requirepass.is_none();
    let mut client = ClientState { handle: handle.clone(), db: 0, resp: Resp::V2, authenticated, close_after_reply: false };
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
                    handle.last_interaction_ms.store(rhodium_storage::clock::now_ms(), Ordering::Relaxed);
                    out.set_resp(client.resp);
                    dispatch::execute(&server, &mut client, argv, &mut out);
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
