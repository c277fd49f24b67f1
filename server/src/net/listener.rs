//! Listening sockets: TCP on every `bind` address and the optional Unix socket.

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::{TcpListener, UnixListener};

use super::clients::{ClientHandle, Peer};
use crate::config::Config;
use super::conn;
use crate::state::{Server, Stats};

/// Binds every address of `cfg`. Addresses prefixed with '-' are optional (skipped if
/// unavailable), as in Redis.
pub fn bind_tcp(cfg: &Config) -> anyhow::Result<Vec<TcpListener>> {
    let mut out = Vec::new();
    if cfg.port == 0 {
        return Ok(out);
    }
    for addr in &cfg.bind {
        let (optional, host) = match addr.strip_prefix('-') {
            Some(h) => (true, h),
            None => (false, addr.as_str()),
        };
        let ips: Vec<std::net::IpAddr> = match host {
            "*" => vec!["0.0.0.0".parse()?],
            "::*" => vec!["::".parse()?],
            h => match h.parse() {
                Ok(ip) => vec![ip],
                Err(_) if optional => continue,
                Err(e) => anyhow::bail!("Invalid bind address '{h}': {e}"),
            },
        };
        for ip in ips {
            let sa = SocketAddr::new(ip, cfg.port);
            match listen_tcp(sa, cfg.tcp_backlog) {
                Ok(l) => out.push(l),
                Err(e) if optional => crate::log_verbose!("Skipping optional bind {sa}: {e}"),
                Err(e) => {
                    crate::log_warning!("Warning: Could not create server TCP listening socket {}:{}: {}", host, cfg.port, e);
                    anyhow::bail!("Failed listening on port {} (tcp), aborting.", cfg.port);
                }
            }
        }
    }
    Ok(out)
}

fn listen_tcp(addr: SocketAddr, backlog: u32) -> std::io::Result<TcpListener> {
    let domain = if addr.is_ipv4() { socket2::Domain::IPV4 } else { socket2::Domain::IPV6 };
    let s = socket2::Socket::new(domain, socket2::Type::STREAM, Some(socket2::Protocol::TCP))?;
    s.set_reuse_address(true)?;
    if addr.is_ipv6() {
        s.set_only_v6(true)?;
    }
    s.set_nonblocking(true)?;
    s.bind(&addr.into())?;
    s.listen(backlog.max(1) as i32)?;
    TcpListener::from_std(s.into())
}

/// Starts accepting on `listeners` (at startup).
pub fn serve_tcp(server: &Arc<Server>, listeners: Vec<TcpListener>) {
    let mut tasks = server.tcp_accept_tasks.lock();
    for l in listeners {
        tasks.push(tokio::spawn(accept_tcp(server.clone(), l)));
    }
}

/// Moves the TCP listeners from `old` to `new` addresses (CONFIG SET port/bind), as Redis
/// does: the old sockets are closed, the new ones bound, and if that fails the old ones
/// are bound again. Connections already established stay open.
pub fn rebind_tcp(server: &Arc<Server>, old: &Config, new: &Config) -> anyhow::Result<()> {
    let tasks: Vec<_> = server.tcp_accept_tasks.lock().drain(..).collect();
    for t in &tasks {
        t.abort();
    }
    // Wait until the aborted accept loops have dropped their sockets, so the same
    // address can be bound again.
    if let Ok(rt) = tokio::runtime::Handle::try_current() {
        tokio::task::block_in_place(|| {
            rt.block_on(async {
                for t in tasks {
                    let _ = t.await;
                }
            })
        });
    }
    match bind_tcp(new) {
        Ok(ls) => {
            serve_tcp(server, ls);
            Ok(())
        }
        Err(e) => {
            match bind_tcp(old) {
                Ok(ls) => serve_tcp(server, ls),
                Err(e2) => crate::log_warning!("Failed to restore the old listening sockets: {}", e2),
            }
            Err(e)
        }
    }
}

/// Binds the Unix socket if configured.
pub fn bind_unix(server: &Server) -> anyhow::Result<Option<UnixListener>> {
    let cfg = server.config();
    if cfg.unixsocket.is_empty() {
        return Ok(None);
    }
    let _ = std::fs::remove_file(&cfg.unixsocket);
    let l = UnixListener::bind(&cfg.unixsocket).map_err(|e| anyhow::anyhow!("Failed opening Unix socket: {e}"))?;
    if cfg.unixsocketperm != 0 {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&cfg.unixsocket, std::fs::Permissions::from_mode(cfg.unixsocketperm))?;
    }
    Ok(Some(l))
}

