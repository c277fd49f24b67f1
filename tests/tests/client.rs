//! CLIENT subcommands, differential against redis-server where replies are deterministic.

use std::time::{Duration, Instant};

use rhodium_it::raw::RawConn;
use rhodium_it::{diff, wait_until, TestServer};

#[test]
fn client_errors_and_simple_subcommands() {
    diff::check(
        r#"
        CLIENT GETNAME
        CLIENT SETNAME "a b"
        CLIENT SETNAME "caf\xc3\xa9"
        CLIENT SETNAME myname
        CLIENT GETNAME
        CLIENT SETNAME ""
        CLIENT GETNAME
        CLIENT SETNAME
        CLIENT SETNAME a b
        CLIENT ID x
        CLIENT KILL 1.2.3.4:5
        CLIENT KILL ID 999999
        CLIENT KILL ID abc
        CLIENT KILL ID 0
        CLIENT KILL ID -3
        CLIENT KILL foo bar
        CLIENT KILL TYPE foo
        CLIENT KILL TYPE master
        CLIENT KILL USER nosuchuser
        CLIENT KILL SKIPME maybe
        CLIENT KILL ADDR 1.2.3.4:5 SKIPME
        CLIENT KILL addr
        CLIENT PAUSE abc
        CLIENT PAUSE 10 foo
        CLIENT PAUSE -1
        CLIENT PAUSE 0
        CLIENT PAUSE 0 WRITE
        CLIENT PAUSE 1 WRITE extra
        CLIENT UNPAUSE
        CLIENT UNPAUSE x
        CLIENT REPLY foo
        CLIENT REPLY ON
        CLIENT NO-EVICT foo
        CLIENT NO-EVICT on
        CLIENT NO-EVICT OFF
        CLIENT LIST TYPE foo
        CLIENT LIST ID abc
        CLIENT LIST ID 999999
        CLIENT LIST foo
        CLIENT LIST ID
        CLIENT LIST TYPE master
        CLIENT LIST TYPE replica
        CLIENT LIST TYPE pubsub
        CLIENT HELP x
        CLIENT NOSUCH
        CLIENT
        "#,
    );
}

/// CLIENT HELP lists what Rhodium implements, each entry worded as Redis's.
#[test]
fn client_help_lines_are_redis_lines() {
    let Some(pair) = diff::Pair::start(&[]) else { return };
    let lines = |s: &TestServer| match s.raw().cmd(&["CLIENT", "HELP"]).unwrap() {
        rhodium_it::raw::Reply::Array(Some(items)) => items.iter().map(|i| i.as_str()).collect::<Vec<_>>(),
        other => panic!("{other:?}"),
    };
    let ours = lines(&pair.ours);
    let theirs = lines(&pair.theirs);
    assert_eq!(ours[0], theirs[0]);
    for l in &ours {
        assert!(theirs.contains(l), "{l:?} is not in Redis's CLIENT HELP");
    }
}

/// The names of a CLIENT LIST line's fields, in order.
fn field_names(line: &str) -> Vec<String> {
    line.split(' ').map(|f| f.split('=').next().unwrap_or("").to_string()).collect()
}

#[test]
fn client_list_and_info_have_redis_fields_in_order() {
    let Some(pair) = diff::Pair::start(&[]) else { return };
    let mut a = pair.ours.raw();
    let mut b = pair.theirs.raw();
    for cmd in [&["CLIENT", "LIST"][..], &["CLIENT", "INFO"][..]] {
        let ours = a.cmd(cmd).unwrap().as_str();
        let theirs = b.cmd(cmd).unwrap().as_str();
        assert!(ours.ends_with('\n'), "{ours:?}");
        assert_eq!(field_names(ours.trim_end()), field_names(theirs.trim_end()), "{ours}\nvs\n{theirs}");
    }
    let me = a.cmd(&["CLIENT", "INFO"]).unwrap().as_str();
    assert!(me.contains(" cmd=client|info "), "{me}");
    assert!(me.contains(" name= "), "{me}");
    assert!(me.contains(" flags=N "), "{me}");
    a.cmd(&["CLIENT", "SETNAME", "worker"]).unwrap();
    a.cmd(&["SELECT", "3"]).unwrap();
    a.cmd(&["HELLO", "3"]).unwrap();
    let id = a.cmd(&["CLIENT", "ID"]).unwrap().as_str();
    let mut observer = pair.ours.raw();
    let me = observer.cmd(&["CLIENT", "LIST", "ID", &id]).unwrap().as_str();
    assert!(me.contains(" name=worker ") && me.contains(" db=3 ") && me.ends_with("resp=3\n"), "{me}");
    let by_id = observer.cmd(&["CLIENT", "LIST", "ID", &id, "999999"]).unwrap().as_str();
    assert_eq!(by_id.lines().count(), 1, "{by_id}");
    assert!(by_id.starts_with(&format!("id={id} ")), "{by_id}");
    // The harness's readiness probe leaves the registry asynchronously.
    wait_until(Duration::from_secs(5), "CLIENT LIST TYPE normal to list the two clients", || {
        observer.cmd(&["CLIENT", "LIST", "TYPE", "normal"]).unwrap().as_str().lines().count() == 2
    });
}

