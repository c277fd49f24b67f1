//! Starting and stopping as tools expect: logo with the pid, readiness line, pidfile,
//! graceful SIGTERM/SIGINT/SHUTDOWN with Redis's log lines.

use std::time::Duration;

use rhodium_it::{wait_until, TestServer};

fn start_with_pidfile() -> TestServer {
    TestServer::start(&["--pidfile", "server.pid", "--always-show-logo", "yes", "--unixsocket", "server.sock"])
}

fn assert_started(s: &TestServer) {
    let pidfile = s.dir.path().join("server.pid");
    wait_until(Duration::from_secs(5), "pidfile", || pidfile.exists());
    assert_eq!(std::fs::read_to_string(&pidfile).unwrap().trim(), s.pid().to_string());
    let log = s.log();
    assert!(log.contains(&format!("PID: {}", s.pid())), "{log}");
    assert!(log.contains("Server initialized"), "{log}");
    assert!(log.contains("Ready to accept connections"), "{log}");
    assert!(s.dir.path().join("server.sock").exists());
}

fn assert_stopped(s: &mut TestServer, lines: &[&str]) {
    let status = s.wait_exit(Duration::from_secs(10)).unwrap_or_else(|| panic!("server did not exit; log:\n{}", s.log()));
    assert!(status.success(), "exit status {status}");
    let log = s.log();
    for l in lines {
        assert!(log.contains(l), "missing {l:?} in log:\n{log}");
    }
    assert!(log.contains("Removing the pid file."), "{log}");
    assert!(log.contains("ready to exit, bye bye"), "{log}");
    assert!(!s.dir.path().join("server.pid").exists(), "pidfile left behind");
    assert!(!s.dir.path().join("server.sock").exists(), "unix socket left behind");
}

#[test]
fn sigterm_shuts_down_gracefully() {
    let mut s = start_with_pidfile();
    assert_started(&s);
    let _idle = s.raw();
    s.signal("TERM");
    assert_stopped(&mut s, &["Received SIGTERM scheduling shutdown...", "User requested shutdown..."]);
}

#[test]
fn sigint_shuts_down_gracefully() {
    let mut s = start_with_pidfile();
    assert_started(&s);
    s.signal("INT");
    assert_stopped(&mut s, &["Received SIGINT scheduling shutdown...", "User requested shutdown..."]);
}

#[test]
fn shutdown_command_closes_the_connection_and_exits() {
    let mut s = start_with_pidfile();
    assert_started(&s);
    let mut c = s.raw();
    c.send(&["SHUTDOWN", "NOSAVE", "NOW"]).unwrap();
    assert!(c.read_reply().is_err(), "SHUTDOWN must not reply");
    assert_stopped(&mut s, &["User requested shutdown..."]);
}

#[test]
fn shutdown_abort_without_shutdown_keeps_running() {
    let mut s = start_with_pidfile();
    let mut c = s.raw();
    assert_eq!(c.cmd(&["SHUTDOWN", "ABORT"]).unwrap().as_str(), "ERR No shutdown in progress.");
    assert_eq!(c.cmd(&["PING"]).unwrap().as_str(), "PONG");
    assert!(s.wait_exit(Duration::from_millis(50)).is_none());
}
