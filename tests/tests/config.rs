//! Configuration: CONFIG GET/SET/RESETSTAT/REWRITE/HELP, startup errors, config files
//! (include, units, aliases, stdin), differential against redis-server 7.0.15.
//!
//! Known, deliberate differences, excluded from the comparisons below:
//! - `port` and `dir`: each server runs on its own port in its own temp dir.
//! - The order of several CONFIG GET matches and of the directives CONFIG REWRITE
//!   appends: Redis follows its hash table's order; Rhodium the registry's. Multi-match
//!   replies and appended lines are compared as sets.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use rhodium_it::{diff, free_port, redis_available, rhodium_bin, wait_until, RawConn, Reply, TestServer};

/// CONFIG GET's reply as name -> value.
fn config_map(conn: &mut RawConn, pattern: &str) -> BTreeMap<String, String> {
    let r = conn.cmd(&["CONFIG", "GET", pattern]).expect("CONFIG GET");
    let Reply::Array(Some(items)) = r else { panic!("CONFIG GET replied {r:?}") };
    items.chunks(2).map(|kv| (kv[0].as_str(), kv[1].as_str())).collect()
}

#[test]
fn get_star_lists_the_same_directives_and_defaults_as_redis() {
    let Some(p) = diff::Pair::start(&[]) else { return };
    let mut ours = config_map(&mut p.ours.raw(), "*");
    let mut theirs = config_map(&mut p.theirs.raw(), "*");
    for skip in ["port", "dir"] {
        assert!(ours.remove(skip).is_some() && theirs.remove(skip).is_some(), "{skip} missing");
    }
    assert_eq!(ours.keys().collect::<Vec<_>>(), theirs.keys().collect::<Vec<_>>());
    assert_eq!(ours, theirs);
    // Multi-match patterns, compared as sets.
    for pat in ["*max*", "slave*", "*-ziplist-*", "?z", "[a-c]ind", "*DELAY*"] {
        assert_eq!(config_map(&mut p.ours.raw(), pat), config_map(&mut p.theirs.raw(), pat), "pattern {pat}");
    }
}

