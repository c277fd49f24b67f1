//! Connection basics and protocol errors, differential against redis-server.

use rhodium_it::{diff, TestServer};

#[test]
fn ping_echo_select_unknown_and_arity() {
    diff::check(
        r#"
        PING
        PING hello
        PING a b
        ECHO "with space"
        ECHO
        SELECT 1
        SELECT 16
        SELECT -1
        SELECT x
        FOO bar baz
        GET
        "#,
    );
}

#[test]
fn protocol_errors_close_only_that_connection() {
    let s = TestServer::start(&[]);
    let mut bad = s.raw();
    let mut good = s.raw();
    bad.send_raw(b"*1\r\n#3\r\n").unwrap();
    let r = bad.read_reply_bytes().unwrap();
    assert_eq!(r, b"-ERR Protocol error: expected '$', got '#'\r\n");
    assert!(bad.is_closed(std::time::Duration::from_secs(5)));
    assert_eq!(good.cmd(&["PING"]).unwrap().as_str(), "PONG");
}

#[test]
fn redis_cli_and_redis_crate_work() {
    let s = TestServer::start(&[]);
    assert_eq!(s.cli(&["SET", "k", "v"]).trim(), "OK");
    assert_eq!(s.cli(&["GET", "k"]).trim(), "v");
    let mut c = s.client();
    let v: String = redis::cmd("GET").arg("k").query(&mut c).unwrap();
    assert_eq!(v, "v");
}

#[test]
fn auth_hello_reset_without_password() {
    diff::check(
        r#"
        AUTH x
        AUTH a b
        AUTH default anything
        AUTH a b c
        HELLO 4
        HELLO 1
        HELLO abc
        HELLO 3 foo
        HELLO 2 auth a
        HELLO 2 SETNAME "bad name"
        HELLO 2 AUTH nosuchuser pw
        CLIENT GETNAME
        PING
        PING hi
        ECHO x
        SELECT 2
        RESET
        CLIENT GETNAME
        RESET x
        "#,
    );
}

#[test]
fn auth_with_requirepass_gates_commands() {
    let Some(pair) = diff::Pair::start(&["--requirepass", "secret"]) else { return };
    pair.check(
        r#"
        PING
        GET k
        CLIENT ID
        HELLO 3
        HELLO 2 SETNAME x
        AUTH wrong
        AUTH default wrong
        AUTH other secret
        HELLO 2 AUTH default wrong
        AUTH secret
        PING
        SET k v
        RESET
        GET k
        RESET
        AUTH default secret
        GET k
        QUIT
        "#,
    );
}

/// Replaces the value following the `id` key of a HELLO reply (client ids depend on how
/// many connections each server saw).
fn mask_id(reply: &[u8]) -> String {
    let s = String::from_utf8_lossy(reply).into_owned();
    match s.find("$2\r\nid\r\n:") {
        Some(i) => {
            let start = i + "$2\r\nid\r\n:".len();
            let end = s[start..].find("\r\n").map(|e| start + e).unwrap_or(s.len());
            format!("{}N{}", &s[..start], &s[end..])
        }
        None => s,
    }
}

#[test]
fn hello_replies_match_redis_but_for_the_id() {
    let Some(pair) = diff::Pair::start(&["--requirepass", "secret"]) else { return };
    let mut a = pair.ours.raw();
    let mut b = pair.theirs.raw();
    for line in ["HELLO 2 AUTH default secret SETNAME conn1", "CLIENT GETNAME", "HELLO 3", "PING", "HELLO", "DEBUG PROTOCOL map", "HELLO 2", "RESET", "GET k", "HELLO 3 AUTH default secret", "HELLO 2 SETNAME n2", "CLIENT GETNAME"] {
        let argv = diff::split(line);
        let ra = mask_id(&a.cmd_bytes(&argv).unwrap());
        let rb = mask_id(&b.cmd_bytes(&argv).unwrap());
        assert_eq!(ra, rb, "reply differs for `{line}`");
    }
}