fn new_handle(server: &Server, addr: Peer, laddr: Peer, fd: i32) -> Arc<ClientHandle> {
    Arc::new(ClientHandle::new(server.clients.next_id(), addr, laddr, fd))
}

/// Refuses a connection the way Redis does (an error line, then close). Returns true if
/// the connection was refused.
async fn refuse_if_needed<W: tokio::io::AsyncWrite + Unpin>(server: &Server, stream: &mut W, peer: &Peer) -> bool {
    use tokio::io::AsyncWriteExt;
    let cfg = server.config();
    if server.clients.len() as u64 >= cfg.maxclients {
        Stats::incr(&server.stats.rejected_connections, 1);
        let _ = stream.write_all(b"-ERR max number of clients reached\r\n").await;
        return true;
    }
    if cfg.protected_mode && cfg.requirepass.is_none() && !peer.is_loopback() && cfg.bind.iter().any(|b| b == "*" || b == "-::*" || b == "0.0.0.0") {
        Stats::incr(&server.stats.rejected_connections, 1);
        let _ = stream.write_all(PROTECTED_MODE_MSG.as_bytes()).await;
        return true;
    }
    false
}

const PROTECTED_MODE_MSG: &str = "-DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user. In this mode connections are only accepted from the loopback interface. If you want to connect from external computers to Redis you may adopt one of the following solutions: 1) Just disable protected mode sending the command 'CONFIG SET protected-mode no' from the loopback interface by connecting to Redis from the same host the server is running, however MAKE SURE Redis is not publicly accessible from internet if you do so. Use CONFIG REWRITE to make this change permanent. 2) Alternatively you can just disable the protected mode by editing the Redis configuration file, and setting the protected mode option to 'no', and then restarting the server. 3) If you started the server manually just for testing, restart it with the '--protected-mode no' option. 4) Set up an authentication password for the default user. NOTE: You only need to do one of the above things in order for the server to start accepting connections from the outside.\r\n";

/// Accepts TCP connections forever.
pub async fn accept_tcp(server: Arc<Server>, listener: TcpListener) {
    let laddr = listener.local_addr().ok();
    loop {
        let (mut stream, addr) = match listener.accept().await {
            Ok(x) => x,
            Err(e) => {
                crate::log_warning!("Accepting client connection: {e}");
                tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                continue;
            }
        };
        Stats::incr(&server.stats.total_connections_received, 1);
        let peer = Peer::Tcp(addr);
        if refuse_if_needed(&server, &mut stream, &peer).await {
            continue;
        }
        let _ = stream.set_nodelay(true);
        let keepalive = server.config().tcp_keepalive;
        if keepalive > 0 {
            let sock = socket2::SockRef::from(&stream);
            let ka = socket2::TcpKeepalive::new().with_time(std::time::Duration::from_secs(keepalive)).with_interval(std::time::Duration::from_secs((keepalive / 3).max(1)));
            let _ = sock.set_tcp_keepalive(&ka);
        }
        use std::os::fd::AsRawFd;
        let fd = stream.as_raw_fd();
        let local = stream.local_addr().ok().or(laddr).map(Peer::Tcp).unwrap_or(Peer::Unix(String::new()));
        let handle = new_handle(&server, peer, local, fd);
        server.clients.add(handle.clone());
        crate::log_verbose!("Accepted {}", handle.addr.display());
        tokio::spawn(conn::serve(server.clone(), stream, handle));
    }
}

/// Accepts Unix socket connections forever.
pub async fn accept_unix(server: Arc<Server>, listener: UnixListener) {
    let path = server.config().unixsocket.clone();
    loop {
        let (mut stream, _) = match listener.accept().await {
            Ok(x) => x,
            Err(e) => {
                crate::log_warning!("Accepting client connection: {e}");
                tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                continue;
            }
        };
        Stats::incr(&server.stats.total_connections_received, 1);
        let peer = Peer::Unix(path.clone());
        if refuse_if_needed(&server, &mut stream, &peer).await {
            continue;
        }
        use std::os::fd::AsRawFd;
        let fd = stream.as_raw_fd();
        let handle = new_handle(&server, peer, Peer::Unix(path.clone()), fd);
        server.clients.add(handle.clone());
        crate::log_verbose!("Accepted connection to {}", path);
        tokio::spawn(conn::serve(server.clone(), stream, handle));
    }
}