#[test]
fn get_set_and_errors_match_redis() {
    diff::check(
        r#"
        CONFIG GET hz
        CONFIG GET HZ
        CONFIG GET slave-read-only
        CONFIG GET rdb-key-save-delay
        CONFIG GET rdb-key-save-*
        CONFIG GET nosuch
        CONFIG GET nosuch*
        CONFIG GET hz hz
        CONFIG SET hz 20
        CONFIG GET hz
        CONFIG SET hz 1000
        CONFIG GET hz
        CONFIG SET hz 0
        CONFIG GET hz
        CONFIG SET hz -1
        CONFIG SET hz 0x10
        CONFIG SET foo bar
        CONFIG SET port abc
        CONFIG SET port 70000
        CONFIG SET daemonize yes
        CONFIG SET hz 20 hz 30
        CONFIG SET hz 20 HZ 30
        CONFIG SET timeout 5 foo 1
        CONFIG SET foo 1 daemonize yes
        CONFIG SET hz
        CONFIG SET hz 1 timeout
        CONFIG SET maxmemory 1x timeout 5
        CONFIG SET timeout 5 maxmemory 1x
        CONFIG GET timeout
        CONFIG SET timeout 7 maxmemory 2mb
        CONFIG GET timeout
        CONFIG GET maxmemory
        CONFIG SET maxmemory 0
        CONFIG SET save 1
        CONFIG SET save "a b"
        CONFIG SET save ""
        CONFIG GET save
        CONFIG SET save "10 20 30 40"
        CONFIG GET save
        CONFIG SET slave-read-only no
        CONFIG GET replica-read-only
        CONFIG SET replica-read-only no slave-read-only yes
        CONFIG GET replica-read-only
        CONFIG SET maxmemory-clients 10%
        CONFIG GET maxmemory-clients
        CONFIG SET maxmemory-clients 200%
        CONFIG SET maxmemory-clients -5
        CONFIG SET maxmemory-clients 1kb
        CONFIG GET maxmemory-clients
        CONFIG SET proto-max-bulk-len 1
        CONFIG SET proto-max-bulk-len 2mb
        CONFIG GET proto-max-bulk-len
        CONFIG SET client-query-buffer-limit 1gb
        CONFIG GET client-query-buffer-limit
        CONFIG SET notify-keyspace-events KEA
        CONFIG GET notify-keyspace-events
        CONFIG SET notify-keyspace-events Kx
        CONFIG GET notify-keyspace-events
        CONFIG SET notify-keyspace-events Q
        CONFIG SET notify-keyspace-events ""
        CONFIG SET client-output-buffer-limit "normal 1mb 2k 3"
        CONFIG GET client-output-buffer-limit
        CONFIG SET client-output-buffer-limit "replica 1 2 3"
        CONFIG GET client-output-buffer-limit
        CONFIG SET client-output-buffer-limit "foo 1 2 3"
        CONFIG SET client-output-buffer-limit "normal 1 2"
        CONFIG SET client-output-buffer-limit "normal 1 2 -1"
        CONFIG SET loglevel NOTICE
        CONFIG GET loglevel
        CONFIG SET loglevel x
        CONFIG SET unixsocketperm 700
        CONFIG SET dir /tmp
        CONFIG SET dbfilename x.rdb
        CONFIG SET replicaof "a 1"
        CONFIG SET slaveof "a 1"
        CONFIG SET maxmemory-policy foo
        CONFIG SET maxmemory-policy allkeys-lru
        CONFIG GET maxmemory-policy
        CONFIG SET oom-score-adj-values "1 2"
        CONFIG SET oom-score-adj-values "1 2 5000"
        CONFIG SET oom-score-adj-values "3 2 1"
        CONFIG GET oom-score-adj-values
        CONFIG SET latency-tracking-info-percentiles "1 2.50 99.9000"
        CONFIG GET latency-tracking-info-percentiles
        CONFIG SET latency-tracking-info-percentiles "x"
        CONFIG SET latency-tracking-info-percentiles "200"
        CONFIG SET list-max-ziplist-size 5
        CONFIG GET list-max-listpack-size
        CONFIG SET hash-max-ziplist-value 1kb
        CONFIG GET hash-max-listpack-value
        CONFIG SET appendonly maybe hz 5
        CONFIG SET shutdown-on-sigint "now save"
        CONFIG GET shutdown-on-sigint
        CONFIG SET shutdown-on-sigint zzz
        CONFIG SET proc-title-template "{foo}"
        CONFIG SET proc-title-template "{title} {port}"
        CONFIG GET proc-title-template
        CONFIG SET bind "1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17"
        CONFIG SET tcp-keepalive 60
        CONFIG GET tcp-keepalive
        CONFIG SET slowlog-log-slower-than -2
        CONFIG SET requirepass ""
        CONFIG GET requirepass
        CONFIG GET
        CONFIG
        CONFIG HELP
        CONFIG help
        CONFIG FOO
        CONFIG RESETSTAT x
        CONFIG RESETSTAT
        CONFIG REWRITE
        CONFIG REWRITE x
        "#,
    );
}

#[test]
fn command_info_of_config_matches_redis() {
    let Some(p) = diff::Pair::start(&[]) else { return };
    // The container's own reply lists its subcommands in Redis's hash order, so only the
    // subcommands are compared byte for byte.
    for sub in ["config|get", "config|set", "config|resetstat", "config|rewrite", "config|help"] {
        let a = p.ours.raw().cmd_bytes(&["COMMAND", "INFO", sub]).unwrap();
        if a.starts_with(b"-ERR unknown subcommand 'INFO'") {
            eprintln!("COMMAND INFO is not served by this build: skipped");
            return;
        }
        let b = p.theirs.raw().cmd_bytes(&["COMMAND", "INFO", sub]).unwrap();
        assert_eq!(String::from_utf8_lossy(&a), String::from_utf8_lossy(&b), "COMMAND INFO {sub}");
    }
}

