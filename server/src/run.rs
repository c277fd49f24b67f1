//! Starting and stopping the server: log lines tools wait for, listeners, signals,
//! pidfile, shutdown.

use std::sync::Arc;

use crate::config::Config;
use crate::log;
use crate::net::listener;
use crate::state::{Server, ShutdownKind};
use crate::{log_notice, log_warning};

/// Runs the server until it is shut down. Returns the process exit code.
pub fn run(config: Config, config_given: bool) -> anyhow::Result<i32> {
    if config.daemonize {
        daemonize()?;
    }
    log::set_level(config.loglevel);
    if let Err(e) = log::set_file(&config.logfile) {
        eprintln!("Can't open the log file: {e}");
        return Ok(1);
    }
    let pid = std::process::id();
    log_warning!("oO0OoO0OoO0Oo Rhodium is starting oO0OoO0OoO0Oo");
    log_warning!("Rhodium version={}, redis_version={}, bits=64, commit=00000000, modified=0, pid={}, just started", crate::RHODIUM_VERSION, crate::REDIS_VERSION, pid);
    if config_given {
        log_warning!("Configuration loaded");
    } else {
        log_warning!("Warning: no config file specified, using the default config. In order to specify a config file use rhodium-server /path/to/redis.conf");
    }
    if !config.dir.is_empty() {
        if let Err(e) = std::env::set_current_dir(&config.dir) {
            log_warning!("Can't chdir to '{}': {}", config.dir, e);
            return Ok(1);
        }
    }
    let threads = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(threads).enable_all().thread_name("rhodium-io").build()?;
    let code = rt.block_on(serve(config));
    // A script still running (SHUTDOWN NOSAVE during an unkillable script) must not
    // hold the exit: do not wait for runtime threads.
    rt.shutdown_background();
    code
}

async fn serve(config: Config) -> anyhow::Result<i32> {
    let pidfile = if config.pidfile.is_empty() && config.daemonize { "/var/run/redis.pid".to_string() } else { config.pidfile.clone() };
    let show_logo = config.always_show_logo;
    let server = Server::new(config);
    log::set_role(b'M');
    let tcp = match listener::bind_tcp(&server.config()) {
        Ok(l) => l,
        Err(e) => {
            log_warning!("{}", e);
            return Ok(1);
        }
    };
    let unix = match listener::bind_unix(&server) {
        Ok(u) => u,
        Err(e) => {
            log_warning!("{}", e);
            return Ok(1);
        }
    };
    let port = server.config().port;
    if show_logo {
        log::raw(&logo(port));
    } else {
        log_notice!("Running mode=standalone, port={}.", port);
    }
    if !pidfile.is_empty() {
        if let Err(e) = std::fs::write(&pidfile, format!("{}\n", std::process::id())) {
            log_warning!("Failed to write PID file: {}", e);
        }
    }
    log_warning!("Server initialized");
    // Clients are served while the dataset loads: they get -LOADING until the readiness
    // lines below are logged, so whoever sees a reply also finds them in the log.
    server.loading.store(true, std::sync::atomic::Ordering::Release);
    listener::serve_tcp(&server, tcp);
    let unix_path = unix.is_some().then(|| server.config().unixsocket.clone());
    if let Some(u) = unix {
        tokio::spawn(listener::accept_unix(server.clone(), u));
    }
    let loader = server.clone();
    let loaded = tokio::task::spawn_blocking(move || crate::persistence::load_at_startup(&loader)).await.unwrap_or(false);
    if !loaded {
        return Ok(1);
    }
    tokio::spawn(crate::cron::run(server.clone()));
    log_notice!("Ready to accept connections");
    if let Some(path) = unix_path {
        log_notice!("The server is now ready to accept connections at {}", path);
    }
    server.loading.store(false, std::sync::atomic::Ordering::Release);
    // As Redis, a configured replica connects to its master once its own data is loaded
    // (the loaded RDB's replication id and offset let it ask for a partial resync).
    crate::replication::replica::start_from_config(&server);

    let kind = wait_for_shutdown(&server).await;
    Ok(finish_shutdown(&server, kind, &pidfile))
}

async fn wait_for_shutdown(server: &Arc<Server>) -> ShutdownKind {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = signal(SignalKind::terminate()).ok();
    let mut int = signal(SignalKind::interrupt()).ok();
    loop {
        if let Some(kind) = server.shutdown_requested() {
            return kind;
        }
        tokio::select! {
            _ = async { match term.as_mut() { Some(s) => { s.recv().await; } None => std::future::pending().await } } => {
                log_warning!("Received SIGTERM scheduling shutdown...");
                log_warning!("User requested shutdown...");
                return ShutdownKind::Default;
            }
            _ = async { match int.as_mut() { Some(s) => { s.recv().await; } None => std::future::pending().await } } => {
                log_warning!("Received SIGINT scheduling shutdown...");
                log_warning!("User requested shutdown...");
                return ShutdownKind::Default;
            }
            _ = server.shutdown_notify.notified() => {}
        }
    }
}

/// Saves when Redis would (SHUTDOWN SAVE, or save points configured and no NOSAVE), removes
/// the socket and pid files; returns the exit code (1 when the final save failed).
fn finish_shutdown(server: &Server, kind: ShutdownKind, pidfile: &str) -> i32 {
    let cfg = server.config();
    let save = kind == ShutdownKind::Save || (kind == ShutdownKind::Default && crate::persistence::has_save_points(&cfg));
    crate::replication::replica::stop_for_shutdown(server);
    crate::aof::shutdown(server);
    let code = if save && !crate::persistence::save_for_shutdown(server) { 1 } else { 0 };
    if !cfg.unixsocket.is_empty() {
        let _ = std::fs::remove_file(&cfg.unixsocket);
    }
    if !pidfile.is_empty() {
        log_notice!("Removing the pid file.");
        let _ = std::fs::remove_file(pidfile);
    }
    log_warning!("Rhodium is now ready to exit, bye bye...");
    code
}

fn daemonize() -> anyhow::Result<()> {
    // SAFETY: called before any thread is started; the parent exits immediately.
    unsafe {
        match libc::fork() {
            -1 => anyhow::bail!("fork failed"),
            0 => {}
            _ => libc::_exit(0),
        }
        libc::setsid();
        let fd = libc::open(c"/dev/null".as_ptr(), libc::O_RDWR);
        if fd != -1 {
            libc::dup2(fd, 0);
            libc::dup2(fd, 1);
            libc::dup2(fd, 2);
            if fd > 2 {
                libc::close(fd);
            }
        }
    }
    Ok(())
}

fn logo(port: u16) -> String {
    format!(
        "                _._\n           _.-``__ ''-._\n      _.-``    `.  `_.  ''-._           Rhodium {} (Redis {} compatible) 64 bit\n  .-`` .-```.  ```\\/    _.,_ ''-._\n (    '      ,       .-`  | `,    )     Running in standalone mode\n |`-._`-...-` __...-.``-._|'` _.-'|     Port: {}\n |    `-._   `._    /     _.-'    |     PID: {}\n  `-._    `-._  `-./  _.-'    _.-'\n      `-._    `-.__.-'    _.-'\n          `-._        _.-'\n              `-.__.-'\n\n",
        crate::RHODIUM_VERSION,
        crate::REDIS_VERSION,
        port,
        std::process::id()
    )
}