#[test]
fn client_kill_filters() {
    let s = TestServer::start(&[]);
    let mut me = s.raw();
    let mut victim = s.raw();
    let vid = victim.cmd(&["CLIENT", "ID"]).unwrap().as_str();
    // SKIPME defaults to yes: a filter matching everyone spares the caller.
    let mut other = s.raw();
    other.cmd(&["PING"]).unwrap();
    assert_eq!(me.cmd(&["CLIENT", "KILL", "ID", &vid]).unwrap().as_str(), "1");
    assert!(victim.is_closed(Duration::from_secs(5)));
    // Connections closed earlier (the harness's readiness probe, the victim) leave the
    // registry asynchronously: wait until only `me` and `other` are listed.
    let mut watcher = s.raw();
    wait_until(Duration::from_secs(5), "closed clients to leave CLIENT LIST", || {
        watcher.cmd(&["CLIENT", "LIST"]).unwrap().as_str().lines().count() == 3
    });
    drop(watcher);
    wait_until(Duration::from_secs(5), "the watcher to leave CLIENT LIST", || me.cmd(&["CLIENT", "LIST"]).unwrap().as_str().lines().count() == 2);
    assert_eq!(me.cmd(&["CLIENT", "KILL", "TYPE", "normal"]).unwrap().as_str(), "1");
    assert!(other.is_closed(Duration::from_secs(5)));
    assert_eq!(me.cmd(&["PING"]).unwrap().as_str(), "PONG");
    // By address, old form, and killing oneself.
    let mut third = s.raw();
    let info = third.cmd(&["CLIENT", "INFO"]).unwrap().as_str();
    let addr = info.split(' ').find_map(|f| f.strip_prefix("addr=")).unwrap().to_string();
    assert_eq!(me.cmd(&["CLIENT", "KILL", &addr]).unwrap().as_str(), "OK");
    assert!(third.is_closed(Duration::from_secs(5)));
    let n: i64 = me.cmd(&["CLIENT", "KILL", "USER", "default", "SKIPME", "no"]).unwrap().as_str().parse().unwrap();
    assert!(n >= 1);
    assert!(me.is_closed(Duration::from_secs(5)));
}

#[test]
fn client_pause_write_holds_writes_only() {
    let s = TestServer::start(&[]);
    let mut admin = s.raw();
    let mut writer = s.raw();
    assert_eq!(admin.cmd(&["CLIENT", "PAUSE", "100000", "WRITE"]).unwrap().as_str(), "OK");
    // Reads go through while paused.
    assert_eq!(writer.cmd(&["GET", "k"]).unwrap(), rhodium_it::raw::Reply::Bulk(None));
    writer.send(&["SET", "k", "v"]).unwrap();
    // The write waits; the server keeps serving others meanwhile.
    let mut reader = s.raw();
    wait_until(Duration::from_secs(5), "a second client served", || reader.cmd(&["PING"]).map(|r| r.as_str() == "PONG").unwrap_or(false));
    assert_eq!(reader.cmd(&["GET", "k"]).unwrap(), rhodium_it::raw::Reply::Bulk(None));
    assert_eq!(admin.cmd(&["CLIENT", "UNPAUSE"]).unwrap().as_str(), "OK");
    assert_eq!(writer.read_reply().unwrap().as_str(), "OK");
    assert_eq!(reader.cmd(&["GET", "k"]).unwrap().as_str(), "v");
}

#[test]
fn client_pause_all_holds_every_command_until_timeout() {
    let s = TestServer::start(&[]);
    let mut admin = s.raw();
    let started = Instant::now();
    assert_eq!(admin.cmd(&["CLIENT", "PAUSE", "700", "ALL"]).unwrap().as_str(), "OK");
    let mut c = s.raw();
    assert_eq!(c.cmd(&["PING"]).unwrap().as_str(), "PONG");
    assert!(started.elapsed() >= Duration::from_millis(650), "PING answered during an ALL pause");
}

/// Sends `cmds` pipelined and returns the bytes of `replies` replies.
fn pipeline(c: &mut RawConn, cmds: &[&[&str]], replies: usize) -> Vec<u8> {
    for cmd in cmds {
        c.send(cmd).unwrap();
    }
    let mut out = Vec::new();
    for _ in 0..replies {
        out.extend(c.read_reply_bytes().unwrap());
    }
    out
}

#[test]
fn client_reply_off_skip_on() {
    let Some(pair) = diff::Pair::start(&[]) else { return };
    let cmds: &[&[&str]] = &[
        &["CLIENT", "REPLY", "OFF"],
        &["SET", "a", "1"],
        &["GET", "a"],
        &["CLIENT", "REPLY", "SKIP"],
        &["CLIENT", "REPLY", "ON"],
        &["GET", "a"],
        &["CLIENT", "REPLY", "SKIP"],
        &["GET", "a"],
        &["NOSUCHCOMMAND"],
        &["CLIENT", "REPLY", "SKIP"],
        &["CLIENT", "REPLY", "SKIP"],
        &["GET", "a"],
        &["ECHO", "last"],
    ];
    let mut a = pair.ours.raw();
    let mut b = pair.theirs.raw();
    let ours = pipeline(&mut a, cmds, 4);
    let theirs = pipeline(&mut b, cmds, 4);
    assert_eq!(String::from_utf8_lossy(&ours), String::from_utf8_lossy(&theirs));
}

#[test]
fn unix_socket_clients_show_as_redis_does() {
    use std::io::{Read, Write};
    let s = TestServer::start(&["--unixsocket", "c.sock"]);
    let path = s.dir.path().join("c.sock");
    let mut u = std::os::unix::net::UnixStream::connect(&path).unwrap();
    u.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    u.write_all(b"*2\r\n$6\r\nCLIENT\r\n$4\r\nINFO\r\n").unwrap();
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    while !buf.ends_with(b"\n\r\n") {
        let n = u.read(&mut chunk).unwrap();
        assert!(n > 0, "connection closed");
        buf.extend_from_slice(&chunk[..n]);
    }
    let text = String::from_utf8_lossy(&buf);
    assert!(text.contains(" addr=c.sock:0 laddr=c.sock:0 ") && text.contains(" flags=U "), "{text}");
}