#[test]
fn requirepass_set_at_runtime_applies_to_new_connections() {
    let Some(p) = diff::Pair::start(&[]) else { return };
    for s in [&p.ours, &p.theirs] {
        let mut admin = s.raw();
        assert_eq!(admin.cmd(&["CONFIG", "SET", "requirepass", "sekret"]).unwrap().as_str(), "OK");
        // The connection that set it stays authenticated.
        assert_eq!(admin.cmd(&["PING"]).unwrap().as_str(), "PONG");
    }
    let script = "GET k\nAUTH wrong\nAUTH sekret\nSET k v\nGET k\n";
    let (mut a, mut b) = (p.ours.raw(), p.theirs.raw());
    for line in script.lines() {
        let argv = diff::split(line);
        let ra = a.cmd_bytes(&argv).unwrap();
        let rb = b.cmd_bytes(&argv).unwrap();
        assert_eq!(String::from_utf8_lossy(&ra), String::from_utf8_lossy(&rb), "{line}");
    }
}

#[test]
fn runtime_loglevel_and_hz_take_effect() {
    let s = rhodium_it::TestServer::start(&[]);
    let mut c = s.raw();
    assert_eq!(c.cmd(&["CONFIG", "SET", "loglevel", "warning", "hz", "100", "timeout", "1"]).unwrap().as_str(), "OK");
    assert_eq!(config_map(&mut c, "loglevel")["loglevel"], "warning");
    // timeout 1: an idle client is closed by the cron within a few seconds.
    let mut idle = s.raw();
    assert!(idle.is_closed(Duration::from_secs(10)), "idle client was not closed after CONFIG SET timeout 1");
    // The admin connection was idle as long: it went too. A new one resets the timeout.
    assert_eq!(s.raw().cmd(&["CONFIG", "SET", "timeout", "0"]).unwrap().as_str(), "OK");
}

/// A server process started directly (config file or stdin), killed on drop.
struct Proc {
    child: Child,
    port: u16,
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Proc {
    fn start(bin: &Path, args: &[&str], cwd: &Path, stdin: Option<&str>, port: u16) -> Proc {
        let mut cmd = Command::new(bin);
        cmd.args(args).current_dir(cwd).stdout(Stdio::null()).stderr(Stdio::null());
        cmd.stdin(if stdin.is_some() { Stdio::piped() } else { Stdio::null() });
        let mut child = cmd.spawn().expect("spawn server");
        if let (Some(text), Some(mut pipe)) = (stdin, child.stdin.take()) {
            use std::io::Write;
            pipe.write_all(text.as_bytes()).expect("write stdin");
        }
        let p = Proc { child, port };
        wait_until(Duration::from_secs(20), "server to answer PING", || RawConn::connect(port).and_then(|mut c| c.cmd(&["PING"])).is_ok());
        p
    }

    fn raw(&self) -> RawConn {
        RawConn::connect(self.port).expect("connect")
    }
}

/// Runs a server that must fail at startup: (exit code, stdout, stderr).
fn run_failing(bin: &Path, args: &[&str], cwd: &Path) -> (Option<i32>, String, String) {
    let mut child = Command::new(bin).args(args).current_dir(cwd).stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("spawn");
    let mut status = None;
    wait_until(Duration::from_secs(20), "server to exit", || {
        status = child.try_wait().ok().flatten();
        status.is_some()
    });
    let out = child.wait_with_output().expect("output");
    (status.and_then(|s| s.code()), String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn startup_errors_match_redis() {
    if !redis_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let ours = rhodium_bin();
    let theirs = PathBuf::from("redis-server");
    let cases: &[&[&str]] = &[
        &["--port", "abc"],
        &["--hz", "x"],
        &["--foo", "bar"],
        &["--loglevel", "x"],
        &["--port", "70000"],
        &["--port", "1", "2"],
        &["--daemonize", "maybe"],
        &["--maxmemory", "1x"],
        &["--maxmemory-clients", "200%"],
        &["--save", "1"],
        &["--slaveof", "a", "b"],
        &["--slaveof", "a"],
        &["--client-output-buffer-limit", "foo", "1", "2", "3"],
        &["--notify-keyspace-events", "Q"],
        &["--dbfilename", "a/b"],
        &["--unixsocketperm", "999"],
        &["--dir", "/nonexistent-rhodium-dir"],
        &["--port", "7000", "--save", "", "--hz", "a\"b"],
        &["--port", "7000", "--save", "--hz", "x"],
        &["--requirepass"],
        &["--list-max-ziplist-size", "1.5"],
        &["--include"],
        &["--port 7000", "--hz", "x"],
    ];
    for args in cases {
        let (ca, _, ea) = run_failing(&ours, args, dir.path());
        let (cb, _, eb) = run_failing(&theirs, args, dir.path());
        assert_eq!(ca, Some(1), "rhodium exit code for {args:?}");
        assert_eq!(ca, cb, "exit code for {args:?}");
        assert_eq!(ea, eb, "stderr for {args:?}");
    }
    // A missing config file is logged (with the usual log prefix) and exits 1.
    let missing = dir.path().join("missing.conf");
    let m = missing.to_str().unwrap();
    for bin in [&ours, &theirs] {
        let (code, out, _) = run_failing(bin, &[m], dir.path());
        assert_eq!(code, Some(1));
        assert!(out.contains(&format!("# Fatal error, can't open config file '{m}': No such file or directory")), "{bin:?}: {out}");
    }
}

/// Writes a config file for a server on `port` with an include and units.
fn write_conf(dir: &Path, port: u16) -> PathBuf {
    let inc = dir.join("inc.conf");
    std::fs::write(&inc, "hash-max-ziplist-entries 7\n  timeout 5  \n").unwrap();
    let conf = dir.join("server.conf");
    let text = format!(
        "# Top comment\nport {port}\nbind 127.0.0.1\n\n\n# Persistence\nsave 900 1\nsave 300 10\nappendonly no\nMAXMEMORY 1kb\nslave-read-only no\ninclude {}\nhz 10\nlogfile \"\"\nrequirepass \"\"\nclient-output-buffer-limit pubsub 64mb 16mb 90\nproto-max-bulk-len 2m\nlatency-tracking-info-percentiles 50 99.5\n",
        inc.display()
    );
    std::fs::write(&conf, text).unwrap();
    conf
}

const CHECKED: &[&str] = &[
    "maxmemory",
    "replica-read-only",
    "hash-max-listpack-entries",
    "timeout",
    "save",
    "hz",
    "client-output-buffer-limit",
    "proto-max-bulk-len",
    "latency-tracking-info-percentiles",
    "bind",
];

#[test]
fn config_file_with_include_units_and_aliases_matches_redis() {
    let Some(_) = redis_available().then_some(()) else { return };
    let (da, db) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (pa, pb) = (free_port(), free_port());
    let (ca, cb) = (write_conf(da.path(), pa), write_conf(db.path(), pb));
    let ours = Proc::start(&rhodium_bin(), &[ca.to_str().unwrap()], da.path(), None, pa);
    let theirs = Proc::start(Path::new("redis-server"), &[cb.to_str().unwrap()], db.path(), None, pb);
    for name in CHECKED {
        assert_eq!(config_map(&mut ours.raw(), name), config_map(&mut theirs.raw(), name), "{name}");
    }
    assert_eq!(config_map(&mut ours.raw(), "maxmemory")["maxmemory"], "1024");

    // CONFIG REWRITE on both, then compare the files: the old part line by line, the
    // appended part as a set (its order is Redis's hash order).
    for (p, hz) in [(&ours, "20"), (&theirs, "20")] {
        let mut c = p.raw();
        assert_eq!(c.cmd(&["CONFIG", "SET", "hz", hz, "maxmemory", "2mb", "slave-priority", "5", "save", "60 1"]).unwrap().as_str(), "OK");
        assert_eq!(c.cmd(&["CONFIG", "REWRITE"]).unwrap().as_str(), "OK");
    }
    let norm = |text: String, port: u16, dir: &Path| -> (Vec<String>, BTreeSet<String>) {
        let text = text.replace(&port.to_string(), "PORT").replace(&std::fs::canonicalize(dir).unwrap().display().to_string(), "DIR");
        let mut lines = text.lines().map(str::to_string);
        let old: Vec<String> = lines.by_ref().take_while(|l| l != "# Generated by CONFIG REWRITE").collect();
        (old, lines.collect())
    };
    let (old_a, new_a) = norm(std::fs::read_to_string(&ca).unwrap(), pa, da.path());
    let (old_b, new_b) = norm(std::fs::read_to_string(&cb).unwrap(), pb, db.path());
    assert_eq!(old_a, old_b);
    assert_eq!(new_a, new_b);
    assert!(old_a.contains(&"# Top comment".to_string()) && old_a.contains(&"hz 20".to_string()) && old_a.contains(&"maxmemory 2mb".to_string()));

    // The rewritten file loads back with the new values.
    drop(ours);
    let ours = Proc::start(&rhodium_bin(), &[ca.to_str().unwrap()], da.path(), None, pa);
    let got = config_map(&mut ours.raw(), "hz");
    assert_eq!(got["hz"], "20");
    assert_eq!(config_map(&mut ours.raw(), "replica-priority")["replica-priority"], "5");
    assert_eq!(config_map(&mut ours.raw(), "save")["save"], "60 1");
}

#[test]
fn config_from_stdin_and_command_line_override() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let conf = format!("port {port}\nbind 127.0.0.1\nsave \"\"\nmaxmemory 1mb\nhz 15\n");
    let s = Proc::start(&rhodium_bin(), &["-", "--hz", "25"], dir.path(), Some(&conf), port);
    let mut c = s.raw();
    assert_eq!(config_map(&mut c, "maxmemory")["maxmemory"], "1048576");
    assert_eq!(config_map(&mut c, "hz")["hz"], "25");
    // Started without a file: REWRITE has nothing to write to.
    assert_eq!(c.cmd(&["CONFIG", "REWRITE"]).unwrap().as_str(), "ERR The server is running without a config file");
}

#[test]
fn example_config_file_starts_a_server() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let example = rhodium_it::workspace_root().join("redis.conf.example");
    let port_s = port.to_string();
    let s = Proc::start(&rhodium_bin(), &[example.to_str().unwrap(), "--port", &port_s, "--bind", "127.0.0.1", "--save", ""], dir.path(), None, port);
    let all = config_map(&mut s.raw(), "*");
    assert_eq!(all["maxmemory"], "0");
    assert_eq!(all["client-output-buffer-limit"], "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60");
}

#[test]
fn config_file_errors_match_redis() {
    if !redis_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let inner = d.join("inner.conf");
    std::fs::write(&inner, "hz 10\r\n\tfoo  \"a b\" \n").unwrap();
    let files = [
        ("quotes.conf", "# x\nport \"7000\n".to_string()),
        ("unknown.conf", "hz 10\r\n\tfoo  \"a b\" \n".to_string()),
        ("include.conf", format!("# outer\ninclude {}\n", inner.display())),
        ("alias.conf", "slave-read-only maybe\n".to_string()),
        ("sentinel.conf", "sentinel monitor x 127.0.0.1 6379 2\n".to_string()),
    ];
    for (name, text) in &files {
        let path = d.join(name);
        std::fs::write(&path, text).unwrap();
        let p = path.to_str().unwrap();
        let (ca, _, ea) = run_failing(&rhodium_bin(), &[p], d);
        let (cb, _, eb) = run_failing(Path::new("redis-server"), &[p], d);
        assert_eq!((ca, ea), (cb, eb), "{name}");
    }
    // An include that cannot be opened is logged like a missing main file.
    let path = d.join("missing-include.conf");
    std::fs::write(&path, "include /nonexistent-rhodium.conf\n").unwrap();
    for bin in [rhodium_bin(), PathBuf::from("redis-server")] {
        let (code, out, _) = run_failing(&bin, &[path.to_str().unwrap()], d);
        assert_eq!(code, Some(1));
        assert!(out.contains("# Fatal error, can't open config file '/nonexistent-rhodium.conf': No such file or directory"), "{bin:?}: {out}");
    }
}

#[test]
fn config_get_in_resp3_matches_redis() {
    let Some(p) = diff::Pair::start(&[]) else { return };
    let (mut a, mut b) = (p.ours.raw(), p.theirs.raw());
    // HELLO's reply holds the client id, which differs: only the later replies compare.
    a.cmd(&["HELLO", "3"]).unwrap();
    b.cmd(&["HELLO", "3"]).unwrap();
    for line in ["CONFIG GET hz", "CONFIG GET nosuch", "CONFIG GET maxmemory", "CONFIG SET hz x"] {
        let argv = diff::split(line);
        let (ra, rb) = (a.cmd_bytes(&argv).unwrap(), b.cmd_bytes(&argv).unwrap());
        assert_eq!(String::from_utf8_lossy(&ra), String::from_utf8_lossy(&rb), "{line}");
    }
}

#[test]
fn runtime_maxclients_and_proto_max_bulk_len_match_redis() {
    let Some(p) = diff::Pair::start(&[]) else { return };
    let mut replies = Vec::new();
    for s in [&p.ours, &p.theirs] {
        let mut admin = s.raw();
        admin.cmd(&["CONFIG", "SET", "proto-max-bulk-len", "1mb"]).unwrap();
        let mut big = s.raw();
        big.send_raw(b"*2\r\n$4\r\nECHO\r\n$2000000\r\n").unwrap();
        let too_big = big.read_reply_bytes().unwrap();
        assert_eq!(admin.cmd(&["CONFIG", "SET", "maxclients", "1"]).unwrap().as_str(), "OK");
        let mut extra = s.raw();
        // The server refuses the connection with an error and closes it.
        let refused = extra.read_reply_bytes().unwrap_or_default();
        replies.push((String::from_utf8_lossy(&too_big).into_owned(), String::from_utf8_lossy(&refused).into_owned()));
        assert_eq!(admin.cmd(&["CONFIG", "SET", "maxclients", "10000"]).unwrap().as_str(), "OK");
    }
    assert_eq!(replies[0], replies[1]);
    assert!(replies[0].0.starts_with("-ERR Protocol error: invalid bulk length"), "{:?}", replies[0]);
    assert_eq!(replies[0].1, "-ERR max number of clients reached\r\n");
}

#[test]
fn config_set_port_and_bind_move_the_listener() {
    let s = TestServer::start(&[]);
    let mut c = s.raw();
    // A port another server holds is refused with Redis's error; the old port keeps working.
    let other = TestServer::start(&[]);
    let taken = other.port.to_string();
    assert_eq!(
        c.cmd(&["CONFIG", "SET", "port", &taken]).unwrap(),
        Reply::Error("ERR CONFIG SET failed (possibly related to argument 'port') - Unable to listen on this port. Check server logs.".into())
    );
    assert_eq!(s.raw().cmd(&["PING"]).unwrap().as_str(), "PONG");
    // A free port: new connections go there, the old port is closed, this connection stays.
    let new_port = rhodium_it::free_port();
    assert_eq!(c.cmd(&["CONFIG", "SET", "port", &new_port.to_string()]).unwrap().as_str(), "OK");
    let mut moved = RawConn::connect(new_port).expect("connect to the new port");
    assert_eq!(moved.cmd(&["CONFIG", "GET", "port"]).unwrap(), Reply::Array(Some(vec![Reply::Bulk(Some(b"port".to_vec())), Reply::Bulk(Some(new_port.to_string().into_bytes()))])));
    assert!(RawConn::connect(s.port).is_err(), "old port still accepts connections");
    assert_eq!(c.cmd(&["PING"]).unwrap().as_str(), "PONG");
    // Changing only the addresses on the same port rebinds it.
    assert_eq!(c.cmd(&["CONFIG", "SET", "bind", "127.0.0.1 -::1"]).unwrap().as_str(), "OK");
    assert_eq!(RawConn::connect(new_port).expect("reconnect after bind change").cmd(&["PING"]).unwrap().as_str(), "PONG");
}
